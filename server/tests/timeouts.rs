//! Slow and silent clients: a server started in this process with one-second timeouts closes
//! the connection of a client that sends nothing, a piece of the HTTP/2 preface, half a
//! request head, an HTTP/2 client that never answers a ping, and one that never finishes a
//! TLS handshake; a prompt client is served as usual.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use letsema_server::config::{ConnectionLimits, TlsFiles};
use letsema_server::{ConnectionTimeouts, ListenAddr, ServeConfig, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Every timeout of the servers under test.
const TIMEOUT: Duration = Duration::from_secs(1);

/// How much later than its timeout a connection may close on a busy machine.
const LATE: Duration = Duration::from_secs(4);

/// A server running in this process; stopped when dropped.
struct Running {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

async fn start(dir: &Path, tls: Option<TlsFiles>) -> Running {
    let config = ServeConfig {
        listen: "127.0.0.1:0".parse::<ListenAddr>().expect("an address"),
        database: letsema_server::store::Database::Embedded(dir.join("data")),
        web_dir: dir.join("no-web-app-here"),
        demo: false,
        public_url: None,
        metrics_token: None,
        tls,
        timeouts: ConnectionTimeouts {
            tls_handshake: TIMEOUT,
            header_read: TIMEOUT,
            http2_keep_alive_interval: TIMEOUT,
            http2_keep_alive_timeout: TIMEOUT,
        },
        limits: ConnectionLimits::default(),
        trusted_proxies: Vec::new(),
        sync_queue: None,
    };
    let server = Server::bind(config).await.expect("the server starts");
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Running { addr, _stop: stop }
}

/// Connects, sends `first`, then reads (answering nothing) until the server closes the
/// connection; returns how long that took after `first` was sent, and what was read.
async fn held_open(addr: SocketAddr, first: &[u8]) -> (Duration, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("TCP connect");
    stream.write_all(first).await.expect("sent");
    let sent = Instant::now();
    let mut read = Vec::new();
    let closed = tokio::time::timeout(TIMEOUT * 3 + LATE, async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection after {:?} is still open after {:?}",
        String::from_utf8_lossy(first),
        sent.elapsed()
    );
    (sent.elapsed(), read)
}

/// The HTTP/2 preface and an empty SETTINGS frame: a client that then goes quiet.
fn http2_preface_and_settings() -> Vec<u8> {
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    bytes
}

#[tokio::test]
async fn slow_and_silent_clients_are_disconnected_and_prompt_ones_served() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = start(dir.path(), None).await;

    let silent = held_open(server.addr, b"");
    let preface_piece = held_open(server.addr, b"PRI * HTTP/2.0\r\n");
    let half_head = held_open(
        server.addr,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
    );
    let http2_quiet_preface = http2_preface_and_settings();
    let http2_quiet = held_open(server.addr, &http2_quiet_preface);
    // A prompt client, while the others wait, on a connection of its own.
    let prompt = held_open(
        server.addr,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    let (silent, preface_piece, half_head, http2_quiet, prompt) =
        tokio::join!(silent, preface_piece, half_head, http2_quiet, prompt);

    let answer = String::from_utf8_lossy(&prompt.1);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        !answer
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "plain HTTP sends no HSTS: {answer}"
    );
    assert!(prompt.0 < TIMEOUT, "answered at once: {:?}", prompt.0);

    for (what, (after, read)) in [
        ("sending nothing", &silent),
        ("sending a piece of the HTTP/2 preface", &preface_piece),
        ("sending half a request head", &half_head),
    ] {
        assert!(
            (TIMEOUT..TIMEOUT + LATE).contains(after),
            "a client {what} is disconnected after the timeout, not after {after:?}"
        );
        let read = String::from_utf8_lossy(read);
        assert!(
            !read.contains(" 200 "),
            "a client {what} is not answered: {read}"
        );
    }
    // The server pings after a quiet second and waits a second for the answer.
    let (after, _) = http2_quiet;
    assert!(
        (TIMEOUT * 2..TIMEOUT * 2 + LATE).contains(&after),
        "an HTTP/2 client that never answers a ping is disconnected after {after:?}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_the_tls_handshake_is_disconnected() {
    let dir = tempfile::tempdir().expect("temp dir");
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("a self-signed certificate");
    let files = TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    std::fs::write(&files.cert, made.cert.pem()).expect("certificate written");
    std::fs::write(&files.key, made.signing_key.serialize_pem()).expect("key written");
    let server = start(dir.path(), Some(files)).await;

    // The first bytes of a TLS record, and then nothing.
    let (after, read) = held_open(server.addr, &[0x16, 0x03, 0x01]).await;
    assert!(
        (TIMEOUT..TIMEOUT + LATE).contains(&after),
        "disconnected after the handshake timeout, not after {after:?}"
    );
    assert!(read.is_empty(), "no answer: {read:?}");
}
