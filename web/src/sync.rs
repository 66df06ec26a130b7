//! Syncing from the app: one round of the sync protocol over `POST /api/sync`, and when to
//! run the next one.
//!
//! A round runs [`letsema_sync::client::Client`] to the end: request, answer, request...
//! After every answer it calls [`DurableStore::flush`] and waits for it before sending the
//! next request, so the acknowledged heads and the cursor on disk never run ahead of what
//! the device holds, and a crash mid-round only repeats work the protocol makes harmless.
//!
//! When: at start, when the browser comes back online, after every local change, and on a
//! timer — every [`SyncSchedule::HEALTHY`] while rounds succeed, backing off after failures
//! from [`SyncSchedule::FIRST_RETRY`] up to [`SyncSchedule::MAX_RETRY`] — whichever screen
//! is open. The schedule is plain data ([`SyncSchedule`]), tested on its own.

use std::time::Duration;

use js_sys::Uint8Array;
use letsema_sync::client::Client;
use letsema_sync::client_store::ClientStore;
use letsema_sync::wire::MEDIA_TYPE;

/// A [`ClientStore`] whose changes reach the disk when flushed (IndexedDB writes are
/// asynchronous; the client's trait is not).
pub trait DurableStore: ClientStore {
    /// Writes every change made through the [`ClientStore`] methods since the last flush.
    ///
    /// # Errors
    ///
    /// Why the browser refused to write, in words a person can act on.
    fn flush(&mut self) -> impl std::future::Future<Output = Result<(), String>>;
}

impl DurableStore for crate::storage::IdbClientStore {
    async fn flush(&mut self) -> Result<(), String> {
        crate::storage::IdbClientStore::flush(self)
            .await
            .map_err(|error| error.to_string())
    }
}

/// How a round ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SyncOutcome {
    /// Everything went through.
    Done {
        /// Requests sent.
        requests: usize,
        /// Documents the server acknowledged.
        acknowledged: usize,
        /// Documents that received changes from the server (reviewers' feedback).
        updated: usize,
        /// Documents the server refused, with its reasons.
        refused: Vec<String>,
    },
    /// The server could not be reached: the device is offline, or the server is down.
    Unreachable,
    /// The server no longer accepts this device's credential.
    Revoked(String),
    /// Anything else; the message says what happened and what to do.
    Failed(String),
}

impl SyncOutcome {
    /// Whether the round reached the server and finished.
    pub fn is_success(&self) -> bool {
        matches!(self, SyncOutcome::Done { .. })
    }
}

/// The longest a round may take, in requests: far beyond any real backlog.
const MAX_REQUESTS: usize = 10_000;

/// Runs one sync round with the server at the page's own origin, as the device with
/// `credential`.
pub async fn sync_round<S: DurableStore>(client: &mut Client<S>, credential: &str) -> SyncOutcome {
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
        let answer = match post(frame, credential).await {
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
            return SyncOutcome::Failed(error);
        }
    }
    SyncOutcome::Done {
        requests,
        acknowledged,
        updated,
        refused,
    }
}

/// Sends one frame; the answer's body, or how the round ends.
async fn post(frame: Vec<u8>, credential: &str) -> Result<Vec<u8>, SyncOutcome> {
    let body = Uint8Array::from(frame.as_slice());
    let request = gloo_net::http::Request::post("/api/sync")
        .header("authorization", &format!("Bearer {credential}"))
        .header("content-type", MEDIA_TYPE)
        .body(body)
        .map_err(|error| SyncOutcome::Failed(error.to_string()))?;
    let response = request.send().await.map_err(|_| SyncOutcome::Unreachable)?;
    match response.status() {
        200 => response
            .binary()
            .await
            .map_err(|_| SyncOutcome::Unreachable),
        401 => {
            let message = response
                .json::<letsema_protocol::ApiErrorBody>()
                .await
                .map(|body| body.error.message)
                .unwrap_or_else(|_| {
                    "The server no longer accepts this device. Ask your coordinator.".to_owned()
                });
            Err(SyncOutcome::Revoked(message))
        }
        // A proxy or a server that is starting: try again later.
        502..=504 => Err(SyncOutcome::Unreachable),
        status => {
            let message = response
                .json::<letsema_protocol::ApiErrorBody>()
                .await
                .map(|body| body.error.message)
                .unwrap_or_else(|_| format!("The server answered {status}."));
            Err(SyncOutcome::Failed(message))
        }
    }
}

/// When to sync next: plain data, advanced by what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncSchedule {
    /// Rounds that failed in a row.
    failures: u32,
}

impl SyncSchedule {
    /// Between successful rounds, to bring reviewers' feedback in.
    pub const HEALTHY: Duration = Duration::from_secs(5 * 60);
    /// After the first failure.
    pub const FIRST_RETRY: Duration = Duration::from_secs(15);
    /// The longest wait after failures.
    pub const MAX_RETRY: Duration = Duration::from_secs(15 * 60);

    /// A schedule with no failures.
    pub fn new() -> SyncSchedule {
        SyncSchedule::default()
    }

    /// Records a round's outcome.
    pub fn record(&mut self, outcome: &SyncOutcome) {
        if outcome.is_success() {
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
        }
    }

    /// How long to wait before the next round on the timer: [`Self::HEALTHY`] after a
    /// success, otherwise doubling from [`Self::FIRST_RETRY`] up to [`Self::MAX_RETRY`].
    pub fn next_delay(&self) -> Duration {
        if self.failures == 0 {
            return Self::HEALTHY;
        }
        let doublings = self.failures.saturating_sub(1).min(16);
        Self::FIRST_RETRY
            .saturating_mul(1 << doublings)
            .min(Self::MAX_RETRY)
    }

    /// Rounds that failed in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_schedule_waits_five_minutes_when_healthy_and_backs_off_after_failures() {
        let mut schedule = SyncSchedule::new();
        assert_eq!(schedule.next_delay(), SyncSchedule::HEALTHY);
        let waits: Vec<u64> = (0..8)
            .map(|_| {
                schedule.record(&SyncOutcome::Unreachable);
                schedule.next_delay().as_secs()
            })
            .collect();
        assert_eq!(waits, [15, 30, 60, 120, 240, 480, 900, 900]);
        schedule.record(&SyncOutcome::Done {
            requests: 1,
            acknowledged: 0,
            updated: 0,
            refused: Vec::new(),
        });
        assert_eq!(schedule.failures(), 0);
        assert_eq!(schedule.next_delay(), SyncSchedule::HEALTHY);
    }
}
