//! The first run: a server with no administrator prints a one-time link,
//! `http://HOST/setup#TOKEN`, which it sends on to `/staff/?setup#TOKEN`. There, instead of
//! the sign-in form, this screen creates the first administrator (`POST /api/setup`) and
//! signs the browser in. The token stays after `#`, so it never reaches a server log.
//!
//! The form's rules are the server's for `letsema user add` (`auth::check_password_strength`,
//! the account's e-mail and name rules); the server checks them again.

use letsema_protocol::staff::Session;
use serde::Serialize;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::words::Words;

/// The shortest password the server takes.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password the server takes, in bytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest display name the server takes.
pub const MAX_NAME_CHARS: usize = 120;

/// The set-up token if the page was opened by a set-up link (`?setup` in the address's
/// query; the token is its hash, without `#`).
pub fn setup_token(search: &str, hash: &str) -> Option<String> {
    let query = search.trim_start_matches('?');
    form_urlencoded::parse(query.as_bytes())
        .any(|(key, _)| key == "setup")
        .then(|| hash.trim_start_matches('#').to_owned())
}

/// What is wrong with the set-up form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupProblem {
    Email,
    Name,
    PasswordShort,
    PasswordsDiffer,
}

/// `POST /api/setup`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub name: String,
    pub password: String,
}

/// The set-up form as typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetupDraft {
    pub email: String,
    pub name: String,
    pub password: String,
    pub again: String,
}

impl SetupDraft {
    /// The request to send with `token`, or every problem found.
    pub fn request(&self, token: &str) -> Result<SetupRequest, Vec<SetupProblem>> {
        let mut problems = Vec::new();
        let email = self.email.trim();
        if !is_email(email) {
            problems.push(SetupProblem::Email);
        }
        let name = self.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            problems.push(SetupProblem::Name);
        }
        if self.password.chars().count() < MIN_PASSWORD_CHARS
            || self.password.len() > MAX_PASSWORD_BYTES
        {
            problems.push(SetupProblem::PasswordShort);
        } else if self.password != self.again {
            problems.push(SetupProblem::PasswordsDiffer);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(SetupRequest {
            token: token.to_owned(),
            email: email.to_owned(),
            name: name.to_owned(),
            password: self.password.clone(),
        })
    }
}

/// An e-mail address by the server's rule: something, `@`, a domain with a dot inside.
fn is_email(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[derive(Debug, Properties, PartialEq)]
pub struct SetupProps {
    pub words: &'static Words,
    /// The token from the link.
    pub token: String,
    /// The first administrator exists, and this browser is signed in as them.
    pub on_done: Callback<Session>,
    /// Set-up is over already (an administrator exists, or the server restarted).
    pub on_over: Callback<()>,
}

#[function_component(SetupForm)]
pub fn setup_form(props: &SetupProps) -> Html {
    let words = props.words;
    let setup = words.setup();
    let draft = use_state(SetupDraft::default);
    let problems = use_state(Vec::<SetupProblem>::new);
    let refusal = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let field = |set: fn(&mut SetupDraft, String)| {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                let mut changed = (*draft).clone();
                set(&mut changed, input.value());
                draft.set(changed);
            }
        })
    };
    let onsubmit = {
        let (draft, problems, refusal, busy) = (
            draft.clone(),
            problems.clone(),
            refusal.clone(),
            busy.clone(),
        );
        let (token, on_done, on_over) = (
            props.token.clone(),
            props.on_done.clone(),
            props.on_over.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            refusal.set(None);
            if token.is_empty() {
                refusal.set(Some(setup.bad_link.to_owned()));
                return;
            }
            let request = match draft.request(&token) {
                Ok(request) => request,
                Err(found) => {
                    problems.set(found);
                    return;
                }
            };
            problems.set(Vec::new());
            busy.set(true);
            let (refusal, busy) = (refusal.clone(), busy.clone());
            let (on_done, on_over) = (on_done.clone(), on_over.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::setup(&request).await {
                    Ok(session) => on_done.emit(session),
                    Err(ApiError::Refused { status: 404, .. }) => on_over.emit(()),
                    Err(ApiError::Refused { status: 403, .. }) => {
                        refusal.set(Some(setup.bad_link.to_owned()));
                    }
                    Err(ApiError::Refused { message, .. }) => refusal.set(Some(message)),
                    Err(_) => refusal.set(Some(words.network_problem.to_owned())),
                }
                busy.set(false);
            });
        })
    };
    let said = |problem: SetupProblem| problems.contains(&problem).then(|| setup.problem(problem));
    let error = |id: &'static str, problem: Option<String>| match problem {
        Some(text) => html! { <p class="problem" id={id}>{ text }</p> },
        None => Html::default(),
    };
    let described = |problem: Option<&String>, id: &'static str, hint: Option<&'static str>| {
        let ids: Vec<&str> = hint.into_iter().chain(problem.map(|_| id)).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let email_problem = said(SetupProblem::Email);
    let name_problem = said(SetupProblem::Name);
    let password_problem =
        said(SetupProblem::PasswordShort).or_else(|| said(SetupProblem::PasswordsDiffer));

    html! {
        <form class="sign-in setup" {onsubmit} novalidate=true aria-labelledby="setup-title"
            data-testid="setup">
            <h2 id="setup-title">{ setup.title }</h2>
            <p>{ setup.intro }</p>
            <label for="setup-email">{ words.email }</label>
            <input id="setup-email" type="email" autocomplete="username" required=true
                value={draft.email.clone()} oninput={field(|d, v| d.email = v)}
                aria-invalid={email_problem.is_some().then_some("true")}
                aria-describedby={described(email_problem.as_ref(), "setup-email-problem", None)} />
            { error("setup-email-problem", email_problem.clone()) }
            <label for="setup-name">{ setup.name }</label>
            <input id="setup-name" type="text" autocomplete="name" required=true maxlength="120"
                value={draft.name.clone()} oninput={field(|d, v| d.name = v)}
                aria-invalid={name_problem.is_some().then_some("true")}
                aria-describedby={described(name_problem.as_ref(), "setup-name-problem", None)} />
            { error("setup-name-problem", name_problem.clone()) }
            <label for="setup-password">{ words.password }</label>
            <input id="setup-password" type="password" autocomplete="new-password" required=true
                value={draft.password.clone()} oninput={field(|d, v| d.password = v)}
                aria-invalid={password_problem.is_some().then_some("true")}
                aria-describedby={described(password_problem.as_ref(), "setup-password-problem",
                    Some("setup-password-hint"))} />
            <small id="setup-password-hint">{ setup.password_hint() }</small>
            <label for="setup-again">{ setup.password_again }</label>
            <input id="setup-again" type="password" autocomplete="new-password" required=true
                value={draft.again.clone()} oninput={field(|d, v| d.again = v)}
                aria-invalid={password_problem.is_some().then_some("true")} />
            { error("setup-password-problem", password_problem) }
            <div role="alert" data-testid="setup-problem">
                if let Some(refusal) = &*refusal {
                    <p class="problem">{ refusal.clone() }</p>
                }
            </div>
            <button type="submit" disabled={*busy}>
                { if *busy { setup.creating } else { setup.create } }
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(email: &str, name: &str, password: &str, again: &str) -> SetupDraft {
        SetupDraft {
            email: email.to_owned(),
            name: name.to_owned(),
            password: password.to_owned(),
            again: again.to_owned(),
        }
    }

    #[test]
    fn a_set_up_link_is_told_by_its_query_and_carries_its_token_in_the_hash() {
        assert_eq!(
            setup_token("?setup", "#abc-123"),
            Some("abc-123".to_owned())
        );
        assert_eq!(setup_token("?setup=", ""), Some(String::new()));
        assert_eq!(setup_token("?lang=st&setup", "#t"), Some("t".to_owned()));
        assert_eq!(setup_token("", "#/phones"), None);
        assert_eq!(setup_token("?setupx", "#t"), None);
    }

    #[test]
    fn the_form_follows_the_servers_account_rules() {
        use SetupProblem::*;
        let password = "twelve chars";
        let request = draft(" ada@example.org ", " Ada ", password, password)
            .request("tok")
            .expect("valid");
        assert_eq!(
            serde_json::to_value(&request).expect("serialises"),
            serde_json::json!({
                "token": "tok", "email": "ada@example.org", "name": "Ada",
                "password": "twelve chars",
            })
        );
        for (form, problems) in [
            (draft("ada", "Ada", password, password), vec![Email]),
            (
                draft("ada@localhost", "Ada", password, password),
                vec![Email],
            ),
            (draft("a da@x.org", "Ada", password, password), vec![Email]),
            (draft("ada@x.org", "  ", password, password), vec![Name]),
            (
                draft("ada@x.org", &"n".repeat(121), password, password),
                vec![Name],
            ),
            (
                draft("ada@x.org", "Ada", "eleven char", "eleven char"),
                vec![PasswordShort],
            ),
            (
                draft("ada@x.org", "Ada", password, "twelve chars "),
                vec![PasswordsDiffer],
            ),
            (draft("", "", "", ""), vec![Email, Name, PasswordShort]),
        ] {
            assert_eq!(form.request("tok"), Err(problems), "{form:?}");
        }
        // Twelve characters, not twelve bytes: "ĥ" is two bytes.
        let accented = "ĥĥĥĥĥĥĥĥĥĥĥĥ";
        assert!(
            draft("a@b.co", "A", accented, accented)
                .request("t")
                .is_ok()
        );
    }
}
