//! [`IdbClientStore`]: the sync client's [`ClientStore`] over IndexedDB.
//!
//! The [`ClientStore`] trait is synchronous; IndexedDB is not. So the store loads what the
//! client needs into memory when it opens ([`IdbClientStore::open`]: every finalised
//! document's bytes, heads and acknowledged heads, and the sync state), serves the trait
//! from memory, and remembers what each call changed (a journal, compacted to the set of
//! changed documents and whether the sync state changed). [`IdbClientStore::flush`] writes
//! all of it to IndexedDB in one transaction and clears it.
//!
//! # The contract
//!
//! - **The sync loop calls `flush().await` after each `Client::handle_response`, and before
//!   sending the next request.** A crash (a reload, a dead battery) then loses at most the
//!   effects of the last response: the documents it brought and the acknowledgements and
//!   cursor it moved, all together, never the cursor without the documents. The protocol
//!   repeats them safely: changes pushed again are duplicates to the server, a page pulled
//!   again is applied again.
//! - **Local edits never wait for a flush.** They are written at once and awaited:
//!   [`IdbClientStore::save_local`] for a finalised submission, [`IdbClientStore::finalise`]
//!   for a draft that becomes one, and the draft API of [`Storage`] for drafts (which the
//!   sync client never sees). `Client::save_document` (which goes through the trait) is
//!   for tests: it would leave the edit in memory until the next flush.
//! - **Nothing is overwritten.** A flush (or a local save) reads each document it writes;
//!   when the stored heads are not what this store last wrote or read (another tab, an
//!   import), the stored copy is merged in before writing. Acknowledged heads stay this
//!   store's: lower than the truth only makes the next push repeat changes.
//!
//! Memory is the stored bytes of every finalised document (a few KiB each), not loaded
//! automerge documents: a phone with thousands of submissions holds megabytes, not more.
//! A document first seen from the server is stamped with the time it arrived; a local save
//! stamps the time of the edit.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;

use letsema_doc::SubmissionDoc;
use letsema_ids::{ChangeHash, DocId};
use letsema_sync::client_store::{ClientDoc, ClientStore, SyncState};
use letsema_sync::summary::HeadsIndex;
use letsema_web_shared::storage::raw::{
    DOCUMENTS, KEY_SYNC, STATE, all_documents, commit, get_document, is_unsynced,
    put_document_record, put_state, read_error, write_error,
};

use super::writes::{get_sync_state, merge_stored, open_bytes, sorted_heads, sync_record};
use super::{
    Backups, DocumentStorage, DocumentSummary, ImportReport, Storage, StorageError, StoredDocument,
    now_ms,
};

/// One document in memory.
#[derive(Debug, Clone)]
struct Entry {
    doc: ClientDoc,
    changed_at_ms: i64,
    /// The heads stored in IndexedDB when this entry last matched it (`None`: never
    /// written).
    disk_heads: Option<Vec<ChangeHash>>,
}

impl Entry {
    fn from_stored(stored: StoredDocument) -> Entry {
        Entry {
            disk_heads: Some(stored.heads.clone()),
            doc: ClientDoc {
                bytes: stored.bytes,
                heads: stored.heads,
                acked: stored.acked,
            },
            changed_at_ms: stored.changed_at_ms,
        }
    }
}

/// The sync client's store: IndexedDB, served from memory; see the module documentation for
/// the flush contract.
#[derive(Debug)]
pub struct IdbClientStore {
    storage: Storage,
    docs: BTreeMap<DocId, Entry>,
    state: SyncState,
    /// Documents changed through the trait since the last flush.
    dirty: BTreeSet<DocId>,
    /// Whether the sync state changed since the last flush.
    state_dirty: bool,
}

impl IdbClientStore {
    /// Loads every finalised document and the sync state from `storage`.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn open(storage: &Storage) -> Result<IdbClientStore, StorageError> {
        let (docs, state) = load(storage).await?;
        Ok(IdbClientStore {
            storage: storage.clone(),
            docs,
            state,
            dirty: BTreeSet::new(),
            state_dirty: false,
        })
    }

    /// The storage it writes to.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Whether changes wait for [`IdbClientStore::flush`].
    pub fn has_pending(&self) -> bool {
        !self.dirty.is_empty() || self.state_dirty
    }

    /// Writes every change made through the [`ClientStore`] trait since the last flush, in
    /// one transaction, and clears the journal. On failure the journal is kept: the next
    /// flush writes it all again.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`], or another [`StorageError`].
    pub async fn flush(&mut self) -> Result<(), StorageError> {
        if !self.has_pending() {
            return Ok(());
        }
        let ids: Vec<DocId> = self.dirty.iter().copied().collect();
        self.write_through(&ids, self.state_dirty).await?;
        for id in &ids {
            self.dirty.remove(id);
        }
        self.state_dirty = false;
        Ok(())
    }

    /// Stores a finalised submission after a local edit, at once: merges what this store
    /// holds of it into `doc` (changes the sync brought since `doc` was opened), stamps it
    /// changed now and writes it. Its acknowledged heads are kept.
    ///
    /// # Errors
    ///
    /// [`StorageError::QuotaExceeded`] (the edit stays in memory and is written by the next
    /// flush), [`StorageError::Document`], or another [`StorageError`].
    pub async fn save_local(&mut self, doc: &mut SubmissionDoc) -> Result<DocId, StorageError> {
        let id = DocId::from(&doc.meta().submission_id);
        if let Some(entry) = self.docs.get(&id) {
            merge_stored(doc, &entry.doc.bytes, &entry.doc.heads, id)?;
        }
        let bytes = doc.save();
        let heads = sorted_heads(doc);
        let entry = self.docs.entry(id).or_insert_with(|| Entry {
            doc: ClientDoc {
                bytes: Vec::new(),
                heads: Vec::new(),
                acked: Vec::new(),
            },
            changed_at_ms: 0,
            disk_heads: None,
        });
        entry.doc.bytes = bytes;
        entry.doc.heads = heads;
        entry.changed_at_ms = now_ms();
        self.dirty.insert(id);
        self.write_through(&[id], false).await?;
        self.dirty.remove(&id);
        Ok(id)
    }

    /// Finalises a draft ([`Storage::finalise`]) and takes the new document in, so that the
    /// next sync pushes it. Flushes first, so the finalised document is merged with
    /// everything this store holds of it.
    ///
    /// # Errors
    ///
    /// As [`Storage::finalise`] and [`IdbClientStore::flush`].
    pub async fn finalise(&mut self, draft: DocId) -> Result<(), StorageError> {
        self.flush().await?;
        let stored = self.storage.finalise(draft).await?;
        self.docs.insert(stored.id, Entry::from_stored(stored));
        Ok(())
    }

    /// Flushes, then reads every document and the sync state again (after another writer,
    /// such as a backup import, changed them).
    ///
    /// # Errors
    ///
    /// As [`IdbClientStore::flush`] and [`IdbClientStore::open`].
    pub async fn reload(&mut self) -> Result<(), StorageError> {
        self.flush().await?;
        let (docs, state) = load(&self.storage).await?;
        self.docs = docs;
        self.state = state;
        Ok(())
    }

    /// Imports a backup file ([`Storage::import_backup`]) and takes what it brought in.
    ///
    /// # Errors
    ///
    /// As [`Storage::import_backup`] and [`IdbClientStore::reload`].
    pub async fn import_backup(&mut self, bytes: &[u8]) -> Result<ImportReport, StorageError> {
        self.flush().await?;
        let report = self.storage.import_backup(bytes).await?;
        self.reload().await?;
        Ok(report)
    }

    /// How many finalised submissions hold changes the server has not acknowledged.
    pub fn unsynced_count(&self) -> usize {
        self.docs
            .values()
            .filter(|entry| entry.doc.is_unacked())
            .count()
    }

    /// When the oldest unsynced submission last changed on this device (ms since the Unix
    /// epoch): how long work has waited for a network.
    pub fn oldest_unsynced_ms(&self) -> Option<i64> {
        self.docs
            .values()
            .filter(|entry| entry.doc.is_unacked())
            .map(|entry| entry.changed_at_ms)
            .min()
    }

    /// Every finalised submission, in id order, for lists.
    pub fn documents(&self) -> Vec<DocumentSummary> {
        self.docs
            .iter()
            .map(|(id, entry)| DocumentSummary {
                id: *id,
                unsynced: entry.doc.is_unacked(),
                changed_at_ms: entry.changed_at_ms,
                size: entry.doc.bytes.len(),
            })
            .collect()
    }

    /// Writes the documents `ids` (and the sync state, when `with_state`) from memory in one
    /// transaction, merging in stored copies that another writer changed.
    async fn write_through(&mut self, ids: &[DocId], with_state: bool) -> Result<(), StorageError> {
        let tx = self.storage.write(&[DOCUMENTS, STATE])?;
        let documents = tx.object_store(DOCUMENTS).map_err(write_error)?;
        let mut written = Vec::with_capacity(ids.len());
        for &id in ids {
            let Some(entry) = self.docs.get_mut(&id) else {
                continue;
            };
            // The name the screens gave it stays (the sync never names a submission).
            let mut name = None;
            if let Some(stored) = get_document(&documents, id).await? {
                name = stored.name.clone();
                let foreign = entry.disk_heads.as_ref() != Some(&stored.heads)
                    && stored.heads != entry.doc.heads;
                if foreign {
                    let mut doc = open_bytes(&entry.doc.bytes, id)?;
                    if merge_stored(&mut doc, &stored.bytes, &stored.heads, id)? {
                        entry.doc.bytes = doc.save();
                        entry.doc.heads = sorted_heads(&mut doc);
                    }
                    entry.changed_at_ms = entry.changed_at_ms.max(stored.changed_at_ms);
                }
            }
            let record = StoredDocument {
                id,
                bytes: entry.doc.bytes.clone(),
                heads: entry.doc.heads.clone(),
                acked: entry.doc.acked.clone(),
                changed_at_ms: entry.changed_at_ms,
                name,
            };
            put_document_record(&documents, &record).await?;
            written.push((id, record.heads));
        }
        if with_state {
            let state = tx.object_store(STATE).map_err(write_error)?;
            put_state(&state, KEY_SYNC, &sync_record(&self.state)).await?;
        }
        commit(tx).await?;
        for (id, heads) in written {
            if let Some(entry) = self.docs.get_mut(&id) {
                entry.disk_heads = Some(heads);
            }
        }
        Ok(())
    }
}

/// Reads every document and the sync state.
async fn load(storage: &Storage) -> Result<(BTreeMap<DocId, Entry>, SyncState), StorageError> {
    let tx = storage.read(&[DOCUMENTS, STATE])?;
    let documents = tx.object_store(DOCUMENTS).map_err(read_error)?;
    let state = tx.object_store(STATE).map_err(read_error)?;
    let docs = all_documents(&documents)
        .await?
        .into_iter()
        .map(|stored| (stored.id, Entry::from_stored(stored)))
        .collect();
    let state = get_sync_state(&state).await?;
    Ok((docs, state))
}

impl ClientStore for IdbClientStore {
    type Error = Infallible;

    fn load(&self, doc: DocId) -> Result<Option<ClientDoc>, Infallible> {
        Ok(self.docs.get(&doc).map(|entry| entry.doc.clone()))
    }

    fn put(
        &mut self,
        doc: DocId,
        bytes: Vec<u8>,
        heads: Vec<ChangeHash>,
    ) -> Result<(), Infallible> {
        let entry = self.docs.entry(doc).or_insert_with(|| Entry {
            doc: ClientDoc {
                bytes: Vec::new(),
                heads: Vec::new(),
                acked: Vec::new(),
            },
            changed_at_ms: now_ms(),
            disk_heads: None,
        });
        entry.doc.bytes = bytes;
        entry.doc.heads = heads;
        self.dirty.insert(doc);
        Ok(())
    }

    fn set_acked(&mut self, doc: DocId, acked: Vec<ChangeHash>) -> Result<(), Infallible> {
        if let Some(entry) = self.docs.get_mut(&doc)
            && entry.doc.acked != acked
        {
            entry.doc.acked = acked;
            self.dirty.insert(doc);
        }
        Ok(())
    }

    fn unacked(&self) -> Result<Vec<DocId>, Infallible> {
        Ok(self
            .docs
            .iter()
            .filter(|(_, entry)| is_unsynced(&entry.doc.heads, &entry.doc.acked))
            .map(|(id, _)| *id)
            .collect())
    }

    fn heads_index(&self) -> Result<HeadsIndex, Infallible> {
        Ok(self
            .docs
            .iter()
            .map(|(id, entry)| (*id, entry.doc.heads.clone()))
            .collect())
    }

    fn state(&self) -> Result<SyncState, Infallible> {
        Ok(self.state)
    }

    fn set_state(&mut self, state: SyncState) -> Result<(), Infallible> {
        if self.state != state {
            self.state = state;
            self.state_dirty = true;
        }
        Ok(())
    }
}
