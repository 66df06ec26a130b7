//! Public links: an admin opens a form to anonymous survey takers; each browser that opens
//! the link becomes a device of the link's own scope, syncs only its own submissions, and
//! is cut off when the link is revoked.

mod common;

use common::{Fixture, fixture};
use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_protocol::Enrolled;
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::wire::RejectCode;
use serde_json::json;
use warp::http::StatusCode;

/// Creates a public link to the reference form as the admin; returns its id and secret.
async fn public_link(f: &Fixture) -> (i64, String, serde_json::Value) {
    let admin = f.staff("admin@example.org").await;
    let (status, created) = f
        .send(
            "POST",
            "/api/public-links",
            Some(&admin),
            Some(json!({ "form": "diaspora_registration", "label": "Diaspora day 2026" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let link = created["link"].as_str().expect("a link");
    assert!(
        link.starts_with("http://127.0.0.1:8080/survey#"),
        "the secret travels after '#': {link}"
    );
    assert!(created["qr_svg"].as_str().expect("svg").contains("<svg"));
    let code = link.rsplit('#').next().expect("code").to_owned();
    let id = created["public_link"]["id"].as_i64().expect("an id");
    (id, code, created)
}

async fn join(f: &Fixture, code: &str) -> (StatusCode, serde_json::Value) {
    f.send(
        "POST",
        "/api/devices/enrol",
        None,
        Some(json!({ "code": code, "label": "Thabo's laptop" })),
    )
    .await
}

fn browser_writer(device: &str) -> Writer {
    Writer::new(
        DeviceId::parse(device).expect("a device id"),
        SessionId::from_bytes(&[3; 16]).expect("session"),
        None,
    )
}

#[tokio::test]
async fn only_admins_open_public_links_and_only_to_published_forms() {
    let f = fixture();
    let coordinator = f.staff("coord-a@example.org").await;
    let body = json!({ "form": "diaspora_registration" });
    let (status, _) = f
        .send(
            "POST",
            "/api/public-links",
            Some(&coordinator),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = f.send("POST", "/api/public-links", None, Some(body)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let admin = f.staff("admin@example.org").await;
    let (status, error) = f
        .send(
            "POST",
            "/api/public-links",
            Some(&admin),
            Some(json!({ "form": "no_such_form" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["code"], "invalid_public_link");
    assert!(
        error["error"]["message"]
            .as_str()
            .expect("a message")
            .contains("not published")
    );
    let (status, error) = f
        .send(
            "POST",
            "/api/public-links",
            Some(&admin),
            Some(json!({ "form": "diaspora_registration", "expires_in_days": 5000 })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, error) = f
        .send(
            "POST",
            "/api/public-links",
            Some(&admin),
            Some(json!({ "form": "diaspora_registration", "label": "Mar\u{0}ket day" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("label: ")),
        "{error}"
    );
}

#[tokio::test]
async fn a_survey_takers_browser_submits_into_the_links_own_scope() {
    let f = fixture();
    let (id, code, created) = public_link(&f).await;
    let scope = format!("public-{id}");
    assert_eq!(created["public_link"]["association"], scope.as_str());

    let (status, joined) = join(&f, &code).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    let enrolled: Enrolled = serde_json::from_value(joined).expect("an enrolled device");
    assert!(enrolled.device.public);
    assert_eq!(enrolled.device.association, scope);
    assert_eq!(enrolled.device.forms, ["diaspora_registration"]);
    assert_eq!(
        enrolled.device.label, "survey taker",
        "anonymous, whatever the browser calls itself"
    );

    let me = browser_writer(&enrolled.device.id);
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let own_scope = AssociationId::parse(&scope).expect("an association id");
    let mut generator = letsema_workload::Generator::new(31);
    let mut answered = generator
        .submission_in(&me, Some(&own_scope), Timestamp(1_750_000_000_000))
        .expect("a submission");
    let answered_id = client.save_document(&mut answered).expect("saved");
    // A forged submission claiming a real association's scope is refused.
    let assoc_a = AssociationId::parse("assoc-a").expect("an association id");
    let mut forged = generator
        .submission_in(&me, Some(&assoc_a), Timestamp(1_750_000_060_000))
        .expect("a submission");
    let forged_id = client.save_document(&mut forged).expect("saved");
    client.start_sync();
    let mut rejected = Vec::new();
    while let Some(frame) = client.next_request().expect("store") {
        let (status, body) = f.post_sync(&enrolled.credential, frame).await;
        assert_eq!(status, StatusCode::OK);
        let progress = client.handle_response(&body).expect("an answer");
        rejected.extend(progress.rejected);
    }
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].doc, forged_id);
    assert_eq!(rejected[0].code, RejectCode::OutOfScope);

    // The submission landed in the link's scope and nowhere else.
    let admin = f.staff("admin@example.org").await;
    let (_, all) = f.send("GET", "/api/enrolments", Some(&admin), None).await;
    assert!(
        all["enrolments"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|e| e["association"] != scope.as_str()),
        "public links are not listed as enrolments: {all}"
    );
    let (_, associations) = f.send("GET", "/api/associations", Some(&admin), None).await;
    assert!(
        associations["associations"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|a| a["code"] != scope.as_str()),
        "nor as associations, though a submission is in their scope: {associations}"
    );
    let store = f.state.store.sync_store().expect("sync store");
    let (index, _) = letsema_sync::store::ServerStore::heads_index(
        &store,
        &letsema_sync::store::Scope::Associations([own_scope].into()),
    )
    .expect("index");
    assert_eq!(index.len(), 1);
    assert!(index.contains_key(&answered_id));
    let (index, _) = letsema_sync::store::ServerStore::heads_index(
        &store,
        &letsema_sync::store::Scope::Associations([assoc_a].into()),
    )
    .expect("index");
    assert!(index.is_empty(), "nothing landed in assoc-a");
}

#[tokio::test]
async fn a_revoked_public_link_opens_nothing_and_cuts_its_browsers_off() {
    let f = fixture();
    let (id, code, _) = public_link(&f).await;
    let (status, joined) = join(&f, &code).await;
    assert_eq!(status, StatusCode::CREATED);
    let credential = joined["credential"]
        .as_str()
        .expect("credential")
        .to_owned();
    let (status, _) = f.send_as_device("GET", "/api/device", &credential).await;
    assert_eq!(status, StatusCode::OK);

    let admin = f.staff("admin@example.org").await;
    let (_, listed) = f.send("GET", "/api/public-links", Some(&admin), None).await;
    assert_eq!(listed["public_links"][0]["joined"], 1);
    assert_eq!(listed["public_links"][0]["revoked"], false);
    let (status, _) = f
        .send(
            "POST",
            &format!("/api/public-links/{id}/revoke"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, error) = join(&f, &code).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["error"]["code"], "enrolment_invalid");
    let (status, _) = f.send_as_device("GET", "/api/device", &credential).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, listed) = f.send("GET", "/api/public-links", Some(&admin), None).await;
    assert_eq!(listed["public_links"][0]["revoked"], true);
    let (status, error) = f
        .send("POST", "/api/public-links/999/revoke", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error"]["code"], "no_such_public_link");
}
