//! **Export** under the filters: the submissions the table's filters match (every page, not
//! only those shown), of the chosen form across its versions, as CSV in a zip, Excel or
//! JSON lines, with ODK Central's options. The server writes the file (`GET /api/exports`)
//! and records the export in the audit log; the browser saves it under the server's name.

use yew::prelude::*;

use crate::filters::Filters;
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct ExportProps {
    pub words: &'static Words,
    /// The filters applied (not the draft being edited).
    pub filters: Filters,
    /// The chosen form's languages, for choice labels.
    pub languages: Vec<String>,
    pub on_signed_out: Callback<()>,
}

/// What the export asks of the server besides the filters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Choices {
    format: &'static str,
    group_names: bool,
    split: bool,
    /// Empty: choice names, as stored.
    labels: String,
    review: bool,
    judgement: bool,
}

impl Default for Choices {
    fn default() -> Self {
        Choices {
            format: "xlsx",
            group_names: true,
            split: false,
            labels: String::new(),
            review: true,
            judgement: true,
        }
    }
}

impl Choices {
    /// The export's address: the filters (without paging) and these options.
    fn url(&self, filters: &Filters) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in form_urlencoded::parse(filters.query(None).as_bytes()) {
            if name != "limit" && name != "after" {
                out.append_pair(&name, &value);
            }
        }
        out.append_pair("format", self.format);
        out.append_pair("group_names", &self.group_names.to_string());
        out.append_pair("split_select_multiple", &self.split.to_string());
        if !self.labels.is_empty() {
            out.append_pair("labels", &self.labels);
        }
        out.append_pair("review", &self.review.to_string());
        out.append_pair("judgement", &self.judgement.to_string());
        format!("/api/exports?{}", out.finish())
    }
}

#[function_component(ExportPanel)]
pub fn export_panel(props: &ExportProps) -> Html {
    let words = props.words;
    let choices = use_state(Choices::default);
    let busy = use_state(|| false);
    let message = use_state(|| None::<String>);

    let set = |change: fn(&mut Choices, String)| {
        let choices = choices.clone();
        Callback::from(move |event: Event| {
            let value = event
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .map(|s| s.value())
                .or_else(|| {
                    event
                        .target_dyn_into::<web_sys::HtmlInputElement>()
                        .map(|i| i.checked().to_string())
                })
                .unwrap_or_default();
            let mut next = (*choices).clone();
            change(&mut next, value);
            choices.set(next);
        })
    };
    let download = {
        let (choices, busy, message) = (choices.clone(), busy.clone(), message.clone());
        let (filters, on_signed_out) = (props.filters.clone(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            let url = choices.url(&filters);
            let (busy, message, on_signed_out) =
                (busy.clone(), message.clone(), on_signed_out.clone());
            busy.set(true);
            message.set(Some(words.export_preparing.to_owned()));
            wasm_bindgen_futures::spawn_local(async move {
                message.set(match fetch_and_save(&url).await {
                    Ok((count, bytes)) => Some(words.export_done(count, bytes)),
                    Err(error) => crate::api::problem(error, words, &on_signed_out),
                });
                busy.set(false);
            });
        })
    };

    let current = (*choices).clone();
    html! {
        <section class="export-panel" aria-labelledby="export-title" data-testid="export-panel">
            <h3 id="export-title">{ words.export_title }</h3>
            if props.filters.form.is_empty() {
                <p>{ words.export_hint }</p>
            } else {
                <div class="export-options">
                    <div class="field">
                        <label for="export-format">{ words.export_format }</label>
                        <select id="export-format" onchange={set(|c, v| c.format = match v.as_str() {
                            "csv" => "csv",
                            "jsonl" => "jsonl",
                            _ => "xlsx",
                        })}>
                            <option value="xlsx" selected={current.format == "xlsx"}>{ words.format_xlsx }</option>
                            <option value="csv" selected={current.format == "csv"}>{ words.format_csv }</option>
                            <option value="jsonl" selected={current.format == "jsonl"}>{ words.format_jsonl }</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for="export-labels">{ words.export_choices_as }</label>
                        <select id="export-labels" onchange={set(|c, v| c.labels = v)}>
                            <option value="" selected={current.labels.is_empty()}>{ words.export_choice_names }</option>
                            { for props.languages.iter().map(|language| html! {
                                <option value={language.clone()} selected={current.labels == *language}>
                                    { words.export_labels_in(language) }
                                </option>
                            }) }
                        </select>
                    </div>
                    <div class="field check">
                        <input id="export-groups" type="checkbox" checked={current.group_names}
                            onchange={set(|c, v| c.group_names = v == "true")} />
                        <label for="export-groups">{ words.export_group_names }</label>
                    </div>
                    <div class="field check">
                        <input id="export-split" type="checkbox" checked={current.split}
                            onchange={set(|c, v| c.split = v == "true")} />
                        <label for="export-split">{ words.export_split }</label>
                    </div>
                    <div class="field check">
                        <input id="export-review" type="checkbox" checked={current.review}
                            onchange={set(|c, v| c.review = v == "true")} />
                        <label for="export-review">{ words.export_review }</label>
                    </div>
                    <div class="field check">
                        <input id="export-judgement" type="checkbox" checked={current.judgement}
                            onchange={set(|c, v| c.judgement = v == "true")} />
                        <label for="export-judgement">{ words.export_judgement }</label>
                    </div>
                </div>
                <p class="hint">{ words.export_on_record }</p>
                <button type="button" onclick={download} disabled={*busy}>{ words.export_download }</button>
            }
            if let Some(text) = &*message {
                <p role="status" data-testid="export-message">{ text.clone() }</p>
            }
        </section>
    }
}

/// Asks the server for the export and saves it under the name it gives; the number of
/// submissions and the file's size.
async fn fetch_and_save(url: &str) -> Result<(u64, u64), crate::api::ApiError> {
    use crate::api::ApiError;
    let response = gloo_net::http::Request::get(url)
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    let response = crate::api::accepted(response).await?;
    let status = response.status();
    let count = response
        .headers()
        .get("x-letsema-submissions")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|v| {
            v.split("filename=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "export".to_owned());
    let bytes = response.binary().await.map_err(|_| ApiError::Network)?;
    let size = bytes.len() as u64;
    crate::download::save(&bytes, &name, "").map_err(|_| ApiError::Refused {
        status,
        message: "The browser could not save the file.".to_owned(),
    })?;
    Ok((count, size))
}
