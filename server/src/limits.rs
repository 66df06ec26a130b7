//! Request rates: how often one phone may sync, and one network address may try enrolment
//! codes or sign-ins, before being told to wait (429 with `Retry-After`); and how much
//! automerge work one phone's or staff member's syncs may cause over time ([`WorkBudgets`]).
//!
//! Keyed token buckets (`governor`, and for the work budget a bucket of our own that can go
//! into debt), in memory: a restart forgets them, which is harmless.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use warp::http::StatusCode;

use crate::error::ApiError;

mod sign_in;

pub(crate) use sign_in::Network;
pub(crate) use sign_in::failure_pause;
pub use sign_in::{MAX_FAILURES, SignInFailures};

/// The rate limits of a server.
#[derive(Debug, Clone)]
pub struct RateLimits {
    sync: Arc<DefaultKeyedRateLimiter<String>>,
    public: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    work: Arc<WorkBudgets>,
    in_flight: Arc<InFlight>,
}

/// How fast callers may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateSettings {
    /// Sync requests per minute one device may make, sustained.
    pub sync_per_minute: u32,
    /// Sync requests one device may make at once after a quiet period.
    pub sync_burst: u32,
    /// Enrolment and sign-in attempts per minute from one address, sustained.
    pub public_per_minute: u32,
    /// Enrolment and sign-in attempts from one address at once.
    pub public_burst: u32,
    /// Units of automerge work ([`work_units`]) one device's syncs may cause per minute,
    /// sustained.
    pub work_per_minute: u64,
    /// Units of automerge work one device may spend at once after a quiet period.
    pub work_burst: u64,
}

impl Default for RateSettings {
    /// A phone's sync of thousands of submissions takes a few dozen requests; 20 per second
    /// leaves it room and stops a loop. Enrolment codes are 256-bit secrets: 30 attempts a
    /// minute per address makes guessing pointless and costs a real user nothing.
    fn default() -> Self {
        RateSettings {
            sync_per_minute: 1200,
            sync_burst: 60,
            public_per_minute: 30,
            public_burst: 30,
            // A day's registrations from one phone (a few hundred, about 100 operations
            // each) fit in the burst many times over; a phone's first sync of 10,000 takes a
            // minute longer. A device that pushes hostile work in a loop costs the server
            // about a second of CPU a minute.
            work_per_minute: 1_000_000,
            work_burst: 2_000_000,
        }
    }
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let nz = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(nz(per_minute)).allow_burst(nz(burst))
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(RateSettings::default())
    }
}

impl RateLimits {
    /// Limits with these settings.
    pub fn new(settings: RateSettings) -> Self {
        RateLimits {
            sync: Arc::new(RateLimiter::keyed(quota(
                settings.sync_per_minute,
                settings.sync_burst,
            ))),
            public: Arc::new(RateLimiter::keyed(quota(
                settings.public_per_minute,
                settings.public_burst,
            ))),
            work: Arc::new(WorkBudgets::new(
                settings.work_per_minute,
                settings.work_burst,
            )),
            in_flight: Arc::new(InFlight::new(SYNCS_IN_FLIGHT_PER_CALLER)),
        }
    }

    /// The syncs each caller has in flight.
    pub fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    /// The work budgets of sync callers.
    pub fn work(&self) -> &WorkBudgets {
        &self.work
    }

    /// Admits one sync request of `device`, or says how long to wait.
    pub fn sync(&self, device: &str) -> Result<(), ApiError> {
        check(self.sync.check_key(&device.to_owned()))
    }

    /// Admits one public attempt (enrolment, sign-in) from `address`.
    pub fn public(&self, address: Option<IpAddr>) -> Result<(), ApiError> {
        match address {
            Some(address) => check(self.public.check_key(&address)),
            None => Ok(()),
        }
    }

    /// Forgets keys that have been quiet long enough to be full again.
    pub fn shrink(&self) {
        self.sync.retain_recent();
        self.public.retain_recent();
        self.work.shrink();
    }
}

fn check(
    result: Result<(), governor::NotUntil<governor::clock::QuantaInstant>>,
) -> Result<(), ApiError> {
    result.map_err(|not_until| {
        let wait = retry_after_seconds(not_until.wait_time_from(DefaultClock::default().now()));
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("Too many requests: wait {wait} s and try again."),
        )
        .with_retry_after(wait)
    })
}

/// A wait as `Retry-After` gives it: whole seconds, rounded up (a client that comes back
/// on time must not be early), at least one.
pub fn retry_after_seconds(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// Syncs one caller may have in flight at once. A phone syncs one request at a time; two
/// leave room for a retry whose first attempt the server has not yet noticed is gone.
pub const SYNCS_IN_FLIGHT_PER_CALLER: usize = 2;

/// How many of something each key holds at once (connections per network address, syncs
/// per caller), at most `limit`; a [`Slot`] gives its place back when dropped, however its
/// holder ends (a panic included). A key holding none has no entry, so the table holds at
/// most one entry per slot held.
#[derive(Debug, Clone)]
pub struct Slots<K: Eq + Hash> {
    limit: usize,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

/// One place held in [`Slots`].
#[derive(Debug)]
pub struct Slot<K: Eq + Hash> {
    key: K,
    held: Arc<Mutex<HashMap<K, usize>>>,
}

impl<K: Eq + Hash + Clone> Slots<K> {
    /// At most `limit` per key.
    pub fn new(limit: usize) -> Self {
        Slots {
            limit,
            held: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// One more place for `key`, or `None` when it holds `limit`.
    pub fn enter(&self, key: K) -> Option<Slot<K>> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let count = held.entry(key.clone()).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Slot {
            key,
            held: self.held.clone(),
        })
    }

    /// How many places `key` holds.
    pub fn held(&self, key: &K) -> usize {
        let held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        held.get(key).copied().unwrap_or(0)
    }

    /// How many keys hold a place.
    pub fn keys(&self) -> usize {
        self.held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl<K: Eq + Hash> Drop for Slot<K> {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = held.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// The syncs each caller has in flight, bounded, so that no caller holds more than its share
/// of the server's workers and body memory however many connections it opens.
#[derive(Debug)]
pub struct InFlight(Slots<String>);

impl InFlight {
    /// At most `limit` per caller.
    pub fn new(limit: usize) -> Self {
        InFlight(Slots::new(limit))
    }

    /// Counts one more sync of `caller`, or refuses it (429) when it has `limit` in flight.
    pub fn enter(&self, caller: &str) -> Result<Slot<String>, ApiError> {
        self.0.enter(caller.to_owned()).ok_or_else(|| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "sync_in_progress",
                "This device is already syncing. Nothing was lost: wait for that sync to end.",
            )
            .with_retry_after(1)
        })
    }
}

/// What a sync's automerge work costs against a budget: its operations, plus a fixed
/// share per document (loading, checking and storing one costs about as much as applying a
/// hundred operations).
pub fn work_units(docs: usize, ops: u64) -> u64 {
    ops.saturating_add(u64::try_from(docs).unwrap_or(u64::MAX).saturating_mul(100))
}

/// A budget of automerge work per sync caller (a device, or a staff member's browser), over
/// time: a request is admitted while the caller's bucket is not in debt, and charged after
/// it ran with what it really cost (nobody knows the cost of a push before it is decoded).
/// One request can take a bucket into debt, by at most one request's budget
/// (`letsema_sync::server::RequestBudget`); the caller then waits until the debt is paid
/// back at the sustained rate. This bounds what one caller can make the server do, which a
/// request rate alone does not: 20 requests a second of maximal work would be seconds of
/// CPU each second.
#[derive(Debug)]
pub struct WorkBudgets {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Units left; negative in debt.
    level: f64,
    at: Instant,
}

impl WorkBudgets {
    /// Budgets refilling at `per_minute` units a minute, up to `burst`.
    #[allow(clippy::cast_precision_loss)]
    pub fn new(per_minute: u64, burst: u64) -> Self {
        WorkBudgets {
            per_second: (per_minute.max(1) as f64) / 60.0,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn level(&self, bucket: Option<&Bucket>, now: Instant) -> f64 {
        match bucket {
            Some(bucket) => (bucket.level
                + now.duration_since(bucket.at).as_secs_f64() * self.per_second)
                .min(self.burst),
            None => self.burst,
        }
    }

    /// Admits a request of `caller`, or says how long to wait (429 with `Retry-After`).
    pub fn admit(&self, caller: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let level = self.level(buckets.get(caller), now);
        if level >= 0.0 {
            return Ok(());
        }
        let wait = (-level / self.per_second).ceil().max(1.0) as u64;
        Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_much_work",
            format!(
                "This device has sent more than the server processes for one device in a \
                 while. Nothing was lost: wait {wait} s and sync again."
            ),
        )
        .with_retry_after(wait))
    }

    /// Charges `units` of work done for `caller`.
    pub fn charge(&self, caller: &str, units: u64) {
        if units == 0 {
            return;
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let level = self.level(buckets.get(caller), now) - units as f64;
        buckets.insert(caller.to_owned(), Bucket { level, at: now });
    }

    /// Forgets callers whose buckets are full again.
    pub fn shrink(&self) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        let full: Vec<String> = buckets
            .iter()
            .filter(|(_, bucket)| self.level(Some(bucket), now) >= self.burst)
            .map(|(caller, _)| caller.clone())
            .collect();
        for caller in full {
            buckets.remove(&caller);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_in_debt_waits_until_it_is_paid_back() {
        let budgets = WorkBudgets::new(600, 1_000);
        assert!(budgets.admit("phone").is_ok());
        budgets.charge("phone", 900);
        assert!(budgets.admit("phone").is_ok(), "100 units left");
        budgets.charge("phone", 700);
        let refused = budgets.admit("phone").expect_err("600 units in debt");
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(refused.code, "too_much_work");
        // 600 units at 10 a second: a minute.
        assert_eq!(refused.retry_after, Some(60));
        assert!(budgets.admit("another phone").is_ok());
    }

    #[test]
    fn a_caller_has_at_most_its_share_of_syncs_in_flight() {
        let in_flight = InFlight::new(2);
        let first = in_flight.enter("phone").expect("first");
        let _second = in_flight.enter("phone").expect("second");
        let refused = in_flight.enter("phone").expect_err("a third");
        assert_eq!(refused.code, "sync_in_progress");
        assert!(in_flight.enter("another phone").is_ok());
        drop(first);
        assert!(in_flight.enter("phone").is_ok(), "a place again");
    }

    #[test]
    fn retry_after_is_rounded_up_to_whole_seconds() {
        use std::time::Duration;
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(50)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1900)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let budgets = WorkBudgets::new(6_000_000, 10);
        budgets.charge("phone", 5);
        std::thread::sleep(std::time::Duration::from_millis(20));
        budgets.shrink();
        assert!(
            budgets
                .buckets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
        );
    }
}
