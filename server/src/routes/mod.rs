//! The HTTP routes, one module per area, assembled here with the headers every response
//! carries (`Cache-Control: no-store` unless a route set its own; the page's security
//! headers on the web app's files, a short set on the API's answers) and the single error
//! handler.

mod associations;
mod audit;
mod dashboard;
mod devices;
pub mod download;
mod duplicates;
mod exports;
pub mod filters;
mod forms;
pub mod health;
mod imports;
pub mod metrics;
mod odata;
mod public_links;
mod session;
mod setup;
mod submissions;
pub mod sync;
mod users;
mod web;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use warp::reply::Response;

use crate::error::recover;
use crate::state::AppState;

pub use filters::{PeerAddr, peer_addr};

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
            .or(associations::routes(state.clone()))
            .unify()
            .or(devices::routes(state.clone()))
            .unify()
            .or(public_links::routes(state.clone()))
            .unify()
            .or(forms::routes(state.clone()))
            .unify()
            .or(submissions::routes(state.clone()))
            .unify()
            .or(duplicates::routes(state.clone()))
            .unify()
            .or(dashboard::routes(state.clone()))
            .unify()
            .or(exports::routes(state.clone()))
            .unify()
            .or(audit::routes(state.clone()))
            .unify()
            .or(imports::routes(state.clone()))
            .unify()
            .or(odata::routes(state.clone()))
            .unify()
            .or(sync::routes(state.clone()))
            .unify()
            .or(setup::routes(state.clone()))
            .unify(),
    );
    let counters = state.metrics.clone();
    let answered = api
        .or(metrics::routes(state.clone()))
        .unify()
        .or(setup::page(state.clone()))
        .unify()
        .or(web::routes(state.web_dir.clone()))
        .unify()
        .recover(recover)
        .unify();
    warp::path::full()
        .and(answered)
        .map(move |path: warp::path::FullPath, mut response: Response| {
            counters.count_response(response.status());
            let headers = response.headers_mut();
            // Unless a route chose its own caching (the web app's files revalidate with
            // their ETag), nothing is stored: API answers carry enrolment codes, CSRF
            // tokens, people's e-mail addresses and submissions, which no browser or
            // shared cache may keep.
            headers
                .entry(CACHE_CONTROL)
                .or_insert(HeaderValue::from_static("no-store"));
            let set: &[(&str, &str)] = if is_api(path.as_str()) {
                API_SECURITY_HEADERS
            } else {
                PAGE_SECURITY_HEADERS
            };
            for (name, value) in set {
                headers.insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            response
        })
        .boxed()
}

/// Whether a path is the API's (JSON, sync frames, metrics) rather than the web app's.
fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path == "/metrics"
}

/// What the web app's pages and scripts carry: the policy the page runs under (a service
/// worker's script is governed by its own response's policy, so the scripts carry it too).
/// The camera is this origin's alone (the start page reads enrolment QR codes with it), as
/// the location is (a form's geopoint); the microphone is nobody's.
const PAGE_SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    (
        "permissions-policy",
        "camera=(self), microphone=(), geolocation=(self)",
    ),
];

/// The API's answers are data, never pages: nothing in them may run, load anything, or be
/// framed if a browser is ever led to open one, and they are never sniffed as something
/// else. The page's long policy would add about 280 bytes to every sync answer, a phone's
/// most frequent request.
const API_SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
];

#[cfg(test)]
mod tests {
    /// Every route of the API is made with `filters::operation!`, so that
    /// `filters::served_operations` lists every one (checked against the OpenAPI document
    /// by `server/tests/openapi.rs`): no module of `routes/` but `filters.rs` (which
    /// defines the macro) and `web.rs` (the web app's files, not API operations) names
    /// `warp::path`.
    #[test]
    fn every_api_route_is_made_with_operation() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("routes/ is readable") {
            let path = entry.expect("an entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if ["mod.rs", "filters.rs", "web.rs"].contains(&name) {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("a route module");
            for (number, line) in source.lines().enumerate() {
                assert!(
                    !line.contains("warp::path"),
                    "routes/{name}:{}: make API routes with `operation!` (filters.rs), so \
                     that the OpenAPI test sees them: {line}",
                    number + 1
                );
            }
            checked += 1;
        }
        assert!(
            checked >= 8,
            "only {checked} route modules found in {dir:?}"
        );
    }
}
