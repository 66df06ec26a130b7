//! The typed API over the stores: documents, drafts, forms and the single records of
//! `state`, for what reads or writes them without opening a submission document (the
//! second module's writes, which merge documents, are built from the `pub` functions at
//! the end).

use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::Transaction;
use letsema_ids::DocId;
use letsema_protocol::{DeviceForm, Enrolled};

use super::db::{
    DOCUMENTS, DRAFTS, FORMS, STATE, UNSYNCED_INDEX, commit, now_ms, read_error, write_error,
};
use super::records::{
    DocumentRecord, DraftRecord, EnrolmentRecord, FormRecord, KEY_ENROLMENT, KEY_SYNC_STATUS,
    SyncStatusRecord, corrupt, doc_key,
};
use super::{Draft, Storage, StorageError, StoredDocument, SyncStatus};

impl Storage {
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

    /// Stores the enrolment only when none is stored (what the app does at start-up with
    /// the copy earlier versions kept in `localStorage`). Returns whether it stored it.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] or another [`StorageError`].
    pub async fn set_enrolment_if_none(&self, enrolled: &Enrolled) -> Result<bool, StorageError> {
        let record = enrolment_record(enrolled)?;
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

pub async fn get_document(
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

pub async fn all_documents(store: &ObjectStore<'_>) -> Result<Vec<StoredDocument>, StorageError> {
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

pub async fn put_document_record(
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

pub async fn get_draft(store: &ObjectStore<'_>, id: DocId) -> Result<Option<Draft>, StorageError> {
    let record: Option<DraftRecord> = store
        .get(doc_key(id))
        .serde()
        .map_err(read_error)?
        .await
        .map_err(read_error)?;
    record.map(DraftRecord::decode).transpose()
}

pub async fn all_drafts(store: &ObjectStore<'_>) -> Result<Vec<Draft>, StorageError> {
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

pub async fn put_draft_record(store: &ObjectStore<'_>, draft: &Draft) -> Result<(), StorageError> {
    store
        .put(&DraftRecord::new(draft))
        .serde()
        .map_err(write_error)?
        .await
        .map_err(write_error)
}

pub async fn get_state<T: serde::de::DeserializeOwned>(
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

pub async fn put_state<T: serde::Serialize>(
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

/// The device id of the stored enrolment, if any (for backups).
pub async fn stored_device_id(tx: &Transaction<'_>) -> Result<Option<String>, StorageError> {
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
