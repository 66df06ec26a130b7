//! The repair summary: a compact fingerprint of the document heads in a scope, in three
//! levels, so two sides that disagree find the documents that differ without listing all of
//! them.
//!
//! A document's bucket is the last byte of its id ([`DocId::bucket`]: random in version 4
//! and version 7 UUIDs alike, so buckets fill evenly). A bucket's digest is the first 8 bytes of SHA-256 over its documents in id order,
//! each as its 16 id bytes, its head count (u32 LE) and its sorted heads; an empty bucket's
//! digest is all zeros. The root is SHA-256 over the 256 digests. Both sides compute the same
//! values from the same heads, so equal roots mean equal sets of documents and heads.
//!
//! SHA-256 (the `sha2` crate) because automerge already depends on it, so it costs the web
//! bundle nothing, and because hashes are the same ones automerge uses for changes.

use std::collections::BTreeMap;

use letsema_protocol::sync::{BUCKETS, ChangeHash, DocHeads, DocId};
use sha2::{Digest, Sha256};

/// The heads of every document in a scope, by document.
pub type HeadsIndex = BTreeMap<DocId, Vec<ChangeHash>>;

/// The 256 bucket digests of `index`.
pub fn bucket_digests(index: &HeadsIndex) -> Vec<[u8; 8]> {
    let mut hashers: Vec<Option<Sha256>> = (0..BUCKETS).map(|_| None).collect();
    for (doc, heads) in index {
        let hasher = hashers[usize::from(doc.bucket())].get_or_insert_with(Sha256::new);
        let mut sorted = heads.clone();
        sorted.sort_unstable();
        hasher.update(doc.0);
        hasher.update(
            u32::try_from(sorted.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        for head in &sorted {
            hasher.update(head.0);
        }
    }
    hashers
        .into_iter()
        .map(|hasher| match hasher {
            Some(hasher) => {
                let digest = hasher.finalize();
                let mut out = [0; 8];
                out.copy_from_slice(&digest[..8]);
                out
            }
            None => [0; 8],
        })
        .collect()
}

/// The root hash over bucket digests.
pub fn root_hash(buckets: &[[u8; 8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for digest in buckets {
        hasher.update(digest);
    }
    hasher.finalize().into()
}

/// The buckets whose digests differ.
pub fn differing_buckets(ours: &[[u8; 8]], theirs: &[[u8; 8]]) -> Vec<u8> {
    (0..BUCKETS)
        .filter(|&bucket| ours.get(bucket) != theirs.get(bucket))
        .filter_map(|bucket| u8::try_from(bucket).ok())
        .collect()
}

/// The documents of `index` in `buckets`, with their heads, in id order.
pub fn docs_in_buckets(index: &HeadsIndex, buckets: &[u8]) -> Vec<DocHeads> {
    let mut wanted = [false; BUCKETS];
    for &bucket in buckets {
        wanted[usize::from(bucket)] = true;
    }
    index
        .iter()
        .filter(|(doc, _)| wanted[usize::from(doc.bucket())])
        .map(|(doc, heads)| {
            let mut heads = heads.clone();
            heads.sort_unstable();
            DocHeads { doc: *doc, heads }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_heads_give_equal_roots_and_one_change_one_bucket() {
        let mut a = HeadsIndex::new();
        for i in 0..50u8 {
            a.insert(DocId([i.wrapping_mul(37); 16]), vec![ChangeHash([i; 32])]);
        }
        let mut b = a.clone();
        assert_eq!(
            root_hash(&bucket_digests(&a)),
            root_hash(&bucket_digests(&b))
        );
        b.insert(DocId([3 * 37; 16]), vec![ChangeHash([99; 32])]);
        let diff = differing_buckets(&bucket_digests(&a), &bucket_digests(&b));
        assert_eq!(diff, vec![3 * 37]);
        assert_ne!(
            root_hash(&bucket_digests(&a)),
            root_hash(&bucket_digests(&b))
        );
        assert_eq!(docs_in_buckets(&b, &diff).len(), 1);
    }
}
