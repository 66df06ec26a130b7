//! What hostile pushes cost a release server, and whether it keeps serving an honest phone
//! meanwhile. `./dev hostile` runs it:
//!
//! ```text
//! cargo bench -p letsema-server --bench hostile
//! ```
//!
//! It starts `letsema serve --demo` on a temporary data directory, enrols 64 attacking
//! devices and one honest phone, and measures, from the server's `/proc` entries:
//!
//! 1. **memory under 64 concurrent hostile pushes**, each request the most automerge work a
//!    request may carry (two documents of five changes of 20,000 operations each, numbered
//!    as automerge would, relabelled with the attacker's own actor, which automerge applies
//!    before the schema check refuses them; a third over the request's budget; and a
//!    68-byte change declaring a million operations), several rounds, while the honest
//!    phone sends its 500 registrations: the server's peak resident memory, and how long
//!    the honest phone took;
//! 2. **CPU per hostile request**: a frame of 2,000 entries under another phone's
//!    submissions, and a frame of 10,000 entries under new ids, each with a valid change
//!    of the attacker's own (every one refused): the server's CPU time per request.
//!
//! Loopback only; the server stops at the end. Linux only (`/proc`).

#[path = "../tests/common/process.rs"]
#[allow(dead_code)] // The tests' helpers; the bench uses a few.
mod process;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_forge::column::{ACTION, INSERT, KEY_STRING, PRED_GROUP, VALUE_META};
use letsema_forge::{self as forge, Change};
use letsema_protocol::sync::{ChangeEncoding, DocChanges, DocId, Request, SyncRequest};
use letsema_server::commands::remote;
use letsema_server::metrics::ProcessMemory;
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::retry::RetryPolicy;

const ATTACKERS: usize = 64;
const ROUNDS: usize = 3;
const HONEST_SUBMISSIONS: usize = 500;
const EMAIL: &str = "hostile@example.org";
const PASSWORD: &str = "a hostile-bench password";

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    process::add_admin(dir.path(), EMAIL, PASSWORD);
    let (mut server, url) = process::start_server(dir.path(), true);
    let pid = server.id();
    println!("letsema serve (release) at {url}, pid {pid}");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(run(&url, pid));
    let _ = server.kill();
    let _ = server.wait();
}

/// The loopback address attacker `index` sends from: 25 to an address, under the server's
/// limit of 30 enrolments a minute from one address.
fn loopback(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        0,
        1,
        2 + u8::try_from(index / 25).expect("few"),
    ))
}

/// An HTTP client whose connections come from `from`.
fn client_from(from: IpAddr) -> reqwest::Client {
    remote::http_client_from(None, Some(from)).expect("an HTTP client")
}

struct Enrolled {
    credential: String,
    writer: Writer,
    association: AssociationId,
    /// A client sending from the device's own loopback address.
    http: reqwest::Client,
}

async fn enrol_all(url: &str, count: usize) -> Vec<Enrolled> {
    let admin = client_from(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let session = remote::sign_in(&admin, url, EMAIL, PASSWORD)
        .await
        .expect("signed in");
    let enrolment = remote::NewEnrolment {
        association: "hostile-bench",
        forms: &["diaspora_registration"],
        uses: count,
        expires_in_hours: Some(1),
        label: Some("hostile bench".to_owned()),
    };
    let code = remote::create_enrolment(&admin, url, &session, &enrolment)
        .await
        .expect("an enrolment");
    let clients: Vec<reqwest::Client> = (0..count.div_ceil(25))
        .map(|slot| client_from(loopback(slot * 25)))
        .collect();
    let mut enrolled = Vec::with_capacity(count);
    for index in 0..count {
        let http = clients[index / 25].clone();
        let label = format!("device {index}");
        let device = remote::enrol_device(
            &http,
            url,
            &code,
            Some(&label),
            &RetryPolicy::default(),
            &mut remote::Jitter::new(index as u64),
        )
        .await
        .expect("enrolled");
        let writer = Writer::new(
            DeviceId::parse(&device.device.id).expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("16 bytes"),
            None,
        );
        enrolled.push(Enrolled {
            credential: device.credential,
            writer,
            association: AssociationId::parse(&device.device.association).expect("an association"),
            http,
        });
    }
    enrolled
}

/// One sync request: its status and body.
async fn post_sync(
    http: &reqwest::Client,
    url: &str,
    credential: &str,
    frame: &[u8],
) -> (u16, Vec<u8>) {
    let response = http
        .post(format!("{url}/api/sync"))
        .header("authorization", format!("Bearer {credential}"))
        .header("content-type", letsema_protocol::sync::MEDIA_TYPE)
        .body(frame.to_vec())
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("a body").to_vec())
}

// --- hand-made changes -----------------------------------------------------------------

/// A change chunk written by hand: `ops` times "set the root's key `key` to null", by
/// `actor`, numbered as automerge numbers changes. Returns the chunk and its hash.
fn change(
    actor: &[u8],
    seq: u64,
    start_op: u64,
    deps: &[[u8; 32]],
    ops: i64,
    key: &[u8],
) -> (Vec<u8>, [u8; 32]) {
    let header = Change {
        deps,
        actor,
        seq,
        start_op,
    };
    header.encode(&[
        (KEY_STRING, forge::string_run(ops, key)),
        (INSERT, forge::falses(u64::try_from(ops).expect("positive"))),
        (ACTION, forge::run(ops, 1)),
        (VALUE_META, forge::run(ops, 0)),
        (PRED_GROUP, forge::run(ops, 0)),
    ])
}

/// The heaviest document a push may carry: five changes of 20,000 operations each.
fn heavy(actor: &[u8], n: u8) -> DocChanges {
    let mut bytes = Vec::new();
    let mut deps: Vec<[u8; 32]> = Vec::new();
    for k in 0..5u64 {
        let (chunk, hash) = change(actor, k + 1, 1 + k * 20_000, &deps, 20_000, &[b'k', n]);
        bytes.extend_from_slice(&chunk);
        deps = vec![hash];
    }
    DocChanges {
        doc: DocId([n; 16]),
        changes: bytes,
        encoding: ChangeEncoding::Chunks,
    }
}

fn hostile_frame(actor: &[u8], round: usize) -> Vec<u8> {
    let salt = u8::try_from(round * 4).expect("few rounds");
    let (bomb, _) = change(actor, 1, 1, &[], 1_000_000, b"x");
    let push = vec![
        heavy(actor, salt + 1),
        heavy(actor, salt + 2),
        heavy(actor, salt + 3),
        DocChanges {
            doc: DocId([salt + 4; 16]),
            changes: bomb,
            encoding: ChangeEncoding::Chunks,
        },
    ];
    Request::Sync(SyncRequest {
        request_id: 1,
        push,
        pull: None,
    })
    .encode()
}

// --- measurements ----------------------------------------------------------------------

/// The server's memory now, from `/proc`.
fn memory(pid: u32) -> ProcessMemory {
    ProcessMemory::of_process(pid).expect("/proc/PID/status")
}

fn cpu_ms(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc");
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks * 10
}

async fn run(url: &str, pid: u32) {
    let devices = enrol_all(url, ATTACKERS + 2).await;
    let (honest, devices) = devices.split_first().expect("devices");
    let (victim, attackers) = devices.split_first().expect("devices");
    println!(
        "{} attackers and 2 honest phones enrolled; server resident memory {} MB",
        attackers.len(),
        memory(pid).resident / (1024 * 1024)
    );

    // 1. Memory under 64 concurrent hostile pushes while an honest phone syncs.
    let mut phone = Client::new(
        ClientConfig::new(honest.writer.clone()),
        MemoryClientStore::new(),
    );
    let mut generator = letsema_workload::Generator::new(5);
    for mut doc in generator
        .submissions_in(
            HONEST_SUBMISSIONS,
            &honest.writer,
            Some(&honest.association),
            Timestamp(1_750_000_000_000),
        )
        .expect("submissions")
    {
        phone.save_document(&mut doc).expect("saved");
    }
    let cpu_before = cpu_ms(pid);
    let started = Instant::now();
    let mut attacks = Vec::new();
    for attacker in attackers {
        let actor = attacker.writer.actor_id().to_bytes().to_vec();
        let credential = attacker.credential.clone();
        let (http, url) = (attacker.http.clone(), url.to_owned());
        attacks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for round in 0..ROUNDS {
                let frame = hostile_frame(&actor, round);
                let (status, _) = post_sync(&http, &url, &credential, &frame).await;
                statuses.push(status);
            }
            statuses
        }));
    }
    let honest_credential = honest.credential.clone();
    let (honest_http, honest_url) = (client_from(IpAddr::V4(Ipv4Addr::LOCALHOST)), url.to_owned());
    let honest_sync = tokio::spawn(async move {
        let started = Instant::now();
        phone.start_sync();
        let mut requests = 0;
        while let Some(frame) = phone.next_request().expect("store") {
            let (status, body) =
                post_sync(&honest_http, &honest_url, &honest_credential, &frame).await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            phone.handle_response(&body).expect("a response");
            requests += 1;
        }
        let unsent = phone.unsynced().expect("store").len();
        (started.elapsed(), requests, unsent)
    });
    let mut statuses = Vec::new();
    for attack in attacks {
        statuses.extend(attack.await.expect("an attacker"));
    }
    let attack_time = started.elapsed();
    let (honest_time, honest_requests, unsent) = honest_sync.await.expect("the honest phone");
    let cpu = cpu_ms(pid) - cpu_before;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let too_much = statuses.iter().filter(|s| **s == 429).count();
    println!(
        "{} hostile pushes ({} concurrent x {ROUNDS} rounds): {ok} answered, {too_much} told to wait (429); {:.1} s, server CPU {:.1} s",
        statuses.len(),
        attackers.len(),
        attack_time.as_secs_f64(),
        cpu as f64 / 1000.0
    );
    println!(
        "meanwhile the honest phone sent {HONEST_SUBMISSIONS} registrations in {honest_requests} requests, {:.2} s, {unsent} left unsent",
        honest_time.as_secs_f64()
    );
    println!(
        "server peak resident memory (VmHWM): {} MB; now {} MB",
        memory(pid).peak_resident / (1024 * 1024),
        memory(pid).resident / (1024 * 1024)
    );

    // 2. CPU per hostile request of many entries.
    let victim_ids: Vec<DocId> = {
        let mut client = Client::new(
            ClientConfig::new(victim.writer.clone()),
            MemoryClientStore::new(),
        );
        let mut generator = letsema_workload::Generator::new(6);
        let mut ids = Vec::new();
        for mut doc in generator
            .submissions_in(
                2_000,
                &victim.writer,
                Some(&victim.association),
                Timestamp(1_750_000_000_000),
            )
            .expect("submissions")
        {
            ids.push(DocId::from(&doc.meta().submission_id));
            client.save_document(&mut doc).expect("saved");
        }
        client.start_sync();
        while let Some(frame) = client.next_request().expect("store") {
            let (status, body) = post_sync(&victim.http, url, &victim.credential, &frame).await;
            assert_eq!(status, 200);
            client.handle_response(&body).expect("a response");
        }
        ids
    };
    let attacker = &attackers[0];
    let mut own = letsema_workload::Generator::new(9)
        .submissions_in(
            1,
            &attacker.writer,
            Some(&attacker.association),
            Timestamp(1_750_000_000_000),
        )
        .expect("a submission");
    let valid = own[0].changes_after(&[]);
    let frames: [(&str, Vec<DocChanges>); 2] = [
        (
            "2,000 entries under another phone's submissions",
            victim_ids
                .iter()
                .map(|&doc| DocChanges {
                    doc,
                    changes: valid.clone(),
                    encoding: ChangeEncoding::Chunks,
                })
                .collect(),
        ),
        (
            "10,000 entries under new ids, each a valid change of the attacker's own",
            (0..10_000u32)
                .map(|n| {
                    let mut id = [0xa5; 16];
                    id[..4].copy_from_slice(&n.to_le_bytes());
                    DocChanges {
                        doc: DocId(id),
                        changes: valid.clone(),
                        encoding: ChangeEncoding::Chunks,
                    }
                })
                .collect(),
        ),
    ];
    for (index, (what, push)) in frames.into_iter().enumerate() {
        let frame = Request::Sync(SyncRequest {
            request_id: 1,
            push,
            pull: None,
        })
        .encode();
        let sender = &attackers[1 + index];
        let before = cpu_ms(pid);
        let started = Instant::now();
        let (status, _) = post_sync(&sender.http, url, &sender.credential, &frame).await;
        let elapsed = started.elapsed();
        let cpu = cpu_ms(pid) - before;
        let (again, _) = post_sync(&sender.http, url, &sender.credential, &frame).await;
        println!(
            "{what}: {} KB frame, answered {status} in {:.0} ms, server CPU {cpu} ms; the same again at once: {again}",
            frame.len() / 1024,
            elapsed.as_secs_f64() * 1000.0,
        );
    }
}
