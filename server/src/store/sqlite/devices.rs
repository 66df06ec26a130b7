//! [`DeviceStore`] in SQL: the `enrolments` and `devices` tables (a public link is an
//! enrolment with `public = 1`).

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::now_rfc3339;
use crate::store::{
    DeviceError, DeviceInfo, DeviceStore, Enrolment, NewEnrolment, PUBLIC_DEVICE_LABEL,
    PUBLIC_LINK_USES, PublicLink,
};

impl From<rusqlite::Error> for DeviceError {
    fn from(error: rusqlite::Error) -> Self {
        DeviceError::Database(Box::new(error))
    }
}

impl DeviceStore for SqliteStore {
    fn create_enrolment(
        &self,
        new: &NewEnrolment,
        code_sha256: &[u8; 32],
        address: Option<&str>,
    ) -> Result<Enrolment, DeviceError> {
        let forms = crate::store::devices::forms_to_json(&new.forms)?;
        let mut conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO enrolments (code_sha256, association, forms, label, expires_at,
                 uses_left, created_by, created_at, replaces)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                &code_sha256[..],
                new.association,
                forms,
                new.label,
                new.expires_at,
                new.uses,
                new.created_by,
                now_rfc3339(),
                new.replaces
            ],
        )?;
        let id = tx.last_insert_rowid();
        let actor = format!("user:{}", new.created_by);
        if let Some(name) = &new.association_name {
            super::associations::set_name(&tx, &new.association, name, &actor, address)?;
        }
        super::people::audit(
            &tx,
            &actor,
            "enrolment.create",
            &match &new.replaces {
                Some(device) => format!(
                    "enrolment {id} association {} replaces {device}",
                    new.association
                ),
                None => format!(
                    "enrolment {id} association {} uses {}",
                    new.association, new.uses
                ),
            },
            address,
        )?;
        tx.commit()?;
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
    }

    fn enrolments(&self, association: Option<&str>) -> Result<Vec<Enrolment>, DeviceError> {
        let conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let mut statement = conn.prepare(
            "SELECT id, association, forms, label, expires_at, uses_left, revoked_at IS NOT NULL,
                    replaces
             FROM enrolments WHERE public = 0 AND (?1 IS NULL OR association = ?1)
             ORDER BY id DESC",
        )?;
        let rows: Vec<Parsed<Enrolment>> = statement
            .query_map(params![association], enrolment_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().collect()
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
        let mut conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let tx = conn.transaction()?;
        type Row = (i64, String, String, String, bool, Option<String>);
        let enrolment: Option<Row> = tx
            .query_row(
                "SELECT id, association, forms, label, public, replaces FROM enrolments
                 WHERE code_sha256 = ?1 AND revoked_at IS NULL AND expires_at > ?2
                   AND uses_left > 0",
                params![&code_sha256[..], now],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                        row.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((enrolment_id, association, forms, enrolment_label, public, replaces)) = enrolment
        else {
            return Err(DeviceError::EnrolmentInvalid);
        };
        let association_name = super::associations::name_of(&tx, &association)?;
        tx.execute(
            "UPDATE enrolments SET uses_left = uses_left - 1 WHERE id = ?1",
            params![enrolment_id],
        )?;
        let label = if public {
            // A survey taker's browser: anonymous, whatever it calls itself.
            PUBLIC_DEVICE_LABEL.to_owned()
        } else if label.trim().is_empty() {
            enrolment_label
        } else {
            label.trim().to_owned()
        };
        // A replacement: the phone becomes the replaced device (its id, a new credential
        // that shuts the old one out, the enrolment's forms; revoked or not before, it works
        // now). Otherwise a new device.
        let (id, created_at, action) = match replaces {
            Some(replaced) => {
                let created_at: Option<String> = tx
                    .query_row(
                        "UPDATE devices SET credential_sha256 = ?1, forms = ?2, label = ?3,
                             enrolment_id = ?4, last_seen_at = ?5, revoked_at = NULL
                         WHERE id = ?6 AND association = ?7
                         RETURNING created_at",
                        params![
                            &credential_sha256[..],
                            forms,
                            label,
                            enrolment_id,
                            now,
                            replaced,
                            association
                        ],
                        |row| row.get(0),
                    )
                    .optional()?;
                let Some(created_at) = created_at else {
                    return Err(DeviceError::EnrolmentInvalid);
                };
                (replaced, created_at, "device.replace")
            }
            None => {
                let created_at = now_rfc3339();
                tx.execute(
                    "INSERT INTO devices (id, credential_sha256, association, forms, label,
                         enrolment_id, created_at, last_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        device_id,
                        &credential_sha256[..],
                        association,
                        forms,
                        label,
                        enrolment_id,
                        created_at,
                        now
                    ],
                )?;
                (device_id.to_owned(), created_at, "device.enrol")
            }
        };
        super::people::audit(
            &tx,
            &format!("device:{id}"),
            action,
            &format!("enrolment {enrolment_id}"),
            address,
        )?;
        tx.commit()?;
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
    }

    fn device_by_credential(
        &self,
        credential_sha256: &[u8; 32],
        now: i64,
    ) -> Result<Option<DeviceInfo>, DeviceError> {
        // Every sync asks this first: it reads without waiting behind a write.
        let device = self
            .reader()
            .query_row(
                &format!("{DEVICE_SELECT} WHERE d.credential_sha256 = ?1"),
                params![&credential_sha256[..]],
                device_row,
            )
            .optional()?;
        let Some(device) = device else {
            return Ok(None);
        };
        let device = device?;
        if !device.revoked && device.last_seen_at.is_none_or(|seen| now - seen >= 60) {
            let conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
            conn.execute(
                "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
                params![device.id, now],
            )?;
        }
        Ok(Some(device))
    }

    fn devices(&self, association: Option<&str>) -> Result<Vec<DeviceInfo>, DeviceError> {
        let conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let mut statement = conn.prepare(&format!(
            "{DEVICE_SELECT} WHERE ?1 IS NULL OR d.association = ?1
             ORDER BY d.created_at DESC, d.id"
        ))?;
        let rows: Vec<Parsed<DeviceInfo>> = statement
            .query_map(params![association], device_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().collect()
    }

    fn device(&self, id: &str) -> Result<Option<DeviceInfo>, DeviceError> {
        let conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let device = conn
            .query_row(
                &format!("{DEVICE_SELECT} WHERE d.id = ?1"),
                params![id],
                device_row,
            )
            .optional()?;
        device.transpose()
    }

    fn revoke_device(
        &self,
        id: &str,
        actor: &str,
        address: Option<&str>,
    ) -> Result<(), DeviceError> {
        let mut conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now_rfc3339()],
        )?;
        let exists: bool = tx
            .query_row("SELECT 1 FROM devices WHERE id = ?1", params![id], |_| {
                Ok(true)
            })
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Err(DeviceError::NoSuchDevice);
        }
        if changed > 0 {
            super::people::audit(
                &tx,
                actor,
                "device.revoke",
                &format!("device {id}"),
                address,
            )?;
        }
        tx.commit()?;
        Ok(())
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
        let forms =
            serde_json::to_string(&[form]).map_err(|e| DeviceError::Corrupt(e.to_string()))?;
        let mut conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO enrolments (code_sha256, association, forms, label, expires_at,
                 uses_left, created_by, created_at, public)
             VALUES (?1, '', ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            params![
                &code_sha256[..],
                forms,
                label,
                expires_at,
                PUBLIC_LINK_USES,
                created_by,
                now_rfc3339()
            ],
        )?;
        let id = tx.last_insert_rowid();
        let association = format!("public-{id}");
        tx.execute(
            "UPDATE enrolments SET association = ?2 WHERE id = ?1",
            params![id, association],
        )?;
        super::people::audit(
            &tx,
            &format!("user:{created_by}"),
            "public_link.create",
            &format!("public link {id} form {form}"),
            address,
        )?;
        tx.commit()?;
        Ok(PublicLink {
            id,
            form: form.to_owned(),
            association,
            label: label.to_owned(),
            expires_at,
            joined: 0,
            revoked: false,
        })
    }

    fn public_links(&self) -> Result<Vec<PublicLink>, DeviceError> {
        let conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let mut statement = conn.prepare(
            "SELECT id, forms, association, label, expires_at, uses_left,
                    revoked_at IS NOT NULL
             FROM enrolments WHERE public = 1 ORDER BY id DESC",
        )?;
        let rows: Vec<Parsed<PublicLink>> = statement
            .query_map([], public_link_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter().collect()
    }

    fn revoke_public_link(
        &self,
        id: i64,
        actor: &str,
        address: Option<&str>,
    ) -> Result<(), DeviceError> {
        let mut conn = self.conn.lock().map_err(|_| DeviceError::Poisoned)?;
        let tx = conn.transaction()?;
        let exists: bool = tx
            .query_row(
                "SELECT 1 FROM enrolments WHERE id = ?1 AND public = 1",
                params![id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Err(DeviceError::NoSuchPublicLink);
        }
        let now = now_rfc3339();
        let changed = tx.execute(
            "UPDATE enrolments SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now],
        )?;
        let devices = tx.execute(
            "UPDATE devices SET revoked_at = ?2 WHERE enrolment_id = ?1 AND revoked_at IS NULL",
            params![id, now],
        )?;
        if changed > 0 || devices > 0 {
            super::people::audit(
                &tx,
                actor,
                "public_link.revoke",
                &format!("public link {id}, {devices} browsers"),
                address,
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// A value read from a row, unless a stored list of forms in it cannot be read.
type Parsed<T> = Result<T, DeviceError>;

/// The device rows [`device_row`] reads, with the enrolment that made each and their
/// association's name; a `WHERE` follows.
const DEVICE_SELECT: &str = "SELECT d.id, d.association, d.forms, d.label, d.created_at,
         d.last_seen_at, d.revoked_at IS NOT NULL, COALESCE(e.public, 0), a.name
     FROM devices d LEFT JOIN enrolments e ON e.id = d.enrolment_id
         LEFT JOIN associations a ON a.code = d.association";

/// A device from a row of [`DEVICE_SELECT`].
fn device_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Parsed<DeviceInfo>> {
    let id: String = row.get(0)?;
    let association: String = row.get(1)?;
    let forms: String = row.get(2)?;
    let label: String = row.get(3)?;
    let created_at: String = row.get(4)?;
    let last_seen_at: Option<i64> = row.get(5)?;
    let revoked: bool = row.get(6)?;
    let public: bool = row.get(7)?;
    let association_name: Option<String> = row.get(8)?;
    Ok(
        crate::store::devices::parse_forms(&forms).map(|forms| DeviceInfo {
            id,
            association,
            forms,
            label,
            created_at,
            last_seen_at,
            revoked,
            public,
            association_name,
        }),
    )
}

/// An enrolment from a row of `id, association, forms, label, expires_at, uses_left,
/// revoked, replaces`.
fn enrolment_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Parsed<Enrolment>> {
    let forms: String = row.get(2)?;
    let (id, association, label, expires_at, uses_left, revoked, replaces) = (
        row.get(0)?,
        row.get(1)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    );
    Ok(
        crate::store::devices::parse_forms(&forms).map(|forms| Enrolment {
            id,
            association,
            forms,
            label,
            expires_at,
            uses_left,
            revoked,
            replaces,
        }),
    )
}

/// A public link from a row of `id, forms, association, label, expires_at, uses_left,
/// revoked`.
fn public_link_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Parsed<PublicLink>> {
    let forms: String = row.get(1)?;
    let uses_left: u32 = row.get(5)?;
    let (id, association, label, expires_at, revoked) = (
        row.get(0)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(6)?,
    );
    Ok(
        crate::store::devices::parse_forms(&forms).map(|forms| PublicLink {
            id,
            form: forms.into_iter().next().unwrap_or_default(),
            association,
            label,
            expires_at,
            joined: PUBLIC_LINK_USES.saturating_sub(uses_left),
            revoked,
        }),
    )
}
