//! Signals (signaleringen) with a stable key, their lifecycle and their timeline. Re-running the
//! rules never duplicates a signal and never changes its status; newer evidence is appended.

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};

use super::error::StoreError;
use super::ops::INSERT_AUDIT;
use super::rows;
use super::sql::{BeginWrite, SqlStore, on_engine};
use super::work_model::{SchoolSignalCounts, SignalEvent, SignalFilter, SignalRow, SignalUpsert};
use super::work_rows::{SignalDbRow, SignalEventRow};
use crate::domain::{Severity, Signal, SignalStatus};

/// Storing and working signals.
#[async_trait]
pub trait SignalStore: Send + Sync {
    /// Stores a rule finding for the pupil with store id `pupil_id`, keyed by [`Signal::key`]:
    /// new → `Created`; same evidence → `Unchanged`; other evidence → the evidence, explanation,
    /// severity and EED criterion are replaced, the change is appended to the timeline, and the
    /// status stays as the IB left it.
    async fn upsert_signal(&self, signal: &Signal, pupil_id: i64) -> Result<SignalUpsert, StoreError>;

    /// Signals matching the filter, newest first.
    async fn signals(&self, filter: &SignalFilter) -> Result<Vec<SignalRow>, StoreError>;

    /// Active signals ([`SignalStatus::is_active`]: open or acknowledged) counted per school and
    /// severity, with the distinct pupils they concern: one grouped query, for the board. Schools
    /// without an active signal are left out.
    async fn active_signal_counts(&self) -> Result<Vec<SchoolSignalCounts>, StoreError>;

    /// One signal, or [`StoreError::NotFound`].
    async fn signal(&self, id: i64) -> Result<SignalRow, StoreError>;

    /// The signal's timeline, oldest first.
    async fn signal_events(&self, id: i64) -> Result<Vec<SignalEvent>, StoreError>;

    /// Moves a signal to `status` if [`SignalStatus::can_become`] allows it (else
    /// [`StoreError::Conflict`]); dismissing needs a reason. `snoozed_until`, when given, is set
    /// too. Writes a timeline event and an audit row.
    async fn set_signal_status(
        &self,
        id: i64,
        status: SignalStatus,
        reason: Option<&str>,
        snoozed_until: Option<NaiveDate>,
        actor: &str,
    ) -> Result<SignalRow, StoreError>;

    /// Silences a signal until a date (`None` lifts the silence); writes an event and an audit row.
    async fn snooze_signal(
        &self,
        id: i64,
        until: Option<NaiveDate>,
        actor: &str,
    ) -> Result<SignalRow, StoreError>;
}

const INSERT_EVENT: &str = "INSERT INTO signal_events (signal_id, at, kind, from_status, to_status,
    reason, actor, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

#[async_trait]
impl<S: SqlStore> SignalStore for S {
    async fn upsert_signal(&self, signal: &Signal, pupil_id: i64) -> Result<SignalUpsert, StoreError> {
        on_engine!(self.pool(), |pool| {
            let school: Option<(String,)> = sqlx::query_as("SELECT school FROM pupils WHERE id = $1")
                .bind(pupil_id)
                .fetch_optional(pool)
                .await?;
            if school.as_ref().is_none_or(|(s,)| s != signal.school.as_str()) {
                return Err(StoreError::InvalidData(format!(
                    "signal {} names pupil {pupil_id}, who is not a pupil of {}",
                    signal.key, signal.school
                )));
            }
            let now = Utc::now();
            let evidence = rows::json(&signal.evidence)?;
            let eed = signal.eed_criterion.as_ref().map(rows::enum_name).transpose()?;
            let mut tx = pool.begin_write().await?;
            let created: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO signals (key, rule, rule_version, school, pupil_id, domain, severity, status,
                   opened_on, explanation, evidence, eed_criterion, snoozed_until, dismissed_reason,
                   created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
                 ON CONFLICT (key) DO NOTHING RETURNING id",
            )
            .bind(&signal.key)
            .bind(&signal.rule)
            .bind(i64::from(signal.rule_version))
            .bind(signal.school.as_str())
            .bind(pupil_id)
            .bind(signal.domain.map(|d| d.as_str()))
            .bind(signal.severity.as_str())
            .bind(signal.status.as_str())
            .bind(signal.opened_on)
            .bind(&signal.explanation)
            .bind(&evidence)
            .bind(&eed)
            .bind(signal.snoozed_until)
            .bind(&signal.dismissed_reason)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let outcome = if let Some((id,)) = created {
                sqlx::query(INSERT_EVENT)
                    .bind(id)
                    .bind(now)
                    .bind("created")
                    .bind(None::<&str>)
                    .bind(signal.status.as_str())
                    .bind(None::<&str>)
                    .bind("rules")
                    .bind(&evidence)
                    .execute(&mut *tx)
                    .await?;
                SignalUpsert::Created(id)
            } else {
                let (id, stored, rule, severity, explanation, version): (i64, String, String, String, String, i64) =
                    sqlx::query_as(
                        "SELECT id, evidence, rule, severity, explanation, rule_version FROM signals WHERE key = $1",
                    )
                    .bind(&signal.key)
                    .fetch_one(&mut *tx)
                    .await?;
                if stored == evidence && rule == signal.rule && severity == signal.severity.as_str() {
                    // The same finding in words of today (a count of weeks or days in its text, a
                    // newer rule version's wording): the text is kept current, quietly — no
                    // event, no change stamp, no news for the digest (issue 17: a signal is
                    // current; "nog open" showed the text of the day it was found).
                    if explanation != signal.explanation || version != i64::from(signal.rule_version) {
                        sqlx::query(
                            "UPDATE signals SET explanation = $1, rule_version = $2, eed_criterion = $3
                             WHERE id = $4",
                        )
                        .bind(&signal.explanation)
                        .bind(i64::from(signal.rule_version))
                        .bind(&eed)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    SignalUpsert::Unchanged(id)
                } else {
                    // The rule changes only when a reminder escalates: the evaluation
                    // that was due is now late (issue 17: one signal per plan evaluation).
                    sqlx::query(
                        "UPDATE signals SET evidence = $1, explanation = $2, severity = $3,
                           eed_criterion = $4, rule_version = $5, updated_at = $6, rule = $8 WHERE id = $7",
                    )
                    .bind(&evidence)
                    .bind(&signal.explanation)
                    .bind(signal.severity.as_str())
                    .bind(&eed)
                    .bind(i64::from(signal.rule_version))
                    .bind(now)
                    .bind(id)
                    .bind(&signal.rule)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(INSERT_EVENT)
                        .bind(id)
                        .bind(now)
                        .bind("evidence")
                        .bind(None::<&str>)
                        .bind(None::<&str>)
                        .bind(None::<&str>)
                        .bind("rules")
                        .bind(&evidence)
                        .execute(&mut *tx)
                        .await?;
                    SignalUpsert::EvidenceAppended(id)
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
    }

    async fn signals(&self, filter: &SignalFilter) -> Result<Vec<SignalRow>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<SignalDbRow> = sqlx::query_as(
                "SELECT s.id, s.pupil_id, p.external_id AS pupil_external_id, s.key, s.rule,
                   s.rule_version, s.school, s.domain, s.severity, s.status, s.opened_on, s.explanation,
                     s.evidence,
                   s.eed_criterion, s.snoozed_until, s.dismissed_reason, s.created_at, s.updated_at
                 FROM signals s JOIN pupils p ON p.id = s.pupil_id
                 WHERE ($1 IS NULL OR s.school = $1) AND ($2 IS NULL OR s.status = $2)
                   AND ($3 IS NULL OR s.pupil_id = $3) AND ($4 IS NULL OR s.rule = $4)
                   AND ($5 IS NULL OR s.severity = $5)
                 ORDER BY s.id DESC",
            )
            .bind(filter.school.as_ref().map(|b| b.as_str()))
            .bind(filter.status.map(SignalStatus::as_str))
            .bind(filter.pupil_id)
            .bind(filter.rule.as_deref())
            .bind(filter.severity.map(Severity::as_str))
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(SignalDbRow::into_row).collect()
        })
    }

    async fn active_signal_counts(&self) -> Result<Vec<SchoolSignalCounts>, StoreError> {
        on_engine!(self.pool(), |pool| {
            // Joined with pupils like `signals`, so both count the same rows.
            let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT s.school,
                   SUM(CASE WHEN s.severity = $3 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.severity = $4 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN s.severity = $5 THEN 1 ELSE 0 END),
                   COUNT(DISTINCT s.pupil_id)
                 FROM signals s JOIN pupils p ON p.id = s.pupil_id
                 WHERE s.status IN ($1, $2)
                 GROUP BY s.school ORDER BY s.school",
            )
            .bind(SignalStatus::Open.as_str())
            .bind(SignalStatus::Acknowledged.as_str())
            .bind(Severity::High.as_str())
            .bind(Severity::Medium.as_str())
            .bind(Severity::Low.as_str())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(school, high, medium, low, pupils)| {
                    Ok(SchoolSignalCounts {
                        school: rows::brin(&school)?,
                        high,
                        medium,
                        low,
                        pupils,
                    })
                })
                .collect()
        })
    }

    async fn signal(&self, id: i64) -> Result<SignalRow, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: SignalDbRow = sqlx::query_as(
                "SELECT s.id, s.pupil_id, p.external_id AS pupil_external_id, s.key, s.rule,
                   s.rule_version, s.school, s.domain, s.severity, s.status, s.opened_on, s.explanation,
                     s.evidence,
                   s.eed_criterion, s.snoozed_until, s.dismissed_reason, s.created_at, s.updated_at
                 FROM signals s JOIN pupils p ON p.id = s.pupil_id WHERE s.id = $1",
            )
            .bind(id)
            .fetch_one(pool)
            .await?;
            row.into_row()
        })
    }

    async fn signal_events(&self, id: i64) -> Result<Vec<SignalEvent>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<SignalEventRow> = sqlx::query_as(
                "SELECT at, kind, from_status, to_status, reason, actor FROM signal_events
                 WHERE signal_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(SignalEventRow::into_event).collect()
        })
    }

    async fn set_signal_status(
        &self,
        id: i64,
        status: SignalStatus,
        reason: Option<&str>,
        snoozed_until: Option<NaiveDate>,
        actor: &str,
    ) -> Result<SignalRow, StoreError> {
        on_engine!(self.pool(), |pool| {
            if status == SignalStatus::Dismissed && reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(StoreError::InvalidData(
                    "dismissing a signal needs a reason".into(),
                ));
            }
            let now = Utc::now();
            let mut tx = pool.begin_write().await?;
            let (current, school): (String, String) =
                sqlx::query_as("SELECT status, school FROM signals WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let current = SignalStatus::parse(&current).map_err(|e| StoreError::decode("status", e))?;
            if !current.can_become(status) {
                return Err(StoreError::Conflict(format!(
                    "signal {id} cannot go from {current} to {status}"
                )));
            }
            let changed = sqlx::query(
                "UPDATE signals SET status = $1,
                   dismissed_reason = CASE WHEN $1 = 'dismissed' THEN $2 ELSE dismissed_reason END,
                   snoozed_until = COALESCE($3, snoozed_until), updated_at = $4
                 WHERE id = $5 AND status = $6",
            )
            .bind(status.as_str())
            .bind(reason)
            .bind(snoozed_until)
            .bind(now)
            .bind(id)
            .bind(current.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StoreError::Conflict(format!("signal {id} changed meanwhile")));
            }
            sqlx::query(INSERT_EVENT)
                .bind(id)
                .bind(now)
                .bind("status")
                .bind(current.as_str())
                .bind(status.as_str())
                .bind(reason)
                .bind(actor)
                .bind(None::<&str>)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_AUDIT)
                .bind(now)
                .bind(actor)
                .bind(format!("signal.{status}"))
                .bind(&school)
                .bind(format!("signal:{id}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            self.signal(id).await
        })
    }

    async fn snooze_signal(
        &self,
        id: i64,
        until: Option<NaiveDate>,
        actor: &str,
    ) -> Result<SignalRow, StoreError> {
        on_engine!(self.pool(), |pool| {
            let now = Utc::now();
            let mut tx = pool.begin_write().await?;
            let (school,): (String,) = sqlx::query_as(
                "UPDATE signals SET snoozed_until = $1, updated_at = $2 WHERE id = $3
                     RETURNING school",
            )
            .bind(until)
            .bind(now)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let reason = until.map(|d| format!("until {d}"));
            sqlx::query(INSERT_EVENT)
                .bind(id)
                .bind(now)
                .bind("snooze")
                .bind(None::<&str>)
                .bind(None::<&str>)
                .bind(&reason)
                .bind(actor)
                .bind(None::<&str>)
                .execute(&mut *tx)
                .await?;
            sqlx::query(INSERT_AUDIT)
                .bind(now)
                .bind(actor)
                .bind("signal.snooze")
                .bind(&school)
                .bind(format!("signal:{id}"))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            self.signal(id).await
        })
    }
}
