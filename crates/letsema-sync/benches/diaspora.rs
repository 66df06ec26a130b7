//! The diaspora-500 sync benchmark: one volunteer's phone holds 500 new registrations of the
//! reference form (`letsema_workload::diaspora(500, 500)`) and syncs with an empty server;
//! syncs again with nothing new; edits one field in 10% of them and syncs. Then the no-op
//! sync with 10,000 documents on the phone. Every request and response goes through the
//! real codec and is counted as an HTTP body. Against the floor (the same 500 records as one
//! gzip-compressed JSON array), the targets are: first sync ≤ 1.5 × floor upstream; no-op
//! sync one request under 512 bytes each way (also with 10,000 documents); the edit sync
//! under 120 bytes per edited document upstream.
//!
//! ```text
//! cargo bench -p letsema-sync --bench diaspora
//! ```
//!
//! Bytes are deterministic; `tests/figures.rs` guards them on a smaller workload.

#[path = "../tests/measure/mod.rs"]
mod measure;

use letsema_doc::Timestamp;
use letsema_workload::{DIASPORA_START, diaspora, floor_bytes, volunteer_phone};
use measure::{Bench, Round};

const SEED: u64 = 500;

fn line(phase: &str, round: &Round, docs: usize) {
    println!(
        "{phase:<28} {:>8} {:>10} {:>10} {:>9.1} {:>9.1} {:>10.1} {:>10.1}",
        round.requests,
        round.up,
        round.down,
        round.elapsed.as_secs_f64() * 1_000.0,
        round.server.as_secs_f64() * 1_000.0,
        round.up as f64 / docs as f64,
        round.down as f64 / docs as f64,
    );
}

fn main() {
    let phone = volunteer_phone(SEED).expect("the volunteer's phone");
    let mut docs = diaspora(500, SEED).expect("the diaspora-500 workload");
    let floor = floor_bytes(&docs);

    let mut bench = Bench::new(&phone);
    let ids = bench.hold(&mut docs);
    println!("diaspora-500: 500 reference-form registrations from one phone, seed {SEED}");
    println!(
        "{:<28} {:>8} {:>10} {:>10} {:>9} {:>9} {:>10} {:>10}",
        "phase", "requests", "bytes up", "bytes down", "time ms", "server ms", "up/doc", "down/doc"
    );
    let first = bench.sync();
    line("first sync, 500 new", &first, 500);
    let noop = bench.sync();
    line("no-op sync, 500 held", &noop, 500);
    let at = Timestamp(DIASPORA_START.0 + 30 * 86_400_000);
    let edited = bench.edit_tenth(&ids, SEED + 1, at);
    let edit = bench.sync();
    line(&format!("edit sync, {edited} edited"), &edit, edited);

    let mut many = diaspora(10_000, SEED).expect("10,000 registrations");
    let mut big = Bench::new(&phone);
    big.hold(&mut many);
    let big_first = big.sync();
    line("first sync, 10,000 new", &big_first, 10_000);
    let big_noop = big.sync();
    line("no-op sync, 10,000 held", &big_noop, 10_000);

    let ratio = first.up as f64 / floor as f64;
    println!(
        "floor (500 records, gzip JSON): {floor} B; first sync up / floor = {ratio:.3} (target ≤ 1.5)"
    );
    println!(
        "no-op: {} request(s), {} B up, {} B down (target: 1 request, < 512 B each way); \
         with 10,000: {} request(s), {} B up, {} B down",
        noop.requests, noop.up, noop.down, big_noop.requests, big_noop.up, big_noop.down
    );
    println!(
        "edit: {:.1} B up per edited document (target < 120)",
        edit.up as f64 / edited as f64
    );
}
