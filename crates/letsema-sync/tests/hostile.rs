//! Hostile input at the server: each bad document is refused alone, with a clear code,
//! while the other documents of the same batch are committed.

mod common;

use common::*;
use letsema_doc::SubmissionDoc;
use letsema_forge::column::{ACTION, DEFLATE, KEY_STRING, PRED_GROUP};
use letsema_forge::{COMPRESSED_CHANGE, Change, chunk, chunk_body, fix_checksum, run, string_run};
use letsema_sync::server::{Server, ServerConfig};
use letsema_sync::store::{Caller, MemoryServerStore, Scope};
use letsema_sync::wire::*;

const PHONE: &str = "phone-lerato";

fn caller() -> Caller {
    phone(PHONE)
}

/// The phone `name`, which may push only the submissions it created.
fn phone(name: &str) -> Caller {
    Caller {
        device: device(name),
        scope: Scope::Device(device(name)),
        association: None,
    }
}

fn good(n: u64) -> DocChanges {
    let mut doc = submission(&writer(PHONE, 1), 100, n, None);
    changes_of(&mut doc)
}

fn changes_of(doc: &mut SubmissionDoc) -> DocChanges {
    DocChanges {
        doc: DocId::from(&doc.meta().submission_id),
        changes: doc.changes_after(&[]),
        encoding: ChangeEncoding::Chunks,
    }
}

/// Pushes a good document, `bad`, and another good document in one request; checks that both
/// good ones are committed and returns what happened to `bad`.
fn push_between(server: &mut Server, bad: DocChanges) -> PushResult {
    let mut store = MemoryServerStore::new(1);
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push: vec![good(1), bad, good(2)],
        pull: None,
    });
    let response = server.handle(&caller(), &request.encode(), &mut store);
    let Ok(Response::Sync(response)) = Response::decode(&response, &WireLimits::default()) else {
        panic!("a sync response");
    };
    assert!(
        matches!(response.push[0], PushResult::Committed { .. }),
        "{:?}",
        response.push[0]
    );
    assert!(
        matches!(response.push[2], PushResult::Committed { .. }),
        "{:?}",
        response.push[2]
    );
    response.push[1].clone()
}

fn code(result: &PushResult) -> Option<RejectCode> {
    match result {
        PushResult::Rejected { code, message, .. } => {
            assert!(!message.is_empty());
            Some(*code)
        }
        _ => None,
    }
}

fn check(bad: DocChanges, expected: RejectCode) {
    let result = push_between(&mut Server::default(), bad);
    assert_eq!(code(&result), Some(expected), "{result:?}");
}

/// Where the first chunk of `bytes` ends.
fn first_chunk_end(bytes: &[u8]) -> usize {
    chunk_body(bytes, 0).expect("a chunk").end
}

#[test]
fn a_saved_document_is_refused() {
    let mut doc = submission(&writer(PHONE, 1), 101, 0, None);
    let id = DocId::from(&doc.meta().submission_id);
    check(
        DocChanges {
            doc: id,
            changes: doc.save(),
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::NotAChange,
    );
}

#[test]
fn a_compressed_change_is_refused_even_a_deflate_bomb() {
    let body = miniz_oxide::deflate::compress_to_vec(&vec![0; 8 * 1024 * 1024], 10);
    let (bomb, _) = chunk(COMPRESSED_CHANGE, &body);
    check(
        DocChanges {
            doc: DocId([3; 16]),
            changes: bomb,
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::NotAChange,
    );
}

#[test]
fn a_wrong_checksum_is_refused() {
    let mut bad = good(3);
    let end = first_chunk_end(&bad.changes);
    bad.changes[end - 1] ^= 0x01;
    check(bad, RejectCode::BadChecksum);
}

#[test]
fn a_truncated_chunk_is_refused() {
    let mut bad = good(4);
    bad.changes.truncate(bad.changes.len() - 5);
    check(bad, RejectCode::Malformed);
    check(
        DocChanges {
            doc: DocId([4; 16]),
            changes: vec![0x85, 0x6f, 0x4a],
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::Malformed,
    );
}

#[test]
fn changes_forged_as_another_devices_are_refused() {
    let mut theirs = submission(&writer("phone-other", 1), 102, 0, None);
    check(changes_of(&mut theirs), RejectCode::ForeignActor);
}

#[test]
fn a_submission_pushed_by_a_device_that_did_not_write_it_is_refused() {
    // Even staff (scope All) push only changes written by their own device's actors.
    let mut doc = submission(&writer(PHONE, 1), 103, 0, None);
    let mut staff = Server::default();
    let mut store = MemoryServerStore::new(1);
    let other = Caller {
        device: device("phone-other"),
        scope: Scope::All,
        association: None,
    };
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push: vec![changes_of(&mut doc)],
        pull: None,
    });
    let Response::Sync(response) = staff.respond(&other, request, &mut store) else {
        panic!("a sync response");
    };
    assert_eq!(code(&response.push[0]), Some(RejectCode::ForeignActor));
}

#[test]
fn absurd_lengths_and_counts_are_refused() {
    let mut absurd = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1];
    absurd.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]);
    absurd.extend_from_slice(&[0; 32]);
    check(
        DocChanges {
            doc: DocId([5; 16]),
            changes: absurd,
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::TooLarge,
    );

    // The good documents have two changes each, so give the server room for two, and push
    // one with five.
    let mut config = ServerConfig::default();
    config.chunks.max_changes = 2;
    let mut server = Server::new(config);
    let mut many = submission(&writer(PHONE, 1), 104, 0, None);
    for n in 0..3 {
        many.set_answer(
            "age",
            &letsema_doc::Answer::value(n.to_string()),
            t(100 + n),
        )
        .expect("edit");
    }
    let result = push_between(&mut server, changes_of(&mut many));
    assert_eq!(code(&result), Some(RejectCode::TooLarge), "{result:?}");
}

#[test]
fn changes_whose_dependencies_are_missing_ask_for_them() {
    let mut doc = submission(&writer(PHONE, 1), 105, 0, None);
    let all = doc.changes_after(&[]);
    let end = first_chunk_end(&all);
    check(
        DocChanges {
            doc: DocId::from(&doc.meta().submission_id),
            changes: all[end..].to_vec(),
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::MissingDependencies,
    );
}

#[test]
fn a_document_pushed_under_another_id_is_refused() {
    let mut bad = good(6);
    bad.doc = DocId([6; 16]);
    check(bad, RejectCode::NotASubmission);
}

#[test]
fn the_same_document_twice_in_one_request_is_refused_once() {
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(1);
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push: vec![good(7), good(7)],
        pull: None,
    });
    let Response::Sync(response) = server.respond(&caller(), request, &mut store) else {
        panic!("a sync response");
    };
    assert!(matches!(response.push[0], PushResult::Committed { .. }));
    assert_eq!(code(&response.push[1]), Some(RejectCode::Duplicate));
}

#[test]
fn a_device_cannot_change_another_devices_submission() {
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(1);
    let mut theirs = submission(&writer("phone-other", 1), 106, 0, None);
    let other = phone("phone-other");
    let push = |changes: DocChanges| {
        Request::Sync(SyncRequest {
            request_id: 1,
            push: vec![changes],
            pull: None,
        })
    };
    server.respond(&other, push(changes_of(&mut theirs)), &mut store);
    let mut mine = theirs.fork(writer(PHONE, 1));
    mine.set_answer("age", &letsema_doc::Answer::value("99"), t(5))
        .expect("edit");
    let Response::Sync(response) =
        server.respond(&caller(), push(changes_of(&mut mine)), &mut store)
    else {
        panic!("a sync response");
    };
    assert_eq!(code(&response.push[0]), Some(RejectCode::OutOfScope));
}

#[test]
fn garbage_requests_get_an_error_response() {
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(1);
    for bytes in [
        &b""[..],
        b"LSY",
        b"GET / HTTP/1.1\r\n",
        &[b'L', b'S', b'Y', 9, 0, 0, 0, 0, 0],
    ] {
        let response = server.handle(&caller(), bytes, &mut store);
        let Ok(Response::Error(error)) = Response::decode(&response, &WireLimits::default()) else {
            panic!("an error response");
        };
        assert!(!error.message.is_empty());
    }
}

/// A small deterministic random generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn mutated_changes_with_a_recomputed_checksum_never_bring_the_server_down() {
    quiet_dependency_panics();
    let mut server = Server::default();
    let original = good(8);
    let body = chunk_body(&original.changes, 0).expect("a chunk");
    let mut rng = Rng(0x5eed_5ca1);
    let mut rejected = 0;
    for _ in 0..300 {
        let mut bytes = original.changes.clone();
        for _ in 0..1 + rng.below(3) {
            let at = body.start + rng.below(body.len());
            bytes[at] = rng.next() as u8;
        }
        fix_checksum(&mut bytes[..body.end]);
        let result = push_between(
            &mut server,
            DocChanges {
                doc: original.doc,
                changes: bytes,
                encoding: ChangeEncoding::Chunks,
            },
        );
        if code(&result).is_some() {
            rejected += 1;
        }
    }
    assert!(rejected > 250, "{rejected} of 300 mutations rejected");
}

#[test]
fn a_device_creates_submissions_only_in_the_association_it_was_enrolled_for() {
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(1);
    let enrolled = Caller {
        device: device(PHONE),
        scope: Scope::Device(device(PHONE)),
        association: Some(letsema_doc::AssociationId::parse("assoc-a").expect("id")),
    };
    let me = writer(PHONE, 1);
    let mut own = submission(&me, 107, 0, Some("assoc-a"));
    let mut foreign = submission(&me, 107, 1, Some("assoc-b"));
    let mut none = submission(&me, 107, 2, None);
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push: vec![
            changes_of(&mut own),
            changes_of(&mut foreign),
            changes_of(&mut none),
        ],
        pull: None,
    });
    let Response::Sync(response) = server.respond(&enrolled, request, &mut store) else {
        panic!("a sync response");
    };
    assert!(matches!(response.push[0], PushResult::Committed { .. }));
    assert_eq!(code(&response.push[1]), Some(RejectCode::OutOfScope));
    assert_eq!(code(&response.push[2]), Some(RejectCode::OutOfScope));
    assert_eq!(store.doc_count(), 1);
}

/// A compact push's chunks are rebuilt by the server, which already knows their hashes: it
/// does not hash them again, and reads them exactly as it reads chunks sent raw. A hash it
/// is told that does not match a chunk's checksum is not trusted.
#[test]
fn rebuilt_chunks_read_the_same_with_their_known_hashes() {
    use letsema_sync::chunks::{
        ChunkLimits, change_chunks_built, parse_changes, parse_changes_hashed,
    };

    let mut doc = submission(&writer(PHONE, 1), 100, 1, None);
    doc.set_answer(
        "first_name",
        &letsema_doc::Answer::Value("Palesa".into()),
        t(5),
    )
    .expect("an edit");
    let push = DocChanges {
        doc: DocId::from(&doc.meta().submission_id),
        changes: doc.compact_changes_after(&[]).expect("a compact encoding"),
        encoding: ChangeEncoding::Compact,
    };
    let (raw, built) =
        change_chunks_built(&push, &letsema_doc::Limits::default()).expect("it rebuilds");
    let built = built.expect("a compact push comes with its built changes");
    let limits = ChunkLimits::default();
    let hashed = parse_changes(&raw, &limits).expect("the rebuilt chunks parse");
    let known = built.hashes();
    assert!(hashed.len() >= 2, "a created and then edited submission");
    assert_eq!(hashed.len(), known.len());
    let trusted = parse_changes_hashed(&raw, &limits, &known).expect("they parse");
    assert_eq!(trusted, hashed);

    // Told the wrong hashes (here each other's), it hashes the chunks itself.
    let swapped: Vec<_> = known.iter().rev().copied().collect();
    let checked = parse_changes_hashed(&raw, &limits, &swapped).expect("they parse");
    assert_eq!(checked, hashed);
}

/// `chunk` (one change) re-encoded after `edit`, as a forger would: checksum and hash are
/// the forged change's own, so only its numbering gives it away.
fn forge(chunk: &[u8], edit: impl FnOnce(&mut automerge::ExpandedChange)) -> Vec<u8> {
    let change = automerge::Change::from_bytes(chunk.to_vec()).expect("one change chunk");
    let mut expanded = change.decode();
    expanded.hash = None;
    edit(&mut expanded);
    automerge::Change::from(expanded).raw_bytes().to_vec()
}

fn sync_once(
    server: &mut Server,
    caller: &Caller,
    push: Vec<DocChanges>,
    store: &mut MemoryServerStore,
) -> SyncResponse {
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push,
        pull: None,
    });
    let Response::Sync(response) = server.respond(caller, request, store) else {
        panic!("a sync response");
    };
    response
}

/// The server's stored copy of `doc` loads, with the heads it claims.
fn still_loads(store: &MemoryServerStore, doc: DocId) {
    use letsema_sync::store::ServerStore;
    let stored = store.load(doc).expect("readable").expect("stored");
    let mut loaded = SubmissionDoc::load(&stored.bytes, writer("reader", 9)).expect("it loads");
    let mut heads = loaded.heads();
    heads.sort_unstable();
    assert_eq!(heads, stored.heads);
}

/// A phone's acknowledged submission, and a change forged from its next genuine edit: the
/// device's own actor, sequence number and dependencies, but a first operation number of 1
/// (the forgery of the field report, which automerge 0.12 applies and then cannot load).
fn acknowledged_and_forged(
    server: &mut Server,
    store: &mut MemoryServerStore,
    forger: &letsema_doc::Writer,
) -> (SubmissionDoc, DocChanges) {
    let mut doc = submission(&writer(PHONE, 1), 120, 0, None);
    let response = sync_once(server, &caller(), vec![changes_of(&mut doc)], store);
    assert!(matches!(response.push[0], PushResult::Committed { .. }));
    let acked = doc.heads();
    let mut edit = doc.fork(forger.clone());
    edit.set_answer("age", &letsema_doc::Answer::value("77"), t(50))
        .expect("edit");
    let genuine = edit.changes_after(&acked);
    let forged = forge(&genuine, |change| {
        change.start_op = 1.try_into().expect("1")
    });
    let id = DocId::from(&doc.meta().submission_id);
    (
        doc,
        DocChanges {
            doc: id,
            changes: forged,
            encoding: ChangeEncoding::Chunks,
        },
    )
}

/// `caller` pushes a change forged from its own next edit of an acknowledged submission:
/// it is refused (`ApplyFailed`) and the stored submission still loads.
fn forged_push_is_refused(caller: &Caller, forger: &letsema_doc::Writer) {
    quiet_dependency_panics();
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(1);
    let (_, forged) = acknowledged_and_forged(&mut server, &mut store, forger);
    let id = forged.doc;
    let response = sync_once(&mut server, caller, vec![forged], &mut store);
    assert_eq!(
        code(&response.push[0]),
        Some(RejectCode::ApplyFailed),
        "{:?}",
        response.push[0]
    );
    still_loads(&store, id);
}

#[test]
fn a_pushed_change_that_would_leave_the_submission_unloadable_is_refused() {
    forged_push_is_refused(&caller(), &writer(PHONE, 1));
}

#[test]
fn a_staff_change_that_would_leave_the_submission_unloadable_is_refused() {
    let reviewer = Caller {
        device: device("staff-7"),
        scope: Scope::All,
        association: None,
    };
    forged_push_is_refused(&reviewer, &writer("staff-7", 3));
}

/// A phone never takes a pulled change that would make its own copy unloadable, even when
/// the server's log holds one (a server from before this check, or a compromised one).
#[test]
fn a_pulled_change_that_would_leave_the_phones_copy_unloadable_is_not_taken() {
    use letsema_sync::store::{CommitDoc, ServerStore};
    quiet_dependency_panics();
    let mut phone = Device::phone(PHONE);
    let mut store = MemoryServerStore::new(1);
    let mut server = Server::default();
    let id = phone.create(121, 1, None)[0];
    sync(&mut phone, &mut server, &mut store);
    let stored = store.load(id).expect("readable").expect("stored");
    let mut copy = SubmissionDoc::load(&stored.bytes, writer("staff-7", 3)).expect("loads");
    let acked = copy.heads();
    copy.set_answer("age", &letsema_doc::Answer::value("77"), t(60))
        .expect("edit");
    let forged = forge(&copy.changes_after(&acked), |change| {
        change.start_op = 1.try_into().expect("1")
    });
    // Written into the log behind the server's checks, as a broken server would have.
    store
        .commit(vec![CommitDoc {
            doc: id,
            meta: stored.meta.clone(),
            base_heads: Some(stored.heads.clone()),
            document: stored.bytes.clone(),
            heads: stored.heads.clone(),
            changes: forged,
            origin: device("staff-7"),
        }])
        .expect("committed");
    let round = sync(&mut phone, &mut server, &mut store);
    let failed: Vec<&(DocId, String)> = round
        .progress
        .iter()
        .flat_map(|progress| progress.failed.iter())
        .collect();
    assert!(
        failed
            .iter()
            .any(|(doc, message)| *doc == id && message.contains("refused")),
        "the phone reports the change it could not take: {failed:?}"
    );
    let mut mine = phone
        .client
        .open_document(id)
        .expect("the phone's copy still opens")
        .expect("stored");
    assert_eq!(mine.heads(), acked);
    let reloaded = SubmissionDoc::load(&mine.save(), writer(PHONE, 2)).expect("and loads");
    assert_eq!(reloaded.answer("age"), mine.answer("age"));
}

/// A change chunk by the phone's first actor, as a forger writes one by hand: no
/// dependencies, sequence number 1, first operation 1, and these columns (specification,
/// data). Its checksum is right.
fn hand_made_change(columns: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let actor = writer(PHONE, 1).actor_id();
    let change = Change {
        deps: &[],
        actor: actor.to_bytes(),
        seq: 1,
        start_op: 1,
    };
    change.encode(columns).0
}

#[test]
fn the_operations_a_change_declares_are_counted_as_automerge_reads_them() {
    use letsema_sync::chunks::{ChunkLimits, parse_changes};
    let mut doc = submission(&writer(PHONE, 1), 130, 0, None);
    let bytes = doc.changes_after(&[]);
    let parsed = parse_changes(&bytes, &ChunkLimits::default()).expect("genuine changes");
    for change in &parsed {
        let automerge =
            automerge::Change::from_bytes(bytes[change.range.clone()].to_vec()).expect("a change");
        assert_eq!(change.ops, automerge.len() as u64);
    }
    assert!(parsed.iter().map(|c| c.ops).sum::<u64>() > 10);
}

/// A kilobyte can declare millions of operations in one run; automerge would expand them
/// all (hundreds of megabytes) before refusing the change. Such chunks are refused unread.
#[test]
fn a_change_that_declares_millions_of_operations_is_refused_before_automerge_reads_it() {
    let millions = hand_made_change(&[(ACTION, run(10_000_000, 1))]);
    assert!(millions.len() < 100, "{} bytes", millions.len());
    let doc = DocId([9; 16]);
    check(
        DocChanges {
            doc,
            changes: millions,
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::TooLarge,
    );
    // A string repeated for every operation is copied for each.
    let long_key = string_run(15_000, &[b'k'; 1_000]);
    check(
        DocChanges {
            doc,
            changes: hand_made_change(&[(KEY_STRING, long_key), (ACTION, run(15_000, 1))]),
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::TooLarge,
    );
    // Each operation's predecessors come from one count.
    check(
        DocChanges {
            doc,
            changes: hand_made_change(&[(ACTION, run(1, 1)), (PRED_GROUP, run(1, 1 << 40))]),
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::TooLarge,
    );
    // Many changes, each within bounds, add up.
    let mut many = Vec::new();
    for _ in 0..6 {
        many.extend(hand_made_change(&[(ACTION, run(19_000, 1))]));
    }
    check(
        DocChanges {
            doc,
            changes: many,
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::TooLarge,
    );
    // A deflated column (automerge refuses them in changes, after parsing the rest).
    check(
        DocChanges {
            doc,
            changes: hand_made_change(&[(ACTION | DEFLATE, run(1, 1))]),
            encoding: ChangeEncoding::Chunks,
        },
        RejectCode::Malformed,
    );
}

/// One request's automerge work is bounded whatever its size on the wire: past the budget,
/// documents are refused without automerge seeing them, and the work done is reported.
#[test]
fn a_request_hands_automerge_no_more_documents_or_operations_than_its_budget() {
    use letsema_sync::server::RequestBudget;
    let mut server = Server::new(ServerConfig {
        budget: RequestBudget {
            max_docs: 3,
            max_ops: 1_000_000,
        },
        ..ServerConfig::default()
    });
    let mut store = MemoryServerStore::new(1);
    let push: Vec<DocChanges> = (0..5).map(|n| good(200 + n)).collect();
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push,
        pull: None,
    });
    let (response, work) = server.handle_metered(&caller(), &request.encode(), &mut store);
    let Ok(Response::Sync(response)) = Response::decode(&response, &WireLimits::default()) else {
        panic!("a sync response");
    };
    let committed = response
        .push
        .iter()
        .filter(|result| matches!(result, PushResult::Committed { .. }))
        .count();
    assert_eq!(committed, 3);
    for result in &response.push[3..] {
        assert_eq!(code(result), Some(RejectCode::TooLarge), "{result:?}");
        let PushResult::Rejected { message, .. } = result else {
            unreachable!()
        };
        assert!(message.contains("later request"), "{message}");
    }
    assert_eq!(work.docs, 3);
    assert!(work.ops > 0);

    // The operations budget: the first document fits, the second would not.
    let one = work.ops / 3;
    let mut server = Server::new(ServerConfig {
        budget: RequestBudget {
            max_docs: 100,
            max_ops: one + one / 2,
        },
        ..ServerConfig::default()
    });
    let mut store = MemoryServerStore::new(1);
    let response = sync_once(
        &mut server,
        &caller(),
        vec![good(210), good(211)],
        &mut store,
    );
    assert!(matches!(response.push[0], PushResult::Committed { .. }));
    assert_eq!(code(&response.push[1]), Some(RejectCode::TooLarge));
}

/// Submissions out of the caller's scope are refused before automerge does any work on
/// them, so a frame full of them costs little: the hostile frame of the field report, 10,000
/// entries under another device's ids.
#[test]
fn pushes_to_submissions_out_of_scope_cost_no_automerge_work() {
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(1);
    let other = phone("phone-other");
    let theirs: Vec<DocChanges> = (0..20)
        .map(|n| {
            let mut doc = submission(&writer("phone-other", 1), 220, n, None);
            changes_of(&mut doc)
        })
        .collect();
    sync_once(&mut server, &other, theirs.clone(), &mut store);
    // Each of their ids, with a valid change of the caller's own.
    let mine = good(221).changes;
    let hostile: Vec<DocChanges> = theirs
        .iter()
        .map(|theirs| DocChanges {
            doc: theirs.doc,
            changes: mine.clone(),
            encoding: ChangeEncoding::Chunks,
        })
        .collect();
    let request = Request::Sync(SyncRequest {
        request_id: 2,
        push: hostile,
        pull: None,
    });
    let (response, work) = server.handle_metered(&caller(), &request.encode(), &mut store);
    let Ok(Response::Sync(response)) = Response::decode(&response, &WireLimits::default()) else {
        panic!("a sync response");
    };
    assert!(
        response
            .push
            .iter()
            .all(|result| code(result) == Some(RejectCode::OutOfScope))
    );
    assert_eq!(work, letsema_sync::server::Work::default());
}
