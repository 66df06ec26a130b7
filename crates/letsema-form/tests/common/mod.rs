//! Helpers shared by the runtime tests: forms written as XLSForm markdown tables, answers
//! as JSON, a fixed environment.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::DateTime;
use letsema_form::model::Form;
use letsema_form::runtime::{Answers, CompiledForm, Environment, FormState};

/// The time every test runs at.
pub const NOW: &str = "2026-06-15T09:30:00+02:00";

pub fn env() -> Environment {
    Environment::new(DateTime::parse_from_rfc3339(NOW).expect("valid time"))
}

/// Imports a form written as markdown tables (the `settings` sheet may be left out).
#[track_caller]
pub fn form(markdown: &str) -> Form {
    let source = if markdown.contains("| settings |") {
        markdown.to_owned()
    } else {
        format!("{markdown}\n| settings |\n| | form_id | form_title |\n| | test | Test |\n")
    };
    let import =
        letsema_xlsform::import(source.as_bytes(), letsema_xlsform::SourceFormat::Markdown);
    let errors: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    import
        .form
        .unwrap_or_else(|| panic!("the test form imports: {errors:#?}"))
}

#[track_caller]
pub fn compile(markdown: &str) -> Arc<CompiledForm> {
    Arc::new(CompiledForm::new(&form(markdown)).expect("the test form compiles"))
}

#[track_caller]
pub fn answers(json: serde_json::Value) -> Answers {
    serde_json::from_value(json).expect("answers in the JSON format")
}

/// A state of `markdown` with the answers `json`.
#[track_caller]
pub fn state(markdown: &str, json: serde_json::Value) -> FormState {
    FormState::new(compile(markdown), &answers(json), env()).expect("the answers fit the form")
}

/// The locations of the relevant items, as the snapshot writes them.
pub fn relevant(state: &FormState) -> Vec<String> {
    state.snapshot().relevant
}

/// The missing required questions as `location: message`.
pub fn missing(state: &FormState) -> Vec<String> {
    state
        .missing_required()
        .into_iter()
        .map(|i| format!("{}: {}", i.location, i.message))
        .collect()
}

/// The violations as `location: message`.
pub fn violations(state: &FormState) -> Vec<String> {
    state
        .constraint_violations()
        .into_iter()
        .map(|i| format!("{}: {}", i.location, i.message))
        .collect()
}
