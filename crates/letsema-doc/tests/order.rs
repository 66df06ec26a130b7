//! Changes that automerge applies but that would leave a document unloadable are refused.
//!
//! automerge's saved format derives each change's first operation number from its
//! dependencies and needs each actor's changes in sequence. A forged change that breaks
//! either rule is applied by automerge 0.12 without complaint, and the document then saves
//! into bytes that do not load: one push could destroy a submission. Every way of taking in
//! changes from outside (`apply_changes`, `apply_built` through the compact encoding,
//! `from_changes`, `load_incremental`) refuses them and leaves the document as it was.

mod common;

use automerge::{AutoCommit, Change, ExpandedChange};
use common::*;
use letsema_doc::*;

/// A submission the phone created and filled in, and the server's copy of it.
fn phone_and_server() -> (SubmissionDoc, SubmissionDoc) {
    let mut phone = created();
    phone
        .set_answer("first_name", &text("Palesa"), t(1))
        .expect("edit");
    let server = SubmissionDoc::load(&phone.save(), laptop()).expect("a valid copy");
    (phone, server)
}

/// The phone's next edit, as the change chunk it would push.
fn next_edit(phone: &mut SubmissionDoc, server: &mut SubmissionDoc) -> Vec<u8> {
    let heads = server.heads();
    phone.set_answer("age", &text("41"), t(2)).expect("edit");
    let chunk = phone.changes_after(&heads);
    assert_eq!(
        Change::from_bytes(chunk.clone()).map(|c| c.seq()).ok(),
        Some(3)
    );
    chunk
}

/// `chunk` (one change) re-encoded with `edit` applied to it, as a forger would: the checksum
/// and hash are those of the forged change, so nothing but the numbering gives it away.
fn forge(chunk: &[u8], edit: impl FnOnce(&mut ExpandedChange)) -> Vec<u8> {
    let change = Change::from_bytes(chunk.to_vec()).expect("one change chunk");
    let mut expanded = change.decode();
    expanded.hash = None;
    edit(&mut expanded);
    Change::from(expanded).raw_bytes().to_vec()
}

/// The change hashes of `doc`'s first `n` changes, in order.
fn first_hashes(doc: &mut SubmissionDoc, n: usize) -> Vec<ChangeHash> {
    doc.changes().iter().take(n).map(|c| c.hash).collect()
}

/// Hashes as automerge's own type (the same 32 bytes), for forging changes with it.
fn automerge_hashes(hashes: &[ChangeHash]) -> Vec<automerge::ChangeHash> {
    hashes
        .iter()
        .map(|hash| automerge::ChangeHash(hash.0))
        .collect()
}

/// What happens to `forged` on every path a received change takes: each refuses it, and the
/// document stays as it was and still saves into bytes that load.
fn refused_everywhere(server: &mut SubmissionDoc, forged: &[u8]) {
    let before = server.heads();
    let error = server
        .apply_changes(forged, &Limits::default())
        .expect_err("apply_changes refuses the forged change");
    assert!(
        matches!(error, LoadError::OutOfOrder { .. }),
        "apply_changes: {error}"
    );
    assert!(error.to_string().contains("nothing was kept"), "{error}");
    assert_eq!(server.heads(), before);

    let error = server
        .load_incremental(forged, &Limits::default())
        .expect_err("load_incremental refuses the forged change");
    assert!(
        matches!(error, LoadError::OutOfOrder { .. }),
        "load_incremental: {error}"
    );
    assert_eq!(server.heads(), before);

    let mut all = server.changes_after(&[]);
    all.extend_from_slice(forged);
    let error = SubmissionDoc::from_changes(&all, laptop(), &Limits::default())
        .expect_err("from_changes refuses the forged change");
    assert!(
        matches!(error, LoadError::OutOfOrder { .. }),
        "from_changes: {error}"
    );

    let reloaded = SubmissionDoc::load(&server.save(), laptop()).expect("still loads");
    assert_eq!(reloaded.meta(), server.meta());
}

#[test]
fn a_genuine_edit_is_taken_and_the_document_still_loads() {
    let (mut phone, mut server) = phone_and_server();
    let edit = next_edit(&mut phone, &mut server);
    server
        .apply_changes(&edit, &Limits::default())
        .expect("a genuine edit applies");
    let mut reloaded = SubmissionDoc::load(&server.save(), laptop()).expect("it loads");
    assert_eq!(reloaded.heads(), phone.heads());
}

/// The hazard itself, in automerge alone: it takes the forged change and then cannot load
/// what it saves. If automerge ever refuses such changes, this test says so.
#[test]
fn automerge_alone_takes_a_change_numbered_below_its_dependencies_and_cannot_load_it() {
    let (mut phone, mut server) = phone_and_server();
    let edit = next_edit(&mut phone, &mut server);
    let forged = forge(&edit, |change| change.start_op = 1.try_into().expect("1"));
    let mut raw = AutoCommit::load(&server.save()).expect("valid");
    raw.apply_changes([Change::from_bytes(forged).expect("a change")])
        .expect("automerge 0.12 applies it");
    assert!(AutoCommit::load(&raw.save()).is_err());
}

#[test]
fn a_change_numbered_below_its_dependencies_is_refused() {
    let (mut phone, mut server) = phone_and_server();
    let edit = next_edit(&mut phone, &mut server);
    let forged = forge(&edit, |change| change.start_op = 1.try_into().expect("1"));
    refused_everywhere(&mut server, &forged);
}

#[test]
fn a_change_numbered_above_its_dependencies_is_refused() {
    let (mut phone, mut server) = phone_and_server();
    let edit = next_edit(&mut phone, &mut server);
    let forged = forge(&edit, |change| {
        change.start_op = change.start_op.saturating_add(7);
    });
    refused_everywhere(&mut server, &forged);
}

#[test]
fn a_change_that_skips_a_sequence_number_is_refused() {
    let (mut phone, mut server) = phone_and_server();
    let edit = next_edit(&mut phone, &mut server);
    let forged = forge(&edit, |change| change.seq += 1);
    refused_everywhere(&mut server, &forged);
}

#[test]
fn a_change_beside_its_actors_previous_change_rather_than_after_it_is_refused() {
    let (mut phone, mut server) = phone_and_server();
    let edit = next_edit(&mut phone, &mut server);
    // The document's first change (sequence number 1, the creation) is its actor's only
    // change before sequence number 2; a change numbered 3 that builds on the creation alone
    // is concurrent with number 2, which automerge never writes for one actor.
    let first = automerge_hashes(&first_hashes(&mut server, 1));
    let first_max_op = server
        .automerge()
        .clone()
        .get_change_meta_by_hash(&first[0])
        .map(|meta| meta.max_op)
        .expect("the first change");
    let forged = forge(&edit, |change| {
        change.deps = first.clone();
        change.start_op = (first_max_op + 1).try_into().expect("non-zero");
    });
    refused_everywhere(&mut server, &forged);
}

/// The forgery of the field report: a genuine change of another submission, re-labelled
/// with the phone's actor, given the next sequence number and the heads of the phone's
/// acknowledged submission as its dependencies.
#[test]
fn another_submissions_change_relabelled_onto_this_one_is_refused() {
    let (phone_doc, mut server) = phone_and_server();
    let mut other = SubmissionDoc::create(
        NewSubmission {
            submission_id: SubmissionId::parse("6f1c2a77-2a4e-4d42-9b1e-3a7f3f3c9d10")
                .expect("uuid"),
            ..new_submission()
        },
        phone(),
        t(5),
    )
    .expect("create");
    other
        .set_answer("first_name", &text("Mpho"), t(6))
        .expect("edit");
    let created = first_hashes(&mut other, 1);
    let genuine = other.changes_after(&created);
    let heads = automerge_hashes(&server.heads());
    let actor = phone_doc.actor().clone();
    let forged = forge(&genuine, |change| {
        change.actor_id = actor;
        change.seq = 3;
        change.deps = heads;
    });
    refused_everywhere(&mut server, &forged);
}

/// Several writers editing at once, merged in any order, always pass the check: it refuses
/// only what automerge never writes.
#[test]
fn concurrent_genuine_edits_from_three_writers_are_all_taken() {
    let (mut phone, mut server) = phone_and_server();
    let mut laptop_doc = server.fork(laptop());
    let mut tablet = server.fork(writer("tablet-mpho", 3, Some("mpho")));
    let base = server.heads();
    phone.set_answer("age", &text("41"), t(10)).expect("edit");
    laptop_doc
        .set_answer("age", &text("42"), t(11))
        .expect("edit");
    tablet
        .add_comment("Which age is right?", t(12))
        .expect("comment");
    laptop_doc
        .set_review_status(ReviewStatus::HasIssues, t(13))
        .expect("status");
    phone
        .set_answer("city", &text("Durban"), t(14))
        .expect("edit");
    for doc in [&mut tablet, &mut laptop_doc, &mut phone] {
        let changes = doc.changes_after(&base);
        server
            .apply_changes(&changes, &Limits::default())
            .expect("genuine concurrent changes apply");
    }
    let mut reloaded = SubmissionDoc::load(&server.save(), laptop()).expect("it loads");
    assert_eq!(reloaded.heads().len(), 3);
    assert_eq!(reloaded.conflicts().len(), 1);
}
