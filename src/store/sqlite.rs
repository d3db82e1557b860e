//! The embedded SQLite store (the default): one file, WAL, foreign keys on, a busy timeout, and
//! write transactions that take the write lock up front (`BEGIN IMMEDIATE`) so two writers wait
//! for each other instead of failing on a lock upgrade.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::error::{DatabaseUrl, StoreError};
use super::sql::{Db, Pool, SqlStore};

/// Migrations for SQLite, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Held by the one daemon that runs on a SQLite file: an exclusive lock (`flock`) on
/// `<file>.daemon.lock`, released when the guard drops or the process ends in any way (a
/// SIGKILLed daemon leaves no stale lock). SQLite has one writer and no row leases across
/// processes, so a second daemon on the same file refuses to start; several daemons need
/// PostgreSQL (docs/OPERATIONS.md).
#[derive(Debug)]
pub struct DaemonLock {
    _file: std::fs::File,
    path: std::path::PathBuf,
}

impl DaemonLock {
    /// The lock file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// Takes the daemon lock of the SQLite file `url` names; `None` for an in-memory database (one
/// process by construction). [`StoreError::Conflict`] when another daemon holds it.
pub fn lock_daemon(url: &str) -> Result<Option<DaemonLock>, StoreError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::InvalidData(format!("bad SQLite URL: {e}")))?;
    let mut path = options.get_filename().as_os_str().to_owned();
    path.push(".daemon.lock");
    let path = std::path::PathBuf::from(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::InvalidData(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::InvalidData(format!("cannot open {}: {e}", path.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(DaemonLock { _file: file, path })),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Conflict(format!(
            "another zorgsignaal daemon runs on this SQLite store (lock {} is held); SQLite allows one \
             daemon per file: stop the other one, or move the store to PostgreSQL to run several",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::InvalidData(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// Store on SQLite.
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
    url: DatabaseUrl,
    /// Queues this process's sync writers; see [`SqliteStore::sync_write_gate`].
    write_gate: tokio::sync::Mutex<()>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Bytes of the database file SQLite reads through a memory map (`PRAGMA mmap_size`, 1 GiB):
/// more than a board's database holds after years (a replayed year of ten schools: ~0.3 GB).
const MMAP_SIZE: u64 = 1 << 30;

/// Rows the SQLite worker thread may hand over before the reader takes them.
const ROW_CHANNEL_SIZE: usize = 4096;

impl SqliteStore {
    /// Opens (and creates on first use) `sqlite://path` or `sqlite::memory:`. An in-memory
    /// database lives in one connection, so it is not shared between processes.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::InvalidData(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // The connection's worker thread hands rows over a channel; at the default 50 it
            // stops and waits for the reader every 50 rows, and a history read of a school is
            // tens of thousands (issue 17: the replayed year was mostly these hand-offs).
            .row_buffer_size(ROW_CHANNEL_SIZE);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if !in_memory {
            // "Created on first use" includes the directory the file lives in.
            if let Some(dir) = options
                .get_filename()
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::InvalidData(format!("cannot create directory {}: {e}", dir.display()))
                })?;
            }
        }
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                // Pages are read through a memory map instead of copied into each connection's
                // page cache: a write on one pooled connection makes the others drop their whole
                // cache, and refilling it (a read and an allocation per page) was a fifth of a
                // replayed year's CPU (issue 17). SQLite maps at most this much of the file.
                .pragma("mmap_size", MMAP_SIZE.to_string());
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options)
                .await?
        };
        Ok(Self {
            pool,
            url: DatabaseUrl::new(url),
            write_gate: tokio::sync::Mutex::new(()),
        })
    }

    /// Runs the embedded migrations (a no-op when they ran before).
    pub(crate) async fn run_migrations(&self) -> Result<(), StoreError> {
        Ok(MIGRATOR.run(&self.pool).await?)
    }

    /// Closes the pool.
    pub(crate) async fn shutdown(&self) {
        self.pool.close().await;
    }
}

impl SqlStore for SqliteStore {
    fn pool(&self) -> Pool<'_> {
        Db::Sqlite(&self.pool)
    }

    /// Queues this process's sync writers (pages, snapshots, held records) in arrival order
    /// before they ask for SQLite's one write lock. A writer that finds the lock taken waits in
    /// SQLite's busy handler, which sleeps and polls: with several schools syncing at once the
    /// writes spent their time there, and four schools at once ran slower than one (issue 15).
    async fn sync_write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        Some(self.write_gate.lock().await)
    }
}

#[async_trait::async_trait]
impl super::Store for SqliteStore {
    fn engine(&self) -> super::Engine {
        super::Engine::Sqlite
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        self.run_migrations().await
    }

    async fn close(&self) {
        self.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{Brin, School};
    use crate::store::{Engine, Store, SyncStore};

    #[tokio::test]
    async fn in_memory_store_migrates_twice_and_keeps_data_across_calls() {
        let store = super::SqliteStore::connect("sqlite::memory:")
            .await
            .expect("memory store");
        store.migrate().await.expect("migrate");
        store.migrate().await.expect("migrate again is a no-op");
        assert_eq!(store.engine(), Engine::Sqlite);
        let school = School {
            brin: Brin::parse("11ZW").expect("brin"),
            name: "De Regenboog".into(),
            care_ladder: "abcd".into(),
        };
        store.upsert_school(&school).await.expect("school");
        assert_eq!(store.schools().await.expect("schools"), vec![school]);
    }

    #[test]
    fn a_second_daemon_lock_on_one_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("data").join("zs.db").display());
        let first = super::lock_daemon(&url)
            .expect("lock")
            .expect("a file store locks");
        let err = super::lock_daemon(&url).expect_err("second daemon");
        assert!(
            matches!(&err, crate::store::StoreError::Conflict(m) if m.contains("another zorgsignaal daemon")),
            "{err}"
        );
        let other = format!("sqlite://{}", dir.path().join("other.db").display());
        assert!(super::lock_daemon(&other).expect("other file").is_some());
        drop(first);
        assert!(super::lock_daemon(&url).expect("free again").is_some());
        assert!(super::lock_daemon("sqlite::memory:").expect("memory").is_none());
    }

    #[tokio::test]
    async fn file_and_its_directory_are_created_on_first_use() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data").join("zorgsignaal.db");
        let store = crate::store::open(&format!("sqlite://{}", path.display()))
            .await
            .expect("open");
        store.migrate().await.expect("migrate");
        assert!(path.exists());
        let reopened = super::SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("reopen");
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&reopened.pool)
            .await
            .expect("pragma");
        assert_eq!(mode, "wal");
        store.close().await;
    }
}
