//! Publishing forms: an XLSForm goes in, the form engine checks it, and the definition and
//! its source are stored under an immutable (form id, version). The types, and
//! [`FormStore`] in SQL.

use std::sync::Arc;

use letsema_form::model::Form;
use letsema_form::runtime::CompiledForm;
use letsema_xlsform::{SourceFormat, import_file};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{DatabaseError, FormStore, SqliteStore};

/// The largest XLSForm accepted for publishing.
pub const MAX_FORM_SOURCE_BYTES: usize = 20 * 1024 * 1024;

/// The reference form, compiled into the binary so that a demo needs no files.
pub const REFERENCE_FORM: (&str, &[u8]) = (
    "diaspora_registration.xlsx",
    include_bytes!("../../../examples/forms/diaspora_registration.xlsx"),
);

/// Why a form was not published. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{name} is not an XLSForm file: give a .xlsx, .xls, .csv or .md file")]
    UnknownFormat { name: String },
    #[error(
        "{name} is {size} bytes, more than the {MAX_FORM_SOURCE_BYTES} a form may have; is it \
         the right file?"
    )]
    TooLarge { name: String, size: usize },
    /// The importer or the runtime found errors; each line names sheet, row and column.
    #[error("{name} has {} error(s); fix them and publish again:\n{}", .errors.len(), .errors.join("\n"))]
    Invalid { name: String, errors: Vec<String> },
    #[error(
        "{name} has no version: add a `version` column to the settings sheet (for example \
         the date, 2026061501), so that every submission names the exact form it answered"
    )]
    NoVersion { name: String },
    #[error(
        "version {version} of form {form_id} is already published with different content: \
         published versions never change, so raise the `version` on the settings sheet"
    )]
    VersionTaken { form_id: String, version: String },
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
}

/// The outcome of a successful publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub form_id: String,
    pub version: String,
    pub title: String,
    /// False when this exact form was already published (publishing is idempotent).
    pub newly_published: bool,
    /// Warnings of the import, one line each.
    pub warnings: Vec<String>,
}

/// One published version, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormSummary {
    pub form_id: String,
    pub version: String,
    pub title: String,
    pub published_at: String,
    pub published_by: String,
}

impl From<rusqlite::Error> for PublishError {
    fn from(error: rusqlite::Error) -> Self {
        PublishError::Database(Box::new(error))
    }
}

/// A form file turned into what is published, whatever the backend (see [`prepare_form`]).
#[derive(Debug)]
pub struct PreparedForm {
    /// The form's id.
    pub form_id: String,
    /// Its version (never empty).
    pub version: String,
    /// Its title.
    pub title: String,
    /// The definition devices receive, as JSON.
    pub definition: String,
    /// The SHA-256 of the source file, in hex: the same file published twice is one version.
    pub digest: String,
    /// The import's warnings, for the publisher.
    pub warnings: Vec<String>,
}

/// Imports and checks a form file for publishing: a known format within
/// [`MAX_FORM_SOURCE_BYTES`], no import errors, a form the runtime can run, a version.
/// Every [`FormStore::publish_form`] starts here; only storing the version is the backend's.
///
/// # Errors
///
/// [`PublishError`] with every diagnostic, for the publisher to fix.
pub fn prepare_form(source_name: &str, source: &[u8]) -> Result<PreparedForm, PublishError> {
    if SourceFormat::from_file_name(source_name).is_none() {
        return Err(PublishError::UnknownFormat {
            name: source_name.to_owned(),
        });
    }
    if source.len() > MAX_FORM_SOURCE_BYTES {
        return Err(PublishError::TooLarge {
            name: source_name.to_owned(),
            size: source.len(),
        });
    }
    let import = import_file(source_name, source);
    let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
    let warnings: Vec<String> = import.warnings().map(ToString::to_string).collect();
    let form = match import.form {
        Some(form) if errors.is_empty() => form,
        _ => {
            return Err(PublishError::Invalid {
                name: source_name.to_owned(),
                errors,
            });
        }
    };
    // The runtime has checks of its own (names unique form-wide, references that resolve in
    // repeats): a form it cannot run must not reach a phone.
    if let Err(errors) = CompiledForm::new(&form) {
        return Err(PublishError::Invalid {
            name: source_name.to_owned(),
            errors: errors.iter().map(ToString::to_string).collect(),
        });
    }
    let Some(version) = form.version.clone().filter(|v| !v.trim().is_empty()) else {
        return Err(PublishError::NoVersion {
            name: source_name.to_owned(),
        });
    };
    let definition = serde_json::to_string(&form).map_err(|e| PublishError::Invalid {
        name: source_name.to_owned(),
        errors: vec![format!("the definition cannot be serialised: {e}")],
    })?;
    let digest = hex(&Sha256::digest(source));
    Ok(PreparedForm {
        form_id: form.id.as_str().to_owned(),
        version,
        title: form.title,
        definition,
        digest,
        warnings,
    })
}

impl FormStore for SqliteStore {
    fn publish_form(
        &self,
        source_name: &str,
        source: &[u8],
        published_by: &str,
    ) -> Result<Published, PublishError> {
        let prepared = prepare_form(source_name, source)?;
        let mut conn = self.conn.lock().map_err(|_| PublishError::Poisoned)?;
        let tx = conn.transaction()?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT source_sha256, definition FROM form_versions
                 WHERE form_id = ?1 AND version = ?2",
                params![prepared.form_id, prepared.version],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let newly_published = match existing {
            Some((sha, stored)) if sha == prepared.digest || stored == prepared.definition => false,
            Some(_) => {
                return Err(PublishError::VersionTaken {
                    form_id: prepared.form_id,
                    version: prepared.version,
                });
            }
            None => {
                tx.execute(
                    "INSERT INTO form_versions (form_id, version, title, definition,
                         source_name, source, source_sha256, published_at, published_by)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        prepared.form_id,
                        prepared.version,
                        prepared.title,
                        prepared.definition,
                        source_name,
                        source,
                        prepared.digest,
                        now_rfc3339(),
                        published_by
                    ],
                )?;
                true
            }
        };
        tx.commit()?;
        Ok(Published {
            form_id: prepared.form_id,
            version: prepared.version,
            title: prepared.title,
            newly_published,
            warnings: prepared.warnings,
        })
    }

    fn published_forms(&self) -> Result<Vec<FormSummary>, PublishError> {
        let conn = self.conn.lock().map_err(|_| PublishError::Poisoned)?;
        let mut statement = conn.prepare(
            "SELECT form_id, version, title, published_at, published_by FROM form_versions
             ORDER BY form_id, published_at DESC, version DESC",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(FormSummary {
                form_id: row.get(0)?,
                version: row.get(1)?,
                title: row.get(2)?,
                published_at: row.get(3)?,
                published_by: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn form_definition(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Arc<Form>>, PublishError> {
        let conn = self.conn.lock().map_err(|_| PublishError::Poisoned)?;
        let json: Option<String> = conn
            .query_row(
                "SELECT definition FROM form_versions WHERE form_id = ?1 AND version = ?2",
                params![form_id, version],
                |row| row.get(0),
            )
            .optional()?;
        json.map(|json| {
            serde_json::from_str::<Form>(&json)
                .map(Arc::new)
                .map_err(|e| PublishError::Invalid {
                    name: format!("{form_id} {version}"),
                    errors: vec![format!("the stored definition cannot be read: {e}")],
                })
        })
        .transpose()
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: &str = "\
| survey |
| | type | name | label |
| | integer | age | Age |
| settings |
| | form_id | form_title | version |
| | demo | Demo | 1 |
";

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("store");
        (dir, store)
    }

    #[test]
    fn a_valid_form_is_published_once_and_listed() {
        let (_dir, store) = store();
        let first = store
            .publish_form("demo.md", FORM.as_bytes(), "admin")
            .expect("publishes");
        assert!(first.newly_published);
        assert_eq!(
            (first.form_id.as_str(), first.version.as_str()),
            ("demo", "1")
        );
        let again = store
            .publish_form("demo.md", FORM.as_bytes(), "admin")
            .expect("idempotent");
        assert!(!again.newly_published);
        let listed = store.published_forms().expect("lists");
        assert_eq!(listed.len(), 1);
        let form = store
            .form_definition("demo", "1")
            .expect("reads")
            .expect("present");
        assert_eq!(form.questions().count(), 1);
    }

    #[test]
    fn a_published_version_never_changes() {
        let (_dir, store) = store();
        store
            .publish_form("demo.md", FORM.as_bytes(), "admin")
            .expect("publishes");
        let changed = FORM.replace("| Age |", "| Age in years |");
        let err = store
            .publish_form("demo.md", changed.as_bytes(), "admin")
            .expect_err("same version, new content");
        assert!(matches!(err, PublishError::VersionTaken { .. }), "{err}");
        assert!(err.to_string().contains("raise the `version`"), "{err}");
    }

    #[test]
    fn forms_with_errors_or_without_version_are_refused_with_their_diagnostics() {
        let (_dir, store) = store();
        let broken = FORM.replace("| integer | age | Age |", "| integr | age | Age |");
        let err = store
            .publish_form("demo.md", broken.as_bytes(), "admin")
            .expect_err("unknown type");
        assert!(err.to_string().contains("row 3"), "{err}");

        let unversioned = FORM.replace("| version |", "|  |").replace("| 1 |", "|  |");
        let err = store
            .publish_form("demo.md", unversioned.as_bytes(), "admin")
            .expect_err("no version");
        assert!(matches!(err, PublishError::NoVersion { .. }), "{err}");

        let err = store
            .publish_form("demo.pdf", b"%PDF", "admin")
            .expect_err("not a form");
        assert!(matches!(err, PublishError::UnknownFormat { .. }), "{err}");
        assert!(store.published_forms().expect("lists").is_empty());
    }
}
