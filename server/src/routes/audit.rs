//! The audit log, for admins: `GET /api/audit?action=&actor=&before=&limit=` → a page of
//! entries, newest first, and the cursor of the next (`store/audit.rs`). No route writes to
//! or changes the log: the actions themselves record their entries.

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::filters::{blocking, operation, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AuditQuery, MAX_QUERY_BYTES, Role};

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    operation!(GET "audit")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .then(list)
        .map(respond)
        .boxed()
}

async fn list(state: AppState, staff: Staff, raw: String) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    let invalid =
        |message: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message);
    if raw.len() > MAX_QUERY_BYTES {
        return Err(invalid(crate::store::QueryError::TooLong.to_string()));
    }
    let pairs = form_urlencoded::parse(raw.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()));
    let query = AuditQuery::from_pairs(pairs).map_err(|e| invalid(e.to_string()))?;
    let store = state.store.clone();
    let page = blocking(move || store.audit_log(&query)).await?;
    Ok(warp::reply::json(&page).into_response())
}
