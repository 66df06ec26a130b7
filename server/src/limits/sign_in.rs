//! The sign-in lock-out: failed sign-ins per account and network ([`SignInFailures`]).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use warp::http::StatusCode;

use crate::error::ApiError;

/// Failed sign-ins to one account from one network, within 15 minutes of each other, after
/// which that network's sign-ins to that account are refused until 15 minutes have passed
/// since the last of them.
pub const MAX_FAILURES: u32 = 10;
/// How long a network's failures are remembered: the same quarter of an hour as the
/// store's count per e-mail address (`LOGIN_FAILURE_WINDOW_SECS`).
const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// How many (account, network) pairs [`SignInFailures`] keeps before it forgets the oldest.
const MAX_TRACKED_PAIRS: usize = 100_000;
/// Failed sign-ins per account and network, for the lock-out.
///
/// The rule: a network (an IPv4 address, or an IPv6 /64, since one machine may use any
/// address of its /64) that has failed [`MAX_FAILURES`] times to sign in to one account,
/// each failure within 15 minutes of the previous one, is refused for that account (429,
/// `too_many_failed_sign_ins`) until 15 minutes after its last failure, even with the right
/// password. Other networks are not refused: counting per e-mail address alone let anyone
/// who knows the admin's address lock the admin out by failing ten times. What every
/// network's failures still do, counted per e-mail address in the store, is slow each
/// further failure down (0.1 s doubling to 3 s, see `sign_in`), and the per-address rate
/// limit (`RateLimits::public`) caps the attempts of any one address.
///
/// The price is that an attacker with many networks gets [`MAX_FAILURES`] guesses per
/// network every 15 minutes; against argon2id hashes of passwords of 12 characters or more
/// that is still hopeless, and it is the price of keeping the owner able to sign in.
///
/// Kept in memory, like the rate limits: a restart forgets them, which only gives each
/// network ten more guesses. Only expired pairs are dropped, and, under a flood of more
/// than [`MAX_TRACKED_PAIRS`] recent pairs (which needs very many networks), the oldest of
/// those not locked out, so memory stays bounded. E-mail addresses and network addresses
/// are kept only here, and never logged: `Debug` shows how many pairs there are, no more.
#[derive(Default)]
pub struct SignInFailures {
    recent: Mutex<HashMap<(String, Network), Failures>>,
}

impl std::fmt::Debug for SignInFailures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs = self
            .recent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("SignInFailures")
            .field("pairs", &pairs)
            .finish()
    }
}

/// Where a sign-in comes from, as the lock-out counts it: see [`SignInFailures`]. Unknown
/// (`None`) only when the server did not record the peer, as in route tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Network(Option<IpAddr>);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_at: i64,
}

impl Failures {
    fn is_recent(&self, now: i64) -> bool {
        now - self.last_at < FAILURE_WINDOW_SECS
    }
}

impl Network {
    pub(crate) fn of(address: Option<IpAddr>) -> Self {
        Network(address.map(|address| match address {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
        }))
    }
}

impl SignInFailures {
    /// Refuses with 429 while this network is locked out of this account (the sign-in form
    /// and the OData feed's Basic credentials alike).
    pub(crate) fn check(&self, email: &str, network: Network, now: i64) -> Result<(), ApiError> {
        match self.locked_out(email, network, now) {
            None => Ok(()),
            Some(wait) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_failed_sign_ins",
                format!(
                    "Too many failed sign-ins to this account from your network. Wait {} \
                     minutes and try again, or ask an administrator to reset the password.",
                    wait.div_ceil(60)
                ),
            )
            .with_retry_after(wait)),
        }
    }

    /// If this network is locked out of this account: how many seconds remain.
    pub(crate) fn locked_out(&self, email: &str, network: Network, now: i64) -> Option<u64> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let failures = recent.get(&key(email, network))?;
        if failures.count < MAX_FAILURES || !failures.is_recent(now) {
            return None;
        }
        let remaining = failures.last_at + FAILURE_WINDOW_SECS - now;
        Some(u64::try_from(remaining).unwrap_or(1).max(1))
    }

    /// Counts a failure; a new count starts after 15 quiet minutes.
    pub(crate) fn record(&self, email: &str, network: Network, now: i64) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        if recent.len() >= MAX_TRACKED_PAIRS {
            make_room(&mut recent, now);
        }
        let failures = recent.entry(key(email, network)).or_insert(Failures {
            count: 0,
            last_at: now,
        });
        if !failures.is_recent(now) {
            failures.count = 0;
        }
        failures.count = failures.count.saturating_add(1);
        failures.last_at = now;
    }

    /// Forgets the failures of a network that has just signed in to the account.
    pub(crate) fn forget(&self, email: &str, network: Network) {
        let mut recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        recent.remove(&key(email, network));
    }
}

/// E-mail addresses compare without regard to ASCII case, as the store's `NOCASE` does.
fn key(email: &str, network: Network) -> (String, Network) {
    (email.to_ascii_lowercase(), network)
}

/// Drops the expired pairs and, if that is not enough, more, down to three quarters of
/// [`MAX_TRACKED_PAIRS`] (so that the next clean-up is a quarter of that away): first the
/// pairs not locked out, oldest first, so that a flood of new pairs cannot lift a lock-out.
fn make_room(recent: &mut HashMap<(String, Network), Failures>, now: i64) {
    recent.retain(|_, failures| failures.is_recent(now));
    let keep = MAX_TRACKED_PAIRS / 4 * 3;
    if recent.len() > keep {
        let drop = recent.len() - keep;
        let mut by_age: Vec<((bool, i64), (String, Network))> = recent
            .iter()
            .map(|(key, failures)| {
                let locked = failures.count >= MAX_FAILURES;
                ((locked, failures.last_at), key.clone())
            })
            .collect();
        by_age.select_nth_unstable_by_key(drop, |(order, _)| *order);
        for (_, key) in &by_age[..drop] {
            recent.remove(key);
        }
    }
}

/// The pause before a failed sign-in is answered, growing with the account's recent
/// failures from every network: 0.1 s, 0.2 s, 0.4 s ... up to 3 s.
pub(crate) fn failure_pause(failures: u32) -> Duration {
    Duration::from_millis(100u64.saturating_mul(1 << failures.min(5)).min(3_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(address: &str) -> Network {
        Network::of(Some(address.parse().expect("an address")))
    }

    #[test]
    fn debug_output_names_no_one() {
        let failures = SignInFailures::default();
        failures.record("admin@example.org", network("192.0.2.7"), 0);
        let shown = format!("{failures:?}");
        assert_eq!(shown, "SignInFailures { pairs: 1 }");
    }

    #[test]
    fn an_ipv6_network_is_its_64_prefix_and_mapped_ipv4_is_ipv4() {
        assert_eq!(
            network("2001:db8:1:2:aaaa::1"),
            network("2001:db8:1:2:bbbb::2")
        );
        assert_ne!(network("2001:db8:1:2::1"), network("2001:db8:1:3::1"));
        assert_eq!(network("::ffff:192.0.2.7"), network("192.0.2.7"));
        assert_ne!(network("192.0.2.7"), network("192.0.2.8"));
    }

    #[test]
    fn a_network_is_locked_out_of_one_account_after_the_last_allowed_failure() {
        let failures = SignInFailures::default();
        let attacker = network("192.0.2.7");
        for i in 0..MAX_FAILURES {
            assert_eq!(
                failures.locked_out("Admin@Example.org", attacker, 1000),
                None
            );
            failures.record("admin@example.org", attacker, 1000 + i64::from(i));
        }
        let last = 1000 + i64::from(MAX_FAILURES - 1);
        assert_eq!(
            failures.locked_out("ADMIN@example.org", attacker, last),
            Some(900)
        );
        assert_eq!(
            failures.locked_out("admin@example.org", attacker, last + 899),
            Some(1)
        );
        assert_eq!(
            failures.locked_out("admin@example.org", attacker, last + 900),
            None
        );
        assert_eq!(
            failures.locked_out("other@example.org", attacker, last),
            None
        );
        assert_eq!(
            failures.locked_out("admin@example.org", network("192.0.2.8"), last),
            None
        );
        failures.forget("admin@example.org", attacker);
        assert_eq!(
            failures.locked_out("admin@example.org", attacker, last),
            None
        );
    }

    #[test]
    fn a_quiet_quarter_of_an_hour_starts_a_new_count() {
        let failures = SignInFailures::default();
        let attacker = network("192.0.2.7");
        for _ in 0..MAX_FAILURES - 1 {
            failures.record("admin@example.org", attacker, 0);
        }
        failures.record("admin@example.org", attacker, FAILURE_WINDOW_SECS);
        assert_eq!(
            failures.locked_out("admin@example.org", attacker, FAILURE_WINDOW_SECS),
            None
        );
    }

    #[test]
    fn a_flood_of_pairs_forgets_the_oldest_first_but_keeps_lock_outs() {
        let mut recent = HashMap::new();
        let locked_out = ("admin@example.org".to_owned(), network("192.0.2.7"));
        recent.insert(
            locked_out.clone(),
            Failures {
                count: MAX_FAILURES,
                last_at: 0,
            },
        );
        for i in 1..MAX_TRACKED_PAIRS {
            let at = i64::try_from(i).expect("small") / 1000;
            recent.insert(
                (format!("{i}@example.org"), Network(None)),
                Failures {
                    count: 1,
                    last_at: at,
                },
            );
        }
        make_room(&mut recent, 100);
        assert_eq!(recent.len(), MAX_TRACKED_PAIRS / 4 * 3);
        assert!(recent.contains_key(&locked_out));
        let newest = format!("{}@example.org", MAX_TRACKED_PAIRS - 1);
        assert!(recent.contains_key(&(newest, Network(None))));
        assert!(!recent.contains_key(&("1@example.org".to_owned(), Network(None))));
    }
}
