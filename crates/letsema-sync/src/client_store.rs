//! Where a device keeps its documents and its place in the sync: the [`ClientStore`] trait
//! (the web app implements it over IndexedDB) and [`MemoryClientStore`].
//!
//! Everything in a client store is durable: a device that restarts (a reload, a dead battery)
//! resumes from the stored acknowledged heads and cursor, never from zero. The client writes
//! documents before the cursor that covers them, so a crash in between only repeats a pull.

use std::collections::BTreeMap;
use std::convert::Infallible;

use letsema_protocol::sync::{ChangeHash, Cursor, DocId};

use crate::summary::HeadsIndex;

/// One stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDoc {
    /// The saved automerge document: every change, acknowledged or not.
    pub bytes: Vec<u8>,
    /// Its heads, sorted.
    pub heads: Vec<ChangeHash>,
    /// Heads the server has acknowledged: it holds these changes and all their ancestors.
    /// Empty when the server has nothing of the document.
    pub acked: Vec<ChangeHash>,
}

impl ClientDoc {
    /// Whether the document holds changes the server has not acknowledged: some head is not
    /// among the acknowledged heads.
    pub fn is_unacked(&self) -> bool {
        self.heads.iter().any(|head| !self.acked.contains(head))
    }
}

/// The durable sync state that is not per document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncState {
    /// Where the device stands in the server's log.
    pub cursor: Option<Cursor>,
    /// The next request id: kept durably so a response to a request sent before a restart is
    /// never mistaken for the answer to a new one.
    pub next_request_id: u64,
}

/// A device's durable storage for sync.
pub trait ClientStore {
    /// A storage failure.
    type Error: std::error::Error + 'static;

    /// A document.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn load(&self, doc: DocId) -> Result<Option<ClientDoc>, Self::Error>;

    /// Stores a document's new bytes and heads (after a local edit or received changes),
    /// keeping its acknowledged heads (empty for a new document).
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn put(
        &mut self,
        doc: DocId,
        bytes: Vec<u8>,
        heads: Vec<ChangeHash>,
    ) -> Result<(), Self::Error>;

    /// Records the heads the server acknowledged for a document.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn set_acked(&mut self, doc: DocId, acked: Vec<ChangeHash>) -> Result<(), Self::Error>;

    /// The documents with changes the server has not acknowledged ([`ClientDoc::is_unacked`]),
    /// in id order. An IndexedDB store keeps an index on that flag, so that a sync with
    /// nothing new reads no document.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn unacked(&self) -> Result<Vec<DocId>, Self::Error>;

    /// The heads of every document (for the repair summary).
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn heads_index(&self) -> Result<HeadsIndex, Self::Error>;

    /// The sync state.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn state(&self) -> Result<SyncState, Self::Error>;

    /// Replaces the sync state.
    ///
    /// # Errors
    ///
    /// A storage failure.
    fn set_state(&mut self, state: SyncState) -> Result<(), Self::Error>;
}

/// A [`ClientStore`] in memory, for tests and simulations: everything in it counts as durable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryClientStore {
    docs: BTreeMap<DocId, ClientDoc>,
    state: SyncState,
}

impl MemoryClientStore {
    /// An empty store.
    pub fn new() -> MemoryClientStore {
        MemoryClientStore::default()
    }

    /// The stored documents' ids.
    pub fn doc_ids(&self) -> Vec<DocId> {
        self.docs.keys().copied().collect()
    }

    /// A stored document.
    pub fn get(&self, doc: DocId) -> Option<&ClientDoc> {
        self.docs.get(&doc)
    }

    /// Forgets a document, as partly lost storage would.
    pub fn remove(&mut self, doc: DocId) -> Option<ClientDoc> {
        self.docs.remove(&doc)
    }
}

impl ClientStore for MemoryClientStore {
    type Error = Infallible;

    fn load(&self, doc: DocId) -> Result<Option<ClientDoc>, Infallible> {
        Ok(self.docs.get(&doc).cloned())
    }

    fn put(
        &mut self,
        doc: DocId,
        bytes: Vec<u8>,
        heads: Vec<ChangeHash>,
    ) -> Result<(), Infallible> {
        let entry = self.docs.entry(doc).or_insert_with(|| ClientDoc {
            bytes: Vec::new(),
            heads: Vec::new(),
            acked: Vec::new(),
        });
        entry.bytes = bytes;
        entry.heads = heads;
        Ok(())
    }

    fn set_acked(&mut self, doc: DocId, acked: Vec<ChangeHash>) -> Result<(), Infallible> {
        if let Some(entry) = self.docs.get_mut(&doc) {
            entry.acked = acked;
        }
        Ok(())
    }

    fn unacked(&self) -> Result<Vec<DocId>, Infallible> {
        Ok(self
            .docs
            .iter()
            .filter(|(_, doc)| doc.is_unacked())
            .map(|(id, _)| *id)
            .collect())
    }

    fn heads_index(&self) -> Result<HeadsIndex, Infallible> {
        Ok(self
            .docs
            .iter()
            .map(|(id, doc)| (*id, doc.heads.clone()))
            .collect())
    }

    fn state(&self) -> Result<SyncState, Infallible> {
        Ok(self.state)
    }

    fn set_state(&mut self, state: SyncState) -> Result<(), Infallible> {
        self.state = state;
        Ok(())
    }
}
