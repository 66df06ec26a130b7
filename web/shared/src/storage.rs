//! The app's durable local storage: the IndexedDB database `letsema`.
//!
//! Everything a phone must not lose lives here: finalised submissions until the server has
//! committed them (and after, for reading), drafts being filled in, the forms for offline
//! use, the enrolment and the place in the sync. [`Storage`] is the typed, asynchronous API
//! over it: here, what both of the app's modules read and the plain records (forms, the
//! enrolment, how the last syncs went, drafts and submissions as stored bytes); [`persist`],
//! [`estimate`] and [`indexed_db_available`] tell how safe the storage is.
//!
//! What opens a submission document lives in the second module (`letsema-web-submissions`,
//! its `storage`): its writes merge what they write with what is stored, its client store
//! serves the sync client, and its backups move unsynced work through a file. It builds them
//! from the pieces in [`raw`]: transactions, record reads and writes.
//!
//! # On disk
//!
//! | store | key | value |
//! | --- | --- | --- |
//! | `documents` | document id, 32 lower-case hex digits | a finalised submission: `{id, bytes, heads, acked, changed_at, unsynced, name}` |
//! | `drafts` | document id | a submission being filled in: `{id, form_id, form_version, language, updated_at, bytes, heads, name, started_at}` |
//! | `forms` | form id | `{form_id, version, json}`: the [`DeviceForm`](letsema_protocol::DeviceForm) as the server sent it (JSON text) |
//! | `state` | `enrolment`, `sync`, `sync_status` | `{json, stored_at}` (the [`Enrolled`](letsema_protocol::Enrolled) as JSON text); `{cursor_epoch, cursor_seq, next_request_id}`; `{last_success, last_error, last_error_at}` |
//! | `meta` | `format` | `{version, created_at, migrated_at, written_by}` |
//!
//! `bytes` is a `Uint8Array` holding a saved submission document; change hashes (`heads`,
//! `acked`) are arrays of 64 hex digits, sorted; times are milliseconds since the Unix epoch;
//! `unsynced` is `1` when some head is not acknowledged, else `0`, and is indexed (a number:
//! IndexedDB cannot index booleans). The sync record's 64-bit numbers are decimal strings
//! (a JavaScript number holds 53 bits). Wire types (`DeviceForm`, `Enrolled`) are kept as
//! the JSON they travel as, so they follow the wire format's own compatibility rules. Absent
//! optional fields are absent (`undefined`). `name` is the submission's name (the form's
//! `instance_name`, computed by the screens' module when it saves) and `started_at` when
//! the draft was started: records of earlier versions lack both, and read without them.
//!
//! # Versions and migrations
//!
//! Two numbers version the database:
//!
//! - the IndexedDB version, [`SCHEMA_VERSION`]: which stores and indexes exist. The
//!   `upgradeneeded` handler creates what a step adds, step by step from the version found;
//!   it never deletes a store or an index that still holds data.
//! - the data format, [`FORMAT_VERSION`], in the `meta` record: how records are laid out.
//!   After every open, one read-write transaction over every store reads it and runs each
//!   migration step from the stored version up (`migrate`), rewriting records in place, then
//!   stamps the new version, so a migration applies completely or not at all. A database
//!   without a `meta` record is format 0 (just created); step 0 → 1 only stamps it.
//!
//! A database written by a newer app (a higher IndexedDB version or format) is never touched:
//! opening it fails with [`StorageError::NewerFormat`], and reloading the page brings the
//! newer app. A later format that restructures data creates its new stores in the schema
//! step, moves the data in the format step, and deletes the old stores only in a schema step
//! of a version after that. When a newer app opens the database in another tab, this tab's
//! connection closes instead of blocking the upgrade, and its calls fail with
//! [`StorageError::Closed`]; the app then opens a new connection
//! ([`Storage::reopened`]), which fails with [`StorageError::NewerFormat`] (reload the page)
//! when the other tab's app is newer.
//!
//! # Durability
//!
//! Read-write transactions ask for `durability: "strict"` (the browser reports success only
//! after the data reached the disk); browsers that do not know the option ignore it and use
//! their default. Transactions roll back unless committed: an error between two writes
//! leaves nothing half-written. Browsers without `IDBTransaction.commit()` (before Chrome 76,
//! Firefox 74, Safari 15) commit when the last request is done, which is awaited the same way.
//!
//! # Merging, never overwriting
//!
//! A submission is an automerge document, so two writers never overwrite each other here:
//! every write of a document or draft reads what is stored first and, when the stored heads
//! are not all in what is written, merges the stored document in. A second tab, a backup
//! import or the sync client writing at the same time as the form view all keep their
//! changes.

mod db;
mod records;
mod safety;
mod stores;

use letsema_ids::{ChangeHash, DocId};

pub use db::{FORMAT_VERSION, SCHEMA_VERSION, now_ms};
pub use safety::{PROBE_DATABASE, estimate, indexed_db_available, persist, persisted};

/// The pieces the second module's writes are built from: transactions over the stores, the
/// records as laid out on disk, and reading and writing them inside a transaction. The
/// screens use [`Storage`]'s typed methods instead.
pub mod raw {
    pub use super::db::{
        ALL_STORES, DOCUMENTS, DRAFTS, FORMS, META, STATE, UNSYNCED_INDEX, commit, read_error,
        write_error,
    };
    pub use super::records::{
        DocumentRecord, DraftRecord, EnrolmentRecord, FormRecord, KEY_ENROLMENT, KEY_SYNC,
        KEY_SYNC_STATUS, SyncRecord, SyncStatusRecord, corrupt, doc_key, hashes_from_hex,
        hashes_to_hex, is_unsynced, parse_doc_key,
    };
    pub use super::stores::{
        all_documents, all_drafts, get_document, get_draft, get_state, put_document_record,
        put_draft_record, put_state, stored_device_id,
    };
}

/// The name of the app's database.
pub const DATABASE_NAME: &str = "letsema";

/// Why storage failed. Every message says what the person can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// The browser refuses to keep data: no IndexedDB, a private window, a blocked origin.
    #[error(
        "This browser does not let Letsema keep data on this device ({reason}). Private or \
         incognito windows and some in-app browsers cannot keep data: open Letsema in a \
         normal browser window, and allow it to store data."
    )]
    Unavailable {
        /// What the browser said.
        reason: String,
    },
    /// The device or the browser's share of it is full.
    #[error(
        "The device's storage is full, so this was not saved ({reason}). Nothing saved \
         before was lost. Sync to send what is waiting, free space on the phone (photos, \
         videos, other apps), then try again."
    )]
    QuotaExceeded {
        /// What the browser said.
        reason: String,
    },
    /// The data was written by a newer version of the app.
    #[error(
        "The data on this device was saved by a newer version of Letsema ({what} {found}; \
         this version reads up to {supported}). Nothing was changed: reload the page to get \
         the newest version."
    )]
    NewerFormat {
        /// Which version: the database's or the data format's.
        what: &'static str,
        /// The version found.
        found: u32,
        /// The newest version this app reads.
        supported: u32,
    },
    /// A stored record could not be read.
    #[error(
        "A record kept on this device could not be read ({what}: {reason}). Export a backup \
         now (it keeps everything that can be read) and report the problem."
    )]
    Corrupt {
        /// Which record.
        what: String,
        /// What was wrong.
        reason: String,
    },
    /// A stored or imported submission could not be opened or merged.
    #[error(
        "Submission {id} could not be opened ({reason}). The stored copy was left as it \
         was; export a backup and report the problem."
    )]
    Document {
        /// The submission.
        id: String,
        /// Why.
        reason: String,
    },
    /// There is no draft with that id.
    #[error(
        "There is no draft {id} on this device: it may have been finalised or deleted in \
         another tab. Reload the list of drafts."
    )]
    DraftNotFound {
        /// The draft's id.
        id: String,
    },
    /// A backup file is larger than the app reads.
    #[error(
        "The file is {size} bytes, more than the {limit} bytes a Letsema backup can be. \
         Choose the file that \"Export backup\" saved."
    )]
    BackupTooLarge {
        /// The file's size.
        size: usize,
        /// The largest accepted.
        limit: usize,
    },
    /// A file is not a backup this app can read.
    #[error(
        "This file is not a Letsema backup that this version can read ({reason}). Choose the \
         file that \"Export backup\" saved, or update Letsema if the backup is newer."
    )]
    BackupInvalid {
        /// What was wrong.
        reason: String,
    },
    /// The connection was closed under this page: a newer app opened the database in
    /// another tab (or the database was deleted).
    #[error(
        "This page lost its connection to the data kept on this device, because a newer \
         version of Letsema opened in another tab. Reload this page: nothing saved was lost."
    )]
    Closed,
    /// The browser refused a read or a write for another reason.
    #[error(
        "The browser could not {action} ({reason}). Nothing was lost: try again, and if it \
         keeps failing, export a backup and reload the page."
    )]
    Browser {
        /// What was being done.
        action: &'static str,
        /// What the browser said.
        reason: String,
    },
}

/// A handle on an open database. Cloning it is cheap: clones share the connection.
#[derive(Debug, Clone)]
pub struct Storage {
    db: indexed_db_futures::database::Database,
    name: String,
}

/// A finalised submission as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Its id.
    pub id: DocId,
    /// The saved automerge document (`SubmissionDoc::save`).
    pub bytes: Vec<u8>,
    /// Its heads, sorted.
    pub heads: Vec<ChangeHash>,
    /// The heads the server has acknowledged, sorted (empty: the server has none of it).
    pub acked: Vec<ChangeHash>,
    /// When it last changed on this device (ms since the Unix epoch): a local edit, or when
    /// it first arrived from the server.
    pub changed_at_ms: i64,
    /// Its name, from the form's `instance_name`, as the screens last saved it (`None`: the
    /// form gives none, it arrived from the server, or an earlier version stored it).
    pub name: Option<String>,
}

impl StoredDocument {
    /// Whether it holds changes the server has not acknowledged.
    pub fn is_unsynced(&self) -> bool {
        self.heads.iter().any(|head| !self.acked.contains(head))
    }
}

/// A finalised submission in a list: what the UI shows without opening it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSummary {
    /// Its id.
    pub id: DocId,
    /// Whether the server has not acknowledged all of it.
    pub unsynced: bool,
    /// When it last changed on this device (ms since the Unix epoch).
    pub changed_at_ms: i64,
    /// The size of its saved bytes.
    pub size: usize,
}

/// A submission being filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// Its id (the submission's).
    pub id: DocId,
    /// The form it answers.
    pub form_id: String,
    /// The form's version.
    pub form_version: String,
    /// The language it is being filled in, when one was chosen.
    pub language: Option<String>,
    /// When it was last saved (ms since the Unix epoch).
    pub updated_at_ms: i64,
    /// The saved automerge document.
    pub bytes: Vec<u8>,
    /// Its heads, sorted.
    pub heads: Vec<ChangeHash>,
    /// Its name, from the form's `instance_name`, as the screens last saved it (`None`: the
    /// form gives none, none was given yet, or an earlier version stored it).
    pub name: Option<String>,
    /// When it was started (ms since the Unix epoch; the submission's creation time), when
    /// known (`None`: stored by an earlier version and not saved since).
    pub started_at_ms: Option<i64>,
}

/// How the last syncs went, for the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// When a sync round last finished (ms since the Unix epoch).
    pub last_success_ms: Option<i64>,
    /// Why the last round failed, if it failed after the last success.
    pub last_error: Option<String>,
    /// When that failure happened.
    pub last_error_ms: Option<i64>,
}
