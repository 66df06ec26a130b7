//! Exports of one form's submissions:
//!
//! - `GET /api/exports?form=F&FILTERS&format=csv|xlsx|jsonl&OPTIONS` (staff) → the file, as
//!   an attachment: the submissions the staff member sees that the filters match (the
//!   staff's table's filters, `store/submissions.rs`), oldest first, across every published
//!   version of the form. The options (`group_names`, `split_select_multiple`, `labels`,
//!   `review`, `judgement`) are `crate::export`'s.
//!
//! The export is written to an unnamed temporary file on the blocking pool (the store read
//! a batch at a time, the writer's tables in temporary files: memory stays flat whatever
//! the number of submissions), then streamed ([`super::download`]) with its length. At most
//! [`MAX_CONCURRENT_EXPORTS`] run at once; another is refused with 503 and `Retry-After`.
//! Each export is recorded in the audit log: who, from which address, which filter (the
//! text search's words left out: they may be a name) and how many submissions.

use std::io::Seek;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::Semaphore;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::associations::visible;
use super::download::StreamedFile;
use super::filters::{blocking, operation, peer_addr, query_pairs, respond, with_state};
use crate::auth::{Staff, staff};
use crate::error::ApiError;
use crate::export::{ExportError, ExportRequest, SUBMISSIONS_HEADER, write_export};
use crate::state::AppState;
use crate::store::AuditEntry;

/// Exports written at once, at most: each holds a core and writes to the disk.
pub const MAX_CONCURRENT_EXPORTS: usize = 2;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let exports = Arc::new(Semaphore::new(MAX_CONCURRENT_EXPORTS));
    operation!(GET "exports")
        .and(with_state(state.clone()))
        .and(staff(state))
        .and(peer_addr())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::any().map(move || exports.clone()))
        .then(export)
        .map(respond)
        .boxed()
}

async fn export(
    state: AppState,
    staff: Staff,
    remote: Option<SocketAddr>,
    raw: String,
    exports: Arc<Semaphore>,
) -> Result<Response, ApiError> {
    let request = ExportRequest::from_pairs(visible(&staff), query_pairs(&raw)?)?;
    let Ok(permit) = exports.try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "exports_busy",
            format!(
                "{MAX_CONCURRENT_EXPORTS} exports are being written already: try again in a \
                 minute"
            ),
        )
        .with_retry_after(30));
    };
    let store = state.store.clone();
    let audit = AuditEntry {
        actor: format!("user:{}", staff.user.id),
        action: "export".to_owned(),
        detail: request.audit_detail(),
        address: remote.map(|a| a.ip().to_string()),
    };
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let file_name = request.file_name(&today);
    let format = request.format;
    let (file, length, submissions) = blocking(move || {
        let _permit = permit;
        let file = tempfile::tempfile().map_err(no_space)?;
        let (mut file, written) =
            write_export(&*store, &request, file, &mut |_| {}).map_err(export_error)?;
        let length = file.stream_position().map_err(|_| ApiError::internal())?;
        file.rewind().map_err(|_| ApiError::internal())?;
        let audit = AuditEntry {
            detail: format!("{} submissions={}", audit.detail, written.submissions),
            ..audit
        };
        store.record_audit(&audit)?;
        Ok::<_, ApiError>((file, length, written.submissions))
    })
    .await?;
    let mut response = Response::default();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(format.mime_type()));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    headers.insert(SUBMISSIONS_HEADER, HeaderValue::from(submissions));
    // The name is made of ASCII letters, digits, `-`, `_` and `.` only (`file_name`).
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(CONTENT_DISPOSITION, value);
    }
    response.extensions_mut().insert(StreamedFile::new(file));
    Ok(response)
}

/// The export's file could not be written: 507, the reason logged (it names no person).
fn no_space(error: std::io::Error) -> ApiError {
    tracing::error!(%error, "an export's file could not be written");
    ApiError::new(
        StatusCode::INSUFFICIENT_STORAGE,
        "no_space",
        "the server cannot write the export's file: its disk may be full",
    )
}

fn export_error(error: ExportError) -> ApiError {
    match error {
        ExportError::Query(e) => e.into(),
        ExportError::UnknownForm(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_form", error.to_string())
        }
        ExportError::Forms(e) => e.into(),
        ExportError::Store(e) => e.into(),
        // Excel's limits (rows in a sheet, characters in a cell): the message says to export
        // as CSV or to filter.
        ExportError::Write(letsema_export::ExportError::Io(e)) => no_space(e),
        ExportError::Write(e) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "export_refused",
            e.to_string(),
        ),
    }
}
