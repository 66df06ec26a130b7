//! The server's counters for `/metrics` (`routes/metrics.rs` renders them): responses by
//! status class, sync exchanges and bytes, syncs turned away; and the process's memory.
//!
//! Only counts and sizes: nothing about who or what.

use std::sync::atomic::{AtomicU64, Ordering};

use warp::http::StatusCode;

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
