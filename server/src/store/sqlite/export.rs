//! Reading a whole SQLite installation for `letsema migrate` ([`TransferSource`]): every
//! table in batches, all in one read transaction, so the copy is of one moment even if
//! something wrote meanwhile (the command holds the data directory's lock, so nothing
//! should).
//!
//! Each table is read in the order of its rowid (`validation_queue`, which has none, by
//! `doc_id`), a batch starting after the last row of the one before: the statement is not
//! kept open between batches, and the snapshot makes the order stable.

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};

use super::SqliteStore;
use crate::store::DatabaseError;
use crate::store::transfer::{
    AssociationRow, AuditRow, BATCH_BYTES, BATCH_ROWS, Batch, ChangeRow, DeviceRow, DocHeads,
    DocumentRow, DuplicatePairRow, EnrolmentRow, FormVersionRow, InstanceRow, LoginFailureRow,
    MatchKeyRow, QueueRow, SessionRow, SubmissionRow, Table, TransferSource, UserAssociationRow,
    UserRow,
};

/// An SQLite database read for a copy, inside one read transaction that lasts as long as
/// this does.
#[derive(Debug)]
pub struct SqliteExport {
    conn: Connection,
    /// Per table (by its index in [`Table::ALL`]): the key of the last row given, or
    /// `None` once every row has been.
    after: Vec<Option<Value>>,
}

impl SqliteStore {
    /// Starts reading the whole database for a copy: a read-only connection of its own,
    /// whose read transaction (begun here) every later read of the export shares.
    ///
    /// # Errors
    ///
    /// When the database cannot be opened or read.
    pub fn export(&self) -> Result<SqliteExport, DatabaseError> {
        let conn = Connection::open_with_flags(self.path(), OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.execute_batch("BEGIN")?;
        // A deferred transaction takes its snapshot at its first read.
        conn.query_row("SELECT COUNT(*) FROM instance", [], |row| {
            row.get::<_, i64>(0)
        })?;
        let after = Table::ALL
            .iter()
            .map(|table| Some(first_key(*table)))
            .collect();
        Ok(SqliteExport { conn, after })
    }
}

/// Below every key of `table`: rowids are positive, and an empty blob sorts first.
fn first_key(table: Table) -> Value {
    match table {
        Table::ValidationQueue => Value::Blob(Vec::new()),
        _ => Value::Integer(i64::MIN),
    }
}

/// A batch's statement: its first column is the key batches go by (`?1`: the key of the
/// last row given; `?2`: at most this many rows).
fn batch_sql(table: Table) -> &'static str {
    match table {
        Table::Instance => {
            "SELECT rowid, created_at, sync_epoch FROM instance \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::FormVersions => {
            "SELECT rowid, form_id, version, title, definition, source_name, \
             source, source_sha256, published_at, published_by FROM form_versions \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::Users => {
            "SELECT id, email, display_name, role, password_hash, created_at, \
             disabled_at FROM users WHERE id > ?1 ORDER BY id LIMIT ?2"
        }
        Table::UserAssociations => {
            "SELECT rowid, user_id, association FROM user_associations \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::Sessions => {
            "SELECT rowid, token_sha256, user_id, csrf_token, created_at, \
             last_seen_at FROM sessions WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::LoginFailures => {
            "SELECT rowid, email, failures, last_failure_at \
             FROM login_failures WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::AuditLog => {
            "SELECT id, at, actor, action, detail, address FROM audit_log \
             WHERE id > ?1 ORDER BY id LIMIT ?2"
        }
        Table::Associations => {
            "SELECT rowid, code, name, created_at, updated_at \
             FROM associations WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::Enrolments => {
            "SELECT id, code_sha256, association, forms, label, expires_at, \
             uses_left, created_by, created_at, revoked_at, public, replaces FROM enrolments \
             WHERE id > ?1 ORDER BY id LIMIT ?2"
        }
        Table::Devices => {
            "SELECT rowid, id, credential_sha256, association, forms, label, \
             enrolment_id, created_at, last_seen_at, revoked_at FROM devices \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::Documents => {
            "SELECT rowid, doc_id, creator, association, bytes, heads, last_seq \
             FROM documents WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::ChangeLog => {
            "SELECT seq, doc_id, origin, changes FROM change_log \
             WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        }
        // The answers are stored as SQLite's binary JSON: `json()` gives them as text.
        Table::Submissions => {
            "SELECT rowid, doc_id, form_id, form_version, created_at, \
             review_status, withdrawn, instance_name, json(answers), complete, issues, \
             validated_seq, validated_at, association, conflicts, search, choices, \
             comments, duplicate_of FROM submissions WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::ValidationQueue => {
            "SELECT doc_id, doc_id, seq FROM validation_queue \
             WHERE doc_id > ?1 ORDER BY doc_id LIMIT ?2"
        }
        Table::MatchKeys => {
            "SELECT rowid, key, doc_id FROM match_keys \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
        Table::DuplicatePairs => {
            "SELECT rowid, first, second, score, explanation, found_at, decision, \
             decided_by, decided_at FROM duplicate_pairs \
             WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
        }
    }
}

/// Reads a row (columns from 1: column 0 is the key) into `batch`; gives the bytes it
/// holds, roughly.
fn push_row(batch: &mut Batch, row: &Row<'_>) -> rusqlite::Result<usize> {
    Ok(match batch {
        Batch::FormVersions(rows) => {
            let r = FormVersionRow {
                form_id: row.get(1)?,
                version: row.get(2)?,
                title: row.get(3)?,
                definition: row.get(4)?,
                source_name: row.get(5)?,
                source: row.get(6)?,
                source_sha256: row.get(7)?,
                published_at: row.get(8)?,
                published_by: row.get(9)?,
            };
            let size = r.definition.len() + r.source.len();
            rows.push(r);
            size
        }
        Batch::Users(rows) => {
            rows.push(UserRow {
                id: row.get(0)?,
                email: row.get(1)?,
                display_name: row.get(2)?,
                role: row.get(3)?,
                password_hash: row.get(4)?,
                created_at: row.get(5)?,
                disabled_at: row.get(6)?,
            });
            256
        }
        Batch::UserAssociations(rows) => {
            rows.push(UserAssociationRow {
                user_id: row.get(1)?,
                association: row.get(2)?,
            });
            64
        }
        Batch::Sessions(rows) => {
            rows.push(SessionRow {
                token_sha256: row.get(1)?,
                user_id: row.get(2)?,
                csrf_token: row.get(3)?,
                created_at: row.get(4)?,
                last_seen_at: row.get(5)?,
            });
            128
        }
        Batch::LoginFailures(rows) => {
            rows.push(LoginFailureRow {
                email: row.get(1)?,
                failures: row.get(2)?,
                last_failure_at: row.get(3)?,
            });
            64
        }
        Batch::AuditLog(rows) => {
            let r = AuditRow {
                id: row.get(0)?,
                at: row.get(1)?,
                actor: row.get(2)?,
                action: row.get(3)?,
                detail: row.get(4)?,
                address: row.get(5)?,
            };
            let size = 64 + r.detail.len();
            rows.push(r);
            size
        }
        Batch::Associations(rows) => {
            rows.push(AssociationRow {
                code: row.get(1)?,
                name: row.get(2)?,
                created_at: row.get(3)?,
                updated_at: row.get(4)?,
            });
            256
        }
        Batch::Enrolments(rows) => {
            rows.push(EnrolmentRow {
                id: row.get(0)?,
                code_sha256: row.get(1)?,
                association: row.get(2)?,
                forms: row.get(3)?,
                label: row.get(4)?,
                expires_at: row.get(5)?,
                uses_left: row.get(6)?,
                created_by: row.get(7)?,
                created_at: row.get(8)?,
                revoked_at: row.get(9)?,
                public: row.get::<_, i64>(10)? != 0,
                replaces: row.get(11)?,
            });
            256
        }
        Batch::Devices(rows) => {
            rows.push(DeviceRow {
                id: row.get(1)?,
                credential_sha256: row.get(2)?,
                association: row.get(3)?,
                forms: row.get(4)?,
                label: row.get(5)?,
                enrolment_id: row.get(6)?,
                created_at: row.get(7)?,
                last_seen_at: row.get(8)?,
                revoked_at: row.get(9)?,
            });
            256
        }
        Batch::Documents(rows) => {
            let r = DocumentRow {
                doc_id: row.get(1)?,
                creator: row.get(2)?,
                association: row.get(3)?,
                bytes: row.get(4)?,
                heads: row.get(5)?,
                last_seq: row.get(6)?,
            };
            let size = 64 + r.bytes.len() + r.heads.len();
            rows.push(r);
            size
        }
        Batch::ChangeLog(rows) => {
            let r = ChangeRow {
                seq: row.get(0)?,
                doc_id: row.get(1)?,
                origin: row.get(2)?,
                changes: row.get(3)?,
            };
            let size = 64 + r.changes.len();
            rows.push(r);
            size
        }
        Batch::Submissions(rows) => {
            let r = SubmissionRow {
                doc_id: row.get(1)?,
                form_id: row.get(2)?,
                form_version: row.get(3)?,
                created_at: row.get(4)?,
                review_status: row.get(5)?,
                withdrawn: row.get::<_, i64>(6)? != 0,
                instance_name: row.get(7)?,
                answers: row.get(8)?,
                complete: row.get::<_, i64>(9)? != 0,
                issues: row.get(10)?,
                validated_seq: row.get(11)?,
                validated_at: row.get(12)?,
                association: row.get(13)?,
                conflicts: row.get(14)?,
                search: row.get(15)?,
                choices: row.get(16)?,
                comments: row.get(17)?,
                duplicate_of: row.get(18)?,
            };
            let size = 128
                + r.answers.len()
                + r.issues.len()
                + r.search.len()
                + r.choices.len()
                + r.comments.len();
            rows.push(r);
            size
        }
        Batch::ValidationQueue(rows) => {
            rows.push(QueueRow {
                doc_id: row.get(1)?,
                seq: row.get(2)?,
            });
            32
        }
        Batch::MatchKeys(rows) => {
            rows.push(MatchKeyRow {
                key: row.get(1)?,
                doc_id: row.get(2)?,
            });
            32
        }
        Batch::DuplicatePairs(rows) => {
            let r = DuplicatePairRow {
                first: row.get(1)?,
                second: row.get(2)?,
                score: row.get(3)?,
                explanation: row.get(4)?,
                found_at: row.get(5)?,
                decision: row.get(6)?,
                decided_by: row.get(7)?,
                decided_at: row.get(8)?,
            };
            let size = 96 + r.explanation.len();
            rows.push(r);
            size
        }
    })
}

/// An empty batch of `table`; none for `instance`, which is one row, not read in batches.
fn empty_batch(table: Table) -> Option<Batch> {
    Some(match table {
        Table::Instance => return None,
        Table::FormVersions => Batch::FormVersions(Vec::new()),
        Table::Users => Batch::Users(Vec::new()),
        Table::UserAssociations => Batch::UserAssociations(Vec::new()),
        Table::Sessions => Batch::Sessions(Vec::new()),
        Table::LoginFailures => Batch::LoginFailures(Vec::new()),
        Table::AuditLog => Batch::AuditLog(Vec::new()),
        Table::Associations => Batch::Associations(Vec::new()),
        Table::Enrolments => Batch::Enrolments(Vec::new()),
        Table::Devices => Batch::Devices(Vec::new()),
        Table::Documents => Batch::Documents(Vec::new()),
        Table::ChangeLog => Batch::ChangeLog(Vec::new()),
        Table::Submissions => Batch::Submissions(Vec::new()),
        Table::ValidationQueue => Batch::ValidationQueue(Vec::new()),
        Table::MatchKeys => Batch::MatchKeys(Vec::new()),
        Table::DuplicatePairs => Batch::DuplicatePairs(Vec::new()),
    })
}

fn index(table: Table) -> usize {
    Table::ALL
        .iter()
        .position(|t| *t == table)
        .unwrap_or_default()
}

impl SqliteExport {
    fn read_batch(&mut self, table: Table, mut batch: Batch) -> rusqlite::Result<Batch> {
        let slot = index(table);
        let Some(after) = self.after[slot].clone() else {
            return Ok(batch);
        };
        let mut statement = self.conn.prepare_cached(batch_sql(table))?;
        let limit = i64::try_from(BATCH_ROWS).unwrap_or(i64::MAX);
        let mut rows = statement.query(params![after, limit])?;
        let (mut count, mut bytes, mut last) = (0usize, 0usize, None);
        while let Some(row) = rows.next()? {
            let size = push_row(&mut batch, row)?;
            last = Some(row.get::<_, Value>(0)?);
            count += 1;
            bytes += size;
            if bytes >= BATCH_BYTES {
                break;
            }
        }
        // Fewer rows than asked for, and not cut short by size: the table is done.
        self.after[slot] = if count < BATCH_ROWS && bytes < BATCH_BYTES {
            None
        } else {
            last
        };
        Ok(batch)
    }
}

impl TransferSource for SqliteExport {
    fn instance(&mut self) -> Result<InstanceRow, DatabaseError> {
        let (created_at, sync_epoch): (String, i64) = self.conn.query_row(
            "SELECT created_at, sync_epoch FROM instance WHERE id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        // AUTOINCREMENT keeps the highest number handed out in `sqlite_sequence`; the log
        // is append-only, so it is the highest stored too, unless that table was touched.
        let handed_out: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'change_log'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        let stored: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |row| {
                    row.get(0)
                })?;
        Ok(InstanceRow {
            created_at,
            sync_epoch,
            log_sequence: handed_out.unwrap_or(0).max(stored),
        })
    }

    fn count(&mut self, table: Table) -> Result<u64, DatabaseError> {
        let count: i64 = self.conn.query_row(
            &format!("SELECT COUNT(*) FROM {}", table.name()),
            [],
            |row| row.get(0),
        )?;
        Ok(count.unsigned_abs())
    }

    fn next_batch(&mut self, table: Table) -> Result<Batch, DatabaseError> {
        let Some(batch) = empty_batch(table) else {
            return Err("the instance is read with `instance`, not in batches".into());
        };
        Ok(self.read_batch(table, batch)?)
    }

    fn heads_after(&mut self, after: &[u8], limit: usize) -> Result<Vec<DocHeads>, DatabaseError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT doc_id, heads FROM documents WHERE doc_id > ?1 ORDER BY doc_id LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(params![after, limit], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<Vec<DocHeads>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every row of `table`, batch after batch; also the largest batch's length.
    fn read_all(export: &mut SqliteExport, table: Table) -> (Vec<Batch>, usize) {
        let mut batches = Vec::new();
        loop {
            let batch = export.next_batch(table).expect("a batch");
            if batch.is_empty() {
                let largest = batches.iter().map(Batch::len).max().unwrap_or(0);
                return (batches, largest);
            }
            batches.push(batch);
        }
    }

    #[test]
    fn long_tables_are_read_in_batches_by_rows_and_by_bytes_each_row_once() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(dir.path()).expect("the store opens");
        let rows = 2 * BATCH_ROWS + 500;
        {
            let conn = store.conn.lock().expect("the connection");
            conn.execute_batch(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
                 INSERT INTO audit_log (at, actor, action, detail)
                     SELECT 'now', 'test', 'count', i FROM n;
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
                 INSERT INTO documents (doc_id, creator, association, bytes, heads, last_seq)
                     SELECT randomblob(16), 'phone-1', NULL, zeroblob(16384), zeroblob(32), i
                     FROM n;
                 INSERT INTO validation_queue (doc_id, seq) SELECT doc_id, last_seq FROM documents;"
            ))
            .expect("rows");
        }
        let mut export = store.export().expect("an export");
        // Written after the export began: not part of it.
        store
            .conn
            .lock()
            .expect("the connection")
            .execute_batch(
                "INSERT INTO audit_log (at, actor, action, detail) VALUES ('x', 'y', 'z', 'w')",
            )
            .expect("a row");

        let (batches, largest) = read_all(&mut export, Table::AuditLog);
        assert_eq!(largest, BATCH_ROWS);
        let details: Vec<String> = batches
            .into_iter()
            .flat_map(|batch| match batch {
                Batch::AuditLog(rows) => rows.into_iter().map(|r| r.detail).collect::<Vec<_>>(),
                other => panic!("{:?}", other.table()),
            })
            .collect();
        let expected: Vec<String> = (1..=rows).map(|i| i.to_string()).collect();
        assert_eq!(
            details, expected,
            "every row once, in order, none written later"
        );
        assert_eq!(export.count(Table::AuditLog).expect("a count"), rows as u64);

        // 16 KiB documents: a batch stops at about BATCH_BYTES.
        let (batches, largest) = read_all(&mut export, Table::Documents);
        assert!(
            largest < BATCH_ROWS && largest * 16384 <= BATCH_BYTES + 32768,
            "{largest}"
        );
        let mut ids: Vec<Vec<u8>> = batches
            .into_iter()
            .flat_map(|batch| match batch {
                Batch::Documents(rows) => rows.into_iter().map(|r| r.doc_id).collect::<Vec<_>>(),
                other => panic!("{:?}", other.table()),
            })
            .collect();
        assert_eq!(ids.len(), rows);
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), rows, "each document once");

        // The queue has no rowid: by document id.
        let (batches, _) = read_all(&mut export, Table::ValidationQueue);
        let queued: Vec<Vec<u8>> = batches
            .into_iter()
            .flat_map(|batch| match batch {
                Batch::ValidationQueue(rows) => {
                    rows.into_iter().map(|r| r.doc_id).collect::<Vec<_>>()
                }
                other => panic!("{:?}", other.table()),
            })
            .collect();
        assert_eq!(queued, ids, "every queued document once, by id");

        // The heads, by id, a page at a time.
        let mut after = Vec::new();
        let mut paged = Vec::new();
        loop {
            let page = export.heads_after(&after, 1_000).expect("a page");
            let Some((last, _)) = page.last() else { break };
            after = last.clone();
            paged.extend(page.into_iter().map(|(doc, _)| doc));
        }
        assert_eq!(paged, ids);
        assert!(export.next_batch(Table::Instance).is_err());
    }
}
