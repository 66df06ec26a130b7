//! People registered twice, on screen:
//!
//! - `#/duplicates?status=open|different|merged`: the candidate pairs the server found as
//!   registrations arrived, newest first, each with its reasons and score, and a link to
//!   compare them (**Load more** for the next page);
//! - `#/duplicates/compare/A/B` (or `/A/B/C`: a person whose pairs join three registrations,
//!   **Compare all three** in the list): the registrations side by side, question by
//!   question, laid out by their form. The reviewer picks the registration to keep and,
//!   where the answers differ, which value it keeps; then **Merge** (the others become its
//!   duplicates), or, for two, **Not the same person** (remembered, never proposed again).
//!   Merged registrations show **Undo the merge**; a pair decided different, **Propose this
//!   pair again**.
//!
//! Every decision is the server's to record (`/api/duplicates/...`); the page then shows
//! the registrations as they are after it.

use std::collections::BTreeMap;
use std::rc::Rc;

use letsema_form::model::Form;
use letsema_protocol::staff::{
    DuplicatePair, DuplicateSide, MergeRequest, PairDecision, PairDecisionRequest, Session,
    SubmissionDetail, UndoMergeRequest,
};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::dates::{now_local, when};
use crate::duplicates::{CompareRow, PairList, compare_rows, group_of, merge_request, merged_into};
use crate::layout::{lay_out, open};
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct ListProps {
    pub words: &'static Words,
    pub session: Session,
    pub list: PairList,
    pub on_signed_out: Callback<()>,
}

/// The pairs shown, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Default)]
struct Pairs {
    pairs: Vec<DuplicatePair>,
    next: Option<String>,
    loading: bool,
    problem: Option<String>,
}

fn load_pairs(
    list: PairList,
    after: Option<String>,
    shown: UseStateHandle<Pairs>,
    words: &'static Words,
    on_signed_out: Callback<()>,
) {
    let mut kept = (*shown).clone();
    if after.is_none() {
        kept.pairs.clear();
    }
    kept.loading = true;
    kept.problem = None;
    shown.set(kept.clone());
    wasm_bindgen_futures::spawn_local(async move {
        let mut query = format!("status={}&limit=50", list.name());
        if let Some(after) = &after {
            query.push_str(&format!("&after={}", api::encode(after)));
        }
        kept.loading = false;
        match api::duplicates(&query).await {
            Ok(page) => {
                kept.pairs.extend(page.pairs);
                kept.next = page.next;
            }
            Err(error) => {
                kept.problem = api::problem(error, words, &on_signed_out)
                    .map(|why| format!("{} {why}", words.dup_failed));
            }
        }
        shown.set(kept);
    });
}

/// A registration as the list names it: its name, else its id's start, with its association.
fn side_name(words: &Words, side: &DuplicateSide) -> String {
    let name = side
        .instance_name
        .clone()
        .unwrap_or_else(|| format!("{} {}…", words.unnamed, &side.id[..8.min(side.id.len())]));
    match &side.association {
        Some(association) => format!("{name} ({association})"),
        None => name,
    }
}

#[function_component(DuplicatesList)]
pub fn duplicates_list(props: &ListProps) -> Html {
    let words = props.words;
    let shown = use_state(Pairs::default);
    {
        let shown = shown.clone();
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with(props.list, move |list| {
            load_pairs(*list, None, shown, words, on_signed_out);
        });
    }
    let more = {
        let (shown, on_signed_out, list) = (shown.clone(), props.on_signed_out.clone(), props.list);
        Callback::from(move |_: MouseEvent| {
            let after = shown.next.clone();
            if after.is_some() {
                load_pairs(list, after, shown.clone(), words, on_signed_out.clone());
            }
        })
    };
    let tab = |list: PairList, label: &'static str| {
        html! {
            <a href={Route::Duplicates(list).hash()} data-testid={format!("pairs-{}", list.name())}
                aria-current={(list == props.list).then_some("page")}>{ label }</a>
        }
    };
    let rows = shown.pairs.iter().enumerate().map(|(at, pair)| {
        // The older registration on the left.
        let (left, right) = if pair.first.created_at <= pair.second.created_at {
            (&pair.first, &pair.second)
        } else {
            (&pair.second, &pair.first)
        };
        let compare = Route::Compare {
            ids: vec![left.id.clone(), right.id.clone()],
            list: props.list,
        };
        // A person registered three times: their pairs join three registrations.
        let three = (props.list == PairList::Open)
            .then(|| group_of(&shown.pairs, at))
            .flatten()
            .map(|ids| Route::Compare {
                ids,
                list: props.list,
            });
        html! {
            <tr data-testid="pair">
                <td>
                    <span class="pair-side">{ side_name(words, left) }</span>
                    <span class="pair-side">{ side_name(words, right) }</span>
                </td>
                <td data-testid="pair-reasons">{ words.reasons(&pair.reasons, &pair.explanation) }</td>
                <td class="number">{ format!("{:.1}", pair.score) }</td>
                <td>{ when(words.code, pair.found_at) }
                    if let Some(by) = &pair.decided_by {
                        <br /><span class="decided-by">{ by.clone() }</span>
                    }
                </td>
                <td>
                    <a href={compare.hash()} data-testid="compare">{ words.dup_compare }</a>
                    if let Some(three) = three {
                        <br /><a href={three.hash()} data-testid="compare-three">{ words.dup_compare_three }</a>
                    }
                </td>
            </tr>
        }
    });
    html! {
        <section class="duplicates" aria-labelledby="duplicates-title">
            <h2 id="duplicates-title">{ words.duplicates }</h2>
            <p>{ words.dup_intro }</p>
            <nav class="tabs" aria-label={words.dup_lists}>
                { tab(PairList::Open, words.dup_open) }
                { tab(PairList::Different, words.dup_different) }
                { tab(PairList::Merged, words.dup_merged) }
            </nav>
            if let Some(problem) = &shown.problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            if shown.pairs.is_empty() && !shown.loading && shown.problem.is_none() {
                <p data-testid="no-pairs">{ words.dup_none }</p>
            }
            if !shown.pairs.is_empty() {
                <div class="table-scroll" tabindex="0" role="region" aria-labelledby="duplicates-title">
                <table class="pairs">
                    <thead><tr>
                        <th scope="col">{ words.dup_registrations }</th>
                        <th scope="col">{ words.dup_reasons }</th>
                        <th scope="col">{ words.dup_score }</th>
                        <th scope="col">{ words.dup_found }</th>
                        <th scope="col"><span class="visually-hidden">{ words.dup_compare }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                </div>
            }
            if shown.loading {
                <p class="loading">{ words.loading }</p>
            }
            if shown.next.is_some() && !shown.loading {
                <button type="button" class="secondary" onclick={more}>{ words.more }</button>
            }
        </section>
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct CompareProps {
    pub words: &'static Words,
    pub language: &'static str,
    pub session: Session,
    /// The registrations compared: two or three.
    pub ids: Vec<String>,
    /// The list the pair was opened from.
    pub list: PairList,
    pub on_signed_out: Callback<()>,
}

/// The registrations compared and the form of the first.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    details: Vec<SubmissionDetail>,
    form: Rc<Form>,
}

async fn load_all(ids: &[String]) -> Result<Loaded, ApiError> {
    let mut details = Vec::with_capacity(ids.len());
    for id in ids {
        details.push(api::submission(id).await?);
    }
    let first = details.first().ok_or(ApiError::Network)?;
    let form = api::form(&first.form_id, &first.form_version).await?;
    Ok(Loaded {
        details,
        form: Rc::new(form.definition),
    })
}

/// A reviewer's change to a pair.
#[derive(Debug, Clone)]
enum Change {
    Decide(PairDecisionRequest),
    Merge(MergeRequest),
    Undo(UndoMergeRequest),
}

impl Change {
    async fn send(&self, csrf: &str) -> Result<(), ApiError> {
        match self {
            Change::Decide(request) => api::decide(csrf, request).await,
            Change::Merge(request) => api::merge(csrf, request).await,
            Change::Undo(request) => api::undo_merge(csrf, request).await,
        }
    }
}

/// What the reviewer last did, said after the page is drawn again.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Done {
    Merged,
    Different,
    Reopened,
    Undone,
}

#[function_component(ComparePair)]
pub fn compare_pair(props: &CompareProps) -> Html {
    let words = props.words;
    let loaded = use_state(|| None::<Loaded>);
    let problem = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let done = use_state(|| None::<Done>);
    let kept = use_state(|| 0_usize);
    let picked = use_state(BTreeMap::<String, usize>::new);
    let reload = use_state(|| 0_u32);

    {
        let (loaded, problem) = (loaded.clone(), problem.clone());
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with((props.ids.clone(), *reload), move |(ids, _)| {
            let ids = ids.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match load_all(&ids).await {
                    Ok(all) => loaded.set(Some(all)),
                    Err(error) => problem.set(api::problem(error, words, &on_signed_out)),
                }
            });
        });
    }

    let rows = use_memo(((*loaded).clone(), props.language), |(loaded, language)| {
        loaded.as_ref().map(|all| {
            let page = |detail: &SubmissionDetail| {
                open(&all.form, &detail.answers, language, now_local())
                    .map(|state| {
                        lay_out(&state, &detail.history, &detail.conflicts, &detail.repeats)
                    })
                    .unwrap_or_default()
            };
            let pages: Vec<_> = all.details.iter().map(page).collect();
            compare_rows(&pages, &all.details)
        })
    });

    let back = html! {
        <a href={Route::Duplicates(props.list).hash()}>{ words.dup_back }</a>
    };
    let Some(all) = &*loaded else {
        return html! {
            <section class="compare">
                { back }
                if let Some(problem) = &*problem {
                    <p class="problem" role="alert">{ problem.clone() }</p>
                } else {
                    <p class="loading">{ words.loading }</p>
                }
            </section>
        };
    };
    let rows: &[CompareRow] = rows
        .as_ref()
        .as_ref()
        .map(Vec::as_slice)
        .unwrap_or_default();

    let details = all.details.as_slice();
    // Merged already: which one was kept, and the merge to undo.
    let merged = merged_into(details);
    let pair = match details {
        [first, second] => Some((first.id.clone(), second.id.clone())),
        _ => None,
    };

    // Sends one change, then shows both registrations again.
    let act = {
        let (busy, problem, done, reload) =
            (busy.clone(), problem.clone(), done.clone(), reload.clone());
        let (csrf, on_signed_out) = (
            props.session.csrf_token.clone(),
            props.on_signed_out.clone(),
        );
        move |change: Change, what: Done| {
            let (busy, problem, done, reload) =
                (busy.clone(), problem.clone(), done.clone(), reload.clone());
            let (csrf, on_signed_out) = (csrf.clone(), on_signed_out.clone());
            busy.set(true);
            problem.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match change.send(&csrf).await {
                    Ok(()) => {
                        done.set(Some(what));
                        reload.set(reload.wrapping_add(1));
                    }
                    Err(error) => problem.set(api::problem(error, words, &on_signed_out)),
                }
                busy.set(false);
            });
        }
    };
    let decide = |(first, second): (String, String), decision: Option<PairDecision>, what: Done| {
        let act = act.clone();
        let request = PairDecisionRequest {
            first,
            second,
            decision,
        };
        Callback::from(move |_: MouseEvent| act(Change::Decide(request.clone()), what))
    };
    let on_merge = {
        let act = act.clone();
        let request = merge_request(*kept, details, rows, &picked);
        Callback::from(move |_: MouseEvent| act(Change::Merge(request.clone()), Done::Merged))
    };
    let on_undo = merged.clone().map(|(canonical, merge)| {
        let act = act.clone();
        let request = UndoMergeRequest { canonical, merge };
        Callback::from(move |_: MouseEvent| act(Change::Undo(request.clone()), Done::Undone))
    });

    let keep_side = |side: usize| {
        let (kept, picked) = (kept.clone(), picked.clone());
        Callback::from(move |_: Event| {
            kept.set(side);
            // Every field keeps the kept registration's value until picked otherwise.
            picked.set(BTreeMap::new());
        })
    };
    let pick = |name: String, side: usize| {
        let picked = picked.clone();
        Callback::from(move |_: Event| {
            let mut now = (*picked).clone();
            now.insert(name.clone(), side);
            picked.set(now);
        })
    };
    let column = |side: usize, detail: &SubmissionDetail| {
        let number = side + 1;
        let name = detail
            .instance_name
            .clone()
            .unwrap_or_else(|| words.dup_registration(number));
        html! {
            <th scope="col">
                <span class="registration-name">{ name }</span>
                <br /><small>{ detail.association.clone().unwrap_or_default() }{ " · " }{ when(words.code, detail.created_at) }</small>
                if merged.is_none() {
                    <br />
                    <label class="keep">
                        <input type="radio" name="kept" checked={*kept == side}
                            data-testid={format!("keep-{number}")} onchange={keep_side(side)} />
                        { words.dup_keep_this }
                    </label>
                }
                if let Some(of) = &detail.duplicate_of {
                    <br /><span class="badge">{ words.dup_merged_into }{ " " }{ of[..8.min(of.len())].to_owned() }{ "…" }</span>
                }
            </th>
        }
    };
    let cell = |row: &CompareRow, side: usize, text: &str| {
        let shown = if text.is_empty() {
            words.dup_no_answer.to_owned()
        } else {
            text.to_owned()
        };
        let chosen = picked.get(&row.name).copied().unwrap_or(*kept) == side;
        if row.same || merged.is_some() {
            return html! { <td>{ shown }</td> };
        }
        let number = side + 1;
        html! {
            <td class={classes!(chosen.then_some("chosen"))}>
                <label>
                    <input type="radio" name={format!("value-{}", row.name)} checked={chosen}
                        data-testid={format!("pick-{}-{number}", row.name)}
                        aria-label={words.dup_keep_from(&row.label, number)}
                        onchange={pick(row.name.clone(), side)} />
                    { shown }
                </label>
            </td>
        }
    };
    let notice = (*done).map(|what| match what {
        Done::Merged => words.dup_merged_notice,
        Done::Different => words.dup_different_notice,
        Done::Reopened => words.dup_reopened_notice,
        Done::Undone => words.dup_undone_notice,
    });
    html! {
        <section class="compare" aria-labelledby="compare-title">
            { back }
            <h2 id="compare-title">{ if details.len() == 3 { words.dup_compare_title_three } else { words.dup_compare_title } }</h2>
            if let Some(notice) = notice {
                <p class="notice" role="status" data-testid="compare-notice">{ notice }</p>
            }
            if let Some(problem) = &*problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            <div class="table-scroll" tabindex="0" role="region" aria-labelledby="compare-title">
            <table class="comparison" data-testid="comparison">
                <thead><tr>
                    <th scope="col">{ words.dup_question }</th>
                    { for details.iter().enumerate().map(|(side, detail)| column(side, detail)) }
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|row| html! {
                        <tr data-testid={format!("row-{}", row.name)} class={classes!(row.same.then_some("same"))}>
                            <th scope="row">{ row.label.clone() }
                                if row.same { <small>{ " (" }{ words.dup_same }{ ")" }</small> }
                            </th>
                            { for row.values.iter().enumerate().map(|(side, value)| cell(row, side, value)) }
                        </tr>
                    }) }
                </tbody>
            </table>
            </div>
            <div class="actions">
                if let Some(on_undo) = on_undo {
                    <button type="button" data-testid="undo-merge" disabled={*busy} onclick={on_undo}>{ words.dup_undo }</button>
                } else {
                    <button type="button" data-testid="merge" disabled={*busy} onclick={on_merge}>{ words.dup_merge }</button>
                    if let Some(pair) = pair {
                        if props.list == PairList::Different || *done == Some(Done::Different) {
                            <button type="button" class="secondary" data-testid="propose-again" disabled={*busy}
                                onclick={decide(pair, None, Done::Reopened)}>{ words.dup_propose_again }</button>
                        } else {
                            <button type="button" class="secondary" data-testid="not-same" disabled={*busy}
                                onclick={decide(pair, Some(PairDecision::Different), Done::Different)}>{ words.dup_not_same }</button>
                        }
                    }
                }
                if *busy { <span class="loading">{ words.dup_working }</span> }
            </div>
        </section>
    }
}
