//! Delivery of outbox tasks to the source systems: [`TaskPusher`] over the sync engine's
//! ParnasSys and Leeruniek clients and each school's OAuth2 tokens.

use async_trait::async_trait;

use super::outbox::{PushError, TaskPusher};
use crate::domain::Source;
use crate::sources::error::SourceError;
use crate::store::OutboxItem;
use crate::sync::SyncEngine;

#[async_trait]
impl TaskPusher for SyncEngine {
    async fn push(&self, item: &OutboxItem, idempotency_key: &str) -> Result<String, PushError> {
        let task = &item.task;
        let Some(school) = self.schools.iter().find(|s| s.brin == task.school) else {
            return Err(PushError::Permanent(format!("school {} is not configured", task.school)));
        };
        let mut keyed = task.clone();
        keyed.key = idempotency_key.to_owned();
        let pushed = match task.target {
            Source::Parnassys => {
                let (Some(client), Some(tokens)) = (self.parnassys.as_ref(), school.parnassys.as_ref()) else {
                    return Err(PushError::Permanent(format!(
                        "no ParnasSys REST credentials for school {}",
                        task.school
                    )));
                };
                client.push_task(tokens, &keyed).await
            }
            Source::Leeruniek => {
                let (Some(client), Some(tokens)) = (self.leeruniek.as_ref(), school.leeruniek.as_ref()) else {
                    return Err(PushError::Permanent(format!(
                        "no Leeruniek credentials for school {}",
                        task.school
                    )));
                };
                client.push_task(tokens, &keyed).await
            }
            other => return Err(PushError::Permanent(format!("{other} takes no tasks"))),
        };
        pushed.map(|p| p.remote_id).map_err(classify)
    }
}

/// Transient source errors are retried later; everything else parks the task at once.
fn classify(e: SourceError) -> PushError {
    if e.is_transient() {
        PushError::Transient { retry_after: e.retry_after(), message: e.to_string() }
    } else {
        PushError::Permanent(e.to_string())
    }
}
