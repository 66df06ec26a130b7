//! Letsema's form engine.
//!
//! The same code runs in the browser (compiled to WebAssembly) and on the server, so that a
//! submission the phone accepted is judged the same way when it reaches the server. It does
//! no I/O: the clock, random ids and answers are always passed in.
//!
//! ```
//! use chrono::NaiveDate;
//! use letsema_form::age_in_years;
//!
//! let born = NaiveDate::from_ymd_opt(1990, 6, 15).unwrap();
//! let today = NaiveDate::from_ymd_opt(2026, 6, 14).unwrap();
//! assert_eq!(age_in_years(born, today), Some(35));
//! ```

pub mod model;
pub mod runtime;

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The version of the form engine, reported by the server and shown by the web app so that a
/// mismatch between the two is visible.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// What this build of the form engine is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    /// The crate version, the same on every target.
    pub version: Cow<'static, str>,
    /// The architecture the engine was compiled for (`wasm32`, `x86_64`, ...).
    pub arch: Cow<'static, str>,
}

/// Describes this build of the form engine.
pub fn engine_info() -> EngineInfo {
    EngineInfo {
        version: Cow::Borrowed(ENGINE_VERSION),
        arch: Cow::Borrowed(std::env::consts::ARCH),
    }
}

/// A person's age in whole years on a given day, as the reference form computes it from the
/// date of birth. `None` when the birth date is after `on`: the form shows no age rather than
/// a negative one.
///
/// Someone born on 29 February turns a year older on 1 March in common years, as the law of
/// most countries counts it.
pub fn age_in_years(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    on.years_since(born)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test dates are valid")
    }

    #[track_caller]
    fn check(born: &str, on: &str, expected: Option<u32>) {
        assert_eq!(
            age_in_years(date(born), date(on)),
            expected,
            "born {born}, on {on}"
        );
    }

    #[test]
    fn age_counts_whole_years() {
        check("1990-06-15", "2026-06-14", Some(35));
        check("1990-06-15", "2026-06-15", Some(36));
        check("1990-06-15", "2026-06-16", Some(36));
        check("2026-06-15", "2026-06-15", Some(0));
        check("2000-12-31", "2001-01-01", Some(0));
    }

    #[test]
    fn leap_day_birthdays_turn_on_first_of_march() {
        check("2004-02-29", "2005-02-28", Some(0));
        check("2004-02-29", "2005-03-01", Some(1));
        check("2004-02-29", "2008-02-29", Some(4));
    }

    #[test]
    fn a_birth_date_in_the_future_has_no_age() {
        check("2030-01-01", "2026-06-15", None);
    }

    #[test]
    fn engine_info_serialises_version_and_arch() {
        let json = serde_json::to_value(engine_info()).expect("serialisable");
        assert_eq!(json["version"], ENGINE_VERSION);
        assert_eq!(json["arch"], std::env::consts::ARCH);
    }
}
