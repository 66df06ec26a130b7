//! People registered twice, as stored: each validated submission's blocking keys (written
//! with its projection, `ValidationStore::record_verdicts`) and the candidate pairs found on
//! arrival (`crate::duplicates::match_arrivals`), with the reviewers' decisions.
//!
//! The keys are in the database rather than in each server's memory so that servers sharing
//! one PostgreSQL database find each other's submissions: a submission's keys are committed
//! before its neighbours are read, so of two duplicates validated at once by two servers, at
//! least one sees the other.
//!
//! This file holds the area's types; `sqlite/duplicates.rs` and `postgres/duplicates.rs`
//! their backends' parts.

pub use letsema_protocol::staff::PairDecision;
use letsema_protocol::sync::DocId;

use super::AssociationScope;
use super::submissions::{doc_id_from_hex, doc_id_hex};

/// The most pairs one page of candidates gives.
pub const MAX_PAIRS_PAGE: usize = 200;

/// A submission that shares a blocking key with one being matched.
#[derive(Debug, Clone)]
pub struct Neighbour {
    pub doc_id: DocId,
    /// Its answers as the projection keeps them (JSON).
    pub answers: String,
}

/// A candidate pair found for a submission: the other one, its score and explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundPair {
    pub other: DocId,
    pub score: f64,
    pub explanation: String,
}

/// Which pairs a page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairStatus {
    /// Waiting for a reviewer.
    #[default]
    Open,
    /// Decided "not the same person".
    Different,
    /// Merged.
    Merged,
}

impl PairStatus {
    /// The decision the pairs listed carry (none: open).
    pub fn decision(self) -> Option<PairDecision> {
        match self {
            PairStatus::Open => None,
            PairStatus::Different => Some(PairDecision::Different),
            PairStatus::Merged => Some(PairDecision::Merged),
        }
    }
}

/// A page of candidate pairs: within `scope` (both submissions in it), of one status, the
/// most recently found first, after `after` (the last pair of the previous page).
#[derive(Debug, Clone)]
pub struct PairQuery {
    pub scope: AssociationScope,
    pub status: PairStatus,
    pub after: Option<PairCursor>,
    /// At most [`MAX_PAIRS_PAGE`].
    pub limit: usize,
}

/// Where a page of pairs ends: the last pair's `found_at` and ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairCursor {
    pub found_at: i64,
    pub first: DocId,
    pub second: DocId,
}

impl PairCursor {
    /// As the API gives it: `found_at.first.second`, ids in hex.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}.{}",
            self.found_at,
            doc_id_hex(&self.first),
            doc_id_hex(&self.second)
        )
    }

    /// Reads [`PairCursor::encode`]'s text; none when it is not one.
    pub fn decode(text: &str) -> Option<PairCursor> {
        let mut parts = text.split('.');
        let found_at = parts.next()?.parse().ok()?;
        let first = doc_id_from_hex(parts.next()?)?;
        let second = doc_id_from_hex(parts.next()?)?;
        parts.next().is_none().then_some(PairCursor {
            found_at,
            first,
            second,
        })
    }
}

/// One side of a pair, as the projection has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairSide {
    pub doc_id: DocId,
    pub form_id: String,
    pub association: Option<String>,
    pub instance_name: Option<String>,
    /// Milliseconds since 1970.
    pub created_at: i64,
}

/// A candidate pair as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPair {
    pub first: PairSide,
    pub second: PairSide,
    pub score: f64,
    pub explanation: String,
    /// Milliseconds since 1970.
    pub found_at: i64,
    pub decision: Option<PairDecision>,
    pub decided_by: Option<String>,
    /// Milliseconds since 1970.
    pub decided_at: Option<i64>,
}

/// A page of pairs, and where the next one starts.
#[derive(Debug, Clone, Default)]
pub struct PairPage {
    pub pairs: Vec<StoredPair>,
    pub next: Option<PairCursor>,
}

/// A pair in its stored order: the smaller id first.
pub fn ordered(a: DocId, b: DocId) -> (DocId, DocId) {
    if a.0 <= b.0 { (a, b) } else { (b, a) }
}

/// Whether a submission of `association` is within `scope`; one of no association only for
/// those who see every association.
pub(crate) fn in_scope(scope: &AssociationScope, association: Option<&str>) -> bool {
    match association {
        Some(code) => scope.includes(code),
        None => matches!(scope, AssociationScope::All),
    }
}

/// The audit log's detail of a decision: the pair's ids and the decision, never a name.
pub(crate) fn decision_detail(
    first: DocId,
    second: DocId,
    decision: Option<PairDecision>,
) -> String {
    format!(
        "pair {first} {second}: {}",
        decision.map_or("open again", PairDecision::as_str)
    )
}

/// A page from up to `limit + 1` rows: the extra row says there is a next page.
pub(crate) fn page(mut pairs: Vec<StoredPair>, limit: usize) -> PairPage {
    let next = if pairs.len() > limit {
        pairs.truncate(limit);
        pairs.last().map(|last| PairCursor {
            found_at: last.found_at,
            first: last.first.doc_id,
            second: last.second.doc_id,
        })
    } else {
        None
    };
    PairPage { pairs, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let cursor = PairCursor {
            found_at: 1_764_000_000_123,
            first: DocId([1; 16]),
            second: DocId([0xab; 16]),
        };
        assert_eq!(PairCursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "1.2.3", "x.01.02", &format!("{}.", cursor.encode())] {
            assert_eq!(PairCursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_pair_is_stored_smaller_id_first() {
        let (a, b) = (DocId([2; 16]), DocId([1; 16]));
        assert_eq!(ordered(a, b), (b, a));
        assert_eq!(ordered(b, a), (b, a));
    }
}
