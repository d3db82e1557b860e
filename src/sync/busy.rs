//! Writes that met a busy database (SQLite's single writer under load, a PostgreSQL pool that
//! ran dry) are tried again: each write is one transaction, so a retry is safe.

use std::future::Future;
use std::time::Duration;

use crate::store::StoreError;

/// Attempts for one write.
const ATTEMPTS: u32 = 6;

/// Whether a store error is the database being busy rather than the write being wrong.
pub(crate) fn is_busy(e: &StoreError) -> bool {
    match e {
        StoreError::Database(sqlx::Error::PoolTimedOut) => true,
        StoreError::Database(sqlx::Error::Database(db)) => {
            matches!(db.code().as_deref(), Some("5" | "6" | "517" | "40001" | "40P01"))
                || db.message().contains("database is locked")
        }
        _ => false,
    }
}

/// Runs `write`, again after a short pause while the database is busy.
pub(crate) async fn retry_busy<T, F, Fut>(mut write: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write().await {
            Err(e) if is_busy(&e) && attempt < ATTEMPTS => {
                tracing::warn!(attempt, "database busy, writing the page again");
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            other => return other,
        }
    }
}
