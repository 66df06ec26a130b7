//! [`AssociationStore`] over PostgreSQL: the `associations` table of display names, as in
//! SQLite (see `sqlite/associations.rs`). The codes in use are those of
//! `user_associations`, `enrolments` and the documents written (public links' scopes
//! aside), the documents' found by skipping through their index.
//!
//! Naming is one `INSERT ... ON CONFLICT DO UPDATE`, so two servers naming one association
//! at once leave one row (the later name). Codes are listed byte by byte (`COLLATE "C"`),
//! as SQLite lists them. Codes and names are checked values ([`AssociationCode`],
//! [`AssociationName`]), which hold no U+0000.

use deadpool_postgres::Transaction;

use super::PostgresStore;
use crate::store::now_rfc3339;
use crate::store::{
    Association, AssociationCode, AssociationError, AssociationName, AssociationStore,
};

impl From<tokio_postgres::Error> for AssociationError {
    fn from(error: tokio_postgres::Error) -> Self {
        AssociationError::Database(Box::new(error))
    }
}

impl AssociationStore for PostgresStore {
    fn name_association(
        &self,
        code: &AssociationCode,
        name: &AssociationName,
        actor: &str,
        address: Option<&str>,
    ) -> Result<Association, AssociationError> {
        self.run(async {
            let mut client = self.client().await.map_err(AssociationError::Database)?;
            let tx = client.transaction().await?;
            let association = set_name(&tx, code.as_str(), name, actor, address).await?;
            tx.commit().await?;
            Ok(association)
        })
    }

    fn associations(&self) -> Result<Vec<Association>, AssociationError> {
        self.run(async {
            let client = self.client().await.map_err(AssociationError::Database)?;
            let rows = client
                .query(
                    "WITH RECURSIVE written (code) AS (
                         SELECT MIN(association) FROM documents
                         UNION ALL
                         SELECT (SELECT MIN(association) FROM documents
                                 WHERE association > written.code)
                         FROM written WHERE written.code IS NOT NULL
                     )
                     SELECT c.code, a.name, a.created_at, a.updated_at
                     FROM (SELECT code FROM associations
                           UNION SELECT association FROM user_associations
                           UNION SELECT association FROM enrolments WHERE NOT public
                           UNION SELECT code FROM written
                                 WHERE code IS NOT NULL
                                   AND code NOT IN (SELECT association FROM enrolments
                                                    WHERE public)) c (code)
                     LEFT JOIN associations a ON a.code = c.code
                     ORDER BY c.code COLLATE \"C\"",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|row| {
                    Ok(Association {
                        code: row.try_get(0)?,
                        name: row.try_get(1)?,
                        created_at: row.try_get(2)?,
                        updated_at: row.try_get(3)?,
                    })
                })
                .collect()
        })
    }
}

/// Names an association inside the caller's transaction, and records who did (the code
/// only: a name is for people to read, not for the audit log to keep).
pub(super) async fn set_name(
    tx: &Transaction<'_>,
    code: &str,
    name: &AssociationName,
    actor: &str,
    address: Option<&str>,
) -> Result<Association, tokio_postgres::Error> {
    let row = tx
        .query_one(
            "INSERT INTO associations (code, name, created_at, updated_at)
             VALUES ($1, $2, $3, $3)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                 updated_at = excluded.updated_at
             RETURNING code, name, created_at, updated_at",
            &[&code, &name.as_str(), &now_rfc3339()],
        )
        .await?;
    let association = Association {
        code: row.try_get(0)?,
        name: row.try_get(1)?,
        created_at: row.try_get(2)?,
        updated_at: row.try_get(3)?,
    };
    super::people::audit(
        tx,
        actor,
        "association.name",
        &format!("association {code}"),
        address,
    )
    .await?;
    Ok(association)
}

/// The display name of an association, if it has one.
pub(super) async fn name_of(
    tx: &Transaction<'_>,
    code: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    let row = tx
        .query_opt(
            &tx.prepare_cached("SELECT name FROM associations WHERE code = $1")
                .await?,
            &[&code],
        )
        .await?;
    row.map(|row| row.try_get(0)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::postgres::people::tests::{
        admin, execute, new_user, number, store, two_servers,
    };
    use crate::store::{DeviceStore, NewEnrolment, PeopleStore, Role};

    fn code(text: &str) -> AssociationCode {
        AssociationCode::parse(text).expect("a code")
    }

    fn name(text: &str) -> AssociationName {
        AssociationName::parse(text).expect("a name")
    }

    fn enrolment(association: &str, created_by: i64, name: Option<&str>) -> NewEnrolment {
        NewEnrolment {
            association: association.to_owned(),
            forms: vec!["f".to_owned()],
            label: String::new(),
            expires_at: i64::MAX,
            uses: 1,
            created_by,
            replaces: None,
            association_name: name.map(super::tests::name),
        }
    }

    #[test]
    fn naming_again_renames_and_keeps_when_it_was_first_named() {
        let store = store();
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
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log
                 WHERE action = 'association.name' AND detail = 'association maseru-nurses'"
            ),
            2,
            "the code in the log, not the name"
        );
    }

    /// Byte order, as SQLite lists them, even where the database's collation is a
    /// language's (which puts `a` before `Z`).
    #[test]
    fn every_code_in_use_or_named_is_listed_in_byte_order() {
        let store = store();
        execute(
            &store,
            "ALTER TABLE associations ALTER COLUMN code TYPE TEXT COLLATE \"en-x-icu\";
             ALTER TABLE user_associations ALTER COLUMN association
                 TYPE TEXT COLLATE \"en-x-icu\";
             ALTER TABLE enrolments ALTER COLUMN association TYPE TEXT COLLATE \"en-x-icu\"",
        );
        let admin = admin(&store);
        store
            .add_user(
                &new_user("r@example.org", Role::Reviewer, &["b-assoc", "Z-assoc"]),
                "cli",
                None,
            )
            .expect("added");
        store
            .create_enrolment(&enrolment("a_assoc", admin.id, None), &[1; 32], None)
            .expect("created");
        store
            .create_enrolment(&enrolment("b-assoc", admin.id, None), &[2; 32], None)
            .expect("created");
        store
            .create_public_link("f", "", i64::MAX, admin.id, &[3; 32], None)
            .expect("created");
        store
            .name_association(&code("a-assoc"), &name("Named, unused"), "cli", None)
            .expect("named");
        let listed = store.associations().expect("listed");
        let codes: Vec<&str> = listed.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["Z-assoc", "a-assoc", "a_assoc", "b-assoc"]);
        assert_eq!(listed[1].name.as_deref(), Some("Named, unused"));
        assert!(listed[1].created_at.is_some() && listed[1].updated_at.is_some());
        assert_eq!(listed[0].name, None);
        assert_eq!(listed[0].created_at, None);
    }

    #[test]
    fn an_enrolment_with_a_name_names_its_association_and_its_devices_carry_it() {
        let store = store();
        let admin = admin(&store);
        store
            .create_enrolment(
                &enrolment("assoc-a", admin.id, Some("Association A")),
                &[7; 32],
                None,
            )
            .expect("created");
        let device = store
            .enrol_device(&[7; 32], "dev-1", &[8; 32], "", 0, None)
            .expect("enrolled");
        assert_eq!(device.association_name.as_deref(), Some("Association A"));
        store
            .name_association(
                &code("assoc-a"),
                &name("Association A, renamed"),
                "cli",
                None,
            )
            .expect("renamed");
        let renamed = Some("Association A, renamed".to_owned());
        assert_eq!(
            store
                .device("dev-1")
                .expect("reads")
                .expect("found")
                .association_name,
            renamed
        );
        assert_eq!(
            store.devices(None).expect("listed")[0].association_name,
            renamed
        );
        assert_eq!(
            store
                .device_by_credential(&[8; 32], 0)
                .expect("reads")
                .expect("found")
                .association_name,
            renamed
        );
        // An enrolment that fails (here: no such creator) names nothing.
        let orphan = store.create_enrolment(&enrolment("assoc-b", 999, Some("B")), &[9; 32], None);
        assert!(orphan.is_err());
        assert_eq!(store.associations().expect("listed").len(), 1);
    }

    #[test]
    fn two_servers_naming_one_association_at_once_leave_one_row() {
        let (store, other) = two_servers();
        std::thread::scope(|scope| {
            for (server, text) in [(&store, "First"), (&other, "Second")] {
                scope.spawn(move || {
                    for round in 0..20 {
                        server
                            .name_association(
                                &code(&format!("assoc-{round}")),
                                &name(text),
                                "cli",
                                None,
                            )
                            .expect("named");
                    }
                });
            }
        });
        let listed = store.associations().expect("listed");
        assert_eq!(listed.len(), 20);
        assert!(listed.iter().all(|a| a.name.is_some()));
    }
}
