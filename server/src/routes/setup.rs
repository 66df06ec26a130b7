//! The first administrator, from the browser (see [`crate::setup`]):
//!
//! - `GET /setup` → `303 See Other` to `/staff/?setup` (the browser keeps the link's
//!   `#TOKEN` across the redirect, and the staff area shows its set-up screen), or 404 once
//!   an admin exists or the link was used
//! - `POST /api/setup` {token, email, name, password} → 201, the first admin made and this
//!   browser signed in as it (the body and cookie of `POST /api/session`); 403
//!   `bad_setup_token`; 404 `setup_over`; 422 for a weak password or a bad address
//!
//! No session and no CSRF token exist yet: the token, 256 random bits that only the
//! server's output showed, is what proves the request comes from whoever started the server.

use std::net::SocketAddr;

use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::LOCATION;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::{Reply, Response};

use super::filters::{blocking, json_body, operation, peer_addr, respond, with_state};
use super::session::open_session;
use crate::auth::{check_password_strength, hash_password};
use crate::error::ApiError;
use crate::setup::SetupRefusal;
use crate::state::AppState;
use crate::store::{NewUser, Role};

const MAX_BODY: u64 = 4 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SetupBody {
    token: String,
    email: String,
    #[serde(default)]
    name: String,
    password: String,
}

/// `GET /setup`, outside `/api`.
pub fn page(state: AppState) -> BoxedFilter<(Response,)> {
    operation!(top GET "setup")
        .and(with_state(state))
        .then(open_page)
        .map(respond)
        .boxed()
}

/// `POST /api/setup`.
pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    operation!(POST "setup")
        .and(with_state(state))
        .and(peer_addr())
        .and(json_body(MAX_BODY))
        .then(set_up)
        .map(respond)
        .boxed()
}

async fn open_page(state: AppState) -> Result<Response, ApiError> {
    if !state.setup.is_open() || admin_exists(&state).await? {
        return Err(setup_over());
    }
    let mut response = warp::reply::with_status("", StatusCode::SEE_OTHER).into_response();
    response
        .headers_mut()
        .insert(LOCATION, HeaderValue::from_static("/staff/?setup"));
    Ok(response)
}

async fn set_up(
    state: AppState,
    remote: Option<SocketAddr>,
    body: SetupBody,
) -> Result<Response, ApiError> {
    let address = remote.map(|a| a.ip());
    state.limits.public(address)?;
    if !state.setup.is_open() {
        return Err(setup_over());
    }
    if admin_exists(&state).await? {
        state.setup.close();
        return Err(setup_over());
    }
    let invalid =
        |message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_user", message);
    check_password_strength(&body.password).map_err(|e| invalid(format!("password: {e}")))?;
    let email = body.email.trim().to_owned();
    let name = match body.name.trim() {
        "" => email.clone(),
        name => name.to_owned(),
    };
    let digest = match state.setup.take(&body.token) {
        Ok(digest) => digest,
        Err(SetupRefusal::Closed) => return Err(setup_over()),
        Err(SetupRefusal::WrongToken) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "bad_setup_token",
                "This set-up link is not valid: use the link the server printed when it \
                 started (it works once, until the server restarts).",
            ));
        }
    };
    let store = state.store.clone();
    let from = address.map(|ip| ip.to_string());
    let made = blocking(move || {
        let password_hash = hash_password(&body.password).map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })?;
        let new = NewUser {
            email,
            display_name: name,
            role: Role::Admin,
            associations: Vec::new(),
            password_hash,
        };
        store
            .add_user(&new, "setup link", from.as_deref())
            .map_err(ApiError::from)
    })
    .await;
    let user = match made {
        Ok(user) => user,
        Err(error) => {
            // Nothing was made: the link stays usable, for a corrected address say.
            state.setup.reopen(digest);
            return Err(error);
        }
    };
    tracing::info!(
        user = user.id,
        "the first admin account was made with the set-up link"
    );

    open_session(&state, user, address, StatusCode::CREATED).await
}

async fn admin_exists(state: &AppState) -> Result<bool, ApiError> {
    let store = state.store.clone();
    let users = blocking(move || store.list_users()).await?;
    Ok(users.iter().any(|u| u.role == Role::Admin))
}

fn setup_over() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "setup_over",
        "Set-up is over: an administrator exists, or the link was used or is from before the \
         server restarted. Sign in at /staff/, or make an account with `letsema user add`.",
    )
}
