//! Benchmarks of the form runtime on a generated form of 1,000 questions (300 relevant,
//! about 100 constraints and 100 calculations, a repeat of 50 instances).
//!
//! Run with `cargo bench -p letsema-form --bench runtime`.

use std::sync::Arc;

use chrono::DateTime;
use letsema_form::runtime::{CompiledForm, Environment, FormState, synthetic};

const QUESTIONS: usize = 1000;
const INSTANCES: usize = 50;

fn main() {
    divan::main();
}

fn environment() -> Environment {
    let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid time");
    Environment::new(now)
}

fn compiled() -> Arc<CompiledForm> {
    Arc::new(CompiledForm::new(&synthetic::form(QUESTIONS)).expect("the synthetic form compiles"))
}

fn state() -> FormState {
    FormState::new(
        compiled(),
        &synthetic::answers(QUESTIONS, INSTANCES),
        environment(),
    )
    .expect("the synthetic answers fit")
}

/// Parsing every expression and ordering the dependency graph.
#[divan::bench]
fn compile(bencher: divan::Bencher<'_, '_>) {
    let form = synthetic::form(QUESTIONS);
    bencher.bench_local(|| CompiledForm::new(divan::black_box(&form)));
}

/// Building the instance from answers and evaluating everything.
#[divan::bench]
fn load_and_evaluate(bencher: divan::Bencher<'_, '_>) {
    let form = compiled();
    let answers = synthetic::answers(QUESTIONS, INSTANCES);
    bencher.bench_local(|| FormState::new(Arc::clone(&form), &answers, environment()));
}

/// A full evaluation of an existing state.
#[divan::bench]
fn full_evaluation(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    bencher.bench_local(|| state.evaluate_all());
}

/// One answer in the middle of the form, read by a relevance and two calculations.
#[divan::bench]
fn recompute_one_answer(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) { "5" } else { "6" };
        state.set_answer("n500", &[], value)
    });
}

/// The gate `n0`, read by a hundred relevances, nine group relevances and a calculation.
#[divan::bench]
fn recompute_gate_answer(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) { "5" } else { "7" };
        state.set_answer("n0", &[], value)
    });
}

/// One answer inside a repeat instance, summed outside it.
#[divan::bench]
fn recompute_repeat_answer(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) { "2" } else { "5" };
        state.set_answer("qty", &[25], value)
    });
}

/// Adding a repeat instance, then removing it.
#[divan::bench]
fn add_and_remove_instance(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    bencher.bench_local(|| {
        let added = state.add_repeat_instance("items", &[]);
        let removed = state.remove_repeat_instance("items", &[INSTANCES]);
        (added, removed)
    });
}
