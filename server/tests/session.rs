//! Staff sign-in as a browser does it: cookies, CSRF tokens, sign-out, slowing down guesses.

mod common;

use common::{Fixture, PASSWORD, fixture};
use letsema_server::auth::{CSRF_HEADER, SESSION_COOKIE};
use letsema_server::routes::routes;
use warp::http::StatusCode;
use warp::test::request;

/// Signs in; returns the cookie pair (`name=value`) and the CSRF token.
async fn sign_in(f: &Fixture, email: &str, password: &str) -> Result<(String, String), StatusCode> {
    f.sign_in(email, password)
        .await
        .map(|browser| (browser.cookie, browser.csrf))
}

#[tokio::test]
async fn signing_in_opens_a_session_that_says_who_you_are() {
    let f = fixture();
    let (cookie, csrf) = sign_in(&f, "admin@example.org", PASSWORD)
        .await
        .expect("signed in");
    assert!(cookie.starts_with(&format!("{SESSION_COOKIE}=")));
    let me = request()
        .path("/api/session")
        .header("cookie", &cookie)
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(me.body()).expect("JSON");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(body["csrf_token"], csrf);
    assert!(body["user"].get("password_hash").is_none());
}

#[tokio::test]
async fn a_wrong_password_or_unknown_address_is_the_same_401() {
    let f = fixture();
    assert_eq!(
        sign_in(&f, "admin@example.org", "not the password").await,
        Err(StatusCode::UNAUTHORIZED)
    );
    assert_eq!(
        sign_in(&f, "nobody@example.org", PASSWORD).await,
        Err(StatusCode::UNAUTHORIZED)
    );
}

#[tokio::test]
async fn without_a_session_the_api_answers_401() {
    let f = fixture();
    for path in ["/api/session", "/api/users"] {
        let response = request().path(path).reply(&routes(f.state.clone())).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
        assert_eq!(body["error"]["code"], "not_signed_in");
    }
    let forged = request()
        .path("/api/session")
        .header("cookie", format!("{SESSION_COOKIE}=forged-token"))
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_data_needs_the_csrf_token() {
    let f = fixture();
    let (cookie, csrf) = sign_in(&f, "admin@example.org", PASSWORD)
        .await
        .expect("signed in");
    let without = request()
        .method("DELETE")
        .path("/api/session")
        .header("cookie", &cookie)
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    let wrong = request()
        .method("DELETE")
        .path("/api/session")
        .header("cookie", &cookie)
        .header(CSRF_HEADER, "wrong")
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

    let signed_out = request()
        .method("DELETE")
        .path("/api/session")
        .header("cookie", &cookie)
        .header(CSRF_HEADER, &csrf)
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(signed_out.status(), StatusCode::OK);
    assert!(
        signed_out.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .contains("Max-Age=0")
    );
    let after = request()
        .path("/api/session")
        .header("cookie", &cookie)
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_person_only() {
    let f = fixture();
    let (laptop, csrf) = sign_in(&f, "admin@example.org", PASSWORD)
        .await
        .expect("signed in");
    let (phone, _) = sign_in(&f, "admin@example.org", PASSWORD)
        .await
        .expect("signed in");
    let (other, _) = sign_in(&f, "coord-a@example.org", PASSWORD)
        .await
        .expect("signed in");
    let response = request()
        .method("POST")
        .path("/api/session/everywhere")
        .header("cookie", &laptop)
        .header(CSRF_HEADER, &csrf)
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
    assert_eq!(body["closed_sessions"], 2);
    for (cookie, expected) in [
        (&laptop, StatusCode::UNAUTHORIZED),
        (&phone, StatusCode::UNAUTHORIZED),
        (&other, StatusCode::OK),
    ] {
        let me = request()
            .path("/api/session")
            .header("cookie", cookie)
            .reply(&routes(f.state.clone()))
            .await;
        assert_eq!(me.status(), expected, "{cookie}");
    }
}

/// Tries to sign in from a network address; returns the response.
async fn sign_in_from(
    f: &Fixture,
    address: &str,
    email: &str,
    password: &str,
) -> warp::http::Response<bytes::Bytes> {
    request()
        .method("POST")
        .path("/api/session")
        .remote_addr(address.parse().expect("a socket address"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .reply(&routes(f.state.clone()))
        .await
}

fn error_code(response: &warp::http::Response<bytes::Bytes>) -> String {
    let body: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Ten failures from one network; the waits between them pass at once (paused time).
async fn fail_ten_times(f: &Fixture, address: &str, email: &str) {
    for attempt in 1..=10 {
        let response = sign_in_from(f, address, email, "a wrong guess").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_network_that_keeps_failing_is_refused_but_the_owner_elsewhere_signs_in() {
    let f = fixture();
    let attacker = "203.0.113.7:40000";
    fail_ten_times(&f, attacker, "admin@example.org").await;

    // The attacker is refused now, even with the right password.
    let refused = sign_in_from(&f, attacker, "admin@example.org", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&refused), "too_many_failed_sign_ins");
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&wait), "{wait}");
    let again_on_another_port =
        sign_in_from(&f, "203.0.113.7:40001", "ADMIN@example.org", PASSWORD).await;
    assert_eq!(
        again_on_another_port.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // The owner, from their own network, is not locked out of their account.
    let owner = sign_in_from(&f, "198.51.100.20:50000", "admin@example.org", PASSWORD).await;
    assert_eq!(owner.status(), StatusCode::OK);
    // Nor is anyone else from the attacker's network locked out of other accounts.
    let colleague = sign_in_from(&f, attacker, "coord-a@example.org", PASSWORD).await;
    assert_eq!(colleague.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn an_ipv6_network_is_counted_as_its_64_prefix() {
    let f = fixture();
    fail_ten_times(&f, "[2001:db8:7:7::1]:40000", "admin@example.org").await;
    let same_network = sign_in_from(
        &f,
        "[2001:db8:7:7:ffff::2]:40000",
        "admin@example.org",
        PASSWORD,
    )
    .await;
    assert_eq!(same_network.status(), StatusCode::TOO_MANY_REQUESTS);
    let next_network =
        sign_in_from(&f, "[2001:db8:7:8::1]:40000", "admin@example.org", PASSWORD).await;
    assert_eq!(next_network.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn failures_from_everywhere_still_slow_down_each_further_failure() {
    let f = fixture();
    for (i, address) in ["192.0.2.1:1", "192.0.2.2:1", "192.0.2.3:1", "192.0.2.4:1"]
        .into_iter()
        .enumerate()
    {
        let before = tokio::time::Instant::now();
        let response = sign_in_from(&f, address, "admin@example.org", "a wrong guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        // 0.1 s doubling with the account's failures from every network so far.
        let expected = std::time::Duration::from_millis(100 << i);
        assert!(
            before.elapsed() >= expected,
            "attempt {i}: {:?}",
            before.elapsed()
        );
    }
}

#[tokio::test]
async fn only_admins_manage_accounts() {
    let f = fixture();
    let (coord, coord_csrf) = sign_in(&f, "coord-a@example.org", PASSWORD)
        .await
        .expect("signed in");
    let list = request()
        .path("/api/users")
        .header("cookie", &coord)
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(list.status(), StatusCode::FORBIDDEN);
    let add = request()
        .method("POST")
        .path("/api/users")
        .header("cookie", &coord)
        .header(CSRF_HEADER, &coord_csrf)
        .json(&serde_json::json!({
            "email": "new@example.org", "display_name": "New", "role": "admin",
            "password": "another long password"
        }))
        .reply(&routes(f.state.clone()))
        .await;
    assert_eq!(add.status(), StatusCode::FORBIDDEN);

    let (admin, csrf) = sign_in(&f, "admin@example.org", PASSWORD)
        .await
        .expect("signed in");
    let add = |body: serde_json::Value| {
        let state = f.state.clone();
        let admin = admin.clone();
        let csrf = csrf.clone();
        async move {
            request()
                .method("POST")
                .path("/api/users")
                .header("cookie", &admin)
                .header(CSRF_HEADER, &csrf)
                .json(&body)
                .reply(&routes(state))
                .await
        }
    };
    let created = add(serde_json::json!({
        "email": "reviewer2@example.org", "display_name": "Reviewer", "role": "reviewer",
        "password": "another long password"
    }))
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let weak = add(serde_json::json!({
        "email": "weak@example.org", "display_name": "Weak", "role": "reviewer",
        "password": "short"
    }))
    .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let duplicate = add(serde_json::json!({
        "email": "REVIEWER2@example.org", "display_name": "Again", "role": "reviewer",
        "password": "another long password"
    }))
    .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    let coordinator_without_association = add(serde_json::json!({
        "email": "c2@example.org", "display_name": "C2", "role": "coordinator",
        "password": "another long password"
    }))
    .await;
    assert_eq!(
        coordinator_without_association.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(
        sign_in(&f, "reviewer2@example.org", "another long password")
            .await
            .is_ok()
    );

    // Case is folded for A-Z alone, on every backend (as SQLite's NOCASE does): an
    // address that differs beyond ASCII is another account, so that an installation moves
    // from one backend to the other with the same accounts.
    for email in ["zoë@example.org", "ZOË@example.org"] {
        let created = add(serde_json::json!({
            "email": email, "display_name": "Zoë", "role": "reviewer",
            "password": "another long password"
        }))
        .await;
        assert_eq!(created.status(), StatusCode::CREATED, "{email}");
    }
    let refused = [
        (
            serde_json::json!({"email": "tab@example.org", "display_name": "Two\nlines",
                "role": "reviewer", "password": "another long password"}),
            "display_name: no line breaks",
        ),
        (
            serde_json::json!({"email": "nul@example.org", "display_name": "Ca\u{0}rol",
                "role": "reviewer", "password": "another long password"}),
            "display_name: no line breaks",
        ),
        (
            serde_json::json!({"email": "twice@example.org", "display_name": "Twice",
                "role": "reviewer", "associations": ["assoc-a", "assoc-a"],
                "password": "another long password"}),
            "named twice",
        ),
    ];
    for (body, message) in refused {
        let response = add(body.clone()).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
        assert!(
            error["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{error}"
        );
    }
}
