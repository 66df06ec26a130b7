//! Request rates: guessing enrolment codes or hammering the sync is told to wait.

mod common;

use common::fixture;
use letsema_server::limits::{RateLimits, RateSettings};
use letsema_server::routes::routes;
use serde_json::json;
use warp::http::StatusCode;

/// Limits that refill once a minute, so that a test's requests cannot earn new tokens.
const SLOW: RateSettings = RateSettings {
    sync_per_minute: 1,
    sync_burst: 5,
    public_per_minute: 1,
    public_burst: 5,
    work_per_minute: 1_000_000,
    work_burst: 2_000_000,
};

#[tokio::test]
async fn one_address_guessing_enrolment_codes_is_slowed_to_a_crawl() {
    let mut f = fixture();
    f.state.limits = RateLimits::new(SLOW);
    let guess = |from: &'static str| {
        let state = f.state.clone();
        async move {
            warp::test::request()
                .method("POST")
                .path("/api/devices/enrol")
                .remote_addr(from.parse().expect("an address"))
                .json(&json!({ "code": "a guess" }))
                .reply(&routes(state))
                .await
        }
    };
    for _ in 0..SLOW.public_burst {
        assert_eq!(
            guess("198.51.100.7:4000").await.status(),
            StatusCode::FORBIDDEN
        );
    }
    let refused = guess("198.51.100.7:4001").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    // Another address is not affected.
    assert_eq!(
        guess("198.51.100.8:4000").await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn one_phone_syncing_in_a_loop_is_told_to_wait() {
    let mut f = fixture();
    f.state.limits = RateLimits::new(SLOW);
    let phone = f.enrol("assoc-a").await;
    let mut statuses = Vec::new();
    for _ in 0..=SLOW.sync_burst {
        let (status, _) = f.post_sync(&phone.credential, b"frame".to_vec()).await;
        statuses.push(status);
    }
    assert!(
        statuses[..SLOW.sync_burst as usize]
            .iter()
            .all(|s| *s == StatusCode::OK)
    );
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS));
    // Another phone still syncs.
    let other = f.enrol("assoc-a").await;
    let (status, _) = f.post_sync(&other.credential, b"frame".to_vec()).await;
    assert_eq!(status, StatusCode::OK);
}

/// A phone's syncs are held to a budget of automerge work over time, not only to a request
/// rate: once a push has spent it, the phone is told to wait (429, `Retry-After`) until it
/// is paid back, while other phones sync on. Nothing it pushed was lost.
#[tokio::test]
async fn one_phone_pushing_much_work_is_told_to_wait_for_its_budget() {
    use letsema_doc::{DeviceId, SessionId, Timestamp, Writer};
    use letsema_sync::client::{Client, ClientConfig};
    use letsema_sync::client_store::MemoryClientStore;

    let mut f = fixture();
    f.state.limits = RateLimits::new(RateSettings {
        work_per_minute: 1,
        work_burst: 500,
        ..RateSettings::default()
    });
    let phone = f.enrol("assoc-a").await;
    let me = Writer::new(
        DeviceId::parse(&phone.id).expect("a device id"),
        SessionId::from_bytes(&[1; 16]).expect("16 bytes"),
        None,
    );
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let docs = letsema_workload::Generator::new(3)
        .submissions_in(
            10,
            &me,
            Some(&phone.association),
            Timestamp(1_750_000_000_000),
        )
        .expect("submissions");
    for mut doc in docs {
        client.save_document(&mut doc).expect("saved");
    }
    client.start_sync();
    let frame = client.next_request().expect("store").expect("a push");
    let (status, body) = f.post_sync(&phone.credential, frame).await;
    assert_eq!(status, StatusCode::OK);
    let progress = client.handle_response(&body).expect("a response");
    assert_eq!(
        progress.acknowledged.len(),
        10,
        "the push was within one request's budget"
    );

    let (status, body) = f.post_sync(&phone.credential, b"frame".to_vec()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("too_much_work"), "{body}");
    assert!(body.contains("Nothing was lost"), "{body}");

    let other = f.enrol("assoc-a").await;
    let (status, _) = f.post_sync(&other.credential, b"frame".to_vec()).await;
    assert_eq!(status, StatusCode::OK);
}
