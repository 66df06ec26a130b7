//! Issue 19's "one new submission checked in under 10 ms", measured where it happens: a store
//! (SQLite in a temporary directory, or the PostgreSQL database `--database URL` names)
//! holding HELD registrations of a generated register (`letsema_workload::register`, 5%
//! registered again), synced by a phone and validated; then ARRIVE more registrations, each
//! synced and validated alone, and the validator's comparison on arrival
//! (`duplicates::match_arrivals`: the neighbours read from the database, compared, the pairs
//! written) timed for each.
//!
//! `./dev arrival-bench [HELD] [ARRIVE] [sqlite|postgres]` runs it in release.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use letsema_doc::{
    Answers, DocId, FormId, FormVersion, NewSubmission, SubmissionDoc, SubmissionId, Timestamp,
};
use letsema_server::duplicates::match_arrivals;
use letsema_server::store::{
    AssociationScope, Database, FormCache, MAX_PAIRS_PAGE, PairQuery, PairStatus, REFERENCE_FORM,
    publish_file,
};
use letsema_server::validator::judge;
use letsema_workload::register::{RegisterRow, register};
use support::{Phone, validate_everything};

const ASSOCIATION: &str = "bench-association";
/// 2026-05-28.
const T0: i64 = 1_780_000_000_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, default: usize| {
        args.get(at)
            .map(|a| a.parse().expect("HELD and ARRIVE are numbers"))
            .unwrap_or(default)
    };
    let (held, arrive) = (number(0, 100_000), number(1, 1_000));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let database = match std::env::var("LETSEMA_DATABASE_URL") {
        Ok(url) => Database::Postgres { url, pool_size: 4 },
        Err(_) => Database::Embedded(dir.path().to_owned()),
    };
    let store = database.open().expect("the store opens").store;
    let (name, bytes) = REFERENCE_FORM;
    let version = publish_file(&*store, name, bytes, "bench")
        .expect("the reference form publishes")
        .version;

    let rows = register(held + arrive, 5, 2026);
    let mut phone = Phone::new("bench-phone", ASSOCIATION);
    let started = Instant::now();
    // Who each registration is: the register's truth, to score the pairs found.
    let mut person: HashMap<DocId, u32> = HashMap::with_capacity(held + arrive);
    for (i, row) in rows.iter().take(held).enumerate() {
        person.insert(phone.capture(&version, i, row), row.person);
        if (i + 1) % 2_000 == 0 || i + 1 == held {
            phone.sync(&store);
            eprint!("\rheld: {} synced", i + 1);
        }
    }
    let mut cache = FormCache::default();
    validate_everything(&store, &mut cache);
    println!(
        "{held} registrations held: synced and validated (with their comparison on arrival) in \
         {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let mut timings: Vec<Duration> = Vec::with_capacity(arrive);
    let mut found = 0usize;
    for (i, row) in rows.iter().enumerate().skip(held) {
        person.insert(phone.capture(&version, i, row), row.person);
        phone.sync(&store);
        let pending = store.pending(10).expect("pending");
        assert_eq!(pending.len(), 1, "one new registration waits");
        let judged = judge(&*store, pending, &mut cache);
        let written = store.record_verdicts(&judged).expect("recorded");
        let start = Instant::now();
        found += match_arrivals(&*store, &judged, &written).expect("compared");
        timings.push(start.elapsed());
    }
    timings.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| timings[((timings.len() - 1) as f64 * q).round() as usize];
    println!(
        "{arrive} new registrations, each compared on arrival: median {:.2} ms, p99 {:.2} ms, \
         max {:.2} ms ({found} candidate pairs found among them)",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
    );

    // Every open pair against the register's truth: what a reviewer is shown, before any
    // grouping.
    let (mut shown, mut right) = (0usize, 0usize);
    let mut query = PairQuery {
        scope: AssociationScope::All,
        status: PairStatus::Open,
        after: None,
        limit: MAX_PAIRS_PAGE,
    };
    loop {
        let page = store.duplicate_pairs(&query).expect("a page of pairs");
        for pair in &page.pairs {
            shown += 1;
            let (a, b) = (
                person.get(&pair.first.doc_id),
                person.get(&pair.second.doc_id),
            );
            if a.is_some() && a == b {
                right += 1;
            }
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let mut registrations: HashMap<u32, usize> = HashMap::new();
    for row in &rows {
        *registrations.entry(row.person).or_default() += 1;
    }
    let truth: usize = registrations.values().map(|n| n * (n - 1) / 2).sum();
    println!(
        "pairs proposed to reviewers: {shown}, of which {right} the same person: precision {:.4}, \
         recall {:.4} (of {truth} pairs of registrations of one person)",
        right as f64 / shown.max(1) as f64,
        right as f64 / truth.max(1) as f64,
    );
}

impl Phone {
    /// Captures row `i` of the register as the volunteer's phone would; gives its id.
    fn capture(&mut self, version: &str, i: usize, row: &RegisterRow) -> DocId {
        let at = Timestamp(T0 + i as i64 * 60_000);
        let mut random = [0u8; 16];
        random[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let new = NewSubmission {
            submission_id: SubmissionId::new_v7(at, random),
            form_id: FormId::parse("diaspora_registration").expect("a form id"),
            form_version: FormVersion::parse(version).expect("a version"),
            association: Some(self.association.clone()),
        };
        let mut doc = SubmissionDoc::create(new, self.writer.clone(), at).expect("created");
        let mut answers = Answers::new()
            .with("consent", "yes")
            .with("first_name", row.first_names.as_str())
            .with("surname", row.surname.as_str())
            .with("sex", row.sex)
            .with("dob", row.date_of_birth.as_str())
            .with("phone", row.phone.as_str())
            .with("country", row.country)
            .with("city", row.city)
            .with("profession", row.profession);
        if !row.email.is_empty() {
            answers = answers.with("email", row.email.as_str());
        }
        doc.set_answers(&answers, at).expect("answered");
        self.client.save_document(&mut doc).expect("saved")
    }
}
