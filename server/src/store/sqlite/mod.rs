//! SQLite, the embedded default [`Backend`]: one file in the data directory, in WAL mode,
//! its schema migrated at start-up. One module per area implements that area's trait, with
//! its SQL and one row-mapping function per type it reads.
//!
//! SQLite calls block, so every call runs on tokio's blocking pool. Writes go through one
//! connection behind a mutex, because SQLite serialises writers anyway; reads that must not
//! wait behind a write (a phone's credential and pull, the metrics) go through a few
//! read-only connections ([`Readers`]), which WAL mode lets read while the writer commits
//! or checkpoints.

mod associations;
mod dashboard;
mod devices;
mod duplicates;
mod export;
mod forms;
mod people;
mod submissions;
mod sync;
mod validate;

pub use export::SqliteExport;
pub use sync::SqliteSyncStore;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use letsema_protocol::{DatabaseHealth, DatabaseState};
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{M, Migrations};

use super::Backend;

/// The name of the database file inside the data directory.
pub const DATABASE_FILE: &str = "letsema.sqlite3";

/// The page size of a new database. A change log entry or a projection is about 1 KB, and
/// a 4 KB page left a fifth of itself unused after three of them; 8 KB pages leave about a
/// fifteenth, and a small write still rewrites only 8 KB.
const PAGE_SIZE: i64 = 8192;

/// Schema migrations, oldest first, from `server/migrations/`. Never edit one that has
/// shipped: add a new one.
const MIGRATIONS: &[M<'static>] = &[
    M::up(include_str!("../../../migrations/0001_instance.sql")),
    M::up(include_str!("../../../migrations/0002_forms.sql")),
    M::up(include_str!("../../../migrations/0003_people.sql")),
    M::up(include_str!("../../../migrations/0004_devices.sql")),
    M::up(include_str!("../../../migrations/0005_sync.sql")),
    M::up(include_str!("../../../migrations/0006_submissions.sql")),
    M::up(include_str!("../../../migrations/0007_public_links.sql")),
    M::up(include_str!("../../../migrations/0008_replacements.sql")),
    M::up(include_str!(
        "../../../migrations/0009_validation_queue.sql"
    )),
    M::up(include_str!("../../../migrations/0010_compact_storage.sql")),
    M::up(include_str!(
        "../../../migrations/0011_documents_by_scope_and_seq.sql"
    )),
    M::up(include_str!("../../../migrations/0012_associations.sql")),
    M::up(include_str!(
        "../../../migrations/0013_devices_by_enrolment.sql"
    )),
    M::up(include_str!(
        "../../../migrations/0014_submissions_table.sql"
    )),
    M::up(include_str!(
        "../../../migrations/0015_submission_comments.sql"
    )),
    M::up(include_str!("../../../migrations/0016_audit_address.sql")),
    M::up(include_str!(
        "../../../migrations/0017_submissions_by_form_and_time.sql"
    )),
    M::up(include_str!("../../../migrations/0018_duplicates.sql")),
    M::up(include_str!("../../../migrations/0019_dashboard.sql")),
];

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}. Choose another with --data-dir")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The data directory exists but files cannot be written in it.
    #[error(
        "the data directory {path} is not writable: {source}. Fix its permissions or choose \
         another with --data-dir"
    )]
    NotWritable {
        path: PathBuf,
        source: std::io::Error,
    },
    /// SQLite refused to open or set up the database file.
    #[error(
        "cannot open the database {path}: {source}. Check that the file is a Letsema database \
         and that the disk is not full"
    )]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The schema could not be brought up to date.
    #[error(
        "cannot update the database schema in {path}: {source}. Restore a backup or use a \
         newer letsema"
    )]
    Migrate {
        path: PathBuf,
        source: rusqlite_migration::Error,
    },
}

/// The embedded SQLite database, the default [`Backend`]; a handle cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// The connection every write goes through (and reads that belong with a write).
    conn: Arc<Mutex<Connection>>,
    /// Read-only connections for reads that must not wait behind a write.
    readers: Arc<Readers>,
    path: PathBuf,
    /// The database's sync epoch, read once at open: only a restore changes it, and the
    /// restore renews it through this store (`renew_sync_epoch`) with no server running.
    pub(crate) sync_epoch: Arc<AtomicU64>,
    /// Loaded submission documents, bounded in memory (see `letsema_sync::cache`).
    pub(crate) docs: Arc<letsema_sync::cache::DocCache>,
}

impl SqliteStore {
    /// Opens (and on first start creates) the database in `data_dir`, and migrates its
    /// schema to the latest version.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::prepare_dir(data_dir)?;
        let path = data_dir.join(DATABASE_FILE);
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        // Only a new, empty database takes it (before WAL mode writes the first page); an
        // existing one keeps the page size it was made with.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "full")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "on")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        Migrations::from_slice(MIGRATIONS)
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migrate {
                path: path.clone(),
                source,
            })?;
        let epoch: i64 = conn
            .query_row("SELECT sync_epoch FROM instance WHERE id = 1", [], |row| {
                row.get(0)
            })
            .map_err(open_err)?;
        let readers = Readers::open(&path, reader_count()).map_err(open_err)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            readers: Arc::new(readers),
            path,
            sync_epoch: Arc::new(AtomicU64::new(epoch.unsigned_abs())),
            docs: Arc::new(letsema_sync::cache::DocCache::default()),
        })
    }

    /// Creates the data directory if needed and checks that files can be written in it.
    pub fn prepare_dir(data_dir: &Path) -> Result<(), StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
        probe_writable(data_dir)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The writer's connection, for tests that shape the database by hand.
    #[cfg(test)]
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A read-only connection: one that is free, or else the next in turn.
    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        self.readers.get()
    }

    fn try_health(&self) -> Result<DatabaseHealth, rusqlite::Error> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| rusqlite::Error::InvalidQuery)?;
        let schema_version: u32 =
            conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let journal_mode: String =
            conn.pragma_query_value(None, "journal_mode", |row| row.get(0))?;
        let created_at: Option<String> = conn
            .query_row("SELECT created_at FROM instance WHERE id = 1", [], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(DatabaseHealth {
            state: DatabaseState::Ok,
            schema_version: Some(schema_version),
            created_at,
            journal_mode: Some(journal_mode),
            error: None,
        })
    }
}

impl Backend for SqliteStore {
    fn health(&self) -> DatabaseHealth {
        self.try_health()
            .unwrap_or_else(|err| DatabaseHealth::unavailable(err.to_string()))
    }
}

/// How many read-only connections a store opens: one per core, at least 2 and at most 8.
/// A read holds one only for its queries (milliseconds), so a few serve many requests.
fn reader_count() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8))
}

/// A few read-only connections to the database.
///
/// In WAL mode a reader sees every transaction committed before its own began, and goes on
/// while the writer commits or checkpoints. Several queries that must agree with each
/// other (a log page and the last sequence number) run in one read transaction.
#[derive(Debug)]
struct Readers {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl Readers {
    /// Opens `count` connections to the database at `path`, which the writer has already
    /// created and migrated.
    fn open(path: &Path, count: usize) -> Result<Readers, rusqlite::Error> {
        let conns = (0..count.max(1))
            .map(|_| {
                let conn = Connection::open(path)?;
                // Refuses any write: a read path that tried one would be a bug.
                conn.pragma_update(None, "query_only", true)?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                Ok(Mutex::new(conn))
            })
            .collect::<Result<_, rusqlite::Error>>()?;
        Ok(Readers {
            conns,
            next: AtomicUsize::new(0),
        })
    }

    /// A free connection, or else the next in turn once it is free. A reader panicking
    /// mid-query leaves nothing half-written, so a poisoned lock is taken as it is.
    fn get(&self) -> MutexGuard<'_, Connection> {
        for conn in &self.conns {
            match conn.try_lock() {
                Ok(guard) => return guard,
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.conns.len();
        self.conns[turn]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// SQLite's plan for `sql`: one line per step (`SEARCH d USING INDEX ...`, `SCAN l`, ...).
#[cfg(test)]
pub(crate) fn query_plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    // Unbound parameters are NULL: the plan does not depend on their values.
    let nulls = std::iter::repeat_n(rusqlite::types::Null, statement.parameter_count());
    statement
        .query_map(rusqlite::params_from_iter(nulls), |row| {
            row.get::<_, String>(3)
        })
        .and_then(|rows| rows.collect())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Creates and removes a file, so that a read-only folder is refused at start-up with a
/// clear message rather than at the first write.
fn probe_writable(dir: &Path) -> Result<(), StoreError> {
    let probe = dir.join(".letsema-write-probe");
    let not_writable = |source| StoreError::NotWritable {
        path: dir.to_owned(),
        source,
    };
    std::fs::write(&probe, b"probe").map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_data_dir_gets_a_migrated_database_in_wal_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(&dir.path().join("nested/data")).expect("opens");
        let health = store.health();
        assert_eq!(health.state, DatabaseState::Ok);
        assert_eq!(
            health.schema_version.map(|v| v as usize),
            Some(MIGRATIONS.len())
        );
        assert_eq!(health.journal_mode.as_deref(), Some("wal"));
        assert!(health.created_at.is_some());
    }

    #[test]
    fn reopening_keeps_the_database() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = SqliteStore::open(dir.path()).expect("opens").health();
        let second = SqliteStore::open(dir.path()).expect("reopens").health();
        assert_eq!(first.created_at, second.created_at);
    }

    #[test]
    fn a_data_dir_below_a_file_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        let err = SqliteStore::open(&file.join("data")).expect_err("cannot create");
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err}");
        assert!(err.to_string().contains("--data-dir"), "{err}");
    }

    #[test]
    fn a_new_database_has_8_kb_pages() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let conn = store.conn.lock().expect("the connection");
        let page_size: i64 = conn
            .pragma_query_value(None, "page_size", |row| row.get(0))
            .expect("the page size");
        assert_eq!(page_size, PAGE_SIZE);
    }

    #[test]
    fn migrations_are_valid() {
        Migrations::from_slice(MIGRATIONS)
            .validate()
            .expect("migrations validate");
    }
}
