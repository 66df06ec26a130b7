//! [`FormStore`] in SQL: the `form_versions` table.

use std::sync::Arc;

use letsema_form::model::Form;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::now_rfc3339;
use crate::store::{FormStore, FormSummary, PreparedForm, PublishError, Published};

impl From<rusqlite::Error> for PublishError {
    fn from(error: rusqlite::Error) -> Self {
        PublishError::Database(Box::new(error))
    }
}

impl FormStore for SqliteStore {
    fn publish_form(
        &self,
        prepared: &PreparedForm,
        published_by: &str,
    ) -> Result<Published, PublishError> {
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
                    form_id: prepared.form_id.clone(),
                    version: prepared.version.clone(),
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
                        prepared.source_name,
                        prepared.source,
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
            form_id: prepared.form_id.clone(),
            version: prepared.version.clone(),
            title: prepared.title.clone(),
            newly_published,
            warnings: prepared.warnings.clone(),
        })
    }

    fn published_forms(&self) -> Result<Vec<FormSummary>, PublishError> {
        let conn = self.conn.lock().map_err(|_| PublishError::Poisoned)?;
        let mut statement = conn.prepare(
            "SELECT form_id, version, title, published_at, published_by FROM form_versions
             ORDER BY form_id, published_at DESC, version DESC",
        )?;
        let rows = statement.query_map([], summary_row)?;
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

/// A published version from a row of `form_id, version, title, published_at,
/// published_by`.
fn summary_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FormSummary> {
    Ok(FormSummary {
        form_id: row.get(0)?,
        version: row.get(1)?,
        title: row.get(2)?,
        published_at: row.get(3)?,
        published_by: row.get(4)?,
    })
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
        let first = crate::store::publish_file(&store, "demo.md", FORM.as_bytes(), "admin")
            .expect("publishes");
        assert!(first.newly_published);
        assert_eq!(
            (first.form_id.as_str(), first.version.as_str()),
            ("demo", "1")
        );
        let again = crate::store::publish_file(&store, "demo.md", FORM.as_bytes(), "admin")
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
        crate::store::publish_file(&store, "demo.md", FORM.as_bytes(), "admin").expect("publishes");
        let changed = FORM.replace("| Age |", "| Age in years |");
        let err = crate::store::publish_file(&store, "demo.md", changed.as_bytes(), "admin")
            .expect_err("same version, new content");
        assert!(matches!(err, PublishError::VersionTaken { .. }), "{err}");
        assert!(err.to_string().contains("raise the `version`"), "{err}");
    }

    #[test]
    fn forms_with_errors_or_without_version_are_refused_with_their_diagnostics() {
        let (_dir, store) = store();
        let broken = FORM.replace("| integer | age | Age |", "| integr | age | Age |");
        let err = crate::store::publish_file(&store, "demo.md", broken.as_bytes(), "admin")
            .expect_err("unknown type");
        assert!(err.to_string().contains("row 3"), "{err}");

        let unversioned = FORM.replace("| version |", "|  |").replace("| 1 |", "|  |");
        let err = crate::store::publish_file(&store, "demo.md", unversioned.as_bytes(), "admin")
            .expect_err("no version");
        assert!(matches!(err, PublishError::NoVersion { .. }), "{err}");

        let err = crate::store::publish_file(&store, "demo.pdf", b"%PDF", "admin")
            .expect_err("not a form");
        assert!(matches!(err, PublishError::UnknownFormat { .. }), "{err}");
        assert!(store.published_forms().expect("lists").is_empty());
    }
}
