//! An enrolled device's workspace: its forms, its drafts, what waits to be sent, and the
//! sync that runs in the background whichever screen is open.
//!
//! - On start: the storage opens (or the app says plainly why it cannot work offline),
//!   persistent storage is requested, the enrolment is copied into it, the device's forms
//!   are fetched when the network allows and kept for offline use (a form that cannot be
//!   kept is said, with what to do).
//! - Sync: a round at start, when the browser comes back online, after each finalised
//!   submission, on "Sync now", and on the [`SyncSchedule`]'s timer.
//!
//! The state is one reducer ([`state`]); [`Workspace`] runs the effects (opening the
//! storage, the sync loop) and sends what happens to it; the cards ([`cards`]) are views.

mod cards;
pub mod state;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo_events::EventListener;
use letsema_ids::ReviewStatus;
use letsema_protocol::{DeviceForm, DeviceForms, Enrolled};
use letsema_web_shared::messages::{FillKind, SyncOutcome, SyncRequest};
use letsema_web_shared::storage::{Storage, estimate, persist, persisted};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use self::cards::{
    DraftList, Home, PhonePage, Problems, StorageCard, SubmissionList, SurveyStart, SyncDetail,
    Thanks,
};
pub use self::cards::{PhoneStatus, SyncLine};
use self::state::{
    Action, BackupMessage, DraftItem, FormsError, Notice, Overview, Screen, WorkspaceState,
};
use crate::bridge;
use crate::capture::{Filler, FillerDone, page_writer, random_bytes, start_draft};
use crate::enrol;
use crate::schedule::SyncSchedule;
use crate::words::AppWords;

/// The properties of [`Workspace`].
#[derive(Debug, Properties, PartialEq)]
pub struct WorkspaceProps {
    /// The device's enrolment.
    pub enrolled: Enrolled,
    /// The language chosen for the app's words and the forms' labels, by code (`en`, `st`).
    #[prop_or("en")]
    pub language: &'static str,
    /// What the app knows of the phone and the server, for this phone's page.
    pub status: PhoneStatus,
}

/// How many of the latest submissions the list shows.
const SENT_SHOWN: usize = 50;

/// Reads what the list shows again: this module's reads, then the documents' module's.
#[derive(Clone)]
struct Refresh {
    dispatch: UseReducerDispatcher<WorkspaceState>,
    /// The connection the lists read through, replaced when the browser closes it under
    /// the page.
    connection: Rc<RefCell<Option<Storage>>>,
}

impl Refresh {
    fn run(&self, store: Storage) {
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // The latest connection, or a new one when the browser closed it under the
            // page: read through a closed one, every list came back empty (no forms to
            // start, no drafts) until the page was reloaded.
            let latest = this.connection.borrow().clone().unwrap_or(store);
            match latest.reopened().await {
                Ok(live) => {
                    *this.connection.borrow_mut() = Some(live.clone());
                    this.dispatch.dispatch(Action::StorageProblem(None));
                    // The screens' part first, the documents' when their module has
                    // answered.
                    this.dispatch
                        .dispatch(Action::Read(read_overview(&live).await));
                }
                Err(error) => this
                    .dispatch
                    .dispatch(Action::StorageProblem(Some(error.to_string()))),
            }
            let documents = bridge::overview(SENT_SHOWN)
                .await
                .map_err(|error| error.to_string());
            this.dispatch.dispatch(Action::Documents(Some(documents)));
        });
    }
}

/// The enrolled device's workspace. See the [module documentation](self).
#[function_component(Workspace)]
pub fn workspace(props: &WorkspaceProps) -> Html {
    let state = use_reducer(WorkspaceState::default);
    let connection = use_mut_ref(|| None::<Storage>);
    let words = AppWords::for_language(Some(props.language));
    let language = Some(props.language.to_owned());
    let session = use_memo((), |()| random_bytes::<16>());
    let wake = use_memo((), |()| Rc::new(Cell::new(true)));
    let refresh = Refresh {
        dispatch: state.dispatcher(),
        connection,
    };
    // The documents' module: loading it starts once the first screen is drawn.
    use_effect_with((), |()| bridge::preload());

    // Open the storage once.
    {
        let dispatch = state.dispatcher();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                let opened = Storage::open_default().await;
                if let Ok(opened) = &opened {
                    enrol::copy_into(opened).await;
                }
                dispatch.dispatch(Action::StorageOpened(
                    opened.map_err(|error| error.to_string()),
                ));
            });
        });
    }

    // Once open: ask to persist, fetch the forms, and sync on a schedule until unmounted.
    {
        let store = match &state.storage {
            Some(Ok(store)) => Some(store.clone()),
            _ => None,
        };
        let enrolled = props.enrolled.clone();
        let dispatch = state.dispatcher();
        let wake = (*wake).clone();
        let session = *session;
        let refresh = refresh.clone();
        use_effect_with(store.is_some(), move |_| {
            let alive = Rc::new(Cell::new(true));
            let mut listener = None;
            if let Some(store) = store {
                let alive_loop = alive.clone();
                let wake_online = wake.clone();
                listener = web_sys::window().map(|window| {
                    EventListener::new(&window, "online", move |_| wake_online.set(true))
                });
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = persist().await;
                    let kept = fetch_forms(&store, &enrolled).await;
                    dispatch.dispatch(Action::FormsProblem(
                        kept.err().map(|error| error.to_string()),
                    ));
                    refresh.run(store.clone());
                    let mut schedule = SyncSchedule::new();
                    let mut waited_ms: u64 = 0;
                    while alive_loop.get() {
                        let due = waited_ms >= schedule.next_delay().as_millis() as u64;
                        if wake.replace(false) || due {
                            dispatch.dispatch(Action::RoundStarted);
                            let outcome = round(&enrolled, &session).await;
                            let failure = match &outcome {
                                SyncOutcome::Failed(why) | SyncOutcome::Revoked(why) => {
                                    Some(why.clone())
                                }
                                SyncOutcome::Done { .. }
                                | SyncOutcome::Unreachable
                                | SyncOutcome::Busy(_) => None,
                            };
                            schedule.record(&outcome, js_sys::Math::random());
                            let busy = matches!(outcome, SyncOutcome::Busy(_))
                                .then(|| schedule.next_delay());
                            dispatch.dispatch(Action::RoundEnded { failure, busy });
                            refresh.run(store.clone());
                            waited_ms = 0;
                        }
                        letsema_web_shared::sleep_ms(1_000).await;
                        waited_ms += 1_000;
                    }
                });
            }
            move || {
                alive.set(false);
                drop(listener);
            }
        });
    }

    let store = match &state.storage {
        None => return html! { <p class="loading">{ words.opening_storage }</p> },
        Some(Err(why)) => {
            return html! {
                <section class="card problem" role="alert" data-testid="storage-refused">
                    <h2>{ words.storage_refused_title }</h2>
                    <p>{ why.clone() }</p>
                    <p>{ words.storage_refused_advice }</p>
                </section>
            };
        }
        Some(Ok(store)) => store.clone(),
    };
    let writer = page_writer(&props.enrolled, &session);

    let public = props.enrolled.device.public;
    if let Screen::Filling { id, form, kind } = &state.screen {
        let on_done = {
            let dispatch = state.dispatcher();
            let wake = (*wake).clone();
            let refresh = refresh.clone();
            let store = store.clone();
            let kind = *kind;
            Callback::from(move |done: FillerDone| {
                if let FillerDone::Finalised(_) = done {
                    wake.set(true);
                }
                // What was read before is out of date (a submission was just finalised or
                // corrected): say "looking" rather than "everything is sent" until the
                // refresh has answered.
                dispatch.dispatch(Action::Documents(None));
                refresh.run(store.clone());
                dispatch.dispatch(match (done, kind) {
                    (FillerDone::Back, _) => Action::Show(Screen::Home),
                    (FillerDone::Finalised(_), _) if public => Action::Show(Screen::Thanks),
                    (FillerDone::Finalised(_), FillKind::Draft) => Action::Done(Notice::Finalised),
                    (FillerDone::Finalised(_), FillKind::Correction) => {
                        Action::Done(Notice::Corrected)
                    }
                });
            })
        };
        return html! {
            <Filler id={*id} form={(**form).clone()} kind={*kind}
                writer={writer} language={language} on_done={on_done} />
        };
    }

    let sync_now = {
        let wake = (*wake).clone();
        Callback::from(move |_| wake.set(true))
    };
    let start = {
        let enrolled = props.enrolled.clone();
        let writer = writer.clone();
        let language = language.clone();
        let dispatch = state.dispatcher();
        Callback::from(move |form: DeviceForm| {
            let (enrolled, writer, language, dispatch) = (
                enrolled.clone(),
                writer.clone(),
                language.clone(),
                dispatch.clone(),
            );
            wasm_bindgen_futures::spawn_local(async move {
                match start_draft(&form, &enrolled, writer, language.as_deref()).await {
                    Ok(id) => dispatch.dispatch(Action::Show(Screen::Filling {
                        id,
                        form: Box::new(form),
                        kind: FillKind::Draft,
                    })),
                    Err(why) => dispatch.dispatch(Action::StartFailed(why.to_string())),
                }
            });
        })
    };
    let fill = {
        let dispatch = state.dispatcher();
        Callback::from(move |(id, form, kind): (_, DeviceForm, FillKind)| {
            dispatch.dispatch(Action::Show(Screen::Filling {
                id,
                form: Box::new(form),
                kind,
            }));
        })
    };
    let show = {
        let dispatch = state.dispatcher();
        Callback::from(move |screen: Screen| dispatch.dispatch(Action::Show(screen)))
    };
    let search = {
        let dispatch = state.dispatcher();
        Callback::from(move |text: String| dispatch.dispatch(Action::Search(text)))
    };

    let view = &state.overview;
    let documents = match state.documents.as_deref() {
        Some(Ok(documents)) => Some(documents),
        _ => None,
    };
    let sent = documents.map_or(&[][..], |documents| documents.sent.as_slice());
    let last_error = state
        .round_failure
        .as_deref()
        .or(view.last_error.as_deref());
    let line = SyncLine::of(
        state.syncing,
        props.status.online,
        documents.map(|documents| documents.unsynced),
        documents.map_or(0, |documents| documents.finalised),
        last_error.is_some(),
        state.busy.is_some(),
    );
    let detail = SyncDetail {
        words,
        last_success_ms: view.last_success_ms,
        busy: state.busy,
        last_error,
        on_sync_now: sync_now,
    };
    let problems = Problems {
        documents: match state.documents.as_deref() {
            Some(Err(why)) => Some(why.as_str()),
            _ => None,
        },
        start: state.start_problem.as_deref(),
        storage: state.storage_problem.as_deref(),
        forms: state.forms_problem.as_deref(),
    };

    if public {
        // A survey taker: the link's one form, no workspace around it.
        let form = view.forms.first();
        let draft = form.and_then(|form| {
            view.drafts
                .iter()
                .find(|draft| draft.form_id == form.form_id)
        });
        return match state.screen {
            Screen::Thanks => Thanks {
                words,
                form,
                line,
                on_start: &start,
            }
            .view(),
            _ => SurveyStart {
                words,
                form,
                draft,
                line,
                problems,
                on_start: &start,
                on_open: &fill,
            }
            .view(),
        };
    }

    match state.screen {
        Screen::Drafts => DraftList {
            words,
            drafts: &view.drafts,
            forms: &view.forms,
            search: &state.search,
            on_open: &fill,
            on_show: &show,
            on_search: &search,
        }
        .view(),
        Screen::Submissions => SubmissionList {
            words,
            sent,
            forms: &view.forms,
            search: &state.search,
            on_correct: &fill,
            on_show: &show,
            on_search: &search,
        }
        .view(),
        Screen::Phone => {
            let storage = StorageCard {
                words,
                persisted: view.persisted,
                usage: view.usage,
                backup_message: state.backup_message.as_ref(),
                on_export: export_backup(state.dispatcher()),
                on_import: import_backup(state.dispatcher(), store, refresh, (*wake).clone()),
            };
            PhonePage {
                words,
                status: &props.status,
                association: props.enrolled.device.display_association(),
                line,
                detail,
                storage,
                on_show: &show,
            }
            .view()
        }
        Screen::Home | Screen::Thanks | Screen::Filling { .. } => Home {
            words,
            line,
            detail,
            problems,
            notice: state.notice,
            oldest_unsynced_ms: documents.and_then(|documents| documents.oldest_unsynced_ms),
            forms: &view.forms,
            drafts: view.drafts.len(),
            waiting: documents.map(|documents| documents.unsynced),
            sent: documents.map(|documents| documents.finalised.saturating_sub(documents.unsynced)),
            returned: sent
                .iter()
                .filter(|item| item.status == Some(ReviewStatus::HasIssues))
                .count(),
            on_start: &start,
            on_show: &show,
        }
        .view(),
    }
}

/// "Save a backup file": the documents' module makes it, the browser downloads it.
fn export_backup(dispatch: UseReducerDispatcher<WorkspaceState>) -> Callback<MouseEvent> {
    Callback::from(move |_| {
        let dispatch = dispatch.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let message = match bridge::export_backup().await {
                Ok(bytes) => match download(&bytes, &backup_name()) {
                    Ok(()) => BackupMessage::Saved,
                    Err(()) => BackupMessage::NotSaved,
                },
                Err(error) => BackupMessage::NotMade(error.to_string()),
            };
            dispatch.dispatch(Action::Backup(message));
        });
    })
}

/// A backup file chosen: the documents' module merges it in, then a sync round sends what
/// it brought.
fn import_backup(
    dispatch: UseReducerDispatcher<WorkspaceState>,
    store: Storage,
    refresh: Refresh,
    wake: Rc<Cell<bool>>,
) -> Callback<web_sys::File> {
    Callback::from(move |file: web_sys::File| {
        let store = store.clone();
        let dispatch = dispatch.clone();
        let refresh = refresh.clone();
        let wake = wake.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let read = JsFuture::from(file.array_buffer()).await;
            let message = match read {
                Ok(buffer) => {
                    let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                    match bridge::import_backup(&bytes).await {
                        Ok(report) => BackupMessage::Restored(report),
                        Err(error) => BackupMessage::RestoreFailed(error.to_string()),
                    }
                }
                Err(_) => BackupMessage::Unreadable,
            };
            dispatch.dispatch(Action::Backup(message));
            wake.set(true);
            refresh.run(store);
        });
    })
}

/// One sync round as this device (in the documents' module, which records its outcome).
async fn round(enrolled: &Enrolled, session: &[u8; 16]) -> SyncOutcome {
    bridge::sync(&SyncRequest {
        credential: enrolled.credential.clone(),
        replaced: enrolled.replaced,
        writer: page_writer(enrolled, session),
    })
    .await
}

/// Downloads the device's forms and keeps them. Offline, or when the server does not
/// answer with them, the kept ones stay (and the sync says what is wrong with the
/// server); a list that does not read or cannot be stored is an error, shown.
///
/// # Errors
///
/// [`FormsError`]: the list did not read, or the browser would not store it.
async fn fetch_forms(store: &Storage, enrolled: &Enrolled) -> Result<(), FormsError> {
    let response = gloo_net::http::Request::get("/api/device/forms")
        .header("authorization", &format!("Bearer {}", enrolled.credential))
        .send()
        .await;
    let Ok(response) = response else {
        return Ok(());
    };
    if !response.ok() {
        return Ok(());
    }
    let forms = response
        .json::<DeviceForms>()
        .await
        .map_err(|error| FormsError::Unreadable(error.to_string()))?;
    store.put_forms(&forms.forms).await?;
    Ok(())
}

/// What the list screen shows from this module's own reads (the documents' module adds
/// what waits to be sent).
async fn read_overview(store: &Storage) -> Overview {
    let status = store.sync_status().await.unwrap_or_default();
    Overview {
        forms: store.forms().await.unwrap_or_default(),
        drafts: store
            .drafts()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(DraftItem::from)
            .collect(),
        last_success_ms: status.last_success_ms,
        last_error: status.last_error,
        persisted: persisted().await,
        usage: estimate().await,
    }
}

/// The name of a backup file made now.
fn backup_name() -> String {
    let iso = String::from(js_sys::Date::new_0().to_iso_string());
    format!("letsema-backup-{}.json", iso.get(..10).unwrap_or("today"))
}

/// Offers `bytes` to the person as a file download named `name`; `Err` when the browser
/// would not.
fn download(bytes: &[u8], name: &str) -> Result<(), ()> {
    let failed = |_| ();
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or(())?;
    let anchor: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(failed)?
        .unchecked_into();
    anchor.set_href(&url);
    anchor.set_download(name);
    anchor.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
