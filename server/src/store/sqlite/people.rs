//! [`PeopleStore`] in SQL: the `users`, `user_associations`, `sessions`, `login_failures`
//! and `audit_log` tables.

use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::store::people::LOGIN_FAILURE_WINDOW_SECS;
use crate::store::{NewUser, PeopleError, PeopleStore, SessionInfo, StaffUser};

impl From<rusqlite::Error> for PeopleError {
    fn from(error: rusqlite::Error) -> Self {
        PeopleError::Database(Box::new(error))
    }
}

impl PeopleStore for SqliteStore {
    fn add_user(&self, new: &NewUser, actor: &str) -> Result<StaffUser, PeopleError> {
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
        let mut statement = conn.prepare(
            "SELECT id, email, display_name, role FROM users
             WHERE disabled_at IS NULL ORDER BY email",
        )?;
        let rows: Vec<(i64, String, String, String)> = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(id, email, display_name, role)| {
                Ok(StaffUser {
                    id,
                    email,
                    display_name,
                    role: role.parse()?,
                    associations: associations_of(&conn, id)?,
                })
            })
            .collect()
    }

    fn credentials(&self, email: &str) -> Result<Option<(StaffUser, String)>, PeopleError> {
        let conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let row: Option<(i64, String, String, String, String)> = conn
            .query_row(
                "SELECT id, email, display_name, role, password_hash FROM users
                 WHERE email = ?1 AND disabled_at IS NULL",
                params![email],
                |row| {
                    Ok((
                        row.get(0)?,
                        row.get(1)?,
                        row.get(2)?,
                        row.get(3)?,
                        row.get(4)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, email, display_name, role, hash)| {
            Ok((
                StaffUser {
                    id,
                    email,
                    display_name,
                    role: role.parse()?,
                    associations: associations_of(&conn, id)?,
                },
                hash,
            ))
        })
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
        audit(&tx, &actor(user), "session.open", "")?;
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
        let (email, display_name, role): (String, String, String) = conn.query_row(
            "SELECT email, display_name, role FROM users WHERE id = ?1",
            params![user_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        Ok(Some(SessionInfo {
            user: StaffUser {
                id: user_id,
                email,
                display_name,
                role: role.parse()?,
                associations: associations_of(&conn, user_id)?,
            },
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

    fn close_all_sessions(&self, user: &StaffUser) -> Result<usize, PeopleError> {
        let mut conn = self.conn.lock().map_err(|_| PeopleError::Poisoned)?;
        let tx = conn.transaction()?;
        let closed = tx.execute("DELETE FROM sessions WHERE user_id = ?1", params![user.id])?;
        audit(
            &tx,
            &actor(user),
            "session.close_all",
            &format!("{closed} session(s)"),
        )?;
        tx.commit()?;
        Ok(closed)
    }
}

fn associations_of(conn: &rusqlite::Connection, user_id: i64) -> Result<Vec<String>, PeopleError> {
    let mut statement = conn.prepare_cached(
        "SELECT association FROM user_associations WHERE user_id = ?1 ORDER BY association",
    )?;
    let rows = statement.query_map(params![user_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn audit(
    conn: &rusqlite::Connection,
    actor: &str,
    action: &str,
    detail: &str,
) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
        params![now_rfc3339(), actor, action, detail],
    )?;
    Ok(())
}

/// How the audit log names a staff member: by id, so that the log holds no e-mail address.
fn actor(user: &StaffUser) -> String {
    format!("user:{}", user.id)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
