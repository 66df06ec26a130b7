//! Why two registrations may be one person, field by field: what the matching engine
//! (`letsema-match`) finds, what `GET /api/duplicates` sends with each pair, and what the
//! staff area words in the reviewer's language.
//!
//! A pair's explanation is stored as its English line (`same phone; same names after
//! spelling rules; ...`, [`explanation`]); [`parse_explanation`] reads the reasons back from
//! it, so that the line is the one record of them and pairs found by any release read alike.
//! A phrase this release does not know is kept as [`MatchReason::Other`].

use std::fmt;

use serde::{Deserialize, Serialize};

/// One reason, in the order the engine weighs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MatchReason {
    SamePhone,
    OtherPhone,
    SameEmail,
    OtherEmail,
    /// The names are the same once spelt alike; `respelt`: only after the spelling rules.
    SameNames {
        respelt: bool,
    },
    /// The first names and surname are written the other way round.
    NamesSwapped,
    SameFirstNames,
    SameSurname,
    /// One has a given name the other lacks.
    SecondName,
    /// First names alike, this similar (0 to 1).
    FirstNamesSimilar {
        similarity: f64,
    },
    FirstNamesDiffer,
    /// Surnames alike, this similar (0 to 1).
    SurnamesSimilar {
        similarity: f64,
    },
    /// One's surname is among the other's given names.
    MaidenName,
    SurnamesDiffer,
    BirthDateSame,
    BirthDateOneDigit,
    BirthDateSwapped,
    BirthYearOnly,
    BirthDatesDiffer,
    SexDiffers,
    SameCity,
    OtherCountry,
    SameProfession,
    OtherProfession,
    /// A phrase this release does not know (from another release), as written.
    Other {
        text: String,
    },
}

/// The reasons' fixed phrases; the two with a number are read apart.
const PHRASES: [(&str, MatchReason); 23] = [
    ("same phone", MatchReason::SamePhone),
    ("other phone", MatchReason::OtherPhone),
    ("same e-mail", MatchReason::SameEmail),
    ("other e-mail", MatchReason::OtherEmail),
    ("same names", MatchReason::SameNames { respelt: false }),
    (
        "same names after spelling rules",
        MatchReason::SameNames { respelt: true },
    ),
    ("first names and surname swapped", MatchReason::NamesSwapped),
    ("same first names", MatchReason::SameFirstNames),
    ("same surname", MatchReason::SameSurname),
    ("a second given name on one only", MatchReason::SecondName),
    ("first names differ", MatchReason::FirstNamesDiffer),
    (
        "one's surname is among the other's given names",
        MatchReason::MaidenName,
    ),
    ("surnames differ", MatchReason::SurnamesDiffer),
    ("same date of birth", MatchReason::BirthDateSame),
    (
        "dates of birth differ by one digit",
        MatchReason::BirthDateOneDigit,
    ),
    (
        "dates of birth differ by a swapped day and month",
        MatchReason::BirthDateSwapped,
    ),
    (
        "same year of birth (only the year known)",
        MatchReason::BirthYearOnly,
    ),
    ("dates of birth differ", MatchReason::BirthDatesDiffer),
    ("sex differs", MatchReason::SexDiffers),
    ("same city", MatchReason::SameCity),
    ("other country", MatchReason::OtherCountry),
    ("same profession", MatchReason::SameProfession),
    ("other profession", MatchReason::OtherProfession),
];

impl fmt::Display for MatchReason {
    /// The reason in English, as the explanation line writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchReason::FirstNamesSimilar { similarity } => {
                write!(f, "first names {similarity:.2} similar")
            }
            MatchReason::SurnamesSimilar { similarity } => {
                write!(f, "surnames {similarity:.2} similar")
            }
            MatchReason::Other { text } => f.write_str(text),
            known => {
                let phrase = PHRASES
                    .iter()
                    .find(|(_, reason)| reason == known)
                    .map_or("", |(phrase, _)| phrase);
                f.write_str(phrase)
            }
        }
    }
}

impl MatchReason {
    /// The reason a phrase of an explanation line says.
    pub fn parse(phrase: &str) -> MatchReason {
        let phrase = phrase.trim();
        if let Some((_, reason)) = PHRASES.iter().find(|(text, _)| *text == phrase) {
            return reason.clone();
        }
        let similar = |prefix: &str| {
            phrase
                .strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix(" similar"))
                .and_then(|number| number.parse::<f64>().ok())
                .filter(|number| (0.0..=1.0).contains(number))
        };
        if let Some(similarity) = similar("first names ") {
            return MatchReason::FirstNamesSimilar { similarity };
        }
        if let Some(similarity) = similar("surnames ") {
            return MatchReason::SurnamesSimilar { similarity };
        }
        MatchReason::Other {
            text: phrase.to_owned(),
        }
    }
}

/// The reasons as one English line: `same phone; same names after spelling rules; ...`.
pub fn explanation(reasons: &[MatchReason]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reasons of an explanation line ([`explanation`]'s).
pub fn parse_explanation(line: &str) -> Vec<MatchReason> {
    line.split("; ")
        .filter(|phrase| !phrase.trim().is_empty())
        .map(MatchReason::parse)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_reason() -> Vec<MatchReason> {
        let mut all: Vec<MatchReason> = PHRASES.iter().map(|(_, reason)| reason.clone()).collect();
        all.extend([
            MatchReason::FirstNamesSimilar { similarity: 0.93 },
            MatchReason::SurnamesSimilar { similarity: 0.5 },
        ]);
        all
    }

    #[test]
    fn every_reason_reads_back_from_its_line() {
        let all = every_reason();
        assert_eq!(parse_explanation(&explanation(&all)), all);
        // Each phrase is its own: no two reasons are written alike.
        for reason in &all {
            assert_eq!(&MatchReason::parse(&reason.to_string()), reason);
        }
    }

    #[test]
    fn a_phrase_of_another_release_is_kept_as_written() {
        assert_eq!(
            parse_explanation("same phone; same shoe size"),
            [
                MatchReason::SamePhone,
                MatchReason::Other {
                    text: "same shoe size".into()
                }
            ]
        );
        assert_eq!(
            MatchReason::parse("first names 7 similar"),
            MatchReason::Other {
                text: "first names 7 similar".into()
            },
            "a similarity is between 0 and 1"
        );
        assert!(parse_explanation("").is_empty());
    }

    #[test]
    fn reasons_travel_as_tagged_objects() {
        let json = serde_json::to_string(&[
            MatchReason::SamePhone,
            MatchReason::FirstNamesSimilar { similarity: 0.93 },
        ])
        .expect("json");
        assert_eq!(
            json,
            r#"[{"kind":"same_phone"},{"kind":"first_names_similar","similarity":0.93}]"#
        );
    }
}
