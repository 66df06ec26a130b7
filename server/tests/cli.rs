//! The `letsema` command as a person meets it: bad settings are refused with one clear line
//! and a non-zero exit, and a running server stops cleanly when told to.

mod common;

use common::process::{add_admin, letsema_with_input, start_server};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn letsema() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_letsema"));
    command.env("RUST_LOG", "info");
    command
}

/// Runs `letsema serve ARGS` expecting it to refuse to start; returns its one error line.
#[track_caller]
fn refused(args: &[&str]) -> String {
    let output: Output = letsema()
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("letsema runs");
    assert!(!output.status.success(), "expected a failure for {args:?}");
    assert_eq!(output.status.code(), Some(1), "exit code for {args:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line expected, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    lines[0].to_owned()
}

#[test]
fn a_busy_port_is_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = taken.local_addr().expect("address").to_string();
    let line = refused(&[
        "--listen",
        &addr,
        "--data-dir",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    assert!(line.contains(&format!("cannot listen on {addr}")), "{line}");
    assert!(line.contains("--listen"), "{line}");
}

#[test]
fn a_bad_listen_value_is_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 path");
    for bad in ["nonsense", "8080", "127.0.0.1:70000", ""] {
        let line = refused(&["--listen", bad, "--data-dir", data]);
        assert!(line.contains("is not an address"), "{line}");
        assert!(line.contains("127.0.0.1:8080"), "{line}");
    }
}

#[test]
fn an_unwritable_data_dir_is_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A regular file where a folder should be: no user, not even root, can create a
    // directory under it.
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").expect("write");
    let data = file.join("data");
    let line = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8 path"),
    ]);
    assert!(line.contains("cannot create the data directory"), "{line}");
    assert!(line.contains("--data-dir"), "{line}");
}

#[test]
fn a_data_dir_that_is_a_file_is_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("data");
    std::fs::write(&file, b"x").expect("write");
    let line = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        file.to_str().expect("utf-8 path"),
    ]);
    assert!(line.contains("data directory"), "{line}");
}

/// A certificate for localhost and its key as PEM, and another certificate's key.
fn certificate_files(dir: &std::path::Path) -> (String, String, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("written");
        path.to_str().expect("utf-8 path").to_owned()
    };
    (
        write("cert.pem", &made.cert.pem()),
        write("key.pem", &made.signing_key.serialize_pem()),
        write("other-key.pem", &other.signing_key.serialize_pem()),
    )
}

#[test]
fn a_tls_flag_without_the_other_is_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key, _) = certificate_files(dir.path());
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let line = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--tls-cert",
        &cert,
    ]);
    assert!(line.contains("--tls-cert needs --tls-key"), "{line}");
    assert!(line.contains("or neither"), "{line}");
    let line = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--tls-key",
        &key,
    ]);
    assert!(line.contains("--tls-key needs --tls-cert"), "{line}");
    assert!(
        !dir.path().join("data").exists(),
        "refused before anything was created"
    );
}

#[test]
fn unusable_certificate_files_are_refused_with_one_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key, other_key) = certificate_files(dir.path());
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let serve = |cert: &str, key: &str| {
        refused(&[
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data,
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ])
    };

    // Not PEM: DER bytes, as some tools write certificates.
    let der = dir.path().join("cert.der");
    let pem = std::fs::read_to_string(&cert).expect("read");
    let der_bytes: Vec<u8> = {
        use tokio_rustls::rustls::pki_types::{CertificateDer, pem::PemObject};
        CertificateDer::from_pem_slice(pem.as_bytes())
            .expect("PEM")
            .to_vec()
    };
    std::fs::write(&der, der_bytes).expect("written");
    let line = serve(der.to_str().expect("utf-8 path"), &key);
    assert!(line.contains("holds no PEM certificate"), "{line}");
    assert!(line.contains("cert.der"), "{line}");

    let missing = dir.path().join("missing.pem");
    let line = serve(&cert, missing.to_str().expect("utf-8 path"));
    assert!(line.contains("cannot read --tls-key"), "{line}");
    assert!(line.contains("missing.pem"), "{line}");

    let line = serve(&cert, &cert);
    assert!(line.contains("holds no PEM private key"), "{line}");

    let line = serve(&cert, &other_key);
    assert!(
        line.contains("does not belong to the certificate"),
        "{line}"
    );

    assert!(
        !dir.path().join("data").exists(),
        "refused before the database was created"
    );
}

#[test]
fn serve_prints_its_address_creates_the_database_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let mut child = letsema()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--web-dir")
        .arg(dir.path().join("no-web-app-here"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("letsema starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("reads the address line");
    assert!(
        first_line.starts_with("Letsema is serving http://127.0.0.1:"),
        "{first_line}"
    );
    assert!(data.join("letsema.sqlite3").is_file(), "database created");

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "server did not stop within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "clean exit on SIGTERM, got {exit}");
}

#[test]
fn user_add_reads_the_password_from_stdin_and_refuses_weak_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let add = |email: &str, password: &str, extra: &[&str]| {
        let mut child = letsema()
            .args(["user", "add", email, "--data-dir"])
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("letsema runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("password written");
        child.wait_with_output().expect("letsema ends")
    };
    let ok = add(
        "admin@example.org",
        "a long enough password",
        &["--role", "admin"],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("created admin account"));

    let weak = add("other@example.org", "short", &["--role", "admin"]);
    assert_eq!(weak.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12 characters"));

    let coordinator = add(
        "c@example.org",
        "a long enough password",
        &["--role", "coordinator"],
    );
    assert_eq!(coordinator.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&coordinator.stderr).contains("--association"));

    let list = letsema()
        .args(["user", "list", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("letsema runs");
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("admin@example.org\tadmin"), "{listed}");
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused_and_backups_are_taken_while_it_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let (mut server, _) = start_server(&data, false);

    let line = refused(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8"),
    ]);
    assert!(line.contains("another letsema process"), "{line}");

    let backup_file = dir.path().join("backup.sqlite3");
    let backup = letsema()
        .arg("backup")
        .arg(&backup_file)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .expect("letsema runs");
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(backup_file.is_file());
    let again = letsema()
        .arg("backup")
        .arg(&backup_file)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .expect("letsema runs");
    assert_eq!(again.status.code(), Some(1), "never overwrites a backup");

    // A restore needs the server stopped.
    let restore = || {
        letsema()
            .arg("restore")
            .arg(&backup_file)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .expect("letsema runs")
    };
    let busy = restore();
    assert_eq!(busy.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&busy.stderr).contains("another letsema process"));

    // So does a migration to PostgreSQL (refused before any connection is tried); the URL
    // may come from the environment, and its password is never printed.
    let migrate = letsema()
        .args(["migrate", "--data-dir"])
        .arg(&data)
        .env(
            "LETSEMA_DATABASE_URL",
            "postgres://letsema:s3cret-word@127.0.0.1:1/letsema",
        )
        .output()
        .expect("letsema runs");
    assert_eq!(migrate.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&migrate.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains("stop the server first"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");

    server.kill().expect("server stopped");
    server.wait().expect("server reaped");
    let restored = restore();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let kept = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains("before-restore"));
    assert!(kept, "the replaced database is kept");
    let (mut server, _) = start_server(&data, false);
    server.kill().expect("server stopped");
    server.wait().expect("server reaped");
}

#[test]
fn letsema_load_runs_the_diaspora_workload_against_a_running_server() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let password = "a long enough password";
    add_admin(&data, "admin@example.org", password);
    let (mut server, url) = start_server(&data, true);

    let mut load = letsema()
        .args([
            "load",
            "--url",
            &url,
            "--submissions",
            "12",
            "--devices",
            "3",
        ])
        .args(["--admin", "admin@example.org"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("letsema load runs");
    load.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("written");
    let output = load.wait_with_output().expect("load ends");
    let _ = server.kill();
    let _ = server.wait();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let first = report
        .lines()
        .find(|l| l.starts_with("first sync"))
        .expect("a first sync line");
    assert!(first.contains("12 documents acknowledged"), "{report}");
    let noop = report
        .lines()
        .find(|l| l.starts_with("no-op sync"))
        .expect("a no-op line");
    assert!(
        noop.contains("     3 requests"),
        "one request per phone: {report}"
    );
    assert!(
        report.lines().any(|l| l.starts_with("edit 10% + sync")),
        "{report}"
    );
}

/// Runs `letsema review ARGS` with a password on standard input, expecting a refusal
/// before anything is sent; returns standard error.
#[track_caller]
fn review_refused(args: &[&str]) -> String {
    let mut all = vec![
        "review",
        "--url",
        "http://127.0.0.1:9",
        "--email",
        "reviewer@example.org",
    ];
    all.extend_from_slice(args);
    let output = letsema_with_input(&all, "a reviewer password\n");
    assert!(!output.status.success(), "expected a failure for {args:?}");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn review_refuses_unclear_requests_before_signing_in() {
    let without_id = review_refused(&["--status", "approved"]);
    assert!(
        without_id.contains("give the submission's id"),
        "{without_id}"
    );
    let bad_status = review_refused(&["--status", "fine"]);
    assert!(
        bad_status.contains("is not a review status"),
        "{bad_status}"
    );
    let bad_id = review_refused(&["not-a-uuid", "--status", "approved"]);
    assert!(bad_id.contains("not-a-uuid"), "{bad_id}");
    let empty = review_refused(&["123e4567-e89b-42d3-a456-426614174000", "--comment", "  "]);
    assert!(empty.contains("the comment is empty"), "{empty}");
    // Port 9 (discard) is closed on loopback: a valid request fails only at the network.
    let unreachable = review_refused(&["123e4567-e89b-42d3-a456-426614174000"]);
    assert!(unreachable.contains("cannot reach"), "{unreachable}");
}

#[test]
fn connection_limits_must_be_whole_numbers_of_at_least_one_and_are_documented() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    for flag in ["--max-connections", "--max-connections-per-address"] {
        for bad in ["0", "many", "1.5"] {
            let output = letsema()
                .args(["serve", "--listen", "127.0.0.1:0", flag, bad, "--data-dir"])
                .arg(&data)
                .stdin(Stdio::null())
                .output()
                .expect("letsema runs");
            assert!(!output.status.success(), "{flag} {bad} is refused");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("at least 1"), "{flag} {bad}: {stderr}");
        }
    }
    assert!(!data.exists(), "refused before anything was created");
    let help = letsema()
        .args(["serve", "--help"])
        .output()
        .expect("letsema runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--max-connections <N>"), "{help}");
    assert!(
        help.contains("--max-connections-per-address <N>") && help.contains("[default: 64]"),
        "{help}"
    );
}
