//! The app's page: the product's name and the language switch above, then an enrolled
//! device's workspace ([`Workspace`], whose "This phone" page shows the server's state and
//! whether the app works offline), or, before enrolment, that state, the enrolment's and the
//! form engine at work.
//!
//! The language chosen here is the app's words' ([`AppWords`], passed down as a code) and
//! the forms' labels' (Workspace → Filler → FormView); it is kept in the browser's storage.

use gloo_events::EventListener;
use gloo_storage::{LocalStorage, Storage};
use letsema_form::engine_info;
use letsema_protocol::Health;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::enrol::{EnrolmentState, code_in_address, enrol, stored};
use crate::offline::{OfflineReadiness, browser_online, register_service_worker};
use crate::words::{AppWords, LANGUAGES, starting_language};
use crate::workspace::{PhoneStatus, Workspace};

/// Where the chosen language is kept (a code of [`LANGUAGES`]). The `v1` is the layout's
/// version.
const LANGUAGE_KEY: &str = "letsema.language.v1";

/// What the app knows of the server.
#[derive(Debug, Clone, PartialEq)]
enum ServerState {
    Checking,
    Reachable(Health),
    Unreachable(String),
}

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    let readiness = use_state(|| OfflineReadiness::Preparing);
    let online = use_state(browser_online);
    let server = use_state(|| ServerState::Checking);
    let pasted_link_wrong = use_state(|| false);
    let language = use_state(|| {
        let chosen = LocalStorage::get::<String>(LANGUAGE_KEY).ok();
        let browser = web_sys::window().and_then(|window| window.navigator().language());
        starting_language(chosen.as_deref(), browser.as_deref())
    });
    let words = AppWords::for_language(Some(*language));
    let enrolment = use_state(|| match (code_in_address(), stored()) {
        (Some(_), _) => EnrolmentState::Enrolling,
        (None, Some(enrolled)) => EnrolmentState::Enrolled(enrolled),
        (None, None) => EnrolmentState::NotEnrolled,
    });

    {
        let enrolment = enrolment.clone();
        use_effect_with((), move |()| {
            if let Some(code) = code_in_address() {
                wasm_bindgen_futures::spawn_local(async move {
                    enrolment.set(enrol(code).await);
                });
            }
        });
    }

    // The whole page's language, for screen readers (and the browser's own hyphenation and
    // spelling); the form view marks its own part too.
    use_effect_with(*language, |code| {
        if let Some(root) = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.document_element())
        {
            let _ = root.set_attribute("lang", code);
        }
    });
    {
        let readiness = readiness.clone();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                readiness.set(register_service_worker().await);
            });
        });
    }
    {
        let server = server.clone();
        use_effect_with(*online, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                server.set(fetch_health().await);
            });
        });
    }
    {
        let online = online.clone();
        use_effect_with((), move |()| {
            let window = web_sys::window();
            let listeners = window.map(|window| {
                let up = online.clone();
                let down = online.clone();
                [
                    EventListener::new(&window, "online", move |_| up.set(true)),
                    EventListener::new(&window, "offline", move |_| down.set(false)),
                ]
            });
            move || drop(listeners)
        });
    }

    // A link pasted on the start page: opened when it is this server's, explained if not.
    let on_open_link = {
        let pasted_link_wrong = pasted_link_wrong.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let Some(window) = web_sys::window() else {
                return;
            };
            let origin = window.location().origin().unwrap_or_default();
            let text = window
                .document()
                .and_then(|d| d.get_element_by_id("start-link"))
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
                .map(|input| input.value())
                .unwrap_or_default();
            match crate::enrol::link_to_open(&text, &origin) {
                Some(link) => {
                    pasted_link_wrong.set(false);
                    let _ = window.location().assign(&link);
                }
                None => pasted_link_wrong.set(true),
            }
        })
    };

    let on_language = {
        let language = language.clone();
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let chosen = select.value();
            if let Some((code, _)) = LANGUAGES.iter().find(|(code, _)| *code == chosen) {
                // Not kept (private browsing, say): the choice lasts until the page closes.
                let _ = LocalStorage::set(LANGUAGE_KEY, code);
                language.set(code);
            }
        })
    };

    let engine = engine_info();
    let language_switch = html! {
        <div class="language">
            <label for="language">{ words.language }</label>
            <select id="language" onchange={on_language}>
                { for LANGUAGES.iter().map(|(code, name)| html! {
                    <option value={*code} lang={*code} selected={*code == *language}>
                        { *name }
                    </option>
                }) }
            </select>
        </div>
    };

    if let EnrolmentState::Enrolled(enrolled) = &*enrolment {
        // A phone at work: the workspace is the page; the details are on "This phone".
        let status = PhoneStatus {
            online: *online,
            offline_use: describe_readiness(&readiness, words),
            engine: format!("{} ({})", engine.version, engine.arch),
            server: describe_server(&server, &engine, words),
        };
        let association = enrolled.device.display_association();
        return html! {
            <>
                <header class="banner compact">
                    <div class="banner-row">
                        <h1>{ "Letsema" }</h1>
                        { language_switch }
                    </div>
                    <p class="tagline" data-testid="enrolment">{
                        if enrolled.device.public {
                            words.survey_ready.to_owned()
                        } else {
                            (words.for_association)(association)
                        }
                    }</p>
                </header>
                <main>
                    <Workspace enrolled={enrolled.clone()} language={*language} status={status} />
                </main>
            </>
        };
    }

    html! {
        <>
            <header class="banner">
                <div class="banner-row">
                    <h1>{ "Letsema" }</h1>
                    { language_switch }
                </div>
                <p class="tagline">{ words.tagline }</p>
            </header>
            <main>
                { if matches!(*enrolment, EnrolmentState::NotEnrolled) { html! {} } else { html! {
                <section class="card" aria-labelledby="phone-title">
                    <h2 id="phone-title">{ words.phone_title }</h2>
                    <p data-testid="enrolment" aria-live="polite">{ describe_enrolment(&enrolment, words) }</p>
                </section>
                } } }
                <section class="card" aria-labelledby="start-title">
                    <h2 id="start-title">{ words.start_title }</h2>
                    <p>{ words.start_intro }</p>
                    <p>{ words.start_enrol }</p>
                    <form class="open-link" onsubmit={on_open_link}>
                        <label for="start-link">{ words.start_link_label }</label>
                        <input id="start-link" type="url" inputmode="url" autocomplete="off"
                            aria-describedby="start-link-problem" />
                        <button type="submit" class="button">{ words.start_open }</button>
                    </form>
                    <p id="start-link-problem" role="alert" data-testid="start-link-problem">{
                        if *pasted_link_wrong {
                            (words.start_not_a_link)(
                                &web_sys::window()
                                    .and_then(|w| w.location().origin().ok())
                                    .unwrap_or_default(),
                            )
                        } else {
                            String::new()
                        }
                    }</p>
                    <crate::scan::CodeReader language={*language} reading={crate::scan::Reading::Link} />
                    <p>{ words.start_survey_how }</p>
                    <p>{ words.start_staff }{ " " }<a href="/staff/">{ words.start_staff_link }</a></p>
                </section>
                <section class="card" aria-labelledby="status-title">
                    <h2 id="status-title">{ words.status_title }</h2>
                    <dl class="status">
                        <dt>{ words.network }</dt>
                        <dd data-testid="network">{ if *online { words.online } else { words.offline } }</dd>
                        <dt>{ words.offline_use }</dt>
                        <dd data-testid="offline-readiness">{ describe_readiness(&readiness, words) }</dd>
                        <dt>{ words.form_engine }</dt>
                        <dd data-testid="engine">{ format!("{} ({})", engine.version, engine.arch) }</dd>
                        <dt>{ words.server }</dt>
                        <dd data-testid="server">{ describe_server(&server, &engine, words) }</dd>
                    </dl>
                </section>
            </main>
        </>
    }
}

fn describe_enrolment(enrolment: &EnrolmentState, words: &AppWords) -> String {
    match enrolment {
        EnrolmentState::NotEnrolled => words.not_enrolled.to_owned(),
        EnrolmentState::Enrolling => words.enrolling.to_owned(),
        EnrolmentState::Enrolled(enrolled) if enrolled.device.public => {
            words.survey_ready.to_owned()
        }
        EnrolmentState::Enrolled(enrolled) => (words.enrolled)(
            enrolled.device.display_association(),
            enrolled.device.forms.len(),
        ),
        EnrolmentState::Failed(why) => (words.enrolment_failed)(&why.describe(words)),
    }
}

fn describe_readiness(readiness: &OfflineReadiness, words: &AppWords) -> String {
    match readiness {
        OfflineReadiness::Preparing => words.offline_preparing.to_owned(),
        OfflineReadiness::Ready => words.offline_ready.to_owned(),
        OfflineReadiness::Unsupported => words.offline_unsupported.to_owned(),
        OfflineReadiness::Failed(why) => (words.offline_failed)(why),
    }
}

fn describe_server(
    server: &ServerState,
    engine: &letsema_form::EngineInfo,
    words: &AppWords,
) -> String {
    match server {
        ServerState::Checking => words.server_checking.to_owned(),
        ServerState::Reachable(health) if health.form_engine.version != engine.version => (words
            .server_other_engine)(
            &health.version,
            &health.form_engine.version,
            &engine.version,
        ),
        ServerState::Reachable(health) => match health.status {
            letsema_protocol::HealthStatus::Ok => (words.server_working)(&health.version),
            letsema_protocol::HealthStatus::Degraded => (words.server_degraded)(&health.version),
        },
        ServerState::Unreachable(_) => words.server_unreachable.to_owned(),
    }
}

async fn fetch_health() -> ServerState {
    let response = match gloo_net::http::Request::get("/api/health").send().await {
        Ok(response) => response,
        Err(err) => return ServerState::Unreachable(err.to_string()),
    };
    if !response.ok() {
        return ServerState::Unreachable(format!("HTTP {}", response.status()));
    }
    match response.json::<Health>().await {
        Ok(health) => ServerState::Reachable(health),
        Err(err) => ServerState::Unreachable(format!("unexpected answer: {err}")),
    }
}
