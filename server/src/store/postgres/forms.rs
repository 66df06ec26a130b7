//! [`FormStore`] over PostgreSQL: the `form_versions` table, as in SQLite (see
//! `sqlite/forms.rs`).
//!
//! - **A version is published once**, even by two servers at once: a version not there yet
//!   is inserted with `ON CONFLICT DO NOTHING`, and when another server's insert won, the
//!   stored version is compared as if it had been there before (the same file or definition:
//!   a no-op; else [`PublishError::VersionTaken`]). The stored version is read first, so
//!   publishing a form again does not send its file to the database.
//! - Lists sort text byte by byte (`COLLATE "C"`), as SQLite does.
//! - PostgreSQL's text cannot hold U+0000. A form whose id, version, title or file name
//!   carries one is refused as [`PublishError::Invalid`], with what to fix; the definition
//!   is JSON, which escapes it. A look-up by such an id finds nothing.

use std::sync::Arc;

use letsema_form::model::Form;

use super::PostgresStore;
use super::people::refuse_nul;
use crate::store::now_rfc3339;
use crate::store::{FormStore, FormSummary, PreparedForm, PublishError, Published};

impl From<tokio_postgres::Error> for PublishError {
    fn from(error: tokio_postgres::Error) -> Self {
        PublishError::Database(Box::new(error))
    }
}

const STORED_SQL: &str = "SELECT source_sha256, definition FROM form_versions
     WHERE form_id = $1 AND version = $2";

impl FormStore for PostgresStore {
    fn publish_form(
        &self,
        prepared: &PreparedForm,
        published_by: &str,
    ) -> Result<Published, PublishError> {
        refuse_nul_in_form(prepared)?;
        refuse_nul("publisher", published_by).map_err(|e| PublishError::Database(Box::new(e)))?;
        let same_or_taken = |stored: Option<(String, String)>| match stored {
            Some((sha, definition))
                if sha == prepared.digest || definition == prepared.definition =>
            {
                Ok(())
            }
            _ => Err(PublishError::VersionTaken {
                form_id: prepared.form_id.clone(),
                version: prepared.version.clone(),
            }),
        };
        let newly_published: bool = self.run(async {
            let client = self.client().await.map_err(PublishError::Database)?;
            let key: [&(dyn tokio_postgres::types::ToSql + Sync); 2] =
                [&prepared.form_id, &prepared.version];
            let stored = |row: tokio_postgres::Row| -> Result<(String, String), PublishError> {
                Ok((row.try_get(0)?, row.try_get(1)?))
            };
            if let Some(row) = client.query_opt(STORED_SQL, &key).await? {
                same_or_taken(Some(stored(row)?))?;
                return Ok(false);
            }
            let inserted = client
                .execute(
                    "INSERT INTO form_versions (form_id, version, title, definition,
                         source_name, source, source_sha256, published_at, published_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (form_id, version) DO NOTHING",
                    &[
                        &prepared.form_id,
                        &prepared.version,
                        &prepared.title,
                        &prepared.definition,
                        &prepared.source_name,
                        &prepared.source,
                        &prepared.digest,
                        &now_rfc3339(),
                        &published_by,
                    ],
                )
                .await?;
            if inserted == 1 {
                return Ok(true);
            }
            // Another server published this version since it was read.
            let row = client.query_opt(STORED_SQL, &key).await?;
            same_or_taken(row.map(stored).transpose()?)?;
            Ok::<_, PublishError>(false)
        })?;
        Ok(Published {
            form_id: prepared.form_id.clone(),
            version: prepared.version.clone(),
            title: prepared.title.clone(),
            newly_published,
            warnings: prepared.warnings.clone(),
        })
    }

    fn published_forms(&self) -> Result<Vec<FormSummary>, PublishError> {
        self.run(async {
            let client = self.client().await.map_err(PublishError::Database)?;
            let rows = client
                .query(
                    "SELECT form_id, version, title, published_at, published_by
                     FROM form_versions
                     ORDER BY form_id COLLATE \"C\", published_at COLLATE \"C\" DESC,
                         version COLLATE \"C\" DESC",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(FormSummary {
                        form_id: row.try_get(0)?,
                        version: row.try_get(1)?,
                        title: row.try_get(2)?,
                        published_at: row.try_get(3)?,
                        published_by: row.try_get(4)?,
                    })
                })
                .collect()
        })
    }

    fn form_definition(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Arc<Form>>, PublishError> {
        if form_id.contains('\0') || version.contains('\0') {
            return Ok(None);
        }
        let json: Option<String> = self.run(async {
            let client = self.client().await.map_err(PublishError::Database)?;
            let row = client
                .query_opt(
                    &client
                        .prepare_cached(
                            "SELECT definition FROM form_versions
                             WHERE form_id = $1 AND version = $2",
                        )
                        .await?,
                    &[&form_id, &version],
                )
                .await?;
            row.map(|row| row.try_get(0))
                .transpose()
                .map_err(PublishError::from)
        })?;
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

/// Refuses a form the database could not store as it is: U+0000 in a text it keeps.
fn refuse_nul_in_form(prepared: &PreparedForm) -> Result<(), PublishError> {
    let fields = [
        ("the file name", &prepared.source_name),
        ("the form id", &prepared.form_id),
        ("the version", &prepared.version),
        ("the title", &prepared.title),
        ("the definition", &prepared.definition),
    ];
    let errors: Vec<String> = fields
        .iter()
        .filter(|(_, text)| text.contains('\0'))
        .map(|(field, _)| {
            format!("{field} contains a NUL character (U+0000), which cannot be stored: remove it")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PublishError::Invalid {
            name: prepared.source_name.replace('\0', "\u{fffd}"),
            errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::store::postgres::people::tests::{store, two_servers};
    use crate::store::{prepare_form, publish_file};

    const FORM: &str = "\
| survey |
| | type | name | label |
| | integer | age | Age |
| settings |
| | form_id | form_title | version |
| | demo | Demo | 1 |
";

    #[test]
    fn a_valid_form_is_published_once_and_listed() {
        let store = store();
        let first = publish_file(&store, "demo.md", FORM.as_bytes(), "admin").expect("publishes");
        assert!(first.newly_published);
        assert_eq!(
            (
                first.form_id.as_str(),
                first.version.as_str(),
                first.title.as_str()
            ),
            ("demo", "1", "Demo")
        );
        let again = publish_file(&store, "demo.md", FORM.as_bytes(), "admin").expect("idempotent");
        assert!(!again.newly_published);
        // The same definition from another file (here: another name, a comment line) too.
        let same_definition = format!("{FORM}\n");
        let renamed = publish_file(&store, "copy.md", same_definition.as_bytes(), "admin")
            .expect("idempotent");
        assert!(!renamed.newly_published);
        let listed = store.published_forms().expect("lists");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].form_id.as_str(), listed[0].published_by.as_str()),
            ("demo", "admin")
        );
        let form = store
            .form_definition("demo", "1")
            .expect("reads")
            .expect("present");
        assert_eq!(form.questions().count(), 1);
        assert!(store.form_definition("demo", "2").expect("reads").is_none());
        assert!(
            store
                .form_definition("de\0mo", "1")
                .expect("reads")
                .is_none()
        );
    }

    #[test]
    fn a_published_version_never_changes() {
        let store = store();
        publish_file(&store, "demo.md", FORM.as_bytes(), "admin").expect("publishes");
        let changed = FORM.replace("| Age |", "| Age in years |");
        let err = publish_file(&store, "demo.md", changed.as_bytes(), "admin")
            .expect_err("same version, new content");
        assert!(matches!(err, PublishError::VersionTaken { .. }), "{err}");
        assert!(err.to_string().contains("raise the `version`"), "{err}");
        let form = store
            .form_definition("demo", "1")
            .expect("reads")
            .expect("present");
        let stored = serde_json::to_string(&*form).expect("JSON");
        assert!(!stored.contains("Age in years"), "the first content stays");
    }

    #[test]
    fn versions_are_listed_newest_first_within_each_form() {
        let store = store();
        for (id, version) in [("demo", "1"), ("Zeta", "1"), ("demo", "2")] {
            let source = FORM.replace(
                "| demo | Demo | 1 |",
                &format!("| {id} | Demo | {version} |"),
            );
            publish_file(&store, "form.md", source.as_bytes(), "admin").expect("publishes");
        }
        let listed: Vec<(String, String)> = store
            .published_forms()
            .expect("lists")
            .into_iter()
            .map(|f| (f.form_id, f.version))
            .collect();
        let expected = [("Zeta", "1"), ("demo", "2"), ("demo", "1")];
        assert_eq!(
            listed,
            expected.map(|(id, version)| (id.to_owned(), version.to_owned()))
        );
    }

    /// Two servers publish at once, each round: the same file is published once (the other
    /// publish is a no-op), different files under one version are one publish and one
    /// refusal.
    #[test]
    fn two_servers_publishing_one_version_at_once_publish_it_once() {
        let (store, other) = two_servers();
        for round in 0..8 {
            let version = format!("{}", round + 10);
            let same = FORM.replace(
                "| demo | Demo | 1 |",
                &format!("| demo | Demo | {version} |"),
            );
            let different = if round % 2 == 0 {
                same.clone()
            } else {
                same.replace("| Age |", "| Age in years |")
            };
            let barrier = Arc::new(Barrier::new(2));
            let results: Vec<Result<Published, PublishError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = [(&store, &same), (&other, &different)]
                    .into_iter()
                    .map(|(server, source)| {
                        let barrier = Arc::clone(&barrier);
                        scope.spawn(move || {
                            let prepared =
                                prepare_form("demo.md", source.as_bytes()).expect("a form");
                            barrier.wait();
                            server.publish_form(&prepared, "admin")
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .collect()
            });
            let newly = results
                .iter()
                .filter(|r| r.as_ref().is_ok_and(|p| p.newly_published))
                .count();
            let no_op = results
                .iter()
                .filter(|r| r.as_ref().is_ok_and(|p| !p.newly_published))
                .count();
            let taken = results
                .iter()
                .filter(|r| matches!(r, Err(PublishError::VersionTaken { .. })))
                .count();
            let expected = if round % 2 == 0 { (1, 1, 0) } else { (1, 0, 1) };
            assert_eq!(
                (newly, no_op, taken),
                expected,
                "round {round}: {results:?}"
            );
        }
        assert_eq!(store.published_forms().expect("lists").len(), 8);
    }

    #[test]
    fn a_form_with_a_nul_character_is_refused_with_what_to_fix() {
        let store = store();
        let prepared = prepare_form("demo.md", FORM.as_bytes()).expect("a form");
        let err = store
            .publish_form(&prepared, "ad\0min")
            .expect_err("refused");
        assert!(matches!(err, PublishError::Database(_)), "{err}");
        let titled = FORM.replace("| demo | Demo | 1 |", "| demo | De\0mo | 1 |");
        match prepare_form("demo.md", titled.as_bytes()) {
            Ok(prepared) => {
                let err = store.publish_form(&prepared, "admin").expect_err("refused");
                assert!(matches!(err, PublishError::Invalid { .. }), "{err}");
                assert!(
                    err.to_string().contains("the title contains a NUL"),
                    "{err}"
                );
            }
            // The importer may refuse it first: refused either way.
            Err(err) => assert!(matches!(err, PublishError::Invalid { .. }), "{err}"),
        }
        let err = publish_file(&store, "de\0mo.md", FORM.as_bytes(), "admin").expect_err("refused");
        assert!(
            err.to_string().contains("the file name contains a NUL"),
            "{err}"
        );
        assert!(store.published_forms().expect("lists").is_empty());
    }
}
