//! Staff sign-in: `POST /api/session` (sign in), `GET /api/session` (who am I, and the CSRF
//! token), `DELETE /api/session` (sign out), `POST /api/session/everywhere` (sign out on
//! every device).
//!
//! Failed sign-ins are slowed down per account and refused for a while per account and
//! network; see [`SignInFailures`] for the rule and why it is split that way.

use std::net::SocketAddr;

use letsema_protocol::staff::Credentials;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::SET_COOKIE;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::{Reply, Response};

use super::filters::{blocking, json_body, operation, peer_addr, respond, with_state};
use crate::auth::{
    Staff, clear_session_cookie, hash_password, random_token, session_cookie, staff, token_digest,
    unix_now, verify_password,
};
use crate::config::AuthConfig;
use crate::error::ApiError;
use crate::limits::{Network, failure_pause};
use crate::state::AppState;

/// The largest sign-in body accepted.
const MAX_BODY: u64 = 4 * 1024;

/// What `GET /api/session` and a successful sign-in answer (the wire's type).
pub use letsema_protocol::staff::Session as SessionBody;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let sign_in = operation!(POST "session")
        .and(with_state(state.clone()))
        .and(peer_addr())
        .and(json_body(MAX_BODY))
        .then(sign_in)
        .map(respond);
    let who = operation!(GET "session")
        .and(staff(state.clone()))
        .map(|staff: Staff| {
            let body = SessionBody {
                user: staff.user,
                csrf_token: staff.csrf_token,
            };
            no_store(warp::reply::json(&body).into_response())
        });
    let sign_out = operation!(DELETE "session")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(sign_out)
        .map(respond);
    let everywhere = operation!(POST "session" / "everywhere")
        .and(with_state(state.clone()))
        .and(staff(state))
        .then(sign_out_everywhere)
        .map(respond);
    sign_in
        .or(who)
        .unify()
        .or(sign_out)
        .unify()
        .or(everywhere)
        .unify()
        .boxed()
}

async fn sign_in(
    state: AppState,
    remote: Option<SocketAddr>,
    credentials: Credentials,
) -> Result<Response, ApiError> {
    let address = remote.map(|a| a.ip());
    state.limits.public(address)?;
    let email = credentials.email.trim().to_owned();
    if email.is_empty() || email.len() > 254 || credentials.password.len() > 1024 {
        return Err(bad_credentials());
    }
    let now = unix_now();
    let network = Network::of(address);
    if let Err(locked) = state.sign_in_failures.check(&email, network, now) {
        return Ok(locked.into_response());
    }
    let store = state.store.clone();
    let lookup_email = email.clone();
    let failures = blocking(move || store.recent_login_failures(&lookup_email, now)).await?;

    let store = state.store.clone();
    let lookup_email = email.clone();
    let account = blocking(move || store.credentials(&lookup_email)).await?;
    let password = credentials.password;
    let (user, ok) = blocking(move || {
        Ok::<_, ApiError>(match account {
            Some((user, hash)) => {
                let ok = verify_password(&hash, &password);
                (Some(user), ok)
            }
            None => {
                // Hash anyway, so that an unknown address answers as slowly as a known one.
                let _ = hash_password(&password);
                (None, false)
            }
        })
    })
    .await?;

    let Some(user) = user.filter(|_| ok) else {
        let store = state.store.clone();
        let failed_email = email.clone();
        blocking(move || store.record_login_failure(&failed_email, now)).await?;
        state.sign_in_failures.record(&email, network, now);
        tokio::time::sleep(failure_pause(failures)).await;
        return Err(bad_credentials());
    };

    let response = open_session(&state, user, address, StatusCode::OK).await?;
    state.sign_in_failures.forget(&email, network);
    Ok(response)
}

/// Opens a session for `user` (signed in, or just made by the set-up link): its token in the
/// cookie, only its digest stored, and the body `POST /api/session` answers, with `status`.
pub(super) async fn open_session(
    state: &AppState,
    user: letsema_protocol::staff::StaffUser,
    address: Option<std::net::IpAddr>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let token = random_token()?;
    let csrf_token = random_token()?;
    let digest = token_digest(&token);
    let now = unix_now();
    let store = state.store.clone();
    let session_user = user.clone();
    let session_csrf = csrf_token.clone();
    let from = address.map(|ip| ip.to_string());
    blocking(move || {
        store.open_session(&session_user, &digest, &session_csrf, now, from.as_deref())
    })
    .await?;
    let body = SessionBody { user, csrf_token };
    let mut response =
        no_store(warp::reply::with_status(warp::reply::json(&body), status).into_response());
    let cookie = session_cookie(&token, &state.auth);
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?,
    );
    Ok(response)
}

async fn sign_out(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let digest = staff.token_sha256;
    blocking(move || store.close_session(&digest)).await?;
    Ok(cleared(&state.auth))
}

async fn sign_out_everywhere(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let closed = blocking(move || store.close_all_sessions(&staff.user, staff.from())).await?;
    let mut response = cleared(&state.auth);
    *response.body_mut() = serde_json::json!({ "closed_sessions": closed })
        .to_string()
        .into();
    Ok(response)
}

fn cleared(config: &AuthConfig) -> Response {
    let mut response = warp::reply::json(&serde_json::json!({})).into_response();
    if let Ok(value) = HeaderValue::from_str(&clear_session_cookie(config)) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "The e-mail address or the password is wrong. Check both and try again.",
    )
}
