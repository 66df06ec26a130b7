//! Three servers on one PostgreSQL database, as an installation behind a load balancer runs
//! them: phones switch servers between syncs and within one, one server is killed with
//! SIGKILL in the middle of pushes and restarted, and a reviewer edits submissions through
//! another server meanwhile. Afterwards every acknowledged submission is stored, no change
//! is stored twice, every phone has converged with the server, and a device that pulls the
//! whole log page by page through three servers' stores gets every entry once, in order.
//!
//! Runs on the cluster `LETSEMA_TEST_POSTGRES_URL` names (`./dev test` starts one).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Child;
use std::time::Duration;

use common::process::{add_user_on, start_server_on};
use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_protocol::sync::DocId;
use letsema_server::store::{PostgresStore, SyncAccess};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::store::{Scope, ServerStore};

const PASSWORD: &str = "a long enough password";
const ADMIN: &str = "admin@example.org";

struct Phone {
    credential: String,
    writer: Writer,
    client: Client<MemoryClientStore>,
    acknowledged: BTreeSet<DocId>,
}

/// The phone syncs, each request to the next server in turn (a load balancer's round
/// robin), starting at `first`. Stops quietly at the first transport error: that server
/// died. Whether the sync finished.
async fn sync_across(
    http: &reqwest::Client,
    urls: &[String],
    first: usize,
    phone: &mut Phone,
) -> bool {
    phone.client.start_sync();
    let mut turn = first;
    loop {
        let Some(frame) = phone.client.next_request().expect("client store") else {
            return true;
        };
        let url = &urls[turn % urls.len()];
        turn += 1;
        let sent = http
            .post(format!("{url}/api/sync"))
            .header("authorization", format!("Bearer {}", phone.credential))
            .header("content-type", "application/x-letsema-sync")
            .body(frame)
            .send()
            .await;
        let Ok(response) = sent else { return false };
        if !response.status().is_success() {
            return false;
        }
        let Ok(body) = response.bytes().await else {
            return false;
        };
        let progress = phone
            .client
            .handle_response(&body)
            .expect("a valid response");
        phone.acknowledged.extend(progress.acknowledged);
    }
}

fn kill(server: &mut Child) {
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_on_one_database_lose_nothing_and_store_nothing_twice() {
    let database = letsema_server::store::postgres_testing::fresh_database();
    add_user_on(&database, ADMIN, "admin", PASSWORD);
    add_user_on(&database, "reviewer@example.org", "reviewer", PASSWORD);
    // One after the other: the first migrates the schema and publishes the demo form.
    let mut servers: Vec<(Child, String)> =
        (0..3).map(|_| start_server_on(&database, true)).collect();
    let urls = |servers: &[(Child, String)]| -> Vec<String> {
        servers.iter().map(|(_, url)| url.clone()).collect()
    };

    let http = letsema_server::commands::remote::http_client(None).expect("client");
    // Enrolled through the second server; each phone then talks to all three.
    let enrolled =
        common::process::enrol_phones(&http, &servers[1].1, (ADMIN, PASSWORD), "multi", 4).await;
    let mut phones: Vec<Phone> = enrolled
        .into_iter()
        .enumerate()
        .map(|(i, enrolled)| {
            let writer = Writer::new(
                DeviceId::parse(&enrolled.device.id).expect("device id"),
                SessionId::from_bytes(&[i as u8 + 1; 16]).expect("session"),
                None,
            );
            Phone {
                credential: enrolled.credential,
                client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
                writer,
                acknowledged: BTreeSet::new(),
            }
        })
        .collect();
    let association = AssociationId::parse("multi").expect("an association id");
    let mut generator = letsema_workload::Generator::new(7);

    for (round, kill_after_ms) in [10u64, 60, 150, 300].into_iter().enumerate() {
        for phone in &mut phones {
            for i in 0..20 {
                let at = Timestamp(1_780_000_000_000 + (round as i64 * 100 + i) * 60_000);
                let mut doc = generator
                    .submission_in(&phone.writer, Some(&association), at)
                    .expect("a submission");
                phone.client.save_document(&mut doc).expect("saved");
            }
        }
        let current = urls(&servers);
        let mut tasks = Vec::new();
        for (index, mut phone) in phones.drain(..).enumerate() {
            let http = http.clone();
            let current = current.clone();
            tasks.push(tokio::spawn(async move {
                sync_across(&http, &current, index + round, &mut phone).await;
                phone
            }));
        }
        // The middle server dies mid-push, and comes back.
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        kill(&mut servers[1].0);
        for task in tasks {
            phones.push(task.await.expect("the phone's task"));
        }
        servers[1] = start_server_on(&database, false);

        // A reviewer approves the first submission of a phone through the third server; the
        // phone changes it meanwhile through the others.
        let Some(reviewed) = phones[round % phones.len()].acknowledged.first().copied() else {
            continue;
        };
        let review = common::process::letsema_with_input(
            &[
                "review",
                "--url",
                &servers[2].1,
                "--email",
                "reviewer@example.org",
                &reviewed.to_string(),
                "--status",
                "approved",
                "--comment",
                "Checked against the passport.",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert!(
            review.status.success(),
            "letsema review failed: {}",
            String::from_utf8_lossy(&review.stderr)
        );
    }

    // Every phone finishes through every server in turn, twice: the second time it
    // receives what the first time of the others sent.
    let current = urls(&servers);
    for pass in 0..2 {
        for (index, phone) in phones.iter_mut().enumerate() {
            assert!(
                sync_across(&http, &current, index + pass, phone).await,
                "the phone finished"
            );
            assert!(phone.client.unsynced().expect("store").is_empty());
        }
    }
    for (child, _) in &mut servers {
        kill(child);
    }

    // Three stores on the database, as three servers' would be.
    let stores: Vec<PostgresStore> = (0..3)
        .map(|_| PostgresStore::open(&database, 4).expect("the database opens"))
        .collect();
    let session = stores[0].sync_store().expect("a sync session");
    let (index, last_seq) = session
        .heads_index(&Scope::All)
        .expect("every document's heads");

    // Every submission was acknowledged in the end, and is there with the heads the phone
    // holds: phone and server converged (the reviews included).
    let mut captured = 0;
    for phone in &phones {
        for doc in phone.client.store().doc_ids() {
            captured += 1;
            assert!(
                phone.acknowledged.contains(&doc),
                "{doc} was never acknowledged"
            );
            let ours = &phone
                .client
                .store()
                .get(doc)
                .expect("the phone's document")
                .heads;
            assert_eq!(index.get(&doc), Some(ours), "{doc} differs on the server");
        }
    }
    assert_eq!(captured, 4 * 4 * 20);
    assert_eq!(index.len(), captured);

    // A device pulls the whole log, page by page, each page through another server's store:
    // every entry once, in order, and nothing left out.
    let nobody = DeviceId::parse("auditor").expect("a device id");
    let mut cursor = 0;
    let mut seen: Vec<u64> = Vec::new();
    let mut entries_per_doc: BTreeMap<DocId, Vec<Vec<u8>>> = BTreeMap::new();
    for turn in 0.. {
        let page = stores[turn % stores.len()]
            .sync_store()
            .expect("a sync session")
            .log_page(cursor, &Scope::All, &nobody, 64 * 1024, 50)
            .expect("a page");
        for entry in &page.entries {
            seen.push(entry.seq);
            entries_per_doc
                .entry(entry.doc)
                .or_default()
                .push(entry.changes.clone());
        }
        cursor = page.last_seq;
        if !page.more {
            break;
        }
    }
    assert_eq!(cursor, last_seq);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "the log in order, each entry once"
    );
    assert_eq!(
        entries_per_doc.len(),
        index.len(),
        "every document has its entries"
    );
    // A push retried after the server died is recognised, not stored again: no document has
    // two entries carrying the same changes.
    for (doc, entries) in &entries_per_doc {
        let distinct: BTreeSet<&Vec<u8>> = entries.iter().collect();
        assert_eq!(
            distinct.len(),
            entries.len(),
            "{doc} has a change stored twice"
        );
    }
}
