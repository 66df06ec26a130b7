//! The audit log on screen, for admins (`#/audit?action=&actor=`): who did what and when,
//! newest first, a page at a time (**Load older entries** asks for the entries before the
//! last shown), filtered by action and by actor. Anyone else is told that only
//! administrators read it; the server refuses them too (403).
//!
//! The filters are applied by changing the address (see `app.rs`), so Back returns to the
//! previous filters and a reload keeps them.

use std::cell::Cell;
use std::rc::Rc;

use letsema_protocol::staff::{AuditRecord, Role, Session, StaffUser};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::app::{Route, navigate};
use crate::audit::{Actor, AuditFilters, offered_actions};
use crate::dates::{local_offset, moment};
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct AuditProps {
    pub words: &'static Words,
    pub session: Session,
    /// The filters applied (those in the address).
    pub filters: AuditFilters,
    pub on_signed_out: Callback<()>,
}

/// Why the entries could not be shown.
#[derive(Debug, Clone, PartialEq)]
enum Problem {
    /// The server says this account may not read the log (403), in its words.
    Forbidden(String),
    /// The network, or any other refusal, in the server's words.
    Failed(String),
}

/// The entries shown and what is known about older ones.
#[derive(Debug, Clone, PartialEq, Default)]
struct Entries {
    entries: Vec<AuditRecord>,
    /// The cursor of the next (older) page; none: the oldest entry is shown.
    next: Option<String>,
    loading: bool,
    problem: Option<Problem>,
}

/// Asks for the newest page (`before`: none) or the page before `before`, and shows it. A
/// newer request (new filters) makes an older one's answer be dropped: `generation` counts
/// them, so that a slow first page never lands under filters changed since.
fn load(
    filters: AuditFilters,
    before: Option<String>,
    shown: UseStateHandle<Entries>,
    generation: Rc<Cell<u32>>,
    words: &'static Words,
    on_signed_out: Callback<()>,
) {
    let mut loading = (*shown).clone();
    loading.loading = true;
    loading.problem = None;
    if before.is_none() {
        loading.entries.clear();
        loading.next = None;
    }
    let mut kept = loading.clone();
    shown.set(loading);
    let mine = generation.get().wrapping_add(1);
    generation.set(mine);
    wasm_bindgen_futures::spawn_local(async move {
        let answer = api::audit(&filters.query(before.as_deref())).await;
        if generation.get() != mine {
            return;
        }
        kept.loading = false;
        match answer {
            Ok(page) => {
                kept.entries.extend(page.entries);
                kept.next = page.next;
            }
            Err(ApiError::Refused {
                status: 403,
                message,
            }) => kept.problem = Some(Problem::Forbidden(message)),
            Err(error) => {
                kept.problem = api::problem(error, words, &on_signed_out).map(Problem::Failed);
            }
        }
        shown.set(kept);
    });
}

#[function_component(AuditLog)]
pub fn audit_log(props: &AuditProps) -> Html {
    let words = props.words;
    let admin = props.session.user.role == Role::Admin;
    let shown = use_state(Entries::default);
    let generation: Rc<Cell<u32>> = use_memo((), |()| Cell::new(0));
    let draft = use_state(|| props.filters.clone());
    let users = use_state(Vec::<StaffUser>::new);

    {
        let (shown, draft, generation) = (shown.clone(), draft.clone(), generation.clone());
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with((props.filters.clone(), admin), move |(filters, admin)| {
            draft.set(filters.clone());
            if *admin {
                load(
                    filters.clone(),
                    None,
                    shown,
                    generation,
                    words,
                    on_signed_out,
                );
            }
        });
    }
    // Accounts by name: the log names people by id only.
    {
        let users = users.clone();
        use_effect_with(admin, move |admin| {
            if *admin {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(list) = api::users().await {
                        users.set(list);
                    }
                });
            }
        });
    }

    let back = html! {
        <a href={Route::Table(Default::default()).hash()}>{ words.back_to_table }</a>
    };
    if !admin {
        return html! {
            <section class="audit" aria-labelledby="audit-title">
                <h2 id="audit-title">{ words.audit_title }</h2>
                <p class="notice" data-testid="audit-admins-only">{ words.audit_admins_only }</p>
                { back }
            </section>
        };
    }

    // The action applies at once; the actor when the form is sent (Enter, or the button).
    let on_action = {
        let draft = draft.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            navigate(&Route::Audit(AuditFilters {
                action: select.value(),
                ..(*draft).clone()
            }));
        })
    };
    let on_actor = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            draft.set(AuditFilters {
                actor: input.value(),
                ..(*draft).clone()
            });
        })
    };
    // Applying the filters shown again reloads from the newest (entries written since).
    let apply = {
        let (draft, shown, generation) = (draft.clone(), shown.clone(), generation.clone());
        let (filters, on_signed_out) = (props.filters.clone(), props.on_signed_out.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let wanted = AuditFilters::from_query(&draft.hash());
            if wanted == filters {
                load(
                    wanted,
                    None,
                    shown.clone(),
                    generation.clone(),
                    words,
                    on_signed_out.clone(),
                );
            } else {
                navigate(&Route::Audit(wanted));
            }
        })
    };
    let clear = {
        let draft = draft.clone();
        Callback::from(move |_: MouseEvent| {
            draft.set(AuditFilters::default());
            navigate(&Route::Audit(AuditFilters::default()));
        })
    };
    let older = {
        let (shown, generation) = (shown.clone(), generation.clone());
        let (filters, on_signed_out) = (props.filters.clone(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            if shown.loading || shown.next.is_none() {
                return;
            }
            load(
                filters.clone(),
                shown.next.clone(),
                shown.clone(),
                generation.clone(),
                words,
                on_signed_out.clone(),
            );
        })
    };
    // Tries the request that failed again: the newest page, or the older one asked for.
    let retry = {
        let (shown, generation) = (shown.clone(), generation.clone());
        let (filters, on_signed_out) = (props.filters.clone(), props.on_signed_out.clone());
        Callback::from(move |_: MouseEvent| {
            let before = if shown.entries.is_empty() {
                None
            } else {
                shown.next.clone()
            };
            load(
                filters.clone(),
                before,
                shown.clone(),
                generation.clone(),
                words,
                on_signed_out.clone(),
            );
        })
    };

    let filters = &props.filters;
    let actions = offered_actions(
        shown
            .entries
            .iter()
            .map(|entry| entry.action.as_str())
            .chain([filters.action.as_str()]),
    );
    let only = |filters: AuditFilters| Route::Audit(filters).hash();
    let name_of = |id: i64| {
        users
            .iter()
            .find(|user| user.id == id)
            .map(|user| user.display_name.clone())
    };
    let body = shown.entries.iter().map(|entry| {
        let who = match Actor::parse(&entry.actor) {
            Actor::User(id) => name_of(id),
            Actor::Cli => Some(words.audit_cli.to_owned()),
            Actor::Device(_) => Some(words.audit_device.to_owned()),
            Actor::Other(_) => None,
        };
        let actor_link = only(AuditFilters {
            actor: entry.actor.clone(),
            ..filters.clone()
        });
        let action_link = only(AuditFilters {
            action: entry.action.clone(),
            ..filters.clone()
        });
        let local = moment(words.code, &entry.at).unwrap_or_else(|| entry.at.clone());
        html! {
            <tr key={entry.id} data-testid="audit-row">
                <td class="when">
                    <time datetime={entry.at.clone()} title={format!("{} (UTC)", entry.at)}>{ local }</time>
                </td>
                <td>
                    if let Some(who) = who { <span class="said">{ who }</span> }
                    <a href={actor_link} data-testid="audit-actor">
                        <span class="visually-hidden">{ format!("{} ", words.audit_only) }</span>
                        <code>{ entry.actor.clone() }</code>
                    </a>
                </td>
                <td>
                    if let Some(name) = words.audit_action_name(&entry.action) {
                        <span class="said">{ name }</span>
                    }
                    <a href={action_link} data-testid="audit-action">
                        <span class="visually-hidden">{ format!("{} ", words.audit_only) }</span>
                        <code>{ entry.action.clone() }</code>
                    </a>
                </td>
                <td class="detail">{ entry.detail.clone() }</td>
                <td class="address">
                    { match &entry.address {
                        Some(address) => html! { <code>{ address.clone() }</code> },
                        None => html! {
                            <>
                                <span aria-hidden="true">{ "—" }</span>
                                <span class="visually-hidden">{ words.audit_none }</span>
                            </>
                        },
                    } }
                </td>
            </tr>
        }
    });

    html! {
        <section class="audit" aria-labelledby="audit-title">
            <h2 id="audit-title">{ words.audit_title }</h2>
            <p class="hint">{ words.audit_intro }</p>
            <form class="filters audit-filters" onsubmit={apply} role="search">
                <fieldset>
                    <legend class="visually-hidden">{ words.filters }</legend>
                    <div class="field">
                        <label for="audit-action">{ words.audit_action }</label>
                        <select id="audit-action" onchange={on_action}>
                            <option value="" selected={filters.action.is_empty()}>{ words.audit_all_actions }</option>
                            { for actions.iter().map(|action| html! {
                                <option value={action.to_string()} selected={filters.action == *action}>
                                    { match words.audit_action_name(action) {
                                        Some(name) => format!("{name} ({action})"),
                                        None => (*action).to_owned(),
                                    } }
                                </option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="audit-actor">{ words.audit_actor }</label>
                        <input id="audit-actor" type="search" list="audit-actors" value={draft.actor.clone()}
                            oninput={on_actor} maxlength="128" autocomplete="off" spellcheck="false"
                            aria-describedby="audit-actor-hint" />
                        <datalist id="audit-actors">
                            { for users.iter().map(|user| html! {
                                <option value={format!("user:{}", user.id)}>{ user.display_name.clone() }</option>
                            }) }
                            <option value="cli">{ words.audit_cli }</option>
                        </datalist>
                        <small id="audit-actor-hint">{ words.audit_actor_hint }</small>
                    </div>
                    <div class="actions wide">
                        <button type="submit">{ words.apply }</button>
                        <button type="button" class="secondary" onclick={clear}>{ words.clear }</button>
                    </div>
                </fieldset>
            </form>

            if let Some(problem) = &shown.problem {
                <div class="problem-box" role="alert" data-testid="audit-problem">
                    { match problem {
                        Problem::Forbidden(message) => html! {
                            <p class="problem">{ format!("{} {message}", words.audit_admins_only) }</p>
                        },
                        Problem::Failed(message) => html! {
                            <>
                                <p class="problem">{ format!("{} {message}", words.audit_failed) }</p>
                                <button type="button" onclick={retry}>{ words.audit_retry }</button>
                            </>
                        },
                    } }
                </div>
            }
            // The order and the time zone, above the box rather than as the table's caption:
            // a caption is as wide as the table, which scrolls sideways on a phone.
            <p class="hint" id="audit-caption">{ words.audit_caption(&local_offset()) }</p>
            <div class="table-scroll" role="region" aria-labelledby="audit-title" tabindex="0">
                <table class="audit-log" aria-labelledby="audit-title" aria-describedby="audit-caption"
                    aria-busy={shown.loading.to_string()}>
                    <thead>
                        <tr>
                            <th scope="col">{ words.audit_time }</th>
                            <th scope="col">{ words.audit_who }</th>
                            <th scope="col">{ words.audit_action }</th>
                            <th scope="col">{ words.audit_detail }</th>
                            <th scope="col">{ words.audit_address }</th>
                        </tr>
                    </thead>
                    <tbody>{ for body }</tbody>
                </table>
            </div>
            <p class="shown" role="status" data-testid="audit-status">
                if shown.loading { { words.loading } }
                else if shown.entries.is_empty() && shown.problem.is_none() { { words.audit_no_entries } }
                else { { words.shown(shown.entries.len(), shown.next.is_some()) } }
            </p>
            // Kept while the older page loads, so that the focus stays on it.
            if shown.next.is_some() {
                <button type="button" class="secondary" onclick={older}
                    aria-disabled={shown.loading.to_string()} data-testid="audit-older">
                    { if shown.loading { words.loading } else { words.audit_older } }
                </button>
            }
            <p>{ back }</p>
        </section>
    }
}
