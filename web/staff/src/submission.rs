//! One submission: laid out by its form (`layout.rs`), with the engine's judgement beside
//! each question, every field's history, the conflicts to resolve, the review (status and
//! comments) and a correction of any answer outside repeats. Each change is sent at once
//! and the page is redrawn from the server's answer, judged again.

use std::rc::Rc;

use letsema_form::model::Form;
use letsema_form::runtime::Answer;
use letsema_protocol::staff::{
    AnswerRequest, FieldChange, FieldPath, FieldValue, MAX_COMMENT_CHARS, RepeatEntry,
    ResolveRequest, ReviewRequest, Session, SubmissionDetail,
};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::{Route, navigate};
use crate::dates::{now_local, when};
use crate::layout::{Block, Editor, QuestionRow, field_label, lay_out, open};
use crate::offline::{OfflineEdit, OfflineError};
use crate::offline_view::OfflineHandle;
use crate::table::STATUSES;
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct SubmissionProps {
    pub words: &'static Words,
    pub language: &'static str,
    pub session: Session,
    pub id: String,
    pub on_signed_out: Callback<()>,
    /// The offline copy, when the submission is read and changed there (`#/offline/ID`).
    pub offline: Option<OfflineHandle>,
    /// Bumped by the app after every change of the offline copy.
    pub revision: u32,
    pub on_changed: Callback<()>,
}

/// The submission and the form it was filled in with.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    detail: SubmissionDetail,
    form: Rc<Form>,
}

/// A change to send, from any part of the page.
#[derive(Debug, Clone)]
enum Change {
    Review(ReviewRequest),
    Answer(AnswerRequest),
    Resolve(ResolveRequest),
}

/// A change as the offline copy makes it; a comment checked as the server would.
fn offline_edit(change: &Change) -> Result<OfflineEdit, OfflineError> {
    Ok(match change.clone() {
        Change::Review(ReviewRequest { status, comment }) => {
            let comment = comment.map(|text| text.trim().to_owned());
            if let Some(text) = &comment
                && (text.is_empty()
                    || text.chars().count() > MAX_COMMENT_CHARS
                    || text.chars().any(|c| c.is_control() && c != '\n'))
            {
                return Err(OfflineError::Edit(format!(
                    "comment: 1 to {MAX_COMMENT_CHARS} characters, no control characters"
                )));
            }
            OfflineEdit::Review { status, comment }
        }
        Change::Answer(AnswerRequest {
            field,
            entry,
            value,
        }) => OfflineEdit::Answer {
            field,
            entry: entry.map(|entry| (entry.repeat, entry.id)),
            value,
        },
        Change::Resolve(ResolveRequest { field, value }) => OfflineEdit::Resolve { field, value },
    })
}

/// The value as people read it.
fn value_text(words: &Words, value: Option<&FieldValue>) -> String {
    match value {
        None => words.cleared.to_owned(),
        Some(FieldValue::Answer(Answer::Value(v))) if v.is_empty() => words.cleared.to_owned(),
        Some(FieldValue::Answer(Answer::Value(v))) => v.clone(),
        Some(FieldValue::Answer(Answer::Multiple(values))) => values.join(", "),
        Some(FieldValue::Answer(Answer::Repeat(entries))) => format!("[{}]", entries.len()),
        Some(FieldValue::ReviewStatus(status)) => words.status_name(*status).to_owned(),
        Some(FieldValue::Withdrawn(withdrawn)) => withdrawn.to_string(),
    }
}

#[function_component(SubmissionView)]
pub fn submission_view(props: &SubmissionProps) -> Html {
    let words = props.words;
    let loaded = use_state(|| None::<Loaded>);
    let problem = use_state(|| None::<String>);
    let notice = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let editing = use_state(|| None::<String>);
    let status_ref = use_node_ref();
    let comment_ref = use_node_ref();

    let fail = {
        let (problem, on_signed_out) = (problem.clone(), props.on_signed_out.clone());
        move |error: ApiError| {
            if let Some(message) = api::problem(error, words, &on_signed_out) {
                problem.set(Some(message));
            }
        }
    };

    {
        let (loaded, fail, problem) = (loaded.clone(), fail.clone(), problem.clone());
        let offline = props.offline.clone();
        // Offline, read again whenever the copy changes (it opens after the page does).
        let key = (
            props.id.clone(),
            if offline.is_some() { props.revision } else { 0 },
        );
        use_effect_with(key, move |(id, _)| {
            let id = id.clone();
            if let Some(offline) = offline {
                let read = offline
                    .read(|copy| copy.detail(&id).map(|detail| (copy.form(&detail), detail)));
                match read {
                    Some(Ok((Some(form), detail))) => loaded.set(Some(Loaded {
                        detail,
                        form: Rc::new(form),
                    })),
                    Some(Ok((None, _))) => problem.set(Some(words.network_problem.to_owned())),
                    Some(Err(error)) => problem.set(Some(error.to_string())),
                    // Not open yet, or busy: the next revision reads it.
                    None => {}
                }
                return;
            }
            loaded.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let detail = match api::submission(&id).await {
                    Ok(detail) => detail,
                    Err(error) => return fail(error),
                };
                match api::form(&detail.form_id, &detail.form_version).await {
                    Ok(form) => loaded.set(Some(Loaded {
                        detail,
                        form: Rc::new(form.definition),
                    })),
                    Err(error) => fail(error),
                }
            });
        });
    }

    let send = {
        let (loaded, problem, notice, busy, editing) = (
            loaded.clone(),
            problem.clone(),
            notice.clone(),
            busy.clone(),
            editing.clone(),
        );
        let csrf = props.session.csrf_token.clone();
        let id = props.id.clone();
        let fail = fail.clone();
        let (offline, on_changed) = (props.offline.clone(), props.on_changed.clone());
        Callback::from(move |change: Change| {
            let (loaded, problem, notice, busy, editing, csrf, id, fail) = (
                loaded.clone(),
                problem.clone(),
                notice.clone(),
                busy.clone(),
                editing.clone(),
                csrf.clone(),
                id.clone(),
                fail.clone(),
            );
            let (offline, on_changed) = (offline.clone(), on_changed.clone());
            busy.set(true);
            notice.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let result = match (&offline, &change) {
                    (Some(offline), change) => {
                        let edit = offline_edit(change);
                        let result = offline
                            .with(async |copy| copy.edit(&id, edit?).await)
                            .await
                            .map_err(|e| ApiError::Refused {
                                status: 0,
                                message: e.to_string(),
                            });
                        on_changed.emit(());
                        result
                    }
                    (None, Change::Review(request)) => api::review(&csrf, &id, request).await,
                    (None, Change::Answer(request)) => api::correct(&csrf, &id, request).await,
                    (None, Change::Resolve(request)) => api::resolve(&csrf, &id, request).await,
                };
                match result {
                    Ok(detail) => {
                        if let Some(current) = &*loaded {
                            loaded.set(Some(Loaded {
                                detail,
                                form: current.form.clone(),
                            }));
                        }
                        problem.set(None);
                        editing.set(None);
                        notice.set(Some(
                            if offline.is_some() {
                                words.offline_badge
                            } else {
                                words.saved
                            }
                            .to_owned(),
                        ));
                    }
                    Err(error) => fail(error),
                }
                busy.set(false);
            });
        })
    };

    let back = Callback::from(|_: MouseEvent| {
        let history = web_sys::window().and_then(|w| w.history().ok());
        match history {
            Some(history) if history.length().unwrap_or(0) > 1 => {
                let _ = history.back();
            }
            _ => navigate(&Route::Table(Default::default())),
        }
    });

    // Laid out once per submission and language, not at every redraw (busy, editing, a
    // notice): the engine compiles the form and evaluates every question.
    let page = use_memo(((*loaded).clone(), props.language), |(loaded, language)| {
        loaded.as_ref().map(|current| {
            let detail = &current.detail;
            match open(&current.form, &detail.answers, language, now_local()) {
                Ok(state) => Ok(lay_out(
                    &state,
                    &detail.history,
                    &detail.conflicts,
                    &detail.repeats,
                )),
                Err(error) => Err(error.to_string()),
            }
        })
    });

    let Some(current) = &*loaded else {
        return html! {
            <section class="submission">
                <button type="button" class="secondary" onclick={back}>{ words.back_to_table }</button>
                if let Some(problem) = &*problem {
                    <p class="problem" role="alert">{ problem.clone() }</p>
                } else {
                    <p class="loading">{ words.loading }</p>
                }
            </section>
        };
    };
    let detail = &current.detail;
    let form = &current.form;
    let label_of = |field: &FieldPath| {
        field_label(form, props.language, field).unwrap_or_else(|| match field {
            FieldPath::Answer(path) => path.name.clone(),
            FieldPath::ReviewStatus => words.status.to_owned(),
            FieldPath::Withdrawn => words.withdrawn.to_owned(),
        })
    };
    let name = detail
        .instance_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| words.unnamed.to_owned());

    let context = Context {
        words,
        detail,
        send: send.clone(),
        editing: editing.clone(),
        busy: *busy,
    };
    let blocks = match page.as_ref() {
        Some(Ok(blocks)) => {
            html! { <div class="answers">{ for blocks.iter().map(|b| context.block(b)) }</div> }
        }
        Some(Err(error)) => html! { <p class="problem" role="alert">{ error.clone() }</p> },
        None => html! {},
    };
    let conflicts = detail.conflicts.iter().map(|conflict| {
        let field = conflict.field.clone();
        let label = label_of(&field);
        let values = conflict.values.iter().map(|value| {
            let keep = {
                let (send, field, value) = (send.clone(), field.clone(), value.value.clone());
                Callback::from(move |_: MouseEvent| {
                    send.emit(Change::Resolve(ResolveRequest { field: field.clone(), value: value.clone() }));
                })
            };
            html! {
                <li>
                    <strong>{ value_text(words, Some(&value.value)) }</strong>
                    { format!(" — {}", words.author(value.user.as_deref(), value.device.as_deref())) }
                    if let Some(time) = value.time { { format!(", {}", when(words.code, time)) } }
                    { " " }
                    <button type="button" class="secondary" onclick={keep} disabled={*busy}>{ words.keep_this }</button>
                </li>
            }
        });
        let other_id = format!("other-{}", conflict.field.question().unwrap_or("field"));
        let other = {
            let (send, field, other_id) = (send.clone(), field.clone(), other_id.clone());
            Callback::from(move |event: SubmitEvent| {
                event.prevent_default();
                let value = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id(&other_id))
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(e).ok())
                    .map(|input| input.value())
                    .unwrap_or_default();
                if !value.trim().is_empty() {
                    send.emit(Change::Resolve(ResolveRequest {
                        field: field.clone(),
                        value: FieldValue::Answer(Answer::Value(value.trim().to_owned())),
                    }));
                }
            })
        };
        html! {
            <li class="conflict" data-testid="conflict">
                <h4>{ label }</h4>
                <ul>{ for values }</ul>
                if conflict.field.is_top_level_answer() {
                    <form class="inline" onsubmit={other}>
                        <label for={other_id.clone()}>{ words.another_value }</label>
                        <input id={other_id} type="text" maxlength="2000" />
                        <button type="submit" disabled={*busy}>{ words.use_value }</button>
                    </form>
                }
            </li>
        }
    });

    // The review: status and comment, sent together.
    let save_review = {
        let (send, status_ref, comment_ref) =
            (send.clone(), status_ref.clone(), comment_ref.clone());
        let current_status = detail.review_status;
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let status = status_ref
                .cast::<HtmlSelectElement>()
                .and_then(|s| STATUSES.iter().find(|st| st.as_str() == s.value()).copied())
                .filter(|s| *s != current_status);
            let comment = comment_ref
                .cast::<HtmlTextAreaElement>()
                .map(|t| t.value().trim().to_owned())
                .filter(|c| !c.is_empty());
            if status.is_some() || comment.is_some() {
                if let Some(area) = comment_ref.cast::<HtmlTextAreaElement>() {
                    area.set_value("");
                }
                send.emit(Change::Review(ReviewRequest { status, comment }));
            }
        })
    };

    html! {
        <article class="submission" aria-labelledby="submission-title">
            <button type="button" class="secondary" onclick={back}>{ words.back_to_table }</button>
            <h2 id="submission-title">{ name }</h2>
            if props.offline.is_some() {
                <p class="notice" data-testid="offline-badge">{ words.offline_badge }</p>
            }
            <dl class="facts">
                <dt>{ words.form }</dt><dd>{ format!("{} · {}", form.title, detail.form_version) }</dd>
                <dt>{ words.association }</dt><dd>{ detail.association.clone().unwrap_or_else(|| words.public_links.to_owned()) }</dd>
                <dt>{ words.created }</dt><dd>{ when(words.code, detail.created_at) }</dd>
                <dt>{ words.device }</dt><dd>{ detail.device.clone() }</dd>
                <dt>{ words.status }</dt><dd data-testid="review-status">{ words.status_name(detail.review_status) }</dd>
                <dt>{ words.judged }</dt>
                <dd data-testid="judgement">
                    if detail.complete { { words.complete } } else { { words.issues(detail.issues.len()) } }
                </dd>
            </dl>
            if detail.withdrawn { <p class="notice">{ words.withdrawn }</p> }
            if let Some(problem) = &*problem { <p class="problem" role="alert">{ problem.clone() }</p> }
            if let Some(notice) = &*notice { <p class="notice" role="status" data-testid="saved">{ notice.clone() }</p> }

            <div class="submission-body">
            <aside class="side">
            if !detail.conflicts.is_empty() {
                <section class="conflicts" aria-labelledby="conflicts-title">
                    <h3 id="conflicts-title">{ words.conflicts_title }</h3>
                    <ul>{ for conflicts }</ul>
                </section>
            }

            <section class="review" aria-labelledby="review-title">
                <h3 id="review-title">{ words.review }</h3>
                <form onsubmit={save_review}>
                    <label for="review-status">{ words.status }</label>
                    <select id="review-status" ref={status_ref}>
                        { for STATUSES.iter().map(|s| html! {
                            <option value={s.as_str()} selected={detail.review_status == *s}>{ words.status_name(*s) }</option>
                        }) }
                    </select>
                    <label for="review-comment">{ words.comment }</label>
                    <textarea id="review-comment" ref={comment_ref} rows="3" maxlength="2000" />
                    <button type="submit" disabled={*busy}>{ words.save_review }</button>
                </form>
                <h4>{ words.comments }</h4>
                if detail.comments.is_empty() {
                    <p>{ words.no_comments }</p>
                } else {
                    <ul class="comments" data-testid="comments">
                        { for detail.comments.iter().map(|c| html! {
                            <li key={c.id.clone()}>
                                <p>{ c.text.clone() }</p>
                                <small>{ format!("{}, {}", words.author(Some(&c.author), None), when(words.code, c.at)) }</small>
                            </li>
                        }) }
                    </ul>
                }
            </section>
            </aside>
            { blocks }
            </div>
        </article>
    }
}

/// What drawing the answers needs.
struct Context<'a> {
    words: &'static Words,
    detail: &'a SubmissionDetail,
    send: Callback<Change>,
    editing: UseStateHandle<Option<String>>,
    busy: bool,
}

impl Context<'_> {
    fn block(&self, block: &Block) -> Html {
        match block {
            Block::Question(row) => self.question(row),
            Block::Group { label, children } => html! {
                <section class="group">
                    if let Some(label) = label { <h3>{ label.clone() }</h3> }
                    { for children.iter().map(|b| self.block(b)) }
                </section>
            },
            Block::Repeat {
                name,
                label,
                entries,
                history,
            } => html! {
                <section class="repeat" key={name.clone()}>
                    <h3>{ label.clone().unwrap_or_else(|| name.clone()) }</h3>
                    <ol>
                        { for entries.iter().enumerate().map(|(i, blocks)| html! {
                            <li aria-label={format!("{} {}", self.words.instance, i + 1)}>
                                { for blocks.iter().map(|b| self.block(b)) }
                            </li>
                        }) }
                    </ol>
                    { self.history(history) }
                </section>
            },
        }
    }

    fn history(&self, indexes: &[usize]) -> Html {
        if indexes.is_empty() {
            return html! {};
        }
        let words = self.words;
        let changes: Vec<&FieldChange> = indexes
            .iter()
            .filter_map(|&i| self.detail.history.get(i))
            .collect();
        html! {
            <details class="history" data-testid="history">
                <summary>{ words.history_of(changes.len()) }</summary>
                <ol>
                    { for changes.iter().map(|change| {
                        let inside = match &change.field {
                            FieldPath::Answer(path) if !path.repeats.is_empty() => format!("{}: ", path.name),
                            _ => String::new(),
                        };
                        html! {
                            <li>
                                <span class="when">{ when(words.code, change.time) }</span>
                                { " · " }
                                <span class="who">{ words.author(change.user.as_deref(), change.device.as_deref()) }</span>
                                { " · " }
                                { inside }
                                if change.from.is_some() {
                                    <del>{ value_text(words, change.from.as_ref()) }</del>{ " → " }
                                }
                                <ins>{ value_text(words, change.to.as_ref()) }</ins>
                            </li>
                        }
                    }) }
                </ol>
            </details>
        }
    }

    fn question(&self, row: &QuestionRow) -> Html {
        let words = self.words;
        let editing = self.editing.as_deref() == Some(row.key.as_str());
        let start = {
            let (editing, key) = (self.editing.clone(), row.key.clone());
            Callback::from(move |_: MouseEvent| editing.set(Some(key.clone())))
        };
        let cancel = {
            let editing = self.editing.clone();
            Callback::from(move |_: MouseEvent| editing.set(None))
        };
        let editor = match (&row.editor, editing) {
            (Some(editor), true) => self.editor(row, editor, cancel),
            (Some(_), false) => html! {
                <button type="button" class="secondary small" onclick={start}
                    aria-label={format!("{}: {}", words.correct, row.label)} disabled={self.busy}>
                    { words.correct }
                </button>
            },
            (None, _) => html! {},
        };
        html! {
            <div class={classes!("question", row.issue.as_ref().map(|_| "has-issue"), row.conflict.map(|_| "has-conflict"))}
                key={row.key.clone()} data-testid="question" data-name={row.name.clone()}>
                <div class="label">{ row.label.clone() }</div>
                <div class="value">
                    if row.shown.is_empty() { <span class="empty">{ words.no_answer }</span> } else { { row.shown.clone() } }
                    if row.conflict.is_some() { <span class="tag conflict">{ words.conflict }</span> }
                </div>
                if let Some(issue) = &row.issue { <p class="issue">{ issue.clone() }</p> }
                { editor }
                { self.history(&row.history) }
            </div>
        }
    }

    fn editor(&self, row: &QuestionRow, editor: &Editor, cancel: Callback<MouseEvent>) -> Html {
        let words = self.words;
        let id = format!("correct-{}", row.key);
        let name = row.name.clone();
        let entry = row
            .entry
            .clone()
            .map(|(repeat, id)| RepeatEntry { repeat, id });
        let send = self.send.clone();
        let multiple = matches!(editor, Editor::Many(_));
        let input_id = id.clone();
        let onsubmit = Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let document = web_sys::window().and_then(|w| w.document());
            let value = if multiple {
                let chosen: Vec<String> = document
                    .and_then(|d| {
                        d.query_selector_all(&format!("#{input_id} input:checked"))
                            .ok()
                    })
                    .map(|list| {
                        (0..list.length())
                            .filter_map(|i| list.get(i))
                            .filter_map(|n| {
                                wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(n).ok()
                            })
                            .map(|i| i.value())
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Answer::Multiple(chosen))
            } else {
                let element = document.and_then(|d| d.get_element_by_id(&input_id));
                let text = element
                    .clone()
                    .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlInputElement>(e).ok())
                    .map(|i| i.value())
                    .or_else(|| {
                        element
                            .and_then(|e| {
                                wasm_bindgen::JsCast::dyn_into::<HtmlSelectElement>(e).ok()
                            })
                            .map(|s| s.value())
                    })
                    .unwrap_or_default();
                (!text.trim().is_empty()).then(|| Answer::Value(text.trim().to_owned()))
            };
            send.emit(Change::Answer(AnswerRequest {
                field: name.clone(),
                entry: entry.clone(),
                value,
            }));
        });
        let chosen: Vec<&str> = row.value.split_whitespace().collect();
        let control = match editor {
            Editor::Text { input_type } => html! {
                <input id={id.clone()} type={*input_type} value={row.value.clone()} maxlength="2000" />
            },
            Editor::One(choices) => html! {
                <select id={id.clone()}>
                    <option value="" selected={row.value.is_empty()}>{ words.no_answer }</option>
                    { for choices.iter().map(|c| html! {
                        <option value={c.value.clone()} selected={c.value == row.value}>{ c.label.clone() }</option>
                    }) }
                </select>
            },
            Editor::Many(choices) => html! {
                <fieldset id={id.clone()}>
                    <legend class="visually-hidden">{ row.label.clone() }</legend>
                    { for choices.iter().map(|c| {
                        let box_id = format!("{id}-{}", c.value);
                        html! {
                            <div class="check">
                                <input type="checkbox" id={box_id.clone()} value={c.value.clone()}
                                    checked={chosen.contains(&c.value.as_str())} />
                                <label for={box_id}>{ c.label.clone() }</label>
                            </div>
                        }
                    }) }
                </fieldset>
            },
        };
        html! {
            <form class="correct" {onsubmit}>
                if !multiple {
                    <label for={id.clone()}>{ format!("{}: {}", words.correct, row.label) }</label>
                }
                { control }
                <button type="submit" disabled={self.busy}>{ words.save }</button>
                <button type="button" class="secondary" onclick={cancel}>{ words.cancel }</button>
            </form>
        }
    }
}
