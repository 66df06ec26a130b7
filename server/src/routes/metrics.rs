//! `GET /metrics`: Prometheus-style counters and gauges, for admins (signed in) or for a
//! scraper holding the `--metrics-token`.
//!
//! Only counts and sizes: nothing about who or what.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::filters::{blocking, operation, respond, with_state};
use crate::auth::{Staff, optional_staff, secrets_match};
use crate::error::ApiError;
use crate::metrics::ProcessMemory;
use crate::state::AppState;
use crate::store::Role;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    operation!(top GET "metrics")
        .and(with_state(state.clone()))
        .and(optional_staff(state))
        .and(warp::header::optional::<String>("authorization"))
        .then(metrics)
        .map(respond)
        .boxed()
}

async fn metrics(
    state: AppState,
    staff: Option<Staff>,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let token_ok = state.metrics_token.as_deref().is_some_and(|token| {
        authorization
            .as_deref()
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|given| secrets_match(given, token))
    });
    let admin = staff.as_ref().is_some_and(|s| s.user.role == Role::Admin);
    if !token_ok && !admin {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "metrics_forbidden",
            "Metrics are for admins, or for a scraper sending the --metrics-token as \
             Authorization: Bearer.",
        ));
    }
    let store = state.store.clone();
    let (queue, documents) = blocking(move || {
        Ok::<_, ApiError>((store.validation_queue().ok(), store.document_count().ok()))
    })
    .await?;
    let m = &state.metrics;
    let mut text = String::new();
    let mut counter = |name: &str, help: &str, kind: &str, samples: &[(&str, u64)]| {
        let _ = writeln!(text, "# HELP {name} {help}");
        let _ = writeln!(text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(text, "{name}{labels} {value}");
        }
    };
    counter(
        "letsema_http_responses_total",
        "HTTP responses by status class.",
        "counter",
        &[
            ("{class=\"2xx\"}", m.requests_2xx.load(Ordering::Relaxed)),
            ("{class=\"3xx\"}", m.requests_3xx.load(Ordering::Relaxed)),
            ("{class=\"4xx\"}", m.requests_4xx.load(Ordering::Relaxed)),
            ("{class=\"5xx\"}", m.requests_5xx.load(Ordering::Relaxed)),
        ],
    );
    counter(
        "letsema_sync_requests_total",
        "Sync exchanges answered.",
        "counter",
        &[("", m.sync_requests.load(Ordering::Relaxed))],
    );
    counter(
        "letsema_sync_bytes_total",
        "Sync body bytes, by direction.",
        "counter",
        &[
            (
                "{direction=\"in\"}",
                m.sync_bytes_in.load(Ordering::Relaxed),
            ),
            (
                "{direction=\"out\"}",
                m.sync_bytes_out.load(Ordering::Relaxed),
            ),
        ],
    );
    counter(
        "letsema_sync_busy_total",
        "Sync requests turned away (503, Retry-After) because the sync queue was full.",
        "counter",
        &[("", m.sync_busy.load(Ordering::Relaxed))],
    );
    let workers = &state.sync_workers;
    counter(
        "letsema_sync_queue",
        "Sync requests admitted now: reading their bodies, waiting for a worker, or being \
         worked on.",
        "gauge",
        &[("", workers.admitted() as u64)],
    );
    counter(
        "letsema_sync_queue_capacity",
        "Sync requests the queue admits at once.",
        "gauge",
        &[("", workers.queue_limits().capacity as u64)],
    );
    if let Some(memory) = ProcessMemory::read() {
        counter(
            "letsema_process_resident_bytes",
            "The server's resident memory now (Linux: VmRSS).",
            "gauge",
            &[("", memory.resident)],
        );
        counter(
            "letsema_process_peak_resident_bytes",
            "The most resident memory the server has held since it started (Linux: VmHWM).",
            "gauge",
            &[("", memory.peak_resident)],
        );
    }
    if let Some(documents) = documents {
        counter(
            "letsema_documents",
            "Submission documents stored.",
            "gauge",
            &[("", documents)],
        );
    }
    if let Some(queue) = queue {
        counter(
            "letsema_validation_queue",
            "Submissions changed by a sync and not yet judged by the form engine.",
            "gauge",
            &[("", queue)],
        );
    }
    Ok(warp::reply::with_header(text, "content-type", "text/plain; version=0.0.4").into_response())
}
