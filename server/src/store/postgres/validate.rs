//! [`ValidationStore`] over PostgreSQL: the `validation_queue` and `submissions` tables, as
//! in SQLite (see `sqlite/validate.rs`), with every server's validator working at once.
//!
//! A pass claims its batch: the oldest rows no other server holds (`FOR UPDATE SKIP
//! LOCKED`) get `claimed_until` [`CLAIM_SECS`] ahead, in the statement that reads them, so
//! two servers never judge the same submission at once. The claim is not a lock held while
//! the form engine runs: the database is not held then. A server that dies mid-pass leaves
//! claims that expire, and the rows are taken again. A commit that queues a document again
//! clears its claim (`sync.rs`), and a verdict takes a row off the queue only if it is still
//! queued at the judged `seq`, as in SQLite.

use letsema_doc::SubmissionDoc;
use letsema_protocol::sync::{ChangeHash, DocId};

use super::PostgresStore;
use crate::store::submissions::choices_json;
use crate::store::sync::{doc_id_from_blob, heads_from_blob};
use crate::store::{
    JudgedSubmission, PendingSubmission, SubmissionVerdict, ValidateError, ValidationStore,
};

impl From<tokio_postgres::Error> for ValidateError {
    fn from(error: tokio_postgres::Error) -> Self {
        ValidateError::Database(Box::new(error))
    }
}

/// How long a claimed batch is another server's, in seconds: far longer than a pass takes.
const CLAIM_SECS: i64 = 120;

/// Claims the oldest unclaimed pending documents (`$1` of them; `$2` is now, `$3` the
/// claim's end) and gives them with their bytes (their own, or their one log entry's).
const CLAIM_SQL: &str = "WITH pick AS (
         SELECT doc_id FROM validation_queue
         WHERE claimed_until IS NULL OR claimed_until < $2
         ORDER BY seq LIMIT $1
         FOR UPDATE SKIP LOCKED
     ), claimed AS (
         UPDATE validation_queue q SET claimed_until = $3
         FROM pick WHERE q.doc_id = pick.doc_id
         RETURNING q.doc_id, q.seq
     )
     SELECT c.doc_id, CASE WHEN length(d.bytes) = 0 THEN l.changes ELSE d.bytes END, c.seq,
         d.heads
     FROM claimed c
     JOIN documents d ON d.doc_id = c.doc_id
     LEFT JOIN change_log l ON length(d.bytes) = 0 AND l.seq = d.last_seq
     ORDER BY c.seq";

/// Writes projections, each unless one made from a newer `last_seq` is there already. The
/// association is the document's; the choices reach `submission_choices` by trigger.
const UPSERT_SUBMISSIONS_SQL: &str = "INSERT INTO submissions (doc_id, form_id, form_version,
         created_at, review_status, withdrawn, instance_name, answers, complete, issues,
         validated_seq, validated_at, association, conflicts, search, choices, comments,
         duplicate_of, creator)
     SELECT j.doc_id, form_id, form_version, created_at, review_status, withdrawn,
         instance_name, answers::JSONB, complete, issues, validated_seq, $12,
         (SELECT d.association FROM documents d WHERE d.doc_id = j.doc_id), conflicts, search,
         choices::JSONB, comments, duplicate_of,
         (SELECT d.creator FROM documents d WHERE d.doc_id = j.doc_id)
     FROM unnest($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[], $6::BOOLEAN[],
                 $7::TEXT[], $8::TEXT[], $9::BOOLEAN[], $10::TEXT[], $11::BIGINT[],
                 $13::INTEGER[], $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::BYTEA[])
         AS j (doc_id, form_id, form_version, created_at, review_status, withdrawn,
               instance_name, answers, complete, issues, validated_seq, conflicts, search,
               choices, comments, duplicate_of)
     ON CONFLICT (doc_id) DO UPDATE SET
         form_id = excluded.form_id, form_version = excluded.form_version,
         created_at = excluded.created_at, review_status = excluded.review_status,
         withdrawn = excluded.withdrawn, instance_name = excluded.instance_name,
         answers = excluded.answers, complete = excluded.complete, issues = excluded.issues,
         validated_seq = excluded.validated_seq, validated_at = excluded.validated_at,
         association = excluded.association, conflicts = excluded.conflicts,
         search = excluded.search, choices = excluded.choices,
         comments = excluded.comments, duplicate_of = excluded.duplicate_of,
         creator = excluded.creator
     WHERE excluded.validated_seq >= submissions.validated_seq
     RETURNING doc_id";

/// The blocking keys of the documents whose projections were written (`$1`), replaced with
/// `$2`/`$3`'s (key, document) pairs.
const DELETE_KEYS_SQL: &str = "DELETE FROM match_keys WHERE doc_id = ANY($1)";
const INSERT_KEYS_SQL: &str = "INSERT INTO match_keys (key, doc_id)
     SELECT DISTINCT key, doc_id FROM unnest($1::BIGINT[], $2::BYTEA[]) AS k (key, doc_id)
     ON CONFLICT DO NOTHING";

/// Takes documents off the queue, each unless a commit queued it again at a newer `seq`.
const DEQUEUE_SQL: &str = "DELETE FROM validation_queue q
     USING unnest($1::BYTEA[], $2::BIGINT[]) AS j (doc_id, seq)
     WHERE q.doc_id = j.doc_id AND q.seq = j.seq";

const VERDICT_SQL: &str = "SELECT form_id, form_version, complete, issues, review_status,
         instance_name
     FROM submissions WHERE doc_id = $1";

impl ValidationStore for PostgresStore {
    fn validation_queue(&self) -> Result<u64, ValidateError> {
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let row = client
                .query_one("SELECT COUNT(*) FROM validation_queue", &[])
                .await?;
            Ok(row.get::<_, i64>(0).unsigned_abs())
        })
    }

    fn document_count(&self) -> Result<u64, ValidateError> {
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let row = client
                .query_one("SELECT COUNT(*) FROM documents", &[])
                .await?;
            Ok(row.get::<_, i64>(0).unsigned_abs())
        })
    }

    fn pending(&self, limit: usize) -> Result<Vec<PendingSubmission>, ValidateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let now = chrono::Utc::now().timestamp();
        let until = now + CLAIM_SECS;
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let statement = client.prepare_cached(CLAIM_SQL).await?;
            let rows = client.query(&statement, &[&limit, &now, &until]).await?;
            rows.iter()
                .map(|row| {
                    Ok(PendingSubmission {
                        doc_id: doc_id_from_blob(row.get::<_, &[u8]>(0))
                            .map_err(|e| ValidateError::Database(Box::new(e)))?,
                        bytes: row.get(1),
                        seq: row.get(2),
                        // Heads that cannot be read only cost the cache.
                        heads: heads_from_blob(row.get::<_, &[u8]>(3)).unwrap_or_default(),
                    })
                })
                .collect()
        })
    }

    /// The sync that just committed a document here usually left it loaded in the cache.
    fn cached_document(&self, doc_id: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        self.docs.get(doc_id, heads)
    }

    fn record_verdicts(&self, judged: &[JudgedSubmission]) -> Result<Vec<DocId>, ValidateError> {
        if judged.is_empty() {
            return Ok(Vec::new());
        }
        let now = chrono::Utc::now().timestamp();
        let doc_ids: Vec<&[u8]> = judged.iter().map(|j| &j.doc_id.0[..]).collect();
        let form_ids: Vec<&str> = judged
            .iter()
            .map(|j| j.projection.form_id.as_str())
            .collect();
        let versions: Vec<&str> = judged
            .iter()
            .map(|j| j.projection.form_version.as_str())
            .collect();
        let created: Vec<i64> = judged.iter().map(|j| j.projection.created_at).collect();
        let statuses: Vec<&str> = judged
            .iter()
            .map(|j| j.projection.review_status.as_str())
            .collect();
        let withdrawn: Vec<bool> = judged.iter().map(|j| j.projection.withdrawn).collect();
        let names: Vec<Option<String>> = judged
            .iter()
            .map(|j| {
                j.projection
                    .verdict
                    .instance_name
                    .as_deref()
                    .map(without_nul)
            })
            .collect();
        let answers: Vec<String> = judged
            .iter()
            .map(|j| json_without_nul(&j.projection.answers))
            .collect();
        let complete: Vec<bool> = judged
            .iter()
            .map(|j| j.projection.verdict.complete)
            .collect();
        let issues: Vec<String> = judged
            .iter()
            .map(|j| {
                without_nul(
                    &serde_json::to_string(&j.projection.verdict.issues).unwrap_or_default(),
                )
            })
            .collect();
        let seqs: Vec<i64> = judged.iter().map(|j| j.seq).collect();
        let conflicts: Vec<i32> = judged
            .iter()
            .map(|j| i32::try_from(j.projection.conflicts).unwrap_or(i32::MAX))
            .collect();
        let search: Vec<String> = judged
            .iter()
            .map(|j| without_nul(&j.projection.search))
            .collect();
        let choices: Vec<String> = judged
            .iter()
            .map(|j| json_without_nul(&choices_json(&j.projection.choices)))
            .collect();
        let comments: Vec<String> = judged
            .iter()
            .map(|j| without_nul(&j.projection.comments))
            .collect();
        let duplicate_of: Vec<Option<&[u8]>> = judged
            .iter()
            .map(|j| j.projection.duplicate_of.as_ref().map(|id| &id.0[..]))
            .collect();
        self.run(async {
            let mut client = self.client().await.map_err(ValidateError::Database)?;
            let tx = client.transaction().await?;
            let rows = tx
                .query(
                    &tx.prepare_cached(UPSERT_SUBMISSIONS_SQL).await?,
                    &[
                        &doc_ids,
                        &form_ids,
                        &versions,
                        &created,
                        &statuses,
                        &withdrawn,
                        &names,
                        &answers,
                        &complete,
                        &issues,
                        &seqs,
                        &now,
                        &conflicts,
                        &search,
                        &choices,
                        &comments,
                        &duplicate_of,
                    ],
                )
                .await?;
            let written: Vec<DocId> = rows
                .iter()
                .filter_map(|row| doc_id_from_blob(row.get(0)).ok())
                .collect();
            let was_written: std::collections::HashSet<DocId> = written.iter().copied().collect();
            let written_ids: Vec<&[u8]> = written.iter().map(|d| &d.0[..]).collect();
            let (mut key_values, mut key_docs): (Vec<i64>, Vec<&[u8]>) = (Vec::new(), Vec::new());
            for j in judged.iter().filter(|j| was_written.contains(&j.doc_id)) {
                for key in &j.keys {
                    key_values.push(*key);
                    key_docs.push(&j.doc_id.0[..]);
                }
            }
            tx.execute(&tx.prepare_cached(DELETE_KEYS_SQL).await?, &[&written_ids])
                .await?;
            tx.execute(
                &tx.prepare_cached(INSERT_KEYS_SQL).await?,
                &[&key_values, &key_docs],
            )
            .await?;
            tx.execute(&tx.prepare_cached(DEQUEUE_SQL).await?, &[&doc_ids, &seqs])
                .await?;
            tx.commit().await?;
            Ok(written)
        })
    }

    fn submission_verdict(
        &self,
        doc_id: &[u8; 16],
    ) -> Result<Option<SubmissionVerdict>, ValidateError> {
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let row = client
                .query_opt(&client.prepare_cached(VERDICT_SQL).await?, &[&&doc_id[..]])
                .await?;
            Ok(row.map(|row| SubmissionVerdict {
                form_id: row.get(0),
                form_version: row.get(1),
                complete: row.get(2),
                issues: serde_json::from_str(row.get::<_, &str>(3)).unwrap_or_default(),
                review_status: row.get(4),
                instance_name: row.get(5),
            }))
        })
    }
}

/// PostgreSQL's text cannot hold U+0000, which an answer may: the projection shows U+FFFD
/// instead (the document itself keeps what was typed).
pub(super) fn without_nul(text: &str) -> String {
    text.replace('\0', "\u{fffd}")
}

/// As [`without_nul`] for JSON text, whose strings spell U+0000 as an escape (`jsonb`
/// refuses it): every string in it loses its U+0000, nothing else changes.
pub(super) fn json_without_nul(json: &str) -> String {
    if !json.contains("\\u0000") && !json.contains('\0') {
        return json.to_owned();
    }
    fn clean(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = without_nul(text),
            serde_json::Value::Array(items) => items.iter_mut().for_each(clean),
            serde_json::Value::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    clean(&mut item);
                    map.insert(without_nul(&key), item);
                }
            }
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut value) => {
            clean(&mut value);
            value.to_string()
        }
        // Not JSON: the projection's answers are always made by serde_json, so this is not
        // reached; an empty object keeps the batch writable.
        Err(_) => "{}".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_leave_answers_and_nothing_else_changes() {
        assert_eq!(json_without_nul(r#"{"a":"x"}"#), r#"{"a":"x"}"#);
        let cleaned = json_without_nul(r#"{"name":"Pa\u0000lesa","k\u0000":["\u0000"]}"#);
        let value: serde_json::Value = serde_json::from_str(&cleaned).expect("JSON");
        assert_eq!(value["name"], "Pa\u{fffd}lesa");
        assert_eq!(value["k\u{fffd}"][0], "\u{fffd}");
        // An escaped backslash followed by "u0000" is not a U+0000.
        let literal = json_without_nul(r#"{"a":"\\u0000","b":"\u0000"}"#);
        let value: serde_json::Value = serde_json::from_str(&literal).expect("JSON");
        assert_eq!(value["a"], "\\u0000");
        assert_eq!(value["b"], "\u{fffd}");
    }
}
