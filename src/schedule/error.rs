//! Errors of scheduling: a schedule that does not parse, or a job queue (the store) that failed.

use croner::errors::CronError;

use crate::store::StoreError;

/// What can go wrong while planning or running jobs.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    /// A `[schedule]` entry is not a valid cron expression.
    #[error("schedule.{job}: invalid cron expression {expression:?}: {source}")]
    InvalidCron {
        /// Job (config key) the expression belongs to.
        job: String,
        /// The expression as configured.
        expression: String,
        /// What croner said.
        #[source]
        source: CronError,
    },
    /// The store's job table failed; the operation may be retried.
    #[error("job table: {0}")]
    Store(#[from] StoreError),
    /// Another [`super::JobQueue`] implementation failed; the operation may be retried.
    #[error("job queue failed: {0}")]
    Queue(#[source] Box<dyn std::error::Error + Send + Sync>),
}
