//! Letsema's submission document: every submission is an automerge document created on a
//! device, and this crate is the typed schema over it, so neither the web app nor the server
//! writes raw automerge keys.
//!
//! A [`SubmissionDoc`] holds the submission's [`Meta`] (id, form and version, creator,
//! association), its [`Answers`], its [`Review`] (status and comments) and a withdrawn flag.
//! Edits made in different places merge field by field; a field written concurrently with
//! different values stays a [`Conflict`] until a person [resolves](SubmissionDoc::resolve) it;
//! [`SubmissionDoc::history`] says who changed what, when, on which device.
//!
//! The crate does no I/O and reads no clock and no randomness: times ([`Timestamp`]), ids
//! ([`SubmissionId::from_random_bytes`]) and session bytes ([`SessionId`]) come from the
//! caller. It builds for `wasm32-unknown-unknown` and natively.
//!
//! ```
//! use letsema_doc::*;
//!
//! let phone = Writer::new(
//!     DeviceId::parse("phone-1")?,
//!     SessionId::from_bytes(&[1; 16])?,
//!     Some(UserId::parse("volunteer@example.org")?),
//! );
//! let new = NewSubmission {
//!     submission_id: SubmissionId::from_random_bytes([7; 16]),
//!     form_id: FormId::parse("diaspora_registration")?,
//!     form_version: FormVersion::parse("2025061001")?,
//!     association: None,
//! };
//! let mut doc = SubmissionDoc::create(new, phone, Timestamp(1_750_000_000_000))?;
//! doc.set_answer("age", &Answer::value("34"), Timestamp(1_750_000_001_000))?;
//!
//! // A reviewer's laptop edits a copy at the same time as the phone.
//! let laptop = Writer::new(DeviceId::parse("laptop-9")?, SessionId::from_bytes(&[2; 16])?, None);
//! let mut copy = SubmissionDoc::load(&doc.save(), laptop)?;
//! copy.set_answer("age", &Answer::value("35"), Timestamp(1_750_000_002_000))?;
//! doc.set_answer("age", &Answer::value("33"), Timestamp(1_750_000_002_100))?;
//! doc.set_answer("citizenships", &Answer::multiple(["ls", "za"]), Timestamp(1_750_000_002_500))?;
//!
//! // Different fields merge; the same field edited on both sides is a conflict.
//! doc.merge(&mut copy)?;
//! assert_eq!(doc.answer("citizenships"), Some(Answer::multiple(["ls", "za"])));
//! let conflicts = doc.conflicts();
//! assert_eq!(conflicts.len(), 1);
//! assert_eq!(conflicts[0].values.len(), 2);
//!
//! // A person picks the value; the conflict is gone.
//! doc.resolve(
//!     &conflicts[0].field,
//!     &FieldValue::Answer(Answer::value("35")),
//!     Timestamp(1_750_000_003_000),
//! )?;
//! assert!(doc.conflicts().is_empty());
//! assert_eq!(doc.answer("age"), Some(Answer::value("35")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design
//!
//! - **Answers are written field by field.** [`SubmissionDoc::set_answer`] writes only what
//!   differs from the document, so concurrent edits of different fields never touch each
//!   other.
//! - **`select_multiple` is a set**: a map from choice name to `true`. Two devices that add
//!   different choices both keep theirs, and removing one choice does not rewrite the others;
//!   a list would turn two concurrent edits into duplicates or a whole-list conflict. The set
//!   does not keep order: choices read back sorted by name.
//! - **A repeat is a list of maps**, one per instance. Each instance's id is the automerge id
//!   of its map ([`RepeatInstanceId`]): unique across devices and stable, so instances added
//!   concurrently on two devices both survive, and edits of different instances merge.
//! - **Actors are per session**: an actor id is the device id plus caller-made session bytes
//!   ([`ActorInfo`]), so two tabs on one phone never share one, and the server can tell which
//!   device wrote a change.
//! - **Each edit is one change** whose time is the caller's clock reading and whose message
//!   names the writer's user; history replays changes to say what each one did.
//!
//! # Untrusted bytes
//!
//! [`SubmissionDoc::load_with_limits`] and [`SubmissionDoc::load_incremental`] bound the input
//! size before decoding, catch panics inside automerge (natively), bound the number of
//! changes, and check every value against the schema. They do not stop automerge from
//! inflating a compressed chunk without a cap: bytes from the network must first pass the
//! sync layer's chunk checks.
//!
//! automerge 0.12 also applies changes numbered in ways it never writes (a first operation
//! number that does not follow its dependencies, a skipped or concurrent sequence number),
//! after which the document saves into bytes that do not load. Every path that takes in
//! changes ([`SubmissionDoc::apply_changes`], [`SubmissionDoc::from_changes`], the compact
//! encoding's `apply_built`/`from_built`, [`SubmissionDoc::load_incremental`]) refuses them
//! with [`LoadError::OutOfOrder`] before automerge applies them, and
//! [`SubmissionDoc::save_verified`] proves that what is kept loads back.

mod answers;
mod changes;
mod compact;
mod conflicts;
mod doc;
mod error;
mod fields;
mod hashes;
mod history;
mod ids;
mod order;
mod read;
mod schema;
mod write;

pub use answers::{AnswerPath, RepeatInstance, RepeatInstanceId};
pub use automerge::ActorId;
pub use changes::BuiltChanges;
pub use compact::{CompactError, expand_compact, expand_compact_built};
pub use conflicts::{Conflict, ConflictValue};
pub use doc::{ChangeInfo, SubmissionDoc};
pub use error::{DocError, Limits, LoadError};
pub use fields::{FieldPath, FieldValue};
pub use history::FieldChange;
pub use ids::{
    ActorInfo, AssociationId, DeviceId, FormId, FormVersion, IdError, MAX_DEVICE_ID_LEN, SessionId,
    SubmissionId, Timestamp, UserId, Writer,
};
/// The answers tree: the same types as the form engine's.
pub use letsema_answers::{Answer, Answers};
/// A change's hash and a submission's id as bytes: the same types as the sync wire's.
pub use letsema_ids::{ChangeHash, DocId};
pub use schema::{
    Comment, MAX_DEPTH, MergeRecord, Meta, NewSubmission, Review, ReviewStatus, SchemaError,
};
