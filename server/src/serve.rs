//! `letsema serve`: open the database, bind the port, serve until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::ServeConfig;
use crate::routes::{AppState, routes};
use crate::store::{DataDirLock, FormCache, Store, StoreError};

/// Why the server could not start. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Busy(#[from] crate::store::DataDirBusy),
    #[error("cannot publish the reference form: {0}")]
    Demo(#[from] crate::store::PublishError),
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
}

impl Server {
    /// Opens the database and binds the listening socket. Fails, without starting anything,
    /// when either cannot be had.
    pub async fn bind(config: ServeConfig) -> Result<Self, ServeError> {
        // The port first: it is the cheaper check, and a busy port must not cost a
        // migration.
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
        let mut state = AppState::new(
            store,
            config.web_dir,
            config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{local_addr}")),
        );
        state.metrics_token = config.metrics_token.filter(|t| !t.is_empty());
        Ok(Server {
            _lock: lock,
            listener,
            state,
            local_addr,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
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
        warp::serve(routes(self.state))
            .incoming(self.listener)
            .graceful(shutdown)
            .run()
            .await;
        validator.abort();
        forgetter.abort();
    }
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

/// Completes on SIGINT (Ctrl+C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received Ctrl+C, stopping"),
        () = terminate => tracing::info!("received SIGTERM, stopping"),
    }
}
