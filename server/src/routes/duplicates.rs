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
//! - `POST /api/duplicates/merge` `{"canonical": ID, "others": [ID], "chosen": {"phone":
//!   "+27 82 123 4567"}}` → 204: the others merged into the canonical submission, which
//!   takes the chosen values (`crate::merge`); `POST /api/duplicates/undo` `{"canonical":
//!   ID, "merge": 0}` → 204: that merge undone. Both on the audit log.

use letsema_protocol::staff::{
    DuplicatePage, DuplicatePair, DuplicateSide, MergeRequest, PairDecision, PairDecisionRequest,
    UndoMergeRequest,
};
use letsema_protocol::sync::DocId;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::associations::visible;
use super::filters::{blocking, json_body, operation, query_pairs, respond, with_state};
use super::submissions::{doc_id, now, writer_of};
use super::sync::staff_caller;
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::merge::{self, MergeError};
use crate::staff_edit::EditError;
use crate::state::AppState;
use crate::store::{
    Backend, MAX_PAIRS_PAGE, PairCursor, PairQuery, PairSide, PairStatus, StoredPair,
};

/// The most bytes of a decision's body.
const MAX_BODY: u64 = 1024;

/// The most bytes of a merge's body (its chosen values).
const MAX_MERGE_BODY: u64 = 64 * 1024;

/// The most fields a merge may choose values for.
const MAX_CHOSEN: usize = 200;

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
        .and(staff(state.clone()))
        .and(json_body(MAX_BODY))
        .then(decide)
        .map(respond);
    let merge = operation!(POST "duplicates" / "merge")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(json_body(MAX_MERGE_BODY))
        .then(merge)
        .map(respond);
    let undo = operation!(POST "duplicates" / "undo")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(json_body(MAX_BODY))
        .then(undo)
        .map(respond);
    list.or(decide)
        .unify()
        .or(merge)
        .unify()
        .or(undo)
        .unify()
        .boxed()
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
    let pair = (
        doc_id(&body.first).ok_or_else(no_such_pair)?,
        doc_id(&body.second).ok_or_else(no_such_pair)?,
    );
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

async fn merge(state: AppState, staff: Staff, body: MergeRequest) -> Result<Response, ApiError> {
    if body.chosen.len() > MAX_CHOSEN
        || body
            .chosen
            .keys()
            .any(|field| field.is_empty() || field.len() > 128)
    {
        return Err(invalid_merge(format!(
            "chosen: at most {MAX_CHOSEN} questions, each by its name"
        )));
    }
    let canonical = merge_id(&body.canonical)?;
    let others = body
        .others
        .iter()
        .take(merge::MAX_MERGED + 1)
        .map(|id| merge_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    let chosen = body.chosen;
    with_reviewer(state, staff, move |store, reviewer| {
        merge::merge(store, reviewer, canonical, &others, &chosen, now())
    })
    .await
}

async fn undo(state: AppState, staff: Staff, body: UndoMergeRequest) -> Result<Response, ApiError> {
    let canonical = merge_id(&body.canonical)?;
    let index = body.merge;
    with_reviewer(state, staff, move |store, reviewer| {
        merge::undo(store, reviewer, canonical, index, now())
    })
    .await
}

/// Runs `work` as `staff` on the sync workers (a merge pushes changes as a sync does);
/// answers 204 when it succeeds.
async fn with_reviewer(
    state: AppState,
    staff: Staff,
    work: impl FnOnce(&dyn Backend, &merge::Reviewer<'_>) -> Result<(), MergeError> + Send + 'static,
) -> Result<Response, ApiError> {
    let caller = staff_caller(&staff)?;
    let writer = writer_of(&staff)?;
    let scope = visible(&staff);
    let name = staff.user.display_name.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = staff.address.clone();
    let store = state.store.clone();
    state
        .sync_workers
        .run(move || {
            let reviewer = merge::Reviewer {
                caller: &caller,
                writer: &writer,
                scope: &scope,
                name: &name,
                actor: &actor,
                address: address.as_deref(),
            };
            work(&*store, &reviewer)
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(merge_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn merge_error(error: MergeError) -> ApiError {
    match error {
        MergeError::Invalid(message) => invalid_merge(message),
        MergeError::Edit(EditError::NotFound(_)) => no_such_submission(),
        MergeError::Edit(EditError::Invalid(message)) => invalid_merge(message),
        MergeError::Edit(EditError::Busy) => {
            ApiError::new(StatusCode::CONFLICT, "busy", EditError::Busy.to_string())
        }
        MergeError::Edit(error @ EditError::Refused(_)) => {
            ApiError::new(StatusCode::CONFLICT, "refused", error.to_string())
        }
        MergeError::Edit(error) => {
            tracing::error!(error = %error, "a merge failed");
            ApiError::internal()
        }
        MergeError::Store(message) => {
            tracing::error!(error = %message, "a merge's pairs or audit entry failed");
            ApiError::internal()
        }
    }
}

fn invalid_merge(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_merge", message)
}

/// A submission's id in a merge; 404 when it is not one.
fn merge_id(id: &str) -> Result<DocId, ApiError> {
    doc_id(id).ok_or_else(no_such_submission)
}

fn no_such_submission() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such submission among those you see: reload the list of duplicates.",
    )
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
        reasons: letsema_protocol::reasons::parse_explanation(&pair.explanation),
        explanation: pair.explanation,
        found_at: pair.found_at,
        decision: pair.decision,
        decided_by: pair.decided_by,
        decided_at: pair.decided_at,
    }
}

fn no_such_pair() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such pair among the candidates you see: reload the list of duplicates.",
    )
}
