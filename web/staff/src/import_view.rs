//! **Import a register** under the export: an existing list of members (`.xlsx`, `.xls` or
//! `.csv`) as submissions of the form chosen in the filters, in one association
//! (`POST /api/imports`). **Check the file** reads, checks and judges every row and writes
//! nothing; **Import** writes. Rows that cannot be read are listed with their row, column and
//! reason, and nothing is written. Admins and coordinators see it.

use js_sys::Uint8Array;
use letsema_protocol::staff::{Association, ImportReport, Role, Session};
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct ImportProps {
    pub words: &'static Words,
    pub session: Session,
    /// The form chosen in the applied filters: rows become its submissions.
    pub form: String,
    /// The associations in use, offered as the association's code is typed.
    pub associations: Vec<Association>,
    /// The filters' association, the one first proposed.
    pub association: String,
    pub on_signed_out: Callback<()>,
    /// Told after an import that wrote something, to show the new rows.
    pub on_imported: Callback<()>,
}

#[function_component(ImportPanel)]
pub fn import_panel(props: &ImportProps) -> Html {
    let words = props.words;
    let file = use_node_ref();
    let association = use_state(|| props.association.clone());
    let key = use_state(String::new);
    let map = use_state(String::new);
    let busy = use_state(|| false);
    let outcome = use_state(|| None::<Result<ImportReport, String>>);
    if !matches!(props.session.user.role, Role::Admin | Role::Coordinator) {
        return Html::default();
    }
    let chosen = (*association).clone();

    let run = |dry_run: bool| {
        let (file, busy, outcome) = (file.clone(), busy.clone(), outcome.clone());
        let (key, map, chosen) = ((*key).clone(), (*map).clone(), chosen.clone());
        let (form, csrf) = (props.form.clone(), props.session.csrf_token.clone());
        let (on_signed_out, on_imported) = (props.on_signed_out.clone(), props.on_imported.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(chosen_file) = file
                .cast::<HtmlInputElement>()
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
            else {
                outcome.set(Some(Err(words.import_choose_file.to_owned())));
                return;
            };
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("name", &chosen_file.name());
            query.append_pair("form", &form);
            query.append_pair("association", &chosen);
            if !key.trim().is_empty() {
                query.append_pair("key", key.trim());
            }
            for line in map.lines().map(str::trim).filter(|l| !l.is_empty()) {
                query.append_pair("map", line);
            }
            if dry_run {
                query.append_pair("dry_run", "true");
            }
            let url = format!("/api/imports?{}", query.finish());
            let (busy, outcome, csrf) = (busy.clone(), outcome.clone(), csrf.clone());
            let (on_signed_out, on_imported) = (on_signed_out.clone(), on_imported.clone());
            busy.set(true);
            outcome.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let sent = async {
                    let buffer = JsFuture::from(chosen_file.array_buffer())
                        .await
                        .map_err(|_| ApiError::Network)?;
                    let bytes = Uint8Array::new(&buffer);
                    api::import(&csrf, &url, bytes).await
                };
                match sent.await {
                    Ok(report) => {
                        if !report.dry_run && report.new > 0 {
                            on_imported.emit(());
                        }
                        outcome.set(Some(Ok(report)));
                    }
                    Err(error) => {
                        if let Some(message) = api::problem(error, words, &on_signed_out) {
                            outcome.set(Some(Err(message)));
                        }
                    }
                }
                busy.set(false);
            });
        })
    };
    let on_association = {
        let association = association.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                association.set(input.value());
            }
        })
    };
    let on_key = {
        let key = key.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                key.set(input.value());
            }
        })
    };
    let on_map = {
        let map = map.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(text) = event.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
                map.set(text.value());
            }
        })
    };

    html! {
        <section class="import-panel" aria-labelledby="import-title" data-testid="import-panel">
            <h3 id="import-title">{ words.import_title }</h3>
            if props.form.is_empty() {
                <p>{ words.import_hint }</p>
            } else {
                <div class="export-options">
                    <div class="field">
                        <label for="import-file">{ words.import_file }</label>
                        <input id="import-file" type="file" ref={file.clone()}
                            accept=".xlsx,.xls,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv" />
                    </div>
                    <div class="field">
                        <label for="import-association">{ words.association }</label>
                        // A code in use, or a new one (an admin's first import of an
                        // association).
                        <input id="import-association" type="text" list="import-associations"
                            value={chosen.clone()} oninput={on_association} maxlength="64" />
                        <datalist id="import-associations">
                            { for props.associations.iter().map(|a| html! {
                                <option value={a.code.clone()}>
                                    { a.name.clone().unwrap_or_else(|| a.code.clone()) }
                                </option>
                            }) }
                        </datalist>
                    </div>
                    <div class="field">
                        <label for="import-key">{ words.import_key }</label>
                        <input id="import-key" type="text" value={(*key).clone()} oninput={on_key}
                            maxlength="200" aria-describedby="import-key-hint" />
                        <small id="import-key-hint">{ words.import_key_hint }</small>
                    </div>
                    <div class="field">
                        <label for="import-map">{ words.import_map }</label>
                        <textarea id="import-map" rows="3" value={(*map).clone()} oninput={on_map}
                            aria-describedby="import-map-hint" />
                        <small id="import-map-hint">{ words.import_map_hint }</small>
                    </div>
                </div>
                <div class="actions">
                    <button type="button" class="secondary" onclick={run(true)} disabled={*busy}>{ words.import_check }</button>
                    <button type="button" onclick={run(false)} disabled={*busy}>{ words.import_run }</button>
                </div>
            }
            if *busy {
                <p role="status">{ words.import_reading }</p>
            }
            if let Some(outcome) = &*outcome {
                <div role="status" data-testid="import-message">
                    { match outcome {
                        Ok(report) => html! { <p>{ words.import_report(report) }</p> },
                        Err(message) => html! {
                            <ul class="problems">
                                { for message.lines().map(|line| html! { <li>{ line.to_owned() }</li> }) }
                            </ul>
                        },
                    } }
                </div>
            }
        </section>
    }
}
