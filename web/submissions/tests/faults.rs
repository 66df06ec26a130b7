//! Browser faults on the device side, in a real browser (headless Chromium through
//! wasm-bindgen-test): IndexedDB refusing writes because the device is full
//! (`QuotaExceededError`), and the database connection closed under the page. Each test
//! drives the documents' module (`documents`, what the form view and the sync call) while
//! the fault lasts, then lets storage work again, and checks that no answer and no record
//! was lost, that the person was told, and that the server was told nothing the device did
//! not store.
//!
//! The faults are made by JavaScript hooks into the browser's own IndexedDB API (below and in
//! `common`), so the code under test meets them exactly as it meets the browser's. The
//! service worker update is an end-to-end test (`tests/e2e/faults.test.mjs`), and so is
//! Chromium's real quota.
//!
//! The module works on the app's own database (`letsema`): every test deletes it first.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;

use common::{
    ServerSide, answer, assert_one_acknowledged, fill_storage, free_storage, fresh_database,
    new_draft, open_newer_version, open_request, serve_sync_in_page, start, sync_request,
    unroute_sync,
};
use js_sys::Promise;
use letsema_doc::{Answer, Answers, DeviceId, SessionId, Writer};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::store::{Caller, Scope};
use letsema_sync::wire::DocId;
use letsema_web_shared::messages::Edit;
use letsema_web_shared::messages::FillKind;
use letsema_web_submissions::documents::{self, OpenSubmission};
use letsema_web_submissions::storage::{
    DATABASE_NAME, DocumentStorage, OpenStored, SCHEMA_VERSION, Storage, StorageError,
};
use letsema_web_submissions::sync::SyncOutcome;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

// The full device (`fill_storage`), another tab's newer app (`open_newer_version`) and the
// sync route are hooks shared with the other tests (`common`); these are this file's own.
#[wasm_bindgen(inline_js = r#"
// Every connection opened from now on, so that a test can close them as the browser does.
const connections = [];
let realOpen = null;
export function track_connections() {
  if (realOpen) return;
  realOpen = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function () {
    const request = realOpen.apply(this, arguments);
    request.addEventListener("success", () => connections.push(request.result));
    return request;
  };
}
export function close_connections() {
  const closed = connections.splice(0);
  for (const connection of closed) connection.close();
  return closed.length;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
"#)]
extern "C" {
    fn track_connections();
    fn close_connections() -> u32;
    fn sleep(ms: u32) -> Promise;
}

async fn pause(ms: u32) {
    let _ = JsFuture::from(sleep(ms)).await;
}

fn text(value: &str) -> Option<Answer> {
    Some(Answer::Value(value.to_owned()))
}

/// Writes `edit` and waits for its save; the error as the volunteer reads it.
async fn edit(draft: &mut OpenSubmission, edit: &Edit) -> Result<(), String> {
    draft
        .edit(edit)
        .expect("the edit is written")
        .await
        .map_err(|error| error.to_string())
}

/// A new draft in a fresh database, open as session 1, its `given_name` (Palesa) saved.
async fn answered_draft() -> (DocId, OpenSubmission) {
    let (id, mut draft) = new_draft().await;
    edit(&mut draft, &answer("given_name", "Palesa"))
        .await
        .expect("saved");
    (id, draft)
}

/// The stored draft's answers, read through a connection of the test's own (what a reload
/// would find).
async fn stored_draft(id: DocId) -> Option<Answers> {
    let storage = Storage::open(DATABASE_NAME).await.expect("opens");
    let draft = storage.draft(id).await.expect("reads");
    storage.close();
    draft.map(|draft| draft.open(reader()).expect("loads").answers())
}

/// The stored finalised submission's answers.
async fn stored_document(id: DocId) -> Option<Answers> {
    let storage = Storage::open(DATABASE_NAME).await.expect("opens");
    let document = storage.document(id).await.expect("reads");
    storage.close();
    document.map(|document| document.open(reader()).expect("loads").answers())
}

fn reader() -> Writer {
    Writer::new(
        DeviceId::parse("test-reader").expect("valid"),
        SessionId::from_bytes(&[0xee; 16]).expect("valid"),
        None,
    )
}

/// Waits up to 20 s for the stored draft to hold `field` = `value`: the app saves what it
/// kept on its own.
async fn until_stored(id: DocId, field: &str, value: &str) -> Answers {
    for _ in 0..80 {
        if let Some(answers) = stored_draft(id).await
            && answers.get(field) == text(value).as_ref()
        {
            return answers;
        }
        pause(250).await;
    }
    panic!(
        "{field} = {value} was never stored: {:?}",
        stored_draft(id).await
    );
}

#[wasm_bindgen_test]
async fn answers_typed_while_the_device_is_full_are_kept_and_saved_by_the_next_save() {
    for mode in ["commit", "put"] {
        let (id, mut draft) = new_draft().await;
        edit(&mut draft, &answer("given_name", "Palesa"))
            .await
            .expect("saved while there is space");

        fill_storage(mode);
        let refused = edit(&mut draft, &answer("surname", "Mokoena"))
            .await
            .expect_err("the device is full");
        // Said plainly: what happened, that nothing earlier was lost, what to do.
        assert!(
            refused.contains("could not be saved yet"),
            "{mode}: {refused}"
        );
        assert!(refused.contains("storage is full"), "{mode}: {refused}");
        assert!(
            refused.contains("Nothing saved before was lost"),
            "{mode}: {refused}"
        );
        assert!(refused.contains("free space"), "{mode}: {refused}");
        assert_eq!(documents::unsaved_count(), 1, "{mode}: kept in memory");
        // The form still shows it (the edit is in the open document), storage lacks it.
        assert_eq!(draft.answers().get("surname"), text("Mokoena").as_ref());
        let stored = stored_draft(id).await.expect("the draft is stored");
        assert_eq!(stored.get("given_name"), text("Palesa").as_ref(), "{mode}");
        assert_eq!(stored.get("surname"), None, "{mode}: the write was refused");

        free_storage();
        // The next answer's save holds the refused one too.
        edit(&mut draft, &answer("phone", "+27 71 000 0000"))
            .await
            .expect("saved once there is space");
        let stored = stored_draft(id).await.expect("the draft is stored");
        assert_eq!(stored.get("given_name"), text("Palesa").as_ref(), "{mode}");
        assert_eq!(stored.get("surname"), text("Mokoena").as_ref(), "{mode}");
        assert_eq!(
            stored.get("phone"),
            text("+27 71 000 0000").as_ref(),
            "{mode}"
        );
        assert_eq!(documents::unsaved_count(), 0, "{mode}: nothing waits");
    }
}

#[wasm_bindgen_test]
async fn a_draft_left_while_the_device_is_full_keeps_its_answers_and_saves_them_by_itself() {
    let (id, mut draft) = answered_draft().await;

    fill_storage("commit");
    edit(&mut draft, &answer("surname", "Mokoena"))
        .await
        .expect_err("the device is full");
    // The volunteer goes back to the list: the open document is freed.
    drop(draft);

    // Opened again in this page while the device is still full: the answer is there.
    let again = OpenSubmission::open(&open_request(id, FillKind::Draft, 2))
        .await
        .expect("the draft opens");
    assert_eq!(again.answers().get("given_name"), text("Palesa").as_ref());
    assert_eq!(
        again.answers().get("surname"),
        text("Mokoena").as_ref(),
        "the unsaved answer is shown again, not lost"
    );
    // Finalising is refused too, and nothing is queued for sending that was not stored.
    let refused = again
        .finalise()
        .await
        .expect_err("the device is full")
        .to_string();
    assert!(refused.contains("not finalised"), "{refused}");
    assert!(refused.contains("storage is full"), "{refused}");
    let overview = documents::overview(10).await.expect("reads");
    assert_eq!(overview.unsynced, 0, "nothing waits to be sent");
    assert!(overview.sent.is_empty());
    assert!(stored_draft(id).await.is_some(), "still a draft");
    drop(again);

    // Space returns, and nobody types anything: the app saves what it kept by itself.
    free_storage();
    let stored = until_stored(id, "surname", "Mokoena").await;
    assert_eq!(stored.get("given_name"), text("Palesa").as_ref());
    assert_eq!(documents::unsaved_count(), 0);

    let last = OpenSubmission::open(&open_request(id, FillKind::Draft, 3))
        .await
        .expect("opens");
    last.finalise()
        .await
        .expect("finalised once there is space");
    let sent = stored_document(id).await.expect("a submission to send");
    assert_eq!(sent.get("surname"), text("Mokoena").as_ref());
    assert_eq!(documents::overview(10).await.expect("reads").unsynced, 1);
    // Leave nothing behind: a late retry must not bring the draft back.
    pause(1_500).await;
    assert!(
        stored_draft(id).await.is_none(),
        "the draft is gone once finalised"
    );
}

/// Sync rounds of a reviewer (all documents) against `server`, until done.
fn reviewer_sync(client: &mut Client<MemoryClientStore>, server: &RefCell<ServerSide>) {
    let reviewer = Caller {
        device: DeviceId::parse("staff-1").expect("valid"),
        scope: Scope::All,
        association: None,
    };
    client.start_sync();
    let mut requests = 0;
    while let Some(request) = client.next_request().expect("a request") {
        let response = {
            let side = &mut *server.borrow_mut();
            side.server.handle(&reviewer, &request, &mut side.store)
        };
        let progress = client.handle_response(&response).expect("an answer");
        assert!(progress.rejected.is_empty(), "{progress:?}");
        requests += 1;
        assert!(requests < 50, "the sync does not end");
    }
}

#[wasm_bindgen_test]
async fn a_sync_whose_pulled_changes_cannot_be_stored_acknowledges_nothing_and_loses_nothing() {
    fresh_database().await;
    let (server, handler) = serve_sync_in_page();
    let request = sync_request();

    // The phone sends one submission.
    let id = documents::start_draft(&start(1)).await.expect("starts");
    let mut draft = OpenSubmission::open(&open_request(id, FillKind::Draft, 1))
        .await
        .expect("opens");
    edit(&mut draft, &answer("given_name", "Palesa"))
        .await
        .expect("saved");
    draft.finalise().await.expect("finalised");
    drop(draft);
    let outcome = documents::sync(&request).await;
    assert_one_acknowledged(&outcome);

    // A reviewer answers a question of it on the server.
    let mut reviewer = Client::new(
        ClientConfig::new(Writer::new(
            DeviceId::parse("staff-1").expect("valid"),
            SessionId::from_bytes(&[9; 16]).expect("valid"),
            None,
        )),
        MemoryClientStore::new(),
    );
    reviewer_sync(&mut reviewer, &server);
    let mut reviewed = reviewer.open_document(id).expect("opens").expect("pulled");
    reviewed
        .set_answer(
            "city",
            &Answer::value("Mafeteng"),
            letsema_doc::Timestamp(1_750_000_000_000),
        )
        .expect("answered");
    reviewer.save_document(&mut reviewed).expect("saved");
    reviewer_sync(&mut reviewer, &server);

    // The phone syncs while its storage is full: the pulled change cannot be stored.
    let stored_cursor = || async {
        let storage = Storage::open(DATABASE_NAME).await.expect("opens");
        let state = storage.sync_state().await.expect("reads");
        storage.close();
        state.cursor
    };
    let before = stored_cursor().await;
    assert!(before.is_some(), "the first round stored its place");
    let asked = server.borrow().pulls.len();
    fill_storage("commit");
    let outcome = documents::sync(&request).await;
    let SyncOutcome::Failed(why) = &outcome else {
        panic!("the round cannot succeed: {outcome:?}");
    };
    assert!(why.contains("storage is full"), "said plainly: {why}");
    // The answer it could not store was the last thing it asked for: the server was never
    // told a place in its log beyond what the phone stored.
    assert_eq!(
        server.borrow().pulls[asked..],
        [before],
        "one request, from the stored place, and none after the refused write"
    );
    free_storage();
    assert_eq!(stored_cursor().await, before, "the place did not move");
    let stored = stored_document(id).await.expect("still there");
    assert_eq!(stored.get("given_name"), text("Palesa").as_ref());
    assert_eq!(stored.get("city"), None, "not stored, so not acknowledged");

    // With space again, the next round pulls it again from the stored place.
    let outcome = documents::sync(&request).await;
    assert!(
        matches!(outcome, SyncOutcome::Done { updated: 1, .. }),
        "{outcome:?}"
    );
    assert_eq!(server.borrow().pulls[asked + 1], before);
    let stored = stored_document(id).await.expect("still there");
    assert_eq!(stored.get("given_name"), text("Palesa").as_ref());
    assert_eq!(stored.get("city"), text("Mafeteng").as_ref());
    assert_ne!(stored_cursor().await, before, "the place moved once stored");
    let overview = documents::overview(10).await.expect("reads");
    assert_eq!(overview.unsynced, 0);
    unroute_sync();
    drop(handler);
}

#[wasm_bindgen_test]
async fn a_connection_closed_by_the_browser_is_opened_again_and_no_answer_is_lost() {
    fresh_database().await;
    track_connections();
    let (id, mut draft) = answered_draft().await;

    // The browser closes every connection of the page (storage cleared under it, a disk
    // error): the documents' module must not stay stuck on a dead one.
    assert!(close_connections() >= 1, "the module's connection was open");
    edit(&mut draft, &answer("surname", "Mokoena"))
        .await
        .expect("saved through a new connection");
    let stored = stored_draft(id).await.expect("stored");
    assert_eq!(
        stored.get("given_name"),
        text("Palesa").as_ref(),
        "before the close"
    );
    assert_eq!(
        stored.get("surname"),
        text("Mokoena").as_ref(),
        "after the close"
    );

    // A handle of the screens' module sees the close and opens a new connection.
    let screens = Storage::open(DATABASE_NAME).await.expect("opens");
    assert!(!screens.is_closed());
    close_connections();
    assert!(screens.is_closed());
    assert_eq!(screens.drafts().await.err(), Some(StorageError::Closed));
    let screens = screens.reopened().await.expect("a new connection");
    assert_eq!(screens.drafts().await.expect("reads").len(), 1);
    screens.close();

    // Closed again just before Finalise: it goes through, with every answer.
    close_connections();
    draft.finalise().await.expect("finalised");
    let sent = stored_document(id).await.expect("a submission to send");
    assert_eq!(sent.get("given_name"), text("Palesa").as_ref());
    assert_eq!(sent.get("surname"), text("Mokoena").as_ref());
    close_connections();
    let overview = documents::overview(10).await.expect("reads after a close");
    assert_eq!(overview.unsynced, 1);
    assert_eq!(documents::unsaved_count(), 0);
}

#[wasm_bindgen_test]
async fn a_newer_app_in_another_tab_is_told_plainly_and_the_answers_stay_in_memory() {
    let (id, mut draft) = answered_draft().await;

    // A newer app opens the database in another tab: this page's connection closes, and
    // this (older) app can no longer write into it.
    JsFuture::from(open_newer_version(DATABASE_NAME, SCHEMA_VERSION + 1))
        .await
        .expect("the newer app was not blocked");
    let refused = edit(&mut draft, &answer("surname", "Mokoena"))
        .await
        .expect_err("a newer app holds the database");
    assert!(refused.contains("newer version"), "{refused}");
    assert!(refused.contains("reload the page"), "{refused}");
    assert_eq!(documents::unsaved_count(), 1, "kept in memory");
    assert_eq!(draft.answers().get("surname"), text("Mokoena").as_ref());
    drop(draft);

    // Once the database can be opened again (here: the other tab's database is gone), what
    // was kept is written by itself, the whole draft.
    documents::close_storage();
    Storage::delete_database(DATABASE_NAME)
        .await
        .expect("deleted");
    let stored = until_stored(id, "surname", "Mokoena").await;
    assert_eq!(stored.get("given_name"), text("Palesa").as_ref());
    assert_eq!(documents::unsaved_count(), 0);
}
