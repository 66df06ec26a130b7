//! `letsema user ...`: staff accounts from the command line (the first admin is made here).

use std::io::{BufRead, IsTerminal, Write};

use crate::auth::{HashError, check_password_strength, hash_password};
use crate::store::{Database, NewUser, OpenError, PeopleError, Role};

/// Why `letsema user ...` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum UserCommandError {
    /// `--role` names no role.
    #[error("--role: {0}")]
    Role(#[source] PeopleError),
    /// The password could not be read.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The password is too short or too long; the text says which.
    #[error("{0}; choose a longer one")]
    WeakPassword(String),
    /// The password could not be hashed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] OpenError),
    /// The database refused the account, or could not list them.
    #[error(transparent)]
    People(#[from] PeopleError),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Why a password could not be read from the terminal or standard input.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The terminal could not be read.
    #[error("cannot read the password: {0}")]
    Terminal(#[source] std::io::Error),
    /// Standard input could not be read.
    #[error("cannot read the password from standard input: {0}")]
    Stdin(#[source] std::io::Error),
    /// The password asked for twice was not typed the same twice.
    #[error("the two passwords differ; run the command again")]
    Differ,
}

/// What `letsema user add` was asked to do.
#[derive(Debug, Clone)]
pub struct AddUser {
    /// The e-mail address the person signs in with.
    pub email: String,
    /// The role's name: admin, reviewer or coordinator.
    pub role: String,
    /// The name shown in the app; the e-mail address when not given.
    pub name: Option<String>,
    /// The associations the account is limited to.
    pub associations: Vec<String>,
}

/// `letsema user add EMAIL --role ROLE`.
///
/// # Errors
///
/// When the role is unknown, the password cannot be read or is too weak, or the database
/// cannot be opened or refuses the account.
pub fn add(
    request: &AddUser,
    database: &Database,
    out: &mut dyn Write,
) -> Result<(), UserCommandError> {
    let role: Role = request
        .role
        .parse::<Role>()
        .map_err(|e| UserCommandError::Role(e.into()))?;
    let password = read_password()?;
    check_password_strength(&password).map_err(UserCommandError::WeakPassword)?;
    let password_hash = hash_password(&password)?;
    let store = database.open()?.store;
    let user = store.add_user(
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
        None,
    )?;
    writeln!(
        out,
        "created {} account {} (id {})",
        user.role, user.email, user.id
    )?;
    Ok(())
}

/// `letsema user list`.
///
/// # Errors
///
/// When the database cannot be opened or read.
pub fn list(database: &Database, out: &mut dyn Write) -> Result<(), UserCommandError> {
    let store = database.open()?.store;
    let users = store.list_users()?;
    if users.is_empty() {
        writeln!(
            out,
            "no account yet: create one with `letsema user add EMAIL --role admin`"
        )?;
    }
    for user in users {
        writeln!(
            out,
            "{}\t{}\t{}\t{}",
            user.id,
            user.email,
            user.role,
            user.associations.join(",")
        )?;
    }
    Ok(())
}

/// Reads a password from the terminal (asked twice), or from the first line of standard
/// input when it is not a terminal.
///
/// # Errors
///
/// When it cannot be read, or the two typed on the terminal differ.
pub fn read_password() -> Result<String, PasswordError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")
            .map_err(PasswordError::Terminal)?;
        let second = rpassword::prompt_password("The same password again: ")
            .map_err(PasswordError::Terminal)?;
        if first != second {
            return Err(PasswordError::Differ);
        }
        Ok(first)
    } else {
        password_from_stdin()
    }
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> Result<String, PasswordError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(PasswordError::Stdin)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// An existing account's password, to sign in: asked once on a terminal, else the first
/// line of standard input.
///
/// # Errors
///
/// When it cannot be read.
pub fn read_sign_in_password() -> Result<String, PasswordError> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Password: ").map_err(PasswordError::Terminal)
    } else {
        password_from_stdin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_role_is_refused_before_the_password_is_asked_for() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = crate::store::Database::Embedded(dir.path().join("data"));
        let request = AddUser {
            email: "someone@example.org".to_owned(),
            role: "boss".to_owned(),
            name: None,
            associations: Vec::new(),
        };
        let error = add(&request, &data, &mut Vec::new()).expect_err("refused");
        assert!(matches!(
            &error,
            UserCommandError::Role(PeopleError::UnknownRole(role)) if role == "boss"
        ));
        assert_eq!(
            error.to_string(),
            "--role: unknown role \"boss\": use admin, reviewer or coordinator"
        );
        assert!(
            !dir.path().join("data").exists(),
            "no database is made for a refused account"
        );
    }
}
