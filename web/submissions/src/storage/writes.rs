//! The writes that open submission documents: a finalised submission or a draft stored
//! merged with what is stored, a draft finalised, and the sync client's state. The plain
//! reads and writes are [`Storage`]'s own (`letsema-web-shared`); these are built from its
//! [`raw`](letsema_web_shared::storage::raw) pieces.

use std::future::Future;

use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use letsema_doc::{DeviceId, SessionId, SubmissionDoc, Writer};
use letsema_ids::{ChangeHash, DocId};
use letsema_sync::client_store::SyncState;
use letsema_sync::wire::Cursor;
use letsema_web_shared::storage::raw::{
    DOCUMENTS, DRAFTS, KEY_SYNC, STATE, SyncRecord, commit, corrupt, doc_key, get_document,
    get_draft, get_state, put_document_record, put_draft_record, put_state, read_error,
    write_error,
};

use super::{Draft, Storage, StorageError, StoredDocument, now_ms};

/// What the app's database does with submission documents: the writes that merge them
/// with what is stored, and the sync client's state. [`Storage`] does it.
pub trait DocumentStorage {
    /// Stores a finalised submission after a local edit, keeping its acknowledged heads
    /// (none for a new one) and stamping it changed now. When the stored copy holds changes
    /// `doc` lacks (a sync, another tab), they are merged into `doc` first, so nothing is
    /// overwritten.
    ///
    /// With an [`IdbClientStore`](super::IdbClientStore) open, edit through
    /// [`IdbClientStore::save_local`](super::IdbClientStore::save_local) instead, which
    /// also updates the sync client's view.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`], [`StorageError::Document`] (the stored copy is
    /// another submission or unreadable), or another [`StorageError`].
    fn put_document(
        &self,
        doc: &mut SubmissionDoc,
    ) -> impl Future<Output = Result<StoredDocument, StorageError>>;

    /// [`put_document`](Self::put_document), and names it `name` (the form's
    /// `instance_name` as the screens computed it; `None`: it has none). `put_document`
    /// keeps the stored name.
    ///
    /// # Errors
    ///
    /// As [`put_document`](Self::put_document).
    fn put_named_document(
        &self,
        doc: &mut SubmissionDoc,
        name: Option<&str>,
    ) -> impl Future<Output = Result<StoredDocument, StorageError>>;

    /// Saves a draft (a submission being filled in) in `language`, stamped now. When the
    /// stored draft holds changes `doc` lacks (another tab, a backup import), they are merged
    /// into `doc` first.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`], [`StorageError::Document`], or another
    /// [`StorageError`].
    fn put_draft(
        &self,
        doc: &mut SubmissionDoc,
        language: Option<&str>,
    ) -> impl Future<Output = Result<Draft, StorageError>>;

    /// [`put_draft`](Self::put_draft), and names it `name` (the form's `instance_name` as
    /// the screens computed it; `None`: it has none). `put_draft` keeps the stored name.
    ///
    /// # Errors
    ///
    /// As [`put_draft`](Self::put_draft).
    fn put_named_draft(
        &self,
        doc: &mut SubmissionDoc,
        language: Option<&str>,
        name: Option<&str>,
    ) -> impl Future<Output = Result<Draft, StorageError>>;

    /// Moves a draft into the finalised documents, in one transaction: the draft is gone
    /// and the document is there (unacknowledged, changed now, with the draft's name), or
    /// nothing changed. When a document with that id already exists (a submission sent back
    /// for fixing), the draft is merged into it and its acknowledged heads are kept (and its
    /// name, when the draft has none).
    ///
    /// # Errors
    ///
    /// [`StorageError::DraftNotFound`], [`StorageError::Document`] (the draft does not
    /// load), or another [`StorageError`].
    fn finalise(&self, id: DocId) -> impl Future<Output = Result<StoredDocument, StorageError>>;

    /// The stored sync state (cursor, next request id); the default when none is stored.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    fn sync_state(&self) -> impl Future<Output = Result<SyncState, StorageError>>;

    /// Replaces the stored sync state. The sync client's store
    /// ([`IdbClientStore`](super::IdbClientStore)) writes it on its own; this is for tools
    /// and tests.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    fn set_sync_state(&self, state: SyncState) -> impl Future<Output = Result<(), StorageError>>;
}

/// The name a write gives a submission or a draft.
#[derive(Debug, Clone, Copy)]
enum Naming<'a> {
    /// The name stored, if any.
    Keep,
    /// This one (`None`: no name).
    Set(Option<&'a str>),
}

impl Naming<'_> {
    /// The name to store, given the stored one.
    fn name(self, stored: Option<String>) -> Option<String> {
        match self {
            Naming::Keep => stored,
            Naming::Set(name) => name.map(str::to_owned),
        }
    }
}

impl DocumentStorage for Storage {
    async fn put_document(&self, doc: &mut SubmissionDoc) -> Result<StoredDocument, StorageError> {
        write_document(self, doc, Naming::Keep).await
    }

    async fn put_named_document(
        &self,
        doc: &mut SubmissionDoc,
        name: Option<&str>,
    ) -> Result<StoredDocument, StorageError> {
        write_document(self, doc, Naming::Set(name)).await
    }

    async fn put_draft(
        &self,
        doc: &mut SubmissionDoc,
        language: Option<&str>,
    ) -> Result<Draft, StorageError> {
        write_draft(self, doc, language, Naming::Keep).await
    }

    async fn put_named_draft(
        &self,
        doc: &mut SubmissionDoc,
        language: Option<&str>,
        name: Option<&str>,
    ) -> Result<Draft, StorageError> {
        write_draft(self, doc, language, Naming::Set(name)).await
    }

    async fn finalise(&self, id: DocId) -> Result<StoredDocument, StorageError> {
        let tx = self.write(&[DRAFTS, DOCUMENTS])?;
        let drafts = tx.object_store(DRAFTS).map_err(write_error)?;
        let documents = tx.object_store(DOCUMENTS).map_err(write_error)?;
        let Some(draft) = get_draft(&drafts, id).await? else {
            return Err(StorageError::DraftNotFound { id: id.to_string() });
        };
        let mut doc = open_bytes(&draft.bytes, id)?;
        let (acked, name) = match get_document(&documents, id).await? {
            Some(existing) => {
                merge_stored(&mut doc, &existing.bytes, &existing.heads, id)?;
                (existing.acked, draft.name.or(existing.name))
            }
            None => (Vec::new(), draft.name),
        };
        let stored = StoredDocument {
            id,
            bytes: doc.save(),
            heads: sorted_heads(&mut doc),
            acked,
            changed_at_ms: now_ms(),
            name,
        };
        put_document_record(&documents, &stored).await?;
        drafts
            .delete(doc_key(id))
            .primitive()
            .map_err(write_error)?
            .await
            .map_err(write_error)?;
        commit(tx).await?;
        Ok(stored)
    }

    async fn sync_state(&self) -> Result<SyncState, StorageError> {
        let tx = self.read(&[STATE])?;
        let store = tx.object_store(STATE).map_err(read_error)?;
        get_sync_state(&store).await
    }

    async fn set_sync_state(&self, state: SyncState) -> Result<(), StorageError> {
        let tx = self.write(&[STATE])?;
        let store = tx.object_store(STATE).map_err(write_error)?;
        put_state(&store, KEY_SYNC, &sync_record(&state)).await?;
        commit(tx).await
    }
}

/// [`DocumentStorage::put_document`], naming it as `naming` says.
async fn write_document(
    storage: &Storage,
    doc: &mut SubmissionDoc,
    naming: Naming<'_>,
) -> Result<StoredDocument, StorageError> {
    let id = DocId::from(&doc.meta().submission_id);
    let tx = storage.write(&[DOCUMENTS])?;
    let store = tx.object_store(DOCUMENTS).map_err(write_error)?;
    let existing = get_document(&store, id).await?;
    let (acked, name) = match existing {
        Some(existing) => {
            merge_stored(doc, &existing.bytes, &existing.heads, id)?;
            (existing.acked, existing.name)
        }
        None => (Vec::new(), None),
    };
    let stored = StoredDocument {
        id,
        bytes: doc.save(),
        heads: sorted_heads(doc),
        acked,
        changed_at_ms: now_ms(),
        name: naming.name(name),
    };
    put_document_record(&store, &stored).await?;
    commit(tx).await?;
    Ok(stored)
}

/// [`DocumentStorage::put_draft`], naming it as `naming` says.
async fn write_draft(
    storage: &Storage,
    doc: &mut SubmissionDoc,
    language: Option<&str>,
    naming: Naming<'_>,
) -> Result<Draft, StorageError> {
    let id = DocId::from(&doc.meta().submission_id);
    let tx = storage.write(&[DRAFTS])?;
    let store = tx.object_store(DRAFTS).map_err(write_error)?;
    let mut name = None;
    if let Some(existing) = get_draft(&store, id).await? {
        merge_stored(doc, &existing.bytes, &existing.heads, id)?;
        name = existing.name;
    }
    let draft = Draft {
        id,
        form_id: doc.meta().form_id.as_str().to_owned(),
        form_version: doc.meta().form_version.as_str().to_owned(),
        language: language.map(str::to_owned),
        updated_at_ms: now_ms(),
        bytes: doc.save(),
        heads: sorted_heads(doc),
        name: naming.name(name),
        started_at_ms: Some(doc.meta().created_at.0),
    };
    put_draft_record(&store, &draft).await?;
    commit(tx).await?;
    Ok(draft)
}

/// Opening a stored submission or draft as a document.
pub trait OpenStored {
    /// Opens it for `writer`.
    ///
    /// # Errors
    ///
    /// [`StorageError::Document`] when the bytes do not load.
    fn open(&self, writer: Writer) -> Result<SubmissionDoc, StorageError>;
}

impl OpenStored for StoredDocument {
    fn open(&self, writer: Writer) -> Result<SubmissionDoc, StorageError> {
        SubmissionDoc::load(&self.bytes, writer).map_err(|error| StorageError::Document {
            id: self.id.to_string(),
            reason: error.to_string(),
        })
    }
}

impl OpenStored for Draft {
    fn open(&self, writer: Writer) -> Result<SubmissionDoc, StorageError> {
        SubmissionDoc::load(&self.bytes, writer).map_err(|error| StorageError::Document {
            id: self.id.to_string(),
            reason: error.to_string(),
        })
    }
}

/// The writer documents are opened with here: storage only reads and merges them, never
/// writes a change with it.
pub(super) fn reader() -> Result<Writer, StorageError> {
    let device = DeviceId::parse("storage").map_err(|error| StorageError::Browser {
        action: "open a submission",
        reason: error.to_string(),
    })?;
    let session = SessionId::from_bytes(&[0; 16]).map_err(|error| StorageError::Browser {
        action: "open a submission",
        reason: error.to_string(),
    })?;
    Ok(Writer::new(device, session, None))
}

/// Loads stored bytes of submission `id`.
pub(super) fn open_bytes(bytes: &[u8], id: DocId) -> Result<SubmissionDoc, StorageError> {
    SubmissionDoc::load(bytes, reader()?).map_err(|error| StorageError::Document {
        id: id.to_string(),
        reason: error.to_string(),
    })
}

/// Merges a stored copy (`bytes` with `heads`) into `doc` when `doc` lacks some of its
/// changes.
pub(super) fn merge_stored(
    doc: &mut SubmissionDoc,
    bytes: &[u8],
    heads: &[ChangeHash],
    id: DocId,
) -> Result<bool, StorageError> {
    if doc.has_changes(heads) {
        return Ok(false);
    }
    let mut stored = open_bytes(bytes, id)?;
    doc.merge(&mut stored)
        .map_err(|error| StorageError::Document {
            id: id.to_string(),
            reason: error.to_string(),
        })?;
    Ok(true)
}

pub(super) async fn get_sync_state(store: &ObjectStore<'_>) -> Result<SyncState, StorageError> {
    match get_state::<SyncRecord>(store, KEY_SYNC).await? {
        Some(record) => sync_state_from(record),
        None => Ok(SyncState::default()),
    }
}

/// A document's heads, sorted.
pub(super) fn sorted_heads(doc: &mut SubmissionDoc) -> Vec<ChangeHash> {
    let mut heads = doc.heads();
    heads.sort_unstable();
    heads.dedup();
    heads
}

/// The sync state as its record (64-bit numbers as decimal strings).
pub(super) fn sync_record(state: &SyncState) -> SyncRecord {
    SyncRecord {
        cursor_epoch: state.cursor.map(|cursor| cursor.epoch.to_string()),
        cursor_seq: state.cursor.map(|cursor| cursor.seq.to_string()),
        next_request_id: state.next_request_id.to_string(),
    }
}

/// The sync state a record holds.
pub(super) fn sync_state_from(record: SyncRecord) -> Result<SyncState, StorageError> {
    let number = |text: &str| {
        text.parse::<u64>()
            .map_err(|error| corrupt("sync state".to_owned(), format!("`{text}`: {error}")))
    };
    let cursor = match (&record.cursor_epoch, &record.cursor_seq) {
        (Some(epoch), Some(seq)) => Some(Cursor {
            epoch: number(epoch)?,
            seq: number(seq)?,
        }),
        _ => None,
    };
    Ok(SyncState {
        cursor,
        next_request_id: number(&record.next_request_id)?,
    })
}
