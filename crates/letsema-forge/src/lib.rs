//! Forged automerge change chunks, written byte by byte as an attacker would write them,
//! for the hostile-input tests (`letsema-sync`'s `tests/hostile.rs`), the hostile-push
//! benchmark (`server/benches/hostile.rs`) and the fuzz targets.
//!
//! Only the mechanics live here: LEB128 numbers, run-length-encoded columns, the change
//! header and the chunk around it with a correct checksum, and finding and re-checksumming
//! chunks in a run of bytes. What a forged change says (its actor, numbering, columns and
//! operation counts) stays with the test that sends it.
//!
//! A chunk is the magic bytes, the first four bytes of its hash, its type, its body's
//! length (unsigned LEB128) and its body; the hash is the SHA-256 of type, length and body.
//! No compression, no validation: a forger's chunk may be anything a parser must survive.
//!
//! ```
//! use letsema_forge::{Change, column, run};
//!
//! // A change of ten million operations that fits in a few dozen bytes.
//! let (bytes, hash) = Change { deps: &[], actor: &[7; 16], seq: 1, start_op: 1 }
//!     .encode(&[(column::ACTION, run(10_000_000, 1))]);
//! assert!(bytes.len() < 64);
//! assert_eq!(bytes[4..8], hash[..4]);
//! assert_eq!(letsema_forge::chunk_body(&bytes, 0), Some(10..bytes.len()));
//! ```
//!
//! Test tooling (`publish = false`): a dev-dependency of the tests and benches, and a
//! dependency of `fuzz/`; never linked into the server or the web app. No I/O; builds for
//! `wasm32-unknown-unknown` and natively.

use std::ops::Range;

use sha2::{Digest, Sha256};

/// The magic bytes that start every automerge chunk.
pub const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The chunk type of a change.
pub const CHANGE: u8 = 1;
/// The chunk type of a deflate-compressed change.
pub const COMPRESSED_CHANGE: u8 = 2;

/// Column specifications of a change's operations: the column's id shifted left by four,
/// then its type (and [`DEFLATE`](column::DEFLATE) for a compressed column).
pub mod column {
    /// The operations' map keys, as strings (id 1, type 5).
    pub const KEY_STRING: u64 = (1 << 4) | 5;
    /// Whether each operation inserts (id 3, boolean).
    pub const INSERT: u64 = (3 << 4) | 4;
    /// The operations' actions (id 4, integer).
    pub const ACTION: u64 = (4 << 4) | 2;
    /// The metadata (type and length) of each operation's value (id 5, type 6).
    pub const VALUE_META: u64 = (5 << 4) | 6;
    /// How many predecessors each operation has (id 7, group).
    pub const PRED_GROUP: u64 = 7 << 4;
    /// The bit that marks a column as deflated.
    pub const DEFLATE: u64 = 0b1000;
}

/// Appends `value` as unsigned LEB128.
pub fn uleb(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Appends `value` as signed LEB128.
pub fn sleb(mut value: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return;
        }
    }
}

/// A run-length-encoded column: `count` copies of the unsigned `value`.
pub fn run(count: i64, value: u64) -> Vec<u8> {
    let mut data = Vec::new();
    sleb(count, &mut data);
    uleb(value, &mut data);
    data
}

/// A run-length-encoded string column: `count` copies of `value`.
pub fn string_run(count: i64, value: &[u8]) -> Vec<u8> {
    let mut data = Vec::new();
    sleb(count, &mut data);
    uleb(value.len() as u64, &mut data);
    data.extend_from_slice(value);
    data
}

/// A boolean column of `count` falses.
pub fn falses(count: u64) -> Vec<u8> {
    let mut data = Vec::new();
    uleb(count, &mut data);
    data
}

/// A chunk of type `kind` around `body`, with a correct checksum; and its hash.
pub fn chunk(kind: u8, body: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let mut hashed = vec![kind];
    uleb(body.len() as u64, &mut hashed);
    hashed.extend_from_slice(body);
    let hash: [u8; 32] = Sha256::digest(&hashed).into();
    let mut chunk = MAGIC.to_vec();
    chunk.extend_from_slice(&hash[..4]);
    chunk.extend_from_slice(&hashed);
    (chunk, hash)
}

/// The header of a change chunk: what comes before its columns. The rest of the header is
/// a time of 0, no message and no other actors.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// The hashes of the changes it depends on.
    pub deps: &'a [[u8; 32]],
    /// Its actor's bytes.
    pub actor: &'a [u8],
    /// Its sequence number.
    pub seq: u64,
    /// The number of its first operation.
    pub start_op: u64,
}

impl Change<'_> {
    /// The change chunk with these columns (specification, data), in this order, with a
    /// correct checksum; and its hash.
    pub fn encode(&self, columns: &[(u64, Vec<u8>)]) -> (Vec<u8>, [u8; 32]) {
        let mut body = Vec::new();
        uleb(self.deps.len() as u64, &mut body);
        for dep in self.deps {
            body.extend_from_slice(dep);
        }
        uleb(self.actor.len() as u64, &mut body);
        body.extend_from_slice(self.actor);
        uleb(self.seq, &mut body);
        uleb(self.start_op, &mut body);
        sleb(0, &mut body); // time
        uleb(0, &mut body); // message
        uleb(0, &mut body); // other actors
        uleb(columns.len() as u64, &mut body);
        for (spec, data) in columns {
            uleb(*spec, &mut body);
            uleb(data.len() as u64, &mut body);
        }
        for (_, data) in columns {
            body.extend_from_slice(data);
        }
        chunk(CHANGE, &body)
    }
}

/// Where the body of the chunk that starts at `start` of `bytes` lies: from the end of its
/// header to the end of the chunk. `None` unless the magic bytes, a type, and a length
/// whose body fits in `bytes` are there.
pub fn chunk_body(bytes: &[u8], start: usize) -> Option<Range<usize>> {
    if bytes.len() < start.checked_add(9)? || bytes[start..start + 4] != MAGIC {
        return None;
    }
    let mut at = start + 9;
    let mut length = 0usize;
    let mut shift = 0;
    loop {
        let &byte = bytes.get(at)?;
        at += 1;
        if shift > 56 {
            return None;
        }
        length |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    let end = at.checked_add(length).filter(|&end| end <= bytes.len())?;
    Some(at..end)
}

/// Recomputes the checksum of `chunk`, exactly one chunk (as a forger does after changing
/// its body).
pub fn fix_checksum(chunk: &mut [u8]) {
    let digest = Sha256::digest(&chunk[8..]);
    chunk[4..8].copy_from_slice(&digest[..4]);
}

/// Recomputes the checksum of each whole chunk in `bytes`, from the start, until one does
/// not parse (see [`chunk_body`]).
pub fn fix_checksums(bytes: &mut [u8]) {
    let mut start = 0;
    while let Some(body) = chunk_body(bytes, start) {
        fix_checksum(&mut bytes[start..body.end]);
        start = body.end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_leb128() {
        let mut out = Vec::new();
        uleb(624_485, &mut out);
        assert_eq!(out, [0xe5, 0x8e, 0x26]);
        out.clear();
        sleb(-123_456, &mut out);
        assert_eq!(out, [0xc0, 0xbb, 0x78]);
        out.clear();
        sleb(64, &mut out);
        assert_eq!(out, [0xc0, 0x00]);
        assert_eq!(run(3, 1), [3, 1]);
        assert_eq!(string_run(2, b"k"), [2, 1, b'k']);
        assert_eq!(falses(200), [0xc8, 0x01]);
    }

    #[test]
    fn chunks_are_found_and_their_checksums_fixed() {
        let (first, hash) = chunk(CHANGE, &[1, 2, 3]);
        assert_eq!(first[..4], MAGIC);
        assert_eq!(first[4..8], hash[..4]);
        assert_eq!(first[8..], [CHANGE, 3, 1, 2, 3]);
        let (second, _) = Change {
            deps: &[hash],
            actor: &[9; 16],
            seq: 2,
            start_op: 4,
        }
        .encode(&[(column::ACTION, run(1, 1))]);
        let mut bytes = [first, second.clone()].concat();
        assert_eq!(chunk_body(&bytes, 0), Some(10..13));
        let after = chunk_body(&bytes, 13).expect("the second chunk");
        assert_eq!(after.end, bytes.len());
        assert_eq!(chunk_body(&bytes, bytes.len()), None);
        assert_eq!(chunk_body(&bytes[..bytes.len() - 1], 13), None);

        let good = bytes.clone();
        let last = bytes.len() - 1;
        bytes[11] ^= 0xff;
        bytes[last] ^= 0xff;
        fix_checksums(&mut bytes);
        assert_ne!(bytes[4..8], good[4..8]);
        let (refixed, _) = chunk(CHANGE, &bytes[10..13]);
        assert_eq!(bytes[..13], refixed[..]);
        let mut second = second;
        second[last - 13] ^= 0xff;
        fix_checksum(&mut second);
        assert_eq!(bytes[13..], second[..]);
    }
}
