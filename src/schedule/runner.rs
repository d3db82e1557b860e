//! The job runner (uitvoerder): claims due runs from the durable job table, hands each to the
//! async handler registered for its job, records the outcome, and enqueues follow-up jobs
//! (evaluate after each sync). One claimed run is one unit of work; shutdown waits for it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::clock::Clock;
use super::error::ScheduleError;
use super::{JOB_EVALUATE, JOB_FULL_RECONCILE, JOB_GKV_SNAPSHOT, JOB_SYNC};
use crate::store::{JobRun, OpsStore, StoreError};

/// Why a handler's run failed, for operators (English; never a pupil name or a secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JobFailure(pub String);

/// The future a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<(), JobFailure>> + Send>>;

type Handler = Arc<dyn Fn(JobRun) -> HandlerFuture + Send + Sync>;

/// What [`Runner::run_next`] did with one claimed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The run as claimed.
    pub run: JobRun,
    /// The handler's result (a missing handler or a panic is a failure too).
    pub result: Result<(), JobFailure>,
    /// Follow-up jobs newly enqueued for the run's slot (empty when they already were).
    pub follow_ups: Vec<String>,
}

/// Claims job runs and dispatches them to registered handlers.
#[derive(Clone)]
pub struct Runner {
    worker: String,
    handlers: HashMap<String, Handler>,
    follow_ups: HashMap<String, Vec<String>>,
    idle_poll: Duration,
    retry_after: Duration,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut jobs: Vec<&String> = self.handlers.keys().collect();
        jobs.sort();
        f.debug_struct("Runner")
            .field("worker", &self.worker)
            .field("jobs", &jobs)
            .field("follow_ups", &self.follow_ups)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A runner without handlers that claims under the name `worker` (unique per process, such
    /// as `host:pid`), polls every 5 s when idle and retries a failed claim after 5 s.
    pub fn new(worker: impl Into<String>) -> Self {
        Self {
            worker: worker.into(),
            handlers: HashMap::new(),
            follow_ups: HashMap::new(),
            idle_poll: Duration::from_secs(5),
            retry_after: Duration::from_secs(5),
        }
    }

    /// Sets how long an idle runner waits before it looks for due runs again.
    pub fn with_idle_poll(mut self, idle_poll: Duration) -> Self {
        self.idle_poll = idle_poll;
        self
    }

    /// Registers the handler for `job` (replacing an earlier one).
    pub fn with_handler<F, Fut>(mut self, job: &str, handler: F) -> Self
    where
        F: Fn(JobRun) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), JobFailure>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |run| Box::pin(handler(run)));
        self.handlers.insert(job.to_owned(), handler);
        self
    }

    /// After each successful run of `after`, enqueues `then` for the same slot: deduplicated
    /// like any slot, so two runs for one slot never produce two follow-ups.
    pub fn with_follow_up(mut self, after: &str, then: &str) -> Self {
        self.follow_ups
            .entry(after.to_owned())
            .or_default()
            .push(then.to_owned());
        self
    }

    /// The default chain: evaluate (rules) after each sync and each GKV snapshot.
    pub fn with_default_follow_ups(self) -> Self {
        self.with_follow_up(JOB_SYNC, JOB_EVALUATE)
            .with_follow_up(JOB_GKV_SNAPSHOT, JOB_EVALUATE)
            .with_follow_up(JOB_FULL_RECONCILE, JOB_EVALUATE)
    }

    /// The worker name runs are claimed under.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Claims the oldest due run at `now` and runs it to the end; `None` when nothing is due.
    /// Follow-ups are enqueued before the run is marked done, so a crash in between re-runs the
    /// job (after its lease) rather than losing the follow-up.
    pub async fn run_next<Q: OpsStore + ?Sized>(
        &self,
        queue: &Q,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<RunOutcome>, ScheduleError> {
        let Some(run) = queue.claim_job(now, &self.worker).await? else {
            return Ok(None);
        };
        info!(job = %run.job, scheduled_at = %run.scheduled_at, attempt = run.attempts, "job started");
        let result = match self.handlers.get(&run.job) {
            // A spawned task turns a panicking handler into a failed run instead of a dead runner.
            Some(handler) => match tokio::spawn(handler(run.clone())).await {
                Ok(result) => result,
                Err(join) => Err(JobFailure(format!("handler panicked or was cancelled: {join}"))),
            },
            None => Err(JobFailure(format!("no handler registered for job {}", run.job))),
        };
        let mut follow_ups = Vec::new();
        if result.is_ok() {
            for then in self.follow_ups.get(&run.job).into_iter().flatten() {
                if queue.enqueue_job(then, run.scheduled_at).await? {
                    follow_ups.push(then.clone());
                }
            }
        }
        let outcome = result.as_ref().map(|_| ()).map_err(|failure| failure.0.as_str());
        match queue.finish_job(run.id, &self.worker, outcome).await {
            Ok(()) => {}
            // The run outlasted its lease and another worker took it over: the outcome is that
            // worker's to record.
            Err(StoreError::LeaseLost(why)) => {
                warn!(job = %run.job, scheduled_at = %run.scheduled_at, %why,
                    "job run taken over by another worker; its outcome is not recorded");
            }
            Err(e) => return Err(e.into()),
        }
        match &result {
            Ok(()) => info!(job = %run.job, scheduled_at = %run.scheduled_at, ?follow_ups, "job done"),
            Err(failure) => warn!(job = %run.job, scheduled_at = %run.scheduled_at, %failure, "job failed"),
        }
        Ok(Some(RunOutcome {
            run,
            result,
            follow_ups,
        }))
    }

    /// Runs due jobs until `shutdown` is cancelled; checked between runs, so a run in progress
    /// finishes first. Store errors are logged and retried; they never end the loop.
    pub async fn run<Q: OpsStore + ?Sized>(&self, queue: &Q, clock: Clock, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let sleep = match self.run_next(queue, clock.now()).await {
                Ok(Some(_)) => continue,
                Ok(None) => self.idle_poll,
                Err(error) => {
                    warn!(%error, "job runner failed; retrying");
                    self.retry_after
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(sleep) => {}
            }
        }
        debug!(worker = %self.worker, "job runner stopped");
    }
}
