//! `letsema serve`: open the database, bind the port, serve until told to stop.
//!
//! The server runs its own accept loop rather than `warp::serve`: warp 0.4 has no TLS and
//! accepts only its own listener types. Plain HTTP and HTTPS share that one loop, which
//! records each client's address for the routes (`routes::PeerAddr`), serves HTTP/1.1 and
//! HTTP/2 on each connection, closes the connections of clients too slow to speak (the
//! timeouts of [`ConnectionTimeouts`] in the configuration), bounds how many connections are open
//! at once, in all and per address ([`ConnectionLimits`], with the open-files limit raised
//! at start-up to make room for them), adds `Strict-Transport-Security` to every HTTPS
//! response, and drains requests in flight on shutdown.
//!
//! `accept.rs` is that loop and each connection's service; `client.rs` tells who sent a
//! request (the peer, or the client a trusted proxy names); `tls.rs` loads the certificate.

mod accept;
mod client;
pub mod tls;

pub use client::client_address;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use crate::config::{
    ConnectionLimits, ConnectionTimeouts, MAX_CONNECTIONS_CEILING, ServeConfig,
    default_max_connections,
};
use crate::routes::routes;
use crate::state::AppState;
use crate::store::{
    DataDirLock, Database, OpenError, REFERENCE_FORM, SharedStore, SqliteStore, StoreError,
};
use crate::validator::run_validator;

pub use tls::TlsError;

/// Raises the process's open-files soft limit (`RLIMIT_NOFILE`) to its hard limit, as far as
/// the system allows, and returns the soft limit then in force; `None` where there is no
/// such limit (not Unix) or it cannot be read. Each connection holds a file descriptor, and
/// the usual soft limit (1,024) would cap the server at fewer connections than its hard
/// limit allows.
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(error) => {
                let soft = rlimit::getrlimit(rlimit::Resource::NOFILE)
                    .ok()
                    .map(|(soft, _)| soft);
                tracing::warn!(
                    %error,
                    open_files = soft,
                    "cannot raise the open-files limit to its hard limit; keeping it (raise it \
                     with `ulimit -n` or systemd's LimitNOFILE= for more connections)"
                );
                soft
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Threads for blocking work outside the sync workers (database lookups that authenticate
/// a request, the web app's files, validation), at most.
///
/// tokio's default is 512, and a thousand phones reconnecting at once each start a lookup
/// of their credential: the pool grew to hundreds of threads that all waited for the same
/// database connection, each with its own allocator heap, and took the server to 900 MB.
/// Work past this many waits in the pool's queue instead, costing a few hundred bytes each.
pub const MAX_BLOCKING_THREADS: usize = 16;

/// The server's async runtime: tokio's multi-threaded one, one thread per core, with at
/// most [`MAX_BLOCKING_THREADS`] threads for blocking work.
///
/// # Errors
///
/// When the operating system refuses the runtime's threads or I/O driver.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
}

/// The connection limits in force: [`ConnectionLimits`] with the total decided.
#[derive(Debug, Clone, Copy)]
struct ResolvedLimits {
    total: usize,
    per_address: usize,
}

impl ResolvedLimits {
    /// Raises the open-files limit, decides the total and logs both.
    fn at_start_up(limits: ConnectionLimits) -> Self {
        let open_files = raise_open_files_limit();
        let fitting = open_files.map(default_max_connections);
        let total = match (limits.total, fitting) {
            (Some(total), Some(fitting)) if total > fitting => {
                tracing::warn!(
                    max_connections = total,
                    open_files,
                    "--max-connections is more than the open-files limit leaves room for \
                     ({fitting}): accepting may fail with \"too many open files\"; raise the \
                     hard limit (`ulimit -Hn`, systemd's LimitNOFILE=) or lower --max-connections"
                );
                total
            }
            (Some(total), _) => total,
            (None, Some(fitting)) => fitting,
            // No open-files limit to go by.
            (None, None) => NonZeroUsize::new(MAX_CONNECTIONS_CEILING).unwrap_or(NonZeroUsize::MIN),
        };
        // Semaphore::new panics above its maximum, which no machine holds connections for.
        let total = total.get().min(Semaphore::MAX_PERMITS);
        let per_address = limits.per_address.get();
        tracing::info!(
            open_files,
            max_connections = total,
            max_connections_per_address = per_address,
            "connection limits"
        );
        ResolvedLimits { total, per_address }
    }
}

/// Why the server could not start. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Open(#[from] OpenError),
    #[error("{0}")]
    Busy(#[from] crate::store::DataDirBusy),
    #[error("cannot publish the reference form: {0}")]
    Demo(#[from] crate::store::PublishError),
    /// The first-run set-up link or the demo links could not be made.
    #[error("{0}")]
    Setup(String),
    #[error("{0}")]
    Tls(#[from] TlsError),
    #[error(
        "cannot listen on {addr}: {source}. Is another server using this port? Stop it, or \
         choose another address with --listen (port 0 picks a free port)"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server whose database is open and whose port is bound, ready to run.
#[derive(Debug)]
pub struct Server {
    /// The embedded database's data directory, held while the server runs.
    _lock: Option<DataDirLock>,
    listener: TcpListener,
    state: AppState,
    local_addr: SocketAddr,
    tls: Option<Arc<ServerConfig>>,
    timeouts: ConnectionTimeouts,
    limits: ResolvedLimits,
    trusted_proxies: Arc<[IpAddr]>,
    database_description: String,
    /// The one-time link that makes the first admin, when none exists.
    setup_url: Option<String>,
    /// With `--demo`: the demo association's links.
    demo_links: Option<crate::demo::DemoLinks>,
}

impl Server {
    /// Opens the database and binds the listening socket. Fails, without starting anything,
    /// when either cannot be had.
    pub async fn bind(config: ServeConfig) -> Result<Self, ServeError> {
        // The certificate and the port first: they are the cheaper checks, and a bad file
        // or a busy port must not cost a migration.
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        let addr = config.listen.0;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Listen { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ServeError::Listen { addr, source })?;
        // The embedded database's folder is this process's alone; PostgreSQL is shared by
        // every server of an installation.
        let lock = match &config.database {
            Database::Embedded(data_dir) => {
                SqliteStore::prepare_dir(data_dir)?;
                Some(DataDirLock::acquire(data_dir)?)
            }
            Database::Postgres { .. } => None,
        };
        // The one place that chooses the backend: everything after sees only the trait.
        let opened = config.database.open()?;
        let database_description = opened.description;
        let store: SharedStore = opened.store;
        if config.demo {
            publish_reference_form(&store)?;
        }
        if !config.web_dir.join("index.html").is_file() {
            tracing::warn!(
                web_dir = %config.web_dir.display(),
                "the web app is not built there: only the API will answer (build it with ./dev run)"
            );
        }
        let scheme = scheme(tls.is_some());
        let threads = crate::workers::cores();
        let mut queue = crate::workers::QueueLimits::for_threads(threads);
        if let Some(capacity) = config.sync_queue {
            queue.capacity = capacity.get();
        }
        let mut state = AppState::with_sync_workers(
            store,
            config.web_dir,
            config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("{scheme}://{local_addr}")),
            crate::workers::Workers::with_queue("letsema-sync", threads, queue),
        );
        state.metrics_token = config.metrics_token.filter(|t| !t.is_empty());
        // Browsers must never send a session cookie of an HTTPS server over plain HTTP.
        state.auth.secure_cookies = tls.is_some();
        // No admin yet: a one-time link makes the first one from a browser.
        let has_admin = state
            .store
            .list_users()
            .map_err(|e| ServeError::Setup(e.to_string()))?
            .iter()
            .any(|u| u.role == crate::store::Role::Admin);
        let setup_url = if has_admin {
            None
        } else {
            let token = state
                .setup
                .open()
                .map_err(|_| ServeError::Setup("the system's random source failed".to_owned()))?;
            Some(format!(
                "{}/setup#{token}",
                state.public_url.trim_end_matches('/')
            ))
        };
        let demo_links = if config.demo {
            let data_dir = match &config.database {
                Database::Embedded(dir) => Some(dir.as_path()),
                Database::Postgres { .. } => None,
            };
            Some(
                crate::demo::demo_links(&state.store, &state.public_url, data_dir)
                    .map_err(|e| ServeError::Setup(e.to_string()))?,
            )
        } else {
            None
        };
        // Last, once nothing can fail: a refused start logs nothing but its one error line.
        let limits = ResolvedLimits::at_start_up(config.limits);
        Ok(Server {
            _lock: lock,
            listener,
            state,
            local_addr,
            tls,
            timeouts: config.timeouts,
            limits,
            trusted_proxies: config.trusted_proxies.into(),
            database_description,
            setup_url,
            demo_links,
        })
    }

    /// The one-time link that makes the first admin from a browser, when no admin exists.
    pub fn setup_url(&self) -> Option<&str> {
        self.setup_url.as_deref()
    }

    /// With `--demo`, the demo association's enrolment and survey links.
    pub fn demo_links(&self) -> Option<&crate::demo::DemoLinks> {
        self.demo_links.as_ref()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the server speaks HTTPS (`--tls-cert` and `--tls-key` were given).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The address to open, `http://IP:PORT/` or `https://IP:PORT/`.
    pub fn url(&self) -> String {
        format!("{}://{}/", scheme(self.is_tls()), self.local_addr)
    }

    /// The database in use, for the log: its file, or `postgres://HOST:PORT/NAME`.
    pub fn database_description(&self) -> &str {
        &self.database_description
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let validator = tokio::spawn(run_validator(
            self.state.store.clone(),
            self.state.validator.clone(),
            self.state.sync_activity.clone(),
        ));
        let limits = self.state.limits.clone();
        let forgetter = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                limits.shrink();
            }
        });
        let acceptor = self.tls.map(TlsAcceptor::from);
        accept::serve_connections(
            self.listener,
            acceptor,
            self.timeouts,
            self.limits,
            self.trusted_proxies,
            routes(self.state),
            shutdown,
        )
        .await;
        validator.abort();
        forgetter.abort();
    }
}

fn scheme(tls: bool) -> &'static str {
    if tls { "https" } else { "http" }
}

fn publish_reference_form(store: &SharedStore) -> Result<(), crate::store::PublishError> {
    let (name, bytes) = REFERENCE_FORM;
    let published = crate::store::publish_file(&**store, name, bytes, "letsema serve --demo")?;
    if published.newly_published {
        tracing::info!(form = %published.form_id, version = %published.version, "published the reference form");
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl+C) or SIGTERM. The handlers are installed by this call, not
/// when the future is first polled: call it before announcing the server, so that a signal
/// sent right after the announcement stops it cleanly instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &'static str| {
            let installed = signal(kind);
            async move {
                match installed {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(err) => {
                        tracing::error!(%err, "cannot listen for {name}");
                        std::future::pending::<()>().await;
                    }
                }
            }
        };
        let interrupt = listen(SignalKind::interrupt(), "Ctrl+C");
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            tokio::select! {
                () = interrupt => tracing::info!("received Ctrl+C, stopping"),
                () = terminate => tracing::info!("received SIGTERM, stopping"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
        tracing::info!("received Ctrl+C, stopping");
    }
}
