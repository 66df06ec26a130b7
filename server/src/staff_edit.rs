//! What staff read and change of one submission, on the server.
//!
//! [`detail`] reads a submission as its document holds it now: answers, review, every
//! field's history (who wrote which value, when, from which device) and the fields written
//! concurrently, unresolved.
//!
//! [`edit`] and [`edit_many`] change submissions: a review status, a comment, a corrected
//! answer, a conflict resolved. Each edit is an automerge change by the staff member's own
//! actor (`staff-<id>` with a session of its own, the account as its user), pushed through
//! the sync server exactly as a phone's changes are: the same scope check, the same checks
//! of the changes, the same commit that refuses to overwrite. So it reaches the volunteer's
//! phone on its next sync, merges with the volunteer's own edits field by field and shows
//! in the history. A commit that loses a race with another writer is made again from what
//! that writer stored.

use std::collections::BTreeMap;

use letsema_doc::{
    Answer, AnswerPath, FieldPath, FieldValue, Limits, MergeRecord, RepeatInstanceId, ReviewStatus,
    SubmissionDoc, SubmissionId, Timestamp, Writer,
};

use letsema_form::model::QuestionType;
use letsema_protocol::staff::SubmissionDetail;
use letsema_protocol::sync::{
    ChangeEncoding, DocChanges, DocId, PushResult, RejectCode, Request, Response, SyncRequest,
};
use letsema_sync::server::{Server, ServerConfig};
use letsema_sync::store::{Caller, ServerStore};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::store::{
    Backend, FormCache, SyncStoreError, project, questions_of_repeat, questions_outside_repeats,
};

/// The most submissions one bulk edit may change.
pub use letsema_protocol::staff::MAX_BULK;
/// Submissions pushed in one request of a bulk edit (one commit each).
const BULK_BATCH: usize = 100;
/// How many times an edit that lost a race is made again.
const ATTEMPTS: usize = 3;

/// One change a staff member makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Status(ReviewStatus),
    /// A comment for the volunteer.
    Comment(String),
    /// A corrected answer (`None`: cleared) of a question outside repeats, or of one in an
    /// entry (`(repeat, entry id)`) of a repeat outside repeats.
    Answer {
        field: String,
        entry: Option<(String, RepeatInstanceId)>,
        value: Option<Answer>,
    },
    /// One value chosen (or typed) for a field written concurrently.
    Resolve {
        field: FieldPath,
        value: FieldValue,
    },
    /// Marks the submission the duplicate of another (`None`: nobody's).
    DuplicateOf(Option<SubmissionId>),
    /// Merges `merged` into the submission: each field of `chosen` (questions outside
    /// repeats) set to the value chosen (`None`: cleared), and the merge recorded with each
    /// field's value before, by the writer's user.
    RecordMerge {
        merged: Vec<SubmissionId>,
        chosen: BTreeMap<String, Option<Answer>>,
    },
    /// Undoes the submission's merge number `index` (of its review's merges): each field it
    /// set and nobody changed since goes back to its value before, and the merge is marked
    /// undone.
    UndoMerge {
        index: usize,
    },
}

/// Why an edit or a read failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("there is no submission {0} you may see: check the id in the table")]
    NotFound(DocId),
    #[error("{0}")]
    Invalid(String),
    #[error("the server refused the change: {0}")]
    Refused(String),
    #[error(
        "other changes to this submission kept arriving while yours was stored: nothing of \
         yours was lost, try again"
    )]
    Busy,
    #[error("the database failed: {0}")]
    Store(#[from] SyncStoreError),
    #[error("the stored submission cannot be read: {0}")]
    Unreadable(String),
}

/// `value` as the wire type of the same JSON: a document's field paths, values, history,
/// conflicts and comments become `letsema-protocol`'s, which cannot name `letsema-doc`'s
/// types (and the other way for a resolution).
///
/// # Errors
///
/// [`EditError::Invalid`] when the JSON of one is not the JSON of the other.
pub fn wire<T: Serialize, U: DeserializeOwned>(value: &T) -> Result<U, EditError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| EditError::Invalid(format!("a field or value of an unknown shape: {e}")))
}

/// Reads submission `doc_id`, if `caller` may see it.
///
/// # Errors
///
/// [`EditError::NotFound`] when it is not stored or not in the caller's scope (the two are
/// not told apart); a database failure.
pub fn detail(
    store: &dyn Backend,
    caller: &Caller,
    writer: Writer,
    doc_id: DocId,
    forms: &mut FormCache,
) -> Result<SubmissionDetail, EditError> {
    let session = store.sync_store()?;
    let (mut doc, _) = load(&*session, caller, writer, doc_id)?;
    let meta = doc.meta().clone();
    let review = doc.review();
    let history = doc.history();
    let conflicts = doc.conflicts();
    let answers = doc.answers();
    let repeats = doc.top_level_repeat_ids();
    let withdrawn = doc.is_withdrawn();
    let merges = wire(&review.merges)?;
    let duplicate_of = review
        .duplicate_of
        .as_ref()
        .map(|id| id.as_str().to_owned());
    // Judged now, by the same engine as the validator: a correction shows at once.
    let verdict = project(Some(doc), &[], forms, store).verdict;
    Ok(SubmissionDetail {
        id: doc_id.to_string(),
        form_id: meta.form_id.as_str().to_owned(),
        form_version: meta.form_version.as_str().to_owned(),
        association: meta.association.as_ref().map(|a| a.as_str().to_owned()),
        device: meta.created_by_device.as_str().to_owned(),
        created_at: meta.created_at.0,
        answers,
        review_status: review.status.unwrap_or(ReviewStatus::Received),
        comments: wire(&review.comments)?,
        withdrawn,
        history: wire(&history)?,
        conflicts: wire(&conflicts)?,
        complete: verdict.complete,
        issues: verdict.issues,
        instance_name: verdict.instance_name,
        repeats,
        duplicate_of,
        merges,
    })
}

/// The review of submission `doc_id` as stored, if `caller` may see it.
///
/// # Errors
///
/// As [`detail`].
pub fn review(
    store: &dyn Backend,
    caller: &Caller,
    writer: Writer,
    doc_id: DocId,
) -> Result<letsema_doc::Review, EditError> {
    let session = store.sync_store()?;
    let (doc, _) = load(&*session, caller, writer, doc_id)?;
    Ok(doc.review())
}

/// Makes `edits` to submission `doc_id` as `writer`, within `caller`'s scope, at `now`.
///
/// # Errors
///
/// [`EditError::NotFound`] out of scope; [`EditError::Invalid`] for a value the submission
/// cannot hold; [`EditError::Refused`] when the sync server refuses the change;
/// [`EditError::Busy`] when other writers won the race every time.
pub fn edit(
    store: &dyn Backend,
    caller: &Caller,
    writer: &Writer,
    doc_id: DocId,
    edits: &[Edit],
    now: Timestamp,
) -> Result<(), EditError> {
    edit_many(store, caller, writer, &[doc_id], edits, now)
        .pop()
        .map_or(Err(EditError::Busy), |(_, result)| result)
}

/// Makes the same `edits` to every submission of `doc_ids` (at most [`MAX_BULK`]), a
/// hundred to a commit; gives each submission's outcome, in order.
pub fn edit_many(
    store: &dyn Backend,
    caller: &Caller,
    writer: &Writer,
    doc_ids: &[DocId],
    edits: &[Edit],
    now: Timestamp,
) -> Vec<(DocId, Result<(), EditError>)> {
    let mut outcomes: Vec<(DocId, Result<(), EditError>)> = Vec::with_capacity(doc_ids.len());
    for batch in doc_ids.chunks(BULK_BATCH) {
        let mut waiting: Vec<DocId> = batch.to_vec();
        let mut settled: Vec<(DocId, Result<(), EditError>)> = Vec::new();
        for _ in 0..ATTEMPTS {
            if waiting.is_empty() {
                break;
            }
            waiting = push_once(store, caller, writer, &waiting, edits, now, &mut settled);
        }
        settled.extend(waiting.into_iter().map(|doc| (doc, Err(EditError::Busy))));
        // In the order asked.
        for doc in batch {
            if let Some(index) = settled.iter().position(|(d, _)| d == doc) {
                outcomes.push(settled.swap_remove(index));
            }
        }
    }
    outcomes
}

/// One push of `docs`' edits; records what is settled and gives the documents to try
/// again (they lost a race, or the store failed for now).
fn push_once(
    store: &dyn Backend,
    caller: &Caller,
    writer: &Writer,
    docs: &[DocId],
    edits: &[Edit],
    now: Timestamp,
    settled: &mut Vec<(DocId, Result<(), EditError>)>,
) -> Vec<DocId> {
    let mut session = match store.sync_store() {
        Ok(session) => session,
        Err(e) => {
            let message = e.to_string();
            settled.extend(docs.iter().map(|doc| {
                (
                    *doc,
                    Err(EditError::Store(SyncStoreError::Corrupt(message.clone()))),
                )
            }));
            return Vec::new();
        }
    };
    let mut push = Vec::new();
    for doc_id in docs {
        let changes =
            load(&*session, caller, writer.clone(), *doc_id).and_then(|(mut doc, heads)| {
                for one in edits {
                    match one {
                        Edit::Answer { field, entry, .. } => check_question(
                            store,
                            &doc,
                            field,
                            entry.as_ref().map(|(r, _)| r.as_str()),
                        )?,
                        Edit::RecordMerge { chosen, .. } => {
                            for field in chosen.keys() {
                                check_question(store, &doc, field, None)?;
                            }
                        }
                        _ => {}
                    }
                    apply(&mut doc, one, now)?;
                }
                Ok(doc.changes_after(&heads))
            });
        match changes {
            Ok(changes) if changes.is_empty() => settled.push((*doc_id, Ok(()))),
            Ok(changes) => push.push(DocChanges {
                doc: *doc_id,
                encoding: ChangeEncoding::Chunks,
                changes,
            }),
            Err(e) => settled.push((*doc_id, Err(e))),
        }
    }
    if push.is_empty() {
        return Vec::new();
    }
    let request = Request::Sync(SyncRequest {
        request_id: 1,
        push,
        pull: None,
    });
    let mut server = Server::new(ServerConfig::default());
    let pushed: Vec<DocId> = match &request {
        Request::Sync(sync) => sync.push.iter().map(|p| p.doc).collect(),
        _ => Vec::new(),
    };
    let Response::Sync(response) = server.respond(caller, request, &mut session) else {
        settled.extend(pushed.into_iter().map(|doc| {
            (
                doc,
                Err(EditError::Refused(
                    "the sync server gave an unexpected answer".to_owned(),
                )),
            )
        }));
        return Vec::new();
    };
    let mut again = Vec::new();
    for result in response.push {
        match result {
            PushResult::Committed { doc } | PushResult::CommittedWithMore { doc, .. } => {
                settled.push((doc, Ok(())));
            }
            PushResult::Rejected {
                doc,
                code: RejectCode::StoreFailed,
                ..
            } => again.push(doc),
            PushResult::Rejected { doc, message, .. } => {
                settled.push((doc, Err(EditError::Refused(message))));
            }
        }
    }
    again
}

/// The stored document `doc_id` loaded as `writer` would edit it, with its stored heads,
/// if `caller` may see it.
fn load(
    session: &dyn ServerStore<Error = SyncStoreError>,
    caller: &Caller,
    writer: Writer,
    doc_id: DocId,
) -> Result<(SubmissionDoc, Vec<letsema_protocol::sync::ChangeHash>), EditError> {
    let stored = session
        .load(doc_id)?
        .filter(|stored| caller.scope.contains(&stored.meta))
        .ok_or(EditError::NotFound(doc_id))?;
    let doc = SubmissionDoc::load_with_limits(&stored.bytes, writer, &Limits::default())
        .map_err(|e| EditError::Unreadable(e.to_string()))?;
    Ok((doc, stored.heads))
}

/// Refuses a correction of anything but a question of the submission's form outside
/// repeats, or, with `repeat`, directly in that repeat outside repeats (a note or a group
/// has no answer; a nested repeat's answers are corrected on the phone).
fn check_question(
    store: &dyn Backend,
    doc: &SubmissionDoc,
    field: &str,
    repeat: Option<&str>,
) -> Result<(), EditError> {
    let meta = doc.meta();
    let form = store
        .form_definition(meta.form_id.as_str(), meta.form_version.as_str())
        .map_err(|e| EditError::Unreadable(e.to_string()))?
        .ok_or_else(|| {
            EditError::Invalid(format!(
                "form {} version {} is not published here: publish it to correct answers",
                meta.form_id.as_str(),
                meta.form_version.as_str()
            ))
        })?;
    let questions = match repeat {
        None => questions_outside_repeats(&form),
        Some(repeat) => questions_of_repeat(&form, repeat),
    };
    let question = questions.into_iter().any(|question| {
        question.name.as_str() == field && !matches!(question.kind, QuestionType::Note)
    });
    match (question, repeat) {
        (true, _) => Ok(()),
        (false, None) => Err(EditError::Invalid(format!(
            "field: the form has no question {field:?} outside repeats: check the name"
        ))),
        (false, Some(repeat)) => Err(EditError::Invalid(format!(
            "field: the form has no question {field:?} in a repeat {repeat:?} outside repeats: \
             check both names"
        ))),
    }
}

fn apply(doc: &mut SubmissionDoc, edit: &Edit, now: Timestamp) -> Result<(), EditError> {
    let invalid = |e: letsema_doc::DocError| EditError::Invalid(e.to_string());
    match edit {
        Edit::Status(status) => doc.set_review_status(*status, now).map_err(invalid),
        Edit::Comment(text) => doc.add_comment(text, now).map(|_| ()).map_err(invalid),
        Edit::Answer {
            field,
            entry,
            value,
        } => {
            let path = match entry {
                None => AnswerPath::field(field),
                Some((repeat, id)) => AnswerPath::field(repeat).child(id, field),
            };
            match value {
                Some(value) => doc.set_answer_at(&path, value, now).map_err(invalid),
                None => doc.clear_answer(&path, now).map_err(invalid),
            }
        }
        Edit::Resolve { field, value } => doc.resolve(field, value, now).map_err(invalid),
        Edit::DuplicateOf(canonical) => doc
            .set_duplicate_of(canonical.as_ref(), now)
            .map_err(invalid),
        Edit::RecordMerge { merged, chosen } => {
            let by = doc.writer().user.clone().ok_or_else(|| {
                EditError::Invalid("a merge needs a signed-in reviewer".to_owned())
            })?;
            let answers = doc.answers();
            let before = chosen
                .keys()
                .map(|field| (field.clone(), answers.get(field).cloned()))
                .collect();
            for (field, value) in chosen {
                let path = AnswerPath::field(field);
                match value {
                    Some(value) => doc.set_answer_at(&path, value, now).map_err(invalid)?,
                    None => doc.clear_answer(&path, now).map_err(invalid)?,
                }
            }
            let mut merges = doc.review().merges;
            merges.push(MergeRecord {
                at: now,
                by,
                merged: merged.clone(),
                before,
                chosen: chosen.clone(),
                undone_at: None,
            });
            doc.set_merges(&merges, now).map_err(invalid)
        }
        Edit::UndoMerge { index } => {
            let mut merges = doc.review().merges;
            let record = merges
                .get_mut(*index)
                .filter(|record| record.undone_at.is_none())
                .ok_or_else(|| {
                    EditError::Invalid(format!(
                        "merge {index} of this submission does not stand: reload it"
                    ))
                })?;
            let answers = doc.answers();
            for (field, chosen) in &record.chosen {
                // A field changed since the merge keeps its newer value.
                if answers.get(field) != chosen.as_ref() {
                    continue;
                }
                let path = AnswerPath::field(field);
                match record.before.get(field).cloned().flatten() {
                    Some(value) => doc.set_answer_at(&path, &value, now).map_err(invalid)?,
                    None => doc.clear_answer(&path, now).map_err(invalid)?,
                }
            }
            record.undone_at = Some(now);
            doc.set_merges(&merges, now).map_err(invalid)
        }
    }
}
