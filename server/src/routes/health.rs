//! `GET /api/health`: is the server up, which version, and is its database usable.

use letsema_protocol::{DatabaseHealth, DatabaseState, Health, HealthStatus};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::filters::{operation, with_state};
use crate::state::AppState;

/// The OpenAPI document of every route, kept by hand beside the routes (`server/tests/
/// openapi.rs` checks both ways: every operation it lists is routed, and every operation
/// served is in it). Public, like any API documentation.
pub const OPENAPI: &str = include_str!("../openapi.json");

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let health = operation!(GET "health").and(with_state(state)).then(health);
    let openapi = operation!(GET "openapi.json").map(|| {
        warp::reply::with_header(OPENAPI, "content-type", "application/json").into_response()
    });
    health.or(openapi).unify().boxed()
}

async fn health(state: AppState) -> Response {
    let store = state.store.clone();
    // Not `filters::blocking`: a health check that fails is a report (503, degraded), not
    // an error.
    let database = tokio::task::spawn_blocking(move || store.health())
        .await
        .unwrap_or_else(|join| DatabaseHealth::unavailable(format!("health check failed: {join}")));
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
