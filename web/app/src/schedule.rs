//! When the next sync round runs.
//!
//! At start, when the browser comes back online, after every local change, and on a
//! timer — every [`SyncSchedule::HEALTHY`] while rounds succeed, backing off after failures
//! from [`SyncSchedule::FIRST_RETRY`] up to [`SyncSchedule::MAX_RETRY`], and after a busy
//! server's round never sooner than it asked — whichever screen is open. The schedule is
//! plain data ([`SyncSchedule`]), tested on its own.
//!
//! The round itself runs in the submission documents' module; this module only reads how
//! it ended ([`SyncOutcome`]).

use std::time::Duration;

use letsema_protocol::retry::RetryPolicy;
use letsema_web_shared::messages::SyncOutcome;

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
    fn waits_are_told_in_whole_minutes_rounded_up() {
        assert_eq!(about_minutes(Duration::ZERO), 1);
        assert_eq!(about_minutes(Duration::from_secs(15)), 1);
        assert_eq!(about_minutes(Duration::from_secs(60)), 1);
        assert_eq!(about_minutes(Duration::from_secs(61)), 2);
        assert_eq!(about_minutes(Duration::from_secs(750)), 13);
    }
}
