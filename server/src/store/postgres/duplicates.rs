//! [`DuplicateStore`] over PostgreSQL: the `match_keys` and `duplicate_pairs` tables
//! (migration 0007), as in SQLite (`sqlite/duplicates.rs`). Several servers record pairs at
//! once: an upsert per pair, so that two servers finding the same pair keep one row.

use std::collections::BTreeSet;

use letsema_protocol::sync::DocId;

use super::PostgresStore;
use super::people::audit;
use crate::store::duplicates::{decision_detail, in_scope, page};
use crate::store::sync::doc_id_from_blob;
use crate::store::{
    AssociationScope, DuplicateStore, FoundPair, MAX_PAIRS_PAGE, Neighbour, PairDecision, PairPage,
    PairQuery, PairSide, StoredPair, ValidateError, ordered,
};

/// The submissions holding each key (`$1`), at most `$2` per key, with the key.
const BLOCKS_SQL: &str = "SELECT k.key, m.doc_id
     FROM unnest($1::BIGINT[]) AS k (key)
     CROSS JOIN LATERAL (
         SELECT doc_id FROM match_keys WHERE key = k.key LIMIT $2
     ) m";

/// Answers of submissions (`$1`) not withdrawn.
const ANSWERS_SQL: &str = "SELECT doc_id, answers::TEXT FROM submissions
     WHERE doc_id = ANY($1) AND NOT withdrawn
     ORDER BY doc_id";

const UPSERT_PAIR_SQL: &str = "INSERT INTO duplicate_pairs (first, second, score, explanation,
         found_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (first, second) DO UPDATE SET
         score = excluded.score, explanation = excluded.explanation
     WHERE duplicate_pairs.decision IS NULL";

const OPEN_PAIRS_SQL: &str = "SELECT second FROM duplicate_pairs
     WHERE first = $1 AND decision IS NULL
     UNION ALL
     SELECT first FROM duplicate_pairs WHERE second = $1 AND decision IS NULL";

const DELETE_OPEN_PAIR_SQL: &str =
    "DELETE FROM duplicate_pairs WHERE first = $1 AND second = $2 AND decision IS NULL";

/// As SQLite's: `$1` the decision (none: open ones), `$2..$4` the cursor, `$5` the
/// associations (none: every one), `$6` the limit.
const PAGE_SQL: &str = "SELECT p.first, p.second, p.score, p.explanation, p.found_at,
         p.decision, p.decided_by, p.decided_at,
         a.form_id, a.association, a.instance_name, a.created_at,
         b.form_id, b.association, b.instance_name, b.created_at
     FROM duplicate_pairs p
     JOIN submissions a ON a.doc_id = p.first
     JOIN submissions b ON b.doc_id = p.second
     WHERE (CASE WHEN $1::TEXT IS NULL THEN p.decision IS NULL ELSE p.decision = $1 END)
       AND ($2::BIGINT IS NULL OR (p.found_at, p.first, p.second) < ($2, $3::BYTEA, $4::BYTEA))
       AND ($5::TEXT[] IS NULL OR (a.association = ANY($5) AND b.association = ANY($5)))
     ORDER BY p.found_at DESC, p.first DESC, p.second DESC
     LIMIT $6";

/// The associations of a pair's submissions; the pair locked until the decision commits.
const PAIR_SCOPE_SQL: &str = "SELECT a.association, b.association
     FROM duplicate_pairs p
     JOIN submissions a ON a.doc_id = p.first
     JOIN submissions b ON b.doc_id = p.second
     WHERE p.first = $1 AND p.second = $2
     FOR UPDATE OF p";

const DECIDE_SQL: &str = "UPDATE duplicate_pairs SET decision = $3, decided_by = $4,
         decided_at = $5
     WHERE first = $1 AND second = $2";

impl DuplicateStore for PostgresStore {
    fn neighbours(
        &self,
        doc_id: DocId,
        keys: &[i64],
        max_block: usize,
    ) -> Result<Vec<Neighbour>, ValidateError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(max_block.saturating_add(2)).unwrap_or(i64::MAX);
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let rows = client
                .query(&client.prepare_cached(BLOCKS_SQL).await?, &[&keys, &limit])
                .await?;
            let mut blocks: std::collections::BTreeMap<i64, Vec<DocId>> = Default::default();
            for row in &rows {
                if let Ok(id) = doc_id_from_blob(row.get(1)) {
                    let block = blocks.entry(row.get(0)).or_default();
                    if id != doc_id {
                        block.push(id);
                    }
                }
            }
            let others: BTreeSet<DocId> = blocks
                .into_values()
                .filter(|block| block.len() <= max_block)
                .flatten()
                .collect();
            if others.is_empty() {
                return Ok(Vec::new());
            }
            let ids: Vec<&[u8]> = others.iter().map(|id| &id.0[..]).collect();
            let rows = client
                .query(&client.prepare_cached(ANSWERS_SQL).await?, &[&ids])
                .await?;
            Ok(rows
                .iter()
                .filter_map(|row| {
                    Some(Neighbour {
                        doc_id: doc_id_from_blob(row.get(0)).ok()?,
                        answers: row.get(1),
                    })
                })
                .collect())
        })
    }

    fn record_pairs(
        &self,
        doc_id: DocId,
        found: &[FoundPair],
        now_ms: i64,
    ) -> Result<(), ValidateError> {
        self.run(async {
            let mut client = self.client().await.map_err(ValidateError::Database)?;
            let tx = client.transaction().await?;
            let upsert = tx.prepare_cached(UPSERT_PAIR_SQL).await?;
            for pair in found {
                let (first, second) = ordered(doc_id, pair.other);
                if first == second {
                    continue;
                }
                tx.execute(
                    &upsert,
                    &[
                        &&first.0[..],
                        &&second.0[..],
                        &pair.score,
                        &pair.explanation,
                        &now_ms,
                    ],
                )
                .await?;
            }
            let open = tx
                .query(&tx.prepare_cached(OPEN_PAIRS_SQL).await?, &[&&doc_id.0[..]])
                .await?;
            let delete = tx.prepare_cached(DELETE_OPEN_PAIR_SQL).await?;
            for other in open
                .iter()
                .filter_map(|row| doc_id_from_blob(row.get(0)).ok())
            {
                if !found.iter().any(|pair| pair.other == other) {
                    let (first, second) = ordered(doc_id, other);
                    tx.execute(&delete, &[&&first.0[..], &&second.0[..]])
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    fn duplicate_pairs(&self, query: &PairQuery) -> Result<PairPage, ValidateError> {
        let decision = query.status.decision().map(PairDecision::as_str);
        let scope: Option<&Vec<String>> = match &query.scope {
            AssociationScope::All => None,
            AssociationScope::Only(codes) => Some(codes),
        };
        let limit = query.limit.clamp(1, MAX_PAIRS_PAGE);
        let cursor = query.after;
        let found_at = cursor.map(|c| c.found_at);
        let first = cursor.map(|c| c.first.0.to_vec());
        let second = cursor.map(|c| c.second.0.to_vec());
        let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let rows = client
                .query(
                    &client.prepare_cached(PAGE_SQL).await?,
                    &[&decision, &found_at, &first, &second, &scope, &fetch],
                )
                .await?;
            let pairs = rows.iter().filter_map(pair_row).collect();
            Ok(page(pairs, limit))
        })
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
        let now = chrono::Utc::now().timestamp_millis();
        self.run(async {
            let mut client = self.client().await.map_err(ValidateError::Database)?;
            let tx = client.transaction().await?;
            let row = tx
                .query_opt(
                    &tx.prepare_cached(PAIR_SCOPE_SQL).await?,
                    &[&&first.0[..], &&second.0[..]],
                )
                .await?;
            let Some(row) = row else {
                return Ok(false);
            };
            let (a, b): (Option<String>, Option<String>) = (row.get(0), row.get(1));
            if !in_scope(scope, a.as_deref()) || !in_scope(scope, b.as_deref()) {
                return Ok(false);
            }
            tx.execute(
                &tx.prepare_cached(DECIDE_SQL).await?,
                &[
                    &&first.0[..],
                    &&second.0[..],
                    &decision.map(PairDecision::as_str),
                    &decision.map(|_| decided_by),
                    &decision.map(|_| now),
                ],
            )
            .await?;
            audit(
                &tx,
                actor,
                "duplicates.decide",
                &decision_detail(first, second, decision),
                address,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }
}

/// A row of [`PAGE_SQL`]; a row whose ids are not 16 bytes is none.
fn pair_row(row: &tokio_postgres::Row) -> Option<StoredPair> {
    let side = |at: usize, id: DocId| PairSide {
        doc_id: id,
        form_id: row.get(at),
        association: row.get(at + 1),
        instance_name: row.get(at + 2),
        created_at: row.get(at + 3),
    };
    let decision: Option<String> = row.get(5);
    Some(StoredPair {
        first: side(8, doc_id_from_blob(row.get(0)).ok()?),
        second: side(12, doc_id_from_blob(row.get(1)).ok()?),
        score: row.get(2),
        explanation: row.get(3),
        found_at: row.get(4),
        decision: decision.as_deref().and_then(PairDecision::parse),
        decided_by: row.get(6),
        decided_at: row.get(7),
    })
}
