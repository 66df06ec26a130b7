//! A busy server, in a real browser (headless Chromium through wasm-bindgen-test): the sync
//! round of the documents' module (`documents::sync`, what the workspace runs) against a
//! server that turns requests away before storing anything, `503` (its queue is full), `429`
//! or `408`, with or without `Retry-After`. The round sends the same frame again, byte for
//! byte, no sooner than the server asked; when the server keeps turning it away the round
//! ends `Busy`, and everything waits on the device, to be sent once by a later round.
//!
//! `POST /api/sync` is answered in the page (a JavaScript hook into `fetch`, in `common`):
//! first by the scripted refusals, then by the sync server itself (`letsema_sync::server`).
//! Every request body and the time it was sent are recorded.
//!
//! The module works on the app's own database (`letsema`): every test deletes it first.
#![cfg(target_arch = "wasm32")]

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use common::{
    ServerSide, SyncHandler, answer, assert_one_acknowledged, new_draft, refuse_all, refuse_next,
    sent_at, sent_body, sent_count, serve_sync_in_page, stop_refusing, sync_request, unroute_sync,
};
use letsema_sync::retry::RetryPolicy;
use letsema_web_submissions::documents;
use letsema_web_submissions::storage::{DATABASE_NAME, DocumentStorage, Storage};
use letsema_web_submissions::sync::SyncOutcome;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// A fresh database holding one finalised submission waiting to be sent, and the sync
/// server answering in the page (behind the scripted refusals).
async fn one_submission_waiting() -> (Rc<RefCell<ServerSide>>, SyncHandler) {
    let (_, mut draft) = new_draft().await;
    draft
        .edit(&answer("given_name", "Palesa"))
        .expect("the edit is written")
        .await
        .expect("saved");
    draft.finalise().await.expect("finalised");
    drop(draft);
    assert_eq!(unsynced().await, 1, "one submission waits to be sent");
    serve_sync_in_page()
}

async fn unsynced() -> u32 {
    documents::overview(10).await.expect("reads").unsynced
}

/// The bodies of the requests sent since the routing began.
fn sent_bodies() -> Vec<Vec<u8>> {
    (0..sent_count()).map(|i| sent_body(i).to_vec()).collect()
}

/// The milliseconds between request `i - 1` and request `i`.
fn gap_ms(i: u32) -> f64 {
    sent_at(i) - sent_at(i - 1)
}

#[wasm_bindgen_test]
async fn a_round_turned_away_twice_sends_the_same_frame_after_the_asked_wait_and_completes() {
    let (server, handler) = one_submission_waiting().await;
    refuse_next(503, "server_busy", "1");
    refuse_next(503, "server_busy", "1");

    let outcome = documents::sync(&sync_request()).await;
    assert!(
        matches!(
            outcome,
            SyncOutcome::Done {
                acknowledged: 1,
                ref refused,
                ..
            } if refused.is_empty()
        ),
        "{outcome:?}"
    );
    let bodies = sent_bodies();
    assert!(
        bodies.len() >= 3,
        "two refusals, then the answer: {bodies:?}"
    );
    assert_eq!(bodies[1], bodies[0], "the first retry is the same frame");
    assert_eq!(bodies[2], bodies[0], "the second retry is the same frame");
    // The server asked for 1 s: never sooner (1 ms for the clocks' rounding), at most half
    // again (with room for a slow machine).
    for i in [1, 2] {
        let gap = gap_ms(i);
        assert!(
            gap >= 999.0,
            "retry {i} came after {gap} ms, sooner than asked"
        );
        assert!(gap < 2_500.0, "retry {i} came after {gap} ms");
    }
    // Only the frame that was taken reached the server, once: nothing twice.
    assert_eq!(server.borrow().handled, bodies.len() - 2);
    assert_eq!(unsynced().await, 0, "sent, and acknowledged once stored");
    unroute_sync();
    drop(handler);
}

#[wasm_bindgen_test]
async fn a_round_given_only_busy_answers_ends_busy_and_everything_waits_to_be_sent() {
    let (server, handler) = one_submission_waiting().await;
    // Retry-After: 0, so that the policy's every attempt is made without waiting here.
    refuse_all(503, "server_busy", "0");

    let outcome = documents::sync(&sync_request()).await;
    assert_eq!(outcome, SyncOutcome::Busy(Some(Duration::ZERO)));
    let bodies = sent_bodies();
    let policy = RetryPolicy::default();
    assert_eq!(
        bodies.len(),
        1 + policy.max_attempts as usize,
        "the first request and every retry the policy allows, then no more"
    );
    assert!(
        bodies.iter().all(|body| *body == bodies[0]),
        "the same frame each time"
    );
    assert_eq!(server.borrow().handled, 0, "the server took nothing");
    assert_eq!(unsynced().await, 1, "still waits to be sent");
    let storage = Storage::open(DATABASE_NAME).await.expect("opens");
    let status = storage.sync_status().await.expect("reads");
    let state = storage.sync_state().await.expect("reads");
    storage.close();
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|why| why.contains("busy")),
        "recorded plainly: {status:?}"
    );
    assert!(state.cursor.is_none(), "nothing was acknowledged or pulled");

    // The server has room again: the next round sends it, once.
    stop_refusing();
    let outcome = documents::sync(&sync_request()).await;
    assert_one_acknowledged(&outcome);
    assert_eq!(unsynced().await, 0);
    assert_eq!(
        sent_body(bodies.len() as u32).to_vec(),
        bodies[0],
        "the next round sends the same push again"
    );
    unroute_sync();
    drop(handler);
}

#[wasm_bindgen_test]
async fn rate_limits_and_slow_uploads_are_retried_and_a_proxys_503_is_not() {
    let (server, handler) = one_submission_waiting().await;

    // A rate limit and a body read too slowly: the same frame again, then the answer.
    refuse_next(429, "rate_limited", "0");
    refuse_next(408, "body_too_slow", "0");
    refuse_next(429, "sync_in_progress", "0");
    let outcome = documents::sync(&sync_request()).await;
    assert_one_acknowledged(&outcome);
    let bodies = sent_bodies();
    assert!(bodies.len() >= 4, "{bodies:?}");
    assert!(bodies[1..4].iter().all(|body| *body == bodies[0]));
    assert_eq!(server.borrow().handled, bodies.len() - 3);

    // A proxy's 503 (no Retry-After, no error of ours): the server is down, not busy; the
    // round ends at once, as offline.
    let before = sent_count();
    refuse_next(503, "", "");
    let outcome = documents::sync(&sync_request()).await;
    assert_eq!(outcome, SyncOutcome::Unreachable);
    assert_eq!(sent_count(), before + 1, "not retried");

    // Ours without Retry-After but with its code is busy: retried (after 1 s, the policy's
    // first wait), then the answer.
    let before = sent_count();
    refuse_next(503, "server_busy", "");
    let outcome = documents::sync(&sync_request()).await;
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(sent_body(before + 1).to_vec(), sent_body(before).to_vec());
    assert!(gap_ms(before + 1) >= 999.0, "{} ms", gap_ms(before + 1));

    // A server asking for longer than a round waits: the round ends busy at once, and the
    // schedule waits what it asked.
    let before = sent_count();
    refuse_next(503, "server_busy", "600");
    let outcome = documents::sync(&sync_request()).await;
    assert_eq!(outcome, SyncOutcome::Busy(Some(Duration::from_secs(600))));
    assert_eq!(sent_count(), before + 1, "not retried within the round");
    unroute_sync();
    drop(handler);
}
