//! The staff area's page: the title, the language switch and the signed-in account above;
//! below, the sign-in form, the submissions table or one submission.
//!
//! Where the staff member is lives in the address's hash, so that the browser's Back
//! button, a reload and a shared link all work: `#/submissions?FILTERS` is the table with
//! those filters, `#/submission/ID` one submission, `#/audit?FILTERS` the audit log (admins),
//! `#/duplicates?status=...` the people who may be registered twice and
//! `#/duplicates/compare/A/B` two registrations side by side, `#/dashboard?FILTERS` the
//! dashboard, `#/phones` the phones and their enrolment links (admins and coordinators).
//!
//! A set-up link (`/staff/?setup#TOKEN`, where the server sends `/setup#TOKEN`) shows the
//! first run's set-up screen instead of the sign-in form.

use gloo_events::EventListener;
use gloo_storage::{LocalStorage, Storage};
use letsema_protocol::staff::{Role, Session, StaffUser};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::audit::AuditFilters;
use crate::audit_view::AuditLog;
use crate::dashboard::DashboardAddress;
use crate::dashboard_view::DashboardPage;
use crate::duplicates::{MAX_COMPARED, PairList};
use crate::duplicates_view::{ComparePair, DuplicatesList};
use crate::filters::Filters;
use crate::offline::{CopyInfo, OfflineCopy};
use crate::offline_view::{OfflineHandle, OfflineList};
use crate::phones_view::PhonesPage;
use crate::setup::{SetupForm, setup_token};
use crate::sign_in::SignIn;
use crate::submission::SubmissionView;
use crate::table::Table;
use crate::words::{LANGUAGES, Words, starting_language};

/// Where the chosen language is kept: the same key as the volunteers' app, so that one
/// choice holds for both on a shared computer.
const LANGUAGE_KEY: &str = "letsema.language.v1";

/// What the page shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Route {
    Table(Filters),
    Submission(String),
    /// The offline copy's list.
    Offline,
    /// A submission of the offline copy.
    OfflineSubmission(String),
    /// The audit log, for admins.
    Audit(AuditFilters),
    /// The candidate pairs of one list.
    Duplicates(PairList),
    /// Two or three registrations compared, opened from `list`.
    Compare {
        ids: Vec<String>,
        list: PairList,
    },
    /// The dashboard of the submissions its filters select.
    Dashboard(DashboardAddress),
    /// The phones, their enrolment links and the public links.
    Phones,
}

impl Route {
    /// The route of the address's hash (without `#`).
    pub fn parse(hash: &str) -> Route {
        let hash = hash.trim_start_matches('#');
        if let Some(id) = hash.strip_prefix("/submission/") {
            return Route::Submission(id.to_owned());
        }
        if let Some(id) = hash.strip_prefix("/offline/") {
            return Route::OfflineSubmission(id.to_owned());
        }
        if hash == "/offline" {
            return Route::Offline;
        }
        if let Some(rest) = hash.strip_prefix("/duplicates/compare/") {
            let (ids, query) = rest.split_once('?').unwrap_or((rest, ""));
            let ids: Vec<String> = ids.split('/').map(str::to_owned).collect();
            if (2..=MAX_COMPARED).contains(&ids.len()) && ids.iter().all(|id| !id.is_empty()) {
                return Route::Compare {
                    ids,
                    list: PairList::from_query(query),
                };
            }
        }
        if let Some(rest) = hash.strip_prefix("/duplicates")
            && (rest.is_empty() || rest.starts_with('?'))
        {
            return Route::Duplicates(PairList::from_query(rest.trim_start_matches('?')));
        }
        if let Some(rest) = hash.strip_prefix("/dashboard")
            && (rest.is_empty() || rest.starts_with('?'))
        {
            return Route::Dashboard(DashboardAddress::from_query(rest.trim_start_matches('?')));
        }
        if let Some(rest) = hash.strip_prefix("/phones")
            && (rest.is_empty() || rest.starts_with('?'))
        {
            return Route::Phones;
        }
        if let Some(rest) = hash.strip_prefix("/audit")
            && (rest.is_empty() || rest.starts_with('?'))
        {
            return Route::Audit(AuditFilters::from_query(rest.trim_start_matches('?')));
        }
        let query = hash
            .strip_prefix("/submissions")
            .map(|rest| rest.trim_start_matches('?'))
            .unwrap_or_default();
        Route::Table(Filters::from_query(query))
    }

    /// The hash that shows this route.
    pub fn hash(&self) -> String {
        match self {
            Route::Table(filters) => {
                let query = filters.hash();
                if query.is_empty() {
                    "#/submissions".to_owned()
                } else {
                    format!("#/submissions?{query}")
                }
            }
            Route::Submission(id) => format!("#/submission/{id}"),
            Route::Offline => "#/offline".to_owned(),
            Route::OfflineSubmission(id) => format!("#/offline/{id}"),
            Route::Audit(filters) => {
                let query = filters.hash();
                if query.is_empty() {
                    "#/audit".to_owned()
                } else {
                    format!("#/audit?{query}")
                }
            }
            Route::Duplicates(list) => match list.query() {
                query if query.is_empty() => "#/duplicates".to_owned(),
                query => format!("#/duplicates?{query}"),
            },
            Route::Compare { ids, list } => match list.query() {
                query if query.is_empty() => format!("#/duplicates/compare/{}", ids.join("/")),
                query => format!("#/duplicates/compare/{}?{query}", ids.join("/")),
            },
            Route::Dashboard(address) => match address.query() {
                query if query.is_empty() => "#/dashboard".to_owned(),
                query => format!("#/dashboard?{query}"),
            },
            Route::Phones => "#/phones".to_owned(),
        }
    }
}

fn current_route() -> Route {
    let hash = web_sys::window()
        .and_then(|window| window.location().hash().ok())
        .unwrap_or_default();
    Route::parse(&hash)
}

/// Shows `route`: the hash changes, and the `hashchange` listener redraws.
pub fn navigate(route: &Route) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_hash(&route.hash());
    }
}

/// Whether the session is known yet.
#[derive(Debug, Clone, PartialEq)]
enum SessionState {
    Checking,
    SignedOut {
        message: Option<String>,
    },
    SignedIn(Session),
    /// The set-up link was opened: the first administrator is to be created with its token.
    SettingUp {
        token: String,
    },
    /// No network, and this computer keeps the remembered account's offline copy: its
    /// screens work; sending waits for the network (and a session).
    Offline(StaffUser),
    Unreachable,
}

/// Where the last signed-in account is remembered, so that its offline copy opens with no
/// network (the session cannot be checked then).
const USER_KEY: &str = "letsema.staff.user.v1";

fn remember(session: &Session) {
    let _ = LocalStorage::set(USER_KEY, &session.user);
}

/// The set-up link's token, if the page was opened by one.
fn opened_setup_token() -> Option<String> {
    let location = web_sys::window()?.location();
    setup_token(
        &location.search().unwrap_or_default(),
        &location.hash().unwrap_or_default(),
    )
}

/// Replaces the address, without a new history entry or a `hashchange`: set-up's `?setup`
/// and token leave it.
fn replace_address(hash: &str) {
    if let Some(window) = web_sys::window() {
        let path = window.location().pathname().unwrap_or_default();
        if let Ok(history) = window.history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("{path}{hash}")),
            );
        }
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let language = use_state(|| {
        let chosen = LocalStorage::get::<String>(LANGUAGE_KEY).ok();
        let browser = web_sys::window().and_then(|window| window.navigator().language());
        starting_language(chosen.as_deref(), browser.as_deref())
    });
    let words = Words::for_language(&language);
    let session = use_state(|| SessionState::Checking);
    let route = use_state(current_route);
    let offline = use_state(OfflineHandle::default);
    let revision = use_state(|| 0_u32);
    // Set-up just created this administrator: the Phones screen says what comes next.
    let set_up = use_state(|| false);
    let on_changed = {
        let revision = revision.clone();
        Callback::from(move |()| revision.set(revision.wrapping_add(1)))
    };

    // The account's offline copy, if this computer keeps one, opened once signed in.
    {
        let (offline, on_changed) = (offline.clone(), on_changed.clone());
        let user = match &*session {
            SessionState::SignedIn(current) => Some(current.user.id),
            SessionState::Offline(user) => Some(user.id),
            _ => None,
        };
        use_effect_with(user, move |user| {
            if let Some(info) = user.and_then(CopyInfo::stored) {
                let offline = (*offline).clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(copy) = OfflineCopy::open(info).await {
                        *offline.0.borrow_mut() = Some(copy);
                        on_changed.emit(());
                    }
                });
            }
        });
    }

    {
        let session = session.clone();
        use_effect_with((), move |()| {
            if let Some(token) = opened_setup_token() {
                session.set(SessionState::SettingUp { token });
                return;
            }
            wasm_bindgen_futures::spawn_local(async move {
                session.set(match api::session().await {
                    Ok(Some(current)) => {
                        remember(&current);
                        SessionState::SignedIn(current)
                    }
                    Ok(None) => SessionState::SignedOut { message: None },
                    Err(_) => match LocalStorage::get::<StaffUser>(USER_KEY) {
                        Ok(user) if CopyInfo::stored(user.id).is_some() => {
                            SessionState::Offline(user)
                        }
                        _ => SessionState::Unreachable,
                    },
                });
            });
        });
    }
    {
        let (route, set_up) = (route.clone(), set_up.clone());
        use_effect_with((), move |()| {
            let listener = web_sys::window().map(|window| {
                EventListener::new(&window, "hashchange", move |_| {
                    set_up.set(false);
                    route.set(current_route());
                })
            });
            move || drop(listener)
        });
    }
    use_effect_with(*language, |code| {
        if let Some(root) = web_sys::window()
            .and_then(|window| window.document())
            .and_then(|document| document.document_element())
        {
            let _ = root.set_attribute("lang", code);
        }
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            document.set_title(Words::for_language(code).title);
        }
    });

    let on_language = {
        let language = language.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            let value = select.value();
            if let Some((code, _)) = LANGUAGES.iter().find(|(code, _)| *code == value) {
                let _ = LocalStorage::set(LANGUAGE_KEY, code);
                language.set(code);
            }
        })
    };
    // Any call that finds the session ended comes back here.
    let on_signed_out = {
        let session = session.clone();
        Callback::from(move |()| {
            session.set(SessionState::SignedOut {
                message: Some(words.signed_out.to_owned()),
            });
        })
    };
    let on_signed_in = {
        let session = session.clone();
        Callback::from(move |signed_in: Session| {
            remember(&signed_in);
            session.set(SessionState::SignedIn(signed_in));
        })
    };
    let on_setup_done = {
        let (session, route, set_up) = (session.clone(), route.clone(), set_up.clone());
        Callback::from(move |signed_in: Session| {
            remember(&signed_in);
            replace_address(&Route::Phones.hash());
            set_up.set(true);
            route.set(Route::Phones);
            session.set(SessionState::SignedIn(signed_in));
        })
    };
    let on_setup_over = {
        let (session, route) = (session.clone(), route.clone());
        Callback::from(move |()| {
            replace_address("");
            route.set(current_route());
            session.set(SessionState::SignedOut {
                message: Some(words.setup().over.to_owned()),
            });
        })
    };
    let sign_out = {
        let session = session.clone();
        Callback::from(move |_: MouseEvent| {
            let session = session.clone();
            if let SessionState::SignedIn(current) = &*session {
                let csrf = current.csrf_token.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match api::sign_out(&csrf).await {
                        Ok(()) | Err(ApiError::SignedOut) => {
                            // The offline copy stays (unsent changes are never thrown away);
                            // signing in again opens it.
                            LocalStorage::delete(USER_KEY);
                            session.set(SessionState::SignedOut { message: None });
                        }
                        Err(_) => session.set(SessionState::Unreachable),
                    }
                });
            }
        })
    };

    let language_switch = html! {
        <div class="language">
            <label for="language">{ words.language }</label>
            <select id="language" onchange={on_language}>
                { for LANGUAGES.iter().map(|(code, name)| html! {
                    <option value={*code} selected={*code == *language}>{ *name }</option>
                }) }
            </select>
        </div>
    };
    let account = match &*session {
        SessionState::SignedIn(current) => html! {
            <div class="account">
                <span data-testid="signed-in-as">{ current.user.display_name.clone() }</span>
                <button type="button" class="secondary" onclick={sign_out}>{ words.sign_out }</button>
            </div>
        },
        SessionState::Offline(user) => html! {
            <div class="account">
                <span data-testid="signed-in-as">{ user.display_name.clone() }</span>
            </div>
        },
        _ => html! {},
    };
    // Where a signed-in staff member can go; the audit log only for admins.
    let navigation = match &*session {
        SessionState::SignedIn(current) => {
            let here = |yes: bool| yes.then_some("page");
            html! {
                <nav class="staff-nav" aria-label={words.nav_label}>
                    <a href={Route::Table(Filters::default()).hash()}
                        aria-current={here(matches!(&*route, Route::Table(_)))}>{ words.submissions }</a>
                    <a href={Route::Duplicates(PairList::Open).hash()} data-testid="nav-duplicates"
                        aria-current={here(matches!(&*route, Route::Duplicates(_) | Route::Compare { .. }))}>{ words.duplicates }</a>
                    <a href={Route::Dashboard(DashboardAddress::default()).hash()} data-testid="nav-dashboard"
                        aria-current={here(matches!(&*route, Route::Dashboard(_)))}>{ words.charts.dashboard }</a>
                    if matches!(current.user.role, Role::Admin | Role::Coordinator) {
                        <a href={Route::Phones.hash()} data-testid="nav-phones"
                            aria-current={here(matches!(&*route, Route::Phones))}>{ words.phones().title }</a>
                    }
                    if current.user.role == Role::Admin {
                        <a href={Route::Audit(AuditFilters::default()).hash()}
                            aria-current={here(matches!(&*route, Route::Audit(_)))}>{ words.audit_title }</a>
                    }
                </nav>
            }
        }
        _ => html! {},
    };
    let main = match &*session {
        SessionState::Offline(user) => {
            let offline_session = Session {
                user: user.clone(),
                csrf_token: String::new(),
            };
            let list = html! {
                <OfflineList words={words} session={offline_session.clone()} offline={(*offline).clone()}
                    revision={*revision} on_changed={on_changed.clone()} association={String::new()} />
            };
            html! {
                <>
                    <p class="notice" role="status" data-testid="no-network">{ words.no_network_offline_copy }</p>
                    { match &*route {
                        Route::OfflineSubmission(id) | Route::Submission(id) => html! {
                            <SubmissionView words={words} language={*language} session={offline_session}
                                id={id.clone()} on_signed_out={on_signed_out.clone()}
                                offline={Some((*offline).clone())} revision={*revision} on_changed={on_changed.clone()} />
                        },
                        Route::Table(_)
                        | Route::Offline
                        | Route::Audit(_)
                        | Route::Duplicates(_)
                        | Route::Compare { .. }
                        | Route::Dashboard(_)
                        | Route::Phones => list,
                    } }
                </>
            }
        }
        SessionState::Checking => html! { <p class="loading">{ words.loading }</p> },
        SessionState::Unreachable => html! {
            <p class="problem" role="alert">{ words.network_problem }</p>
        },
        SessionState::SettingUp { token } => html! {
            <SetupForm words={words} token={token.clone()} on_done={on_setup_done}
                on_over={on_setup_over} />
        },
        SessionState::SignedOut { message } => html! {
            <SignIn words={words} message={message.clone()} on_signed_in={on_signed_in} />
        },
        SessionState::SignedIn(current) => match &*route {
            Route::Table(filters) => html! {
                <Table words={words} language={*language} session={current.clone()}
                    filters={filters.clone()} on_signed_out={on_signed_out}
                    offline={(*offline).clone()} revision={*revision} on_changed={on_changed} />
            },
            Route::Submission(id) => html! {
                <SubmissionView words={words} language={*language} session={current.clone()}
                    id={id.clone()} on_signed_out={on_signed_out} offline={None::<OfflineHandle>} revision={0}
                    on_changed={on_changed} />
            },
            Route::Offline => html! {
                <OfflineList words={words} session={current.clone()} offline={(*offline).clone()}
                    revision={*revision} on_changed={on_changed} association={String::new()} />
            },
            Route::OfflineSubmission(id) => html! {
                <SubmissionView words={words} language={*language} session={current.clone()}
                    id={id.clone()} on_signed_out={on_signed_out}
                    offline={Some((*offline).clone())} revision={*revision} on_changed={on_changed} />
            },
            Route::Audit(filters) => html! {
                <AuditLog words={words} session={current.clone()} filters={filters.clone()}
                    on_signed_out={on_signed_out} />
            },
            Route::Duplicates(list) => html! {
                <DuplicatesList words={words} session={current.clone()} list={*list}
                    on_signed_out={on_signed_out} />
            },
            Route::Dashboard(address) => html! {
                <DashboardPage words={words} language={*language} session={current.clone()}
                    address={address.clone()} on_signed_out={on_signed_out} />
            },
            Route::Phones => html! {
                <PhonesPage words={words} session={current.clone()}
                    notice={set_up.then(|| words.setup().done)} on_signed_out={on_signed_out} />
            },
            Route::Compare { ids, list } => html! {
                <ComparePair words={words} language={*language} session={current.clone()}
                    ids={ids.clone()} list={*list}
                    on_signed_out={on_signed_out} />
            },
        },
    };
    html! {
        <>
            <header class="staff-header">
                <h1>{ words.title }</h1>
                { navigation }
                { language_switch }
                { account }
            </header>
            <main id="main">{ main }</main>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_round_trip_through_the_hash() {
        let filters = Filters {
            form: "reg".into(),
            search: "mpho".into(),
            ..Filters::default()
        };
        for route in [
            Route::Table(Filters::default()),
            Route::Table(filters),
            Route::Submission("0190f2a4-0000-7000-8000-000000000001".into()),
            Route::Offline,
            Route::OfflineSubmission("0190f2a4-0000-7000-8000-000000000001".into()),
            Route::Audit(AuditFilters::default()),
            Route::Audit(AuditFilters {
                action: "export".into(),
                actor: "user:7".into(),
            }),
            Route::Duplicates(PairList::Open),
            Route::Duplicates(PairList::Merged),
            Route::Compare {
                ids: vec![
                    "0190f2a4-0000-7000-8000-000000000001".into(),
                    "0190f2a4-0000-7000-8000-000000000002".into(),
                ],
                list: PairList::Different,
            },
            Route::Compare {
                ids: vec!["a".into(), "b".into(), "c".into()],
                list: PairList::Open,
            },
            Route::Dashboard(DashboardAddress::default()),
            Route::Phones,
            Route::Dashboard(DashboardAddress {
                filters: Filters {
                    form: "reg".into(),
                    status: "approved".into(),
                    ..Filters::default()
                },
                profession: "doctor".into(),
                country: "south_africa".into(),
            }),
        ] {
            assert_eq!(Route::parse(&route.hash()), route);
        }
        assert_eq!(Route::parse(""), Route::Table(Filters::default()));
        assert_eq!(
            Route::parse("#/audit?action=session.open"),
            Route::Audit(AuditFilters {
                action: "session.open".into(),
                actor: String::new(),
            })
        );
        // Not the audit log: a path that only starts like it.
        assert_eq!(Route::parse("#/auditors"), Route::Table(Filters::default()));
        assert_eq!(Route::parse("#/phones"), Route::Phones);
        assert_eq!(Route::parse("/phones?"), Route::Phones);
        assert_eq!(Route::parse("#/phonesx"), Route::Table(Filters::default()));
        // A set-up link's token is no route: the table, once set-up has left the address.
        assert_eq!(
            Route::parse("#k3Jx9-token"),
            Route::Table(Filters::default())
        );
    }
}
