//! The real `letsema` binary, run as a person would: creating an admin, starting a server.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The `letsema` binary under test.
pub fn letsema() -> Command {
    Command::new(env!("CARGO_BIN_EXE_letsema"))
}

/// `letsema user add EMAIL --role admin`, the password given on standard input.
pub fn add_admin(data: &Path, email: &str, password: &str) {
    let mut add = letsema();
    add.args(["user", "add", email, "--role", "admin", "--data-dir"])
        .arg(data);
    add_user_with(add, password);
}

/// Runs a prepared `letsema user add`, the password given on standard input.
fn add_user_with(mut command: Command, password: &str) {
    let mut add = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("letsema runs");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password written");
    assert!(
        add.wait().expect("letsema ends").success(),
        "user add failed"
    );
}

/// Starts `letsema serve` on a free port (with the demo form when `demo`); returns the
/// process once it printed its address, and that address without the final `/`.
pub fn start_server(data: &Path, demo: bool) -> (Child, String) {
    let mut command = letsema();
    command.arg("serve");
    if demo {
        command.arg("--demo");
    }
    let mut child = command
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("letsema starts");
    let url = served_address(&mut child).unwrap_or_else(|line| panic!("{line}"));
    (child, url)
}

/// The address a starting `letsema serve` prints on its standard output's first line,
/// without the final `/`; that line itself when it is not the address.
pub fn served_address(child: &mut Child) -> Result<String, String> {
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the address line");
    if !line.starts_with("Letsema is serving") {
        return Err(line);
    }
    Ok(line
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .expect("an address")
        .trim_end_matches('/')
        .to_owned())
}

/// Runs `letsema ARGS` with `input` on standard input; its status and output.
pub fn letsema_with_input(args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = letsema()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("letsema runs");
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    child.wait_with_output().expect("letsema ends")
}

/// Enrols `phones` phones in `association` over HTTP at `url`, as the admin `email` would
/// create the enrolment and each phone's browser would open it.
pub async fn enrol_phones(
    http: &reqwest::Client,
    url: &str,
    (email, password): (&str, &str),
    association: &str,
    phones: usize,
) -> Vec<letsema_protocol::Enrolled> {
    use letsema_server::commands::remote::{
        Jitter, NewEnrolment, create_enrolment, enrol_device, sign_in,
    };
    let session = sign_in(http, url, email, password)
        .await
        .expect("signed in");
    let enrolment = NewEnrolment {
        association,
        forms: &["diaspora_registration"],
        uses: phones,
        expires_in_hours: None,
        label: None,
    };
    let code = create_enrolment(http, url, &session, &enrolment)
        .await
        .expect("an enrolment");
    let mut enrolled = Vec::with_capacity(phones);
    for _ in 0..phones {
        let policy = letsema_sync::retry::RetryPolicy::default();
        let phone = enrol_device(http, url, &code, None, &policy, &mut Jitter::new(0))
            .await
            .expect("enrolled");
        enrolled.push(phone);
    }
    enrolled
}

/// `letsema user add EMAIL --role ROLE` on the PostgreSQL database at `database_url`.
pub fn add_user_on(database_url: &str, email: &str, role: &str, password: &str) {
    let mut add = letsema();
    add.args(["user", "add", email, "--role", role])
        .env("LETSEMA_DATABASE_URL", database_url);
    add_user_with(add, password);
}

/// Starts `letsema serve` on a free port, on the PostgreSQL database at `database_url`
/// (given as LETSEMA_DATABASE_URL, as an operator would), with the demo form when `demo`.
pub fn start_server_on(database_url: &str, demo: bool) -> (Child, String) {
    let mut command = letsema();
    command.arg("serve");
    if demo {
        command.arg("--demo");
    }
    let mut child = command
        .args(["--listen", "127.0.0.1:0", "--web-dir", "/nonexistent"])
        .env("LETSEMA_DATABASE_URL", database_url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("letsema starts");
    let url = served_address(&mut child).unwrap_or_else(|line| panic!("{line}"));
    (child, url)
}
