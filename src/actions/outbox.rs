//! The outbox worker: claims pending task rows, pushes each to the system its evidence came from
//! with an `Idempotency-Key`, and marks it sent, retries it later, or parks it with a reason.
//!
//! Exactly once: the store creates one outbox row per task key; the worker claims under a lease in
//! its holder's name and confirms (renews) that lease right before each push, so a row another
//! daemon took over is never pushed by this one; only the holder may mark a row sent or failed.
//! The push carries an idempotency key derived from the task key, so a crash between "sent" and
//! "marked sent" re-sends the same key and the target answers with the task it already has.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use tracing::instrument;

use crate::store::{OutboxItem, Store, StoreError, new_lease_holder};

/// Why a push failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// Worth retrying later (network, 5xx, 429, open circuit); the target may say when.
    #[error("transient: {message}")]
    Transient {
        /// Operator-facing reason (no pupil data, no secret).
        message: String,
        /// Minimum wait the target asked for.
        retry_after: Option<Duration>,
    },
    /// Retrying will not help (no credentials, 4xx, consent revoked): park at once.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// Delivers one task to its target system; implemented over the ParnasSys and Leeruniek clients.
#[async_trait]
pub trait TaskPusher: Send + Sync {
    /// Pushes the task with the given idempotency key; returns the id the target gave it.
    async fn push(&self, item: &OutboxItem, idempotency_key: &str) -> Result<String, PushError>;
}

/// The idempotency key sent for a task: a stable hash of the task key (rule, pupil, domain,
/// evidence window), so the header stays short and reveals nothing.
pub fn idempotency_key(task_key: &str) -> String {
    let digest = Sha256::digest(task_key.as_bytes());
    format!("zs-{}", hex::encode(&digest[..16]))
}

/// Retry policy of the worker (the second retry layer; HTTP retries happen inside the push).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Claims after which a transiently failing task is parked.
    pub max_attempts: i64,
    /// First retry delay; doubles per attempt.
    pub base_delay: Duration,
    /// Longest delay between attempts.
    pub max_delay: Duration,
    /// Rows claimed per drain round.
    pub batch: i64,
    /// How long a claimed row stays this worker's (`outbox.lease`), from the claim and again
    /// from each renewal right before its push.
    pub lease: Duration,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(3600),
            batch: 50,
            lease: Duration::from_secs(crate::store::OUTBOX_LEASE_SECS.unsigned_abs()),
        }
    }
}

impl OutboxPolicy {
    /// The policy of `[outbox]` (batch size stays the default).
    pub fn from_settings(s: &crate::settings::OutboxSettings) -> Self {
        Self {
            max_attempts: i64::from(s.max_attempts),
            base_delay: s.retry_base_delay,
            max_delay: s.retry_max_delay,
            lease: s.lease,
            ..Self::default()
        }
    }

    /// The lease as the store takes it (a lease beyond chrono's range: one day).
    fn lease_delta(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.lease).unwrap_or(chrono::TimeDelta::days(1))
    }

    /// When to try again after `attempts` claims, or `None` to park. Pure.
    pub fn next_attempt(
        &self,
        attempts: i64,
        now: DateTime<Utc>,
        retry_after: Option<Duration>,
    ) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
        let backoff = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(exp))
            .min(self.max_delay);
        let wait = retry_after.map_or(backoff, |r| r.max(backoff));
        Some(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1)))
    }
}

/// What one drain round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DrainSummary {
    /// Pushed and marked sent.
    pub sent: usize,
    /// Failed, scheduled again.
    pub retried: usize,
    /// Given up, parked with a reason.
    pub parked: usize,
    /// Claimed but not pushed because the worker was stopping; due again at once.
    pub handed_back: usize,
    /// Claimed, but the lease ran out and another daemon took the row over before this one
    /// pushed it (not pushed) or recorded the push (not recorded: the holder pushes it again
    /// under the same idempotency key).
    pub lost: usize,
}

/// The `last_error` of a row handed back unpushed by a stopping worker.
pub const STOPPED_BEFORE_PUSH: &str = "not pushed yet: the worker stopped";

/// Claims and pushes pending outbox rows until none are due.
pub struct OutboxWorker {
    store: Arc<dyn Store>,
    pusher: Arc<dyn TaskPusher>,
    policy: OutboxPolicy,
    stop: Option<CancellationToken>,
    holder: String,
}

impl OutboxWorker {
    /// A worker over a store and a pusher, claiming under a fresh lease-holder id
    /// ([`new_lease_holder`]).
    pub fn new(store: Arc<dyn Store>, pusher: Arc<dyn TaskPusher>, policy: OutboxPolicy) -> Self {
        Self {
            store,
            pusher,
            policy,
            stop: None,
            holder: new_lease_holder(),
        }
    }

    /// Claims under `holder` (the daemon's id, shared with its job runner).
    pub fn with_holder(self, holder: impl Into<String>) -> Self {
        Self {
            holder: holder.into(),
            ..self
        }
    }

    /// The lease-holder id rows are claimed under.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Records the outcome of a claimed row; a lost lease is logged and counted, not an error.
    async fn finish(
        &self,
        item: &OutboxItem,
        outcome: Result<&str, (&str, Option<DateTime<Utc>>)>,
        summary: &mut DrainSummary,
    ) -> Result<bool, StoreError> {
        let done = match outcome {
            Ok(remote_id) => self.store.mark_sent(item.id, &self.holder, remote_id).await,
            Err((reason, next)) => self.store.mark_failed(item.id, &self.holder, reason, next).await,
        };
        match done {
            Ok(()) => Ok(true),
            Err(StoreError::LeaseLost(why)) => {
                tracing::warn!(outbox_id = item.id, school = %item.task.school, %why,
                    "outbox row taken over by another daemon; outcome not recorded");
                summary.lost += 1;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Stops between two pushes once `stop` is cancelled (graceful shutdown): the push under way
    /// finishes and is recorded, the rest of the claimed batch goes back to the queue, due at once.
    pub fn with_stop(self, stop: CancellationToken) -> Self {
        Self {
            stop: Some(stop),
            ..self
        }
    }

    /// One round: claims up to `policy.batch` due rows and pushes them.
    #[instrument(skip_all, err)]
    pub async fn drain_once(&self, now: DateTime<Utc>) -> Result<DrainSummary, StoreError> {
        let mut summary = DrainSummary::default();
        for item in self
            .store
            .claim_outbox_for(now, self.policy.batch, &self.holder, self.policy.lease_delta())
            .await?
        {
            if self.stop.as_ref().is_some_and(CancellationToken::is_cancelled) {
                // Back in the queue rather than waiting out the lease; the claim's attempt counts.
                if self
                    .finish(&item, Err((STOPPED_BEFORE_PUSH, Some(now))), &mut summary)
                    .await?
                {
                    summary.handed_back += 1;
                }
                continue;
            }
            // A batch can outlast the lease of its last rows: push only a row still ours, and
            // give it a full lease for the push.
            match self
                .store
                .renew_outbox_lease_for(
                    item.id,
                    &self.holder,
                    now.max(Utc::now()),
                    self.policy.lease_delta(),
                )
                .await
            {
                Ok(()) => {}
                Err(StoreError::LeaseLost(why)) => {
                    tracing::warn!(outbox_id = item.id, school = %item.task.school, %why,
                        "outbox row taken over by another daemon before its push; not pushed");
                    summary.lost += 1;
                    continue;
                }
                Err(e) => return Err(e),
            }
            let key = idempotency_key(&item.task.key);
            match self.pusher.push(&item, &key).await {
                Ok(remote_id) => {
                    if self.finish(&item, Ok(&remote_id), &mut summary).await? {
                        metrics::counter!("zorgsignaal_outbox_sent_total", "target" => item.task.target.as_str())
                            .increment(1);
                        summary.sent += 1;
                    }
                }
                Err(PushError::Transient { message, retry_after }) => {
                    let next = self.policy.next_attempt(item.attempts, now, retry_after);
                    let reason = match next {
                        Some(_) => message,
                        None => format!("gave up after {} attempts: {message}", item.attempts),
                    };
                    if !self.finish(&item, Err((&reason, next)), &mut summary).await? {
                        continue;
                    }
                    if next.is_some() {
                        summary.retried += 1;
                    } else {
                        summary.parked += 1;
                        tracing::warn!(outbox_id = item.id, school = %item.task.school, "outbox item parked");
                    }
                }
                Err(PushError::Permanent(message)) => {
                    if self.finish(&item, Err((&message, None)), &mut summary).await? {
                        tracing::warn!(outbox_id = item.id, school = %item.task.school, "outbox item parked");
                        summary.parked += 1;
                    }
                }
            }
        }
        Ok(summary)
    }

    /// Drains until a round finds nothing due (or `max_rounds` rounds ran).
    pub async fn drain(&self, max_rounds: usize) -> Result<DrainSummary, StoreError> {
        let mut total = DrainSummary::default();
        for _ in 0..max_rounds {
            if self.stop.as_ref().is_some_and(CancellationToken::is_cancelled) {
                break;
            }
            let s = self.drain_once(Utc::now()).await?;
            total.sent += s.sent;
            total.retried += s.retried;
            total.parked += s.parked;
            total.handed_back += s.handed_back;
            total.lost += s.lost;
            if s.sent + s.retried + s.parked + s.lost == 0 {
                break;
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn backoff_doubles_honours_retry_after_and_parks() {
        let p = OutboxPolicy::default();
        let now = at("2026-03-02T08:00:00Z");
        assert_eq!(p.next_attempt(1, now, None), Some(at("2026-03-02T08:00:30Z")));
        assert_eq!(p.next_attempt(2, now, None), Some(at("2026-03-02T08:01:00Z")));
        assert_eq!(
            p.next_attempt(3, now, Some(Duration::from_secs(600))),
            Some(at("2026-03-02T08:10:00Z"))
        );
        assert_eq!(p.next_attempt(7, now, None), Some(at("2026-03-02T08:32:00Z")));
        assert_eq!(p.next_attempt(8, now, None), None);
        let capped = OutboxPolicy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(
            capped.next_attempt(30, now, None),
            Some(at("2026-03-02T09:00:00Z"))
        );
    }

    #[test]
    fn policy_follows_the_outbox_settings() {
        let defaults = crate::settings::OutboxSettings::default();
        assert_eq!(OutboxPolicy::from_settings(&defaults), OutboxPolicy::default());
        let fast = crate::settings::OutboxSettings {
            max_attempts: 3,
            retry_base_delay: Duration::from_secs(2),
            retry_max_delay: Duration::from_secs(5),
            lease: Duration::from_secs(20),
        };
        let p = OutboxPolicy::from_settings(&fast);
        let now = at("2026-03-02T08:00:00Z");
        assert_eq!(p.next_attempt(1, now, None), Some(at("2026-03-02T08:00:02Z")));
        assert_eq!(p.next_attempt(2, now, None), Some(at("2026-03-02T08:00:04Z")));
        assert_eq!(p.next_attempt(3, now, None), None);
        assert_eq!(p.lease, Duration::from_secs(20));
        assert_eq!(p.lease_delta(), chrono::TimeDelta::seconds(20));
    }

    #[test]
    fn idempotency_key_is_stable_short_and_opaque() {
        let k = idempotency_key("dmt_three_lowest/p12/word_reading/r1-r2-r3");
        assert_eq!(k, idempotency_key("dmt_three_lowest/p12/word_reading/r1-r2-r3"));
        assert_ne!(k, idempotency_key("dmt_three_lowest/p13/word_reading/r1-r2-r3"));
        assert_eq!(k.len(), 35);
        assert!(!k.contains("p12"));
    }
}
