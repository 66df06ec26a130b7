//! The validator: the server's second opinion on every submission. After a sync commits, it
//! loads each changed document, runs the same form engine the phone ran over the merged
//! answers, and writes the `submissions` projection (current values, completeness, issues).
//!
//! Violations are flagged for review, never rejected: the data is the volunteer's. The work
//! happens after the commit, outside the sync's transaction, so a slow form never slows an
//! acknowledgement; documents not yet validated form a queue that `/metrics` reports.
//!
//! This file is SQLite's part: which documents are pending, and writing their projections.
//! The judging itself is `super::judge`, shared with any other backend.

use rusqlite::{OptionalExtension, params};

use super::judge::{FormCache, Projection, SubmissionVerdict, project};
use super::{DatabaseError, SqliteStore, ValidationStore};

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

struct Pending {
    doc_id: Vec<u8>,
    creator: String,
    association: Option<String>,
    bytes: Vec<u8>,
    heads: Vec<u8>,
    last_seq: i64,
}

impl From<rusqlite::Error> for ValidateError {
    fn from(error: rusqlite::Error) -> Self {
        ValidateError::Database(Box::new(error))
    }
}

impl ValidationStore for SqliteStore {
    fn validation_queue(&self) -> Result<u64, ValidateError> {
        let conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let count: i64 = conn.query_row(
            "SELECT COUNT(*) FROM documents d LEFT JOIN submissions s ON s.doc_id = d.doc_id
             WHERE s.doc_id IS NULL OR s.validated_seq < d.last_seq",
            [],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    fn document_count(&self) -> Result<u64, ValidateError> {
        let conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let count: i64 = conn.query_row("SELECT COUNT(*) FROM documents", [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    fn validate_pending(&self, cache: &mut FormCache) -> Result<usize, ValidateError> {
        let pending: Vec<Pending> = {
            let conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
            let mut statement = conn.prepare_cached(
                "SELECT d.doc_id, d.creator, d.association, d.bytes, d.last_seq, d.heads
                 FROM documents d LEFT JOIN submissions s ON s.doc_id = d.doc_id
                 WHERE s.doc_id IS NULL OR s.validated_seq < d.last_seq
                 ORDER BY d.last_seq LIMIT ?1",
            )?;
            let rows = statement.query_map(params![VALIDATION_BATCH as i64], |row| {
                Ok(Pending {
                    doc_id: row.get(0)?,
                    creator: row.get(1)?,
                    association: row.get(2)?,
                    bytes: row.get(3)?,
                    last_seq: row.get(4)?,
                    heads: row.get(5)?,
                })
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let count = pending.len();
        // The engine runs without holding the database.
        let rows: Vec<(Pending, Projection)> = pending
            .into_iter()
            .map(|p| {
                // The sync that just committed it usually left it loaded in the cache.
                let loaded = super::sync::doc_id_from_blob(&p.doc_id)
                    .ok()
                    .zip(super::sync::heads_from_blob(&p.heads).ok())
                    .and_then(|(doc, heads)| self.docs.get(doc, &heads));
                let projection = project(loaded, &p.bytes, cache, self);
                (p, projection)
            })
            .collect();
        let mut conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let tx = conn.transaction()?;
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for (p, projection) in rows {
            // A newer push may have landed meanwhile: the row then stays behind and is
            // picked up by the next pass.
            tx.prepare_cached(
                "INSERT INTO submissions (doc_id, form_id, form_version, creator, association,
                     created_at, review_status, withdrawn, instance_name, answers, complete,
                     issues, validated_seq, validated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (doc_id) DO UPDATE SET
                     form_id = excluded.form_id, form_version = excluded.form_version,
                     review_status = excluded.review_status, withdrawn = excluded.withdrawn,
                     instance_name = excluded.instance_name, answers = excluded.answers,
                     complete = excluded.complete, issues = excluded.issues,
                     validated_seq = excluded.validated_seq,
                     validated_at = excluded.validated_at",
            )?
            .execute(params![
                p.doc_id,
                projection.form_id,
                projection.form_version,
                p.creator,
                p.association,
                projection.created_at,
                projection.review_status,
                projection.withdrawn,
                projection.verdict.instance_name,
                projection.answers,
                projection.verdict.complete,
                serde_json::to_string(&projection.verdict.issues).unwrap_or_default(),
                p.last_seq,
                now
            ])?;
        }
        tx.commit()?;
        Ok(count)
    }

    fn submission_verdict(
        &self,
        doc_id: &[u8; 16],
    ) -> Result<Option<SubmissionVerdict>, ValidateError> {
        let conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let row = conn
            .query_row(
                "SELECT form_id, form_version, complete, issues, review_status, instance_name
                 FROM submissions WHERE doc_id = ?1",
                params![&doc_id[..]],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, bool>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, String>(4)?,
                        row.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?;
        Ok(row.map(
            |(form_id, form_version, complete, issues, review_status, instance_name)| {
                SubmissionVerdict {
                    form_id,
                    form_version,
                    complete,
                    issues: serde_json::from_str(&issues).unwrap_or_default(),
                    review_status,
                    instance_name,
                }
            },
        ))
    }
}
