//! The app's one page for now: the product's name, the form engine at work, the server's
//! state and whether the app is ready to work offline.

use chrono::NaiveDate;
use gloo_events::EventListener;
use letsema_form::{age_in_years, engine_info};
use letsema_protocol::Health;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::enrol::{EnrolmentState, code_in_address, enrol, stored};
use crate::offline::{OfflineReadiness, browser_online, register_service_worker};
use crate::workspace::Workspace;

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
    let born = use_state(|| None::<NaiveDate>);
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

    let on_birth_date = {
        let born = born.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            born.set(NaiveDate::parse_from_str(&input.value(), "%Y-%m-%d").ok());
        })
    };

    let engine = engine_info();
    let age = born.and_then(|born| age_in_years(born, today()));

    html! {
        <>
            <header class="banner">
                <h1>{ "Letsema" }</h1>
                <p class="tagline">{ "Offline-first surveys for diaspora mapping" }</p>
            </header>
            <main>
                <section class="card" aria-labelledby="status-title">
                    <h2 id="status-title">{ "Status" }</h2>
                    <dl class="status">
                        <dt>{ "Network" }</dt>
                        <dd data-testid="network">{ if *online { "online" } else { "offline" } }</dd>
                        <dt>{ "Offline use" }</dt>
                        <dd data-testid="offline-readiness">{ describe_readiness(&readiness) }</dd>
                        <dt>{ "Form engine" }</dt>
                        <dd data-testid="engine">{ format!("{} ({})", engine.version, engine.arch) }</dd>
                        <dt>{ "Server" }</dt>
                        <dd data-testid="server">{ describe_server(&server, &engine) }</dd>
                    </dl>
                </section>
                <section class="card" aria-labelledby="phone-title">
                    <h2 id="phone-title">{ "This phone" }</h2>
                    <p data-testid="enrolment" aria-live="polite">{ describe_enrolment(&enrolment) }</p>
                </section>
                if let EnrolmentState::Enrolled(enrolled) = &*enrolment {
                    <Workspace enrolled={enrolled.clone()} />
                } else {
                <section class="card" aria-labelledby="age-title">
                    <h2 id="age-title">{ "Try the form engine" }</h2>
                    <p>{ "The registration form computes a member's age from the date of birth, here in your browser:" }</p>
                    <label for="birth-date">{ "Date of birth" }</label>
                    <input id="birth-date" type="date" oninput={on_birth_date} />
                    <p data-testid="age" aria-live="polite">
                        { match (*born, age) {
                            (None, _) => "Enter a date of birth.".to_owned(),
                            (Some(_), None) => "That date is in the future.".to_owned(),
                            (Some(_), Some(1)) => "Age: 1 year".to_owned(),
                            (Some(_), Some(years)) => format!("Age: {years} years"),
                        } }
                    </p>
                </section>
                }
            </main>
        </>
    }
}

fn describe_enrolment(enrolment: &EnrolmentState) -> String {
    match enrolment {
        EnrolmentState::NotEnrolled => "Not enrolled yet: open the link, or scan the QR code, \
             that your coordinator gave you."
            .to_owned(),
        EnrolmentState::Enrolling => "Enrolling this device…".to_owned(),
        EnrolmentState::Enrolled(enrolled) if enrolled.device.public => {
            "Ready for the survey: your answers stay on this device until they are sent, \
             even if the connection drops."
                .to_owned()
        }
        EnrolmentState::Enrolled(enrolled) => format!(
            "Enrolled for the association {} ({} form{}).",
            enrolled.device.association,
            enrolled.device.forms.len(),
            if enrolled.device.forms.len() == 1 {
                ""
            } else {
                "s"
            }
        ),
        EnrolmentState::Failed(why) => format!("Enrolment failed: {why}"),
    }
}

fn describe_readiness(readiness: &OfflineReadiness) -> String {
    match readiness {
        OfflineReadiness::Preparing => "preparing…".to_owned(),
        OfflineReadiness::Ready => "ready: the app opens without a network".to_owned(),
        OfflineReadiness::Unsupported => {
            "not available in this browser: keep this page open while offline".to_owned()
        }
        OfflineReadiness::Failed(why) => format!("not available: {why}"),
    }
}

fn describe_server(server: &ServerState, engine: &letsema_form::EngineInfo) -> String {
    match server {
        ServerState::Checking => "checking…".to_owned(),
        ServerState::Reachable(health) if health.form_engine.version != engine.version => {
            format!(
                "version {}, but its form engine is {} and this app's is {}: reload to update",
                health.version, health.form_engine.version, engine.version
            )
        }
        ServerState::Reachable(health) => format!(
            "version {}, {}",
            health.version,
            match health.status {
                letsema_protocol::HealthStatus::Ok => "working",
                letsema_protocol::HealthStatus::Degraded => "its database is not answering",
            }
        ),
        ServerState::Unreachable(_) => "not reachable: working offline".to_owned(),
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

/// Today's date where the browser is: the form engine never reads the clock itself.
fn today() -> NaiveDate {
    crate::capture::now_local().date_naive()
}
