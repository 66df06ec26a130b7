//! Staff accounts, for admins: `GET /api/users`, `POST /api/users`.

use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::filters::{blocking, json_body, operation, respond, with_state};
use crate::auth::{Staff, check_password_strength, hash_password, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{NewUser, Role};

const MAX_BODY: u64 = 8 * 1024;

#[derive(Debug, Deserialize)]
struct NewUserBody {
    email: String,
    display_name: String,
    role: Role,
    #[serde(default)]
    associations: Vec<String>,
    password: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let list = operation!(GET "users")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(list)
        .map(respond);
    let add = operation!(POST "users")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(json_body(MAX_BODY))
        .then(add)
        .map(respond);
    list.or(add).unify().boxed()
}

async fn list(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    let store = state.store.clone();
    let users = blocking(move || store.list_users()).await?;
    Ok(warp::reply::json(&serde_json::json!({ "users": users })).into_response())
}

async fn add(state: AppState, staff: Staff, body: NewUserBody) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    check_password_strength(&body.password)
        .map_err(|why| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", why))?;
    let store = state.store.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = staff.address.clone();
    let user = blocking(move || {
        let password_hash = hash_password(&body.password).map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            ApiError::internal()
        })?;
        let new = NewUser {
            email: body.email.trim().to_owned(),
            display_name: body.display_name.trim().to_owned(),
            role: body.role,
            associations: body.associations,
            password_hash,
        };
        store
            .add_user(&new, &actor, address.as_deref())
            .map_err(ApiError::from)
    })
    .await?;
    Ok(warp::reply::with_status(warp::reply::json(&user), StatusCode::CREATED).into_response())
}
