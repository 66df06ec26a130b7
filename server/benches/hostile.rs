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

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_forge::column::{ACTION, INSERT, KEY_STRING, PRED_GROUP, VALUE_META};
use letsema_forge::{self as forge, Change};
use letsema_protocol::sync::{ChangeEncoding, DocChanges, DocId, Request, SyncRequest};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

const ATTACKERS: usize = 64;
const ROUNDS: usize = 3;
const HONEST_SUBMISSIONS: usize = 500;
const PASSWORD: &str = "a hostile-bench password";

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bin = env!("CARGO_BIN_EXE_letsema");
    let data = dir.path().to_str().expect("a UTF-8 path").to_owned();
    let mut add = Command::new(bin)
        .args([
            "user",
            "add",
            "hostile@example.org",
            "--role",
            "admin",
            "--data-dir",
            &data,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("letsema user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("the password");
    assert!(add.wait().expect("user add").success());
    let no_web = format!("{data}/no-web");
    let mut server = Command::new(bin)
        .args([
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            &data,
        ])
        .args(["--web-dir", &no_web])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("letsema serve");
    let url = server_url(&mut server);
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let pid = server.id();
    println!("letsema serve (release) at {url}, pid {pid}");

    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(run(addr, pid));
    let _ = server.kill();
    let _ = server.wait();
}

fn server_url(server: &mut Child) -> String {
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(at) = line.find("http://127.0.0.1:") {
            let url: String = line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            // Keep draining stdout so that the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            return url.trim_end_matches('/').to_owned();
        }
    }
    panic!("the server printed no address");
}

/// A minimal HTTP/1.1 exchange from a chosen loopback address (the server limits
/// enrolments per address): status and body.
async fn http(
    from: IpAddr,
    to: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Vec<u8>) {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.bind(SocketAddr::new(from, 0)).expect("bind");
    let mut stream = socket.connect(to).await.expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {to}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let mut body = response[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (status, head, body)
}

fn dechunk(mut bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size");
        let size = usize::from_str_radix(
            std::str::from_utf8(&bytes[..line_end]).expect("hex").trim(),
            16,
        )
        .expect("a chunk size");
        if size == 0 {
            return out;
        }
        let start = line_end + 2;
        out.extend_from_slice(&bytes[start..start + size]);
        bytes = &bytes[start + size + 2..];
    }
}

fn loopback(index: usize) -> IpAddr {
    // 25 enrolments per address, under the limit of 30 a minute.
    IpAddr::V4(Ipv4Addr::new(
        127,
        0,
        1,
        2 + u8::try_from(index / 25).expect("few"),
    ))
}

struct Enrolled {
    credential: String,
    writer: Writer,
    association: AssociationId,
}

async fn enrol_all(addr: SocketAddr, count: usize) -> Vec<Enrolled> {
    let local = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let credentials =
        serde_json::json!({ "email": "hostile@example.org", "password": PASSWORD }).to_string();
    let (status, head, body) = http(
        local,
        addr,
        "POST",
        "/api/session",
        &[("content-type", "application/json")],
        credentials.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "sign-in: {}", String::from_utf8_lossy(&body));
    let cookie = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then_some(value.trim())
        })
        .and_then(|value| value.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let session: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let csrf = session["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_owned();
    let enrolment = serde_json::json!({
        "association": "hostile-bench",
        "forms": ["diaspora_registration"],
        "uses": count,
        "expires_in_hours": 1,
        "label": "hostile bench"
    })
    .to_string();
    let (status, _, body) = http(
        local,
        addr,
        "POST",
        "/api/enrolments",
        &[
            ("content-type", "application/json"),
            ("cookie", &cookie),
            ("x-csrf-token", &csrf),
        ],
        enrolment.as_bytes(),
    )
    .await;
    assert!(
        status < 300,
        "enrolment: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let json: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let code = json["link"]
        .as_str()
        .and_then(|link| link.rsplit('#').next())
        .expect("a link")
        .to_owned();
    let mut enrolled = Vec::with_capacity(count);
    for index in 0..count {
        let body =
            serde_json::json!({ "code": code, "label": format!("device {index}") }).to_string();
        let (status, _, body) = http(
            loopback(index),
            addr,
            "POST",
            "/api/devices/enrol",
            &[("content-type", "application/json")],
            body.as_bytes(),
        )
        .await;
        assert!(
            status < 300,
            "enrol: {status} {}",
            String::from_utf8_lossy(&body)
        );
        let device: letsema_protocol::Enrolled = serde_json::from_slice(&body).expect("enrolled");
        let writer = Writer::new(
            DeviceId::parse(&device.device.id).expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("16 bytes"),
            None,
        );
        enrolled.push(Enrolled {
            credential: device.credential,
            writer,
            association: AssociationId::parse(&device.device.association).expect("an association"),
        });
    }
    enrolled
}

async fn post_sync(
    addr: SocketAddr,
    from: IpAddr,
    credential: &str,
    frame: &[u8],
) -> (u16, Vec<u8>) {
    let bearer = format!("Bearer {credential}");
    let (status, _, body) = http(
        from,
        addr,
        "POST",
        "/api/sync",
        &[
            ("authorization", &bearer),
            ("content-type", letsema_protocol::sync::MEDIA_TYPE),
        ],
        frame,
    )
    .await;
    (status, body)
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

fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a field")
}

fn cpu_ms(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc");
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    ticks * 10
}

async fn run(addr: SocketAddr, pid: u32) {
    let devices = enrol_all(addr, ATTACKERS + 2).await;
    let (honest, devices) = devices.split_first().expect("devices");
    let (victim, attackers) = devices.split_first().expect("devices");
    println!(
        "{} attackers and 2 honest phones enrolled; server resident memory {} MB",
        attackers.len(),
        proc_status(pid, "VmRSS:") / 1024
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
    for (index, attacker) in attackers.iter().enumerate() {
        let actor = attacker.writer.actor_id().to_bytes().to_vec();
        let credential = attacker.credential.clone();
        attacks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for round in 0..ROUNDS {
                let frame = hostile_frame(&actor, round);
                let (status, _) = post_sync(addr, loopback(index), &credential, &frame).await;
                statuses.push(status);
            }
            statuses
        }));
    }
    let honest_credential = honest.credential.clone();
    let honest_sync = tokio::spawn(async move {
        let started = Instant::now();
        phone.start_sync();
        let mut requests = 0;
        while let Some(frame) = phone.next_request().expect("store") {
            let (status, body) = post_sync(
                addr,
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                &honest_credential,
                &frame,
            )
            .await;
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
        proc_status(pid, "VmHWM:") / 1024,
        proc_status(pid, "VmRSS:") / 1024
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
            let (status, body) = post_sync(
                addr,
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                &victim.credential,
                &frame,
            )
            .await;
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
        let (status, _) = post_sync(addr, loopback(1 + index), &sender.credential, &frame).await;
        let elapsed = started.elapsed();
        let cpu = cpu_ms(pid) - before;
        let (again, _) = post_sync(addr, loopback(1 + index), &sender.credential, &frame).await;
        println!(
            "{what}: {} KB frame, answered {status} in {:.0} ms, server CPU {cpu} ms; the same again at once: {again}",
            frame.len() / 1024,
            elapsed.as_secs_f64() * 1000.0,
        );
    }
}
