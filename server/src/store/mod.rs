//! Storage: the interface handlers use ([`Backend`], in `backend.rs`, one trait per area)
//! and its embedded default, [`SqliteStore`] (`sqlite/`).
//!
//! Each area's module here (`people.rs`, `associations.rs`, `devices.rs`, `forms.rs`,
//! `validate.rs`, `sync.rs`) holds its types, its error (which names no database) and the
//! rules that are not about storage, for every backend to follow; `sqlite/<area>.rs` holds
//! SQLite's implementation of the area's trait. A second backend goes beside it (`postgres/`).
//! `transfer.rs` carries a whole installation from one backend to the other (`letsema
//! migrate`).

mod associations;
mod audit;
mod backend;
mod dashboard;
mod devices;
mod duplicates;
mod forms;
mod judge;
mod people;
mod postgres;
mod sqlite;
mod submissions;
mod sync;
mod text;
pub mod transfer;
mod validate;

pub use associations::{
    Association, AssociationCode, AssociationError, AssociationName, AssociationScope,
    MAX_ASSOCIATION_NAME_CHARS,
};
pub use audit::{
    AuditEntry, AuditPage, AuditQuery, AuditRecord, DEFAULT_AUDIT_ROWS, MAX_AUDIT_ROWS, audit_page,
};
pub use backend::{
    AssociationStore, Backend, DashboardStore, DatabaseError, DeviceStore, DuplicateStore,
    FormStore, PeopleStore, SharedStore, SubmissionStore, SyncAccess, SyncSession, ValidationStore,
};
pub use dashboard::{
    DashboardError, DashboardFields, DashboardQuery, MONTH_BUCKETS, REFERENCE_FIELDS, Tally,
    TallyRow, YEAR_BUCKETS, dashboard,
};
pub use devices::{
    DeviceError, DeviceInfo, Enrolment, NewEnrolment, PUBLIC_DEVICE_LABEL, PUBLIC_LINK_USES,
    PublicLink,
};
pub use duplicates::{
    FoundPair, MAX_PAIRS_PAGE, Neighbour, PairCursor, PairDecision, PairPage, PairQuery, PairSide,
    PairStatus, StoredPair, ordered,
};
pub use forms::{
    FormImport, FormSummary, ImportedForm, MAX_FORM_SOURCE_BYTES, PreparedForm, PublishError,
    Published, REFERENCE_FORM, REFERENCE_FORM_ID, import_for_publishing, import_form_file,
    is_form_file_name, prepare_form, prepare_form_with_files, publish_file, publish_with_files,
};
pub use judge::{
    FormCache, Projection, SubmissionVerdict, Verdict, comments_json, judge_answers, project,
};
pub use people::{NewUser, PeopleError, Role, SessionInfo, StaffUser};
#[doc(hidden)]
pub use postgres::testing as postgres_testing;
pub use postgres::{DEFAULT_POOL_SIZE, PostgresError, PostgresStore, PostgresSyncStore};
pub use sqlite::{DATABASE_FILE, SqliteExport, SqliteStore, SqliteSyncStore, StoreError};
pub use submissions::{
    ChoiceFilter, Cursor, DEFAULT_PAGE_ROWS, Duplicates, EXPORT_BATCH_ROWS, ExportBatch, ExportRow,
    MAX_PAGE_ROWS, MAX_QUERY_BYTES, Order, QueryError, SubmissionPage, SubmissionQuery,
    SubmissionRow, boolean, choice_values, fold, page_from_rows, questions_of_repeat,
    questions_outside_repeats, search_terms, search_text,
};
pub use sync::SyncStoreError;
pub use text::{
    MAX_DISPLAY_NAME_CHARS, MAX_LABEL_CHARS, TextError, check_text, is_hidden_direction,
};
pub use validate::{JudgedSubmission, PendingSubmission, ValidateError};

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An exclusive hold on a data directory: a running server has it, and so does a restore,
/// so that neither starts while the other runs. Released when dropped (or when the process
/// dies: it is an advisory file lock).
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// The data directory is held by another process.
#[derive(Debug, thiserror::Error)]
#[error(
    "another letsema process (a server, or a restore) is using {path}: stop it first, or \
     choose another --data-dir"
)]
pub struct DataDirBusy {
    path: PathBuf,
}

impl DataDirLock {
    /// The name of the lock file inside the data directory.
    pub const FILE: &'static str = "letsema.lock";

    pub fn acquire(data_dir: &Path) -> Result<Self, DataDirBusy> {
        let path = data_dir.join(Self::FILE);
        let busy = || DataDirBusy {
            path: data_dir.to_owned(),
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|_| busy())?;
        file.try_lock().map_err(|_| busy())?;
        Ok(DataDirLock { _file: file })
    }
}

/// Now, as the tables' `*_at` text columns hold it in every backend (RFC 3339, UTC, whole
/// seconds).
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The file `letsema migrate` leaves in a data directory it copied to PostgreSQL (it
/// says where to, and when); [`Database::open`] refuses to open that directory.
pub const MOVED_MARKER: &str = "letsema.moved";

/// Where the database is: the one choice of backend, made by `--data-dir` and `--database`.
#[derive(Clone)]
pub enum Database {
    /// The embedded SQLite database in this data directory (the default).
    Embedded(PathBuf),
    /// A PostgreSQL database, shared by every server of an installation.
    Postgres {
        /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`: never logged or printed whole.
        url: String,
        /// The most connections this process opens.
        pool_size: usize,
    },
}

impl std::fmt::Debug for Database {
    /// Without the URL, which may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Embedded(dir) => f.debug_tuple("Embedded").field(dir).finish(),
            Database::Postgres { pool_size, .. } => f
                .debug_struct("Postgres")
                .field("pool_size", pool_size)
                .finish_non_exhaustive(),
        }
    }
}

/// Why the database could not be opened, whichever it is.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// `letsema migrate` copied this data directory to PostgreSQL: serving the old copy
    /// would split the installation in two.
    #[error(
        "the installation in {data_dir} moved to PostgreSQL ({moved}): start letsema with \
         --database (or LETSEMA_DATABASE_URL) instead. To use this old copy anyway, delete \
         {marker}"
    )]
    Moved {
        data_dir: PathBuf,
        /// What the marker says: where to, and when.
        moved: String,
        marker: PathBuf,
    },
    #[error(transparent)]
    Sqlite(#[from] StoreError),
    #[error(transparent)]
    Postgres(#[from] PostgresError),
}

/// An open database, and what to call it in messages (a file, or `HOST:PORT/NAME`).
#[derive(Debug)]
pub struct Opened {
    pub store: SharedStore,
    pub description: String,
}

impl Database {
    /// Opens (and on first start creates) the database, and migrates its schema to the
    /// latest version.
    pub fn open(&self) -> Result<Opened, OpenError> {
        match self {
            Database::Embedded(data_dir) => {
                let marker = data_dir.join(MOVED_MARKER);
                if let Ok(moved) = std::fs::read_to_string(&marker) {
                    return Err(OpenError::Moved {
                        data_dir: data_dir.clone(),
                        moved: moved.trim().to_owned(),
                        marker,
                    });
                }
                let store = SqliteStore::open(data_dir)?;
                let description = store.path().display().to_string();
                Ok(Opened {
                    store: Arc::new(store),
                    description,
                })
            }
            Database::Postgres { url, pool_size } => {
                let store = PostgresStore::open(url, *pool_size)?;
                let description = format!("postgres://{}", store.target());
                Ok(Opened {
                    store: Arc::new(store),
                    description,
                })
            }
        }
    }
}

/// Opens the default backend, the embedded SQLite database in `data_dir` (created and
/// migrated as [`SqliteStore::open`] does).
pub fn open(data_dir: &Path) -> Result<SharedStore, StoreError> {
    Ok(Arc::new(SqliteStore::open(data_dir)?))
}
