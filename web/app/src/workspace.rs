//! An enrolled device's workspace: its forms, its drafts, what waits to be sent, and the
//! sync that runs in the background whichever screen is open.
//!
//! - On start: the storage opens (or the app says plainly why it cannot work offline),
//!   persistent storage is requested, the enrolment is copied into it, the device's forms
//!   are fetched when the network allows and kept for offline use.
//! - Sync: a round at start, when the browser comes back online, after each finalised
//!   submission, on "Sync now", and on the [`SyncSchedule`]'s timer.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use gloo_events::EventListener;
use letsema_ids::{DocId, ReviewStatus};
use letsema_protocol::{DeviceForm, DeviceForms, Enrolled};
use letsema_web_shared::messages::{DocumentsOverview, ImportReport, SyncOutcome, SyncRequest};
use letsema_web_shared::storage::{Draft, Storage, estimate, persist, persisted};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

use crate::bridge;
use crate::capture::{
    FillKind, Filler, FillerDone, now_ms, page_writer, random_bytes, start_draft,
};
use crate::enrol;
use crate::schedule::{SyncSchedule, about_minutes};
use crate::words::AppWords;

/// The properties of [`Workspace`].
#[derive(Debug, Properties, PartialEq)]
pub struct WorkspaceProps {
    /// The device's enrolment.
    pub enrolled: Enrolled,
    /// The language chosen for the app's words and the forms' labels, by code (`en`, `st`).
    #[prop_or("en")]
    pub language: &'static str,
}

/// What the last backup or restore came to. Kept as an outcome rather than a sentence, so
/// that it is said in the language chosen when it is shown.
#[derive(Debug, Clone, PartialEq)]
enum BackupMessage {
    Saved,
    NotSaved,
    NotMade(String),
    Restored(ImportReport),
    /// The documents' module's own words (in English).
    RestoreFailed(String),
    Unreadable,
}

impl BackupMessage {
    fn describe(&self, words: &AppWords) -> String {
        match self {
            BackupMessage::Saved => words.backup_saved.to_owned(),
            BackupMessage::NotSaved => words.backup_not_saved.to_owned(),
            BackupMessage::NotMade(why) => (words.backup_not_made)(why),
            BackupMessage::Restored(report) => (words.restored)(report),
            BackupMessage::RestoreFailed(why) => why.clone(),
            BackupMessage::Unreadable => words.file_unreadable.to_owned(),
        }
    }
}

/// What the workspace shows.
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    List,
    Filling {
        id: DocId,
        form: Box<DeviceForm>,
        kind: FillKind,
    },
}

/// How many of the latest submissions the list shows.
const SENT_SHOWN: usize = 50;

/// What is known of the storage and the sync, for the list screen.
#[derive(Debug, Clone, Default, PartialEq)]
struct Overview {
    forms: Vec<DeviceForm>,
    drafts: Vec<Draft>,
    last_success_ms: Option<i64>,
    last_error: Option<String>,
    persisted: Option<bool>,
    usage: Option<(u64, u64)>,
}

/// Unsent work older than this gets a warning.
const STALE_AFTER_MS: i64 = 3 * 24 * 60 * 60 * 1000;
/// Less free space than this gets a warning.
const LOW_SPACE_BYTES: u64 = 50 * 1000 * 1000;

/// The enrolled device's workspace. See the [module documentation](self).
#[function_component(Workspace)]
pub fn workspace(props: &WorkspaceProps) -> Html {
    let storage = use_state(|| None::<Result<Storage, String>>);
    let overview = use_state(Overview::default);
    // What waits to be sent and the latest submissions: from the documents' module, so
    // `None` until it has answered once (`Err` when it cannot be loaded).
    let documents = use_state(|| None::<Result<DocumentsOverview, String>>);
    let start_problem = use_state(|| None::<String>);
    // The connection the lists read through, replaced when the browser closes it under the
    // page (see `refresh`).
    let connection = use_mut_ref(|| None::<Storage>);
    // Why a connection closed under the page could not be opened again.
    let storage_problem = use_state_eq(|| None::<String>);
    // Why the last sync round of this page failed. The round records it in storage too,
    // which cannot work when storage is what failed (the device is full).
    let round_failure = use_state_eq(|| None::<String>);
    // When the server turned the last round of this page away (busy): how long until the
    // next round on the schedule.
    let busy = use_state_eq(|| None::<Duration>);
    let screen = use_state(|| Screen::List);
    let words = AppWords::for_language(Some(props.language));
    let language = Some(props.language.to_owned());
    let syncing = use_state(|| false);
    let session = use_memo((), |()| random_bytes::<16>());
    let wake = use_memo((), |()| Rc::new(Cell::new(true)));
    // The documents' module: loading it starts once the first screen is drawn.
    use_effect_with((), |()| bridge::preload());

    // Open the storage once.
    {
        let storage = storage.clone();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                let opened = match Storage::open_default().await {
                    Ok(opened) => {
                        enrol::copy_into(&opened).await;
                        Ok(opened)
                    }
                    Err(error) => Err(error.to_string()),
                };
                storage.set(Some(opened));
            });
        });
    }

    let refresh = {
        let overview = overview.clone();
        let documents = documents.clone();
        let connection = connection.clone();
        let storage_problem = storage_problem.clone();
        move |store: Storage| {
            let overview = overview.clone();
            let documents = documents.clone();
            let connection = connection.clone();
            let storage_problem = storage_problem.clone();
            wasm_bindgen_futures::spawn_local(async move {
                // The latest connection, or a new one when the browser closed it under the
                // page: read through a closed one, every list came back empty (no forms to
                // start, no drafts) until the page was reloaded.
                let latest = connection.borrow().clone().unwrap_or(store);
                match latest.reopened().await {
                    Ok(live) => {
                        *connection.borrow_mut() = Some(live.clone());
                        storage_problem.set(None);
                        // The screens' part first, the documents' when their module has
                        // answered.
                        overview.set(read_overview(&live).await);
                    }
                    Err(error) => storage_problem.set(Some(error.to_string())),
                }
                documents.set(Some(bridge::overview(SENT_SHOWN).await));
            });
        }
    };

    // Once open: ask to persist, fetch the forms, and sync on a schedule until unmounted.
    {
        let storage = storage.clone();
        let enrolled = props.enrolled.clone();
        let syncing = syncing.clone();
        let round_failure = round_failure.clone();
        let busy = busy.clone();
        let wake = (*wake).clone();
        let session = *session;
        let refresh = refresh.clone();
        let ready = matches!(&*storage, Some(Ok(_)));
        use_effect_with(ready, move |ready| {
            let alive = Rc::new(Cell::new(true));
            let mut listener = None;
            if let (true, Some(Ok(store))) = (*ready, (*storage).clone()) {
                let alive_loop = alive.clone();
                let wake_online = wake.clone();
                listener = web_sys::window().map(|window| {
                    EventListener::new(&window, "online", move |_| wake_online.set(true))
                });
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = persist().await;
                    fetch_forms(&store, &enrolled).await;
                    refresh(store.clone());
                    let mut schedule = SyncSchedule::new();
                    let mut waited_ms: u64 = 0;
                    while alive_loop.get() {
                        let due = waited_ms >= schedule.next_delay().as_millis() as u64;
                        if wake.replace(false) || due {
                            syncing.set(true);
                            let outcome = round(&enrolled, &session).await;
                            round_failure.set(match &outcome {
                                SyncOutcome::Failed(why) | SyncOutcome::Revoked(why) => {
                                    Some(why.clone())
                                }
                                SyncOutcome::Done { .. }
                                | SyncOutcome::Unreachable
                                | SyncOutcome::Busy(_) => None,
                            });
                            schedule.record(&outcome, js_sys::Math::random());
                            busy.set(
                                matches!(outcome, SyncOutcome::Busy(_))
                                    .then(|| schedule.next_delay()),
                            );
                            syncing.set(false);
                            refresh(store.clone());
                            waited_ms = 0;
                        }
                        sleep_ms(1_000).await;
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

    let store = match &*storage {
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

    if let Screen::Filling { id, form, kind } = &*screen {
        let on_done = {
            let screen = screen.clone();
            let wake = (*wake).clone();
            let refresh = refresh.clone();
            let store = store.clone();
            let documents = documents.clone();
            Callback::from(move |done: FillerDone| {
                if let FillerDone::Finalised(_) = done {
                    wake.set(true);
                }
                // What was read before is out of date (a submission was just finalised or
                // corrected): say "looking" rather than "everything is sent" until the
                // refresh has answered.
                documents.set(None);
                refresh(store.clone());
                screen.set(Screen::List);
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
    let backup_message = use_state(|| None::<BackupMessage>);
    let export = {
        let backup_message = backup_message.clone();
        Callback::from(move |_| {
            let backup_message = backup_message.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let message = match bridge::export_backup().await {
                    Ok(bytes) => match download(&bytes, &backup_name()) {
                        Ok(()) => BackupMessage::Saved,
                        Err(()) => BackupMessage::NotSaved,
                    },
                    Err(error) => BackupMessage::NotMade(error),
                };
                backup_message.set(Some(message));
            });
        })
    };
    let import = {
        let store = store.clone();
        let backup_message = backup_message.clone();
        let refresh = refresh.clone();
        let wake = (*wake).clone();
        Callback::from(move |event: Event| {
            let input: web_sys::HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            let store = store.clone();
            let backup_message = backup_message.clone();
            let refresh = refresh.clone();
            let wake = wake.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let read = JsFuture::from(file.array_buffer()).await;
                let message = match read {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        match bridge::import_backup(&bytes).await {
                            Ok(report) => BackupMessage::Restored(report),
                            Err(error) => BackupMessage::RestoreFailed(error),
                        }
                    }
                    Err(_) => BackupMessage::Unreadable,
                };
                backup_message.set(Some(message));
                wake.set(true);
                refresh(store);
            });
        })
    };
    let view = &*overview;
    let forms = view.forms.iter().map(|form| {
        let start = {
            let form = form.clone();
            let enrolled = props.enrolled.clone();
            let writer = writer.clone();
            let screen = screen.clone();
            let language = language.clone();
            let start_problem = start_problem.clone();
            Callback::from(move |_| {
                let (form, enrolled, writer, screen, language, start_problem) = (
                    form.clone(),
                    enrolled.clone(),
                    writer.clone(),
                    screen.clone(),
                    language.clone(),
                    start_problem.clone(),
                );
                wasm_bindgen_futures::spawn_local(async move {
                    match start_draft(&form, &enrolled, writer, language.as_deref()).await {
                        Ok(id) => screen.set(Screen::Filling {
                            id,
                            form: Box::new(form),
                            kind: FillKind::Draft,
                        }),
                        Err(why) => start_problem.set(Some(why)),
                    }
                });
            })
        };
        html! {
            <li key={form.form_id.clone()}>
                <button type="button" onclick={start}>{ (words.new_submission)(&form.title) }</button>
            </li>
        }
    });
    let drafts = view.drafts.iter().map(|draft| {
        let form = view
            .forms
            .iter()
            .find(|f| f.form_id == draft.form_id)
            .cloned();
        let title = form
            .as_ref()
            .map_or_else(|| draft.form_id.clone(), |f| f.title.clone());
        let open = {
            let screen = screen.clone();
            let draft = draft.clone();
            Callback::from(move |_| {
                if let Some(form) = form.clone() {
                    screen.set(Screen::Filling {
                        id: draft.id,
                        form: Box::new(form),
                        kind: FillKind::Draft,
                    });
                }
            })
        };
        html! {
            <li key={draft.id.to_string()}>
                <button type="button" onclick={open}>
                    { (words.continue_draft)(&title, &when(draft.updated_at_ms)) }
                </button>
            </li>
        }
    });
    let (unsynced, oldest_unsynced_ms, sent_items) = match &*documents {
        Some(Ok(documents)) => (
            Some(documents.unsynced),
            documents.oldest_unsynced_ms,
            documents.sent.as_slice(),
        ),
        _ => (None, None, &[][..]),
    };
    let documents_problem = match &*documents {
        Some(Err(why)) => Some(why.clone()),
        _ => None,
    };
    let sent = sent_items.iter().map(|item| {
        let form = view
            .forms
            .iter()
            .find(|f| f.form_id == item.form_id)
            .cloned();
        let title = form
            .as_ref()
            .map_or_else(|| item.form_id.clone(), |f| f.title.clone());
        let state = match (item.unsynced, item.status) {
            (true, _) => words.state_waiting,
            (false, None | Some(ReviewStatus::Received)) => words.state_received,
            (false, Some(ReviewStatus::HasIssues)) => words.state_has_issues,
            (false, Some(ReviewStatus::Approved)) => words.state_approved,
            (false, Some(ReviewStatus::Rejected)) => words.state_rejected,
        };
        let correct = {
            let screen = screen.clone();
            let id = item.id;
            Callback::from(move |_| {
                if let Some(form) = form.clone() {
                    screen.set(Screen::Filling {
                        id,
                        form: Box::new(form),
                        kind: FillKind::Correction,
                    });
                }
            })
        };
        html! {
            <li key={item.id.to_string()} data-testid="submission">
                <p>{ format!("{title}, {}: {state}", when(item.changed_at_ms)) }</p>
                if !item.comments.is_empty() {
                    <ul class="comments" aria-label={words.reviewers_comments}>
                        { for item.comments.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
                    </ul>
                }
                <button type="button" onclick={correct}>{ (words.correct)(&title) }</button>
            </li>
        }
    });
    html! {
        <div class="workspace">
            <section class="card" aria-labelledby="sync-title">
                <h2 id="sync-title">{ words.sending_title }</h2>
                <p data-testid="sync-status" aria-live="polite">
                    { match (*syncing, unsynced) {
                        (true, _) => words.sending.to_owned(),
                        (false, None) => words.looking_at_waiting.to_owned(),
                        (false, Some(0)) => words.all_sent.to_owned(),
                        (false, Some(waiting)) => (words.waiting)(waiting),
                    } }
                </p>
                if let Some(why) = documents_problem {
                    <p class="problem" role="alert" data-testid="documents-problem">{ why }</p>
                }
                if let Some(why) = &*start_problem {
                    <p class="problem" role="alert">{ why.clone() }</p>
                }
                if let Some(why) = &*storage_problem {
                    <p class="problem" role="alert" data-testid="storage-problem">{ why.clone() }</p>
                }
                if let Some(at) = view.last_success_ms {
                    <p data-testid="last-sync">{ (words.last_sent)(&when(at)) }</p>
                }
                if let Some(wait) = *busy {
                    <p class="warning" data-testid="sync-busy">{
                        (words.server_busy)(about_minutes(wait))
                    }</p>
                } else if let Some(error) = (*round_failure).as_ref().or(view.last_error.as_ref()) {
                    <p class="problem" data-testid="sync-error">{ (words.last_attempt)(error) }</p>
                }
                <button type="button" onclick={sync_now}>{ words.sync_now }</button>
                if let Some(oldest) = oldest_unsynced_ms.filter(|at| now_ms() - at > STALE_AFTER_MS) {
                    <p class="warning" role="alert" data-testid="stale-warning">{
                        (words.stale_warning)(&when(oldest))
                    }</p>
                }
            </section>
            <section class="card" aria-labelledby="forms-title">
                <h2 id="forms-title">{ words.forms_title }</h2>
                if view.forms.is_empty() {
                    <p>{ words.no_forms }</p>
                } else {
                    <ul class="actions">{ for forms }</ul>
                }
            </section>
            if !view.drafts.is_empty() {
                <section class="card" aria-labelledby="drafts-title">
                    <h2 id="drafts-title">{ words.drafts_title }</h2>
                    <ul class="actions" data-testid="drafts">{ for drafts }</ul>
                </section>
            }
            if !sent_items.is_empty() {
                <section class="card" aria-labelledby="sent-title">
                    <h2 id="sent-title">{ words.submissions_title }</h2>
                    <ul class="actions" data-testid="submissions">{ for sent }</ul>
                </section>
            }
            <section class="card" aria-labelledby="storage-title">
                <h2 id="storage-title">{ words.storage_title }</h2>
                <p data-testid="persisted">{ match view.persisted {
                    Some(true) => words.persisted_yes,
                    Some(false) => words.persisted_no,
                    None => words.persisted_unknown,
                } }</p>
                if let Some((used, quota)) = view.usage {
                    <p>{ (words.usage)(used, quota) }</p>
                    if quota.saturating_sub(used) < LOW_SPACE_BYTES {
                        <p class="warning" role="alert" data-testid="space-warning">{
                            words.space_warning
                        }</p>
                    }
                }
                <h3>{ words.backup_title }</h3>
                <p>{ words.backup_intro }</p>
                <button type="button" onclick={export}>{ words.save_backup }</button>
                <label for="restore">{ words.restore_backup }</label>
                <input id="restore" type="file" accept=".json,application/json" onchange={import} />
                if let Some(message) = &*backup_message {
                    <p data-testid="backup-message" role="status">{ message.describe(words) }</p>
                }
            </section>
        </div>
    }
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

/// Downloads the device's forms and keeps them; offline, the kept ones stay.
async fn fetch_forms(store: &Storage, enrolled: &Enrolled) {
    let response = gloo_net::http::Request::get("/api/device/forms")
        .header("authorization", &format!("Bearer {}", enrolled.credential))
        .send()
        .await;
    let Ok(response) = response else { return };
    if !response.ok() {
        return;
    }
    if let Ok(forms) = response.json::<DeviceForms>().await {
        let _ = store.put_forms(&forms.forms).await;
    }
}

/// What the list screen shows from this module's own reads (the documents' module adds
/// what waits to be sent).
async fn read_overview(store: &Storage) -> Overview {
    let status = store.sync_status().await.unwrap_or_default();
    Overview {
        forms: store.forms().await.unwrap_or_default(),
        drafts: store.drafts().await.unwrap_or_default(),
        last_success_ms: status.last_success_ms,
        last_error: status.last_error,
        persisted: persisted().await,
        usage: estimate().await,
    }
}

/// A time as the browser writes it where the device is.
fn when(ms: i64) -> String {
    let date = js_sys::Date::new(&(ms as f64).into());
    String::from(date.to_locale_string("default", &js_sys::Object::new()))
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

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
