//! The device's side of sync: a sans-I/O state machine over a [`ClientStore`].
//!
//! The app (or a test) drives it: [`Client::start_sync`], then send each
//! [`Client::next_request`] as an HTTP POST and give the answer to
//! [`Client::handle_response`], until `next_request` returns `None`. A lost answer needs
//! nothing special: call `next_request` again and the same changes are sent again, which the
//! server treats as duplicates. Late, duplicated and reordered answers are recognised by their
//! request id; an answer to a request this client did not send (or already handled) is ignored.
//!
//! The acknowledged heads of a document advance only when an answer says `Committed` for the
//! changes that request carried (recorded per request id), or when changes come from the
//! server. Nothing is ever deleted: a document's bytes always hold every change.

use std::collections::{BTreeMap, BTreeSet};

use letsema_doc::{Limits, LoadError, SubmissionDoc, Writer};
use letsema_protocol::sync::{
    ChangeEncoding, ChangeHash, Cursor, DecodeError, DocChanges, DocHeads, DocId, ErrorCode,
    FetchRequest, Pull, PullPage, PushResult, RejectCode, Request, Response, Summary, SummaryLevel,
    SummaryRequest, SyncRequest, WireLimits,
};

use crate::chunks::{ChunkLimits, change_chunks, parse_changes};
use crate::client_store::ClientStore;
use crate::summary::{bucket_digests, differing_buckets, docs_in_buckets, root_hash};

/// The device's settings.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Who writes on this device: documents are opened with it.
    pub writer: Writer,
    /// Bounds on response frames.
    pub wire: WireLimits,
    /// Bounds on each received document's change chunks.
    pub chunks: ChunkLimits,
    /// Bounds applied when loading and applying documents.
    pub doc_limits: Limits,
    /// The most change bytes pushed in one request (at least one document is always sent).
    pub max_push_bytes: usize,
    /// The most documents pushed in one request.
    pub max_push_docs: usize,
    /// The most change bytes asked for in one pull page or fetch.
    pub pull_bytes: u32,
    /// The most documents asked for in one fetch.
    pub fetch_docs: usize,
    /// The most buckets asked for in one repair summary request.
    pub summary_buckets: usize,
}

impl ClientConfig {
    /// The defaults for `writer`: requests of up to 512 KiB of changes (about 100 KiB on the
    /// wire), pages of up to 512 KiB.
    pub fn new(writer: Writer) -> ClientConfig {
        ClientConfig {
            writer,
            wire: WireLimits::default(),
            chunks: ChunkLimits::default(),
            doc_limits: Limits::default(),
            max_push_bytes: 512 * 1024,
            max_push_docs: 2_000,
            pull_bytes: 512 * 1024,
            fetch_docs: 500,
            summary_buckets: 16,
        }
    }
}

/// What one answer did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Documents whose pushed changes the server durably committed.
    pub acknowledged: Vec<DocId>,
    /// Documents that received changes from the server.
    pub updated: Vec<DocId>,
    /// Documents the server refused (they stay unacknowledged and are not sent again until
    /// the next [`Client::start_sync`]).
    pub rejected: Vec<Rejection>,
    /// Documents received from the server that could not be applied, and why.
    pub failed: Vec<(DocId, String)>,
    /// Whether [`Client::next_request`] has more to send.
    pub more: bool,
    /// Whether a repair is running.
    pub repairing: bool,
    /// The answer was stale or duplicated (or not to a request this client sent) and was
    /// ignored.
    pub ignored: bool,
}

/// A document the server refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The document.
    pub doc: DocId,
    /// Why, for programs.
    pub code: RejectCode,
    /// Why, for people.
    pub message: String,
}

/// Why the client could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The answer is not a readable sync message.
    #[error("the server's answer could not be read: {0}")]
    Decode(#[from] DecodeError),
    /// The server refused the whole request.
    #[error("the server refused the request ({code:?}): {message}")]
    Refused {
        /// Why, for programs.
        code: ErrorCode,
        /// Why, for people.
        message: String,
    },
    /// The device's storage failed.
    #[error("the device's storage failed ({0}); nothing was lost, sync again later")]
    Store(String),
    /// A stored document could not be opened.
    #[error("submission {doc} could not be opened on this device: {error}")]
    Document {
        /// The document.
        doc: DocId,
        /// Why.
        error: LoadError,
    },
}

/// What a request in flight carried, so its answer can be applied.
#[derive(Debug, Clone)]
enum Sent {
    Sync {
        docs: BTreeMap<DocId, SentDoc>,
        pulled: bool,
    },
    Summary(SummaryLevel),
    Fetch(Vec<DocHeads>),
}

/// One pushed document: its heads when it was sent, and the acknowledged heads the push was
/// computed from.
#[derive(Debug, Clone)]
struct SentDoc {
    heads: Vec<ChangeHash>,
    acked_before: Vec<ChangeHash>,
    /// Acknowledged heads the device did not hold (changes the server has that the device has
    /// not pulled yet): still acknowledged after this push.
    unknown_acked: Vec<ChangeHash>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Root,
    Buckets,
    Docs,
    Fetch,
}

#[derive(Debug, Clone)]
struct Repair {
    stage: Stage,
    /// The log position of the first summary: pulled from once the repair is done.
    cursor: Option<Cursor>,
    /// Differing buckets whose documents are still to compare.
    buckets: Vec<u8>,
}

/// How many requests' records are kept while their answers are awaited.
const MAX_IN_FLIGHT: usize = 64;

/// The device's sync state machine; see the module documentation.
#[derive(Debug)]
pub struct Client<S: ClientStore> {
    config: ClientConfig,
    store: S,
    in_flight: BTreeMap<u64, Sent>,
    latest: Option<u64>,
    pull_due: bool,
    skip: BTreeSet<DocId>,
    /// Documents whose compact encoding the server refused: pushed as raw chunks.
    raw_only: BTreeSet<DocId>,
    push_budget: usize,
    fetch_queue: BTreeMap<DocId, Vec<ChangeHash>>,
    repair: Option<Repair>,
}

impl<S: ClientStore> Client<S> {
    /// A client over `store` (fresh, or as a previous run left it), ready for a sync round.
    pub fn new(config: ClientConfig, store: S) -> Client<S> {
        let push_budget = config.max_push_bytes;
        Client {
            config,
            store,
            in_flight: BTreeMap::new(),
            latest: None,
            pull_due: true,
            skip: BTreeSet::new(),
            raw_only: BTreeSet::new(),
            push_budget,
            fetch_queue: BTreeMap::new(),
            repair: None,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to change it (a test losing part of it, the app writing).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// The store, giving up the client (a restart: memory is lost, storage is kept).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Stores a document after a local edit; the next sync pushes what is new.
    ///
    /// # Errors
    ///
    /// [`ClientError::Store`] when storage fails.
    pub fn save_document(&mut self, doc: &mut SubmissionDoc) -> Result<DocId, ClientError> {
        let id = DocId::from(&doc.meta().submission_id);
        let heads = sorted_dedup(doc.heads());
        self.store.put(id, doc.save(), heads).map_err(store)?;
        Ok(id)
    }

    /// Opens a stored document for this device's writer.
    ///
    /// # Errors
    ///
    /// [`ClientError::Store`] or [`ClientError::Document`].
    pub fn open_document(&self, doc: DocId) -> Result<Option<SubmissionDoc>, ClientError> {
        let Some(stored) = self.store.load(doc).map_err(store)? else {
            return Ok(None);
        };
        self.open(doc, &stored.bytes).map(Some)
    }

    /// The documents with changes the server has not acknowledged: what is not yet synced.
    ///
    /// # Errors
    ///
    /// [`ClientError::Store`].
    pub fn unsynced(&self) -> Result<Vec<DocId>, ClientError> {
        self.store.unacked().map_err(store)
    }

    /// Starts a sync round: pull, and push again documents refused in the last round.
    pub fn start_sync(&mut self) {
        self.pull_due = true;
        self.skip.clear();
    }

    /// Starts a repair: compare summaries with the server, push what it lacks, fetch what
    /// this device lacks. Needed after this device lost part of its storage; started by
    /// itself when the server's epoch changed.
    pub fn start_repair(&mut self) {
        self.repair = Some(Repair {
            stage: Stage::Root,
            cursor: None,
            buckets: Vec::new(),
        });
    }

    /// Whether a repair is running.
    pub fn is_repairing(&self) -> bool {
        self.repair.is_some()
    }

    /// The next request to send, or `None` when this round is done.
    ///
    /// # Errors
    ///
    /// [`ClientError::Store`] when storage fails.
    pub fn next_request(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        if let Some(repair) = &self.repair {
            let level = match repair.stage {
                Stage::Root => Some(SummaryLevel::Root),
                Stage::Buckets => Some(SummaryLevel::Buckets),
                Stage::Docs => {
                    let take = self.config.summary_buckets.max(1).min(repair.buckets.len());
                    Some(SummaryLevel::Docs {
                        buckets: repair.buckets[..take].to_vec(),
                    })
                }
                Stage::Fetch => None,
            };
            if let Some(level) = level {
                let request_id = self.take_request_id()?;
                self.remember(request_id, Sent::Summary(level.clone()));
                let request = Request::Summary(SummaryRequest { request_id, level });
                return Ok(Some(request.encode()));
            }
            if self.fetch_queue.is_empty() {
                self.finish_repair()?;
            }
        }
        if !self.fetch_queue.is_empty() {
            let docs: Vec<DocHeads> = self
                .fetch_queue
                .iter()
                .take(self.config.fetch_docs.max(1))
                .map(|(doc, heads)| DocHeads {
                    doc: *doc,
                    heads: heads.clone(),
                })
                .collect();
            let request_id = self.take_request_id()?;
            self.remember(request_id, Sent::Fetch(docs.clone()));
            let request = Request::Fetch(FetchRequest {
                request_id,
                docs,
                max_bytes: self.config.pull_bytes,
            });
            return Ok(Some(request.encode()));
        }
        let (push, docs) = self.collect_push()?;
        if push.is_empty() && !self.pull_due {
            return Ok(None);
        }
        let request_id = self.take_request_id()?;
        let state = self.store.state().map_err(store)?;
        let pull = self.pull_due.then_some(Pull {
            cursor: state.cursor,
            max_bytes: self.config.pull_bytes,
        });
        self.remember(
            request_id,
            Sent::Sync {
                docs,
                pulled: pull.is_some(),
            },
        );
        let request = Request::Sync(SyncRequest {
            request_id,
            push,
            pull,
        });
        Ok(Some(request.encode()))
    }

    /// Applies an answer from the server.
    ///
    /// # Errors
    ///
    /// [`ClientError::Decode`] for unreadable bytes (nothing changed; the next request sends
    /// again), [`ClientError::Refused`] when the server refused the whole request,
    /// [`ClientError::Store`] when storage fails.
    pub fn handle_response(&mut self, bytes: &[u8]) -> Result<Progress, ClientError> {
        let response = Response::decode(bytes, &self.config.wire)?;
        let mut progress = Progress::default();
        let sent = response
            .request_id()
            .and_then(|id| self.in_flight.remove(&id).map(|sent| (id, sent)));
        let Some((id, sent)) = sent else {
            if let Response::Error(error) = response {
                return Err(ClientError::Refused {
                    code: error.code,
                    message: error.message,
                });
            }
            progress.ignored = true;
            return self.finish(progress);
        };
        let latest = self.latest == Some(id);
        match (response, sent) {
            (Response::Sync(response), Sent::Sync { docs, pulled }) => {
                for result in response.push {
                    self.push_result(result, &docs, &mut progress)?;
                }
                if response.repair_needed && self.repair.is_none() {
                    self.start_repair();
                }
                match response.pull {
                    Some(page) => self.pulled(page, latest, &mut progress)?,
                    None if latest && pulled => self.pull_due = false,
                    None => {}
                }
            }
            (Response::Summary(response), Sent::Summary(level)) => {
                self.summarised(response.cursor, response.summary, level)?;
            }
            (Response::Fetch(response), Sent::Fetch(asked)) => {
                for wanted in &asked {
                    self.fetch_queue.remove(&wanted.doc);
                }
                for doc in response.deferred {
                    if let Some(wanted) = asked.iter().find(|wanted| wanted.doc == doc) {
                        self.fetch_queue.insert(doc, wanted.heads.clone());
                    }
                }
                self.apply_remote(response.docs, &mut progress)?;
            }
            (Response::Error(error), _) => {
                if error.code == ErrorCode::TooLarge {
                    self.push_budget = (self.push_budget / 2).max(1);
                }
                return Err(ClientError::Refused {
                    code: error.code,
                    message: error.message,
                });
            }
            _ => progress.ignored = true,
        }
        self.finish(progress)
    }

    fn finish(&mut self, mut progress: Progress) -> Result<Progress, ClientError> {
        progress.repairing = self.repair.is_some();
        progress.more = self.pull_due
            || self.repair.is_some()
            || !self.fetch_queue.is_empty()
            || self
                .store
                .unacked()
                .map_err(store)?
                .iter()
                .any(|doc| !self.skip.contains(doc));
        Ok(progress)
    }

    fn take_request_id(&mut self) -> Result<u64, ClientError> {
        let mut state = self.store.state().map_err(store)?;
        let id = state.next_request_id;
        state.next_request_id = id.wrapping_add(1);
        self.store.set_state(state).map_err(store)?;
        Ok(id)
    }

    fn remember(&mut self, request_id: u64, sent: Sent) {
        self.in_flight.insert(request_id, sent);
        while self.in_flight.len() > MAX_IN_FLIGHT {
            self.in_flight.pop_first();
        }
        self.latest = Some(request_id);
    }

    fn open(&self, doc: DocId, bytes: &[u8]) -> Result<SubmissionDoc, ClientError> {
        SubmissionDoc::load_with_limits(bytes, self.config.writer.clone(), &self.config.doc_limits)
            .map_err(|error| ClientError::Document { doc, error })
    }

    /// The changes of unacknowledged documents, within the byte budget.
    fn collect_push(&mut self) -> Result<(Vec<DocChanges>, BTreeMap<DocId, SentDoc>), ClientError> {
        let mut push = Vec::new();
        let mut sent = BTreeMap::new();
        let mut total = 0;
        for id in self.store.unacked().map_err(store)? {
            if push.len() >= self.config.max_push_docs.min(self.config.wire.max_docs) {
                break;
            }
            if self.skip.contains(&id) {
                continue;
            }
            let Some(stored) = self.store.load(id).map_err(store)? else {
                continue;
            };
            let Ok(mut doc) = self.open(id, &stored.bytes) else {
                // Unreadable on this device: nothing can be sent from it.
                self.skip.insert(id);
                continue;
            };
            let unknown = doc.missing_changes(&stored.acked);
            let known: Vec<_> = stored
                .acked
                .iter()
                .filter(|h| !unknown.contains(h))
                .copied()
                .collect();
            let base = doc.reduce_heads(&known);
            let raw = doc.changes_after(&base);
            let heads = sorted_dedup(doc.heads());
            if raw.is_empty() {
                // The server has everything: the stored acknowledgement was only imprecise.
                let mut acked = heads;
                acked.extend(unknown);
                self.store
                    .set_acked(id, sorted_dedup(acked))
                    .map_err(store)?;
                continue;
            }
            // The compact encoding unless the server refused it for this document: larger
            // than the raw chunks before deflate, it deflates to about half their size.
            let compact = if self.raw_only.contains(&id) {
                None
            } else {
                doc.compact_changes_after(&base)
            };
            let (encoding, changes) = match compact {
                Some(compact) => (ChangeEncoding::Compact, compact),
                None => (ChangeEncoding::Chunks, raw),
            };
            if changes.len() > self.config.wire.max_doc_bytes {
                self.skip.insert(id);
                continue;
            }
            if total > 0 && total + changes.len() > self.push_budget {
                break;
            }
            total += changes.len();
            push.push(DocChanges {
                doc: id,
                encoding,
                changes,
            });
            sent.insert(
                id,
                SentDoc {
                    heads,
                    acked_before: stored.acked,
                    unknown_acked: unknown,
                },
            );
        }
        Ok((push, sent))
    }

    fn push_result(
        &mut self,
        result: PushResult,
        sent: &BTreeMap<DocId, SentDoc>,
        progress: &mut Progress,
    ) -> Result<(), ClientError> {
        let doc = result.doc();
        let Some(sent_doc) = sent.get(&doc) else {
            return Ok(());
        };
        match result {
            PushResult::Committed { .. } | PushResult::CommittedWithMore { .. } => {
                let Some(current) = self.store.load(doc).map_err(store)? else {
                    return Ok(());
                };
                let acked = if current.acked == sent_doc.acked_before {
                    let mut acked = sent_doc.heads.clone();
                    acked.extend(sent_doc.unknown_acked.iter().copied());
                    acked
                } else {
                    // Another answer moved the acknowledgement since: keep both (the union
                    // is imprecise, never wrong; the next push reduces it).
                    let mut acked = current.acked;
                    acked.extend(sent_doc.heads.iter().copied());
                    acked
                };
                self.store
                    .set_acked(doc, sorted_dedup(acked))
                    .map_err(store)?;
                progress.acknowledged.push(doc);
            }
            PushResult::Rejected { code, message, .. } => {
                if code == RejectCode::CompactRefused {
                    // The server cannot rebuild the compact form: raw chunks from now on.
                    self.raw_only.insert(doc);
                } else if code == RejectCode::MissingDependencies
                    && !sent_doc.acked_before.is_empty()
                {
                    // The server lost what it had acknowledged: send everything next time.
                    self.store.set_acked(doc, Vec::new()).map_err(store)?;
                } else {
                    self.skip.insert(doc);
                }
                progress.rejected.push(Rejection { doc, code, message });
            }
        }
        Ok(())
    }

    fn pulled(
        &mut self,
        page: PullPage,
        latest: bool,
        progress: &mut Progress,
    ) -> Result<(), ClientError> {
        self.apply_remote(page.docs, progress)?;
        let mut state = self.store.state().map_err(store)?;
        let advance = match state.cursor {
            None => true,
            Some(cursor) => cursor.epoch == page.next.epoch && page.next.seq > cursor.seq,
        };
        if advance {
            state.cursor = Some(page.next);
            self.store.set_state(state).map_err(store)?;
        }
        if latest {
            self.pull_due = page.more;
        }
        Ok(())
    }

    /// Applies changes that came from the server: they are acknowledged by definition.
    fn apply_remote(
        &mut self,
        docs: Vec<DocChanges>,
        progress: &mut Progress,
    ) -> Result<(), ClientError> {
        for changes in docs {
            match self.apply_one(&changes)? {
                Ok(true) => progress.updated.push(changes.doc),
                Ok(false) => {}
                Err((message, missing_dependencies)) => {
                    if missing_dependencies {
                        // Part of the document's history is missing here: fetch all of it.
                        self.fetch_queue.entry(changes.doc).or_default();
                    }
                    progress.failed.push((changes.doc, message));
                }
            }
        }
        Ok(())
    }

    /// `Ok(Ok(updated))`, or `Ok(Err((why, missing dependencies)))` for changes that could not
    /// be applied.
    #[allow(clippy::type_complexity)]
    fn apply_one(
        &mut self,
        changes: &DocChanges,
    ) -> Result<Result<bool, (String, bool)>, ClientError> {
        let id = changes.doc;
        let raw = match change_chunks(changes, &self.config.doc_limits) {
            Ok(raw) => raw,
            Err((_, message)) => return Ok(Err((message, false))),
        };
        let parsed = match parse_changes(&raw, &self.config.chunks) {
            Ok(parsed) => parsed,
            Err(error) => return Ok(Err((error.to_string(), false))),
        };
        let hashes: Vec<ChangeHash> = parsed.iter().map(|change| change.hash).collect();
        let stored = self.store.load(id).map_err(store)?;
        let (mut doc, acked, updated) = match stored {
            Some(stored) => {
                let mut doc = match self.open(id, &stored.bytes) {
                    Ok(doc) => doc,
                    Err(error) => return Ok(Err((error.to_string(), false))),
                };
                let updated = !doc.has_changes(&hashes);
                if updated {
                    if let Err(error) = doc.apply_changes(&raw, &self.config.doc_limits) {
                        let missing = matches!(error, LoadError::MissingDependencies { .. });
                        return Ok(Err((error.to_string(), missing)));
                    }
                    let heads = sorted_dedup(doc.heads());
                    self.store.put(id, doc.save(), heads).map_err(store)?;
                }
                (doc, stored.acked, updated)
            }
            None => {
                let mut doc = match SubmissionDoc::from_changes(
                    &raw,
                    self.config.writer.clone(),
                    &self.config.doc_limits,
                ) {
                    Ok(doc) => doc,
                    Err(error) => {
                        let missing = matches!(error, LoadError::MissingDependencies { .. });
                        return Ok(Err((error.to_string(), missing)));
                    }
                };
                if DocId::from(&doc.meta().submission_id) != id {
                    return Ok(Err((
                        "the changes belong to another submission".to_owned(),
                        false,
                    )));
                }
                let heads = sorted_dedup(doc.heads());
                self.store.put(id, doc.save(), heads).map_err(store)?;
                (doc, Vec::new(), true)
            }
        };
        let mut all = acked;
        all.extend(hashes);
        let acked = doc.reduce_heads(&all);
        self.store
            .set_acked(id, sorted_dedup(acked))
            .map_err(store)?;
        Ok(Ok(updated))
    }

    fn summarised(
        &mut self,
        cursor: Cursor,
        summary: Summary,
        level: SummaryLevel,
    ) -> Result<(), ClientError> {
        let Some(repair) = &mut self.repair else {
            return Ok(());
        };
        match (summary, level) {
            (Summary::Root { hash, .. }, SummaryLevel::Root) => {
                let local = self.store.heads_index().map_err(store)?;
                if root_hash(&bucket_digests(&local)) == hash {
                    repair.cursor = Some(cursor);
                    self.finish_repair()?;
                } else {
                    repair.cursor = Some(cursor);
                    repair.stage = Stage::Buckets;
                }
            }
            (Summary::Buckets(theirs), SummaryLevel::Buckets) => {
                let local = self.store.heads_index().map_err(store)?;
                repair.buckets = differing_buckets(&bucket_digests(&local), &theirs);
                repair.stage = if repair.buckets.is_empty() {
                    Stage::Fetch
                } else {
                    Stage::Docs
                };
            }
            (Summary::Docs(theirs), SummaryLevel::Docs { buckets }) => {
                if repair.stage != Stage::Docs {
                    return Ok(());
                }
                repair.buckets.retain(|bucket| !buckets.contains(bucket));
                if repair.buckets.is_empty() {
                    repair.stage = Stage::Fetch;
                }
                let local = self.store.heads_index().map_err(store)?;
                let ours = docs_in_buckets(&local, &buckets);
                self.compare(&ours, &theirs)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Compares document heads with the server's: lowers the acknowledgement of what the
    /// server lacks (so the normal push sends it) and queues fetches of what this device
    /// lacks.
    fn compare(&mut self, ours: &[DocHeads], theirs: &[DocHeads]) -> Result<(), ClientError> {
        let theirs: BTreeMap<DocId, &Vec<ChangeHash>> =
            theirs.iter().map(|doc| (doc.doc, &doc.heads)).collect();
        for local in ours {
            let Some(server) = theirs.get(&local.doc) else {
                // The server has nothing of it.
                self.store.set_acked(local.doc, Vec::new()).map_err(store)?;
                continue;
            };
            if &&local.heads == server {
                self.store
                    .set_acked(local.doc, local.heads.clone())
                    .map_err(store)?;
                continue;
            }
            let Some(stored) = self.store.load(local.doc).map_err(store)? else {
                continue;
            };
            let mut doc = self.open(local.doc, &stored.bytes)?;
            let missing = doc.missing_changes(server);
            let known: Vec<_> = server
                .iter()
                .filter(|h| !missing.contains(h))
                .copied()
                .collect();
            let acked = doc.reduce_heads(&known);
            self.store.set_acked(local.doc, acked).map_err(store)?;
            if !missing.is_empty() {
                self.fetch_queue.insert(local.doc, local.heads.clone());
            }
        }
        let ours: BTreeSet<DocId> = ours.iter().map(|doc| doc.doc).collect();
        for doc in theirs.keys() {
            if !ours.contains(doc) {
                self.fetch_queue.insert(*doc, Vec::new());
            }
        }
        Ok(())
    }

    fn finish_repair(&mut self) -> Result<(), ClientError> {
        if let Some(Repair {
            cursor: Some(cursor),
            ..
        }) = self.repair.take()
        {
            let mut state = self.store.state().map_err(store)?;
            state.cursor = Some(cursor);
            self.store.set_state(state).map_err(store)?;
        }
        self.pull_due = true;
        self.skip.clear();
        Ok(())
    }
}

fn store(error: impl std::error::Error) -> ClientError {
    ClientError::Store(error.to_string())
}

fn sorted_dedup(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort_unstable();
    heads.dedup();
    heads
}
