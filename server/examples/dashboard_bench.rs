//! Issue 19's dashboard answered in under 200 ms at 100,000 submissions, measured where it
//! is computed: a store (SQLite in a temporary directory, or the PostgreSQL database
//! `LETSEMA_DATABASE_URL` names) holding HELD registrations of the reference form with the
//! workload's realistic answers (`letsema_workload::Generator`), captured over eighteen
//! months by 100 phones of four associations, synced in process and validated; then
//! `store::dashboard` (the counts, `DashboardStore::dashboard_counts`, then their labels) timed RUNS times (default 20) for the whole store, as an
//! admin sees it, and as one association's coordinator sees it, and for a filtered view.
//!
//! `./dev dashboard-bench [HELD] [sqlite|postgres]` runs it in release.
//! `LETSEMA_BENCH_DATA_DIR=DIR` keeps the SQLite store in DIR, and a later run that finds it
//! filled only times the dashboard.

mod support;

use std::time::{Duration, Instant};

use letsema_doc::Timestamp;
use letsema_server::store::{
    AssociationScope, DashboardQuery, Database, FormCache, REFERENCE_FORM, SharedStore, dashboard,
    publish_file,
};
use letsema_workload::Generator;
use support::{Phone, validate_everything};

const ASSOCIATIONS: [&str; 4] = [
    "basotho_sa",
    "lesotho_health_abroad",
    "basotho_uk",
    "basotho_usa",
];
const PHONES: usize = 100;
/// 2025-01-01, the first registration.
const START: i64 = 1_735_689_600_000;
/// Eighteen months of registrations.
const SPAN: i64 = 547 * 86_400_000;
/// How many captures between syncs of every phone.
const SYNC_EVERY: usize = 5_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |at: usize, default: usize| {
        args.get(at)
            .map(|a| a.parse().expect("HELD and RUNS are numbers"))
            .unwrap_or(default)
    };
    let (held, runs) = (number(0, 100_000), number(1, 20).max(1));
    let temporary = tempfile::tempdir().expect("a temporary directory");
    let data_dir = std::env::var_os("LETSEMA_BENCH_DATA_DIR")
        .map_or_else(|| temporary.path().to_owned(), std::path::PathBuf::from);
    let database = match std::env::var("LETSEMA_DATABASE_URL") {
        Ok(url) => Database::Postgres { url, pool_size: 4 },
        Err(_) => Database::Embedded(data_dir),
    };
    let store = database.open().expect("the store opens").store;
    let stored = store.document_count().expect("a count");
    if stored == 0 {
        fill(&store, held);
    } else {
        println!("{stored} submissions already held: only the dashboard is timed");
    }

    let form = "form=diaspora_registration";
    for (who, scope, filters) in [
        (
            "everything, as an admin",
            AssociationScope::All,
            form.to_owned(),
        ),
        (
            "one association, as its coordinator",
            AssociationScope::Only(vec![ASSOCIATIONS[0].to_owned()]),
            form.to_owned(),
        ),
        (
            "doctors in South Africa registered in 2025",
            AssociationScope::All,
            format!(
                "{form}&choice=profession:doctor&choice=country:south_africa\
                 &from=2025-01-01&to=2025-12-31"
            ),
        ),
    ] {
        let pairs = form_urlencoded::parse(filters.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()));
        let query = DashboardQuery::from_pairs(scope, pairs).expect("a dashboard query");
        let mut timings: Vec<Duration> = Vec::with_capacity(runs);
        let mut counted = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let answer = dashboard(&*store, &query).expect("a dashboard");
            timings.push(start.elapsed());
            counted = answer.total;
        }
        timings.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "dashboard of {who} ({counted} submissions counted), {runs} runs: median {:.1} ms, \
             max {:.1} ms",
            ms(timings[(timings.len() - 1) / 2]),
            ms(timings[timings.len() - 1]),
        );
    }
}

/// HELD registrations from 100 phones, spread evenly over eighteen months, synced and
/// validated.
fn fill(store: &SharedStore, held: usize) {
    let (name, bytes) = REFERENCE_FORM;
    let version = publish_file(&**store, name, bytes, "bench")
        .expect("the reference form publishes")
        .version;
    let form = store
        .form_definition("diaspora_registration", &version)
        .expect("a definition")
        .expect("the reference form");
    let mut generator = Generator::for_form(&form, 19).expect("the reference form's generator");
    let mut phones: Vec<Phone> = (0..PHONES)
        .map(|i| {
            Phone::new(
                &format!("bench-phone-{i:03}"),
                ASSOCIATIONS[i % ASSOCIATIONS.len()],
            )
        })
        .collect();
    let started = Instant::now();
    let step = SPAN / i64::try_from(held.max(1)).unwrap_or(1);
    for i in 0..held {
        let at = Timestamp(START + i64::try_from(i).unwrap_or(0) * step);
        let phone = &mut phones[i % PHONES];
        let mut doc = generator
            .submission_in(&phone.writer, Some(&phone.association), at)
            .expect("a generated registration");
        phone.client.save_document(&mut doc).expect("saved");
        if (i + 1) % SYNC_EVERY == 0 || i + 1 == held {
            for phone in &mut phones {
                phone.sync(store);
            }
            eprint!("\r{} synced", i + 1);
        }
    }
    validate_everything(store, &mut FormCache::default());
    println!(
        "{held} registrations synced and validated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
