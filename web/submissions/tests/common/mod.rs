//! What the browser tests share: one phone's requests to the documents' module, a fresh app
//! database, the IndexedDB fault hooks (a full device, another tab's newer app), and the sync
//! server answering `POST /api/sync` in the page. `tests/documents.rs`, `faults.rs`, `busy.rs`
//! and `storage.rs` each declare `mod common;`.
// Every test file is a crate of its own and uses only part of this module: what one of them
// leaves unused is not dead.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Uint8Array};
use letsema_doc::DeviceId;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope};
use letsema_sync::wire::{Cursor, DocId, Request, WireLimits};
use letsema_web_shared::messages::FillKind;
use letsema_web_shared::messages::{Edit, OpenRequest, StartRequest, SyncRequest, WriterRequest};
use letsema_web_submissions::documents::{self, OpenSubmission};
use letsema_web_submissions::storage::{DATABASE_NAME, Storage};
use letsema_web_submissions::sync::SyncOutcome;
use wasm_bindgen::prelude::*;

// Hooks into the browser's own APIs, so that the code under test meets the faults exactly as
// it meets the browser's.
#[wasm_bindgen(inline_js = r#"
// The device is full. "commit": a read-write transaction aborts when it commits, with a
// QuotaExceededError as its error (what Chromium does when the disk or the origin's quota
// is full); "put": every put throws a QuotaExceededError at once (what some browsers do).
let full = null;
let realCommit = null;
let realPut = null;
export function fill_storage(mode) {
  if (!realCommit) {
    realCommit = IDBTransaction.prototype.commit;
    realPut = IDBObjectStore.prototype.put;
    IDBTransaction.prototype.commit = function () {
      if (full === "commit" && this.mode !== "readonly") {
        Object.defineProperty(this, "error", {
          value: new DOMException("The quota has been exceeded.", "QuotaExceededError"),
          configurable: true,
        });
        this.abort();
        return;
      }
      return realCommit.apply(this, arguments);
    };
    IDBObjectStore.prototype.put = function () {
      if (full === "put") {
        throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
      }
      return realPut.apply(this, arguments);
    };
  }
  full = mode;
}
export function free_storage() {
  full = null;
}

// Another tab opens the database at a newer version: this page's connections get
// `versionchange` and must close, or the other tab waits.
export function open_newer_version(name, version) {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, version);
    const timer = setTimeout(
      () => reject(new Error("blocked: this page's connection did not close")), 5000);
    req.onsuccess = () => { clearTimeout(timer); req.result.close(); resolve(); };
    req.onerror = () => { clearTimeout(timer); reject(req.error); };
  });
}

// POST /api/sync: each request's body and time recorded; answered by the next scripted
// refusal (or the standing one), else by `handler` (the sync server, in this page). The rest
// goes to the network.
let realFetch = null;
let script = [];
let standing = null;
let sent = [];
export function route_sync(handler) {
  script = [];
  standing = null;
  sent = [];
  realFetch = globalThis.fetch;
  globalThis.fetch = async function (input, init) {
    const request = new Request(input, init);
    if (new URL(request.url).pathname !== "/api/sync") {
      return realFetch.call(globalThis, input, init);
    }
    const body = new Uint8Array(await request.arrayBuffer());
    sent.push({ at: performance.now(), body });
    const refusal = script.length > 0 ? script.shift() : standing;
    if (refusal) {
      const headers = {};
      if (refusal.retryAfter !== "") headers["retry-after"] = refusal.retryAfter;
      if (refusal.code === "") {
        headers["content-type"] = "text/html";
        return new Response("<h1>Service Unavailable</h1>", { status: refusal.status, headers });
      }
      headers["content-type"] = "application/json";
      const error = { error: { code: refusal.code, message: "Try again later." } };
      return new Response(JSON.stringify(error), { status: refusal.status, headers });
    }
    return new Response(handler(body), {
      status: 200,
      headers: { "content-type": "application/x-letsema-sync" },
    });
  };
}
export function unroute_sync() {
  globalThis.fetch = realFetch;
}
// The next request is answered `status` with the JSON error `code` ("": an HTML page, as a
// proxy answers) and `Retry-After: retry_after` ("": none).
export function refuse_next(status, code, retry_after) {
  script.push({ status, code, retryAfter: retry_after });
}
// Every request is answered so until `stop_refusing`.
export function refuse_all(status, code, retry_after) {
  standing = { status, code, retryAfter: retry_after };
}
export function stop_refusing() {
  script = [];
  standing = null;
}
export function sent_count() {
  return sent.length;
}
export function sent_body(i) {
  return sent[i].body;
}
export function sent_at(i) {
  return sent[i].at;
}
"#)]
extern "C" {
    pub fn fill_storage(mode: &str);
    pub fn free_storage();
    pub fn open_newer_version(name: &str, version: u32) -> Promise;
    pub fn route_sync(handler: &SyncHandler);
    pub fn unroute_sync();
    pub fn refuse_next(status: u16, code: &str, retry_after: &str);
    pub fn refuse_all(status: u16, code: &str, retry_after: &str);
    pub fn stop_refusing();
    pub fn sent_count() -> u32;
    pub fn sent_body(i: u32) -> Uint8Array;
    pub fn sent_at(i: u32) -> f64;
}

/// The app's own database (`letsema`), deleted: this module's connection closed first, and
/// no full device left over from an earlier test.
pub async fn fresh_database() {
    free_storage();
    documents::close_storage();
    Storage::delete_database(DATABASE_NAME)
        .await
        .expect("the test database can be deleted");
}

/// The phone `phone-a` writing in `session`.
pub fn writer(session: u8) -> WriterRequest {
    WriterRequest {
        device: "phone-a".to_owned(),
        session: [session; 16],
    }
}

/// A new household submission, in Sesotho, started in `session`.
pub fn start(session: u8) -> StartRequest {
    StartRequest {
        form_id: "household".to_owned(),
        form_version: "1".to_owned(),
        association: "lesotho-diaspora-jhb".to_owned(),
        language: Some("st".to_owned()),
        writer: writer(session),
    }
}

/// Submission `id` opened as `kind`, in Sesotho, in `session`.
pub fn open_request(id: DocId, kind: FillKind, session: u8) -> OpenRequest {
    OpenRequest {
        id,
        kind,
        language: Some("st".to_owned()),
        writer: writer(session),
    }
}

/// A text answer to a question outside any repeat.
pub fn answer(field: &str, value: &str) -> Edit {
    Edit::Answer {
        repeats: Vec::new(),
        instance: Vec::new(),
        field: field.to_owned(),
        value: letsema_doc::Answer::Value(value.to_owned()),
    }
}

/// A new draft in a fresh database, open as session 1.
pub async fn new_draft() -> (DocId, OpenSubmission) {
    fresh_database().await;
    let id = documents::start_draft(&start(1))
        .await
        .expect("a draft starts");
    let draft = OpenSubmission::open(&open_request(id, FillKind::Draft, 1))
        .await
        .expect("the new draft opens");
    (id, draft)
}

/// A sync round as session 1 of the phone.
pub fn sync_request() -> SyncRequest {
    SyncRequest {
        credential: "a-credential".to_owned(),
        replaced: false,
        writer: writer(1),
    }
}

/// What answers a sync request's body in the page (see `route_sync`).
pub type SyncHandler = Closure<dyn FnMut(Uint8Array) -> Uint8Array>;

/// The sync server, in the page, and what the phone asked it.
pub struct ServerSide {
    pub server: Server,
    pub store: MemoryServerStore,
    /// How many frames reached it (past the scripted refusals).
    pub handled: usize,
    /// The pull cursor of every sync request the phone sent (`None`: from the start).
    pub pulls: Vec<Option<Cursor>>,
}

/// The sync server answering the phone's `POST /api/sync` in the page (behind the scripted
/// refusals), from now until `unroute_sync`; drop the handler only after that.
pub fn serve_sync_in_page() -> (Rc<RefCell<ServerSide>>, SyncHandler) {
    let phone_id = DeviceId::parse("phone-a").expect("valid");
    let phone = Caller {
        device: phone_id.clone(),
        scope: Scope::Device(phone_id),
        association: None,
    };
    let server = Rc::new(RefCell::new(ServerSide {
        server: Server::default(),
        store: MemoryServerStore::new(0x5eed),
        handled: 0,
        pulls: Vec::new(),
    }));
    let handler = {
        let server = server.clone();
        SyncHandler::new(move |body: Uint8Array| {
            let body = body.to_vec();
            let side = &mut *server.borrow_mut();
            side.handled += 1;
            if let Ok(Request::Sync(request)) = Request::decode(&body, &WireLimits::default())
                && let Some(pull) = request.pull
            {
                side.pulls.push(pull.cursor);
            }
            Uint8Array::from(
                side.server
                    .handle(&phone, &body, &mut side.store)
                    .as_slice(),
            )
        })
    };
    route_sync(&handler);
    (server, handler)
}

/// Asserts that the sync round ended `Done`, one submission acknowledged.
#[track_caller]
pub fn assert_one_acknowledged(outcome: &SyncOutcome) {
    assert!(
        matches!(
            outcome,
            SyncOutcome::Done {
                acknowledged: 1,
                ..
            }
        ),
        "{outcome:?}"
    );
}
