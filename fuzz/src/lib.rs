//! What Letsema's fuzz targets share: the panic policy, the server-apply fixture and the
//! input format its target reads, and the expression target's environment.
//!
//! The targets live in `fuzz_targets/`; `tests/seeds.rs` writes the seed corpora in
//! `corpus/` from the same fixture.

pub mod apply;
pub mod panics;

use chrono::DateTime;
use letsema_expr::MapContext;

/// The answers, clock, seed and choice labels the `expr` target evaluates against: a few
/// questions of every kind of value, one repeat, and a current node inside it.
pub fn expr_context() -> MapContext {
    MapContext::new()
        .with("age", "34")
        .with("empty", "")
        .with("name", "Lineo Mokoena")
        .with("dob", "1990-05-17")
        .with("visit", "2024-02-29T14:05:09.123+02:00")
        .with("langs", "st en  zu")
        .with("consent", "yes")
        .with("decimal", "2.5")
        .with("neg", "-3")
        .with("country", "ZA")
        .with_repeat(
            "qual",
            [
                [("degree", "MBChB"), ("year", "2012"), ("score", "3")],
                [("degree", "PhD"), ("year", ""), ("score", "")],
            ],
        )
        .with_now(
            DateTime::parse_from_rfc3339("2025-03-01T09:30:00.250+02:00").expect("a fixed time"),
        )
        .with_choice_label("country", "ZA", "South Africa")
        .with_seed(42)
}
