//! The HTTP routes, one module per area, assembled here with the headers every response
//! carries (`Cache-Control: no-store` unless a route set its own) and the single error
//! handler.

mod devices;
mod forms;
pub mod health;
pub mod metrics;
mod public_links;
mod session;
pub mod sync;
mod users;
mod web;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Notify;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::{CACHE_CONTROL, HeaderMap, HeaderName, HeaderValue};
use warp::reply::{Reply, Response};

use crate::auth::AuthConfig;
use crate::error::recover;
use crate::limits::RateLimits;
use crate::store::SharedStore;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The storage, seen only through its trait (`crate::store::Backend`).
    pub store: SharedStore,
    pub web_dir: PathBuf,
    pub auth: AuthConfig,
    /// The address people open, for links and QR codes (`--public-url`).
    pub public_url: String,
    /// Wakes the validator after a sync committed something.
    pub validator: Arc<Notify>,
    /// Syncs being handled: the validator waits for a gap between them.
    pub sync_activity: Arc<sync::SyncActivity>,
    /// Counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The bearer token a metrics scraper may use (`--metrics-token`); none: admins only.
    pub metrics_token: Option<String>,
    /// Request rates per device and per address.
    pub limits: RateLimits,
    /// Failed sign-ins per account and network, for the lock-out.
    pub(crate) sign_in_failures: Arc<session::SignInFailures>,
    /// The threads sync work runs on, one per core (see `workers.rs`).
    pub sync_workers: Arc<crate::workers::Workers>,
    /// Sync bodies in memory at once, in KiB ([`sync::SYNC_BODY_BUDGET_BYTES`]).
    pub sync_body_budget: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// A state with default session settings and a validator wake-up of its own.
    pub fn new(store: SharedStore, web_dir: PathBuf, public_url: impl Into<String>) -> Self {
        AppState {
            store,
            web_dir,
            auth: AuthConfig::default(),
            public_url: public_url.into(),
            validator: Arc::new(Notify::new()),
            sync_activity: Arc::default(),
            metrics: Arc::default(),
            metrics_token: None,
            limits: RateLimits::default(),
            sign_in_failures: Arc::default(),
            sync_workers: Arc::new(crate::workers::Workers::per_core("letsema-sync")),
            sync_body_budget: Arc::new(tokio::sync::Semaphore::new(
                sync::SYNC_BODY_BUDGET_BYTES / 1024,
            )),
        }
    }
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

/// A handler's answer: its response, or its error as JSON.
pub(crate) fn respond(result: Result<Response, crate::error::ApiError>) -> Response {
    result.unwrap_or_else(crate::error::ApiError::into_response)
}

/// The content security policy: scripts only from this origin, plus the WebAssembly
/// compilation the app needs, and nothing looser.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' \
     'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
     worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Every route of the server.
pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let api = warp::path("api").and(
        health::routes(state.clone())
            .or(session::routes(state.clone()))
            .unify()
            .or(users::routes(state.clone()))
            .unify()
            .or(devices::routes(state.clone()))
            .unify()
            .or(public_links::routes(state.clone()))
            .unify()
            .or(forms::routes(state.clone()))
            .unify()
            .or(sync::routes(state.clone()))
            .unify(),
    );
    let counters = state.metrics.clone();
    api.or(metrics::routes(state.clone()))
        .unify()
        .or(web::routes(state.web_dir.clone()))
        .unify()
        .recover(recover)
        .unify()
        .map(move |mut response: Response| {
            counters.count_response(response.status());
            // Unless a route chose its own caching (the web app's files revalidate with
            // their ETag), nothing is stored: API answers carry enrolment codes, CSRF
            // tokens, people's e-mail addresses and submissions, which no browser or
            // shared cache may keep.
            response
                .headers_mut()
                .entry(CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
            response
        })
        .with(warp::reply::with::headers(security_headers()))
        .map(Reply::into_response)
        .boxed()
}

fn security_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    let mut add = |name: &'static str, value: &'static str| {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    add("content-security-policy", CONTENT_SECURITY_POLICY);
    add("x-content-type-options", "nosniff");
    add("referrer-policy", "no-referrer");
    add("cross-origin-opener-policy", "same-origin");
    add(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(self)",
    );
    headers
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
