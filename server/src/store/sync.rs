//! The sync protocol's storage: its error and how documents' ids, heads and owners are
//! stored, whatever the backend. The [`letsema_sync::store::ServerStore`]s are
//! `sqlite/sync.rs` and `postgres/sync.rs`.

use letsema_doc::{AssociationId, DeviceId};
use letsema_protocol::sync::{ChangeHash, DocId};
use letsema_sync::store::DocMeta;

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

/// Heads as the databases keep them: the sorted 32-byte hashes, concatenated.
pub(crate) fn heads_to_blob(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Heads from their stored form.
pub(crate) fn heads_from_blob(blob: &[u8]) -> Result<Vec<ChangeHash>, SyncStoreError> {
    if !blob.len().is_multiple_of(32) {
        return Err(SyncStoreError::Corrupt(
            "stored heads are not 32-byte hashes".to_owned(),
        ));
    }
    Ok(blob
        .chunks_exact(32)
        .map(|chunk| {
            let mut hash = [0u8; 32];
            hash.copy_from_slice(chunk);
            ChangeHash(hash)
        })
        .collect())
}

/// A document id from its stored 16 bytes.
pub(crate) fn doc_id_from_blob(blob: &[u8]) -> Result<DocId, SyncStoreError> {
    <[u8; 16]>::try_from(blob)
        .map(DocId)
        .map_err(|_| SyncStoreError::Corrupt("a stored document id is not 16 bytes".to_owned()))
}

/// A document's meta from its stored creator and association.
pub(crate) fn meta(
    creator: String,
    association: Option<String>,
) -> Result<DocMeta, SyncStoreError> {
    Ok(DocMeta {
        creator: DeviceId::parse(&creator).map_err(|e| SyncStoreError::Corrupt(e.to_string()))?,
        association: association
            .map(|a| AssociationId::parse(&a).map_err(|e| SyncStoreError::Corrupt(e.to_string())))
            .transpose()?,
    })
}
