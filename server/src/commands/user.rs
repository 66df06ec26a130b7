//! `letsema user ...`: staff accounts from the command line (the first admin is made here).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use crate::auth::{check_password_strength, hash_password};
use crate::store::{NewUser, Role};

/// What `letsema user add` was asked to do.
#[derive(Debug, Clone)]
pub struct AddUser {
    pub email: String,
    pub role: String,
    pub name: Option<String>,
    pub associations: Vec<String>,
}

/// `letsema user add EMAIL --role ROLE`.
pub fn add(request: &AddUser, data_dir: &Path, out: &mut dyn Write) -> Result<(), String> {
    let role: Role = request.role.parse().map_err(|e| format!("--role: {e}"))?;
    let password = read_password()?;
    check_password_strength(&password).map_err(|why| format!("{why}; choose a longer one"))?;
    let password_hash = hash_password(&password).map_err(|e| e.to_string())?;
    let store = crate::store::open(data_dir).map_err(|e| e.to_string())?;
    let user = store
        .add_user(
            &NewUser {
                email: request.email.trim().to_owned(),
                display_name: request
                    .name
                    .clone()
                    .unwrap_or_else(|| request.email.trim().to_owned()),
                role,
                associations: request.associations.clone(),
                password_hash,
            },
            "cli",
        )
        .map_err(|e| e.to_string())?;
    writeln!(
        out,
        "created {} account {} (id {})",
        user.role, user.email, user.id
    )
    .map_err(|e| format!("cannot write the output: {e}"))
}

/// `letsema user list`.
pub fn list(data_dir: &Path, out: &mut dyn Write) -> Result<(), String> {
    let store = crate::store::open(data_dir).map_err(|e| e.to_string())?;
    let users = store.list_users().map_err(|e| e.to_string())?;
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    if users.is_empty() {
        writeln!(
            out,
            "no account yet: create one with `letsema user add EMAIL --role admin`"
        )
        .map_err(write_err)?;
    }
    for user in users {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            user.id,
            user.email,
            user.role,
            user.associations.join(",")
        )
        .map_err(write_err)?;
    }
    Ok(())
}

/// Reads a password from the terminal (asked twice), or from the first line of standard
/// input when it is not a terminal.
pub fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        let second = rpassword::prompt_password("The same password again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if first != second {
            return Err("the two passwords differ; run the command again".to_owned());
        }
        Ok(first)
    } else {
        password_from_stdin()
    }
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// An existing account's password, to sign in: asked once on a terminal, else the first
/// line of standard input.
///
/// # Errors
///
/// When it cannot be read.
pub fn read_sign_in_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ")
            .map_err(|e| format!("cannot read the password: {e}"))
    } else {
        password_from_stdin()
    }
}
