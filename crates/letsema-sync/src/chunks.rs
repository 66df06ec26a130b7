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
}

impl Default for ChunkLimits {
    /// A submission edit is a few hundred bytes and depends on one or two changes; these
    /// bounds leave a wide margin.
    fn default() -> Self {
        ChunkLimits {
            max_changes: 5_000,
            max_change_bytes: 256 * 1024,
            max_deps: 64,
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
            ChunkError::TooManyChanges { .. } | ChunkError::TooLarge { .. } => RejectCode::TooLarge,
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
    hashes: &[letsema_doc::ChangeHash],
) -> Result<Vec<ParsedChange>, ChunkError> {
    let mut changes = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let index = changes.len();
        if index >= limits.max_changes {
            return Err(ChunkError::TooManyChanges {
                count: count_chunks(bytes),
                limit: limits.max_changes,
            });
        }
        let change = parse_one(bytes, pos, index, limits, hashes.get(index).map(|h| h.0))?;
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
    Ok(ParsedChange {
        hash: ChangeHash(hash),
        deps,
        actor,
        seq,
        range: start..start + header_len + length,
    })
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
                        CompactError::TooLarge { .. } => RejectCode::TooLarge,
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
