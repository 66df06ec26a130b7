//! Regressions found by the simulation around backup restores.

mod common;

use common::*;
use letsema_doc::*;
use letsema_sync::store::{MemoryServerStore, Scope, ServerStore};
use letsema_sync::wire::RejectCode;

/// After a restore to a backup older than a submission, the phone that created it holds the
/// reviewer's changes and the reviewer's laptop holds the phone's: each one's push of the
/// whole document carries the other device's changes. The server used to refuse both pushes
/// as a whole (`ForeignActor`) forever, so the acknowledged changes never came back. Now it
/// takes each device's own part, and the halves meet over a few rounds.
#[test]
fn a_document_edited_on_two_devices_comes_back_after_a_restore_from_both() {
    let mut server = letsema_sync::server::Server::default();
    let mut store = MemoryServerStore::new(0x0e90_c0de_0000_0010);
    let mut phone = Device::phone("phone-lerato");
    let mut staff = Device::with_scope("laptop-iom", Scope::All);
    sync(&mut phone, &mut server, &mut store);
    sync(&mut staff, &mut server, &mut store);
    let backup = store.snapshot();

    // After the backup: the phone creates a submission, the reviewer reviews it, the phone
    // answers the review. The server acknowledges all of it.
    let id = phone.create(20, 1, None)[0];
    sync(&mut phone, &mut server, &mut store);
    sync(&mut staff, &mut server, &mut store);
    staff.edit(id, |doc| {
        doc.set_review_status(ReviewStatus::HasIssues, t(1_000))
            .expect("status");
    });
    sync(&mut staff, &mut server, &mut store);
    sync(&mut phone, &mut server, &mut store);
    phone.edit(id, |doc| {
        doc.set_answer("age", &Answer::value("52"), t(2_000))
            .expect("fix");
    });
    sync(&mut phone, &mut server, &mut store);
    staff.edit(id, |doc| {
        doc.set_review_status(ReviewStatus::Approved, t(3_000))
            .expect("status");
    });
    sync(&mut staff, &mut server, &mut store);
    sync(&mut phone, &mut server, &mut store);
    let mut before = phone
        .client
        .open_document(id)
        .expect("open")
        .expect("stored");
    let heads = sorted(before.heads());

    // The backup comes back: the submission is gone from the server.
    let mut store = MemoryServerStore::restore(backup, 0x0e90_c0de_0000_0011);
    assert_eq!(store.doc_count(), 0);

    // Each round, each device's own changes that the server can apply go in.
    let mut partly = 0;
    for _ in 0..4 {
        for device in [&mut staff, &mut phone] {
            let round = sync(device, &mut server, &mut store);
            partly += round
                .progress
                .iter()
                .flat_map(|p| &p.rejected)
                .filter(|r| {
                    matches!(
                        r.code,
                        RejectCode::ForeignActor | RejectCode::MissingDependencies
                    )
                })
                .count();
        }
    }

    let stored = ServerStore::load(&store, id)
        .expect("load")
        .expect("stored");
    assert_eq!(stored.heads, heads, "every change came back");
    for device in [&mut phone, &mut staff] {
        assert!(device.client.unsynced().expect("unsynced").is_empty());
        let mut doc = device
            .client
            .open_document(id)
            .expect("open")
            .expect("stored");
        assert_eq!(sorted(doc.heads()), heads);
        assert_eq!(doc.review().status, Some(ReviewStatus::Approved));
        assert_eq!(doc.answer("age"), Some(Answer::value("52")));
    }
    assert!(
        partly > 0,
        "the pushes were taken in part, round after round"
    );
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads
}
