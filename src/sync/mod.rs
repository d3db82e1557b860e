//! Sync (synchronisatie): pulls every school's pupils (GKV snapshot), results, notes and plans
//! (ParnasSys and Leeruniek change feeds) into the store, page by page, each page and its cursor
//! in one transaction, so a crash at any point resumes without loss or duplicates.
//!
//! Order per school: GKV and/or the LAS's UWLR pupil data first (pupils must exist before results), then the REST streams one
//! after another; schools run concurrently (bounded). Transient errors are recorded on their
//! stream and the rest goes on; a refused credential stops that source for that school.
//!
//! A stream read from the start (first run, `--full`) is a full reconcile: after the listing and
//! one catch-up read of the change feed, live records the listing did not return are tombstoned
//! in the last page's transaction, so deletions a source never reported are noticed too.

mod batch;
mod build;
mod busy;
mod engine;
pub mod progress;
mod snapshot;
mod stream;
pub mod summary;
mod uwlr;

pub use engine::{SchoolSources, SyncEngine, SyncOptions};
pub use progress::{BarProgress, LineProgress, NoProgress, Progress};
pub use stream::PUPILS_STREAM;
pub use summary::{StreamOutcome, StreamState, SyncSummary};
