//! The audit log through the routes, on the backend the tests run on: every action a staff
//! member or a phone takes through the API is recorded with who, and the network address
//! the request came from; a command run on the server has none; and no route changes the
//! log.

mod common;

use common::{PASSWORD, fixture};
use letsema_server::store::AuditQuery;
use serde_json::json;
use warp::http::StatusCode;

const OFFICE: &str = "198.51.100.7:50123";
const PHONE: &str = "203.0.113.40:40000";

#[tokio::test]
async fn every_action_through_the_api_is_recorded_with_the_callers_address() {
    let f = fixture();
    let (status, session) = f
        .send_from(
            Some(OFFICE),
            "POST",
            "/api/session",
            None,
            Some(json!({"email": "admin@example.org", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{session}");
    // The session's cookie, as a browser keeps it.
    let admin = f.staff("admin@example.org").await;
    let send = |method: &'static str, path: String, body: Option<serde_json::Value>| {
        let admin = admin.clone();
        let f = &f;
        async move {
            f.send_from(Some(OFFICE), method, &path, Some(&admin), body)
                .await
        }
    };
    let (status, body) = send(
        "POST",
        "/api/users".into(),
        Some(json!({
            "email": "new@example.org", "display_name": "New", "role": "reviewer",
            "password": "another long password"
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = send(
        "PUT",
        "/api/associations/assoc-a".into(),
        Some(json!({"name": "Basotho in Johannesburg"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, enrolment) = send(
        "POST",
        "/api/enrolments".into(),
        Some(json!({"association": "assoc-a", "forms": ["diaspora_registration"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{enrolment}");
    let code = enrolment["link"]
        .as_str()
        .and_then(|link| link.rsplit('#').next())
        .expect("a code")
        .to_owned();
    let (status, enrolled) = f
        .send_from(
            Some(PHONE),
            "POST",
            "/api/devices/enrol",
            None,
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    let device = enrolled["device"]["id"].as_str().expect("an id").to_owned();
    let (status, body) = send("POST", format!("/api/devices/{device}/revoke"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, link) = send(
        "POST",
        "/api/public-links".into(),
        Some(json!({"form": "diaspora_registration"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let link = link["public_link"]["id"].as_i64().expect("an id");
    let (status, body) = send("POST", format!("/api/public-links/{link}/revoke"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send("POST", "/api/session/everywhere".into(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let log = f
        .state
        .store
        .audit_log(&AuditQuery::default())
        .expect("the log");
    let office = Some("198.51.100.7");
    let expected = [
        ("session.close_all", office),
        ("public_link.revoke", office),
        ("public_link.create", office),
        ("device.revoke", office),
        ("device.enrol", Some("203.0.113.40")),
        ("enrolment.create", office),
        ("association.name", office),
        ("user.add", office),
    ];
    let recorded: Vec<(&str, Option<&str>)> = log
        .entries
        .iter()
        .map(|entry| (entry.action.as_str(), entry.address.as_deref()))
        .collect();
    assert_eq!(&recorded[..expected.len()], &expected[..], "{recorded:?}");
    // The sign-ins: the first from the office, the fixture's own without an address.
    let sign_ins: Vec<Option<&str>> = recorded
        .iter()
        .filter(|(action, _)| *action == "session.open")
        .map(|(_, address)| *address)
        .collect();
    assert_eq!(sign_ins, [None, office], "newest first");
    // The accounts the fixture made with the store directly: no address.
    assert!(
        recorded
            .iter()
            .filter(|(action, _)| *action == "user.add")
            .skip(1)
            .all(|(_, address)| address.is_none())
    );
}
