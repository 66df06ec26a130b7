//! Enrolling phones: who may create enrolment links, what a link gives, revoking.

mod common;

use common::fixture;
use serde_json::json;
use warp::http::StatusCode;

fn enrolment(association: &str, uses: u32) -> serde_json::Value {
    json!({
        "association": association,
        "forms": ["diaspora_registration"],
        "uses": uses,
        "label": "Maseru nurses' meeting"
    })
}

/// The secret of an enrolment link (after `#`).
fn code_of(created: &serde_json::Value) -> String {
    let link = created["link"].as_str().expect("a link");
    assert!(link.starts_with("http://127.0.0.1:8080/enrol#"), "{link}");
    link.rsplit('#').next().expect("a code").to_owned()
}

#[tokio::test]
async fn a_coordinator_enrols_a_phone_for_their_association() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let (status, created) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(enrolment("assoc-a", 2)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(
        created["qr_svg"]
            .as_str()
            .expect("svg")
            .starts_with("<?xml")
    );
    let code = code_of(&created);

    let (status, enrolled) = f
        .send(
            "POST",
            "/api/devices/enrol",
            None,
            Some(json!({ "code": code, "label": "Lineo's phone" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    assert_eq!(enrolled["device"]["association"], "assoc-a");
    assert_eq!(
        enrolled["device"]["forms"],
        json!(["diaspora_registration"])
    );
    let credential = enrolled["credential"].as_str().expect("credential");

    let (status, me) = f.send_as_device("GET", "/api/device", credential).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["label"], "Lineo's phone");

    // The coordinator sees the device; the other association's coordinator does not.
    let (_, listed) = f.send("GET", "/api/devices", Some(&coord), None).await;
    assert_eq!(listed["devices"].as_array().map(Vec::len), Some(1));
    let other = f.staff("coord-b@example.org").await;
    let (_, listed) = f.send("GET", "/api/devices", Some(&other), None).await;
    assert_eq!(listed["devices"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn a_link_enrols_only_as_many_phones_as_it_allows() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let (_, created) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(enrolment("assoc-a", 1)),
        )
        .await;
    let code = code_of(&created);
    let body = json!({ "code": code });
    let (first, _) = f
        .send("POST", "/api/devices/enrol", None, Some(body.clone()))
        .await;
    assert_eq!(first, StatusCode::CREATED);
    let (second, error) = f.send("POST", "/api/devices/enrol", None, Some(body)).await;
    assert_eq!(second, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "enrolment_invalid");
    let (forged, _) = f
        .send(
            "POST",
            "/api/devices/enrol",
            None,
            Some(json!({ "code": "guessed" })),
        )
        .await;
    assert_eq!(forged, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn enrolments_are_limited_to_ones_own_association_and_published_forms() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let (status, _) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(enrolment("assoc-b", 1)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reviewer = f.staff("reviewer@example.org").await;
    let (status, _) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&reviewer),
            Some(enrolment("assoc-a", 1)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = f.staff("admin@example.org").await;
    let (status, _) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&admin),
            Some(enrolment("assoc-b", 1)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut unknown_form = enrolment("assoc-a", 1);
    unknown_form["forms"] = json!(["no_such_form"]);
    let (status, error) = f
        .send("POST", "/api/enrolments", Some(&coord), Some(unknown_form))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("message")
            .contains("not published")
    );
    let (status, _) = f
        .send(
            "POST",
            "/api/enrolments",
            None,
            Some(enrolment("assoc-a", 1)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revoked_device_is_refused_on_its_next_request() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let phone = f.enrol("assoc-a").await;
    let (credential, id) = (phone.credential.as_str(), phone.id.as_str());

    // Another association's coordinator cannot revoke it, nor learn that it exists.
    let other = f.staff("coord-b@example.org").await;
    let (status, _) = f
        .send(
            "POST",
            &format!("/api/devices/{id}/revoke"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = f.send_as_device("GET", "/api/device", credential).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = f
        .send(
            "POST",
            &format!("/api/devices/{id}/revoke"),
            Some(&coord),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, error) = f.send_as_device("GET", "/api/device", credential).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["code"], "device_revoked");
    let (status, error) = f
        .send_as_device("GET", "/api/device", "not-a-credential")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["error"]["code"], "not_enrolled");
}

#[tokio::test]
async fn a_device_downloads_the_forms_of_its_enrolment_and_admins_publish_new_ones() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    let phone = f.enrol("assoc-a").await;
    let credential = phone.credential.as_str();
    let (status, forms) = f
        .send_as_device("GET", "/api/device/forms", credential)
        .await;
    assert_eq!(status, StatusCode::OK);
    let forms = forms["forms"].as_array().expect("a list");
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0]["form_id"], "diaspora_registration");
    assert_eq!(forms[0]["definition"]["schema_version"], 1);

    // Staff cannot use a device route, and a coordinator cannot publish.
    let (status, _) = f.send("GET", "/api/device/forms", Some(&coord), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let form = "| survey |\n| | type | name | label |\n| | text | q | Q |\n\
                | settings |\n| | form_id | version |\n| | extra | 1 |\n";
    let upload = |browser: common::Browser| {
        let state = f.state.clone();
        async move {
            warp::test::request()
                .method("POST")
                .path("/api/forms?name=extra.md")
                .header("cookie", &browser.cookie)
                .header("x-csrf-token", &browser.csrf)
                .body(form)
                .reply(&letsema_server::routes::routes(state))
                .await
        }
    };
    assert_eq!(upload(coord.clone()).await.status(), StatusCode::FORBIDDEN);
    let admin = f.staff("admin@example.org").await;
    let published = upload(admin.clone()).await;
    assert_eq!(published.status(), StatusCode::CREATED);
    assert_eq!(
        upload(admin.clone()).await.status(),
        StatusCode::OK,
        "idempotent"
    );
    let (_, listed) = f.send("GET", "/api/forms", Some(&coord), None).await;
    assert_eq!(listed["forms"].as_array().map(Vec::len), Some(2));

    let broken = warp::test::request()
        .method("POST")
        .path("/api/forms?name=broken.md")
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .body("| survey |\n| | type | name | label |\n| | nonsense | q | Q |\n")
        .reply(&letsema_server::routes::routes(f.state.clone()))
        .await;
    assert_eq!(broken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = String::from_utf8_lossy(broken.body());
    assert!(body.contains("row 3"), "{body}");
}

#[tokio::test]
async fn labels_with_hidden_characters_are_refused_before_anything_is_used() {
    let f = fixture();
    let coord = f.staff("coord-a@example.org").await;
    for label in [
        "Two\nlines",
        "Mar\u{0}ket",
        "\u{202E}desrever",
        &"x".repeat(201),
    ] {
        let mut body = enrolment("assoc-a", 1);
        body["label"] = json!(label);
        let (status, error) = f
            .send("POST", "/api/enrolments", Some(&coord), Some(body))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{label:?}: {error}"
        );
        let message = error["error"]["message"].as_str().expect("a message");
        assert!(message.starts_with("label: "), "{message}");
    }
    let (_, created) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(enrolment("assoc-a", 1)),
        )
        .await;
    let code = code_of(&created);
    let (status, error) = f
        .send(
            "POST",
            "/api/devices/enrol",
            None,
            Some(json!({ "code": code, "label": "Pa\u{0}lesa" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["code"], "invalid_label");
    // The link's one use is still there.
    let (status, enrolled) = f
        .send(
            "POST",
            "/api/devices/enrol",
            None,
            Some(json!({ "code": code, "label": "Palesa" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    assert_eq!(enrolled["device"]["label"], "Palesa");
}
