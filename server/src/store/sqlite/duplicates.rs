//! [`DuplicateStore`] in SQL: the `match_keys` and `duplicate_pairs` tables (migration 0018).
//! The keys are written with the projections (`validate.rs`); this reads them, and keeps the
//! pairs.

use std::collections::BTreeSet;

use letsema_protocol::sync::DocId;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::people::audit;
use crate::store::duplicates::{decision_detail, in_scope, page};
use crate::store::{
    AssociationScope, DuplicateStore, FoundPair, MAX_PAIRS_PAGE, Neighbour, PairDecision, PairPage,
    PairQuery, PairSide, StoredPair, ValidateError, ordered,
};

/// The submissions holding a key, at most `?2` of them.
const BLOCK_SQL: &str = "SELECT doc_id FROM match_keys WHERE key = ?1 LIMIT ?2";

/// A submission's answers, unless withdrawn.
const ANSWERS_SQL: &str =
    "SELECT json(answers) FROM submissions WHERE doc_id = ?1 AND withdrawn = 0";

/// Adds a pair, or brings an open one's score and explanation up to date.
const UPSERT_PAIR_SQL: &str = "INSERT INTO duplicate_pairs (first, second, score, explanation,
         found_at)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (first, second) DO UPDATE SET
         score = excluded.score, explanation = excluded.explanation
     WHERE duplicate_pairs.decision IS NULL";

/// A submission's open pairs: the other submission of each.
const OPEN_PAIRS_SQL: &str = "SELECT second FROM duplicate_pairs
     WHERE first = ?1 AND decision IS NULL
     UNION ALL
     SELECT first FROM duplicate_pairs WHERE second = ?1 AND decision IS NULL";

const DELETE_OPEN_PAIR_SQL: &str =
    "DELETE FROM duplicate_pairs WHERE first = ?1 AND second = ?2 AND decision IS NULL";

/// A page of pairs: `?1` the decision (none: open ones), `?2..?4` the cursor, `?5` the
/// associations as a JSON array (none: every one), `?6` the limit.
const PAGE_SQL: &str = "SELECT p.first, p.second, p.score, p.explanation, p.found_at,
         p.decision, p.decided_by, p.decided_at,
         a.form_id, a.association, a.instance_name, a.created_at,
         b.form_id, b.association, b.instance_name, b.created_at
     FROM duplicate_pairs p
     JOIN submissions a ON a.doc_id = p.first
     JOIN submissions b ON b.doc_id = p.second
     WHERE (CASE WHEN ?1 IS NULL THEN p.decision IS NULL ELSE p.decision = ?1 END)
       AND (?2 IS NULL OR (p.found_at, p.first, p.second) < (?2, ?3, ?4))
       AND (?5 IS NULL OR (a.association IN (SELECT value FROM json_each(?5))
                           AND b.association IN (SELECT value FROM json_each(?5))))
     ORDER BY p.found_at DESC, p.first DESC, p.second DESC
     LIMIT ?6";

/// The associations of a pair's submissions.
const PAIR_SCOPE_SQL: &str = "SELECT a.association, b.association
     FROM duplicate_pairs p
     JOIN submissions a ON a.doc_id = p.first
     JOIN submissions b ON b.doc_id = p.second
     WHERE p.first = ?1 AND p.second = ?2";

const DECIDE_SQL: &str = "UPDATE duplicate_pairs SET decision = ?3, decided_by = ?4,
         decided_at = ?5
     WHERE first = ?1 AND second = ?2";

impl DuplicateStore for SqliteStore {
    fn neighbours(
        &self,
        doc_id: DocId,
        keys: &[i64],
        max_block: usize,
    ) -> Result<Vec<Neighbour>, ValidateError> {
        let conn = self.reader();
        // One more than the block may hold besides this submission: tells a full block.
        let limit = i64::try_from(max_block.saturating_add(2)).unwrap_or(i64::MAX);
        let mut others: BTreeSet<[u8; 16]> = BTreeSet::new();
        let mut block = conn.prepare_cached(BLOCK_SQL)?;
        for key in keys {
            let ids: Vec<Vec<u8>> = block
                .query_map(params![key, limit], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            let members: Vec<[u8; 16]> = ids
                .iter()
                .filter_map(|id| <[u8; 16]>::try_from(id.as_slice()).ok())
                .filter(|id| *id != doc_id.0)
                .collect();
            if members.len() <= max_block {
                others.extend(members);
            }
        }
        let mut answers = conn.prepare_cached(ANSWERS_SQL)?;
        let mut found = Vec::with_capacity(others.len());
        for id in others {
            if let Some(text) = answers
                .query_row(params![&id[..]], |row| row.get::<_, String>(0))
                .optional()?
            {
                found.push(Neighbour {
                    doc_id: DocId(id),
                    answers: text,
                });
            }
        }
        Ok(found)
    }

    fn record_pairs(
        &self,
        doc_id: DocId,
        found: &[FoundPair],
        now_ms: i64,
    ) -> Result<(), ValidateError> {
        let mut conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let tx = conn.transaction()?;
        for pair in found {
            let (first, second) = ordered(doc_id, pair.other);
            if first == second {
                continue;
            }
            tx.prepare_cached(UPSERT_PAIR_SQL)?.execute(params![
                &first.0[..],
                &second.0[..],
                pair.score,
                pair.explanation,
                now_ms,
            ])?;
        }
        let open: Vec<Vec<u8>> = tx
            .prepare_cached(OPEN_PAIRS_SQL)?
            .query_map(params![&doc_id.0[..]], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        for other in open
            .iter()
            .filter_map(|id| <[u8; 16]>::try_from(id.as_slice()).ok().map(DocId))
        {
            if !found.iter().any(|pair| pair.other == other) {
                let (first, second) = ordered(doc_id, other);
                tx.prepare_cached(DELETE_OPEN_PAIR_SQL)?
                    .execute(params![&first.0[..], &second.0[..]])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn duplicate_pairs(&self, query: &PairQuery) -> Result<PairPage, ValidateError> {
        let decision = query.status.decision().map(PairDecision::as_str);
        let scope = match &query.scope {
            AssociationScope::All => None,
            AssociationScope::Only(codes) => Some(serde_json::to_string(codes).unwrap_or_default()),
        };
        let limit = query.limit.clamp(1, MAX_PAIRS_PAGE);
        let cursor = query.after;
        let conn = self.reader();
        let mut statement = conn.prepare_cached(PAGE_SQL)?;
        let pairs: Vec<StoredPair> = statement
            .query_map(
                params![
                    decision,
                    cursor.map(|c| c.found_at),
                    cursor.map(|c| c.first.0.to_vec()),
                    cursor.map(|c| c.second.0.to_vec()),
                    scope,
                    i64::try_from(limit + 1).unwrap_or(i64::MAX),
                ],
                pair_row,
            )?
            .collect::<Result<_, _>>()?;
        Ok(page(pairs, limit))
    }

    fn decide_pair(
        &self,
        pair: (DocId, DocId),
        decision: Option<PairDecision>,
        scope: &AssociationScope,
        decided_by: &str,
        actor: &str,
        address: Option<&str>,
    ) -> Result<bool, ValidateError> {
        let (first, second) = ordered(pair.0, pair.1);
        let mut conn = self.conn.lock().map_err(|_| ValidateError::Poisoned)?;
        let tx = conn.transaction()?;
        let associations: Option<(Option<String>, Option<String>)> = tx
            .prepare_cached(PAIR_SCOPE_SQL)?
            .query_row(params![&first.0[..], &second.0[..]], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        let Some((a, b)) = associations else {
            return Ok(false);
        };
        if !in_scope(scope, a.as_deref()) || !in_scope(scope, b.as_deref()) {
            return Ok(false);
        }
        let now = chrono::Utc::now().timestamp_millis();
        tx.prepare_cached(DECIDE_SQL)?.execute(params![
            &first.0[..],
            &second.0[..],
            decision.map(PairDecision::as_str),
            decision.map(|_| decided_by),
            decision.map(|_| now),
        ])?;
        audit(
            &tx,
            actor,
            "duplicates.decide",
            &decision_detail(first, second, decision),
            address,
        )?;
        tx.commit()?;
        Ok(true)
    }
}

fn doc_id(bytes: Vec<u8>) -> rusqlite::Result<DocId> {
    <[u8; 16]>::try_from(bytes.as_slice())
        .map(DocId)
        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, 0))
}

fn pair_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredPair> {
    let side = |at: usize, id: DocId| -> rusqlite::Result<PairSide> {
        Ok(PairSide {
            doc_id: id,
            form_id: row.get(at)?,
            association: row.get(at + 1)?,
            instance_name: row.get(at + 2)?,
            created_at: row.get(at + 3)?,
        })
    };
    let decision: Option<String> = row.get(5)?;
    Ok(StoredPair {
        first: side(8, doc_id(row.get(0)?)?)?,
        second: side(12, doc_id(row.get(1)?)?)?,
        score: row.get(2)?,
        explanation: row.get(3)?,
        found_at: row.get(4)?,
        decision: decision.as_deref().and_then(PairDecision::parse),
        decided_by: row.get(6)?,
        decided_at: row.get(7)?,
    })
}
