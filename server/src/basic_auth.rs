//! HTTP Basic authentication with a staff account's e-mail address and password, for the
//! OData feed only: Excel's and Power BI's "From OData feed" send these credentials with
//! every request, and cannot sign in with a form and a cookie.
//!
//! The same rules as the sign-in form (`routes/session.rs`) apply: a failed attempt counts
//! towards the account's lock-out per network and is slowed down; an unknown address costs
//! as much as a known one. An argon2 check costs tens of milliseconds and a feed is read in
//! many requests, so a password that matched is remembered for [`REMEMBERED_FOR`], as the
//! SHA-256 of the account's stored hash and the password: changing the password (a new
//! hash) or removing the account ends it at once. Nothing here is written to a log.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use warp::http::StatusCode;

use crate::auth::{hash_password, unix_now, verify_password};
use crate::error::ApiError;
use crate::limits::Network;
use crate::limits::failure_pause;
use crate::routes::filters::blocking;
use crate::state::AppState;
use crate::store::StaffUser;

/// How long a password that matched is remembered.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(10 * 60);
/// Passwords remembered at most; the oldest are forgotten beyond.
const MAX_REMEMBERED: usize = 1024;
/// The longest `Authorization` header read.
const MAX_HEADER_BYTES: usize = 2048;

/// The `WWW-Authenticate` challenge a 401 of the feed carries, so that Excel and Power BI
/// ask for a user name and password.
pub const CHALLENGE: &str = "Basic realm=\"Letsema OData\", charset=\"UTF-8\"";

/// Passwords that matched lately, by digest.
#[derive(Debug, Default)]
pub struct RememberedPasswords {
    matched: Mutex<HashMap<[u8; 32], Instant>>,
}

impl RememberedPasswords {
    fn knows(&self, digest: &[u8; 32], now: Instant) -> bool {
        let matched = self.matched.lock().unwrap_or_else(PoisonError::into_inner);
        matched
            .get(digest)
            .is_some_and(|at| now.duration_since(*at) < REMEMBERED_FOR)
    }

    fn remember(&self, digest: [u8; 32], now: Instant) {
        let mut matched = self.matched.lock().unwrap_or_else(PoisonError::into_inner);
        if matched.len() >= MAX_REMEMBERED {
            matched.retain(|_, at| now.duration_since(*at) < REMEMBERED_FOR);
        }
        if matched.len() >= MAX_REMEMBERED
            && let Some(oldest) = matched.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
        {
            matched.remove(&oldest);
        }
        matched.insert(digest, now);
    }
}

/// The e-mail address and password of a `Basic` authorization header; `None` for another
/// scheme, or a header that is too long or does not decode.
pub fn credentials(header: &str) -> Option<(String, String)> {
    if header.len() > MAX_HEADER_BYTES {
        return None;
    }
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (email, password) = text.split_once(':')?;
    Some((email.trim().to_owned(), password.to_owned()))
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_credentials",
        message.to_owned(),
    )
}

/// The staff account a `Basic` authorization header names, if its password matches.
///
/// # Errors
///
/// 401 for a malformed header or wrong credentials (after the same growing pause as the
/// sign-in form), 429 while the account is locked out for the caller's network, 500 when
/// the database fails.
pub async fn authenticate(
    state: &AppState,
    header: &str,
    address: Option<IpAddr>,
) -> Result<StaffUser, ApiError> {
    let Some((email, password)) = credentials(header) else {
        return Err(unauthorized(
            "The Authorization header is not Basic with an e-mail address and a password. \
             In Excel or Power BI, choose Basic and give your staff account's e-mail \
             address and password.",
        ));
    };
    if email.is_empty() || email.len() > 254 || password.len() > 1024 {
        return Err(wrong());
    }
    let now = unix_now();
    let network = Network::of(address);
    state.sign_in_failures.check(&email, network, now)?;
    let store = state.store.clone();
    let lookup = email.clone();
    let account = blocking(move || store.credentials(&lookup)).await?;
    if let Some((user, hash)) = &account {
        let digest = remembered_digest(hash, &password);
        if state.basic_passwords.knows(&digest, Instant::now()) {
            return Ok(user.clone());
        }
    }
    // An argon2 check: the public rate limit applies, as to the sign-in form.
    state.limits.public(address)?;
    let (user, digest) = blocking(move || {
        Ok::<_, ApiError>(match account {
            Some((user, hash)) if verify_password(&hash, &password) => {
                (Some(user), Some(remembered_digest(&hash, &password)))
            }
            Some(_) => (None, None),
            None => {
                // Hash anyway, so that an unknown address answers as slowly as a known one.
                let _ = hash_password(&password);
                (None, None)
            }
        })
    })
    .await?;
    match (user, digest) {
        (Some(user), Some(digest)) => {
            state.basic_passwords.remember(digest, Instant::now());
            state.sign_in_failures.forget(&email, network);
            Ok(user)
        }
        _ => {
            let store = state.store.clone();
            let failed = email.clone();
            let failures = blocking(move || {
                store.record_login_failure(&failed, now)?;
                store.recent_login_failures(&failed, now)
            })
            .await?;
            state.sign_in_failures.record(&email, network, now);
            tokio::time::sleep(failure_pause(failures)).await;
            Err(wrong())
        }
    }
}

fn wrong() -> ApiError {
    unauthorized(
        "The e-mail address or the password is wrong. Check both: they are your staff \
         account's, as on the staff area's sign-in page.",
    )
}

/// What is remembered of a password that matched: the SHA-256 of the stored hash and the
/// password, so that neither is kept and a new hash forgets it.
fn remembered_digest(hash: &str, password: &str) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(hash.as_bytes());
    digest.update([0]);
    digest.update(password.as_bytes());
    digest.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_basic_headers_with_a_colon_give_credentials() {
        let header = format!("Basic {}", STANDARD.encode("ana@example.org:pass:word"));
        assert_eq!(
            credentials(&header),
            Some(("ana@example.org".to_owned(), "pass:word".to_owned()))
        );
        let lower = format!("basic {}", STANDARD.encode("a@b.c:x"));
        assert_eq!(
            credentials(&lower),
            Some(("a@b.c".to_owned(), "x".to_owned()))
        );
        assert_eq!(credentials("Bearer abc"), None);
        assert_eq!(credentials("Basic !!!"), None);
        assert_eq!(
            credentials(&format!("Basic {}", STANDARD.encode("no colon"))),
            None
        );
        let long = format!("Basic {}", STANDARD.encode("a".repeat(4000)));
        assert_eq!(credentials(&long), None);
    }

    #[test]
    fn a_remembered_password_is_forgotten_after_a_while_and_with_a_new_hash() {
        let remembered = RememberedPasswords::default();
        let start = Instant::now();
        let digest = remembered_digest("$argon2id$one", "secret");
        remembered.remember(digest, start);
        assert!(remembered.knows(&digest, start + Duration::from_secs(60)));
        assert!(!remembered.knows(&digest, start + REMEMBERED_FOR));
        assert!(!remembered.knows(&remembered_digest("$argon2id$two", "secret"), start));
        assert!(!remembered.knows(&remembered_digest("$argon2id$one", "Secret"), start));
    }

    #[test]
    fn at_most_so_many_passwords_are_remembered() {
        let remembered = RememberedPasswords::default();
        let start = Instant::now();
        for n in 0..(MAX_REMEMBERED + 10) {
            let at = start + Duration::from_millis(n as u64);
            remembered.remember(remembered_digest("h", &n.to_string()), at);
        }
        let held = remembered
            .matched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert_eq!(held, MAX_REMEMBERED);
        assert!(!remembered.knows(&remembered_digest("h", "0"), start));
    }
}
