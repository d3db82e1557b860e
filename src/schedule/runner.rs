//! The job runner (uitvoerder): claims due runs from the durable job table, hands each to the
//! async handler registered for its job, records the outcome, and enqueues follow-up jobs
//! (evaluate after each sync). One claimed run is one unit of work; shutdown waits for it.
//!
//! Several daemons share one job table: a job registered as a *fan-out*
//! ([`Runner::with_fan_out`]) does no work itself but enqueues one run per part (`sync:11ZW` for
//! each school) at its own slot, and each part is claimed separately, so the parts spread over
//! every runner polling the table. A runner works on up to [`Runner::with_parallel`] runs at once
//! and renews the lease of each every third of [`Runner::with_lease`] while it runs; a run whose
//! lease was taken over is aborted and its outcome is not recorded.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::clock::Clock;
use super::error::ScheduleError;
use super::{JOB_EVALUATE, JOB_FULL_RECONCILE, JOB_GKV_SNAPSHOT, JOB_SYNC};
use crate::store::{JOB_LEASE_SECS, JobRun, OpsStore, StoreError};

/// A job name split into its base job and part: `sync:11ZW` is `("sync", Some("11ZW"))`, `digest`
/// is `("digest", None)`. A part is what a fan-out run enqueued (a school's BRIN).
pub fn job_part(job: &str) -> (&str, Option<&str>) {
    match job.split_once(':') {
        Some((base, part)) => (base, Some(part)),
        None => (job, None),
    }
}

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
    /// Follow-up jobs newly enqueued for the run's slot (empty when they already were); for a
    /// fan-out, its parts.
    pub follow_ups: Vec<String>,
    /// Whether the run was a fan-out that only enqueued its parts.
    pub fan_out: bool,
}

/// Claims job runs and dispatches them to registered handlers.
#[derive(Clone)]
pub struct Runner {
    worker: String,
    handlers: HashMap<String, Handler>,
    follow_ups: HashMap<String, Vec<String>>,
    fan_outs: HashMap<String, Vec<String>>,
    idle_poll: Duration,
    retry_after: Duration,
    lease: Duration,
    parallel: usize,
    retries: HashMap<String, RetryPolicy>,
}

/// How a failed run of a job is tried again ([`Runner::with_retries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub retries: u32,
    /// Wait before the first retry; doubled for every further one.
    pub delay: Duration,
}

impl RetryPolicy {
    /// When the run that failed at its `attempt` (1 for the first) is tried again after
    /// `failed_at`, or `None` when its retries are used up.
    pub fn next_attempt_at(
        &self,
        attempt: i64,
        failed_at: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let attempt = u32::try_from(attempt).ok().filter(|a| *a >= 1)?;
        if attempt > self.retries {
            return None;
        }
        let factor = 2u32.checked_pow(attempt - 1)?;
        let wait = chrono::TimeDelta::from_std(self.delay.checked_mul(factor)?).ok()?;
        failed_at.checked_add_signed(wait)
    }
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut jobs: Vec<&String> = self.handlers.keys().collect();
        jobs.sort();
        f.debug_struct("Runner")
            .field("worker", &self.worker)
            .field("jobs", &jobs)
            .field("follow_ups", &self.follow_ups)
            .field("fan_outs", &self.fan_outs.keys().collect::<Vec<_>>())
            .field("lease", &self.lease)
            .field("parallel", &self.parallel)
            .finish_non_exhaustive()
    }
}

impl Runner {
    /// A runner without handlers that claims under the name `worker` (unique per process, such
    /// as `host:pid`), polls every 5 s when idle, retries a failed claim after 5 s, holds runs
    /// for [`JOB_LEASE_SECS`] at a time and works on one run at a time.
    pub fn new(worker: impl Into<String>) -> Self {
        Self {
            worker: worker.into(),
            handlers: HashMap::new(),
            follow_ups: HashMap::new(),
            fan_outs: HashMap::new(),
            idle_poll: Duration::from_secs(5),
            retry_after: Duration::from_secs(5),
            lease: Duration::from_secs(JOB_LEASE_SECS.unsigned_abs()),
            parallel: 1,
            retries: HashMap::new(),
        }
    }

    /// Tries a failed run of each of `jobs` (a fan-out's parts included: `full_reconcile:11ZW`)
    /// again by `policy`: it is queued again for the same slot, not claimable before its wait
    /// is over, until its retries are used up; then it is failed as any other run.
    pub fn with_retries(mut self, jobs: &[&str], policy: RetryPolicy) -> Self {
        for job in jobs {
            self.retries.insert((*job).to_owned(), policy);
        }
        self
    }

    /// Sets the lease of a claimed run: it is renewed every third of it while the handler runs,
    /// so another runner takes a run over only when this one stopped renewing (died, hung, or
    /// lost the database) for a whole lease. At least 3 s.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(3));
        self
    }

    /// Sets how many runs [`Runner::run`] and [`Runner::run_due_side_by_side`] work on at once
    /// (at least 1). [`Runner::run_next`] is one run at a time whatever this says.
    pub fn with_parallel(mut self, parallel: usize) -> Self {
        self.parallel = parallel.max(1);
        self
    }

    /// Makes `job` a fan-out: a run of `job` itself calls no handler but enqueues `job:<part>`
    /// for each of `parts` at the same slot (deduplicated like any slot); a run of `job:<part>`
    /// goes to `job`'s handler, and its follow-ups are the parts `then:<part>`.
    pub fn with_fan_out(mut self, job: &str, parts: impl IntoIterator<Item = String>) -> Self {
        self.fan_outs.insert(job.to_owned(), parts.into_iter().collect());
        self
    }

    /// The lease a claimed run is held for (and renewed by).
    pub fn lease(&self) -> Duration {
        self.lease
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
        let Some(run) = self.claim(queue, now).await? else {
            return Ok(None);
        };
        self.execute(queue, run, now).await.map(Some)
    }

    /// Claims the runs due at `now` that may run side by side and runs them together: parts of
    /// fanned-out jobs (`sync:11ZW`), up to [`Runner::with_parallel`], each of another part, in
    /// claim order.
    /// Anything else (a fan-out itself, the digest, the board report) runs alone. A claimed run
    /// that cannot join (a second run of a part in the batch, or a run that must run alone) is
    /// left in `carried` and starts the next call, so every part's runs keep the order one
    /// runner at a time would give them, and what a run of one school does not read (another
    /// school's records) is all that changes order. Empty when nothing is due. `simulate`
    /// uses it: its figures must not depend on how many run at once.
    pub async fn run_due_side_by_side<Q: OpsStore + ?Sized>(
        &self,
        queue: &Q,
        now: chrono::DateTime<chrono::Utc>,
        carried: &mut Option<JobRun>,
    ) -> Result<Vec<RunOutcome>, ScheduleError> {
        let first = match carried.take() {
            Some(run) => run,
            None => match self.claim(queue, now).await? {
                Some(run) => run,
                None => return Ok(Vec::new()),
            },
        };
        let alone = job_part(&first.job).1.is_none();
        let mut batch = vec![first];
        while !alone && batch.len() < self.parallel {
            let Some(run) = self.claim(queue, now).await? else {
                break;
            };
            let part = job_part(&run.job).1;
            if part.is_none() || batch.iter().any(|b| job_part(&b.job).1 == part) {
                *carried = Some(run);
                break;
            }
            batch.push(run);
        }
        futures::future::join_all(batch.into_iter().map(|run| self.execute(queue, run, now)))
            .await
            .into_iter()
            .collect()
    }

    async fn claim<Q: OpsStore + ?Sized>(
        &self,
        queue: &Q,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<JobRun>, ScheduleError> {
        let lease = chrono::TimeDelta::from_std(self.lease).unwrap_or(chrono::TimeDelta::MAX);
        Ok(queue.claim_job_for(now, &self.worker, lease).await?)
    }

    /// Runs one claimed run (claimed at `claimed_at` on the runner's clock) to its end: a
    /// fan-out enqueues its parts; anything else goes to its handler while the lease is renewed.
    async fn execute<Q: OpsStore + ?Sized>(
        &self,
        queue: &Q,
        run: JobRun,
        claimed_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<RunOutcome, ScheduleError> {
        info!(job = %run.job, scheduled_at = %run.scheduled_at, attempt = run.attempts, "job started");
        let (base, part) = job_part(&run.job);
        let fan_out = part.is_none() && self.fan_outs.contains_key(base);
        let mut follow_ups = Vec::new();
        let result = match (self.fan_outs.get(base), part) {
            (Some(parts), None) => {
                for p in parts {
                    let child = format!("{base}:{p}");
                    if queue.enqueue_job(&child, run.scheduled_at).await? {
                        follow_ups.push(child);
                    }
                }
                Ok(())
            }
            _ => match self.handlers.get(base) {
                Some(handler) => match self
                    .supervise(queue, &run, claimed_at, handler(run.clone()))
                    .await
                {
                    Supervised::Done(result) => result,
                    Supervised::LeaseLost(why) => {
                        warn!(job = %run.job, scheduled_at = %run.scheduled_at, %why,
                            "job run taken over by another worker; stopped, its outcome is not recorded");
                        return Ok(RunOutcome {
                            run,
                            result: Err(JobFailure(format!("lease lost: {why}"))),
                            follow_ups,
                            fan_out: false,
                        });
                    }
                },
                None => Err(JobFailure(format!("no handler registered for job {}", run.job))),
            },
        };
        if result.is_ok() && !fan_out {
            for then in self.follow_ups.get(base).into_iter().flatten() {
                let then = match part {
                    Some(p) => format!("{then}:{p}"),
                    None => then.clone(),
                };
                if queue.enqueue_job(&then, run.scheduled_at).await? {
                    follow_ups.push(then);
                }
            }
        }
        let outcome = result.as_ref().map(|_| ()).map_err(|failure| failure.0.as_str());
        let retry_at = match &result {
            Err(_) => self
                .retries
                .get(base)
                .and_then(|p| p.next_attempt_at(run.attempts, claimed_at)),
            Ok(()) => None,
        };
        let recorded = match (outcome, retry_at) {
            (Err(error), Some(at)) => queue.retry_job(run.id, &self.worker, error, at).await,
            (outcome, _) => queue.finish_job(run.id, &self.worker, outcome).await,
        };
        match recorded {
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
            Err(failure) => match retry_at {
                Some(at) => {
                    metrics::counter!("zorgsignaal_job_retries_total", "job" => base.to_owned()).increment(1);
                    warn!(job = %run.job, scheduled_at = %run.scheduled_at, attempt = run.attempts,
                        %failure, retry_at = %at, "job failed; tried again later");
                }
                None => warn!(job = %run.job, scheduled_at = %run.scheduled_at, %failure, "job failed"),
            },
        }
        Ok(RunOutcome {
            run,
            result,
            follow_ups,
            fan_out,
        })
    }

    /// Runs the handler's future in its own task (a panic fails the run instead of killing the
    /// runner) and renews the run's lease every third of it meanwhile. When a renewal finds the
    /// run taken over, the handler is aborted: it must not go on with work another runner has.
    /// A renewal that fails for another reason (the database is away) is logged and retried at
    /// the next beat; the lease may still be good.
    async fn supervise<Q: OpsStore + ?Sized>(
        &self,
        queue: &Q,
        run: &JobRun,
        claimed_at: chrono::DateTime<chrono::Utc>,
        work: HandlerFuture,
    ) -> Supervised {
        let started = tokio::time::Instant::now();
        let beat = self.lease / 3;
        let mut task = tokio::spawn(work);
        loop {
            tokio::select! {
                joined = &mut task => {
                    return Supervised::Done(match joined {
                        Ok(result) => result,
                        Err(join) => Err(JobFailure(format!("handler panicked or was cancelled: {join}"))),
                    });
                }
                () = tokio::time::sleep(beat) => {
                    // The lease end on the claim's clock: the claim time plus the time worked.
                    let held = chrono::TimeDelta::from_std(started.elapsed() + self.lease)
                        .unwrap_or(chrono::TimeDelta::MAX);
                    match queue.renew_job(run.id, &self.worker, claimed_at + held).await {
                        Ok(()) => debug!(job = %run.job, "job lease renewed"),
                        Err(StoreError::LeaseLost(why) | StoreError::Conflict(why)) => {
                            stop(task).await;
                            return Supervised::LeaseLost(why);
                        }
                        Err(StoreError::NotFound) => {
                            stop(task).await;
                            return Supervised::LeaseLost(format!("job run {} is gone", run.id));
                        }
                        Err(error) => warn!(job = %run.job, %error, "renewing the job lease failed; retrying"),
                    }
                }
            }
        }
    }

    /// Runs due jobs until `shutdown` is cancelled, up to [`Runner::with_parallel`] at once. New
    /// runs are claimed only while not shutting down; runs in progress finish first. Store errors
    /// are logged and retried; they never end the loop.
    pub async fn run<Q: OpsStore + ?Sized>(&self, queue: &Q, clock: Clock, shutdown: CancellationToken) {
        let mut in_flight = FuturesUnordered::new();
        // `Some`: claim nothing until this pause is over or a run in progress ends.
        let mut pause: Option<Duration> = None;
        loop {
            let stopping = shutdown.is_cancelled();
            if stopping && in_flight.is_empty() {
                break;
            }
            if !stopping && pause.is_none() && in_flight.len() < self.parallel {
                let now = clock.now();
                match self.claim(queue, now).await {
                    Ok(Some(run)) => {
                        in_flight.push(self.execute(queue, run, now));
                        continue;
                    }
                    Ok(None) => pause = Some(self.idle_poll),
                    Err(error) => {
                        warn!(%error, "job runner failed; retrying");
                        pause = Some(self.retry_after);
                    }
                }
            }
            let sleep = pause.unwrap_or(self.idle_poll);
            tokio::select! {
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    if let Err(error) = done {
                        warn!(%error, "job runner failed; retrying");
                    }
                    pause = None;
                }
                () = tokio::time::sleep(sleep), if pause.is_some() && !stopping => pause = None,
                () = shutdown.cancelled(), if !stopping => {}
            }
        }
        debug!(worker = %self.worker, "job runner stopped");
    }
}

/// Aborts a handler's task and waits until it has stopped (dropped at its next await), so no
/// work of a lost run goes on once the runner moves on.
async fn stop(task: tokio::task::JoinHandle<Result<(), JobFailure>>) {
    task.abort();
    let _ = task.await;
}

/// How a supervised handler ended.
enum Supervised {
    /// It returned (or panicked: a failure).
    Done(Result<(), JobFailure>),
    /// Its lease was taken over; the handler was aborted.
    LeaseLost(String),
}

#[cfg(test)]
mod tests {
    use super::RetryPolicy;
    use chrono::{TimeDelta, TimeZone, Utc};
    use std::time::Duration;

    #[test]
    fn retries_wait_longer_each_time_and_end() {
        let p = RetryPolicy {
            retries: 3,
            delay: Duration::from_secs(300),
        };
        let at = Utc
            .with_ymd_and_hms(2026, 3, 29, 0, 55, 0)
            .single()
            .expect("time");
        let waits: Vec<Option<TimeDelta>> = (0..=4)
            .map(|a| p.next_attempt_at(a, at).map(|t| t - at))
            .collect();
        assert_eq!(
            waits,
            [
                None,
                Some(TimeDelta::minutes(5)),
                Some(TimeDelta::minutes(10)),
                Some(TimeDelta::minutes(20)),
                None
            ]
        );
        let none = RetryPolicy { retries: 0, ..p };
        assert_eq!(none.next_attempt_at(1, at), None);
        let huge = RetryPolicy {
            retries: u32::MAX,
            delay: Duration::MAX,
        };
        assert_eq!(
            huge.next_attempt_at(40, at),
            None,
            "overflow is no retry, not a panic"
        );
    }
}
