//! Connection limits of the real `letsema serve`: one address holding idle connections gets
//! no more than its share (the next ones are closed at once) while `/api/health` keeps
//! answering other addresses, and gets its place back when it lets go; at the total limit
//! the open connections are still served and new ones wait for a place; the open-files soft
//! limit is raised to the hard limit at start. Loopback gives the tests several addresses:
//! 127.0.0.1, 127.0.0.2, ... are all this machine on Linux.

use std::io::{BufRead, BufReader};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The address that holds connections, and one that only wants its health check.
const ATTACKER: &str = "127.0.0.1";
const BYSTANDER: &str = "127.0.0.2";

/// How soon a connection over the per-address limit must be closed, on a busy machine.
const PROMPTLY: Duration = Duration::from_secs(2);

/// A running `letsema serve`; killed when dropped, so a failing test leaves no server behind.
struct Running {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts `letsema serve` on a free port of 127.0.0.1 with `args`, through `sh` when
    /// `shell_prefix` is given (such as `ulimit -Sn 512`).
    fn start(dir: &Path, args: &[&str], shell_prefix: Option<&str>) -> Running {
        let log = dir.join("server.log");
        let binary = env!("CARGO_BIN_EXE_letsema");
        let mut command = match shell_prefix {
            Some(prefix) => {
                let mut command = Command::new("sh");
                command
                    .arg("-c")
                    .arg(format!("{prefix} && exec \"$0\" \"$@\""))
                    .arg(binary);
                command
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--web-dir")
            .arg(dir.join("no-web-app-here"))
            .args(args)
            .env("RUST_LOG", "info,letsema_server=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("letsema starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the address line");
        let Some(rest) = line.strip_prefix("Letsema is serving http://") else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("expected an http:// address, got {line:?}; log:\n{log}");
        };
        let addr = rest
            .split_whitespace()
            .next()
            .expect("an address")
            .trim_end_matches('/')
            .parse()
            .expect("IP:PORT");
        Running { child, addr, log }
    }

    /// The server's log so far, without its colours.
    fn log(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut plain = String::with_capacity(log.len());
        let mut chars = log.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                // An escape sequence, such as ESC [ 3 m, ends with its first letter.
                chars.by_ref().find(char::is_ascii_alphabetic);
            } else {
                plain.push(c);
            }
        }
        plain
    }
}

/// A TCP connection to `server` from the loopback address `from`.
async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let from: IpAddr = from.parse().expect("an address");
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("bind to a loopback address");
    socket.connect(server).await.expect("TCP connect")
}

/// `count` idle connections from `from`.
async fn hold(from: &str, server: SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        held.push(connect_from(from, server).await);
    }
    held
}

/// Whether the server closes `stream` (end of stream or a reset) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    matches!(
        tokio::time::timeout(within, stream.read(&mut buf)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// `GET /api/health` on a new connection from `from`, `Connection: close`: how long the
/// answer took and what it was (empty when the connection was closed without one, or
/// nothing came within `within`).
async fn health_from(from: &str, server: SocketAddr, within: Duration) -> (Duration, String) {
    let started = Instant::now();
    let mut stream = connect_from(from, server).await;
    let request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request).await.is_err() {
        return (started.elapsed(), String::new());
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut answer)).await;
    (
        started.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[tokio::test]
async fn one_address_gets_its_share_and_health_answers_the_others() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Running::start(
        dir.path(),
        &[
            "--max-connections-per-address",
            "8",
            "--max-connections",
            "64",
        ],
        None,
    );
    let log = server.log();
    assert!(
        log.contains("connection limits")
            && log.contains("max_connections=64")
            && log.contains("max_connections_per_address=8"),
        "the limits are logged at start:\n{log}"
    );

    // The attacker's first eight connections are accepted (in the order they were made)...
    let mut held = hold(ATTACKER, server.addr, 8).await;
    // ...and the next ones closed at once, without a byte of HTTP.
    let mut beyond = hold(ATTACKER, server.addr, 8).await;
    let started = Instant::now();
    for (n, stream) in beyond.iter_mut().enumerate() {
        assert!(
            closed_within(stream, PROMPTLY).await,
            "connection {} over the limit is still open after {:?}",
            n + 9,
            started.elapsed()
        );
    }
    let refused_after = started.elapsed();
    for (n, stream) in held.iter_mut().enumerate() {
        assert!(
            !closed_within(stream, Duration::from_millis(200)).await,
            "connection {} within the limit was closed",
            n + 1
        );
    }
    let (_, answer) = health_from(ATTACKER, server.addr, PROMPTLY).await;
    assert!(
        !answer.starts_with("HTTP/"),
        "the attacker's address gets no answer on a ninth connection: {answer}"
    );

    // Another address is served at once while the attacker holds its connections.
    let (took, answer) = health_from(BYSTANDER, server.addr, PROMPTLY).await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(took < Duration::from_secs(1), "answered in {took:?}");
    assert!(
        !answer
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "plain HTTP sends no HSTS: {answer}"
    );
    eprintln!(
        "over-limit connections closed within {refused_after:?}; health from another address \
         answered in {took:?} while 8 were held"
    );

    // Once the attacker lets go, its address is served again.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, answer) = health_from(ATTACKER, server.addr, PROMPTLY).await;
        if answer.starts_with("HTTP/1.1 200 OK") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the attacker's address is still refused after its connections closed: {answer:?}\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !server.log().contains("127.0.0.1:"),
        "client addresses are not logged:\n{}",
        server.log()
    );
}

#[tokio::test]
async fn at_the_total_limit_open_connections_are_served_and_new_ones_wait() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Running::start(
        dir.path(),
        &[
            "--max-connections-per-address",
            "8",
            "--max-connections",
            "16",
        ],
        None,
    );
    // One of the sixteen places is a client that sends requests.
    let stream = connect_from("127.0.0.2", server.addr).await;
    let (mut client, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1 handshake");
    tokio::spawn(connection);
    let first = hold("127.0.0.2", server.addr, 7).await;
    let second = hold("127.0.0.3", server.addr, 8).await;

    // Every place is taken: a new client waits in the queue, unanswered...
    let waiting = tokio::spawn(health_from(
        "127.0.0.4",
        server.addr,
        Duration::from_secs(20),
    ));
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !waiting.is_finished(),
        "a seventeenth connection was answered or closed"
    );

    // ...while the open connections are served.
    let health = || {
        hyper::Request::get("/api/health")
            .header("host", "127.0.0.1")
            .body(Empty::<Bytes>::new())
            .expect("a request")
    };
    let started = Instant::now();
    let response = client.send_request(health()).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body().collect().await.expect("the body");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "answered in {took:?}");
    assert!(!waiting.is_finished(), "the new client still waits");

    // A place comes free: the waiting client is served.
    drop(second);
    let (_, answer) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a place came free")
        .expect("the client's task");
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    let log = server.log();
    assert!(
        log.contains("every connection place is taken"),
        "the server says it is full:\n{log}"
    );
    drop(first);
}

/// The soft and hard limits on open files of process `pid`, from `/proc`.
#[cfg(target_os = "linux")]
fn open_files_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut words = line["Max open files".len()..].split_whitespace();
    let soft = words.next().expect("soft").to_owned();
    let hard = words.next().expect("hard").to_owned();
    (soft, hard)
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_open_files_soft_limit_is_raised_to_the_hard_limit() {
    let (_, hard) = open_files_limits(std::process::id());
    let hard_number: u64 = hard.parse().expect("a finite hard limit");
    assert!(
        hard_number > 256,
        "this test needs a hard limit above 256, not {hard}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // Started with a low soft limit, as many systems set it.
    let server = Running::start(dir.path(), &[], Some("ulimit -Sn 256"));
    let (soft, hard_seen) = open_files_limits(server.child.id());
    assert_eq!(hard_seen, hard, "the hard limit is untouched");
    assert_eq!(soft, hard, "the soft limit is raised to the hard limit");

    let log = server.log();
    let expected = letsema_server::config::default_max_connections(hard_number);
    assert!(
        log.contains(&format!("open_files={hard}"))
            && log.contains(&format!("max_connections={expected}"))
            && log.contains("max_connections_per_address=64"),
        "the raised limit and the default caps are logged:\n{log}"
    );
}
