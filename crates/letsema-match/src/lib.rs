//! People registered twice: duplicate candidates found by blocking and scoring, each with a
//! score and an explanation a reviewer can read. The decision stays a person's.
//!
//! - [`Record`]: what matching reads of a registration (names, sex, date of birth, phone,
//!   e-mail, country, city, profession), as typed; [`Person`]: the same, normalised (names
//!   folded to one Sesotho spelling, `names`; the phone in E.164 and the date of birth
//!   read, `fields`).
//! - [`compare`]: a pair's [`Comparison`]: its score (the weights are `score`'s) and its
//!   [`Reason`]s, such as "same phone; same names after spelling rules; dates of birth
//!   differ by a swapped day and month". From [`SAME_PERSON`] on, a pair is a candidate.
//! - [`MatchIndex`]: people kept by blocking key (phone, e-mail, name words with the year of
//!   birth, ...), so that a new or changed registration is compared, on arrival, only with
//!   those that share a key: [`MatchIndex::insert`] gives its candidates. A full pass is
//!   every registration inserted in turn.
//! - [`MatchIndex::clusters`]: candidates grouped into people: chains of pairs, where every
//!   registration in a group agrees with every other one.
//!
//! No I/O, no clock, no randomness; the generated registers the weights are checked against
//! are `letsema_workload::register`'s (`examples/register_bench.rs`).
//!
//! ```
//! use letsema_match::{MatchIndex, Record};
//!
//! let mut index = MatchIndex::new();
//! let first = Record {
//!     id: "a".into(),
//!     first_names: "Tšepo".into(),
//!     surname: "Mokhothu".into(),
//!     sex: Some("male".into()),
//!     date_of_birth: Some("1988-04-05".into()),
//!     phone: Some("+27 82 123 4567".into()),
//!     country: Some("south_africa".into()),
//!     ..Record::default()
//! };
//! assert!(index.insert(&first).is_empty());
//! let again = Record {
//!     id: "b".into(),
//!     first_names: "Tshepo".into(),
//!     surname: "Mokgothu".into(),
//!     date_of_birth: Some("1988-05-04".into()),
//!     phone: Some("082 123 4567".into()),
//!     ..first.clone()
//! };
//! let candidates = index.insert(&again);
//! assert_eq!(candidates.len(), 1);
//! assert_eq!(candidates[0].other, "a");
//! assert_eq!(
//!     candidates[0].comparison.explanation(),
//!     "same names after spelling rules; same phone; dates of birth differ by a swapped day \
//!      and month"
//! );
//! ```

mod fields;
mod index;
pub mod names;
mod score;

pub use fields::{BirthDate, DateLevel, compare_dates, e164, email};
pub use index::{Candidate, GROUP_FLOOR, MAX_BLOCK, MatchIndex, blocking_keys};
pub use score::{Comparison, Reason, SAME_PERSON, compare};

/// A registration as matching reads it, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The submission's id.
    pub id: String,
    /// Given names, separated by spaces.
    pub first_names: String,
    pub surname: String,
    /// `female` or `male` (the reference form's choices).
    pub sex: Option<String>,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub date_of_birth: Option<String>,
    /// In any format; read as a number of `country` when it has no country code.
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A country choice of the reference form: `south_africa`, `lesotho`, `uk`, ...
    pub country: Option<String>,
    pub city: Option<String>,
    pub profession: Option<String>,
}

/// A registration normalised for comparing.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: String,
    /// Given names' words (`names::words`).
    pub given: Vec<names::Word>,
    /// The surname's words.
    pub surname: Vec<names::Word>,
    /// The names as typed, lower case: tells "the same" from "the same after the spelling
    /// rules".
    raw_names: String,
    pub sex: Option<String>,
    pub born: Option<BirthDate>,
    /// E.164.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub profession: Option<String>,
}

impl Person {
    /// Normalises a record.
    pub fn new(record: &Record) -> Person {
        let text = |value: &Option<String>| value.as_deref().and_then(fields::plain);
        Person {
            id: record.id.clone(),
            given: names::words(&record.first_names),
            surname: names::words(&record.surname),
            raw_names: format!("{} {}", record.first_names, record.surname)
                .split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
            sex: text(&record.sex),
            born: record.date_of_birth.as_deref().and_then(BirthDate::parse),
            phone: record
                .phone
                .as_deref()
                .and_then(|phone| e164(phone, record.country.as_deref())),
            email: record.email.as_deref().and_then(email),
            country: text(&record.country),
            city: text(&record.city).map(|city| names::fold(&city)),
            profession: text(&record.profession),
        }
    }
}
