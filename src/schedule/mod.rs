//! Schedules and jobs (planning en taken): cron expressions read in Europe/Amsterdam, a scheduler
//! whose ticks only enqueue `(job, scheduled_at)` into the durable job table, and a runner.

pub mod cron;

pub use cron::{CronSchedule, MAX_DUE_TICKS, TIMEZONE, due_ticks};
