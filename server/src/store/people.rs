//! Staff accounts, sessions, failed logins and the audit log: their types and the rules an
//! account follows whatever the backend ([`NewUser::check`]); [`super::PeopleStore`] is the trait,
//! `sqlite/people.rs` SQLite's implementation. Password hashing happens outside (in
//! `crate::auth`), never while the database is held.

use super::DatabaseError;

/// What a staff member may do, and a staff account as the API shows it: the wire's types.
pub use letsema_protocol::staff::{Role, StaffUser, UnknownRole};

/// A staff account to create. The password is already hashed.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// For a reviewer: the associations they may see (empty: all). For a coordinator:
    /// exactly one. For an admin: none.
    pub associations: Vec<String>,
    pub password_hash: String,
}

/// A signed-in staff member and the CSRF token of their session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    pub user: StaffUser,
    pub csrf_token: String,
}

impl From<UnknownRole> for PeopleError {
    fn from(error: UnknownRole) -> Self {
        PeopleError::UnknownRole(error.0)
    }
}

/// Why an operation on people failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("unknown role {0:?}: use admin, reviewer or coordinator")]
    UnknownRole(String),
    #[error("{0:?} is not an e-mail address: give one such as name@example.org")]
    BadEmail(String),
    #[error("a coordinator belongs to exactly one association: give it with --association")]
    CoordinatorAssociation,
    #[error("an admin sees every association: give no --association")]
    AdminAssociation,
    #[error("{0:?} is not an association name: use 1 to 64 letters, digits, '-', '_' or '.'")]
    BadAssociation(String),
    #[error("the association {0:?} is named twice: name each once")]
    AssociationTwice(String),
    #[error(transparent)]
    BadText(#[from] super::TextError),
    #[error("an account for {0} exists already")]
    EmailTaken(String),
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
}

/// Failed logins further back than this are forgotten.
pub const LOGIN_FAILURE_WINDOW_SECS: i64 = 15 * 60;

impl NewUser {
    /// The account's own rules, whatever the backend: a valid e-mail address, a display
    /// name by [`super::check_text`]'s rule, association codes each named once, one association for a coordinator, none for an admin. Every
    /// [`super::PeopleStore::add_user`] checks these first.
    ///
    /// # Errors
    ///
    /// The first rule broken.
    pub fn check(&self) -> Result<(), PeopleError> {
        validate_email(&self.email)?;
        super::check_text(
            "display_name",
            &self.display_name,
            super::MAX_DISPLAY_NAME_CHARS,
        )?;
        for (i, association) in self.associations.iter().enumerate() {
            validate_association(association)?;
            if self.associations[..i].contains(association) {
                return Err(PeopleError::AssociationTwice(association.clone()));
            }
        }
        match self.role {
            Role::Coordinator if self.associations.len() != 1 => {
                Err(PeopleError::CoordinatorAssociation)
            }
            Role::Admin if !self.associations.is_empty() => Err(PeopleError::AdminAssociation),
            _ => Ok(()),
        }
    }
}

fn validate_email(email: &str) -> Result<(), PeopleError> {
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(PeopleError::BadEmail(email.to_owned()))
    }
}

/// An association code by [`AssociationCode::parse`]'s rule, the one rule for codes.
fn validate_association(name: &str) -> Result<(), PeopleError> {
    super::AssociationCode::parse(name)
        .map(|_| ())
        .map_err(|_| PeopleError::BadAssociation(name.to_owned()))
}
