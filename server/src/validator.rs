//! The validator: after syncs commit, it judges what they changed with the form engine
//! ([`run_validator`]), in the gaps between syncs ([`SyncActivity`]), since a pass holds the
//! database while it writes and syncs come first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::store::{
    DuplicateStore, FormCache, FormStore, JudgedSubmission, PendingSubmission, SharedStore,
    ValidateError, ValidationStore, project,
};

/// How many documents one validation pass handles before letting others use the database.
pub const VALIDATION_BATCH: usize = 200;

/// How long no sync must run before a validation pass starts.
pub const VALIDATION_GAP: Duration = Duration::from_millis(100);
/// The longest a validation pass waits for such a gap: under continuous syncs, one batch
/// of `VALIDATION_BATCH` submissions is validated this often.
pub const VALIDATION_MAX_WAIT: Duration = Duration::from_secs(2);

/// Validates what syncs committed, whenever woken (and every minute, in case a wake-up was
/// missed), until aborted. Each pass runs on the blocking pool, in a gap between syncs
/// ([`VALIDATION_GAP`], waiting at most [`VALIDATION_MAX_WAIT`]): a pass holds the database,
/// and syncs come first. A pass during which no sync came is followed at once by the next:
/// a queue left after a busy evening drains at the engine's pace. What waits is the
/// `letsema_validation_queue` of `/metrics`.
pub async fn run_validator(store: SharedStore, wake: Arc<Notify>, activity: Arc<SyncActivity>) {
    let mut cache = FormCache::default();
    loop {
        // Syncs begun when the last pass started; `None` before the first pass.
        let mut begun_at_last_pass = None;
        loop {
            // After a pass during which no sync came, the next needs no gap: nobody waits.
            let quiet = activity.in_flight() == 0 && begun_at_last_pass == Some(activity.begun());
            if !quiet {
                activity.gap(VALIDATION_GAP, VALIDATION_MAX_WAIT).await;
            }
            begun_at_last_pass = Some(activity.begun());
            let pass_store = store.clone();
            let pass = tokio::task::spawn_blocking(move || {
                let result = validate_batch(&*pass_store, &mut cache);
                (cache, result)
            })
            .await;
            let Ok((returned, result)) = pass else {
                tracing::error!("a validation pass panicked; retrying in a minute");
                cache = FormCache::default();
                break;
            };
            cache = returned;
            match result {
                Ok(0) => break,
                Ok(count) => tracing::debug!(count, "validated submissions"),
                Err(error) => {
                    tracing::error!(%error, "validation failed; retrying in a minute");
                    break;
                }
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}
/// One validation pass over `store`: up to [`VALIDATION_BATCH`] pending documents judged
/// ([`judge`]) and their projections recorded; returns how many. The database is not held
/// while the form engine runs.
///
/// # Errors
///
/// When the store cannot give what is pending or record what was judged; nothing is then
/// taken off the queue.
pub fn validate_batch(
    store: &(impl ValidationStore + FormStore + DuplicateStore + ?Sized),
    cache: &mut FormCache,
) -> Result<usize, ValidateError> {
    let pending = store.pending(VALIDATION_BATCH)?;
    let count = pending.len();
    if count > 0 {
        let judged = judge(store, pending, cache);
        let written = store.record_verdicts(&judged)?;
        // After the keys are committed: see `store::duplicates`.
        let pairs = crate::duplicates::match_arrivals(store, &judged, &written)?;
        if pairs > 0 {
            tracing::debug!(pairs, "duplicate candidates found on arrival");
        }
    }
    Ok(count)
}

/// Judges pending documents with the form engine (`store::project`): each one loaded as the
/// store's cache has it, or else from its bytes; the forms compiled once into `cache`.
pub fn judge(
    store: &(impl ValidationStore + FormStore + ?Sized),
    pending: Vec<PendingSubmission>,
    cache: &mut FormCache,
) -> Vec<JudgedSubmission> {
    pending
        .into_iter()
        .map(|p| {
            let loaded = store.cached_document(p.doc_id, &p.heads);
            let mut projection = project(loaded, &p.bytes, cache, store);
            let keys = match projection.matching.as_mut() {
                Some(record) => {
                    record.id = p.doc_id.to_string();
                    letsema_match::blocking_keys(record)
                }
                None => Vec::new(),
            };
            JudgedSubmission {
                doc_id: p.doc_id,
                seq: p.seq,
                projection,
                keys,
            }
        })
        .collect()
}

/// The syncs being handled now, so that validation can run in the gaps between them
/// (see [`run_validator`]): a validation pass holds the database for a while, and a
/// sync that waits for it keeps a volunteer waiting.
#[derive(Debug, Default)]
pub struct SyncActivity {
    in_flight: AtomicUsize,
    /// Syncs begun since the start: tells a gap from two syncs back to back.
    begun: AtomicU64,
    idle: Notify,
}

/// A sync being handled; it ends when dropped.
#[derive(Debug)]
pub struct SyncInFlight(Arc<SyncActivity>);

impl SyncActivity {
    /// Counts a sync until the returned guard is dropped.
    pub fn begin(self: &Arc<Self>) -> SyncInFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.begun.fetch_add(1, Ordering::SeqCst);
        SyncInFlight(self.clone())
    }

    /// Syncs being handled now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Syncs begun since the start: unchanged between two moments, with none in flight,
    /// means no sync ran in between.
    pub fn begun(&self) -> u64 {
        self.begun.load(Ordering::SeqCst)
    }

    /// Waits for a gap: no sync handled for `gap`. Returns after `at_most` even without
    /// one, so that work waiting for a gap is never put off for ever.
    pub async fn gap(&self, gap: Duration, at_most: Duration) {
        let deadline = tokio::time::Instant::now() + at_most;
        loop {
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.in_flight() > 0 && tokio::time::timeout_at(deadline, idle).await.is_err() {
                return;
            }
            let begun = self.begun.load(Ordering::SeqCst);
            let until = (tokio::time::Instant::now() + gap).min(deadline);
            tokio::time::sleep_until(until).await;
            let quiet = self.in_flight() == 0 && self.begun.load(Ordering::SeqCst) == begun;
            if quiet || tokio::time::Instant::now() >= deadline {
                return;
            }
        }
    }
}

impl Drop for SyncInFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GAP: Duration = Duration::from_millis(100);

    #[tokio::test(start_paused = true)]
    async fn a_gap_is_a_while_without_any_sync() {
        let activity = Arc::new(SyncActivity::default());
        let started = tokio::time::Instant::now();
        activity.gap(GAP, Duration::from_secs(2)).await;
        assert_eq!(
            started.elapsed(),
            GAP,
            "idle from the start: one gap's wait"
        );

        let sync = activity.begin();
        let waiter = {
            let activity = activity.clone();
            tokio::spawn(async move {
                let started = tokio::time::Instant::now();
                activity.gap(GAP, Duration::from_secs(2)).await;
                started.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(sync);
        // A second sync starts within the gap: the wait goes on.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = activity.begin();
        tokio::time::sleep(Duration::from_millis(200)).await;
        drop(second);
        let waited = waiter.await.expect("the waiter ends");
        assert_eq!(waited, Duration::from_millis(300 + 50 + 200) + GAP);
    }

    #[tokio::test(start_paused = true)]
    async fn under_continuous_syncs_the_wait_ends_at_the_limit() {
        let activity = Arc::new(SyncActivity::default());
        let _busy = activity.begin();
        let started = tokio::time::Instant::now();
        activity.gap(GAP, Duration::from_secs(2)).await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
    }
}
