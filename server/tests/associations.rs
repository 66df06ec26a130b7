//! Associations' display names: who may name which, what a name may be, and that phones
//! receive the name with their enrolment and from `GET /api/device`.

mod common;

use common::{Browser, Fixture, fixture};
use serde_json::{Value, json};
use warp::http::StatusCode;

async fn put_name(
    f: &Fixture,
    who: Option<&Browser>,
    code: &str,
    name: &str,
) -> (StatusCode, Value) {
    f.send(
        "PUT",
        &format!("/api/associations/{code}"),
        who,
        Some(json!({ "name": name })),
    )
    .await
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("(none)")
}

/// Creates an enrolment as `who` and enrols a phone with it; returns the enrolment answer.
async fn enrol_with(f: &Fixture, who: &Browser, body: Value) -> (StatusCode, Value) {
    let (status, created) = f
        .send("POST", "/api/enrolments", Some(who), Some(body))
        .await;
    if status != StatusCode::CREATED {
        return (status, created);
    }
    let code = created["link"]
        .as_str()
        .and_then(|link| link.rsplit('#').next())
        .expect("a link with a code");
    f.send(
        "POST",
        "/api/devices/enrol",
        None,
        Some(json!({ "code": code })),
    )
    .await
}

#[tokio::test]
async fn an_admin_names_any_association_and_a_coordinator_only_their_own() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    let coord_a = f.staff("coord-a@example.org").await;
    let reviewer = f.staff("reviewer@example.org").await;

    let (status, named) = put_name(&f, Some(&admin), "assoc-b", "Association B").await;
    assert_eq!(status, StatusCode::OK, "{named}");
    assert_eq!(named["code"], "assoc-b");
    assert_eq!(named["name"], "Association B");
    // An admin may name an association nothing uses yet, before its first enrolment.
    let (status, named) = put_name(&f, Some(&admin), "new-assoc", "A new one").await;
    assert_eq!(status, StatusCode::OK, "{named}");

    let (status, named) = put_name(&f, Some(&coord_a), "assoc-a", "  Association A ").await;
    assert_eq!(status, StatusCode::OK, "{named}");
    assert_eq!(named["name"], "Association A", "trimmed");

    let (status, refused) = put_name(&f, Some(&coord_a), "assoc-b", "Taken over").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("only your own association")),
        "{refused}"
    );
    let (status, refused) = put_name(&f, Some(&reviewer), "assoc-a", "Renamed").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, refused) = put_name(&f, None, "assoc-a", "Renamed").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    let device = f.enrol("assoc-a").await;
    let response = warp::test::request()
        .method("PUT")
        .path("/api/associations/assoc-a")
        .header("authorization", format!("Bearer {}", device.credential))
        .json(&json!({ "name": "Renamed by a phone" }))
        .reply(&letsema_server::routes::routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Without the session's CSRF token, even an admin is refused.
    let response = warp::test::request()
        .method("PUT")
        .path("/api/associations/assoc-a")
        .header("cookie", &admin.cookie)
        .json(&json!({ "name": "Forged" }))
        .reply(&letsema_server::routes::routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // None of the refusals changed a name.
    let (_, listed) = f.send("GET", "/api/associations", Some(&admin), None).await;
    let names: Vec<(&str, Option<&str>)> = listed["associations"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| (a["code"].as_str().expect("a code"), a["name"].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("assoc-a", Some("Association A")),
            ("assoc-b", Some("Association B")),
            ("new-assoc", Some("A new one")),
        ]
    );
}

#[tokio::test]
async fn staff_list_the_associations_they_see_named_or_not() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    put_name(&f, Some(&admin), "assoc-b", "Association B").await;
    f.enrol("elsewhere").await;

    let codes = |listed: &Value| -> Vec<String> {
        listed["associations"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|a| a["code"].as_str().expect("a code").to_owned())
            .collect()
    };
    let (status, listed) = f.send("GET", "/api/associations", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    // The staff accounts' associations and the enrolment's, named or not.
    assert_eq!(codes(&listed), ["assoc-a", "assoc-b", "elsewhere"]);
    assert_eq!(listed["associations"][0]["name"], Value::Null);
    assert_eq!(listed["associations"][1]["name"], "Association B");

    let reviewer = f.staff("reviewer@example.org").await;
    let (_, listed) = f
        .send("GET", "/api/associations", Some(&reviewer), None)
        .await;
    assert_eq!(
        codes(&listed),
        ["assoc-a", "assoc-b", "elsewhere"],
        "a reviewer of all"
    );

    let coord_b = f.staff("coord-b@example.org").await;
    let (status, listed) = f
        .send("GET", "/api/associations", Some(&coord_b), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(codes(&listed), ["assoc-b"]);
    assert_eq!(listed["associations"][0]["name"], "Association B");

    let (status, _) = f.send("GET", "/api/associations", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_name_has_1_to_120_characters_on_one_line() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    let longest = "Ê".repeat(120);
    let (status, named) = put_name(&f, Some(&admin), "assoc-a", &longest).await;
    assert_eq!(status, StatusCode::OK, "120 characters, 240 bytes: {named}");

    for (name, says) in [
        ("", "the name is empty"),
        ("   ", "the name is empty"),
        (
            &format!("{longest}x"),
            "the name has 121 characters: shorten it to at most 120",
        ),
        ("Maseru\nNurses", "control character"),
        ("Maseru\u{202E}Nurses", "text-direction mark"),
    ] {
        let (status, refused) = put_name(&f, Some(&admin), "assoc-a", name).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {refused}"
        );
        assert_eq!(error_code(&refused), "invalid_association", "{name:?}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(says)),
            "{name:?}: {refused}"
        );
    }
    let (status, refused) = put_name(&f, Some(&admin), "not%20a%20code", "Name").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(error_code(&refused), "invalid_association");

    let (status, refused) = f
        .send(
            "PUT",
            "/api/associations/assoc-a",
            Some(&admin),
            Some(json!({ "title": "x" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let (status, _) = f
        .send(
            "PUT",
            "/api/associations/assoc-a",
            Some(&admin),
            Some(json!({ "name": "x".repeat(9000) })),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let (_, listed) = f.send("GET", "/api/associations", Some(&admin), None).await;
    assert_eq!(
        listed["associations"][0]["name"],
        longest.as_str(),
        "unchanged by refusals"
    );
}

#[tokio::test]
async fn the_phone_receives_the_name_with_its_enrolment_and_from_get_device() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let (status, enrolled) = enrol_with(
        &f,
        &coord,
        json!({
            "association": "assoc-a",
            "forms": ["diaspora_registration"],
            "association_name": " Maseru Nurses' Association ",
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    assert_eq!(enrolled["device"]["association"], "assoc-a");
    assert_eq!(
        enrolled["device"]["association_name"],
        "Maseru Nurses' Association"
    );
    let credential = enrolled["credential"].as_str().expect("a credential");

    let (status, me) = f.send_as_device("GET", "/api/device", credential).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["association_name"], "Maseru Nurses' Association");

    // Renamed later: the device's next GET /api/device, and the device list, say so.
    put_name(&f, Some(&coord), "assoc-a", "Maseru Nurses").await;
    let (_, me) = f.send_as_device("GET", "/api/device", credential).await;
    assert_eq!(me["association_name"], "Maseru Nurses");
    let (_, devices) = f.send("GET", "/api/devices", Some(&coord), None).await;
    assert_eq!(devices["devices"][0]["association_name"], "Maseru Nurses");

    // An association without a name: no `association_name` at all, as before names existed.
    let other = f.enrol("assoc-b").await;
    let (_, me) = f
        .send_as_device("GET", "/api/device", &other.credential)
        .await;
    assert_eq!(me["association"], "assoc-b");
    assert!(me.get("association_name").is_none(), "{me}");
}

#[tokio::test]
async fn an_enrolment_with_a_bad_name_or_anothers_association_names_nothing() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let (status, refused) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(json!({
                "association": "assoc-a",
                "forms": ["diaspora_registration"],
                "association_name": "two\nlines",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(error_code(&refused), "invalid_enrolment");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("association_name: the name contains a control")),
        "{refused}"
    );
    let (status, _) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(json!({
                "association": "assoc-b",
                "forms": ["diaspora_registration"],
                "association_name": "Taken over",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A failed enrolment names nothing: the name goes with the enrolment or not at all.
    let (status, refused) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(json!({
                "association": "assoc-a",
                "forms": ["not_published"],
                "association_name": "Never stored",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let admin = f.staff("admin@example.org").await;
    let (_, listed) = f.send("GET", "/api/associations", Some(&admin), None).await;
    assert!(
        listed["associations"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|a| a["name"].is_null()),
        "{listed}"
    );
}
