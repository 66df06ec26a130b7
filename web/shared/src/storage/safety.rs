//! How safe the browser keeps the data: persistence (no eviction under storage pressure),
//! the quota, and whether IndexedDB works at all.

use indexed_db_futures::database::Database;
use indexed_db_futures::error::OpenDbError;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::StorageError;
use super::db::{browser_error, commit, now_ms};

/// The database [`indexed_db_available`] opens to probe IndexedDB.
pub const PROBE_DATABASE: &str = "letsema-probe";
const PROBE_STORE: &str = "probe";

/// The browser's storage manager, where there is one (secure origins of current browsers).
fn storage_manager() -> Option<web_sys::StorageManager> {
    let navigator = web_sys::window()?.navigator();
    let has = js_sys::Reflect::has(&navigator, &JsValue::from_str("storage")).unwrap_or(false);
    has.then(|| navigator.storage())
        .filter(|manager| !manager.is_undefined() && !manager.is_null())
}

async fn ask(promise: Result<js_sys::Promise, JsValue>) -> Option<JsValue> {
    JsFuture::from(promise.ok()?).await.ok()
}

/// Asks the browser to keep this site's data under storage pressure
/// (`navigator.storage.persist()`). `Some(true)` when it will; `None` when the browser
/// cannot say (no storage manager). Chromium decides by itself (an installed app, a
/// bookmarked site, granted notifications); Firefox may ask the person.
pub async fn persist() -> Option<bool> {
    let manager = storage_manager()?;
    ask(manager.persist()).await?.as_bool()
}

/// Whether the browser already keeps this site's data under storage pressure
/// (`navigator.storage.persisted()`); `None` when it cannot say.
pub async fn persisted() -> Option<bool> {
    let manager = storage_manager()?;
    ask(manager.persisted()).await?.as_bool()
}

/// How many bytes this site uses and may use (`navigator.storage.estimate()`): `(used,
/// quota)`; `None` when the browser cannot say.
pub async fn estimate() -> Option<(u64, u64)> {
    let manager = storage_manager()?;
    let estimate: web_sys::StorageEstimate = ask(manager.estimate()).await?.unchecked_into();
    // Byte counts are whole numbers well inside a double's exact range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bytes = |value: Option<f64>| value.map(|value| value.max(0.0) as u64);
    Some((bytes(estimate.get_usage())?, bytes(estimate.get_quota())?))
}

/// Checks that IndexedDB really works here: opens a small database of its own
/// ([`PROBE_DATABASE`]), writes a record and reads it back. Private windows of some
/// browsers have an IndexedDB that refuses to open or to write.
///
/// # Errors
///
/// [`StorageError::Unavailable`], saying what the browser refused.
pub async fn indexed_db_available() -> Result<(), StorageError> {
    let unavailable = |reason: String| StorageError::Unavailable { reason };
    let db = Database::open(PROBE_DATABASE)
        .with_version(1u32)
        .with_on_upgrade_needed(|_, db| {
            db.create_object_store(PROBE_STORE).build()?;
            Ok(())
        })
        .await
        .map_err(|error| match error {
            OpenDbError::Base(error) => {
                unavailable(browser_error("open the database", error).to_string())
            }
            other => unavailable(format!("IndexedDB is missing: {other}")),
        })?;
    let result = probe(&db).await;
    db.close();
    result.map_err(|error| match error {
        StorageError::Unavailable { reason } => unavailable(reason),
        other => unavailable(format!("a test write failed: {other}")),
    })
}

/// Writes a record into the probe database and reads it back.
async fn probe(db: &Database) -> Result<(), StorageError> {
    let written = now_ms().to_string();
    let tx = db
        .transaction(PROBE_STORE)
        .with_mode(TransactionMode::Readwrite)
        .build()
        .map_err(|error| browser_error("save", error))?;
    let store = tx
        .object_store(PROBE_STORE)
        .map_err(|error| browser_error("save", error))?;
    store
        .put(written.as_str())
        .with_key(PROBE_STORE)
        .without_key_type()
        .primitive()
        .map_err(|error| browser_error("save", error))?
        .await
        .map_err(|error| browser_error("save", error))?;
    commit(tx).await?;
    let tx = db
        .transaction(PROBE_STORE)
        .build()
        .map_err(|error| browser_error("read the saved data", error))?;
    let store = tx
        .object_store(PROBE_STORE)
        .map_err(|error| browser_error("read the saved data", error))?;
    let read: Option<String> = store
        .get(PROBE_STORE)
        .primitive()
        .map_err(|error| browser_error("read the saved data", error))?
        .await
        .map_err(|error| browser_error("read the saved data", error))?;
    if read.as_deref() == Some(written.as_str()) {
        Ok(())
    } else {
        Err(StorageError::Unavailable {
            reason: "a test record written to IndexedDB did not read back".to_owned(),
        })
    }
}
