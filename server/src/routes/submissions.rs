//! The staff's table of submissions:
//!
//! - `GET /api/submissions?FILTERS` (staff) → `{"submissions": [...], "next": CURSOR}`: a
//!   page of the submissions the staff member sees (an admin every one, survey takers'
//!   included; a reviewer those of the associations their account lists, or every one; a
//!   coordinator their own association's), newest first. The filters (`form`, `version`,
//!   `association`, `status`, `from`, `to`, `complete`, `conflicts`, `choice=QUESTION:VALUE`
//!   up to four times, `q` for text) combine with AND; `order=oldest`, `limit` (1-200,
//!   default 50) and `after=CURSOR` (the previous page's `next`) page through them. See
//!   `store/submissions.rs` for the rules and `store/<backend>/submissions.rs` for the
//!   indexes that serve them.
//! - `GET /api/submissions/{id}` → the submission as its document holds it now: answers,
//!   review and comments, every field's history, unresolved conflicts, and the form
//!   engine's judgement made at once.
//! - `POST /api/submissions/{id}/review` `{"status": "has_issues", "comment": "..."}` (either
//!   or both), `POST /api/submissions/{id}/answers` `{"field": "city", "value": "Leeds"}`
//!   (a list for a `select_multiple`, null to clear), `POST /api/submissions/{id}/resolve`
//!   `{"field": ..., "value": ...}` (as a conflict lists them) → the submission after the
//!   change. `POST /api/submissions/review` `{"ids": [...], "status": "approved"}` sets one
//!   status on up to 1,000 → each one's outcome.
//!
//! Every change is the staff member's own automerge change, pushed through the sync server
//! as a phone's is (`staff_edit.rs`), on the sync workers.

use letsema_doc::{FieldPath, FieldValue, RepeatInstanceId, SubmissionId, Timestamp, Writer};
use letsema_protocol::staff::{
    AnswerRequest, BulkResult, BulkResults, BulkReviewRequest, MAX_COMMENT_CHARS, ResolveRequest,
    ReviewRequest,
};
use letsema_protocol::sync::DocId;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::associations::visible;
use super::filters::{blocking, json_body, operation, query_pairs, respond, with_state};
use super::sync::{staff_caller, staff_writer};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::staff_edit::{self, Edit, EditError, MAX_BULK};
use crate::state::AppState;
use crate::store::{FormCache, SubmissionQuery, ValidateError, is_hidden_direction};

/// The most bytes of an edit's body (a bulk edit's thousand ids fit).
const MAX_BODY: u64 = 64 * 1024;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let list = operation!(GET "submissions")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .then(list)
        .map(respond);
    let detail = operation!(GET "submissions" / String)
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(detail)
        .map(respond);
    let review = operation!(POST "submissions" / String / "review")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(json_body(MAX_BODY))
        .then(review)
        .map(respond);
    let answer = operation!(POST "submissions" / String / "answers")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(json_body(MAX_BODY))
        .then(answer)
        .map(respond);
    let resolve = operation!(POST "submissions" / String / "resolve")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(json_body(MAX_BODY))
        .then(resolve)
        .map(respond);
    let bulk = operation!(POST "submissions" / "review")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(json_body(MAX_BODY))
        .then(bulk)
        .map(respond);
    list.or(bulk)
        .unify()
        .or(detail)
        .unify()
        .or(review)
        .unify()
        .or(answer)
        .unify()
        .or(resolve)
        .unify()
        .boxed()
}

async fn list(state: AppState, staff: Staff, raw: String) -> Result<Response, ApiError> {
    let query = SubmissionQuery::from_pairs(visible(&staff), query_pairs(&raw)?)?;
    let store = state.store.clone();
    let page = blocking(move || store.submissions(&query)).await?;
    Ok(warp::reply::json(&page).into_response())
}

async fn detail(id: String, state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let doc_id = submission_id(&id)?;
    let caller = staff_caller(&staff)?;
    let writer = writer_of(&staff)?;
    let store = state.store.clone();
    let detail = state
        .sync_workers
        .run(move || {
            staff_edit::detail(&*store, &caller, writer, doc_id, &mut FormCache::default())
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(edit_error)?;
    Ok(warp::reply::json(&detail).into_response())
}

async fn review(
    id: String,
    state: AppState,
    staff: Staff,
    body: ReviewRequest,
) -> Result<Response, ApiError> {
    let mut edits = Vec::new();
    if let Some(status) = body.status {
        edits.push(Edit::Status(status));
    }
    if let Some(comment) = body.comment {
        edits.push(Edit::Comment(comment_text(&comment)?));
    }
    if edits.is_empty() {
        return Err(invalid_edit("give a status, a comment or both".to_owned()));
    }
    apply(state, staff, &id, edits).await
}

async fn answer(
    id: String,
    state: AppState,
    staff: Staff,
    body: AnswerRequest,
) -> Result<Response, ApiError> {
    if body.field.is_empty() || body.field.len() > 128 {
        return Err(invalid_edit("field: the name of a question".to_owned()));
    }
    let entry = match body.entry {
        None => None,
        Some(entry) => {
            if entry.repeat.is_empty()
                || entry.repeat.len() > 128
                || entry.id.is_empty()
                || entry.id.len() > 128
            {
                return Err(invalid_edit(
                    "entry: a repeat's name and an entry's id, as the submission lists them"
                        .to_owned(),
                ));
            }
            Some((entry.repeat, RepeatInstanceId::from_string(entry.id)))
        }
    };
    let edit = Edit::Answer {
        field: body.field,
        entry,
        value: body.value,
    };
    apply(state, staff, &id, vec![edit]).await
}

async fn resolve(
    id: String,
    state: AppState,
    staff: Staff,
    body: ResolveRequest,
) -> Result<Response, ApiError> {
    let field: FieldPath = staff_edit::wire(&body.field).map_err(edit_error)?;
    let value: FieldValue = staff_edit::wire(&body.value).map_err(edit_error)?;
    let edit = Edit::Resolve { field, value };
    apply(state, staff, &id, vec![edit]).await
}

/// Makes `edits` to submission `id`; answers with the submission after them.
async fn apply(
    state: AppState,
    staff: Staff,
    id: &str,
    edits: Vec<Edit>,
) -> Result<Response, ApiError> {
    let doc_id = submission_id(id)?;
    let caller = staff_caller(&staff)?;
    let writer = writer_of(&staff)?;
    let store = state.store.clone();
    let detail = state
        .sync_workers
        .run(move || {
            staff_edit::edit(&*store, &caller, &writer, doc_id, &edits, now())?;
            staff_edit::detail(&*store, &caller, writer, doc_id, &mut FormCache::default())
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(edit_error)?;
    state.validator.notify_one();
    Ok(warp::reply::json(&detail).into_response())
}

async fn bulk(
    state: AppState,
    staff: Staff,
    body: BulkReviewRequest,
) -> Result<Response, ApiError> {
    if body.ids.is_empty() || body.ids.len() > MAX_BULK {
        return Err(invalid_edit(format!("ids: 1 to {MAX_BULK} submissions")));
    }
    let ids = body
        .ids
        .iter()
        .map(|id| submission_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    let caller = staff_caller(&staff)?;
    let writer = writer_of(&staff)?;
    let store = state.store.clone();
    let status = body.status;
    let outcomes = state
        .sync_workers
        .run(move || {
            staff_edit::edit_many(
                &*store,
                &caller,
                &writer,
                &ids,
                &[Edit::Status(status)],
                now(),
            )
        })
        .await
        .map_err(|_| ApiError::internal())?;
    state.validator.notify_one();
    let results = outcomes
        .into_iter()
        .map(|(doc, outcome)| BulkResult {
            id: doc.to_string(),
            ok: outcome.is_ok(),
            error: outcome.err().map(|e| e.to_string()),
        })
        .collect();
    Ok(warp::reply::json(&BulkResults { results }).into_response())
}

fn submission_id(id: &str) -> Result<DocId, ApiError> {
    doc_id(id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "There is no such submission: check the id in the table.",
        )
    })
}

/// A submission's id as the API names it (a UUID); none when it is not one.
pub(super) fn doc_id(id: &str) -> Option<DocId> {
    SubmissionId::parse(id).ok().map(|id| DocId::from(&id))
}

/// A comment as stored: trimmed, 1 to 2,000 characters, line breaks allowed but no other
/// control character and no text-direction control.
fn comment_text(comment: &str) -> Result<String, ApiError> {
    let text = comment.trim();
    if text.is_empty() || text.chars().count() > MAX_COMMENT_CHARS {
        return Err(invalid_edit(format!(
            "comment: 1 to {MAX_COMMENT_CHARS} characters"
        )));
    }
    if text
        .chars()
        .any(|c| (c.is_control() && c != '\n') || is_hidden_direction(c))
    {
        return Err(invalid_edit(
            "comment: no control characters other than line breaks".to_owned(),
        ));
    }
    Ok(text.to_owned())
}

/// The staff member's writer, with a session of its own for this change.
/// The staff member's writer, with a session of its own.
pub(super) fn writer_of(staff: &Staff) -> Result<Writer, ApiError> {
    let mut session = [0u8; 16];
    getrandom::fill(&mut session).map_err(|_| ApiError::internal())?;
    staff_writer(staff.user.id, session).map_err(|_| ApiError::internal())
}

pub(super) fn now() -> Timestamp {
    Timestamp(chrono::Utc::now().timestamp_millis())
}

fn invalid_edit(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_edit", message)
}

fn edit_error(error: EditError) -> ApiError {
    match error {
        EditError::NotFound(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
        }
        EditError::Invalid(_) | EditError::Refused(_) => invalid_edit(error.to_string()),
        EditError::Busy => ApiError::new(StatusCode::CONFLICT, "busy", error.to_string()),
        EditError::Store(_) | EditError::Unreadable(_) => {
            tracing::error!(error = %error, "a staff edit failed");
            ApiError::internal()
        }
    }
}

impl From<ValidateError> for ApiError {
    fn from(error: ValidateError) -> Self {
        tracing::error!(error = %error, "the submissions table could not be read");
        ApiError::internal()
    }
}
