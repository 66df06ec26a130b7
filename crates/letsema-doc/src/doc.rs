//! The submission document: creating, loading, saving, merging and editing it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ScalarValue};
use letsema_ids::ChangeHash;
use serde::{Deserialize, Serialize};

use letsema_answers::{Answer, Answers};

use crate::answers::{AnswerPath, RepeatInstance, RepeatInstanceId};
use crate::error::{DocError, Limits, LoadError};
use crate::hashes::{self, from_automerge, from_automerge_all};
use crate::ids::{ActorInfo, DeviceId, SubmissionId, Timestamp, UserId, Writer};
use crate::order::{Received, check_order};
use crate::read::{Reader, Slot};
use crate::schema::{self, MergeRecord, Meta, NewSubmission, Review, ReviewStatus};
use crate::write;

/// The prefix of the commit message that names the user who made a change.
const USER_PREFIX: &str = "user:";

/// One submission: an automerge document with a typed schema over it.
///
/// Every edit takes the time from the caller and is committed at once as one automerge
/// change, whose message names the writer's user and whose time is that clock reading.
/// Edits that change nothing make no change.
pub struct SubmissionDoc {
    pub(crate) doc: AutoCommit,
    pub(crate) writer: Writer,
    pub(crate) meta: Meta,
}

/// An identical copy, with the same writer: for a cache of loaded documents that are only
/// read and merged into. Never write with both copies: two writers with one actor id make
/// changes automerge cannot tell apart; use [`SubmissionDoc::fork`] for a second writer.
impl Clone for SubmissionDoc {
    fn clone(&self) -> Self {
        SubmissionDoc {
            doc: self.doc.clone(),
            writer: self.writer.clone(),
            meta: self.meta.clone(),
        }
    }
}

impl fmt::Debug for SubmissionDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubmissionDoc")
            .field("submission_id", &self.meta.submission_id)
            .field("writer", &self.writer)
            .finish_non_exhaustive()
    }
}

/// Who made one automerge change, and when, as the change itself claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeInfo {
    /// The change's hash.
    #[serde(with = "hashes::hex")]
    pub hash: ChangeHash,
    /// The changes it builds on.
    #[serde(with = "hashes::hex_vec")]
    pub deps: Vec<ChangeHash>,
    /// The automerge actor that made it.
    pub actor: ActorId,
    /// The device, when the actor is a Letsema actor id.
    pub device: Option<DeviceId>,
    /// The signed-in user, when the writer had one.
    pub user: Option<UserId>,
    /// The writer's clock reading, in milliseconds since the Unix epoch.
    pub time: Timestamp,
}

impl ChangeInfo {
    pub(crate) fn new(
        hash: ChangeHash,
        deps: Vec<ChangeHash>,
        actor: ActorId,
        message: Option<&str>,
        time: i64,
    ) -> ChangeInfo {
        ChangeInfo {
            hash,
            deps,
            device: ActorInfo::parse(&actor),
            actor,
            user: message
                .and_then(|message| message.strip_prefix(USER_PREFIX))
                .and_then(|user| UserId::parse(user).ok()),
            time: Timestamp(time),
        }
    }
}

/// Runs `f` and turns a panic into [`LoadError::Panicked`].
///
/// Whatever `f` was working on must be thrown away after a panic; callers only ever pass
/// closures that work on a fresh or cloned document.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, LoadError>) -> Result<T, LoadError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Err(LoadError::Panicked))
}

fn check_size(size: usize, limit: usize) -> Result<(), LoadError> {
    if size > limit {
        Err(LoadError::TooLarge { size, limit })
    } else {
        Ok(())
    }
}

pub(crate) fn check_changes(doc: &mut AutoCommit, limits: &Limits) -> Result<(), LoadError> {
    let count = doc.get_changes_meta(&[]).len();
    if count > limits.max_changes {
        return Err(LoadError::TooManyChanges {
            count,
            limit: limits.max_changes,
        });
    }
    Ok(())
}

impl SubmissionDoc {
    /// Starts a new submission written by `writer` at `at`.
    ///
    /// # Errors
    ///
    /// Only if automerge refuses to write a fresh document, which would be a bug.
    pub fn create(
        new: NewSubmission,
        writer: Writer,
        at: Timestamp,
    ) -> Result<SubmissionDoc, DocError> {
        let meta = Meta {
            submission_id: new.submission_id,
            form_id: new.form_id,
            form_version: new.form_version,
            created_at: at,
            created_by_device: writer.device.clone(),
            created_by_user: writer.user.clone(),
            association: new.association,
        };
        let doc = AutoCommit::new().with_actor(writer.actor_id());
        let mut this = SubmissionDoc { doc, writer, meta };
        let meta = this.meta.clone();
        this.change(at, |doc| {
            doc.put(ROOT, schema::SCHEMA, schema::SCHEMA_VERSION)?;
            let m = doc.put_object(ROOT, schema::META, ObjType::Map)?;
            doc.put(&m, schema::SUBMISSION_ID, meta.submission_id.as_str())?;
            doc.put(&m, schema::FORM_ID, meta.form_id.as_str())?;
            doc.put(&m, schema::FORM_VERSION, meta.form_version.as_str())?;
            doc.put(&m, schema::CREATED_AT, ScalarValue::Timestamp(at.0))?;
            doc.put(
                &m,
                schema::CREATED_BY_DEVICE,
                meta.created_by_device.as_str(),
            )?;
            if let Some(user) = &meta.created_by_user {
                doc.put(&m, schema::CREATED_BY_USER, user.as_str())?;
            }
            if let Some(association) = &meta.association {
                doc.put(&m, schema::ASSOCIATION, association.as_str())?;
            }
            doc.put_object(ROOT, schema::ANSWERS, ObjType::Map)?;
            let review = doc.put_object(ROOT, schema::REVIEW, ObjType::Map)?;
            doc.put_object(&review, schema::COMMENTS, ObjType::List)?;
            Ok(())
        })?;
        Ok(this)
    }

    /// Loads a saved document for `writer` with the default [`Limits`].
    ///
    /// # Errors
    ///
    /// See [`SubmissionDoc::load_with_limits`].
    pub fn load(bytes: &[u8], writer: Writer) -> Result<SubmissionDoc, LoadError> {
        SubmissionDoc::load_with_limits(bytes, writer, &Limits::default())
    }

    /// Loads a saved document for `writer`, from bytes that may be hostile.
    ///
    /// What this guarantees: the size is checked before any decoding; a panic inside
    /// automerge becomes [`LoadError::Panicked`] (natively; a `panic = "abort"` build such as
    /// the web bundle cannot catch it); the heads are verified; the change count is bounded;
    /// every value is checked against the schema, so the document's accessors can be trusted.
    ///
    /// What it does not guarantee: automerge inflates compressed chunks without a cap, so a
    /// small input can still take a lot of memory and time. Bytes from the network must first
    /// pass the sync layer's chunk-header checks, which inflate with a cap.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] saying what was wrong; nothing is kept from a failed load.
    pub fn load_with_limits(
        bytes: &[u8],
        writer: Writer,
        limits: &Limits,
    ) -> Result<SubmissionDoc, LoadError> {
        check_size(bytes.len(), limits.max_document_bytes)?;
        guarded(|| {
            let mut doc = AutoCommit::load(bytes).map_err(|error| LoadError::Corrupt {
                reason: error.to_string(),
            })?;
            check_changes(&mut doc, limits)?;
            let meta = schema::check(&doc)?;
            let doc = doc.with_actor(writer.actor_id());
            Ok(SubmissionDoc { doc, writer, meta })
        })
    }

    /// Applies the output of another replica's [`SubmissionDoc::save_incremental`] (or
    /// [`SubmissionDoc::save`]) to this document.
    ///
    /// The bytes are applied to a copy, which replaces this document only if everything
    /// checks out; on any error, this document is unchanged.
    ///
    /// # Errors
    ///
    /// As for [`SubmissionDoc::load_with_limits`], plus
    /// [`LoadError::MissingDependencies`] when the bytes build on changes this document lacks.
    pub fn load_incremental(&mut self, bytes: &[u8], limits: &Limits) -> Result<(), LoadError> {
        check_size(bytes.len(), limits.max_incremental_bytes)?;
        if crate::changes::only_change_chunks(bytes) {
            // Change chunks are checked before automerge applies them.
            return self.apply_changes(bytes, limits).map(|_| ());
        }
        // A saved document only automerge can read: its changes are checked on the copy
        // they were applied to.
        let before = self.doc.get_heads();
        let mut copy = self.doc.clone();
        let copy = guarded(move || {
            copy.load_incremental(bytes)
                .map_err(|error| LoadError::Corrupt {
                    reason: error.to_string(),
                })?;
            let missing = copy.get_missing_deps(&[]);
            if !missing.is_empty() {
                return Err(LoadError::MissingDependencies {
                    count: missing.len(),
                });
            }
            let received: Vec<Received> = copy
                .get_changes_meta(&before)
                .iter()
                .map(Received::of_meta)
                .collect();
            check_order(&mut copy, &received, limits)?;
            Ok(copy)
        })?;
        self.accept_applied(copy).map(|_| ())
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// [`SubmissionDoc::save`], proven to load back with the same heads.
    ///
    /// automerge can take changes whose saved document no longer loads (see
    /// [`LoadError::OutOfOrder`] for the cause known and refused); whoever keeps a document
    /// others sent changes to checks this before keeping it, so that nothing unreadable is
    /// ever stored.
    ///
    /// # Errors
    ///
    /// [`LoadError::Unsaveable`] when the saved bytes do not load as this document.
    pub fn save_verified(&mut self) -> Result<Vec<u8>, LoadError> {
        let saved = self.doc.save();
        self.verify(&saved)?;
        Ok(saved)
    }

    /// Proves that this document's saved form loads back with the same heads, without
    /// compressing it (for a document kept in another form, such as its change chunks: it
    /// will be saved one day). About half the cost of [`SubmissionDoc::save_verified`].
    ///
    /// # Errors
    ///
    /// As [`SubmissionDoc::save_verified`].
    pub fn verify_saveable(&mut self) -> Result<(), LoadError> {
        let saved = self.doc.save_nocompress();
        self.verify(&saved)
    }

    /// Loads `saved` back and checks it has this document's heads; then keeps the loaded
    /// copy in place of this one. A document built by applying changes holds several times
    /// the memory of the same document loaded from its saved form (automerge keeps what
    /// applying needed), and the server caches the documents it commits: the loaded copy,
    /// which the check made anyway, is the one worth keeping.
    fn verify(&mut self, saved: &[u8]) -> Result<(), LoadError> {
        let mut heads = self.doc.get_heads();
        heads.sort_unstable();
        let actor = self.writer.actor_id();
        let reloaded = guarded(|| {
            let mut reloaded = AutoCommit::load(saved).map_err(|error| LoadError::Unsaveable {
                reason: error.to_string(),
            })?;
            let mut reloaded_heads = reloaded.get_heads();
            reloaded_heads.sort_unstable();
            Ok((reloaded.with_actor(actor), reloaded_heads))
        });
        match reloaded {
            Ok((reloaded, reloaded_heads)) if reloaded_heads == heads => {
                self.doc = reloaded;
                Ok(())
            }
            Ok(_) => Err(LoadError::Unsaveable {
                reason: "it loads with other heads".to_owned(),
            }),
            Err(LoadError::Panicked) => Err(LoadError::Unsaveable {
                reason: "automerge failed while loading it".to_owned(),
            }),
            Err(error) => Err(error),
        }
    }

    /// The changes made or received since the last `save` or `save_incremental`, as
    /// automerge change chunks (empty when there are none).
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    /// The document's current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        from_automerge_all(self.doc.get_heads())
    }

    /// Takes every change of `other` that this document lacks. Returns the new heads.
    ///
    /// # Errors
    ///
    /// [`DocError::DifferentSubmission`] or [`DocError::DifferentMeta`] when `other` is not
    /// the same submission; nothing is merged then.
    pub fn merge(&mut self, other: &mut SubmissionDoc) -> Result<Vec<ChangeHash>, DocError> {
        if other.meta.submission_id != self.meta.submission_id {
            return Err(DocError::DifferentSubmission {
                ours: self.meta.submission_id.clone(),
                theirs: other.meta.submission_id.clone(),
            });
        }
        if other.meta != self.meta {
            return Err(DocError::DifferentMeta {
                id: self.meta.submission_id.clone(),
            });
        }
        Ok(from_automerge_all(self.doc.merge(&mut other.doc)?))
    }

    /// A copy of this document for another writer (another tab, a test's second device).
    ///
    /// Give it a writer with its own session: two handles that write with one actor id at
    /// the same time would make changes automerge cannot tell apart.
    pub fn fork(&mut self, writer: Writer) -> SubmissionDoc {
        let doc = self.doc.fork().with_actor(writer.actor_id());
        SubmissionDoc {
            doc,
            writer,
            meta: self.meta.clone(),
        }
    }

    /// Who writes through this handle.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// This writer's automerge actor id.
    pub fn actor(&self) -> &ActorId {
        self.doc.get_actor()
    }

    /// The submission's fixed facts.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The underlying automerge document, read-only, for the sync layer.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// Every change in the document, with who made it and when.
    ///
    /// The order is causal (a change comes after the changes it builds on) and the same on
    /// every replica that has the same changes: among changes whose dependencies are all
    /// listed, the earliest by the writers' clocks comes first, then the smallest hash.
    pub fn changes(&mut self) -> Vec<ChangeInfo> {
        let changes = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|meta| {
                ChangeInfo::new(
                    from_automerge(meta.hash),
                    from_automerge_all(meta.deps),
                    meta.actor.into_owned(),
                    meta.message.as_deref(),
                    meta.timestamp,
                )
            })
            .collect();
        causal_order(changes)
    }

    /// All answers, with the winning value where fields are in conflict: fields in name
    /// order, each `select_multiple`'s choices sorted (the document keeps a set), at every
    /// level; [`Answers::normalized`] of what was written.
    pub fn answers(&self) -> Answers {
        let r = Reader::now(&self.doc);
        match r.answers_obj() {
            Some(answers) => r.answers_in(&answers, 0),
            None => Answers::new(),
        }
    }

    /// The answer to the top-level field `name`.
    pub fn answer(&self, name: &str) -> Option<Answer> {
        self.answer_at(&AnswerPath::field(name))
    }

    /// The answer at `path`.
    pub fn answer_at(&self, path: &AnswerPath) -> Option<Answer> {
        let r = Reader::now(&self.doc);
        let map = write::locate(&r, path).ok()?;
        let found = r.get(&map, path.name.as_str())?;
        r.answer_value(&found.slot, path.repeats.len())
    }

    /// Sets the top-level field `name` to `value`.
    ///
    /// Only what differs is written: a text is put only if it changed; a `select_multiple`
    /// set gains and loses single choices; a repeat is updated instance by instance, field by
    /// field (see [`Answer::Repeat`] and [`SubmissionDoc::remove_repeat_instance`]).
    ///
    /// A `select_multiple` set or a repeat list is created by its first answer. If two
    /// devices give a field its first answer concurrently, each creates its own container and
    /// [`SubmissionDoc::conflicts`] lists both until someone resolves it.
    ///
    /// # Errors
    ///
    /// [`DocError::EmptyName`] or [`DocError::TooDeep`] for a malformed value.
    pub fn set_answer(
        &mut self,
        name: &str,
        value: &Answer,
        at: Timestamp,
    ) -> Result<(), DocError> {
        self.set_answer_at(&AnswerPath::field(name), value, at)
    }

    /// Sets the answer at `path` (possibly inside repeat instances) to `value`.
    ///
    /// # Errors
    ///
    /// As [`SubmissionDoc::set_answer`], and [`DocError::NotFound`] when an enclosing repeat
    /// instance is gone.
    pub fn set_answer_at(
        &mut self,
        path: &AnswerPath,
        value: &Answer,
        at: Timestamp,
    ) -> Result<(), DocError> {
        write::check_value(path, value)?;
        self.change(at, |doc| {
            let map = write::locate(&Reader::now(doc), path)?;
            write::write_answer(doc, &map, &path.name, value, false)
        })
    }

    /// Sets several top-level answers in one change, in name order. Fields not in `answers`
    /// are left alone.
    ///
    /// # Errors
    ///
    /// As [`SubmissionDoc::set_answer`]; nothing is written if any value is malformed.
    pub fn set_answers(&mut self, answers: &Answers, at: Timestamp) -> Result<(), DocError> {
        let fields = write::by_name(answers);
        for &(name, value) in &fields {
            write::check_value(&AnswerPath::field(name), value)?;
        }
        self.change(at, |doc| {
            let map = Reader::now(doc)
                .answers_obj()
                .ok_or_else(|| write::not_found(&AnswerPath::field(""), "answers map"))?;
            for &(name, value) in &fields {
                write::write_answer(doc, &map, name, value, false)?;
            }
            Ok(())
        })
    }

    /// Removes the answer at `path` (every concurrent value of it).
    ///
    /// # Errors
    ///
    /// [`DocError::NotFound`] when an enclosing repeat instance is gone.
    pub fn clear_answer(&mut self, path: &AnswerPath, at: Timestamp) -> Result<(), DocError> {
        self.change(at, |doc| {
            let map = write::locate(&Reader::now(doc), path)?;
            if Reader::now(doc).get(&map, path.name.as_str()).is_some() {
                doc.delete(&map, path.name.as_str())?;
            }
            Ok(())
        })
    }

    /// The instances of the repeat at `path`, with their stable ids (empty if none).
    pub fn repeat_instances(&self, path: &AnswerPath) -> Vec<RepeatInstance> {
        let r = Reader::now(&self.doc);
        match write::locate_repeat(&r, path) {
            Ok(list) => r.repeat_instances(&list, path.repeats.len()),
            Err(_) => Vec::new(),
        }
    }

    /// The entries' ids of each repeat outside repeats, in the order [`Self::answers`] lists
    /// the entries: what a correction inside an entry names.
    pub fn top_level_repeat_ids(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.answers()
            .iter()
            .filter(|(_, answer)| matches!(answer, Answer::Repeat(_)))
            .map(|(name, _)| {
                let ids = self
                    .repeat_instances(&AnswerPath::field(name))
                    .into_iter()
                    .map(|instance| instance.id.as_str().to_owned())
                    .collect();
                (name.to_owned(), ids)
            })
            .collect()
    }

    /// Appends an instance with `answers` to the repeat at `path`, creating the repeat if it
    /// has no instances yet. Returns the new instance's id.
    ///
    /// # Errors
    ///
    /// As [`SubmissionDoc::set_answer_at`].
    pub fn add_repeat_instance(
        &mut self,
        path: &AnswerPath,
        answers: &Answers,
        at: Timestamp,
    ) -> Result<RepeatInstanceId, DocError> {
        write::check_value(path, &Answer::Repeat(vec![answers.clone()]))?;
        self.change(at, |doc| {
            let map = write::locate(&Reader::now(doc), path)?;
            let list = match Reader::now(doc).get(&map, path.name.as_str()) {
                Some(found) => match found.slot {
                    Slot::List(list) => list,
                    _ => {
                        return Err(DocError::WrongKind {
                            path: path.to_string(),
                            expected: "repeat instances",
                        });
                    }
                },
                None => doc.put_object(&map, path.name.as_str(), ObjType::List)?,
            };
            let index = Reader::now(doc).length(&list);
            let instance = doc.insert_object(&list, index, ObjType::Map)?;
            write::write_instance(doc, &instance, answers)?;
            Ok(RepeatInstanceId(instance.to_string()))
        })
    }

    /// Removes one instance of the repeat at `path`.
    ///
    /// # Errors
    ///
    /// [`DocError::NotFound`] when the repeat or the instance is gone.
    pub fn remove_repeat_instance(
        &mut self,
        path: &AnswerPath,
        instance: &RepeatInstanceId,
        at: Timestamp,
    ) -> Result<(), DocError> {
        self.change(at, |doc| {
            let r = Reader::now(doc);
            let list = write::locate_repeat(&r, path)?;
            let index = (0..r.length(&list))
                .find(|&index| {
                    r.get(&list, index)
                        .is_some_and(|found| found.op.to_string() == instance.as_str())
                })
                .ok_or_else(|| write::not_found(path, "repeat instance"))?;
            doc.delete(&list, index)?;
            Ok(())
        })
    }

    /// The review status and comments.
    pub fn review(&self) -> Review {
        schema::read_review(&Reader::now(&self.doc))
    }

    /// Sets the review status.
    ///
    /// # Errors
    ///
    /// Only if automerge refuses the edit, which would be a bug.
    pub fn set_review_status(
        &mut self,
        status: ReviewStatus,
        at: Timestamp,
    ) -> Result<(), DocError> {
        self.change(at, |doc| {
            let review = review_obj(doc)?;
            let current = Reader::now(doc).str_at(&review, schema::STATUS);
            if current.as_deref() != Some(status.as_str()) {
                doc.put(&review, schema::STATUS, status.as_str())?;
            }
            Ok(())
        })
    }

    /// Adds a comment by the writer's user. Returns the comment's id.
    ///
    /// # Errors
    ///
    /// [`DocError::NoAuthor`] when the writer has no user.
    pub fn add_comment(&mut self, text: &str, at: Timestamp) -> Result<String, DocError> {
        let author = self.writer.user.clone().ok_or(DocError::NoAuthor)?;
        self.change(at, |doc| {
            let review = review_obj(doc)?;
            let comments = match Reader::now(doc)
                .get(&review, schema::COMMENTS)
                .map(|found| found.slot)
            {
                Some(Slot::List(list)) => list,
                _ => {
                    return Err(DocError::NotFound {
                        path: "review/comments".to_owned(),
                        expected: "comment list",
                    });
                }
            };
            let index = Reader::now(doc).length(&comments);
            let comment = doc.insert_object(&comments, index, ObjType::Map)?;
            doc.put(&comment, schema::AUTHOR, author.as_str())?;
            doc.put(&comment, schema::AT, ScalarValue::Timestamp(at.0))?;
            doc.put(&comment, schema::TEXT, text)?;
            Ok(comment.to_string())
        })
    }

    /// Marks the submission a duplicate of `canonical` (the registration of the same person
    /// it was merged into), or, with `None`, nobody's duplicate.
    ///
    /// # Errors
    ///
    /// Only if automerge refuses the edit, which would be a bug.
    pub fn set_duplicate_of(
        &mut self,
        canonical: Option<&SubmissionId>,
        at: Timestamp,
    ) -> Result<(), DocError> {
        self.change(at, |doc| {
            let review = review_obj(doc)?;
            let current = Reader::now(doc).str_at(&review, schema::DUPLICATE_OF);
            match canonical {
                Some(id) if current.as_deref() != Some(id.as_str()) => {
                    doc.put(&review, schema::DUPLICATE_OF, id.as_str())?;
                }
                None if current.is_some() => doc.delete(&review, schema::DUPLICATE_OF)?,
                _ => {}
            }
            Ok(())
        })
    }

    /// Replaces the record of merges into this submission ([`Review::merges`]).
    ///
    /// # Errors
    ///
    /// Only if automerge refuses the edit, which would be a bug.
    pub fn set_merges(&mut self, merges: &[MergeRecord], at: Timestamp) -> Result<(), DocError> {
        let text = serde_json::to_string(merges).map_err(|_| DocError::WrongKind {
            path: "review/merges".to_owned(),
            expected: "merges that can be written as JSON",
        })?;
        self.change(at, |doc| {
            let review = review_obj(doc)?;
            if Reader::now(doc).str_at(&review, schema::MERGES).as_deref() != Some(text.as_str()) {
                doc.put(&review, schema::MERGES, text.as_str())?;
            }
            Ok(())
        })
    }

    /// Whether the author withdrew the submission.
    pub fn is_withdrawn(&self) -> bool {
        schema::read_withdrawn(&Reader::now(&self.doc))
    }

    /// Marks the submission withdrawn (or, with `false`, no longer withdrawn).
    ///
    /// Who may withdraw is the server's decision; the document records who did, through its
    /// history.
    ///
    /// # Errors
    ///
    /// Only if automerge refuses the edit, which would be a bug.
    pub fn set_withdrawn(&mut self, withdrawn: bool, at: Timestamp) -> Result<(), DocError> {
        self.change(at, |doc| {
            if schema::read_withdrawn(&Reader::now(doc)) != withdrawn {
                doc.put(ROOT, schema::WITHDRAWN, withdrawn)?;
            }
            Ok(())
        })
    }

    /// Runs `edit` in one transaction, then commits it with the writer's user and `at`, or
    /// rolls it back if `edit` failed.
    pub(crate) fn change<T>(
        &mut self,
        at: Timestamp,
        edit: impl FnOnce(&mut AutoCommit) -> Result<T, DocError>,
    ) -> Result<T, DocError> {
        match edit(&mut self.doc) {
            Ok(value) => {
                let mut options = CommitOptions::default().with_time(at.0);
                if let Some(user) = &self.writer.user {
                    options = options.with_message(format!("{USER_PREFIX}{user}"));
                }
                self.doc.commit_with(options);
                Ok(value)
            }
            Err(error) => {
                self.doc.rollback();
                Err(error)
            }
        }
    }
}

/// Sorts changes topologically, breaking ties by time and then hash, so every replica lists
/// the same changes in the same order.
fn causal_order(changes: Vec<ChangeInfo>) -> Vec<ChangeInfo> {
    let known: HashSet<ChangeHash> = changes.iter().map(|change| change.hash).collect();
    let mut waiting: HashMap<ChangeHash, usize> = HashMap::new();
    let mut dependents: HashMap<ChangeHash, Vec<usize>> = HashMap::new();
    let mut ready = BinaryHeap::new();
    for (index, change) in changes.iter().enumerate() {
        let deps: Vec<&ChangeHash> = change.deps.iter().filter(|d| known.contains(d)).collect();
        if deps.is_empty() {
            ready.push(Reverse((change.time, change.hash, index)));
        } else {
            waiting.insert(change.hash, deps.len());
            for dep in deps {
                dependents.entry(*dep).or_default().push(index);
            }
        }
    }
    let mut order = Vec::with_capacity(changes.len());
    while let Some(Reverse((_, hash, index))) = ready.pop() {
        order.push(index);
        for &next in dependents.get(&hash).map(Vec::as_slice).unwrap_or_default() {
            let change = &changes[next];
            if let Some(count) = waiting.get_mut(&change.hash) {
                *count -= 1;
                if *count == 0 {
                    ready.push(Reverse((change.time, change.hash, next)));
                }
            }
        }
    }
    let mut slots: Vec<Option<ChangeInfo>> = changes.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|index| slots.get_mut(index).and_then(Option::take))
        .collect()
}

fn review_obj(doc: &AutoCommit) -> Result<automerge::ObjId, DocError> {
    Reader::now(doc)
        .map_at(&ROOT, schema::REVIEW)
        .ok_or_else(|| DocError::NotFound {
            path: schema::REVIEW.to_owned(),
            expected: "review map",
        })
}
