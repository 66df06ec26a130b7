//! `GET /api/health`: is the server up, which version, and is its database usable.

use letsema_protocol::{DatabaseState, Health, HealthStatus};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::AppState;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    warp::path("health")
        .and(warp::path::end())
        .and(warp::get())
        .then(move || health(state.clone()))
        .boxed()
}

async fn health(state: AppState) -> Response {
    let database = state.store.health().await;
    let ok = database.state == DatabaseState::Ok;
    let body = Health {
        status: if ok {
            HealthStatus::Ok
        } else {
            HealthStatus::Degraded
        },
        version: env!("CARGO_PKG_VERSION").to_owned(),
        form_engine: letsema_form::engine_info(),
        database,
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut response = warp::reply::with_status(warp::reply::json(&body), status).into_response();
    response.headers_mut().insert(
        warp::http::header::CACHE_CONTROL,
        warp::http::HeaderValue::from_static("no-store"),
    );
    response
}
