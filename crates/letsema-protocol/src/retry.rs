//! When a sync request the server turned away is sent again.
//!
//! A busy server answers `503 Service Unavailable` (its queue of sync work is full), `429 Too
//! Many Requests` (this caller's rate, work budget or syncs in flight) or `408 Request
//! Timeout` (the body came too slowly), each before it has stored anything, most with a
//! `Retry-After` header in seconds. The request can then be sent again as it was: nothing
//! was applied, and had it been, the protocol makes a repeat harmless.
//!
//! [`RetryPolicy`] says how long to wait before each new attempt: at least what the server
//! asked, stretched by up to half again at random so that a thousand phones told "1 second"
//! at the same moment do not all come back in the same millisecond; without a
//! `Retry-After`, an exponential backoff with the same jitter. The caller draws the random
//! number (this crate draws none) and does the waiting.
//!
//! ```
//! use std::time::Duration;
//! use letsema_protocol::retry::{RetryPolicy, parse_retry_after, is_retryable};
//!
//! let policy = RetryPolicy::default();
//! assert!(is_retryable(503));
//! let asked = parse_retry_after("2");
//! // The first retry, with a random draw of 0.5: 2 s stretched by a quarter.
//! assert_eq!(policy.delay(1, asked, 0.5), Some(Duration::from_millis(2500)));
//! // After the last attempt, no more.
//! assert_eq!(policy.delay(policy.max_attempts + 1, asked, 0.5), None);
//! ```

use std::time::Duration;

/// Whether a response with this HTTP status turned the request away before storing anything,
/// so that the same request may be sent again after a wait.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 503)
}

/// The longest wait a `Retry-After` header is taken at: a server asking for more (or a
/// damaged header) is held to this, and the client tries again then.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(15 * 60);

/// A `Retry-After` header's delay, in its delta-seconds form (`"3"`), capped at
/// [`MAX_RETRY_AFTER`]. `None` for the HTTP-date form or anything else, which the caller
/// then treats as no header at all (its own backoff applies).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// How often, and after how long, a turned-away request is sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries of one request at most; after that the caller gives up (a phone ends its
    /// round and tries again on its own schedule, nothing lost).
    pub max_attempts: u32,
    /// The first wait when the server named none; it doubles with each attempt.
    pub first: Duration,
    /// The longest wait between two attempts.
    pub max: Duration,
}

impl Default for RetryPolicy {
    /// Eight retries, from 1 s doubling up to a minute: a phone rides out a busy evening on
    /// the server within a few minutes, then leaves the rest to its next round.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            first: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before retry number `attempt` (1 for the first retry), given the
    /// server's `Retry-After` if any and a random draw `jitter` in `[0, 1)` (values outside
    /// are clamped); `None` when `attempt` is past [`Self::max_attempts`] (or is 0).
    ///
    /// The wait is the server's `Retry-After` (held to [`Self::max`]), or without one
    /// [`Self::first`] doubled `attempt - 1` times up to [`Self::max`]; then stretched by
    /// `jitter / 2` of itself. It is never shorter than what the server asked, within
    /// [`Self::max`].
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if attempt == 0 || attempt > self.max_attempts {
            return None;
        }
        let base = match retry_after {
            Some(asked) => asked.min(self.max),
            None => {
                let doublings = (attempt - 1).min(20);
                self.first.saturating_mul(1 << doublings).min(self.max)
            }
        };
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        Some(base + base.mul_f64(jitter / 2.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_answers_that_stored_nothing_are_retried() {
        for status in [408, 429, 503] {
            assert!(is_retryable(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 413, 415, 422, 500, 502, 504] {
            assert!(!is_retryable(status), "{status}");
        }
    }

    #[test]
    fn retry_after_is_read_in_seconds_and_capped() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    #[test]
    fn the_wait_is_never_shorter_than_the_server_asked_and_at_most_half_again() {
        let policy = RetryPolicy::default();
        let asked = Some(Duration::from_secs(4));
        assert_eq!(policy.delay(1, asked, 0.0), Some(Duration::from_secs(4)));
        assert_eq!(
            policy.delay(3, asked, 0.999_999).map(|d| d.as_secs()),
            Some(5)
        );
        assert!(policy.delay(3, asked, 1.0) <= Some(Duration::from_secs(6)));
    }

    #[test]
    fn without_retry_after_the_wait_doubles_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        let waits: Vec<_> = (1..=8)
            .map(|attempt| policy.delay(attempt, None, 0.0).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16, 32, 60, 60].map(Some).to_vec(),
            "1 s doubling, held to a minute"
        );
        assert_eq!(policy.delay(9, None, 0.0), None);
        assert_eq!(policy.delay(0, None, 0.0), None);
    }

    #[test]
    fn a_server_asking_for_too_long_is_held_to_the_maximum() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600)), 0.0),
            Some(policy.max)
        );
    }

    #[test]
    fn a_bad_random_draw_does_not_break_the_wait() {
        let policy = RetryPolicy::default();
        let asked = Some(Duration::from_secs(2));
        assert_eq!(
            policy.delay(1, asked, f64::NAN),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(1, asked, -5.0), Some(Duration::from_secs(2)));
        assert_eq!(policy.delay(1, asked, 7.0), Some(Duration::from_secs(3)));
    }
}
