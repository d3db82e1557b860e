//! Operations: the durable job table (deduplicated per schedule slot), the audit log, the mail
//! log (for rate limits) and retention (bewaartermijn) with its deletion log.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::Engine;
use super::error::StoreError;
use super::sql::{BeginWrite, SqlStore, on_engine};
use super::work_model::{AuditEntry, DeletionRecord, JobRun, MailRecord, MailedItem};
use super::work_rows::{AuditRow, DeletionRow};
use crate::domain::{Brin, ExternalIdHasher, SchoolYear};

/// How long a claimed job run stays with its worker before another may take it over, unless the
/// worker renews it ([`OpsStore::renew_job`]); the daemon renews every third of it while the run
/// goes on (`schedule.job_lease`), so a killed daemon's runs are taken over within this time.
pub const JOB_LEASE_SECS: i64 = 90;

/// What one lease holder holds at the moment: its running job runs and its in-flight outbox rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeldLeases {
    /// Job runs with status `running` claimed by the holder.
    pub job_runs: i64,
    /// Outbox rows `in_flight` under the holder's lease.
    pub outbox_rows: i64,
}

/// The audit insert, shared by every place that writes an audit row.
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, actor, action, school, subject) VALUES ($1, $2, $3, $4, $5)";

/// Jobs, audit, mail log and retention.
#[async_trait]
pub trait OpsStore: Send + Sync {
    /// Enqueues a job run for a schedule slot; `false` when that (job, slot) already exists,
    /// also when another process enqueued it (unique index).
    async fn enqueue_job(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Claims the oldest due job run (queued with `scheduled_at <= now`, or running with an expired
    /// lease) for `worker`, for [`JOB_LEASE_SECS`].
    async fn claim_job(&self, now: DateTime<Utc>, worker: &str) -> Result<Option<JobRun>, StoreError> {
        self.claim_job_for(now, worker, TimeDelta::seconds(JOB_LEASE_SECS))
            .await
    }

    /// [`claim_job`](Self::claim_job) with a lease of `lease` (until `now + lease`). On
    /// PostgreSQL the candidate row is locked `FOR UPDATE SKIP LOCKED`, so concurrent claimers
    /// never wait for each other and never get the same run.
    async fn claim_job_for(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: TimeDelta,
    ) -> Result<Option<JobRun>, StoreError>;

    /// Extends the lease of run `id` that `worker` holds to `until` (the heartbeat of a run in
    /// progress). [`StoreError::LeaseLost`] when the run is no longer running under `worker`
    /// (another worker took it over, or it was finished): the caller must stop working on it.
    async fn renew_job(&self, id: i64, worker: &str, until: DateTime<Utc>) -> Result<(), StoreError>;

    /// What `holder` holds now: running job runs and in-flight outbox rows under its id.
    async fn held_leases(&self, holder: &str) -> Result<HeldLeases, StoreError>;

    /// Records the end of a run `worker` claimed: `Err(message)` marks it failed.
    /// [`StoreError::LeaseLost`] when another worker took the run over after its lease ran out
    /// (nothing changes: the run is that worker's now), [`StoreError::Conflict`] when it is not
    /// running, [`StoreError::NotFound`] without it.
    async fn finish_job(&self, id: i64, worker: &str, outcome: Result<(), &str>) -> Result<(), StoreError>;

    /// Records a failed attempt of a run `worker` claimed that is to be tried again: the run is
    /// queued again with its `error`, and no claim takes it before `retry_at` (its slot, and so
    /// its identity, stays). Errors as [`finish_job`](Self::finish_job).
    async fn retry_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Appends to the audit log (`subject` like `signal:12`; never a pupil name).
    async fn audit(
        &self,
        actor: &str,
        action: &str,
        school: Option<&Brin>,
        subject: &str,
    ) -> Result<(), StoreError>;

    /// The newest `limit` audit entries, newest first.
    async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError>;

    /// Records a sent mail.
    async fn record_mail(&self, mail: &MailRecord) -> Result<(), StoreError>;

    /// Mails sent to `to` at or after `since` (for "at most one mail per IB per hour").
    async fn mails_sent_since(&self, to: &str, since: DateTime<Utc>) -> Result<i64, StoreError>;

    /// Whether a mail of `kind` with the subject hash `subject_hash` went to `to` at or after
    /// `since` (a retried board report skips who already has it).
    async fn mail_already_sent(
        &self,
        to: &str,
        kind: &str,
        subject_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a sent mail about one school together with the signals it named (one
    /// transaction): each `(signal id, fingerprint)` is stored as mailed to `mail.to` for
    /// `mail.school` at `mail.sent_at` (first time kept, last time and fingerprint updated).
    async fn record_mail_items(&self, mail: &MailRecord, items: &[(i64, String)]) -> Result<(), StoreError>;

    /// When the last mail of `kind` (any kind when `None`) to `to` about `school` was sent: an IB
    /// address listed at two schools has a last mail per school.
    async fn last_school_mail(
        &self,
        to: &str,
        school: &Brin,
        kind: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// The signals mails to `to` about `school` have named, with the fingerprint last mailed.
    async fn mailed_items(&self, to: &str, school: &Brin) -> Result<Vec<MailedItem>, StoreError>;

    /// Names of the groups of `school` by source group id (`4b`, `5/6`), for the digest.
    async fn group_names(&self, school: &Brin) -> Result<Vec<(String, String)>, StoreError>;

    /// Deletes every pupil who left before `date` — or, without a leaving date, whom no source
    /// delivered since before `date` (`last_seen_on`) — with everything of theirs (memberships,
    /// results, notes, plans, signals, tasks, outbox rows) and writes one deletion-log row per
    /// pupil, its hash keyed with `hasher` ([`pupil_hash`]).
    async fn delete_pupils_left_before(
        &self,
        date: NaiveDate,
        hasher: &ExternalIdHasher,
    ) -> Result<usize, StoreError>;

    /// Deletes group notes and group plans (without a pupil) whose school year ended before
    /// `date`: notes written and plans ended (or, without an end, started) before the first day
    /// of the school year `date` falls in. Returns how many rows went.
    async fn delete_group_records_before(&self, date: NaiveDate) -> Result<u64, StoreError>;

    /// Deletes operational records past their term: quarantine rows last received before
    /// `quarantine_before`, held records (of a pupil no snapshot listed) last received before
    /// `held_before`, audit rows before `audit_before`, finished (done or failed) job runs
    /// and mail-log rows before `jobs_before`.
    async fn prune_operational(&self, cutoffs: &PruneCutoffs) -> Result<PruneCounts, StoreError>;

    /// The deletion log, oldest first.
    async fn deletion_log(&self) -> Result<Vec<DeletionRecord>, StoreError>;
}

/// Cut-offs of [`OpsStore::prune_operational`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PruneCutoffs {
    /// Quarantine rows last received before this go.
    pub quarantine_before: DateTime<Utc>,
    /// Held records (wachtend op leerling) last received before this go.
    pub held_before: DateTime<Utc>,
    /// Audit rows before this go.
    pub audit_before: DateTime<Utc>,
    /// Finished job runs and mail-log rows before this go.
    pub jobs_before: DateTime<Utc>,
}

/// What [`OpsStore::prune_operational`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneCounts {
    /// Quarantine rows.
    pub quarantine: u64,
    /// Held records whose pupil never appeared.
    pub held: u64,
    /// Audit rows.
    pub audit: u64,
    /// Job runs.
    pub jobs: u64,
    /// Mail-log rows.
    pub mail_log: u64,
}

/// The deletion-log hash of a pupil: HMAC-SHA-256 with the board's pseudonymisation key
/// ([`ExternalIdHasher`], kind `pupil`) of `source|school|external_id`. Without the key the
/// hash cannot be turned back into an id by trying them all; with it, `zorgsignaal
/// deletion-log --pupil` proves a given pupil was deleted.
pub fn pupil_hash(hasher: &ExternalIdHasher, source: &str, school: &str, external_id: &str) -> String {
    hasher.hash("pupil", &format!("{source}|{school}|{external_id}"))
}

/// Claims the first due job run (queued and due at `$1`, or running with a lapsed lease) for
/// worker `$2` until `$3`. PostgreSQL skips a run another claimer has locked, so concurrent claims
/// never wait for each other or share a run; SQLite has one writer at a time.
fn claim_job_sql(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "UPDATE jobs SET status = 'running', worker = $2, attempts = attempts + 1, lease_until = $3,
               started_at = $1
             WHERE id = (SELECT id FROM jobs
               WHERE (status = 'queued' AND scheduled_at <= $1 AND (retry_at IS NULL OR retry_at <= $1))
                  OR (status = 'running' AND lease_until <= $1)
               ORDER BY scheduled_at, id LIMIT 1)
             RETURNING id, job, scheduled_at, attempts"
        }
        Engine::Postgres => {
            "UPDATE jobs SET status = 'running', worker = $2, attempts = attempts + 1, lease_until = $3,
               started_at = $1
             WHERE id = (SELECT id FROM jobs
               WHERE (status = 'queued' AND scheduled_at <= $1 AND (retry_at IS NULL OR retry_at <= $1))
                  OR (status = 'running' AND lease_until <= $1)
               ORDER BY scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING id, job, scheduled_at, attempts"
        }
    }
}

/// Ends run `id`'s attempt that `worker` holds: `done` or `failed` (finished now), or `queued`
/// again until `retry_at`.
/// The state of job run `id` and who holds it: why an `UPDATE` that needed its lease touched
/// nothing (`end_job`, `renew_job`).
async fn job_holder<S: SqlStore>(store: &S, id: i64) -> Result<Option<(String, Option<String>)>, StoreError> {
    on_engine!(store.pool(), |pool| {
        Ok(sqlx::query_as("SELECT status, worker FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?)
    })
}

async fn end_job<S: SqlStore>(
    store: &S,
    id: i64,
    worker: &str,
    status: &str,
    error: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let finished_at = retry_at.is_none().then(Utc::now);
    on_engine!(store.pool(), |pool| {
        let done = sqlx::query(
            "UPDATE jobs SET status = $2, error = $3, finished_at = $4, lease_until = NULL, retry_at = $6
             WHERE id = $1 AND status = 'running' AND worker = $5",
        )
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(finished_at)
        .bind(worker)
        .bind(retry_at)
        .execute(pool)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(match job_holder(store, id).await? {
                Some((status, current)) if current.as_deref() != Some(worker) => {
                    StoreError::LeaseLost(format!(
                        "job run {id} is {status}, held by {}, not by {worker}",
                        current.as_deref().unwrap_or("nobody")
                    ))
                }
                Some(_) => StoreError::Conflict(format!("job run {id} is not running")),
                None => StoreError::NotFound,
            });
        }
        Ok(())
    })
}

#[async_trait]
impl<S: SqlStore> OpsStore for S {
    async fn enqueue_job(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, StoreError> {
        on_engine!(self.pool(), |pool| {
            let done = sqlx::query(
                "INSERT INTO jobs (job, scheduled_at, status, attempts, created_at)
                 VALUES ($1, $2, 'queued', 0, $3) ON CONFLICT (job, scheduled_at) DO NOTHING",
            )
            .bind(job)
            .bind(scheduled_at)
            .bind(Utc::now())
            .execute(pool)
            .await?
            .rows_affected();
            Ok(done > 0)
        })
    }

    async fn claim_job_for(
        &self,
        now: DateTime<Utc>,
        worker: &str,
        lease: TimeDelta,
    ) -> Result<Option<JobRun>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: Option<(i64, String, DateTime<Utc>, i64)> =
                sqlx::query_as(claim_job_sql(self.pool().engine()))
                    .bind(now)
                    .bind(worker)
                    .bind(now + lease)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.map(|(id, job, scheduled_at, attempts)| JobRun {
                id,
                job,
                scheduled_at,
                attempts,
            }))
        })
    }

    async fn renew_job(&self, id: i64, worker: &str, until: DateTime<Utc>) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let done = sqlx::query(
                "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND status = 'running' AND worker = $2",
            )
            .bind(id)
            .bind(worker)
            .bind(until)
            .execute(pool)
            .await?
            .rows_affected();
            if done == 0 {
                return Err(match job_holder(self, id).await? {
                    Some((status, current)) => StoreError::LeaseLost(format!(
                        "job run {id} is {status}, held by {}, not renewed for {worker}",
                        current.as_deref().unwrap_or("nobody")
                    )),
                    None => StoreError::NotFound,
                });
            }
            Ok(())
        })
    }

    async fn held_leases(&self, holder: &str) -> Result<HeldLeases, StoreError> {
        on_engine!(self.pool(), |pool| {
            let (job_runs, outbox_rows): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'running' AND worker = $1),
                        (SELECT COUNT(*) FROM outbox WHERE status = 'in_flight' AND lease_holder = $1)",
            )
            .bind(holder)
            .fetch_one(pool)
            .await?;
            Ok(HeldLeases {
                job_runs,
                outbox_rows,
            })
        })
    }

    async fn finish_job(&self, id: i64, worker: &str, outcome: Result<(), &str>) -> Result<(), StoreError> {
        match outcome {
            Ok(()) => end_job(self, id, worker, "done", None, None).await,
            Err(message) => end_job(self, id, worker, "failed", Some(message), None).await,
        }
    }

    async fn retry_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        end_job(self, id, worker, "queued", Some(error), Some(retry_at)).await
    }

    async fn audit(
        &self,
        actor: &str,
        action: &str,
        school: Option<&Brin>,
        subject: &str,
    ) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query(INSERT_AUDIT)
                .bind(Utc::now())
                .bind(actor)
                .bind(action)
                .bind(school.map(Brin::as_str))
                .bind(subject)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    async fn audit_entries(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT at, actor, action, school, subject FROM audit_log ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(AuditRow::into_entry).collect()
        })
    }

    async fn record_mail(&self, mail: &MailRecord) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query(
                "INSERT INTO mail_log (sent_at, recipient, kind, school, subject_hash)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(mail.sent_at)
            .bind(&mail.to)
            .bind(&mail.kind)
            .bind(mail.school.as_ref().map(Brin::as_str))
            .bind(&mail.subject_hash)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    async fn mail_already_sent(
        &self,
        to: &str,
        kind: &str,
        subject_hash: &str,
        since: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        on_engine!(self.pool(), |pool| {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM mail_log
                 WHERE recipient = $1 AND kind = $2 AND subject_hash = $3 AND sent_at >= $4",
            )
            .bind(to)
            .bind(kind)
            .bind(subject_hash)
            .bind(since)
            .fetch_one(pool)
            .await?;
            Ok(n > 0)
        })
    }

    async fn mails_sent_since(&self, to: &str, since: DateTime<Utc>) -> Result<i64, StoreError> {
        on_engine!(self.pool(), |pool| {
            let (n,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM mail_log WHERE recipient = $1 AND sent_at >= $2")
                    .bind(to)
                    .bind(since)
                    .fetch_one(pool)
                    .await?;
            Ok(n)
        })
    }

    async fn record_mail_items(&self, mail: &MailRecord, items: &[(i64, String)]) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO mail_log (sent_at, recipient, kind, school, subject_hash)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(mail.sent_at)
            .bind(&mail.to)
            .bind(&mail.kind)
            .bind(mail.school.as_ref().map(Brin::as_str))
            .bind(&mail.subject_hash)
            .execute(&mut *tx)
            .await?;
            let school = mail.school.as_ref().map(Brin::as_str).unwrap_or_default();
            for (signal_id, fingerprint) in items {
                sqlx::query(
                    "INSERT INTO mail_items
                       (recipient, school, signal_id, fingerprint, first_mailed_at, last_mailed_at)
                     VALUES ($1, $2, $3, $4, $5, $5)
                     ON CONFLICT (recipient, school, signal_id)
                     DO UPDATE SET fingerprint = excluded.fingerprint,
                       first_mailed_at = CASE WHEN mail_items.fingerprint = excluded.fingerprint
                         THEN mail_items.first_mailed_at ELSE excluded.first_mailed_at END,
                       last_mailed_at = excluded.last_mailed_at",
                )
                .bind(&mail.to)
                .bind(school)
                .bind(signal_id)
                .bind(fingerprint)
                .bind(mail.sent_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    async fn last_school_mail(
        &self,
        to: &str,
        school: &Brin,
        kind: Option<&str>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: Option<(DateTime<Utc>,)> = sqlx::query_as(
                "SELECT sent_at FROM mail_log
                 WHERE recipient = $1 AND school = $2 AND ($3 IS NULL OR kind = $3)
                 ORDER BY sent_at DESC LIMIT 1",
            )
            .bind(to)
            .bind(school.as_str())
            .bind(kind)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| r.0))
        })
    }

    async fn mailed_items(&self, to: &str, school: &Brin) -> Result<Vec<MailedItem>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(i64, String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT signal_id, fingerprint, first_mailed_at, last_mailed_at FROM mail_items
                 WHERE recipient = $1 AND school = $2 ORDER BY signal_id",
            )
            .bind(to)
            .bind(school.as_str())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(signal_id, fingerprint, first_mailed_at, last_mailed_at)| MailedItem {
                        signal_id,
                        fingerprint,
                        first_mailed_at,
                        last_mailed_at,
                    },
                )
                .collect())
        })
    }

    async fn group_names(&self, school: &Brin) -> Result<Vec<(String, String)>, StoreError> {
        on_engine!(self.pool(), |pool| {
            Ok(sqlx::query_as(
                "SELECT external_id, name FROM groups WHERE school = $1 AND deleted_at IS NULL
                 ORDER BY external_id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?)
        })
    }

    #[tracing::instrument(skip_all, fields(before = %date), err)]
    async fn delete_pupils_left_before(
        &self,
        date: NaiveDate,
        hasher: &ExternalIdHasher,
    ) -> Result<usize, StoreError> {
        on_engine!(self.pool(), |pool| {
            let now = Utc::now();
            let mut tx = pool.begin_write().await?;
            // Without a leaving date (OSO/CSV imports, a school whose GKV link stopped) the
            // last day a source delivered the pupil counts as the day the pupil left.
            let gone: Vec<(i64, String, String, String, NaiveDate)> = sqlx::query_as(
                "SELECT id, source, school, external_id, COALESCE(left_on, last_seen_on) FROM pupils
                 WHERE COALESCE(left_on, last_seen_on) < $1 ORDER BY id",
            )
            .bind(date)
            .fetch_all(&mut *tx)
            .await?;
            for (id, source, school, external_id, left_on) in &gone {
                // Foreign keys cascade to memberships, results, notes, plans, evaluations,
                // signals, signal events, tasks and outbox rows.
                sqlx::query("DELETE FROM pupils WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO deletion_log (pupil_hash, school, left_on, deleted_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(pupil_hash(hasher, source, school, external_id))
                .bind(school)
                .bind(left_on)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            tracing::info!(
                pupils = gone.len(),
                "pupil data past its retention period deleted"
            );
            Ok(gone.len())
        })
    }

    async fn delete_group_records_before(&self, date: NaiveDate) -> Result<u64, StoreError> {
        on_engine!(self.pool(), |pool| {
            let year_start = SchoolYear::of_date(date).first_day();
            let start_utc = year_start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
            let mut tx = pool.begin_write().await?;
            let notes = sqlx::query("DELETE FROM notes WHERE pupil_id IS NULL AND written_at < $1")
                .bind(start_utc)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let plans =
                sqlx::query("DELETE FROM plans WHERE pupil_id IS NULL AND COALESCE(end_on, start_on) < $1")
                    .bind(year_start)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            tx.commit().await?;
            Ok(notes + plans)
        })
    }

    async fn prune_operational(&self, cutoffs: &PruneCutoffs) -> Result<PruneCounts, StoreError> {
        on_engine!(self.pool(), |pool| {
            let mut tx = pool.begin_write().await?;
            let quarantine = sqlx::query("DELETE FROM quarantine WHERE last_seen_at < $1")
                .bind(cutoffs.quarantine_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let held = sqlx::query("DELETE FROM held_records WHERE last_seen_at < $1")
                .bind(cutoffs.held_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let audit = sqlx::query("DELETE FROM audit_log WHERE at < $1")
                .bind(cutoffs.audit_before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let jobs =
                sqlx::query("DELETE FROM jobs WHERE status IN ('done', 'failed') AND finished_at < $1")
                    .bind(cutoffs.jobs_before)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            // The latest start overview per IB and school stays: it is what says the IB
            // has had hers (issue 17). Pruning it sent a new start overview every quarter.
            let mail_log = sqlx::query(
                "DELETE FROM mail_log WHERE sent_at < $1 AND id NOT IN (
                   SELECT MAX(id) FROM mail_log WHERE kind = 'start_overview' GROUP BY recipient, school)",
            )
            .bind(cutoffs.jobs_before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(PruneCounts {
                quarantine,
                held,
                audit,
                jobs,
                mail_log,
            })
        })
    }

    async fn deletion_log(&self) -> Result<Vec<DeletionRecord>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<DeletionRow> = sqlx::query_as(
                "SELECT pupil_hash, school, left_on, deleted_at FROM deletion_log ORDER BY id",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(DeletionRow::into_record).collect()
        })
    }
}
