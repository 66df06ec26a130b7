//! People registered twice, for the staff:
//!
//! - `GET /api/duplicates?status=open|different|merged&limit=&after=` (staff) → `{"pairs":
//!   [...], "next": CURSOR}`: the candidate pairs the validator found on arrival
//!   (`crate::duplicates::match_arrivals`), most recently found first, each with its score
//!   and explanation; only pairs whose two submissions the staff member sees (a coordinator
//!   never learns of another association's member).
//! - `POST /api/duplicates/decision` `{"first": ID, "second": ID, "decision": "different"}`
//!   → 204: "not the same person", remembered and never proposed again; `"decision": null`
//!   opens the pair again. On the audit log as `duplicates.decide`.

use letsema_doc::SubmissionId;
use letsema_protocol::staff::{
    DuplicatePage, DuplicatePair, DuplicateSide, PairDecision, PairDecisionRequest,
};
use letsema_protocol::sync::DocId;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::associations::visible;
use super::filters::{blocking, json_body, operation, query_pairs, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{MAX_PAIRS_PAGE, PairCursor, PairQuery, PairSide, PairStatus, StoredPair};

/// The most bytes of a decision's body.
const MAX_BODY: u64 = 1024;

/// Pairs on a page unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 50;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let list = operation!(GET "duplicates")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .then(list)
        .map(respond);
    let decide = operation!(POST "duplicates" / "decision")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(json_body(MAX_BODY))
        .then(decide)
        .map(respond);
    list.or(decide).unify().boxed()
}

async fn list(state: AppState, staff: Staff, raw: String) -> Result<Response, ApiError> {
    let query = pair_query(&staff, &query_pairs(&raw)?)?;
    let store = state.store.clone();
    let page = blocking(move || store.duplicate_pairs(&query)).await?;
    let page = DuplicatePage {
        pairs: page.pairs.into_iter().map(wire_pair).collect(),
        next: page.next.map(|cursor| cursor.encode()),
    };
    Ok(warp::reply::json(&page).into_response())
}

async fn decide(
    state: AppState,
    staff: Staff,
    body: PairDecisionRequest,
) -> Result<Response, ApiError> {
    if body.decision == Some(PairDecision::Merged) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_decision",
            "A pair is merged by merging its submissions, not by a decision: decide \
             \"different\", or null to open the pair again.",
        ));
    }
    let pair = (submission_id(&body.first)?, submission_id(&body.second)?);
    if pair.0 == pair.1 {
        return Err(no_such_pair());
    }
    let store = state.store.clone();
    let scope = visible(&staff);
    let decided_by = staff.user.display_name.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = staff.address.clone();
    let found = blocking(move || {
        store.decide_pair(
            pair,
            body.decision,
            &scope,
            &decided_by,
            &actor,
            address.as_deref(),
        )
    })
    .await?;
    if !found {
        return Err(no_such_pair());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The page the parameters ask for, within what `staff` sees; 400 `invalid_query` for a
/// parameter that is unknown, repeated or malformed.
fn pair_query(staff: &Staff, pairs: &[(String, String)]) -> Result<PairQuery, ApiError> {
    let invalid = |why: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", why);
    let mut query = PairQuery {
        scope: visible(staff),
        status: PairStatus::Open,
        after: None,
        limit: DEFAULT_LIMIT,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        if seen.contains(&name.as_str()) {
            return Err(invalid(format!("{name} is given twice: give it once")));
        }
        seen.push(name);
        match name.as_str() {
            "status" => {
                query.status = match value.as_str() {
                    "open" => PairStatus::Open,
                    "different" => PairStatus::Different,
                    "merged" => PairStatus::Merged,
                    _ => return Err(invalid("status: open, different or merged".to_owned())),
                };
            }
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_PAIRS_PAGE).contains(n))
                    .ok_or_else(|| {
                        invalid(format!("limit: a number from 1 to {MAX_PAIRS_PAGE}"))
                    })?;
            }
            "after" => {
                query.after = Some(PairCursor::decode(value).ok_or_else(|| {
                    invalid("after: the previous page's next, as it was given".to_owned())
                })?);
            }
            _ => {
                return Err(invalid(format!(
                    "unknown parameter {name:?}: use status, limit or after"
                )));
            }
        }
    }
    Ok(query)
}

fn wire_side(side: PairSide) -> DuplicateSide {
    DuplicateSide {
        id: side.doc_id.to_string(),
        form_id: side.form_id,
        association: side.association,
        instance_name: side.instance_name,
        created_at: side.created_at,
    }
}

fn wire_pair(pair: StoredPair) -> DuplicatePair {
    DuplicatePair {
        first: wire_side(pair.first),
        second: wire_side(pair.second),
        score: pair.score,
        explanation: pair.explanation,
        found_at: pair.found_at,
        decision: pair.decision,
        decided_by: pair.decided_by,
        decided_at: pair.decided_at,
    }
}

fn submission_id(id: &str) -> Result<DocId, ApiError> {
    SubmissionId::parse(id)
        .map(|id| DocId::from(&id))
        .map_err(|_| no_such_pair())
}

fn no_such_pair() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such pair among the candidates you see: reload the list of duplicates.",
    )
}
