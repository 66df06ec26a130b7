//! The score of a pair of people and its explanation.
//!
//! Each field's comparison falls into a level, and each level adds a weight: how much more
//! likely it is between two registrations of one person than between two people (a log
//! likelihood ratio in bits, as Fellegi and Sunter's model has it). The weights are set
//! from what the field means and checked against generated registers
//! (`examples/register_bench.rs`):
//!
//! | field | levels and weights |
//! | --- | --- |
//! | first names | the same +6, one more or one fewer +5 (+2.5 when the first names differ), one typing mistake apart +4, two apart and 0.92 similar +1.5, different −12 |
//! | surname | the same +5, one typing mistake apart +3.5, two apart and 0.92 similar +1.5, the one's surname among the other's given names (a maiden name) +3.5, different −4 for two women (marriage), −5 otherwise |
//! | date of birth | the same +10, day and month swapped +6, one digit +2.5, only the year known and the same +3, different −8 |
//! | phone | the same +7, different −1 (people change SIM cards) |
//! | e-mail | the same +8, different −1 |
//! | sex | different −10 |
//! | country, city | the same +0.5 and +1; another country −0.5 |
//! | profession | the same +1, different −1.5 |
//!
//! A missing field weighs nothing. Names are compared both ways round (first names with
//! first names, and with the other's surname), and the better reading is kept. A very
//! different first name weighs most: it is what tells siblings and twins (one surname, one
//! family phone, even one birth date) apart.

use crate::Person;
use crate::fields::{DateLevel, compare_dates};
use crate::names::{Word, similarity};

/// The score from which a pair is taken to be one person.
pub const SAME_PERSON: f64 = 13.0;

/// Why a pair scores what it does, field by field, in words a reviewer reads: the wire's
/// own type, so that the staff area words each reason in its reviewer's language.
pub use letsema_protocol::reasons::MatchReason as Reason;

/// A pair's score and its reasons, strongest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub score: f64,
    pub reasons: Vec<Reason>,
}

impl Comparison {
    /// Whether the pair is taken to be one person.
    pub fn same_person(&self) -> bool {
        self.score >= SAME_PERSON
    }

    /// The reasons as one line: `same phone; same names after spelling rules; ...`.
    pub fn explanation(&self) -> String {
        letsema_protocol::reasons::explanation(&self.reasons)
    }
}

/// Compares two people.
pub fn compare(a: &Person, b: &Person) -> Comparison {
    // One order for the pair, so that it scores the same whichever is asked about (a name of
    // several words against a surname reads differently each way round).
    let (a, b) = if (a.raw_names.as_str(), a.id.as_str()) <= (b.raw_names.as_str(), b.id.as_str()) {
        (a, b)
    } else {
        (b, a)
    };
    let women = both_women(a, b);
    let weight = |parts: &[(f64, Option<Reason>)]| parts.iter().map(|(w, _)| w).sum::<f64>();
    let straight = names(&a.given, &a.surname, &b.given, &b.surname, women);
    // The other way round only when this way does not read as one name already.
    let swapped = if weight(&straight) < 9.0 {
        names(&a.given, &a.surname, &b.surname, &b.given, women)
    } else {
        Vec::new()
    };
    let mut parts = if !swapped.is_empty() && weight(&swapped) > weight(&straight) + 1.0 {
        let mut parts = swapped;
        parts.push((0.0, Some(Reason::NamesSwapped)));
        parts
    } else {
        straight
    };
    let respelt = a.raw_names != b.raw_names;
    for (_, reason) in &mut parts {
        if let Some(Reason::SameNames { respelt: r }) = reason {
            *r = respelt;
        }
    }
    parts.push(match compare_dates(a.born, b.born) {
        DateLevel::Same => (10.0, Some(Reason::BirthDateSame)),
        DateLevel::DayMonthSwapped => (6.0, Some(Reason::BirthDateSwapped)),
        DateLevel::OneDigit => (2.5, Some(Reason::BirthDateOneDigit)),
        DateLevel::SameYear => (3.0, Some(Reason::BirthYearOnly)),
        DateLevel::Different => (-8.0, Some(Reason::BirthDatesDiffer)),
        DateLevel::Missing => (0.0, None),
    });
    parts.push(match (&a.phone, &b.phone) {
        (Some(x), Some(y)) if x == y => (7.0, Some(Reason::SamePhone)),
        (Some(_), Some(_)) => (-1.0, Some(Reason::OtherPhone)),
        _ => (0.0, None),
    });
    parts.push(match (&a.email, &b.email) {
        (Some(x), Some(y)) if x == y => (8.0, Some(Reason::SameEmail)),
        (Some(_), Some(_)) => (-1.0, Some(Reason::OtherEmail)),
        _ => (0.0, None),
    });
    if let (Some(x), Some(y)) = (&a.sex, &b.sex)
        && x != y
    {
        parts.push((-10.0, Some(Reason::SexDiffers)));
    }
    match (&a.country, &b.country) {
        (Some(x), Some(y)) if x == y => {
            parts.push((0.5, None));
            if let (Some(p), Some(q)) = (&a.city, &b.city)
                && p == q
            {
                parts.push((1.0, Some(Reason::SameCity)));
            }
        }
        (Some(_), Some(_)) => parts.push((-0.5, Some(Reason::OtherCountry))),
        _ => {}
    }
    parts.push(match (&a.profession, &b.profession) {
        (Some(x), Some(y)) if x == y => (1.0, Some(Reason::SameProfession)),
        (Some(_), Some(_)) => (-1.5, Some(Reason::OtherProfession)),
        _ => (0.0, None),
    });
    let score = weight(&parts);
    // Strongest first; what weighs nothing (names swapped) right after the names.
    parts.sort_by(|x, y| y.0.abs().total_cmp(&x.0.abs()));
    Comparison {
        score,
        reasons: parts.into_iter().filter_map(|(_, reason)| reason).collect(),
    }
}

/// The most [`compare`] can score for a pair, from its cheap fields alone (names counted at
/// their best): a pair below [`SAME_PERSON`] by this bound need not be compared.
pub(crate) fn best_possible(a: &Person, b: &Person) -> f64 {
    let mut bound = 11.0 + 1.5 + 1.0;
    bound += match compare_dates(a.born, b.born) {
        DateLevel::Same => 10.0,
        DateLevel::DayMonthSwapped => 6.0,
        DateLevel::OneDigit => 2.5,
        DateLevel::SameYear => 3.0,
        DateLevel::Different => -8.0,
        DateLevel::Missing => 0.0,
    };
    bound += match (&a.phone, &b.phone) {
        (Some(x), Some(y)) if x == y => 7.0,
        (Some(_), Some(_)) => -1.0,
        _ => 0.0,
    };
    bound += match (&a.email, &b.email) {
        (Some(x), Some(y)) if x == y => 8.0,
        (Some(_), Some(_)) => -1.0,
        _ => 0.0,
    };
    if let (Some(x), Some(y)) = (&a.sex, &b.sex)
        && x != y
    {
        bound -= 10.0;
    }
    bound
}

fn both_women(a: &Person, b: &Person) -> bool {
    a.sex.as_deref() == Some("female") && b.sex.as_deref() == Some("female")
}

/// The names' parts of a score: `a`'s first names and surname against `b`'s as given.
fn names(
    given_a: &[Word],
    surname_a: &[Word],
    given_b: &[Word],
    surname_b: &[Word],
    women: bool,
) -> Vec<(f64, Option<Reason>)> {
    // A maiden name kept as a given name is a surname, not a second given name; she keeps
    // a given name of her own besides it.
    let maiden_in_b = !surname_a.is_empty()
        && given_b.len() > surname_a.len()
        && surname_a.iter().all(|w| given_b.contains(w));
    let maiden_in_a = !surname_b.is_empty()
        && given_a.len() > surname_b.len()
        && surname_b.iter().all(|w| given_a.contains(w));
    let without = |given: &'_ [Word], surname: &[Word], maiden: bool| -> Vec<usize> {
        (0..given.len())
            .filter(|&i| !(maiden && surname.contains(&given[i])))
            .collect()
    };
    let core_a = without(given_a, surname_b, maiden_in_a);
    let core_b = without(given_b, surname_a, maiden_in_b);
    let (set_a, set_b) = (folded_set(given_a, &core_a), folded_set(given_b, &core_b));
    let same_set = !set_a.is_empty() && set_a == set_b;
    let subset = !same_set
        && !set_a.is_empty()
        && !set_b.is_empty()
        && (set_a.iter().all(|w| set_b.contains(w)) || set_b.iter().all(|w| set_a.contains(w)));
    let first_of =
        |given: &'_ [Word], core: &[usize]| core.first().map(|&i| given[i].folded.clone());
    let same_first = first_of(given_a, &core_a) == first_of(given_b, &core_b);
    // First names: the first words compared, or (their order changed) the closest pair.
    let first = match (core_a.first(), core_b.first()) {
        (Some(&x), Some(&y)) => {
            let straight = closeness(&given_a[x], &given_b[y]);
            if straight.1 <= 2 {
                straight
            } else {
                core_a
                    .iter()
                    .flat_map(|&x| {
                        core_b
                            .iter()
                            .map(move |&y| closeness(&given_a[x], &given_b[y]))
                    })
                    .filter(|(_, edits)| *edits <= 1)
                    .max_by(|p, q| p.0.total_cmp(&q.0))
                    .unwrap_or(straight)
            }
        }
        _ => (0.0, usize::MAX),
    };
    let surname = (!surname_a.is_empty() && !surname_b.is_empty())
        .then(|| closeness(&joined(surname_a), &joined(surname_b)));
    if same_set && surname.is_some_and(|(_, edits)| edits == 0) {
        return vec![(11.0, Some(Reason::SameNames { respelt: false }))];
    }
    let mut parts = Vec::with_capacity(2);
    let (similar, edits) = first;
    parts.push(if same_set {
        (6.0, Some(Reason::SameFirstNames))
    } else if subset && same_first {
        (5.0, Some(Reason::SecondName))
    } else if subset {
        // The one name they share is not the first of both: a weaker sign.
        (2.5, Some(Reason::SecondName))
    } else if alike(first) == Alike::Typo {
        (
            4.0,
            Some(Reason::FirstNamesSimilar {
                similarity: similar,
            }),
        )
    } else if alike(first) == Alike::Near {
        (
            1.5,
            Some(Reason::FirstNamesSimilar {
                similarity: similar,
            }),
        )
    } else if core_a.is_empty() || core_b.is_empty() || edits == usize::MAX {
        (0.0, None)
    } else {
        (-12.0, Some(Reason::FirstNamesDiffer))
    });
    parts.push(match surname {
        None => (0.0, None),
        Some((_, 0)) => (5.0, Some(Reason::SameSurname)),
        Some(_) if maiden_in_a || maiden_in_b => (3.5, Some(Reason::MaidenName)),
        Some(found) if alike(found) == Alike::Typo => (
            3.5,
            Some(Reason::SurnamesSimilar {
                similarity: found.0,
            }),
        ),
        Some(found) if alike(found) == Alike::Near => (
            1.5,
            Some(Reason::SurnamesSimilar {
                similarity: found.0,
            }),
        ),
        Some(_) if women => (-4.0, Some(Reason::SurnamesDiffer)),
        Some(_) => (-5.0, Some(Reason::SurnamesDiffer)),
    });
    parts
}

/// The folded spellings of some of a name's words, sorted.
fn folded_set<'w>(given: &'w [Word], core: &[usize]) -> Vec<&'w str> {
    let mut words: Vec<&str> = core.iter().map(|&i| given[i].folded.as_str()).collect();
    words.sort_unstable();
    words
}

/// How alike two spellings of a name are: the same, one typing mistake apart (a letter
/// wrong, missing, extra or swapped with the next), two apart in a long name, or not alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alike {
    Typo,
    Near,
    Not,
}

/// Jaro-Winkler similarity of the folded spellings, and the fewest edits between the two
/// words, folded or as typed.
fn closeness(a: &Word, b: &Word) -> (f64, usize) {
    if a.folded == b.folded {
        return (1.0, 0);
    }
    let edits =
        strsim::osa_distance(&a.folded, &b.folded).min(strsim::osa_distance(&a.plain, &b.plain));
    (similarity(&a.folded, &b.folded), edits)
}

fn alike((similar, edits): (f64, usize)) -> Alike {
    match edits {
        0 | 1 => Alike::Typo,
        2 if similar >= 0.92 => Alike::Near,
        _ => Alike::Not,
    }
}

/// A name's words as one word.
fn joined(words: &[Word]) -> std::borrow::Cow<'_, Word> {
    match words {
        [one] => std::borrow::Cow::Borrowed(one),
        _ => std::borrow::Cow::Owned(Word {
            folded: words
                .iter()
                .map(|w| w.folded.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            plain: words
                .iter()
                .map(|w| w.plain.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        }),
    }
}
