//! What every handler may use: the storage, the settings and the server's shared state
//! (rate limits, counters, the sync workers, the validator's wake-up).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::config::AuthConfig;
use crate::limits::{RateLimits, SignInFailures};
use crate::metrics::Metrics;
use crate::store::SharedStore;
use crate::validator::SyncActivity;

/// Sync bodies held in memory at once across the server, at most: what requests waiting for
/// a sync worker (`AppState::sync_workers`) can hold, whatever their number. A phone's request is
/// about 100 KiB on the wire; the largest frame allowed, 8 MiB.
pub const SYNC_BODY_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// What every handler may use.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The storage, seen only through its trait (`crate::store::Backend`).
    pub store: SharedStore,
    pub web_dir: PathBuf,
    pub auth: AuthConfig,
    /// The address people open, for links and QR codes (`--public-url`).
    pub public_url: String,
    /// Wakes the validator after a sync committed something.
    pub validator: Arc<Notify>,
    /// Syncs being handled: the validator waits for a gap between them.
    pub sync_activity: Arc<SyncActivity>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The bearer token a metrics scraper may use (`--metrics-token`); none: admins only.
    pub metrics_token: Option<String>,
    /// Request rates per device and per address.
    pub limits: RateLimits,
    /// Failed sign-ins per account and network, for the lock-out.
    pub(crate) sign_in_failures: Arc<SignInFailures>,
    /// Passwords that matched lately in the OData feed's Basic authentication.
    pub(crate) basic_passwords: Arc<crate::basic_auth::RememberedPasswords>,
    /// The threads sync work runs on, one per core (see `workers.rs`).
    pub sync_workers: Arc<crate::workers::Workers>,
    /// Sync bodies in memory at once, in KiB ([`SYNC_BODY_BUDGET_BYTES`]).
    pub sync_body_budget: Arc<tokio::sync::Semaphore>,
    /// The one-time link that makes the first admin (`crate::setup`).
    pub setup: Arc<crate::setup::SetupLink>,
}

impl AppState {
    /// A state with default session settings, a validator wake-up of its own, and the
    /// default sync workers (one per core, [`crate::workers::QueueLimits::for_threads`]).
    pub fn new(store: SharedStore, web_dir: PathBuf, public_url: impl Into<String>) -> Self {
        let workers = crate::workers::Workers::per_core("letsema-sync");
        AppState::with_sync_workers(store, web_dir, public_url, workers)
    }

    /// As [`AppState::new`], with these sync workers (`letsema serve --sync-queue`).
    pub fn with_sync_workers(
        store: SharedStore,
        web_dir: PathBuf,
        public_url: impl Into<String>,
        sync_workers: crate::workers::Workers,
    ) -> Self {
        AppState {
            store,
            web_dir,
            auth: AuthConfig::default(),
            public_url: public_url.into(),
            validator: Arc::new(Notify::new()),
            sync_activity: Arc::default(),
            metrics: Arc::default(),
            metrics_token: None,
            limits: RateLimits::default(),
            sign_in_failures: Arc::default(),
            basic_passwords: Arc::default(),
            sync_workers: Arc::new(sync_workers),
            sync_body_budget: Arc::new(tokio::sync::Semaphore::new(SYNC_BODY_BUDGET_BYTES / 1024)),
            setup: Arc::default(),
        }
    }
}
