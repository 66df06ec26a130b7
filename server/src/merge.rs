//! Merging a person's registrations: a reviewer keeps one submission (the canonical one) and
//! marks the others its duplicates, choosing for each differing field the value to keep.
//!
//! Every change is a reviewer's automerge change made through `staff_edit` (pushed through
//! the sync server as a phone's changes are), so each document keeps its whole history and
//! the volunteers' phones learn of it on their next sync:
//!
//! - the canonical submission takes the chosen values and records the merge
//!   (`review/merges`: who, when, which submissions, each field's value before and chosen);
//! - each other submission is marked `review/duplicate_of` the canonical one, with a comment
//!   that tells its volunteer;
//! - the candidate pairs among them are decided `merged`, and the merge is on the audit log
//!   (`duplicates.merge`, ids only).
//!
//! Then the validator's projection leaves the duplicates out of tables, exports and counts.
//! [`undo`] reverses a merge: fields nobody changed since go back to their values before,
//! the duplicates are nobody's again, the pairs open again. The steps are not one
//! transaction across documents: a step that fails is reported, and asking again completes
//! what is missing (each step sets a state, so repeating it changes nothing more).

use std::collections::BTreeMap;

use letsema_doc::{Answer, SubmissionId, Timestamp, Writer};
use letsema_protocol::staff::PairDecision;
use letsema_protocol::sync::DocId;
use letsema_sync::store::Caller;

use crate::staff_edit::{self, Edit, EditError};
use crate::store::{AssociationScope, AuditEntry, Backend, ordered};

/// The most submissions merged into one at once: a person registered three times.
pub const MAX_MERGED: usize = 2;

/// Who merges, as the store's audited methods take it.
#[derive(Debug, Clone)]
pub struct Reviewer<'a> {
    pub caller: &'a Caller,
    pub writer: &'a Writer,
    /// What the submissions the reviewer sees are.
    pub scope: &'a AssociationScope,
    /// The reviewer's name, on the pairs decided.
    pub name: &'a str,
    /// `user:ID`, for the audit log.
    pub actor: &'a str,
    pub address: Option<&'a str>,
}

/// Why a merge or its undoing failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("the database failed: {0}")]
    Store(String),
}

/// Merges `others` into `canonical`, setting each field of `chosen` on it.
///
/// # Errors
///
/// [`MergeError::Invalid`] for a merge that cannot be (no other, too many, one twice, the
/// canonical among the others, a submission already merged); [`EditError::NotFound`] for a
/// submission the reviewer does not see; an edit refused or a database failure.
pub fn merge(
    store: &dyn Backend,
    reviewer: &Reviewer<'_>,
    canonical: DocId,
    others: &[DocId],
    chosen: &BTreeMap<String, Option<Answer>>,
    now: Timestamp,
) -> Result<(), MergeError> {
    if others.is_empty() || others.len() > MAX_MERGED {
        return Err(MergeError::Invalid(format!(
            "merge 1 to {MAX_MERGED} submissions into the one kept"
        )));
    }
    let mut all: Vec<DocId> = others.to_vec();
    all.push(canonical);
    all.sort_unstable();
    all.dedup();
    if all.len() != others.len() + 1 {
        return Err(MergeError::Invalid(
            "each submission may be named once, and the one kept is not among the others"
                .to_owned(),
        ));
    }
    for doc in &all {
        let review = staff_edit::review(store, reviewer.caller, reviewer.writer.clone(), *doc)?;
        if let Some(of) = review.duplicate_of {
            return Err(MergeError::Invalid(format!(
                "submission {doc} is already merged into {of}: undo that merge first"
            )));
        }
    }
    let merged: Vec<SubmissionId> = others.iter().map(|doc| SubmissionId::from(*doc)).collect();
    staff_edit::edit(
        store,
        reviewer.caller,
        reviewer.writer,
        canonical,
        &[Edit::RecordMerge {
            merged,
            chosen: chosen.clone(),
        }],
        now,
    )?;
    let kept = SubmissionId::from(canonical);
    for other in others {
        staff_edit::edit(
            store,
            reviewer.caller,
            reviewer.writer,
            *other,
            &[
                Edit::DuplicateOf(Some(kept.clone())),
                Edit::Comment(format!(
                    "Registered twice: a reviewer merged this registration into {kept}, \
                     which counts for this person. Nothing needs doing."
                )),
            ],
            now,
        )?;
    }
    decide_all(store, reviewer, &all, Some(PairDecision::Merged))?;
    audit(store, reviewer, "duplicates.merge", canonical, others)
}

/// Undoes merge number `index` of `canonical` (of its review's merges).
///
/// # Errors
///
/// [`MergeError::Invalid`] when there is no such merge standing; as [`merge`] otherwise.
pub fn undo(
    store: &dyn Backend,
    reviewer: &Reviewer<'_>,
    canonical: DocId,
    index: usize,
    now: Timestamp,
) -> Result<(), MergeError> {
    let review = staff_edit::review(store, reviewer.caller, reviewer.writer.clone(), canonical)?;
    let record = review
        .merges
        .get(index)
        .filter(|record| record.undone_at.is_none())
        .ok_or_else(|| {
            MergeError::Invalid(format!(
                "merge {index} of submission {canonical} does not stand: reload the submission"
            ))
        })?;
    let others: Vec<DocId> = record.merged.iter().map(DocId::from).collect();
    staff_edit::edit(
        store,
        reviewer.caller,
        reviewer.writer,
        canonical,
        &[Edit::UndoMerge { index }],
        now,
    )?;
    let kept = SubmissionId::from(canonical);
    for other in &others {
        let theirs = staff_edit::review(store, reviewer.caller, reviewer.writer.clone(), *other)?;
        // Merged since into another submission: that merge stands.
        if theirs.duplicate_of.as_ref() != Some(&kept) {
            continue;
        }
        staff_edit::edit(
            store,
            reviewer.caller,
            reviewer.writer,
            *other,
            &[
                Edit::DuplicateOf(None),
                Edit::Comment(
                    "The merge was undone: this registration counts on its own again.".to_owned(),
                ),
            ],
            now,
        )?;
    }
    let mut all = others.clone();
    all.push(canonical);
    decide_all(store, reviewer, &all, None)?;
    audit(store, reviewer, "duplicates.unmerge", canonical, &others)
}

/// Decides every candidate pair among `docs` (pairs that were never candidates are left
/// alone).
fn decide_all(
    store: &dyn Backend,
    reviewer: &Reviewer<'_>,
    docs: &[DocId],
    decision: Option<PairDecision>,
) -> Result<(), MergeError> {
    for (i, a) in docs.iter().enumerate() {
        for b in &docs[i + 1..] {
            store
                .decide_pair(
                    ordered(*a, *b),
                    decision,
                    reviewer.scope,
                    reviewer.name,
                    reviewer.actor,
                    reviewer.address,
                )
                .map_err(|e| MergeError::Store(e.to_string()))?;
        }
    }
    Ok(())
}

fn audit(
    store: &dyn Backend,
    reviewer: &Reviewer<'_>,
    action: &str,
    canonical: DocId,
    others: &[DocId],
) -> Result<(), MergeError> {
    let merged: Vec<String> = others.iter().map(ToString::to_string).collect();
    store
        .record_audit(&AuditEntry {
            actor: reviewer.actor.to_owned(),
            action: action.to_owned(),
            detail: format!("into {canonical}: {}", merged.join(" ")),
            address: reviewer.address.map(str::to_owned),
        })
        .map_err(|e| MergeError::Store(e.to_string()))
}
