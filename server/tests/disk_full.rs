//! A full disk: the real server on a small file system of its own (a tmpfs in a private
//! mount namespace, made with `unshare`: root, or unprivileged user namespaces, needed).
//! While the disk is full, pushes are refused with an error that says so and nothing is
//! acknowledged that was not stored; when space returns, the phone's next sync stores
//! everything, and nothing acknowledged before was lost.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_sync::client::{Client, ClientConfig, Progress};
use letsema_sync::client_store::MemoryClientStore;

const PASSWORD: &str = "a long enough password";

/// The server, started on a tmpfs of `size` mounted at `mount` in a mount namespace of its
/// own (so the mount goes away with it); and its address.
struct Server {
    child: Child,
    url: String,
    mount: PathBuf,
}

impl Server {
    fn start(mount: &Path, size: &str) -> Server {
        let script = r#"
            set -e
            mount -t tmpfs -o "size=$3" letsema-test "$1"
            printf '%s\n' "$4" | "$2" user add admin@example.org --role admin --data-dir "$1/data" >/dev/null
            exec "$2" serve --demo --listen 127.0.0.1:0 --data-dir "$1/data" --web-dir "$1/web"
        "#;
        let mut unshare = Command::new("unshare");
        if !is_root() {
            unshare.args(["--user", "--map-root-user"]);
        }
        let mut child = unshare
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
            ])
            .arg(mount)
            .arg(env!("CARGO_BIN_EXE_letsema"))
            .arg(size)
            .arg(PASSWORD)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare (util-linux) runs");
        let url = common::process::served_address(&mut child).unwrap_or_else(|line| {
            let mut err = String::new();
            let _ =
                std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err);
            panic!(
                "the server did not start on its own tmpfs ({line}{err}): this test needs root or \
                 unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
            );
        });
        Server {
            url,
            mount: mount.to_owned(),
            child,
        }
    }

    /// A path on the server's own file system, seen through its mount namespace.
    fn on_its_disk(&self, name: &str) -> PathBuf {
        PathBuf::from(format!("/proc/{}/root", self.child.id()))
            .join(self.mount.strip_prefix("/").expect("an absolute path"))
            .join(name)
    }

    /// Fills the server's disk with a file, to the last byte.
    fn fill_disk(&self) {
        let mut filler = std::fs::File::create(self.on_its_disk("filler")).expect("the filler");
        let block = vec![0x5a; 64 * 1024];
        loop {
            if filler.write_all(&block).is_err() {
                break;
            }
        }
        let mut byte = [0x5a];
        while filler.write_all(&byte).is_ok() {
            byte[0] ^= 1;
        }
        let _ = filler.sync_all();
    }

    fn free_disk(&self) {
        std::fs::remove_file(self.on_its_disk("filler")).expect("the filler goes");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .map(|uids| uids.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

struct Phone {
    credential: String,
    writer: Writer,
    association: AssociationId,
    client: Client<MemoryClientStore>,
}

async fn enrol(http: &reqwest::Client, url: &str) -> Phone {
    let enrolled =
        common::process::enrol_phones(http, url, ("admin@example.org", PASSWORD), "disk", 1)
            .await
            .pop()
            .expect("a phone");
    let writer = Writer::new(
        DeviceId::parse(&enrolled.device.id).expect("a device id"),
        SessionId::from_bytes(&[4; 16]).expect("16 bytes"),
        None,
    );
    Phone {
        credential: enrolled.credential,
        client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
        association: AssociationId::parse(&enrolled.device.association).expect("association"),
        writer,
    }
}

/// Captures `count` registrations on the phone.
fn capture(phone: &mut Phone, generator: &mut letsema_workload::Generator, count: usize) {
    let docs = generator
        .submissions_in(
            count,
            &phone.writer,
            Some(&phone.association),
            Timestamp(1_750_000_000_000),
        )
        .expect("submissions");
    for mut doc in docs {
        phone.client.save_document(&mut doc).expect("saved");
    }
}

/// One whole sync; returns every request's progress, and the refusals' HTTP statuses and
/// bodies (a request the server could not answer with a sync frame).
async fn sync(
    http: &reqwest::Client,
    url: &str,
    phone: &mut Phone,
) -> (Vec<Progress>, Vec<String>) {
    phone.client.start_sync();
    let mut progress = Vec::new();
    let mut refused = Vec::new();
    while let Some(frame) = phone.client.next_request().expect("the phone's store") {
        let response = http
            .post(format!("{url}/api/sync"))
            .header("authorization", format!("Bearer {}", phone.credential))
            .header("content-type", "application/x-letsema-sync")
            .body(frame)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let body = response.bytes().await.expect("a body");
        if !status.is_success() {
            refused.push(format!("{status} {}", String::from_utf8_lossy(&body)));
            break;
        }
        progress.push(
            phone
                .client
                .handle_response(&body)
                .expect("a sync response"),
        );
    }
    (progress, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_pushes_plainly_and_service_resumes_when_space_returns() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let server = Server::start(dir.path(), "16m");
    let http = letsema_server::commands::remote::http_client(None).expect("a client");
    let mut phone = enrol(&http, &server.url).await;
    let mut generator = letsema_workload::Generator::new(21);

    capture(&mut phone, &mut generator, 40);
    let (_, refused) = sync(&http, &server.url, &mut phone).await;
    assert!(refused.is_empty(), "{refused:?}");
    assert!(phone.client.unsynced().expect("store").is_empty());

    server.fill_disk();
    capture(&mut phone, &mut generator, 40);
    let (progress, refused) = sync(&http, &server.url, &mut phone).await;
    let acknowledged: usize = progress.iter().map(|p| p.acknowledged.len()).sum();
    assert_eq!(
        acknowledged, 0,
        "nothing was stored, so nothing is acknowledged"
    );
    assert_eq!(phone.client.unsynced().expect("store").len(), 40);
    let said: Vec<String> = progress
        .iter()
        .flat_map(|p| p.rejected.iter().map(|r| r.message.clone()))
        .chain(refused)
        .collect();
    assert!(!said.is_empty(), "the phone was told why");
    assert!(
        said.iter().all(|message| message.contains("disk is full")),
        "the errors say the disk is full: {said:?}"
    );
    let health = http
        .get(format!("{}/api/health", server.url))
        .send()
        .await
        .expect("health answers while the disk is full");
    assert!(health.status().is_success() || health.status().as_u16() == 503);

    server.free_disk();
    let (_, refused) = sync(&http, &server.url, &mut phone).await;
    assert!(refused.is_empty(), "{refused:?}");
    assert!(
        phone.client.unsynced().expect("store").is_empty(),
        "once there is space again, everything is stored"
    );
    let session = letsema_server::commands::remote::sign_in(
        &http,
        &server.url,
        "admin@example.org",
        PASSWORD,
    )
    .await
    .expect("staff sign in");
    let staff = Writer::new(
        DeviceId::parse(&format!("staff-{}", session.user_id)).expect("a device"),
        SessionId::from_bytes(&[5; 16]).expect("16 bytes"),
        None,
    );
    let mut desk = Client::new(ClientConfig::new(staff), MemoryClientStore::new());
    letsema_server::commands::remote::sync_to_end(
        &http,
        &server.url,
        &letsema_server::commands::remote::SyncAs::Staff(session),
        &mut desk,
    )
    .await
    .expect("a staff sync");
    assert_eq!(
        desk.store().doc_ids().len(),
        80,
        "every registration is on the server"
    );
}
