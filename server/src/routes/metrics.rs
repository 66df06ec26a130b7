//! `GET /metrics`: Prometheus-style counters and gauges, for admins (signed in) or for a
//! scraper holding the `--metrics-token`.
//!
//! Only counts and sizes: nothing about who or what.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::AppState;
use crate::auth::{Staff, optional_staff};
use crate::error::ApiError;
use crate::store::Role;

/// Counters kept by the running server.
#[derive(Debug, Default)]
pub struct Metrics {
    pub requests_2xx: AtomicU64,
    pub requests_3xx: AtomicU64,
    pub requests_4xx: AtomicU64,
    pub requests_5xx: AtomicU64,
    pub sync_requests: AtomicU64,
    pub sync_bytes_in: AtomicU64,
    pub sync_bytes_out: AtomicU64,
    /// Sync requests turned away because the queue in front of the workers was full.
    pub sync_busy: AtomicU64,
}

impl Metrics {
    /// Counts one answered request by status class.
    pub fn count_response(&self, status: StatusCode) {
        let counter = match status.as_u16() {
            200..=299 => &self.requests_2xx,
            300..=399 => &self.requests_3xx,
            400..=499 => &self.requests_4xx,
            _ => &self.requests_5xx,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one sync request turned away with `503 server_busy`.
    pub fn count_sync_busy(&self) {
        self.sync_busy.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one sync exchange.
    pub fn count_sync(&self, bytes_in: usize, bytes_out: usize) {
        self.sync_requests.fetch_add(1, Ordering::Relaxed);
        self.sync_bytes_in
            .fetch_add(bytes_in as u64, Ordering::Relaxed);
        self.sync_bytes_out
            .fetch_add(bytes_out as u64, Ordering::Relaxed);
    }
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let s = state.clone();
    warp::path("metrics")
        .and(warp::path::end())
        .and(warp::get())
        .and(optional_staff(state))
        .and(warp::header::optional::<String>("authorization"))
        .then(move |staff: Option<Staff>, authorization: Option<String>| {
            let state = s.clone();
            async move {
                metrics(state, staff, authorization)
                    .await
                    .unwrap_or_else(ApiError::into_response)
            }
        })
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
            .is_some_and(|given| constant_time_eq(given.as_bytes(), token.as_bytes()))
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
    let (queue, documents) = tokio::task::spawn_blocking(move || {
        (store.validation_queue().ok(), store.document_count().ok())
    })
    .await
    .map_err(|_| ApiError::internal())?;
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

/// The process's memory, from `/proc/self/status` (Linux).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessMemory {
    /// Resident now, in bytes.
    pub resident: u64,
    /// The most resident since the start, in bytes.
    pub peak_resident: u64,
}

impl ProcessMemory {
    /// This process's; `None` where `/proc` is not there.
    pub fn read() -> Option<ProcessMemory> {
        ProcessMemory::from_status_file("/proc/self/status")
    }

    /// The process `pid`'s on this machine (`letsema load --server-pid`); `None` where
    /// `/proc` is not there or the process is gone.
    pub fn of_process(pid: u32) -> Option<ProcessMemory> {
        ProcessMemory::from_status_file(&format!("/proc/{pid}/status"))
    }

    fn from_status_file(path: &str) -> Option<ProcessMemory> {
        ProcessMemory::parse(&std::fs::read_to_string(path).ok()?)
    }

    /// From the text of a `/proc/PID/status` file.
    pub fn parse(status: &str) -> Option<ProcessMemory> {
        let kib = |field: &str| {
            status.lines().find_map(|line| {
                let value = line.strip_prefix(field)?.strip_prefix(':')?;
                let number = value.trim().strip_suffix("kB")?.trim();
                number.parse::<u64>().ok().map(|kib| kib * 1024)
            })
        };
        Some(ProcessMemory {
            resident: kib("VmRSS")?,
            peak_resident: kib("VmHWM")?,
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_read_from_proc_status_in_bytes() {
        let status = "Name:\tletsema\nVmPeak:\t  900 kB\nVmHWM:\t   2048 kB\nVmRSS:\t   1024 kB\n";
        assert_eq!(
            ProcessMemory::parse(status),
            Some(ProcessMemory {
                resident: 1024 * 1024,
                peak_resident: 2048 * 1024
            })
        );
        assert_eq!(ProcessMemory::parse("Name:\tletsema\n"), None);
        #[cfg(target_os = "linux")]
        assert!(ProcessMemory::read().is_some_and(|m| m.peak_resident >= m.resident));
    }
}
