//! Group signals (groepssignalen): reminders about a groepsplan's evaluation, stored per group
//! (issue 16 item 10), and the dashboard's record of each user's visits to a school page
//! ("nieuw sinds uw vorige bezoek", issue 17 item 4).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::Serialize;

use super::error::StoreError;
use super::rows;
use super::sql::{SqlStore, on_engine};
use crate::domain::{Brin, GroupSignal, Severity, SignalStatus};

/// A stored group signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSignalRow {
    /// Store id.
    pub id: i64,
    /// The signal as it stands.
    pub signal: GroupSignal,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What [`GroupSignalStore::upsert_group_signal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSignalUpsert {
    /// A new group signal.
    Created(i64),
    /// Known, with a new text or evidence, or found again after it was resolved.
    Updated(i64),
    /// Known and unchanged.
    Unchanged(i64),
}

/// A page view that starts a new visit when the previous view is longer ago than this.
pub const VISIT_GAP: TimeDelta = TimeDelta::minutes(30);

/// Group signals and dashboard visits.
#[async_trait]
pub trait GroupSignalStore: Send + Sync {
    /// Stores a group signal by key: created open, or its text, evidence and severity refreshed
    /// (and opened again when it had been resolved).
    async fn upsert_group_signal(&self, signal: &GroupSignal) -> Result<GroupSignalUpsert, StoreError>;

    /// Resolves the open group signals of `school` whose key is not in `found` (the rule no longer
    /// finds them: the plan was evaluated, or its period is long over); returns how many.
    async fn resolve_group_signals_except(&self, school: &Brin, found: &[String]) -> Result<u64, StoreError>;

    /// Group signals of a school (only those with `status` when given), newest first.
    async fn group_signals(
        &self,
        school: &Brin,
        status: Option<SignalStatus>,
    ) -> Result<Vec<GroupSignalRow>, StoreError>;

    /// Records that `user_id` views the page of `school` at `now`, and returns the last view of
    /// the user's previous visit there (`None` on a first visit). Views less than [`VISIT_GAP`]
    /// apart are one visit, so reloading the page does not empty "nieuw sinds uw vorige bezoek".
    async fn record_visit(
        &self,
        user_id: i64,
        school: &Brin,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
}

/// The "previous visit" after a view at `now`, given the stored last view and previous visit.
pub fn previous_visit(
    stored: Option<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match stored {
        None => None,
        Some((last_seen, _)) if now - last_seen > VISIT_GAP => Some(last_seen),
        Some((_, previous)) => previous,
    }
}

type Row = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    NaiveDate,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn to_row(r: Row) -> Result<GroupSignalRow, StoreError> {
    let (
        id,
        key,
        rule,
        rule_version,
        school,
        group_external_id,
        domain,
        severity,
        status,
        opened_on,
        explanation,
        evidence,
        created_at,
        updated_at,
    ) = r;
    Ok(GroupSignalRow {
        id,
        signal: GroupSignal {
            key,
            rule,
            rule_version: u32::try_from(rule_version).map_err(|e| StoreError::decode("rule_version", e))?,
            school: rows::brin(&school)?,
            group_external_id,
            domain: rows::domain(domain.as_deref())?,
            severity: Severity::parse(&severity).map_err(|e| StoreError::decode("severity", e))?,
            status: SignalStatus::parse(&status).map_err(|e| StoreError::decode("status", e))?,
            opened_on,
            explanation,
            evidence: rows::from_json("evidence", &evidence)?,
        },
        created_at,
        updated_at,
    })
}

#[async_trait]
impl<S: SqlStore> GroupSignalStore for S {
    async fn upsert_group_signal(&self, signal: &GroupSignal) -> Result<GroupSignalUpsert, StoreError> {
        let now = Utc::now();
        let evidence = rows::json(&signal.evidence)?;
        let mut tx = self.pool().begin_write().await?;
        let outcome = on_engine!(&mut tx, |tx| {
            let created: Option<(i64,)> = sqlx::query_as(
                "INSERT INTO group_signals (key, rule, rule_version, school, group_external_id, domain,
                   severity, status, opened_on, explanation, evidence, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                 ON CONFLICT (key) DO NOTHING RETURNING id",
            )
            .bind(&signal.key)
            .bind(&signal.rule)
            .bind(i64::from(signal.rule_version))
            .bind(signal.school.as_str())
            .bind(&signal.group_external_id)
            .bind(signal.domain.map(|d| d.as_str()))
            .bind(signal.severity.as_str())
            .bind(SignalStatus::Open.as_str())
            .bind(signal.opened_on)
            .bind(&signal.explanation)
            .bind(&evidence)
            .bind(now)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some((id,)) = created {
                GroupSignalUpsert::Created(id)
            } else {
                let (id, explanation, stored, status, severity): (i64, String, String, String, String) =
                    sqlx::query_as(
                        "SELECT id, explanation, evidence, status, severity FROM group_signals
                         WHERE key = $1",
                    )
                    .bind(&signal.key)
                    .fetch_one(&mut **tx)
                    .await?;
                if explanation == signal.explanation
                    && stored == evidence
                    && status == SignalStatus::Open.as_str()
                    && severity == signal.severity.as_str()
                {
                    GroupSignalUpsert::Unchanged(id)
                } else {
                    sqlx::query(
                        "UPDATE group_signals SET explanation = $1, evidence = $2, severity = $3,
                           rule_version = $4, status = $5, updated_at = $6 WHERE id = $7",
                    )
                    .bind(&signal.explanation)
                    .bind(&evidence)
                    .bind(signal.severity.as_str())
                    .bind(i64::from(signal.rule_version))
                    .bind(SignalStatus::Open.as_str())
                    .bind(now)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                    GroupSignalUpsert::Updated(id)
                }
            }
        });
        tx.commit().await?;
        Ok(outcome)
    }

    async fn resolve_group_signals_except(&self, school: &Brin, found: &[String]) -> Result<u64, StoreError> {
        let open: Vec<(i64, String)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as("SELECT id, key FROM group_signals WHERE school = $1 AND status = $2")
                .bind(school.as_str())
                .bind(SignalStatus::Open.as_str())
                .fetch_all(pool)
                .await?
        });
        let keep: std::collections::HashSet<&str> = found.iter().map(String::as_str).collect();
        let now = Utc::now();
        let mut resolved = 0;
        for (id, key) in open {
            if keep.contains(key.as_str()) {
                continue;
            }
            resolved += on_engine!(self.pool(), |pool| {
                sqlx::query(
                    "UPDATE group_signals SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
                )
                .bind(SignalStatus::Resolved.as_str())
                .bind(now)
                .bind(id)
                .bind(SignalStatus::Open.as_str())
                .execute(pool)
                .await?
                .rows_affected()
            });
        }
        Ok(resolved)
    }

    async fn group_signals(
        &self,
        school: &Brin,
        status: Option<SignalStatus>,
    ) -> Result<Vec<GroupSignalRow>, StoreError> {
        let rows: Vec<Row> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, key, rule, rule_version, school, group_external_id, domain, severity, status,
                   opened_on, explanation, evidence, created_at, updated_at
                 FROM group_signals WHERE school = $1 AND ($2 IS NULL OR status = $2)
                 ORDER BY id DESC",
            )
            .bind(school.as_str())
            .bind(status.map(SignalStatus::as_str))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(to_row).collect()
    }

    async fn record_visit(
        &self,
        user_id: i64,
        school: &Brin,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let stored: Option<(DateTime<Utc>, Option<DateTime<Utc>>)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT last_seen_at, previous_seen_at FROM dashboard_visits
                 WHERE user_id = $1 AND school = $2",
            )
            .bind(user_id)
            .bind(school.as_str())
            .fetch_optional(pool)
            .await?
        });
        let previous = previous_visit(stored, now);
        let last_seen = stored.map_or(now, |(last, _)| last.max(now));
        on_engine!(self.pool(), |pool| {
            sqlx::query(
                "INSERT INTO dashboard_visits (user_id, school, last_seen_at, previous_seen_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (user_id, school) DO UPDATE
                   SET last_seen_at = excluded.last_seen_at, previous_seen_at = excluded.previous_seen_at",
            )
            .bind(user_id)
            .bind(school.as_str())
            .bind(last_seen)
            .bind(previous)
            .execute(pool)
            .await?;
        });
        Ok(previous)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_visit_is_a_run_of_views_without_a_half_hour_gap() {
        let t = |h, m| Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).single().expect("time");
        // First view ever: no previous visit.
        assert_eq!(previous_visit(None, t(8, 0)), None);
        // Reloading within the visit keeps what the visit started with.
        assert_eq!(previous_visit(Some((t(8, 0), None)), t(8, 20)), None);
        assert_eq!(
            previous_visit(Some((t(8, 0), Some(t(7, 0)))), t(8, 29)),
            Some(t(7, 0))
        );
        // After a gap of more than half an hour: the last view before it is the previous visit.
        assert_eq!(previous_visit(Some((t(8, 20), None)), t(9, 0)), Some(t(8, 20)));
        assert_eq!(
            previous_visit(Some((t(8, 20), Some(t(7, 0)))), t(13, 0)),
            Some(t(8, 20))
        );
    }
}
