//! What a stored submission costs on disk, table by table and index by index:
//!
//! ```text
//! cargo bench -p letsema-server --bench disk            # 10,000 submissions
//! LETSEMA_DISK_N=50000 cargo bench -p letsema-server --bench disk
//! LETSEMA_DISK_KEEP=/tmp/disk.sqlite3 cargo bench -p letsema-server --bench disk  # keep it
//! ```
//!
//! It opens a store in a temporary directory with the reference form published, lets 20
//! phones of the association `load-test` sync their share of `N` generated registrations
//! (`letsema_workload`) through the real sync path (`letsema_sync::server::Server` over the
//! SQLite sync store), runs the validator until nothing is pending, folds the write-ahead
//! log into the file, and prints SQLite's own account of every page (the `dbstat` virtual
//! table) in bytes per stored submission. Then every phone edits one field in 10% of its
//! submissions and syncs, the validator drains again, and the table is printed once more.
//! Each drain's rate is printed too (the validation queue's cost with `N` held).

use std::path::Path;
use std::time::Instant;

use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_server::store::REFERENCE_FORM;
use letsema_server::store::{DATABASE_FILE, FormCache, SqliteStore, SyncAccess, ValidationStore};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, Scope};
use rusqlite::Connection;

const PHONES: usize = 20;
const SEED: u64 = 13;

struct Phone {
    client: Client<MemoryClientStore>,
    caller: Caller,
}

fn main() {
    let n: usize = std::env::var("LETSEMA_DISK_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path()).expect("opens the store");
    let (name, bytes) = REFERENCE_FORM;
    letsema_server::store::publish_file(&store, name, bytes, "the disk bench")
        .expect("publishes the reference form");
    let association = AssociationId::parse("load-test").expect("an association");

    let started = Instant::now();
    let mut phones: Vec<Phone> = (0..PHONES)
        .map(|index| {
            let device = DeviceId::parse(&format!("disk-phone-{index}")).expect("a device id");
            let writer = Writer::new(
                device.clone(),
                SessionId::from_bytes(&(SEED ^ index as u64).to_le_bytes()).expect("a session"),
                None,
            );
            let mut client =
                Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new());
            let share = n / PHONES + usize::from(index < n % PHONES);
            let docs = letsema_workload::Generator::new(SEED.wrapping_add(index as u64))
                .submissions_in(
                    share,
                    &writer,
                    Some(&association),
                    letsema_workload::DIASPORA_START,
                )
                .expect("generated submissions");
            for mut doc in docs {
                client.save_document(&mut doc).expect("the phone stores it");
            }
            Phone {
                client,
                caller: Caller {
                    device: device.clone(),
                    scope: Scope::Device(device),
                    association: Some(association.clone()),
                },
            }
        })
        .collect();
    println!(
        "disk: {n} reference-form registrations from {PHONES} phones (generated in {:.1} s)",
        started.elapsed().as_secs_f64()
    );

    let mut server = Server::default();
    let synced = sync_all(&store, &mut server, &mut phones);
    println!("first sync: {synced} documents acknowledged");
    drain(&store, n);
    report(dir.path(), n, "after the first sync and validation");

    let mut edited = 0;
    for (index, phone) in phones.iter_mut().enumerate() {
        edited += edit_tenth(phone, SEED.wrapping_add(1_000 + index as u64));
    }
    let synced = sync_all(&store, &mut server, &mut phones);
    println!("edit sync: {edited} edited, {synced} documents acknowledged");
    drain(&store, n);
    report(dir.path(), n, "after editing 10% and validating again");

    if let Some(keep) = std::env::var_os("LETSEMA_DISK_KEEP") {
        drop(store);
        std::fs::copy(dir.path().join(DATABASE_FILE), &keep).expect("the database kept");
        println!("kept the database as {}", Path::new(&keep).display());
    }
}

/// Syncs every phone to the end; returns how many documents the server acknowledged.
fn sync_all(store: &SqliteStore, server: &mut Server, phones: &mut [Phone]) -> usize {
    let mut acknowledged = 0;
    for phone in phones {
        phone.client.start_sync();
        let mut requests = 0;
        while let Some(request) = phone.client.next_request().expect("a request") {
            requests += 1;
            assert!(requests < 10_000, "the sync does not end");
            let mut session = store.sync_store().expect("a sync session");
            let response = server.handle(&phone.caller, &request, &mut session);
            drop(session);
            let progress = phone.client.handle_response(&response).expect("an answer");
            assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
            acknowledged += progress.acknowledged.len();
        }
        assert!(phone.client.unsynced().expect("unsynced").is_empty());
    }
    acknowledged
}

/// Edits one field in about a tenth of a phone's submissions; returns how many.
fn edit_tenth(phone: &mut Phone, seed: u64) -> usize {
    let ids = phone.client.store().doc_ids();
    let mut generator = letsema_workload::Generator::new(seed);
    let at = Timestamp(letsema_workload::DIASPORA_START.0 + 86_400_000);
    let tenth = ids.len().div_ceil(10);
    let mut edited = 0;
    for id in ids.into_iter().take(tenth) {
        let mut doc = phone
            .client
            .open_document(id)
            .expect("opens")
            .expect("stored");
        // Members who declined consent have nothing to edit.
        if generator.edit_one_field(&mut doc, at).is_ok() {
            phone.client.save_document(&mut doc).expect("saves");
            edited += 1;
        }
    }
    edited
}

/// Runs the validator until nothing is pending, printing its rate.
fn drain(store: &SqliteStore, held: usize) {
    let mut cache = FormCache::default();
    let pending = store.validation_queue().expect("the queue");
    let started = Instant::now();
    let mut done = 0;
    loop {
        let count = letsema_server::validator::validate_batch(store, &mut cache)
            .expect("a validation pass");
        if count == 0 {
            break;
        }
        done += count;
    }
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(store.validation_queue().expect("the queue"), 0);
    println!(
        "validation: {pending} pending of {held} held, {done} validated in {seconds:.2} s \
         ({:.0}/s)",
        done as f64 / seconds.max(1e-9)
    );
}

/// Prints the database's pages by table and index, in bytes per stored submission.
fn report(dir: &Path, n: usize, when: &str) {
    let conn = Connection::open(dir.join(DATABASE_FILE)).expect("a second connection");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("a busy timeout");
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("the log folded into the file");
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |row| row.get(0))
        .expect("the page size");
    let page_count: i64 = conn
        .query_row("PRAGMA page_count", [], |row| row.get(0))
        .expect("the page count");
    let free_pages: i64 = conn
        .query_row("PRAGMA freelist_count", [], |row| row.get(0))
        .expect("the free pages");
    let file = std::fs::metadata(dir.join(DATABASE_FILE))
        .expect("the file")
        .len();
    let per = |bytes: i64| bytes as f64 / n as f64;

    println!();
    println!(
        "{when}: {file} B on disk, {:.0} B per submission ({page_count} pages of {page_size} B)",
        file as f64 / n as f64
    );
    println!(
        "{:<34} {:>7} {:>10} {:>10} {:>10} {:>10}",
        "table or index", "pages", "B/sub", "payload", "overhead", "unused"
    );
    let mut statement = conn
        .prepare(
            "SELECT name, COUNT(*), SUM(pgsize), SUM(payload), SUM(pgsize - payload - unused),
                 SUM(unused)
             FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC",
        )
        .expect("dbstat is compiled in");
    let rows = statement
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })
        .expect("the pages");
    let mut total = 0;
    let (mut small, mut small_pages, mut small_size) = (0, 0, 0);
    for row in rows {
        let (name, pages, size, payload, overhead, unused) = row.expect("a row");
        total += size;
        // The tables of people, devices and forms: a page or so each, whatever is stored.
        if per(size) < 1.0 {
            small += 1;
            small_pages += pages;
            small_size += size;
            continue;
        }
        println!(
            "{name:<34} {pages:>7} {:>10.1} {:>10.1} {:>10.1} {:>10.1}",
            per(size),
            per(payload),
            per(overhead),
            per(unused)
        );
    }
    println!(
        "{:<34} {small_pages:>7} {:>10.1}",
        format!("({small} others under 1 B/sub)"),
        per(small_size)
    );
    println!(
        "{:<34} {free_pages:>7} {:>10.1}",
        "(free pages)",
        per(free_pages * page_size)
    );
    println!(
        "{:<34} {:>7} {:>10.1}",
        "total",
        page_count,
        per(total + free_pages * page_size)
    );

    println!("columns, bytes per submission (integers excluded):");
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table'
                 AND name IN ('documents', 'change_log', 'submissions', 'validation_queue')
             ORDER BY name",
        )
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect())
        .expect("the tables");
    for table in tables {
        let columns: Vec<(String, String)> = conn
            .prepare(&format!(
                "SELECT name, type FROM pragma_table_info('{table}')"
            ))
            .and_then(|mut s| {
                s.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .expect("the columns");
        for (column, kind) in columns {
            if kind.eq_ignore_ascii_case("INTEGER") {
                continue;
            }
            let bytes: i64 = conn
                .query_row(
                    &format!("SELECT COALESCE(SUM(octet_length(\"{column}\")), 0) FROM {table}"),
                    [],
                    |row| row.get(0),
                )
                .expect("a column's size");
            println!("  {:<32} {:>10.1}", format!("{table}.{column}"), per(bytes));
        }
    }
}
