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

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::associations::visible;
use super::filters::{blocking, operation, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{MAX_QUERY_BYTES, QueryError, SubmissionQuery, ValidateError};

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    operation!(GET "submissions")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .then(list)
        .map(respond)
        .boxed()
}

async fn list(state: AppState, staff: Staff, raw: String) -> Result<Response, ApiError> {
    if raw.len() > MAX_QUERY_BYTES {
        return Err(invalid(&QueryError::TooLong));
    }
    let pairs = form_urlencoded::parse(raw.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()));
    let query = SubmissionQuery::from_pairs(visible(&staff), pairs).map_err(|e| invalid(&e))?;
    let store = state.store.clone();
    let page = blocking(move || store.submissions(&query)).await?;
    Ok(warp::reply::json(&page).into_response())
}

fn invalid(error: &QueryError) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", error.to_string())
}

impl From<ValidateError> for ApiError {
    fn from(error: ValidateError) -> Self {
        tracing::error!(error = %error, "the submissions table could not be read");
        ApiError::internal()
    }
}
