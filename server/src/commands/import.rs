//! `letsema import FILE --form F --association A [--key COLUMN] [--map COLUMN=question]
//! [--dry-run]`: an existing register (a spreadsheet of members) as submissions of a
//! published form, on the server's machine (`--data-dir` or `--database`). The rules are
//! `crate::import`'s; progress goes to standard error; every import (not a dry run) is
//! recorded in the audit log as `cli`, with the file's name and what it did.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use letsema_doc::Timestamp;

use crate::import::{ImportError, ImportRequest, MAX_IMPORT_BYTES, import_register};
use crate::store::{AuditEntry, Database, OpenError, PeopleError};

/// Why `letsema import` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportCommandError {
    /// The file could not be read from disk.
    #[error("cannot read {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than an import takes.
    #[error("{path} is larger than {} MB: split it, or save it as .csv", MAX_IMPORT_BYTES / 1_000_000)]
    TooLarge { path: String },
    /// The database could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The import was refused, or failed partway.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The audit log could not record the import.
    #[error("the import was written, but the audit log could not record it: {0}")]
    Audit(#[source] PeopleError),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Runs the import of `file` as `request` asks; reports on `out`, progress on standard
/// error unless `quiet`.
///
/// # Errors
///
/// What went wrong, in words that say what to do.
pub fn run(
    database: &Database,
    file: &Path,
    request: &ImportRequest,
    quiet: bool,
    out: &mut dyn Write,
) -> Result<(), ImportCommandError> {
    let path = file.display().to_string();
    let size = std::fs::metadata(file)
        .map_err(|source| ImportCommandError::File {
            path: path.clone(),
            source,
        })?
        .len();
    if size > MAX_IMPORT_BYTES as u64 {
        return Err(ImportCommandError::TooLarge { path });
    }
    let bytes = std::fs::read(file).map_err(|source| ImportCommandError::File {
        path: path.clone(),
        source,
    })?;
    let name = file
        .file_name()
        .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
    let store = database.open()?.store;
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new_spinner().with_message("reading the rows");
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    };
    let now = Timestamp(chrono::Utc::now().timestamp_millis());
    let report = import_register(&*store, request, &name, &bytes, now, &mut |done, total| {
        if bar.length() != Some(total as u64) {
            bar.set_length(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} rows written ({eta})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let report = report?;
    if !report.dry_run {
        store
            .record_audit(&AuditEntry {
                actor: "cli".to_owned(),
                action: "import".to_owned(),
                detail: format!(
                    "file={name} form={} association={} rows={} new={} already={}",
                    request.form, request.association, report.rows, report.new, report.already
                ),
                address: None,
            })
            .map_err(ImportCommandError::Audit)?;
    }
    writeln!(out, "{report}")?;
    Ok(())
}
