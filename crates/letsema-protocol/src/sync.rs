//! The sync wire: the messages a device and the server exchange to push and pull submission
//! changes, and the frame that carries them as an HTTP POST body.
//!
//! # Frame
//!
//! ```text
//! "LSY"  version(1)  flags(1)  payload_len(u32 LE)  payload
//! ```
//!
//! `version` is [`VERSION`]; a peer refuses any other. Flag bit 0 says the payload is deflated
//! (raw deflate, no zlib header); other bits must be zero. `payload_len` is the length of the
//! *uncompressed* payload, checked against [`WireLimits`] before anything is allocated, and
//! inflation stops at that length. The payload is the [postcard](https://docs.rs/postcard)
//! encoding of a [`Request`] or a [`Response`]: variable-length integers, byte strings as a
//! length and the raw bytes, enums as a variant index. Hashes and ids are fixed-size raw bytes.
//!
//! # Messages
//!
//! - [`Request::Sync`]: push the changes the server has not acknowledged, for many documents,
//!   and pull a page of what changed on the server since a [`Cursor`], in one round trip.
//!   Answered by [`Response::Sync`].
//! - [`Request::Summary`]: repair. When a cursor cannot be trusted (a new server
//!   [epoch](Cursor::epoch)), both sides compare a summary of document heads: one root hash,
//!   then [`BUCKETS`] bucket digests, then the heads of the documents in differing buckets.
//! - [`Request::Fetch`]: repair. The changes of some documents after given heads.
//! - [`Response::Error`]: the request as a whole was refused, with a code saying why.
//!
//! ```
//! use letsema_protocol::sync::*;
//!
//! let request = Request::Sync(SyncRequest {
//!     request_id: 7,
//!     push: vec![],
//!     pull: Some(Pull { cursor: Some(Cursor { epoch: 0x1234_5678_9abc_def0, seq: 42 }), max_bytes: 256 * 1024 }),
//! });
//! let bytes = request.encode();
//! assert!(bytes.len() < 40);
//! assert_eq!(Request::decode(&bytes, &WireLimits::default())?, request);
//! # Ok::<(), DecodeError>(())
//! ```

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A submission document's id (16 bytes) and a change's hash (32 bytes): one type each,
/// shared with the document and the sync crates.
pub use letsema_ids::{ChangeHash, DocId};

/// The media type of a sync frame in an HTTP body (`Content-Type`).
pub const MEDIA_TYPE: &str = "application/x-letsema-sync";
/// The first bytes of every frame.
pub const MAGIC: [u8; 3] = *b"LSY";
/// The version of the frame and message format this crate speaks.
pub const VERSION: u8 = 2;
/// The frame header's length: magic, version, flags, payload length.
pub const HEADER_LEN: usize = 9;
/// Flag bit 0: the payload is deflated.
pub const FLAG_DEFLATE: u8 = 1;
/// How many buckets a [`Summary::Buckets`] has: one per value of a document id's last byte
/// ([`DocId::bucket`]).
pub const BUCKETS: usize = 256;

/// Payloads shorter than this are sent as they are: deflate cannot win much on them.
const COMPRESS_FROM: usize = 48;
/// miniz_oxide's compression level (0–10); 9 is the best ratio at a reasonable cost.
const COMPRESS_LEVEL: u8 = 9;

/// Where a device stands in the server's change log.
///
/// `epoch` is the server store's random id, made when the store was created and again when
/// it is restored from a backup. A cursor of another epoch cannot be trusted: the server
/// answers it with `repair_needed` instead of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cursor {
    /// The server store's id.
    pub epoch: u64,
    /// The last log sequence number the device has seen (0 before the first entry).
    pub seq: u64,
}

/// A request from a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Push and pull in one round trip.
    Sync(SyncRequest),
    /// Repair: a summary of the document heads in the caller's scope.
    Summary(SummaryRequest),
    /// Repair: the changes of some documents after given heads.
    Fetch(FetchRequest),
}

/// Push the changes the server has not acknowledged and pull what changed on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Chosen by the client, echoed in the response, so stale and duplicated responses can be
    /// told apart.
    pub request_id: u64,
    /// Per document, the changes after the heads the server acknowledged.
    pub push: Vec<DocChanges>,
    /// The page of server changes wanted, if any.
    pub pull: Option<Pull>,
}

/// What to pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pull {
    /// Where the device stands; `None` on its first sync.
    pub cursor: Option<Cursor>,
    /// The most change bytes the page may carry (the server always sends at least one log
    /// entry, so a large one cannot stall the device).
    pub max_bytes: u32,
}

/// Changes of one document.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocChanges {
    /// The document.
    pub doc: DocId,
    /// How [`DocChanges::changes`] is encoded.
    pub encoding: ChangeEncoding,
    /// The changes.
    #[serde(with = "byte_string")]
    pub changes: Vec<u8>,
}

/// How a document's changes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeEncoding {
    /// Concatenated raw, uncompressed automerge change chunks
    /// (`SubmissionDoc::changes_after`): what the server's log holds and pull pages carry.
    Chunks,
    /// The compact run of `SubmissionDoc::compact_changes_after`, which rebuilds the same
    /// change chunks (`letsema_doc::expand_compact`) from about half the bytes after deflate.
    /// Devices push new documents this way.
    Compact,
}

impl fmt::Debug for DocChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocChanges")
            .field("doc", &self.doc)
            .field("encoding", &self.encoding)
            .field("changes", &format_args!("{} bytes", self.changes.len()))
            .finish()
    }
}

/// Which level of the repair summary is wanted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryRequest {
    /// Echoed in the response.
    pub request_id: u64,
    /// The level.
    pub level: SummaryLevel,
}

/// The levels of the repair summary, coarse to fine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SummaryLevel {
    /// One hash over every document in scope.
    Root,
    /// One digest per bucket ([`DocId::bucket`]).
    Buckets,
    /// The heads of every document in these buckets.
    Docs {
        /// The buckets wanted.
        buckets: Vec<u8>,
    },
}

/// The heads of one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocHeads {
    /// The document.
    pub doc: DocId,
    /// Its heads, sorted.
    pub heads: Vec<ChangeHash>,
}

/// Repair: the changes of these documents after the given heads (all of them for empty
/// heads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRequest {
    /// Echoed in the response.
    pub request_id: u64,
    /// The documents, each with the heads the device has.
    pub docs: Vec<DocHeads>,
    /// The most change bytes the response may carry (at least one document is always sent).
    pub max_bytes: u32,
}

/// An answer from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The answer to [`Request::Sync`].
    Sync(SyncResponse),
    /// The answer to [`Request::Summary`].
    Summary(SummaryResponse),
    /// The answer to [`Request::Fetch`].
    Fetch(FetchResponse),
    /// The request was refused as a whole; nothing was committed.
    Error(ErrorResponse),
}

/// What happened to a push, and a page of what changed on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// The request's id.
    pub request_id: u64,
    /// One result per pushed document, in the order pushed.
    pub push: Vec<PushResult>,
    /// The page, when one was asked for and the cursor could be trusted.
    pub pull: Option<PullPage>,
    /// The cursor belongs to another epoch of the server store: run the repair (summary,
    /// then fetch), then pull from the cursor the summary gives.
    pub repair_needed: bool,
}

/// What the server did with one pushed document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushResult {
    /// Durably committed, and the server's heads are the client's heads at the time it sent
    /// the push: the server has what the client pushed and nothing more.
    Committed {
        /// The document.
        doc: DocId,
    },
    /// Durably committed, and the server has more (changes from other devices); the pull
    /// brings them.
    CommittedWithMore {
        /// The document.
        doc: DocId,
        /// The server's heads.
        heads: Vec<ChangeHash>,
    },
    /// Refused: the server does not hold everything pushed for this document, so nothing
    /// of it is acknowledged; sending it again is harmless. Usually nothing of it was
    /// committed; after a backup restore, the pusher's own changes that the server could
    /// apply may have been, while the rest waits for changes only other devices can send.
    /// Other documents are unaffected.
    Rejected {
        /// The document.
        doc: DocId,
        /// Why, for programs.
        code: RejectCode,
        /// Why, for people, saying what to do.
        message: String,
    },
}

impl PushResult {
    /// The document this result is about.
    pub fn doc(&self) -> DocId {
        match self {
            PushResult::Committed { doc }
            | PushResult::CommittedWithMore { doc, .. }
            | PushResult::Rejected { doc, .. } => *doc,
        }
    }
}

/// Why a pushed document was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectCode {
    /// A chunk is not an uncompressed change chunk (a saved document, a compressed change, a
    /// bundle): send raw change chunks.
    NotAChange,
    /// The bytes are not well-formed change chunks (bad magic, cut off, bad length).
    Malformed,
    /// A chunk's checksum does not match its contents: the data was damaged.
    BadChecksum,
    /// More change bytes or changes than the server accepts for one document.
    TooLarge,
    /// A change was written by another device's actor.
    ForeignActor,
    /// The document is outside the caller's scope (or a new document names another creator).
    OutOfScope,
    /// The changes depend on changes the server does not have: resend from the acknowledged
    /// heads, or all of the document's changes.
    MissingDependencies,
    /// automerge refused the changes, or failed on them.
    ApplyFailed,
    /// The result is not a well-formed submission.
    NotASubmission,
    /// The same document appears twice in one request.
    Duplicate,
    /// The server could not store the batch; nothing was committed: retry later.
    StoreFailed,
    /// The [compact](ChangeEncoding::Compact) changes could not be rebuilt into the sender's
    /// changes: send the same changes as raw chunks.
    CompactRefused,
}

impl RejectCode {
    /// Whether sending the same document again later may succeed (a storage failure, a
    /// dependency sent in the meantime); the others need a different push or a person.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            RejectCode::MissingDependencies | RejectCode::StoreFailed
        )
    }
}

/// A page of the server's change log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullPage {
    /// Per document, the new changes (each document at most once).
    pub docs: Vec<DocChanges>,
    /// The cursor to pull from next.
    pub next: Cursor,
    /// Whether more entries follow `next`.
    pub more: bool,
}

/// A level of the repair summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryResponse {
    /// The request's id.
    pub request_id: u64,
    /// The log position this summary was taken at: after the repair, pull from here.
    pub cursor: Cursor,
    /// The summary.
    pub summary: Summary,
}

/// The repair summary at one level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Summary {
    /// One hash over all buckets.
    Root {
        /// SHA-256 over the bucket digests in order.
        hash: [u8; 32],
        /// How many documents are in scope.
        docs: u64,
    },
    /// [`BUCKETS`] digests, in bucket order; all zero for an empty bucket.
    Buckets(Vec<[u8; 8]>),
    /// The heads of every document in the asked buckets, sorted by document.
    Docs(Vec<DocHeads>),
}

/// Changes fetched for repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchResponse {
    /// The request's id.
    pub request_id: u64,
    /// The changes of the documents served (those with nothing new are left out).
    pub docs: Vec<DocChanges>,
    /// Documents asked for that the server does not have in the caller's scope.
    pub unknown: Vec<DocId>,
    /// Documents not served this time because of `max_bytes`: ask again.
    pub deferred: Vec<DocId>,
}

/// A request refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The request's id, when the request could be read.
    pub request_id: Option<u64>,
    /// Why, for programs.
    pub code: ErrorCode,
    /// Why, for people, saying what to do.
    pub message: String,
}

/// Why a request was refused as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ErrorCode {
    /// The bytes are not a sync frame, or not one this server can read; see the message.
    BadRequest,
    /// The frame's version is not [`VERSION`]: update the app.
    UnsupportedVersion,
    /// The request breaks a size or count limit: send smaller batches.
    TooLarge,
    /// The server's storage failed; nothing was committed: retry later.
    StoreUnavailable,
}

/// Bounds applied to a frame before and after decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireLimits {
    /// The largest frame accepted, as received.
    pub max_frame_bytes: usize,
    /// The largest payload accepted after inflation (checked against the declared length
    /// before anything is allocated).
    pub max_payload_bytes: usize,
    /// The most documents in one message (pushed, pulled, fetched, summarised).
    pub max_docs: usize,
    /// The most change bytes for one document in one message.
    pub max_doc_bytes: usize,
    /// The most heads listed for one document.
    pub max_heads: usize,
    /// The longest human-readable message.
    pub max_message_bytes: usize,
}

impl Default for WireLimits {
    /// Generous for a batch of thousands of submissions (about 200 B each compressed),
    /// small enough that a hostile frame costs little.
    fn default() -> Self {
        WireLimits {
            max_frame_bytes: 8 * 1024 * 1024,
            max_payload_bytes: 32 * 1024 * 1024,
            max_docs: 20_000,
            max_doc_bytes: 1024 * 1024,
            max_heads: 64,
            max_message_bytes: 1024,
        }
    }
}

/// A frame that could not be read. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Too short to hold a header.
    #[error(
        "the sync message is {len} bytes, shorter than its {HEADER_LEN}-byte header; it was cut off in transit: send it again"
    )]
    Truncated {
        /// The length received.
        len: usize,
    },
    /// The magic bytes are wrong.
    #[error(
        "the bytes are not a Letsema sync message (they do not start with \"LSY\"); check the URL and the proxy in between"
    )]
    BadMagic,
    /// Another version.
    #[error(
        "the sync message has format version {found}, this program speaks version {VERSION}; update the app or the server"
    )]
    UnsupportedVersion {
        /// The version found.
        found: u8,
    },
    /// Unknown flag bits.
    #[error(
        "the sync message sets unknown flags {flags:#04x}; it comes from a newer program: update this one"
    )]
    UnknownFlags {
        /// The flags found.
        flags: u8,
    },
    /// The frame is larger than allowed.
    #[error(
        "the sync message is {size} bytes, more than the limit of {limit}; send fewer documents per request"
    )]
    FrameTooLarge {
        /// The frame's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The declared payload is larger than allowed; nothing was inflated.
    #[error(
        "the sync message declares {declared} bytes of content, more than the limit of {limit}; send fewer documents per request"
    )]
    PayloadTooLarge {
        /// The declared length.
        declared: u64,
        /// The limit.
        limit: usize,
    },
    /// Inflation failed or did not give the declared length.
    #[error("the sync message's compressed content is damaged ({reason}); send it again")]
    Inflate {
        /// What went wrong.
        reason: String,
    },
    /// The payload is not a valid message.
    #[error(
        "the sync message's content is not a valid message of this version ({reason}); update the app or the server"
    )]
    Payload {
        /// What went wrong.
        reason: String,
    },
    /// A count or size inside the message breaks a limit.
    #[error(
        "the sync message holds {what}: {found}, more than the limit of {limit}; send smaller batches"
    )]
    LimitExceeded {
        /// What was counted.
        what: &'static str,
        /// How many or how large.
        found: usize,
        /// The limit.
        limit: usize,
    },
}

/// A message that travels in a sync frame.
pub trait WireMessage: Serialize + DeserializeOwned {
    /// Checks the counts and sizes inside a decoded message against `limits`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::LimitExceeded`] naming the first limit broken.
    fn check(&self, limits: &WireLimits) -> Result<(), DecodeError>;

    /// The message as a frame, deflated when that makes it smaller.
    fn encode(&self) -> Vec<u8> {
        encode_frame(&postcard::to_allocvec(self).expect("postcard encodes every sync message"))
    }

    /// Reads a frame, bounding every size before allocating it.
    ///
    /// # Errors
    ///
    /// A [`DecodeError`] saying what is wrong and what to do.
    fn decode(bytes: &[u8], limits: &WireLimits) -> Result<Self, DecodeError> {
        let payload = decode_frame(bytes, limits)?;
        let (message, rest) =
            postcard::take_from_bytes::<Self>(&payload).map_err(|error| DecodeError::Payload {
                reason: error.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(DecodeError::Payload {
                reason: format!("{} bytes follow the message", rest.len()),
            });
        }
        message.check(limits)?;
        Ok(message)
    }
}

/// Wraps a payload in a frame, deflating it when that makes it smaller.
pub fn encode_frame(payload: &[u8]) -> Vec<u8> {
    let declared = u32::try_from(payload.len())
        .expect("a sync payload is far below 4 GiB (WireLimits bound it)");
    let compressed = (payload.len() >= COMPRESS_FROM)
        .then(|| miniz_oxide::deflate::compress_to_vec(payload, COMPRESS_LEVEL))
        .filter(|compressed| compressed.len() < payload.len());
    let (flags, body) = match &compressed {
        Some(compressed) => (FLAG_DEFLATE, compressed.as_slice()),
        None => (0, payload),
    };
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    frame.extend_from_slice(&MAGIC);
    frame.push(VERSION);
    frame.push(flags);
    frame.extend_from_slice(&declared.to_le_bytes());
    frame.extend_from_slice(body);
    frame
}

/// Checks a frame's header and returns its payload, inflated with a hard cap.
///
/// # Errors
///
/// A [`DecodeError`] for a short, foreign, newer, oversized or damaged frame.
pub fn decode_frame(bytes: &[u8], limits: &WireLimits) -> Result<Vec<u8>, DecodeError> {
    if bytes.len() > limits.max_frame_bytes {
        return Err(DecodeError::FrameTooLarge {
            size: bytes.len(),
            limit: limits.max_frame_bytes,
        });
    }
    let Some((header, body)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(DecodeError::Truncated { len: bytes.len() });
    };
    if header[..3] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    if header[3] != VERSION {
        return Err(DecodeError::UnsupportedVersion { found: header[3] });
    }
    let flags = header[4];
    if flags & !FLAG_DEFLATE != 0 {
        return Err(DecodeError::UnknownFlags { flags });
    }
    let declared = u32::from_le_bytes([header[5], header[6], header[7], header[8]]);
    let length = usize::try_from(declared)
        .ok()
        .filter(|&length| length <= limits.max_payload_bytes)
        .ok_or(DecodeError::PayloadTooLarge {
            declared: u64::from(declared),
            limit: limits.max_payload_bytes,
        })?;
    if flags & FLAG_DEFLATE == 0 {
        if body.len() != length {
            return Err(DecodeError::Payload {
                reason: format!(
                    "the header declares {length} bytes but {} follow",
                    body.len()
                ),
            });
        }
        return Ok(body.to_vec());
    }
    let payload =
        miniz_oxide::inflate::decompress_to_vec_with_limit(body, length).map_err(|error| {
            DecodeError::Inflate {
                reason: format!("{:?}", error.status),
            }
        })?;
    if payload.len() != length {
        return Err(DecodeError::Inflate {
            reason: format!("{} bytes inflated, {length} declared", payload.len()),
        });
    }
    Ok(payload)
}

fn limit(what: &'static str, found: usize, limit: usize) -> Result<(), DecodeError> {
    if found > limit {
        Err(DecodeError::LimitExceeded { what, found, limit })
    } else {
        Ok(())
    }
}

fn check_docs(docs: &[DocChanges], limits: &WireLimits) -> Result<(), DecodeError> {
    limit("documents", docs.len(), limits.max_docs)?;
    for doc in docs {
        limit(
            "change bytes for one document",
            doc.changes.len(),
            limits.max_doc_bytes,
        )?;
    }
    Ok(())
}

fn check_heads(docs: &[DocHeads], limits: &WireLimits) -> Result<(), DecodeError> {
    limit("documents", docs.len(), limits.max_docs)?;
    for doc in docs {
        limit("heads for one document", doc.heads.len(), limits.max_heads)?;
    }
    Ok(())
}

impl WireMessage for Request {
    fn check(&self, limits: &WireLimits) -> Result<(), DecodeError> {
        match self {
            Request::Sync(sync) => check_docs(&sync.push, limits),
            Request::Summary(summary) => match &summary.level {
                SummaryLevel::Docs { buckets } => limit("buckets", buckets.len(), BUCKETS),
                SummaryLevel::Root | SummaryLevel::Buckets => Ok(()),
            },
            Request::Fetch(fetch) => check_heads(&fetch.docs, limits),
        }
    }
}

impl WireMessage for Response {
    fn check(&self, limits: &WireLimits) -> Result<(), DecodeError> {
        match self {
            Response::Sync(sync) => {
                limit("push results", sync.push.len(), limits.max_docs)?;
                for result in &sync.push {
                    match result {
                        PushResult::CommittedWithMore { heads, .. } => {
                            limit("heads for one document", heads.len(), limits.max_heads)?;
                        }
                        PushResult::Rejected { message, .. } => {
                            limit("message bytes", message.len(), limits.max_message_bytes)?;
                        }
                        PushResult::Committed { .. } => {}
                    }
                }
                match &sync.pull {
                    Some(page) => check_docs(&page.docs, limits),
                    None => Ok(()),
                }
            }
            Response::Summary(summary) => match &summary.summary {
                Summary::Root { .. } => Ok(()),
                Summary::Buckets(buckets) => {
                    if buckets.len() == BUCKETS {
                        Ok(())
                    } else {
                        Err(DecodeError::Payload {
                            reason: format!(
                                "a bucket summary has {} buckets instead of {BUCKETS}",
                                buckets.len()
                            ),
                        })
                    }
                }
                Summary::Docs(docs) => check_heads(docs, limits),
            },
            Response::Fetch(fetch) => {
                check_docs(&fetch.docs, limits)?;
                limit("unknown documents", fetch.unknown.len(), limits.max_docs)?;
                limit("deferred documents", fetch.deferred.len(), limits.max_docs)
            }
            Response::Error(error) => limit(
                "message bytes",
                error.message.len(),
                limits.max_message_bytes,
            ),
        }
    }
}

impl Request {
    /// The request's id.
    pub fn request_id(&self) -> u64 {
        match self {
            Request::Sync(sync) => sync.request_id,
            Request::Summary(summary) => summary.request_id,
            Request::Fetch(fetch) => fetch.request_id,
        }
    }

    /// See [`WireMessage::encode`].
    pub fn encode(&self) -> Vec<u8> {
        WireMessage::encode(self)
    }

    /// See [`WireMessage::decode`].
    ///
    /// # Errors
    ///
    /// A [`DecodeError`].
    pub fn decode(bytes: &[u8], limits: &WireLimits) -> Result<Request, DecodeError> {
        <Request as WireMessage>::decode(bytes, limits)
    }
}

impl Response {
    /// The id of the request this answers, when known.
    pub fn request_id(&self) -> Option<u64> {
        match self {
            Response::Sync(sync) => Some(sync.request_id),
            Response::Summary(summary) => Some(summary.request_id),
            Response::Fetch(fetch) => Some(fetch.request_id),
            Response::Error(error) => error.request_id,
        }
    }

    /// See [`WireMessage::encode`].
    pub fn encode(&self) -> Vec<u8> {
        WireMessage::encode(self)
    }

    /// See [`WireMessage::decode`].
    ///
    /// # Errors
    ///
    /// A [`DecodeError`].
    pub fn decode(bytes: &[u8], limits: &WireLimits) -> Result<Response, DecodeError> {
        <Response as WireMessage>::decode(bytes, limits)
    }
}

/// Byte strings as one length and the raw bytes (postcard's `bytes`), not a sequence of
/// numbers; other formats (JSON) still read a sequence.
mod byte_string {
    use std::fmt;

    use serde::de::{self, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        deserializer.deserialize_byte_buf(BytesVisitor)
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a byte string")
        }

        fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(byte) = seq.next_element()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
}
