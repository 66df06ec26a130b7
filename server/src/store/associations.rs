//! Associations: a code (`mohales-hoek-nurses`), which scopes staff, enrolments, devices and
//! submissions, and the display name people know it by ("Mohale's Hoek Nurses"). Their
//! types and the rules a code and a name follow whatever the backend
//! ([`AssociationCode::parse`], [`AssociationName::parse`]); [`super::AssociationStore`] is
//! the trait, `sqlite/associations.rs` SQLite's implementation.

use std::fmt;

use serde::Serialize;

use super::DatabaseError;

/// The most characters a display name may have.
pub const MAX_ASSOCIATION_NAME_CHARS: usize = 120;

/// An association's code, checked: 1 to 64 ASCII letters, digits, `-`, `_` or `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AssociationCode(String);

impl AssociationCode {
    /// # Errors
    ///
    /// [`AssociationError::BadCode`] when `code` breaks the rule.
    pub fn parse(code: &str) -> Result<Self, AssociationError> {
        let ok = (1..=64).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok {
            Ok(AssociationCode(code.to_owned()))
        } else {
            Err(AssociationError::BadCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AssociationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An association's display name, checked: trimmed, 1 to [`MAX_ASSOCIATION_NAME_CHARS`]
/// characters, no control character (a line break, a tab) and no text-direction control
/// (which could make the phone show the name reversed or mixed with what follows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationName(String);

impl AssociationName {
    /// The name as given, trimmed, if it follows the rules.
    ///
    /// # Errors
    ///
    /// The first rule broken.
    pub fn parse(text: &str) -> Result<Self, AssociationError> {
        let name = text.trim();
        if name.is_empty() {
            return Err(AssociationError::EmptyName);
        }
        let chars = name.chars().count();
        if chars > MAX_ASSOCIATION_NAME_CHARS {
            return Err(AssociationError::NameTooLong(chars));
        }
        if name.chars().any(super::text::is_hidden) {
            return Err(AssociationError::NameControl);
        }
        Ok(AssociationName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An association as staff see it: every code in use (by staff accounts or enrolments) or
/// named, with its display name when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Association {
    pub code: String,
    pub name: Option<String>,
    /// When it was first named (UTC, RFC 3339); none while it has no name.
    pub created_at: Option<String>,
    /// When its name last changed.
    pub updated_at: Option<String>,
}

/// Which associations a staff member sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssociationScope {
    All,
    Only(Vec<String>),
}

impl AssociationScope {
    pub fn includes(&self, code: &str) -> bool {
        match self {
            AssociationScope::All => true,
            AssociationScope::Only(codes) => codes.iter().any(|own| own == code),
        }
    }
}

/// Why an operation on associations failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AssociationError {
    #[error("an association code has 1 to 64 letters, digits, '-', '_' or '.': check the code")]
    BadCode,
    #[error(
        "the name is empty: give the name people know the association by, such as \
         \"Maseru Nurses' Association\""
    )]
    EmptyName,
    #[error("the name has {0} characters: shorten it to at most {MAX_ASSOCIATION_NAME_CHARS}")]
    NameTooLong(usize),
    #[error(
        "the name contains a control character (a line break, a tab or a text-direction \
         mark): write it on one line without them"
    )]
    NameControl,
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Result<String, String> {
        AssociationName::parse(text)
            .map(|n| n.as_str().to_owned())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_name_is_trimmed_and_kept_as_written() {
        assert_eq!(
            name("  Maseru Nurses' Association \n"),
            Ok("Maseru Nurses' Association".to_owned())
        );
        assert_eq!(
            name("Mokhatlo oa Basali ba Sesotho"),
            Ok("Mokhatlo oa Basali ba Sesotho".to_owned())
        );
        assert_eq!(name("Ê"), Ok("Ê".to_owned()));
    }

    #[test]
    fn a_name_has_1_to_120_characters_not_bytes() {
        assert!(matches!(
            AssociationName::parse(" \t "),
            Err(AssociationError::EmptyName)
        ));
        let longest = "é".repeat(120);
        assert_eq!(name(&longest), Ok(longest.clone()));
        assert!(matches!(
            AssociationName::parse(&format!("{longest}x")),
            Err(AssociationError::NameTooLong(121))
        ));
    }

    #[test]
    fn a_name_has_no_control_or_direction_characters() {
        for bad in [
            "Maseru\nNurses",
            "Maseru\tNurses",
            "a\u{7}b",
            "a\u{202E}b",
            "a\u{2067}b",
        ] {
            assert!(
                matches!(
                    AssociationName::parse(bad),
                    Err(AssociationError::NameControl)
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_code_follows_the_association_rule() {
        for good in ["assoc-a", "mohales-hoek-nurses", "a.b_c", &"x".repeat(64)] {
            assert!(AssociationCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "with space", "ümlaut", "a/b", &"x".repeat(65)] {
            assert!(AssociationCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_scope_includes_its_codes_or_all() {
        assert!(AssociationScope::All.includes("any"));
        let own = AssociationScope::Only(vec!["assoc-a".to_owned()]);
        assert!(own.includes("assoc-a"));
        assert!(!own.includes("assoc-b"));
    }
}
