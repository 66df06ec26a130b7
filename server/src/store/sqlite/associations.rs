//! [`AssociationStore`] in SQL: the `associations` table of display names. The codes in use
//! are those of `user_associations`, `enrolments` and the documents written (an import
//! writes into an association no account or enrolment may name), public links' scopes
//! aside. The documents' codes are read by skipping through their index, one probe per
//! association, not by reading every document.

use rusqlite::{Connection, params};

use super::SqliteStore;
use crate::store::now_rfc3339;
use crate::store::{
    Association, AssociationCode, AssociationError, AssociationName, AssociationStore,
};

impl From<rusqlite::Error> for AssociationError {
    fn from(error: rusqlite::Error) -> Self {
        AssociationError::Database(Box::new(error))
    }
}

impl AssociationStore for SqliteStore {
    fn name_association(
        &self,
        code: &AssociationCode,
        name: &AssociationName,
        actor: &str,
        address: Option<&str>,
    ) -> Result<Association, AssociationError> {
        let mut conn = self.conn.lock().map_err(|_| AssociationError::Poisoned)?;
        let tx = conn.transaction()?;
        let association = set_name(&tx, code.as_str(), name, actor, address)?;
        tx.commit()?;
        Ok(association)
    }

    fn associations(&self) -> Result<Vec<Association>, AssociationError> {
        let conn = self.reader();
        let mut statement = conn.prepare(
            "WITH RECURSIVE written (code) AS (
                 SELECT MIN(association) FROM documents
                 UNION ALL
                 SELECT (SELECT MIN(association) FROM documents WHERE association > written.code)
                 FROM written WHERE written.code IS NOT NULL
             )
             SELECT c.code, a.name, a.created_at, a.updated_at
             FROM (SELECT code FROM associations
                   UNION SELECT association FROM user_associations
                   UNION SELECT association FROM enrolments WHERE public = 0
                   UNION SELECT code FROM written
                         WHERE code IS NOT NULL
                           AND code NOT IN (SELECT association FROM enrolments WHERE public = 1)) c
             LEFT JOIN associations a ON a.code = c.code
             ORDER BY c.code",
        )?;
        let rows = statement
            .query_map([], |row| {
                Ok(Association {
                    code: row.get(0)?,
                    name: row.get(1)?,
                    created_at: row.get(2)?,
                    updated_at: row.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}

/// Names an association inside the caller's transaction, and records who did (the code
/// only: a name is for people to read, not for the audit log to keep).
pub(super) fn set_name(
    conn: &Connection,
    code: &str,
    name: &AssociationName,
    actor: &str,
    address: Option<&str>,
) -> Result<Association, rusqlite::Error> {
    let association = conn.query_row(
        "INSERT INTO associations (code, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
         RETURNING code, name, created_at, updated_at",
        params![code, name.as_str(), now_rfc3339()],
        |row| {
            Ok(Association {
                code: row.get(0)?,
                name: row.get(1)?,
                created_at: row.get(2)?,
                updated_at: row.get(3)?,
            })
        },
    )?;
    super::people::audit(
        conn,
        actor,
        "association.name",
        &format!("association {code}"),
        address,
    )?;
    Ok(association)
}

/// The display name of an association, if it has one.
pub(super) fn name_of(conn: &Connection, code: &str) -> Result<Option<String>, rusqlite::Error> {
    use rusqlite::OptionalExtension;
    conn.query_row(
        "SELECT name FROM associations WHERE code = ?1",
        params![code],
        |row| row.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use rusqlite_migration::Migrations;

    use super::*;
    use crate::store::{DeviceStore, NewEnrolment};

    fn code(text: &str) -> AssociationCode {
        AssociationCode::parse(text).expect("a code")
    }

    fn name(text: &str) -> AssociationName {
        AssociationName::parse(text).expect("a name")
    }

    #[test]
    fn naming_again_renames_and_keeps_when_it_was_first_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let first = store
            .name_association(&code("maseru-nurses"), &name("Maseru Nurses"), "cli", None)
            .expect("named");
        assert_eq!(first.name.as_deref(), Some("Maseru Nurses"));
        let second = store
            .name_association(
                &code("maseru-nurses"),
                &name("Maseru Nurses' Association"),
                "cli",
                None,
            )
            .expect("renamed");
        assert_eq!(second.name.as_deref(), Some("Maseru Nurses' Association"));
        assert_eq!(second.created_at, first.created_at);
        assert_eq!(
            store.associations().expect("listed"),
            vec![second],
            "one row per code"
        );
    }

    /// A database made before associations had names (every migration but the last, with
    /// an enrolled device) opens migrated: the device reads without a name until one is
    /// given, and its code is listed as an association without a name.
    #[test]
    fn the_migration_applies_to_an_existing_database() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(super::super::DATABASE_FILE);
        {
            let mut conn = Connection::open(&path).expect("opens");
            let before = &super::super::MIGRATIONS[..super::super::MIGRATIONS.len() - 1];
            Migrations::from_slice(before)
                .to_latest(&mut conn)
                .expect("the earlier schema");
            conn.execute_batch(
                "INSERT INTO users (id, email, display_name, role, password_hash, created_at)
                     VALUES (1, 'a@example.org', 'A', 'admin', 'x', '2026-01-01T00:00:00Z');
                 INSERT INTO enrolments (id, code_sha256, association, forms, label,
                     expires_at, uses_left, created_by, created_at)
                     VALUES (1, x'01', 'mohales-hoek-nurses', '[\"f\"]', '', 0, 0, 1,
                             '2026-01-01T00:00:00Z');
                 INSERT INTO devices (id, credential_sha256, association, forms, label,
                     enrolment_id, created_at)
                     VALUES ('dev-1', x'02', 'mohales-hoek-nurses', '[\"f\"]', 'Phone', 1,
                             '2026-01-01T00:00:00Z');",
            )
            .expect("an older database's rows");
        }
        let store = SqliteStore::open(dir.path()).expect("opens and migrates");
        let device = store.device("dev-1").expect("reads").expect("kept");
        assert_eq!(device.association_name, None);
        let listed = store.associations().expect("listed");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].code, "mohales-hoek-nurses");
        assert_eq!(listed[0].name, None);

        store
            .name_association(
                &code("mohales-hoek-nurses"),
                &name("Mohale's Hoek Nurses"),
                "cli",
                None,
            )
            .expect("named");
        let device = store.device("dev-1").expect("reads").expect("kept");
        assert_eq!(
            device.association_name.as_deref(),
            Some("Mohale's Hoek Nurses")
        );
        assert_eq!(
            store.devices(None).expect("listed")[0].association_name,
            device.association_name
        );
    }

    #[test]
    fn an_enrolment_with_a_name_names_its_association() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("opens");
        store
            .conn
            .lock()
            .expect("the connection")
            .execute(
                "INSERT INTO users (id, email, display_name, role, password_hash, created_at)
                 VALUES (1, 'a@example.org', 'A', 'admin', 'x', '2026-01-01T00:00:00Z')",
                [],
            )
            .expect("a user");
        let new = NewEnrolment {
            association: "assoc-a".to_owned(),
            forms: vec!["f".to_owned()],
            label: String::new(),
            expires_at: i64::MAX,
            uses: 1,
            created_by: 1,
            replaces: None,
            association_name: Some(name("Association A")),
        };
        store
            .create_enrolment(&new, &[7; 32], None)
            .expect("created");
        let device = store
            .enrol_device(&[7; 32], "dev-1", &[8; 32], "", 0, None)
            .expect("enrolled");
        assert_eq!(device.association_name.as_deref(), Some("Association A"));
    }
}
