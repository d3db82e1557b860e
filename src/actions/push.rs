//! Delivery of outbox tasks to the source systems: [`TaskPusher`] over the sync engine, which
//! holds the ParnasSys and Leeruniek clients and each school's OAuth2 tokens.

use async_trait::async_trait;

use super::outbox::{PushError, TaskPusher};
use crate::sources::error::SourceError;
use crate::store::OutboxItem;
use crate::sync::SyncEngine;

#[async_trait]
impl TaskPusher for SyncEngine {
    async fn push(&self, item: &OutboxItem, idempotency_key: &str) -> Result<String, PushError> {
        let mut keyed = item.task.clone();
        keyed.key = idempotency_key.to_owned();
        self.push_task(&keyed)
            .await
            .map(|p| p.remote_id)
            .map_err(classify)
    }
}

/// Transient source errors are retried later; everything else parks the task at once.
fn classify(e: SourceError) -> PushError {
    if e.is_transient() {
        PushError::Transient {
            retry_after: e.retry_after(),
            message: e.to_string(),
        }
    } else {
        PushError::Permanent(e.to_string())
    }
}
