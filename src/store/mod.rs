//! The store: everything Zorgsignaal keeps, behind one `Store` trait with two engines, SQLite
//! (embedded, the default) and PostgreSQL, chosen by URL scheme in [`open`].
//!
//! # Rules every engine keeps
//! - Timestamps are UTC; dates are calendar dates.
//! - Every synced row is unique on `(source, school, external_id)`; upserting the same record
//!   twice changes nothing. A source's tombstone sets `deleted_at` (soft delete): history is never
//!   silently lost, and a record that comes back is live again.
//! - A page of a stream and its cursor commit in one transaction ([`SyncStore::apply_page`]), so
//!   a crash never saves a cursor past records that were not stored.
//!
//! # One sitting, several sources (result identity)
//! A result can arrive from ParnasSys, from an OSO dossier and from a CSV export. Results with the
//! same [`TestResult::content_key`](crate::domain::TestResult::content_key) — same school, pupil,
//! test code, part and date — are the same sitting and stored once:
//! 1. The first source to deliver a sitting owns the row (`results.source/external_id`) and its
//!    content; its later updates overwrite it.
//! 2. Another source delivering the same sitting under its own id gets an *alias*: a
//!    `result_sources` row pointing at the existing result. Its content is not applied (first seen
//!    wins); its later updates are recognised by the alias and change nothing.
//! 3. A tombstone from any source marks that source's id as deleted; the result itself is
//!    soft-deleted only when no source still names it. A later upsert under a tombstoned id brings
//!    the result back.
//!
//! Matching by content key only looks at live results; two pages applied concurrently for the same
//! sitting from two sources may both insert it (sync runs per school one stream at a time).

pub mod absences;
pub mod error;
pub mod group_signals;
pub mod history;
mod import;
mod lease;
pub mod model;
pub mod notes;
pub mod ops;
pub mod outbox;
mod page;
pub(crate) mod page_bulk;
pub mod postgres;
pub mod report;
mod results;
pub mod roster;
pub(crate) mod rows;
pub mod signals;
pub mod social_emotional;
pub(crate) mod sql;
pub mod sqlite;
pub mod sync;
pub mod users;
pub mod uwlr_keys;
pub mod work_model;
pub(crate) mod work_rows;

use std::sync::Arc;

use async_trait::async_trait;

pub use absences::{AbsenceStore, StoredAbsence};
pub use error::{DatabaseUrl, StoreError};
pub use group_signals::{GroupSignalRow, GroupSignalStore, GroupSignalUpsert, VISIT_GAP};
pub use history::HistoryStore;
pub use lease::{SchoolLock, lease_holder_is_gone, new_lease_holder};
pub use model::*;
pub use notes::{NoteMark, NoteStore, StoredNote};
pub use ops::{HeldLeases, JOB_LEASE_SECS, OpsStore, PruneCounts, PruneCutoffs, pupil_hash};
pub use outbox::{OUTBOX_LEASE_SECS, OutboxStore};
pub use postgres::PgStore;
pub use report::{ReportPlan, ReportPupil, ReportSignal, ReportStore};
pub use roster::{RosterEntry, RosterStore};
pub use signals::SignalStore;
pub use social_emotional::{SocialEmotionalStore, StoredSocialEmotional};
pub(crate) use sqlite::lock_daemon as lock_sqlite_daemon;
pub use sqlite::{DaemonLock, SqliteStore};
pub use sync::SyncStore;
pub use users::{ApiTokenInfo, LoginGate, NewUser, Role, SessionRecord, User, UserStore};
pub use uwlr_keys::{UwlrKeyInfo, UwlrKeyStore};
pub use work_model::*;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Everything Zorgsignaal stores. Hold it as `Arc<dyn Store>`; the methods live in the
/// concern traits it combines ([`SyncStore`], [`HistoryStore`], [`AbsenceStore`], [`NoteStore`],
/// [`SocialEmotionalStore`], [`SignalStore`], [`OutboxStore`], [`OpsStore`], [`ReportStore`],
/// [`UserStore`], [`RosterStore`], [`GroupSignalStore`], [`UwlrKeyStore`]) and can be called on a
/// `dyn Store` directly.
#[async_trait]
pub trait Store:
    SyncStore
    + HistoryStore
    + AbsenceStore
    + NoteStore
    + SocialEmotionalStore
    + SignalStore
    + OutboxStore
    + OpsStore
    + ReportStore
    + UserStore
    + RosterStore
    + GroupSignalStore
    + UwlrKeyStore
    + std::fmt::Debug
{
    /// The engine behind this store.
    fn engine(&self) -> Engine;

    /// Brings the schema up to date with the embedded migrations; running it again is a no-op.
    async fn migrate(&self) -> Result<(), StoreError>;

    /// Closes the connections (waits for running queries).
    async fn close(&self);
}

/// Opens the store a URL names: `sqlite://path` (file created on first use), `sqlite::memory:`,
/// or `postgres://…` / `postgresql://…`. Does not migrate: call [`Store::migrate`].
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    let trimmed = url.trim();
    if trimmed.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(trimmed).await?))
    } else if trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(trimmed).await?))
    } else {
        Err(StoreError::InvalidData(format!(
            "unsupported store URL {}: expected sqlite://… or postgres://…",
            DatabaseUrl::new(trimmed)
        )))
    }
}

/// The lock a daemon holds for its whole run: on a SQLite file, [`DaemonLock`] (a second
/// daemon on the same file is refused with [`StoreError::Conflict`]); on PostgreSQL none, as
/// several daemons share the work through leases.
pub fn lock_daemon(url: &str) -> Result<Option<DaemonLock>, StoreError> {
    let trimmed = url.trim();
    if trimmed.starts_with("sqlite:") {
        lock_sqlite_daemon(trimmed)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn names(dir: &str) -> Vec<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dir);
        let mut names: Vec<String> = std::fs::read_dir(&path)
            .expect("migrations directory")
            .map(|e| {
                e.expect("directory entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn both_engines_have_the_same_migration_files() {
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty(), "no SQLite migrations");
        assert_eq!(sqlite, names("postgres"));
    }

    #[test]
    fn embedded_migrations_match_on_version_and_description() {
        let versions = |m: &sqlx::migrate::Migrator| {
            m.iter()
                .map(|x| (x.version, x.description.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            versions(&super::sqlite::MIGRATOR),
            versions(&super::postgres::MIGRATOR)
        );
    }

    #[tokio::test]
    async fn open_rejects_unknown_schemes_without_showing_the_password() {
        let err = super::open("mysql://root:hunter2@localhost/db")
            .await
            .expect_err("mysql is not supported");
        let text = err.to_string();
        assert!(text.contains("unsupported store URL"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
