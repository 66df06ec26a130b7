//! The submissions' filters as a form, the same for the table and the dashboard: a draft the
//! staff member edits, applied all at once (the page then changes the address, so Back
//! returns to the previous filters). The answer filters offer the questions of the chosen
//! form's newest version.

use letsema_form::model::Form;
use letsema_protocol::staff::{Association, FormSummary};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::filters::{ChoiceQuestion, Completeness, Filters, MAX_CHOICE_FILTERS, choice_questions};
use crate::table::STATUSES;
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct FilterFormProps {
    pub words: &'static Words,
    pub language: &'static str,
    /// The filters applied: the draft starts from them, and again whenever they change.
    pub filters: Filters,
    pub forms: Vec<FormSummary>,
    pub associations: Vec<Association>,
    /// The filters to apply (the same again: the page reloads).
    pub on_apply: Callback<Filters>,
    pub on_clear: Callback<()>,
    /// Whether the order of rows is offered (the table's, not the dashboard's).
    #[prop_or(true)]
    pub ordered: bool,
    /// Whether a form must be chosen (the dashboard counts one form's answers).
    #[prop_or(false)]
    pub form_required: bool,
}

/// The forms published (`None` while they are being fetched; empty when they could not
/// be) and the associations, which the filters offer; `on_signed_out` when the session ended.
#[hook]
pub fn use_forms_and_associations(
    on_signed_out: Callback<()>,
) -> (Option<Vec<FormSummary>>, Vec<Association>) {
    let forms = use_state(|| None::<Vec<FormSummary>>);
    let associations = use_state(Vec::<Association>::new);
    {
        let (forms, associations) = (forms.clone(), associations.clone());
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::forms().await {
                    Ok(list) => forms.set(Some(list)),
                    Err(ApiError::SignedOut) => on_signed_out.emit(()),
                    Err(_) => forms.set(Some(Vec::new())),
                }
                if let Ok(list) = api::associations().await {
                    associations.set(list);
                }
            });
        });
    }
    ((*forms).clone(), (*associations).clone())
}

/// The newest published version of `form_id` among `forms`, fetched once it is known.
#[hook]
pub fn use_newest_form(forms: &[FormSummary], form_id: &str) -> Option<Form> {
    let definition = use_state(|| None::<Form>);
    let newest = forms
        .iter()
        .find(|f| f.form_id == form_id)
        .map(|f| (f.form_id.clone(), f.version.clone()));
    {
        let definition = definition.clone();
        use_effect_with(newest, move |newest| {
            let newest = newest.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let form = match newest {
                    Some((form_id, version)) => api::form(&form_id, &version)
                        .await
                        .ok()
                        .map(|f| f.definition),
                    None => None,
                };
                definition.set(form);
            });
        });
    }
    (*definition).clone()
}

/// Each form's id and title once, in the order listed (newest version first).
pub fn form_ids(forms: &[FormSummary]) -> Vec<(&str, &str)> {
    let mut ids: Vec<(&str, &str)> = Vec::new();
    for form in forms {
        if !ids.iter().any(|(id, _)| *id == form.form_id) {
            ids.push((&form.form_id, &form.title));
        }
    }
    ids
}

#[function_component(FilterForm)]
pub fn filter_form(props: &FilterFormProps) -> Html {
    let words = props.words;
    let draft = use_state(|| props.filters.clone());
    {
        let draft = draft.clone();
        use_effect_with(props.filters.clone(), move |filters| {
            draft.set(filters.clone())
        });
    }
    let definition = use_newest_form(&props.forms, &draft.form);
    let questions: Vec<ChoiceQuestion> = definition
        .as_ref()
        .map(|form| choice_questions(form, props.language))
        .unwrap_or_default();

    // Each control changes one filter of the draft.
    let edit = |change: fn(&mut Filters, String)| {
        let draft = draft.clone();
        Callback::from(move |event: Event| {
            let value = event
                .target_dyn_into::<HtmlInputElement>()
                .map(|input| {
                    if input.type_() == "checkbox" {
                        input.checked().to_string()
                    } else {
                        input.value()
                    }
                })
                .or_else(|| {
                    event
                        .target_dyn_into::<HtmlSelectElement>()
                        .map(|select| select.value())
                })
                .unwrap_or_default();
            let mut next = (*draft).clone();
            change(&mut next, value);
            draft.set(next);
        })
    };
    let on_search = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = (*draft).clone();
            next.search = input.value();
            draft.set(next);
        })
    };
    let apply = {
        let (draft, on_apply) = (draft.clone(), props.on_apply.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            on_apply.emit((*draft).clone());
        })
    };
    let clear = {
        let on_clear = props.on_clear.clone();
        Callback::from(move |_: MouseEvent| on_clear.emit(()))
    };
    let add_choice = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*draft).clone();
            if next.choices.len() < MAX_CHOICE_FILTERS {
                next.choices.push((String::new(), String::new()));
            }
            draft.set(next);
        })
    };

    let choice_filters = draft.choices.iter().enumerate().map(|(index, (question, value))| {
        let chosen = questions.iter().find(|q| &q.name == question);
        let on_question = {
            let draft = draft.clone();
            Callback::from(move |event: Event| {
                let select: HtmlSelectElement = event.target_unchecked_into();
                let mut next = (*draft).clone();
                if let Some(pair) = next.choices.get_mut(index) {
                    *pair = (select.value(), String::new());
                }
                draft.set(next);
            })
        };
        let on_value = {
            let draft = draft.clone();
            Callback::from(move |event: Event| {
                let select: HtmlSelectElement = event.target_unchecked_into();
                let mut next = (*draft).clone();
                if let Some(pair) = next.choices.get_mut(index) {
                    pair.1 = select.value();
                }
                draft.set(next);
            })
        };
        let remove = {
            let draft = draft.clone();
            Callback::from(move |_: MouseEvent| {
                let mut next = (*draft).clone();
                if index < next.choices.len() {
                    next.choices.remove(index);
                }
                draft.set(next);
            })
        };
        let question_id = format!("choice-question-{index}");
        let value_id = format!("choice-value-{index}");
        html! {
            <div class="choice-filter" key={index}>
                <label for={question_id.clone()}>{ words.question }</label>
                <select id={question_id} onchange={on_question}>
                    <option value="" selected={question.is_empty()}>{ words.any }</option>
                    { for questions.iter().map(|q| html! {
                        <option value={q.name.clone()} selected={&q.name == question}>{ q.label.clone() }</option>
                    }) }
                </select>
                <label for={value_id.clone()}>{ words.answer }</label>
                <select id={value_id} onchange={on_value} disabled={chosen.is_none()}>
                    <option value="" selected={value.is_empty()}>{ words.any }</option>
                    { for chosen.into_iter().flat_map(|q| q.choices.iter()).map(|c| html! {
                        <option value={c.value.clone()} selected={&c.value == value}>{ c.label.clone() }</option>
                    }) }
                </select>
                <button type="button" class="secondary" onclick={remove}
                    aria-label={words.remove_filter}>{ "×" }</button>
            </div>
        }
    });

    let versions: Vec<&FormSummary> = props
        .forms
        .iter()
        .filter(|f| f.form_id == draft.form)
        .collect();
    let form_ids = form_ids(&props.forms);
    // Open on a laptop; on a phone, closed unless some are set (what they filter comes first).
    let open = props.filters.count() > 0
        || web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .is_none_or(|width| width >= 640.0);
    let completeness_value = match draft.completeness {
        Completeness::Any => "",
        Completeness::Complete => "true",
        Completeness::WithIssues => "false",
    };
    html! {
        <form class="filters" onsubmit={apply} role="search">
            <details open={open}>
            <summary>{ words.filters_summary(props.filters.count()) }</summary>
            <fieldset>
                <legend class="visually-hidden">{ words.filters }</legend>
                <div class="field wide">
                    <label for="q">{ words.search }</label>
                    <input id="q" type="search" value={draft.search.clone()} oninput={on_search}
                        aria-describedby="q-hint" maxlength="200" />
                    <small id="q-hint">{ words.search_hint }</small>
                </div>
                <div class="field">
                    <label for="form">{ words.form }</label>
                    <select id="form" onchange={edit(|f, v| { f.form = v; f.version.clear(); f.choices.clear(); })}>
                        if !props.form_required {
                            <option value="" selected={draft.form.is_empty()}>{ words.any }</option>
                        }
                        { for form_ids.iter().map(|(id, title)| html! {
                            <option value={id.to_string()} selected={draft.form == *id}>{ format!("{title} ({id})") }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="version">{ words.version }</label>
                    <select id="version" disabled={draft.form.is_empty()} onchange={edit(|f, v| f.version = v)}>
                        <option value="" selected={draft.version.is_empty()}>{ words.any }</option>
                        { for versions.iter().map(|f| html! {
                            <option value={f.version.clone()} selected={draft.version == f.version}>{ f.version.clone() }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="association">{ words.association }</label>
                    <select id="association" onchange={edit(|f, v| f.association = v)}>
                        <option value="" selected={draft.association.is_empty()}>{ words.any }</option>
                        { for props.associations.iter().map(|a| html! {
                            <option value={a.code.clone()} selected={draft.association == a.code}>
                                { a.name.clone().unwrap_or_else(|| a.code.clone()) }
                            </option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="status">{ words.status }</label>
                    <select id="status" onchange={edit(|f, v| f.status = v)}>
                        <option value="" selected={draft.status.is_empty()}>{ words.any }</option>
                        { for STATUSES.iter().map(|s| html! {
                            <option value={s.as_str()} selected={draft.status == s.as_str()}>{ words.status_name(*s) }</option>
                        }) }
                    </select>
                </div>
                <div class="field">
                    <label for="from">{ words.from }</label>
                    <input id="from" type="date" value={draft.from.clone()} onchange={edit(|f, v| f.from = v)} />
                </div>
                <div class="field">
                    <label for="to">{ words.to }</label>
                    <input id="to" type="date" value={draft.to.clone()} onchange={edit(|f, v| f.to = v)} />
                </div>
                <div class="field">
                    <label for="complete">{ words.completeness }</label>
                    <select id="complete" onchange={edit(|f, v| f.completeness = match v.as_str() {
                        "true" => Completeness::Complete,
                        "false" => Completeness::WithIssues,
                        _ => Completeness::Any,
                    })}>
                        <option value="" selected={completeness_value.is_empty()}>{ words.any }</option>
                        <option value="true" selected={completeness_value == "true"}>{ words.complete_only }</option>
                        <option value="false" selected={completeness_value == "false"}>{ words.with_issues_only }</option>
                    </select>
                </div>
                if props.ordered {
                    <div class="field">
                        <label for="order">{ words.order }</label>
                        <select id="order" onchange={edit(|f, v| f.oldest_first = v == "oldest")}>
                            <option value="newest" selected={!draft.oldest_first}>{ words.newest }</option>
                            <option value="oldest" selected={draft.oldest_first}>{ words.oldest }</option>
                        </select>
                    </div>
                }
                <div class="field check">
                    <input id="conflicts" type="checkbox" checked={draft.conflicts}
                        onchange={edit(|f, v| f.conflicts = v == "true")} />
                    <label for="conflicts">{ words.conflicts_only }</label>
                </div>
                if !draft.form.is_empty() {
                    <div class="choice-filters wide">
                        { for choice_filters }
                        if draft.choices.len() < MAX_CHOICE_FILTERS && !questions.is_empty() {
                            <button type="button" class="secondary" onclick={add_choice}>{ words.add_choice_filter }</button>
                        }
                    </div>
                }
                <div class="actions wide">
                    <button type="submit">{ words.apply }</button>
                    <button type="button" class="secondary" onclick={clear}>{ words.clear }</button>
                </div>
            </fieldset>
            </details>
        </form>
    }
}
