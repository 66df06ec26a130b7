//! The dashboard, for the staff: `GET /api/dashboard?form=FORM&FILTERS` (every role) →
//! what a ministry charts about the submissions of one form the staff member sees (scoped
//! as the submissions table is: an admin every association, a reviewer those their account
//! lists or every one, a coordinator their own), with the table's filters: members by
//! country and region, profession and specialisation, engagement, months available, years
//! abroad; registrations by month, association and device; review progress, completeness;
//! and the skills available for short-term assignments. Withdrawn submissions and merged
//! duplicates are not counted. See `store/dashboard.rs`.

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::associations::visible;
use super::filters::{blocking, operation, query_pairs, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{DashboardError, DashboardQuery, dashboard};

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    operation!(GET "dashboard")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .then(show)
        .map(respond)
        .boxed()
}

async fn show(state: AppState, staff: Staff, raw: String) -> Result<Response, ApiError> {
    let query = DashboardQuery::from_pairs(visible(&staff), query_pairs(&raw)?)?;
    let store = state.store.clone();
    let answer = blocking(move || dashboard(&*store, &query)).await?;
    Ok(warp::reply::json(&answer).into_response())
}

impl From<DashboardError> for ApiError {
    fn from(error: DashboardError) -> Self {
        match error {
            DashboardError::UnknownForm(_) | DashboardError::UnknownVersion { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            DashboardError::Counts(_)
            | DashboardError::Forms(_)
            | DashboardError::Associations(_)
            | DashboardError::Devices(_) => {
                tracing::error!(error = %error, "the dashboard could not be read");
                ApiError::internal()
            }
        }
    }
}
