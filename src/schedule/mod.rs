//! Schedules and jobs (planning en taken): cron expressions read in Europe/Amsterdam, a scheduler
//! whose ticks only enqueue `(job, scheduled_at)` into the durable job table, and a runner.
//! Default jobs, DST and catch-up behaviour: `docs/SCHEDULES.md`.

pub mod clock;
pub mod cron;
pub mod error;
pub mod runner;
pub mod scheduler;

pub use clock::{Clock, today_amsterdam};
pub use cron::{CronSchedule, MAX_DUE_TICKS, TIMEZONE, due_ticks};
pub use error::ScheduleError;
pub use runner::{HandlerFuture, JobFailure, RetryPolicy, RunOutcome, Runner, job_part};
pub use scheduler::{JobQueue, MAX_CATCH_UP, RunSummary, Scheduler, SchedulerOptions, Slot, TickReport};

/// Job name of the incremental sync of all sources (`[schedule] sync`).
pub const JOB_SYNC: &str = "sync";
/// Job name of the weekday roll snapshot, ParnasSys GKV and UWLR `HaalLeerlinggegevens`
/// (`[schedule] gkv_snapshot`).
pub const JOB_GKV_SNAPSHOT: &str = "gkv_snapshot";
/// Job name of the IB digest mail (`[schedule] digest`).
pub const JOB_DIGEST: &str = "digest";
/// Job name of the retention clean-up (bewaartermijn, `[schedule] retention`).
pub const JOB_RETENTION: &str = "retention";
/// Job name of the board report (bestuursrapportage, `[schedule] board_report`).
pub const JOB_BOARD_REPORT: &str = "board_report";
/// Job name of the full reconcile of the REST sources (`[sync] full_reconcile_interval`): enqueued
/// by the sync job for the interval's slot ([`interval_slot`]), so it runs once per interval
/// however many daemons share the job table.
pub const JOB_FULL_RECONCILE: &str = "full_reconcile";

/// The slot of a fixed-interval job at `now`: `now` rounded down to a whole multiple of
/// `interval` since the Unix epoch. Every daemon computes the same slot, so the job table's
/// unique (job, slot) index lets one run through per interval.
pub fn interval_slot(
    now: chrono::DateTime<chrono::Utc>,
    interval: std::time::Duration,
) -> chrono::DateTime<chrono::Utc> {
    let step = i64::try_from(interval.as_secs()).unwrap_or(i64::MAX).max(1);
    let secs = now.timestamp().div_euclid(step) * step;
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or(now)
}

/// Job name of the rule evaluation, enqueued after each finished sync or GKV snapshot.
pub const JOB_EVALUATE: &str = "evaluate";
