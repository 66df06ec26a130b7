//! The submissions table: filters, a page of rows at a time (keyset paging: "Show more"
//! asks for the rows after the last), and a status set on a selection at once.
//!
//! The filters are applied by changing the address (see `app.rs`), so Back returns to the
//! previous filters.

use std::collections::BTreeSet;

use letsema_ids::ReviewStatus;
use letsema_protocol::staff::{BulkReviewRequest, MAX_BULK, Session, SubmissionRow};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;
use crate::app::{Route, navigate};
use crate::dates::when;
use crate::export_view::ExportPanel;
use crate::filter_form::{FilterForm, use_forms_and_associations, use_newest_form};
use crate::filters::Filters;
use crate::import_view::ImportPanel;
use crate::offline_view::{OfflineHandle, OfflinePanel};
use crate::words::Words;

/// The statuses, in the order a reviewer meets them.
pub const STATUSES: [ReviewStatus; 4] = [
    ReviewStatus::Received,
    ReviewStatus::HasIssues,
    ReviewStatus::Approved,
    ReviewStatus::Rejected,
];

#[derive(Debug, Properties, PartialEq)]
pub struct TableProps {
    pub words: &'static Words,
    pub language: &'static str,
    pub session: Session,
    pub filters: Filters,
    pub on_signed_out: Callback<()>,
    pub offline: OfflineHandle,
    pub revision: u32,
    pub on_changed: Callback<()>,
}

/// The rows shown and what is known about more.
#[derive(Debug, Clone, PartialEq, Default)]
struct Rows {
    rows: Vec<SubmissionRow>,
    next: Option<String>,
    loading: bool,
    problem: Option<String>,
}

fn load(
    filters: Filters,
    after: Option<String>,
    rows: UseStateHandle<Rows>,
    words: &'static Words,
    on_signed_out: Callback<()>,
) {
    let mut loading = (*rows).clone();
    loading.loading = true;
    if after.is_none() {
        loading.rows.clear();
        loading.next = None;
    }
    let mut kept = loading.clone();
    rows.set(loading);
    wasm_bindgen_futures::spawn_local(async move {
        let query = filters.query(after.as_deref());
        kept.loading = false;
        match api::submissions(&query).await {
            Ok(page) => {
                kept.rows.extend(page.submissions);
                kept.next = page.next;
                kept.problem = None;
            }
            Err(error) => kept.problem = api::problem(error, words, &on_signed_out),
        }
        rows.set(kept);
    });
}

#[function_component(Table)]
pub fn table(props: &TableProps) -> Html {
    let words = props.words;
    let (forms, associations) = use_forms_and_associations(props.on_signed_out.clone());
    let forms = forms.unwrap_or_default();
    let rows = use_state(Rows::default);
    let selected = use_state(BTreeSet::<String>::new);
    let bulk_status = use_state(|| ReviewStatus::Approved);
    let bulk_message = use_state(|| None::<String>);

    {
        let (rows, selected) = (rows.clone(), selected.clone());
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with(props.filters.clone(), move |filters| {
            selected.set(BTreeSet::new());
            load(filters.clone(), None, rows, words, on_signed_out);
        });
    }
    // The languages the export may label choices in: the applied form's.
    let definition = use_newest_form(&forms, &props.filters.form);

    // Applying the filters shown again reloads the table (new rows, a judgement made since).
    let apply = {
        let (rows, filters) = (rows.clone(), props.filters.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |draft: Filters| {
            if draft == filters {
                load(
                    filters.clone(),
                    None,
                    rows.clone(),
                    words,
                    on_signed_out.clone(),
                );
            } else {
                navigate(&Route::Table(draft));
            }
        })
    };
    let clear = Callback::from(move |()| navigate(&Route::Table(Filters::default())));
    // After an import: the table from its first page again, with the new rows.
    let reload = {
        let (rows, filters) = (rows.clone(), props.filters.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |()| {
            load(
                filters.clone(),
                None,
                rows.clone(),
                words,
                on_signed_out.clone(),
            );
        })
    };
    let more = {
        let (rows, filters) = (rows.clone(), props.filters.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            load(
                filters.clone(),
                rows.next.clone(),
                rows.clone(),
                words,
                on_signed_out.clone(),
            );
        })
    };
    let toggle_all = {
        let (rows, selected) = (rows.clone(), selected.clone());
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            selected.set(if input.checked() {
                rows.rows
                    .iter()
                    .take(MAX_BULK)
                    .map(|r| r.id.clone())
                    .collect()
            } else {
                BTreeSet::new()
            });
        })
    };
    let on_bulk_status = {
        let bulk_status = bulk_status.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            if let Some(status) = STATUSES.iter().find(|s| s.as_str() == select.value()) {
                bulk_status.set(*status);
            }
        })
    };
    let apply_bulk = {
        let (selected, bulk_status, bulk_message, rows) = (
            selected.clone(),
            bulk_status.clone(),
            bulk_message.clone(),
            rows.clone(),
        );
        let csrf = props.session.csrf_token.clone();
        let filters = props.filters.clone();
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |_: MouseEvent| {
            let request = BulkReviewRequest {
                ids: selected.iter().cloned().collect(),
                status: *bulk_status,
            };
            if request.ids.is_empty() {
                return;
            }
            let (csrf, selected, bulk_message, rows, filters, on_signed_out) = (
                csrf.clone(),
                selected.clone(),
                bulk_message.clone(),
                rows.clone(),
                filters.clone(),
                on_signed_out.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match api::bulk(&csrf, &request).await {
                    Ok(outcome) => {
                        let failed = outcome.results.iter().filter(|r| !r.ok).count();
                        bulk_message.set(Some(
                            words.bulk_done(outcome.results.len() - failed, failed),
                        ));
                        selected.set(BTreeSet::new());
                        load(filters, None, rows, words, on_signed_out);
                    }
                    Err(error) => {
                        bulk_message.set(api::problem(error, words, &on_signed_out));
                    }
                }
            });
        })
    };

    let association_name = |code: &Option<String>| -> String {
        match code {
            None => words.public_links.to_owned(),
            Some(code) => associations
                .iter()
                .find(|a| &a.code == code)
                .and_then(|a| a.name.clone())
                .unwrap_or_else(|| code.clone()),
        }
    };
    let form_title = |id: &str| -> String {
        forms
            .iter()
            .find(|f| f.form_id == id)
            .map_or_else(|| id.to_owned(), |f| f.title.clone())
    };
    let all_selected = !rows.rows.is_empty() && rows.rows.iter().all(|r| selected.contains(&r.id));

    let body = rows.rows.iter().map(|row| {
        let id = row.id.clone();
        let toggle = {
            let (selected, id) = (selected.clone(), id.clone());
            Callback::from(move |event: Event| {
                let input: HtmlInputElement = event.target_unchecked_into();
                let mut next = (*selected).clone();
                if input.checked() && next.len() < MAX_BULK {
                    next.insert(id.clone());
                } else {
                    next.remove(&id);
                }
                selected.set(next);
            })
        };
        let name = row.instance_name.clone().filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| words.unnamed.to_owned());
        let status = STATUSES.iter().find(|s| s.as_str() == row.review_status)
            .map_or_else(|| row.review_status.clone(), |s| words.status_name(*s).to_owned());
        let check_id = format!("select-{id}");
        html! {
            <tr key={id.clone()} data-testid="submission-row">
                <td class="select">
                    <input type="checkbox" id={check_id.clone()} checked={selected.contains(&id)}
                        onchange={toggle} />
                    <label for={check_id} class="visually-hidden">{ format!("{} {name}", words.select_row) }</label>
                </td>
                <td data-label={words.name}>
                    <a href={Route::Submission(id.clone()).hash()}>{ name.clone() }</a>
                    if row.withdrawn { <span class="tag">{ words.withdrawn }</span> }
                </td>
                <td data-label={words.form}>{ format!("{} · {}", form_title(&row.form_id), row.form_version) }</td>
                <td data-label={words.association}>{ association_name(&row.association) }</td>
                <td data-label={words.created}>{ when(words.code, row.created_at) }</td>
                <td data-label={words.status}><span class={classes!("status", row.review_status.clone())}>{ status }</span></td>
                <td data-label={words.judgement}>
                    if row.complete { { words.complete } } else { <span class="issues" title={row.issues.join("; ")}>{ words.issues(row.issues.len()) }</span> }
                    if row.conflicts > 0 { <span class="tag conflict">{ words.conflicts(row.conflicts) }</span> }
                </td>
            </tr>
        }
    });

    html! {
        <section class="table" aria-labelledby="table-title">
            <h2 id="table-title">{ words.submissions }</h2>
            <FilterForm words={words} language={props.language} filters={props.filters.clone()}
                forms={forms.clone()} associations={associations.clone()}
                on_apply={apply} on_clear={clear} />

            <ExportPanel words={words} filters={props.filters.clone()}
                languages={definition.as_ref().map(|form| form.languages().iter().map(|l| l.as_str().to_owned()).collect::<Vec<_>>()).unwrap_or_default()}
                on_signed_out={props.on_signed_out.clone()} />

            <ImportPanel words={words} session={props.session.clone()} form={props.filters.form.clone()}
                associations={associations.clone()} association={props.filters.association.clone()}
                on_signed_out={props.on_signed_out.clone()} on_imported={reload} />

            <OfflinePanel words={words} session={props.session.clone()} offline={props.offline.clone()}
                revision={props.revision} on_changed={props.on_changed.clone()}
                association={props.filters.association.clone()} />

            <div class="bulk" role="group" aria-label={words.set_status_of_selected}>
                <span data-testid="selected-count">{ words.selected(selected.len()) }</span>
                <label for="bulk-status" class="visually-hidden">{ words.new_status }</label>
                <select id="bulk-status" onchange={on_bulk_status}>
                    { for STATUSES.iter().map(|s| html! {
                        <option value={s.as_str()} selected={*bulk_status == *s}>{ words.status_name(*s) }</option>
                    }) }
                </select>
                <button type="button" onclick={apply_bulk} disabled={selected.is_empty()}>
                    { words.set_status_of_selected }
                </button>
                if let Some(message) = &*bulk_message {
                    <span role="status" data-testid="bulk-message">{ message.clone() }</span>
                }
            </div>

            if let Some(problem) = &rows.problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            <table class="submissions">
                <thead>
                    <tr>
                        <th scope="col" class="select">
                            <input type="checkbox" id="select-all" checked={all_selected} onchange={toggle_all} />
                            <label for="select-all" class="visually-hidden">{ words.select_all }</label>
                        </th>
                        <th scope="col">{ words.name }</th>
                        <th scope="col">{ words.form }</th>
                        <th scope="col">{ words.association }</th>
                        <th scope="col">{ words.created }</th>
                        <th scope="col">{ words.status }</th>
                        <th scope="col">{ words.judgement }</th>
                    </tr>
                </thead>
                <tbody>{ for body }</tbody>
            </table>
            <p class="shown" role="status">
                if rows.loading { { words.loading } }
                else if rows.rows.is_empty() && rows.problem.is_none() { { words.no_submissions } }
                else { { words.shown(rows.rows.len(), rows.next.is_some()) } }
            </p>
            if rows.next.is_some() && !rows.loading {
                <button type="button" class="secondary" onclick={more}>{ words.more }</button>
            }
        </section>
    }
}
