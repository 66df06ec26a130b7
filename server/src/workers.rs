//! A fixed pool of threads for the sync work (decoding, automerge, the database), one per
//! core.
//!
//! Sync requests used to run on tokio's blocking pool, which grows to hundreds of threads
//! under load. Each thread keeps its own allocator heap, and memory freed on one is slow to
//! be reused by another: 64 concurrent pushes took the server to about 500 MB although only
//! two ran at a time. A pool of as many threads as cores bounds both the work done at once
//! and the heaps it is done on; requests wait in the pool's queue (their bodies within the
//! sync route's budget of body memory).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};

type Job = Box<dyn FnOnce() + Send>;

/// The pool. Dropping it (with the last clone of its handle) lets its threads end once the
/// queue is empty.
#[derive(Debug)]
pub struct Workers {
    queue: Mutex<Sender<Job>>,
    threads: usize,
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
        }
    }

    /// One thread per core.
    pub fn per_core(name: &str) -> Workers {
        Workers::new(
            name,
            std::thread::available_parallelism().map_or(1, usize::from),
        )
    }

    /// How many threads the pool has.
    pub fn threads(&self) -> usize {
        self.threads
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
        let job: Job = Box::new(move || {
            let _ = done.send(catch_unwind(AssertUnwindSafe(work)));
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
}
