//! Associations' display names, which phones show instead of their codes:
//!
//! - `GET /api/associations` (staff) → the associations they see, each with its name if it
//!   has one
//! - `PUT /api/associations/{code}` (an admin, or a coordinator for their own association)
//!   `{"name": "Maseru Nurses' Association"}` → the association, named
//!
//! An enrolment may also name its association (`association_name`, `routes/devices.rs`).

use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::filters::{blocking, json_body, operation, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AssociationCode, AssociationName, AssociationScope, Role, StaffUser};

const MAX_BODY: u64 = 8 * 1024;

#[derive(Debug, Deserialize)]
struct NameBody {
    name: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let list = operation!(GET "associations")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(list)
        .map(respond);
    let name = operation!(PUT "associations" / String)
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(json_body(MAX_BODY))
        .then(name)
        .map(respond);
    list.or(name).unify().boxed()
}

/// The associations a staff member sees: an admin every one; a reviewer those their
/// account lists (none listed: every one); a coordinator their own.
pub(super) fn visible(staff: &Staff) -> AssociationScope {
    visible_to(&staff.user)
}

/// [`visible`], for an account read without a session (the OData feed's Basic sign-in).
pub(super) fn visible_to(user: &StaffUser) -> AssociationScope {
    match user.role {
        Role::Admin => AssociationScope::All,
        Role::Reviewer if user.associations.is_empty() => AssociationScope::All,
        Role::Reviewer | Role::Coordinator => AssociationScope::Only(user.associations.clone()),
    }
}

/// The associations a staff member may name: an admin any; a coordinator their own;
/// a reviewer none.
fn nameable(staff: &Staff) -> Result<AssociationScope, ApiError> {
    match staff.user.role {
        Role::Admin => Ok(AssociationScope::All),
        Role::Coordinator => Ok(AssociationScope::Only(staff.user.associations.clone())),
        Role::Reviewer => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Reviewers do not name associations. Ask the association's coordinator or an \
             administrator.",
        )),
    }
}

async fn list(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let scope = visible(&staff);
    let store = state.store.clone();
    let mut associations = blocking(move || store.associations()).await?;
    associations.retain(|association| scope.includes(&association.code));
    Ok(warp::reply::json(&serde_json::json!({ "associations": associations })).into_response())
}

async fn name(
    code: String,
    state: AppState,
    staff: Staff,
    body: NameBody,
) -> Result<Response, ApiError> {
    if !nameable(&staff)?.includes(&code) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You can name only your own association. Ask an administrator to name another.",
        ));
    }
    let code = AssociationCode::parse(&code)?;
    let name = AssociationName::parse(&body.name)?;
    let store = state.store.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = staff.address.clone();
    let association =
        blocking(move || store.name_association(&code, &name, &actor, address.as_deref())).await?;
    Ok(warp::reply::json(&association).into_response())
}
