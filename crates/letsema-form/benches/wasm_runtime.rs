//! The form runtime as WebAssembly in headless Chromium, on the same generated form as the
//! native benchmark (`benches/runtime.rs`): 1,000 questions, 300 `relevant`, about 100
//! constraints and 100 calculations, a repeat of 50 instances.
//!
//! Run with `./dev bench-wasm`, which builds this with the web app's own profile
//! (`wasm-release`: opt-level z, LTO) and runs it through wasm-bindgen-test-runner in
//! headless Chromium. The target is a recompute after one answer in under 5 ms.
#![cfg(target_arch = "wasm32")]

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use letsema_form::runtime::{CompiledForm, Environment, FormState, synthetic};
use wasm_bindgen_test::{Criterion, wasm_bindgen_bench, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const QUESTIONS: usize = 1000;
const INSTANCES: usize = 50;

/// Short runs: the browser's main thread is blocked while a benchmark runs, and the test
/// runner gives up on a page that does not answer for 20 seconds.
fn configure(c: &mut Criterion) {
    *c = std::mem::take(c)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
}

fn state() -> FormState {
    let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid time");
    let compiled =
        Arc::new(CompiledForm::new(&synthetic::form(QUESTIONS)).expect("the form compiles"));
    FormState::new(
        compiled,
        &synthetic::answers(QUESTIONS, INSTANCES),
        Environment::new(now),
    )
    .expect("the synthetic answers fit")
}

#[wasm_bindgen_bench]
fn full_evaluation(c: &mut Criterion) {
    configure(c);
    let mut state = state();
    c.bench_function("wasm full_evaluation", |b| b.iter(|| state.evaluate_all()));
}

#[wasm_bindgen_bench]
fn recompute_one_answer(c: &mut Criterion) {
    configure(c);
    let mut state = state();
    let mut i = 0u32;
    c.bench_function("wasm recompute_one_answer", |b| {
        b.iter(|| {
            i += 1;
            let value = if i.is_multiple_of(2) { "5" } else { "6" };
            state.set_answer("n500", &[], value)
        })
    });
}

#[wasm_bindgen_bench]
fn recompute_gate_answer(c: &mut Criterion) {
    configure(c);
    let mut state = state();
    let mut i = 0u32;
    c.bench_function("wasm recompute_gate_answer", |b| {
        b.iter(|| {
            i += 1;
            let value = if i.is_multiple_of(2) { "5" } else { "7" };
            state.set_answer("n0", &[], value)
        })
    });
}

#[wasm_bindgen_bench]
fn recompute_repeat_answer(c: &mut Criterion) {
    configure(c);
    let mut state = state();
    let mut i = 0u32;
    c.bench_function("wasm recompute_repeat_answer", |b| {
        b.iter(|| {
            i += 1;
            let value = if i.is_multiple_of(2) { "2" } else { "5" };
            state.set_answer("qty", &[25], value)
        })
    });
}
