//! The sync protocol's [`ServerStore`] over PostgreSQL, with several servers on one
//! database: the same tables as SQLite's (`documents`, `change_log`, `validation_queue`,
//! the epoch in `instance`) and the same promises, kept against other servers' concurrent
//! transactions as well as this one's.
//!
//! - **No pull skips a change.** A pull moves its cursor to the highest sequence number it
//!   could see. A number taken by a transaction that commits after another's higher one
//!   would be skipped for good. So a commit takes its numbers only while it holds the
//!   change log's advisory lock (`pg_advisory_xact_lock`, held until it commits or rolls
//!   back): transactions take numbers in the order they commit, and a snapshot that sees a
//!   number sees every lower one that will ever commit. The lock is held for the check and
//!   the writes alone; the automerge work of a request happens before, on the server that
//!   received it. (`tests` interleave two commits on purpose: with the lock removed, the
//!   cursor test fails.)
//! - **Nothing is overwritten.** Under that lock, a commit locks the rows of the documents
//!   it changes (`FOR UPDATE`) and checks that each still has the heads its new state was
//!   computed from, and that a document it creates does not exist. The check comes after
//!   the lock, so it sees every commit that took the lock before, including a new document
//!   another server was inserting (which has no row to lock until it commits). A mismatch is
//!   [`SyncStoreError::Conflict`]: nothing is written and the phone retries, and the retry
//!   merges with what the other server stored. The cache of loaded documents is
//!   asked only for the heads the database holds now ([`ServerStore::load`] reads them).
//! - **The epoch** is read at the start of every sync request, so a renewal reaches every
//!   server at once.
//!
//! A batch is written with one statement per table (`unnest` of arrays), not one per
//! document, so a commit costs a few round trips whatever its size.

use std::cell::RefCell;
use std::collections::HashSet;

use letsema_doc::{DeviceId, SubmissionDoc};
use letsema_protocol::sync::{ChangeHash, DocId};
use letsema_sync::store::{
    CommitDoc, LogEntry, LogPage, LogPageBuilder, Scope, ServerStore, StoredDoc,
};
use letsema_sync::summary::HeadsIndex;
use tokio_postgres::types::ToSql;

use super::{PostgresStore, is_disk_full, is_unique_violation};
use crate::store::sync::{doc_id_from_blob, heads_from_blob, heads_to_blob, meta};
use crate::store::{SyncAccess, SyncSession, SyncStoreError};

/// The advisory lock key of the change log's numbers ("LTSMLOG\0").
pub(super) const LOG_LOCK: i64 = 0x4c54_534d_4c4f_4700;

/// Rows a pull reads from the database at a time: a page stops as soon as it is full.
const PULL_FETCH_ROWS: i32 = 256;

/// The sync view of the database for one request.
#[derive(Debug)]
pub struct PostgresSyncStore<'a> {
    store: &'a PostgresStore,
    epoch: u64,
    /// Documents [`ServerStore::prefetch`] found not stored, answered by `load` without a
    /// round trip; forgotten at every commit.
    absent: RefCell<HashSet<DocId>>,
}

impl From<tokio_postgres::Error> for SyncStoreError {
    fn from(error: tokio_postgres::Error) -> Self {
        if is_disk_full(&error) {
            tracing::error!(
                "the database's disk is full: syncs store nothing (phones keep their changes \
                 and retry) until space is freed"
            );
            return SyncStoreError::DiskFull;
        }
        SyncStoreError::Database(Box::new(error))
    }
}

impl SyncAccess for PostgresStore {
    fn sync_store(&self) -> Result<SyncSession<'_>, SyncStoreError> {
        let epoch = self.run(async {
            let client = self.client().await.map_err(SyncStoreError::Database)?;
            let row = client
                .query_one("SELECT sync_epoch FROM instance WHERE id = 1", &[])
                .await?;
            Ok::<_, SyncStoreError>(row.get::<_, i64>(0).unsigned_abs())
        })?;
        Ok(Box::new(PostgresSyncStore {
            store: self,
            epoch,
            absent: RefCell::default(),
        }))
    }

    fn renew_sync_epoch(&self) -> Result<(), SyncStoreError> {
        self.run(async {
            let client = self.client().await.map_err(SyncStoreError::Database)?;
            client
                .execute(
                    "UPDATE instance SET sync_epoch = floor(random() * 9007199254740991)::BIGINT
                     WHERE id = 1",
                    &[],
                )
                .await?;
            Ok(())
        })
    }
}

/// A document's bytes (its own, or its one log entry's when they are empty), heads and
/// owners.
const LOAD_SQL: &str = "SELECT CASE WHEN length(d.bytes) = 0 THEN l.changes ELSE d.bytes END,
         d.heads, d.creator, d.association
     FROM documents d LEFT JOIN change_log l ON length(d.bytes) = 0 AND l.seq = d.last_seq
     WHERE d.doc_id = $1";

/// The stored heads of some documents, their rows locked until the commit ends.
const LOCK_HEADS_SQL: &str =
    "SELECT doc_id, heads FROM documents WHERE doc_id = ANY($1) ORDER BY doc_id FOR UPDATE";

/// `n` new numbers of the change log, in order; only under [`LOG_LOCK`].
const TAKE_SEQS_SQL: &str =
    "SELECT nextval('change_log_seq') FROM generate_series(1, $1::BIGINT) ORDER BY 1";

const UPSERT_DOCUMENTS_SQL: &str =
    "INSERT INTO documents (doc_id, creator, association, bytes, heads, last_seq)
     SELECT * FROM unnest($1::BYTEA[], $2::TEXT[], $3::TEXT[], $4::BYTEA[], $5::BYTEA[],
                          $6::BIGINT[])
     ON CONFLICT (doc_id) DO UPDATE SET bytes = excluded.bytes, heads = excluded.heads,
         last_seq = excluded.last_seq";

const APPEND_LOG_SQL: &str = "INSERT INTO change_log (seq, doc_id, origin, changes)
     SELECT * FROM unnest($1::BIGINT[], $2::BYTEA[], $3::TEXT[], $4::BYTEA[])";

/// Puts documents in the validation queue at their new numbers (a claim on an older state
/// no longer holds).
const ENQUEUE_SQL: &str = "INSERT INTO validation_queue (doc_id, seq)
     SELECT * FROM unnest($1::BYTEA[], $2::BIGINT[])
     ON CONFLICT (doc_id) DO UPDATE SET seq = excluded.seq, claimed_until = NULL";

/// Which of some documents are stored.
const STORED_AMONG_SQL: &str = "SELECT doc_id FROM documents WHERE doc_id = ANY($1)";

const LAST_SEQ_SQL: &str = "SELECT COALESCE(MAX(seq), 0) FROM change_log";

/// The log entries of a scope after a sequence number (`$1`), skipping an origin (`$2`);
/// the scope's documents are found through their index by `last_seq`, as in SQLite.
fn log_page_sql(scope: &Scope) -> &'static str {
    match scope {
        Scope::Device(_) => {
            "SELECT l.seq, l.doc_id, l.changes FROM change_log l
             JOIN documents d ON d.doc_id = l.doc_id
             WHERE l.seq > $1 AND l.origin <> $2 AND d.last_seq > $1 AND d.creator = $3
             ORDER BY l.seq"
        }
        Scope::Associations(_) => {
            "SELECT l.seq, l.doc_id, l.changes FROM change_log l
             JOIN documents d ON d.doc_id = l.doc_id
             WHERE l.seq > $1 AND l.origin <> $2 AND d.last_seq > $1
               AND d.association = ANY($3)
             ORDER BY l.seq"
        }
        Scope::All => {
            "SELECT l.seq, l.doc_id, l.changes FROM change_log l
             WHERE l.seq > $1 AND l.origin <> $2
             ORDER BY l.seq"
        }
    }
}

/// The ids and heads of a scope's documents.
fn heads_index_sql(scope: &Scope) -> &'static str {
    match scope {
        Scope::Device(_) => "SELECT doc_id, heads FROM documents WHERE creator = $1",
        Scope::Associations(_) => "SELECT doc_id, heads FROM documents WHERE association = ANY($1)",
        Scope::All => "SELECT doc_id, heads FROM documents",
    }
}

/// The scope's parameter, if it has one: a device id or a list of associations.
enum ScopeParam {
    Device(String),
    Associations(Vec<String>),
}

impl ScopeParam {
    fn of(scope: &Scope) -> Option<ScopeParam> {
        match scope {
            Scope::Device(device) => Some(ScopeParam::Device(device.as_str().to_owned())),
            Scope::Associations(associations) => Some(ScopeParam::Associations(
                associations.iter().map(|a| a.as_str().to_owned()).collect(),
            )),
            Scope::All => None,
        }
    }

    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            ScopeParam::Device(device) => device,
            ScopeParam::Associations(associations) => associations,
        }
    }
}

impl PostgresSyncStore<'_> {
    async fn commit_batch(&self, batch: &[CommitDoc]) -> Result<Vec<u64>, SyncStoreError> {
        let mut client = self
            .store
            .client()
            .await
            .map_err(SyncStoreError::Database)?;
        let tx = client.transaction().await?;
        // From here to the commit, no other transaction takes log numbers or checks heads.
        // The lock comes first: a document another server is creating has no row to lock
        // yet, so only this order lets the check below see it once that server commits
        // (checked after the lock, it is a conflict; checked before, it would be overwritten).
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])
            .await?;
        let ids: Vec<&[u8]> = batch.iter().map(|item| &item.doc.0[..]).collect();
        // The optimistic check, on rows now locked against other servers' commits.
        let mut stored = std::collections::HashMap::with_capacity(batch.len());
        for row in tx
            .query(&tx.prepare_cached(LOCK_HEADS_SQL).await?, &[&ids])
            .await?
        {
            let doc = doc_id_from_blob(row.get::<_, &[u8]>(0))?;
            stored.insert(doc, row.get::<_, Vec<u8>>(1));
        }
        // Within a batch, a document's later item starts from the earlier one's heads.
        let mut expected_now: std::collections::HashMap<DocId, Vec<u8>> = stored;
        for item in batch {
            let expected = item.base_heads.as_deref().map(heads_to_blob);
            if expected_now.get(&item.doc) != expected.as_ref() {
                return Err(SyncStoreError::Conflict(item.doc));
            }
            expected_now.insert(item.doc, heads_to_blob(&item.heads));
        }
        let count = i64::try_from(batch.len()).unwrap_or(i64::MAX);
        let seqs: Vec<i64> = tx
            .query(&tx.prepare_cached(TAKE_SEQS_SQL).await?, &[&count])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        if seqs.len() != batch.len() {
            return Err(SyncStoreError::Corrupt(
                "the change log's sequence gave too few numbers".to_owned(),
            ));
        }
        // A document that appears twice in a batch is written once, at its last item.
        let mut last_item = std::collections::HashMap::with_capacity(batch.len());
        for (index, item) in batch.iter().enumerate() {
            last_item.insert(item.doc, index);
        }
        let (mut doc_ids, mut creators, mut associations, mut documents, mut heads, mut last) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for (index, (item, seq)) in batch.iter().zip(&seqs).enumerate() {
            if last_item.get(&item.doc) != Some(&index) {
                continue;
            }
            doc_ids.push(&item.doc.0[..]);
            creators.push(item.meta.creator.as_str());
            associations.push(item.meta.association.as_ref().map(|a| a.as_str()));
            // A new document's bytes are its change chunks, which the log entry holds.
            documents.push(if item.document == item.changes {
                &[][..]
            } else {
                &item.document[..]
            });
            heads.push(heads_to_blob(&item.heads));
            last.push(*seq);
        }
        let upsert = tx
            .execute(
                &tx.prepare_cached(UPSERT_DOCUMENTS_SQL).await?,
                &[
                    &doc_ids,
                    &creators,
                    &associations,
                    &documents,
                    &heads,
                    &last,
                ],
            )
            .await;
        if let Err(error) = upsert {
            // Another server inserted one of these new documents since the check.
            if is_unique_violation(&error) {
                return Err(SyncStoreError::Conflict(batch[0].doc));
            }
            return Err(error.into());
        }
        let log_docs: Vec<&[u8]> = batch.iter().map(|item| &item.doc.0[..]).collect();
        let origins: Vec<&str> = batch.iter().map(|item| item.origin.as_str()).collect();
        let changes: Vec<&[u8]> = batch.iter().map(|item| &item.changes[..]).collect();
        tx.execute(
            &tx.prepare_cached(APPEND_LOG_SQL).await?,
            &[&seqs, &log_docs, &origins, &changes],
        )
        .await?;
        tx.execute(&tx.prepare_cached(ENQUEUE_SQL).await?, &[&doc_ids, &last])
            .await?;
        tx.commit().await?;
        Ok(seqs.iter().map(|seq| seq.unsigned_abs()).collect())
    }

    async fn read_log_page(
        &self,
        after: u64,
        scope: &Scope,
        exclude: &DeviceId,
        max_bytes: usize,
        max_docs: usize,
    ) -> Result<LogPage, SyncStoreError> {
        let mut client = self
            .store
            .client()
            .await
            .map_err(SyncStoreError::Database)?;
        // One snapshot: the entries and the last sequence number agree.
        let tx = snapshot(&mut client).await?;
        let statement = tx.prepare_cached(log_page_sql(scope)).await?;
        let after_param = i64::try_from(after).unwrap_or(i64::MAX);
        let exclude_param = exclude.as_str();
        let scope_param = ScopeParam::of(scope);
        let mut parameters: Vec<&(dyn ToSql + Sync)> = vec![&after_param, &exclude_param];
        if let Some(param) = &scope_param {
            parameters.push(param.as_sql());
        }
        // A portal, read a few rows at a time: a page stops reading once it is full.
        let portal = tx.bind(&statement, &parameters).await?;
        let mut page = LogPageBuilder::new(after, max_bytes, max_docs);
        loop {
            let rows = tx.query_portal(&portal, PULL_FETCH_ROWS).await?;
            let done = rows.len() < usize::try_from(PULL_FETCH_ROWS).unwrap_or(usize::MAX);
            for row in rows {
                let entry = LogEntry {
                    seq: row.get::<_, i64>(0).unsigned_abs(),
                    doc: doc_id_from_blob(row.get::<_, &[u8]>(1))?,
                    changes: row.get(2),
                };
                if !page.offer(&entry) {
                    return Ok(page.finish());
                }
            }
            if done {
                break;
            }
        }
        // Everything after the last entry is out of scope or the caller's own: the cursor
        // may move past it (read in the same snapshot, so nothing slipped in between).
        let last: i64 = tx.query_one(LAST_SEQ_SQL, &[]).await?.get(0);
        page.scanned(last.unsigned_abs());
        tx.commit().await?;
        Ok(page.finish())
    }

    async fn read_heads_index(&self, scope: &Scope) -> Result<(HeadsIndex, u64), SyncStoreError> {
        let mut client = self
            .store
            .client()
            .await
            .map_err(SyncStoreError::Database)?;
        let tx = snapshot(&mut client).await?;
        let statement = tx.prepare_cached(heads_index_sql(scope)).await?;
        let scope_param = ScopeParam::of(scope);
        let parameters: Vec<&(dyn ToSql + Sync)> =
            scope_param.iter().map(ScopeParam::as_sql).collect();
        let mut index = HeadsIndex::new();
        for row in tx.query(&statement, &parameters).await? {
            let doc = doc_id_from_blob(row.get::<_, &[u8]>(0))?;
            index.insert(doc, heads_from_blob(row.get::<_, &[u8]>(1))?);
        }
        let last: i64 = tx.query_one(LAST_SEQ_SQL, &[]).await?.get(0);
        tx.commit().await?;
        Ok((index, last.unsigned_abs()))
    }
}

/// A read-only transaction on one snapshot, for reads whose parts must agree.
async fn snapshot(
    client: &mut deadpool_postgres::Object,
) -> Result<deadpool_postgres::Transaction<'_>, tokio_postgres::Error> {
    client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
}

impl ServerStore for PostgresSyncStore<'_> {
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
        if self.absent.borrow().contains(&doc) {
            return Ok(None);
        }
        self.store.run(async {
            let client = self
                .store
                .client()
                .await
                .map_err(SyncStoreError::Database)?;
            let row = client
                .query_opt(&client.prepare_cached(LOAD_SQL).await?, &[&&doc.0[..]])
                .await?;
            row.map(|row| {
                Ok(StoredDoc {
                    bytes: row.get(0),
                    heads: heads_from_blob(row.get::<_, &[u8]>(1))?,
                    meta: meta(row.get(2), row.get(3))?,
                })
            })
            .transpose()
        })
    }

    /// One query for a push's documents: those not stored are answered by `load` from
    /// memory. A first sync's pushes are all new documents, and each `load` would otherwise
    /// be a round trip to the database.
    fn prefetch(&self, docs: &[DocId]) -> Result<(), SyncStoreError> {
        let ids: Vec<&[u8]> = docs.iter().map(|doc| &doc.0[..]).collect();
        let stored = self.store.run(async {
            let client = self
                .store
                .client()
                .await
                .map_err(SyncStoreError::Database)?;
            let rows = client
                .query(&client.prepare_cached(STORED_AMONG_SQL).await?, &[&ids])
                .await?;
            rows.iter()
                .map(|row| doc_id_from_blob(row.get::<_, &[u8]>(0)))
                .collect::<Result<HashSet<DocId>, SyncStoreError>>()
        })?;
        let mut absent = self.absent.borrow_mut();
        absent.clear();
        absent.extend(docs.iter().filter(|doc| !stored.contains(doc)));
        Ok(())
    }

    fn commit(&mut self, batch: Vec<CommitDoc>) -> Result<Vec<u64>, SyncStoreError> {
        self.absent.get_mut().clear();
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.store.run(self.commit_batch(&batch))
    }

    fn log_page(
        &self,
        after: u64,
        scope: &Scope,
        exclude: &DeviceId,
        max_bytes: usize,
        max_docs: usize,
    ) -> Result<LogPage, SyncStoreError> {
        self.store
            .run(self.read_log_page(after, scope, exclude, max_bytes, max_docs))
    }

    fn heads_index(&self, scope: &Scope) -> Result<(HeadsIndex, u64), SyncStoreError> {
        self.store.run(self.read_heads_index(scope))
    }

    fn last_seq(&self) -> u64 {
        let last = self.store.run(async {
            let client = self
                .store
                .client()
                .await
                .map_err(SyncStoreError::Database)?;
            let row = client.query_one(LAST_SEQ_SQL, &[]).await?;
            Ok::<_, SyncStoreError>(row.get::<_, i64>(0).unsigned_abs())
        });
        last.unwrap_or_else(|error| {
            tracing::error!(%error, "reading the last sequence number failed");
            0
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use letsema_doc::AssociationId;
    use letsema_sync::store::DocMeta;

    use super::*;
    use crate::store::postgres::testing::fresh_database;

    fn open(url: &str) -> PostgresStore {
        PostgresStore::open(url, 4).expect("the store opens")
    }

    fn device(name: &str) -> DeviceId {
        DeviceId::parse(name).expect("a device id")
    }

    /// A first push of document `n` by `phone-1`: its bytes are its change chunks.
    fn new_doc(n: u8) -> CommitDoc {
        CommitDoc {
            doc: DocId([n; 16]),
            meta: DocMeta {
                creator: device("phone-1"),
                association: Some(AssociationId::parse("basotho_uk").expect("an association")),
            },
            base_heads: None,
            document: vec![n; 8],
            heads: vec![ChangeHash([n; 32])],
            changes: vec![n; 8],
            origin: device("phone-1"),
        }
    }

    fn everything(store: &PostgresStore, after: u64) -> LogPage {
        store
            .sync_store()
            .expect("a sync session")
            .log_page(after, &Scope::All, &device("reviewer"), 1 << 20, 100)
            .expect("a page of the log")
    }

    #[test]
    fn a_new_document_is_stored_once_and_an_edited_one_as_saved() {
        let store = open(&fresh_database());
        let mut session = store.sync_store().expect("a sync session");
        assert_eq!(session.commit(vec![new_doc(1)]).expect("commits"), [1]);
        let loaded = session
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");
        assert_eq!(loaded.bytes, vec![1; 8], "read back from its log entry");
        assert_eq!(loaded.heads, [ChangeHash([1; 32])]);
        assert_eq!(loaded.meta.creator, device("phone-1"));

        let mut edit = new_doc(1);
        edit.base_heads = Some(vec![ChangeHash([1; 32])]);
        edit.heads = vec![ChangeHash([2; 32])];
        edit.document = vec![7; 12];
        edit.changes = vec![2; 4];
        assert_eq!(session.commit(vec![edit]).expect("commits"), [2]);
        let loaded = session
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");
        assert_eq!(loaded.bytes, vec![7; 12]);
        assert_eq!(loaded.heads, [ChangeHash([2; 32])]);
        assert!(session.load(DocId([3; 16])).expect("loads").is_none());
        assert_eq!(session.last_seq(), 2);
    }

    #[test]
    fn a_commit_from_stale_heads_or_of_a_document_that_exists_writes_nothing() {
        let store = open(&fresh_database());
        let mut session = store.sync_store().expect("a sync session");
        session.commit(vec![new_doc(1)]).expect("commits");
        // Computed from heads the document no longer has: another server stored first.
        let mut stale = new_doc(1);
        stale.base_heads = Some(vec![ChangeHash([9; 32])]);
        let refused = session.commit(vec![new_doc(2), stale]);
        assert!(
            matches!(refused, Err(SyncStoreError::Conflict(doc)) if doc == DocId([1; 16])),
            "{refused:?}"
        );
        // A "new" document that is stored already.
        let refused = session.commit(vec![new_doc(1)]);
        assert!(
            matches!(refused, Err(SyncStoreError::Conflict(_))),
            "{refused:?}"
        );
        assert!(
            session.load(DocId([2; 16])).expect("loads").is_none(),
            "nothing written"
        );
        assert_eq!(everything(&store, 0).entries.len(), 1);
    }

    #[test]
    fn pulls_page_through_the_log_by_scope_skipping_the_callers_own_changes() {
        let store = open(&fresh_database());
        let mut session = store.sync_store().expect("a sync session");
        let mut other = new_doc(3);
        other.meta.creator = device("phone-2");
        other.meta.association = None;
        other.origin = device("phone-2");
        session
            .commit(vec![new_doc(1), new_doc(2), other])
            .expect("commits");
        let page = |scope: &Scope, caller: &str, after: u64, max_docs: usize| {
            session
                .log_page(after, scope, &device(caller), 1 << 20, max_docs)
                .expect("a page")
        };
        let docs =
            |page: &LogPage| -> Vec<u8> { page.entries.iter().map(|e| e.doc.0[0]).collect() };

        let phone_1 = Scope::Device(device("phone-1"));
        assert_eq!(docs(&page(&phone_1, "phone-1", 0, 100)), Vec::<u8>::new());
        assert_eq!(
            page(&phone_1, "phone-1", 0, 100).last_seq,
            3,
            "past its own"
        );
        let association = Scope::Associations(
            [AssociationId::parse("basotho_uk").expect("an association")].into(),
        );
        assert_eq!(docs(&page(&association, "reviewer", 0, 100)), [1, 2]);
        let first = page(&Scope::All, "reviewer", 0, 2);
        assert_eq!((docs(&first), first.more), (vec![1, 2], true));
        let rest = page(&Scope::All, "reviewer", first.last_seq, 2);
        assert_eq!((docs(&rest), rest.more, rest.last_seq), (vec![3], false, 3));
        let (index, last) = session.heads_index(&association).expect("the heads");
        assert_eq!((index.len(), last), (2, 3));
    }

    #[test]
    fn servers_started_together_migrate_once_and_reopening_keeps_the_data() {
        let url = fresh_database();
        let stores: Vec<PostgresStore> = std::thread::scope(|scope| {
            let opening: Vec<_> = (0..3).map(|_| scope.spawn(|| open(&url))).collect();
            opening
                .into_iter()
                .map(|o| o.join().expect("opens"))
                .collect()
        });
        let mut session = stores[0].sync_store().expect("a sync session");
        session.commit(vec![new_doc(1)]).expect("commits");
        let epoch = session.epoch();
        drop(session);
        let again = open(&url);
        let session = again.sync_store().expect("a sync session");
        assert_eq!(session.epoch(), epoch);
        assert_eq!(session.last_seq(), 1);
        assert_eq!(
            again.database_health().schema_version,
            Some(u32::try_from(super::super::MIGRATIONS.len()).expect("a few"))
        );
        drop(session);
        // A renewed epoch reaches every server's next request at once.
        stores[1].renew_sync_epoch().expect("renews");
        assert_ne!(stores[2].sync_store().expect("a session").epoch(), epoch);
    }

    /// Two servers commit at once: A has taken its log number and not yet committed when B
    /// commits. A reviewer pulls in between. Without the change log's lock, B's entry
    /// (number 2) would be visible before A's (number 1), the pull would move the cursor to
    /// 2, and A's document would never reach that reviewer.
    /// Starts server A's commit of `doc` and stops it between taking its number (and the
    /// log's lock) and committing: the steps of `commit_batch`, with the same lock and
    /// statements. Gives its thread, its number once taken, and the sender that lets it
    /// commit.
    fn commit_in_flight(
        server_a: &PostgresStore,
        doc: CommitDoc,
    ) -> (
        std::thread::JoinHandle<()>,
        mpsc::Receiver<i64>,
        mpsc::Sender<()>,
    ) {
        let (in_flight, a_in_flight) = mpsc::channel();
        let (finish_a, a_may_finish) = mpsc::channel::<()>();
        let a = std::thread::spawn({
            let server_a = server_a.clone();
            move || {
                server_a.run(async {
                    let mut client = server_a.client().await.expect("a connection");
                    let tx = client.transaction().await.expect("a transaction");
                    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOG_LOCK])
                        .await
                        .expect("the log's lock");
                    let seq: i64 = tx
                        .query_one(TAKE_SEQS_SQL, &[&1i64])
                        .await
                        .expect("a number")
                        .get(0);
                    let id = &doc.doc.0[..];
                    tx.execute(
                        UPSERT_DOCUMENTS_SQL,
                        &[
                            &vec![id],
                            &vec![doc.meta.creator.as_str()],
                            &vec![Some("basotho_uk")],
                            &vec![&[][..] as &[u8]],
                            &vec![heads_to_blob(&doc.heads)],
                            &vec![seq],
                        ],
                    )
                    .await
                    .expect("the document");
                    tx.execute(
                        APPEND_LOG_SQL,
                        &[
                            &vec![seq],
                            &vec![id],
                            &vec![doc.origin.as_str()],
                            &vec![&doc.changes[..]],
                        ],
                    )
                    .await
                    .expect("the log entry");
                    in_flight.send(seq).expect("the test waits");
                    a_may_finish.recv().expect("the test says when");
                    tx.commit().await.expect("A commits");
                });
            }
        });
        (a, a_in_flight, finish_a)
    }

    #[test]
    fn no_pull_skips_a_change_committed_late_by_another_server() {
        let url = fresh_database();
        let server_a = open(&url);
        let server_b = open(&url);

        let (a, a_in_flight, finish_a) = commit_in_flight(&server_a, new_doc(1));
        let a_seq = a_in_flight
            .recv_timeout(Duration::from_secs(10))
            .expect("A took its number");
        assert_eq!(a_seq, 1);

        let (b_done, b_finished) = mpsc::channel();
        let b = std::thread::spawn({
            let server_b = server_b.clone();
            move || {
                let mut session = server_b.sync_store().expect("a sync session");
                let seqs = session.commit(vec![new_doc(2)]).expect("B commits");
                b_done.send(seqs).expect("the test waits");
            }
        });
        // B waits for A's number to be committed before it takes its own.
        assert!(
            b_finished.recv_timeout(Duration::from_millis(500)).is_err(),
            "B committed while A's lower number was still in flight"
        );
        let between = everything(&server_b, 0);
        assert!(between.entries.is_empty(), "{:?}", between.entries);
        assert_eq!(between.last_seq, 0, "the cursor stays below A's number");

        finish_a.send(()).expect("A finishes");
        a.join().expect("A's thread");
        let b_seqs = b_finished
            .recv_timeout(Duration::from_secs(10))
            .expect("B commits once A has");
        b.join().expect("B's thread");
        assert_eq!(b_seqs, [2]);

        let after = everything(&server_a, between.last_seq);
        let pulled: Vec<(u64, u8)> = after.entries.iter().map(|e| (e.seq, e.doc.0[0])).collect();
        assert_eq!(pulled, [(1, 1), (2, 2)], "the reviewer gets both, in order");
    }

    /// One new document pushed through two servers at once (a phone that retried through
    /// another, or another device that chose the same id): one is stored, and the other is
    /// refused as a conflict once the first is committed, never written over it.
    #[test]
    fn a_new_document_committed_by_two_servers_at_once_is_stored_once() {
        let url = fresh_database();
        let server_a = open(&url);
        let server_b = open(&url);
        let (a, a_in_flight, finish_a) = commit_in_flight(&server_a, new_doc(1));
        a_in_flight
            .recv_timeout(Duration::from_secs(10))
            .expect("A took its number");

        let (b_done, b_finished) = mpsc::channel();
        let b = std::thread::spawn({
            let server_b = server_b.clone();
            move || {
                let mut other = new_doc(1);
                other.meta.creator = device("phone-9");
                other.origin = device("phone-9");
                other.heads = vec![ChangeHash([9; 32])];
                other.changes = vec![9; 8];
                let mut session = server_b.sync_store().expect("a sync session");
                b_done
                    .send(session.commit(vec![other]))
                    .expect("the test waits");
            }
        });
        assert!(
            b_finished.recv_timeout(Duration::from_millis(500)).is_err(),
            "B decided while A's new document was still in flight"
        );
        finish_a.send(()).expect("A finishes");
        a.join().expect("A's thread");
        let refused = b_finished
            .recv_timeout(Duration::from_secs(10))
            .expect("B decides once A has committed");
        b.join().expect("B's thread");
        assert!(
            matches!(refused, Err(SyncStoreError::Conflict(_))),
            "{refused:?}"
        );
        let stored = server_b
            .sync_store()
            .expect("a session")
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");
        assert_eq!(
            stored.meta.creator,
            device("phone-1"),
            "A's document stands"
        );
        assert_eq!(everything(&server_b, 0).entries.len(), 1, "one log entry");
    }

    /// A push's documents are asked about in one query; those not stored are answered from
    /// memory until the next commit, and a commit still checks (another server may have
    /// stored one since).
    #[test]
    fn a_prefetch_answers_loads_of_new_documents_and_the_commit_still_checks() {
        let url = fresh_database();
        let server_a = open(&url);
        let server_b = open(&url);
        server_a
            .sync_store()
            .expect("a session")
            .commit(vec![new_doc(1)])
            .expect("commits");
        let mut session = server_a.sync_store().expect("a session");
        session
            .prefetch(&[DocId([1; 16]), DocId([2; 16])])
            .expect("one query");
        assert!(session.load(DocId([1; 16])).expect("loads").is_some());
        assert!(session.load(DocId([2; 16])).expect("loads").is_none());

        // Another server stores document 2 meanwhile: this session still believes it new,
        // and its commit is refused rather than written over the other's.
        server_b
            .sync_store()
            .expect("a session")
            .commit(vec![new_doc(2)])
            .expect("B commits");
        assert!(session.load(DocId([2; 16])).expect("loads").is_none());
        let mut late = new_doc(2);
        late.heads = vec![ChangeHash([7; 32])];
        let refused = session.commit(vec![late]);
        assert!(
            matches!(refused, Err(SyncStoreError::Conflict(_))),
            "{refused:?}"
        );
        // After a commit, loads ask the database again.
        assert!(session.load(DocId([2; 16])).expect("loads").is_some());
    }

    /// The same document pushed through server A and then changed through server B: B's
    /// commit is computed from the heads it loaded, which A's commit moved, so it is refused
    /// (the phone retries and B then merges), never written over A's.
    #[test]
    fn a_document_changed_through_another_server_is_not_overwritten() {
        let url = fresh_database();
        let server_a = open(&url);
        let server_b = open(&url);
        server_a
            .sync_store()
            .expect("a session")
            .commit(vec![new_doc(1)])
            .expect("commits");
        let loaded_by_b = server_b
            .sync_store()
            .expect("a session")
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");

        let mut through_a = new_doc(1);
        through_a.base_heads = Some(loaded_by_b.heads.clone());
        through_a.heads = vec![ChangeHash([2; 32])];
        through_a.document = vec![2; 12];
        server_a
            .sync_store()
            .expect("a session")
            .commit(vec![through_a])
            .expect("A commits an edit");

        let mut through_b = new_doc(1);
        through_b.base_heads = Some(loaded_by_b.heads);
        through_b.heads = vec![ChangeHash([3; 32])];
        through_b.document = vec![3; 12];
        let refused = server_b
            .sync_store()
            .expect("a session")
            .commit(vec![through_b]);
        assert!(
            matches!(refused, Err(SyncStoreError::Conflict(_))),
            "{refused:?}"
        );
        let stored = server_b
            .sync_store()
            .expect("a session")
            .load(DocId([1; 16]))
            .expect("loads")
            .expect("stored");
        assert_eq!(stored.bytes, vec![2; 12], "A's edit stands");
    }
}
