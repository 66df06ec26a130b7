//! `letsema serve`: open the database, bind the port, serve until told to stop.
//!
//! The server runs its own accept loop rather than `warp::serve`: warp 0.4 has no TLS and
//! accepts only its own listener types. Plain HTTP and HTTPS share that one loop, which
//! records each client's address for the routes ([`PeerAddr`]), serves HTTP/1.1 and HTTP/2
//! on each connection, and drains requests in flight on shutdown.

pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::config::ServeConfig;
use crate::routes::{AppState, PeerAddr, routes};
use crate::store::{DataDirLock, FormCache, Store, StoreError};

pub use tls::TlsError;

/// How long a client may take over the TLS handshake before its connection is closed (a
/// client that never finishes one must not hold a connection for ever).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server could not start. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Busy(#[from] crate::store::DataDirBusy),
    #[error("cannot publish the reference form: {0}")]
    Demo(#[from] crate::store::PublishError),
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
    _lock: DataDirLock,
    listener: TcpListener,
    state: AppState,
    local_addr: SocketAddr,
    tls: Option<Arc<ServerConfig>>,
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
        Store::prepare_dir(&config.data_dir)?;
        let lock = DataDirLock::acquire(&config.data_dir)?;
        let store = Store::open(&config.data_dir)?;
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
        let mut state = AppState::new(
            store,
            config.web_dir,
            config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("{scheme}://{local_addr}")),
        );
        state.metrics_token = config.metrics_token.filter(|t| !t.is_empty());
        // Browsers must never send a session cookie of an HTTPS server over plain HTTP.
        state.auth.secure_cookies = tls.is_some();
        Ok(Server {
            _lock: lock,
            listener,
            state,
            local_addr,
            tls,
        })
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

    /// The database file in use.
    pub fn database_path(&self) -> PathBuf {
        self.state.store.path().to_owned()
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let validator = tokio::spawn(run_validator(
            self.state.store.clone(),
            self.state.validator.clone(),
        ));
        let limits = self.state.limits.clone();
        let forgetter = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                limits.shrink();
            }
        });
        let acceptor = self.tls.map(TlsAcceptor::from);
        serve_connections(self.listener, acceptor, routes(self.state), shutdown).await;
        validator.abort();
        forgetter.abort();
    }
}

fn scheme(tls: bool) -> &'static str {
    if tls { "https" } else { "http" }
}

/// Accepts connections until `shutdown` completes, each in a task of its own: the TLS
/// handshake first when `tls` is set (a failed or slow one closes only that connection,
/// logged at debug level), then HTTP/1.1 or HTTP/2 with the client's [`PeerAddr`] in every
/// request. On shutdown: stops accepting, closes the listener, tells every connection to
/// finish (an idle one closes, one with a request in flight answers it first) and waits
/// for them.
async fn serve_connections(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    filter: BoxedFilter<(Response,)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let service = TowerToHyperService::new(warp::service(filter));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        // Taken before the handshake, so that shutdown also waits for connections still
        // shaking hands (bounded by the handshake timeout).
        let watcher = graceful.watcher();
        let service = service.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let Some(acceptor) = tls else {
                return serve_connection(stream, peer, service, watcher).await;
            };
            match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => serve_connection(stream, peer, service, watcher).await,
                // Plain HTTP on the HTTPS port, a scanner, a client that distrusts the
                // certificate: that client's problem, not the server's.
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    tracing::debug!(
        connections = graceful.count(),
        "stopped accepting; letting requests in flight finish"
    );
    graceful.shutdown().await;
}

/// Serves HTTP/1.1 or HTTP/2 (whichever the client speaks) on one connection until it
/// closes, or until shutdown lets it finish what it is doing.
async fn serve_connection<I, S>(io: I, peer: SocketAddr, service: S, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<hyper::Request<Incoming>, Response = Response, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(PeerAddr(peer));
        service.call(request)
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    if let Err(error) = watcher.watch(connection).await {
        // A client that went away mid-request, or spoke something other than HTTP.
        tracing::debug!(%error, "connection closed with an error");
    }
}

/// What to do when accepting a connection failed: nothing for errors of that one
/// connection; otherwise (out of file descriptors, say) log it and pause a second, so that
/// a loop of failures does not spin.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Validates what syncs committed, whenever woken (and every minute, in case a wake-up was
/// missed), until aborted. Each pass runs on the blocking pool.
pub async fn run_validator(store: Store, wake: Arc<Notify>) {
    let mut cache = FormCache::default();
    loop {
        loop {
            let pass_store = store.clone();
            let pass = tokio::task::spawn_blocking(move || {
                let result = pass_store.validate_pending(&mut cache);
                (cache, result)
            })
            .await;
            let Ok((returned, result)) = pass else {
                tracing::error!("a validation pass panicked; retrying in a minute");
                cache = FormCache::default();
                break;
            };
            cache = returned;
            match result {
                Ok(0) => break,
                Ok(count) => tracing::debug!(count, "validated submissions"),
                Err(error) => {
                    tracing::error!(%error, "validation failed; retrying in a minute");
                    break;
                }
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}

/// The reference form, compiled into the binary so that a demo needs no files.
pub const REFERENCE_FORM: (&str, &[u8]) = (
    "diaspora_registration.xlsx",
    include_bytes!("../../examples/forms/diaspora_registration.xlsx"),
);

fn publish_reference_form(store: &Store) -> Result<(), crate::store::PublishError> {
    let (name, bytes) = REFERENCE_FORM;
    let published = store.publish_form(name, bytes, "letsema serve --demo")?;
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
