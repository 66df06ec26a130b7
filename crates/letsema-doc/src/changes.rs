//! Raw change exchange for the sync layer: the changes after some heads, applying received
//! change chunks, and questions about which changes a document holds.
//!
//! Sync sends automerge **change chunks** (one per change, uncompressed), not saved
//! documents: a device that edited one field sends one small change, and the server's log
//! keeps each change exactly once. These methods accept only uncompressed change chunks,
//! because automerge inflates compressed chunks without a cap.

use std::collections::{HashMap, HashSet};

use automerge::{AutoCommit, Change};
use letsema_ids::ChangeHash;

use crate::doc::{SubmissionDoc, guarded};
use crate::error::{Limits, LoadError};
use crate::hashes::{from_automerge, from_automerge_all, to_automerge_all};
use crate::ids::Writer;
use crate::order::{Received, check_order};
use crate::schema;

/// The magic bytes every automerge chunk starts with.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The chunk type of an uncompressed change.
const CHANGE_CHUNK: u8 = 1;

impl SubmissionDoc {
    /// Every change not among `heads` or their ancestors, as concatenated uncompressed change
    /// chunks in causal order (empty when `heads` already cover the document).
    ///
    /// Heads this document does not know are ignored, so the result may repeat changes the
    /// other side already has; applying a change twice is harmless.
    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(&to_automerge_all(heads))
    }

    /// The hashes among `hashes` that this document does not hold.
    pub fn missing_changes(&mut self, hashes: &[ChangeHash]) -> Vec<ChangeHash> {
        let mut missing = from_automerge_all(self.doc.get_missing_deps(&to_automerge_all(hashes)));
        missing.sort_unstable();
        missing
    }

    /// Whether this document holds every change in `hashes`.
    pub fn has_changes(&mut self, hashes: &[ChangeHash]) -> bool {
        hashes.is_empty() || self.missing_changes(hashes).is_empty()
    }

    /// The smallest set of hashes with the same ancestry as `hashes`: a hash that is an
    /// ancestor of another one in the set is dropped. Hashes this document does not hold are
    /// kept (nothing is known about them). The result is sorted.
    pub fn reduce_heads(&mut self, hashes: &[ChangeHash]) -> Vec<ChangeHash> {
        let deps: HashMap<ChangeHash, Vec<ChangeHash>> = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|meta| (from_automerge(meta.hash), from_automerge_all(meta.deps)))
            .collect();
        let mut ancestors = HashSet::new();
        let mut stack: Vec<ChangeHash> = hashes
            .iter()
            .filter_map(|hash| deps.get(hash))
            .flatten()
            .copied()
            .collect();
        while let Some(hash) = stack.pop() {
            if ancestors.insert(hash)
                && let Some(parents) = deps.get(&hash)
            {
                stack.extend(parents.iter().copied());
            }
        }
        let mut reduced: Vec<ChangeHash> = hashes
            .iter()
            .filter(|hash| !ancestors.contains(hash))
            .copied()
            .collect();
        reduced.sort_unstable();
        reduced.dedup();
        reduced
    }

    /// Applies concatenated uncompressed change chunks (the output of another replica's
    /// [`SubmissionDoc::changes_after`]) and returns the document's new heads.
    ///
    /// The changes are applied to a copy, which replaces this document only if every check
    /// passes: the size is bounded before decoding; only uncompressed change chunks are
    /// accepted and each one's checksum must match; a panic inside automerge becomes
    /// [`LoadError::Panicked`] (natively); afterwards every received change must be in the
    /// document with no dependency missing, the change count within `limits`, and the meta
    /// unchanged. Changes the document already holds are skipped, so applying twice is
    /// harmless.
    ///
    /// # Errors
    ///
    /// A [`LoadError`]; this document is unchanged then.
    pub fn apply_changes(
        &mut self,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<Vec<ChangeHash>, LoadError> {
        let copy = apply_to(self.doc.clone(), bytes, limits)?;
        self.accept_applied(copy)
    }

    /// Builds a submission from nothing but change chunks, such as the first push of a new
    /// submission, with the same checks as [`SubmissionDoc::apply_changes`], plus the schema
    /// check of [`SubmissionDoc::load_with_limits`].
    ///
    /// # Errors
    ///
    /// A [`LoadError`] saying what was wrong.
    pub fn from_changes(
        bytes: &[u8],
        writer: Writer,
        limits: &Limits,
    ) -> Result<SubmissionDoc, LoadError> {
        let doc = apply_to(AutoCommit::new(), bytes, limits)?;
        let meta = schema::check(&doc)?;
        let doc = doc.with_actor(writer.actor_id());
        Ok(SubmissionDoc { doc, writer, meta })
    }
}

/// Changes already decoded into automerge's form (by [`crate::expand_compact_built`]), so
/// that applying them does not parse their chunks again.
#[derive(Debug, Clone, Default)]
pub struct BuiltChanges(pub(crate) Vec<Change>);

impl BuiltChanges {
    /// Each change's hash, in order: automerge computed them while building the changes.
    pub fn hashes(&self) -> Vec<ChangeHash> {
        self.0
            .iter()
            .map(|change| from_automerge(change.hash()))
            .collect()
    }

    /// The changes with these hashes, in this order (each at most once; unknown hashes are
    /// left out). The changes move: none is copied.
    pub fn select(self, hashes: &[ChangeHash]) -> BuiltChanges {
        let mut by_hash: HashMap<ChangeHash, Change> = self
            .0
            .into_iter()
            .map(|change| (from_automerge(change.hash()), change))
            .collect();
        BuiltChanges(
            hashes
                .iter()
                .filter_map(|hash| by_hash.remove(hash))
                .collect(),
        )
    }
}

impl SubmissionDoc {
    /// [`SubmissionDoc::from_changes`] for changes already decoded: the same checks, without
    /// parsing chunks again.
    ///
    /// # Errors
    ///
    /// A [`LoadError`] saying what was wrong.
    pub fn from_built(
        changes: BuiltChanges,
        writer: Writer,
        limits: &Limits,
    ) -> Result<SubmissionDoc, LoadError> {
        let doc = apply_parsed(AutoCommit::new(), changes.0, limits)?;
        let meta = schema::check(&doc)?;
        let doc = doc.with_actor(writer.actor_id());
        Ok(SubmissionDoc { doc, writer, meta })
    }

    /// [`SubmissionDoc::apply_changes`] for changes already decoded.
    ///
    /// # Errors
    ///
    /// As [`SubmissionDoc::apply_changes`].
    pub fn apply_built(
        &mut self,
        changes: BuiltChanges,
        limits: &Limits,
    ) -> Result<Vec<ChangeHash>, LoadError> {
        let copy = apply_parsed(self.doc.clone(), changes.0, limits)?;
        self.accept_applied(copy)
    }

    /// Keeps `copy` (this document with changes applied) when its meta is unchanged.
    pub(crate) fn accept_applied(
        &mut self,
        copy: AutoCommit,
    ) -> Result<Vec<ChangeHash>, LoadError> {
        let meta = schema::check(&copy)?;
        if meta != self.meta {
            return Err(schema::SchemaError::Invalid {
                path: schema::META.to_owned(),
                expected: "the same meta as this submission",
            }
            .into());
        }
        self.doc = copy;
        Ok(from_automerge_all(self.doc.get_heads()))
    }
}

/// Applies `bytes` to `doc` (a copy the caller throws away on error) and checks the result.
fn apply_to(doc: AutoCommit, bytes: &[u8], limits: &Limits) -> Result<AutoCommit, LoadError> {
    if bytes.len() > limits.max_incremental_bytes {
        return Err(LoadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_incremental_bytes,
        });
    }
    let chunks = split_change_chunks(bytes)?;
    if chunks.len() > limits.max_changes {
        return Err(LoadError::TooManyChanges {
            count: chunks.len(),
            limit: limits.max_changes,
        });
    }
    let changes = guarded(move || {
        let mut changes = Vec::with_capacity(chunks.len());
        for chunk in chunks {
            let change = Change::try_from(chunk).map_err(|error| LoadError::Corrupt {
                reason: error.to_string(),
            })?;
            if change.hash().0[..4] != chunk[4..8] {
                return Err(LoadError::Corrupt {
                    reason: "a change chunk's checksum does not match its contents".to_owned(),
                });
            }
            changes.push(change);
        }
        Ok(changes)
    })?;
    apply_parsed(doc, changes, limits)
}

/// Applies changes already decoded to `doc` (a copy the caller throws away on error) and
/// checks them and the result: every change numbered as automerge's saved format needs and
/// the change count within `limits`, before they are applied ([`check_order`]: otherwise the
/// document would save into bytes that do not load); then every dependency present and every
/// change applied.
fn apply_parsed(
    doc: AutoCommit,
    changes: Vec<Change>,
    limits: &Limits,
) -> Result<AutoCommit, LoadError> {
    if changes.len() > limits.max_changes {
        return Err(LoadError::TooManyChanges {
            count: changes.len(),
            limit: limits.max_changes,
        });
    }
    let mut doc = doc;
    guarded(move || {
        let received: Vec<Received> = changes.iter().map(Received::of).collect();
        check_order(&mut doc, &received, limits)?;
        let hashes: Vec<automerge::ChangeHash> = changes.iter().map(Change::hash).collect();
        doc.apply_changes(changes)
            .map_err(|error| LoadError::Corrupt {
                reason: error.to_string(),
            })?;
        let missing = doc.get_missing_deps(&[]);
        if !missing.is_empty() {
            return Err(LoadError::MissingDependencies {
                count: missing.len(),
            });
        }
        let absent = doc.get_missing_deps(&hashes);
        if !absent.is_empty() {
            return Err(LoadError::Corrupt {
                reason: format!("{} received changes did not apply", absent.len()),
            });
        }
        Ok(doc)
    })
}

/// Whether `bytes` are nothing but well-framed uncompressed change chunks.
pub(crate) fn only_change_chunks(bytes: &[u8]) -> bool {
    !bytes.is_empty() && split_change_chunks(bytes).is_ok()
}

/// Splits concatenated chunks, refusing anything but uncompressed change chunks.
fn split_change_chunks(bytes: &[u8]) -> Result<Vec<&[u8]>, LoadError> {
    let corrupt = |reason: &str| LoadError::Corrupt {
        reason: reason.to_owned(),
    };
    let mut chunks = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 10 || rest[..4] != CHUNK_MAGIC {
            return Err(corrupt("the bytes are not automerge chunks"));
        }
        if rest[8] != CHANGE_CHUNK {
            return Err(corrupt(
                "only uncompressed change chunks are accepted; send changes, not a saved document",
            ));
        }
        let mut length: u64 = 0;
        let mut pos = 9;
        let mut shift = 0;
        loop {
            let Some(&byte) = rest.get(pos) else {
                return Err(corrupt("a chunk's length is cut off"));
            };
            if shift > 56 {
                return Err(corrupt("a chunk's length is too long"));
            }
            length |= u64::from(byte & 0x7f) << shift;
            pos += 1;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        let end = usize::try_from(length)
            .ok()
            .and_then(|length| pos.checked_add(length))
            .filter(|&end| end <= rest.len())
            .ok_or_else(|| corrupt("a chunk is cut off"))?;
        let (chunk, tail) = rest.split_at(end);
        chunks.push(chunk);
        rest = tail;
    }
    Ok(chunks)
}
