//! Syncing from the app: one round of the sync protocol over `POST /api/sync`, and when to
//! run the next one.
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
//!
//! When: at start, when the browser comes back online, after every local change, and on a
//! timer — every [`SyncSchedule::HEALTHY`] while rounds succeed, backing off after failures
//! from [`SyncSchedule::FIRST_RETRY`] up to [`SyncSchedule::MAX_RETRY`], and after a busy
//! server's round never sooner than it asked — whichever screen is open. The schedule is
//! plain data ([`SyncSchedule`]), tested on its own.

use std::time::Duration;

use js_sys::Uint8Array;
use letsema_sync::client::Client;
use letsema_sync::client_store::ClientStore;
use letsema_sync::retry::{RetryPolicy, is_retryable, parse_retry_after};
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
    /// The server turned the round's requests away before storing anything (busy, or the
    /// upload too slow) more often than [`RetryPolicy`] retries, or asked for a longer wait
    /// than a round waits: what was not acknowledged waits on the device for a later round.
    /// With the wait the server asked for last (its `Retry-After`), if it named one.
    ///
    /// A tuple variant, the wait in whole seconds between the modules: the screens' module
    /// deserializes outcomes, and serde's code for a struct variant and for `Duration` costs
    /// it kilobytes.
    Busy(#[serde(with = "whole_seconds")] Option<Duration>),
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

/// A `Retry-After` between the app's two modules, in whole seconds (all the header holds).
mod whole_seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(wait: &Option<Duration>, to: S) -> Result<S::Ok, S::Error> {
        wait.map(|wait| wait.as_secs()).serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(from)?.map(Duration::from_secs))
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
        let answer = match send(&frame, credential).await {
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

/// Sends one frame until the server takes it: again, the same bytes, each time it turns the
/// frame away before storing anything, after the wait [`RetryPolicy::default`] gives for
/// that attempt. The answer's body, or how the round ends.
async fn send(frame: &[u8], credential: &str) -> Result<Vec<u8>, SyncOutcome> {
    let policy = RetryPolicy::default();
    let mut attempt = 0;
    loop {
        let retry_after = match post(frame, credential).await {
            Ok(answer) => return Ok(answer),
            Err(Refusal::End(outcome)) => return Err(outcome),
            Err(Refusal::TurnedAway { retry_after }) => retry_after,
        };
        attempt += 1;
        match retry_wait(&policy, attempt, retry_after, js_sys::Math::random()) {
            Some(wait) => yew::platform::time::sleep(wait).await,
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
async fn post(frame: &[u8], credential: &str) -> Result<Vec<u8>, Refusal> {
    let body = Uint8Array::from(frame);
    let request = gloo_net::http::Request::post("/api/sync")
        .header("authorization", &format!("Bearer {credential}"))
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

/// When to sync next: plain data, advanced by what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncSchedule {
    /// Rounds that failed in a row.
    failures: u32,
    /// After a round a busy server turned away with a `Retry-After`: that wait, stretched
    /// at random, which the next round waits at least.
    busy_wait: Option<Duration>,
}

impl SyncSchedule {
    /// Between successful rounds, to bring reviewers' feedback in.
    pub const HEALTHY: Duration = Duration::from_secs(5 * 60);
    /// After the first failure.
    pub const FIRST_RETRY: Duration = Duration::from_secs(15);
    /// The longest wait after failures.
    pub const MAX_RETRY: Duration = Duration::from_secs(15 * 60);
    /// How a busy server's `Retry-After` is stretched for the next round: the shared
    /// [`RetryPolicy`], once, held to [`Self::MAX_RETRY`] before the stretch.
    const BUSY: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        first: Self::FIRST_RETRY,
        max: Self::MAX_RETRY,
    };

    /// A schedule with no failures.
    pub fn new() -> SyncSchedule {
        SyncSchedule::default()
    }

    /// Records a round's outcome; `jitter` is a random draw in `[0, 1)`
    /// (`js_sys::Math::random()`), which stretches a busy server's `Retry-After` by up to
    /// half again so that phones it turned away together do not come back together.
    pub fn record(&mut self, outcome: &SyncOutcome, jitter: f64) {
        if outcome.is_success() {
            self.failures = 0;
        } else {
            self.failures = self.failures.saturating_add(1);
        }
        self.busy_wait = match outcome {
            SyncOutcome::Busy(Some(asked)) => Self::BUSY.delay(1, Some(*asked), jitter),
            _ => None,
        };
    }

    /// How long to wait before the next round on the timer: [`Self::HEALTHY`] after a
    /// success, otherwise doubling from [`Self::FIRST_RETRY`] up to [`Self::MAX_RETRY`], and
    /// never less than a busy server last asked (its `Retry-After`, stretched at random).
    pub fn next_delay(&self) -> Duration {
        if self.failures == 0 {
            return Self::HEALTHY;
        }
        let doublings = self.failures.saturating_sub(1).min(16);
        let backoff = Self::FIRST_RETRY
            .saturating_mul(1 << doublings)
            .min(Self::MAX_RETRY);
        backoff.max(self.busy_wait.unwrap_or_default())
    }

    /// Rounds that failed in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// A wait in whole minutes, rounded up and at least 1, for "in about N minutes".
pub fn about_minutes(wait: Duration) -> u64 {
    wait.as_secs().div_ceil(60).max(1)
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
                schedule.record(&SyncOutcome::Unreachable, 0.5);
                schedule.next_delay().as_secs()
            })
            .collect();
        assert_eq!(waits, [15, 30, 60, 120, 240, 480, 900, 900]);
        schedule.record(
            &SyncOutcome::Done {
                requests: 1,
                acknowledged: 0,
                updated: 0,
                refused: Vec::new(),
            },
            0.5,
        );
        assert_eq!(schedule.failures(), 0);
        assert_eq!(schedule.next_delay(), SyncSchedule::HEALTHY);
    }

    fn busy(seconds: Option<u64>) -> SyncOutcome {
        SyncOutcome::Busy(seconds.map(Duration::from_secs))
    }

    #[wasm_bindgen_test]
    fn after_a_busy_round_the_next_waits_at_least_what_the_server_asked() {
        let mut schedule = SyncSchedule::new();
        // Ten minutes asked: far beyond the first backoff, and stretched by the draw.
        schedule.record(&busy(Some(600)), 0.0);
        assert_eq!(schedule.failures(), 1, "a busy round is not a success");
        assert_eq!(schedule.next_delay(), Duration::from_secs(600));
        let mut other = SyncSchedule::new();
        other.record(&busy(Some(600)), 0.5);
        assert_eq!(
            other.next_delay(),
            Duration::from_secs(750),
            "600 s and a quarter"
        );
        other.record(&busy(Some(600)), 0.999);
        assert!(
            other.next_delay() < Duration::from_secs(900),
            "at most half again"
        );

        // A short wait asked: the backoff is longer, and wins.
        let mut schedule = SyncSchedule::new();
        schedule.record(&busy(Some(2)), 0.9);
        assert_eq!(schedule.next_delay(), SyncSchedule::FIRST_RETRY);
        // Without a Retry-After: the backoff alone.
        schedule.record(&busy(None), 0.9);
        assert_eq!(schedule.next_delay(), Duration::from_secs(30));

        // Asked for hours: held to the longest wait before the draw's stretch.
        schedule.record(&busy(Some(4 * 3600)), 0.0);
        assert_eq!(schedule.next_delay(), SyncSchedule::MAX_RETRY);

        // What a busy server asked is forgotten after the next round, whatever it was.
        schedule.record(&busy(Some(600)), 0.0);
        schedule.record(&SyncOutcome::Unreachable, 0.0);
        assert_eq!(schedule.failures(), 5);
        assert_eq!(
            schedule.next_delay(),
            Duration::from_secs(240),
            "the backoff alone"
        );
        schedule.record(&busy(Some(600)), 0.0);
        schedule.record(
            &SyncOutcome::Done {
                requests: 1,
                acknowledged: 1,
                updated: 0,
                refused: Vec::new(),
            },
            0.0,
        );
        assert_eq!(schedule.next_delay(), SyncSchedule::HEALTHY);
    }

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

    #[wasm_bindgen_test]
    fn a_busy_outcome_crosses_between_the_modules_with_its_wait() {
        for outcome in [busy(Some(600)), busy(Some(0)), busy(None)] {
            let json = serde_json::to_string(&outcome).expect("written");
            let back: SyncOutcome = serde_json::from_str(&json).expect("read back");
            assert_eq!(back, outcome, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&busy(Some(600))).expect("written"),
            r#"{"Busy":600}"#
        );
    }

    #[wasm_bindgen_test]
    fn waits_are_told_in_whole_minutes_rounded_up() {
        assert_eq!(about_minutes(Duration::ZERO), 1);
        assert_eq!(about_minutes(Duration::from_secs(15)), 1);
        assert_eq!(about_minutes(Duration::from_secs(60)), 1);
        assert_eq!(about_minutes(Duration::from_secs(61)), 2);
        assert_eq!(about_minutes(Duration::from_secs(750)), 13);
    }
}
