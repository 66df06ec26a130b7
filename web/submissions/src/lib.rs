//! The Letsema web app's second WebAssembly module: the submission documents.
//!
//! The first module (`letsema-web`) draws the screens and never opens an automerge
//! document; `app.js` loads this one after the first screen (as `docs/letsema_web_docs.js`),
//! and the first module calls these exports through its `bridge`. Requests and answers are
//! the JSON of [`letsema_web_shared::messages`]; errors ([`documents::DocumentsError`],
//! [`storage::StorageError`]) cross as their text, written for people.
//!
//! - [`documents`]: a draft started, opened, edited, saved and finalised; the overview of
//!   what waits to be sent; backups. Each export (`exports.rs`) is a thin wrapper over it.
//! - [`sync`]: one sync round over `POST /api/sync` (or, for the staff area,
//!   `/api/staff/sync`).
//! - [`storage`]: the app's database as this module uses it: writes that merge documents,
//!   the sync client's store, backup files.
//!
//! The staff area (`web/staff`) links it as a library, without the exports (its feature
//! `exports` off), for the same storage and sync on a database of its own.
//!
//! Only this crate (and the staff area, through it) depends on `letsema-doc` and `letsema-sync`, and so on automerge; the
//! first module's crate must not (its `tests/dependencies.rs` checks it).

pub mod documents;
pub mod storage;
pub mod sync;

/// The module's exports to the first module (off for a crate that links this one as a
/// library: the staff area).
#[cfg(feature = "exports")]
mod exports;
