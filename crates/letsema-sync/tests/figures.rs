//! The sync's figures as lasting claims: bytes on the wire are deterministic, so the targets
//! of the diaspora-500 benchmark (`benches/diaspora.rs`) are checked here on a smaller
//! workload of the same kind, and fail if they regress.

mod measure;

use letsema_doc::Timestamp;
use letsema_workload::{DIASPORA_START, diaspora, floor_bytes, volunteer_phone};
use measure::Bench;

const SEED: u64 = 500;

#[test]
fn first_sync_no_op_and_edit_sync_stay_within_their_targets() {
    let phone = volunteer_phone(SEED).expect("phone");
    let mut docs = diaspora(150, SEED).expect("workload");
    let floor = floor_bytes(&docs);
    let mut bench = Bench::new(&phone);
    let ids = bench.hold(&mut docs);

    let first = bench.sync();
    let noop = bench.sync();
    let edited = bench.edit_tenth(&ids, SEED + 1, Timestamp(DIASPORA_START.0 + 86_400_000));
    let edit = bench.sync();

    println!(
        "150 documents: floor {floor} B; first sync {} B up ({:.3} x floor), {} B down, {} \
         request(s); no-op {} B up, {} B down; edit sync {} B up for {edited} edits ({:.1} B \
         each)",
        first.up,
        first.up as f64 / floor as f64,
        first.down,
        first.requests,
        noop.up,
        noop.down,
        edit.up,
        edit.up as f64 / edited as f64
    );
    assert!(
        first.up * 10 <= floor * 15,
        "the first sync sends {} B, more than 1.5 x the floor of {floor} B",
        first.up
    );
    assert_eq!(first.requests, 1, "150 new documents fit one request");
    assert_eq!(noop.requests, 1);
    assert!(noop.up < 512 && noop.down < 512, "{noop:?}");
    assert_eq!(edited, 15);
    assert_eq!(edit.requests, 1);
    assert!(
        edit.up < 120 * edited,
        "the edit sync sends {} B for {edited} edited documents",
        edit.up
    );
}

#[test]
fn a_no_op_sync_is_one_small_request_whatever_the_number_of_documents() {
    let phone = volunteer_phone(SEED).expect("phone");
    let mut docs = diaspora(400, SEED).expect("workload");
    let mut bench = Bench::new(&phone);
    bench.hold(&mut docs);
    bench.sync();

    let noop = bench.sync();

    assert_eq!(noop.requests, 1);
    assert!(noop.up < 512 && noop.down < 512, "{noop:?}");
}
