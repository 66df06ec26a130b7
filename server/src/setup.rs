//! The first administrator, made from a browser: while no admin account exists, `letsema
//! serve` opens a one-time set-up link (`/setup#TOKEN`) and prints it. Only the token's
//! SHA-256 is kept, in memory: the link works until it is used or the server restarts, and
//! once an admin exists the set-up routes answer 404. `letsema user add` keeps working.

use std::sync::Mutex;

use crate::auth::{random_token, token_digest};
use crate::error::ApiError;

/// The set-up link's state: closed, or open with the digest of its token.
#[derive(Debug, Default)]
pub struct SetupLink {
    digest: Mutex<Option<[u8; 32]>>,
}

/// Why a set-up token was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupRefusal {
    /// No set-up link is open (it was used, or the server restarted, or an admin exists).
    Closed,
    /// The link is open, but this is not its token.
    WrongToken,
}

impl SetupLink {
    /// Opens the link with a new token, which is returned (and never kept).
    ///
    /// # Errors
    ///
    /// When the system's random source fails.
    pub fn open(&self) -> Result<String, ApiError> {
        let token = random_token()?;
        *self.lock() = Some(token_digest(&token));
        Ok(token)
    }

    /// Whether the link is open.
    pub fn is_open(&self) -> bool {
        self.lock().is_some()
    }

    /// Closes the link if `token` is its token, giving back the digest (so that a set-up
    /// that then fails can [`reopen`](SetupLink::reopen) it). The comparison takes the
    /// same time whatever the token.
    ///
    /// # Errors
    ///
    /// [`SetupRefusal`]: no link is open, or the token is another.
    pub fn take(&self, token: &str) -> Result<[u8; 32], SetupRefusal> {
        let mut open = self.lock();
        let Some(digest) = *open else {
            return Err(SetupRefusal::Closed);
        };
        let given = token_digest(token);
        let differences = digest
            .iter()
            .zip(given.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if differences != 0 {
            return Err(SetupRefusal::WrongToken);
        }
        *open = None;
        Ok(digest)
    }

    /// Opens the link again with the digest [`take`](SetupLink::take) gave, after a set-up
    /// that failed before an account was made.
    pub fn reopen(&self, digest: [u8; 32]) {
        *self.lock() = Some(digest);
    }

    /// Closes the link (an admin exists).
    pub fn close(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<[u8; 32]>> {
        self.digest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_works_once_with_its_own_token() {
        let link = SetupLink::default();
        assert!(!link.is_open());
        assert_eq!(link.take("anything"), Err(SetupRefusal::Closed));
        let token = link.open().expect("a token");
        assert!(link.is_open());
        assert_eq!(link.take("not the token"), Err(SetupRefusal::WrongToken));
        assert!(link.is_open(), "a wrong token does not close it");
        let digest = link.take(&token).expect("its token");
        assert!(!link.is_open());
        assert_eq!(link.take(&token), Err(SetupRefusal::Closed), "only once");
        link.reopen(digest);
        assert!(link.take(&token).is_ok(), "reopened after a failed set-up");
    }
}
