//! The audit log, for admins: `GET /api/audit?action=&actor=&before=&limit=` → a page of
//! entries, newest first, and the cursor of the next (`store/audit.rs`). No route writes to
//! or changes the log: the actions themselves record their entries.

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::{Reply, Response};

use super::filters::{blocking, operation, query_pairs, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AuditQuery, Role};

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
    let query = AuditQuery::from_pairs(query_pairs(&raw)?)?;
    let store = state.store.clone();
    let page = blocking(move || store.audit_log(&query)).await?;
    Ok(warp::reply::json(&page).into_response())
}
