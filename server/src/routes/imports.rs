//! Imports of registers from the staff area:
//!
//! - `POST /api/imports?name=FILE&form=F&association=A[&version=V][&key=COLUMN]
//!   [&map=COLUMN=question]...[&dry_run=true]` (admins, and coordinators for their own
//!   association), the file as the body (at most [`MAX_IMPORT_BYTES`]) → what was imported
//!   (`ImportReport`), or 422 with every row that cannot be read.
//!
//! The rules are `crate::import`'s, as `letsema import` follows them. One import runs at a
//! time (another gets 503 and `Retry-After`), on the blocking pool rather than the sync
//! workers, which phones need meanwhile. Each import that writes is recorded in the audit log
//! with who, from which address, the file's name and the counts; the validator is woken to
//! judge the new submissions.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use letsema_doc::Timestamp;
use tokio::sync::Semaphore;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::associations::visible;
use super::filters::{blocking, operation, peer_addr, query_pairs, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::import::{ImportError, ImportRequest, MAX_IMPORT_BYTES, import_register};
use crate::state::AppState;
use crate::store::{AuditEntry, QueryError, Role, boolean};

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let running = Arc::new(Semaphore::new(1));
    operation!(POST "imports")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(peer_addr())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::body::content_length_limit(MAX_IMPORT_BYTES as u64))
        .and(warp::body::bytes())
        .and(warp::any().map(move || running.clone()))
        .then(import)
        .map(respond)
        .boxed()
}

async fn import(
    state: AppState,
    staff: Staff,
    remote: Option<SocketAddr>,
    raw: String,
    body: Bytes,
    running: Arc<Semaphore>,
) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin, Role::Coordinator])?;
    let (name, request) = request_of(query_pairs(&raw)?)?;
    if !visible(&staff).includes(&request.association) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You may import only into your own association.",
        ));
    }
    let Ok(permit) = running.try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "import_busy",
            "another import is being written: try again in a minute",
        )
        .with_retry_after(30));
    };
    let store = state.store.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = remote.map(|a| a.ip().to_string());
    let report = blocking(move || {
        let _permit = permit;
        let now = Timestamp(chrono::Utc::now().timestamp_millis());
        let report = import_register(&*store, &request, &name, &body, now, &mut |_, _| {})
            .map_err(import_error)?;
        if !report.dry_run {
            store.record_audit(&AuditEntry {
                actor,
                action: "import".to_owned(),
                detail: format!(
                    "file={name} form={} association={} rows={} new={} already={}",
                    request.form, request.association, report.rows, report.new, report.already
                ),
                address,
            })?;
        }
        Ok::<_, ApiError>(report)
    })
    .await?;
    if report.new > 0 && !report.dry_run {
        state.validator.notify_one();
    }
    Ok(warp::reply::json(&report).into_response())
}

/// The file's name and the import's request, from the query string.
fn request_of(pairs: Vec<(String, String)>) -> Result<(String, ImportRequest), QueryError> {
    let invalid = |parameter: &'static str, why: &str| QueryError::Invalid {
        parameter,
        why: why.to_owned(),
    };
    let mut name = None;
    let mut request = ImportRequest {
        form: String::new(),
        version: None,
        association: String::new(),
        key: None,
        map: Vec::new(),
        dry_run: false,
    };
    for (parameter, value) in pairs {
        if value.len() > 256 || value.chars().any(char::is_control) {
            return Err(invalid(
                "import",
                "parameters are at most 256 characters, none of them control characters",
            ));
        }
        match parameter.as_str() {
            "name" => name = Some(value),
            "form" => request.form = value,
            "version" => request.version = Some(value),
            "association" => request.association = value,
            "key" => request.key = Some(value),
            "map" => request
                .map
                .push(ImportRequest::parse_map(&value).map_err(|why| invalid("map", &why))?),
            "dry_run" => request.dry_run = boolean("dry_run", &value)?,
            other => {
                return Err(QueryError::Invalid {
                    parameter: "import",
                    why: format!(
                        "unknown parameter {other:?}: use name, form, version, association, \
                         key, map or dry_run"
                    ),
                });
            }
        }
    }
    let name = name.ok_or_else(|| invalid("name", "the file's name, such as members.xlsx"))?;
    if request.form.is_empty() {
        return Err(invalid("form", "the form's id"));
    }
    if request.association.is_empty() {
        return Err(invalid("association", "the association's code"));
    }
    Ok((name, request))
}

fn import_error(error: ImportError) -> ApiError {
    match error {
        ImportError::UnknownForm(_) | ImportError::UnknownVersion { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_form", error.to_string())
        }
        ImportError::TooLarge => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            error.to_string(),
        ),
        ImportError::Forms(e) => e.into(),
        ImportError::Store(e) => {
            tracing::error!(error = %e, "an import could not be written");
            ApiError::internal()
        }
        // The file, its columns or rows: what to fix, row by row.
        _ => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "import_refused",
            error.to_string(),
        ),
    }
}
