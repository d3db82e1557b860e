//! The PostgreSQL store, for boards that run one server for many schools. Claims lock rows with
//! `FOR UPDATE SKIP LOCKED` so concurrent workers never take the same row.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::error::{DatabaseUrl, StoreError};
use super::sql::{Db, Pool, SqlStore};

/// Migrations for PostgreSQL, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Store on PostgreSQL.
pub struct PgStore {
    pub(crate) pool: PgPool,
    url: DatabaseUrl,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `postgres://…` (or `postgresql://…`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let url = DatabaseUrl::new(url);
        let options = PgConnectOptions::from_str(url.expose())
            .map_err(|_| StoreError::InvalidData(format!("bad PostgreSQL URL {url}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await?;
        Ok(Self { pool, url })
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

impl SqlStore for PgStore {
    fn pool(&self) -> Pool<'_> {
        Db::Postgres(&self.pool)
    }

    /// PostgreSQL writers run side by side (row locks): no gate (SQLite queues its writers).
    async fn sync_write_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        None
    }
}

#[async_trait::async_trait]
impl super::Store for PgStore {
    fn engine(&self) -> super::Engine {
        super::Engine::Postgres
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
    use std::str::FromStr;

    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

    use super::{DatabaseUrl, PgStore};

    #[tokio::test]
    async fn debug_does_not_show_the_password() {
        let url = "postgres://zorg:s3cr3t@127.0.0.1:1/zorg";
        let options = PgConnectOptions::from_str(url).expect("url");
        let store = PgStore {
            pool: PgPoolOptions::new().connect_lazy_with(options),
            url: DatabaseUrl::new(url),
        };
        let shown = format!("{store:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("zorg:***@127.0.0.1"), "{shown}");
    }
}
