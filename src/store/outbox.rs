//! Tasks (taken) and their outbox: one outbox row per pushed task, claimed under a lease so two
//! workers never push the same task, retried later or parked with the reason. A directie
//! escalation is stored as a task without an outbox row: it never leaves Zorgsignaal.
//!
//! # Leases (two daemons, one row)
//! A claim names its holder ([`super::new_lease_holder`]: one id per daemon start) and runs until
//! `lease_until`. Only the holder may renew the lease, mark the row sent or failed; anyone else
//! gets [`StoreError::LeaseLost`] and nothing changes. Once a lease has run out another daemon may
//! claim the row (takeover): from then on the first holder's calls are refused. Start-up releases
//! expired leases and those of holders proven dead ([`super::lease_holder_is_gone`]), never a
//! live peer's.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::QueryBuilder;

use super::Engine;
use super::error::StoreError;
use super::sql::{BeginWrite, Pool, SqlStore, on_engine};
use super::work_model::{EscalationRow, OutboxCounts, OutboxFilter, OutboxItem, OutboxStatus};
use super::work_rows::OutboxRow;
use crate::domain::{Brin, Task};

/// How long a claimed outbox row stays with its worker before another may take it over, unless
/// the daemon's `outbox.lease` says otherwise (this is its default).
pub const OUTBOX_LEASE_SECS: i64 = 300;

/// Tasks and the outbox.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Stores a task keyed by [`Task::key`] with its outbox row, in one transaction; `true` when
    /// it was new, `false` when a task with that key exists (nothing changes). A task that is not
    /// pushed ([`crate::domain::TaskKind::is_pushed`]: the directie escalation) gets no outbox row.
    /// `now` is the program's clock (the daemon's [`crate::schedule::Clock`]): the task's
    /// `created_at` and its outbox row's first `next_attempt_at`, so a replayed year
    /// (`zorgsignaal simulate`) pushes its tasks and dates its escalations on the simulated day.
    async fn upsert_task(&self, task: &Task, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// The keys of every task of `school` the store holds (pushed tasks and directie
    /// escalations alike), sorted: what an evaluation need not offer [`OutboxStore::upsert_task`]
    /// again. Only the keys: the evaluation asks this every run.
    async fn task_keys(&self, school: &Brin) -> Result<Vec<String>, StoreError>;

    /// Directie escalations of `school` (tasks of kind `directie_escalation`, which have no outbox
    /// row) created at or after `since`, oldest first, for the directie mail and the dashboard.
    async fn directie_escalations(
        &self,
        school: &Brin,
        since: DateTime<Utc>,
    ) -> Result<Vec<EscalationRow>, StoreError>;

    /// Claims up to `limit` rows that are due (pending with `next_attempt_at <= now`, or in flight
    /// with an expired lease: a takeover) for `holder`: they become in flight until
    /// `now` + [`OUTBOX_LEASE_SECS`], attempts + 1.
    async fn claim_outbox(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        holder: &str,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        self.claim_outbox_for(now, limit, holder, TimeDelta::seconds(OUTBOX_LEASE_SECS))
            .await
    }

    /// [`claim_outbox`](Self::claim_outbox) with a lease of `lease` (until `now + lease`): the
    /// daemon's `outbox.lease`.
    async fn claim_outbox_for(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        holder: &str,
        lease: TimeDelta,
    ) -> Result<Vec<OutboxItem>, StoreError>;

    /// Extends the lease of a row `holder` claimed to `now` + [`OUTBOX_LEASE_SECS`] (the worker
    /// does this right before each push, so a long batch never pushes a row whose lease ran out).
    /// [`StoreError::LeaseLost`] when `holder` no longer holds it.
    async fn renew_outbox_lease(&self, id: i64, holder: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.renew_outbox_lease_for(id, holder, now, TimeDelta::seconds(OUTBOX_LEASE_SECS))
            .await
    }

    /// [`renew_outbox_lease`](Self::renew_outbox_lease) to `now + lease`.
    async fn renew_outbox_lease_for(
        &self,
        id: i64,
        holder: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> Result<(), StoreError>;

    /// Marks a row `holder` claimed as delivered, with the target system's id.
    /// [`StoreError::LeaseLost`] when another holder took the row over (or start-up released it),
    /// [`StoreError::Conflict`] when it is not in flight, [`StoreError::NotFound`] without it.
    async fn mark_sent(&self, id: i64, holder: &str, remote_id: &str) -> Result<(), StoreError>;

    /// Marks a row `holder` claimed as failed: retried at `next_attempt_at`, or parked when
    /// `None`. Errors as [`OutboxStore::mark_sent`].
    async fn mark_failed(
        &self,
        id: i64,
        holder: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Outbox rows matching the filter, oldest first (with `limit`: the newest `limit` of them).
    async fn outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxItem>, StoreError>;

    /// How many outbox rows are in each state (one counting query, for the gauges).
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;

    /// Puts a parked row back in the queue now, attempts reset ([`StoreError::Conflict`] unless parked).
    async fn retry_outbox(&self, id: i64) -> Result<(), StoreError>;

    /// Hands back to the queue, due at `now` (attempts kept), every in-flight row whose lease ran
    /// out by `now` or whose holder `gone` says is dead; returns how many. For a daemon starting
    /// after a crash: its killed predecessor's rows go back at once. `gone` must only say yes for
    /// a holder proven dead ([`super::lease_holder_is_gone`]): a live lease — another running
    /// daemon's — is never released.
    async fn release_outbox_leases(
        &self,
        now: DateTime<Utc>,
        gone: &(dyn for<'h> Fn(&'h str) -> bool + Sync),
    ) -> Result<u64, StoreError>;
}

const SELECT_OUTBOX: &str = "SELECT o.id, o.task_id, o.status, o.attempts, o.next_attempt_at, o.last_error,
       o.remote_id, o.lease_holder, o.lease_until, t.key, t.signal_key, t.kind, t.school,
         p.external_id AS pupil_external_id,
       t.target, t.title, t.body, t.due_on
     FROM outbox o JOIN tasks t ON t.id = o.task_id JOIN pupils p ON p.id = t.pupil_id";

/// Claims up to `$3` due rows (pending and due at `$1`, or in flight with a lapsed lease) for
/// holder `$4` until `$2`. PostgreSQL skips rows another claimer has locked, so concurrent claims
/// never wait for each other or take the same row; SQLite has one writer at a time.
fn claim_outbox_sql(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "UPDATE outbox SET status = 'in_flight', lease_until = $2, lease_holder = $4,
               attempts = attempts + 1, updated_at = $1
             WHERE id IN (SELECT id FROM outbox
               WHERE (status = 'pending' AND next_attempt_at <= $1)
                  OR (status = 'in_flight' AND lease_until <= $1)
               ORDER BY next_attempt_at, id LIMIT $3) RETURNING id"
        }
        Engine::Postgres => {
            "UPDATE outbox SET status = 'in_flight', lease_until = $2, lease_holder = $4,
               attempts = attempts + 1, updated_at = $1
             WHERE id IN (SELECT id FROM outbox
               WHERE (status = 'pending' AND next_attempt_at <= $1)
                  OR (status = 'in_flight' AND lease_until <= $1)
               ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id"
        }
    }
}

/// Tells a missing row from one in the wrong state.
async fn outbox_state_error(pool: Pool<'_>, id: i64, expected: &str) -> StoreError {
    let row: Result<Option<(String,)>, _> = on_engine!(pool, |pool| {
        sqlx::query_as("SELECT status FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    });
    match row {
        Ok(Some((status,))) => StoreError::Conflict(format!("outbox row {id} is {status}, not {expected}")),
        Ok(None) => StoreError::NotFound,
        Err(e) => e.into(),
    }
}

/// Why `holder` could not finish row `id`: gone, another holder's (or released),
/// or its own but no longer in flight.
async fn outbox_lease_error(pool: Pool<'_>, id: i64, holder: &str) -> StoreError {
    let row: Result<Option<(String, Option<String>)>, _> = on_engine!(pool, |pool| {
        sqlx::query_as("SELECT status, lease_holder FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    });
    match row {
        Ok(Some((status, current))) if current.as_deref() != Some(holder) => StoreError::LeaseLost(format!(
            "outbox row {id} is {status}, held by {}, not by {holder}",
            current.as_deref().unwrap_or("nobody")
        )),
        Ok(Some((status, _))) => StoreError::Conflict(format!("outbox row {id} is {status}, not in_flight")),
        Ok(None) => StoreError::NotFound,
        Err(e) => e.into(),
    }
}

#[async_trait]
impl<S: SqlStore> OutboxStore for S {
    async fn upsert_task(&self, task: &Task, now: DateTime<Utc>) -> Result<bool, StoreError> {
        on_engine!(self.pool(), |pool| {
            let mut tx = pool.begin_write().await?;
            let pupil: Option<(i64,)> = sqlx::query_as(
                "SELECT id FROM pupils WHERE school = $1 AND external_id = $2 AND deleted_at IS NULL
                 ORDER BY id LIMIT 1",
            )
            .bind(task.school.as_str())
            .bind(&task.pupil_external_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((pupil_id,)) = pupil else {
                return Err(StoreError::InvalidData(format!(
                    "task {} names a pupil that is not in the store",
                    task.key
                )));
            };
            let created: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO tasks (key, signal_key, kind, school, pupil_id, target, title, body, due_on,
                   created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                 ON CONFLICT (key) DO NOTHING RETURNING id",
            )
            .bind(&task.key)
            .bind(&task.signal_key)
            .bind(task.kind.as_str())
            .bind(task.school.as_str())
            .bind(pupil_id)
            .bind(task.target.as_str())
            .bind(&task.title)
            .bind(&task.body)
            .bind(task.due_on)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((task_id,)) = created else {
                return Ok(false);
            };
            if !task.kind.is_pushed() {
                // A directie escalation stays inside Zorgsignaal: no outbox row.
                tx.commit().await?;
                return Ok(true);
            }
            sqlx::query(
                "INSERT INTO outbox (task_id, status, attempts, next_attempt_at, created_at, updated_at)
                 VALUES ($1, 'pending', 0, $2, $2, $2)",
            )
            .bind(task_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    async fn task_keys(&self, school: &Brin) -> Result<Vec<String>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(String,)> = sqlx::query_as("SELECT key FROM tasks WHERE school = $1 ORDER BY key")
                .bind(school.as_str())
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(|(key,)| key).collect())
        })
    }

    async fn directie_escalations(
        &self,
        school: &Brin,
        since: DateTime<Utc>,
    ) -> Result<Vec<EscalationRow>, StoreError> {
        on_engine!(self.pool(), |pool| {
            type Row = (
                i64,
                i64,
                String,
                Option<String>,
                String,
                String,
                Option<chrono::NaiveDate>,
                DateTime<Utc>,
            );
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT id, pupil_id, key, signal_key, title, body, due_on, created_at FROM tasks
                     WHERE school = $1 AND kind = 'directie_escalation' AND created_at >= $2
                     ORDER BY created_at, id",
            )
            .bind(school.as_str())
            .bind(since)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(task_id, pupil_id, key, signal_key, title, body, due_on, created_at)| EscalationRow {
                        task_id,
                        pupil_id,
                        key,
                        signal_key,
                        title,
                        body,
                        due_on,
                        created_at,
                    },
                )
                .collect())
        })
    }

    async fn claim_outbox_for(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        holder: &str,
        lease: TimeDelta,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let lease_until = now + lease;
            let claimed: Vec<(i64,)> = sqlx::query_as(claim_outbox_sql(self.pool().engine()))
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .bind(holder)
                .fetch_all(pool)
                .await?;
            if claimed.is_empty() {
                return Ok(Vec::new());
            }
            let mut q = QueryBuilder::new(SELECT_OUTBOX);
            q.push(" WHERE o.id IN (");
            let mut ids = q.separated(", ");
            for (id,) in &claimed {
                ids.push_bind(*id);
            }
            ids.push_unseparated(") ORDER BY o.next_attempt_at, o.id");
            let rows: Vec<OutboxRow> = q.build_query_as().fetch_all(pool).await?;
            rows.into_iter().map(OutboxRow::into_item).collect()
        })
    }

    async fn renew_outbox_lease_for(
        &self,
        id: i64,
        holder: &str,
        now: DateTime<Utc>,
        lease: TimeDelta,
    ) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let done = sqlx::query(
                "UPDATE outbox SET lease_until = $3, updated_at = $4
                 WHERE id = $1 AND status = 'in_flight' AND lease_holder = $2",
            )
            .bind(id)
            .bind(holder)
            .bind(now + lease)
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(outbox_lease_error(self.pool(), id, holder).await);
            }
            Ok(())
        })
    }

    async fn mark_sent(&self, id: i64, holder: &str, remote_id: &str) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            // The holder stays on the row: who sent it, and a late call of a former holder
            // is told it lost the lease.
            let done = sqlx::query(
                "UPDATE outbox SET status = 'sent', remote_id = $2, lease_until = NULL, last_error = NULL,
                   updated_at = $3
                 WHERE id = $1 AND status = 'in_flight' AND lease_holder = $4",
            )
            .bind(id)
            .bind(remote_id)
            .bind(Utc::now())
            .bind(holder)
            .execute(pool)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(outbox_lease_error(self.pool(), id, holder).await);
            }
            Ok(())
        })
    }

    async fn mark_failed(
        &self,
        id: i64,
        holder: &str,
        error: &str,
        next_attempt_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let now = Utc::now();
            let status = match next_attempt_at {
                Some(_) => OutboxStatus::Pending,
                None => OutboxStatus::Parked,
            };
            let done = sqlx::query(
                "UPDATE outbox SET status = $2, last_error = $3,
                   next_attempt_at = COALESCE($4, next_attempt_at),
                   lease_until = NULL, updated_at = $5
                 WHERE id = $1 AND status = 'in_flight' AND lease_holder = $6",
            )
            .bind(id)
            .bind(status.as_str())
            .bind(error)
            .bind(next_attempt_at)
            .bind(now)
            .bind(holder)
            .execute(pool)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(outbox_lease_error(self.pool(), id, holder).await);
            }
            Ok(())
        })
    }

    async fn outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxItem>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let mut q = QueryBuilder::new(SELECT_OUTBOX);
            q.push(" WHERE 1 = 1");
            if let Some(status) = filter.status {
                q.push(" AND o.status = ").push_bind(status.as_str());
            }
            if let Some(school) = &filter.school {
                q.push(" AND t.school = ").push_bind(school.as_str().to_string());
            }
            if let Some(pupil_id) = filter.pupil_id {
                q.push(" AND t.pupil_id = ").push_bind(pupil_id);
            }
            let rows: Vec<OutboxRow> = match filter.limit {
                Some(limit) => {
                    q.push(" ORDER BY o.id DESC LIMIT ").push_bind(limit.max(0));
                    let mut newest: Vec<OutboxRow> = q.build_query_as().fetch_all(pool).await?;
                    newest.reverse();
                    newest
                }
                None => {
                    q.push(" ORDER BY o.id");
                    q.build_query_as().fetch_all(pool).await?
                }
            };
            rows.into_iter().map(OutboxRow::into_item).collect()
        })
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(String, i64)> =
                sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                    .fetch_all(pool)
                    .await?;
            let mut counts = OutboxCounts::default();
            for (status, n) in rows {
                let status =
                    OutboxStatus::parse(&status).ok_or_else(|| StoreError::decode("status", &status))?;
                *counts.get_mut(status) = n;
            }
            Ok(counts)
        })
    }

    async fn retry_outbox(&self, id: i64) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let done = sqlx::query(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, updated_at = $2
                 WHERE id = $1 AND status = 'parked'",
            )
            .bind(id)
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(outbox_state_error(self.pool(), id, "parked").await);
            }
            Ok(())
        })
    }

    async fn release_outbox_leases(
        &self,
        now: DateTime<Utc>,
        gone: &(dyn for<'h> Fn(&'h str) -> bool + Sync),
    ) -> Result<u64, StoreError> {
        on_engine!(self.pool(), |pool| {
            let holders: Vec<(String,)> = sqlx::query_as(
                "SELECT DISTINCT lease_holder FROM outbox
                 WHERE status = 'in_flight' AND lease_until > $1 AND lease_holder IS NOT NULL",
            )
            .bind(now)
            .fetch_all(pool)
            .await?;
            let dead: Vec<String> = holders.into_iter().map(|(h,)| h).filter(|h| gone(h)).collect();
            let mut q = QueryBuilder::new(
                "UPDATE outbox SET status = 'pending', lease_until = NULL, lease_holder = NULL,
                   next_attempt_at = ",
            );
            q.push_bind(now).push(", updated_at = ").push_bind(now);
            q.push(" WHERE status = 'in_flight' AND (lease_until <= ")
                .push_bind(now);
            if !dead.is_empty() {
                q.push(" OR lease_holder IN (");
                let mut list = q.separated(", ");
                for h in dead {
                    list.push_bind(h);
                }
                list.push_unseparated(")");
            }
            q.push(")");
            Ok(q.build().execute(pool).await?.rows_affected())
        })
    }
}
