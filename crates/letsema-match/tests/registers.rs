//! Duplicate detection on generated registers (`letsema_workload::register`): what a pair
//! scores does not depend on which of the two is asked about, each kind of variation alone
//! is found, and siblings and twins are not taken for one person. The figures (precision and
//! recall at 20,000 and 100,000 registrations, time) are `examples/register_bench.rs`'s:
//! `./dev match-bench`.

mod support;

use letsema_match::{MatchIndex, Person, Record, compare};
use letsema_workload::register::{Origin, RegisterRow, register};

fn record(at: usize, row: &RegisterRow) -> Record {
    support::record(at.to_string(), row)
}

#[test]
fn a_pair_scores_the_same_whichever_is_asked_about() {
    let rows = register(3000, 5, 11);
    let people: Vec<Person> = rows
        .iter()
        .enumerate()
        .map(|(at, row)| Person::new(&record(at, row)))
        .collect();
    // Every true pair, and neighbours in the list (strangers, mostly).
    let mut pairs: Vec<(usize, usize)> = (1..people.len()).map(|i| (i - 1, i)).collect();
    for (i, a) in rows.iter().enumerate() {
        for (j, b) in rows.iter().enumerate().skip(i + 1) {
            if a.person == b.person {
                pairs.push((i, j));
            }
        }
    }
    for (i, j) in pairs {
        let (ab, ba) = (
            compare(&people[i], &people[j]),
            compare(&people[j], &people[i]),
        );
        assert_eq!(ab.score, ba.score, "{:?}\n{:?}", rows[i], rows[j]);
    }
}

#[test]
fn a_further_registration_with_one_variation_is_found_and_hard_negatives_are_not() {
    let rows = register(6000, 5, 23);
    let mut index = MatchIndex::new();
    let mut found: Vec<(usize, usize)> = Vec::new();
    for (at, row) in rows.iter().enumerate() {
        for candidate in index.insert(&record(at, row)) {
            let other: usize = candidate.other.parse().expect("our ids");
            found.push((at.min(other), at.max(other)));
        }
    }
    let first_of = |person: u32| {
        rows.iter()
            .position(|r| r.person == person && r.origin != Origin::Again)
            .expect("a first registration")
    };
    let mut single = 0;
    for (at, row) in rows.iter().enumerate() {
        if row.origin != Origin::Again || row.variations.len() != 1 {
            continue;
        }
        single += 1;
        let first = first_of(row.person);
        assert!(
            found.contains(&(at.min(first), at.max(first))),
            "not found ({:?}):\n{:?}\n{:?}",
            row.variations,
            rows[first],
            row
        );
    }
    assert!(single > 100, "{single} registrations with one variation");
    for (a, b) in &found {
        let (x, y) = (&rows[*a], &rows[*b]);
        if matches!(x.origin, Origin::Sibling | Origin::Twin)
            || matches!(y.origin, Origin::Sibling | Origin::Twin)
        {
            assert_eq!(
                x.person, y.person,
                "a sibling or twin taken for the same person:\n{x:?}\n{y:?}"
            );
        }
    }
}
