//! The OpenAPI document describes the routes that exist, and the API is closed to other
//! origins.

mod common;

use std::collections::BTreeSet;

use common::fixture;
use letsema_server::routes::filters::served_operations;
use letsema_server::routes::health::OPENAPI;
use letsema_server::routes::routes;
use warp::http::StatusCode;

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let f = fixture();
    let document: serde_json::Value = serde_json::from_str(OPENAPI).expect("valid JSON");
    let paths = document["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, operations) in paths {
        for method in operations.as_object().expect("operations").keys() {
            let concrete = path.replace("{id}", "dev-unknown");
            let response = warp::test::request()
                .method(&method.to_uppercase())
                .path(&format!("{concrete}?name=x.md"))
                .reply(&routes(f.state.clone()))
                .await;
            let body = String::from_utf8_lossy(response.body()).into_owned();
            // The router's own "nothing is here" and 405 mean the operation is not routed;
            // anything else (401 without credentials, 400 without a body...) means it is.
            assert!(
                !body.contains("Nothing is here")
                    && response.status() != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed: {} {body}",
                response.status()
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} operations documented");
    let served = warp::test::request()
        .path("/api/openapi.json")
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "application/json");
}

/// The other way round: every operation the router serves (each made with
/// `routes::filters::operation!`, which records it as the router is built) is documented,
/// and is served where it says (a request there reaches a route).
#[tokio::test]
async fn every_served_operation_is_documented() {
    let f = fixture();
    let router = routes(f.state.clone());
    let document: serde_json::Value = serde_json::from_str(OPENAPI).expect("valid JSON");
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            let operations = operations.as_object().expect("operations");
            operations
                .keys()
                .map(move |method| (method.to_uppercase(), any_parameter(path)))
        })
        .collect();
    let served: BTreeSet<(String, String)> = served_operations().into_iter().collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in server/src/openapi.json: {undocumented:?}"
    );
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        unserved.is_empty(),
        "documented but not served: {unserved:?}"
    );
    for (method, path) in &served {
        let concrete = path.replace("{id}", "dev-unknown");
        let response = warp::test::request()
            .method(method)
            .path(&format!("{concrete}?name=x.md"))
            .reply(&router)
            .await;
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert!(
            !body.contains("Nothing is here")
                && response.status() != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is recorded but not served there: {} {body}",
            response.status()
        );
    }
    assert!(
        served.len() >= 20,
        "only {} operations served",
        served.len()
    );
}

/// A documented path as the router records it: every path parameter `{id}` (the OData
/// feed's paths name theirs, since one path cannot name two the same).
fn any_parameter(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn no_response_invites_other_origins() {
    let f = fixture();
    for (method, path) in [
        ("OPTIONS", "/api/session"),
        ("GET", "/api/health"),
        ("POST", "/api/session"),
    ] {
        let response = warp::test::request()
            .method(method)
            .path(path)
            .header("origin", "https://evil.example")
            .header("access-control-request-method", "POST")
            .reply(&routes(f.state.clone()))
            .await;
        assert!(
            response
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{method} {path} allowed another origin"
        );
    }
}

#[tokio::test]
async fn metrics_are_for_admins_and_the_scraper_token_only() {
    let mut f = fixture();
    f.state.metrics_token = Some("scraper-secret".to_owned());
    let get = |authorization: Option<&'static str>, cookie: Option<String>| {
        let state = f.state.clone();
        async move {
            let mut request = warp::test::request().path("/metrics");
            if let Some(value) = authorization {
                request = request.header("authorization", value);
            }
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            request.reply(&routes(state)).await
        }
    };
    assert_eq!(get(None, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(Some("Bearer wrong"), None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let coordinator = f.staff("coord-a@example.org").await;
    assert_eq!(
        get(None, Some(coordinator.cookie)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let scraped = get(Some("Bearer scraper-secret"), None).await;
    assert_eq!(scraped.status(), StatusCode::OK);
    let text = String::from_utf8_lossy(scraped.body()).into_owned();
    assert!(text.contains("letsema_validation_queue 0"), "{text}");
    assert!(
        text.contains("letsema_http_responses_total{class=\"4xx\"}"),
        "{text}"
    );
    let admin = f.staff("admin@example.org").await;
    assert_eq!(get(None, Some(admin.cookie)).await.status(), StatusCode::OK);
}
