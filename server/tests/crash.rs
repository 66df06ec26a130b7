//! Crash safety: the server is killed with SIGKILL at arbitrary moments while several phones
//! push; after each restart every submission it acknowledged is there and loads, and the
//! phones resume and finish.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::process::{add_admin, start_server};
use letsema_doc::{DeviceId, SessionId, SubmissionDoc, Timestamp, Writer};
use letsema_protocol::sync::DocId;
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::store::{Scope, ServerStore};

const PASSWORD: &str = "a long enough password";

struct Phone {
    credential: String,
    writer: Writer,
    client: Client<MemoryClientStore>,
    acknowledged: BTreeSet<DocId>,
}

/// Syncs until done; stops quietly at the first transport error (the server died).
async fn sync_until_done_or_dead(http: &reqwest::Client, url: &str, phone: &mut Phone) -> bool {
    phone.client.start_sync();
    loop {
        let Some(frame) = phone.client.next_request().expect("client store") else {
            return true;
        };
        let sent = http
            .post(format!("{url}/api/sync"))
            .header("authorization", format!("Bearer {}", phone.credential))
            .header("content-type", "application/x-letsema-sync")
            .body(frame)
            .send()
            .await;
        let Ok(response) = sent else { return false };
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

async fn enrol(http: &reqwest::Client, url: &str, n: usize) -> Vec<(String, String)> {
    common::process::enrol_phones(http, url, ("admin@example.org", PASSWORD), "crash", n)
        .await
        .into_iter()
        .map(|enrolled| (enrolled.device.id, enrolled.credential))
        .collect()
}

/// Every acknowledged submission is stored and loads.
fn check_acknowledged_are_there(data: &Path, phones: &[Phone]) {
    let store = letsema_server::store::open(data).expect("the database opens after a crash");
    let sync = store.sync_store().expect("sync store");
    let (index, _) = sync.heads_index(&Scope::All).expect("index");
    for phone in phones {
        for doc in &phone.acknowledged {
            assert!(
                index.contains_key(doc),
                "acknowledged {doc} is missing after SIGKILL"
            );
            let stored = sync.load(*doc).expect("load").expect("stored");
            let reader = Writer::new(
                DeviceId::parse("checker").expect("id"),
                SessionId::from_bytes(&[3; 16]).expect("session"),
                None,
            );
            SubmissionDoc::load(&stored.bytes, reader).expect("an acknowledged document loads");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_submissions_survive_sigkill_and_phones_finish() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    add_admin(&data, "admin@example.org", PASSWORD);

    // The client `letsema load` uses (reqwest with rustls on the ring provider).
    let http = letsema_server::commands::remote::http_client(None).expect("client");
    let (mut server, url) = start_server(&data, true);
    let mut phones: Vec<Phone> = enrol(&http, &url, 3)
        .await
        .into_iter()
        .enumerate()
        .map(|(i, (id, credential))| {
            let writer = Writer::new(
                DeviceId::parse(&id).expect("device id"),
                SessionId::from_bytes(&[i as u8 + 1; 16]).expect("session"),
                None,
            );
            Phone {
                credential,
                client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
                writer,
                acknowledged: BTreeSet::new(),
            }
        })
        .collect();
    let mut generator = letsema_workload::Generator::new(99);
    // The association the phones were enrolled for: their submissions must belong to it.
    let crash = letsema_doc::AssociationId::parse("crash").expect("an association id");
    let mut url = url;
    // Kill points spread over the first pushes of each round: from before any request is
    // answered to well into the batch.
    for (round, kill_after_ms) in [5u64, 40, 90, 150, 250, 400].into_iter().enumerate() {
        for phone in &mut phones {
            for i in 0..25 {
                let at = Timestamp(1_750_000_000_000 + (round as i64 * 100 + i) * 60_000);
                let mut doc = generator
                    .submission_in(&phone.writer, Some(&crash), at)
                    .expect("a submission");
                phone
                    .client
                    .save_document(&mut doc)
                    .expect("saved on the phone");
            }
        }
        let mut tasks = Vec::new();
        for mut phone in phones.drain(..) {
            let http = http.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                sync_until_done_or_dead(&http, &url, &mut phone).await;
                phone
            }));
        }
        tokio::time::sleep(Duration::from_millis(kill_after_ms)).await;
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
        for task in tasks {
            phones.push(task.await.expect("the phone's task"));
        }
        check_acknowledged_are_there(&data, &phones);
        (server, url) = start_server(&data, true);
    }
    // After the last restart, every phone finishes, and everything it holds is on the server.
    for phone in &mut phones {
        assert!(
            sync_until_done_or_dead(&http, &url, phone).await,
            "the phone finished"
        );
        assert!(phone.client.unsynced().expect("store").is_empty());
    }
    server.kill().expect("stopped");
    server.wait().expect("reaped");
    check_acknowledged_are_there(&data, &phones);
    let total: usize = phones
        .iter()
        .map(|p| p.client.store().doc_ids().len())
        .sum();
    let acknowledged: usize = phones.iter().map(|p| p.acknowledged.len()).sum();
    assert_eq!(total, 3 * 6 * 25);
    assert_eq!(
        acknowledged, total,
        "every submission was acknowledged in the end"
    );
}
