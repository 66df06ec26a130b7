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
use wasm_bindgen_futures::JsFuture;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::capture::{Filler, FillerDone, now_ms, page_writer, random_bytes, start_draft};
use crate::storage::{Draft, IdbClientStore, Storage, estimate, persist};
use crate::sync::{SyncOutcome, SyncSchedule, sync_round};

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
    },
}

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
}

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

    if let Screen::Filling { draft, form } = &*screen {
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
            <Filler storage={store.clone()} draft={(**draft).clone()} form={(**form).clone()}
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
            </section>
            <section class="card" aria-labelledby="forms-title">
                <h2 id="forms-title">{ "Forms" }</h2>
                <label for="language">{ "Language of the forms" }</label>
                <select id="language" onchange={on_language}>
                    <option value="">{ "Form's default" }</option>
                    <option value="en">{ "English" }</option>
                    <option value="st">{ "Sesotho" }</option>
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
            <section class="card" aria-labelledby="storage-title">
                <h2 id="storage-title">{ "This device's storage" }</h2>
                <p data-testid="persisted">{ match view.persisted {
                    Some(true) => "Kept: the browser will not clear this app's data on its own.",
                    Some(false) => "Not guaranteed: the browser may clear this app's data when space runs low. Send your work often.",
                    None => "This browser does not say whether it keeps this app's data.",
                } }</p>
                if let Some((used, quota)) = view.usage {
                    <p>{ format!("Using {:.1} MB of {:.0} MB available.", used as f64 / 1e6, quota as f64 / 1e6) }</p>
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
    Overview {
        forms: store.forms().await.unwrap_or_default(),
        drafts: store.drafts().await.unwrap_or_default(),
        unsynced: store.unsynced_count().await.unwrap_or(0),
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

async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}
