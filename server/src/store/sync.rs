//! The sync protocol's storage: its error, whatever the backend. SQLite's
//! [`letsema_sync::store::ServerStore`] is `sqlite/sync.rs`.

use letsema_protocol::sync::DocId;

use super::DatabaseError;

/// Why the sync store failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncStoreError {
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("document {0} changed while this request was processed; nothing was written: retry")]
    Conflict(DocId),
    #[error("a stored value is damaged: {0}")]
    Corrupt(String),
    /// SQLite could not write: the disk (or the database's size limit) is full. Nothing of
    /// the transaction was written.
    #[error("the server's disk is full")]
    DiskFull,
}
