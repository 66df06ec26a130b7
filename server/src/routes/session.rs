//! Staff sign-in: `POST /api/session` (sign in), `GET /api/session` (who am I, and the CSRF
//! token), `DELETE /api/session` (sign out), `POST /api/session/everywhere` (sign out on
//! every device).
//!
//! Failed sign-ins are slowed down per account and refused for a while per account and
//! network; see [`SignInFailures`] for the rule and why it is split that way.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::SET_COOKIE;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::{Reply, Response};

use super::AppState;
use crate::auth::{
    self, Staff, clear_session_cookie, hash_password, random_token, session_cookie, staff,
    token_digest, unix_now, verify_password,
};
use crate::error::ApiError;
use crate::store::StaffUser;

/// Failed sign-ins to one account from one network, within 15 minutes of each other, after
/// which that network's sign-ins to that account are refused until 15 minutes have passed
/// since the last of them.
pub const MAX_FAILURES: u32 = 10;
/// How long a network's failures are remembered: the same quarter of an hour as the
/// store's count per e-mail address (`LOGIN_FAILURE_WINDOW_SECS`).
const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// How many (account, network) pairs [`SignInFailures`] keeps before it forgets the oldest.
const MAX_TRACKED_PAIRS: usize = 100_000;
/// The largest sign-in body accepted.
const MAX_BODY: u64 = 4 * 1024;

#[derive(Debug, Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

/// What `GET /api/session` and a successful sign-in answer.
#[derive(Debug, Serialize)]
pub struct SessionBody {
    pub user: StaffUser,
    pub csrf_token: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let base = warp::path("session");
    let sign_in =
        base.and(warp::path::end())
            .and(warp::post())
            .and(super::peer_addr())
            .and(warp::body::content_length_limit(MAX_BODY))
            .and(warp::body::json())
            .and(with_state(state.clone()))
            .then(
                |remote: Option<std::net::SocketAddr>,
                 credentials: Credentials,
                 state: AppState| async move {
                    let address = remote.map(|a| a.ip());
                    match state.limits.public(address) {
                        Ok(()) => sign_in(state, credentials, address).await,
                        Err(error) => Err(error),
                    }
                    .unwrap_or_else(ApiError::into_response)
                },
            );
    let who = base
        .and(warp::path::end())
        .and(warp::get())
        .and(staff(state.clone()))
        .map(|staff: Staff| {
            let body = SessionBody {
                user: staff.user,
                csrf_token: staff.csrf_token,
            };
            no_store(warp::reply::json(&body).into_response())
        });
    let sign_out = base
        .and(warp::path::end())
        .and(warp::delete())
        .and(staff(state.clone()))
        .and(with_state(state.clone()))
        .then(|staff: Staff, state: AppState| async move {
            sign_out(state, staff)
                .await
                .unwrap_or_else(ApiError::into_response)
        });
    let everywhere = base
        .and(warp::path("everywhere"))
        .and(warp::path::end())
        .and(warp::post())
        .and(staff(state.clone()))
        .and(with_state(state))
        .then(|staff: Staff, state: AppState| async move {
            sign_out_everywhere(state, staff)
                .await
                .unwrap_or_else(ApiError::into_response)
        });
    sign_in
        .or(who)
        .unify()
        .or(sign_out)
        .unify()
        .or(everywhere)
        .unify()
        .boxed()
}

fn with_state(
    state: AppState,
) -> impl Filter<Extract = (AppState,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::store::PeopleError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| {
            tracing::error!(error = %e, "people store failed");
            ApiError::internal()
        })
}

async fn sign_in(
    state: AppState,
    credentials: Credentials,
    address: Option<IpAddr>,
) -> Result<Response, ApiError> {
    let email = credentials.email.trim().to_owned();
    if email.is_empty() || email.len() > 254 || credentials.password.len() > 1024 {
        return Err(bad_credentials());
    }
    let now = unix_now();
    let network = Network::of(address);
    if let Some(wait) = state.sign_in_failures.locked_out(&email, network, now) {
        return Ok(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_failed_sign_ins",
            format!(
                "Too many failed sign-ins to this account from your network. Wait {} \
                 minutes and try again, or ask an administrator to reset the password.",
                wait.div_ceil(60)
            ),
        )
        .with_retry_after(wait)
        .into_response());
    }
    let store = state.store.clone();
    let lookup_email = email.clone();
    let failures = blocking(move || store.recent_login_failures(&lookup_email, now)).await?;

    let store = state.store.clone();
    let lookup_email = email.clone();
    let account = blocking(move || store.credentials(&lookup_email)).await?;
    let password = credentials.password;
    let (user, ok) = tokio::task::spawn_blocking(move || match account {
        Some((user, hash)) => {
            let ok = verify_password(&hash, &password);
            (Some(user), ok)
        }
        None => {
            // Hash anyway, so that an unknown address answers as slowly as a known one.
            let _ = hash_password(&password);
            (None, false)
        }
    })
    .await
    .map_err(|_| ApiError::internal())?;

    let Some(user) = user.filter(|_| ok) else {
        let store = state.store.clone();
        let failed_email = email.clone();
        blocking(move || store.record_login_failure(&failed_email, now)).await?;
        state.sign_in_failures.record(&email, network, now);
        // A growing pause, by the account's failures from every network: 0.1 s, 0.2 s,
        // 0.4 s ... up to 3 s per failed attempt.
        let delay = 100u64.saturating_mul(1 << failures.min(5)).min(3_000);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        return Err(bad_credentials());
    };

    let token = random_token()?;
    let csrf_token = random_token()?;
    let digest = token_digest(&token);
    let store = state.store.clone();
    let session_user = user.clone();
    let session_csrf = csrf_token.clone();
    blocking(move || store.open_session(&session_user, &digest, &session_csrf, now)).await?;
    state.sign_in_failures.forget(&email, network);
    let body = SessionBody { user, csrf_token };
    let mut response = no_store(warp::reply::json(&body).into_response());
    let cookie = session_cookie(&token, &state.auth);
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?,
    );
    Ok(response)
}

async fn sign_out(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let digest = staff.token_sha256;
    blocking(move || store.close_session(&digest)).await?;
    Ok(cleared(&state.auth))
}

async fn sign_out_everywhere(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let closed = blocking(move || store.close_all_sessions(&staff.user)).await?;
    let mut response = cleared(&state.auth);
    *response.body_mut() = serde_json::json!({ "closed_sessions": closed })
        .to_string()
        .into();
    Ok(response)
}

fn cleared(config: &auth::AuthConfig) -> Response {
    let mut response = warp::reply::json(&serde_json::json!({})).into_response();
    if let Ok(value) = HeaderValue::from_str(&clear_session_cookie(config)) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    response
}

fn bad_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        "The e-mail address or the password is wrong. Check both and try again.",
    )
}

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
struct Network(Option<IpAddr>);

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
    fn of(address: Option<IpAddr>) -> Self {
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
    /// If this network is locked out of this account: how many seconds remain.
    fn locked_out(&self, email: &str, network: Network, now: i64) -> Option<u64> {
        let recent = self.recent.lock().unwrap_or_else(PoisonError::into_inner);
        let failures = recent.get(&key(email, network))?;
        if failures.count < MAX_FAILURES || !failures.is_recent(now) {
            return None;
        }
        let remaining = failures.last_at + FAILURE_WINDOW_SECS - now;
        Some(u64::try_from(remaining).unwrap_or(1).max(1))
    }

    /// Counts a failure; a new count starts after 15 quiet minutes.
    fn record(&self, email: &str, network: Network, now: i64) {
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
    fn forget(&self, email: &str, network: Network) {
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
