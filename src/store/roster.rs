//! The school roster for the dashboard overview: enrolled pupils with their current grade and
//! plan evaluations due or overdue, read without loading results (the overview must stay fast on
//! a board with many schools).

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

use super::error::StoreError;
use super::sql::{SqlStore, on_engine};
use crate::domain::Brin;

/// One enrolled pupil on the school overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterEntry {
    /// Store id.
    pub pupil_id: i64,
    /// Roepnaam + (tussenvoegsel) achternaam.
    pub name: String,
    /// Grade (groep) of the latest membership started on or before the day asked, if any.
    pub grade: Option<u8>,
    /// Active own plans whose evaluation falls in `[day, due_until]` without an evaluation since.
    pub evaluations_due: i64,
    /// Active own plans whose evaluation date has passed without an evaluation on or after it.
    pub evaluations_overdue: i64,
}

/// Reading the roster.
#[async_trait]
pub trait RosterStore: Send + Sync {
    /// Enrolled (not left) pupils of a school on `day`, by id, with evaluations due up to
    /// `due_until`.
    async fn school_roster(
        &self,
        school: &Brin,
        day: NaiveDate,
        due_until: NaiveDate,
    ) -> Result<Vec<RosterEntry>, StoreError>;
}

#[async_trait]
impl<S: SqlStore> RosterStore for S {
    async fn school_roster(
        &self,
        school: &Brin,
        day: NaiveDate,
        due_until: NaiveDate,
    ) -> Result<Vec<RosterEntry>, StoreError> {
        let pupils: Vec<(i64, String, Option<String>, String)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, given_name, surname_prefix, surname FROM pupils
                 WHERE school = $1 AND deleted_at IS NULL AND (left_on IS NULL OR left_on > $2)
                 ORDER BY id",
            )
            .bind(school.as_str())
            .bind(day)
            .fetch_all(pool)
            .await?
        });
        let mut out: BTreeMap<i64, RosterEntry> = pupils
            .into_iter()
            .map(|(id, given, prefix, surname)| {
                let name = match prefix.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                    Some(p) => format!("{given} {p} {surname}"),
                    None => format!("{given} {surname}"),
                };
                (
                    id,
                    RosterEntry {
                        pupil_id: id,
                        name,
                        grade: None,
                        evaluations_due: 0,
                        evaluations_overdue: 0,
                    },
                )
            })
            .collect();
        // Latest membership started on or before the day: ordered so the last wins.
        let grades: Vec<(i64, i64)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT m.pupil_id, CAST(m.grade AS BIGINT) FROM memberships m
                 JOIN pupils p ON p.id = m.pupil_id
                 WHERE p.school = $1 AND p.deleted_at IS NULL AND m.from_on <= $2
                 ORDER BY m.pupil_id, m.from_on, m.id",
            )
            .bind(school.as_str())
            .bind(day)
            .fetch_all(pool)
            .await?
        });
        for (pupil_id, grade) in grades {
            if let Some(e) = out.get_mut(&pupil_id) {
                e.grade = u8::try_from(grade).ok();
            }
        }
        let plans: Vec<(i64, NaiveDate)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT pl.pupil_id, pl.evaluation_due FROM plans pl
                 WHERE pl.school = $1 AND pl.deleted_at IS NULL AND pl.pupil_id IS NOT NULL
                   AND pl.evaluation_due IS NOT NULL AND pl.evaluation_due <= $3
                   AND pl.start_on <= $2 AND (pl.end_on IS NULL OR pl.end_on >= $2)
                   AND NOT EXISTS (SELECT 1 FROM evaluations e
                                   WHERE e.plan_id = pl.id AND e.evaluated_on >= pl.evaluation_due)",
            )
            .bind(school.as_str())
            .bind(day)
            .bind(due_until)
            .fetch_all(pool)
            .await?
        });
        for (pupil_id, due) in plans {
            if let Some(e) = out.get_mut(&pupil_id) {
                if due < day {
                    e.evaluations_overdue += 1;
                } else {
                    e.evaluations_due += 1;
                }
            }
        }
        Ok(out.into_values().collect())
    }
}
