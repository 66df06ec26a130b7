//! The sign-in form: the staff member's e-mail address and password (`POST /api/session`).

use letsema_protocol::staff::{Credentials, Session};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct SignInProps {
    pub words: &'static Words,
    /// Why the staff member has to sign in again, if they were signed in before.
    pub message: Option<String>,
    pub on_signed_in: Callback<Session>,
}

#[function_component(SignIn)]
pub fn sign_in(props: &SignInProps) -> Html {
    let words = props.words;
    let email = use_node_ref();
    let password = use_node_ref();
    let busy = use_state(|| false);
    let problem = use_state(|| None::<String>);

    let onsubmit = {
        let (email, password, busy, problem) = (
            email.clone(),
            password.clone(),
            busy.clone(),
            problem.clone(),
        );
        let on_signed_in = props.on_signed_in.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            let value = |node: &NodeRef| {
                node.cast::<HtmlInputElement>()
                    .map(|input| input.value())
                    .unwrap_or_default()
            };
            let credentials = Credentials {
                email: value(&email).trim().to_owned(),
                password: value(&password),
            };
            let (busy, problem, on_signed_in) =
                (busy.clone(), problem.clone(), on_signed_in.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match api::sign_in(&credentials).await {
                    Ok(session) => on_signed_in.emit(session),
                    Err(ApiError::Refused { message, .. }) => problem.set(Some(message)),
                    Err(_) => problem.set(Some(words.network_problem.to_owned())),
                }
                busy.set(false);
            });
        })
    };

    html! {
        <form class="sign-in" {onsubmit} aria-labelledby="sign-in-title">
            <h2 id="sign-in-title">{ words.sign_in_title }</h2>
            if let Some(message) = &props.message {
                <p class="notice" role="status">{ message.clone() }</p>
            }
            <label for="email">{ words.email }</label>
            <input id="email" ref={email} type="email" autocomplete="username" required=true />
            <label for="password">{ words.password }</label>
            <input id="password" ref={password} type="password" autocomplete="current-password"
                required=true />
            if let Some(problem) = &*problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            <button type="submit" disabled={*busy}>
                { if *busy { words.signing_in } else { words.sign_in } }
            </button>
        </form>
    }
}
