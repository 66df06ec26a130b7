//! Forms: admins publish XLSForms; staff list them; devices download the forms of their
//! enrolment, to fill in offline.
//!
//! - `POST /api/forms?name=FILE.xlsx` (admin; the body is the file) → published, or 422
//!   with every diagnostic (sheet, row, column, what to do). A form that reads attached
//!   files (`select_one_from_file`, `csv-external`, `pulldata()`) comes as
//!   `multipart/form-data` instead: a part `form` with the form file and a part `file` for
//!   each attached file, named by its filename.
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
use crate::store::{
    DeviceInfo, MAX_FORM_SOURCE_BYTES, PublishError, Role, publish_file, publish_with_files,
};

/// The most parts a publishing request may have: the form and its files.
const MAX_PARTS: usize = 33;

/// The largest publishing request with attached files: the form, the files' own limit
/// (`letsema_datafile::Limits::default().total_bytes`) and room for the parts' headers.
const MAX_MULTIPART_BYTES: u64 = (MAX_FORM_SOURCE_BYTES + 10 * 1024 * 1024 + 64 * 1024) as u64;

#[derive(Debug, Deserialize)]
struct PublishQuery {
    name: String,
}

#[derive(Debug, Deserialize)]
struct VersionQuery {
    version: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let publish_with_parts = operation!(POST "forms")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(warp::query::<PublishQuery>())
        .and(warp::multipart::form().max_length(MAX_MULTIPART_BYTES))
        .then(publish_parts)
        .map(respond);
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
    publish_with_parts
        .or(publish)
        .unify()
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

/// A form with its attached files, as `multipart/form-data`.
async fn publish_parts(
    state: AppState,
    staff: Staff,
    query: PublishQuery,
    mut parts: warp::multipart::FormData,
) -> Result<Response, ApiError> {
    use futures_util::TryStreamExt;
    staff.require(&[Role::Admin])?;
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message);
    let mut form: Option<Vec<u8>> = None;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut count = 0;
    while let Some(part) = parts
        .try_next()
        .await
        .map_err(|e| bad(format!("The multipart body cannot be read: {e}.")))?
    {
        count += 1;
        if count > MAX_PARTS {
            return Err(bad(format!(
                "A form comes with at most {} attached files.",
                MAX_PARTS - 1
            )));
        }
        let name = part.name().to_owned();
        let file_name = part.filename().map(str::to_owned);
        let limit = if name == "form" {
            MAX_FORM_SOURCE_BYTES
        } else {
            letsema_datafile::Limits::default().file_bytes
        };
        let bytes = read_part(part, limit).await.map_err(|too_large| {
            if too_large {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "form_too_large",
                    format!("The part `{name}` is larger than the {limit} bytes it may have."),
                )
            } else {
                bad(format!("The part `{name}` cannot be read."))
            }
        })?;
        match name.as_str() {
            "form" if form.is_none() => form = Some(bytes),
            "form" => return Err(bad("Send one part named `form`.".to_owned())),
            "file" => {
                let Some(file_name) = file_name.filter(|n| is_plain_file_name(n)) else {
                    return Err(bad(
                        "Each part `file` needs a filename without a folder (such as `places.csv`), which is how the form names it."
                            .to_owned(),
                    ));
                };
                files.push((file_name, bytes));
            }
            other => {
                return Err(bad(format!(
                    "Unknown part `{other}`: send the form as `form` and each attached file as `file`."
                )));
            }
        }
    }
    let Some(form) = form else {
        return Err(bad(
            "No part named `form`: send the form file as `form` and each attached file as `file`."
                .to_owned(),
        ));
    };
    let store = state.store.clone();
    let by = format!("user:{}", staff.user.id);
    let published =
        blocking(move || publish_with_files(&*store, &query.name, &form, &files, &by)).await?;
    let status = if published.newly_published {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(warp::reply::with_status(warp::reply::json(&published), status).into_response())
}

/// A part's bytes, at most `limit` of them: `Err(true)` when there are more, `Err(false)`
/// when the body breaks off.
async fn read_part(part: warp::multipart::Part, limit: usize) -> Result<Vec<u8>, bool> {
    use bytes::Buf;
    use futures_util::StreamExt;
    let mut out = Vec::new();
    let mut stream = std::pin::pin!(part.stream());
    while let Some(chunk) = stream.next().await {
        let mut chunk = chunk.map_err(|_| false)?;
        if out.len() + chunk.remaining() > limit {
            return Err(true);
        }
        while chunk.has_remaining() {
            let piece = chunk.chunk();
            let n = piece.len();
            out.extend_from_slice(piece);
            chunk.advance(n);
        }
    }
    Ok(out)
}

/// A file name without a folder, control characters or a leading dot, of sensible length.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\'))
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
