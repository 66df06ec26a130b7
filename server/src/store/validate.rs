//! The validator: the server's second opinion on every submission. After a sync commits, it
//! loads each changed document, runs the same form engine the phone ran over the merged
//! answers, and writes the `submissions` projection (current values, completeness, issues).
//!
//! Violations are flagged for review, never rejected: the data is the volunteer's. The work
//! happens after the commit, outside the sync's transaction, so a slow form never slows an
//! acknowledgement; documents not yet validated form a queue that `/metrics` reports.
//!
//! This file holds the area's types; `sqlite/validate.rs` is SQLite's part (which documents
//! are pending, and writing their projections), `judge.rs` the judging, shared by every
//! backend.

use letsema_protocol::sync::{ChangeHash, DocId};

use super::DatabaseError;
use super::judge::Projection;

/// A submission waiting for the validator, as [`super::ValidationStore::pending`] gives it.
#[derive(Debug)]
pub struct PendingSubmission {
    pub doc_id: DocId,
    /// Its heads as stored: a backend that keeps loaded documents may have it loaded at
    /// these ([`super::ValidationStore::cached_document`]).
    pub heads: Vec<ChangeHash>,
    /// The saved document.
    pub bytes: Vec<u8>,
    /// Where it is queued (the change log's sequence number of its last change): its
    /// projection says it was made from there, and it leaves the queue only if it is still
    /// queued there when the projection is recorded.
    pub seq: i64,
}

/// A pending submission the validator judged, for [`super::ValidationStore::record_verdicts`].
#[derive(Debug)]
pub struct JudgedSubmission {
    pub doc_id: DocId,
    /// [`PendingSubmission::seq`].
    pub seq: i64,
    /// What the form engine made of it (`judge::project`).
    pub projection: Projection,
    /// Its blocking keys (`letsema_match::blocking_keys` of the projection's `matching`),
    /// written with the projection; none when it has nothing to match.
    pub keys: Vec<i64>,
}

/// Why a validation pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
}
