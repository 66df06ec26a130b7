//! The HTTP routes, exercised in memory with `warp::test`.

mod common;

use letsema_protocol::{ApiErrorBody, DatabaseState, Health, HealthStatus};
use letsema_server::routes::routes;
use letsema_server::state::AppState;
use warp::http::StatusCode;

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = common::test_store(&dir.path().join("data"));
    let web_dir = dir.path().join("web");
    std::fs::create_dir_all(web_dir.join("pkg")).expect("web dir");
    std::fs::write(
        web_dir.join("index.html"),
        "<!doctype html><title>app</title>",
    )
    .expect("w");
    std::fs::write(web_dir.join("pkg/app_bg.wasm"), b"\0asm-raw").expect("w");
    std::fs::create_dir_all(web_dir.join("staff")).expect("staff dir");
    std::fs::write(
        web_dir.join("staff/index.html"),
        "<!doctype html><title>staff</title>",
    )
    .expect("w");
    std::fs::write(web_dir.join("staff/sw.js"), "// the staff area's worker").expect("w");
    std::fs::write(web_dir.join("pkg/app_bg.wasm.br"), b"brotli-bytes").expect("w");
    std::fs::write(web_dir.join("secret.txt"), b"not for you").expect("w");
    Fixture {
        _dir: dir,
        state: AppState::new(store, web_dir, "http://127.0.0.1:8080"),
    }
}

#[tokio::test]
async fn health_reports_version_engine_and_database() {
    let f = fixture();
    let response = warp::test::request()
        .path("/api/health")
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let health: Health = serde_json::from_slice(response.body()).expect("health JSON");
    assert_eq!(health.status, HealthStatus::Ok);
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(health.form_engine, letsema_form::engine_info());
    assert_eq!(health.database.state, DatabaseState::Ok);
    assert!(health.database.schema_version.is_some());
    // SQLite says its journal mode; PostgreSQL has none to say.
    let journal = match std::env::var("LETSEMA_TEST_BACKEND").as_deref() {
        Ok("postgres") => None,
        _ => Some("wal"),
    };
    assert_eq!(health.database.journal_mode.as_deref(), journal);
}

#[tokio::test]
async fn unknown_api_routes_answer_json_errors() {
    let f = fixture();
    let response = warp::test::request()
        .path("/api/nothing-here")
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: ApiErrorBody = serde_json::from_slice(response.body()).expect("error JSON");
    assert_eq!(body.error.code, "not_found");

    let response = warp::test::request()
        .method("POST")
        .path("/api/health")
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: ApiErrorBody = serde_json::from_slice(response.body()).expect("error JSON");
    assert_eq!(body.error.code, "method_not_allowed");
}

#[tokio::test]
async fn the_apps_files_carry_the_pages_security_policy_and_the_api_a_short_one() {
    let f = fixture();
    for path in ["/", "/missing.js", "/pkg/app_bg.wasm"] {
        let response = warp::test::request()
            .path(path)
            .reply(&routes(f.state.clone()))
            .await;
        let headers = response.headers();
        let csp = headers["content-security-policy"]
            .to_str()
            .expect("ascii header");
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval';"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        // The start page reads enrolment QR codes with the camera; nothing else may.
        assert_eq!(
            headers["permissions-policy"], "camera=(self), microphone=(), geolocation=(self)",
            "{path}"
        );
    }
    for path in ["/api/health", "/api/missing", "/metrics"] {
        let response = warp::test::request()
            .path(path)
            .reply(&routes(f.state.clone()))
            .await;
        let headers = response.headers();
        assert_eq!(
            headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'",
            "{path}: data, never a page"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert!(headers.get("permissions-policy").is_none(), "{path}");
        let header_bytes: usize = headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        assert!(header_bytes < 200, "{path}: {header_bytes} B of headers");
    }
}

#[tokio::test]
async fn the_app_is_served_with_brotli_when_accepted_and_revalidated_by_etag() {
    let f = fixture();
    let filter = routes(f.state.clone());
    let plain = warp::test::request()
        .path("/pkg/app_bg.wasm")
        .reply(&filter)
        .await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(plain.body().as_ref(), b"\0asm-raw");
    assert_eq!(plain.headers()["content-type"], "application/wasm");
    assert!(plain.headers().get("content-encoding").is_none());
    // The app's files keep their own caching: revalidated by ETag, not `no-store`.
    assert_eq!(plain.headers()["cache-control"], "no-cache");

    let brotli = warp::test::request()
        .path("/pkg/app_bg.wasm")
        .header("accept-encoding", "gzip, br")
        .reply(&filter)
        .await;
    assert_eq!(brotli.headers()["content-encoding"], "br");
    assert_eq!(brotli.headers()["content-type"], "application/wasm");
    assert_eq!(brotli.body().as_ref(), b"brotli-bytes");

    let etag = brotli.headers()["etag"].clone();
    let again = warp::test::request()
        .path("/pkg/app_bg.wasm")
        .header("accept-encoding", "br")
        .header("if-none-match", etag)
        .reply(&filter)
        .await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.body().is_empty());
}

#[tokio::test]
async fn app_addresses_without_a_file_get_the_app_and_missing_files_do_not() {
    let f = fixture();
    let filter = routes(f.state.clone());
    let page = warp::test::request()
        .path("/enrol/abc123")
        .reply(&filter)
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(String::from_utf8_lossy(page.body()).contains("<title>app</title>"));

    let missing = warp::test::request()
        .path("/pkg/missing.js")
        .reply(&filter)
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_staff_areas_addresses_get_the_staff_page() {
    let f = fixture();
    let filter = routes(f.state.clone());
    for path in ["/staff", "/staff/", "/staff/submissions"] {
        let page = warp::test::request().path(path).reply(&filter).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert!(
            String::from_utf8_lossy(page.body()).contains("<title>staff</title>"),
            "{path} is the staff area"
        );
    }
    let volunteers = warp::test::request().path("/staffing").reply(&filter).await;
    assert!(String::from_utf8_lossy(volunteers.body()).contains("<title>app</title>"));
    // Its service worker may serve /staff, above its own folder.
    let worker = warp::test::request()
        .path("/staff/sw.js")
        .reply(&filter)
        .await;
    assert_eq!(worker.status(), StatusCode::OK);
    assert_eq!(worker.headers()["service-worker-allowed"], "/staff");
}

#[tokio::test]
async fn paths_cannot_leave_the_web_folder() {
    let f = fixture();
    let filter = routes(f.state.clone());
    for path in [
        "/../data/letsema.sqlite3",
        "/%2e%2e/data/letsema.sqlite3",
        "/pkg/..%2f..%2fdata",
        "/.hidden",
    ] {
        let response = warp::test::request().path(path).reply(&filter).await;
        let body = String::from_utf8_lossy(response.body());
        assert!(!body.contains("SQLite"), "{path} leaked the database");
        assert_ne!(response.status(), StatusCode::OK, "{path}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn symbolic_links_in_the_web_folder_are_not_followed() {
    use std::os::unix::fs::symlink;
    let f = fixture();
    let elsewhere = tempfile::tempdir().expect("temp dir");
    std::fs::write(elsewhere.path().join("key.pem"), "THE PRIVATE KEY").expect("w");
    let web = &f.state.web_dir;
    // A link to a file outside, to a folder outside, and a compressed copy that is a link.
    symlink(elsewhere.path().join("key.pem"), web.join("key.txt")).expect("link");
    symlink(elsewhere.path(), web.join("outside")).expect("link");
    symlink(
        elsewhere.path().join("key.pem"),
        web.join("pkg/app_bg.wasm.gz"),
    )
    .expect("link");
    // Even a link that stays inside is refused: no link is followed at all.
    symlink(web.join("index.html"), web.join("inside.html")).expect("link");
    let filter = routes(f.state.clone());
    for path in ["/key.txt", "/outside/key.pem", "/inside.html"] {
        let response = warp::test::request().path(path).reply(&filter).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body = String::from_utf8_lossy(response.body());
        assert!(!body.contains("PRIVATE KEY"), "{path} leaked: {body}");
    }
    let gzip_only = warp::test::request()
        .path("/pkg/app_bg.wasm")
        .header("accept-encoding", "gzip")
        .reply(&filter)
        .await;
    assert_eq!(gzip_only.status(), StatusCode::OK);
    assert_eq!(gzip_only.body().as_ref(), b"\0asm-raw");
    assert!(gzip_only.headers().get("content-encoding").is_none());

    // The web folder itself may be a link: the operator chose it.
    let linked_dir = elsewhere.path().join("current");
    symlink(web, &linked_dir).expect("link");
    let mut state = f.state.clone();
    state.web_dir = linked_dir;
    let index = warp::test::request()
        .path("/index.html")
        .reply(&routes(state))
        .await;
    assert_eq!(index.status(), StatusCode::OK);
}
