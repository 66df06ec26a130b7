//! [`PeopleStore`] over PostgreSQL: the `users`, `user_associations`, `sessions`,
//! `login_failures` and `audit_log` tables, as in SQLite (see `sqlite/people.rs`).
//!
//! - An e-mail address is one account whatever its ASCII case: SQLite's `COLLATE NOCASE`
//!   is `lower(email COLLATE "C")` here (the unique index `users_by_email`), which folds
//!   A-Z alone as NOCASE does, and `login_failures` keeps its keys folded the same way.
//!   Two servers adding the same address at once: the index refuses the second, which is
//!   [`PeopleError::EmailTaken`] as the check before it would have been.
//! - Lists sort text byte by byte (`COLLATE "C"`), as SQLite does, whatever the database's
//!   own collation.
//! - A session is read with its user and associations in one query, on every staff request.
//! - PostgreSQL's text cannot hold U+0000. The account rules refuse it in e-mail addresses,
//!   display names and association codes; other stores refuse it in what they write
//!   ([`NulInText`]) should it get past the routes' rules. A sign-in address that carries
//!   one finds no account (none can have it), and its failures are counted under the
//!   address with U+FFFD in its place.

use std::fmt;

use deadpool_postgres::Transaction;
use tokio_postgres::Row;

use super::PostgresStore;
use crate::store::now_rfc3339;
use crate::store::people::LOGIN_FAILURE_WINDOW_SECS;
use crate::store::{
    AuditEntry, AuditPage, AuditQuery, AuditRecord, NewUser, PeopleError, PeopleStore, Role,
    SessionInfo, StaffUser, audit_page,
};

impl From<tokio_postgres::Error> for PeopleError {
    fn from(error: tokio_postgres::Error) -> Self {
        PeopleError::Database(Box::new(error))
    }
}

/// A text PostgreSQL cannot store: it holds U+0000. The request fails with this as its
/// database error, before anything is written.
#[derive(Debug)]
pub(super) struct NulInText {
    /// What the text is ("display name", "label").
    pub(super) field: &'static str,
}

impl fmt::Display for NulInText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} contains a NUL character (U+0000), which the database cannot store: \
             remove it",
            self.field
        )
    }
}

impl std::error::Error for NulInText {}

/// Refuses `text` if it holds U+0000.
pub(super) fn refuse_nul(field: &'static str, text: &str) -> Result<(), NulInText> {
    if text.contains('\0') {
        Err(NulInText { field })
    } else {
        Ok(())
    }
}

/// The columns [`user_row`] reads, of `users` as `u`, with the user's associations in the
/// order SQLite gives them.
macro_rules! user_columns {
    () => {
        "u.id, u.email, u.display_name, u.role,
         ARRAY(SELECT ua.association FROM user_associations ua WHERE ua.user_id = u.id
               ORDER BY ua.association COLLATE \"C\")"
    };
}

/// The session of a token with its user (enabled): `user_columns!`, then the CSRF token
/// and when the session was last used.
const SESSION_SQL: &str = concat!(
    "SELECT ",
    user_columns!(),
    ", s.csrf_token, s.last_seen_at
     FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.token_sha256 = $1 AND u.disabled_at IS NULL"
);

/// Deletes a session that has been idle too long (`$2` now, `$3` the timeout): not one
/// another server has used meanwhile.
const EXPIRE_SESSION_SQL: &str =
    "DELETE FROM sessions WHERE token_sha256 = $1 AND $2 - last_seen_at > $3";

/// Restarts a session's idle clock (never backwards, should servers' clocks differ).
const TOUCH_SESSION_SQL: &str =
    "UPDATE sessions SET last_seen_at = $2 WHERE token_sha256 = $1 AND last_seen_at < $2";

impl PeopleStore for PostgresStore {
    fn add_user(
        &self,
        new: &NewUser,
        actor: &str,
        address: Option<&str>,
    ) -> Result<StaffUser, PeopleError> {
        new.check()?;
        self.run(async {
            let mut client = self.client().await.map_err(PeopleError::Database)?;
            let tx = client.transaction().await?;
            let taken = tx
                .query_opt(
                    "SELECT 1 FROM users WHERE lower(email COLLATE \"C\") = lower($1::text COLLATE \"C\")",
                    &[&new.email],
                )
                .await?
                .is_some();
            if taken {
                return Err(PeopleError::EmailTaken(new.email.clone()));
            }
            let inserted = tx
                .query_one(
                    "INSERT INTO users (email, display_name, role, password_hash, created_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &new.email,
                        &new.display_name,
                        &new.role.as_str(),
                        &new.password_hash,
                        &now_rfc3339(),
                    ],
                )
                .await;
            let id: i64 = match inserted {
                Ok(row) => row.try_get(0)?,
                // Another server added the address since the check.
                Err(error) if is_email_taken(&error) => {
                    return Err(PeopleError::EmailTaken(new.email.clone()));
                }
                Err(error) => return Err(error.into()),
            };
            for association in &new.associations {
                tx.execute(
                    "INSERT INTO user_associations (user_id, association) VALUES ($1, $2)",
                    &[&id, association],
                )
                .await?;
            }
            audit(
                &tx,
                actor,
                "user.add",
                &format!("user {id} role {}", new.role), address,
            )
            .await?;
            tx.commit().await?;
            Ok(StaffUser {
                id,
                email: new.email.clone(),
                display_name: new.display_name.clone(),
                role: new.role,
                associations: new.associations.clone(),
            })
        })
    }

    fn list_users(&self) -> Result<Vec<StaffUser>, PeopleError> {
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            let rows = client
                .query(
                    concat!(
                        "SELECT ",
                        user_columns!(),
                        " FROM users u WHERE u.disabled_at IS NULL
                         ORDER BY lower(u.email COLLATE \"C\")"
                    ),
                    &[],
                )
                .await?;
            rows.iter().map(user_row).collect()
        })
    }

    fn credentials(&self, email: &str) -> Result<Option<(StaffUser, String)>, PeopleError> {
        // No account's address holds U+0000 (`NewUser::check`), and the database refuses
        // to compare with one.
        if email.contains('\0') {
            return Ok(None);
        }
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            let row = client
                .query_opt(
                    concat!(
                        "SELECT ",
                        user_columns!(),
                        ", u.password_hash FROM users u
                         WHERE lower(u.email COLLATE \"C\") = lower($1::text COLLATE \"C\") AND u.disabled_at IS NULL"
                    ),
                    &[&email],
                )
                .await?;
            row.map(|row| Ok((user_row(&row)?, row.try_get(5)?)))
                .transpose()
        })
    }

    fn recent_login_failures(&self, email: &str, now: i64) -> Result<u32, PeopleError> {
        let key = failure_key(email);
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            let row = client
                .query_opt(
                    "SELECT failures FROM login_failures
                     WHERE email = lower($1::text COLLATE \"C\") AND last_failure_at > $2",
                    &[&key, &(now - LOGIN_FAILURE_WINDOW_SECS)],
                )
                .await?;
            let failures: i64 = match row {
                Some(row) => row.try_get(0)?,
                None => 0,
            };
            Ok(u32::try_from(failures).unwrap_or(u32::MAX))
        })
    }

    fn record_login_failure(&self, email: &str, now: i64) -> Result<(), PeopleError> {
        let key = failure_key(email);
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            client
                .execute(
                    "INSERT INTO login_failures (email, failures, last_failure_at)
                     VALUES (lower($1::text COLLATE \"C\"), 1, $2)
                     ON CONFLICT (email) DO UPDATE SET
                         failures = CASE WHEN login_failures.last_failure_at > $3
                                         THEN login_failures.failures + 1 ELSE 1 END,
                         last_failure_at = $2",
                    &[&key, &now, &(now - LOGIN_FAILURE_WINDOW_SECS)],
                )
                .await?;
            Ok(())
        })
    }

    fn open_session(
        &self,
        user: &StaffUser,
        token_sha256: &[u8; 32],
        csrf_token: &str,
        now: i64,
        address: Option<&str>,
    ) -> Result<(), PeopleError> {
        self.run(async {
            let mut client = self.client().await.map_err(PeopleError::Database)?;
            let tx = client.transaction().await?;
            tx.execute(
                "DELETE FROM login_failures WHERE email = lower($1::text COLLATE \"C\")",
                &[&failure_key(&user.email)],
            )
            .await?;
            tx.execute(
                "INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at,
                     last_seen_at)
                 VALUES ($1, $2, $3, $4, $4)",
                &[&&token_sha256[..], &user.id, &csrf_token, &now],
            )
            .await?;
            audit(&tx, &actor(user), "session.open", "", address).await?;
            tx.commit().await?;
            Ok(())
        })
    }

    fn session(
        &self,
        token_sha256: &[u8; 32],
        now: i64,
        idle_timeout_secs: i64,
    ) -> Result<Option<SessionInfo>, PeopleError> {
        let token = &token_sha256[..];
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            let row = client
                .query_opt(&client.prepare_cached(SESSION_SQL).await?, &[&token])
                .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let last_seen: i64 = row.try_get(6)?;
            if now - last_seen > idle_timeout_secs {
                client
                    .execute(
                        &client.prepare_cached(EXPIRE_SESSION_SQL).await?,
                        &[&token, &now, &idle_timeout_secs],
                    )
                    .await?;
                return Ok(None);
            }
            // Writing on every request would cost a disk sync each time: a minute's
            // precision is enough for an idle timeout measured in hours.
            if now - last_seen >= 60 {
                client
                    .execute(
                        &client.prepare_cached(TOUCH_SESSION_SQL).await?,
                        &[&token, &now],
                    )
                    .await?;
            }
            Ok(Some(SessionInfo {
                user: user_row(&row)?,
                csrf_token: row.try_get(5)?,
            }))
        })
    }

    fn close_session(&self, token_sha256: &[u8; 32]) -> Result<(), PeopleError> {
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            client
                .execute(
                    "DELETE FROM sessions WHERE token_sha256 = $1",
                    &[&&token_sha256[..]],
                )
                .await?;
            Ok(())
        })
    }

    fn close_all_sessions(
        &self,
        user: &StaffUser,
        address: Option<&str>,
    ) -> Result<usize, PeopleError> {
        self.run(async {
            let mut client = self.client().await.map_err(PeopleError::Database)?;
            let tx = client.transaction().await?;
            let closed = tx
                .execute("DELETE FROM sessions WHERE user_id = $1", &[&user.id])
                .await?;
            audit(
                &tx,
                &actor(user),
                "session.close_all",
                &format!("{closed} session(s)"),
                address,
            )
            .await?;
            tx.commit().await?;
            Ok(usize::try_from(closed).unwrap_or(usize::MAX))
        })
    }

    fn record_audit(&self, entry: &AuditEntry) -> Result<(), PeopleError> {
        let clean = |text: &str| text.replace('\0', "\u{fffd}");
        let (actor, action, detail) = (
            clean(&entry.actor),
            clean(&entry.action),
            clean(&entry.detail),
        );
        let address = entry.address.as_deref().map(clean);
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            client
                .execute(
                    "INSERT INTO audit_log (at, actor, action, detail, address) \
                     VALUES ($1, $2, $3, $4, $5)",
                    &[&now_rfc3339(), &actor, &action, &detail, &address],
                )
                .await?;
            Ok(())
        })
    }

    fn audit_log(&self, query: &AuditQuery) -> Result<AuditPage, PeopleError> {
        let limit = i64::try_from(query.limit + 1).unwrap_or(i64::MAX);
        self.run(async {
            let client = self.client().await.map_err(PeopleError::Database)?;
            let rows = client
                .query(
                    "SELECT id, at, actor, action, detail, address FROM audit_log \
                     WHERE ($1::BIGINT IS NULL OR id < $1) \
                       AND ($2::TEXT IS NULL OR action = $2) \
                       AND ($3::TEXT IS NULL OR actor = $3) \
                     ORDER BY id DESC LIMIT $4",
                    &[&query.before, &query.action, &query.actor, &limit],
                )
                .await?;
            let rows = rows
                .iter()
                .map(|row| {
                    Ok(AuditRecord {
                        id: row.try_get(0)?,
                        at: row.try_get(1)?,
                        actor: row.try_get(2)?,
                        action: row.try_get(3)?,
                        detail: row.try_get(4)?,
                        address: row.try_get(5)?,
                    })
                })
                .collect::<Result<Vec<_>, PeopleError>>()?;
            Ok(audit_page(rows, query.limit))
        })
    }
}

/// A staff account from a row that starts with `user_columns!`.
fn user_row(row: &Row) -> Result<StaffUser, PeopleError> {
    Ok(StaffUser {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        display_name: row.try_get(2)?,
        // The table's CHECK allows only the three names.
        role: row.try_get::<_, &str>(3)?.parse::<Role>()?,
        associations: row.try_get(4)?,
    })
}

/// Whether `error` is the unique index on addresses refusing a second account.
fn is_email_taken(error: &tokio_postgres::Error) -> bool {
    super::is_unique_violation(error)
        && error
            .as_db_error()
            .and_then(|db| db.constraint())
            .is_some_and(|constraint| constraint == "users_by_email")
}

/// The key of an address's failed logins (lower-cased by the database): the address, with
/// U+FFFD for any U+0000 the database could not hold.
fn failure_key(email: &str) -> std::borrow::Cow<'_, str> {
    if email.contains('\0') {
        email.replace('\0', "\u{fffd}").into()
    } else {
        email.into()
    }
}

/// Records who did what, in the caller's transaction.
pub(super) async fn audit(
    tx: &Transaction<'_>,
    actor: &str,
    action: &str,
    detail: &str,
    address: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        &tx.prepare_cached(
            "INSERT INTO audit_log (at, actor, action, detail, address) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .await?,
        &[&now_rfc3339(), &actor, &action, &detail, &address],
    )
    .await?;
    Ok(())
}

/// How the audit log names a staff member: by id, so that the log holds no e-mail address.
fn actor(user: &StaffUser) -> String {
    format!("user:{}", user.id)
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::store::people::LOGIN_FAILURE_WINDOW_SECS as WINDOW;

    /// A store on a new, empty database of its own.
    pub(in crate::store::postgres) fn store() -> PostgresStore {
        PostgresStore::open(&super::super::testing::fresh_database(), 4).expect("opens")
    }

    /// Two servers' stores on one new database.
    pub(in crate::store::postgres) fn two_servers() -> (PostgresStore, PostgresStore) {
        let url = super::super::testing::fresh_database();
        (
            PostgresStore::open(&url, 4).expect("opens"),
            PostgresStore::open(&url, 4).expect("opens again"),
        )
    }

    pub(in crate::store::postgres) fn new_user(
        email: &str,
        role: Role,
        associations: &[&str],
    ) -> NewUser {
        NewUser {
            email: email.to_owned(),
            display_name: "Someone".to_owned(),
            role,
            associations: associations.iter().map(|a| (*a).to_owned()).collect(),
            password_hash: "$argon2id$hash".to_owned(),
        }
    }

    /// An admin, whom enrolments and public links name as their creator.
    pub(in crate::store::postgres) fn admin(store: &PostgresStore) -> StaffUser {
        store
            .add_user(
                &new_user("admin@example.org", Role::Admin, &[]),
                "cli",
                None,
            )
            .expect("an admin")
    }

    /// The one number a query gives.
    pub(in crate::store::postgres) fn number(store: &PostgresStore, sql: &str) -> i64 {
        store.run(async {
            let client = store.client().await.expect("a connection");
            client.query_one(sql, &[]).await.expect("a number").get(0)
        })
    }

    pub(in crate::store::postgres) fn execute(store: &PostgresStore, sql: &str) {
        store.run(async {
            let client = store.client().await.expect("a connection");
            client.batch_execute(sql).await.expect("executes");
        });
    }

    #[test]
    fn an_address_is_one_account_whatever_its_case() {
        let store = store();
        let ada = store
            .add_user(&new_user("Ada@Example.org", Role::Admin, &[]), "cli", None)
            .expect("added");
        let (found, hash) = store
            .credentials("ada@EXAMPLE.ORG")
            .expect("reads")
            .expect("found whatever the case");
        assert_eq!(found, ada);
        assert_eq!(found.email, "Ada@Example.org", "kept as written");
        assert_eq!(hash, "$argon2id$hash");
        let again = store.add_user(
            &new_user("ADA@example.org", Role::Reviewer, &[]),
            "cli",
            None,
        );
        assert!(
            matches!(again, Err(PeopleError::EmailTaken(_))),
            "{again:?}"
        );
        // A-Z alone are folded, as SQLite's NOCASE does: these are two accounts there.
        for email in ["élise@example.org", "Élise@example.org"] {
            store
                .add_user(&new_user(email, Role::Reviewer, &[]), "cli", None)
                .expect("another account");
        }
        let (found, _) = store
            .credentials("ÉLISE@EXAMPLE.ORG")
            .expect("reads")
            .expect("found");
        assert_eq!(found.email, "Élise@example.org");
        assert!(
            store
                .credentials("nobody@example.org")
                .expect("reads")
                .is_none()
        );
    }

    /// In SQLite's order (byte order, the address without its case), even where the
    /// database's collation is a language's.
    #[test]
    fn users_are_listed_by_address_whatever_its_case_with_their_associations_in_order() {
        let store = store();
        execute(
            &store,
            "ALTER TABLE users ALTER COLUMN email TYPE TEXT COLLATE \"en-x-icu\";
             ALTER TABLE user_associations ALTER COLUMN association
                 TYPE TEXT COLLATE \"en-x-icu\"",
        );
        store
            .add_user(
                &new_user("Carol@example.org", Role::Admin, &[]),
                "cli",
                None,
            )
            .expect("added");
        store
            .add_user(
                &new_user(
                    "bob@example.org",
                    Role::Reviewer,
                    &["b-x", "a_x", "A-x", "a-x"],
                ),
                "cli",
                None,
            )
            .expect("added");
        store
            .add_user(
                &new_user("dan@example.org", Role::Coordinator, &["assoc-a"]),
                "cli",
                None,
            )
            .expect("added");
        let listed = store.list_users().expect("listed");
        let emails: Vec<&str> = listed.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(
            emails,
            ["bob@example.org", "Carol@example.org", "dan@example.org"]
        );
        // Byte order, as SQLite gives it.
        assert_eq!(listed[0].associations, ["A-x", "a-x", "a_x", "b-x"]);
        assert_eq!(listed[2].role, Role::Coordinator);
        assert_eq!(listed[2].associations, ["assoc-a"]);
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'user.add'"
            ),
            3
        );

        execute(
            &store,
            "UPDATE users SET disabled_at = 'x' WHERE email = 'dan@example.org'",
        );
        assert_eq!(store.list_users().expect("listed").len(), 2);
        assert!(
            store
                .credentials("dan@example.org")
                .expect("reads")
                .is_none()
        );
    }

    #[test]
    fn an_account_breaking_the_rules_is_refused_before_the_database() {
        let store = store();
        let bad = [
            new_user("not an address", Role::Admin, &[]),
            new_user("a\0b@example.org", Role::Admin, &[]),
            new_user("c@example.org", Role::Coordinator, &[]),
            new_user("c@example.org", Role::Admin, &["assoc-a"]),
            new_user("c@example.org", Role::Reviewer, &["with space"]),
            new_user("c@example.org", Role::Reviewer, &["assoc-a", "assoc-a"]),
            NewUser {
                display_name: "Ca\0rol".to_owned(),
                ..new_user("c@example.org", Role::Admin, &[])
            },
        ];
        for user in &bad {
            let err = store.add_user(user, "cli", None).expect_err("refused");
            assert!(!matches!(err, PeopleError::Database(_)), "{err}");
        }
        assert!(
            store.list_users().expect("listed").is_empty(),
            "nothing kept"
        );
        assert_eq!(number(&store, "SELECT COUNT(*) FROM audit_log"), 0);
    }

    #[test]
    fn two_servers_adding_one_address_at_once_make_one_account() {
        let (store, other) = two_servers();
        for round in 0..10 {
            let barrier = Arc::new(Barrier::new(2));
            let results: Vec<Result<StaffUser, PeopleError>> = std::thread::scope(|scope| {
                let handles: Vec<_> = [(&store, "same"), (&other, "SAME")]
                    .into_iter()
                    .map(|(server, local)| {
                        let barrier = Arc::clone(&barrier);
                        scope.spawn(move || {
                            barrier.wait();
                            server.add_user(
                                &new_user(&format!("{local}{round}@example.org"), Role::Admin, &[]),
                                "cli",
                                None,
                            )
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .collect()
            });
            let added = results.iter().filter(|r| r.is_ok()).count();
            let taken = results
                .iter()
                .filter(|r| matches!(r, Err(PeopleError::EmailTaken(_))))
                .count();
            assert_eq!((added, taken), (1, 1), "round {round}: {results:?}");
        }
        assert_eq!(store.list_users().expect("listed").len(), 10);
    }

    #[test]
    fn failed_logins_count_per_address_whatever_its_case_within_the_window() {
        let store = store();
        let ada = store
            .add_user(&new_user("Ada@Example.org", Role::Admin, &[]), "cli", None)
            .expect("added");
        let t = 1_000_000;
        for (i, email) in ["Ada@Example.org", "ada@example.org", "ADA@EXAMPLE.ORG"]
            .into_iter()
            .enumerate()
        {
            store
                .record_login_failure(email, t + i64::try_from(i).expect("small"))
                .expect("recorded");
        }
        assert_eq!(
            store
                .recent_login_failures("ada@example.org", t + 2)
                .expect("read"),
            3
        );
        assert_eq!(
            number(&store, "SELECT COUNT(*) FROM login_failures"),
            1,
            "one key, lower-cased"
        );
        // After a quiet window, the count is forgotten, and a new failure starts again.
        let later = t + 2 + WINDOW;
        assert_eq!(
            store
                .recent_login_failures("Ada@Example.org", later)
                .expect("read"),
            0
        );
        store
            .record_login_failure("ada@example.org", later)
            .expect("recorded");
        assert_eq!(
            store
                .recent_login_failures("ada@example.org", later)
                .expect("read"),
            1
        );
        // Signing in forgets them.
        store
            .record_login_failure("ada@example.org", later)
            .expect("recorded");
        store
            .open_session(&ada, &[1; 32], "csrf", later, None)
            .expect("opened");
        assert_eq!(
            store
                .recent_login_failures("ada@example.org", later)
                .expect("read"),
            0
        );
        // A sign-in address with U+0000 fails like any unknown address.
        store
            .record_login_failure("x\0@example.org", later)
            .expect("counted");
        assert_eq!(
            store
                .recent_login_failures("x\0@example.org", later)
                .expect("read"),
            1
        );
        assert!(
            store
                .credentials("ada\0@example.org")
                .expect("reads")
                .is_none()
        );
    }

    #[test]
    fn a_session_lasts_while_used_and_ends_when_idle() {
        let store = store();
        let ada = store
            .add_user(
                &new_user("ada@example.org", Role::Reviewer, &["assoc-a"]),
                "cli",
                None,
            )
            .expect("added");
        let idle = 3_600;
        store
            .open_session(&ada, &[1; 32], "csrf-1", 1_000, None)
            .expect("opened");
        let session = store
            .session(&[1; 32], 1_030, idle)
            .expect("reads")
            .expect("open");
        assert_eq!(session.user, ada);
        assert_eq!(session.csrf_token, "csrf-1");
        assert_eq!(
            number(&store, "SELECT last_seen_at FROM sessions"),
            1_000,
            "kept to the minute: no write"
        );
        // Used within the timeout, its idle clock restarts ...
        assert!(
            store
                .session(&[1; 32], 4_000, idle)
                .expect("reads")
                .is_some()
        );
        assert_eq!(number(&store, "SELECT last_seen_at FROM sessions"), 4_000);
        assert!(
            store
                .session(&[1; 32], 7_500, idle)
                .expect("reads")
                .is_some()
        );
        // ... and idle longer, it ends for good.
        assert!(
            store
                .session(&[1; 32], 7_500 + idle + 1, idle)
                .expect("reads")
                .is_none()
        );
        assert!(
            store
                .session(&[1; 32], 7_500, i64::MAX)
                .expect("reads")
                .is_none(),
            "deleted"
        );
        assert!(
            store
                .session(&[9; 32], 1_000, idle)
                .expect("reads")
                .is_none()
        );
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'session.open'"
            ),
            1
        );
    }

    #[test]
    fn sessions_close_one_or_all_and_a_disabled_account_has_none() {
        let store = store();
        let ada = store
            .add_user(&new_user("ada@example.org", Role::Admin, &[]), "cli", None)
            .expect("added");
        let bob = store
            .add_user(&new_user("bob@example.org", Role::Admin, &[]), "cli", None)
            .expect("added");
        for token in 1..=3 {
            store
                .open_session(&ada, &[token; 32], "c", 0, None)
                .expect("opened");
        }
        store
            .open_session(&bob, &[4; 32], "c", 0, None)
            .expect("opened");
        store.close_session(&[1; 32]).expect("closed");
        assert!(store.session(&[1; 32], 0, 60).expect("reads").is_none());
        assert_eq!(store.close_all_sessions(&ada, None).expect("closed"), 2);
        assert!(store.session(&[2; 32], 0, 60).expect("reads").is_none());
        assert!(
            store.session(&[4; 32], 0, 60).expect("reads").is_some(),
            "bob's stays"
        );
        assert_eq!(
            number(
                &store,
                "SELECT COUNT(*) FROM audit_log
                 WHERE action = 'session.close_all' AND detail = '2 session(s)'"
            ),
            1
        );
        execute(
            &store,
            "UPDATE users SET disabled_at = 'x' WHERE email = 'bob@example.org'",
        );
        assert!(store.session(&[4; 32], 0, 60).expect("reads").is_none());
    }
}
