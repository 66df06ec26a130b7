//! Request rates: how often one phone may sync, and one network address may try enrolment
//! codes or sign-ins, before being told to wait (429 with `Retry-After`).
//!
//! Keyed token buckets (`governor`), in memory: a restart forgets them, which is harmless.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use warp::http::StatusCode;
use warp::http::header::RETRY_AFTER;
use warp::reply::Response;

use crate::error::ApiError;

/// The rate limits of a server.
#[derive(Debug, Clone)]
pub struct RateLimits {
    sync: Arc<DefaultKeyedRateLimiter<String>>,
    public: Arc<DefaultKeyedRateLimiter<IpAddr>>,
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
        }
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
    }
}

fn check(
    result: Result<(), governor::NotUntil<governor::clock::QuantaInstant>>,
) -> Result<(), ApiError> {
    result.map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!(
                "Too many requests: wait {} s and try again.",
                wait.as_secs().max(1)
            ),
        )
        .with_retry_after(wait.as_secs().max(1))
    })
}

/// Adds `Retry-After` to a 429 reply.
pub fn retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = seconds.to_string().parse() {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}
