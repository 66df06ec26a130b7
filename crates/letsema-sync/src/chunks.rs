//! Checks automerge change chunks before automerge sees them.
//!
//! automerge 0.12 inflates compressed chunks without a cap and panics on some well-formed but
//! corrupted input (see "Hostile input" in `TOOLCHAIN.md`). So every byte string a peer sends
//! as changes is first split here: each chunk's header is parsed by hand, only uncompressed
//! change chunks (type 1) are accepted, each checksum is verified, counts and sizes are
//! bounded, and the change's dependencies and actor are read, so that the server can refuse
//! a forged actor and find duplicates without decoding anything else.
//!
//! A chunk is `magic(4) checksum(4) type(1) length(uLEB128) body(length)`; its hash is the
//! SHA-256 of `type length body`, and the checksum is the hash's first four bytes. A change
//! body starts with its dependencies (a uLEB128 count, then 32-byte hashes), then its actor (a
//! uLEB128 length, then the bytes), then its sequence number.
//!
//! Changes pushed in the compact encoding ([`ChangeEncoding::Compact`]) are first rebuilt into
//! such chunks by [`change_chunks`], then checked here like any others.

use std::borrow::Cow;
use std::ops::Range;

use letsema_doc::{
    ActorId, ActorInfo, BuiltChanges, CompactError, DeviceId, Limits, SubmissionId,
    expand_compact_built,
};
use letsema_protocol::sync::{ChangeEncoding, ChangeHash, DocChanges, RejectCode};
use sha2::{Digest, Sha256};

/// The bytes every automerge chunk starts with.
pub const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// A saved document.
const TYPE_DOCUMENT: u8 = 0;
/// An uncompressed change: the only type accepted.
const TYPE_CHANGE: u8 = 1;
/// A deflated change.
const TYPE_COMPRESSED: u8 = 2;

/// Bounds on the change chunks of one document in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkLimits {
    /// The most changes.
    pub max_changes: usize,
    /// The largest single change chunk, in bytes.
    pub max_change_bytes: usize,
    /// The most dependencies one change may list.
    pub max_deps: usize,
    /// The most operations one change may hold, and the most values any of its columns may
    /// decode to: automerge expands run-length-encoded columns as it reads them, so a
    /// kilobyte can declare millions of operations (hundreds of megabytes in automerge).
    pub max_ops: u64,
    /// The most operations all of one document's changes in one message may hold.
    pub max_doc_ops: u64,
    /// The most bytes one change's string columns may expand to (a run of one string
    /// repeated for every operation is copied for each).
    pub max_expanded_bytes: u64,
    /// The most other actors one change may name.
    pub max_actors: u64,
}

impl Default for ChunkLimits {
    /// A submission edit is a few hundred bytes and depends on one or two changes; these
    /// bounds leave a wide margin.
    fn default() -> Self {
        ChunkLimits {
            max_changes: 5_000,
            max_change_bytes: 256 * 1024,
            max_deps: 64,
            // A 1,000-question form filled in at once is about 1,000 operations.
            max_ops: 20_000,
            max_doc_ops: 100_000,
            max_expanded_bytes: 2 * 1024 * 1024,
            max_actors: 256,
        }
    }
}

/// One change chunk that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedChange {
    /// The change's hash (verified against the chunk's checksum).
    pub hash: ChangeHash,
    /// The changes it depends on.
    pub deps: Vec<ChangeHash>,
    /// The raw actor id that wrote it.
    pub actor: Vec<u8>,
    /// The actor's sequence number for this change.
    pub seq: u64,
    /// At most how many operations automerge will read from it (the most values any of
    /// its columns decodes to).
    pub ops: u64,
    /// Where the chunk is in the input.
    pub range: Range<usize>,
}

impl ParsedChange {
    /// The device that wrote the change, when its actor is a Letsema actor id.
    pub fn device(&self) -> Option<DeviceId> {
        ActorInfo::parse(&ActorId::from(self.actor.as_slice()))
    }
}

/// Why change chunks were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// A chunk of another type.
    #[error(
        "chunk {index} is {kind}, not an uncompressed change; send raw change chunks (SubmissionDoc::changes_after)"
    )]
    NotAChange {
        /// The chunk's position.
        index: usize,
        /// What it is.
        kind: &'static str,
    },
    /// Bytes that are not well-formed chunks.
    #[error("chunk {index} is malformed ({reason}); the data was damaged: send the changes again")]
    Malformed {
        /// The chunk's position.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A checksum that does not match.
    #[error(
        "chunk {index}'s checksum does not match its contents; the data was damaged: send the changes again"
    )]
    BadChecksum {
        /// The chunk's position.
        index: usize,
    },
    /// Too many changes.
    #[error(
        "{count} changes, more than the limit of {limit} per document and message; send fewer at a time"
    )]
    TooManyChanges {
        /// How many.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A change whose columns decode to more operations or bytes than allowed, or a
    /// document whose changes in one message hold too many operations.
    #[error(
        "chunk {index} declares {size} {what}, more than the limit of {limit}; such a change is not a submission edit"
    )]
    TooManyOps {
        /// The chunk's position.
        index: usize,
        /// What is counted.
        what: &'static str,
        /// How many it declares.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A chunk larger than allowed, or listing too many dependencies.
    #[error(
        "chunk {index} is too large ({size}, limit {limit}); such a change is not a submission edit"
    )]
    TooLarge {
        /// The chunk's position.
        index: usize,
        /// Its size (bytes or dependencies).
        size: u64,
        /// The limit.
        limit: usize,
    },
}

impl ChunkError {
    /// The wire code for this error.
    pub fn code(&self) -> RejectCode {
        match self {
            ChunkError::NotAChange { .. } => RejectCode::NotAChange,
            ChunkError::Malformed { .. } => RejectCode::Malformed,
            ChunkError::BadChecksum { .. } => RejectCode::BadChecksum,
            ChunkError::TooManyChanges { .. }
            | ChunkError::TooLarge { .. }
            | ChunkError::TooManyOps { .. } => RejectCode::TooLarge,
        }
    }
}

/// Splits `bytes` into change chunks and checks each one; see the module documentation.
///
/// # Errors
///
/// A [`ChunkError`] for the first chunk that fails.
pub fn parse_changes(bytes: &[u8], limits: &ChunkLimits) -> Result<Vec<ParsedChange>, ChunkError> {
    parse_changes_hashed(bytes, limits, &[])
}

/// [`parse_changes`] for chunks this program built itself, whose hashes are already known
/// (`hashes[i]` of chunk `i`: a compact push, rebuilt by [`change_chunks_built`], where
/// automerge hashed each change as it encoded it). The same checks, without hashing every
/// chunk a second time; a chunk whose stored checksum does not start its known hash, or
/// that has none, is hashed as in [`parse_changes`].
///
/// # Errors
///
/// As [`parse_changes`].
pub fn parse_changes_hashed(
    bytes: &[u8],
    limits: &ChunkLimits,
    hashes: &[ChangeHash],
) -> Result<Vec<ParsedChange>, ChunkError> {
    let mut changes = Vec::new();
    let mut pos = 0;
    let mut ops: u64 = 0;
    while pos < bytes.len() {
        let index = changes.len();
        if index >= limits.max_changes {
            return Err(ChunkError::TooManyChanges {
                count: count_chunks(bytes),
                limit: limits.max_changes,
            });
        }
        let change = parse_one(bytes, pos, index, limits, hashes.get(index).map(|h| h.0))?;
        ops = ops.saturating_add(change.ops);
        if ops > limits.max_doc_ops {
            return Err(ChunkError::TooManyOps {
                index,
                what: "operations in this document's changes so far",
                size: ops,
                limit: limits.max_doc_ops,
            });
        }
        pos = change.range.end;
        changes.push(change);
    }
    Ok(changes)
}

/// Counts the chunks in `bytes` as far as their lengths can be read, for an error message.
fn count_chunks(bytes: &[u8]) -> usize {
    let mut count = 0;
    let mut pos = 0;
    while let Some((length, after)) = bytes.get(pos + 9..).and_then(|rest| uleb(rest).ok()) {
        count += 1;
        pos = match usize::try_from(length)
            .ok()
            .and_then(|length| (pos + 9 + after).checked_add(length))
        {
            Some(end) if end <= bytes.len() => end,
            _ => break,
        };
    }
    count
}

fn parse_one(
    bytes: &[u8],
    start: usize,
    index: usize,
    limits: &ChunkLimits,
    known_hash: Option<[u8; 32]>,
) -> Result<ParsedChange, ChunkError> {
    let malformed = |reason| ChunkError::Malformed { index, reason };
    let chunk = &bytes[start..];
    if chunk.len() < 10 {
        return Err(malformed("cut off inside its header"));
    }
    if chunk[..4] != CHUNK_MAGIC {
        return Err(malformed("it does not start with automerge's magic bytes"));
    }
    match chunk[8] {
        TYPE_CHANGE => {}
        TYPE_DOCUMENT => {
            return Err(ChunkError::NotAChange {
                index,
                kind: "a saved document",
            });
        }
        TYPE_COMPRESSED => {
            return Err(ChunkError::NotAChange {
                index,
                kind: "a compressed change",
            });
        }
        _ => {
            return Err(ChunkError::NotAChange {
                index,
                kind: "a chunk of an unknown type",
            });
        }
    }
    let (length, length_len) = uleb(&chunk[9..]).map_err(malformed)?;
    let too_large = ChunkError::TooLarge {
        index,
        size: length,
        limit: limits.max_change_bytes,
    };
    let length = usize::try_from(length).map_err(|_| too_large.clone())?;
    let header_len = 9 + length_len;
    if header_len + length > limits.max_change_bytes {
        return Err(too_large);
    }
    let Some(body) = chunk.get(header_len..header_len + length) else {
        return Err(malformed("cut off inside its body"));
    };
    let hash: [u8; 32] = match known_hash {
        Some(known) if known[..4] == chunk[4..8] => known,
        _ => Sha256::new()
            .chain_update(&chunk[8..header_len])
            .chain_update(body)
            .finalize()
            .into(),
    };
    if hash[..4] != chunk[4..8] {
        return Err(ChunkError::BadChecksum { index });
    }
    let mut reader = Reader {
        bytes: body,
        pos: 0,
    };
    let dep_count = reader.uleb().map_err(malformed)?;
    if dep_count > limits.max_deps as u64 {
        return Err(ChunkError::TooLarge {
            index,
            size: dep_count,
            limit: limits.max_deps,
        });
    }
    let mut deps = Vec::new();
    for _ in 0..dep_count {
        let dep = reader.take(32).map_err(malformed)?;
        let mut hash = [0; 32];
        hash.copy_from_slice(dep);
        deps.push(ChangeHash(hash));
    }
    let actor_len = reader.uleb().map_err(malformed)?;
    let actor_len = usize::try_from(actor_len).map_err(|_| malformed("an absurd actor length"))?;
    let actor = reader.take(actor_len).map_err(malformed)?.to_vec();
    let seq = reader.uleb().map_err(malformed)?;
    let ops = operations(&mut reader, index, limits)?;
    Ok(ParsedChange {
        hash: ChangeHash(hash),
        deps,
        actor,
        seq,
        ops,
        range: start..start + header_len + length,
    })
}

/// The column types of automerge's change format (the low three bits of a column's
/// specification); bit 3 marks a deflated column.
mod column {
    pub const GROUP: u64 = 0;
    pub const ACTOR: u64 = 1;
    pub const INTEGER: u64 = 2;
    pub const DELTA: u64 = 3;
    pub const BOOLEAN: u64 = 4;
    pub const STRING: u64 = 5;
    pub const VALUE_METADATA: u64 = 6;
    pub const DEFLATE: u64 = 0b1000;
    /// More columns than the format has ever defined (about a dozen).
    pub const MAX_COLUMNS: u64 = 64;
}

/// Reads the rest of a change after its sequence number (first operation, time, message,
/// other actors, the column layout) and returns how many operations automerge would read:
/// the most values any column decodes to. Every column is walked without expanding it, so
/// that a change that declares more operations, operations' predecessors or string bytes
/// than `limits` allow is refused before automerge allocates for them; a deflated column
/// (which automerge refuses in a change anyway) is refused here.
fn operations(
    reader: &mut Reader<'_>,
    index: usize,
    limits: &ChunkLimits,
) -> Result<u64, ChunkError> {
    let malformed = |reason| ChunkError::Malformed { index, reason };
    let too_many = |what, size, limit| ChunkError::TooManyOps {
        index,
        what,
        size,
        limit,
    };
    let _start_op = reader.uleb().map_err(malformed)?;
    let _time = reader.leb_signed().map_err(malformed)?;
    let message = reader.uleb().map_err(malformed)?;
    reader
        .take(usize::try_from(message).map_err(|_| malformed("an absurd message length"))?)
        .map_err(malformed)?;
    let actors = reader.uleb().map_err(malformed)?;
    if actors > limits.max_actors {
        return Err(too_many("other actors", actors, limits.max_actors));
    }
    for _ in 0..actors {
        let len = reader.uleb().map_err(malformed)?;
        reader
            .take(usize::try_from(len).map_err(|_| malformed("an absurd actor length"))?)
            .map_err(malformed)?;
    }
    let count = reader.uleb().map_err(malformed)?;
    if count > column::MAX_COLUMNS {
        return Err(malformed("more columns than automerge's format defines"));
    }
    let mut layout = Vec::new();
    let mut total: usize = 0;
    for _ in 0..count {
        let spec = reader.uleb().map_err(malformed)?;
        let len = usize::try_from(reader.uleb().map_err(malformed)?)
            .map_err(|_| malformed("an absurd column length"))?;
        total = total
            .checked_add(len)
            .ok_or(malformed("an absurd column length"))?;
        layout.push((spec, len));
    }
    let mut data = reader.take(total).map_err(malformed)?;
    let mut ops: u64 = 0;
    let mut expanded: u64 = 0;
    for (spec, len) in layout {
        let (bytes, rest) = data.split_at(len);
        data = rest;
        if spec & column::DEFLATE != 0 {
            return Err(malformed(
                "a column is compressed, which a change may not be",
            ));
        }
        let decoded = match spec & 0b111 {
            column::GROUP | column::ACTOR | column::INTEGER | column::VALUE_METADATA => {
                let decoded = run_lengths(bytes, Value::Unsigned).map_err(malformed)?;
                if spec & 0b111 == column::GROUP && decoded.sum > limits.max_ops {
                    return Err(too_many(
                        "operation predecessors",
                        decoded.sum,
                        limits.max_ops,
                    ));
                }
                decoded
            }
            column::DELTA => run_lengths(bytes, Value::Signed).map_err(malformed)?,
            column::BOOLEAN => booleans(bytes).map_err(malformed)?,
            column::STRING => run_lengths(bytes, Value::String).map_err(malformed)?,
            // Raw values: bytes, read by length from the value metadata column.
            _ => Decoded::default(),
        };
        if decoded.count > limits.max_ops {
            return Err(too_many("operations", decoded.count, limits.max_ops));
        }
        ops = ops.max(decoded.count);
        expanded = expanded.saturating_add(decoded.expanded);
        if expanded > limits.max_expanded_bytes {
            return Err(too_many(
                "bytes of strings once expanded",
                expanded,
                limits.max_expanded_bytes,
            ));
        }
    }
    Ok(ops)
}

/// What a column decodes to, counted without decoding it.
#[derive(Debug, Default, Clone, Copy)]
struct Decoded {
    /// How many values (nulls included).
    count: u64,
    /// The sum of the values (for the group column: predecessors).
    sum: u64,
    /// The bytes of strings once every run is expanded.
    expanded: u64,
}

/// The kind of value a run-length-encoded column holds.
#[derive(Debug, Clone, Copy)]
enum Value {
    Unsigned,
    Signed,
    String,
}

/// Walks automerge's run-length encoding: a signed count `n`, then one value repeated `n`
/// times (`n > 0`), `-n` literal values (`n < 0`), or an unsigned count of nulls (`n = 0`).
fn run_lengths(bytes: &[u8], kind: Value) -> Result<Decoded, &'static str> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut decoded = Decoded::default();
    while reader.pos < bytes.len() {
        let count = reader.leb_signed()?;
        let (times, values) = match count {
            0 => (reader.leb_unsigned()?, 0),
            n if n > 0 => (n.unsigned_abs(), 1),
            n => (1, n.unsigned_abs()),
        };
        decoded.count = decoded
            .count
            .saturating_add(times.saturating_mul(values.max(1)));
        if values == 0 {
            continue;
        }
        // Never more values than bytes: a literal run's count is checked as it is read.
        for _ in 0..values {
            let (value, length) = match kind {
                Value::Unsigned => (reader.leb_unsigned()?, 0),
                Value::Signed => {
                    reader.leb_signed()?;
                    (0, 0)
                }
                Value::String => {
                    let length = reader.leb_unsigned()?;
                    reader.take(usize::try_from(length).map_err(|_| "an absurd string length")?)?;
                    (0, length)
                }
            };
            decoded.sum = decoded.sum.saturating_add(value.saturating_mul(times));
            decoded.expanded = decoded
                .expanded
                .saturating_add(length.saturating_mul(times));
        }
    }
    Ok(decoded)
}

/// Walks automerge's boolean encoding: unsigned run lengths, alternately false and true.
fn booleans(bytes: &[u8]) -> Result<Decoded, &'static str> {
    let mut reader = Reader { bytes, pos: 0 };
    let mut decoded = Decoded::default();
    while reader.pos < bytes.len() {
        decoded.count = decoded.count.saturating_add(reader.leb_unsigned()?);
    }
    Ok(decoded)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn uleb(&mut self) -> Result<u64, &'static str> {
        let (value, len) = uleb(&self.bytes[self.pos..])?;
        self.pos += len;
        Ok(value)
    }

    /// An unsigned LEB128 number as automerge's columns hold it (not required to be
    /// minimal: the columns' values are automerge's to judge).
    fn leb_unsigned(&mut self) -> Result<u64, &'static str> {
        let mut value: u64 = 0;
        for (i, &byte) in self.bytes[self.pos..].iter().enumerate().take(10) {
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err("a number overflows 64 bits");
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                self.pos += i + 1;
                return Ok(value);
            }
        }
        Err("a number is cut off or too long")
    }

    /// A signed LEB128 number.
    fn leb_signed(&mut self) -> Result<i64, &'static str> {
        let mut value: i64 = 0;
        for (i, &byte) in self.bytes[self.pos..].iter().enumerate().take(10) {
            let shift = 7 * i as u32;
            value |= i64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                if shift + 7 < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << (shift + 7);
                }
                self.pos += i + 1;
                return Ok(value);
            }
        }
        Err("a number is cut off or too long")
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], &'static str> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or("a field runs past the end of the change")?;
        let taken = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(taken)
    }
}

/// Reads a minimal unsigned LEB128 number of at most 64 bits; returns it and its length.
fn uleb(bytes: &[u8]) -> Result<(u64, usize), &'static str> {
    let mut value: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        let bits = u64::from(byte & 0x7f);
        if i == 9 && bits > 1 {
            return Err("a number overflows 64 bits");
        }
        value |= bits << (7 * i);
        if byte & 0x80 == 0 {
            if i > 0 && byte == 0 {
                return Err("a number is not minimally encoded");
            }
            return Ok((value, i + 1));
        }
    }
    Err("a number is cut off or too long")
}

/// The change chunks `changes` carries: its bytes as they are, or rebuilt from the compact
/// encoding ([`letsema_doc::expand_compact`], bounded by `limits`).
///
/// # Errors
///
/// Why compact changes could not be rebuilt, with the wire code to answer with:
/// [`RejectCode::TooLarge`] past the limits, otherwise [`RejectCode::CompactRefused`] (the
/// sender can always send raw chunks instead).
pub fn change_chunks<'a>(
    changes: &'a DocChanges,
    limits: &Limits,
) -> Result<Cow<'a, [u8]>, (RejectCode, String)> {
    change_chunks_built(changes, limits).map(|(chunks, _)| chunks)
}

/// A push's change chunks, and for compact changes the same changes already decoded.
pub type Rebuilt<'a> = (Cow<'a, [u8]>, Option<BuiltChanges>);

/// [`change_chunks`], and for compact changes also the rebuilt changes in automerge's
/// decoded form ([`BuiltChanges`]), so that applying them need not parse the chunks again.
///
/// # Errors
///
/// As [`change_chunks`].
pub fn change_chunks_built<'a>(
    changes: &'a DocChanges,
    limits: &Limits,
) -> Result<Rebuilt<'a>, (RejectCode, String)> {
    match changes.encoding {
        ChangeEncoding::Chunks => Ok((Cow::Borrowed(&changes.changes), None)),
        ChangeEncoding::Compact => {
            expand_compact_built(&changes.changes, &SubmissionId::from(changes.doc), limits)
                .map(|(chunks, built)| (Cow::Owned(chunks), Some(built)))
                .map_err(|error| {
                    let code = match error {
                        CompactError::TooLarge { .. } | CompactError::TooManyOps { .. } => {
                            RejectCode::TooLarge
                        }
                        _ => RejectCode::CompactRefused,
                    };
                    (code, error.to_string())
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uleb_reads_minimal_numbers_only() {
        assert_eq!(uleb(&[0]), Ok((0, 1)));
        assert_eq!(uleb(&[0x7f]), Ok((127, 1)));
        assert_eq!(uleb(&[0x80, 0x01]), Ok((128, 2)));
        assert!(uleb(&[0x80, 0x00]).is_err());
        assert!(uleb(&[0x80]).is_err());
        assert!(uleb(&[0xff; 11]).is_err());
        assert_eq!(
            uleb(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Ok((u64::MAX, 10))
        );
        assert!(uleb(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).is_err());
    }
}
