//! The validator: the server's second opinion on every submission. After a sync commits, it
//! loads each changed document, runs the same form engine the phone ran over the merged
//! answers, and writes the `submissions` projection (current values, completeness, issues).
//!
//! Violations are flagged for review, never rejected: the data is the volunteer's. The work
//! happens after the commit, outside the sync's transaction, so a slow form never slows an
//! acknowledgement; documents not yet validated form a queue that `/metrics` reports.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use letsema_doc::{SessionId, SubmissionDoc, Writer};
use letsema_form::runtime::{Answers, CompiledForm, Environment, FormState};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{DatabaseError, FormStore, SqliteStore, ValidationStore};

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

/// What the form engine found in one submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Verdict {
    complete: bool,
    issues: Vec<String>,
    instance_name: Option<String>,
}

/// Compiled forms by (id, version), kept across passes: compiling is the expensive part.
#[derive(Debug, Default)]
pub struct FormCache {
    forms: HashMap<(String, String), Option<Arc<CompiledForm>>>,
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
                let projection = self.project(&p, cache);
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

impl SqliteStore {
    fn project(&self, pending: &Pending, cache: &mut FormCache) -> Projection {
        let reader = match (
            letsema_doc::DeviceId::parse("letsema-validator"),
            SessionId::from_bytes(&[0; 16]),
        ) {
            (Ok(device), Ok(session)) => Writer::new(device, session, None),
            _ => return Projection::unreadable("the validator's identity is invalid".to_owned()),
        };
        // The sync that just committed it usually left it loaded in the cache.
        let cached = super::sync::doc_id_from_blob(&pending.doc_id)
            .ok()
            .zip(super::sync::heads_from_blob(&pending.heads).ok())
            .and_then(|(doc, heads)| self.docs.get(doc, &heads));
        let loaded = match cached {
            Some(doc) => Ok(doc),
            None => SubmissionDoc::load(&pending.bytes, reader),
        };
        let doc = match loaded {
            Ok(doc) => doc,
            Err(e) => {
                return Projection::unreadable(format!("the stored document cannot be read: {e}"));
            }
        };
        let meta = doc.meta().clone();
        let review = doc.review();
        let answers_json = serde_json::to_value(doc.answers()).unwrap_or_default();
        let form_id = meta.form_id.as_str().to_owned();
        let form_version = meta.form_version.as_str().to_owned();
        let created_ms = meta.created_at.0;
        let verdict = match self.compiled(cache, &form_id, &form_version) {
            None => Verdict {
                complete: false,
                issues: vec![format!(
                    "form {form_id} version {form_version} is not published on this server: \
                     publish it to check these answers"
                )],
                instance_name: None,
            },
            Some(compiled) => judge(compiled, &answers_json, created_ms),
        };
        Projection {
            form_id,
            form_version,
            created_at: created_ms,
            review_status: review
                .status
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "received".to_owned()),
            withdrawn: doc.is_withdrawn(),
            answers: answers_json.to_string(),
            verdict,
        }
    }

    fn compiled(
        &self,
        cache: &mut FormCache,
        form_id: &str,
        version: &str,
    ) -> Option<Arc<CompiledForm>> {
        let key = (form_id.to_owned(), version.to_owned());
        if let Some(found) = cache.forms.get(&key) {
            return found.clone();
        }
        let compiled = self
            .form_definition(form_id, version)
            .ok()
            .flatten()
            .and_then(|form| CompiledForm::new(&form).ok())
            .map(Arc::new);
        // An unpublished form is not cached: it may be published later.
        if compiled.is_some() {
            cache.forms.insert(key, compiled.clone());
        }
        compiled
    }
}

/// The form engine's verdict on a submission, as the projection holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionVerdict {
    pub form_id: String,
    pub form_version: String,
    pub complete: bool,
    pub issues: Vec<String>,
    pub review_status: String,
    pub instance_name: Option<String>,
}

struct Projection {
    form_id: String,
    form_version: String,
    created_at: i64,
    review_status: String,
    withdrawn: bool,
    answers: String,
    verdict: Verdict,
}

impl Projection {
    fn unreadable(issue: String) -> Self {
        Projection {
            form_id: String::new(),
            form_version: String::new(),
            created_at: 0,
            review_status: "received".to_owned(),
            withdrawn: false,
            answers: "{}".to_owned(),
            verdict: Verdict {
                complete: false,
                issues: vec![issue],
                instance_name: None,
            },
        }
    }
}

/// Runs the form engine over stored answers, as of when the submission was created (so that
/// `today()` means the day it was filled in).
fn judge(compiled: Arc<CompiledForm>, answers: &serde_json::Value, created_ms: i64) -> Verdict {
    let answers: Answers = match serde_json::from_value(answers.clone()) {
        Ok(answers) => answers,
        Err(e) => {
            return Verdict {
                complete: false,
                issues: vec![format!("the answers do not have the form's shape: {e}")],
                instance_name: None,
            };
        }
    };
    let now: DateTime<FixedOffset> = DateTime::from_timestamp_millis(created_ms)
        .unwrap_or_default()
        .fixed_offset();
    match FormState::new(compiled, &answers, Environment::new(now)) {
        Ok(state) => {
            let mut issues: Vec<String> = state
                .missing_required()
                .into_iter()
                .map(|i| format!("{}: {}", i.location, i.message))
                .collect();
            issues.extend(
                state
                    .constraint_violations()
                    .into_iter()
                    .map(|i| format!("{}: {}", i.location, i.message)),
            );
            Verdict {
                complete: issues.is_empty(),
                issues,
                instance_name: state.instance_name().filter(|n| !n.trim().is_empty()),
            }
        }
        Err(errors) => Verdict {
            complete: false,
            issues: errors.iter().map(ToString::to_string).collect(),
            instance_name: None,
        },
    }
}
