//! Who is asking: staff sessions (argon2id passwords, HttpOnly SameSite=Strict cookies with
//! an idle timeout, a CSRF token for every state-changing request).
//!
//! Routes ask for a [`Staff`] through [`staff`], then check its role; nothing a request
//! says about itself decides what it may do.

use std::convert::Infallible;
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use warp::Filter;
use warp::http::{Method, StatusCode};

use crate::config::AuthConfig;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{DeviceInfo, Role, SessionInfo, StaffUser};

/// The cookie that carries a staff session.
pub const SESSION_COOKIE: &str = "letsema_session";
/// The header that must echo the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in staff member, as a route sees them.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: StaffUser,
    pub csrf_token: String,
    pub token_sha256: [u8; 32],
    /// The network address the request came from (what the audit log records); none when
    /// the server cannot tell.
    pub address: Option<String>,
}

impl Staff {
    /// [`Staff::address`], as the store's audited methods take it.
    pub fn from(&self) -> Option<&str> {
        self.address.as_deref()
    }
}

impl Staff {
    /// Refuses unless the staff member has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your role does not allow this. Ask an administrator.",
            ))
        }
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// The argon2id PHC string of a password, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Whether `password` matches a PHC string. A malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The rules a new password must meet.
pub fn check_password_strength(password: &str) -> Result<(), String> {
    if password.chars().count() < 12 {
        return Err("a password needs at least 12 characters".to_owned());
    }
    if password.len() > 1024 {
        return Err("a password may have at most 1024 bytes".to_owned());
    }
    Ok(())
}

/// A new random token (256 bits), URL-safe.
pub fn random_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "the system's random source failed");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_randomness",
            "The server cannot make a secure token right now. Try again shortly.",
        )
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a session token.
pub fn token_digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The `Set-Cookie` value that opens a session.
pub fn session_cookie(token: &str, config: &AuthConfig) -> String {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(config: &AuthConfig) -> String {
    let secure = if config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

fn not_signed_in() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "not_signed_in",
        "Sign in first (POST /api/session), or sign in again: sessions end after a while \
         without use.",
    )
}

/// The signed-in staff member, or a 401. State-changing methods also need the session's
/// CSRF token in the `x-csrf-token` header (403 without it).
pub fn staff(state: AppState) -> impl Filter<Extract = (Staff,), Error = warp::Rejection> + Clone {
    warp::cookie::optional::<String>(SESSION_COOKIE)
        .and(warp::method())
        .and(warp::header::optional::<String>(CSRF_HEADER))
        .and(crate::routes::peer_addr())
        .and_then(
            move |token: Option<String>,
                  method: Method,
                  csrf: Option<String>,
                  remote: Option<std::net::SocketAddr>| {
                let state = state.clone();
                async move {
                    authenticate(&state, token, &method, csrf)
                        .await
                        .map(|staff| Staff {
                            address: remote.map(|a| a.ip().to_string()),
                            ..staff
                        })
                        .map_err(warp::reject::custom)
                }
            },
        )
}

/// Like [`staff`], but `None` instead of a 401 when nobody is signed in.
pub fn optional_staff(
    state: AppState,
) -> impl Filter<Extract = (Option<Staff>,), Error = Infallible> + Clone {
    staff(state).map(Some).or(warp::any().map(|| None)).unify()
}

pub(crate) async fn authenticate(
    state: &AppState,
    token: Option<String>,
    method: &Method,
    csrf: Option<String>,
) -> Result<Staff, ApiError> {
    let token = token
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(not_signed_in)?;
    let digest = token_digest(&token);
    let store = state.store.clone();
    let idle = state.auth.idle_timeout_secs;
    let session: Option<SessionInfo> =
        tokio::task::spawn_blocking(move || store.session(&digest, unix_now(), idle))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(|e| {
                tracing::error!(error = %e, "session lookup failed");
                ApiError::internal()
            })?;
    let session = session.ok_or_else(not_signed_in)?;
    let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if changes_state
        && !csrf
            .as_deref()
            .is_some_and(|given| secrets_match(given, &session.csrf_token))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_token_missing",
            "This request changes data, so it needs the x-csrf-token header with the token \
             GET /api/session returns.",
        ));
    }
    Ok(Staff {
        user: session.user,
        csrf_token: session.csrf_token,
        token_sha256: digest,
        address: None,
    })
}

/// Whether a secret a client sent is the expected one, in time that does not depend on where
/// they differ (a timing attack learns nothing byte by byte); only the length may show.
pub fn secrets_match(given: &str, expected: &str) -> bool {
    given.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// The enrolled device making the request (from `Authorization: Bearer CREDENTIAL`), or
/// a 401. A revoked device is refused with a message that tells the volunteer what to do.
pub fn device(
    state: AppState,
) -> impl Filter<Extract = (DeviceInfo,), Error = warp::Rejection> + Clone {
    warp::header::optional::<String>("authorization").and_then(move |header: Option<String>| {
        let state = state.clone();
        async move {
            authenticate_device(&state, header)
                .await
                .map_err(warp::reject::custom)
        }
    })
}

async fn authenticate_device(
    state: &AppState,
    header: Option<String>,
) -> Result<DeviceInfo, ApiError> {
    let not_enrolled = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_enrolled",
            "This device is not enrolled. Open the enrolment link your coordinator gave you.",
        )
    };
    let credential = header
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.len() <= 128)
        .ok_or_else(not_enrolled)?;
    let digest = token_digest(credential);
    let store = state.store.clone();
    let device =
        tokio::task::spawn_blocking(move || store.device_by_credential(&digest, unix_now()))
            .await
            .map_err(|_| ApiError::internal())?
            .map_err(|e| {
                tracing::error!(error = %e, "device lookup failed");
                ApiError::internal()
            })?
            .ok_or_else(not_enrolled)?;
    if device.revoked {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "device_revoked",
            "A coordinator withdrew this device's access. Nothing on it is deleted: export a \
             backup of unsynced submissions and ask your coordinator to enrol the device again.",
        ));
    }
    Ok(device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_their_hash() {
        let hash = hash_password("correct horse battery").expect("hashes");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterY"));
        assert!(!verify_password("not a hash", "anything"));
        let again = hash_password("correct horse battery").expect("hashes");
        assert_ne!(hash, again, "each hash has its own salt");
    }

    #[test]
    fn tokens_are_random_and_stored_only_as_digests() {
        let a = random_token().expect("token");
        let b = random_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_ne!(token_digest(&a), token_digest(&b));
    }

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(secrets_match("token-abc", "token-abc"));
        assert!(!secrets_match("token-abd", "token-abc"));
        assert!(!secrets_match("token-ab", "token-abc"));
        assert!(!secrets_match("", "token-abc"));
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let config = AuthConfig::default();
        let cookie = session_cookie("abc", &config);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(!cookie.contains("Secure"));
        let tls = AuthConfig {
            secure_cookies: true,
            ..config
        };
        assert!(session_cookie("abc", &tls).contains("; Secure"));
    }
}
