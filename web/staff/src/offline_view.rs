//! The offline copy on screen: the panel above the table (take an association offline, or
//! what the copy holds and **Send changes**) and the copy's own list of submissions, which
//! works with no network.

use std::cell::RefCell;
use std::rc::Rc;

use letsema_protocol::staff::Session;
use yew::prelude::*;

use crate::api;
use crate::app::Route;
use crate::dates::when;
use crate::offline::{CopyInfo, OfflineCopy, OfflineError};
use crate::table::STATUSES;
use crate::words::Words;

/// The open copy, shared by the screens. Taken out of the cell while an operation awaits, so
/// that two never run at once (a second finds it busy).
#[derive(Clone, Default)]
pub struct OfflineHandle(pub Rc<RefCell<Option<OfflineCopy>>>);

impl PartialEq for OfflineHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for OfflineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OfflineHandle")
    }
}

impl OfflineHandle {
    /// Runs `work` with the copy taken out, and puts it back.
    pub async fn with<T>(
        &self,
        work: impl AsyncFnOnce(&mut OfflineCopy) -> Result<T, OfflineError>,
    ) -> Result<T, OfflineError> {
        let taken = self.0.borrow_mut().take();
        let Some(mut copy) = taken else {
            return Err(OfflineError::Busy);
        };
        let result = work(&mut copy).await;
        *self.0.borrow_mut() = Some(copy);
        result
    }

    /// Reads the copy, if it is open and idle.
    pub fn read<T>(&self, read: impl FnOnce(&OfflineCopy) -> T) -> Option<T> {
        self.0.borrow().as_ref().map(read)
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct PanelProps {
    pub words: &'static Words,
    pub session: Session,
    pub offline: OfflineHandle,
    /// Bumped by the app after every change of the copy, to redraw.
    pub revision: u32,
    pub on_changed: Callback<()>,
    /// The association the table is filtered by (the one that can be taken offline).
    pub association: String,
}

/// Above the table: what the copy holds and **Send changes**, or **Take offline**.
#[function_component(OfflinePanel)]
pub fn offline_panel(props: &PanelProps) -> Html {
    let words = props.words;
    let busy = use_state(|| false);
    let message = use_state(|| None::<String>);
    let held = props
        .offline
        .read(|copy| (copy.info.association.clone(), copy.len(), copy.waiting()));
    let stored = CopyInfo::stored(props.session.user.id).is_some();

    let take = {
        let (busy, message, offline, on_changed) = (
            busy.clone(),
            message.clone(),
            props.offline.clone(),
            props.on_changed.clone(),
        );
        let (session, association) = (props.session.clone(), props.association.clone());
        Callback::from(move |_: MouseEvent| {
            let (busy, message, offline, on_changed, session, association) = (
                busy.clone(),
                message.clone(),
                offline.clone(),
                on_changed.clone(),
                session.clone(),
                association.clone(),
            );
            busy.set(true);
            message.set(Some(words.taking_offline.to_owned()));
            wasm_bindgen_futures::spawn_local(async move {
                // A copy open now is sent and replaced.
                let open = offline.0.borrow_mut().take();
                match OfflineCopy::take(&session, &association, open).await {
                    Ok(copy) => {
                        message.set(Some(words.taken_offline(copy.len())));
                        *offline.0.borrow_mut() = Some(copy);
                    }
                    Err(error) => message.set(Some(error.to_string())),
                }
                busy.set(false);
                on_changed.emit(());
            });
        })
    };
    let send = send_callback(props, busy.clone(), message.clone());

    html! {
        <section class="offline-panel" aria-labelledby="offline-title" data-testid="offline-panel">
            <h3 id="offline-title">{ words.offline_title }</h3>
            if let Some((association, count, waiting)) = &held {
                <p data-testid="offline-summary">{ words.offline_summary(association, *count, *waiting) }</p>
                <div class="actions">
                    <a href={Route::Offline.hash()} class="button-link">{ words.open_offline }</a>
                    <button type="button" onclick={send} disabled={*busy}>{ words.send_changes }</button>
                </div>
            } else if stored {
                <p>{ words.loading }</p>
            } else {
                <p>{ words.offline_hint }</p>
            }
            if !props.association.is_empty() && held.as_ref().is_none_or(|(a, _, _)| *a != props.association) {
                <button type="button" class="secondary" onclick={take} disabled={*busy}>
                    { words.take_offline(&props.association) }
                </button>
            }
            if let Some(message) = &*message {
                <p role="status" data-testid="offline-message">{ message.clone() }</p>
            }
        </section>
    }
}

fn send_callback(
    props: &PanelProps,
    busy: UseStateHandle<bool>,
    message: UseStateHandle<Option<String>>,
) -> Callback<MouseEvent> {
    let words = props.words;
    let (offline, on_changed) = (props.offline.clone(), props.on_changed.clone());
    let csrf = props.session.csrf_token.clone();
    Callback::from(move |_: MouseEvent| {
        let (busy, message, offline, on_changed, csrf) = (
            busy.clone(),
            message.clone(),
            offline.clone(),
            on_changed.clone(),
            csrf.clone(),
        );
        busy.set(true);
        wasm_bindgen_futures::spawn_local(async move {
            // The session's token now: the copy may have been opened with no network, or the
            // page kept open for hours.
            let csrf = match api::session().await {
                Ok(Some(session)) => session.csrf_token,
                Ok(None) => {
                    message.set(Some(words.signed_out.to_owned()));
                    busy.set(false);
                    return;
                }
                Err(_) => csrf,
            };
            let result = offline.with(async |copy| copy.send(&csrf).await).await;
            message.set(Some(match result {
                Ok(sent) => words.sent_changes(sent.acknowledged, sent.updated),
                Err(error) => error.to_string(),
            }));
            busy.set(false);
            on_changed.emit(());
        });
    })
}

/// The copy's submissions, with no network: `#/offline`.
#[function_component(OfflineList)]
pub fn offline_list(props: &PanelProps) -> Html {
    let words = props.words;
    let busy = use_state(|| false);
    let message = use_state(|| None::<String>);
    let send = send_callback(props, busy.clone(), message.clone());
    // Every submission of the copy opened and judged: once per change of the copy, not at
    // every redraw.
    let rows = {
        let offline = props.offline.clone();
        use_memo(props.revision, move |_| {
            offline.read(|copy| (copy.info.association.clone(), copy.rows()))
        })
    };
    let body = match rows.as_ref().clone() {
        None => html! { <p class="loading">{ words.loading }</p> },
        Some((_, Err(error))) => {
            html! { <p class="problem" role="alert">{ error.to_string() }</p> }
        }
        Some((association, Ok(rows))) => html! {
            <>
                <p data-testid="offline-summary">{
                    props.offline.read(|copy| words.offline_summary(&association, copy.len(), copy.waiting())).unwrap_or_default()
                }</p>
                <table class="submissions">
                    <thead>
                        <tr>
                            <th scope="col">{ words.name }</th>
                            <th scope="col">{ words.created }</th>
                            <th scope="col">{ words.status }</th>
                            <th scope="col">{ words.judgement }</th>
                        </tr>
                    </thead>
                    <tbody>
                        { for rows.iter().map(|(row, unsent)| {
                            let name = row.instance_name.clone().filter(|n| !n.trim().is_empty())
                                .unwrap_or_else(|| words.unnamed.to_owned());
                            let status = STATUSES.iter().find(|s| s.as_str() == row.review_status)
                                .map_or_else(|| row.review_status.clone(), |s| words.status_name(*s).to_owned());
                            html! {
                                <tr key={row.id.clone()} data-testid="offline-row">
                                    <td data-label={words.name}>
                                        <a href={Route::OfflineSubmission(row.id.clone()).hash()}>{ name }</a>
                                        if *unsent { <span class="tag">{ words.not_sent }</span> }
                                    </td>
                                    <td data-label={words.created}>{ when(words.code, row.created_at) }</td>
                                    <td data-label={words.status}>{ status }</td>
                                    <td data-label={words.judgement}>
                                        if row.complete { { words.complete } } else { { words.issues(row.issues.len()) } }
                                        if row.conflicts > 0 { <span class="tag conflict">{ words.conflicts(row.conflicts) }</span> }
                                    </td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            </>
        },
    };
    html! {
        <section class="offline" aria-labelledby="offline-list-title">
            <a href={Route::Table(Default::default()).hash()}>{ words.back_to_table }</a>
            <h2 id="offline-list-title">{ words.offline_title }</h2>
            <div class="actions">
                <button type="button" onclick={send} disabled={*busy}>{ words.send_changes }</button>
            </div>
            if let Some(message) = &*message {
                <p role="status" data-testid="offline-message">{ message.clone() }</p>
            }
            { body }
        </section>
    }
}
