//! Syncing from the app: one round of the sync protocol over `POST /api/sync` (when to run
//! the next one is the screens' `SyncSchedule`).
//!
//! A round runs [`letsema_sync::client::Client`] to the end: request, answer, request...
//! After every answer it calls [`DurableStore::flush`] and waits for it before sending the
//! next request, so the acknowledged heads and the cursor on disk never run ahead of what
//! the device holds, and a crash mid-round only repeats work the protocol makes harmless.
//!
//! A busy server turns a request away before storing anything (`503` when its queue of sync
//! work is full, `429` for this device's rate or work, `408` for a body that came too
//! slowly), usually with a `Retry-After`. The round then sends the same frame again, byte for
//! byte (the [`Client`] has not seen an answer, so it has not moved), after the wait
//! [`RetryPolicy`] gives; when the policy gives up, or the server asks for longer than the
//! policy waits within a round, the round ends [`SyncOutcome::Busy`], with everything not
//! acknowledged still waiting on the device.

use std::time::Duration;

use js_sys::Uint8Array;
use letsema_sync::client::Client;
use letsema_sync::client_store::ClientStore;
use letsema_sync::retry::{RetryPolicy, is_retryable, parse_retry_after};
use letsema_sync::wire::MEDIA_TYPE;
pub use letsema_web_shared::messages::SyncOutcome;

use crate::storage::StorageError;

/// A [`ClientStore`] whose changes reach the disk when flushed (IndexedDB writes are
/// asynchronous; the client's trait is not).
pub trait DurableStore: ClientStore {
    /// Writes every change made through the [`ClientStore`] methods since the last flush.
    ///
    /// # Errors
    ///
    /// Why the browser refused to write, in words a person can act on.
    fn flush(&mut self) -> impl std::future::Future<Output = Result<(), StorageError>>;
}

impl DurableStore for crate::storage::IdbClientStore {
    async fn flush(&mut self) -> Result<(), StorageError> {
        crate::storage::IdbClientStore::flush(self).await
    }
}

/// The longest a round may take, in requests: far beyond any real backlog.
const MAX_REQUESTS: usize = 10_000;

/// Where a round's requests go, and the headers that say who sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The path and query at the page's own origin.
    pub path: String,
    /// Sent with every request (the browser adds the session cookie itself).
    pub headers: Vec<(String, String)>,
}

impl Endpoint {
    /// An enrolled device's: `POST /api/sync` with its credential.
    pub fn device(credential: &str) -> Endpoint {
        Endpoint {
            path: "/api/sync".to_owned(),
            headers: vec![("authorization".to_owned(), format!("Bearer {credential}"))],
        }
    }

    /// A signed-in staff member's: `POST /api/staff/sync` with the session's CSRF token,
    /// limited to one association when one is given.
    pub fn staff(csrf_token: &str, association: Option<&str>) -> Endpoint {
        let path = match association {
            Some(code) => format!(
                "/api/staff/sync?association={}",
                String::from(js_sys::encode_uri_component(code))
            ),
            None => "/api/staff/sync".to_owned(),
        };
        Endpoint {
            path,
            headers: vec![("x-csrf-token".to_owned(), csrf_token.to_owned())],
        }
    }
}

/// Runs one sync round with the server at the page's own origin, as the device with
/// `credential`.
pub async fn sync_round<S: DurableStore>(client: &mut Client<S>, credential: &str) -> SyncOutcome {
    sync_round_at(client, &Endpoint::device(credential)).await
}

/// Runs one sync round with the server at the page's own origin, at `endpoint`.
pub async fn sync_round_at<S: DurableStore>(
    client: &mut Client<S>,
    endpoint: &Endpoint,
) -> SyncOutcome {
    client.start_sync();
    let mut requests = 0;
    let (mut acknowledged, mut updated) = (0, 0);
    let mut refused = Vec::new();
    loop {
        let frame = match client.next_request() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(error) => return SyncOutcome::Failed(format!("This device's storage: {error}")),
        };
        requests += 1;
        if requests > MAX_REQUESTS {
            return SyncOutcome::Failed(
                "The sync did not finish after 10,000 requests; it will start again later."
                    .to_owned(),
            );
        }
        let answer = match send(&frame, endpoint).await {
            Ok(answer) => answer,
            Err(failure) => return failure,
        };
        match client.handle_response(&answer) {
            Ok(progress) => {
                acknowledged += progress.acknowledged.len();
                updated += progress.updated.len();
                refused.extend(progress.rejected.iter().map(|r| r.message.clone()));
            }
            Err(error) => return SyncOutcome::Failed(error.to_string()),
        }
        if let Err(error) = client.store_mut().flush().await {
            return SyncOutcome::Failed(error.to_string());
        }
    }
    SyncOutcome::Done {
        requests,
        acknowledged,
        updated,
        refused,
    }
}

/// Sends one frame until the server takes it: again, the same bytes, each time it turns the
/// frame away before storing anything, after the wait [`RetryPolicy::default`] gives for
/// that attempt. The answer's body, or how the round ends.
async fn send(frame: &[u8], endpoint: &Endpoint) -> Result<Vec<u8>, SyncOutcome> {
    let policy = RetryPolicy::default();
    let mut attempt = 0;
    loop {
        let retry_after = match post(frame, endpoint).await {
            Ok(answer) => return Ok(answer),
            Err(Refusal::End(outcome)) => return Err(outcome),
            Err(Refusal::TurnedAway { retry_after }) => retry_after,
        };
        attempt += 1;
        match retry_wait(&policy, attempt, retry_after, js_sys::Math::random()) {
            Some(wait) => {
                letsema_web_shared::sleep_ms(i32::try_from(wait.as_millis()).unwrap_or(i32::MAX))
                    .await
            }
            None => return Err(SyncOutcome::Busy(retry_after)),
        }
    }
}

/// How long to wait before sending a turned-away frame again (`attempt` 1 for the first
/// retry), or `None` when the round should end [`SyncOutcome::Busy`] instead: past the
/// policy's attempts, or when the server asked for longer than the policy waits (the
/// schedule then waits what it asked; a round retrying sooner would only be turned away).
fn retry_wait(
    policy: &RetryPolicy,
    attempt: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Option<Duration> {
    if retry_after.is_some_and(|asked| asked > policy.max) {
        return None;
    }
    policy.delay(attempt, retry_after, jitter)
}

/// Why [`post`] brought no answer back.
enum Refusal {
    /// Turned away before anything was stored: the same frame may be sent again, after
    /// `retry_after` when the server named a wait.
    TurnedAway { retry_after: Option<Duration> },
    /// The round ends with this outcome.
    End(SyncOutcome),
}

/// Sends one frame once; the answer's body, or why there is none.
async fn post(frame: &[u8], endpoint: &Endpoint) -> Result<Vec<u8>, Refusal> {
    let body = Uint8Array::from(frame);
    let mut request = gloo_net::http::Request::post(&endpoint.path);
    for (name, value) in &endpoint.headers {
        request = request.header(name, value);
    }
    let request = request
        .header("content-type", MEDIA_TYPE)
        .body(body)
        .map_err(|error| Refusal::End(SyncOutcome::Failed(error.to_string())))?;
    let response = request
        .send()
        .await
        .map_err(|_| Refusal::End(SyncOutcome::Unreachable))?;
    let status = response.status();
    let retry_after_header = response.headers().get("retry-after");
    let retry_after = retry_after_header.as_deref().and_then(parse_retry_after);
    match status {
        200 => response
            .binary()
            .await
            .map_err(|_| Refusal::End(SyncOutcome::Unreachable)),
        401 => {
            let message = error_detail(&response).await.map_or_else(
                || "The server no longer accepts this device. Ask your coordinator.".to_owned(),
                |error| error.message,
            );
            Err(Refusal::End(SyncOutcome::Revoked(message)))
        }
        // Our server, busy: it says when to come back, or names its code. A bare 503 is a
        // proxy's, whose server is down or starting: try again later.
        503 => {
            let ours = retry_after_header.is_some()
                || error_detail(&response)
                    .await
                    .is_some_and(|error| error.code == "server_busy");
            Err(if ours {
                Refusal::TurnedAway { retry_after }
            } else {
                Refusal::End(SyncOutcome::Unreachable)
            })
        }
        status if is_retryable(status) => Err(Refusal::TurnedAway { retry_after }),
        // A proxy or a server that is starting: try again later.
        502 | 504 => Err(Refusal::End(SyncOutcome::Unreachable)),
        status => {
            let message = error_detail(&response).await.map_or_else(
                || format!("The server answered {status}."),
                |error| error.message,
            );
            Err(Refusal::End(SyncOutcome::Failed(message)))
        }
    }
}

/// The JSON error an answer carries (`{"error":{"code":..,"message":..}}`), if it does.
async fn error_detail(
    response: &gloo_net::http::Response,
) -> Option<letsema_protocol::ApiErrorDetail> {
    let body = response.json::<letsema_protocol::ApiErrorBody>().await;
    body.ok().map(|body| body.error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_turned_away_frame_is_sent_again_after_the_policys_wait_until_it_gives_up() {
        let policy = RetryPolicy::default();
        let asked = Some(Duration::from_secs(1));
        // Never sooner than asked, at most half again.
        for attempt in 1..=policy.max_attempts {
            let wait = retry_wait(&policy, attempt, asked, 0.0).expect("retried");
            assert_eq!(wait, Duration::from_secs(1), "attempt {attempt}");
            let wait = retry_wait(&policy, attempt, asked, 0.999).expect("retried");
            assert!(wait >= Duration::from_secs(1) && wait < Duration::from_millis(1500));
        }
        assert_eq!(
            retry_wait(&policy, policy.max_attempts + 1, asked, 0.0),
            None,
            "then the round ends busy"
        );
        // Without a Retry-After: the policy's own doubling.
        assert_eq!(
            retry_wait(&policy, 3, None, 0.0),
            Some(Duration::from_secs(4))
        );
        // A server asking for longer than a round waits: the round ends at once, and the
        // schedule waits what it asked rather than the round coming back sooner.
        assert_eq!(
            retry_wait(&policy, 1, Some(policy.max), 0.0),
            Some(policy.max)
        );
        assert_eq!(
            retry_wait(&policy, 1, Some(policy.max + Duration::from_secs(1)), 0.0),
            None
        );
    }
}
