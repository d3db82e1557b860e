//! Schedules and jobs (planning en taken): cron expressions read in Europe/Amsterdam, a scheduler
//! whose ticks only enqueue `(job, scheduled_at)` into the durable job table, and a runner.
//! Default jobs, DST and catch-up behaviour: `docs/SCHEDULES.md`.

pub mod clock;
pub mod cron;
pub mod error;
pub mod runner;
pub mod scheduler;
#[cfg(test)]
mod store_tests;

pub use clock::Clock;
pub use cron::{CronSchedule, MAX_DUE_TICKS, TIMEZONE, due_ticks};
pub use error::ScheduleError;
pub use runner::{HandlerFuture, JobFailure, RunOutcome, Runner};
pub use scheduler::{JobQueue, MAX_CATCH_UP, RunSummary, Scheduler, SchedulerOptions, Slot, TickReport};

/// Job name of the incremental sync of all sources (`[schedule] sync`).
pub const JOB_SYNC: &str = "sync";
/// Job name of the ParnasSys GKV snapshot (`[schedule] gkv_snapshot`).
pub const JOB_GKV_SNAPSHOT: &str = "gkv_snapshot";
/// Job name of the IB digest mail (`[schedule] digest`).
pub const JOB_DIGEST: &str = "digest";
/// Job name of the retention clean-up (bewaartermijn, `[schedule] retention`).
pub const JOB_RETENTION: &str = "retention";
/// Job name of the board report (bestuursrapportage, `[schedule] board_report`).
pub const JOB_BOARD_REPORT: &str = "board_report";
/// Job name of the rule evaluation, enqueued after each finished sync or GKV snapshot.
pub const JOB_EVALUATE: &str = "evaluate";
