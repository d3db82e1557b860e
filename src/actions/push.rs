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

/// Transient source errors are retried later; everything else parks the task at once. A 401 that
/// survived one token refresh is retried later too: a token revoked twice in a row (or a token
/// endpoint that briefly hands out stale tokens) must not park a task for good. Consent that was
/// really withdrawn keeps failing and parks the task after the policy's attempts, with the reason.
fn classify(e: SourceError) -> PushError {
    if e.is_transient() || e == SourceError::Unauthorized {
        PushError::Transient {
            retry_after: e.retry_after(),
            message: e.to_string(),
        }
    } else {
        PushError::Permanent(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_is_retried_later_forbidden_parks() {
        assert!(matches!(
            classify(SourceError::Unauthorized),
            PushError::Transient { .. }
        ));
        assert!(matches!(
            classify(SourceError::Server {
                status: reqwest::StatusCode::BAD_GATEWAY,
                retry_after: None
            }),
            PushError::Transient { .. }
        ));
        assert!(matches!(
            classify(SourceError::Forbidden),
            PushError::Permanent(_)
        ));
    }
}
