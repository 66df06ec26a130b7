//! `letsema duplicates`: people registered more than once, on the server's machine: every
//! submission of a form (or of all forms) compared (`crate::duplicates`), and each group
//! printed with its submissions and the reasons that tie them. It reads members' names, so
//! it is recorded in the audit log (actor `cli`, the form and the counts, never a name).

use std::io::Write;

use crate::duplicates::{DuplicatesError, find};
use crate::store::{AssociationScope, AuditEntry, Database, OpenError, PeopleError};

/// Why `letsema duplicates` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum DuplicatesCommandError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Find(#[from] DuplicatesError),
    #[error(transparent)]
    Audit(#[from] PeopleError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// Finds the groups and prints them (as JSON lines with `json`); progress goes to `err`.
///
/// # Errors
///
/// A database that cannot be opened or read, or output that cannot be written.
pub fn run(
    database: &Database,
    form: Option<&str>,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), DuplicatesCommandError> {
    let store = database.open()?.store;
    let found = find(&*store, AssociationScope::All, form, &mut |read| {
        let _ = write!(err, "\r{read} submissions read");
    })?;
    let _ = writeln!(err);
    store.record_audit(&AuditEntry {
        actor: "cli".to_owned(),
        action: "duplicates.list".to_owned(),
        detail: format!(
            "form={} read={} groups={}",
            form.unwrap_or("*"),
            found.read,
            found.groups.len()
        ),
        address: None,
    })?;
    for (number, group) in found.groups.iter().enumerate() {
        if json {
            let line = serde_json::json!({
                "members": group.members.iter().map(|m| serde_json::json!({
                    "id": m.id, "name": m.name, "association": m.association, "form": m.form,
                })).collect::<Vec<_>>(),
                "pairs": group.pairs.iter().map(|(a, b, c)| serde_json::json!({
                    "a": a, "b": b, "score": c.score, "explanation": c.explanation(),
                })).collect::<Vec<_>>(),
            });
            writeln!(out, "{line}")?;
            continue;
        }
        writeln!(
            out,
            "person {}: {} registrations",
            number + 1,
            group.members.len()
        )?;
        for member in &group.members {
            writeln!(
                out,
                "  {}  {}  ({}, {})",
                member.id,
                member.name,
                member.association.as_deref().unwrap_or("no association"),
                member.form
            )?;
        }
        for (a, b, comparison) in &group.pairs {
            writeln!(
                out,
                "    {a} ~ {b}: {:.1}: {}",
                comparison.score,
                comparison.explanation()
            )?;
        }
    }
    if !json {
        writeln!(
            out,
            "{} submissions read, {} with a name compared: {} people registered more than once",
            found.read,
            found.compared,
            found.groups.len()
        )?;
    }
    Ok(())
}
