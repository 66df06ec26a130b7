//! What the routes share: the state and a size-limited JSON body as filters, the client's
//! address, one way to run blocking work, and how each storage area's errors become
//! [`ApiError`]s (one `From` per area, so that every route answers a failure alike).

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

use serde::de::DeserializeOwned;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    AssociationError, DeviceError, MAX_QUERY_BYTES, PeopleError, PublishError, QueryError,
};

/// The filter of one API operation: its path (as `warp::path!` takes it, under `/api/`, or
/// at the top with `top`) and its method, recorded in [`served_operations`] as the router is
/// built, so that a test holds what is served against the OpenAPI document both ways. Every
/// route of the API is made with it (a test of `routes` fails on a `warp::path` outside it).
///
/// `operation!(POST "devices" / String / "revoke")` is `POST /api/devices/{id}/revoke`.
macro_rules! operation {
    (@method GET) => { warp::get() };
    (@method POST) => { warp::post() };
    (@method PUT) => { warp::put() };
    (@method DELETE) => { warp::delete() };
    (top $method:ident $($segment:tt)/+) => {{
        $crate::routes::filters::record_operation(
            stringify!($method),
            "",
            &[$(stringify!($segment)),+],
        );
        warp::path!($($segment)/+).and(operation!(@method $method))
    }};
    ($method:ident $($segment:tt)/+) => {{
        $crate::routes::filters::record_operation(
            stringify!($method),
            "/api",
            &[$(stringify!($segment)),+],
        );
        warp::path!($($segment)/+).and(operation!(@method $method))
    }};
}
pub(crate) use operation;

/// `GET /api/{segment}/…` with whatever follows as a [`warp::path::Tail`], for a route whose
/// paths vary in depth (the OData feed's keys and navigation links); `documented` are its
/// paths as the OpenAPI document lists them (`{id}` for each parameter), recorded as
/// [`operation!`] records its own.
pub fn get_with_tail(
    segment: &'static str,
    documented: &[&str],
) -> impl Filter<Extract = (warp::path::Tail,), Error = warp::Rejection> + Clone + Send + Sync + 'static
{
    for path in documented {
        SERVED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(("GET".to_owned(), (*path).to_owned()));
    }
    warp::path(segment).and(warp::path::tail()).and(warp::get())
}

/// Every operation [`operation!`] has made since the process started, as `(METHOD, path)`
/// with OpenAPI's `{id}` for a path parameter.
static SERVED: Mutex<BTreeSet<(String, String)>> = Mutex::new(BTreeSet::new());

/// Records an operation [`operation!`] makes: `segments` as `stringify!` gives them (a
/// quoted literal, or a parameter's type).
pub fn record_operation(method: &str, base: &str, segments: &[&str]) {
    let mut path = base.to_owned();
    for segment in segments {
        path.push('/');
        match segment.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(literal) => path.push_str(literal),
            None => path.push_str("{id}"),
        }
    }
    SERVED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((method.to_owned(), path));
}

/// The operations of every router built so far in this process ([`super::routes`]), as
/// `(METHOD, path)`, sorted.
pub fn served_operations() -> Vec<(String, String)> {
    SERVED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .cloned()
        .collect()
}

/// The state, for a handler that takes it as its first argument.
pub fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone + Send + Sync + 'static {
    warp::any().map(move || state.clone())
}

/// A JSON body of at most `limit` bytes, read as `T`: 411 without a length, 413 over the
/// limit, 400 `bad_body` when it is not a `T` (see `crate::error::recover`).
pub fn json_body<T: DeserializeOwned + Send + 'static>(
    limit: u64,
) -> impl Filter<Extract = (T,), Error = Rejection> + Clone + Send + Sync + 'static {
    warp::body::content_length_limit(limit).and(warp::body::json())
}

/// A handler's answer: its response, or its error as JSON.
pub fn respond(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

/// Runs storage work (or other blocking work: password hashing) on tokio's blocking pool;
/// its error becomes the API's, and a panic a 500.
pub async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Into<ApiError> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(Into::into)
}

/// The network address of the client a request came from, put into every request's
/// extensions by the server's accept loop (`serve.rs`), for plain HTTP and TLS alike.
/// (warp's own `RemoteAddr` is private to warp, so it is never set outside `warp::serve`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The address of the client: the [`PeerAddr`] the accept loop recorded, or else warp's
/// remote address (what `warp::test::request().remote_addr(..)` sets in route tests).
/// `None` when neither is known.
pub fn peer_addr()
-> impl Filter<Extract = (Option<SocketAddr>,), Error = Infallible> + Clone + Send + Sync + 'static
{
    warp::ext::optional::<PeerAddr>()
        .and(warp::addr::remote())
        .map(|peer: Option<PeerAddr>, remote: Option<SocketAddr>| {
            peer.map(|PeerAddr(addr)| addr).or(remote)
        })
}

/// A query string (`warp::query::raw`'s) as decoded `name=value` pairs, for the routes
/// whose parameters repeat (`choice=`) or are checked by the store's own rules.
///
/// # Errors
///
/// [`QueryError::TooLong`] beyond [`MAX_QUERY_BYTES`].
pub fn query_pairs(raw: &str) -> Result<Vec<(String, String)>, ApiError> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong.into());
    }
    Ok(form_urlencoded::parse(raw.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect())
}

/// A parameter that is unknown, repeated or malformed: 400 `invalid_query`, with what to
/// write instead.
impl From<QueryError> for ApiError {
    fn from(error: QueryError) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string())
    }
}

impl From<PeopleError> for ApiError {
    fn from(error: PeopleError) -> Self {
        match error {
            PeopleError::EmailTaken(_) => {
                ApiError::new(StatusCode::CONFLICT, "email_taken", error.to_string())
            }
            PeopleError::Database(_) | PeopleError::Poisoned => {
                tracing::error!(error = %error, "people store failed");
                ApiError::internal()
            }
            _ => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_user",
                error.to_string(),
            ),
        }
    }
}

impl From<AssociationError> for ApiError {
    fn from(error: AssociationError) -> Self {
        match error {
            AssociationError::Database(_) | AssociationError::Poisoned => {
                tracing::error!(error = %error, "association store failed");
                ApiError::internal()
            }
            _ => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_association",
                error.to_string(),
            ),
        }
    }
}

impl From<DeviceError> for ApiError {
    fn from(error: DeviceError) -> Self {
        match error {
            DeviceError::EnrolmentInvalid => ApiError::new(
                StatusCode::FORBIDDEN,
                "enrolment_invalid",
                error.to_string(),
            ),
            DeviceError::NoSuchDevice => {
                ApiError::new(StatusCode::NOT_FOUND, "no_such_device", error.to_string())
            }
            DeviceError::NoSuchPublicLink => ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_public_link",
                error.to_string(),
            ),
            other => {
                tracing::error!(error = %other, "device store failed");
                ApiError::internal()
            }
        }
    }
}

impl From<PublishError> for ApiError {
    fn from(error: PublishError) -> Self {
        match &error {
            PublishError::Database(_) | PublishError::Poisoned => {
                tracing::error!(error = %error, "form store failed");
                ApiError::internal()
            }
            PublishError::VersionTaken { .. } => {
                ApiError::new(StatusCode::CONFLICT, "version_taken", error.to_string())
            }
            PublishError::TooLarge { .. } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "form_too_large",
                error.to_string(),
            ),
            PublishError::Files { .. } => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_files",
                error.to_string(),
            ),
            _ => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_form",
                error.to_string(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn seen(request: warp::test::RequestBuilder) -> Option<SocketAddr> {
        request
            .filter(&peer_addr())
            .await
            .unwrap_or_else(|never| match never {})
    }

    #[tokio::test]
    async fn peer_addr_prefers_the_accept_loops_address_then_warps() {
        let ours: SocketAddr = "192.0.2.1:4000".parse().expect("an address");
        let warps: SocketAddr = "198.51.100.2:5000".parse().expect("an address");
        let both = warp::test::request()
            .extension(PeerAddr(ours))
            .remote_addr(warps);
        assert_eq!(seen(both).await, Some(ours));
        let only_warps = warp::test::request().remote_addr(warps);
        assert_eq!(seen(only_warps).await, Some(warps));
        assert_eq!(seen(warp::test::request()).await, None);
    }
}
