//! The app's IndexedDB storage in a real browser (headless Chromium through
//! wasm-bindgen-test): round trips, atomic finalising, reopening, migrations, the sync
//! client's store against an in-process server, backups, and the safety checks.
//!
//! Every test uses its own database, deleted first, so tests never see each other's data.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{fill_storage, free_storage, open_newer_version};
use js_sys::{Array, Promise, Uint8Array};
use letsema_doc::{
    Answer, DeviceId, FormId, FormVersion, NewSubmission, SessionId, SubmissionDoc, SubmissionId,
    Timestamp, Writer,
};
use letsema_protocol::{DeviceForm, DeviceInfo, Enrolled};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::{ClientStore, MemoryClientStore, SyncState};
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope};
use letsema_sync::wire::{ChangeHash, Cursor, DocId};
use letsema_web_submissions::storage::{
    BACKUP_FORMAT, Backups, DocumentStorage, FORMAT_VERSION, IdbClientStore, ImportKind,
    MAX_BACKUP_BYTES, OpenStored, SCHEMA_VERSION, Storage, StorageError, StoredDocument, estimate,
    indexed_db_available, persist, persisted,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// Raw IndexedDB, written the way an earlier app (format 1) left it, and hooks into the
// browser's API: independent of the code under test. The full device (`fill_storage`) and
// another tab's newer app (`open_newer_version`) are hooks shared with the other tests
// (`common`).
#[wasm_bindgen(inline_js = r#"
const STORES = ["documents", "drafts", "forms", "state", "meta"];

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
}

function openAt(name, version, upgrade) {
  const req = indexedDB.open(name, version);
  req.onupgradeneeded = () => upgrade(req.result);
  return request(req);
}

function createV1Stores(db) {
  const documents = db.createObjectStore("documents", { keyPath: "id" });
  documents.createIndex("unsynced", "unsynced");
  db.createObjectStore("drafts", { keyPath: "id" });
  db.createObjectStore("forms", { keyPath: "form_id" });
  db.createObjectStore("state");
  db.createObjectStore("meta");
}

export async function create_v1_database(name, doc, draft, formJson, enrolmentJson) {
  const db = await openAt(name, 1, createV1Stores);
  const tx = db.transaction(STORES, "readwrite");
  tx.objectStore("documents").put({
    id: doc.key, bytes: doc.bytes, heads: doc.heads, acked: [],
    changed_at: 1750000000000, unsynced: 1,
  });
  tx.objectStore("drafts").put({
    id: draft.key, form_id: "household", form_version: "1", language: "Sesotho (st)",
    updated_at: 1750000000500, bytes: draft.bytes, heads: draft.heads,
  });
  tx.objectStore("forms").put({ form_id: "household", version: "1", json: formJson });
  tx.objectStore("state").put(
    { cursor_epoch: "18446744073709551000", cursor_seq: "7", next_request_id: "12" }, "sync");
  tx.objectStore("state").put({ json: enrolmentJson, stored_at: 1750000000000 }, "enrolment");
  tx.objectStore("meta").put(
    { version: 1, created_at: 1750000000000, migrated_at: 1750000000000, written_by: "0.1.0" },
    "format");
  await done(tx);
  db.close();
}

export async function create_database_at_version(name, version) {
  const db = await openAt(name, version, createV1Stores);
  db.close();
}

export async function set_format_version(name, version) {
  const db = await request(indexedDB.open(name));
  const tx = db.transaction(["meta"], "readwrite");
  const meta = tx.objectStore("meta");
  const record = await request(meta.get("format"));
  if (version === null) {
    meta.delete("format");
  } else {
    meta.put({ ...record, version }, "format");
  }
  await done(tx);
  db.close();
}

export async function put_unreadable_draft(name, key) {
  const db = await request(indexedDB.open(name));
  const tx = db.transaction(["drafts"], "readwrite");
  tx.objectStore("drafts").put({
    id: key, form_id: "household", form_version: "1", updated_at: 1,
    bytes: new Uint8Array([1, 2, 3]), heads: [],
  });
  await done(tx);
  db.close();
}

export async function raw_document(name, key) {
  const db = await request(indexedDB.open(name));
  const tx = db.transaction(["documents"], "readonly");
  const record = await request(tx.objectStore("documents").get(key));
  db.close();
  return record;
}

let originalTransaction = null;
let seen = [];
export function spy_transactions() {
  originalTransaction = IDBDatabase.prototype.transaction;
  seen = [];
  IDBDatabase.prototype.transaction = function (stores, mode, options) {
    seen.push((mode || "readonly") + ":" + ((options && options.durability) || "none"));
    return originalTransaction.apply(this, arguments);
  };
}
export function unspy_transactions() {
  IDBDatabase.prototype.transaction = originalTransaction;
  return seen.join(",");
}

let savedCommit = null;
export function hide_commit() {
  savedCommit = Object.getOwnPropertyDescriptor(IDBTransaction.prototype, "commit");
  delete IDBTransaction.prototype.commit;
  return typeof IDBTransaction.prototype.commit === "undefined";
}
export function restore_commit() {
  Object.defineProperty(IDBTransaction.prototype, "commit", savedCommit);
}

let savedIndexedDb = null;
export function hide_indexed_db() {
  savedIndexedDb = Object.getOwnPropertyDescriptor(globalThis, "indexedDB");
  Object.defineProperty(globalThis, "indexedDB", {
    value: undefined, configurable: true, writable: true,
  });
}
export function restore_indexed_db() {
  if (savedIndexedDb) {
    Object.defineProperty(globalThis, "indexedDB", savedIndexedDb);
  } else {
    delete globalThis.indexedDB;
  }
}
"#)]
extern "C" {
    fn create_v1_database(
        name: &str,
        doc: &JsValue,
        draft: &JsValue,
        form_json: &str,
        enrolment_json: &str,
    ) -> Promise;
    fn create_database_at_version(name: &str, version: u32) -> Promise;
    fn set_format_version(name: &str, version: JsValue) -> Promise;
    fn put_unreadable_draft(name: &str, key: &str) -> Promise;
    fn raw_document(name: &str, key: &str) -> Promise;
    fn spy_transactions();
    fn unspy_transactions() -> String;
    fn hide_commit() -> bool;
    fn restore_commit();
    fn hide_indexed_db();
    fn restore_indexed_db();
}

async fn wait(promise: Promise) -> JsValue {
    JsFuture::from(promise)
        .await
        .expect("the browser's IndexedDB call succeeds")
}

fn writer(device: &str, session: u8) -> Writer {
    Writer::new(
        DeviceId::parse(device).expect("a valid device id"),
        SessionId::from_bytes(&[session; 16]).expect("a valid session"),
        None,
    )
}

fn new_doc(seed: u8, writer: &Writer) -> SubmissionDoc {
    SubmissionDoc::create(
        NewSubmission {
            submission_id: SubmissionId::from_random_bytes([seed; 16]),
            form_id: FormId::parse("household").expect("a valid form id"),
            form_version: FormVersion::parse("1").expect("a valid version"),
            association: None,
        },
        writer.clone(),
        Timestamp(1_750_000_000_000 + i64::from(seed)),
    )
    .expect("a new document")
}

fn id_of(doc: &SubmissionDoc) -> DocId {
    DocId::from(&doc.meta().submission_id)
}

fn answer(doc: &mut SubmissionDoc, name: &str, value: &str) {
    doc.set_answer(name, &Answer::value(value), Timestamp(1_750_000_100_000))
        .expect("answer written");
}

fn text(doc: &SubmissionDoc, name: &str) -> Option<Answer> {
    doc.answer(name)
}

fn key(id: DocId) -> String {
    id.0.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `doc`'s heads, sorted (as the stores keep them).
fn sorted_heads(doc: &mut SubmissionDoc) -> Vec<ChangeHash> {
    let mut heads = doc.heads();
    heads.sort_unstable();
    heads
}

fn hex_heads(doc: &mut SubmissionDoc) -> Array {
    sorted_heads(doc)
        .iter()
        .map(|hash| {
            JsValue::from_str(
                &hash
                    .0
                    .iter()
                    .map(|byte| format!("{byte:02x}"))
                    .collect::<String>(),
            )
        })
        .collect()
}

fn form(id: &str) -> DeviceForm {
    let definition = serde_json::from_str(&format!(
        r#"{{"schema_version": 1, "id": "{id}", "title": "Household"}}"#
    ))
    .expect("a minimal form");
    DeviceForm {
        form_id: id.to_owned(),
        version: "1".to_owned(),
        title: "Household".to_owned(),
        definition,
    }
}

fn enrolled(device: &str) -> Enrolled {
    Enrolled {
        device: DeviceInfo {
            id: device.to_owned(),
            association: "basotho-in-gauteng".to_owned(),
            forms: vec!["household".to_owned()],
            label: "Phone 1".to_owned(),
            created_at: "2026-06-01T10:00:00Z".to_owned(),
            last_seen_at: None,
            revoked: false,
            public: false,
            association_name: None,
        },
        credential: "secret-credential".to_owned(),
        replaced: false,
    }
}

/// A fresh, empty database of that name.
async fn fresh(name: &str) -> Storage {
    Storage::delete_database(name).await.expect("deleted");
    Storage::open(name).await.expect("opened")
}

async fn reopen(storage: Storage) -> Storage {
    let name = storage.name().to_owned();
    storage.close();
    Storage::open(&name).await.expect("reopened")
}

#[wasm_bindgen_test]
async fn documents_drafts_and_forms_round_trip_and_survive_a_reopen() {
    let storage = fresh("test-round-trip").await;
    assert_eq!(storage.format_version().await, Ok(FORMAT_VERSION));
    let phone = writer("phone-1", 1);

    let mut draft = new_doc(1, &phone);
    answer(&mut draft, "name", "Mpho");
    let saved = storage
        .put_draft(&mut draft, Some("Sesotho (st)"))
        .await
        .expect("draft saved");
    assert_eq!(saved.form_id, "household");
    assert_eq!(saved.language.as_deref(), Some("Sesotho (st)"));

    let mut doc = new_doc(2, &phone);
    answer(&mut doc, "name", "Lineo");
    let stored = storage
        .put_document(&mut doc)
        .await
        .expect("document saved");
    assert!(stored.acked.is_empty());
    assert!(stored.is_unsynced());

    storage
        .put_forms(&[form("household"), form("clinic")])
        .await
        .expect("forms saved");
    storage
        .set_enrolment(&enrolled("phone-1"))
        .await
        .expect("enrolment saved");

    let storage = reopen(storage).await;
    let drafts = storage.drafts().await.expect("drafts");
    assert_eq!(drafts, vec![saved.clone()]);
    let reopened = drafts[0].open(phone.clone()).expect("the draft opens");
    assert_eq!(text(&reopened, "name"), Some(Answer::value("Mpho")));
    assert_eq!(storage.draft(id_of(&draft)).await, Ok(Some(saved)));
    assert_eq!(
        storage.document(id_of(&doc)).await,
        Ok(Some(stored.clone()))
    );
    assert_eq!(storage.documents().await, Ok(vec![stored.clone()]));
    let opened = stored.open(phone.clone()).expect("the document opens");
    assert_eq!(text(&opened, "name"), Some(Answer::value("Lineo")));
    assert_eq!(storage.unsynced_count().await, Ok(1));
    assert_eq!(storage.form("clinic").await, Ok(Some(form("clinic"))));
    assert_eq!(storage.form("none").await, Ok(None));
    assert_eq!(
        storage.forms().await,
        Ok(vec![form("clinic"), form("household")])
    );
    assert_eq!(storage.enrolment().await, Ok(Some(enrolled("phone-1"))));

    // Deleting.
    assert_eq!(storage.delete_draft(id_of(&draft)).await, Ok(true));
    assert_eq!(storage.delete_draft(id_of(&draft)).await, Ok(false));
    assert_eq!(storage.delete_form("clinic").await, Ok(true));
    let storage = reopen(storage).await;
    assert_eq!(storage.drafts().await, Ok(Vec::new()));
    assert_eq!(storage.forms().await, Ok(vec![form("household")]));
    storage.close();
}

#[wasm_bindgen_test]
async fn writing_a_draft_or_document_merges_what_is_stored_instead_of_overwriting() {
    let storage = fresh("test-merge-on-write").await;
    let tab_one = writer("phone-1", 1);
    let tab_two = writer("phone-1", 2);

    let mut first = new_doc(3, &tab_one);
    storage.put_draft(&mut first, None).await.expect("saved");
    // A second tab opens the same draft and edits another field.
    let mut second = storage
        .draft(id_of(&first))
        .await
        .expect("read")
        .expect("there")
        .open(tab_two)
        .expect("opens");
    answer(&mut second, "city", "Maseru");
    storage.put_draft(&mut second, None).await.expect("saved");
    // The first tab saves without having seen that edit: both survive.
    answer(&mut first, "name", "Palesa");
    storage.put_draft(&mut first, None).await.expect("saved");
    let merged = storage
        .draft(id_of(&first))
        .await
        .expect("read")
        .expect("there")
        .open(tab_one.clone())
        .expect("opens");
    assert_eq!(text(&merged, "city"), Some(Answer::value("Maseru")));
    assert_eq!(text(&merged, "name"), Some(Answer::value("Palesa")));
    // The caller's document took the stored changes in.
    assert_eq!(text(&first, "city"), Some(Answer::value("Maseru")));
    storage.close();
}

#[wasm_bindgen_test]
async fn finalise_moves_a_draft_into_documents_in_one_transaction() {
    let name = "test-finalise";
    let storage = fresh(name).await;
    let phone = writer("phone-1", 1);
    let mut draft = new_doc(4, &phone);
    answer(&mut draft, "name", "Thabo");
    storage
        .put_draft(&mut draft, Some("English (en)"))
        .await
        .expect("saved");
    let id = id_of(&draft);

    let stored = storage.finalise(id).await.expect("finalised");
    assert!(stored.acked.is_empty());
    assert!(stored.is_unsynced());
    let storage = reopen(storage).await;
    assert_eq!(storage.draft(id).await, Ok(None));
    assert_eq!(storage.document(id).await, Ok(Some(stored)));
    assert_eq!(
        storage.finalise(id).await,
        Err(StorageError::DraftNotFound { id: id.to_string() })
    );

    // A draft that cannot be finalised (its bytes do not load) changes nothing: the draft
    // stays, no document appears.
    let broken = DocId([0x42; 16]);
    wait(put_unreadable_draft(name, &key(broken))).await;
    let error = storage.finalise(broken).await.expect_err("unreadable");
    assert!(matches!(error, StorageError::Document { .. }), "{error:?}");
    assert!(storage.draft(broken).await.expect("read").is_some());
    assert_eq!(storage.document(broken).await, Ok(None));
    assert_eq!(storage.documents().await.expect("read").len(), 1);
    storage.close();
}

#[wasm_bindgen_test]
async fn an_existing_v1_database_opens_with_all_its_data() {
    let name = "test-existing-v1";
    Storage::delete_database(name).await.expect("deleted");
    let phone = writer("phone-1", 1);
    let mut doc = new_doc(5, &phone);
    answer(&mut doc, "name", "Refiloe");
    let mut draft = new_doc(6, &phone);
    answer(&mut draft, "name", "Nthabiseng");
    let js_record = |doc: &mut SubmissionDoc| {
        let record = js_sys::Object::new();
        let set = |field: &str, value: &JsValue| {
            js_sys::Reflect::set(&record, &JsValue::from_str(field), value).expect("set");
        };
        set("key", &JsValue::from_str(&key(id_of(doc))));
        set("bytes", &Uint8Array::from(doc.save().as_slice()).into());
        set("heads", &hex_heads(doc).into());
        JsValue::from(record)
    };
    let (doc_record, draft_record) = (js_record(&mut doc), js_record(&mut draft));
    let form_json = serde_json::to_string(&form("household")).expect("json");
    let enrolment_json = serde_json::to_string(&enrolled("phone-1")).expect("json");
    wait(create_v1_database(
        name,
        &doc_record,
        &draft_record,
        &form_json,
        &enrolment_json,
    ))
    .await;

    let storage = Storage::open(name).await.expect("opened");
    assert_eq!(storage.format_version().await, Ok(1));
    let document = storage
        .document(id_of(&doc))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(document.changed_at_ms, 1_750_000_000_000);
    assert!(document.is_unsynced());
    let opened = document.open(phone.clone()).expect("opens");
    assert_eq!(text(&opened, "name"), Some(Answer::value("Refiloe")));
    let kept = storage
        .draft(id_of(&draft))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept.language.as_deref(), Some("Sesotho (st)"));
    assert_eq!(
        text(&kept.open(phone).expect("opens"), "name"),
        Some(Answer::value("Nthabiseng"))
    );
    assert_eq!(storage.unsynced_count().await, Ok(1));
    assert_eq!(storage.forms().await, Ok(vec![form("household")]));
    assert_eq!(storage.enrolment().await, Ok(Some(enrolled("phone-1"))));
    assert_eq!(
        storage.sync_state().await,
        Ok(SyncState {
            cursor: Some(Cursor {
                epoch: 18_446_744_073_709_551_000,
                seq: 7
            }),
            next_request_id: 12,
        })
    );
    storage.close();

    // Without its format record (a database created but never stamped: format 0), the
    // migration runs, stamps it, and keeps every record.
    wait(set_format_version(name, JsValue::NULL)).await;
    let storage = Storage::open(name).await.expect("migrated");
    assert_eq!(storage.format_version().await, Ok(FORMAT_VERSION));
    assert_eq!(storage.documents().await.expect("read").len(), 1);
    assert_eq!(storage.drafts().await.expect("read").len(), 1);
    assert_eq!(storage.enrolment().await, Ok(Some(enrolled("phone-1"))));
    storage.close();
}

#[wasm_bindgen_test]
async fn a_database_of_a_newer_app_is_refused_and_left_untouched() {
    let name = "test-newer-format";
    let storage = fresh(name).await;
    let mut doc = new_doc(7, &writer("phone-1", 1));
    storage.put_document(&mut doc).await.expect("saved");
    storage.close();

    wait(set_format_version(name, JsValue::from(FORMAT_VERSION + 98))).await;
    let error = Storage::open(name).await.expect_err("refused");
    assert_eq!(
        error,
        StorageError::NewerFormat {
            what: "data format",
            found: FORMAT_VERSION + 98,
            supported: FORMAT_VERSION,
        }
    );
    assert!(error.to_string().contains("reload the page"), "{error}");
    assert!(
        !wait(raw_document(name, &key(id_of(&doc))))
            .await
            .is_undefined()
    );

    let newer = "test-newer-schema";
    Storage::delete_database(newer).await.expect("deleted");
    wait(create_database_at_version(newer, 7)).await;
    assert_eq!(
        Storage::open(newer).await.expect_err("refused"),
        StorageError::NewerFormat {
            what: "database version",
            found: 7,
            supported: SCHEMA_VERSION,
        }
    );
}

#[wasm_bindgen_test]
async fn a_newer_app_in_another_tab_closes_this_connection_instead_of_waiting() {
    let name = "test-version-change";
    let storage = fresh(name).await;
    wait(open_newer_version(name, SCHEMA_VERSION + 1)).await;
    let error = storage.documents().await.expect_err("closed");
    assert_eq!(error, StorageError::Closed);
    assert!(error.to_string().contains("Reload this page"), "{error}");
    assert_eq!(
        Storage::open(name).await.expect_err("newer"),
        StorageError::NewerFormat {
            what: "database version",
            found: SCHEMA_VERSION + 1,
            supported: SCHEMA_VERSION,
        }
    );
}

#[wasm_bindgen_test]
async fn an_enrolment_copied_at_start_up_is_stored_only_when_none_is() {
    // What the app does at start-up with the copy earlier versions kept in localStorage.
    let storage = fresh("test-enrolment").await;
    assert_eq!(
        storage.set_enrolment_if_none(&enrolled("phone-7")).await,
        Ok(true)
    );
    assert_eq!(storage.enrolment().await, Ok(Some(enrolled("phone-7"))));

    // Once: a later copy does not replace the one in IndexedDB.
    assert_eq!(
        storage.set_enrolment_if_none(&enrolled("phone-8")).await,
        Ok(false)
    );
    assert_eq!(storage.enrolment().await, Ok(Some(enrolled("phone-7"))));
    storage.close();
}

#[wasm_bindgen_test]
async fn sync_state_and_status_round_trip() {
    let storage = fresh("test-sync-state").await;
    assert_eq!(storage.sync_state().await, Ok(SyncState::default()));
    let state = SyncState {
        cursor: Some(Cursor {
            epoch: u64::MAX - 1,
            seq: (1 << 60) + 3,
        }),
        next_request_id: u64::MAX,
    };
    storage.set_sync_state(state).await.expect("saved");
    storage
        .record_sync_error(1_000, "The server cannot be reached.")
        .await
        .expect("saved");
    let storage = reopen(storage).await;
    assert_eq!(storage.sync_state().await, Ok(state));
    let status = storage.sync_status().await.expect("read");
    assert_eq!(status.last_success_ms, None);
    assert_eq!(
        status.last_error.as_deref(),
        Some("The server cannot be reached.")
    );
    assert_eq!(status.last_error_ms, Some(1_000));
    storage.record_sync_success(2_000).await.expect("saved");
    let status = storage.sync_status().await.expect("read");
    assert_eq!(status.last_success_ms, Some(2_000));
    assert_eq!(status.last_error, None);
    storage.close();
}

#[wasm_bindgen_test]
async fn the_client_store_serves_the_trait_from_memory_and_flushes_in_one_go() {
    let name = "test-client-store";
    let storage = fresh(name).await;
    let phone = writer("phone-1", 1);
    let mut store = IdbClientStore::open(&storage).await.expect("opened");
    assert!(!store.has_pending());

    let mut doc = new_doc(8, &phone);
    answer(&mut doc, "name", "Karabo");
    let id = id_of(&doc);
    let heads = sorted_heads(&mut doc);
    store.put(id, doc.save(), heads.clone()).expect("put");
    assert_eq!(store.unacked(), Ok(vec![id]));
    store.set_acked(id, heads.clone()).expect("acked");
    let state = SyncState {
        cursor: Some(Cursor { epoch: 9, seq: 4 }),
        next_request_id: 5,
    };
    store.set_state(state).expect("state");
    assert_eq!(store.unacked(), Ok(Vec::new()));
    assert_eq!(store.state(), Ok(state));
    assert_eq!(store.heads_index().expect("index").get(&id), Some(&heads));
    assert!(store.has_pending());

    // Nothing reached IndexedDB yet.
    let before = IdbClientStore::open(&storage).await.expect("opened");
    assert_eq!(before.load(id), Ok(None));
    assert_eq!(before.state(), Ok(SyncState::default()));

    store.flush().await.expect("flushed");
    assert!(!store.has_pending());
    let loaded = store.load(id).expect("load").expect("there");
    drop(store);
    drop(before);
    let storage = reopen(storage).await;
    let store = IdbClientStore::open(&storage).await.expect("opened");
    assert_eq!(store.load(id), Ok(Some(loaded)));
    assert_eq!(store.state(), Ok(state));
    assert_eq!(store.unacked(), Ok(Vec::new()));
    assert_eq!(store.unsynced_count(), 0);
    assert_eq!(store.oldest_unsynced_ms(), None);
    let listed = store.documents();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert!(!listed[0].unsynced);
    storage.close();
}

#[wasm_bindgen_test]
async fn local_saves_are_written_at_once_and_never_overwrite_another_writer() {
    let storage = fresh("test-local-saves").await;
    let phone = writer("phone-1", 1);
    let other_tab = writer("phone-1", 2);
    let mut store = IdbClientStore::open(&storage).await.expect("opened");

    let mut doc = new_doc(9, &phone);
    answer(&mut doc, "name", "Dineo");
    let id = store.save_local(&mut doc).await.expect("saved");
    assert!(!store.has_pending());
    assert_eq!(store.unsynced_count(), 1);
    let oldest = store.oldest_unsynced_ms().expect("unsynced");
    assert!(oldest > 1_700_000_000_000, "{oldest}");
    // Written at once.
    assert!(storage.document(id).await.expect("read").is_some());

    // Another tab edits the stored copy behind this store's back...
    let mut theirs = storage
        .document(id)
        .await
        .expect("read")
        .expect("there")
        .open(other_tab)
        .expect("opens");
    answer(&mut theirs, "phone", "+266 5000 0000");
    storage.put_document(&mut theirs).await.expect("saved");
    // ...while the sync client changes this store's copy (through the trait).
    let mut ours = store
        .load(id)
        .expect("load")
        .map(|stored| SubmissionDoc::load(&stored.bytes, phone.clone()).expect("opens"))
        .expect("there");
    answer(&mut ours, "city", "Leribe");
    let heads = sorted_heads(&mut ours);
    store.put(id, ours.save(), heads).expect("put");
    store.flush().await.expect("flushed");

    let merged = storage
        .document(id)
        .await
        .expect("read")
        .expect("there")
        .open(phone.clone())
        .expect("opens");
    assert_eq!(
        text(&merged, "phone"),
        Some(Answer::value("+266 5000 0000"))
    );
    assert_eq!(text(&merged, "city"), Some(Answer::value("Leribe")));
    assert_eq!(text(&merged, "name"), Some(Answer::value("Dineo")));
    // And the store holds the merged copy too.
    let in_memory = store.load(id).expect("load").expect("there");
    let in_memory = SubmissionDoc::load(&in_memory.bytes, phone).expect("opens");
    assert_eq!(
        text(&in_memory, "phone"),
        Some(Answer::value("+266 5000 0000"))
    );
    storage.close();
}

#[wasm_bindgen_test]
async fn a_full_device_is_a_quota_error_that_writes_nothing_and_loses_nothing() {
    let storage = fresh("test-quota").await;
    let phone = writer("phone-1", 1);
    let mut doc = new_doc(20, &phone);
    answer(&mut doc, "name", "Thabo");
    let id = id_of(&doc);
    storage.put_draft(&mut doc, None).await.expect("saved");
    let mut sent = new_doc(21, &phone);
    answer(&mut sent, "name", "Nthabiseng");
    storage.put_document(&mut sent).await.expect("saved");

    for mode in ["commit", "put"] {
        fill_storage(mode);
        answer(&mut doc, "city", mode);
        let error = storage
            .put_draft(&mut doc, None)
            .await
            .expect_err("the device is full");
        free_storage();
        assert!(
            matches!(error, StorageError::QuotaExceeded { .. }),
            "{mode}: {error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("storage is full"), "{message}");
        assert!(
            message.contains("Nothing saved before was lost"),
            "{message}"
        );
        let stored = storage
            .draft(id)
            .await
            .expect("read")
            .expect("still there")
            .open(phone.clone())
            .expect("opens");
        assert_eq!(text(&stored, "name"), Some(Answer::value("Thabo")));
        assert_eq!(text(&stored, "city"), None, "{mode}: nothing half-written");

        // Finalising is one transaction: refused, it leaves the draft a draft.
        fill_storage(mode);
        let error = storage.finalise(id).await.expect_err("the device is full");
        free_storage();
        assert!(
            matches!(error, StorageError::QuotaExceeded { .. }),
            "{mode}: {error:?}"
        );
        assert!(storage.draft(id).await.expect("read").is_some(), "{mode}");
        assert_eq!(storage.document(id).await.expect("read"), None, "{mode}");
    }

    // The sync client's store: what the sync brought stays in its journal when the flush is
    // refused, and the next flush writes it (the sync loop stops at the refused flush, so
    // nothing it did not store is acknowledged to the server).
    let mut store = IdbClientStore::open(&storage).await.expect("opened");
    let sent_id = id_of(&sent);
    let mut pulled = store
        .load(sent_id)
        .expect("load")
        .map(|stored| SubmissionDoc::load(&stored.bytes, writer("staff-1", 9)).expect("opens"))
        .expect("there");
    answer(&mut pulled, "city", "Quthing");
    let heads = sorted_heads(&mut pulled);
    store
        .put(sent_id, pulled.save(), heads.clone())
        .expect("put");
    store.set_acked(sent_id, heads).expect("acked");
    let state = SyncState {
        cursor: Some(Cursor { epoch: 3, seq: 8 }),
        next_request_id: 2,
    };
    store.set_state(state).expect("state");
    fill_storage("commit");
    let error = store.flush().await.expect_err("the device is full");
    free_storage();
    assert!(
        matches!(error, StorageError::QuotaExceeded { .. }),
        "{error:?}"
    );
    assert!(store.has_pending(), "the journal is kept");
    assert_eq!(
        storage.sync_state().await,
        Ok(SyncState::default()),
        "no cursor moved"
    );
    let on_disk = storage
        .document(sent_id)
        .await
        .expect("read")
        .expect("there");
    assert!(
        on_disk.acked.is_empty() && on_disk.is_unsynced(),
        "nothing acknowledged"
    );
    store.flush().await.expect("flushed once there is space");
    assert!(!store.has_pending());
    assert_eq!(storage.sync_state().await, Ok(state));
    let on_disk = storage
        .document(sent_id)
        .await
        .expect("read")
        .expect("there");
    assert!(!on_disk.is_unsynced());
    let merged = on_disk.open(phone).expect("opens");
    assert_eq!(text(&merged, "city"), Some(Answer::value("Quthing")));
    assert_eq!(text(&merged, "name"), Some(Answer::value("Nthabiseng")));
    drop(store);
    storage.close();
}

#[wasm_bindgen_test]
async fn a_closed_connection_is_seen_and_opened_again() {
    let storage = fresh("test-reopen").await;
    let mut doc = new_doc(22, &writer("phone-1", 1));
    storage.put_draft(&mut doc, None).await.expect("saved");
    assert!(!storage.is_closed());
    let same = storage.reopened().await.expect("open");
    assert!(!same.is_closed());
    storage.clone().close();
    assert!(
        storage.is_closed() && same.is_closed(),
        "clones share the connection"
    );
    assert_eq!(storage.drafts().await.err(), Some(StorageError::Closed));
    let reopened = storage.reopened().await.expect("a new connection");
    assert!(!reopened.is_closed());
    assert_eq!(reopened.drafts().await.expect("read").len(), 1);
    reopened.close();
}

/// Runs sync rounds until the client has nothing more to send, flushing after every answer.
async fn sync<S: ClientStore>(
    client: &mut Client<S>,
    server: &mut Server,
    server_store: &mut MemoryServerStore,
    caller: &Caller,
    mut flush: impl AsyncFnMut(&mut Client<S>),
) -> usize {
    client.start_sync();
    let mut requests = 0;
    while let Some(request) = client.next_request().expect("a request") {
        let response = server.handle(caller, &request, server_store);
        let progress = client.handle_response(&response).expect("an answer");
        assert!(progress.rejected.is_empty(), "{progress:?}");
        assert!(progress.failed.is_empty(), "{progress:?}");
        flush(client).await;
        requests += 1;
        assert!(requests < 50, "the sync does not end");
    }
    requests
}

#[wasm_bindgen_test]
async fn a_real_sync_round_leaves_nothing_unsynced_even_after_a_reopen() {
    let name = "test-sync-round";
    let storage = fresh(name).await;
    let phone_id = DeviceId::parse("phone-1").expect("valid");
    let phone = writer("phone-1", 1);
    let phone_caller = Caller {
        device: phone_id.clone(),
        scope: Scope::Device(phone_id),
        association: None,
    };
    let mut server = Server::default();
    let mut server_store = MemoryServerStore::new(0x5eed);

    // Two submissions: one finalised from a draft, one saved directly.
    let mut store = IdbClientStore::open(&storage).await.expect("opened");
    let mut first = new_doc(10, &phone);
    answer(&mut first, "name", "Mpho");
    storage.put_draft(&mut first, None).await.expect("draft");
    store.finalise(id_of(&first)).await.expect("finalised");
    let mut second = new_doc(11, &phone);
    answer(&mut second, "name", "Lerato");
    store.save_local(&mut second).await.expect("saved");
    assert_eq!(store.unsynced_count(), 2);
    // A draft is not pushed.
    let mut draft = new_doc(12, &phone);
    storage.put_draft(&mut draft, None).await.expect("draft");

    let mut client = Client::new(ClientConfig::new(phone.clone()), store);
    let flush = async |client: &mut Client<IdbClientStore>| {
        client.store_mut().flush().await.expect("flushed");
    };
    sync(
        &mut client,
        &mut server,
        &mut server_store,
        &phone_caller,
        flush,
    )
    .await;
    assert_eq!(client.unsynced().expect("read"), Vec::<DocId>::new());
    assert_eq!(server_store.doc_count(), 2);
    assert!(!client.store().has_pending());
    let cursor = client.store().state().expect("state").cursor;
    assert!(cursor.is_some());

    // A reviewer changes the first submission on the server.
    let reviewer_id = DeviceId::parse("staff-1").expect("valid");
    let reviewer_caller = Caller {
        device: reviewer_id.clone(),
        scope: Scope::All,
        association: None,
    };
    let mut reviewer = Client::new(
        ClientConfig::new(Writer::new(
            reviewer_id,
            SessionId::from_bytes(&[9; 16]).expect("valid"),
            None,
        )),
        MemoryClientStore::new(),
    );
    sync(
        &mut reviewer,
        &mut server,
        &mut server_store,
        &reviewer_caller,
        async |_| {},
    )
    .await;
    let mut reviewed = reviewer
        .open_document(id_of(&first))
        .expect("opens")
        .expect("pulled");
    answer(&mut reviewed, "city", "Mafeteng");
    reviewer.save_document(&mut reviewed).expect("saved");
    sync(
        &mut reviewer,
        &mut server,
        &mut server_store,
        &reviewer_caller,
        async |_| {},
    )
    .await;

    // The phone pulls the reviewer's change.
    sync(
        &mut client,
        &mut server,
        &mut server_store,
        &phone_caller,
        flush,
    )
    .await;
    let store = client.into_store();
    assert_eq!(store.unsynced_count(), 0);
    drop(store);

    // After a restart: nothing unsynced, the pulled change and the cursor are there.
    let storage = reopen(storage).await;
    let store = IdbClientStore::open(&storage).await.expect("opened");
    assert_eq!(store.unsynced_count(), 0);
    assert_eq!(storage.unsynced_count().await, Ok(0));
    let seq = |cursor: Option<Cursor>| cursor.map(|cursor| cursor.seq);
    assert!(seq(store.state().expect("state").cursor) >= seq(cursor));
    let mut client = Client::new(ClientConfig::new(phone.clone()), store);
    assert_eq!(client.unsynced().expect("read"), Vec::<DocId>::new());
    let first_now = client
        .open_document(id_of(&first))
        .expect("opens")
        .expect("there");
    assert_eq!(text(&first_now, "city"), Some(Answer::value("Mafeteng")));
    assert_eq!(text(&first_now, "name"), Some(Answer::value("Mpho")));
    // Another round has nothing to push: one pull, and done.
    let requests = sync(
        &mut client,
        &mut server,
        &mut server_store,
        &phone_caller,
        flush,
    )
    .await;
    assert_eq!(requests, 1);
    assert_eq!(server_store.doc_count(), 2);
    assert_eq!(storage.drafts().await.expect("read").len(), 1);
    storage.close();
}

#[wasm_bindgen_test]
async fn export_wipe_import_restores_drafts_and_unsynced_documents() {
    let name = "test-backup-restore";
    let storage = fresh(name).await;
    storage
        .set_enrolment(&enrolled("phone-1"))
        .await
        .expect("enrolled");
    let phone = writer("phone-1", 1);
    let mut store = IdbClientStore::open(&storage).await.expect("opened");
    let mut unsynced = new_doc(13, &phone);
    answer(&mut unsynced, "name", "Tsepo");
    store.save_local(&mut unsynced).await.expect("saved");
    // A synced one: acknowledged, so not in the backup.
    let mut synced = new_doc(14, &phone);
    store.save_local(&mut synced).await.expect("saved");
    let synced_heads = store
        .load(id_of(&synced))
        .expect("load")
        .expect("there")
        .heads;
    store
        .set_acked(id_of(&synced), synced_heads)
        .expect("acked");
    store.flush().await.expect("flushed");
    let mut draft = new_doc(15, &phone);
    answer(&mut draft, "name", "Puleng");
    storage
        .put_draft(&mut draft, Some("English (en)"))
        .await
        .expect("draft");
    drop(store);

    let backup = storage.export_backup().await.expect("exported");
    let file: serde_json::Value = serde_json::from_slice(&backup).expect("JSON");
    assert_eq!(file["format"], BACKUP_FORMAT);
    assert_eq!(file["version"], 1);
    assert_eq!(file["device_id"], "phone-1");
    assert!(
        file["exported_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z'))
    );
    assert_eq!(file["documents"].as_array().map(Vec::len), Some(1));
    assert_eq!(file["drafts"].as_array().map(Vec::len), Some(1));

    // Wipe.
    storage.close();
    let storage = fresh(name).await;
    assert_eq!(storage.documents().await, Ok(Vec::new()));

    let mut store = IdbClientStore::open(&storage).await.expect("opened");
    let report = store.import_backup(&backup).await.expect("imported");
    assert_eq!(report.documents_added, 1);
    assert_eq!(report.drafts_added, 1);
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(store.unsynced_count(), 1);
    let restored = storage
        .document(id_of(&unsynced))
        .await
        .expect("read")
        .expect("there");
    assert!(restored.acked.is_empty());
    assert_eq!(
        text(&restored.open(phone.clone()).expect("opens"), "name"),
        Some(Answer::value("Tsepo"))
    );
    let restored_draft = storage
        .draft(id_of(&draft))
        .await
        .expect("read")
        .expect("there");
    assert_eq!(restored_draft.language.as_deref(), Some("English (en)"));
    assert_eq!(
        text(&restored_draft.open(phone).expect("opens"), "name"),
        Some(Answer::value("Puleng"))
    );

    // Importing the same file again changes nothing.
    let again = storage.import_backup(&backup).await.expect("imported");
    assert_eq!(again.unchanged, 2);
    assert_eq!(again.documents_added + again.documents_merged, 0);
    storage.close();
}

#[wasm_bindgen_test]
async fn importing_merges_concurrent_edits_so_both_survive() {
    let here = fresh("test-backup-merge-here").await;
    let there = fresh("test-backup-merge-there").await;
    let phone = writer("phone-1", 1);
    let laptop = writer("phone-1", 2);

    let mut doc = new_doc(16, &phone);
    answer(&mut doc, "name", "Mohau");
    here.put_document(&mut doc).await.expect("saved");
    let mut draft = new_doc(17, &phone);
    here.put_draft(&mut draft, None).await.expect("saved");
    let first_backup = here.export_backup().await.expect("exported");

    // The backup is restored elsewhere and edited there...
    there.import_backup(&first_backup).await.expect("imported");
    let mut doc_there = there
        .document(id_of(&doc))
        .await
        .expect("read")
        .expect("there")
        .open(laptop.clone())
        .expect("opens");
    answer(&mut doc_there, "city", "Qacha's Nek");
    there.put_document(&mut doc_there).await.expect("saved");
    let mut draft_there = there
        .draft(id_of(&draft))
        .await
        .expect("read")
        .expect("there")
        .open(laptop)
        .expect("opens");
    answer(&mut draft_there, "comments", "met at church");
    there
        .put_draft(&mut draft_there, None)
        .await
        .expect("saved");
    let second_backup = there.export_backup().await.expect("exported");

    // ...while the phone edits its own copies.
    answer(&mut doc, "phone", "+266 6000 0000");
    here.put_document(&mut doc).await.expect("saved");
    answer(&mut draft, "name", "Ausi");
    here.put_draft(&mut draft, None).await.expect("saved");

    let report = here.import_backup(&second_backup).await.expect("imported");
    assert_eq!(report.documents_merged, 1, "{report:?}");
    assert_eq!(report.drafts_merged, 1, "{report:?}");
    let merged = here
        .document(id_of(&doc))
        .await
        .expect("read")
        .expect("there")
        .open(phone.clone())
        .expect("opens");
    assert_eq!(text(&merged, "city"), Some(Answer::value("Qacha's Nek")));
    assert_eq!(
        text(&merged, "phone"),
        Some(Answer::value("+266 6000 0000"))
    );
    assert_eq!(text(&merged, "name"), Some(Answer::value("Mohau")));
    let merged_draft = here
        .draft(id_of(&draft))
        .await
        .expect("read")
        .expect("there")
        .open(phone.clone())
        .expect("opens");
    assert_eq!(
        text(&merged_draft, "comments"),
        Some(Answer::value("met at church"))
    );
    assert_eq!(text(&merged_draft, "name"), Some(Answer::value("Ausi")));

    // A draft finalised since the backup: the backup's draft goes into the submission.
    here.finalise(id_of(&draft)).await.expect("finalised");
    let report = here.import_backup(&second_backup).await.expect("imported");
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(here.draft(id_of(&draft)).await, Ok(None));
    let finalised = here
        .document(id_of(&draft))
        .await
        .expect("read")
        .expect("there")
        .open(phone)
        .expect("opens");
    assert_eq!(
        text(&finalised, "comments"),
        Some(Answer::value("met at church"))
    );
    here.close();
    there.close();
}

#[wasm_bindgen_test]
async fn oversized_and_garbage_backups_give_typed_errors() {
    let storage = fresh("test-backup-garbage").await;
    let huge = vec![b' '; MAX_BACKUP_BYTES + 1];
    assert_eq!(
        storage.import_backup(&huge).await,
        Err(StorageError::BackupTooLarge {
            size: MAX_BACKUP_BYTES + 1,
            limit: MAX_BACKUP_BYTES,
        })
    );
    let error = storage
        .import_backup(b"\x89PNG\r\n\x1a\n not a backup")
        .await
        .expect_err("garbage");
    assert!(
        matches!(error, StorageError::BackupInvalid { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("Export backup"), "{error}");
    let error = storage
        .import_backup(br#"{"format": "something-else", "version": 1}"#)
        .await
        .expect_err("another format");
    assert!(
        matches!(error, StorageError::BackupInvalid { .. }),
        "{error:?}"
    );
    let error = storage
        .import_backup(br#"{"format": "letsema-backup", "version": 99}"#)
        .await
        .expect_err("newer");
    assert!(error.to_string().contains("newer"), "{error}");

    // One good submission and three bad ones: the good one is imported, the others
    // reported.
    let mut good = new_doc(18, &writer("phone-1", 1));
    let source = fresh("test-backup-garbage-source").await;
    source.put_document(&mut good).await.expect("saved");
    let backup = source.export_backup().await.expect("exported");
    source.close();
    let mut file: serde_json::Value = serde_json::from_slice(&backup).expect("JSON");
    let other = new_doc(19, &writer("phone-1", 1)).save();
    use base64::Engine as _;
    let documents = file["documents"].as_array_mut().expect("documents");
    documents.push(serde_json::json!({"id": "00000000-0000-4000-8000-000000000001", "bytes": "!!not base64!!"}));
    documents.push(serde_json::json!({
        "id": "00000000-0000-4000-8000-000000000002",
        "bytes": base64::engine::general_purpose::STANDARD.encode(b"not automerge"),
    }));
    documents.push(serde_json::json!({
        "id": "00000000-0000-4000-8000-000000000003",
        "bytes": base64::engine::general_purpose::STANDARD.encode(&other),
    }));
    let bytes = serde_json::to_vec(&file).expect("JSON");
    let report = storage.import_backup(&bytes).await.expect("imported");
    assert_eq!(report.documents_added, 1);
    assert_eq!(report.failed.len(), 3, "{report:?}");
    assert!(
        report
            .failed
            .iter()
            .all(|failure| failure.kind == ImportKind::Document)
    );
    assert!(
        report.failed[2].reason.contains("holds submission"),
        "{report:?}"
    );
    assert!(
        storage
            .document(id_of(&good))
            .await
            .expect("read")
            .is_some()
    );
    storage.close();
}

#[wasm_bindgen_test]
async fn writes_ask_for_strict_durability() {
    let storage = fresh("test-durability").await;
    spy_transactions();
    let mut doc = new_doc(20, &writer("phone-1", 1));
    let saved = storage.put_document(&mut doc).await;
    let read = storage.documents().await;
    let seen = unspy_transactions();
    saved.expect("saved");
    read.expect("read");
    assert_eq!(seen, "readwrite:strict,readonly:none");
    storage.close();
}

#[wasm_bindgen_test]
async fn browsers_without_transaction_commit_still_save() {
    let storage = fresh("test-no-commit").await;
    assert!(hide_commit());
    let mut doc = new_doc(21, &writer("phone-1", 1));
    let saved = storage.put_document(&mut doc).await;
    let finalise = async {
        let mut draft = new_doc(22, &writer("phone-1", 1));
        storage.put_draft(&mut draft, None).await?;
        storage.finalise(id_of(&draft)).await
    }
    .await;
    restore_commit();
    let saved: StoredDocument = saved.expect("saved without commit()");
    finalise.expect("finalised without commit()");
    let storage = reopen(storage).await;
    assert_eq!(storage.document(saved.id).await, Ok(Some(saved)));
    assert_eq!(storage.documents().await.expect("read").len(), 2);
    assert_eq!(storage.drafts().await, Ok(Vec::new()));
    storage.close();
}

#[wasm_bindgen_test]
async fn the_safety_helpers_answer_in_chromium() {
    assert_eq!(indexed_db_available().await, Ok(()));
    let (used, quota) = estimate().await.expect("Chromium estimates");
    assert!(quota > 0);
    assert!(used <= quota);
    assert!(persisted().await.is_some());
    assert!(persist().await.is_some());
}

#[wasm_bindgen_test]
async fn without_indexed_db_the_error_says_what_to_do() {
    hide_indexed_db();
    let probe = indexed_db_available().await;
    let open = Storage::open("test-no-indexed-db").await.map(|_| ());
    restore_indexed_db();
    for result in [probe, open] {
        let error = result.expect_err("no IndexedDB");
        assert!(
            matches!(error, StorageError::Unavailable { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("normal browser window"),
            "{error}"
        );
    }
    assert_eq!(indexed_db_available().await, Ok(()));
}
