//! A cache of loaded documents, bounded in memory, for the server's stores.
//!
//! Decoding a stored submission costs automerge about 0.3 ms; a phone that edits a
//! submission it pushed minutes ago should not pay it again. Entries are keyed by document
//! *and heads*: a document at given heads is always the same document, so an entry can never
//! be stale. After a restore from backup, or a commit by another server process, the stored
//! heads differ and the entry simply misses.
//!
//! The bound is on estimated memory: each entry weighs [`WEIGHT_PER_SAVED_BYTE`] times its
//! saved size, which is what a cached reference-form submission was measured to take of
//! the server's resident memory. Eviction is quick_cache's (CLOCK-Pro: recently and
//! frequently used documents stay).

use std::sync::Arc;

use letsema_doc::SubmissionDoc;
use letsema_protocol::sync::{ChangeHash, DocId};
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// How much memory an entry is assumed to take per byte of its saved document. Measured
/// with `./dev fieldday` (1,000 phones x 20 reference-form submissions): the server held
/// about 300 MB more with all 20,000 documents cached than with none, some 15 KB each for
/// documents of about 800 saved bytes. (A loaded document alone was measured at 6 times
/// its saved size; the cache's copies, the allocator's pages and their bookkeeping make up
/// the rest.)
pub const WEIGHT_PER_SAVED_BYTE: u64 = 20;

/// The default bound: 64 MiB of estimated memory, some 4,000 reference-form submissions.
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

struct Entry {
    heads: Vec<ChangeHash>,
    doc: SubmissionDoc,
    weight: u64,
}

#[derive(Clone)]
struct ByWeight;

impl Weighter<DocId, Arc<Entry>> for ByWeight {
    fn weight(&self, _doc: &DocId, entry: &Arc<Entry>) -> u64 {
        entry.weight
    }
}

/// Loaded documents by id and heads, within a memory bound. Shared between threads.
pub struct DocCache {
    entries: Cache<DocId, Arc<Entry>, ByWeight>,
    max_bytes: u64,
}

impl std::fmt::Debug for DocCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocCache")
            .field("documents", &self.entries.len())
            .field("weight", &self.entries.weight())
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl Default for DocCache {
    fn default() -> Self {
        DocCache::new(DEFAULT_MAX_BYTES)
    }
}

impl DocCache {
    /// A cache holding at most about `max_bytes` of loaded documents (0 keeps none).
    pub fn new(max_bytes: u64) -> DocCache {
        // quick_cache sizes its table from an estimate of the number of entries.
        let estimated = usize::try_from(max_bytes / 4_096)
            .unwrap_or(usize::MAX)
            .max(16);
        DocCache {
            entries: Cache::with_weighter(estimated, max_bytes, ByWeight),
            max_bytes,
        }
    }

    /// A copy of `doc` as loaded at exactly `heads` (in any order), if held.
    pub fn get(&self, doc: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        let entry = self.entries.get(&doc)?;
        same_heads(&entry.heads, heads).then(|| entry.doc.clone())
    }

    /// Keeps `loaded`, which is `doc` at `heads`, whose saved form is `saved_bytes` long,
    /// replacing what was held for `doc`. A document heavier than the whole bound is not kept.
    pub fn put(&self, doc: DocId, heads: &[ChangeHash], loaded: SubmissionDoc, saved_bytes: usize) {
        let weight = (saved_bytes as u64)
            .saturating_mul(WEIGHT_PER_SAVED_BYTE)
            .max(1);
        if weight > self.max_bytes {
            self.entries.remove(&doc);
            return;
        }
        let mut heads = heads.to_vec();
        heads.sort_unstable();
        self.entries.insert(
            doc,
            Arc::new(Entry {
                heads,
                doc: loaded,
                weight,
            }),
        );
    }

    /// Forgets everything (a restore from backup replaced the documents).
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// How many documents are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The estimated memory held, in bytes.
    pub fn weight(&self) -> u64 {
        self.entries.weight()
    }
}

fn same_heads(sorted: &[ChangeHash], heads: &[ChangeHash]) -> bool {
    if sorted.len() != heads.len() {
        return false;
    }
    let mut other = heads.to_vec();
    other.sort_unstable();
    sorted == other.as_slice()
}

#[cfg(test)]
mod tests {
    use super::*;
    use letsema_doc::{
        AssociationId, DeviceId, FormId, FormVersion, NewSubmission, SessionId, SubmissionId,
        Timestamp, Writer,
    };

    fn doc(n: u8) -> (DocId, SubmissionDoc) {
        let writer = Writer::new(
            DeviceId::parse("phone-1").expect("id"),
            SessionId::from_bytes(&[1; 16]).expect("session"),
            None,
        );
        let id = SubmissionId::from_random_bytes([n; 16]);
        let new = NewSubmission {
            submission_id: id.clone(),
            form_id: FormId::parse("f").expect("id"),
            form_version: FormVersion::parse("1").expect("version"),
            association: Some(AssociationId::parse("a").expect("id")),
        };
        let doc = SubmissionDoc::create(new, writer, Timestamp(1)).expect("created");
        (DocId::from(&id), doc)
    }

    fn heads(doc: &mut SubmissionDoc) -> Vec<ChangeHash> {
        doc.heads()
    }

    #[test]
    fn a_document_is_returned_only_at_the_heads_it_was_kept_at() {
        let cache = DocCache::default();
        let (id, mut loaded) = doc(1);
        let at = heads(&mut loaded);
        cache.put(id, &at, loaded, 500);
        assert!(cache.get(id, &at).is_some());
        assert!(cache.get(id, &[ChangeHash([9; 32])]).is_none());
        assert!(cache.get(id, &[]).is_none());
        let (other, _) = doc(2);
        assert!(cache.get(other, &at).is_none());
    }

    #[test]
    fn the_memory_bound_holds() {
        let cache = DocCache::new(10_000);
        for n in 0..50 {
            let (id, mut loaded) = doc(n);
            let at = heads(&mut loaded);
            cache.put(id, &at, loaded, 500);
        }
        assert!(cache.weight() <= 10_000, "{cache:?}");
        assert!(cache.len() <= 5, "{cache:?}");
        let (id, mut huge) = doc(99);
        let at = heads(&mut huge);
        cache.put(id, &at, huge, 1_000_000);
        assert!(
            cache.get(id, &at).is_none(),
            "heavier than the bound: not kept"
        );
        let none = DocCache::new(0);
        let (id, mut loaded) = doc(1);
        let at = heads(&mut loaded);
        none.put(id, &at, loaded, 10);
        assert!(none.is_empty());
    }
}
