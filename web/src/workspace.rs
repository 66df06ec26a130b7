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

use gloo_events::EventListener;
use letsema_protocol::{DeviceForm, DeviceForms, Enrolled};
use letsema_sync::client::{Client, ClientConfig};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::capture::{
    FillKind, Filler, FillerDone, now_ms, page_writer, random_bytes, start_draft,
};
use crate::storage::{Draft, IdbClientStore, Storage, estimate, persist};
use crate::sync::{SyncOutcome, SyncSchedule, sync_round};
use letsema_doc::{DeviceId, ReviewStatus, SessionId, SubmissionDoc, Writer};

/// The properties of [`Workspace`].
#[derive(Debug, Properties, PartialEq)]
pub struct WorkspaceProps {
    /// The device's enrolment.
    pub enrolled: Enrolled,
}

/// What the workspace shows.
#[derive(Debug, Clone, PartialEq)]
enum Screen {
    List,
    Filling {
        draft: Box<Draft>,
        form: Box<DeviceForm>,
        kind: FillKind,
    },
}

/// A finalised submission on this device, for the list.
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    /// The submission in a draft's shape, to open it for a correction.
    doc: Draft,
    /// Whether some of it waits to be sent.
    unsynced: bool,
    /// The reviewers' verdict, if any.
    status: Option<ReviewStatus>,
    /// The reviewers' comments.
    comments: Vec<String>,
}

/// How many of the latest submissions the list shows.
const SENT_SHOWN: usize = 50;

/// What is known of the storage and the sync, for the list screen.
#[derive(Debug, Clone, Default, PartialEq)]
struct Overview {
    forms: Vec<DeviceForm>,
    drafts: Vec<Draft>,
    unsynced: u32,
    last_success_ms: Option<i64>,
    last_error: Option<String>,
    persisted: Option<bool>,
    usage: Option<(u64, u64)>,
    /// When the oldest change not yet sent was made.
    oldest_unsynced_ms: Option<i64>,
    /// The latest finalised submissions.
    sent: Vec<Sent>,
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
    let screen = use_state(|| Screen::List);
    let language = use_state(|| None::<String>);
    let syncing = use_state(|| false);
    let session = use_memo((), |()| random_bytes::<16>());
    let wake = use_memo((), |()| Rc::new(Cell::new(true)));

    // Open the storage once.
    {
        let storage = storage.clone();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                let opened = match Storage::open_default().await {
                    Ok(opened) => {
                        let _ = opened.migrate_enrolment_from_local_storage().await;
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
        move |store: Storage| {
            let overview = overview.clone();
            wasm_bindgen_futures::spawn_local(async move {
                overview.set(read_overview(&store).await);
            });
        }
    };

    // Once open: ask to persist, fetch the forms, and sync on a schedule until unmounted.
    {
        let storage = storage.clone();
        let enrolled = props.enrolled.clone();
        let syncing = syncing.clone();
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
                            let outcome = round(&store, &enrolled, &session).await;
                            schedule.record(&outcome);
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
        None => return html! { <p class="loading">{ "Opening this device's storage…" }</p> },
        Some(Err(why)) => {
            return html! {
                <section class="card problem" role="alert" data-testid="storage-refused">
                    <h2>{ "This browser cannot keep your work" }</h2>
                    <p>{ why.clone() }</p>
                    <p>{ "Private browsing windows forget everything when closed. Open this \
                          app in a normal window." }</p>
                </section>
            };
        }
        Some(Ok(store)) => store.clone(),
    };
    let writer = match page_writer(&props.enrolled, &session) {
        Ok(writer) => writer,
        Err(why) => return html! { <p class="problem" role="alert">{ why }</p> },
    };

    if let Screen::Filling { draft, form, kind } = &*screen {
        let on_done = {
            let screen = screen.clone();
            let wake = (*wake).clone();
            let refresh = refresh.clone();
            let store = store.clone();
            Callback::from(move |done: FillerDone| {
                if let FillerDone::Finalised(_) = done {
                    wake.set(true);
                }
                refresh(store.clone());
                screen.set(Screen::List);
            })
        };
        return html! {
            <Filler storage={store.clone()} draft={(**draft).clone()} form={(**form).clone()} kind={*kind}
                writer={writer} language={(*language).clone()} on_done={on_done} />
        };
    }

    let on_language = {
        let language = language.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let value = select.value();
            language.set((!value.is_empty()).then_some(value));
        })
    };
    let sync_now = {
        let wake = (*wake).clone();
        Callback::from(move |_| wake.set(true))
    };
    let backup_message = use_state(|| None::<String>);
    let export = {
        let store = store.clone();
        let backup_message = backup_message.clone();
        Callback::from(move |_| {
            let store = store.clone();
            let backup_message = backup_message.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let message = match store.export_backup().await {
                    Ok(bytes) => match download(&bytes, &backup_name()) {
                        Ok(()) => "The backup file was saved (see your downloads).".to_owned(),
                        Err(why) => why,
                    },
                    Err(error) => format!("The backup could not be made: {error}"),
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
                        match store.import_backup(&bytes).await {
                            Ok(report) => format!(
                                "Restored: {} submission(s) added, {} merged, {} draft(s) \
                                 added, {} merged, {} already here; {} could not be read.",
                                report.documents_added,
                                report.documents_merged,
                                report.drafts_added,
                                report.drafts_merged,
                                report.unchanged,
                                report.failed.len()
                            ),
                            Err(error) => error.to_string(),
                        }
                    }
                    Err(_) => "The file could not be read: choose it again.".to_owned(),
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
            let store = store.clone();
            let form = form.clone();
            let enrolled = props.enrolled.clone();
            let writer = writer.clone();
            let screen = screen.clone();
            let language = (*language).clone();
            Callback::from(move |_| {
                let (store, form, enrolled, writer, screen, language) = (
                    store.clone(),
                    form.clone(),
                    enrolled.clone(),
                    writer.clone(),
                    screen.clone(),
                    language.clone(),
                );
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(draft) =
                        start_draft(&store, &form, &enrolled, writer, language.as_deref()).await
                    {
                        screen.set(Screen::Filling {
                            draft: Box::new(draft),
                            form: Box::new(form),
                            kind: FillKind::Draft,
                        });
                    }
                });
            })
        };
        html! {
            <li key={form.form_id.clone()}>
                <button type="button" onclick={start}>{ format!("New: {}", form.title) }</button>
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
                        draft: Box::new(draft.clone()),
                        form: Box::new(form),
                        kind: FillKind::Draft,
                    });
                }
            })
        };
        html! {
            <li key={draft.id.to_string()}>
                <button type="button" onclick={open}>
                    { format!("Continue: {title} (saved {})", when(draft.updated_at_ms)) }
                </button>
            </li>
        }
    });
    let sent = view.sent.iter().map(|item| {
        let form = view
            .forms
            .iter()
            .find(|f| f.form_id == item.doc.form_id)
            .cloned();
        let title = form
            .as_ref()
            .map_or_else(|| item.doc.form_id.clone(), |f| f.title.clone());
        let state = match (item.unsynced, item.status) {
            (true, _) => "waits to be sent",
            (false, None | Some(ReviewStatus::Received)) => "sent, not reviewed yet",
            (false, Some(ReviewStatus::HasIssues)) => "a reviewer asks for corrections",
            (false, Some(ReviewStatus::Approved)) => "approved",
            (false, Some(ReviewStatus::Rejected)) => "rejected",
        };
        let correct = {
            let screen = screen.clone();
            let doc = item.doc.clone();
            Callback::from(move |_| {
                if let Some(form) = form.clone() {
                    screen.set(Screen::Filling {
                        draft: Box::new(doc.clone()),
                        form: Box::new(form),
                        kind: FillKind::Correction,
                    });
                }
            })
        };
        html! {
            <li key={item.doc.id.to_string()} data-testid="submission">
                <p>{ format!("{title}, {}: {state}", when(item.doc.updated_at_ms)) }</p>
                if !item.comments.is_empty() {
                    <ul class="comments" aria-label="Reviewers' comments">
                        { for item.comments.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
                    </ul>
                }
                <button type="button" onclick={correct}>{ format!("Correct: {title}") }</button>
            </li>
        }
    });
    html! {
        <div class="workspace">
            <section class="card" aria-labelledby="sync-title">
                <h2 id="sync-title">{ "Sending" }</h2>
                <p data-testid="sync-status" aria-live="polite">
                    { if *syncing {
                        "Sending…".to_owned()
                    } else if view.unsynced == 0 {
                        "Everything is sent.".to_owned()
                    } else if view.unsynced == 1 {
                        "1 submission waits to be sent.".to_owned()
                    } else {
                        format!("{} submissions wait to be sent.", view.unsynced)
                    } }
                </p>
                if let Some(at) = view.last_success_ms {
                    <p data-testid="last-sync">{ format!("Last sent: {}", when(at)) }</p>
                }
                if let Some(error) = &view.last_error {
                    <p class="problem" data-testid="sync-error">{ format!("Last attempt: {error}") }</p>
                }
                <button type="button" onclick={sync_now}>{ "Sync now" }</button>
                if let Some(oldest) = view.oldest_unsynced_ms.filter(|at| now_ms() - at > STALE_AFTER_MS) {
                    <p class="warning" role="alert" data-testid="stale-warning">{ format!(
                        "Some work has waited to be sent since {}. Connect to the internet \
                         soon, or save a backup file below, so that nothing is lost if this \
                         device is lost or its browser data cleared.", when(oldest)) }</p>
                }
            </section>
            <section class="card" aria-labelledby="forms-title">
                <h2 id="forms-title">{ "Forms" }</h2>
                <label for="language">{ "Language of the forms" }</label>
                <select id="language" onchange={on_language}>
                    <option value="" selected={language.is_none()}>{ "Form's default" }</option>
                    <option value="en" selected={language.as_deref() == Some("en")}>{ "English" }</option>
                    <option value="st" selected={language.as_deref() == Some("st")}>{ "Sesotho" }</option>
                </select>
                if view.forms.is_empty() {
                    <p>{ "No forms yet: connect to the internet once to download them." }</p>
                } else {
                    <ul class="actions">{ for forms }</ul>
                }
            </section>
            if !view.drafts.is_empty() {
                <section class="card" aria-labelledby="drafts-title">
                    <h2 id="drafts-title">{ "Drafts" }</h2>
                    <ul class="actions" data-testid="drafts">{ for drafts }</ul>
                </section>
            }
            if !view.sent.is_empty() {
                <section class="card" aria-labelledby="sent-title">
                    <h2 id="sent-title">{ "Submissions" }</h2>
                    <ul class="actions" data-testid="submissions">{ for sent }</ul>
                </section>
            }
            <section class="card" aria-labelledby="storage-title">
                <h2 id="storage-title">{ "This device's storage" }</h2>
                <p data-testid="persisted">{ match view.persisted {
                    Some(true) => "Kept: the browser will not clear this app's data on its own.",
                    Some(false) => "Not guaranteed: the browser may clear this app's data when space runs low. Send your work often.",
                    None => "This browser does not say whether it keeps this app's data.",
                } }</p>
                if let Some((used, quota)) = view.usage {
                    <p>{ format!("Using {:.1} MB of {:.0} MB available.", used as f64 / 1e6, quota as f64 / 1e6) }</p>
                    if quota.saturating_sub(used) < LOW_SPACE_BYTES {
                        <p class="warning" role="alert" data-testid="space-warning">{
                            "Space is running low on this device: send your work, then free \
                             some space (photos, other apps) before registering more members."
                        }</p>
                    }
                }
                <h3>{ "Backup" }</h3>
                <p>{ "A backup file holds every draft and every submission not yet sent. Keep it \
                      until the work is sent; open it here (or on a new device) to bring the \
                      work back." }</p>
                <button type="button" onclick={export}>{ "Save a backup file" }</button>
                <label for="restore">{ "Restore from a backup file" }</label>
                <input id="restore" type="file" accept=".json,application/json" onchange={import} />
                if let Some(message) = &*backup_message {
                    <p data-testid="backup-message" role="status">{ message.clone() }</p>
                }
            </section>
        </div>
    }
}

/// One sync round as this device, its outcome recorded in storage.
async fn round(store: &Storage, enrolled: &Enrolled, session: &[u8; 16]) -> SyncOutcome {
    let outcome = match (
        page_writer(enrolled, session),
        IdbClientStore::open(store).await,
    ) {
        (Ok(writer), Ok(client_store)) => {
            let mut client = Client::new(ClientConfig::new(writer), client_store);
            sync_round(&mut client, &enrolled.credential).await
        }
        (Err(why), _) => SyncOutcome::Failed(why),
        (_, Err(error)) => SyncOutcome::Failed(error.to_string()),
    };
    let recorded = match &outcome {
        SyncOutcome::Done { .. } => store.record_sync_success(now_ms()).await,
        SyncOutcome::Unreachable => {
            store
                .record_sync_error(now_ms(), "the server could not be reached (offline?)")
                .await
        }
        SyncOutcome::Revoked(why) | SyncOutcome::Failed(why) => {
            store.record_sync_error(now_ms(), why).await
        }
    };
    let _ = recorded;
    outcome
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

async fn read_overview(store: &Storage) -> Overview {
    let status = store.sync_status().await.unwrap_or_default();
    let mut documents = store.documents().await.unwrap_or_default();
    let unsynced: Vec<i64> = documents
        .iter()
        .filter(|document| document.is_unsynced())
        .map(|document| document.changed_at_ms)
        .collect();
    let oldest_unsynced_ms = unsynced.iter().copied().min();
    // Read only: this writer never writes.
    let reader = DeviceId::parse("letsema-app-reader")
        .ok()
        .zip(SessionId::from_bytes(&[0; 16]).ok())
        .map(|(device, session)| Writer::new(device, session, None));
    documents.sort_by_key(|document| std::cmp::Reverse(document.changed_at_ms));
    let sent = documents
        .into_iter()
        .take(SENT_SHOWN)
        .filter_map(|document| {
            let loaded = SubmissionDoc::load(&document.bytes, reader.clone()?).ok()?;
            let review = loaded.review();
            let meta = loaded.meta();
            Some(Sent {
                unsynced: document.is_unsynced(),
                status: review.status,
                comments: review.comments.into_iter().map(|c| c.text).collect(),
                doc: Draft {
                    id: document.id,
                    form_id: meta.form_id.as_str().to_owned(),
                    form_version: meta.form_version.as_str().to_owned(),
                    language: None,
                    updated_at_ms: document.changed_at_ms,
                    bytes: document.bytes,
                    heads: document.heads,
                },
            })
        })
        .collect();
    Overview {
        oldest_unsynced_ms,
        sent,
        forms: store.forms().await.unwrap_or_default(),
        drafts: store.drafts().await.unwrap_or_default(),
        unsynced: u32::try_from(unsynced.len()).unwrap_or(u32::MAX),
        last_success_ms: status.last_success_ms,
        last_error: status.last_error,
        persisted: crate::storage::persisted().await,
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

/// Offers `bytes` to the person as a file download named `name`.
fn download(bytes: &[u8], name: &str) -> Result<(), String> {
    let failed = |_| "This browser would not save the file.".to_owned();
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or_else(|| "This browser would not save the file.".to_owned())?;
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
