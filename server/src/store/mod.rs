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
mod backend;
mod devices;
mod forms;
mod judge;
mod people;
mod postgres;
mod sqlite;
mod sync;
pub mod transfer;
mod validate;

pub use associations::{
    Association, AssociationCode, AssociationError, AssociationName, AssociationScope,
    MAX_ASSOCIATION_NAME_CHARS,
};
pub use backend::{
    AssociationStore, Backend, DatabaseError, DeviceStore, FormStore, PeopleStore, SharedStore,
    SyncAccess, SyncSession, ValidationStore,
};
pub use devices::{
    DeviceError, DeviceInfo, Enrolment, NewEnrolment, PUBLIC_DEVICE_LABEL, PUBLIC_LINK_USES,
    PublicLink,
};
pub use forms::{
    FormSummary, MAX_FORM_SOURCE_BYTES, PreparedForm, PublishError, Published, REFERENCE_FORM,
    prepare_form, publish_file,
};
pub use judge::{FormCache, Projection, SubmissionVerdict, Verdict, project};
pub use people::{NewUser, PeopleError, Role, SessionInfo, StaffUser};
#[doc(hidden)]
pub use postgres::testing as postgres_testing;
pub use postgres::{DEFAULT_POOL_SIZE, PostgresError, PostgresStore, PostgresSyncStore};
pub use sqlite::{DATABASE_FILE, SqliteExport, SqliteStore, SqliteSyncStore, StoreError};
pub use sync::SyncStoreError;
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

/// Opens the default backend, the embedded SQLite database in `data_dir` (created and
/// migrated as [`SqliteStore::open`] does).
pub fn open(data_dir: &Path) -> Result<SharedStore, StoreError> {
    Ok(Arc::new(SqliteStore::open(data_dir)?))
}
