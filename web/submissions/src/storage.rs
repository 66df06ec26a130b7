//! The app's database as the submission documents' module uses it: the plain API of
//! [`letsema_web_shared::storage`] (re-exported here), and what opens documents.
//!
//! - [`DocumentStorage`]: writes that merge a submission or a draft with what is stored,
//!   never overwriting (a second tab, a backup import or the sync client writing at the
//!   same time as the form view all keep their changes), finalising a draft, and the sync
//!   client's state.
//! - [`IdbClientStore`]: the sync client's synchronous
//!   [`ClientStore`](letsema_sync::client_store::ClientStore), served from memory and written
//!   through on `flush`.
//! - [`Backups`]: a file of every unsynced submission and every draft, and bringing it back.

mod backup;
mod client_store;
mod writes;

pub use backup::{BACKUP_FORMAT, BACKUP_VERSION, Backups, MAX_BACKUP_BYTES};
pub use client_store::IdbClientStore;
pub use letsema_web_shared::messages::{ImportFailure, ImportKind, ImportReport};
pub use letsema_web_shared::storage::*;
pub use writes::{DocumentStorage, OpenStored};
