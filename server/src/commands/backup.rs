//! `letsema backup DEST` and `letsema restore SRC`: a consistent copy of the database while
//! the server runs, and putting one back while it is stopped.
//!
//! The backup is SQLite's `VACUUM INTO`: one read transaction, so the copy is consistent
//! even while devices sync, and compact. A restore keeps the database it replaces beside
//! it (`letsema.sqlite3.before-restore-TIME`): nothing is lost by restoring the wrong file.
//!
//! Both work on SQLite's files, so unlike the rest of the server they use the concrete
//! [`SqliteStore`] rather than the `Backend` trait: another backend brings its own tools.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rusqlite::{Connection, OpenFlags};

use crate::store::{
    DATABASE_FILE, DataDirBusy, DataDirLock, SqliteStore, StoreError, SyncAccess, SyncStoreError,
};

/// Why a backup or a restore failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The data directory holds no database.
    #[error("there is no database at {path}: check --data-dir")]
    NoDatabase {
        /// Where the database was looked for.
        path: PathBuf,
    },
    /// The backup file exists already.
    #[error("{path} exists already: choose a new file name, so that no backup is overwritten")]
    DestinationExists {
        /// The backup file asked for.
        path: PathBuf,
    },
    /// SQLite takes the backup's name as text.
    #[error("{path} is not a UTF-8 path: choose another")]
    NotUtf8 {
        /// The backup file asked for.
        path: PathBuf,
    },
    /// A database file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The database connection could not be set up.
    #[error("cannot configure the database: {0}")]
    Configure(#[source] rusqlite::Error),
    /// SQLite could not write the copy.
    #[error("the backup failed: {0}; check the free space at the destination")]
    Copy(#[source] rusqlite::Error),
    /// The file to restore is not a database made by `letsema backup`.
    #[error(
        "{path} is not a Letsema backup (no instance record): give a file made by `letsema \
         backup`"
    )]
    NotABackup {
        /// The file.
        path: PathBuf,
        /// Why its instance record could not be read.
        #[source]
        source: rusqlite::Error,
    },
    /// The data directory to restore into could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    CreateDataDir {
        /// The data directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A server or another restore uses the data directory.
    #[error(transparent)]
    Busy(#[from] DataDirBusy),
    /// The database being replaced could not be kept aside.
    #[error("cannot keep the current database as {path}: {source}")]
    KeepCurrent {
        /// Where it was to be kept.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The replaced database's write-ahead log or shared memory could not be removed.
    #[error("cannot remove {path}: {source}")]
    RemoveSideFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The backup could not be copied into the data directory.
    #[error("cannot copy {path}: {source}")]
    CopyBackup {
        /// The backup file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The copied backup could not be flushed to disk.
    #[error("cannot flush {path}: {source}")]
    Flush {
        /// The copy.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The flushed copy could not be renamed to the database's name.
    #[error("cannot put the backup in place: {0}")]
    PutInPlace(#[source] std::io::Error),
    /// The restored database could not be opened or brought up to date.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The restored database could not be given a new sync epoch.
    #[error(transparent)]
    SyncEpoch(#[from] SyncStoreError),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// `letsema backup DEST --data-dir DIR`.
///
/// # Errors
///
/// When there is no database, `dest` exists already, or the copy cannot be made.
pub fn backup(data_dir: &Path, dest: &Path, out: &mut dyn Write) -> Result<(), BackupError> {
    let source = data_dir.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(BackupError::NoDatabase { path: source });
    }
    if dest.exists() {
        return Err(BackupError::DestinationExists {
            path: dest.to_owned(),
        });
    }
    let dest_text = dest.to_str().ok_or_else(|| BackupError::NotUtf8 {
        path: dest.to_owned(),
    })?;
    let started = Instant::now();
    let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(
        |source_error| BackupError::Open {
            path: source.clone(),
            source: source_error,
        },
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(BackupError::Configure)?;
    writeln!(
        out,
        "backing up {} to {} ...",
        source.display(),
        dest.display()
    )?;
    conn.execute("VACUUM INTO ?1", [dest_text])
        .map_err(BackupError::Copy)?;
    let size = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "backup complete: {} ({} bytes) in {:.1} s",
        dest.display(),
        size,
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// `letsema restore SRC --data-dir DIR`: only while no server uses the data directory.
///
/// # Errors
///
/// When `src` is not a Letsema backup, a server uses the data directory, or a file cannot
/// be moved, copied or opened.
pub fn restore(data_dir: &Path, src: &Path, out: &mut dyn Write) -> Result<(), BackupError> {
    check_backup(src)?;
    std::fs::create_dir_all(data_dir).map_err(|source| BackupError::CreateDataDir {
        path: data_dir.to_owned(),
        source,
    })?;
    let _lock = DataDirLock::acquire(data_dir)?;
    let target = data_dir.join(DATABASE_FILE);
    if target.exists() {
        // Fold the write-ahead log into the file so that the kept copy is whole.
        if let Ok(conn) = Connection::open(&target) {
            let _ = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE");
        }
        let kept = PathBuf::from(format!(
            "{}.before-restore-{}",
            target.display(),
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ));
        std::fs::rename(&target, &kept).map_err(|source| BackupError::KeepCurrent {
            path: kept.clone(),
            source,
        })?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side)
                    .map_err(|source| BackupError::RemoveSideFile { path: side, source })?;
            }
        }
        writeln!(out, "kept the current database as {}", kept.display())?;
    }
    let partial = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    std::fs::copy(src, &partial).map_err(|source| BackupError::CopyBackup {
        path: src.to_owned(),
        source,
    })?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|source| BackupError::Flush {
            path: partial.clone(),
            source,
        })?;
    std::fs::rename(&partial, &target).map_err(BackupError::PutInPlace)?;
    // Bring an older backup's schema up to date, now rather than at the next start, and
    // give it a new sync epoch: devices must not trust pull cursors from the lost history,
    // so they repair and send back what the backup lacks.
    let store = SqliteStore::open(data_dir)?;
    store.renew_sync_epoch()?;
    writeln!(
        out,
        "restored {} into {}; start the server: devices bring it up to date when they sync",
        src.display(),
        target.display()
    )?;
    Ok(())
}

/// Refuses anything but a Letsema database.
fn check_backup(src: &Path) -> Result<(), BackupError> {
    let conn =
        Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|source| {
            BackupError::Open {
                path: src.to_owned(),
                source,
            }
        })?;
    conn.query_row("SELECT created_at FROM instance WHERE id = 1", [], |row| {
        row.get::<_, String>(0)
    })
    .map(|_| ())
    .map_err(|source| BackupError::NotABackup {
        path: src.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_needs_a_database_and_a_new_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        let dest = dir.path().join("copy.sqlite3");
        let mut out = Vec::new();
        assert!(matches!(
            backup(&data, &dest, &mut out),
            Err(BackupError::NoDatabase { path }) if path == data.join(DATABASE_FILE)
        ));
        drop(SqliteStore::open(&data).expect("a database"));
        std::fs::write(&dest, b"an older backup").expect("written");
        assert!(matches!(
            backup(&data, &dest, &mut out),
            Err(BackupError::DestinationExists { path }) if path == dest
        ));
        assert_eq!(
            std::fs::read(&dest).expect("read"),
            b"an older backup",
            "nothing is overwritten"
        );
    }

    #[test]
    fn restore_refuses_a_database_that_is_not_a_backup() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let other = dir.path().join("other.sqlite3");
        Connection::open(&other)
            .and_then(|conn| conn.execute_batch("CREATE TABLE t (x)"))
            .expect("another database");
        let data = dir.path().join("data");
        let error = restore(&data, &other, &mut Vec::new()).expect_err("refused");
        assert!(matches!(&error, BackupError::NotABackup { path, .. } if *path == other));
        assert_eq!(
            error.to_string(),
            format!(
                "{} is not a Letsema backup (no instance record): give a file made by \
                 `letsema backup`",
                other.display()
            )
        );
        assert!(!data.exists(), "nothing is touched");
    }
}
