//! [`PeopleStore`] in SQL: the `users`, `user_associations`, `sessions`, `login_failures`
//! and `audit_log` tables.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::now_rfc3339;
use crate::store::people::LOGIN_FAILURE_WINDOW_SECS;
use crate::store::{
    AuditEntry, AuditPage, AuditQuery, AuditRecord, NewUser, PeopleError, PeopleStore, Role,
    SessionInfo, StaffUser, audit_page,
};

impl From<rusqlite::Error> for PeopleError {
    fn from(error: rusqlite::Error) -> Self {
        PeopleError::Database(Box::new(error))
    }
}

impl PeopleStore for SqliteStore {
    fn add_user(
        &self,
        new: &NewUser,
        actor: &str,
        address: Option<&str>,
    ) -> Result<StaffUser, PeopleError> {
        new.check()?;
        let mut conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let tx = conn.transaction()?;
        let taken: bool = tx
            .query_row(
                "SELECT 1 FROM users WHERE email = ?1",
                params![new.email],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if taken {
            return Err(PeopleError::EmailTaken(new.email.clone()));
        }
        tx.execute(
            "INSERT INTO users (email, display_name, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                new.email,
                new.display_name,
                new.role.as_str(),
                new.password_hash,
                now_rfc3339()
            ],
        )?;
        let id = tx.last_insert_rowid();
        for association in &new.associations {
            tx.execute(
                "INSERT INTO user_associations (user_id, association) VALUES (?1, ?2)",
                params![id, association],
            )?;
        }
        audit(
            &tx,
            actor,
            "user.add",
            &format!("user {id} role {}", new.role),
            address,
        )?;
        tx.commit()?;
        Ok(StaffUser {
            id,
            email: new.email.clone(),
            display_name: new.display_name.clone(),
            role: new.role,
            associations: new.associations.clone(),
        })
    }

    fn list_users(&self) -> Result<Vec<StaffUser>, PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let mut statement = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users u WHERE u.disabled_at IS NULL ORDER BY u.email"
        ))?;
        let users: Vec<StaffUser> = statement
            .query_map([], user_row)?
            .collect::<Result<_, _>>()?;
        users
            .into_iter()
            .map(|user| with_associations(&conn, user))
            .collect()
    }

    fn credentials(&self, email: &str) -> Result<Option<(StaffUser, String)>, PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let row = conn
            .query_row(
                &format!(
                    "SELECT {USER_COLUMNS}, u.password_hash FROM users u
                     WHERE u.email = ?1 AND u.disabled_at IS NULL"
                ),
                params![email],
                |row| Ok((user_row(row)?, row.get::<_, String>(4)?)),
            )
            .optional()?;
        row.map(|(user, hash)| Ok((with_associations(&conn, user)?, hash)))
            .transpose()
    }

    fn recent_login_failures(&self, email: &str, now: i64) -> Result<u32, PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let failures: Option<u32> = conn
            .query_row(
                "SELECT failures FROM login_failures
                 WHERE email = ?1 AND last_failure_at > ?2",
                params![email, now - LOGIN_FAILURE_WINDOW_SECS],
                |row| row.get(0),
            )
            .optional()?;
        Ok(failures.unwrap_or(0))
    }

    fn record_login_failure(&self, email: &str, now: i64) -> Result<(), PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        conn.execute(
            "INSERT INTO login_failures (email, failures, last_failure_at) VALUES (?1, 1, ?2)
             ON CONFLICT (email) DO UPDATE SET
                 failures = CASE WHEN last_failure_at > ?3 THEN failures + 1 ELSE 1 END,
                 last_failure_at = ?2",
            params![email, now, now - LOGIN_FAILURE_WINDOW_SECS],
        )?;
        Ok(())
    }

    fn open_session(
        &self,
        user: &StaffUser,
        token_sha256: &[u8; 32],
        csrf_token: &str,
        now: i64,
        address: Option<&str>,
    ) -> Result<(), PeopleError> {
        let mut conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM login_failures WHERE email = ?1",
            params![user.email],
        )?;
        tx.execute(
            "INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, last_seen_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![&token_sha256[..], user.id, csrf_token, now],
        )?;
        audit(&tx, &actor(user), "session.open", "", address)?;
        tx.commit()?;
        Ok(())
    }

    fn session(
        &self,
        token_sha256: &[u8; 32],
        now: i64,
        idle_timeout_secs: i64,
    ) -> Result<Option<SessionInfo>, PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let row: Option<(i64, String, i64)> = conn
            .query_row(
                "SELECT s.user_id, s.csrf_token, s.last_seen_at FROM sessions s
                 JOIN users u ON u.id = s.user_id
                 WHERE s.token_sha256 = ?1 AND u.disabled_at IS NULL",
                params![&token_sha256[..]],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let Some((user_id, csrf_token, last_seen)) = row else {
            return Ok(None);
        };
        if now - last_seen > idle_timeout_secs {
            conn.execute(
                "DELETE FROM sessions WHERE token_sha256 = ?1",
                params![&token_sha256[..]],
            )?;
            return Ok(None);
        }
        // Writing on every request would cost a disk sync each time: a minute's precision
        // is enough for an idle timeout measured in hours.
        if now - last_seen >= 60 {
            conn.execute(
                "UPDATE sessions SET last_seen_at = ?2 WHERE token_sha256 = ?1",
                params![&token_sha256[..], now],
            )?;
        }
        let user = conn.query_row(
            &format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = ?1"),
            params![user_id],
            user_row,
        )?;
        Ok(Some(SessionInfo {
            user: with_associations(&conn, user)?,
            csrf_token,
        }))
    }

    fn close_session(&self, token_sha256: &[u8; 32]) -> Result<(), PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        conn.execute(
            "DELETE FROM sessions WHERE token_sha256 = ?1",
            params![&token_sha256[..]],
        )?;
        Ok(())
    }

    fn close_all_sessions(
        &self,
        user: &StaffUser,
        address: Option<&str>,
    ) -> Result<usize, PeopleError> {
        let mut conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let tx = conn.transaction()?;
        let closed = tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![user.id])?;
        audit(
            &tx,
            &actor(user),
            "session.close_all",
            &format!("{closed} session(s)"),
            address,
        )?;
        tx.commit()?;
        Ok(closed)
    }

    fn record_audit(&self, entry: &AuditEntry) -> Result<(), PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, detail, address) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                now_rfc3339(),
                entry.actor,
                entry.action,
                entry.detail,
                entry.address
            ],
        )?;
        Ok(())
    }

    fn audit_log(&self, query: &AuditQuery) -> Result<AuditPage, PeopleError> {
        let conn = self.reader();
        let mut statement = conn.prepare_cached(
            "SELECT id, at, actor, action, detail, address FROM audit_log \
             WHERE (?1 IS NULL OR id < ?1) AND (?2 IS NULL OR action = ?2) \
               AND (?3 IS NULL OR actor = ?3) \
             ORDER BY id DESC LIMIT ?4",
        )?;
        let limit = i64::try_from(query.limit + 1).unwrap_or(i64::MAX);
        let rows = statement
            .query_map(
                params![query.before, query.action, query.actor, limit],
                |row| {
                    Ok(AuditRecord {
                        id: row.get(0)?,
                        at: row.get(1)?,
                        actor: row.get(2)?,
                        action: row.get(3)?,
                        detail: row.get(4)?,
                        address: row.get(5)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(audit_page(rows, query.limit))
    }
}

/// The columns [`user_row`] reads, of `users` as `u`.
const USER_COLUMNS: &str = "u.id, u.email, u.display_name, u.role";

/// A staff account from a row that starts with [`USER_COLUMNS`]; its associations are
/// another table's ([`with_associations`]).
fn user_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StaffUser> {
    Ok(StaffUser {
        id: row.get(0)?,
        email: row.get(1)?,
        display_name: row.get(2)?,
        role: role_at(row, 3)?,
        associations: Vec::new(),
    })
}

/// The role in column `index`, as stored: the table's CHECK allows only the three names.
fn role_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Role> {
    let text: String = row.get(index)?;
    text.parse::<Role>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// `user` with the associations stored for it.
fn with_associations(
    conn: &rusqlite::Connection,
    mut user: StaffUser,
) -> Result<StaffUser, PeopleError> {
    let mut statement = conn.prepare_cached(
        "SELECT association FROM user_associations WHERE user_id = ?1 ORDER BY association",
    )?;
    let rows = statement.query_map(params![user.id], |row| row.get(0))?;
    user.associations = rows.collect::<Result<_, _>>()?;
    Ok(user)
}

pub(super) fn audit(
    conn: &rusqlite::Connection,
    actor: &str,
    action: &str,
    detail: &str,
    address: Option<&str>,
) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, detail, address) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![now_rfc3339(), actor, action, detail, address],
    )?;
    Ok(())
}

/// How the audit log names a staff member: by id, so that the log holds no e-mail address.
fn actor(user: &StaffUser) -> String {
    format!("user:{}", user.id)
}
