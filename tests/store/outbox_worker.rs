//! The outbox worker over a real store (SQLite, and PostgreSQL when configured) with scripted
//! pushers: a stopping worker finishes the push under way and hands the rest of its batch back at
//! once, so a graceful stop neither waits for a whole batch nor strands rows under their lease.

#![allow(dead_code)]

use crate::harness;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{TimeDelta, Utc};
use tokio_util::sync::CancellationToken;
use zorgsignaal::actions::outbox::{
    DrainSummary, OutboxPolicy, OutboxWorker, PushError, STOPPED_BEFORE_PUSH, TaskPusher,
};
use zorgsignaal::store::{self, OutboxFilter, OutboxItem, OutboxStatus, Store};

use harness::{Ctx, Engine, enrol, task};

/// Accepts every push (remote id `R-<row id>`), records the keys, and cancels `stop` (if any)
/// during its first push, as a SIGTERM arriving mid-drain would.
struct Recording {
    stop: Option<CancellationToken>,
    keys: Mutex<Vec<String>>,
}

#[async_trait]
impl TaskPusher for Recording {
    async fn push(&self, item: &OutboxItem, idempotency_key: &str) -> Result<String, PushError> {
        self.keys
            .lock()
            .expect("keys lock")
            .push(idempotency_key.to_owned());
        if let Some(stop) = &self.stop {
            stop.cancel();
        }
        Ok(format!("R-{}", item.id))
    }
}

async fn stopping_worker_hands_the_batch_back(ctx: Ctx) {
    let store = ctx.store.clone();
    enrol(store.as_ref(), &["p1"]).await;
    for key in ["a", "b", "c"] {
        store
            .upsert_task(&task(key, "p1"), Utc::now())
            .await
            .expect("task");
    }
    let stop = CancellationToken::new();
    let stopping = Arc::new(Recording {
        stop: Some(stop.clone()),
        keys: Mutex::new(Vec::new()),
    });
    let worker = OutboxWorker::new(store.clone(), stopping.clone(), OutboxPolicy::default()).with_stop(stop);
    let now = Utc::now() + TimeDelta::seconds(1);
    let first = worker.drain_once(now).await.expect("drain");
    assert_eq!((first.sent, first.handed_back), (1, 2), "{first:?}");
    assert_eq!(stopping.keys.lock().expect("keys").len(), 1);

    let rows = store.outbox(&OutboxFilter::default()).await.expect("rows");
    let sent: Vec<_> = rows.iter().filter(|r| r.status == OutboxStatus::Sent).collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].remote_id, Some(format!("R-{}", sent[0].id)));
    let back: Vec<_> = rows
        .iter()
        .filter(|r| r.status == OutboxStatus::Pending)
        .collect();
    assert_eq!(back.len(), 2, "{rows:?}");
    assert!(
        back.iter()
            .all(|r| r.last_error.as_deref() == Some(STOPPED_BEFORE_PUSH) && r.next_attempt_at <= now)
    );
    // Once stopped, `drain` does not start another round.
    assert_eq!(worker.drain(10).await.expect("drain"), DrainSummary::default());

    // The next worker (the restarted daemon) pushes the rest at once, each once.
    let fresh = Arc::new(Recording {
        stop: None,
        keys: Mutex::new(Vec::new()),
    });
    let next = OutboxWorker::new(store.clone(), fresh.clone(), OutboxPolicy::default());
    let rest = next.drain_once(now).await.expect("drain the rest");
    assert_eq!((rest.sent, rest.handed_back), (2, 0), "{rest:?}");
    let mut all: Vec<String> = stopping.keys.lock().expect("keys").clone();
    all.extend(fresh.keys.lock().expect("keys").iter().cloned());
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 3, "each task pushed once");
    let rows = store.outbox(&OutboxFilter::default()).await.expect("rows");
    assert!(rows.iter().all(|r| r.status == OutboxStatus::Sent), "{rows:?}");
}

/// Accepts every push and records the row ids; during its first push another daemon (`peer`)
/// takes over every row whose lease has run out by `at`, as a slow push that outlasts the lease
/// of the rest of the batch would allow.
struct SlowWhilePeerTakesOver {
    peer: Arc<dyn Store>,
    at: chrono::DateTime<Utc>,
    pushed: Mutex<Vec<i64>>,
    taken: Mutex<Vec<i64>>,
}

#[async_trait]
impl TaskPusher for SlowWhilePeerTakesOver {
    async fn push(&self, item: &OutboxItem, _key: &str) -> Result<String, PushError> {
        let first = {
            let mut pushed = self.pushed.lock().expect("pushed lock");
            pushed.push(item.id);
            pushed.len() == 1
        };
        if first {
            let taken = self
                .peer
                .claim_outbox(self.at, 10, "peer:1:00000001")
                .await
                .expect("peer claims");
            self.taken
                .lock()
                .expect("taken lock")
                .extend(taken.iter().map(|i| i.id));
        }
        Ok(format!("R-{}", item.id))
    }
}

async fn worker_never_pushes_a_row_another_daemon_took_over(ctx: Ctx) {
    let store = ctx.store.clone();
    enrol(store.as_ref(), &["p1"]).await;
    for key in ["a", "b", "c"] {
        store
            .upsert_task(&task(key, "p1"), Utc::now())
            .await
            .expect("task");
    }
    let peer = store::open(&ctx.url).await.expect("second daemon");
    let now = Utc::now() + TimeDelta::seconds(1);
    let pusher = Arc::new(SlowWhilePeerTakesOver {
        peer: peer.clone(),
        // Past the lease of every row, the first one's renewed lease included.
        at: Utc::now() + TimeDelta::seconds(3 * store::OUTBOX_LEASE_SECS),
        pushed: Mutex::new(Vec::new()),
        taken: Mutex::new(Vec::new()),
    });
    let worker = OutboxWorker::new(store.clone(), pusher.clone(), OutboxPolicy::default());
    let summary = worker.drain_once(now).await.expect("drain");
    let pushed = pusher.pushed.lock().expect("pushed").clone();
    assert_eq!(pushed.len(), 1, "rows taken over are not pushed: {pushed:?}");
    assert_eq!(pusher.taken.lock().expect("taken").len(), 3);
    assert_eq!(
        (summary.sent, summary.lost),
        (0, 3),
        "the pushed row's outcome is refused too: {summary:?}"
    );
    let rows = store.outbox(&OutboxFilter::default()).await.expect("rows");
    assert!(
        rows.iter().all(|r| r.status == OutboxStatus::InFlight
            && r.lease_holder.as_deref() == Some("peer:1:00000001")
            && r.remote_id.is_none()),
        "every row is the peer's to finish: {rows:?}"
    );
    peer.close().await;
}

#[tokio::test]
async fn sqlite_worker_never_pushes_a_row_another_daemon_took_over() {
    harness::run(Engine::Sqlite, worker_never_pushes_a_row_another_daemon_took_over).await;
}

#[tokio::test]
async fn postgres_worker_never_pushes_a_row_another_daemon_took_over() {
    harness::run(
        Engine::Postgres,
        worker_never_pushes_a_row_another_daemon_took_over,
    )
    .await;
}

#[tokio::test]
async fn sqlite_stopping_worker_hands_the_batch_back() {
    harness::run(Engine::Sqlite, stopping_worker_hands_the_batch_back).await;
}

#[tokio::test]
async fn postgres_stopping_worker_hands_the_batch_back() {
    harness::run(Engine::Postgres, stopping_worker_hands_the_batch_back).await;
}
