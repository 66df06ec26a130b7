//! `letsema renew-epoch`: tell every phone to compare everything it holds with the server on
//! its next sync, instead of trusting its pull cursor.
//!
//! A phone remembers how far into the change log it has pulled, and trusts the server to
//! hold everything it pushed. Both stop being true when the database goes back in time: a
//! PostgreSQL database restored with `pg_restore` or from a base backup, or a replica
//! promoted after its primary was lost with writes it had not replicated. A new sync epoch
//! makes each phone repair on its next sync: it sends the heads of every document it holds,
//! gets what it lacks, and pushes back what the database lost. `letsema restore` does this
//! itself for the embedded database.

use std::io::Write;

use crate::store::{DATABASE_FILE, DataDirBusy, DataDirLock, Database, OpenError, SyncStoreError};

/// Why the epoch could not be renewed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    /// The data directory holds no database.
    #[error("there is no database at {0}: check --data-dir, or give --database")]
    NoDatabase(std::path::PathBuf),
    /// The embedded database is in use by a server, which keeps its epoch in memory.
    #[error("{0}; the embedded database's epoch is renewed with the server stopped")]
    Busy(#[from] DataDirBusy),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("cannot renew the sync epoch: {0}")]
    Renew(#[from] SyncStoreError),
    #[error("cannot write the summary: {0}")]
    Output(#[from] std::io::Error),
}

/// Gives `database` a new sync epoch. PostgreSQL's servers read the epoch on every sync, so
/// they may keep running; an embedded database must not be in use (its server reads the
/// epoch once, at start).
///
/// # Errors
///
/// When the embedded database is in use, or the database cannot be opened or written.
pub fn renew(database: &Database, out: &mut dyn Write) -> Result<(), EpochError> {
    let _lock = match database {
        Database::Embedded(data_dir) => {
            let file = data_dir.join(DATABASE_FILE);
            if !file.is_file() {
                return Err(EpochError::NoDatabase(file));
            }
            Some(DataDirLock::acquire(data_dir)?)
        }
        Database::Postgres { .. } => None,
    };
    let opened = database.open()?;
    opened.store.renew_sync_epoch()?;
    writeln!(
        out,
        "renewed the sync epoch of {}: every phone compares what it holds with the server on \
         its next sync, and sends back what the database lacks",
        opened.description
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewing_gives_the_embedded_database_a_new_epoch_and_says_so() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database = Database::Embedded(dir.path().to_owned());
        let before = database
            .open()
            .expect("opens")
            .store
            .sync_store()
            .expect("a sync view")
            .epoch();
        let mut out = Vec::new();
        renew(&database, &mut out).expect("renewed");
        let after = database
            .open()
            .expect("opens")
            .store
            .sync_store()
            .expect("a sync view")
            .epoch();
        assert_ne!(before, after);
        let said = String::from_utf8(out).expect("text");
        assert!(said.starts_with("renewed the sync epoch of "), "{said}");
    }

    #[test]
    fn a_folder_without_a_database_is_named_and_left_empty() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database = Database::Embedded(dir.path().join("data"));
        let err = renew(&database, &mut Vec::new()).expect_err("refused");
        assert!(matches!(err, EpochError::NoDatabase(_)), "{err}");
        assert!(!dir.path().join("data").exists());
    }

    #[test]
    fn an_embedded_database_in_use_is_left_alone() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database = Database::Embedded(dir.path().to_owned());
        database.open().expect("created");
        let _server = DataDirLock::acquire(dir.path()).expect("held");
        let err = renew(&database, &mut Vec::new()).expect_err("refused");
        assert!(matches!(err, EpochError::Busy(_)), "{err}");
        assert!(err.to_string().contains("stopped"), "{err}");
    }
}
