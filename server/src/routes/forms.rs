//! Forms: admins publish XLSForms; staff list them; devices download the forms of their
//! enrolment, to fill in offline.
//!
//! - `POST /api/forms?name=FILE.xlsx` (admin; the body is the file) → published, or 422
//!   with every diagnostic (sheet, row, column, what to do)
//! - `GET /api/forms` (staff) → every published version
//! - `GET /api/forms/{form}?version=V` (staff) → that version with its definition
//!   (the staff area lays submissions out with it)
//! - `GET /api/device/forms` (device) → the latest version of each of its forms, with the
//!   definition

use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use letsema_protocol::{DeviceForm, DeviceForms};

use super::filters::{blocking, operation, respond, with_state};
use crate::auth::{Staff, device, staff};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{DeviceInfo, MAX_FORM_SOURCE_BYTES, PublishError, Role, publish_file};

#[derive(Debug, Deserialize)]
struct PublishQuery {
    name: String,
}

#[derive(Debug, Deserialize)]
struct VersionQuery {
    version: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let publish = operation!(POST "forms")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(warp::query::<PublishQuery>())
        .and(warp::body::content_length_limit(
            MAX_FORM_SOURCE_BYTES as u64,
        ))
        .and(warp::body::bytes())
        .then(publish)
        .map(respond);
    let list = operation!(GET "forms")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(list)
        .map(respond);
    let definition = operation!(GET "forms" / String)
        .and(warp::query::<VersionQuery>())
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(definition)
        .map(respond);
    let for_device = operation!(GET "device" / "forms")
        .and(with_state(state.clone()))
        .and(device(state))
        .then(device_forms)
        .map(respond);
    publish
        .or(list)
        .unify()
        .or(definition)
        .unify()
        .or(for_device)
        .unify()
        .boxed()
}

async fn publish(
    state: AppState,
    staff: Staff,
    query: PublishQuery,
    body: bytes::Bytes,
) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    let store = state.store.clone();
    let by = format!("user:{}", staff.user.id);
    let published = blocking(move || publish_file(&*store, &query.name, &body, &by)).await?;
    let status = if published.newly_published {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(warp::reply::with_status(warp::reply::json(&published), status).into_response())
}

async fn list(state: AppState, _staff: Staff) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let forms = blocking(move || store.published_forms()).await?;
    Ok(warp::reply::json(&serde_json::json!({ "forms": forms })).into_response())
}

/// One published version of a form, with its definition: what the staff area lays a
/// submission out with. Every staff role reads every form (forms are not per association).
async fn definition(
    form_id: String,
    query: VersionQuery,
    state: AppState,
    _staff: Staff,
) -> Result<Response, ApiError> {
    let version = query.version;
    let store = state.store.clone();
    let form = blocking(move || {
        let published = store.published_forms()?;
        let Some(summary) = published
            .into_iter()
            .find(|f| f.form_id == form_id && f.version == version)
        else {
            return Ok::<_, PublishError>(None);
        };
        Ok(store
            .form_definition(&form_id, &version)?
            .map(|definition| DeviceForm {
                form_id: summary.form_id,
                version: summary.version,
                title: summary.title,
                definition: (*definition).clone(),
            }))
    })
    .await?;
    match form {
        Some(form) => Ok(warp::reply::json(&form).into_response()),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such form version is published: see GET /api/forms for the published ones.",
        )),
    }
}

async fn device_forms(state: AppState, device: DeviceInfo) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let forms = blocking(move || {
        let published = store.published_forms()?;
        let mut out = Vec::new();
        for form_id in &device.forms {
            // Newest first within each form: the first match is the latest version.
            if let Some(latest) = published.iter().find(|f| &f.form_id == form_id)
                && let Some(definition) = store.form_definition(form_id, &latest.version)?
            {
                out.push(DeviceForm {
                    form_id: latest.form_id.clone(),
                    version: latest.version.clone(),
                    title: latest.title.clone(),
                    definition: (*definition).clone(),
                });
            }
        }
        Ok::<_, PublishError>(out)
    })
    .await?;
    Ok(warp::reply::json(&DeviceForms { forms }).into_response())
}
