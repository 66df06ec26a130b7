//! Where the server keeps documents and its change log: the [`ServerStore`] trait and an
//! in-memory implementation for tests and simulations.
//!
//! # The transactional contract
//!
//! The real server implements [`ServerStore`] over SQLite (documents, heads and meta in one
//! table, the change log in another, the epoch in a third). What the sync relies on:
//!
//! 1. **[`ServerStore::commit`] is atomic and durable.** Either every document of the batch
//!    (new bytes, heads, meta) and every log entry is stored, or nothing is; it returns only
//!    after the data would survive a power cut (SQLite: one `BEGIN IMMEDIATE … COMMIT` in WAL
//!    mode with `synchronous=full`). Only then does the server answer `Committed`.
//! 2. **Optimistic concurrency.** Each [`CommitDoc`] names the heads it was computed from
//!    (`base_heads`, `None` for a new document). If a document's stored heads differ (another
//!    request committed to it in between), the whole batch fails with nothing written and the
//!    server reports a retryable `StoreFailed`. SQLite: compare inside the transaction.
//! 3. **The log is append-only and ordered.** Each committed document gets one log entry with
//!    the next sequence number (strictly increasing, never reused within an epoch), holding
//!    only the changes that were new. [`ServerStore::log_page`] sees only committed entries.
//! 4. **The epoch identifies the store's history.** It is random, made when the store is
//!    created, and made anew whenever the store is restored from a backup or replaced, so a
//!    device's cursor from before the restore is never trusted.
//! 5. **Summaries are consistent with the log.** [`ServerStore::heads_index`] returns the
//!    heads and the last sequence number from one snapshot (one read transaction).

use std::collections::{BTreeMap, BTreeSet};

use letsema_doc::{AssociationId, DeviceId, SubmissionDoc};

use crate::cache::DocCache;
use letsema_protocol::sync::{ChangeHash, DocId};

use crate::summary::HeadsIndex;

/// Who is calling: computed by the HTTP layer from the credential, never from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The enrolled device making the request. Changes it pushes must be written by actors
    /// of this device.
    pub device: DeviceId,
    /// What it may see and change.
    pub scope: Scope,
    /// The association every document it creates must belong to: an enrolled phone's, or a
    /// public link's. `None`: any association its scope allows.
    pub association: Option<AssociationId>,
}

/// Which documents a caller may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The documents this device created (a volunteer's phone, a survey taker's browser).
    Device(DeviceId),
    /// The documents of some associations: a coordinator's one, or the list a reviewer is
    /// limited to.
    Associations(BTreeSet<AssociationId>),
    /// Every document (IOM and ministry staff).
    All,
}

impl Scope {
    /// Whether a document with `meta` is in this scope.
    pub fn contains(&self, meta: &DocMeta) -> bool {
        match self {
            Scope::Device(device) => &meta.creator == device,
            Scope::Associations(associations) => meta
                .association
                .as_ref()
                .is_some_and(|association| associations.contains(association)),
            Scope::All => true,
        }
    }
}

/// What the store knows about a document beyond its bytes: what scopes are decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocMeta {
    /// The device that created it (from the document's meta, checked at its first push).
    pub creator: DeviceId,
    /// Its association, if any.
    pub association: Option<AssociationId>,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    /// The saved automerge document.
    pub bytes: Vec<u8>,
    /// Its heads, sorted.
    pub heads: Vec<ChangeHash>,
    /// Its meta.
    pub meta: DocMeta,
}

/// One document's part of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDoc {
    /// The document.
    pub doc: DocId,
    /// Its meta (unchanged for an existing document).
    pub meta: DocMeta,
    /// The heads the new state was computed from; `None` for a new document.
    pub base_heads: Option<Vec<ChangeHash>>,
    /// The whole document after the new changes, loadable by `SubmissionDoc::load`: a
    /// saved document, or, for a new one, its change chunks (a store may instead append
    /// `changes` to what it has).
    pub document: Vec<u8>,
    /// The heads after the new changes, sorted.
    pub heads: Vec<ChangeHash>,
    /// Only the new change chunks: the log entry's content.
    pub changes: Vec<u8>,
    /// The device that pushed them (its own pulls skip the entry).
    pub origin: DeviceId,
}

/// One entry of the change log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Its sequence number.
    pub seq: u64,
    /// The document.
    pub doc: DocId,
    /// The change chunks that were new when it was committed.
    pub changes: Vec<u8>,
}

/// A page of the log for one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage {
    /// The entries, in sequence order.
    pub entries: Vec<LogEntry>,
    /// The sequence number scanned up to (including skipped entries): the next cursor.
    pub last_seq: u64,
    /// Whether entries follow `last_seq`.
    pub more: bool,
}

/// Builds a [`LogPage`] within a byte and document budget, so every [`ServerStore`] pages
/// the same way: the store offers, in sequence order, the entries the caller may see, and
/// tells which others it scanned past.
#[derive(Debug)]
pub struct LogPageBuilder {
    page: LogPage,
    bytes: usize,
    docs: std::collections::BTreeSet<DocId>,
    max_bytes: usize,
    max_docs: usize,
}

impl LogPageBuilder {
    /// An empty page after sequence number `after`.
    pub fn new(after: u64, max_bytes: usize, max_docs: usize) -> Self {
        LogPageBuilder {
            page: LogPage {
                entries: Vec::new(),
                last_seq: after,
                more: false,
            },
            bytes: 0,
            docs: std::collections::BTreeSet::new(),
            max_bytes,
            max_docs,
        }
    }

    /// Adds an entry the caller may see. Returns `false`, and marks the page as having
    /// more, when it does not fit; a page always takes its first entry.
    pub fn offer(&mut self, entry: &LogEntry) -> bool {
        let new_doc = !self.docs.contains(&entry.doc);
        let full = self.bytes + entry.changes.len() > self.max_bytes
            || (new_doc && self.docs.len() >= self.max_docs);
        if full && !self.page.entries.is_empty() {
            self.page.more = true;
            return false;
        }
        self.bytes += entry.changes.len();
        self.docs.insert(entry.doc);
        self.page.last_seq = self.page.last_seq.max(entry.seq);
        self.page.entries.push(entry.clone());
        true
    }

    /// The scan went past `seq` (entries the caller may not see, or the end of the log):
    /// the cursor may move there.
    pub fn scanned(&mut self, seq: u64) {
        if !self.page.more {
            self.page.last_seq = self.page.last_seq.max(seq);
        }
    }

    /// The page.
    pub fn finish(self) -> LogPage {
        self.page
    }
}

/// The server's storage; see the module documentation for the contract.
pub trait ServerStore {
    /// A storage failure.
    type Error: std::error::Error + 'static;

    /// The store's epoch.
    fn epoch(&self) -> u64;

    /// A document, if stored.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn load(&self, doc: DocId) -> Result<Option<StoredDoc>, Self::Error>;

    /// Told the documents a push names before they are [`ServerStore::load`]ed one by one, a
    /// store whose every read is a round trip (PostgreSQL) may learn in one query which of
    /// them are not stored, and answer their `load` without asking again. The answer may be
    /// out of date by the time of the commit: the commit's check (rule 2) still decides. The
    /// default does nothing, for stores whose reads are cheap.
    ///
    /// # Errors
    ///
    /// A storage failure; the loads that follow then ask the store themselves.
    fn prefetch(&self, docs: &[DocId]) -> Result<(), Self::Error> {
        let _ = docs;
        Ok(())
    }

    /// Commits a batch atomically and durably, or nothing; returns each document's log
    /// sequence number, in batch order.
    ///
    /// # Errors
    ///
    /// A storage failure or a conflicting concurrent commit; nothing was written.
    fn commit(&mut self, batch: Vec<CommitDoc>) -> Result<Vec<u64>, Self::Error>;

    /// Log entries after `after` for documents in `scope`, skipping entries pushed by
    /// `exclude`, up to `max_bytes` of changes (at least one entry when any is left) and
    /// `max_docs` distinct documents.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn log_page(
        &self,
        after: u64,
        scope: &Scope,
        exclude: &DeviceId,
        max_bytes: usize,
        max_docs: usize,
    ) -> Result<LogPage, Self::Error>;

    /// The heads of every document in `scope`, and the last log sequence number, from one
    /// snapshot.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn heads_index(&self, scope: &Scope) -> Result<(HeadsIndex, u64), Self::Error>;

    /// The last sequence number committed (0 for an empty log).
    fn last_seq(&self) -> u64;

    /// A loaded copy of `doc` as it is at `heads`, if the store keeps loaded documents in a
    /// cache; saves decoding the stored bytes again. The default keeps none.
    fn cached(&self, doc: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        let _ = (doc, heads);
        None
    }

    /// Offers the loaded copy of `doc` just committed at `heads` (saved, `saved_bytes` long) to
    /// the cache, if any. Called only after the commit that stored it succeeded.
    fn remember(
        &self,
        doc: DocId,
        heads: &[ChangeHash],
        loaded: SubmissionDoc,
        saved_bytes: usize,
    ) {
        let _ = (doc, heads, loaded, saved_bytes);
    }
}

/// A boxed store is a store, so that a server may hand the sync its storage as a trait
/// object (`Box<dyn ServerStore<Error = E>>`) chosen at run time.
impl<S: ServerStore + ?Sized> ServerStore for Box<S> {
    type Error = S::Error;

    fn epoch(&self) -> u64 {
        (**self).epoch()
    }

    fn load(&self, doc: DocId) -> Result<Option<StoredDoc>, Self::Error> {
        (**self).load(doc)
    }

    fn prefetch(&self, docs: &[DocId]) -> Result<(), Self::Error> {
        (**self).prefetch(docs)
    }

    fn commit(&mut self, batch: Vec<CommitDoc>) -> Result<Vec<u64>, Self::Error> {
        (**self).commit(batch)
    }

    fn log_page(
        &self,
        after: u64,
        scope: &Scope,
        exclude: &DeviceId,
        max_bytes: usize,
        max_docs: usize,
    ) -> Result<LogPage, Self::Error> {
        (**self).log_page(after, scope, exclude, max_bytes, max_docs)
    }

    fn heads_index(&self, scope: &Scope) -> Result<(HeadsIndex, u64), Self::Error> {
        (**self).heads_index(scope)
    }

    fn last_seq(&self) -> u64 {
        (**self).last_seq()
    }

    fn cached(&self, doc: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        (**self).cached(doc, heads)
    }

    fn remember(
        &self,
        doc: DocId,
        heads: &[ChangeHash],
        loaded: SubmissionDoc,
        saved_bytes: usize,
    ) {
        (**self).remember(doc, heads, loaded, saved_bytes);
    }
}

/// Why the in-memory store refused a commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryStoreError {
    /// A test asked the next commit to fail.
    #[error("the store failed to commit (simulated); nothing was written: retry later")]
    Simulated,
    /// A document changed since it was loaded.
    #[error("document {doc} changed while this request was processed; nothing was written: retry")]
    Conflict {
        /// The document.
        doc: DocId,
    },
}

/// Everything durable of a [`MemoryServerStore`]: what a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    docs: BTreeMap<DocId, StoredDoc>,
    log: Vec<(LogEntry, DeviceId)>,
}

/// A [`ServerStore`] in memory, for tests and simulations. Everything in it is "durable":
/// [`MemoryServerStore::restart`] keeps it all; [`MemoryServerStore::restore`] rolls back to
/// a [`Snapshot`] under a new epoch, as restoring a backup does.
#[derive(Debug)]
pub struct MemoryServerStore {
    epoch: u64,
    state: Snapshot,
    fail_next_commit: bool,
    commits: u64,
    cache: DocCache,
    /// The documents of each [`ServerStore::prefetch`] call, for tests to see.
    prefetches: std::sync::Mutex<Vec<Vec<DocId>>>,
}

/// A copy of the durable state, as another process opening the same data would have: its
/// cache starts empty.
impl Clone for MemoryServerStore {
    fn clone(&self) -> Self {
        MemoryServerStore {
            epoch: self.epoch,
            state: self.state.clone(),
            fail_next_commit: self.fail_next_commit,
            commits: self.commits,
            cache: DocCache::default(),
            prefetches: std::sync::Mutex::default(),
        }
    }
}

impl MemoryServerStore {
    /// An empty store with `epoch` (the caller's random number: this crate has no randomness).
    pub fn new(epoch: u64) -> MemoryServerStore {
        MemoryServerStore {
            epoch,
            state: Snapshot {
                docs: BTreeMap::new(),
                log: Vec::new(),
            },
            fail_next_commit: false,
            commits: 0,
            cache: DocCache::default(),
            prefetches: std::sync::Mutex::default(),
        }
    }

    /// A copy of everything durable, as a backup would take.
    pub fn snapshot(&self) -> Snapshot {
        self.state.clone()
    }

    /// The store after a process restart: everything durable is kept, the epoch too; the
    /// cache of loaded documents is lost.
    pub fn restart(self) -> MemoryServerStore {
        MemoryServerStore {
            fail_next_commit: false,
            cache: DocCache::default(),
            prefetches: std::sync::Mutex::default(),
            ..self
        }
    }

    /// The store restored from `snapshot`, with a new epoch: commits made after the snapshot
    /// are gone.
    pub fn restore(snapshot: Snapshot, new_epoch: u64) -> MemoryServerStore {
        MemoryServerStore {
            epoch: new_epoch,
            state: snapshot,
            fail_next_commit: false,
            commits: 0,
            cache: DocCache::default(),
            prefetches: std::sync::Mutex::default(),
        }
    }

    /// The cache of loaded documents.
    pub fn cache(&self) -> &DocCache {
        &self.cache
    }

    /// Makes the next commit fail with nothing written.
    pub fn fail_next_commit(&mut self) {
        self.fail_next_commit = true;
    }

    /// How many documents are stored.
    pub fn doc_count(&self) -> usize {
        self.state.docs.len()
    }

    /// How many entries the log has.
    pub fn log_len(&self) -> usize {
        self.state.log.len()
    }

    /// How many successful commits this store instance made.
    pub fn commits(&self) -> u64 {
        self.commits
    }

    /// The stored documents' ids.
    pub fn doc_ids(&self) -> Vec<DocId> {
        self.state.docs.keys().copied().collect()
    }

    /// The documents each [`ServerStore::prefetch`] call named, oldest first.
    pub fn prefetches(&self) -> Vec<Vec<DocId>> {
        self.prefetches
            .lock()
            .map(|calls| calls.clone())
            .unwrap_or_default()
    }
}

impl ServerStore for MemoryServerStore {
    type Error = MemoryStoreError;

    fn cached(&self, doc: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        self.cache.get(doc, heads)
    }

    fn remember(
        &self,
        doc: DocId,
        heads: &[ChangeHash],
        loaded: SubmissionDoc,
        saved_bytes: usize,
    ) {
        self.cache.put(doc, heads, loaded, saved_bytes);
    }

    fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Records the call; reads from memory are cheap, so nothing is read ahead.
    fn prefetch(&self, docs: &[DocId]) -> Result<(), MemoryStoreError> {
        if let Ok(mut calls) = self.prefetches.lock() {
            calls.push(docs.to_vec());
        }
        Ok(())
    }

    fn load(&self, doc: DocId) -> Result<Option<StoredDoc>, MemoryStoreError> {
        Ok(self.state.docs.get(&doc).cloned())
    }

    fn commit(&mut self, batch: Vec<CommitDoc>) -> Result<Vec<u64>, MemoryStoreError> {
        if std::mem::take(&mut self.fail_next_commit) {
            return Err(MemoryStoreError::Simulated);
        }
        for commit in &batch {
            let current = self.state.docs.get(&commit.doc).map(|stored| &stored.heads);
            if current != commit.base_heads.as_ref() {
                return Err(MemoryStoreError::Conflict { doc: commit.doc });
            }
        }
        let mut seqs = Vec::with_capacity(batch.len());
        for commit in batch {
            let seq = self.last_seq() + 1;
            self.state.docs.insert(
                commit.doc,
                StoredDoc {
                    bytes: commit.document,
                    heads: commit.heads,
                    meta: commit.meta,
                },
            );
            self.state.log.push((
                LogEntry {
                    seq,
                    doc: commit.doc,
                    changes: commit.changes,
                },
                commit.origin,
            ));
            seqs.push(seq);
        }
        self.commits += 1;
        Ok(seqs)
    }

    fn log_page(
        &self,
        after: u64,
        scope: &Scope,
        exclude: &DeviceId,
        max_bytes: usize,
        max_docs: usize,
    ) -> Result<LogPage, MemoryStoreError> {
        let start = self
            .state
            .log
            .partition_point(|(entry, _)| entry.seq <= after);
        let mut page = LogPageBuilder::new(after, max_bytes, max_docs);
        for (entry, origin) in &self.state.log[start..] {
            let wanted = origin != exclude
                && self
                    .state
                    .docs
                    .get(&entry.doc)
                    .is_some_and(|stored| scope.contains(&stored.meta));
            if !wanted {
                page.scanned(entry.seq);
            } else if !page.offer(entry) {
                break;
            }
        }
        Ok(page.finish())
    }

    fn heads_index(&self, scope: &Scope) -> Result<(HeadsIndex, u64), MemoryStoreError> {
        let index = self
            .state
            .docs
            .iter()
            .filter(|(_, stored)| scope.contains(&stored.meta))
            .map(|(doc, stored)| (*doc, stored.heads.clone()))
            .collect();
        Ok((index, self.last_seq()))
    }

    fn last_seq(&self) -> u64 {
        self.state.log.last().map_or(0, |(entry, _)| entry.seq)
    }
}
