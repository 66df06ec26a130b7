//! The typed API over the stores: documents, drafts, forms and the single records of
//! `state`.

use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::Transaction;
use letsema_doc::{DeviceId, SessionId, SubmissionDoc, Writer};
use letsema_protocol::{DeviceForm, Enrolled};
use letsema_sync::client_store::SyncState;
use letsema_sync::wire::{ChangeHash, DocId};

use super::db::{
    DOCUMENTS, DRAFTS, FORMS, STATE, UNSYNCED_INDEX, commit, now_ms, read_error, write_error,
};
use super::records::{
    DocumentRecord, DraftRecord, EnrolmentRecord, FormRecord, KEY_ENROLMENT, KEY_SYNC,
    KEY_SYNC_STATUS, SyncRecord, SyncStatusRecord, corrupt, doc_key, sorted_heads,
};
use super::{Draft, Storage, StorageError, StoredDocument, SyncStatus};

impl Storage {
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
    pub async fn put_document(
        &self,
        doc: &mut SubmissionDoc,
    ) -> Result<StoredDocument, StorageError> {
        let id = DocId::from(&doc.meta().submission_id);
        let tx = self.write(&[DOCUMENTS])?;
        let store = tx.object_store(DOCUMENTS).map_err(write_error)?;
        let existing = get_document(&store, id).await?;
        let acked = match existing {
            Some(existing) => {
                merge_stored(doc, &existing.bytes, &existing.heads, id)?;
                existing.acked
            }
            None => Vec::new(),
        };
        let stored = StoredDocument {
            id,
            bytes: doc.save(),
            heads: sorted_heads(doc),
            acked,
            changed_at_ms: now_ms(),
        };
        put_document_record(&store, &stored).await?;
        commit(tx).await?;
        Ok(stored)
    }

    /// A stored finalised submission.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn document(&self, id: DocId) -> Result<Option<StoredDocument>, StorageError> {
        let tx = self.read(&[DOCUMENTS])?;
        let store = tx.object_store(DOCUMENTS).map_err(read_error)?;
        get_document(&store, id).await
    }

    /// Every stored finalised submission, in id order.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn documents(&self) -> Result<Vec<StoredDocument>, StorageError> {
        let tx = self.read(&[DOCUMENTS])?;
        let store = tx.object_store(DOCUMENTS).map_err(read_error)?;
        all_documents(&store).await
    }

    /// How many finalised submissions hold changes the server has not acknowledged (read
    /// from the index, without loading them).
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`].
    pub async fn unsynced_count(&self) -> Result<u32, StorageError> {
        let tx = self.read(&[DOCUMENTS])?;
        let store = tx.object_store(DOCUMENTS).map_err(read_error)?;
        let index = store.index(UNSYNCED_INDEX).map_err(read_error)?;
        index
            .count()
            .with_query(1u8)
            .primitive()
            .map_err(read_error)?
            .await
            .map_err(read_error)
    }

    /// Saves a draft (a submission being filled in) in `language`, stamped now. When the
    /// stored draft holds changes `doc` lacks (another tab, a backup import), they are merged
    /// into `doc` first.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`], [`StorageError::Document`], or another
    /// [`StorageError`].
    pub async fn put_draft(
        &self,
        doc: &mut SubmissionDoc,
        language: Option<&str>,
    ) -> Result<Draft, StorageError> {
        let id = DocId::from(&doc.meta().submission_id);
        let tx = self.write(&[DRAFTS])?;
        let store = tx.object_store(DRAFTS).map_err(write_error)?;
        if let Some(existing) = get_draft(&store, id).await? {
            merge_stored(doc, &existing.bytes, &existing.heads, id)?;
        }
        let draft = Draft {
            id,
            form_id: doc.meta().form_id.as_str().to_owned(),
            form_version: doc.meta().form_version.as_str().to_owned(),
            language: language.map(str::to_owned),
            updated_at_ms: now_ms(),
            bytes: doc.save(),
            heads: sorted_heads(doc),
        };
        put_draft_record(&store, &draft).await?;
        commit(tx).await?;
        Ok(draft)
    }

    /// A stored draft.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn draft(&self, id: DocId) -> Result<Option<Draft>, StorageError> {
        let tx = self.read(&[DRAFTS])?;
        let store = tx.object_store(DRAFTS).map_err(read_error)?;
        get_draft(&store, id).await
    }

    /// Every stored draft, in id order.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn drafts(&self) -> Result<Vec<Draft>, StorageError> {
        let tx = self.read(&[DRAFTS])?;
        let store = tx.object_store(DRAFTS).map_err(read_error)?;
        all_drafts(&store).await
    }

    /// Deletes a draft (the person discarded it). Returns whether there was one.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`].
    pub async fn delete_draft(&self, id: DocId) -> Result<bool, StorageError> {
        let tx = self.write(&[DRAFTS])?;
        let store = tx.object_store(DRAFTS).map_err(write_error)?;
        let existed = get_draft(&store, id).await?.is_some();
        if existed {
            store
                .delete(doc_key(id))
                .primitive()
                .map_err(write_error)?
                .await
                .map_err(write_error)?;
        }
        commit(tx).await?;
        Ok(existed)
    }

    /// Moves a draft into the finalised documents, in one transaction: the draft is gone
    /// and the document is there (unacknowledged, changed now), or nothing changed. When a
    /// document with that id already exists (a submission sent back for fixing), the draft
    /// is merged into it and its acknowledged heads are kept.
    ///
    /// # Errors
    ///
    /// [`StorageError::DraftNotFound`], [`StorageError::Document`] (the draft does not
    /// load), or another [`StorageError`].
    pub async fn finalise(&self, id: DocId) -> Result<StoredDocument, StorageError> {
        let tx = self.write(&[DRAFTS, DOCUMENTS])?;
        let drafts = tx.object_store(DRAFTS).map_err(write_error)?;
        let documents = tx.object_store(DOCUMENTS).map_err(write_error)?;
        let Some(draft) = get_draft(&drafts, id).await? else {
            return Err(StorageError::DraftNotFound { id: id.to_string() });
        };
        let mut doc = open_bytes(&draft.bytes, id)?;
        let acked = match get_document(&documents, id).await? {
            Some(existing) => {
                merge_stored(&mut doc, &existing.bytes, &existing.heads, id)?;
                existing.acked
            }
            None => Vec::new(),
        };
        let stored = StoredDocument {
            id,
            bytes: doc.save(),
            heads: sorted_heads(&mut doc),
            acked,
            changed_at_ms: now_ms(),
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

    /// Stores forms for offline use (replacing those with the same form id).
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn put_forms(&self, forms: &[DeviceForm]) -> Result<(), StorageError> {
        let tx = self.write(&[FORMS])?;
        let store = tx.object_store(FORMS).map_err(write_error)?;
        for form in forms {
            let json = serde_json::to_string(form).map_err(|error| StorageError::Browser {
                action: "save the form",
                reason: error.to_string(),
            })?;
            let record = FormRecord {
                form_id: form.form_id.clone(),
                version: form.version.clone(),
                json,
            };
            store
                .put(&record)
                .serde()
                .map_err(write_error)?
                .await
                .map_err(write_error)?;
        }
        commit(tx).await
    }

    /// A stored form.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn form(&self, form_id: &str) -> Result<Option<DeviceForm>, StorageError> {
        let tx = self.read(&[FORMS])?;
        let store = tx.object_store(FORMS).map_err(read_error)?;
        let record: Option<FormRecord> = store
            .get(form_id)
            .serde()
            .map_err(read_error)?
            .await
            .map_err(read_error)?;
        record.map(decode_form).transpose()
    }

    /// Every stored form, in form id order.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn forms(&self) -> Result<Vec<DeviceForm>, StorageError> {
        let tx = self.read(&[FORMS])?;
        let store = tx.object_store(FORMS).map_err(read_error)?;
        let records = store
            .get_all::<FormRecord>()
            .serde()
            .map_err(read_error)?
            .await
            .map_err(read_error)?;
        let mut forms = Vec::new();
        for record in records {
            forms.push(decode_form(record.map_err(read_error)?)?);
        }
        Ok(forms)
    }

    /// Deletes a stored form. Returns whether there was one.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`].
    pub async fn delete_form(&self, form_id: &str) -> Result<bool, StorageError> {
        let tx = self.write(&[FORMS])?;
        let store = tx.object_store(FORMS).map_err(write_error)?;
        let existing: Option<FormRecord> = store
            .get(form_id)
            .serde()
            .map_err(read_error)?
            .await
            .map_err(read_error)?;
        if existing.is_none() {
            return Ok(false);
        }
        store
            .delete(form_id)
            .primitive()
            .map_err(write_error)?
            .await
            .map_err(write_error)?;
        commit(tx).await?;
        Ok(true)
    }

    /// The stored enrolment (device and credential), if any.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn enrolment(&self) -> Result<Option<Enrolled>, StorageError> {
        let tx = self.read(&[STATE])?;
        let store = tx.object_store(STATE).map_err(read_error)?;
        let record = get_state::<EnrolmentRecord>(&store, KEY_ENROLMENT).await?;
        record
            .map(|record| {
                serde_json::from_str(&record.json)
                    .map_err(|error| corrupt("the enrolment".to_owned(), error.to_string()))
            })
            .transpose()
    }

    /// Stores the enrolment, replacing any.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn set_enrolment(&self, enrolled: &Enrolled) -> Result<(), StorageError> {
        let record = enrolment_record(enrolled)?;
        let tx = self.write(&[STATE])?;
        let store = tx.object_store(STATE).map_err(write_error)?;
        put_state(&store, KEY_ENROLMENT, &record).await?;
        commit(tx).await
    }

    /// Copies the enrolment that earlier versions kept in `localStorage`
    /// (`letsema.device.v1`) into IndexedDB, once: only when IndexedDB has none. The
    /// `localStorage` copy is left as it is. Returns whether it copied.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn migrate_enrolment_from_local_storage(&self) -> Result<bool, StorageError> {
        let Some(enrolled) = crate::enrol::stored() else {
            return Ok(false);
        };
        let record = enrolment_record(&enrolled)?;
        let tx = self.write(&[STATE])?;
        let store = tx.object_store(STATE).map_err(write_error)?;
        if get_state::<EnrolmentRecord>(&store, KEY_ENROLMENT)
            .await?
            .is_some()
        {
            return Ok(false);
        }
        put_state(&store, KEY_ENROLMENT, &record).await?;
        commit(tx).await?;
        Ok(true)
    }

    /// The stored sync state (cursor, next request id); the default when none is stored.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn sync_state(&self) -> Result<SyncState, StorageError> {
        let tx = self.read(&[STATE])?;
        let store = tx.object_store(STATE).map_err(read_error)?;
        get_sync_state(&store).await
    }

    /// Replaces the stored sync state. The sync client's store
    /// ([`IdbClientStore`](super::IdbClientStore)) writes it on its own; this is for tools
    /// and tests.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn set_sync_state(&self, state: SyncState) -> Result<(), StorageError> {
        let tx = self.write(&[STATE])?;
        let store = tx.object_store(STATE).map_err(write_error)?;
        put_state(&store, KEY_SYNC, &SyncRecord::new(&state)).await?;
        commit(tx).await
    }

    /// How the last syncs went.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn sync_status(&self) -> Result<SyncStatus, StorageError> {
        let tx = self.read(&[STATE])?;
        let store = tx.object_store(STATE).map_err(read_error)?;
        let record = get_state::<SyncStatusRecord>(&store, KEY_SYNC_STATUS).await?;
        Ok(record.unwrap_or_default().into())
    }

    /// Records a sync round that finished at `at_ms`; clears the last error.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn record_sync_success(&self, at_ms: i64) -> Result<(), StorageError> {
        let record = SyncStatusRecord {
            last_success: Some(at_ms),
            last_error: None,
            last_error_at: None,
        };
        let tx = self.write(&[STATE])?;
        let store = tx.object_store(STATE).map_err(write_error)?;
        put_state(&store, KEY_SYNC_STATUS, &record).await?;
        commit(tx).await
    }

    /// Records a sync round that failed at `at_ms` with `message` (for people: no personal
    /// data); keeps the time of the last success.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn record_sync_error(&self, at_ms: i64, message: &str) -> Result<(), StorageError> {
        let tx = self.write(&[STATE])?;
        let store = tx.object_store(STATE).map_err(write_error)?;
        let mut record = get_state::<SyncStatusRecord>(&store, KEY_SYNC_STATUS)
            .await?
            .unwrap_or_default();
        record.last_error = Some(message.to_owned());
        record.last_error_at = Some(at_ms);
        put_state(&store, KEY_SYNC_STATUS, &record).await?;
        commit(tx).await
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

pub(super) async fn get_document(
    store: &ObjectStore<'_>,
    id: DocId,
) -> Result<Option<StoredDocument>, StorageError> {
    let record: Option<DocumentRecord> = store
        .get(doc_key(id))
        .serde()
        .map_err(read_error)?
        .await
        .map_err(read_error)?;
    record.map(DocumentRecord::decode).transpose()
}

pub(super) async fn all_documents(
    store: &ObjectStore<'_>,
) -> Result<Vec<StoredDocument>, StorageError> {
    let records = store
        .get_all::<DocumentRecord>()
        .serde()
        .map_err(read_error)?
        .await
        .map_err(read_error)?;
    let mut documents = Vec::new();
    for record in records {
        documents.push(record.map_err(read_error)?.decode()?);
    }
    Ok(documents)
}

pub(super) async fn put_document_record(
    store: &ObjectStore<'_>,
    document: &StoredDocument,
) -> Result<(), StorageError> {
    store
        .put(&DocumentRecord::new(document))
        .serde()
        .map_err(write_error)?
        .await
        .map_err(write_error)
}

pub(super) async fn get_draft(
    store: &ObjectStore<'_>,
    id: DocId,
) -> Result<Option<Draft>, StorageError> {
    let record: Option<DraftRecord> = store
        .get(doc_key(id))
        .serde()
        .map_err(read_error)?
        .await
        .map_err(read_error)?;
    record.map(DraftRecord::decode).transpose()
}

pub(super) async fn all_drafts(store: &ObjectStore<'_>) -> Result<Vec<Draft>, StorageError> {
    let records = store
        .get_all::<DraftRecord>()
        .serde()
        .map_err(read_error)?
        .await
        .map_err(read_error)?;
    let mut drafts = Vec::new();
    for record in records {
        drafts.push(record.map_err(read_error)?.decode()?);
    }
    Ok(drafts)
}

pub(super) async fn put_draft_record(
    store: &ObjectStore<'_>,
    draft: &Draft,
) -> Result<(), StorageError> {
    store
        .put(&DraftRecord::new(draft))
        .serde()
        .map_err(write_error)?
        .await
        .map_err(write_error)
}

pub(super) async fn get_state<T: serde::de::DeserializeOwned>(
    store: &ObjectStore<'_>,
    key: &str,
) -> Result<Option<T>, StorageError> {
    store
        .get(key)
        .serde()
        .map_err(read_error)?
        .await
        .map_err(read_error)
}

pub(super) async fn put_state<T: serde::Serialize>(
    store: &ObjectStore<'_>,
    key: &str,
    record: &T,
) -> Result<(), StorageError> {
    store
        .put(record)
        .with_key(key)
        .without_key_type()
        .serde()
        .map_err(write_error)?
        .await
        .map_err(write_error)
}

pub(super) async fn get_sync_state(store: &ObjectStore<'_>) -> Result<SyncState, StorageError> {
    match get_state::<SyncRecord>(store, KEY_SYNC).await? {
        Some(record) => record.decode(),
        None => Ok(SyncState::default()),
    }
}

/// The device id of the stored enrolment, if any (for backups).
pub(super) async fn stored_device_id(tx: &Transaction<'_>) -> Result<Option<String>, StorageError> {
    let store = tx.object_store(STATE).map_err(read_error)?;
    let record = get_state::<EnrolmentRecord>(&store, KEY_ENROLMENT).await?;
    Ok(record
        .and_then(|record| serde_json::from_str::<Enrolled>(&record.json).ok())
        .map(|enrolled| enrolled.device.id))
}

fn enrolment_record(enrolled: &Enrolled) -> Result<EnrolmentRecord, StorageError> {
    let json = serde_json::to_string(enrolled).map_err(|error| StorageError::Browser {
        action: "save the enrolment",
        reason: error.to_string(),
    })?;
    Ok(EnrolmentRecord {
        json,
        stored_at: now_ms(),
    })
}

fn decode_form(record: FormRecord) -> Result<DeviceForm, StorageError> {
    serde_json::from_str(&record.json)
        .map_err(|error| corrupt(format!("form {}", record.form_id), error.to_string()))
}
