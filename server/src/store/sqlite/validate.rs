//! [`ValidationStore`] in SQL: the `validation_queue` and `submissions` tables.
//!
//! The queue is the `validation_queue` table: one row per pending document with the
//! `last_seq` to validate it at, upserted by each sync commit in its own transaction
//! (`sync.rs`). A pass picks the oldest rows through the index on `seq`, judges them without
//! holding the database, then, in one transaction, writes each projection (`submissions`,
//! with `validated_seq`) and deletes the row only if its `seq` is still the one judged: a
//! document changed meanwhile stays queued at its new `seq`. Picking and counting cost what
//! is pending, never what is stored.

use letsema_doc::SubmissionDoc;
use letsema_protocol::sync::{ChangeHash, DocId};
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::submissions::choices_json;
use crate::store::sync::heads_from_blob;
use crate::store::{
    JudgedSubmission, PendingSubmission, SubmissionVerdict, ValidateError, ValidationStore,
};

impl From<rusqlite::Error> for ValidateError {
    fn from(error: rusqlite::Error) -> Self {
        ValidateError::Database(Box::new(error))
    }
}

/// How many documents are pending.
const QUEUE_LENGTH_SQL: &str = "SELECT COUNT(*) FROM validation_queue";

/// The oldest pending documents (up to the parameter), with their bytes (their own, or
/// their one log entry's when empty: see `sync.rs`).
const PICK_SQL: &str = "SELECT q.doc_id,
         CASE WHEN length(d.bytes) = 0 THEN l.changes ELSE d.bytes END, q.seq, d.heads
     FROM validation_queue q
     JOIN documents d ON d.doc_id = q.doc_id
     LEFT JOIN change_log l ON length(d.bytes) = 0 AND l.seq = d.last_seq
     ORDER BY q.seq LIMIT ?1";

/// Writes a projection, unless one made from a newer `last_seq` is there already. The
/// association and the creator (the device) are the document's; the choices reach
/// `submission_choices` by trigger.
const UPSERT_SUBMISSION_SQL: &str = "INSERT INTO submissions (doc_id, form_id, form_version,
         created_at, review_status, withdrawn, instance_name, answers, complete, issues,
         validated_seq, validated_at, association, conflicts, search, choices, comments,
         duplicate_of, creator)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, jsonb(?8), ?9, ?10, ?11, ?12,
         (SELECT association FROM documents WHERE doc_id = ?1), ?13, ?14, ?15, ?16, ?17,
         (SELECT creator FROM documents WHERE doc_id = ?1))
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
     WHERE excluded.validated_seq >= submissions.validated_seq";

/// A document's blocking keys, replaced with its projection's.
const DELETE_KEYS_SQL: &str = "DELETE FROM match_keys WHERE doc_id = ?1";
const INSERT_KEY_SQL: &str = "INSERT OR IGNORE INTO match_keys (key, doc_id) VALUES (?1, ?2)";

/// Takes a document off the queue, unless a commit queued it again at a newer `seq`.
const DEQUEUE_SQL: &str = "DELETE FROM validation_queue WHERE doc_id = ?1 AND seq = ?2";

const VERDICT_SQL: &str = "SELECT form_id, form_version, complete, issues, review_status,
         instance_name
     FROM submissions WHERE doc_id = ?1";

impl ValidationStore for SqliteStore {
    fn validation_queue(&self) -> Result<u64, ValidateError> {
        let count: i64 = self
            .reader()
            .prepare_cached(QUEUE_LENGTH_SQL)?
            .query_row([], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    fn document_count(&self) -> Result<u64, ValidateError> {
        let count: i64 = self
            .reader()
            .query_row("SELECT COUNT(*) FROM documents", [], |row| row.get(0))?;
        Ok(count.unsigned_abs())
    }

    fn pending(&self, limit: usize) -> Result<Vec<PendingSubmission>, ValidateError> {
        let conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let mut statement = conn.prepare_cached(PICK_SQL)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement.query_map(params![limit], pending_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The sync that just committed a document usually left it loaded in the cache.
    fn cached_document(&self, doc_id: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        self.docs.get(doc_id, heads)
    }

    fn record_verdicts(&self, judged: &[JudgedSubmission]) -> Result<Vec<DocId>, ValidateError> {
        let mut conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let tx = conn.transaction()?;
        let now = chrono::Utc::now().timestamp();
        let mut written = Vec::with_capacity(judged.len());
        for JudgedSubmission {
            doc_id,
            seq,
            projection,
            keys,
        } in judged
        {
            // A newer push may have landed meanwhile: this projection is then already
            // behind, and the document stays queued at the newer `seq` for the next pass.
            let changed = tx.prepare_cached(UPSERT_SUBMISSION_SQL)?.execute(params![
                &doc_id.0[..],
                projection.form_id,
                projection.form_version,
                projection.created_at,
                projection.review_status,
                projection.withdrawn,
                projection.verdict.instance_name,
                projection.answers,
                projection.verdict.complete,
                serde_json::to_string(&projection.verdict.issues).unwrap_or_default(),
                seq,
                now,
                projection.conflicts,
                projection.search,
                choices_json(&projection.choices),
                projection.comments,
                projection.duplicate_of.map(|id| id.0.to_vec()),
            ])?;
            if changed > 0 {
                tx.prepare_cached(DELETE_KEYS_SQL)?
                    .execute(params![&doc_id.0[..]])?;
                let mut insert = tx.prepare_cached(INSERT_KEY_SQL)?;
                for key in keys {
                    insert.execute(params![key, &doc_id.0[..]])?;
                }
                written.push(*doc_id);
            }
            tx.prepare_cached(DEQUEUE_SQL)?
                .execute(params![&doc_id.0[..], seq])?;
        }
        tx.commit()?;
        Ok(written)
    }

    fn submission_verdict(
        &self,
        doc_id: &[u8; 16],
    ) -> Result<Option<SubmissionVerdict>, ValidateError> {
        let conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        Ok(conn
            .query_row(VERDICT_SQL, params![&doc_id[..]], verdict_row)
            .optional()?)
    }
}

/// A row of [`PICK_SQL`]. Heads that cannot be read only cost the cache: the document is
/// then judged from its bytes.
fn pending_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PendingSubmission> {
    let heads: Vec<u8> = row.get(3)?;
    Ok(PendingSubmission {
        doc_id: DocId(row.get(0)?),
        bytes: row.get(1)?,
        seq: row.get(2)?,
        heads: heads_from_blob(&heads).unwrap_or_default(),
    })
}

/// A row of [`VERDICT_SQL`].
fn verdict_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SubmissionVerdict> {
    let issues: String = row.get(3)?;
    Ok(SubmissionVerdict {
        form_id: row.get(0)?,
        form_version: row.get(1)?,
        complete: row.get(2)?,
        issues: serde_json::from_str(&issues).unwrap_or_default(),
        review_status: row.get(4)?,
        instance_name: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use letsema_doc::{Answer, DeviceId, SessionId, SubmissionDoc, Timestamp, Writer};
    use letsema_protocol::sync::DocId;
    use letsema_sync::client::{Client, ClientConfig};
    use letsema_sync::client_store::MemoryClientStore;
    use letsema_sync::server::Server;
    use letsema_sync::store::{Caller, Scope};
    use rusqlite::Connection;
    use rusqlite_migration::Migrations;

    use super::*;
    use crate::store::REFERENCE_FORM;
    use crate::store::sqlite::{DATABASE_FILE, MIGRATIONS};
    use crate::store::{FormCache, SyncAccess};
    use crate::validator::{VALIDATION_BATCH, judge, validate_batch};

    /// A server's store with the reference form published, and a volunteer's phone that
    /// captures registrations and syncs them through the real sync path.
    struct Field {
        dir: tempfile::TempDir,
        store: SqliteStore,
        server: Server,
        phone: Client<MemoryClientStore>,
        caller: Caller,
        generator: letsema_workload::Generator,
    }

    fn writer() -> Writer {
        Writer::new(
            DeviceId::parse("phone-1").expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("a session id"),
            None,
        )
    }

    fn at(minute: i64) -> Timestamp {
        Timestamp(1_780_000_000_000 + minute * 60_000)
    }

    impl Field {
        fn new() -> Field {
            let dir = tempfile::tempdir().expect("a temporary folder");
            let store = SqliteStore::open(dir.path()).expect("open the store");
            let (name, bytes) = REFERENCE_FORM;
            crate::store::publish_file(&store, name, bytes, "a test")
                .expect("publish the reference form");
            let device = writer().device;
            Field {
                dir,
                store,
                server: Server::default(),
                phone: Client::new(ClientConfig::new(writer()), MemoryClientStore::new()),
                caller: Caller {
                    device: device.clone(),
                    scope: Scope::Device(device),
                    association: None,
                },
                generator: letsema_workload::Generator::new(13),
            }
        }

        /// `n` new registrations on the phone.
        fn capture(&mut self, n: usize) -> Vec<DocId> {
            (0..n)
                .map(|i| {
                    let mut doc = self
                        .generator
                        .submission(&writer(), at(i as i64))
                        .expect("a generated registration");
                    self.phone
                        .save_document(&mut doc)
                        .expect("saved on the phone")
                })
                .collect()
        }

        /// The volunteer changes a comment in a registration on the phone.
        fn edit(&mut self, doc: DocId, comment: &str) {
            let mut opened: SubmissionDoc = self
                .phone
                .open_document(doc)
                .expect("opens")
                .expect("on the phone");
            opened
                .set_answer("comments", &Answer::value(comment), at(1_000))
                .expect("edited");
            self.phone.save_document(&mut opened).expect("saved");
        }

        /// The phone syncs until it has nothing left to send.
        fn sync(&mut self) {
            self.phone.start_sync();
            while let Some(request) = self.phone.next_request().expect("a request") {
                let mut session = self.store.sync_store().expect("a sync session");
                let response = self.server.handle(&self.caller, &request, &mut session);
                drop(session);
                let progress = self.phone.handle_response(&response).expect("an answer");
                assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
            }
            assert!(self.phone.unsynced().expect("unsynced").is_empty());
        }

        fn pending(&self) -> u64 {
            self.store.validation_queue().expect("the queue's length")
        }

        fn validate_all(&self) -> usize {
            let mut cache = FormCache::default();
            let mut done = 0;
            loop {
                match validate_batch(&self.store, &mut cache).expect("a pass") {
                    0 => return done,
                    n => done += n,
                }
            }
        }
    }

    /// The sequence number a submission's projection was made from, if it has one.
    fn validated_seq(store: &SqliteStore, doc: &[u8]) -> Option<i64> {
        store
            .conn
            .lock()
            .expect("the connection")
            .query_row(
                "SELECT validated_seq FROM submissions WHERE doc_id = ?1",
                params![doc],
                |row| row.get(0),
            )
            .optional()
            .expect("a query")
    }

    #[test]
    fn documents_committed_are_pending_until_validated() {
        let mut field = Field::new();
        let docs = field.capture(3);
        assert_eq!(field.pending(), 0, "nothing is pending before a sync");

        field.sync();
        assert_eq!(field.pending(), 3, "every committed document is pending");
        for doc in &docs {
            assert_eq!(field.store.submission_verdict(&doc.0).expect("reads"), None);
        }

        // After a restart, with nothing loaded: the documents are read from the database.
        let restarted = SqliteStore::open(field.dir.path()).expect("reopens");
        assert_eq!(restarted.validation_queue().expect("the queue"), 3);
        let mut cache = FormCache::default();
        assert_eq!(validate_batch(&restarted, &mut cache).expect("a pass"), 3);
        assert_eq!(field.pending(), 0, "validating empties the queue");
        for doc in &docs {
            let verdict = field
                .store
                .submission_verdict(&doc.0)
                .expect("reads")
                .expect("validated");
            assert!(verdict.complete, "{:?}", verdict.issues);
            assert!(verdict.instance_name.is_some());
        }

        // A change to a validated document makes it pending again, once however often it
        // changes before the validator runs.
        field.edit(docs[1], "I can teach in December.");
        field.sync();
        field.edit(docs[1], "I can teach in January.");
        field.sync();
        assert_eq!(field.pending(), 1);
        assert_eq!(field.validate_all(), 1);
        assert_eq!(field.pending(), 0);
    }

    #[test]
    fn a_document_changed_while_being_validated_stays_pending() {
        let mut field = Field::new();
        let doc = field.capture(1)[0];
        field.sync();

        // The validator picks the document and judges it without holding the database...
        let picked = field.store.pending(VALIDATION_BATCH).expect("picks");
        assert_eq!(picked.len(), 1);
        let judged_at = picked[0].seq;
        let judged = judge(&field.store, picked, &mut FormCache::default());
        // ... while the phone sends a change to it ...
        field.edit(doc, "Changed while the validator ran.");
        field.sync();
        // ... so the projection it writes is already behind: the document stays pending.
        field.store.record_verdicts(&judged).expect("written");
        assert_eq!(validated_seq(&field.store, &doc.0), Some(judged_at));
        assert_eq!(field.pending(), 1);

        // The next pass validates the change.
        assert_eq!(field.validate_all(), 1);
        assert_eq!(field.pending(), 0);
        assert!(validated_seq(&field.store, &doc.0) > Some(judged_at));
    }

    #[test]
    fn upgrading_a_database_carries_its_pending_work_into_the_queue() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut generator = letsema_workload::Generator::new(5);
        let mut saved = |minute| {
            let mut doc = generator
                .submission(&writer(), at(minute))
                .expect("a generated registration");
            let heads: Vec<u8> = doc.heads().iter().flat_map(|h| h.0).collect();
            (doc.save(), heads)
        };
        let (a, b, c) = ([0xa; 16], [0xb; 16], [0xc; 16]);
        {
            // A database of the schema before the queue existed (migration 8), holding:
            // A, validated at its last change; B, validated before its last change (seq 4);
            // C, never validated.
            let mut conn = Connection::open(dir.path().join(DATABASE_FILE)).expect("opens");
            Migrations::from_slice(&MIGRATIONS[..8])
                .to_latest(&mut conn)
                .expect("migrated to version 8");
            for (doc, seqs) in [(a, &[1][..]), (b, &[2, 4]), (c, &[3])] {
                let (bytes, heads) = saved(i64::from(doc[0]));
                let last_seq = *seqs.last().expect("a change");
                conn.execute(
                    "INSERT INTO documents (doc_id, creator, association, bytes, heads, last_seq)
                     VALUES (?1, 'phone-1', NULL, ?2, ?3, ?4)",
                    params![&doc[..], bytes, heads, last_seq],
                )
                .expect("a document");
                for seq in seqs {
                    conn.execute(
                        "INSERT INTO change_log (seq, doc_id, origin, changes)
                         VALUES (?1, ?2, 'phone-1', ?3)",
                        params![seq, &doc[..], bytes],
                    )
                    .expect("a log entry");
                }
            }
            for (doc, validated_seq) in [(a, 1), (b, 2)] {
                conn.execute(
                    "INSERT INTO submissions (doc_id, form_id, form_version, creator,
                         association, created_at, review_status, withdrawn, instance_name,
                         answers, complete, issues, validated_seq, validated_at)
                     VALUES (?1, 'diaspora_registration', '1', 'phone-1', NULL, 0,
                         'received', 0, 'A name', '{\"consent\":\"no\"}', 1, '[]', ?2,
                         '2026-05-01T12:00:00Z')",
                    params![&doc[..], validated_seq],
                )
                .expect("a projection");
            }
        }

        let store = SqliteStore::open(dir.path()).expect("opens and migrates");
        // B and C by migration 9; A too, by migration 14, which makes every projection
        // again for the staff's table.
        assert_eq!(store.validation_queue().expect("the queue"), 3);
        let picked: Vec<(Vec<u8>, i64)> = store
            .pending(VALIDATION_BATCH)
            .expect("picks")
            .into_iter()
            .map(|p| (p.doc_id.0.to_vec(), p.seq))
            .collect();
        assert_eq!(
            picked,
            [(a.to_vec(), 1), (c.to_vec(), 3), (b.to_vec(), 4)],
            "oldest change first"
        );

        // A's projection was carried over as it was, none of it lost.
        let verdict = store.submission_verdict(&a).expect("reads").expect("kept");
        assert_eq!(verdict.instance_name.as_deref(), Some("A name"));
        let kept: (String, i64) = store
            .conn
            .lock()
            .expect("the connection")
            .query_row(
                "SELECT json(answers), validated_at FROM submissions WHERE doc_id = ?1",
                params![&a[..]],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("A's projection");
        assert_eq!(kept, ("{\"consent\":\"no\"}".to_owned(), 1_777_636_800));

        let (name, bytes) = REFERENCE_FORM;
        crate::store::publish_file(&store, name, bytes, "a test")
            .expect("publish the reference form");
        let mut cache = FormCache::default();
        assert_eq!(validate_batch(&store, &mut cache).expect("a pass"), 3);
        assert_eq!(store.validation_queue().expect("the queue"), 0);
        assert_eq!(validated_seq(&store, &a), Some(1));
        assert_eq!(validated_seq(&store, &b), Some(4));
        assert_eq!(validated_seq(&store, &c), Some(3));
        for doc in [a, b, c] {
            let verdict = store
                .submission_verdict(&doc)
                .expect("reads")
                .expect("validated");
            assert!(verdict.complete, "{:?}", verdict.issues);
        }
    }

    #[test]
    fn picking_and_counting_read_only_the_queue_and_what_it_names() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let conn = store.conn.lock().expect("the connection");
        for sql in [PICK_SQL, QUEUE_LENGTH_SQL, DEQUEUE_SQL, VERDICT_SQL] {
            let plan = crate::store::sqlite::query_plan(&conn, sql);
            for step in &plan {
                let scan = step.starts_with("SCAN ");
                // The queue is read in `seq` order through its index, as far as the batch
                // goes; counting it reads it whole, and it holds only what is pending.
                let allowed = step.starts_with("SCAN q USING")
                    && step.contains("INDEX validation_queue_by_seq")
                    || step.starts_with("SCAN validation_queue");
                assert!(!scan || allowed, "{sql}\n{plan:#?}");
            }
        }
    }
}
