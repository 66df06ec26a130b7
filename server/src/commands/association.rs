//! `letsema association ...`: associations' display names from the command line, on the
//! server's data directory (as `PUT /api/associations/{code}` and `GET /api/associations`
//! do for staff).

use std::io::Write;

use crate::store::{AssociationCode, AssociationError, AssociationName, Database, OpenError};

/// Why `letsema association ...` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum AssociationCommandError {
    /// The code or the name breaks a rule, or the database refused.
    #[error(transparent)]
    Association(#[from] AssociationError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] OpenError),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// `letsema association name CODE NAME`.
///
/// # Errors
///
/// When the code or the name breaks a rule (checked before the database is opened), or the
/// database cannot be opened or written.
pub fn name(
    code: &str,
    name: &str,
    database: &Database,
    out: &mut dyn Write,
) -> Result<(), AssociationCommandError> {
    let code = AssociationCode::parse(code)?;
    let name = AssociationName::parse(name)?;
    let store = database.open()?.store;
    let association = store.name_association(&code, &name, "cli", None)?;
    writeln!(
        out,
        "the association {} is now called {:?}; phones enrolled from now on show it",
        association.code,
        name.as_str()
    )?;
    Ok(())
}

/// `letsema association list`: every association in use or named, one a line: its code, a
/// tab, its name (empty when it has none).
///
/// # Errors
///
/// When the database cannot be opened or read.
pub fn list(database: &Database, out: &mut dyn Write) -> Result<(), AssociationCommandError> {
    let store = database.open()?.store;
    let associations = store.associations()?;
    if associations.is_empty() {
        writeln!(
            out,
            "no association yet: name one with `letsema association name CODE \"Name\"`, or \
             create an enrolment for it"
        )?;
    }
    for association in associations {
        writeln!(
            out,
            "{}\t{}",
            association.code,
            association.name.unwrap_or_default()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(run: impl FnOnce(&mut Vec<u8>) -> Result<(), AssociationCommandError>) -> String {
        let mut out = Vec::new();
        run(&mut out).expect("runs");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn a_name_given_on_the_command_line_is_listed() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = crate::store::Database::Embedded(dir.path().join("data"));
        let said = output(|out| name("maseru-nurses", " Maseru Nurses' Association ", &data, out));
        assert_eq!(
            said,
            "the association maseru-nurses is now called \"Maseru Nurses' Association\"; \
             phones enrolled from now on show it\n"
        );
        assert_eq!(
            output(|out| list(&data, out)),
            "maseru-nurses\tMaseru Nurses' Association\n"
        );
    }

    #[test]
    fn a_bad_code_or_name_is_refused_before_the_database_is_opened() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = crate::store::Database::Embedded(dir.path().join("data"));
        let error = name("Maseru Nurses", "Maseru Nurses", &data, &mut Vec::new())
            .expect_err("a code has no spaces");
        assert!(matches!(
            error,
            AssociationCommandError::Association(AssociationError::BadCode)
        ));
        let error = name("maseru-nurses", "Maseru\nNurses", &data, &mut Vec::new())
            .expect_err("a name is one line");
        assert!(error.to_string().contains("control character"), "{error}");
        assert!(
            !dir.path().join("data").exists(),
            "no database is made for a refused name"
        );
    }
}
