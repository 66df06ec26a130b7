//! `letsema load --url URL [--url URL...] --submissions N [--devices D] [--seed S]`: the diaspora-500
//! workload against any running server, over real HTTP, as volunteers' phones would: each
//! simulated phone enrols itself, captures its share of submissions, and then, all phones at
//! once, syncs, syncs again with nothing new, edits one field in 10% of them and syncs. It
//! can play a field day: a thousand phones and more reconnecting in the same second.
//!
//! For each phase it reports bytes each way, requests, documents acknowledged and their
//! rate; the latency of single requests and the time until each phone is done (p50, p90,
//! p99, max); the requests the server turned away and that were sent again (503, 429, 408,
//! honouring `Retry-After` with jitter, as phones do), and the phones whose sync failed; and,
//! given the server's process id on this machine (`--server-pid`), the server's peak
//! resident memory during the phase. `--json FILE` writes the same figures as JSON.
//!
//! Every phone makes its first request of a phase (encoding what it pushes) before the
//! phase's clock starts, as real phones would on their own processors; the line says how
//! long that took.
//!
//! Real phones come from many networks. Against a server on this machine's loopback, the
//! phones are spread over loopback source addresses (127.0.0.2, 127.0.0.3, ...; Linux routes
//! all of 127.0.0.0/8 to itself), a few phones each, so that the server's per-address limits
//! (connections, enrolment attempts) see what they would see in the field: nothing is
//! weakened for the test. Against another server all phones share this machine's address;
//! enrolment then honours the per-address rate limit (it waits and retries).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use letsema_doc::{AssociationId, DeviceId, IdError, SessionId, Timestamp, Writer};
use letsema_sync::client::{Client, ClientConfig, ClientError};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::retry::RetryPolicy;
use letsema_workload::WorkloadError;

use super::remote::{
    Jitter, NewEnrolment, RemoteError, StaffSession, SyncAs, Traffic, create_enrolment, describe,
    enrol_device, http_client_from, sign_in, sync_from,
};
use crate::metrics::ProcessMemory;

/// Why `letsema load` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Neither an enrolment link nor an admin account was given.
    #[error("give --enrolment LINK (with one use per phone) or --admin EMAIL")]
    NoEnrolment,
    /// No phones or no submissions were asked for.
    #[error("give at least one device and one submission")]
    NothingToDo,
    /// No `--url`.
    #[error("give the server with --url (repeat it for several servers on one database)")]
    NoServer,
    /// `--phones-per-address 0`.
    #[error("give at least one phone per address")]
    NoPhonesPerAddress,
    /// `--drain` without `--admin`.
    #[error("--drain reads the server's /metrics: give --admin EMAIL")]
    DrainNeedsAdmin,
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// An HTTP client could not be made, or the admin could not sign in.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// An enrolment for the phones could not be created.
    #[error("{0}; is the reference form published (serve --demo)?")]
    CreateEnrolment(#[source] RemoteError),
    /// A phone could not enrol.
    #[error("phone {index}: {source}; the enrolment needs one use per phone")]
    Enrol {
        /// The phone's number, from 0.
        index: usize,
        /// Why.
        #[source]
        source: RemoteError,
    },
    /// The server enrolled a phone in an association that is not a valid id.
    #[error("the server gave a bad association: {0}")]
    BadAssociation(#[source] IdError),
    /// The server gave a phone a device id that is not a valid id.
    #[error("the server gave a bad device id: {0}")]
    BadDeviceId(#[source] IdError),
    /// A phone's writer could not be made.
    #[error(transparent)]
    Id(#[from] IdError),
    /// The workload could not make or edit a submission.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// A phone's sync client failed on its own store.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A phone's task panicked or was cancelled.
    #[error("a phone's task failed: {0}")]
    Task(#[source] tokio::task::JoinError),
    /// `/metrics` could not be reached.
    #[error("cannot read {base}/metrics: {}", describe(source))]
    MetricsUnreachable {
        /// The server.
        base: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The body of `/metrics` could not be read.
    #[error("{0}")]
    ReadMetrics(#[source] reqwest::Error),
    /// The server refused `/metrics`.
    #[error("reading /metrics failed ({status}): {body}")]
    MetricsRefused {
        /// The server's status.
        status: reqwest::StatusCode,
        /// The server's answer.
        body: String,
    },
    /// `/metrics` has no validation queue.
    #[error("the server's /metrics has no letsema_validation_queue")]
    NoQueueMetric,
    /// The validation queue did not empty within [`DRAIN_TIMEOUT`].
    #[error("the validation queue still holds {queue} after an hour")]
    DrainTimeout {
        /// Submissions still waiting.
        queue: u64,
    },
    /// The report could not be made as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The JSON report could not be written to its file.
    #[error("cannot write {path}: {source}")]
    WriteJson {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Phones' syncs failed; the report, already printed, counts them.
    #[error(
        "{} phone syncs failed; the first: {}",
        failures.len(),
        failures.iter().take(5).map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    PhoneSyncsFailed {
        /// Every failed sync, in the order of the phases.
        failures: Vec<PhoneFailure>,
    },
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// One phone's failed sync in a phase.
#[derive(Debug, thiserror::Error)]
#[error("{phase}: {error}")]
pub struct PhoneFailure {
    /// The phase, e.g. `first sync`.
    pub phase: &'static str,
    /// Why the sync failed.
    #[source]
    pub error: RemoteError,
}

/// What `letsema load` was asked to do.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The servers, e.g. `http://127.0.0.1:8080`: phones are spread over them in turn (one
    /// installation's servers on one database); the first also enrols them and reports.
    pub urls: Vec<String>,
    /// Submissions in all.
    pub submissions: usize,
    /// Simulated phones, syncing at the same time.
    pub devices: usize,
    /// The workload's seed.
    pub seed: u64,
    /// How phones enrol: an enrolment link (or its code) with enough uses.
    pub enrolment: Enrolment,
    /// A PEM file of certificates to trust besides the system's (for `https://`).
    pub ca_cert: Option<PathBuf>,
    /// Phones per loopback source address against a server on this machine's loopback
    /// (see the module's documentation); ignored for other servers.
    pub phones_per_address: usize,
    /// The server's process id on this machine, for its memory.
    pub server_pid: Option<u32>,
    /// Where to write the report as JSON (`-`: standard output, after the text).
    pub json: Option<PathBuf>,
    /// Only the first sync (to fill a server with data, or time that phase alone).
    pub first_sync_only: bool,
    /// After the phases, wait until the server has validated every submission and report
    /// how fast its queue drained (reads `/metrics`: needs [`Enrolment::Admin`]).
    pub drain: bool,
}

/// Phones per loopback source address by default: well within the server's default limits
/// per address (64 connections, 30 enrolment attempts at once).
pub const PHONES_PER_ADDRESS: usize = 16;

/// The most uses one enrolment may have (the server's limit): more phones take more
/// enrolments.
const USES_PER_ENROLMENT: usize = 500;

/// Where the phones' enrolment comes from.
#[derive(Debug, Clone)]
pub enum Enrolment {
    /// An existing link or code.
    Link(String),
    /// An admin account that creates them (association `load-test`), one per 500 phones.
    Admin { email: String, password: String },
}

struct Phone {
    /// The server this phone syncs with.
    server: String,
    credential: String,
    client: Client<MemoryClientStore>,
    http: reqwest::Client,
    jitter: Jitter,
}

/// The retries of a load test's phone: as a phone's, with more patience (a phone would
/// leave the rest to its next round; the test wants the round to end).
fn retry_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 30,
        ..RetryPolicy::default()
    }
}

/// Runs the load; prints its report to `out`.
///
/// # Errors
///
/// When the server cannot be reached or set up for the test, or when phones' syncs failed
/// (after the report, which counts them).
pub fn run(options: &LoadOptions, out: &mut dyn Write) -> Result<(), LoadError> {
    if options.devices == 0 || options.submissions == 0 {
        return Err(LoadError::NothingToDo);
    }
    if options.phones_per_address == 0 {
        return Err(LoadError::NoPhonesPerAddress);
    }
    let runtime = tokio::runtime::Runtime::new().map_err(LoadError::Runtime)?;
    runtime.block_on(run_async(options, out))
}

/// The loopback source addresses the phones use against a server on the loopback; `None`
/// for another server.
fn source_addresses(base: &str, devices: usize, per_address: usize) -> Option<Vec<IpAddr>> {
    let url = reqwest::Url::parse(base).ok()?;
    let host = url.host_str()?;
    let loopback = host == "localhost" || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return None;
    }
    let count = devices.div_ceil(per_address);
    Some(
        (0..count)
            .map(|n| {
                // 127.0.0.2 onwards, through 127.x.y.z: room for millions.
                let n = u32::try_from(n).unwrap_or(u32::MAX - 2).saturating_add(2);
                IpAddr::V4(Ipv4Addr::from(0x7f00_0000 | (n & 0x00ff_ffff)))
            })
            .collect(),
    )
}

async fn run_async(options: &LoadOptions, out: &mut dyn Write) -> Result<(), LoadError> {
    let bases: Vec<String> = options
        .urls
        .iter()
        .map(|url| url.trim_end_matches('/').to_owned())
        .collect();
    let Some(base) = bases.first().cloned() else {
        return Err(LoadError::NoServer);
    };
    let addresses = source_addresses(&base, options.devices, options.phones_per_address);
    let clients: Vec<reqwest::Client> = match &addresses {
        Some(addresses) => addresses
            .iter()
            .map(|address| http_client_from(options.ca_cert.as_deref(), Some(*address)))
            .collect::<Result<_, _>>()?,
        None => {
            vec![http_client_from(options.ca_cert.as_deref(), None)?]
        }
    };
    let client_of = |index: usize| {
        let n = (index / options.phones_per_address) % clients.len();
        clients[n].clone()
    };
    let admin_http = clients[0].clone();
    let (codes, session) = match &options.enrolment {
        Enrolment::Link(link) => (
            vec![link.rsplit('#').next().unwrap_or(link).to_owned()],
            None,
        ),
        Enrolment::Admin { email, password } => {
            let session = sign_in(&admin_http, &base, email, password).await?;
            let codes = create_enrolments(&admin_http, &base, &session, options.devices).await?;
            (codes, Some(session))
        }
    };
    if options.drain && session.is_none() {
        return Err(LoadError::DrainNeedsAdmin);
    }
    writeln!(
        out,
        "letsema load: {} submissions from {} phones against {} (seed {}){}",
        options.submissions,
        options.devices,
        bases.join(", "),
        options.seed,
        match &addresses {
            Some(a) => format!(
                ", from {} loopback addresses ({} phones each)",
                a.len(),
                options.phones_per_address
            ),
            None => String::new(),
        }
    )?;

    // Enrol and capture.
    let started = Instant::now();
    let mut phones = Vec::with_capacity(options.devices);
    for index in 0..options.devices {
        let http = client_of(index);
        let code = &codes[(index / USES_PER_ENROLMENT).min(codes.len() - 1)];
        let mut jitter = Jitter::new(options.seed ^ (index as u64).rotate_left(32));
        // The per-address rate limit on enrolment answers 429 with Retry-After: wait as told.
        let policy = RetryPolicy {
            max_attempts: 100,
            ..RetryPolicy::default()
        };
        let label = format!("load test phone {index}");
        // Each phone talks to one server, in turn, from enrolment on.
        let server = bases[index % bases.len()].clone();
        let enrolled = enrol_device(&http, &server, code, Some(&label), &policy, &mut jitter)
            .await
            .map_err(|source| LoadError::Enrol { index, source })?;
        let credential = enrolled.credential;
        let association = AssociationId::parse(&enrolled.device.association)
            .map_err(LoadError::BadAssociation)?;
        let writer = Writer::new(
            DeviceId::parse(&enrolled.device.id).map_err(LoadError::BadDeviceId)?,
            SessionId::from_bytes(&(options.seed ^ index as u64).to_le_bytes())?,
            None,
        );
        let mut client = Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new());
        let share = options.submissions / options.devices
            + usize::from(index < options.submissions % options.devices);
        // A day's work captured before the phones came back: each phone's submissions 3 to 15
        // minutes apart, the last no later than now, so that what a load adds is newer than
        // what earlier loads left (their ids, version 7, start with the time).
        let captured_from = Timestamp(wall_clock_ms() - share as i64 * MAX_CAPTURE_GAP_MS);
        let mut generator =
            letsema_workload::Generator::new(options.seed.wrapping_add(index as u64));
        let docs = generator.submissions_in(share, &writer, Some(&association), captured_from)?;
        for mut doc in docs {
            client.save_document(&mut doc)?;
        }
        phones.push(Phone {
            server,
            credential,
            client,
            http,
            jitter,
        });
    }
    writeln!(
        out,
        "enrol + capture     {:>6} phones {:>8.0} ms",
        options.devices,
        started.elapsed().as_secs_f64() * 1000.0
    )?;

    // Each phase: its name, the share of documents edited before it, and how many rounds it
    // runs. A no-op sync takes a few milliseconds, so one round says little: that phase is
    // the median of several.
    let all_phases: [(&str, Option<f64>, usize); 3] = [
        ("first sync", None, 1),
        ("no-op sync", None, NO_OP_ROUNDS),
        ("edit 10% + sync", Some(0.10), 1),
    ];
    let phases = if options.first_sync_only {
        &all_phases[..1]
    } else {
        &all_phases[..]
    };
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for &(name, edit_share, rounds) in phases {
        if let Some(share) = edit_share {
            for (index, phone) in phones.iter_mut().enumerate() {
                edit(phone, share, options.seed.wrapping_add(1000 + index as u64))?;
            }
        }
        let mut runs = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            runs.push(sync_round(name, &mut phones, options.server_pid, &mut failures).await?);
        }
        let phase = PhaseReport::median_of(runs);
        writeln!(out, "{}", phase.line())?;
        reports.push(phase);
    }
    let drained = match (&session, options.drain) {
        (Some(session), true) => {
            let drained = drain(&admin_http, &base, session).await?;
            writeln!(out, "{}", drained.line())?;
            Some(drained)
        }
        _ => None,
    };
    if let Some(path) = &options.json {
        let json = serde_json::json!({
            "url": base,
            "urls": bases,
            "submissions": options.submissions,
            "devices": options.devices,
            "seed": options.seed,
            "source_addresses": addresses.as_ref().map_or(1, Vec::len),
            "phases": reports.iter().map(PhaseReport::json).collect::<Vec<_>>(),
            "validation": drained.as_ref().map(Drained::json),
        });
        let text = serde_json::to_string_pretty(&json)?;
        if path.as_os_str() == "-" {
            writeln!(out, "{text}")?;
        } else {
            std::fs::write(path, text + "\n").map_err(|source| LoadError::WriteJson {
                path: path.clone(),
                source,
            })?;
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(LoadError::PhoneSyncsFailed { failures })
    }
}

/// One phone's sync in a phase.
struct PhoneRun {
    traffic: Traffic,
    /// From the phase's start until the phone was done.
    done_ms: f64,
}

/// How many times the no-op phase runs; its figures are those of the median round.
const NO_OP_ROUNDS: usize = 5;

/// Every phone syncs once, all at once; what the round took.
async fn sync_round(
    name: &'static str,
    phones: &mut Vec<Phone>,
    server_pid: Option<u32>,
    failures: &mut Vec<PhoneFailure>,
) -> Result<PhaseReport, LoadError> {
    // Each phone makes its first request (encoding what it pushes) on its own processor:
    // here, before the clock starts, so that the time is the server's.
    let preparing = Instant::now();
    let mut firsts = Vec::with_capacity(phones.len());
    for phone in phones.iter_mut() {
        phone.client.start_sync();
        firsts.push(phone.client.next_request()?);
    }
    let prepared_ms = preparing.elapsed().as_secs_f64() * 1000.0;
    let memory = MemoryWatch::start(server_pid);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (phone, first) in phones.drain(..).zip(firsts) {
        tasks.push(tokio::spawn(async move {
            sync_phone(phone, first, started).await
        }));
    }
    let mut phase = PhaseReport {
        name,
        ..PhaseReport::default()
    };
    for task in tasks {
        let (phone, result) = task.await.map_err(LoadError::Task)?;
        match result {
            Ok(run) => {
                phase.add(&run.traffic);
                phase.request_ms.extend(run.traffic.latencies_ms.iter());
                phase.phone_ms.push(run.done_ms);
            }
            Err(error) => {
                phase.errors += 1;
                failures.push(PhoneFailure { phase: name, error });
            }
        }
        phones.push(phone);
    }
    phase.ms = started.elapsed().as_secs_f64() * 1000.0;
    phase.server_peak_rss = memory.finish().await;
    phase.prepared_ms = prepared_ms;
    phase.round_ms = vec![phase.ms];
    Ok(phase)
}

/// Runs one phone's sync, whose first request is made, to the end; gives the phone back
/// whatever happened.
async fn sync_phone(
    mut phone: Phone,
    first: Option<Vec<u8>>,
    phase_started: Instant,
) -> (Phone, Result<PhoneRun, RemoteError>) {
    let who = SyncAs::Device(phone.credential.clone());
    let result = sync_from(
        &phone.http,
        &phone.server,
        &who,
        &mut phone.client,
        first,
        &retry_policy(),
        &mut phone.jitter,
    )
    .await
    .map(|traffic| PhoneRun {
        traffic,
        done_ms: phase_started.elapsed().as_secs_f64() * 1000.0,
    });
    (phone, result)
}

/// The figures of one phase.
#[derive(Debug, Default)]
struct PhaseReport {
    name: &'static str,
    requests: u64,
    bytes_up: u64,
    bytes_down: u64,
    documents: u64,
    retries: u64,
    errors: u64,
    ms: f64,
    prepared_ms: f64,
    request_ms: Vec<f64>,
    phone_ms: Vec<f64>,
    server_peak_rss: Option<u64>,
    /// Each round's time, when the phase ran several (in the order they ran).
    round_ms: Vec<f64>,
}

impl PhaseReport {
    /// The round of median time, with the errors and retries of every round (none is
    /// hidden) and the highest peak memory.
    fn median_of(mut rounds: Vec<PhaseReport>) -> PhaseReport {
        let round_ms: Vec<f64> = rounds.iter().map(|round| round.ms).collect();
        let errors = rounds.iter().map(|round| round.errors).sum();
        let retries = rounds.iter().map(|round| round.retries).sum();
        let peak = rounds
            .iter()
            .filter_map(|round| round.server_peak_rss)
            .max();
        rounds.sort_by(|a, b| a.ms.total_cmp(&b.ms));
        let mut median = rounds.swap_remove(rounds.len() / 2);
        median.errors = errors;
        median.retries = retries;
        median.server_peak_rss = peak;
        median.round_ms = round_ms;
        median
    }

    fn add(&mut self, traffic: &Traffic) {
        self.requests += traffic.requests;
        self.bytes_up += traffic.bytes_up;
        self.bytes_down += traffic.bytes_down;
        self.documents += traffic.documents;
        self.retries += traffic.retries;
    }

    fn per_second(&self) -> f64 {
        per_second(self.documents, self.ms)
    }

    fn line(&self) -> String {
        let memory = self
            .server_peak_rss
            .map(|bytes| format!("; server peak RSS {:.0} MB", bytes as f64 / 1e6))
            .unwrap_or_default();
        format!(
            "{:<19} {:>6} requests {:>10} B up {:>10} B down {:>8.0} ms  {:>6} documents \
             acknowledged ({:.0}/s; first requests made beforehand in {:.0} ms)\n    \
             request ms {}; phone done ms {}; {} retried, {} failed{memory}",
            self.name,
            self.requests,
            self.bytes_up,
            self.bytes_down,
            self.ms,
            self.documents,
            self.per_second(),
            self.prepared_ms,
            Percentiles::of(&self.request_ms),
            Percentiles::of(&self.phone_ms),
            self.retries,
            self.errors,
        ) + &self.rounds_line()
    }

    /// "; median of 5 rounds: 3.1 3.4 ... ms" when the phase ran several.
    fn rounds_line(&self) -> String {
        if self.round_ms.len() < 2 {
            return String::new();
        }
        let times: Vec<String> = self.round_ms.iter().map(|ms| format!("{ms:.1}")).collect();
        format!(
            "\n    median of {} rounds: {} ms (counts and percentiles are the median round's; \
             retries and failures are all rounds')",
            self.round_ms.len(),
            times.join(" ")
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "phase": self.name,
            "requests": self.requests,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "documents": self.documents,
            "ms": self.ms,
            "per_second": self.per_second(),
            "retries": self.retries,
            "errors": self.errors,
            "prepared_ms": self.prepared_ms,
            "request_ms": Percentiles::of(&self.request_ms).json(),
            "phone_done_ms": Percentiles::of(&self.phone_ms).json(),
            "server_peak_rss_bytes": self.server_peak_rss,
            "round_ms": self.round_ms,
        })
    }
}

/// `count` things in `ms` milliseconds, per second (0 for no time at all).
fn per_second(count: u64, ms: f64) -> f64 {
    if ms > 0.0 {
        count as f64 * 1000.0 / ms
    } else {
        0.0
    }
}

/// p50, p90, p99 and the maximum of some durations in milliseconds (nearest rank).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl Percentiles {
    fn of(values: &[f64]) -> Percentiles {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let rank = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            // Nearest rank: the smallest value with at least p of them at or below it.
            let n = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[n - 1]
        };
        Percentiles {
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: rank(1.0),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({ "p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max })
    }
}

impl std::fmt::Display for Percentiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {:.0} p90 {:.0} p99 {:.0} max {:.0}",
            self.p50, self.p90, self.p99, self.max
        )
    }
}

/// The server's peak resident memory over a phase, from `/proc/PID/status`: its high-water
/// mark (`VmHWM`) reset at the start where the kernel lets us (`/proc/PID/clear_refs`), and
/// otherwise the most resident memory (`VmRSS`) seen every 10 ms.
enum MemoryWatch {
    /// No process to watch.
    Off,
    /// Its high-water mark was reset: read it at the end.
    HighWater(u32),
    /// Its resident memory is sampled until told to stop.
    Sampling {
        stop: tokio::sync::oneshot::Sender<()>,
        most: tokio::task::JoinHandle<u64>,
    },
}

impl MemoryWatch {
    fn start(pid: Option<u32>) -> MemoryWatch {
        let Some(pid) = pid else {
            return MemoryWatch::Off;
        };
        if std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok() {
            return MemoryWatch::HighWater(pid);
        }
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let most = tokio::spawn(async move {
            let mut most = 0;
            loop {
                if let Some(memory) = ProcessMemory::of_process(pid) {
                    most = most.max(memory.resident);
                }
                tokio::select! {
                    _ = &mut stopped => return most,
                    () = tokio::time::sleep(Duration::from_millis(10)) => {}
                }
            }
        });
        MemoryWatch::Sampling { stop, most }
    }

    async fn finish(self) -> Option<u64> {
        match self {
            MemoryWatch::Off => None,
            MemoryWatch::HighWater(pid) => {
                ProcessMemory::of_process(pid).map(|memory| memory.peak_resident)
            }
            MemoryWatch::Sampling { stop, most } => {
                let _ = stop.send(());
                most.await.ok()
            }
        }
    }
}

/// The longest gap between two submissions of one phone in
/// [`letsema_workload::Generator::submissions_in`].
const MAX_CAPTURE_GAP_MS: i64 = 15 * 60_000;

/// Now, in Unix milliseconds.
fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

fn edit(phone: &mut Phone, share: f64, seed: u64) -> Result<(), LoadError> {
    let ids = phone.client.store().doc_ids();
    let count = ((ids.len() as f64) * share).round() as usize;
    let mut generator = letsema_workload::Generator::new(seed);
    for id in ids.into_iter().take(count) {
        let Some(mut doc) = phone.client.open_document(id)? else {
            continue;
        };
        // Members who declined consent have nothing to edit.
        if generator
            .edit_one_field(&mut doc, Timestamp(wall_clock_ms()))
            .is_ok()
        {
            phone.client.save_document(&mut doc)?;
        }
    }
    Ok(())
}

/// How the server's validation queue drained.
#[derive(Debug, Clone, Copy)]
struct Drained {
    /// Submissions waiting when the phases ended.
    pending: u64,
    /// Until none waited.
    ms: f64,
}

impl Drained {
    fn per_second(&self) -> f64 {
        per_second(self.pending, self.ms)
    }

    fn line(&self) -> String {
        format!(
            "validation          {:>6} waiting when the syncs ended, all validated in {:.0} ms ({:.0}/s)",
            self.pending,
            self.ms,
            self.per_second()
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "pending": self.pending,
            "ms": self.ms,
            "per_second": self.per_second(),
        })
    }
}

/// The longest `--drain` waits for the validation queue to empty.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(3600);

/// Polls the server's `/metrics` every 50 ms until its validation queue is empty.
async fn drain(
    http: &reqwest::Client,
    base: &str,
    session: &StaffSession,
) -> Result<Drained, LoadError> {
    let started = Instant::now();
    let mut pending = None;
    loop {
        let response = http
            .get(format!("{base}/metrics"))
            .header("cookie", &session.cookie)
            .send()
            .await
            .map_err(|source| LoadError::MetricsUnreachable {
                base: base.to_owned(),
                source,
            })?;
        let status = response.status();
        let text = response.text().await.map_err(LoadError::ReadMetrics)?;
        if !status.is_success() {
            return Err(LoadError::MetricsRefused { status, body: text });
        }
        let queue = text
            .lines()
            .find_map(|line| line.strip_prefix("letsema_validation_queue "))
            .and_then(|value| value.trim().parse::<u64>().ok())
            .ok_or(LoadError::NoQueueMetric)?;
        let first = *pending.get_or_insert(queue);
        if queue == 0 {
            return Ok(Drained {
                pending: first,
                ms: started.elapsed().as_secs_f64() * 1000.0,
            });
        }
        if started.elapsed() > DRAIN_TIMEOUT {
            return Err(LoadError::DrainTimeout { queue });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates enrolments for `devices` phones, at most [`USES_PER_ENROLMENT`] each.
async fn create_enrolments(
    http: &reqwest::Client,
    base: &str,
    session: &StaffSession,
    devices: usize,
) -> Result<Vec<String>, LoadError> {
    let count = devices.div_ceil(USES_PER_ENROLMENT);
    let mut codes = Vec::with_capacity(count);
    let mut left = devices;
    while left > 0 {
        let uses = left.min(USES_PER_ENROLMENT);
        left -= uses;
        let enrolment = NewEnrolment {
            association: "load-test",
            forms: &["diaspora_registration"],
            uses,
            expires_in_hours: Some(1),
            label: Some(format!("letsema load ({} of {count})", codes.len() + 1)),
        };
        let code = create_enrolment(http, base, session, &enrolment)
            .await
            .map_err(LoadError::CreateEnrolment)?;
        codes.push(code);
    }
    Ok(codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = Percentiles::of(&values);
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        let one = Percentiles::of(&[7.0]);
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
        let none = Percentiles::of(&[]);
        assert_eq!(none.max, 0.0);
    }

    #[test]
    fn phones_on_the_loopback_are_spread_over_loopback_addresses() {
        let spread = source_addresses("http://127.0.0.1:8080", 1000, 16).expect("loopback");
        assert_eq!(spread.len(), 63);
        assert_eq!(spread[0], IpAddr::from([127, 0, 0, 2]));
        assert_eq!(spread[62], IpAddr::from([127, 0, 0, 64]));
        assert!(spread.iter().all(IpAddr::is_loopback));
        let many = source_addresses("http://localhost:8080", 16 * 300, 16).expect("loopback");
        assert_eq!(many[299], IpAddr::from([127, 0, 1, 45]));
        assert_eq!(
            source_addresses("https://letsema.example.org", 1000, 16),
            None
        );
        assert_eq!(source_addresses("http://192.0.2.1:8080", 1000, 16), None);
    }

    #[test]
    fn failed_syncs_are_counted_and_the_first_five_shown() {
        let failures: Vec<PhoneFailure> = (0..7)
            .map(|n| PhoneFailure {
                phase: if n < 6 { "first sync" } else { "no-op sync" },
                error: RemoteError::Endless,
            })
            .collect();
        let error = LoadError::PhoneSyncsFailed { failures };
        let endless = "the sync does not end: stopped after 10000 requests";
        assert_eq!(
            error.to_string(),
            format!(
                "7 phone syncs failed; the first: {}",
                vec![format!("first sync: {endless}"); 5].join("; ")
            )
        );
    }

    #[test]
    fn a_load_without_phones_or_submissions_is_refused_before_any_request() {
        let options = LoadOptions {
            urls: vec!["http://127.0.0.1:9".to_owned()],
            submissions: 10,
            devices: 0,
            seed: 1,
            enrolment: Enrolment::Link("code".to_owned()),
            ca_cert: None,
            phones_per_address: PHONES_PER_ADDRESS,
            server_pid: None,
            json: None,
            first_sync_only: true,
            drain: false,
        };
        assert!(matches!(
            run(&options, &mut Vec::new()),
            Err(LoadError::NothingToDo)
        ));
        let options = LoadOptions {
            devices: 1,
            phones_per_address: 0,
            ..options
        };
        assert!(matches!(
            run(&options, &mut Vec::new()),
            Err(LoadError::NoPhonesPerAddress)
        ));
    }

    #[test]
    fn jitter_draws_are_in_the_unit_interval_and_reproducible() {
        let mut a = Jitter::new(3);
        let mut b = Jitter::new(3);
        for _ in 0..1000 {
            let x = a.draw();
            assert!((0.0..1.0).contains(&x));
            assert_eq!(x, b.draw());
        }
    }
}
