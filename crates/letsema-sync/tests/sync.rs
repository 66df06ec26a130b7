//! Client and server together: what a device and the server exchange, and what it costs.

mod common;

use common::*;
use letsema_doc::*;
use letsema_sync::server::Server;
use letsema_sync::store::{MemoryServerStore, Scope, ServerStore};
use letsema_sync::wire::{
    ChangeEncoding, DocId, PushResult, RejectCode, Request, Response, WireLimits,
};

fn server() -> (Server, MemoryServerStore) {
    (
        Server::default(),
        MemoryServerStore::new(0x0e90_c0de_0000_0001),
    )
}

#[test]
fn a_first_sync_pushes_every_document_in_one_request_and_acknowledges_them() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    phone.create(1, 100, None);
    assert_eq!(phone.client.unsynced().expect("unsynced").len(), 100);

    let round = sync(&mut phone, &mut server, &mut store);

    assert_eq!(round.requests, 1, "{round:?}");
    assert_eq!(round.progress[0].acknowledged.len(), 100);
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
    assert_eq!(store.doc_count(), 100);
    assert_eq!(store.commits(), 1, "one group commit for the whole batch");
    println!(
        "first sync of 100 documents: {} B up, {} B down",
        round.up, round.down
    );
}

#[test]
fn a_push_names_its_documents_to_the_store_once_before_loading_them() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let mut created = phone.create(3, 5, None);
    sync(&mut phone, &mut server, &mut store);
    let mut prefetched = store.prefetches();
    assert_eq!(prefetched.len(), 1, "one call for the push: {prefetched:?}");
    created.sort();
    prefetched[0].sort();
    assert_eq!(prefetched[0], created);

    // A boxed store (as the server hands its storage over, a trait object) is told too.
    let mut boxed = Box::new(MemoryServerStore::new(1));
    let mut phone = Device::phone("phone-thabo");
    phone.create(4, 2, None);
    sync_through(&mut phone, &mut Server::default(), &mut boxed);
    assert_eq!(boxed.prefetches().len(), 1);
}

/// A sync round through any store, as [`sync`] does through the memory store.
fn sync_through<S: ServerStore>(device: &mut Device, server: &mut Server, store: &mut S) {
    device.client.start_sync();
    while let Some(request) = device.client.next_request().expect("request") {
        let response = server.handle(&device.caller, &request, store);
        device.client.handle_response(&response).expect("response");
    }
}

#[test]
fn a_sync_with_nothing_new_is_one_small_request_and_answer() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    phone.create(2, 300, None);
    sync(&mut phone, &mut server, &mut store);

    let round = sync(&mut phone, &mut server, &mut store);

    assert_eq!(round.requests, 1);
    assert!(round.up < 512, "{} bytes up", round.up);
    assert!(round.down < 512, "{} bytes down", round.down);
    println!("no-op sync: {} B up, {} B down", round.up, round.down);
}

#[test]
fn an_edit_sends_only_that_change() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(3, 50, None);
    let first = sync(&mut phone, &mut server, &mut store);
    let log_before = store.log_len();

    phone.edit(ids[7], |doc| {
        doc.set_answer("age", &Answer::value("41"), t(10_000))
            .expect("edit");
    });
    let round = sync(&mut phone, &mut server, &mut store);

    assert_eq!(round.requests, 1);
    assert_eq!(round.progress[0].acknowledged, vec![ids[7]]);
    assert_eq!(store.log_len(), log_before + 1);
    assert!(round.up < 400, "{} bytes up for one edit", round.up);
    assert!(
        round.up * 10 < first.up,
        "{} vs first sync {}",
        round.up,
        first.up
    );
    println!("one edit: {} B up, {} B down", round.up, round.down);
}

#[test]
fn a_lost_response_is_retried_and_committed_once() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    phone.create(4, 10, None);

    let request = phone.client.next_request().expect("request").expect("some");
    let _lost = server.handle(&phone.caller, &request, &mut store);
    assert_eq!(store.commits(), 1);
    assert_eq!(
        phone.client.unsynced().expect("unsynced").len(),
        10,
        "nothing acked yet"
    );

    let retry = phone.client.next_request().expect("request").expect("some");
    let response = server.handle(&phone.caller, &retry, &mut store);
    let progress = phone.client.handle_response(&response).expect("response");

    assert_eq!(progress.acknowledged.len(), 10);
    assert_eq!(store.commits(), 1, "the duplicate push committed nothing");
    assert_eq!(store.log_len(), 10);
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
}

#[test]
fn duplicated_and_reordered_responses_are_harmless() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(5, 3, None);
    let first = phone.client.next_request().expect("request").expect("some");
    let first_answer = server.handle(&phone.caller, &first, &mut store);

    phone.edit(ids[0], |doc| {
        doc.set_answer("age", &Answer::value("50"), t(20_000))
            .expect("edit");
    });
    let second = phone.client.next_request().expect("request").expect("some");
    let second_answer = server.handle(&phone.caller, &second, &mut store);

    // The second answer arrives first, then the first, then both again.
    let a = phone
        .client
        .handle_response(&second_answer)
        .expect("second");
    let b = phone.client.handle_response(&first_answer).expect("first");
    let c = phone.client.handle_response(&second_answer).expect("again");
    let d = phone.client.handle_response(&first_answer).expect("again");

    assert_eq!(a.acknowledged.len(), 3);
    assert!(!a.ignored && !b.ignored);
    assert!(c.ignored && d.ignored);
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
    // Nothing is left to do but the pull of a new round, which is one request.
    let round = sync(&mut phone, &mut server, &mut store);
    assert_eq!(round.requests, 1);
}

#[test]
fn a_restarted_client_resumes_from_its_stored_acknowledgements_and_cursor() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(6, 40, None);
    sync(&mut phone, &mut server, &mut store);
    phone.edit(ids[3], |doc| {
        doc.set_answer("age", &Answer::value("33"), t(30_000))
            .expect("edit");
    });

    let mut phone = phone.restart();
    let request = phone.client.next_request().expect("request").expect("some");

    let Request::Sync(sync_request) =
        Request::decode(&request, &WireLimits::default()).expect("decode")
    else {
        panic!("a sync request");
    };
    assert_eq!(sync_request.push.len(), 1, "only the edited document");
    assert!(
        sync_request.pull.and_then(|pull| pull.cursor).is_some(),
        "the stored cursor"
    );
    assert!(request.len() < 400, "{} bytes", request.len());
    let response = server.handle(&phone.caller, &request, &mut store);
    let progress = phone.client.handle_response(&response).expect("response");
    assert_eq!(progress.acknowledged, vec![ids[3]]);
}

#[test]
fn a_stale_answer_from_before_a_restart_is_ignored() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    phone.create(7, 2, None);
    let request = phone.client.next_request().expect("request").expect("some");
    let late = server.handle(&phone.caller, &request, &mut store);

    let mut phone = phone.restart();
    let progress = phone.client.handle_response(&late).expect("late answer");

    assert!(progress.ignored);
    assert_eq!(
        phone.client.unsynced().expect("unsynced").len(),
        2,
        "not acked by a stale answer"
    );
    sync(&mut phone, &mut server, &mut store);
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
}

#[test]
fn pulls_are_paged_in_bounded_requests_and_resume_where_they_stopped() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(8, 60, None);
    sync(&mut phone, &mut server, &mut store);

    let mut staff = Device::with_scope("laptop-iom", Scope::All);
    let mut config = staff.client.config().clone();
    config.pull_bytes = 4 * 1024;
    staff.client = letsema_sync::client::Client::new(
        config,
        letsema_sync::client_store::MemoryClientStore::new(),
    );
    // One page, then the laptop loses its memory; the next round goes on from the cursor.
    staff.client.start_sync();
    let request = staff.client.next_request().expect("request").expect("some");
    let response = server.handle(&staff.caller, &request, &mut store);
    let first = staff.client.handle_response(&response).expect("page");
    assert!(first.more);
    let got = first.updated.len();
    assert!(got > 0 && got < 60, "{got} documents in the first page");
    let mut staff = staff.restart();

    let round = sync(&mut staff, &mut server, &mut store);

    assert!(round.requests >= 3, "{round:?}");
    let pulled: usize = round.progress.iter().map(|p| p.updated.len()).sum();
    assert_eq!(got + pulled, 60, "every document once");
    assert!(
        round.largest_down < 8 * 1024,
        "{} bytes",
        round.largest_down
    );
    for id in ids {
        assert!(staff.client.open_document(id).expect("open").is_some());
    }
}

#[test]
fn a_reviewers_change_reaches_the_device_that_created_the_submission() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(9, 5, Some("basotho-health-za"));
    sync(&mut phone, &mut server, &mut store);

    let mut staff = Device::with_scope("laptop-iom", Scope::All);
    sync(&mut staff, &mut server, &mut store);
    staff.edit(ids[2], |doc| {
        doc.set_review_status(ReviewStatus::HasIssues, t(40_000))
            .expect("status");
        doc.add_comment("Please check the age.", t(40_001))
            .expect("comment");
    });
    let review = sync(&mut staff, &mut server, &mut store);
    assert_eq!(review.progress[0].acknowledged, vec![ids[2]]);

    let round = sync(&mut phone, &mut server, &mut store);

    assert_eq!(round.requests, 1);
    assert_eq!(round.progress[0].updated, vec![ids[2]]);
    let doc = phone
        .client
        .open_document(ids[2])
        .expect("open")
        .expect("stored");
    assert_eq!(doc.review().status, Some(ReviewStatus::HasIssues));
    assert!(
        phone.client.unsynced().expect("unsynced").is_empty(),
        "pulled changes count as acknowledged"
    );

    // The phone fixes the answer; the reviewer sees it.
    phone.edit(ids[2], |doc| {
        doc.set_answer("age", &Answer::value("29"), t(50_000))
            .expect("fix");
    });
    let fix = sync(&mut phone, &mut server, &mut store);
    assert_eq!(fix.progress[0].acknowledged, vec![ids[2]]);
    let round = sync(&mut staff, &mut server, &mut store);
    assert_eq!(round.progress[0].updated, vec![ids[2]]);
    let doc = staff
        .client
        .open_document(ids[2])
        .expect("open")
        .expect("stored");
    assert_eq!(doc.answer("age"), Some(Answer::value("29")));
}

#[test]
fn concurrent_edits_on_both_sides_merge_and_both_are_acknowledged() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(10, 1, None);
    sync(&mut phone, &mut server, &mut store);
    let mut staff = Device::with_scope("laptop-iom", Scope::All);
    sync(&mut staff, &mut server, &mut store);

    staff.edit(ids[0], |doc| {
        doc.set_answer("age", &Answer::value("61"), t(60_000))
            .expect("edit");
    });
    sync(&mut staff, &mut server, &mut store);
    phone.edit(ids[0], |doc| {
        doc.set_answer("age", &Answer::value("62"), t(60_001))
            .expect("edit");
    });
    let round = sync(&mut phone, &mut server, &mut store);

    // The server had more than the phone pushed; the same round's pull brings it.
    assert_eq!(round.progress[0].acknowledged, vec![ids[0]]);
    assert_eq!(round.progress[0].updated, vec![ids[0]]);
    let doc = phone
        .client
        .open_document(ids[0])
        .expect("open")
        .expect("stored");
    assert_eq!(
        doc.conflicts().len(),
        1,
        "the same-field conflict is kept, not dropped"
    );
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
    sync(&mut staff, &mut server, &mut store);
    let mut theirs = staff
        .client
        .open_document(ids[0])
        .expect("open")
        .expect("stored");
    let mut ours = phone
        .client
        .open_document(ids[0])
        .expect("open")
        .expect("stored");
    assert_eq!(ours.heads(), theirs.heads(), "both replicas converge");
}

#[test]
fn a_push_that_finds_more_on_the_server_says_so() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(11, 1, None);
    sync(&mut phone, &mut server, &mut store);
    let mut staff = Device::with_scope("laptop-iom", Scope::All);
    sync(&mut staff, &mut server, &mut store);
    staff.edit(ids[0], |doc| {
        doc.set_review_status(ReviewStatus::Approved, t(1))
            .expect("edit");
    });
    sync(&mut staff, &mut server, &mut store);
    phone.edit(ids[0], |doc| {
        doc.set_answer("age", &Answer::value("70"), t(2))
            .expect("edit");
    });

    let request = phone.client.next_request().expect("request").expect("some");
    let response = server.handle(&phone.caller, &request, &mut store);

    let Response::Sync(answer) =
        Response::decode(&response, &WireLimits::default()).expect("decode")
    else {
        panic!("a sync answer");
    };
    assert!(
        matches!(answer.push[0], PushResult::CommittedWithMore { ref heads, .. } if heads.len() == 2)
    );
}

#[test]
fn a_store_failure_commits_nothing_and_the_next_round_succeeds() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    phone.create(12, 4, None);
    store.fail_next_commit();

    let round = sync(&mut phone, &mut server, &mut store);

    assert_eq!(round.rejected(), 4);
    assert_eq!(store.doc_count(), 0);
    assert_eq!(
        phone.client.unsynced().expect("unsynced").len(),
        4,
        "nothing dropped"
    );
    let round = sync(&mut phone, &mut server, &mut store);
    assert_eq!(round.rejected(), 0);
    assert_eq!(store.doc_count(), 4);
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
}

#[test]
fn after_the_server_is_restored_from_a_backup_both_sides_converge_without_a_full_resend() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(13, 200, None);
    let full = sync(&mut phone, &mut server, &mut store);
    let backup = store.snapshot();

    // After the backup: five edits and three new submissions reach the server...
    for &id in &ids[..5] {
        phone.edit(id, |doc| {
            doc.set_answer("age", &Answer::value("44"), t(70_000))
                .expect("edit");
        });
    }
    let extra = phone.create(14, 3, None);
    sync(&mut phone, &mut server, &mut store);
    // ...and are lost when the server is restored. Meanwhile, a reviewer changes another.
    let mut store = MemoryServerStore::restore(backup, 0x0e90_c0de_0000_0002);
    let mut staff = Device::with_scope("laptop-iom", Scope::All);
    sync(&mut staff, &mut server, &mut store);
    staff.edit(ids[100], |doc| {
        doc.set_review_status(ReviewStatus::Approved, t(80_000))
            .expect("status");
    });
    sync(&mut staff, &mut server, &mut store);

    let round = sync(&mut phone, &mut server, &mut store);

    assert!(round.progress.iter().any(|p| p.repairing), "the repair ran");
    assert_eq!(round.rejected(), 0, "{round:?}");
    assert_eq!(store.doc_count(), 203);
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
    let mut server_doc = SubmissionDoc::load(
        &letsema_sync::store::ServerStore::load(&store, ids[0])
            .expect("load")
            .expect("stored")
            .bytes,
        writer("check", 9),
    )
    .expect("server copy");
    assert_eq!(server_doc.answer("age"), Some(Answer::value("44")));
    let reviewed = phone
        .client
        .open_document(ids[100])
        .expect("open")
        .expect("stored");
    assert_eq!(reviewed.review().status, Some(ReviewStatus::Approved));
    assert!(extra.iter().all(|id| store.doc_ids().contains(id)));
    assert!(
        round.up * 5 < full.up,
        "repair sent {} B, a full resend is {} B",
        round.up,
        full.up
    );
    println!(
        "repair after restore: {} requests, {} B up, {} B down (full resend {} B up)",
        round.requests, round.up, round.down, full.up
    );
    let _ = server_doc.heads();

    // And the next round is back to one small request.
    let round = sync(&mut phone, &mut server, &mut store);
    assert_eq!(round.requests, 1);
}

#[test]
fn a_device_that_lost_part_of_its_storage_fetches_it_back_by_repair() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(15, 80, None);
    let full = sync(&mut phone, &mut server, &mut store);
    for &id in &ids[..4] {
        phone.client.store_mut().remove(id);
    }

    phone.client.start_repair();
    let round = sync(&mut phone, &mut server, &mut store);

    for &id in &ids[..4] {
        assert!(phone.client.open_document(id).expect("open").is_some());
    }
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
    let mut fetched: Vec<DocId> = round
        .progress
        .iter()
        .flat_map(|progress| progress.updated.iter().copied())
        .collect();
    fetched.sort_unstable();
    let mut lost = ids[..4].to_vec();
    lost.sort_unstable();
    assert_eq!(fetched, lost, "only the lost documents came down");
    assert!(round.down < full.up, "{} B down", round.down);
    assert_eq!(store.log_len(), 80, "nothing was pushed again");
}

#[test]
fn new_documents_travel_compact_and_a_refused_compact_push_is_sent_again_as_raw_chunks() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(12, 6, None);
    phone.client.start_sync();
    let mut encodings = Vec::new();
    let mut refused = 0;
    let mut requests = 0;
    while let Some(request) = phone.client.next_request().expect("request") {
        requests += 1;
        assert!(requests < 10, "the sync does not end");
        let Ok(Request::Sync(mut sync)) = Request::decode(&request, &WireLimits::default()) else {
            panic!("a sync request");
        };
        // The first two documents' compact runs are damaged on the way (or the server's
        // automerge rebuilds them differently: the same answer).
        for push in &mut sync.push {
            encodings.push((push.doc, push.encoding));
            if push.encoding == ChangeEncoding::Compact && ids[..2].contains(&push.doc) {
                let last = push.changes.len() - 1;
                push.changes[last] ^= 1;
            }
        }
        let response = server.handle(&phone.caller, &Request::Sync(sync).encode(), &mut store);
        let progress = phone.client.handle_response(&response).expect("response");
        refused += progress
            .rejected
            .iter()
            .filter(|r| r.code == RejectCode::CompactRefused)
            .count();
    }

    assert_eq!(refused, 2);
    assert_eq!(store.doc_count(), 6, "every document reached the server");
    assert!(phone.client.unsynced().expect("unsynced").is_empty());
    for id in &ids {
        let sent: Vec<ChangeEncoding> = encodings
            .iter()
            .filter(|(doc, _)| doc == id)
            .map(|(_, encoding)| *encoding)
            .collect();
        if ids[..2].contains(id) {
            assert_eq!(sent, [ChangeEncoding::Compact, ChangeEncoding::Chunks]);
        } else {
            assert_eq!(sent, [ChangeEncoding::Compact]);
        }
    }
}

#[test]
fn the_server_keeps_loaded_documents_in_its_cache_and_works_without_them() {
    let (mut server, mut store) = server();
    let mut phone = Device::phone("phone-lerato");
    let ids = phone.create(13, 20, None);
    sync(&mut phone, &mut server, &mut store);
    assert_eq!(
        store.cache().len(),
        20,
        "every committed document is kept loaded"
    );

    phone.edit(ids[3], |doc| {
        doc.set_answer("age", &Answer::value("52"), t(20_000))
            .expect("edit");
    });
    let round = sync(&mut phone, &mut server, &mut store);
    assert_eq!(round.rejected(), 0);
    assert_eq!(round.progress[0].acknowledged, vec![ids[3]]);

    // A restarted server has an empty cache and loads from storage.
    let mut store = store.restart();
    assert!(store.cache().is_empty());
    phone.edit(ids[3], |doc| {
        doc.set_answer("age", &Answer::value("53"), t(30_000))
            .expect("edit");
    });
    let round = sync(&mut phone, &mut server, &mut store);
    assert_eq!(round.rejected(), 0);
    assert_eq!(round.progress[0].acknowledged, vec![ids[3]]);
    assert_eq!(store.cache().len(), 1);
    let mut held = store.load(ids[3]).expect("load").expect("stored");
    let mut loaded = SubmissionDoc::load(&held.bytes, writer("reader", 2)).expect("loads");
    assert_eq!(loaded.answer("age"), Some(Answer::value("53")));
    held.heads.sort_unstable();
    let mut heads = loaded.heads();
    heads.sort_unstable();
    assert_eq!(held.heads, heads);
}
