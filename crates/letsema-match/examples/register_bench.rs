//! Duplicate detection scored against the truth of a generated register
//! (`letsema_workload::register`): a full pass (every registration inserted in turn into a
//! `MatchIndex`), the candidates clustered into people, and precision and recall counted in
//! pairs of registrations after clustering; recall by kind of variation; then one new
//! registration checked against the whole register, a thousand times.
//!
//! ```sh
//! ./dev match-bench 20000        # or: cargo run --release -p letsema-match --example register_bench -- 20000 5 2026
//! ```
//!
//! Arguments: registrations (default 20,000), duplicates in a hundred (default 5), seed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

#[path = "../tests/support/mod.rs"]
mod support;

use letsema_match::{MatchIndex, Person, Record, compare};
use letsema_workload::register::{Origin, Variation, register};
use support::record;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, default: u64| -> u64 {
        args.get(at)
            .map(|text| text.replace(['_', ','], "").parse().unwrap_or(default))
            .unwrap_or(default)
    };
    let rows_wanted = usize::try_from(number(0, 20_000)).unwrap_or(20_000);
    let percent = u32::try_from(number(1, 5)).unwrap_or(5);
    let seed = number(2, 2026);

    let rows = register(rows_wanted, percent, seed);
    let records: Vec<Record> = rows
        .iter()
        .enumerate()
        .map(|(at, row)| record(at.to_string(), row))
        .collect();
    println!(
        "register: {} registrations of {} people ({} further registrations, {} siblings, {} twins), seed {seed}",
        rows.len(),
        rows.iter().map(|r| r.person).collect::<HashSet<_>>().len(),
        rows.iter().filter(|r| r.origin == Origin::Again).count(),
        rows.iter().filter(|r| r.origin == Origin::Sibling).count(),
        rows.iter().filter(|r| r.origin == Origin::Twin).count(),
    );

    // The full pass.
    let start = Instant::now();
    let mut index = MatchIndex::new();
    let mut pairs: Vec<(String, String, f64)> = Vec::new();
    for record in &records {
        for candidate in index.insert(record) {
            pairs.push((
                record.id.clone(),
                candidate.other,
                candidate.comparison.score,
            ));
        }
    }
    let pass = start.elapsed();
    let borrowed: Vec<(&str, &str, f64)> = pairs
        .iter()
        .map(|(a, b, score)| (a.as_str(), b.as_str(), *score))
        .collect();
    let groups = index.clusters(&borrowed);
    let clustered = start.elapsed();

    // Pairs after clustering, and the truth's.
    let mut predicted: HashSet<(usize, usize)> = HashSet::new();
    for group in &groups {
        let members: Vec<usize> = group.iter().filter_map(|id| id.parse().ok()).collect();
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                predicted.insert(((*a).min(*b), (*a).max(*b)));
            }
        }
    }
    let mut by_person: HashMap<u32, Vec<usize>> = HashMap::new();
    for (at, row) in rows.iter().enumerate() {
        by_person.entry(row.person).or_default().push(at);
    }
    let mut truth: Vec<(usize, usize)> = Vec::new();
    for members in by_person.values() {
        for (i, a) in members.iter().enumerate() {
            for b in &members[i + 1..] {
                truth.push(((*a).min(*b), (*a).max(*b)));
            }
        }
    }
    let found = truth.iter().filter(|pair| predicted.contains(pair)).count();
    let precision = if predicted.is_empty() {
        1.0
    } else {
        found as f64 / predicted.len() as f64
    };
    let recall = if truth.is_empty() {
        1.0
    } else {
        found as f64 / truth.len() as f64
    };
    println!(
        "full pass: {:.2} s ({:.2} s with clustering); {} candidate pairs, {} people in {} clusters",
        pass.as_secs_f64(),
        clustered.as_secs_f64(),
        pairs.len(),
        groups.iter().map(Vec::len).sum::<usize>(),
        groups.len()
    );
    println!(
        "pairs after clustering: {} true, {} predicted, {} right: precision {precision:.4}, recall {recall:.4}",
        truth.len(),
        predicted.len(),
        found
    );

    // Recall by kind of variation: a pair counts for every variation either of its rows has.
    let mut kinds: BTreeMap<Variation, (usize, usize)> = BTreeMap::new();
    for pair in &truth {
        let hit = predicted.contains(pair);
        let mut variations: Vec<Variation> = rows[pair.0].variations.clone();
        variations.extend(rows[pair.1].variations.iter().copied());
        variations.sort();
        variations.dedup();
        for variation in variations {
            let entry = kinds.entry(variation).or_default();
            entry.0 += usize::from(hit);
            entry.1 += 1;
        }
    }
    println!("recall by variation (pairs with it found / pairs with it):");
    for (variation, (hit, all)) in &kinds {
        println!(
            "  {:<24} {:.3}  ({hit} / {all})",
            variation.name(),
            *hit as f64 / (*all).max(1) as f64
        );
    }
    // The wrong pairs: of whom.
    let mut wrong: BTreeMap<&str, usize> = BTreeMap::new();
    for (a, b) in predicted
        .iter()
        .filter(|pair| !truth.contains(pair))
        .take(100_000)
    {
        let (x, y) = (&rows[*a], &rows[*b]);
        let kind = if matches!(x.origin, Origin::Twin) || matches!(y.origin, Origin::Twin) {
            "a twin"
        } else if matches!(x.origin, Origin::Sibling) || matches!(y.origin, Origin::Sibling) {
            "a sibling"
        } else {
            "other people"
        };
        *wrong.entry(kind).or_default() += 1;
    }
    println!("wrong pairs: {wrong:?}");
    // SHOW_WRONG=N and SHOW_MISSED=N print that many wrong and missed pairs, to read.
    let wrong_pairs: Vec<(usize, usize)> = predicted
        .iter()
        .filter(|pair| !truth.contains(pair))
        .copied()
        .collect();
    let missed_pairs: Vec<(usize, usize)> = truth
        .iter()
        .filter(|pair| !predicted.contains(pair))
        .copied()
        .collect();
    for (variable, label, list) in [
        ("SHOW_WRONG", "wrong", &wrong_pairs),
        ("SHOW_MISSED", "missed", &missed_pairs),
    ] {
        let count: usize = std::env::var(variable)
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        for (a, b) in list.iter().take(count) {
            let (x, y) = (&records[*a], &records[*b]);
            let comparison = compare(&Person::new(x), &Person::new(y));
            let mut kinds: Vec<&str> = rows[*a]
                .variations
                .iter()
                .chain(&rows[*b].variations)
                .map(|v| v.name())
                .collect();
            kinds.dedup();
            println!(
                "  {label} ({}): {:.1}: {}\n    {} | {} | {:?} | {:?} | {:?}\n    {} | {} | {:?} | {:?} | {:?}",
                kinds.join(", "),
                comparison.score,
                comparison.explanation(),
                x.first_names,
                x.surname,
                x.date_of_birth,
                x.phone,
                x.email,
                y.first_names,
                y.surname,
                y.date_of_birth,
                y.phone,
                y.email,
            );
        }
    }

    // One new registration checked against the whole register.
    let fresh = register(1000, percent, seed + 1);
    let mut times: Vec<Duration> = fresh
        .iter()
        .enumerate()
        .map(|(at, row)| {
            let record = record(format!("new-{at}"), row);
            let start = Instant::now();
            let candidates = index.candidates(&record);
            let took = start.elapsed();
            std::hint::black_box(candidates);
            took
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
    println!(
        "one new registration against {}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        index.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
