//! The first minutes: with no admin account, `letsema serve` prints a one-time set-up link
//! that makes the first admin from a browser; `--demo` prints a demo association's
//! enrolment link (with its QR code) and a public survey link, the same after a restart.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use common::process::letsema;
use letsema_server::routes::routes;
use letsema_server::state::AppState;
use serde_json::{Value, json};
use warp::http::StatusCode;
use warp::test::request;

/// A server state over a fresh database with no account at all.
fn empty() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = common::test_store(&dir.path().join("data"));
    let state = AppState::new(store, dir.path().join("web"), "http://127.0.0.1:8080");
    (dir, state)
}

async fn post_setup(state: &AppState, body: Value) -> (StatusCode, Value, Option<String>) {
    let response = request()
        .method("POST")
        .path("/api/setup")
        .json(&body)
        .reply(&routes(state.clone()))
        .await;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().to_owned());
    let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), json, cookie)
}

async fn setup_page(state: &AppState) -> (StatusCode, Option<String>) {
    let response = request()
        .method("GET")
        .path("/setup")
        .reply(&routes(state.clone()))
        .await;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), location)
}

fn admin(token: &str, password: &str) -> Value {
    json!({"token": token, "email": "first@example.org", "name": "Palesa", "password": password})
}

#[tokio::test]
async fn the_set_up_link_makes_one_admin_once_and_signs_the_browser_in() {
    let (_dir, state) = empty();
    // Closed until the server opens it (it does when no admin exists).
    assert_eq!(setup_page(&state).await.0, StatusCode::NOT_FOUND);
    let token = state.setup.open().expect("a token");
    assert_eq!(
        setup_page(&state).await,
        (StatusCode::SEE_OTHER, Some("/staff/?setup".to_owned()))
    );

    let (status, body, _) = post_setup(&state, admin("a guess", "a long enough password")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "bad_setup_token");
    let (status, body, _) = post_setup(&state, admin(&token, "short")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["message"],
        "password: a password needs at least 12 characters"
    );
    let mut bad_address = admin(&token, "a long enough password");
    bad_address["email"] = json!("not an address");
    let (status, _, _) = post_setup(&state, bad_address).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(state.setup.is_open(), "refusals leave the link usable");

    let (status, body, cookie) = post_setup(&state, admin(&token, "a long enough password")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["role"], "admin");
    let cookie = cookie.expect("a session cookie");
    let who = request()
        .method("GET")
        .path("/api/session")
        .header("cookie", &cookie)
        .reply(&routes(state.clone()))
        .await;
    assert_eq!(who.status(), StatusCode::OK, "signed in as the new admin");

    // Used: gone.
    assert_eq!(setup_page(&state).await.0, StatusCode::NOT_FOUND);
    let (status, body, _) = post_setup(&state, admin(&token, "a long enough password")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "setup_over");
}

#[tokio::test]
async fn an_admin_made_otherwise_closes_the_set_up_link() {
    let (_dir, state) = empty();
    let token = state.setup.open().expect("a token");
    let hash = letsema_server::auth::hash_password("another long password").expect("hashed");
    state
        .store
        .add_user(
            &letsema_server::store::NewUser {
                email: "cli@example.org".into(),
                display_name: "From the CLI".into(),
                role: letsema_server::store::Role::Admin,
                associations: Vec::new(),
                password_hash: hash,
            },
            "cli",
            None,
        )
        .expect("added");
    assert_eq!(setup_page(&state).await.0, StatusCode::NOT_FOUND);
    let (status, _, _) = post_setup(&state, admin(&token, "a long enough password")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `letsema serve` on `data`; its output's lines up to the survey link (or the first line
/// when there is none), then the process.
fn serve(data: &std::path::Path, demo: bool) -> (Child, Vec<String>) {
    let mut command = letsema();
    command.arg("serve");
    if demo {
        command.arg("--demo");
    }
    let mut child = command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("letsema starts");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("a line") == 0 {
            break;
        }
        let last = line.starts_with("Demo: staff sign in");
        lines.push(line.trim_end().to_owned());
        // The announcement is written at once: without --demo, what follows the first
        // line is already buffered, or there is nothing.
        if last || (!demo && reader.buffer().is_empty()) {
            break;
        }
    }
    (child, lines)
}

fn line_with<'a>(lines: &'a [String], prefix: &str) -> Option<&'a str> {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .map(String::as_str)
}

#[test]
fn demo_prints_its_links_and_the_set_up_link_and_keeps_the_links_across_restarts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (mut first, lines) = serve(&data, true);
    let _ = first.kill();
    let _ = first.wait();
    let setup = line_with(&lines, "No administrator yet: open http://127.0.0.1:")
        .expect("the set-up link")
        .to_owned();
    assert!(setup.contains("/setup#"), "{setup}");
    let enrol = line_with(
        &lines,
        "Demo: enrol a phone for the demo association: http://",
    )
    .expect("the enrolment link");
    assert!(enrol.contains("/enrol#"), "{enrol}");
    assert!(
        lines.iter().any(|l| l.contains('█')),
        "a QR code drawn for the terminal: {lines:#?}"
    );
    let survey = line_with(
        &lines,
        "Demo: the reference form as a public survey: http://",
    )
    .expect("the survey link");
    assert!(survey.contains("/survey#"), "{survey}");
    let secret = |line: &str| line.rsplit('#').next().unwrap_or_default().to_owned();

    // A restart: the same demo secrets (the port may differ), a new set-up token.
    let (mut second, again) = serve(&data, true);
    let _ = second.kill();
    let _ = second.wait();
    let enrol_again = line_with(&again, "Demo: enrol a phone").expect("the enrolment link");
    assert_eq!(secret(enrol_again), secret(enrol));
    let survey_again = line_with(&again, "Demo: the reference form").expect("the survey link");
    assert_eq!(secret(survey_again), secret(survey));
    let setup_again = line_with(&again, "No administrator yet").expect("still no admin");
    assert_ne!(
        secret(setup_again),
        secret(&setup),
        "a new token at each start"
    );

    // With an admin, no set-up link.
    common::process::add_admin(&data, "admin@example.org", "a long enough password");
    let (mut third, lines) = serve(&data, false);
    let _ = third.kill();
    let _ = third.wait();
    assert!(
        line_with(&lines, "No administrator yet").is_none(),
        "{lines:#?}"
    );
}
