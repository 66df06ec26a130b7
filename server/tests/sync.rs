//! `POST /api/sync` with the real client state machine over HTTP (in memory): what a phone
//! sends arrives, stays within its scope, and hostile frames change nothing.

mod common;

use common::{EnrolledDevice, Fixture, fixture};
use letsema_doc::{DeviceId, SessionId, Timestamp, Writer};
use letsema_protocol::sync::{Response, WireLimits};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::store::ServerStore;
use warp::http::StatusCode;

fn writer(device: &EnrolledDevice, session: u8) -> Writer {
    Writer::new(
        DeviceId::parse(&device.id).expect("an enrolled device id is a valid actor device"),
        SessionId::from_bytes(&[session; 16]).expect("16 bytes"),
        None,
    )
}

/// Runs the client until it has nothing more to send; returns the number of requests.
async fn sync(
    f: &Fixture,
    device: &EnrolledDevice,
    client: &mut Client<MemoryClientStore>,
) -> usize {
    client.start_sync();
    let mut requests = 0;
    while let Some(frame) = client.next_request().expect("the client store works") {
        let (status, body) = f.post_sync(&device.credential, frame).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let progress = client.handle_response(&body).expect("a valid response");
        assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
        requests += 1;
        assert!(requests < 50, "the sync does not end");
    }
    requests
}

fn server_doc_count(f: &Fixture) -> usize {
    let store = f.state.store.sync_store().expect("sync store");
    let (index, _) = store
        .heads_index(&letsema_sync::store::Scope::All)
        .expect("index");
    index.len()
}

#[tokio::test]
async fn a_phone_pushes_its_submissions_and_a_second_sync_is_one_small_request() {
    let f = fixture();
    let phone = f.enrol("assoc-a").await;
    let me = writer(&phone, 1);
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let mut generator = letsema_workload::Generator::new(7);
    for i in 0..20 {
        let mut doc = generator
            .submission_in(
                &me,
                Some(&phone.association),
                Timestamp(1_750_000_000_000 + i * 60_000),
            )
            .expect("a submission");
        client.save_document(&mut doc).expect("saved on the phone");
    }
    sync(&f, &phone, &mut client).await;
    assert_eq!(server_doc_count(&f), 20);
    assert!(
        client.unsynced().expect("store").is_empty(),
        "all acknowledged"
    );

    // Nothing new: one request, small both ways.
    client.start_sync();
    let frame = client.next_request().expect("store").expect("a request");
    let up = frame.len();
    let (_, body) = f.post_sync(&phone.credential, frame).await;
    assert!(
        up < 512 && body.len() < 512,
        "{up} B up, {} B down",
        body.len()
    );
    let progress = client.handle_response(&body).expect("valid");
    assert!(!progress.more);
    assert!(client.next_request().expect("store").is_none());
}

#[tokio::test]
async fn a_phone_never_receives_another_phones_submissions() {
    let f = fixture();
    let first = f.enrol("assoc-a").await;
    let second = f.enrol("assoc-a").await;
    let first_writer = writer(&first, 1);
    let mut client = Client::new(
        ClientConfig::new(first_writer.clone()),
        MemoryClientStore::new(),
    );
    let mut doc = letsema_workload::Generator::new(1)
        .submission_in(
            &first_writer,
            Some(&first.association),
            Timestamp(1_750_000_000_000),
        )
        .expect("a submission");
    client.save_document(&mut doc).expect("saved");
    sync(&f, &first, &mut client).await;

    let mut other = Client::new(
        ClientConfig::new(writer(&second, 2)),
        MemoryClientStore::new(),
    );
    sync(&f, &second, &mut other).await;
    assert!(
        other.store().doc_ids().is_empty(),
        "the second phone got someone else's data"
    );
}

#[tokio::test]
async fn pushing_as_another_device_is_refused() {
    let f = fixture();
    let honest = f.enrol("assoc-a").await;
    let thief = f.enrol("assoc-a").await;
    // The thief's client writes as the honest device's actor, but sends its own credential.
    let forged = writer(&honest, 9);
    let mut client = Client::new(ClientConfig::new(forged.clone()), MemoryClientStore::new());
    let mut doc = letsema_workload::Generator::new(3)
        .submission_in(
            &forged,
            Some(&honest.association),
            Timestamp(1_750_000_000_000),
        )
        .expect("a submission");
    client.save_document(&mut doc).expect("saved");
    client.start_sync();
    let frame = client.next_request().expect("store").expect("a request");
    let (status, body) = f.post_sync(&thief.credential, frame).await;
    assert_eq!(status, StatusCode::OK);
    let progress = client.handle_response(&body).expect("valid");
    assert_eq!(progress.rejected.len(), 1, "{progress:?}");
    assert_eq!(server_doc_count(&f), 0);
}

#[tokio::test]
async fn garbage_is_answered_with_an_error_frame_and_a_revoked_phone_with_401() {
    let f = fixture();
    let phone = f.enrol("assoc-a").await;
    for garbage in [
        vec![],
        b"LSY\x01\x00\xff\xff\xff\xff".to_vec(),
        vec![0x55; 4096],
    ] {
        let (status, body) = f.post_sync(&phone.credential, garbage).await;
        assert_eq!(status, StatusCode::OK);
        let response = Response::decode(&body, &WireLimits::default()).expect("an error frame");
        assert!(matches!(response, Response::Error(_)), "{response:?}");
    }
    assert_eq!(server_doc_count(&f), 0);

    let (status, _) = f.post_sync("not-a-credential", vec![1, 2, 3]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sync_frames_must_say_they_are_sync_frames() {
    let f = fixture();
    let phone = f.enrol("assoc-a").await;
    let frame = b"LSY\x01\x00\xff\xff\xff\xff".to_vec();
    let post = |content_type: Option<&'static str>| {
        let mut request = warp::test::request()
            .method("POST")
            .path("/api/sync")
            .header("authorization", format!("Bearer {}", phone.credential));
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let frame = frame.clone();
        let state = f.state.clone();
        async move {
            request
                .body(frame)
                .reply(&letsema_server::routes::routes(state))
                .await
        }
    };
    for refused in [
        None,
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("application/json"),
    ] {
        let response = post(refused).await;
        assert_eq!(
            response.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{refused:?}"
        );
        let body = String::from_utf8_lossy(response.body()).into_owned();
        assert!(body.contains("unsupported_media_type"), "{body}");
        assert!(body.contains("application/x-letsema-sync"), "{body}");
    }
    for accepted in [
        "application/x-letsema-sync",
        "Application/X-Letsema-Sync; version=1",
    ] {
        assert_eq!(post(Some(accepted)).await.status(), StatusCode::OK);
    }
    // Who is asking is checked first.
    let response = warp::test::request()
        .method("POST")
        .path("/api/sync")
        .body(frame.clone())
        .reply(&letsema_server::routes::routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn after_a_restore_from_backup_phones_send_back_what_the_backup_lacks() {
    // `letsema backup` and `restore` are the embedded database's (PostgreSQL's are pg_dump
    // and pg_restore).
    let mut f = common::embedded_fixture();
    let phone = f.enrol("assoc-a").await;
    let me = writer(&phone, 1);
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let mut generator = letsema_workload::Generator::new(11);
    let mut add = |client: &mut Client<MemoryClientStore>, n: i64| {
        for i in 0..n {
            let mut doc = generator
                .submission_in(
                    &me,
                    Some(&phone.association),
                    Timestamp(1_750_000_000_000 + i * 60_000),
                )
                .expect("a submission");
            client.save_document(&mut doc).expect("saved");
        }
    };
    add(&mut client, 5);
    sync(&f, &phone, &mut client).await;

    let data = f.dir.path().join("data");
    let backup = f.dir.path().join("backup.sqlite3");
    let mut out = Vec::new();
    letsema_server::commands::backup::backup(&data, &backup, &mut out).expect("backup");

    add(&mut client, 5);
    sync(&f, &phone, &mut client).await;
    assert_eq!(server_doc_count(&f), 10);

    // The server is restored: the last five submissions are gone from it, and its epoch
    // is new.
    letsema_server::commands::backup::restore(&data, &backup, &mut out).expect("restore");
    f.state.store = letsema_server::store::open(&data).expect("reopened");
    assert_eq!(server_doc_count(&f), 5);

    sync(&f, &phone, &mut client).await;
    assert_eq!(server_doc_count(&f), 10, "the phone repaired the server");
}

#[tokio::test]
async fn the_server_judges_every_submission_with_the_same_engine_and_flags_problems() {
    let f = fixture();
    let phone = f.enrol("assoc-a").await;
    let me = writer(&phone, 1);
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let mut generator = letsema_workload::Generator::new(5);
    let mut valid = generator
        .submission_in(&me, Some(&phone.association), Timestamp(1_750_000_000_000))
        .expect("a submission");
    let mut flawed = generator
        .submission_in(&me, Some(&phone.association), Timestamp(1_750_000_060_000))
        .expect("a submission");
    // A phone with an older app let a bad e-mail address through.
    flawed
        .set_answer(
            "email",
            &letsema_doc::Answer::value("not-an-address"),
            Timestamp(1_750_000_070_000),
        )
        .expect("an answer");
    let valid_id = client.save_document(&mut valid).expect("saved");
    let flawed_id = client.save_document(&mut flawed).expect("saved");
    sync(&f, &phone, &mut client).await;

    let store = &f.state.store;
    assert_eq!(store.validation_queue().expect("queue"), 2);
    let mut cache = letsema_server::store::FormCache::default();
    assert_eq!(
        letsema_server::validator::validate_batch(&**store, &mut cache).expect("validated"),
        2
    );
    assert_eq!(store.validation_queue().expect("queue"), 0);

    let verdict = store
        .submission_verdict(&valid_id.0)
        .expect("query")
        .expect("validated");
    assert!(verdict.complete, "{:?}", verdict.issues);
    assert_eq!(verdict.review_status, "received");
    assert!(verdict.instance_name.is_some());
    let verdict = store
        .submission_verdict(&flawed_id.0)
        .expect("query")
        .expect("validated");
    assert!(!verdict.complete);
    assert!(
        verdict.issues.iter().any(|i| i.starts_with("email:")),
        "flagged, not rejected: {:?}",
        verdict.issues
    );

    // A later edit puts the document back in the queue.
    let mut doc = client
        .open_document(flawed_id)
        .expect("store")
        .expect("held");
    doc.set_answer(
        "email",
        &letsema_doc::Answer::value("lineo@example.org"),
        Timestamp(1_750_000_090_000),
    )
    .expect("an answer");
    client.save_document(&mut doc).expect("saved");
    sync(&f, &phone, &mut client).await;
    assert_eq!(store.validation_queue().expect("queue"), 1);
    letsema_server::validator::validate_batch(&**store, &mut cache).expect("validated");
    let verdict = store
        .submission_verdict(&flawed_id.0)
        .expect("query")
        .expect("validated");
    assert!(verdict.complete, "{:?}", verdict.issues);
}

#[tokio::test]
async fn a_reviewers_comment_reaches_the_phone_that_made_the_submission() {
    let f = fixture();
    let phone = f.enrol("assoc-a").await;
    let me = writer(&phone, 1);
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let mut doc = letsema_workload::Generator::new(21)
        .submission_in(&me, Some(&phone.association), Timestamp(1_750_000_000_000))
        .expect("a submission");
    let id = client.save_document(&mut doc).expect("saved");
    sync(&f, &phone, &mut client).await;

    // The reviewer's browser syncs as the staff member's own actor device.
    let reviewer = f.staff("reviewer@example.org").await;
    let (_, session) = f.send("GET", "/api/session", Some(&reviewer), None).await;
    let user_id = session["user"]["id"].as_i64().expect("an id");
    let staff_writer = Writer::new(
        DeviceId::parse(&letsema_server::routes::sync::staff_device_id(user_id)).expect("id"),
        SessionId::from_bytes(&[7; 16]).expect("session"),
        Some(letsema_doc::UserId::parse(&format!("staff-{user_id}")).expect("a user id")),
    );
    let mut desk = Client::new(ClientConfig::new(staff_writer), MemoryClientStore::new());
    staff_sync(&f, &reviewer, &mut desk).await;
    let mut reviewed = desk
        .open_document(id)
        .expect("store")
        .expect("pulled by the reviewer");
    reviewed
        .set_review_status(
            letsema_doc::ReviewStatus::HasIssues,
            Timestamp(1_750_000_100_000),
        )
        .expect("status");
    reviewed
        .add_comment(
            "Please check the phone number.",
            Timestamp(1_750_000_100_500),
        )
        .expect("comment");
    desk.save_document(&mut reviewed).expect("saved");
    staff_sync(&f, &reviewer, &mut desk).await;

    sync(&f, &phone, &mut client).await;
    let back = client.open_document(id).expect("store").expect("held");
    let review = back.review();
    assert_eq!(review.status, Some(letsema_doc::ReviewStatus::HasIssues));
    assert_eq!(review.comments.len(), 1);
    assert_eq!(review.comments[0].text, "Please check the phone number.");
}

/// Runs a staff member's sync (session cookie and CSRF token) until it has nothing to send.
async fn staff_sync(f: &Fixture, staff: &common::Browser, desk: &mut Client<MemoryClientStore>) {
    staff_sync_at(f, staff, desk, "/api/staff/sync").await;
}

/// [`staff_sync`] at `path` (with a query string, say).
async fn staff_sync_at(
    f: &Fixture,
    staff: &common::Browser,
    desk: &mut Client<MemoryClientStore>,
    path: &str,
) {
    desk.start_sync();
    while let Some(frame) = desk.next_request().expect("store") {
        let response = warp::test::request()
            .method("POST")
            .path(path)
            .header("content-type", "application/x-letsema-sync")
            .header("cookie", &staff.cookie)
            .header("x-csrf-token", &staff.csrf)
            .body(frame)
            .reply(&letsema_server::routes::routes(f.state.clone()))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let progress = desk.handle_response(response.body()).expect("valid");
        assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
    }
}

#[tokio::test]
async fn a_reviewer_limited_to_two_associations_syncs_theirs_and_nothing_else() {
    let f = fixture();
    let hash = letsema_server::auth::hash_password(common::PASSWORD).expect("hash");
    f.state
        .store
        .add_user(
            &letsema_server::store::NewUser {
                email: "reviewer-ab@example.org".to_owned(),
                display_name: "Reviewer of A and B".to_owned(),
                role: letsema_server::store::Role::Reviewer,
                associations: vec!["assoc-a".to_owned(), "assoc-b".to_owned()],
                password_hash: hash,
            },
            "test",
            None,
        )
        .expect("user added");
    let mut made = Vec::new();
    for (n, association) in ["assoc-a", "assoc-b", "assoc-c"].into_iter().enumerate() {
        let phone = f.enrol(association).await;
        let me = writer(&phone, 1);
        let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
        let mut doc = letsema_doc::SubmissionDoc::create(
            letsema_doc::NewSubmission {
                submission_id: letsema_doc::SubmissionId::from_random_bytes([n as u8 + 1; 16]),
                form_id: letsema_doc::FormId::parse("diaspora_registration").expect("id"),
                form_version: letsema_doc::FormVersion::parse("1").expect("version"),
                association: Some(letsema_doc::AssociationId::parse(association).expect("id")),
            },
            me,
            Timestamp(1_750_000_000_000),
        )
        .expect("created");
        made.push(client.save_document(&mut doc).expect("saved"));
        sync(&f, &phone, &mut client).await;
    }

    let reviewer = f.staff("reviewer-ab@example.org").await;
    let (_, session) = f.send("GET", "/api/session", Some(&reviewer), None).await;
    let user_id = session["user"]["id"].as_i64().expect("an id");
    let desk_writer = Writer::new(
        DeviceId::parse(&letsema_server::routes::sync::staff_device_id(user_id)).expect("id"),
        SessionId::from_bytes(&[8; 16]).expect("session"),
        None,
    );
    let mut desk = Client::new(ClientConfig::new(desk_writer), MemoryClientStore::new());
    staff_sync(&f, &reviewer, &mut desk).await;

    assert!(
        desk.open_document(made[0]).expect("store").is_some(),
        "assoc-a's"
    );
    assert!(
        desk.open_document(made[1]).expect("store").is_some(),
        "assoc-b's"
    );
    assert!(
        desk.open_document(made[2]).expect("store").is_none(),
        "assoc-c's submission must not reach a reviewer of A and B"
    );

    // One association onto a laptop: its submissions only, and none outside the account's.
    let mut laptop = Client::new(
        ClientConfig::new(Writer::new(
            DeviceId::parse(&letsema_server::routes::sync::staff_device_id(user_id)).expect("id"),
            SessionId::from_bytes(&[9; 16]).expect("session"),
            None,
        )),
        MemoryClientStore::new(),
    );
    staff_sync_at(
        &f,
        &reviewer,
        &mut laptop,
        "/api/staff/sync?association=assoc-b",
    )
    .await;
    assert!(
        laptop.open_document(made[0]).expect("store").is_none(),
        "assoc-a's stays"
    );
    assert!(
        laptop.open_document(made[1]).expect("store").is_some(),
        "assoc-b's comes"
    );
    laptop.start_sync();
    let frame = laptop.next_request().expect("store").expect("a request");
    for (query, status) in [
        ("association=assoc-c", StatusCode::FORBIDDEN),
        ("association=", StatusCode::BAD_REQUEST),
    ] {
        let response = warp::test::request()
            .method("POST")
            .path(&format!("/api/staff/sync?{query}"))
            .header("content-type", "application/x-letsema-sync")
            .header("cookie", &reviewer.cookie)
            .header("x-csrf-token", &reviewer.csrf)
            .body(frame.clone())
            .reply(&letsema_server::routes::routes(f.state.clone()))
            .await;
        assert_eq!(response.status(), status, "{query}");
    }
}

#[tokio::test]
async fn a_replacement_phone_becomes_the_lost_device_and_sends_its_restored_work() {
    let f = fixture();
    let lost = f.enrol("assoc-a").await;
    let lost_writer = writer(&lost, 1);
    let mut old_phone = Client::new(
        ClientConfig::new(lost_writer.clone()),
        MemoryClientStore::new(),
    );
    let mut generator = letsema_workload::Generator::new(11);
    let mut submission = |at: i64| {
        generator
            .submission_in(&lost_writer, Some(&lost.association), Timestamp(at))
            .expect("a submission")
    };
    let mut sent = submission(1_750_000_000_000);
    old_phone.save_document(&mut sent).expect("saved");
    sync(&f, &lost, &mut old_phone).await;
    // Captured offline, never sent: only the backup file has it when the phone is lost.
    let mut unsent = submission(1_750_000_060_000);
    let unsent_id = old_phone.save_document(&mut unsent).expect("saved");
    assert_eq!(server_doc_count(&f), 1);

    // The coordinator makes a replacement link for the lost phone; it must be for the
    // device's own association, and for one phone.
    let coord = f.staff("coord-a@example.org").await;
    let replacement = |association: &str, uses: u32| {
        serde_json::json!({
            "association": association,
            "forms": ["diaspora_registration"],
            "uses": uses,
            "replaces": lost.id,
        })
    };
    let (status, refused) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(replacement("assoc-a", 2)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let other = f.staff("coord-b@example.org").await;
    let (status, refused) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&other),
            Some(replacement("assoc-b", 1)),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no device")),
        "{refused}"
    );
    let (status, created) = f
        .send(
            "POST",
            "/api/enrolments",
            Some(&coord),
            Some(replacement("assoc-a", 1)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["enrolment"]["replaces"], lost.id.as_str());
    let code = created["link"]
        .as_str()
        .and_then(|link| link.rsplit('#').next())
        .expect("a code")
        .to_owned();

    // The new phone becomes the lost device; the lost phone's credential stops working.
    let (status, enrolled) = f
        .send(
            "POST",
            "/api/devices/enrol",
            None,
            Some(serde_json::json!({ "code": code, "label": "Lineo's new phone" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{enrolled}");
    assert_eq!(enrolled["device"]["id"], lost.id.as_str());
    assert_eq!(enrolled["replaced"], true);
    let (status, _) = f
        .send_as_device("GET", "/api/device", &lost.credential)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the lost phone is shut out"
    );
    let replacement_phone = common::EnrolledDevice {
        id: lost.id.clone(),
        credential: enrolled["credential"]
            .as_str()
            .expect("a credential")
            .to_owned(),
        association: lost.association.clone(),
    };
    let (status, me) = f
        .send_as_device("GET", "/api/device", &replacement_phone.credential)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["label"], "Lineo's new phone");

    // It restores the backup (the unsent submission, written by the lost phone's session)
    // and syncs: the server takes it, and the phone gets back what was sent before.
    let mut new_phone = Client::new(
        ClientConfig::new(writer(&replacement_phone, 9)),
        MemoryClientStore::new(),
    );
    let mut restored = old_phone
        .open_document(unsent_id)
        .expect("the store works")
        .expect("the unsent submission");
    new_phone.save_document(&mut restored).expect("restored");
    // A replacement's first sync is a repair: the pull leaves out the device's own
    // submissions (it counts them as held), the summaries bring them back.
    new_phone.start_repair();
    sync(&f, &replacement_phone, &mut new_phone).await;
    assert_eq!(
        server_doc_count(&f),
        2,
        "the restored submission reached the server"
    );
    assert_eq!(
        new_phone.store().doc_ids().len(),
        2,
        "and what was sent came back"
    );
}

#[tokio::test]
async fn a_full_sync_queue_turns_a_phone_away_with_retry_after_and_the_same_frame_later_lands() {
    let mut f = fixture();
    f.state.sync_workers = std::sync::Arc::new(letsema_server::workers::Workers::with_queue(
        "test-sync",
        1,
        letsema_server::workers::QueueLimits {
            capacity: 1,
            max_wait: std::time::Duration::from_secs(60),
        },
    ));
    let phone = f.enrol("assoc-a").await;
    let me = writer(&phone, 1);
    let mut client = Client::new(ClientConfig::new(me.clone()), MemoryClientStore::new());
    let mut doc = letsema_workload::Generator::new(5)
        .submission_in(&me, Some(&phone.association), Timestamp(1_750_000_000_000))
        .expect("a submission");
    client.save_document(&mut doc).expect("saved on the phone");
    client.start_sync();
    let frame = client.next_request().expect("store").expect("a request");

    // Another request holds the queue's one place.
    let busy = f.state.sync_workers.admit().expect("an empty queue admits");
    let post = |frame: Vec<u8>| {
        let state = f.state.clone();
        let credential = phone.credential.clone();
        async move {
            warp::test::request()
                .method("POST")
                .path("/api/sync")
                .header("authorization", format!("Bearer {credential}"))
                .header("content-type", "application/x-letsema-sync")
                .body(frame)
                .reply(&letsema_server::routes::routes(state))
                .await
        }
    };
    let refused = post(frame.clone()).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: letsema_protocol::ApiErrorBody =
        serde_json::from_slice(refused.body()).expect("an error body");
    assert_eq!(body.error.code, "server_busy");
    assert_eq!(server_doc_count(&f), 0, "nothing was stored");
    assert_eq!(
        f.state.sync_workers.admitted(),
        1,
        "the refusal holds no place"
    );

    // The place is free again: the very same frame goes through, once.
    drop(busy);
    let accepted = post(frame).await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let progress = client
        .handle_response(accepted.body())
        .expect("a valid response");
    assert_eq!(progress.acknowledged.len(), 1);
    assert_eq!(server_doc_count(&f), 1);
    assert_eq!(
        f.state.sync_workers.admitted(),
        0,
        "the place is given back"
    );
}
