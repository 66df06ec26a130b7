//! `letsema form ...`: the form author's tools.
//!
//! `letsema form check FILE` imports an XLSForm and prints its diagnostics, one per line,
//! in the order of the sheets; it exits 1 when there is an error. With `--json` it prints
//! the form definition that Letsema would publish.

use std::io::Write;
use std::path::Path;

use letsema_xlsform::{Import, SourceFormat, import_file};

/// The largest form file read. Real XLSForms are well under a megabyte.
pub const MAX_FORM_FILE_BYTES: u64 = 20 * 1024 * 1024;

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
