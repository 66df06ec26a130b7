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

use super::DatabaseError;

/// How many documents one validation pass handles before letting others use the database.
pub const VALIDATION_BATCH: usize = 200;

/// Why a validation pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
}
