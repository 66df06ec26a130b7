//! PostgreSQL, the [`Backend`] for installations that outgrow one machine: several
//! `letsema serve` processes on one database (`--database postgres://...`). One module per
//! area implements that area's trait, with its SQL, as `sqlite/` does for SQLite; the rules
//! that are not about storage stay in `store/<area>.rs`, shared.
//!
//! The storage traits block, and tokio-postgres is asynchronous. The store owns a small
//! tokio runtime of its own (one thread, `letsema-pg`) that drives the connections' sockets;
//! a trait method enters that runtime and waits for its queries on the calling thread
//! ([`PostgresStore::run`]). So the traits work the same from tokio's blocking pool, the
//! sync workers, a command or a test, and never block the server's own runtime threads
//! more than SQLite's calls do.
//!
//! Connections come from a bounded pool (deadpool-postgres: [`DEFAULT_POOL_SIZE`] by
//! default); each connection prepares a statement once and keeps it
//! (`prepare_cached`). The schema is migrated at start-up under an advisory lock, so that
//! servers started together migrate once (`migrations/postgres/`, a history of its own).
//! The connection is plain, or TLS with the certificate verified, as the URL's `sslmode`
//! says (`tls.rs`).

mod associations;
mod dashboard;
mod devices;
mod duplicates;
mod forms;
mod import;
mod people;
mod submissions;
mod sync;
mod tls;
mod validate;

pub use sync::PostgresSyncStore;

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use letsema_protocol::{DatabaseHealth, DatabaseState};
use tokio_postgres::NoTls;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Backend, DatabaseError};

/// Schema migrations, oldest first, from `server/migrations/postgres/`. Never edit one
/// that has shipped: add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_schema.sql"),
    include_str!("../../../migrations/postgres/0002_ascii_email_case_and_devices_by_enrolment.sql"),
    include_str!("../../../migrations/postgres/0003_submissions_table.sql"),
    include_str!("../../../migrations/postgres/0004_submission_comments.sql"),
    include_str!("../../../migrations/postgres/0005_audit_address.sql"),
    include_str!("../../../migrations/postgres/0006_submissions_by_form_and_time.sql"),
    include_str!("../../../migrations/postgres/0007_duplicates.sql"),
    include_str!("../../../migrations/postgres/0008_dashboard.sql"),
];

/// The advisory lock key servers take while they migrate the schema ("LTSMMIGR").
const MIGRATION_LOCK: i64 = 0x4c54_534d_4d49_4752;

/// Connections in the pool by default: enough for every sync worker, the validator and
/// staff requests of one server on a small machine. Several servers share one database:
/// PostgreSQL's `max_connections` (100 by default) must exceed their sum.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// How long a request waits for a free connection before it fails.
const POOL_WAIT: Duration = Duration::from_secs(10);

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The URL is not a PostgreSQL connection string.
    #[error(
        "the database URL is not a PostgreSQL connection string: {0}. Write it as \
         postgres://USER:PASSWORD@HOST:PORT/DATABASE"
    )]
    Url(#[source] tokio_postgres::Error),
    /// The URL's TLS options cannot be followed, or TLS cannot be set up.
    #[error("cannot protect the database connection: {0}")]
    Tls(String),
    /// The runtime that drives the connections could not start.
    #[error("cannot start the database connection thread: {0}")]
    Runtime(#[source] std::io::Error),
    /// The pool could not be made.
    #[error("cannot set up the database connection pool: {0}")]
    Pool(String),
    /// The server did not answer, refused the connection or the credentials.
    #[error(
        "cannot connect to the database at {target}: {}. Check that PostgreSQL runs, that \
         the URL's host, port, user and password are right, that the database exists, and \
         with sslmode that its certificate names that host and is trusted (give its CA with \
         sslrootcert=FILE)",
        causes(source.as_ref())
    )]
    Connect {
        target: String,
        #[source]
        source: DatabaseError,
    },
    /// The schema could not be brought up to date.
    #[error(
        "cannot update the database schema at {target}: {source}. Restore a backup or use \
         a newer letsema"
    )]
    Migrate {
        target: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database's schema is newer than this program knows.
    #[error(
        "the database at {target} has schema version {found}, newer than this letsema knows \
         ({known}): use a newer letsema"
    )]
    TooNew {
        target: String,
        found: i64,
        known: usize,
    },
}

/// The PostgreSQL database; a handle cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    runtime: Arc<DbRuntime>,
    /// The database, for messages: host, port and name, never the password.
    target: Arc<str>,
    /// Loaded submission documents, bounded in memory (see `letsema_sync::cache`). A
    /// document is taken from it only at the heads the database holds now, so another
    /// server's commit is never hidden by it.
    pub(crate) docs: Arc<letsema_sync::cache::DocCache>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The runtime that drives the connections, shut down without waiting when the last store
/// handle goes (dropping a runtime inside another runtime's thread would panic).
struct DbRuntime(Option<tokio::runtime::Runtime>);

impl Drop for DbRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`) with
    /// at most `pool_size` connections, and migrates its schema to the latest version.
    pub fn open(url: &str, pool_size: usize) -> Result<Self, PostgresError> {
        let transport = tls::transport(url)?;
        let config =
            tokio_postgres::Config::from_str(&transport.url).map_err(PostgresError::Url)?;
        let target = describe(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("letsema-pg")
            .enable_all()
            .build()
            .map_err(PostgresError::Runtime)?;
        let manager_config = ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        };
        let manager = match transport.tls {
            Some(tls) => Manager::from_config(config, MakeRustlsConnect::new(tls), manager_config),
            None => Manager::from_config(config, NoTls, manager_config),
        };
        let pool = {
            // The pool's timers run on the database runtime.
            let _entered = runtime.enter();
            Pool::builder(manager)
                .max_size(pool_size.max(2))
                .wait_timeout(Some(POOL_WAIT))
                .create_timeout(Some(POOL_WAIT))
                .recycle_timeout(Some(POOL_WAIT))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|e| PostgresError::Pool(e.to_string()))?
        };
        let store = PostgresStore {
            pool,
            runtime: Arc::new(DbRuntime(Some(runtime))),
            target: target.into(),
            docs: Arc::new(letsema_sync::cache::DocCache::default()),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The database, for messages: `HOST:PORT/DATABASE`, never the password.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `future` (this store's queries) to its end on the calling thread, with the
    /// database runtime entered so that new connections register their sockets with it.
    pub(crate) fn run<T>(&self, future: impl Future<Output = T>) -> T {
        let Some(runtime) = self.runtime.0.as_ref() else {
            unreachable!("the runtime is taken only when the store is dropped");
        };
        let _entered = runtime.enter();
        futures_executor::block_on(future)
    }

    /// A connection from the pool.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Object, DatabaseError> {
        self.pool.get().await.map_err(pool_error)
    }

    fn migrate(&self) -> Result<(), PostgresError> {
        let connect = |source| PostgresError::Connect {
            target: self.target.to_string(),
            source,
        };
        let migrate = |source| PostgresError::Migrate {
            target: self.target.to_string(),
            source,
        };
        self.run(async {
            let mut client = self.client().await.map_err(connect)?;
            client
                .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(migrate)?;
            let result = self.migrate_locked(&mut client).await;
            // Released also when the connection closes; released here so that the pooled
            // connection does not keep it.
            let unlocked = client
                .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(migrate);
            result.and(unlocked.map(|_| ()))
        })
    }

    async fn migrate_locked(
        &self,
        client: &mut deadpool_postgres::Object,
    ) -> Result<(), PostgresError> {
        let migrate = |source| PostgresError::Migrate {
            target: self.target.to_string(),
            source,
        };
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS letsema_schema (
                     version BIGINT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .await
            .map_err(migrate)?;
        let found: i64 = client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM letsema_schema", &[])
            .await
            .map_err(migrate)?
            .get(0);
        let known = MIGRATIONS.len();
        if usize::try_from(found).unwrap_or(usize::MAX) > known {
            return Err(PostgresError::TooNew {
                target: self.target.to_string(),
                found,
                known,
            });
        }
        for (index, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(found.unsigned_abs() as usize)
        {
            let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
            let tx = client.transaction().await.map_err(migrate)?;
            tx.batch_execute(sql).await.map_err(migrate)?;
            tx.execute(
                "INSERT INTO letsema_schema (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(migrate)?;
            tx.commit().await.map_err(migrate)?;
        }
        Ok(())
    }

    async fn try_health(&self) -> Result<DatabaseHealth, DatabaseError> {
        let client = self.client().await?;
        let row = client
            .query_one(
                "SELECT (SELECT MAX(version) FROM letsema_schema),
                        (SELECT created_at FROM instance WHERE id = 1)",
                &[],
            )
            .await?;
        let version: Option<i64> = row.get(0);
        Ok(DatabaseHealth {
            state: DatabaseState::Ok,
            schema_version: version.and_then(|v| u32::try_from(v).ok()),
            created_at: row.get(1),
            journal_mode: None,
            error: None,
        })
    }
}

impl Backend for PostgresStore {
    fn health(&self) -> DatabaseHealth {
        self.database_health()
    }
}

impl PostgresStore {
    /// [`Backend::health`].
    pub fn database_health(&self) -> DatabaseHealth {
        self.run(self.try_health())
            .unwrap_or_else(|err| DatabaseHealth::unavailable(err.to_string()))
    }
}

/// `HOST:PORT/DATABASE` of a connection string, for messages.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let database = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("{host}:{port}/{database}")
}

/// An error and its causes on one line (tokio-postgres's own text stops at "error
/// performing TLS handshake").
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn pool_error(error: deadpool_postgres::PoolError) -> DatabaseError {
    match error {
        deadpool_postgres::PoolError::Backend(error) => Box::new(error),
        other => other.to_string().into(),
    }
}

/// Whether `error` is PostgreSQL's unique violation (23505).
fn is_unique_violation(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// Whether `error` says the server's disk is full (53100).
fn is_disk_full(error: &tokio_postgres::Error) -> bool {
    error.code() == Some(&tokio_postgres::error::SqlState::DISK_FULL)
}

/// For tests on PostgreSQL: a new, empty database in the cluster that
/// `LETSEMA_TEST_POSTGRES_URL` names (`./dev test` starts one and sets it).
#[doc(hidden)]
pub mod testing {
    use std::str::FromStr;

    /// The variable that names the test cluster.
    pub const CLUSTER_VARIABLE: &str = "LETSEMA_TEST_POSTGRES_URL";

    /// Creates a database of its own for one test in the test cluster and gives its URL.
    ///
    /// # Panics
    ///
    /// When `LETSEMA_TEST_POSTGRES_URL` is not set or the cluster does not answer: a test
    /// on PostgreSQL cannot run without one, and must not pass without running.
    pub fn fresh_database() -> String {
        let url = std::env::var(CLUSTER_VARIABLE).unwrap_or_else(|_| {
            panic!(
                "this test runs on PostgreSQL: set {CLUSTER_VARIABLE} to a cluster's URL where \
                 it may create databases (./dev test starts a throwaway one)"
            )
        });
        let mut name_bytes = [0u8; 8];
        getrandom::fill(&mut name_bytes).expect("random bytes");
        // The test process's id in the name: the databases of processes that have ended are
        // dropped by the next one (`drop_ended`), so that a whole run's databases never fill
        // the cluster's disk.
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            name_bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let config = tokio_postgres::Config::from_str(&url).expect("a PostgreSQL URL");
        // Its own thread: the caller may be inside another runtime.
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    // Made and dropped on this thread: the caller may be inside a runtime.
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime");
                    runtime.block_on(async {
                        let (client, connection) = config
                            .connect(tokio_postgres::NoTls)
                            .await
                            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
                        let driver = tokio::spawn(connection);
                        drop_ended(&client).await;
                        client
                            .batch_execute(&format!("CREATE DATABASE {name}"))
                            .await
                            .unwrap_or_else(|e| panic!("creating a test database: {e}"));
                        drop(client);
                        let _ = driver.await;
                    });
                })
                .join()
                .expect("the database is created");
        });
        let mut config = config;
        config.dbname(&name);
        let (user, host, port) = (
            config.get_user().unwrap_or("letsema").to_owned(),
            match config.get_hosts().first() {
                Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
                _ => "127.0.0.1".to_owned(),
            },
            config.get_ports().first().copied().unwrap_or(5432),
        );
        format!("postgres://{user}@{host}:{port}/{name}")
    }

    /// Drops the test databases (`t_<process id>_<random>`) of test processes that have
    /// ended, as `/proc` tells; where there is no `/proc`, none. Failures are left alone: a
    /// database another test process is dropping at the same time is gone either way.
    async fn drop_ended(client: &tokio_postgres::Client) {
        if !std::path::Path::new("/proc/self").exists() {
            return;
        }
        let Ok(rows) = client
            .query(
                r"SELECT datname FROM pg_database WHERE datname LIKE 't\_%\_%'",
                &[],
            )
            .await
        else {
            return;
        };
        for row in rows {
            let name: String = row.get(0);
            let Some(pid) = name
                .strip_prefix("t_")
                .and_then(|rest| rest.split_once('_'))
                .and_then(|(pid, _)| pid.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}
