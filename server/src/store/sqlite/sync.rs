//! The sync protocol's [`ServerStore`] over SQLite: documents with their heads and owners in
//! `documents`, the append-only `change_log` that pulls read, the epoch in `instance`.
//!
//! A commit is one `BEGIN IMMEDIATE ... COMMIT` in WAL mode with `synchronous=full`: when
//! it returns, the batch survives a power cut, and only then does the server acknowledge.
//! The same transaction puts each committed document in the `validation_queue` (see
//! `validate.rs`) with its new `last_seq`.
//!
//! A document is stored once: `documents.bytes` holds the saved document, or is empty when
//! the document is exactly the change chunks of its change log entry at `last_seq` (its
//! first push, until another commit changes it), which [`ServerStore::load`] then reads.
//!
//! Every query here looks rows up through a key or an index, never by reading a whole
//! table (the test `every_sync_query_uses_a_key_or_an_index` asks SQLite for each plan),
//! except the heads of the scope `All`, which are the whole table. A scoped pull finds its
//! log entries through the scope's documents (`documents_by_creator` or `_by_association`,
//! then `change_log_by_doc` after the cursor); the scope `All` reads the log from the
//! cursor on.

use std::sync::MutexGuard;
use std::sync::atomic::Ordering;

use letsema_doc::{DeviceId, SubmissionDoc};
use letsema_protocol::sync::{ChangeHash, DocId};
use letsema_sync::store::{
    CommitDoc, LogEntry, LogPage, LogPageBuilder, Scope, ServerStore, StoredDoc,
};
use letsema_sync::summary::HeadsIndex;
use rusqlite::{Connection, OptionalExtension, ToSql, TransactionBehavior, params};

use super::SqliteStore;
use crate::store::sync::{doc_id_from_blob, heads_from_blob, heads_to_blob, meta};
use crate::store::{SyncAccess, SyncSession, SyncStoreError};

/// The sync view of the database for one request.
///
/// Each method takes the connection only for its own queries: the automerge work between
/// them (loading, applying, saving documents) runs while other requests use the database,
/// and the optimistic check on base heads in [`ServerStore::commit`] catches a document
/// that changed meanwhile.
#[derive(Debug)]
pub struct SqliteSyncStore<'a> {
    store: &'a SqliteStore,
    epoch: u64,
}

impl From<rusqlite::Error> for SyncStoreError {
    fn from(error: rusqlite::Error) -> Self {
        if error.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            // The operator must hear of it: phones only see that nothing was stored.
            tracing::error!(
                "the disk holding the database is full: syncs store nothing (phones keep \
                 their changes and retry) until space is freed"
            );
            return SyncStoreError::DiskFull;
        }
        SyncStoreError::Database(Box::new(error))
    }
}

impl SyncAccess for SqliteStore {
    /// A [`SqliteSyncStore`] with the epoch read at open.
    fn sync_store(&self) -> Result<SyncSession<'_>, SyncStoreError> {
        Ok(Box::new(SqliteSyncStore {
            store: self,
            epoch: self.sync_epoch.load(Ordering::SeqCst),
        }))
    }

    fn renew_sync_epoch(&self) -> Result<(), SyncStoreError> {
        let conn = self.lock_conn()?;
        let epoch: i64 = conn.query_row(
            "UPDATE instance SET sync_epoch = abs(random()) WHERE id = 1 RETURNING sync_epoch",
            [],
            |row| row.get(0),
        )?;
        self.sync_epoch
            .store(epoch.unsigned_abs(), Ordering::SeqCst);
        Ok(())
    }
}

impl SqliteStore {
    fn lock_conn(&self) -> Result<MutexGuard<'_, Connection>, SyncStoreError> {
        self.conn
            .lock()
            .map_err(|_| SyncStoreError::Corrupt("the database lock is poisoned".to_owned()))
    }
}

/// A document's bytes (its own, or its one log entry's when they are empty), heads and
/// owners.
const LOAD_SQL: &str = "SELECT CASE WHEN length(d.bytes) = 0 THEN l.changes ELSE d.bytes END,
         d.heads, d.creator, d.association
     FROM documents d LEFT JOIN change_log l ON length(d.bytes) = 0 AND l.seq = d.last_seq
     WHERE d.doc_id = ?1";

/// The highest sequence number ever handed out (AUTOINCREMENT's record of it).
const NEXT_SEQ_SQL: &str = "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'";

/// A document's stored heads, for the optimistic check.
const STORED_HEADS_SQL: &str = "SELECT heads FROM documents WHERE doc_id = ?1";

const UPSERT_DOCUMENT_SQL: &str =
    "INSERT INTO documents (doc_id, creator, association, bytes, heads, last_seq)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (doc_id) DO UPDATE SET bytes = excluded.bytes,
         heads = excluded.heads, last_seq = excluded.last_seq";

const APPEND_LOG_SQL: &str =
    "INSERT INTO change_log (seq, doc_id, origin, changes) VALUES (?1, ?2, ?3, ?4)";

/// Puts a document in the validation queue at a sequence number, or moves it there.
const ENQUEUE_SQL: &str = "INSERT INTO validation_queue (doc_id, seq) VALUES (?1, ?2)
     ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq";

const LAST_SEQ_SQL: &str = "SELECT COALESCE(MAX(seq), 0) FROM change_log";

/// The log entries of a scope after a sequence number (the first parameter), skipping an
/// origin (the second), and the scope's parameters.
///
/// A scope's documents are found through their index by `last_seq`: only those changed
/// after the cursor, then their entries after it. (A document with an entry after the
/// cursor has its `last_seq` after it too.) A phone's no-op pull is then one index seek,
/// whether it holds 500 documents or 50,000. Everything is read from the cursor on through
/// the log's key.
fn log_page_sql(scope: &Scope) -> (String, Vec<String>) {
    let (condition, values) = scope_filter(scope);
    let changed = if matches!(scope, Scope::All) {
        ""
    } else {
        "AND d.last_seq > ?1 "
    };
    let sql = format!(
        "SELECT l.seq, l.doc_id, l.changes FROM change_log l
         JOIN documents d ON d.doc_id = l.doc_id
         WHERE l.seq > ?1 AND l.origin != ?2 {changed}AND {condition}
         ORDER BY l.seq"
    );
    (sql, values)
}

/// The ids and heads of a scope's documents, and the scope's parameters.
fn heads_index_sql(scope: &Scope) -> (String, Vec<String>) {
    let (condition, values) = scope_filter(scope);
    let sql = format!("SELECT d.doc_id, d.heads FROM documents d WHERE {condition}");
    (sql, values)
}

/// The SQL condition and parameters that select a scope's documents (alias `d`).
fn scope_filter(scope: &Scope) -> (String, Vec<String>) {
    match scope {
        Scope::Device(device) => ("d.creator = ?".to_owned(), vec![device.as_str().to_owned()]),
        Scope::Associations(associations) => {
            let marks = vec!["?"; associations.len()].join(", ");
            (
                // An empty list selects nothing.
                format!("d.association IN ({marks})"),
                associations.iter().map(|a| a.as_str().to_owned()).collect(),
            )
        }
        Scope::All => ("1 = 1".to_owned(), Vec::new()),
    }
}

impl ServerStore for SqliteSyncStore<'_> {
    type Error = SyncStoreError;

    fn cached(&self, doc: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        self.store.docs.get(doc, heads)
    }

    fn remember(
        &self,
        doc: DocId,
        heads: &[ChangeHash],
        loaded: SubmissionDoc,
        saved_bytes: usize,
    ) {
        self.store.docs.put(doc, heads, loaded, saved_bytes);
    }

    fn epoch(&self) -> u64 {
        self.epoch
    }

    fn load(&self, doc: DocId) -> Result<Option<StoredDoc>, SyncStoreError> {
        type Row = (Vec<u8>, Vec<u8>, String, Option<String>);
        let row: Option<Row> = self
            .store
            .reader()
            .prepare_cached(LOAD_SQL)?
            .query_row(params![&doc.0[..]], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()?;
        row.map(|(bytes, heads, creator, association)| {
            Ok(StoredDoc {
                bytes,
                heads: heads_from_blob(&heads)?,
                meta: meta(creator, association)?,
            })
        })
        .transpose()
    }

    fn commit(&mut self, batch: Vec<CommitDoc>) -> Result<Vec<u64>, SyncStoreError> {
        let mut conn = self.store.lock_conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut seqs = Vec::with_capacity(batch.len());
        // The change log's sequence numbers are handed out here, under the write lock, so
        // that each document row is written once, with its `last_seq`. AUTOINCREMENT keeps
        // the highest number ever used in `sqlite_sequence`: numbers are never reused.
        let last_seq: i64 = tx
            .prepare_cached(NEXT_SEQ_SQL)?
            .query_row([], |row| row.get(0))
            .optional()?
            .unwrap_or(0);
        for (seq, item) in (last_seq + 1..).zip(&batch) {
            // Cached statements: a batch runs these once per document.
            let stored: Option<Vec<u8>> = tx
                .prepare_cached(STORED_HEADS_SQL)?
                .query_row(params![&item.doc.0[..]], |row| row.get(0))
                .optional()?;
            let expected = item.base_heads.as_deref().map(heads_to_blob);
            if stored != expected {
                return Err(SyncStoreError::Conflict(item.doc));
            }
            // A new document's bytes are its change chunks, which the log entry holds: they
            // are stored there only, and `load` reads them back through `last_seq`.
            let document: &[u8] = if item.document == item.changes {
                &[]
            } else {
                &item.document
            };
            tx.prepare_cached(UPSERT_DOCUMENT_SQL)?.execute(params![
                &item.doc.0[..],
                item.meta.creator.as_str(),
                item.meta.association.as_ref().map(|a| a.as_str()),
                document,
                heads_to_blob(&item.heads),
                seq
            ])?;
            tx.prepare_cached(APPEND_LOG_SQL)?.execute(params![
                seq,
                &item.doc.0[..],
                item.origin.as_str(),
                item.changes
            ])?;
            // Pending validation at this sequence number, whether it was validated before
            // or is still waiting at an older one.
            tx.prepare_cached(ENQUEUE_SQL)?
                .execute(params![&item.doc.0[..], seq])?;
            seqs.push(seq.unsigned_abs());
        }
        tx.commit()?;
        Ok(seqs)
    }

    fn log_page(
        &self,
        after: u64,
        scope: &Scope,
        exclude: &DeviceId,
        max_bytes: usize,
        max_docs: usize,
    ) -> Result<LogPage, SyncStoreError> {
        let (sql, values) = log_page_sql(scope);
        let mut conn = self.store.reader();
        // One read transaction: the entries and the last sequence number agree.
        let tx = conn.transaction()?;
        let mut statement = tx.prepare_cached(&sql)?;
        let after_param = i64::try_from(after).unwrap_or(i64::MAX);
        let exclude_param = exclude.as_str();
        let mut parameters: Vec<&dyn ToSql> = vec![&after_param, &exclude_param];
        parameters.extend(values.iter().map(|v| v as &dyn ToSql));
        let mut rows = statement.query(parameters.as_slice())?;
        let mut page = LogPageBuilder::new(after, max_bytes, max_docs);
        while let Some(row) = rows.next()? {
            let seq: i64 = row.get(0)?;
            let entry = LogEntry {
                seq: seq.unsigned_abs(),
                doc: doc_id_from_blob(&row.get::<_, Vec<u8>>(1)?)?,
                changes: row.get(2)?,
            };
            if !page.offer(&entry) {
                return Ok(page.finish());
            }
        }
        // Everything after the last entry is out of scope or the caller's own: the cursor
        // may move past it (read in the same transaction, so nothing slipped in between).
        page.scanned(last_seq(&tx)?);
        Ok(page.finish())
    }

    fn heads_index(&self, scope: &Scope) -> Result<(HeadsIndex, u64), SyncStoreError> {
        let (sql, values) = heads_index_sql(scope);
        let mut conn = self.store.reader();
        let tx = conn.transaction()?;
        let mut statement = tx.prepare_cached(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(values.iter()))?;
        let mut index = HeadsIndex::new();
        while let Some(row) = rows.next()? {
            let doc = doc_id_from_blob(&row.get::<_, Vec<u8>>(0)?)?;
            index.insert(doc, heads_from_blob(&row.get::<_, Vec<u8>>(1)?)?);
        }
        // Read in the same transaction: the index and the sequence number come from one
        // state.
        Ok((index, last_seq(&tx)?))
    }

    fn last_seq(&self) -> u64 {
        last_seq(&self.store.reader()).unwrap_or_else(|e| {
            tracing::error!(error = %e, "reading the last sequence number failed");
            0
        })
    }
}

fn last_seq(conn: &Connection) -> Result<u64, SyncStoreError> {
    Ok(conn
        .prepare_cached(LAST_SEQ_SQL)?
        .query_row([], |row| row.get::<_, i64>(0))?
        .unsigned_abs())
}

#[cfg(test)]
mod tests {
    use letsema_doc::AssociationId;
    use letsema_sync::store::{CommitDoc, DocMeta, Scope, ServerStore};

    use super::*;

    fn new_doc(n: u8) -> CommitDoc {
        CommitDoc {
            doc: DocId([n; 16]),
            meta: DocMeta {
                creator: DeviceId::parse("phone-1").expect("a device id"),
                association: None,
            },
            base_heads: None,
            document: vec![n; 8],
            heads: vec![ChangeHash([n; 32])],
            changes: vec![n; 8],
            origin: DeviceId::parse("phone-1").expect("a device id"),
        }
    }

    fn last_seq_of(store: &SqliteStore, doc: DocId) -> i64 {
        store
            .lock_conn()
            .expect("the connection")
            .query_row(
                "SELECT last_seq FROM documents WHERE doc_id = ?1",
                params![&doc.0[..]],
                |row| row.get(0),
            )
            .expect("the document's row")
    }

    #[test]
    fn a_new_document_is_stored_once_and_an_edited_one_as_saved() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let mut session = store.sync_store().expect("a sync session");
        // A first push: the document is its change chunks, the log entry's content.
        session.commit(vec![new_doc(1)]).expect("commits");
        let stored_bytes = |store: &SqliteStore| -> Vec<u8> {
            store
                .lock_conn()
                .expect("the connection")
                .query_row(
                    "SELECT bytes FROM documents WHERE doc_id = ?1",
                    params![&[1u8; 16][..]],
                    |row| row.get(0),
                )
                .expect("the document's row")
        };
        assert_eq!(stored_bytes(&store), Vec::<u8>::new());
        let loaded = session
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");
        assert_eq!(loaded.bytes, vec![1; 8]);
        assert_eq!(loaded.heads, [ChangeHash([1; 32])]);

        // A later commit stores the saved document, which differs from the new changes.
        let mut edit = new_doc(1);
        edit.base_heads = Some(vec![ChangeHash([1; 32])]);
        edit.heads = vec![ChangeHash([2; 32])];
        edit.document = vec![7; 12];
        edit.changes = vec![2; 4];
        session.commit(vec![edit]).expect("commits");
        assert_eq!(stored_bytes(&store), vec![7; 12]);
        let loaded = session
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");
        assert_eq!(loaded.bytes, vec![7; 12]);
        assert_eq!(loaded.heads, [ChangeHash([2; 32])]);
        assert!(session.load(DocId([3; 16])).expect("loads").is_none());
    }

    #[test]
    fn every_sync_query_uses_a_key_or_an_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let conn = store.lock_conn().expect("the connection");
        let device = Scope::Device(DeviceId::parse("phone-1").expect("a device id"));
        let associations = Scope::Associations(
            ["basotho_uk", "basotho_sa"]
                .into_iter()
                .map(|a| AssociationId::parse(a).expect("an association"))
                .collect(),
        );
        let mut queries: Vec<String> = [
            LOAD_SQL,
            NEXT_SEQ_SQL,
            STORED_HEADS_SQL,
            UPSERT_DOCUMENT_SQL,
            APPEND_LOG_SQL,
            ENQUEUE_SQL,
            LAST_SEQ_SQL,
        ]
        .map(str::to_owned)
        .into();
        for scope in [&device, &associations] {
            queries.push(log_page_sql(scope).0);
            queries.push(heads_index_sql(scope).0);
        }
        // Everything after the cursor is the caller's: the log is read from the cursor on.
        queries.push(log_page_sql(&Scope::All).0);
        for sql in &queries {
            let plan = crate::store::sqlite::query_plan(&conn, sql);
            // `sqlite_sequence` holds one row per AUTOINCREMENT table.
            let scans: Vec<&String> = plan
                .iter()
                .filter(|step| step.starts_with("SCAN ") && *step != "SCAN sqlite_sequence")
                .collect();
            assert!(scans.is_empty(), "{sql}\n{plan:#?}");
        }
        // Each document's row and its one log entry, by their keys.
        let load = crate::store::sqlite::query_plan(&conn, LOAD_SQL);
        assert!(
            load[0].starts_with("SEARCH d USING INDEX sqlite_autoindex_documents_1 (doc_id=?)")
                && load[1].starts_with("SEARCH l USING INTEGER PRIMARY KEY (rowid=?)"),
            "{load:#?}"
        );
        // A phone's log is found through its documents changed after the cursor, an
        // association's likewise.
        let device_log = crate::store::sqlite::query_plan(&conn, &log_page_sql(&device).0);
        assert!(
            device_log[0].starts_with(
                "SEARCH d USING INDEX documents_by_creator (creator=? AND last_seq>?)"
            ),
            "{device_log:#?}"
        );
        let associations_log =
            crate::store::sqlite::query_plan(&conn, &log_page_sql(&associations).0);
        assert!(
            associations_log[0].starts_with(
                "SEARCH d USING INDEX documents_by_association (association=? AND last_seq>?)"
            ),
            "{associations_log:#?}"
        );
    }

    #[test]
    fn commits_number_the_change_log_in_order_and_each_document_knows_its_last_entry() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let mut session = store.sync_store().expect("a sync session");
        assert_eq!(
            session
                .commit(vec![new_doc(1), new_doc(2)])
                .expect("commits"),
            [1, 2]
        );
        assert_eq!(session.commit(vec![new_doc(3)]).expect("commits"), [3]);
        let mut edit = new_doc(1);
        edit.base_heads = Some(vec![ChangeHash([1; 32])]);
        edit.heads = vec![ChangeHash([9; 32])];
        assert_eq!(session.commit(vec![edit]).expect("commits"), [4]);
        // A commit refused as a whole uses no number.
        assert!(session.commit(vec![new_doc(4), new_doc(2)]).is_err());
        assert_eq!(session.commit(vec![new_doc(5)]).expect("commits"), [5]);
        assert_eq!(session.last_seq(), 5);
        drop(session);

        assert_eq!(last_seq_of(&store, DocId([1; 16])), 4);
        assert_eq!(last_seq_of(&store, DocId([2; 16])), 2);
        let session = store.sync_store().expect("a sync session");
        let nobody = DeviceId::parse("reviewer").expect("a device id");
        let page = session
            .log_page(0, &Scope::All, &nobody, 1 << 20, 100)
            .expect("a page of the log");
        assert!(!page.more);
        let seqs: Vec<(u64, DocId)> = page
            .entries
            .iter()
            .map(|entry| (entry.seq, entry.doc))
            .collect();
        assert_eq!(
            seqs,
            [
                (1, DocId([1; 16])),
                (2, DocId([2; 16])),
                (3, DocId([3; 16])),
                (4, DocId([1; 16])),
                (5, DocId([5; 16])),
            ]
        );
    }

    #[test]
    fn a_pull_reads_while_a_write_is_under_way_and_sees_only_what_was_committed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let mut session = store.sync_store().expect("a sync session");
        session.commit(vec![new_doc(1)]).expect("commits");
        drop(session);

        // A writer in the middle of a long transaction (the validator's batch, a checkpoint)
        // holds the write connection; a log entry is written but not committed.
        let mut writer = store.lock_conn().expect("the write connection");
        let tx = writer
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .expect("a write transaction");
        tx.execute(
            APPEND_LOG_SQL,
            params![2, &[1u8; 16][..], "phone-2", &[2u8; 8][..]],
        )
        .expect("an uncommitted entry");

        let (sent, answer) = std::sync::mpsc::channel();
        let reading = store.clone();
        std::thread::spawn(move || {
            let session = reading.sync_store().expect("a sync session");
            let nobody = DeviceId::parse("reviewer").expect("a device id");
            let page = session
                .log_page(0, &Scope::All, &nobody, 1 << 20, 100)
                .map(|page| (page.entries.len(), page.last_seq));
            let _ = sent.send((page.map_err(|e| e.to_string()), session.last_seq()));
        });
        let (page, last_seq) = answer
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the pull answers while the write transaction is open");
        assert_eq!(page, Ok((1, 1)), "one committed entry, the cursor at it");
        assert_eq!(last_seq, 1);
        tx.rollback().expect("rolls back");
    }
}
