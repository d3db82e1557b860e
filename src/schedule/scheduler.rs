//! The scheduler (planner): on each tick it enqueues every due `(job, scheduled_at)` into the
//! durable job table and does nothing else. Several schedulers may run at once; the table's
//! unique `(job, scheduled_at)` makes each slot a single run.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::clock::Clock;
use super::cron::CronSchedule;
use super::error::ScheduleError;
use crate::settings::ScheduleSettings;
use crate::store::Store;

/// Longest catch-up window a [`Scheduler`] accepts (7 days); longer settings are cut to it.
pub const MAX_CATCH_UP: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the scheduler puts due runs: the durable job table (implemented for the store).
#[async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues `job` for the slot `scheduled_at`; `false` when that pair was already queued
    /// (by this or any other process).
    async fn enqueue(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, ScheduleError>;
}

#[async_trait]
impl JobQueue for dyn Store {
    async fn enqueue(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, ScheduleError> {
        Ok(self.enqueue_job(job, scheduled_at).await?)
    }
}

#[async_trait]
impl JobQueue for Arc<dyn Store> {
    async fn enqueue(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, ScheduleError> {
        Ok(self.enqueue_job(job, scheduled_at).await?)
    }
}

/// How a [`Scheduler`] treats time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// How far back the first tick after a (re)start looks (inhaalvenster, default 3 hours): of
    /// the slots missed in that window each job runs once, for its newest slot; older slots and
    /// slots before the window are not run. Capped at [`MAX_CATCH_UP`].
    pub catch_up: Duration,
    /// Longest sleep between ticks (default 60 s), so clock jumps are noticed.
    pub max_sleep: Duration,
    /// Wait before retrying a tick the queue failed (default 5 s).
    pub retry_after: Duration,
}

impl Default for SchedulerOptions {
    fn default() -> Self {
        Self {
            catch_up: Duration::from_secs(3 * 3600),
            max_sleep: Duration::from_secs(60),
            retry_after: Duration::from_secs(5),
        }
    }
}

/// One run of one job for one schedule slot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slot {
    /// Job name (`sync`, `digest`, …; the keys of [`ScheduleSettings::entries`]).
    pub job: String,
    /// The fire time the run is for.
    pub scheduled_at: DateTime<Utc>,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Slots this tick added to the queue.
    pub enqueued: Vec<Slot>,
    /// Slots that were already queued (by another scheduler, or by an earlier failed tick).
    pub already_queued: Vec<Slot>,
    /// Older slots in the window that were folded into the newest one of their job (missed
    /// while the daemon was down or a tick failed): not run.
    pub collapsed: usize,
}

/// Totals of a [`Scheduler::run`] loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Ticks that completed.
    pub ticks: usize,
    /// Ticks the queue failed (retried).
    pub failed_ticks: usize,
    /// Slots this scheduler enqueued.
    pub enqueued: usize,
    /// Slots it found already queued.
    pub already_queued: usize,
    /// Older slots collapsed into newer ones.
    pub collapsed: usize,
}

/// Plans job runs from cron schedules and enqueues them; remembers its last successful tick.
#[derive(Debug, Clone)]
pub struct Scheduler {
    jobs: Vec<(String, CronSchedule)>,
    options: SchedulerOptions,
    last_tick: Option<DateTime<Utc>>,
}

impl Scheduler {
    /// A scheduler for `jobs` (name, schedule).
    pub fn new(jobs: impl IntoIterator<Item = (String, CronSchedule)>, options: SchedulerOptions) -> Self {
        let options = SchedulerOptions {
            catch_up: options.catch_up.min(MAX_CATCH_UP),
            ..options
        };
        Self {
            jobs: jobs.into_iter().collect(),
            options,
            last_tick: None,
        }
    }

    /// A scheduler for every entry of `[schedule]` (sync, gkv_snapshot, digest, retention,
    /// board_report), under their key names.
    pub fn from_settings(
        settings: &ScheduleSettings,
        options: SchedulerOptions,
    ) -> Result<Self, ScheduleError> {
        let jobs = settings
            .entries()
            .into_iter()
            .map(|(name, expression)| {
                CronSchedule::parse(expression)
                    .map(|schedule| (name.to_owned(), schedule))
                    .map_err(|source| ScheduleError::InvalidCron {
                        job: name.to_owned(),
                        expression: expression.to_owned(),
                        source,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(jobs, options))
    }

    /// The jobs and their schedules.
    pub fn jobs(&self) -> impl Iterator<Item = (&str, &CronSchedule)> {
        self.jobs.iter().map(|(name, schedule)| (name.as_str(), schedule))
    }

    /// The options in force (catch-up already capped).
    pub fn options(&self) -> SchedulerOptions {
        self.options
    }

    /// The `now` of the last tick that completed; `None` before the first.
    pub fn last_tick(&self) -> Option<DateTime<Utc>> {
        self.last_tick
    }

    /// The window a tick at `now` covers: after the last tick (or `now - catch_up` on the
    /// first), never further back than `now - catch_up`; up to and including `now`.
    pub fn window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let catch_up = TimeDelta::from_std(self.options.catch_up).unwrap_or(TimeDelta::MAX);
        let floor = now
            .checked_sub_signed(catch_up)
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let after = self.last_tick.map_or(floor, |last| last.max(floor));
        (after, now)
    }

    /// The slots a tick at `now` would enqueue (one per job at most: its newest due slot), each
    /// with the number of older due slots of that job collapsed into it. Pure.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<(Slot, usize)> {
        let (after, up_to) = self.window(now);
        self.jobs
            .iter()
            .filter_map(|(job, schedule)| {
                let ticks = schedule.due_ticks(after, up_to);
                let newest = *ticks.last()?;
                let slot = Slot {
                    job: job.clone(),
                    scheduled_at: newest,
                };
                Some((slot, ticks.len() - 1))
            })
            .collect()
    }

    /// Enqueues every due slot at `now`. On a queue error nothing is forgotten: the last tick
    /// stays where it was, so the next tick covers the same slots again (already queued ones are
    /// recognised by the queue).
    pub async fn tick<Q: JobQueue + ?Sized>(
        &mut self,
        queue: &Q,
        now: DateTime<Utc>,
    ) -> Result<TickReport, ScheduleError> {
        let mut report = TickReport::default();
        for (slot, collapsed) in self.due(now) {
            if collapsed > 0 {
                info!(job = %slot.job, scheduled_at = %slot.scheduled_at, missed = collapsed,
                    "missed schedule slots collapsed into one run");
            }
            report.collapsed += collapsed;
            if queue.enqueue(&slot.job, slot.scheduled_at).await? {
                info!(job = %slot.job, scheduled_at = %slot.scheduled_at, "job enqueued");
                report.enqueued.push(slot);
            } else {
                debug!(job = %slot.job, scheduled_at = %slot.scheduled_at, "job already queued");
                report.already_queued.push(slot);
            }
        }
        // A clock that stepped back never moves the window back (that would re-plan old slots).
        self.last_tick = Some(self.last_tick.map_or(now, |last| last.max(now)));
        Ok(report)
    }

    /// How long to sleep after a tick at `now`: until the next fire time of any job, at most
    /// `max_sleep`.
    pub fn sleep_after(&self, now: DateTime<Utc>) -> Duration {
        let next = self
            .jobs
            .iter()
            .filter_map(|(_, schedule)| schedule.next_after(now))
            .min();
        let until_next = next
            .and_then(|next| (next - now).to_std().ok())
            .unwrap_or(self.options.max_sleep);
        until_next.min(self.options.max_sleep)
    }

    /// Ticks until `shutdown` is cancelled, sleeping between ticks until the next fire time.
    /// Queue errors are logged and retried after `retry_after`; they never end the loop.
    pub async fn run<Q: JobQueue + ?Sized>(
        mut self,
        queue: &Q,
        clock: Clock,
        shutdown: CancellationToken,
    ) -> RunSummary {
        let mut summary = RunSummary::default();
        while !shutdown.is_cancelled() {
            let now = clock.now();
            let sleep = match self.tick(queue, now).await {
                Ok(report) => {
                    summary.ticks += 1;
                    summary.enqueued += report.enqueued.len();
                    summary.already_queued += report.already_queued.len();
                    summary.collapsed += report.collapsed;
                    self.sleep_after(now)
                }
                Err(error) => {
                    summary.failed_ticks += 1;
                    warn!(%error, "schedule tick failed; retrying");
                    self.options.retry_after
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(sleep) => {}
            }
        }
        debug!(?summary, "scheduler stopped");
        summary
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
mod tests;
