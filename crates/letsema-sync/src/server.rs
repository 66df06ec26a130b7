//! The server's side of sync: a sans-I/O request handler over a [`ServerStore`].
//!
//! [`Server::handle`] takes the request bytes of one HTTP POST and the [`Caller`] the HTTP
//! layer computed from the credential, and returns the response bytes. Every pushed document
//! is handled in isolation: its chunks are checked by hand ([`crate::chunks`]) before
//! automerge sees them, changes written by another device's actor are refused unless the
//! server already has them, the document is loaded fresh from the store and the changes are
//! applied inside `catch_unwind` (a panic loses only that document's entry), heads are
//! verified, and then the whole batch is committed in one store transaction before any
//! document is reported `Committed`.
//!
//! A push mixing the caller's own changes with another device's that the server lacks (after
//! a backup restore) is taken in part: the own changes the server can apply are committed,
//! the rest refused, and the document reported `Rejected` so that nothing is acknowledged.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use letsema_doc::{BuiltChanges, DeviceId, Limits, LoadError, SessionId, SubmissionDoc, Writer};
use letsema_protocol::sync::{
    ChangeEncoding, ChangeHash, Cursor, DecodeError, DocChanges, DocId, ErrorCode, ErrorResponse,
    FetchRequest, FetchResponse, Pull, PullPage, PushResult, RejectCode, Request, Response,
    Summary, SummaryLevel, SummaryRequest, SummaryResponse, SyncRequest, SyncResponse, WireLimits,
};

use crate::chunks::{ChunkLimits, ParsedChange, change_chunks_built, parse_changes_hashed};
use crate::store::{Caller, CommitDoc, DocMeta, ServerStore};
use crate::summary::{bucket_digests, docs_in_buckets, root_hash};

/// The server's settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bounds on request frames.
    pub wire: WireLimits,
    /// Bounds on each pushed document's change chunks.
    pub chunks: ChunkLimits,
    /// Bounds applied when loading and applying documents.
    pub doc_limits: Limits,
    /// The largest pull page or fetch response, in change bytes, whatever the client asks.
    pub max_page_bytes: u32,
    /// The identity documents are opened with. The server never writes through it, so a
    /// fixed session is fine.
    pub reader: Writer,
    /// Bounds on the automerge work of one request.
    pub budget: RequestBudget,
}

/// Bounds on the automerge work one request may cause, whatever its size on the wire: each
/// pushed document rebuilt or applied, and each document loaded for a fetch, costs the
/// server CPU and memory roughly in proportion to its operations. A phone's request (at most
/// 2,000 documents and 512 KiB of changes, about 100,000 operations) fits with room to
/// spare; past the budget, the rest of a request's documents are refused (`TooLarge`) or,
/// in a fetch, deferred, without automerge seeing them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestBudget {
    /// The most documents one request may hand to automerge.
    pub max_docs: usize,
    /// The most operations the changes one request hands to automerge may hold (a
    /// submission's first push is about 100; automerge takes about 400 bytes and a
    /// microsecond for each while applying).
    pub max_ops: u64,
}

impl Default for RequestBudget {
    fn default() -> Self {
        RequestBudget {
            max_docs: 2_500,
            max_ops: 250_000,
        }
    }
}

/// The automerge work one request caused, for a caller's budget over time.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// Documents handed to automerge (rebuilt, applied or loaded).
    pub docs: usize,
    /// Operations in the changes handed to automerge.
    pub ops: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            wire: WireLimits::default(),
            chunks: ChunkLimits::default(),
            doc_limits: Limits::default(),
            max_page_bytes: 1024 * 1024,
            reader: Writer::new(
                DeviceId::parse("letsema-server").expect("a valid device id"),
                SessionId::from_bytes(&[0; 16]).expect("16 bytes make a session id"),
                None,
            ),
            budget: RequestBudget::default(),
        }
    }
}

/// The server's sync state machine. It keeps no state between requests (everything lives in
/// the store), so one value can serve every caller.
#[derive(Debug, Clone, Default)]
pub struct Server {
    config: ServerConfig,
}

/// The changes of a push the server takes, and the result to give when it leaves some out.
struct Take<'a> {
    changes: Vec<&'a ParsedChange>,
    left_out: Option<PushResult>,
}

/// What became of one pushed document before the commit.
enum Outcome {
    /// Decided without writing: a rejection, or changes the server already had.
    Done(PushResult),
    /// Valid new changes, to be committed with the batch; with the document as loaded after
    /// applying them, for the store's cache.
    Commit(Box<CommitDoc>, PushResult, Box<SubmissionDoc>),
}

/// An [`Outcome`] once its document, if any, has gone to the batch commit.
enum Decided {
    Done(PushResult),
    Committing {
        doc: DocId,
        heads: Vec<ChangeHash>,
        saved_bytes: usize,
        result: PushResult,
        loaded: Box<SubmissionDoc>,
    },
}

impl Server {
    /// A server with `config`.
    pub fn new(config: ServerConfig) -> Server {
        Server { config }
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Handles one request frame from `caller` and returns the response frame. Every error
    /// becomes a [`Response::Error`] or a per-document rejection; nothing here panics on
    /// client input.
    pub fn handle<S: ServerStore>(
        &mut self,
        caller: &Caller,
        request: &[u8],
        store: &mut S,
    ) -> Vec<u8> {
        self.handle_metered(caller, request, store).0
    }

    /// [`Server::handle`], also saying how much automerge work the request caused (within
    /// [`ServerConfig::budget`]), so that the caller can be held to a budget over time.
    pub fn handle_metered<S: ServerStore>(
        &mut self,
        caller: &Caller,
        request: &[u8],
        store: &mut S,
    ) -> (Vec<u8>, Work) {
        let mut work = Work::default();
        let response = match Request::decode(request, &self.config.wire) {
            Ok(request) => self.respond_metered(caller, request, store, &mut work),
            Err(error) => Response::Error(ErrorResponse {
                request_id: None,
                code: error_code(&error),
                message: shorten(error.to_string(), self.config.wire.max_message_bytes),
            }),
        };
        (response.encode(), work)
    }

    /// Handles a decoded request (for tests and other transports).
    pub fn respond<S: ServerStore>(
        &mut self,
        caller: &Caller,
        request: Request,
        store: &mut S,
    ) -> Response {
        self.respond_metered(caller, request, store, &mut Work::default())
    }

    fn respond_metered<S: ServerStore>(
        &mut self,
        caller: &Caller,
        request: Request,
        store: &mut S,
        work: &mut Work,
    ) -> Response {
        match request {
            Request::Sync(sync) => Response::Sync(self.sync(caller, sync, store, work)),
            Request::Summary(summary) => self.summary(caller, summary, store),
            Request::Fetch(fetch) => self.fetch(caller, fetch, store, work),
        }
    }

    fn sync<S: ServerStore>(
        &self,
        caller: &Caller,
        request: SyncRequest,
        store: &mut S,
        work: &mut Work,
    ) -> SyncResponse {
        let push = self.push(caller, &request.push, store, work);
        let (pull, repair_needed) = match request.pull {
            Some(pull) => self.pull(caller, pull, store),
            None => (None, false),
        };
        SyncResponse {
            request_id: request.request_id,
            push,
            pull,
            repair_needed,
        }
    }

    fn push<S: ServerStore>(
        &self,
        caller: &Caller,
        docs: &[DocChanges],
        store: &mut S,
        work: &mut Work,
    ) -> Vec<PushResult> {
        let mut seen = HashSet::new();
        let mut outcomes = Vec::with_capacity(docs.len());
        if docs.len() > 1 {
            let ids: Vec<DocId> = docs.iter().map(|push| push.doc).collect();
            // An optimisation only: on failure, each load asks the store itself.
            let _ = store.prefetch(&ids);
        }
        for push in docs {
            let outcome = if seen.insert(push.doc) {
                let store: &S = store;
                catch_unwind(AssertUnwindSafe(|| self.push_one(caller, push, store, work)))
                    .unwrap_or_else(|_| {
                        self.reject(
                            push.doc,
                            RejectCode::ApplyFailed,
                            "the server failed while checking these changes (they are malformed or hostile); they were not stored",
                        )
                    })
            } else {
                self.reject(
                    push.doc,
                    RejectCode::Duplicate,
                    "this document appears twice in the request; send each document once",
                )
            };
            outcomes.push(outcome);
        }
        // The documents to commit are moved out (their bytes are not copied); what the
        // results and the cache need of them stays behind.
        let mut commits: Vec<CommitDoc> = Vec::new();
        let decided: Vec<Decided> = outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Done(result) => Decided::Done(result),
                Outcome::Commit(commit, result, loaded) => {
                    let decided = Decided::Committing {
                        doc: commit.doc,
                        heads: commit.heads.clone(),
                        saved_bytes: commit.document.len(),
                        result,
                        loaded,
                    };
                    commits.push(*commit);
                    decided
                }
            })
            .collect();
        let failure = if commits.is_empty() {
            None
        } else {
            store.commit(commits).err().map(|error| {
                format!("the server could not store the changes ({error}); nothing was stored: retry later")
            })
        };
        decided
            .into_iter()
            .map(|decided| match (decided, &failure) {
                (Decided::Done(result), _) => result,
                (
                    Decided::Committing {
                        doc,
                        heads,
                        saved_bytes,
                        result,
                        loaded,
                    },
                    None,
                ) => {
                    store.remember(doc, &heads, *loaded, saved_bytes);
                    result
                }
                (Decided::Committing { doc, .. }, Some(message)) => PushResult::Rejected {
                    doc,
                    code: RejectCode::StoreFailed,
                    message: shorten(message.clone(), self.config.wire.max_message_bytes),
                },
            })
            .collect()
    }

    fn reject(&self, doc: DocId, code: RejectCode, message: &str) -> Outcome {
        Outcome::Done(PushResult::Rejected {
            doc,
            code,
            message: shorten(message.to_owned(), self.config.wire.max_message_bytes),
        })
    }

    fn push_one<S: ServerStore>(
        &self,
        caller: &Caller,
        push: &DocChanges,
        store: &S,
        work: &mut Work,
    ) -> Outcome {
        let doc = push.doc;
        // What can be refused without automerge is refused first: a document out of the
        // caller's scope, then anything past the request's budget.
        let stored = match store.load(doc) {
            Ok(stored) => stored,
            Err(error) => {
                return self.reject(
                    doc,
                    RejectCode::StoreFailed,
                    &format!("the server could not read this document ({error}); retry later"),
                );
            }
        };
        if let Some(stored) = &stored
            && !caller.scope.contains(&stored.meta)
        {
            return self.reject(
                doc,
                RejectCode::OutOfScope,
                "this device may not change this submission",
            );
        }
        let budget = &self.config.budget;
        if work.docs >= budget.max_docs {
            return self.over_budget(doc);
        }
        work.docs += 1;
        let remaining_ops = budget.max_ops.saturating_sub(work.ops);
        let mut limits = self.config.doc_limits.clone();
        limits.max_ops = limits
            .max_ops
            .min(usize::try_from(remaining_ops).unwrap_or(usize::MAX));
        // Compact pushes come with their changes already decoded (`built`): applied as they
        // are, they are not parsed a second time from the chunks rebuilt for the log.
        let (raw, built) = match change_chunks_built(push, &limits) {
            Ok(rebuilt) => rebuilt,
            Err((RejectCode::TooLarge, _)) if limits.max_ops < self.config.doc_limits.max_ops => {
                return self.over_budget(doc);
            }
            Err((code, message)) => return self.reject(doc, code, &message),
        };
        // Rebuilt chunks were hashed as they were built: not again here.
        let known = built.as_ref().map(BuiltChanges::hashes).unwrap_or_default();
        let parsed = match parse_changes_hashed(&raw, &self.config.chunks, &known) {
            Ok(parsed) if parsed.is_empty() => {
                return self.reject(
                    doc,
                    RejectCode::Malformed,
                    "no changes were sent for this document; leave it out of the push",
                );
            }
            Ok(parsed) => parsed,
            Err(error) => return self.reject(doc, error.code(), &error.to_string()),
        };
        let ops = parsed
            .iter()
            .fold(0u64, |sum, change| sum.saturating_add(change.ops));
        if ops > remaining_ops {
            return self.over_budget(doc);
        }
        work.ops += ops;
        let pushed: HashSet<ChangeHash> = parsed.iter().map(|change| change.hash).collect();
        let limits = &self.config.doc_limits;
        let Some(stored) = stored else {
            return self.create(caller, doc, &parsed, &raw, built, pushed);
        };
        let loaded = match store.cached(doc, &stored.heads) {
            Some(cached) => Ok(cached),
            None => {
                SubmissionDoc::load_with_limits(&stored.bytes, self.config.reader.clone(), limits)
            }
        };
        let mut current = match loaded {
            Ok(current) => current,
            Err(error) => {
                return self.reject(
                        doc,
                        RejectCode::ApplyFailed,
                        &format!("the server's copy of this submission could not be read ({error}); report this to the administrator"),
                    );
            }
        };
        let hashes: Vec<ChangeHash> = parsed.iter().map(|change| change.hash).collect();
        let missing: HashSet<ChangeHash> = current.missing_changes(&hashes).into_iter().collect();
        let new: Vec<&ParsedChange> = unique(&parsed)
            .into_iter()
            .filter(|change| missing.contains(&change.hash))
            .collect();
        if new.is_empty() {
            return Outcome::Done(result_for(doc, &stored.heads, &pushed));
        }
        let take = match self.takeable(caller, doc, &new, Some(&mut current)) {
            Ok(take) => take,
            Err(outcome) => return outcome,
        };
        let bytes = concat(&raw, &take.changes);
        let applied = match built {
            Some(built) => current.apply_built(built.select(&hashes_of(&take.changes)), limits),
            None => current.apply_changes(&bytes, limits),
        };
        if let Err(error) = applied {
            return self.load_error(doc, &error);
        }
        // What is stored must load: automerge can take changes it then cannot load.
        let document = match current.save_verified() {
            Ok(document) => document,
            Err(error) => return self.load_error(doc, &error),
        };
        let heads = sorted_heads(&mut current);
        let result = take
            .left_out
            .unwrap_or_else(|| result_for(doc, &heads, &pushed));
        Outcome::Commit(
            Box::new(CommitDoc {
                doc,
                meta: stored.meta,
                base_heads: Some(stored.heads),
                document,
                heads,
                changes: bytes,
                origin: caller.device.clone(),
            }),
            result,
            Box::new(current),
        )
    }

    /// The first push of a document the server does not have.
    fn create(
        &self,
        caller: &Caller,
        doc: DocId,
        parsed: &[ParsedChange],
        raw: &[u8],
        built: Option<BuiltChanges>,
        pushed: HashSet<ChangeHash>,
    ) -> Outcome {
        let new = unique(parsed);
        let take = match self.takeable(caller, doc, &new, None) {
            Ok(take) => take,
            Err(outcome) => return outcome,
        };
        let bytes = concat(raw, &take.changes);
        let reader = self.config.reader.clone();
        let limits = &self.config.doc_limits;
        let created = match built {
            Some(built) => {
                SubmissionDoc::from_built(built.select(&hashes_of(&take.changes)), reader, limits)
            }
            None => SubmissionDoc::from_changes(&bytes, reader, limits),
        };
        let mut created = match created {
            Ok(created) => created,
            Err(error) => return self.load_error(doc, &error),
        };
        let meta = created.meta();
        if DocId::from(&meta.submission_id) != doc {
            return self.reject(
                doc,
                RejectCode::NotASubmission,
                &format!(
                    "these changes create submission {}, not {doc}; send each submission's changes under its own id",
                    meta.submission_id
                ),
            );
        }
        if meta.created_by_device != caller.device {
            return self.reject(
                doc,
                RejectCode::OutOfScope,
                "a new submission must name the device that pushes it as its creator",
            );
        }
        let meta = DocMeta {
            creator: meta.created_by_device.clone(),
            association: meta.association.clone(),
        };
        let foreign = caller
            .association
            .as_ref()
            .is_some_and(|own| meta.association.as_ref() != Some(own));
        if foreign || !caller.scope.contains(&meta) {
            return self.reject(
                doc,
                RejectCode::OutOfScope,
                "this device may not create submissions for that association: a new submission \
                 must belong to the association the device was enrolled for",
            );
        }
        // Stored as its change chunks, which load; but one day it will be saved, and that
        // must load too.
        if let Err(error) = created.verify_saveable() {
            return self.load_error(doc, &error);
        }
        let heads = sorted_heads(&mut created);
        let result = take
            .left_out
            .unwrap_or_else(|| result_for(doc, &heads, &pushed));
        Outcome::Commit(
            Box::new(CommitDoc {
                doc,
                meta,
                base_heads: None,
                // The applied change chunks load as the same document: storing them spares
                // a save (an encode and a deflate) on the busiest path, a first push.
                document: bytes.clone(),
                heads,
                changes: bytes,
                origin: caller.device.clone(),
            }),
            result,
            Box::new(created),
        )
    }

    /// Which of the `new` changes (those the server lacks) it may take from `caller`: the
    /// caller's own changes whose dependencies the server has or takes with them, in the
    /// order pushed. A change written by another device's actor is never taken from this
    /// caller: it must come from its own device.
    ///
    /// Usually that is every new change. Not after a backup restore: a volunteer's phone and
    /// a reviewer's laptop then both push a document the server lost, each holding the
    /// other's changes. Refusing the whole document because of the other's changes would
    /// refuse both forever; taking each side's own part lets the two halves meet over a few
    /// rounds. When some changes are left out, the returned result is a rejection (so the
    /// client acknowledges nothing and sends again later) even though the rest is committed.
    ///
    /// `current` is the server's copy (`None` for a document it does not have).
    fn takeable<'a>(
        &self,
        caller: &Caller,
        doc: DocId,
        new: &[&'a ParsedChange],
        current: Option<&mut SubmissionDoc>,
    ) -> Result<Take<'a>, Outcome> {
        let own: Vec<&'a ParsedChange> = new
            .iter()
            .copied()
            .filter(|change| change.device().as_ref() == Some(&caller.device))
            .collect();
        let deps: Vec<ChangeHash> = own
            .iter()
            .flat_map(|change| change.deps.iter())
            .copied()
            .collect();
        let absent: HashSet<ChangeHash> = match current {
            Some(current) => current.missing_changes(&deps).into_iter().collect(),
            None => deps.into_iter().collect(),
        };
        // Kahn's algorithm over the own changes: a change is taken once every dependency the
        // server lacks is itself taken; one on a change that is not among them never is.
        let index: HashMap<ChangeHash, usize> = own
            .iter()
            .enumerate()
            .map(|(i, change)| (change.hash, i))
            .collect();
        let mut waiting = vec![0usize; own.len()];
        let mut blocked = vec![false; own.len()];
        let mut dependents: HashMap<ChangeHash, Vec<usize>> = HashMap::new();
        for (i, change) in own.iter().enumerate() {
            for dep in change.deps.iter().filter(|dep| absent.contains(dep)) {
                if index.contains_key(dep) {
                    waiting[i] += 1;
                    dependents.entry(*dep).or_default().push(i);
                } else {
                    blocked[i] = true;
                }
            }
        }
        let mut taken = vec![false; own.len()];
        let mut ready: Vec<usize> = (0..own.len())
            .filter(|&i| waiting[i] == 0 && !blocked[i])
            .collect();
        while let Some(i) = ready.pop() {
            taken[i] = true;
            for &next in dependents
                .get(&own[i].hash)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                waiting[next] -= 1;
                if waiting[next] == 0 && !blocked[next] {
                    ready.push(next);
                }
            }
        }
        let changes: Vec<&'a ParsedChange> = own
            .iter()
            .zip(&taken)
            .filter(|(_, taken)| **taken)
            .map(|(change, _)| *change)
            .collect();
        let foreign = own.len() < new.len();
        let own_left_out = changes.len() < own.len();
        if changes.is_empty() {
            return Err(if own_left_out || !foreign {
                self.reject(
                    doc,
                    RejectCode::MissingDependencies,
                    "these changes depend on changes the server does not have; send the changes they depend on (from the acknowledged heads, or all of them)",
                )
            } else {
                self.reject(
                    doc,
                    RejectCode::ForeignActor,
                    "a change was written by another device's actor; a device may push only its own changes",
                )
            });
        }
        let left_out = (foreign || own_left_out).then(|| {
            let (code, message) = if own_left_out {
                (
                    RejectCode::MissingDependencies,
                    "some of these changes were stored; the others depend on changes the server does not have (another device's, after a restore): send them again later",
                )
            } else {
                (
                    RejectCode::ForeignActor,
                    "this device's changes were stored; changes written by other devices were not: they must come from those devices",
                )
            };
            PushResult::Rejected {
                doc,
                code,
                message: shorten(message.to_owned(), self.config.wire.max_message_bytes),
            }
        });
        Ok(Take { changes, left_out })
    }

    /// A document refused because the request has used its automerge budget.
    fn over_budget(&self, doc: DocId) -> Outcome {
        let budget = &self.config.budget;
        self.reject(
            doc,
            RejectCode::TooLarge,
            &format!(
                "this request carries more work than the server does for one request (at most {} documents and {} operations); send this document in a later request",
                budget.max_docs, budget.max_ops
            ),
        )
    }

    fn load_error(&self, doc: DocId, error: &LoadError) -> Outcome {
        let code = match error {
            LoadError::TooLarge { .. } | LoadError::TooManyChanges { .. } => RejectCode::TooLarge,
            LoadError::MissingDependencies { .. } => {
                return self.reject(
                    doc,
                    RejectCode::MissingDependencies,
                    "these changes depend on changes the server does not have; send the changes they depend on (from the acknowledged heads, or all of them)",
                );
            }
            LoadError::Schema(_) => RejectCode::NotASubmission,
            LoadError::Corrupt { .. }
            | LoadError::Panicked
            | LoadError::OutOfOrder { .. }
            | LoadError::Unsaveable { .. } => RejectCode::ApplyFailed,
        };
        self.reject(doc, code, &error.to_string())
    }

    fn pull<S: ServerStore>(
        &self,
        caller: &Caller,
        pull: Pull,
        store: &S,
    ) -> (Option<PullPage>, bool) {
        let epoch = store.epoch();
        let after = match pull.cursor {
            None => 0,
            Some(cursor) if cursor.epoch == epoch && cursor.seq <= store.last_seq() => cursor.seq,
            Some(_) => return (None, true),
        };
        let max_bytes = self.page_bytes(pull.max_bytes);
        let page = store.log_page(
            after,
            &caller.scope,
            &caller.device,
            max_bytes,
            self.config.wire.max_docs,
        );
        let Ok(page) = page else {
            // The client keeps its cursor and pulls again on its next request.
            return (None, false);
        };
        let mut docs: Vec<DocChanges> = Vec::new();
        for entry in page.entries {
            match docs.iter_mut().find(|doc| doc.doc == entry.doc) {
                Some(doc) => doc.changes.extend_from_slice(&entry.changes),
                None => docs.push(DocChanges {
                    doc: entry.doc,
                    changes: entry.changes,
                    encoding: ChangeEncoding::Chunks,
                }),
            }
        }
        let page = PullPage {
            docs,
            next: Cursor {
                epoch,
                seq: page.last_seq,
            },
            more: page.more,
        };
        (Some(page), false)
    }

    /// The byte bound of a page: what the client asked, within the server's and the wire's
    /// limits (a document's changes in one page must fit `max_doc_bytes`).
    fn page_bytes(&self, asked: u32) -> usize {
        let asked = usize::try_from(asked.min(self.config.max_page_bytes)).unwrap_or(usize::MAX);
        asked.min(self.config.wire.max_doc_bytes).max(1)
    }

    fn summary<S: ServerStore>(
        &self,
        caller: &Caller,
        request: SummaryRequest,
        store: &S,
    ) -> Response {
        let (index, last_seq) = match store.heads_index(&caller.scope) {
            Ok(found) => found,
            Err(error) => return store_error(request.request_id, &error),
        };
        let summary = match request.level {
            SummaryLevel::Root => Summary::Root {
                hash: root_hash(&bucket_digests(&index)),
                docs: index.len() as u64,
            },
            SummaryLevel::Buckets => Summary::Buckets(bucket_digests(&index)),
            SummaryLevel::Docs { buckets } => {
                let docs = docs_in_buckets(&index, &buckets);
                if docs.len() > self.config.wire.max_docs {
                    return Response::Error(ErrorResponse {
                        request_id: Some(request.request_id),
                        code: ErrorCode::TooLarge,
                        message: "these buckets hold too many documents for one response; ask for fewer buckets at a time".to_owned(),
                    });
                }
                Summary::Docs(docs)
            }
        };
        Response::Summary(SummaryResponse {
            request_id: request.request_id,
            cursor: Cursor {
                epoch: store.epoch(),
                seq: last_seq,
            },
            summary,
        })
    }

    fn fetch<S: ServerStore>(
        &self,
        caller: &Caller,
        request: FetchRequest,
        store: &S,
        work: &mut Work,
    ) -> Response {
        let max_bytes = self.page_bytes(request.max_bytes);
        let mut response = FetchResponse {
            request_id: request.request_id,
            docs: Vec::new(),
            unknown: Vec::new(),
            deferred: Vec::new(),
        };
        let mut bytes = 0;
        for wanted in request.docs {
            if bytes >= max_bytes {
                response.deferred.push(wanted.doc);
                continue;
            }
            let stored = match store.load(wanted.doc) {
                Ok(stored) => stored,
                Err(error) => return store_error(request.request_id, &error),
            };
            let Some(stored) = stored.filter(|stored| caller.scope.contains(&stored.meta)) else {
                response.unknown.push(wanted.doc);
                continue;
            };
            // Loading is automerge's work: within the request's budget, the rest deferred.
            if work.docs >= self.config.budget.max_docs {
                response.deferred.push(wanted.doc);
                continue;
            }
            work.docs += 1;
            let Ok(mut doc) = SubmissionDoc::load_with_limits(
                &stored.bytes,
                self.config.reader.clone(),
                &self.config.doc_limits,
            ) else {
                response.unknown.push(wanted.doc);
                continue;
            };
            let changes = doc.changes_after(&wanted.heads);
            if changes.is_empty() {
                continue;
            }
            if changes.len() > self.config.wire.max_doc_bytes {
                // Larger than one message may carry for a document: it cannot be sent this
                // way. Such a submission is far beyond any form's size.
                response.unknown.push(wanted.doc);
                continue;
            }
            if bytes > 0 && bytes + changes.len() > max_bytes {
                response.deferred.push(wanted.doc);
                continue;
            }
            bytes += changes.len();
            response.docs.push(DocChanges {
                doc: wanted.doc,
                changes,
                encoding: ChangeEncoding::Chunks,
            });
        }
        Response::Fetch(response)
    }
}

fn store_error(request_id: u64, error: &dyn std::error::Error) -> Response {
    Response::Error(ErrorResponse {
        request_id: Some(request_id),
        code: ErrorCode::StoreUnavailable,
        message: shorten(
            format!("the server's storage failed ({error}); retry later"),
            WireLimits::default().max_message_bytes,
        ),
    })
}

/// `Committed` when every head of the server's copy is a change the client pushed: the
/// server then holds exactly the client's document as it was when it pushed.
fn result_for(doc: DocId, heads: &[ChangeHash], pushed: &HashSet<ChangeHash>) -> PushResult {
    if heads.iter().all(|head| pushed.contains(head)) {
        PushResult::Committed { doc }
    } else {
        PushResult::CommittedWithMore {
            doc,
            heads: heads.to_vec(),
        }
    }
}

fn sorted_heads(doc: &mut SubmissionDoc) -> Vec<ChangeHash> {
    let mut heads = doc.heads();
    heads.sort_unstable();
    heads
}

/// The changes without repeats, in their order.
fn unique(parsed: &[ParsedChange]) -> Vec<&ParsedChange> {
    let mut seen = HashSet::new();
    parsed
        .iter()
        .filter(|change| seen.insert(change.hash))
        .collect()
}

/// The hashes of `changes`, in their order.
fn hashes_of(changes: &[&ParsedChange]) -> Vec<ChangeHash> {
    changes.iter().map(|change| change.hash).collect()
}

fn concat(raw: &[u8], changes: &[&ParsedChange]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(changes.iter().map(|c| c.range.len()).sum());
    for change in changes {
        bytes.extend_from_slice(&raw[change.range.clone()]);
    }
    bytes
}

fn error_code(error: &DecodeError) -> ErrorCode {
    match error {
        DecodeError::UnsupportedVersion { .. } | DecodeError::UnknownFlags { .. } => {
            ErrorCode::UnsupportedVersion
        }
        DecodeError::FrameTooLarge { .. }
        | DecodeError::PayloadTooLarge { .. }
        | DecodeError::LimitExceeded { .. } => ErrorCode::TooLarge,
        DecodeError::Truncated { .. }
        | DecodeError::BadMagic
        | DecodeError::Inflate { .. }
        | DecodeError::Payload { .. } => ErrorCode::BadRequest,
    }
}

/// Cuts `message` to at most `max` bytes, at a character boundary.
fn shorten(mut message: String, max: usize) -> String {
    if message.len() > max {
        let mut end = max.saturating_sub(3);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("...");
    }
    message
}
