//! `letsema form ...`: the form author's tools.
//!
//! `letsema form check FILE` imports an XLSForm and prints its diagnostics, one per line,
//! in the order of the sheets; it exits 1 when there is an error. With `--json` it prints
//! the form definition that Letsema would publish.
//!
//! `letsema form eval FILE --answers ANSWERS.json` runs the form engine over a set of
//! answers and prints its whole state as JSON: what is relevant, which required answers
//! are missing, which constraints fail (with their messages), computed values, filtered
//! choices and repeat counts. It is the form author's way to try skip logic without a
//! phone, and a stable surface for black-box tests.

use std::io::Write;
use std::path::Path;

use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use letsema_form::runtime::{Answers, CompiledForm, Environment, FormState};
use letsema_xlsform::{Import, SourceFormat, import_file};

/// The largest form file read. Real XLSForms are well under a megabyte.
pub const MAX_FORM_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// The largest answers file read.
pub const MAX_ANSWERS_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The settings of `letsema form eval`.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The answers, as JSON.
    pub answers: std::path::PathBuf,
    /// The time the form is filled in (for `today()`, `now()`, `start`); the caller's clock
    /// when not given.
    pub now: DateTime<FixedOffset>,
    /// The language of labels and messages; the form's default when not given.
    pub language: Option<String>,
    /// The seed of `random()` and `uuid()`, so that a run can be repeated.
    pub seed: u64,
}

/// What `form check` found.
#[derive(Debug)]
pub struct CheckOutcome {
    /// Whether the form has errors (the command then exits 1).
    pub has_errors: bool,
}

/// Reads and imports a form file, with the checks a person needs before the importer runs.
pub fn read_and_import(path: &Path) -> Result<Import, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    if SourceFormat::from_file_name(name).is_none() {
        return Err(format!(
            "{}: unknown form file type; give an XLSForm as .xlsx, .xls, .csv or .md",
            path.display()
        ));
    }
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.len() > MAX_FORM_FILE_BYTES {
        return Err(format!(
            "{} is {} bytes, more than the {MAX_FORM_FILE_BYTES} a form may have; is it the \
             right file?",
            path.display(),
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(import_file(name, &bytes))
}

/// `letsema form check FILE [--json]`.
pub fn check(path: &Path, json: bool, out: &mut dyn Write) -> Result<CheckOutcome, String> {
    let import = read_and_import(path)?;
    let has_errors = import.errors().next().is_some();
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    if json && !has_errors {
        if let Some(form) = &import.form {
            let text = serde_json::to_string_pretty(form)
                .map_err(|e| format!("cannot serialise the form: {e}"))?;
            writeln!(out, "{text}").map_err(write_err)?;
        }
        // Warnings go to standard error so that the JSON stays parseable.
        for diagnostic in &import.diagnostics {
            eprintln!("{}: {diagnostic}", path.display());
        }
    } else {
        for diagnostic in &import.diagnostics {
            writeln!(out, "{}: {diagnostic}", path.display()).map_err(write_err)?;
        }
        let errors = import.errors().count();
        let warnings = import.warnings().count();
        let summary = match (errors, warnings) {
            (0, 0) => "the form is valid".to_owned(),
            (0, w) => format!("the form is valid, with {w} warning(s)"),
            (e, w) => format!("{e} error(s) and {w} warning(s): fix the errors and check again"),
        };
        writeln!(out, "{}: {summary}", path.display()).map_err(write_err)?;
    }
    Ok(CheckOutcome { has_errors })
}

/// `letsema form eval FILE --answers ANSWERS.json`: prints the runtime's state as JSON.
pub fn eval(path: &Path, options: &EvalOptions, out: &mut dyn Write) -> Result<(), String> {
    let import = read_and_import(path)?;
    let Some(form) = import.form else {
        let first = import
            .errors()
            .next()
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(format!(
            "{} has errors, so it cannot be evaluated (first: {first}); run `letsema form \
             check {}` to see them all",
            path.display(),
            path.display()
        ));
    };
    let compiled = CompiledForm::new(&form).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("{}: {}", path.display(), list.join("; "))
    })?;
    let answers = read_answers(&options.answers)?;
    let mut environment = Environment::new(options.now).with_seed(options.seed);
    if let Some(language) = &options.language {
        let known = form.languages();
        if !known.iter().any(|l| l.matches(language)) {
            let names: Vec<String> = known.iter().map(ToString::to_string).collect();
            return Err(format!(
                "the form has no language {language:?}; it has: {}",
                names.join(", ")
            ));
        }
        environment = environment.with_language(language.clone());
    }
    let state = FormState::new(Arc::new(compiled), &answers, environment).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("{}: {}", options.answers.display(), list.join("; "))
    })?;
    let text = serde_json::to_string_pretty(&state.snapshot())
        .map_err(|e| format!("cannot serialise the result: {e}"))?;
    writeln!(out, "{text}").map_err(|e| format!("cannot write the output: {e}"))
}

fn read_answers(path: &Path) -> Result<Answers, String> {
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.len() > MAX_ANSWERS_FILE_BYTES {
        return Err(format!(
            "{} is {} bytes, more than the {MAX_ANSWERS_FILE_BYTES} an answers file may have",
            path.display(),
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "{} is not answers JSON ({e}); write an object such as {{\"age\": \"34\", \
             \"citizenships\": [\"ls\", \"za\"]}}",
            path.display()
        )
    })
}

/// `letsema form publish FILE --data-dir DIR`.
pub fn publish(path: &Path, data_dir: &Path, out: &mut dyn Write) -> Result<(), String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} is not a file name", path.display()))?;
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if metadata.len() > MAX_FORM_FILE_BYTES {
        return Err(format!(
            "{} is {} bytes, more than the {MAX_FORM_FILE_BYTES} a form may have",
            path.display(),
            metadata.len()
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let store = crate::store::open(data_dir).map_err(|e| e.to_string())?;
    let published = crate::store::publish_file(&*store, name, &bytes, "letsema form publish")
        .map_err(|e| e.to_string())?;
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    for warning in &published.warnings {
        writeln!(out, "{}: {warning}", path.display()).map_err(write_err)?;
    }
    let verb = if published.newly_published {
        "published"
    } else {
        "was already published as"
    };
    writeln!(
        out,
        "{}: {verb} form {} version {} ({})",
        path.display(),
        published.form_id,
        published.version,
        published.title
    )
    .map_err(write_err)
}

/// `letsema form list --data-dir DIR`.
pub fn list(data_dir: &Path, out: &mut dyn Write) -> Result<(), String> {
    let store = crate::store::open(data_dir).map_err(|e| e.to_string())?;
    let forms = store.published_forms().map_err(|e| e.to_string())?;
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    if forms.is_empty() {
        writeln!(
            out,
            "no form is published yet: publish one with `letsema form publish FILE`"
        )
        .map_err(write_err)?;
    }
    for form in forms {
        writeln!(
            out,
            "{}\t{}\t{}\tpublished {} by {}",
            form.form_id, form.version, form.title, form.published_at, form.published_by
        )
        .map_err(write_err)?;
    }
    Ok(())
}
