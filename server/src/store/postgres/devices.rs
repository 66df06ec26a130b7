//! [`DeviceStore`] over PostgreSQL: the `enrolments` and `devices` tables (a public link is
//! an enrolment with `public`), as in SQLite (see `sqlite/devices.rs`), with several servers
//! enrolling at once.
//!
//! - **An enrolment's uses.** SQLite's single writer makes "check, then take a use" atomic.
//!   Here taking the use *is* the check: `UPDATE ... SET uses_left = uses_left - 1 WHERE ...
//!   AND uses_left > 0 RETURNING ...`. The row stays locked until the enrolment's
//!   transaction ends, and a concurrent enrolment re-checks the row as the first left it, so
//!   a link never enrols more phones than it allows. A replacement that finds no device to
//!   replace rolls the use back, as in SQLite.
//! - **Revoking a public link** locks the link's row first, so a browser joining at that
//!   moment either committed before (and is revoked with the others) or finds the link
//!   revoked.
//! - Lists sort text byte by byte (`COLLATE "C"`), as SQLite does.
//! - PostgreSQL's text cannot hold U+0000. A label, association, form or device id that
//!   carries one is refused with a [`DeviceError::Database`] naming it, before anything
//!   is written ([`NulInText`]); a look-up by such an id finds nothing, as it would in SQLite.
//!   (The forms are stored as JSON, which escapes it.)

use tokio_postgres::Row;

use super::PostgresStore;
use super::people::{NulInText, audit, refuse_nul};
use crate::store::now_rfc3339;
use crate::store::{
    DeviceError, DeviceInfo, DeviceStore, Enrolment, NewEnrolment, PUBLIC_DEVICE_LABEL,
    PUBLIC_LINK_USES, PublicLink,
};

impl From<tokio_postgres::Error> for DeviceError {
    fn from(error: tokio_postgres::Error) -> Self {
        DeviceError::Database(Box::new(error))
    }
}

impl From<NulInText> for DeviceError {
    fn from(error: NulInText) -> Self {
        DeviceError::Database(Box::new(error))
    }
}

/// The device rows [`device_row`] reads, with the enrolment that made each and their
/// association's name; a `WHERE` follows.
macro_rules! device_select {
    () => {
        "SELECT d.id, d.association, d.forms, d.label, d.created_at, d.last_seen_at,
             d.revoked_at IS NOT NULL, COALESCE(e.public, FALSE), a.name
         FROM devices d LEFT JOIN enrolments e ON e.id = d.enrolment_id
             LEFT JOIN associations a ON a.code = d.association"
    };
}

/// The device of a credential; asked by every sync.
const DEVICE_BY_CREDENTIAL_SQL: &str = concat!(device_select!(), " WHERE d.credential_sha256 = $1");

/// Keeps a device's last-seen time (never backwards, should servers' clocks differ).
const TOUCH_DEVICE_SQL: &str = "UPDATE devices SET last_seen_at = $2
     WHERE id = $1 AND (last_seen_at IS NULL OR last_seen_at < $2)";

/// Takes one use of a valid enrolment (`$1` its secret's digest, `$2` now), locking its row
/// until the transaction ends.
const TAKE_USE_SQL: &str = "UPDATE enrolments SET uses_left = uses_left - 1
     WHERE code_sha256 = $1 AND revoked_at IS NULL AND expires_at > $2 AND uses_left > 0
     RETURNING id, association, forms, label, public, replaces";

impl DeviceStore for PostgresStore {
    fn create_enrolment(
        &self,
        new: &NewEnrolment,
        code_sha256: &[u8; 32],
        address: Option<&str>,
    ) -> Result<Enrolment, DeviceError> {
        refuse_nul("association", &new.association)?;
        refuse_nul("label", &new.label)?;
        if let Some(replaces) = &new.replaces {
            refuse_nul("device id", replaces)?;
        }
        let forms = crate::store::devices::forms_to_json(&new.forms)?;
        self.run(async {
            let mut client = self.client().await.map_err(DeviceError::Database)?;
            let tx = client.transaction().await?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO enrolments (code_sha256, association, forms, label, expires_at,
                         uses_left, created_by, created_at, replaces)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     RETURNING id",
                    &[
                        &&code_sha256[..],
                        &new.association,
                        &forms,
                        &new.label,
                        &new.expires_at,
                        &i64::from(new.uses),
                        &new.created_by,
                        &now_rfc3339(),
                        &new.replaces,
                    ],
                )
                .await?
                .try_get(0)?;
            let actor = format!("user:{}", new.created_by);
            if let Some(name) = &new.association_name {
                super::associations::set_name(&tx, &new.association, name, &actor, address).await?;
            }
            let detail = match &new.replaces {
                Some(device) => format!(
                    "enrolment {id} association {} replaces {device}",
                    new.association
                ),
                None => format!(
                    "enrolment {id} association {} uses {}",
                    new.association, new.uses
                ),
            };
            audit(&tx, &actor, "enrolment.create", &detail, address).await?;
            tx.commit().await?;
            Ok(Enrolment {
                id,
                association: new.association.clone(),
                forms: new.forms.clone(),
                label: new.label.clone(),
                expires_at: new.expires_at,
                uses_left: new.uses,
                revoked: false,
                replaces: new.replaces.clone(),
            })
        })
    }

    fn enrolments(&self, association: Option<&str>) -> Result<Vec<Enrolment>, DeviceError> {
        if association.is_some_and(|a| a.contains('\0')) {
            return Ok(Vec::new());
        }
        self.run(async {
            let client = self.client().await.map_err(DeviceError::Database)?;
            let rows = client
                .query(
                    "SELECT id, association, forms, label, expires_at, uses_left,
                         revoked_at IS NOT NULL, replaces
                     FROM enrolments
                     WHERE NOT public AND ($1::TEXT IS NULL OR association = $1)
                     ORDER BY id DESC",
                    &[&association],
                )
                .await?;
            rows.iter().map(enrolment_row).collect()
        })
    }

    fn enrol_device(
        &self,
        code_sha256: &[u8; 32],
        device_id: &str,
        credential_sha256: &[u8; 32],
        label: &str,
        now: i64,
        address: Option<&str>,
    ) -> Result<DeviceInfo, DeviceError> {
        refuse_nul("device id", device_id)?;
        self.run(async {
            let mut client = self.client().await.map_err(DeviceError::Database)?;
            let tx = client.transaction().await?;
            // Taking the use is the check: see the module's comment. Every return before the
            // commit rolls it back.
            let Some(enrolment) = tx
                .query_opt(
                    &tx.prepare_cached(TAKE_USE_SQL).await?,
                    &[&&code_sha256[..], &now],
                )
                .await?
            else {
                return Err(DeviceError::EnrolmentInvalid);
            };
            let enrolment_id: i64 = enrolment.try_get(0)?;
            let association: String = enrolment.try_get(1)?;
            let forms: String = enrolment.try_get(2)?;
            let enrolment_label: String = enrolment.try_get(3)?;
            let public: bool = enrolment.try_get(4)?;
            let replaces: Option<String> = enrolment.try_get(5)?;
            let association_name = super::associations::name_of(&tx, &association).await?;
            let label = if public {
                // A survey taker's browser: anonymous, whatever it calls itself.
                PUBLIC_DEVICE_LABEL.to_owned()
            } else if label.trim().is_empty() {
                enrolment_label
            } else {
                refuse_nul("label", label)?;
                label.trim().to_owned()
            };
            // A replacement: the phone becomes the replaced device (its id, a new credential
            // that shuts the old one out, the enrolment's forms; revoked or not before, it
            // works now). Otherwise a new device.
            let (id, created_at, action) = match replaces {
                Some(replaced) => {
                    let row = tx
                        .query_opt(
                            "UPDATE devices SET credential_sha256 = $1, forms = $2, label = $3,
                                 enrolment_id = $4, last_seen_at = $5, revoked_at = NULL
                             WHERE id = $6 AND association = $7
                             RETURNING created_at",
                            &[
                                &&credential_sha256[..],
                                &forms,
                                &label,
                                &enrolment_id,
                                &now,
                                &replaced,
                                &association,
                            ],
                        )
                        .await?;
                    let Some(row) = row else {
                        return Err(DeviceError::EnrolmentInvalid);
                    };
                    (replaced, row.try_get(0)?, "device.replace")
                }
                None => {
                    let created_at = now_rfc3339();
                    tx.execute(
                        "INSERT INTO devices (id, credential_sha256, association, forms, label,
                             enrolment_id, created_at, last_seen_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                        &[
                            &device_id,
                            &&credential_sha256[..],
                            &association,
                            &forms,
                            &label,
                            &enrolment_id,
                            &created_at,
                            &now,
                        ],
                    )
                    .await?;
                    (device_id.to_owned(), created_at, "device.enrol")
                }
            };
            audit(
                &tx,
                &format!("device:{id}"),
                action,
                &format!("enrolment {enrolment_id}"),
                address,
            )
            .await?;
            tx.commit().await?;
            Ok(DeviceInfo {
                id,
                association,
                forms: crate::store::devices::parse_forms(&forms)?,
                label,
                created_at,
                last_seen_at: Some(now),
                revoked: false,
                public,
                association_name,
            })
        })
    }

    fn device_by_credential(
        &self,
        credential_sha256: &[u8; 32],
        now: i64,
    ) -> Result<Option<DeviceInfo>, DeviceError> {
        self.run(async {
            let client = self.client().await.map_err(DeviceError::Database)?;
            let row = client
                .query_opt(
                    &client.prepare_cached(DEVICE_BY_CREDENTIAL_SQL).await?,
                    &[&&credential_sha256[..]],
                )
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let device = device_row(&row)?;
            if !device.revoked && device.last_seen_at.is_none_or(|seen| now - seen >= 60) {
                client
                    .execute(
                        &client.prepare_cached(TOUCH_DEVICE_SQL).await?,
                        &[&device.id, &now],
                    )
                    .await?;
            }
            Ok(Some(device))
        })
    }

    fn devices(&self, association: Option<&str>) -> Result<Vec<DeviceInfo>, DeviceError> {
        if association.is_some_and(|a| a.contains('\0')) {
            return Ok(Vec::new());
        }
        self.run(async {
            let client = self.client().await.map_err(DeviceError::Database)?;
            let rows = client
                .query(
                    concat!(
                        device_select!(),
                        " WHERE $1::TEXT IS NULL OR d.association = $1
                         ORDER BY d.created_at COLLATE \"C\" DESC, d.id COLLATE \"C\""
                    ),
                    &[&association],
                )
                .await?;
            rows.iter().map(device_row).collect()
        })
    }

    fn device(&self, id: &str) -> Result<Option<DeviceInfo>, DeviceError> {
        if id.contains('\0') {
            return Ok(None);
        }
        self.run(async {
            let client = self.client().await.map_err(DeviceError::Database)?;
            let row = client
                .query_opt(concat!(device_select!(), " WHERE d.id = $1"), &[&id])
                .await?;
            row.as_ref().map(device_row).transpose()
        })
    }

    fn revoke_device(
        &self,
        id: &str,
        actor: &str,
        address: Option<&str>,
    ) -> Result<(), DeviceError> {
        if id.contains('\0') {
            return Err(DeviceError::NoSuchDevice);
        }
        self.run(async {
            let mut client = self.client().await.map_err(DeviceError::Database)?;
            let tx = client.transaction().await?;
            let changed = tx
                .execute(
                    "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                    &[&id, &now_rfc3339()],
                )
                .await?;
            let exists = tx
                .query_opt("SELECT 1 FROM devices WHERE id = $1", &[&id])
                .await?
                .is_some();
            if !exists {
                return Err(DeviceError::NoSuchDevice);
            }
            if changed > 0 {
                audit(
                    &tx,
                    actor,
                    "device.revoke",
                    &format!("device {id}"),
                    address,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn create_public_link(
        &self,
        form: &str,
        label: &str,
        expires_at: i64,
        created_by: i64,
        code_sha256: &[u8; 32],
        address: Option<&str>,
    ) -> Result<PublicLink, DeviceError> {
        refuse_nul("form id", form)?;
        refuse_nul("label", label)?;
        let forms =
            serde_json::to_string(&[form]).map_err(|e| DeviceError::Corrupt(e.to_string()))?;
        self.run(async {
            let mut client = self.client().await.map_err(DeviceError::Database)?;
            let tx = client.transaction().await?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO enrolments (code_sha256, association, forms, label, expires_at,
                         uses_left, created_by, created_at, public)
                     VALUES ($1, '', $2, $3, $4, $5, $6, $7, TRUE)
                     RETURNING id",
                    &[
                        &&code_sha256[..],
                        &forms,
                        &label,
                        &expires_at,
                        &i64::from(PUBLIC_LINK_USES),
                        &created_by,
                        &now_rfc3339(),
                    ],
                )
                .await?
                .try_get(0)?;
            let association = format!("public-{id}");
            tx.execute(
                "UPDATE enrolments SET association = $2 WHERE id = $1",
                &[&id, &association],
            )
            .await?;
            audit(
                &tx,
                &format!("user:{created_by}"),
                "public_link.create",
                &format!("public link {id} form {form}"),
                address,
            )
            .await?;
            tx.commit().await?;
            Ok(PublicLink {
                id,
                form: form.to_owned(),
                association,
                label: label.to_owned(),
                expires_at,
                joined: 0,
                revoked: false,
            })
        })
    }

    fn public_links(&self) -> Result<Vec<PublicLink>, DeviceError> {
        self.run(async {
            let client = self.client().await.map_err(DeviceError::Database)?;
            let rows = client
                .query(
                    "SELECT id, forms, association, label, expires_at, uses_left,
                         revoked_at IS NOT NULL
                     FROM enrolments WHERE public ORDER BY id DESC",
                    &[],
                )
                .await?;
            rows.iter().map(public_link_row).collect()
        })
    }

    fn revoke_public_link(
        &self,
        id: i64,
        actor: &str,
        address: Option<&str>,
    ) -> Result<(), DeviceError> {
        self.run(async {
            let mut client = self.client().await.map_err(DeviceError::Database)?;
            let tx = client.transaction().await?;
            // Locked: a browser joining now commits first, or finds the link revoked.
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM enrolments WHERE id = $1 AND public FOR UPDATE",
                    &[&id],
                )
                .await?
                .is_some();
            if !exists {
                return Err(DeviceError::NoSuchPublicLink);
            }
            let now = now_rfc3339();
            let changed = tx
                .execute(
                    "UPDATE enrolments SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                    &[&id, &now],
                )
                .await?;
            let devices = tx
                .execute(
                    "UPDATE devices SET revoked_at = $2
                     WHERE enrolment_id = $1 AND revoked_at IS NULL",
                    &[&id, &now],
                )
                .await?;
            if changed > 0 || devices > 0 {
                audit(
                    &tx,
                    actor,
                    "public_link.revoke",
                    &format!("public link {id}, {devices} browsers"),
                    address,
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// A device from a row of `device_select!`.
fn device_row(row: &Row) -> Result<DeviceInfo, DeviceError> {
    Ok(DeviceInfo {
        id: row.try_get(0)?,
        association: row.try_get(1)?,
        forms: crate::store::devices::parse_forms(row.try_get(2)?)?,
        label: row.try_get(3)?,
        created_at: row.try_get(4)?,
        last_seen_at: row.try_get(5)?,
        revoked: row.try_get(6)?,
        public: row.try_get(7)?,
        association_name: row.try_get(8)?,
    })
}

/// An enrolment from a row of `id, association, forms, label, expires_at, uses_left,
/// revoked, replaces`.
fn enrolment_row(row: &Row) -> Result<Enrolment, DeviceError> {
    Ok(Enrolment {
        id: row.try_get(0)?,
        association: row.try_get(1)?,
        forms: crate::store::devices::parse_forms(row.try_get(2)?)?,
        label: row.try_get(3)?,
        expires_at: row.try_get(4)?,
        uses_left: uses(row.try_get(5)?)?,
        revoked: row.try_get(6)?,
        replaces: row.try_get(7)?,
    })
}

/// A public link from a row of `id, forms, association, label, expires_at, uses_left,
/// revoked`.
fn public_link_row(row: &Row) -> Result<PublicLink, DeviceError> {
    let forms = crate::store::devices::parse_forms(row.try_get(1)?)?;
    Ok(PublicLink {
        id: row.try_get(0)?,
        form: forms.into_iter().next().unwrap_or_default(),
        association: row.try_get(2)?,
        label: row.try_get(3)?,
        expires_at: row.try_get(4)?,
        joined: PUBLIC_LINK_USES.saturating_sub(uses(row.try_get(5)?)?),
        revoked: row.try_get(6)?,
    })
}

/// An enrolment's uses left, as stored (never negative: a use is taken only while some
/// are left).
fn uses(stored: i64) -> Result<u32, DeviceError> {
    u32::try_from(stored)
        .map_err(|_| DeviceError::Corrupt(format!("an enrolment has {stored} uses left")))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::store::AssociationStore;
    use crate::store::postgres::people::tests::{admin, number, store, two_servers};

    const FAR: i64 = i64::MAX;

    fn enrolment(association: &str, uses: u32, created_by: i64) -> NewEnrolment {
        NewEnrolment {
            association: association.to_owned(),
            forms: vec!["demo".to_owned()],
            label: "Field team".to_owned(),
            expires_at: FAR,
            uses,
            created_by,
            replaces: None,
            association_name: None,
        }
    }

    fn uses_left(store: &PostgresStore, code: &[u8; 32]) -> i64 {
        let hex: String = code.iter().map(|b| format!("{b:02x}")).collect();
        number(
            store,
            &format!("SELECT uses_left FROM enrolments WHERE code_sha256 = '\\x{hex}'"),
        )
    }

    #[test]
    fn an_enrolment_enrols_as_many_phones_as_it_allows_and_then_none() {
        let store = store();
        let admin = admin(&store);
        let created = store
            .create_enrolment(&enrolment("assoc-a", 2, admin.id), &[1; 32], None)
            .expect("created");
        assert_eq!(created.uses_left, 2);
        store
            .create_enrolment(&enrolment("assoc-b", 1, admin.id), &[2; 32], None)
            .expect("created");
        let all = store.enrolments(None).expect("listed");
        assert_eq!(
            all.iter()
                .map(|e| e.association.as_str())
                .collect::<Vec<_>>(),
            ["assoc-b", "assoc-a"],
            "newest first"
        );
        assert_eq!(
            store.enrolments(Some("assoc-a")).expect("listed"),
            [created]
        );

        let first = store
            .enrol_device(&[1; 32], "dev-1", &[11; 32], "  Palesa's phone ", 100, None)
            .expect("enrolled");
        assert_eq!(first.id, "dev-1");
        assert_eq!(first.label, "Palesa's phone", "trimmed");
        assert_eq!(first.forms, ["demo"]);
        assert_eq!(first.last_seen_at, Some(100));
        assert!(!first.public && !first.revoked);
        let second = store
            .enrol_device(&[1; 32], "dev-2", &[12; 32], " ", 100, None)
            .expect("enrolled");
        assert_eq!(second.label, "Field team", "the enrolment's label");
        let used_up = store.enrol_device(&[1; 32], "dev-3", &[13; 32], "", 100, None);
        assert!(
            matches!(used_up, Err(DeviceError::EnrolmentInvalid)),
            "{used_up:?}"
        );
        assert_eq!(
            store.enrolments(Some("assoc-a")).expect("listed")[0].uses_left,
            0
        );
        let unknown = store.enrol_device(&[9; 32], "dev-3", &[13; 32], "", 100, None);
        assert!(
            matches!(unknown, Err(DeviceError::EnrolmentInvalid)),
            "{unknown:?}"
        );

        let mut expiring = enrolment("assoc-a", 5, admin.id);
        expiring.expires_at = 200;
        store
            .create_enrolment(&expiring, &[3; 32], None)
            .expect("created");
        let expired = store.enrol_device(&[3; 32], "dev-4", &[14; 32], "", 200, None);
        assert!(
            matches!(expired, Err(DeviceError::EnrolmentInvalid)),
            "{expired:?}"
        );
        assert_eq!(uses_left(&store, &[3; 32]), 5, "nothing taken");

        assert_eq!(store.devices(Some("assoc-a")).expect("listed").len(), 2);
        assert!(store.devices(Some("assoc-b")).expect("listed").is_empty());
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'device.enrol'"
            ),
            2
        );
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'enrolment.create'"
            ),
            3
        );
    }

    /// Two servers, two phones each at a time, and fewer uses than phones: exactly as many
    /// phones as uses are enrolled.
    #[test]
    fn concurrent_enrolments_never_take_more_uses_than_there_are() {
        let (store, other) = two_servers();
        let admin = admin(&store);
        for round in 0u8..5 {
            let code = [round; 32];
            store
                .create_enrolment(&enrolment("assoc-a", 3, admin.id), &code, None)
                .expect("created");
            let barrier = Arc::new(Barrier::new(4));
            let enrolled: usize = std::thread::scope(|scope| {
                let handles: Vec<_> = (0u8..4)
                    .map(|thread| {
                        let server = if thread % 2 == 0 { &store } else { &other };
                        let barrier = Arc::clone(&barrier);
                        scope.spawn(move || {
                            barrier.wait();
                            let mut enrolled = 0;
                            for attempt in 0u8..3 {
                                let n = thread * 3 + attempt;
                                match server.enrol_device(
                                    &code,
                                    &format!("dev-{round}-{n}"),
                                    &[round * 16 + n + 100; 32],
                                    "",
                                    0,
                                    None,
                                ) {
                                    Ok(_) => enrolled += 1,
                                    Err(DeviceError::EnrolmentInvalid) => {}
                                    Err(other) => panic!("{other}"),
                                }
                            }
                            enrolled
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .sum()
            });
            assert_eq!(enrolled, 3, "round {round}");
            assert_eq!(uses_left(&store, &code), 0);
        }
        assert_eq!(store.devices(None).expect("listed").len(), 15);
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'device.enrol'"
            ),
            15
        );
    }

    #[test]
    fn a_revoked_device_is_found_by_its_credential_as_revoked() {
        let store = store();
        let admin = admin(&store);
        store
            .create_enrolment(&enrolment("assoc-a", 1, admin.id), &[1; 32], None)
            .expect("created");
        store
            .enrol_device(&[1; 32], "dev-1", &[11; 32], "", 1_000, None)
            .expect("enrolled");
        // Its last-seen time is kept to the minute, and it reads as it was before.
        let seen = |now| {
            store
                .device_by_credential(&[11; 32], now)
                .expect("reads")
                .expect("found")
                .last_seen_at
        };
        assert_eq!(seen(1_030), Some(1_000));
        assert_eq!(seen(1_060), Some(1_000));
        assert_eq!(seen(1_070), Some(1_060));
        assert!(
            store
                .device_by_credential(&[12; 32], 0)
                .expect("reads")
                .is_none()
        );

        store
            .revoke_device("dev-1", "user:1", None)
            .expect("revoked");
        store
            .revoke_device("dev-1", "user:1", None)
            .expect("revoked again: no-op");
        let revoked = store
            .device_by_credential(&[11; 32], 5_000)
            .expect("reads")
            .expect("still found");
        assert!(revoked.revoked);
        assert_eq!(
            revoked.last_seen_at,
            Some(1_060),
            "a revoked device is not seen"
        );
        assert!(
            store
                .device("dev-1")
                .expect("reads")
                .expect("found")
                .revoked
        );
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'device.revoke'"
            ),
            1
        );
        let unknown = store.revoke_device("dev-9", "user:1", None);
        assert!(
            matches!(unknown, Err(DeviceError::NoSuchDevice)),
            "{unknown:?}"
        );
        assert!(store.device("dev-9").expect("reads").is_none());
    }

    #[test]
    fn a_replacement_phone_becomes_the_device_it_replaces() {
        let store = store();
        let admin = admin(&store);
        store
            .create_enrolment(&enrolment("assoc-a", 1, admin.id), &[1; 32], None)
            .expect("created");
        let old = store
            .enrol_device(&[1; 32], "dev-1", &[11; 32], "Old phone", 0, None)
            .expect("enrolled");
        store
            .revoke_device("dev-1", "user:1", None)
            .expect("revoked");
        let mut replacement = enrolment("assoc-a", 1, admin.id);
        replacement.replaces = Some("dev-1".to_owned());
        replacement.forms = vec!["demo".to_owned(), "other".to_owned()];
        let created = store
            .create_enrolment(&replacement, &[2; 32], None)
            .expect("created");
        assert_eq!(created.replaces.as_deref(), Some("dev-1"));
        let new = store
            .enrol_device(&[2; 32], "dev-2", &[12; 32], "New phone", 50, None)
            .expect("enrolled");
        assert_eq!(new.id, "dev-1", "the replaced device's id");
        assert_eq!(new.created_at, old.created_at);
        assert_eq!(new.forms, ["demo", "other"]);
        assert!(!new.revoked, "works again");
        assert!(
            store
                .device_by_credential(&[11; 32], 60)
                .expect("reads")
                .is_none()
        );
        assert_eq!(
            store
                .device_by_credential(&[12; 32], 60)
                .expect("reads")
                .expect("found")
                .id,
            "dev-1"
        );
        assert_eq!(store.devices(None).expect("listed").len(), 1);
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'device.replace'"
            ),
            1
        );

        // A replacement naming another association's device enrols nothing and keeps its use.
        let mut elsewhere = enrolment("assoc-b", 1, admin.id);
        elsewhere.replaces = Some("dev-1".to_owned());
        store
            .create_enrolment(&elsewhere, &[3; 32], None)
            .expect("created");
        let refused = store.enrol_device(&[3; 32], "dev-3", &[13; 32], "", 60, None);
        assert!(
            matches!(refused, Err(DeviceError::EnrolmentInvalid)),
            "{refused:?}"
        );
        assert_eq!(uses_left(&store, &[3; 32]), 1, "the use is given back");
    }

    #[test]
    fn a_public_link_brings_anonymous_browsers_into_its_own_scope_until_revoked() {
        let store = store();
        let admin = admin(&store);
        store
            .create_enrolment(&enrolment("assoc-a", 1, admin.id), &[9; 32], None)
            .expect("created");
        let link = store
            .create_public_link("demo", "Market day", FAR, admin.id, &[1; 32], None)
            .expect("created");
        assert_eq!(link.association, format!("public-{}", link.id));
        assert_eq!((link.joined, link.revoked), (0, false));
        let browser = store
            .enrol_device(
                &[1; 32],
                "dev-b1",
                &[11; 32],
                "I call myself Admin",
                0,
                None,
            )
            .expect("joined");
        assert_eq!(browser.label, PUBLIC_DEVICE_LABEL);
        assert!(browser.public);
        assert_eq!(browser.association, link.association);
        assert_eq!(browser.forms, ["demo"]);
        // A label the database could not store does not matter: it is not kept.
        store
            .enrol_device(&[1; 32], "dev-b2", &[12; 32], "a\0b", 0, None)
            .expect("joined");
        let links = store.public_links().expect("listed");
        assert_eq!(links.len(), 1);
        assert_eq!((links[0].joined, links[0].form.as_str()), (2, "demo"));
        assert_eq!(
            store
                .enrolments(None)
                .expect("listed")
                .iter()
                .map(|e| e.association.as_str())
                .collect::<Vec<_>>(),
            ["assoc-a"],
            "a public link is not an enrolment"
        );
        let codes: Vec<String> = store
            .associations()
            .expect("listed")
            .into_iter()
            .map(|a| a.code)
            .collect();
        assert_eq!(codes, ["assoc-a"], "nor an association");

        store
            .revoke_public_link(link.id, "user:1", None)
            .expect("revoked");
        for credential in [[11; 32], [12; 32]] {
            let device = store
                .device_by_credential(&credential, 0)
                .expect("reads")
                .expect("found");
            assert!(device.revoked && device.public);
        }
        let late = store.enrol_device(&[1; 32], "dev-b3", &[13; 32], "", 0, None);
        assert!(
            matches!(late, Err(DeviceError::EnrolmentInvalid)),
            "{late:?}"
        );
        assert!(store.public_links().expect("listed")[0].revoked);
        store
            .revoke_public_link(link.id, "user:1", None)
            .expect("again: no-op");
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'public_link.revoke'"
            ),
            1
        );
        let unknown = store.revoke_public_link(link.id + 100, "user:1", None);
        assert!(
            matches!(unknown, Err(DeviceError::NoSuchPublicLink)),
            "{unknown:?}"
        );
        let enrolment_id = store.enrolments(None).expect("listed")[0].id;
        let not_public = store.revoke_public_link(enrolment_id, "user:1", None);
        assert!(
            matches!(not_public, Err(DeviceError::NoSuchPublicLink)),
            "{not_public:?}"
        );
    }

    #[test]
    fn text_with_a_nul_character_is_refused_or_finds_nothing() {
        let store = store();
        let admin = admin(&store);
        let mut bad = enrolment("assoc-a", 1, admin.id);
        bad.label = "Field\0team".to_owned();
        let err = store
            .create_enrolment(&bad, &[1; 32], None)
            .expect_err("refused");
        assert!(err.to_string().contains("U+0000"), "{err}");
        store
            .create_enrolment(&enrolment("assoc-a", 1, admin.id), &[2; 32], None)
            .expect("created");
        let err = store
            .enrol_device(&[2; 32], "dev-1", &[12; 32], "Pa\0lesa", 0, None)
            .expect_err("refused");
        assert!(
            matches!(&err, DeviceError::Database(e) if e.to_string().contains("label")),
            "{err}"
        );
        assert_eq!(uses_left(&store, &[2; 32]), 1, "the use is given back");
        let err = store
            .create_public_link("demo", "Mar\0ket", FAR, admin.id, &[3; 32], None)
            .expect_err("refused");
        assert!(err.to_string().contains("U+0000"), "{err}");
        assert!(store.public_links().expect("listed").is_empty());
        assert!(store.device("dev\0").expect("reads").is_none());
        assert!(store.devices(Some("a\0")).expect("reads").is_empty());
        assert!(store.enrolments(Some("a\0")).expect("reads").is_empty());
        let revoked = store.revoke_device("dev\0", "user:1", None);
        assert!(
            matches!(revoked, Err(DeviceError::NoSuchDevice)),
            "{revoked:?}"
        );
    }
}
