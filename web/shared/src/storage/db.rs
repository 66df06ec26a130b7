//! Opening the database: the schema (stores and indexes, IndexedDB's own version), the data
//! format and its migrations, transactions with strict durability, and turning the
//! browser's errors into [`StorageError`]s.

use indexed_db_futures::KeyPath;
use indexed_db_futures::database::Database;
use indexed_db_futures::error::{DomException, Error, OpenDbError};
use indexed_db_futures::internals::SystemRepr;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::{
    Transaction, TransactionDurability, TransactionMode, TransactionOptions,
};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::records::{FormatRecord, KEY_FORMAT};
use super::{Storage, StorageError};

/// IndexedDB's version of the database: which stores and indexes exist.
pub const SCHEMA_VERSION: u32 = 1;

/// The version of the data format, kept in the `meta` store.
pub const FORMAT_VERSION: u32 = 1;

pub const DOCUMENTS: &str = "documents";
pub const DRAFTS: &str = "drafts";
pub const FORMS: &str = "forms";
pub const STATE: &str = "state";
pub const META: &str = "meta";
/// Every store, for transactions that span them all.
pub const ALL_STORES: [&str; 5] = [DOCUMENTS, DRAFTS, FORMS, STATE, META];
/// The index of `documents` on the `unsynced` flag.
pub const UNSYNCED_INDEX: &str = "unsynced";

/// The app's version, written into the format record.
const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

impl Storage {
    /// Opens (creating or upgrading as needed) the database `name`: the app uses
    /// [`DATABASE_NAME`](super::DATABASE_NAME); tests use their own.
    ///
    /// # Errors
    ///
    /// [`StorageError::Unavailable`] when the browser refuses IndexedDB,
    /// [`StorageError::NewerFormat`] for a database written by a newer app (left untouched),
    /// or what a migration met.
    pub async fn open(name: &str) -> Result<Storage, StorageError> {
        let request = Database::open(name)
            .with_version(SCHEMA_VERSION)
            .with_on_upgrade_needed(|event, db| {
                // Versions are small integers stored as doubles.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let old = event.old_version() as u32;
                upgrade_schema(&db, old)
            });
        let db = match request.await {
            Ok(db) => db,
            Err(error) => return Err(open_error(name, error).await),
        };
        close_on_version_change(&db);
        let storage = Storage {
            db,
            name: name.to_owned(),
        };
        if let Err(error) = storage.migrate_format().await {
            // Leave nothing open on a database this app cannot use.
            storage.close();
            return Err(error);
        }
        Ok(storage)
    }

    /// Opens the app's database, [`DATABASE_NAME`](super::DATABASE_NAME).
    ///
    /// # Errors
    ///
    /// As [`Storage::open`].
    pub async fn open_default() -> Result<Storage, StorageError> {
        Storage::open(super::DATABASE_NAME).await
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes this connection once its transactions are done (every clone shares it).
    pub fn close(self) {
        self.db.close();
    }

    /// Whether this connection is closed: by [`Storage::close`], by a newer app in another
    /// tab (see [`close_on_version_change`]) or by the browser itself (its storage was
    /// cleared, a disk error). Every call on a closed connection fails with
    /// [`StorageError::Closed`]; open a new one with [`Storage::open`] (what
    /// [`Storage::reopened`] does).
    pub fn is_closed(&self) -> bool {
        // IndexedDB has no "closed" flag to read: starting a transaction on a closed
        // connection throws `InvalidStateError`. The unused read-only transaction ends by
        // itself.
        matches!(self.read(&[META]), Err(StorageError::Closed))
    }

    /// This connection, or a new one to the same database when it was closed under the page
    /// ([`Storage::is_closed`]), so that work typed after the close is still saved.
    ///
    /// # Errors
    ///
    /// As [`Storage::open`]: [`StorageError::NewerFormat`] when a newer app took the
    /// database over (reload the page to get it).
    pub async fn reopened(&self) -> Result<Storage, StorageError> {
        if self.is_closed() {
            Storage::open(&self.name).await
        } else {
            Ok(self.clone())
        }
    }

    /// Deletes the database `name` and everything in it. Close every connection to it first,
    /// or the deletion waits for them.
    ///
    /// # Errors
    ///
    /// [`StorageError::Unavailable`] or [`StorageError::Browser`].
    pub async fn delete_database(name: &str) -> Result<(), StorageError> {
        let request = Database::delete_by_name(name).map_err(|error| match error {
            OpenDbError::Base(error) => browser_error("delete the database", error),
            other => StorageError::Unavailable {
                reason: other.to_string(),
            },
        })?;
        request
            .await
            .map_err(|error| browser_error("delete the database", error))
    }

    /// The data format version stored in the database.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    pub async fn format_version(&self) -> Result<u32, StorageError> {
        let tx = self.read(&[META])?;
        let meta = tx.object_store(META).map_err(read_error)?;
        let format: Option<FormatRecord> = meta
            .get(KEY_FORMAT)
            .serde()
            .map_err(read_error)?
            .await
            .map_err(read_error)?;
        Ok(format.map_or(0, |format| format.version))
    }

    /// Runs the data format migrations from the stored version to [`FORMAT_VERSION`], in one
    /// read-write transaction over every store.
    async fn migrate_format(&self) -> Result<(), StorageError> {
        let tx = self.write(&ALL_STORES)?;
        let meta = tx.object_store(META).map_err(write_error)?;
        let stored: Option<FormatRecord> = meta
            .get(KEY_FORMAT)
            .serde()
            .map_err(read_error)?
            .await
            .map_err(read_error)?;
        let found = stored.as_ref().map_or(0, |format| format.version);
        if found > FORMAT_VERSION {
            return Err(StorageError::NewerFormat {
                what: "data format",
                found,
                supported: FORMAT_VERSION,
            });
        }
        if found == FORMAT_VERSION {
            // Nothing to do: the transaction ends without writing.
            return Ok(());
        }
        migrate(&tx, found).await?;
        let now = now_ms();
        let record = FormatRecord {
            version: FORMAT_VERSION,
            created_at: stored.map_or(now, |format| format.created_at),
            migrated_at: now,
            written_by: APP_VERSION.to_owned(),
        };
        meta.put(&record)
            .with_key(KEY_FORMAT)
            .without_key_type()
            .serde()
            .map_err(write_error)?
            .await
            .map_err(write_error)?;
        commit(tx).await
    }

    /// A read-only transaction over `stores`.
    pub fn read(&self, stores: &[&str]) -> Result<Transaction<'_>, StorageError> {
        self.db
            .transaction(stores)
            .with_mode(TransactionMode::Readonly)
            .build()
            .map_err(|error| transaction_error("read the saved data", error))
    }

    /// A read-write transaction over `stores`, with strict durability where the browser
    /// offers it (others ignore the option).
    pub fn write(&self, stores: &[&str]) -> Result<Transaction<'_>, StorageError> {
        self.db
            .transaction(stores)
            .with_mode(TransactionMode::Readwrite)
            .with_options(TransactionOptions::new().with_durability(TransactionDurability::Strict))
            .build()
            .map_err(|error| transaction_error("save", error))
    }
}

/// Closes the connection when another tab opens the database at a newer version (a newer
/// app), which would otherwise wait for this tab to close. This tab's storage calls fail
/// from then on, saying to reload the page, which brings the newer app.
fn close_on_version_change(db: &Database) {
    let raw: web_sys::IdbDatabase = db.as_sys().clone().unchecked_into();
    let connection = raw.clone();
    let close = Closure::<dyn FnMut()>::new(move || connection.close());
    raw.set_onversionchange(Some(close.as_ref().unchecked_ref()));
    // The browser owns the handler from now on: it lives as long as the connection.
    close.forget();
}

/// Creates what each schema version adds, from `old` up to [`SCHEMA_VERSION`]. Runs in the
/// `upgradeneeded` event; never deletes a store or an index that holds data.
fn upgrade_schema(db: &Database, old: u32) -> Result<(), Error> {
    if old < 1 {
        let documents = db
            .create_object_store(DOCUMENTS)
            .with_key_path(KeyPath::One("id"))
            .build()?;
        documents
            .create_index(UNSYNCED_INDEX, KeyPath::One("unsynced"))
            .build()?;
        db.create_object_store(DRAFTS)
            .with_key_path(KeyPath::One("id"))
            .build()?;
        db.create_object_store(FORMS)
            .with_key_path(KeyPath::One("form_id"))
            .build()?;
        db.create_object_store(STATE).build()?;
        db.create_object_store(META).build()?;
    }
    // A later version adds `if old < 2 { ... }` here: new stores and indexes only (an
    // index on an existing store goes through the open request's upgrade transaction).
    Ok(())
}

/// Brings the data from format `from` to [`FORMAT_VERSION`], step by step, inside `tx` (a
/// read-write transaction over every store). Each step rewrites records in place and never
/// drops one it cannot convert: it fails instead, and the transaction rolls back.
async fn migrate(tx: &Transaction<'_>, from: u32) -> Result<(), StorageError> {
    let mut version = from;
    while version < FORMAT_VERSION {
        version = match version {
            // Format 0: a database without a `meta` record (just created, or the record
            // was lost). Its stores are laid out as format 1: there is nothing to convert.
            0 => {
                // Steps that convert records read and write them through `tx`.
                let _ = tx;
                1
            }
            // A later format adds `1 => { migrate_1_to_2(tx).await?; 2 }` here.
            other => {
                return Err(StorageError::Corrupt {
                    what: "the data format record".to_owned(),
                    reason: format!("no migration from format {other}"),
                });
            }
        };
    }
    Ok(())
}

/// Commits a read-write transaction and waits until the browser reports it durable.
///
/// Where the browser has no `IDBTransaction.commit()`, the transaction commits by itself
/// once its last request is done; that is awaited instead.
pub async fn commit(tx: Transaction<'_>) -> Result<(), StorageError> {
    let raw: web_sys::IdbTransaction = tx.as_sys().clone().unchecked_into();
    if has_commit(&raw) {
        return match tx.commit().await {
            Ok(()) => Ok(()),
            Err(error) => Err(abort_reason(&raw).unwrap_or_else(|| write_error(error))),
        };
    }
    let done = completion(&raw);
    // Dropping the wrapper would abort the transaction: let the browser finish it. This
    // leaks the wrapper's three small event closures, on old browsers only.
    std::mem::forget(tx);
    match JsFuture::from(done).await {
        Ok(_) => Ok(()),
        Err(_) => Err(abort_reason(&raw).unwrap_or_else(|| StorageError::Browser {
            action: "save",
            reason: "the write was cancelled".to_owned(),
        })),
    }
}

/// Whether the browser has `IDBTransaction.prototype.commit`.
fn has_commit(tx: &web_sys::IdbTransaction) -> bool {
    js_sys::Reflect::get(tx, &JsValue::from_str("commit"))
        .map(|commit| commit.is_function())
        .unwrap_or(false)
}

/// A promise that resolves when `tx` completes and rejects when it aborts.
fn completion(tx: &web_sys::IdbTransaction) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, reject| {
        let _ = tx.add_event_listener_with_callback("complete", &resolve);
        let _ = tx.add_event_listener_with_callback("abort", &reject);
    })
}

/// Why the browser aborted `tx`, when it says.
fn abort_reason(tx: &web_sys::IdbTransaction) -> Option<StorageError> {
    let error = tx.error()?;
    Some(dom_error("save", &error))
}

/// Turns a DOM exception into a [`StorageError`].
pub(super) fn dom_error(action: &'static str, error: &web_sys::DomException) -> StorageError {
    let reason = format!("{}: {}", error.name(), error.message());
    match error.name().as_str() {
        "QuotaExceededError" => StorageError::QuotaExceeded { reason },
        "SecurityError" | "InvalidStateError" | "UnknownError" if action == "open the database" => {
            StorageError::Unavailable { reason }
        }
        _ => StorageError::Browser { action, reason },
    }
}

/// Turns the crate's error into a [`StorageError`], saying what was being done.
pub(super) fn browser_error(action: &'static str, error: Error) -> StorageError {
    match error {
        Error::DomException(exception) => {
            let sys: web_sys::DomException = exception.into();
            dom_error(action, &sys)
        }
        Error::Serialisation(error) => StorageError::Corrupt {
            what: "a stored record".to_owned(),
            reason: error.to_string(),
        },
        other => StorageError::Browser {
            action,
            reason: other.to_string(),
        },
    }
}

/// A transaction that could not start: on a closed connection, [`StorageError::Closed`].
fn transaction_error(action: &'static str, error: Error) -> StorageError {
    match error {
        Error::DomException(DomException::InvalidStateError(_)) => StorageError::Closed,
        other => browser_error(action, other),
    }
}

pub fn read_error(error: Error) -> StorageError {
    browser_error("read the saved data", error)
}

pub fn write_error(error: Error) -> StorageError {
    browser_error("save", error)
}

/// Turns a failed open into a [`StorageError`]; a database of a newer version is reported
/// with the version found.
async fn open_error(name: &str, error: OpenDbError) -> StorageError {
    let error = match error {
        OpenDbError::Base(error) => error,
        other => {
            return StorageError::Unavailable {
                reason: other.to_string(),
            };
        }
    };
    if let Error::DomException(DomException::Other(exception)) = &error
        && exception.name() == "VersionError"
        // Open it at whatever version it has (no upgrade), only to read that version.
        && let Ok(db) = Database::open(name).await
    {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let found = db.version() as u32;
        db.close();
        return StorageError::NewerFormat {
            what: "database version",
            found,
            supported: SCHEMA_VERSION,
        };
    }
    browser_error("open the database", error)
}

/// The time now, in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    // Dates fit a double exactly.
    #[allow(clippy::cast_possible_truncation)]
    let now = js_sys::Date::now() as i64;
    now
}
