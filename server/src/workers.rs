//! A fixed pool of threads for the sync work (decoding, automerge, the database), one per
//! core.
//!
//! Sync requests used to run on tokio's blocking pool, which grows to hundreds of threads
//! under load. Each thread keeps its own allocator heap, and memory freed on one is slow to
//! be reused by another: 64 concurrent pushes took the server to about 500 MB although only
//! two ran at a time. A pool of as many threads as cores bounds both the work done at once
//! and the heaps it is done on; requests wait in the pool's queue (their bodies within the
//! sync route's budget of body memory).
//!
//! In front of the pool stands a bounded queue: [`Workers::admit`] lets a request in while
//! fewer than the queue's capacity are admitted (reading their bodies, waiting, or being
//! worked on) and the wait it would face is short; otherwise it is turned away at once with
//! an estimate of when to come back ([`Full::retry_after`], the route's `503` with
//! `Retry-After`). A turned-away request has cost the server nothing but its headers, and
//! however many phones reconnect at once, the server holds at most the queue's requests.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send>;

/// The pool. Dropping it (with the last clone of its handle) lets its threads end once the
/// queue is empty.
#[derive(Debug)]
pub struct Workers {
    queue: Mutex<Sender<Job>>,
    threads: usize,
    admission: Admission,
    /// How long one job takes, for the wait estimate.
    timing: Arc<JobTiming>,
}

/// How fast the pool works through jobs: a moving average of the time between two jobs'
/// ends (each new interval counts for an eighth), in microseconds, across all threads. It
/// measures what the pool achieves, waits for the database and contention included, so
/// the requests ahead of a new one times this interval is its expected wait. Updated
/// without a lock; two jobs ending at once may lose one sample, which an estimate can
/// afford.
#[derive(Debug)]
struct JobTiming {
    interval_micros: AtomicU64,
    /// When the last job ended, in microseconds since `epoch`.
    last_end: AtomicU64,
    epoch: Instant,
}

impl Default for JobTiming {
    fn default() -> Self {
        JobTiming {
            interval_micros: AtomicU64::new(0),
            last_end: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }
}

impl JobTiming {
    /// A job ended after running for `took`.
    fn record(&self, took: Duration) {
        let now = u64::try_from(self.epoch.elapsed().as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let last = self.last_end.swap(now, Ordering::Relaxed);
        // After an idle spell, the gap since the last job says nothing of the pool's pace:
        // a job's own time is then the interval.
        let sample = if last == 0 {
            took
        } else {
            now.saturating_sub(last).min(took)
        }
        .max(1);
        let old = self.interval_micros.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            old - old / 8 + sample / 8
        };
        self.interval_micros.store(new.max(1), Ordering::Relaxed);
    }

    fn interval_micros(&self) -> u64 {
        self.interval_micros.load(Ordering::Relaxed)
    }
}

/// How many requests the queue in front of the pool holds, and how long a wait it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Requests admitted at once, at most: reading their bodies, waiting for a thread or
    /// being worked on.
    pub capacity: usize,
    /// The longest wait a newly admitted request may expect (the requests ahead of it times
    /// the pool's interval between jobs); past it, requests are turned away even below the
    /// capacity.
    pub max_wait: Duration,
}

impl QueueLimits {
    /// Requests admitted per worker thread by default. A phone's request waiting in the
    /// queue holds its body (a few KiB for a day's registrations, and all of them within
    /// the sync route's body budget) and a task's few KiB; a thousand cost a few megabytes.
    pub const PER_THREAD: usize = 512;

    /// The default for `threads` threads: [`Self::PER_THREAD`] each, and at most 30 s of
    /// expected wait (within a client's patience: phones wait as long as it takes, and
    /// `letsema load` two minutes; beyond it a retry later costs less than a connection
    /// held).
    pub fn for_threads(threads: usize) -> QueueLimits {
        QueueLimits {
            capacity: threads.max(1).saturating_mul(Self::PER_THREAD),
            max_wait: Duration::from_secs(30),
        }
    }
}

#[derive(Debug)]
struct Admission {
    limits: QueueLimits,
    admitted: Arc<AtomicUsize>,
}

/// A request let into the queue; its place is given back when this is dropped.
#[derive(Debug)]
pub struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The queue is full: come back after `retry_after`, when there should be room again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sync queue is full: try again in {} s", retry_after.as_secs())]
pub struct Full {
    /// About when enough of the requests now queued will have been worked through for one
    /// more to be admitted (at least a second, at most a minute).
    pub retry_after: Duration,
}

/// The work panicked; the worker thread lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the work panicked")]
pub struct Panicked;

impl Workers {
    /// A pool of `threads` threads (at least one) named `name-N`.
    ///
    /// # Panics
    ///
    /// When the operating system refuses to start a thread, at start-up.
    pub fn new(name: &str, threads: usize) -> Workers {
        Workers::with_queue(name, threads, QueueLimits::for_threads(threads))
    }

    /// A pool of `threads` threads with this queue in front.
    ///
    /// # Panics
    ///
    /// As [`Workers::new`].
    pub fn with_queue(name: &str, threads: usize, limits: QueueLimits) -> Workers {
        let threads = threads.max(1);
        let (queue, jobs) = channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for n in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || work(&jobs))
                .unwrap_or_else(|error| panic!("cannot start a worker thread: {error}"));
        }
        Workers {
            queue: Mutex::new(queue),
            threads,
            admission: Admission {
                limits,
                admitted: Arc::default(),
            },
            timing: Arc::default(),
        }
    }

    /// One thread per core, and the default queue ([`QueueLimits::for_threads`]).
    pub fn per_core(name: &str) -> Workers {
        Workers::new(name, cores())
    }

    /// How many threads the pool has.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The queue's limits.
    pub fn queue_limits(&self) -> QueueLimits {
        self.admission.limits
    }

    /// Requests admitted now (reading, waiting or being worked on).
    pub fn admitted(&self) -> usize {
        self.admission.admitted.load(Ordering::SeqCst)
    }

    /// How long a request admitted now would wait, as far as the pool can tell: the
    /// requests ahead of it times the pool's average interval between two jobs' ends.
    pub fn expected_wait(&self) -> Duration {
        self.wait_behind(self.admitted())
    }

    fn wait_behind(&self, ahead: usize) -> Duration {
        let interval = self.timing.interval_micros();
        let ahead = u64::try_from(ahead).unwrap_or(u64::MAX);
        Duration::from_micros(ahead.saturating_mul(interval))
    }

    /// Lets one more request into the queue, or turns it away when the queue holds its
    /// capacity or the wait would exceed its limit.
    ///
    /// # Errors
    ///
    /// [`Full`], with about when to come back.
    pub fn admit(&self) -> Result<Admitted, Full> {
        let Admission { limits, admitted } = &self.admission;
        let before = admitted.fetch_add(1, Ordering::SeqCst);
        let place = Admitted(admitted.clone());
        let wait = self.wait_behind(before);
        if before < limits.capacity && wait <= limits.max_wait {
            return Ok(place);
        }
        drop(place);
        // Come back when there would be room: when enough of the requests ahead have been
        // worked through for the queue to be below its capacity and its wait within the
        // limit, not when the whole queue is gone (which would leave the workers idle).
        let over_capacity = self.wait_behind((before + 1).saturating_sub(limits.capacity));
        let over_wait = wait.saturating_sub(limits.max_wait);
        let until_room = over_capacity.max(over_wait);
        // In whole seconds (the header's unit), rounded up, at least one, at most a minute.
        let seconds = crate::limits::retry_after_seconds(until_room).min(60);
        Err(Full {
            retry_after: Duration::from_secs(seconds),
        })
    }

    /// Runs `work` on one of the pool's threads when one is free, and returns its result.
    ///
    /// # Errors
    ///
    /// [`Panicked`] when `work` panicked (or, which cannot happen while the pool lives, when
    /// no thread took it).
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Panicked> {
        let (done, result) = tokio::sync::oneshot::channel();
        let timing = Arc::clone(&self.timing);
        let job: Job = Box::new(move || {
            let started = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(work));
            // Timed before the answer leaves, so a caller that reads the pace after its job
            // sees its own job counted.
            timing.record(started.elapsed());
            let _ = done.send(result);
        });
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(job)
            .map_err(|_| Panicked)?;
        match result.await {
            Ok(Ok(value)) => Ok(value),
            _ => Err(Panicked),
        }
    }
}

/// The machine's cores (1 when unknown).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, not while running it.
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn work_runs_on_the_pools_threads_at_most_as_many_at_once() {
        let workers = Arc::new(Workers::new("test-worker", 2));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let workers = workers.clone();
            let running = running.clone();
            let most = most.clone();
            tasks.push(tokio::spawn(async move {
                workers
                    .run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                        std::thread::current().name().map(str::to_owned)
                    })
                    .await
            }));
        }
        let mut names = HashSet::new();
        for task in tasks {
            names.insert(task.await.expect("a task").expect("no panic"));
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert!(names.len() <= 2, "{names:?}");
        assert!(names.iter().all(|name| {
            name.as_deref()
                .is_some_and(|n| n.starts_with("test-worker-"))
        }));
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_the_thread_works_on() {
        let workers = Workers::new("test-panics", 1);
        assert_eq!(
            workers.run(|| -> u8 { panic!("hostile input") }).await,
            Err(Panicked)
        );
        assert_eq!(workers.run(|| 7).await, Ok(7));
    }

    #[test]
    fn the_queue_admits_up_to_its_capacity_and_a_place_given_back_admits_one_more() {
        let workers = Workers::with_queue(
            "test-queue",
            1,
            QueueLimits {
                capacity: 3,
                max_wait: Duration::from_secs(60),
            },
        );
        let held: Vec<Admitted> = (0..3).map(|_| workers.admit().expect("room")).collect();
        assert_eq!(workers.admitted(), 3);
        let full = workers.admit().expect_err("the queue is full");
        assert_eq!(
            full.retry_after,
            Duration::from_secs(1),
            "at least a second"
        );
        assert_eq!(workers.admitted(), 3, "a refusal holds no place");
        drop(held);
        assert_eq!(workers.admitted(), 0);
        let _again = workers.admit().expect("room again");
    }

    #[test]
    fn a_long_expected_wait_turns_requests_away_and_says_when_to_come_back() {
        let workers = Workers::with_queue(
            "test-wait",
            2,
            QueueLimits {
                capacity: 1000,
                max_wait: Duration::from_secs(2),
            },
        );
        workers.timing.record(Duration::from_millis(250));
        // Five admitted, a job ending every 0.25 s: a sixth would wait 1.25 s.
        let held: Vec<Admitted> = (0..5).map(|_| workers.admit().expect("room")).collect();
        assert_eq!(workers.expected_wait(), Duration::from_millis(1250));
        let more: Vec<Admitted> = (0..4).map(|_| workers.admit().expect("room")).collect();
        // Nine ahead: 2.25 s, past the 2 s limit by 0.25 s; come back in a second.
        assert_eq!(
            workers.admit().expect_err("too long a wait").retry_after,
            Duration::from_secs(1)
        );
        // A slower pool, a job ending every second: 9 s ahead, 7 s too long.
        workers
            .timing
            .interval_micros
            .store(1_000_000, Ordering::Relaxed);
        assert_eq!(
            workers.admit().expect_err("too long a wait").retry_after,
            Duration::from_secs(7)
        );
        drop((held, more));
        assert!(workers.admit().is_ok());
    }

    #[tokio::test]
    async fn the_interval_between_jobs_follows_the_pace_of_the_work() {
        let workers = Workers::new("test-timing", 1);
        for _ in 0..3 {
            workers
                .run(|| std::thread::sleep(Duration::from_millis(20)))
                .await
                .expect("no panic");
        }
        let interval = Duration::from_micros(workers.timing.interval_micros());
        assert!(
            interval >= Duration::from_millis(15) && interval < Duration::from_millis(500),
            "{interval:?}"
        );
        // An idle spell does not make the pool look slow.
        tokio::time::sleep(Duration::from_millis(300)).await;
        workers.run(|| ()).await.expect("no panic");
        let after = Duration::from_micros(workers.timing.interval_micros());
        assert!(after <= interval, "{after:?} after {interval:?}");
    }
}
