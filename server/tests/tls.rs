//! HTTPS: the real `letsema serve --tls-cert --tls-key` with a self-signed certificate made
//! here, spoken to by a client that trusts only that certificate, over HTTP/2 and HTTP/1.1
//! as ALPN chooses. Plain HTTP or garbage on the HTTPS port costs only that connection;
//! sign-in sets a `Secure` cookie and enrolment links start with `https://`; the limit per
//! address sees the client's address; every response carries HSTS; SIGTERM lets a request
//! in flight finish and stops the server even with idle connections open.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::PASSWORD;
use common::process::{add_admin, letsema, letsema_with_input};
use http_body_util::{BodyExt, Full};
use hyper::http::response::Parts;
use hyper::{Request, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto::ring};

/// A running `letsema serve` over HTTPS; killed when dropped, so a failing test leaves no
/// server behind.
struct TlsServer {
    child: Child,
    addr: SocketAddr,
    /// The certificate the server presents: the client's only trust anchor.
    certificate: CertificateDer<'static>,
    /// The server's standard error (its log, at debug level for this crate).
    log: PathBuf,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsServer {
    /// Makes a certificate for 127.0.0.1 and localhost, writes it and its key under `dir`,
    /// and starts the server on a free port (with the reference form when `demo`).
    fn start(dir: &Path, demo: bool) -> TlsServer {
        let made = rcgen::generate_simple_self_signed(vec![
            "127.0.0.1".to_owned(),
            "localhost".to_owned(),
        ])
        .expect("a self-signed certificate");
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, made.cert.pem()).expect("certificate written");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("key written");
        let log = dir.join("server.log");
        let mut command = letsema();
        command.arg("serve");
        if demo {
            command.arg("--demo");
        }
        let mut child = command
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--web-dir")
            .arg(dir.join("no-web-app-here"))
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
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
        let Some(rest) = line.strip_prefix("Letsema is serving https://") else {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("expected an https:// address, got {line:?}; log:\n{log}");
        };
        let addr = rest
            .split_whitespace()
            .next()
            .expect("an address")
            .trim_end_matches('/')
            .parse()
            .expect("IP:PORT");
        TlsServer {
            child,
            addr,
            certificate: made.cert.der().clone(),
            log,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// A TLS connection to the server offering `alpn`, trusting only its certificate.
    async fn connect(&self, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.certificate.clone())
            .expect("the certificate is a usable trust anchor");
        let mut config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let tcp = TcpStream::connect(self.addr).await.expect("TCP connect");
        let name = ServerName::from(self.addr.ip());
        TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .expect("TLS handshake")
    }

    /// Sends one request on a new connection, speaking whatever protocol ALPN chose.
    async fn send(&self, alpn: &[&[u8]], request: Request<Full<Bytes>>) -> (Parts, Bytes) {
        let mut client = Client::connect(self.connect(alpn).await).await;
        client.send(request).await
    }

    /// The server's log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// One HTTPS connection, HTTP/2 when the server agreed to it, else HTTP/1.1.
enum Client {
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
}

impl Client {
    async fn connect(stream: TlsStream<TcpStream>) -> Client {
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
        let io = TokioIo::new(stream);
        if h2 {
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                    .await
                    .expect("HTTP/2 handshake");
            tokio::spawn(connection);
            Client::H2(sender)
        } else {
            let (sender, connection) = hyper::client::conn::http1::handshake(io)
                .await
                .expect("HTTP/1.1 handshake");
            tokio::spawn(connection);
            Client::H1(sender)
        }
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> (Parts, Bytes) {
        let response = match self {
            Client::H2(sender) => sender.send_request(request).await,
            Client::H1(sender) => sender.send_request(request).await,
        }
        .expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body").to_bytes();
        (parts, body)
    }
}

/// `GET url` (absolute, as HTTP/2 needs; with a Host header for HTTP/1.1).
fn get(server: &TlsServer, path: &str) -> Request<Full<Bytes>> {
    Request::get(server.url(path))
        .header("host", server.addr.to_string())
        .body(Full::default())
        .expect("a request")
}

/// `POST url` with a JSON body and extra headers.
fn post_json(
    server: &TlsServer,
    path: &str,
    body: &serde_json::Value,
    headers: &[(&str, &str)],
) -> Request<Full<Bytes>> {
    let mut request = Request::post(server.url(path))
        .header("host", server.addr.to_string())
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a request")
}

/// Every HTTPS response tells browsers to keep to HTTPS for a year, for this host only.
#[track_caller]
fn assert_hsts(parts: &Parts) {
    assert_eq!(
        parts
            .headers
            .get("strict-transport-security")
            .map(|v| v.as_bytes()),
        Some(b"max-age=31536000".as_slice()),
        "{:?}",
        parts.headers
    );
}

fn assert_health(parts: &Parts, body: &[u8]) {
    assert_eq!(parts.status, StatusCode::OK);
    let health: serde_json::Value = serde_json::from_slice(body).expect("JSON");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"), "{health}");
    assert_eq!(health["database"]["state"], "ok", "{health}");
}

const H2_AND_H1: &[&[u8]] = &[b"h2", b"http/1.1"];
const H1_ONLY: &[&[u8]] = &[b"http/1.1"];

/// Writes `bytes` on a plain TCP connection to `addr` and returns all it gets back until
/// the server closes it (which it must, within 10 seconds).
async fn plain_exchange(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(addr).await.expect("TCP connect");
    tcp.write_all(bytes).await.expect("written");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    // A reset is as good as a close here; what matters is that no HTTP came back.
    drop(read);
    answer
}

#[tokio::test]
async fn health_answers_over_https_with_http2_and_http1_and_survives_plain_http() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TlsServer::start(dir.path(), false);

    // ALPN: a client offering h2 gets HTTP/2, one offering only http/1.1 gets HTTP/1.1.
    let stream = server.connect(H2_AND_H1).await;
    assert_eq!(
        stream.get_ref().1.alpn_protocol(),
        Some(b"h2".as_slice()),
        "the server prefers h2"
    );
    let mut h2 = Client::connect(stream).await;
    let (parts, body) = h2.send(get(&server, "/api/health")).await;
    assert_eq!(parts.version, Version::HTTP_2);
    assert_health(&parts, &body);
    assert!(
        parts.headers.contains_key("content-security-policy"),
        "the security headers are there: {:?}",
        parts.headers
    );
    assert_hsts(&parts);
    let (parts, body) = server.send(H1_ONLY, get(&server, "/api/health")).await;
    assert_eq!(parts.version, Version::HTTP_11);
    assert_health(&parts, &body);
    assert_hsts(&parts);
    // Errors too.
    let (parts, _) = h2.send(get(&server, "/api/no-such-route")).await;
    assert_eq!(parts.status, StatusCode::NOT_FOUND);
    assert_hsts(&parts);

    // Plain HTTP on the HTTPS port: refused at the handshake, no HTTP answer.
    let answer = plain_exchange(
        server.addr,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    )
    .await;
    assert!(
        !answer.starts_with(b"HTTP/"),
        "no plain HTTP answer on the TLS port: {:?}",
        String::from_utf8_lossy(&answer)
    );
    // Garbage, and a TLS record header announcing more than it sends.
    let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    plain_exchange(server.addr, &garbage).await;
    plain_exchange(server.addr, &[0x16, 0x03, 0x01, 0xff, 0xff, 0x01]).await;

    // The server is still there, and the connection opened before still works.
    let (parts, body) = server.send(H2_AND_H1, get(&server, "/api/health")).await;
    assert_health(&parts, &body);
    let (parts, body) = h2.send(get(&server, "/api/health")).await;
    assert_health(&parts, &body);

    // Failed handshakes are logged at debug level, not as errors.
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log = server.log();
        if log.contains("TLS handshake failed") || Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("TLS handshake failed"))
        .collect();
    assert!(
        !failures.is_empty(),
        "the failed handshakes are logged:\n{log}"
    );
    assert!(
        failures.iter().all(|l| l.contains("DEBUG")),
        "at debug level:\n{log}"
    );
    assert!(!log.contains("ERROR"), "nothing logged as an error:\n{log}");
}

#[tokio::test]
async fn sign_in_over_https_sets_a_secure_cookie_and_enrolment_links_are_https() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_admin(&dir.path().join("data"), "admin@example.org", PASSWORD);
    let server = TlsServer::start(dir.path(), true);

    let credentials = serde_json::json!({ "email": "admin@example.org", "password": PASSWORD });
    let (parts, body) = server
        .send(
            H2_AND_H1,
            post_json(&server, "/api/session", &credentials, &[]),
        )
        .await;
    assert_eq!(
        parts.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let set_cookie = parts
        .headers
        .get("set-cookie")
        .expect("a session cookie")
        .to_str()
        .expect("ASCII");
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();
    let session: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    let csrf = session["csrf_token"].as_str().expect("a CSRF token");

    // The default public address follows the scheme: enrolment links are https://.
    let enrolment = serde_json::json!({
        "association": "assoc-a",
        "forms": ["diaspora_registration"],
    });
    let (parts, body) = server
        .send(
            H1_ONLY,
            post_json(
                &server,
                "/api/enrolments",
                &enrolment,
                &[("cookie", &cookie), ("x-csrf-token", csrf)],
            ),
        )
        .await;
    let created: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert!(parts.status.is_success(), "{}: {created}", parts.status);
    let link = created["link"].as_str().expect("a link");
    assert!(
        link.starts_with(&format!("https://{}/enrol#", server.addr)),
        "{link}"
    );
}

#[tokio::test]
async fn the_per_address_limit_sees_the_address_of_the_client() {
    // The accept loop, not warp, records the client's address: without it the limit on
    // enrolment and sign-in attempts per address would never apply.
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TlsServer::start(dir.path(), false);
    let mut client = Client::connect(server.connect(H2_AND_H1).await).await;
    let attempt = serde_json::json!({ "code": "not-an-enrolment-code" });
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..40 {
        let (parts, _) = client
            .send(post_json(&server, "/api/devices/enrol", &attempt, &[]))
            .await;
        statuses.push(parts.status);
        if parts.status == StatusCode::TOO_MANY_REQUESTS {
            retry_after = parts.headers.get("retry-after").cloned();
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert!(
        statuses.len() > 10,
        "the burst is allowed first: {statuses:?}"
    );
    assert!(retry_after.is_some(), "429 says when to retry");
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_and_closes_idle_connections() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = TlsServer::start(dir.path(), false);
    // Two kept-alive connections, idle after one request each.
    let mut h2 = Client::connect(server.connect(H2_AND_H1).await).await;
    let (parts, _) = h2.send(get(&server, "/api/health")).await;
    assert_eq!(parts.status, StatusCode::OK);
    let mut h1 = Client::connect(server.connect(H1_ONLY).await).await;
    let (parts, _) = h1.send(get(&server, "/api/health")).await;
    assert_eq!(parts.status, StatusCode::OK);

    // A slow request: failed sign-ins for one address pause 0.1 s, 0.2 s, 0.4 s, ...; after
    // four, the fifth takes 1.6 s, and is still running when SIGTERM arrives.
    let wrong = serde_json::json!({ "email": "nobody@example.org", "password": "wrong password" });
    for _ in 0..4 {
        let (parts, _) = h1
            .send(post_json(&server, "/api/session", &wrong, &[]))
            .await;
        assert_eq!(parts.status, StatusCode::UNAUTHORIZED);
    }
    let slow_request = post_json(&server, "/api/session", &wrong, &[]);
    let mut slow = Client::connect(server.connect(H2_AND_H1).await).await;
    let in_flight = tokio::spawn(async move { slow.send(slow_request).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!in_flight.is_finished(), "the request is still in flight");

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 10 s:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "clean exit on SIGTERM, got {exit}");
    let (parts, _) = in_flight.await.expect("the request task");
    assert_eq!(
        parts.status,
        StatusCode::UNAUTHORIZED,
        "the request in flight was answered before the server stopped"
    );
    drop((h1, h2));
}

/// Runs `letsema ARGS` with the admin's password on standard input.
fn run_with_password(args: &[&str]) -> std::process::Output {
    letsema_with_input(args, &format!("{PASSWORD}\n"))
}

#[tokio::test]
async fn load_and_review_speak_https_trusting_the_certificate_they_are_given() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_admin(&dir.path().join("data"), "admin@example.org", PASSWORD);
    let server = TlsServer::start(dir.path(), true);
    let url = server.url("");
    let cert = dir.path().join("cert.pem");
    let cert = cert.to_str().expect("a UTF-8 path");

    // Without the certificate, the self-signed server is not trusted.
    let refused = run_with_password(&["review", "--url", &url, "--email", "admin@example.org"]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("cannot reach"), "{stderr}");
    assert!(stderr.contains("--ca-cert"), "it says what to do: {stderr}");

    let load = run_with_password(&[
        "load",
        "--url",
        &url,
        "--submissions",
        "20",
        "--devices",
        "2",
        "--admin",
        "admin@example.org",
        "--ca-cert",
        cert,
    ]);
    let stdout = String::from_utf8_lossy(&load.stdout);
    assert!(
        load.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&load.stderr)
    );
    assert!(stdout.contains("20 documents acknowledged"), "{stdout}");

    let review = run_with_password(&[
        "review",
        "--url",
        &url,
        "--email",
        "admin@example.org",
        "--ca-cert",
        cert,
    ]);
    let stdout = String::from_utf8_lossy(&review.stdout);
    assert!(
        review.status.success(),
        "{}",
        String::from_utf8_lossy(&review.stderr)
    );
    assert!(
        stdout.starts_with("20 submission(s) you may review"),
        "{stdout}"
    );

    let garbage = dir.path().join("not-a-certificate.pem");
    std::fs::write(&garbage, "hello").expect("written");
    let bad = run_with_password(&[
        "review",
        "--url",
        &url,
        "--email",
        "admin@example.org",
        "--ca-cert",
        garbage.to_str().expect("a UTF-8 path"),
    ]);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("holds no certificate"), "{stderr}");
}
