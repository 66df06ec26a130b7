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

use crate::store::{DATABASE_FILE, DataDirLock, SqliteStore, SyncAccess};

/// `letsema backup DEST --data-dir DIR`.
pub fn backup(data_dir: &Path, dest: &Path, out: &mut dyn Write) -> Result<(), String> {
    let source = data_dir.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(format!(
            "there is no database at {}: check --data-dir",
            source.display()
        ));
    }
    if dest.exists() {
        return Err(format!(
            "{} exists already: choose a new file name, so that no backup is overwritten",
            dest.display()
        ));
    }
    let dest_text = dest
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path: choose another", dest.display()))?;
    let started = Instant::now();
    let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", source.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .map_err(|e| format!("cannot configure the database: {e}"))?;
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    writeln!(
        out,
        "backing up {} to {} ...",
        source.display(),
        dest.display()
    )
    .map_err(write_err)?;
    conn.execute("VACUUM INTO ?1", [dest_text])
        .map_err(|e| format!("the backup failed: {e}; check the free space at the destination"))?;
    let size = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    writeln!(
        out,
        "backup complete: {} ({} bytes) in {:.1} s",
        dest.display(),
        size,
        started.elapsed().as_secs_f64()
    )
    .map_err(write_err)
}

/// `letsema restore SRC --data-dir DIR`: only while no server uses the data directory.
pub fn restore(data_dir: &Path, src: &Path, out: &mut dyn Write) -> Result<(), String> {
    check_backup(src)?;
    std::fs::create_dir_all(data_dir).map_err(|e| {
        format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        )
    })?;
    let _lock = DataDirLock::acquire(data_dir).map_err(|e| e.to_string())?;
    let target = data_dir.join(DATABASE_FILE);
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
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
        std::fs::rename(&target, &kept).map_err(|e| {
            format!(
                "cannot keep the current database as {}: {e}",
                kept.display()
            )
        })?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side)
                    .map_err(|e| format!("cannot remove {}: {e}", side.display()))?;
            }
        }
        writeln!(out, "kept the current database as {}", kept.display()).map_err(write_err)?;
    }
    let partial = data_dir.join(format!("{DATABASE_FILE}.restoring"));
    std::fs::copy(src, &partial).map_err(|e| format!("cannot copy {}: {e}", src.display()))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot flush {}: {e}", partial.display()))?;
    std::fs::rename(&partial, &target)
        .map_err(|e| format!("cannot put the backup in place: {e}"))?;
    // Bring an older backup's schema up to date, now rather than at the next start, and
    // give it a new sync epoch: devices must not trust pull cursors from the lost history,
    // so they repair and send back what the backup lacks.
    let store = SqliteStore::open(data_dir).map_err(|e| e.to_string())?;
    store.renew_sync_epoch().map_err(|e| e.to_string())?;
    writeln!(
        out,
        "restored {} into {}; start the server: devices bring it up to date when they sync",
        src.display(),
        target.display()
    )
    .map_err(write_err)
}

/// Refuses anything but a Letsema database.
fn check_backup(src: &Path) -> Result<(), String> {
    let conn = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", src.display()))?;
    let created: Result<String, _> =
        conn.query_row("SELECT created_at FROM instance WHERE id = 1", [], |row| {
            row.get(0)
        });
    created.map(|_| ()).map_err(|_| {
        format!(
            "{} is not a Letsema backup (no instance record): give a file made by `letsema backup`",
            src.display()
        )
    })
}
