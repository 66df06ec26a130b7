//! Letsema's sync: batched, resumable, idempotent exchange of submission changes between
//! devices and the server, built for slow, expensive, flaky mobile data.
//!
//! - [`client::Client`]: the device's state machine over a [`client_store::ClientStore`].
//! - [`server::Server`]: the server's request handler over a [`store::ServerStore`].
//! - [`chunks`]: automerge change chunks checked by hand before automerge sees them.
//! - [`summary`]: the repair summary (root, buckets, documents).
//! - [`retry`]: when a request a busy server turned away is sent again.
//!
//! The wire types and the frame codec live in [`letsema_protocol::sync`]. Nothing here does
//! I/O, reads a clock or draws random numbers: the caller carries bytes, and gives the
//! server store its epoch.
//!
//! ```
//! use letsema_doc::*;
//! use letsema_sync::client::{Client, ClientConfig};
//! use letsema_sync::client_store::MemoryClientStore;
//! use letsema_sync::server::Server;
//! use letsema_sync::store::{Caller, MemoryServerStore, Scope};
//!
//! let device = DeviceId::parse("phone-1")?;
//! let writer = Writer::new(device.clone(), SessionId::from_bytes(&[1; 16])?, None);
//! let mut client = Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new());
//! let mut doc = SubmissionDoc::create(
//!     NewSubmission {
//!         submission_id: SubmissionId::from_random_bytes([7; 16]),
//!         form_id: FormId::parse("diaspora_registration")?,
//!         form_version: FormVersion::parse("1")?,
//!         association: None,
//!     },
//!     writer,
//!     Timestamp(1_750_000_000_000),
//! )?;
//! doc.set_answer("age", &Answer::value("34"), Timestamp(1_750_000_001_000))?;
//! client.save_document(&mut doc)?;
//!
//! let mut server = Server::default();
//! let mut store = MemoryServerStore::new(0x5eed);
//! let caller = Caller { device: device.clone(), scope: Scope::Device(device), association: None };
//! while let Some(request) = client.next_request()? {
//!     let response = server.handle(&caller, &request, &mut store);
//!     client.handle_response(&response)?;
//! }
//! assert!(client.unsynced()?.is_empty());
//! assert_eq!(store.doc_count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cache;
pub mod chunks;
pub mod client;
pub mod client_store;
/// When a request a busy server turned away is sent again: [`letsema_protocol::retry`],
/// re-exported where the sync client's callers have always found it.
pub use letsema_protocol::retry;
pub mod server;
pub mod store;
pub mod summary;

pub use letsema_protocol::sync as wire;
