//! `letsema migrate --data-dir DIR --to postgres://...`: moves an installation from the
//! embedded SQLite database to an empty PostgreSQL database, so that several servers can
//! share it, without phones noticing.
//!
//! The server must be stopped: the command takes the data directory's lock, as a server
//! does. Everything is read in one SQLite read transaction (`sqlite/export.rs`) and written
//! in one PostgreSQL transaction (`postgres/import.rs`), keeping every id, the change log's
//! numbers, the sync epoch and the creation time (`store/transfer.rs` says why). Once
//! committed, the copy is checked: every table's row count on both sides, every document's
//! heads, the epoch and the last change log number. The SQLite database is left in place
//! (only brought up to the latest schema, as any start does); once servers run on
//! PostgreSQL, serving from it again would give the phones two histories under one epoch.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::store::transfer::{MigrationSummary, Table, TransferError, TransferSource};
use crate::store::{
    DATABASE_FILE, DataDirLock, DatabaseError, MOVED_MARKER, PostgresError, PostgresStore,
    SqliteStore, StoreError, SyncAccess, SyncStoreError, now_rfc3339,
};

/// A progress line on long tables every this many rows.
const PROGRESS_EVERY: u64 = 10_000;

/// Documents whose heads are compared per round trip.
const HEADS_PAGE: usize = 5_000;

/// Why a migration failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// The data directory holds no database.
    #[error("there is no Letsema database at {path}: check --data-dir")]
    NoDatabase {
        /// Where the database was looked for.
        path: PathBuf,
    },
    /// A server (or a restore) uses the data directory.
    #[error(
        "a letsema server (or a restore) is using {path}: stop the server first, so that \
         nothing changes while the database is copied"
    )]
    Busy {
        /// The data directory.
        path: PathBuf,
    },
    /// The SQLite database could not be opened.
    #[error(transparent)]
    Sqlite(#[from] StoreError),
    /// The PostgreSQL database could not be reached or set up.
    #[error(transparent)]
    Postgres(#[from] PostgresError),
    /// The SQLite database could not be read.
    #[error("cannot read the SQLite database {path}: {source}")]
    Export {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: DatabaseError,
    },
    /// The copy failed (nothing was written), or the target is not empty.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// The copy is done and verified, but the old data directory could not be marked.
    #[error(
        "the copy is done and verified, but {path} could not be written ({source}): write \
         it by hand (any text), so that no server starts on the old copy"
    )]
    Marker {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A table has another number of rows on each side after the copy.
    #[error(
        "the copy does not match: {table} has {sqlite} rows in SQLite but {postgres} in \
         PostgreSQL at {target}. Do not use that database: drop it, create a new one and \
         migrate again"
    )]
    CountMismatch {
        table: Table,
        sqlite: u64,
        postgres: u64,
        target: String,
    },
    /// A document has other heads on each side after the copy.
    #[error(
        "the copy does not match: document {doc} {problem} at {target}. Do not use that \
         database: drop it, create a new one and migrate again"
    )]
    HeadsMismatch {
        /// The document's id, in hexadecimal.
        doc: String,
        problem: &'static str,
        target: String,
    },
    /// The sync epoch or the last change log number differs after the copy.
    #[error(
        "the copy does not match: the {what} is {sqlite} in SQLite but {postgres} in \
         PostgreSQL at {target}, so phones would not trust their cursors. Do not use that \
         database: drop it, create a new one and migrate again"
    )]
    SyncMismatch {
        what: &'static str,
        sqlite: u64,
        postgres: u64,
        target: String,
    },
    /// The sync state could not be read back.
    #[error("cannot read the sync state back: {0}")]
    Sync(#[from] SyncStoreError),
    /// The summary could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// `letsema migrate --data-dir DIR --to URL`: copies the installation in `data_dir` into the
/// empty PostgreSQL database at `url`, verifies the copy, and prints a summary to `out`
/// (progress on long tables goes to `progress`). Never prints the URL's password.
///
/// # Errors
///
/// When there is no database in `data_dir`, a server uses it, either database cannot be
/// opened, the target is not empty, the copy fails (nothing is written then) or does not
/// verify.
pub fn migrate(
    data_dir: &Path,
    url: &str,
    out: &mut dyn Write,
    progress: &mut dyn Write,
) -> Result<MigrationSummary, MigrateError> {
    let path = data_dir.join(DATABASE_FILE);
    if !path.is_file() {
        return Err(MigrateError::NoDatabase { path });
    }
    let _lock = DataDirLock::acquire(data_dir).map_err(|_| MigrateError::Busy {
        path: data_dir.to_owned(),
    })?;
    let started = Instant::now();
    let sqlite = SqliteStore::open(data_dir)?;
    let postgres = PostgresStore::open(url, 2)?;
    let target = postgres.target().to_owned();
    let export_error = |source| MigrateError::Export {
        path: path.clone(),
        source,
    };
    let mut source = sqlite.export().map_err(export_error)?;
    let mut totals = Vec::with_capacity(Table::ALL.len());
    for table in Table::ALL {
        totals.push((table, source.count(table).map_err(export_error)?));
    }
    let all: u64 = totals.iter().map(|(_, rows)| rows).sum();
    writeln!(
        out,
        "copying {all} rows from {} to {target} ...",
        path.display()
    )?;

    // Progress is a courtesy: a closed standard error must not fail a copy.
    let mut reported = Vec::new();
    postgres.import(&mut source, &mut |table, done| {
        let total = totals
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, rows)| *rows);
        if let Some(line) = progress_line(table, done, total, &mut reported) {
            let _ = writeln!(progress, "{line}");
        }
    })?;

    let verified = verify(&path, &sqlite, &mut source, &postgres, &totals, progress)?;
    let summary = MigrationSummary {
        rows: totals,
        documents_verified: verified.documents,
        sync_epoch: verified.sync_epoch,
        last_seq: verified.last_seq,
        elapsed: started.elapsed(),
    };
    // The SQLite copy must not be served again: phones syncing with it would split the
    // installation in two. `Database::open` refuses a data directory with this marker.
    let marker = data_dir.join(MOVED_MARKER);
    std::fs::write(
        &marker,
        format!("to postgres://{target} on {}\n", now_rfc3339()),
    )
    .map_err(|source| MigrateError::Marker {
        path: marker.clone(),
        source,
    })?;
    print_summary(&summary, &path, &target, out)?;
    Ok(summary)
}

/// What [`verify`] found equal on both sides.
#[derive(Debug)]
struct Verified {
    documents: u64,
    sync_epoch: u64,
    last_seq: u64,
}

/// Checks a committed copy against its source: every table's row count (`totals`, the
/// source's), every document's heads, the sync epoch and the last change log number.
fn verify(
    path: &Path,
    sqlite: &SqliteStore,
    source: &mut dyn TransferSource,
    postgres: &PostgresStore,
    totals: &[(Table, u64)],
    progress: &mut dyn Write,
) -> Result<Verified, MigrateError> {
    let target = postgres.target();
    let copied = postgres.row_counts()?;
    for ((table, sqlite_rows), (_, postgres_rows)) in totals.iter().zip(&copied) {
        if sqlite_rows != postgres_rows {
            return Err(MigrateError::CountMismatch {
                table: *table,
                sqlite: *sqlite_rows,
                postgres: *postgres_rows,
                target: target.to_owned(),
            });
        }
    }
    let documents = totals
        .iter()
        .find(|(t, _)| *t == Table::Documents)
        .map_or(0, |(_, rows)| *rows);
    let verified = compare_heads(source, postgres, documents, progress)
        .map_err(|error| error.into_migrate_error(path, target))?;
    let (sqlite_sync, postgres_sync) = (sqlite.sync_store()?, postgres.sync_store()?);
    let sync_pairs = [
        ("sync epoch", sqlite_sync.epoch(), postgres_sync.epoch()),
        (
            "last change log number",
            sqlite_sync.last_seq(),
            postgres_sync.last_seq(),
        ),
    ];
    for (what, sqlite_value, postgres_value) in sync_pairs {
        if sqlite_value != postgres_value {
            return Err(MigrateError::SyncMismatch {
                what,
                sqlite: sqlite_value,
                postgres: postgres_value,
                target: target.to_owned(),
            });
        }
    }
    Ok(Verified {
        documents: verified,
        sync_epoch: sqlite_sync.epoch(),
        last_seq: sqlite_sync.last_seq(),
    })
}

/// A progress line for `table` at `done` of `total` rows, when it crosses another
/// [`PROGRESS_EVERY`] rows or ends a table that long. `reported` keeps each table's rows
/// at its last line.
fn progress_line(
    table: Table,
    done: u64,
    total: u64,
    reported: &mut Vec<(Table, u64)>,
) -> Option<String> {
    if total < PROGRESS_EVERY {
        return None;
    }
    let last = reported
        .iter()
        .find(|(t, _)| *t == table)
        .map_or(0, |(_, rows)| *rows);
    let due = done / PROGRESS_EVERY > last / PROGRESS_EVERY || (done >= total && last < total);
    if !due {
        return None;
    }
    match reported.iter_mut().find(|(t, _)| *t == table) {
        Some(entry) => entry.1 = done,
        None => reported.push((table, done)),
    }
    Some(format!("{table}: {done} / {total}"))
}

/// Why the heads of the two sides could not be compared or differ.
enum HeadsError {
    Source(DatabaseError),
    Target(TransferError),
    Differ { doc: Vec<u8>, problem: &'static str },
}

impl HeadsError {
    fn into_migrate_error(self, path: &Path, target: &str) -> MigrateError {
        match self {
            HeadsError::Source(source) => MigrateError::Export {
                path: path.to_owned(),
                source,
            },
            HeadsError::Target(error) => error.into(),
            HeadsError::Differ { doc, problem } => MigrateError::HeadsMismatch {
                doc: doc.iter().map(|b| format!("{b:02x}")).collect(),
                problem,
                target: target.to_owned(),
            },
        }
    }
}

/// Compares every document's heads on both sides, by id, a page at a time; gives how many
/// were compared.
fn compare_heads(
    source: &mut dyn TransferSource,
    postgres: &PostgresStore,
    documents: u64,
    progress: &mut dyn Write,
) -> Result<u64, HeadsError> {
    let mut after = Vec::new();
    let mut verified = 0u64;
    loop {
        let sqlite_page = source
            .heads_after(&after, HEADS_PAGE)
            .map_err(HeadsError::Source)?;
        let postgres_page = postgres
            .heads_after(&after, HEADS_PAGE)
            .map_err(HeadsError::Target)?;
        for index in 0..sqlite_page.len().max(postgres_page.len()) {
            match (sqlite_page.get(index), postgres_page.get(index)) {
                (Some(ours), Some(theirs)) if ours == theirs => {}
                (Some(ours), Some(theirs)) if ours.0 == theirs.0 => {
                    return Err(HeadsError::Differ {
                        doc: ours.0.clone(),
                        problem: "has other heads in PostgreSQL than in SQLite",
                    });
                }
                (Some(ours), Some(theirs)) => {
                    let (doc, problem) = if ours.0 < theirs.0 {
                        (ours.0.clone(), "is missing in PostgreSQL")
                    } else {
                        (theirs.0.clone(), "is in PostgreSQL but not in SQLite")
                    };
                    return Err(HeadsError::Differ { doc, problem });
                }
                (Some(ours), None) => {
                    return Err(HeadsError::Differ {
                        doc: ours.0.clone(),
                        problem: "is missing in PostgreSQL",
                    });
                }
                (None, Some(theirs)) => {
                    return Err(HeadsError::Differ {
                        doc: theirs.0.clone(),
                        problem: "is in PostgreSQL but not in SQLite",
                    });
                }
                (None, None) => {}
            }
        }
        let Some((last, _)) = sqlite_page.last() else {
            return Ok(verified);
        };
        let before = verified;
        verified += u64::try_from(sqlite_page.len()).unwrap_or(u64::MAX);
        if documents >= PROGRESS_EVERY && verified / PROGRESS_EVERY > before / PROGRESS_EVERY {
            let _ = writeln!(progress, "verifying heads: {verified} / {documents}");
        }
        after = last.clone();
    }
}

fn print_summary(
    summary: &MigrationSummary,
    path: &Path,
    target: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    writeln!(
        out,
        "migrated {} to {target} in {:.1} s:",
        path.display(),
        summary.elapsed.as_secs_f64()
    )?;
    for (table, rows) in &summary.rows {
        writeln!(out, "  {:<18} {rows:>10}", table.name())?;
    }
    writeln!(out, "  {:<18} {:>10}", "(all tables)", summary.total_rows())?;
    writeln!(
        out,
        "verified: every table's row count, the heads of all {} documents, the sync epoch \
         and the last change log number ({}): phones keep syncing without re-enrolling once \
         the servers run on this database. {} stays as it is, marked as moved: letsema refuses to \
         serve it.",
        summary.documents_verified,
        summary.last_seq,
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use letsema_doc::{
        Answer, AssociationId, DeviceId, SessionId, SubmissionDoc, Timestamp, Writer,
    };
    use letsema_protocol::sync::{Cursor, DocId};
    use letsema_sync::client::{Client, ClientConfig};
    use letsema_sync::client_store::{ClientStore, MemoryClientStore};
    use letsema_sync::server::Server;
    use letsema_sync::store::{Caller, LogPage, Scope, ServerStore};

    use super::*;
    use crate::store::postgres_testing::fresh_database;
    use crate::store::{
        AssociationCode, AssociationName, AssociationStore, DeviceStore, DuplicateStore, FormCache,
        NewEnrolment, NewUser, PeopleStore, REFERENCE_FORM, Role, ValidationStore,
    };
    use crate::validator::validate_batch;

    const ASSOCIATION: &str = "basotho_uk";

    fn writer(device: &str) -> Writer {
        Writer::new(
            DeviceId::parse(device).expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("a session id"),
            None,
        )
    }

    fn at(minute: i64) -> Timestamp {
        Timestamp(1_780_000_000_000 + minute * 60_000)
    }

    /// A client of the real sync protocol: a volunteer's phone (its own documents) or a
    /// reviewer's device (every document).
    struct Device {
        client: Client<MemoryClientStore>,
        caller: Caller,
    }

    impl Device {
        fn phone(id: &str) -> Device {
            let device = DeviceId::parse(id).expect("a device id");
            Device {
                client: Client::new(ClientConfig::new(writer(id)), MemoryClientStore::new()),
                caller: Caller {
                    device: device.clone(),
                    scope: Scope::Device(device),
                    association: Some(AssociationId::parse(ASSOCIATION).expect("a code")),
                },
            }
        }

        fn reviewer(id: &str) -> Device {
            Device {
                client: Client::new(ClientConfig::new(writer(id)), MemoryClientStore::new()),
                caller: Caller {
                    device: DeviceId::parse(id).expect("a device id"),
                    scope: Scope::All,
                    association: None,
                },
            }
        }

        /// Syncs with `store` until there is nothing left to send; whether a repair ran.
        fn sync(&mut self, store: &dyn SyncAccess) -> bool {
            let mut server = Server::default();
            let mut repaired = false;
            self.client.start_sync();
            while let Some(request) = self.client.next_request().expect("a request") {
                let mut session = store.sync_store().expect("a sync session");
                let response = server.handle(&self.caller, &request, &mut session);
                drop(session);
                let progress = self.client.handle_response(&response).expect("an answer");
                assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
                assert!(progress.failed.is_empty(), "{:?}", progress.failed);
                repaired |= progress.repairing;
            }
            assert!(self.client.unsynced().expect("unsynced").is_empty());
            repaired
        }

        fn cursor(&self) -> Option<Cursor> {
            self.client.store().state().expect("the state").cursor
        }

        fn edit(&mut self, doc: DocId, comment: &str) {
            let mut opened: SubmissionDoc = self
                .client
                .open_document(doc)
                .expect("opens")
                .expect("on the device");
            opened
                .set_answer("comments", &Answer::value(comment), at(1_000))
                .expect("edited");
            self.client.save_document(&mut opened).expect("saved");
        }
    }

    /// An installation in use: staff, a named association, enrolments (one replacing a
    /// device, one public link), devices, sessions, a failed login, the reference form, and
    /// registrations synced by a phone through the real protocol, some validated, some
    /// edited since (so every table has rows). Gives the data directory, the store, the
    /// phone, a reviewer's device that has pulled everything, and the documents.
    struct Installation {
        dir: tempfile::TempDir,
        store: SqliteStore,
        phone: Device,
        reviewer: Device,
        docs: Vec<DocId>,
    }

    fn installation(registrations: usize) -> Installation {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(dir.path()).expect("the store opens");
        let (name, bytes) = REFERENCE_FORM;
        crate::store::publish_file(&store, name, bytes, "test").expect("the form publishes");
        let admin = store
            .add_user(
                &NewUser {
                    email: "admin@example.org".to_owned(),
                    display_name: "Admin".to_owned(),
                    role: Role::Admin,
                    associations: vec![],
                    password_hash: "$argon2id$not-a-real-hash".to_owned(),
                },
                "test",
                None,
            )
            .expect("an admin");
        let coordinator = store
            .add_user(
                &NewUser {
                    email: "Coordinator@Example.org".to_owned(),
                    display_name: "Mpho".to_owned(),
                    role: Role::Coordinator,
                    associations: vec![ASSOCIATION.to_owned()],
                    password_hash: "$argon2id$another".to_owned(),
                },
                "test",
                None,
            )
            .expect("a coordinator");
        store
            .open_session(&coordinator, &[3; 32], "csrf-token", 1_780_000_000, None)
            .expect("a session");
        store
            .record_login_failure("admin@example.org", 1_780_000_100)
            .expect("a failed login");
        store
            .name_association(
                &AssociationCode::parse(ASSOCIATION).expect("a code"),
                &AssociationName::parse("Basotho in the UK").expect("a name"),
                "test",
                None,
            )
            .expect("named");
        let enrolment = NewEnrolment {
            association: ASSOCIATION.to_owned(),
            forms: vec!["diaspora_registration".to_owned()],
            label: "Maseru team".to_owned(),
            expires_at: 1_790_000_000,
            uses: 3,
            created_by: admin.id,
            replaces: None,
            association_name: None,
        };
        store
            .create_enrolment(&enrolment, &[1; 32], None)
            .expect("an enrolment");
        store
            .enrol_device(
                &[1; 32],
                "phone-1",
                &[11; 32],
                "Thabo's phone",
                1_780_000_000,
                None,
            )
            .expect("phone-1 enrols");
        store
            .enrol_device(
                &[1; 32],
                "phone-2",
                &[12; 32],
                "Lineo's phone",
                1_780_000_000,
                None,
            )
            .expect("phone-2 enrols");
        store
            .create_enrolment(
                &NewEnrolment {
                    replaces: Some("phone-2".to_owned()),
                    label: "Lineo's new phone".to_owned(),
                    ..enrolment
                },
                &[2; 32],
                None,
            )
            .expect("a replacement enrolment");
        store
            .create_public_link(
                "diaspora_registration",
                "Open survey",
                1_790_000_000,
                admin.id,
                &[4; 32],
                None,
            )
            .expect("a public link");
        store
            .device_by_credential(&[11; 32], 1_780_000_500)
            .expect("phone-1 is seen");

        let mut phone = Device::phone("phone-1");
        let association = AssociationId::parse(ASSOCIATION).expect("a code");
        let mut generator = letsema_workload::Generator::new(13);
        let docs: Vec<DocId> = (0..registrations)
            .map(|i| {
                let mut doc = generator
                    .submission_in(&writer("phone-1"), Some(&association), at(i as i64))
                    .expect("a registration");
                phone.client.save_document(&mut doc).expect("saved")
            })
            .collect();
        assert!(!phone.sync(&store), "a first sync needs no repair");
        let mut cache = FormCache::default();
        while validate_batch(&store, &mut cache).expect("a pass") > 0 {}
        // A reviewer's "not the same person" about two of them.
        store
            .record_pairs(
                docs[0],
                &[crate::store::FoundPair {
                    other: docs[1],
                    score: 14.5,
                    explanation: "same phone".to_owned(),
                }],
                1_780_000_900_000,
            )
            .expect("a pair");
        assert!(
            store
                .decide_pair(
                    (docs[1], docs[0]),
                    Some(crate::store::PairDecision::Different),
                    &crate::store::AssociationScope::All,
                    "Reviewer",
                    "user:1",
                    None,
                )
                .expect("decided")
        );
        // Edited since: stored as saved documents, queued for validation again.
        for doc in docs.iter().take(3) {
            phone.edit(*doc, "seen again at the clinic");
        }
        phone.sync(&store);
        let mut reviewer = Device::reviewer("reviewer-1");
        assert!(!reviewer.sync(&store), "a first pull needs no repair");
        Installation {
            dir,
            store,
            phone,
            reviewer,
            docs,
        }
    }

    fn migrate_quietly(data_dir: &Path, url: &str) -> Result<MigrationSummary, MigrateError> {
        migrate(data_dir, url, &mut Vec::new(), &mut Vec::new())
    }

    fn log_after(store: &dyn SyncAccess, after: u64) -> LogPage {
        let reader = DeviceId::parse("reader").expect("a device id");
        store
            .sync_store()
            .expect("a session")
            .log_page(after, &Scope::All, &reader, usize::MAX, usize::MAX)
            .expect("a page of the log")
    }

    /// A query's single number on PostgreSQL.
    fn pg_number(store: &PostgresStore, sql: &str) -> i64 {
        store.run(async {
            let client = store.client().await.expect("a connection");
            client.query_one(sql, &[]).await.expect(sql).get(0)
        })
    }

    #[test]
    fn an_installation_is_copied_whole_and_phones_keep_syncing() {
        let Installation {
            dir,
            store: sqlite,
            mut phone,
            mut reviewer,
            docs,
        } = installation(40);
        let url = fresh_database();
        // The test cluster trusts every connection: the password is never asked for, and
        // never printed.
        let with_password = url.replacen("://letsema@", "://letsema:s3cret-word@", 1);
        assert_ne!(with_password, url);
        let mut out = Vec::new();
        let summary =
            migrate(dir.path(), &with_password, &mut out, &mut Vec::new()).expect("the migration");
        let out = String::from_utf8(out).expect("text");

        // Every table had rows to copy, and has as many on PostgreSQL.
        for (table, rows) in &summary.rows {
            assert!(*rows > 0, "{table} is empty in the test installation");
        }
        let postgres = PostgresStore::open(&url, 2).expect("opens");
        assert_eq!(postgres.row_counts().expect("counts"), summary.rows);
        assert_eq!(summary.documents_verified, docs.len() as u64);
        assert!(out.contains("documents"), "{out}");
        assert!(out.contains(postgres.target()), "{out}");
        assert!(!out.contains("s3cret"), "{out}");

        // The old copy is marked as moved, and no server starts on it.
        let refused = crate::store::Database::Embedded(dir.path().to_owned())
            .open()
            .expect_err("the old copy is not served");
        let message = refused.to_string();
        assert!(
            matches!(refused, crate::store::OpenError::Moved { .. }),
            "{message}"
        );
        assert!(message.contains(postgres.target()), "{message}");
        assert!(message.contains("--database"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");

        // The same epoch and log numbers: cursors keep their meaning.
        let (before, after) = (
            sqlite.sync_store().expect("a session"),
            postgres.sync_store().expect("a session"),
        );
        assert_eq!(after.epoch(), before.epoch());
        assert_eq!(after.last_seq(), before.last_seq());
        assert_eq!(summary.last_seq, before.last_seq());
        for doc in &docs {
            let (ours, theirs) = (
                before.load(*doc).expect("loads").expect("stored"),
                after.load(*doc).expect("loads").expect("stored"),
            );
            assert_eq!(theirs.bytes, ours.bytes, "{doc:?}");
            assert_eq!(theirs.heads, ours.heads);
            assert_eq!(theirs.meta, ours.meta);
        }
        let last = before.last_seq();
        drop((before, after));
        for cursor in [0, 1, last / 2, last - 1, last] {
            let (ours, theirs) = (log_after(&sqlite, cursor), log_after(&postgres, cursor));
            assert_eq!(theirs.entries, ours.entries, "after {cursor}");
            assert_eq!(theirs.last_seq, ours.last_seq, "after {cursor}");
            assert!(theirs.entries.iter().all(|e| e.seq > cursor));
            assert_eq!(
                theirs.entries.len() as u64,
                last - cursor,
                "one entry a number"
            );
        }

        // The reviewers' decisions about candidate pairs came across.
        let decided = |store: &dyn DuplicateStore| {
            store
                .duplicate_pairs(&crate::store::PairQuery {
                    scope: crate::store::AssociationScope::All,
                    status: crate::store::PairStatus::Different,
                    after: None,
                    limit: 10,
                })
                .expect("a page")
                .pairs
        };
        let copied = decided(&postgres);
        assert_eq!(copied, decided(&sqlite));
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0].decided_by.as_deref(), Some("Reviewer"));

        // The projections and the rows that refer to each other came across as they were.
        let answers = |doc: &DocId| -> (serde_json::Value, serde_json::Value) {
            let ours: String = sqlite
                .reader()
                .query_row(
                    "SELECT json(answers) FROM submissions WHERE doc_id = ?1",
                    [&doc.0[..]],
                    |row| row.get(0),
                )
                .expect("a projection");
            let theirs: String = postgres.run(async {
                let client = postgres.client().await.expect("a connection");
                client
                    .query_one(
                        "SELECT answers::TEXT FROM submissions WHERE doc_id = $1",
                        &[&&doc.0[..]],
                    )
                    .await
                    .expect("a projection")
                    .get(0)
            });
            (
                serde_json::from_str(&ours).expect("JSON"),
                serde_json::from_str(&theirs).expect("JSON"),
            )
        };
        for doc in &docs {
            let (ours, theirs) = answers(doc);
            assert_eq!(theirs, ours);
        }
        assert_eq!(
            postgres.submission_verdict(&docs[5].0).expect("reads"),
            sqlite.submission_verdict(&docs[5].0).expect("reads")
        );
        assert_eq!(
            postgres.validation_queue().expect("the queue"),
            3,
            "the edited documents still wait for validation"
        );
        assert_eq!(
            pg_number(
                &postgres,
                "SELECT COUNT(*) FROM enrolments WHERE replaces = 'phone-2' AND NOT public"
            ),
            1
        );
        assert_eq!(
            pg_number(&postgres, "SELECT COUNT(*) FROM enrolments WHERE public"),
            1
        );

        // The next account, enrolment, audit entry and log number follow the copied ones.
        let max = |sql: &str| pg_number(&postgres, sql);
        for (sequence, highest) in [
            ("users", "SELECT MAX(id) FROM users"),
            ("enrolments", "SELECT MAX(id) FROM enrolments"),
            ("audit_log", "SELECT MAX(id) FROM audit_log"),
        ] {
            let next = max(&format!(
                "SELECT nextval(pg_get_serial_sequence('{sequence}', 'id'))"
            ));
            assert_eq!(next, max(highest) + 1, "{sequence}");
        }

        // Phones go on where they were: an edit through PostgreSQL takes the next number
        // under the same epoch, and the reviewer's device pulls exactly it, with no repair.
        let epoch = reviewer.cursor().expect("a cursor").epoch;
        assert_eq!(reviewer.cursor().expect("a cursor").seq, last);
        phone.edit(docs[10], "moved to Leeds");
        assert!(!phone.sync(&postgres), "no repair after the migration");
        assert_eq!(
            phone.cursor(),
            Some(Cursor {
                epoch,
                seq: last + 1
            })
        );
        let page = log_after(&postgres, last);
        assert_eq!(page.entries.len(), 1);
        assert_eq!(
            (page.entries[0].seq, page.entries[0].doc),
            (last + 1, docs[10])
        );
        assert!(!reviewer.sync(&postgres), "no repair after the migration");
        assert_eq!(
            reviewer.cursor(),
            Some(Cursor {
                epoch,
                seq: last + 1
            })
        );
        let edited = reviewer
            .client
            .open_document(docs[10])
            .expect("opens")
            .expect("pulled");
        assert_eq!(
            edited.answer("comments"),
            Some(Answer::value("moved to Leeds"))
        );
        // And the validator on PostgreSQL finds the queue (the three edited before, and
        // this one).
        assert_eq!(postgres.pending(100).expect("the queue").len(), 4);
    }

    /// Changes the copy on PostgreSQL with `sql`, then verifies it again against SQLite.
    fn verify_after(field: &Installation, url: &str, sql: &str) -> MigrateError {
        let postgres = PostgresStore::open(url, 2).expect("opens");
        postgres.run(async {
            let client = postgres.client().await.expect("a connection");
            client
                .batch_execute(sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        });
        let mut source = field.store.export().expect("an export");
        let totals: Vec<(Table, u64)> = Table::ALL
            .iter()
            .map(|table| (*table, source.count(*table).expect("a count")))
            .collect();
        let path = field.dir.path().join(DATABASE_FILE);
        verify(
            &path,
            &field.store,
            &mut source,
            &postgres,
            &totals,
            &mut Vec::new(),
        )
        .expect_err("the copy no longer matches")
    }

    #[test]
    fn a_copy_that_does_not_match_fails_verification() {
        let field = installation(4);
        let migrated = || {
            let url = fresh_database();
            migrate_quietly(field.dir.path(), &url).expect("the migration");
            url
        };

        let error = verify_after(&field, &migrated(), "DELETE FROM login_failures");
        assert!(
            matches!(
                error,
                MigrateError::CountMismatch {
                    table: Table::LoginFailures,
                    sqlite: 1,
                    postgres: 0,
                    ..
                }
            ),
            "{error}"
        );

        let error = verify_after(
            &field,
            &migrated(),
            "UPDATE documents SET heads = set_byte(heads, 0, 255 - get_byte(heads, 0))
             WHERE doc_id = (SELECT doc_id FROM documents ORDER BY doc_id DESC LIMIT 1)",
        );
        let last: String = field
            .docs
            .iter()
            .map(|d| d.0)
            .max()
            .expect("documents")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(
            matches!(
                &error,
                MigrateError::HeadsMismatch { doc, problem, .. }
                    if *doc == last && problem.contains("other heads")
            ),
            "{error}"
        );

        let error = verify_after(
            &field,
            &migrated(),
            "UPDATE instance SET sync_epoch = sync_epoch + 1",
        );
        assert!(
            matches!(
                error,
                MigrateError::SyncMismatch {
                    what: "sync epoch",
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("drop it"), "{error}");
    }

    #[test]
    fn a_database_that_is_not_empty_is_refused_and_left_as_it_was() {
        let field = installation(3);
        let url = fresh_database();
        let first = migrate_quietly(field.dir.path(), &url).expect("the first migration");
        let error = migrate_quietly(field.dir.path(), &url).expect_err("refused");
        assert!(
            matches!(
                error,
                MigrateError::Transfer(TransferError::NotEmpty { .. })
            ),
            "{error}"
        );
        let message = error.to_string();
        assert!(message.contains("new, empty database"), "{message}");
        assert!(!message.contains('\n'), "{message}");
        let postgres = PostgresStore::open(&url, 2).expect("opens");
        assert_eq!(postgres.row_counts().expect("counts"), first.rows);
    }

    #[test]
    fn a_copy_that_fails_midway_writes_nothing_and_can_be_run_again() {
        let field = installation(3);
        // PostgreSQL's text cannot hold U+0000: the devices, written after the forms,
        // staff and enrolments, are refused.
        field
            .store
            .conn()
            .execute_batch("UPDATE devices SET label = 'Thabo' || char(0) WHERE id = 'phone-1'")
            .expect("a label PostgreSQL refuses");
        let url = fresh_database();
        let error = migrate_quietly(field.dir.path(), &url).expect_err("refused");
        assert!(
            matches!(
                error,
                MigrateError::Transfer(TransferError::Write {
                    table: Table::Devices,
                    ..
                })
            ),
            "{error}"
        );
        assert!(error.to_string().contains("Nothing was copied"), "{error}");
        assert!(
            !field.dir.path().join(MOVED_MARKER).exists(),
            "a failed copy leaves the installation where it was"
        );
        let postgres = PostgresStore::open(&url, 2).expect("opens");
        let counts = postgres.row_counts().expect("counts");
        assert!(
            counts
                .iter()
                .all(|(table, rows)| *rows == u64::from(*table == Table::Instance)),
            "{counts:?}"
        );
        field
            .store
            .conn()
            .execute_batch("UPDATE devices SET label = 'Thabo' WHERE id = 'phone-1'")
            .expect("fixed");
        migrate_quietly(field.dir.path(), &url).expect("the migration, again");
    }

    #[test]
    fn a_data_dir_in_use_by_a_server_is_refused_and_nothing_is_copied() {
        let field = installation(2);
        let url = fresh_database();
        let server = DataDirLock::acquire(field.dir.path()).expect("a server holds it");
        let error = migrate_quietly(field.dir.path(), &url).expect_err("refused");
        assert!(matches!(error, MigrateError::Busy { .. }), "{error}");
        assert!(
            error.to_string().contains("stop the server first"),
            "{error}"
        );
        drop(server);
        let postgres = PostgresStore::open(&url, 2).expect("opens");
        let counts = postgres.row_counts().expect("counts");
        assert!(
            counts
                .iter()
                .all(|(table, rows)| *rows == u64::from(*table == Table::Instance)),
            "{counts:?}"
        );
        // Once the server has stopped, the same migration goes through.
        migrate_quietly(field.dir.path(), &url).expect("the migration");
    }

    #[test]
    fn a_data_dir_without_a_database_is_refused_and_none_is_created() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let error =
            migrate_quietly(dir.path(), "postgres://nobody@127.0.0.1:1/none").expect_err("refused");
        assert!(matches!(error, MigrateError::NoDatabase { .. }), "{error}");
        assert!(error.to_string().contains("--data-dir"), "{error}");
        assert!(!dir.path().join(DATABASE_FILE).exists());
    }

    #[test]
    fn progress_is_reported_every_ten_thousand_rows_and_at_the_end() {
        let mut reported = Vec::new();
        let lines: Vec<String> = [2_000, 9_999, 10_000, 12_000, 20_001, 21_000, 21_000]
            .into_iter()
            .filter_map(|done| progress_line(Table::Documents, done, 21_000, &mut reported))
            .collect();
        assert_eq!(
            lines,
            [
                "documents: 10000 / 21000",
                "documents: 20001 / 21000",
                "documents: 21000 / 21000"
            ]
        );
        assert_eq!(
            progress_line(Table::Users, 5, 5, &mut reported),
            None,
            "short tables are quiet"
        );
    }
}
