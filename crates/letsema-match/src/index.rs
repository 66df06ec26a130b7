//! People kept by blocking key, compared on arrival with those they share a key with.
//!
//! A pair is compared only when the two share a key: the same phone, the same e-mail, the
//! same first and last name words (in either order), the same first name and year of birth,
//! or the same surname and year of birth. A registration that changes every one of these
//! at once is not found; every kind of variation alone, and most pairs of them, keep one.
//! A key shared by more than [`MAX_BLOCK`] people (a shared office phone, say) is not used
//! to compare: it would cost more than it finds.

use std::collections::HashMap;
use std::hash::Hasher;

use fnv::FnvHasher;

use crate::score::{Comparison, SAME_PERSON, best_possible, compare};
use crate::{Person, Record};

/// The most people a blocking key compares with each other.
pub const MAX_BLOCK: usize = 500;

/// A registration that may be the same person as the one inserted.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The other registration's id.
    pub other: String,
    pub comparison: Comparison,
}

/// Every registration inserted, by blocking key.
#[derive(Debug, Default)]
pub struct MatchIndex {
    people: Vec<Option<Person>>,
    slots: HashMap<String, usize>,
    blocks: HashMap<u64, Vec<usize>>,
}

impl MatchIndex {
    pub fn new() -> MatchIndex {
        MatchIndex::default()
    }

    /// How many registrations it holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds a registration (or replaces the one with its id) and gives the registrations
    /// already held that may be the same person: those it shares a key with and scores
    /// [`crate::SAME_PERSON`] or more with, best first.
    pub fn insert(&mut self, record: &Record) -> Vec<Candidate> {
        self.remove(&record.id);
        let person = Person::new(record);
        let candidates = self.candidates_of(&person);
        let slot = self.people.len();
        for key in keys(&person) {
            self.blocks.entry(key).or_default().push(slot);
        }
        self.slots.insert(person.id.clone(), slot);
        self.people.push(Some(person));
        candidates
    }

    /// The registrations held that may be the same person as `record`, without adding it.
    pub fn candidates(&self, record: &Record) -> Vec<Candidate> {
        self.candidates_of(&Person::new(record))
    }

    /// Removes a registration (withdrawn, or about to change).
    pub fn remove(&mut self, id: &str) {
        let Some(slot) = self.slots.remove(id) else {
            return;
        };
        if let Some(person) = self.people.get_mut(slot).and_then(Option::take) {
            for key in keys(&person) {
                if let Some(block) = self.blocks.get_mut(&key) {
                    block.retain(|s| *s != slot);
                    if block.is_empty() {
                        self.blocks.remove(&key);
                    }
                }
            }
        }
    }

    fn candidates_of(&self, person: &Person) -> Vec<Candidate> {
        let mut slots: Vec<usize> = Vec::new();
        for key in keys(person) {
            if let Some(block) = self.blocks.get(&key).filter(|b| b.len() <= MAX_BLOCK) {
                slots.extend_from_slice(block);
            }
        }
        slots.sort_unstable();
        slots.dedup();
        let mut found: Vec<Candidate> = slots
            .into_iter()
            .filter_map(|slot| self.people.get(slot).and_then(Option::as_ref))
            .filter(|other| other.id != person.id)
            .filter(|other| best_possible(person, other) >= SAME_PERSON)
            .filter_map(|other| {
                let comparison = compare(person, other);
                comparison.same_person().then(|| Candidate {
                    other: other.id.clone(),
                    comparison,
                })
            })
            .collect();
        found.sort_by(|a, b| b.comparison.score.total_cmp(&a.comparison.score));
        found
    }
}

/// A registration's blocking keys, as a database keeps them: two registrations are
/// compared only if they share one. The same on every machine and in every release (a
/// 64-bit FNV-1a hash of the key's parts), so that keys stored by one server find those
/// stored by another. None for a registration with nothing to block on.
pub fn blocking_keys(record: &Record) -> Vec<i64> {
    keys(&Person::new(record))
        .into_iter()
        .map(|key| i64::from_ne_bytes(key.to_ne_bytes()))
        .collect()
}

/// A person's blocking keys, hashed.
fn keys(person: &Person) -> Vec<u64> {
    let mut keys = Vec::with_capacity(6);
    let mut add = |kind: u8, parts: &[&str]| {
        let mut hasher = FnvHasher::default();
        hasher.write(&[kind]);
        for part in parts {
            hasher.write(part.as_bytes());
            // A separator no text holds: ("ab", "c") and ("a", "bc") differ.
            hasher.write(&[0xff]);
        }
        keys.push(hasher.finish());
    };
    if let Some(phone) = &person.phone {
        add(1, &[phone]);
    }
    if let Some(email) = &person.email {
        add(2, &[email]);
    }
    let first = person.given.first().map(|w| w.folded.as_str());
    let last = person.surname.last().map(|w| w.folded.as_str());
    if let (Some(first), Some(last)) = (first, last) {
        // Either order: names swapped between the fields share it.
        let (x, y) = if first <= last {
            (first, last)
        } else {
            (last, first)
        };
        add(3, &[x, y]);
    }
    if let Some(born) = person.born {
        let year = born.year.to_string();
        // Every given name with the year: a married name, or a second name added before
        // the first, still shares one.
        for given in &person.given {
            add(4, &[&given.folded, &year]);
        }
        if let Some(last) = last {
            add(5, &[last, &year]);
            // A surname written as the first name.
            add(4, &[last, &year]);
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// How well the registrations of one person must agree with each other: a group formed by
/// a chain of candidate pairs keeps a registration only if it scores at least this with
/// every other one in the group (so that two people joined through a third are not one).
pub const GROUP_FLOOR: f64 = 4.0;

impl MatchIndex {
    /// The candidate pairs grouped into people, strongest pairs first: a pair joins two
    /// groups only if every registration of one scores at least [`GROUP_FLOOR`] with every
    /// registration of the other. Each group's ids sorted; ids in no pair (or not held) are
    /// left out.
    pub fn clusters<'a>(&self, pairs: &[(&'a str, &'a str, f64)]) -> Vec<Vec<&'a str>> {
        let mut ordered: Vec<&(&str, &str, f64)> = pairs.iter().collect();
        ordered.sort_by(|x, y| y.2.total_cmp(&x.2));
        let mut group_of: HashMap<&'a str, usize> = HashMap::new();
        let mut groups: Vec<Vec<&'a str>> = Vec::new();
        for &&(a, b, _) in &ordered {
            let (Some(ga), Some(gb)) = (
                self.group(&mut group_of, &mut groups, a),
                self.group(&mut group_of, &mut groups, b),
            ) else {
                continue;
            };
            if ga == gb {
                continue;
            }
            let agree = groups[ga].iter().all(|x| {
                groups[gb]
                    .iter()
                    .all(|y| match (self.person(x), self.person(y)) {
                        (Some(p), Some(q)) => compare(p, q).score >= GROUP_FLOOR,
                        _ => false,
                    })
            });
            if !agree {
                continue;
            }
            let moved = std::mem::take(&mut groups[gb]);
            for id in &moved {
                group_of.insert(id, ga);
            }
            groups[ga].extend(moved);
        }
        let mut out: Vec<Vec<&str>> = groups
            .into_iter()
            .filter(|group| group.len() > 1)
            .map(|mut group| {
                group.sort_unstable();
                group
            })
            .collect();
        out.sort();
        out
    }

    /// The group of `id`, made for it if it has none; none if the index does not hold it.
    fn group<'a>(
        &self,
        group_of: &mut HashMap<&'a str, usize>,
        groups: &mut Vec<Vec<&'a str>>,
        id: &'a str,
    ) -> Option<usize> {
        if let Some(group) = group_of.get(id) {
            return Some(*group);
        }
        self.slots.get(id)?;
        groups.push(vec![id]);
        group_of.insert(id, groups.len() - 1);
        Some(groups.len() - 1)
    }

    fn person(&self, id: &str) -> Option<&Person> {
        self.slots
            .get(id)
            .and_then(|slot| self.people.get(*slot))
            .and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, first: &str, surname: &str, born: &str, phone: &str) -> Record {
        Record {
            id: id.into(),
            first_names: first.into(),
            surname: surname.into(),
            sex: Some("female".into()),
            date_of_birth: Some(born.into()),
            phone: Some(phone.into()),
            country: Some("south_africa".into()),
            ..Record::default()
        }
    }

    #[test]
    fn stored_blocking_keys_are_shared_by_spellings_and_never_change() {
        let lesotho = record("a", "Tšepo", "Mokhothu", "1988-04-05", "+27 82 123 4567");
        let south_africa = record("b", "Tshepo", "Mokgothu", "1988-05-04", "0821234567");
        let keys = blocking_keys(&lesotho);
        assert_eq!(keys, blocking_keys(&south_africa));
        // Keys are stored by one release and read by the next: their values are fixed. The
        // phone's key is FNV-1a of kind 1 and "+27821234567".
        let phone = -5514830456251385419;
        assert!(
            keys.contains(&phone),
            "{keys:?} lacks the phone's key {phone}"
        );
        assert!(blocking_keys(&Record::default()).is_empty());
    }

    #[test]
    fn a_married_nurse_on_a_new_phone_is_found_and_her_sister_is_not() {
        let mut index = MatchIndex::new();
        assert!(
            index
                .insert(&record(
                    "a",
                    "Palesa",
                    "Mokhothu",
                    "1990-03-14",
                    "082 123 4567"
                ))
                .is_empty()
        );
        // Her sister: the family phone, another first name and birth date.
        assert!(
            index
                .insert(&record(
                    "b",
                    "Lineo",
                    "Mokhothu",
                    "1994-07-02",
                    "+27821234567"
                ))
                .is_empty()
        );
        // Her twin: the same birth date and phone.
        assert!(
            index
                .insert(&record(
                    "c",
                    "Lerato",
                    "Mokhothu",
                    "1990-03-14",
                    "+27821234567"
                ))
                .is_empty()
        );
        // Palesa again, married, her maiden name kept, on a new phone.
        let found = index.insert(&record(
            "d",
            "Palesa Mokhothu",
            "Letsie",
            "1990-03-14",
            "083 555 0000",
        ));
        let ids: Vec<&str> = found.iter().map(|c| c.other.as_str()).collect();
        assert_eq!(ids, ["a"], "{found:?}");
        assert!(
            found[0]
                .comparison
                .explanation()
                .contains("surname is among")
        );
    }

    #[test]
    fn a_changed_registration_replaces_its_old_self_and_a_removed_one_is_gone() {
        let mut index = MatchIndex::new();
        index.insert(&record(
            "a",
            "Palesa",
            "Mokhothu",
            "1990-03-14",
            "082 123 4567",
        ));
        index.insert(&record(
            "b",
            "Thabo",
            "Letsie",
            "1970-01-01",
            "084 000 0000",
        ));
        assert_eq!(index.len(), 2);
        let changed = index.insert(&record(
            "b",
            "Palesa",
            "Mokhothu",
            "1990-03-14",
            "082 123 4567",
        ));
        assert_eq!(changed.len(), 1);
        assert_eq!(index.len(), 2);
        index.remove("a");
        assert!(
            index
                .candidates(&record(
                    "c",
                    "Palesa",
                    "Mokhothu",
                    "1990-03-14",
                    "082 123 4567"
                ))
                .iter()
                .all(|c| c.other == "b")
        );
    }

    #[test]
    fn pairs_chain_into_people_who_agree_with_each_other() {
        let mut index = MatchIndex::new();
        for r in [
            record("a", "Palesa", "Mokhothu", "1990-03-14", "082 123 4567"),
            record("b", "Palesa", "Mokhothu", "1990-03-14", "083 000 0001"),
            record("c", "Palesa", "Mokhothu", "1991-07-30", "083 000 0001"),
            record("d", "Thabo", "Letsie", "1970-01-01", "084 000 0000"),
            record("e", "Thabo", "Letsie", "1970-01-01", "084 000 0000"),
        ] {
            index.insert(&r);
        }
        // b and c share a phone, a and b their names and birth date; a and c are two
        // people (other birth dates), so c stays out of a's and b's group.
        let groups = index.clusters(&[("a", "b", 20.0), ("b", "c", 13.0), ("d", "e", 30.0)]);
        assert_eq!(groups, vec![vec!["a", "b"], vec!["d", "e"]]);
    }
}
