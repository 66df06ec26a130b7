//! `letsema audit`: the audit log, newest first, on the server's machine (the staff area
//! shows it to admins, `GET /api/audit`).

use std::io::Write;

use crate::store::{AuditQuery, Database, MAX_AUDIT_ROWS, OpenError, PeopleError};

/// Why `letsema audit` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum AuditCommandError {
    /// `--limit` is out of range.
    #[error("--limit: give a number from 1 to {MAX_AUDIT_ROWS}")]
    Limit,
    /// The database could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The log could not be read.
    #[error(transparent)]
    People(#[from] PeopleError),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    /// An entry could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Prints the entries `query` asks for: a table, or JSON lines with `json`.
///
/// # Errors
///
/// A limit out of range, a database that cannot be opened or read, or output that cannot
/// be written.
pub fn run(
    database: &Database,
    query: &AuditQuery,
    json: bool,
    out: &mut dyn Write,
) -> Result<(), AuditCommandError> {
    if !(1..=MAX_AUDIT_ROWS).contains(&query.limit) {
        return Err(AuditCommandError::Limit);
    }
    let store = database.open()?.store;
    let page = store.audit_log(query)?;
    for entry in &page.entries {
        if json {
            writeln!(out, "{}", serde_json::to_string(entry)?)?;
        } else {
            writeln!(
                out,
                "{:>6}  {}  {:<10}  {:<16}  {:<15}  {}",
                entry.id,
                entry.at,
                entry.actor,
                entry.action,
                entry.address.as_deref().unwrap_or("-"),
                entry.detail
            )?;
        }
    }
    if !json && page.entries.is_empty() {
        writeln!(out, "no entries")?;
    }
    Ok(())
}
