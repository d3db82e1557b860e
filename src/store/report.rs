//! Read-only facts for the board report (bestuursrapportage): pupils, plans and signals of one
//! school reduced to store ids, dates and codes. No query here selects a name, a source pupil id
//! or a national-id hash, so the report code never holds them.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::error::StoreError;
use super::sql::{SqlStore, on_engine};
use crate::domain::{Brin, EedCriterion, LearningDomain, PlanKind, SignalStatus};

/// A pupil as the report sees him: a store id, enrolment periods and the date he left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPupil {
    /// Store id (never shown; used only to join plans and signals).
    pub id: i64,
    /// Date the pupil left the school (uitschrijving), if so.
    pub left_on: Option<NaiveDate>,
    /// Groepsindelingen as `(from, to)`, oldest first; `to = None` means still running.
    pub enrolments: Vec<(NaiveDate, Option<NaiveDate>)>,
}

impl ReportPupil {
    /// Whether the pupil was at the school on `date`: a group membership covers it and he had
    /// not left by then.
    pub fn enrolled_on(&self, date: NaiveDate) -> bool {
        self.left_on.is_none_or(|l| l > date)
            && self
                .enrolments
                .iter()
                .any(|(from, to)| *from <= date && to.is_none_or(|t| date <= t))
    }
}

/// A plan (handelingsplan, groepsplan, OPP) reduced to what the report counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportPlan {
    /// Store id.
    pub id: i64,
    /// Store id of the pupil, for individual plans and OPPs.
    pub pupil_id: Option<i64>,
    /// Kind of plan.
    pub kind: PlanKind,
    /// Domain the plan works on, when known.
    pub domain: Option<LearningDomain>,
    /// Zorgniveau code on the school's ladder.
    pub care_level: Option<String>,
    /// Start date.
    pub start: NaiveDate,
    /// End date, when closed.
    pub end: Option<NaiveDate>,
    /// Explicit evaluation date, when set.
    pub evaluation_due: Option<NaiveDate>,
    /// Dates of the plan's evaluations, oldest first.
    pub evaluations: Vec<NaiveDate>,
    /// For a group plan: store ids of the pupils with a membership of its group (the pupils it
    /// covers, as the rules read it); empty for a pupil's own plan.
    pub group_members: Vec<i64>,
}

impl ReportPlan {
    /// Whether the plan is the pupil's own or a group plan of one of his groups.
    pub fn covers_pupil(&self, pupil_id: i64) -> bool {
        self.pupil_id == Some(pupil_id) || self.group_members.contains(&pupil_id)
    }
}

/// A signal reduced to what the report counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportSignal {
    /// Store id.
    pub id: i64,
    /// Store id of the pupil.
    pub pupil_id: i64,
    /// Rule id.
    pub rule: String,
    /// Domain, for learning signals.
    pub domain: Option<LearningDomain>,
    /// Current status.
    pub status: SignalStatus,
    /// Date the signal opened.
    pub opened_on: NaiveDate,
    /// Date (UTC) it was first resolved or dismissed, from its timeline.
    pub closed_on: Option<NaiveDate>,
    /// For `dmt_three_lowest` (and `eed_check`): whether the three results are in the lowest 10 %.
    pub eed_criterion: Option<EedCriterion>,
    /// Version of the rule that last wrote the signal.
    pub rule_version: u32,
}

impl ReportSignal {
    /// Whether the signal was open (open or in behandeling) at the end of `date`.
    pub fn open_on(&self, date: NaiveDate) -> bool {
        self.opened_on <= date && self.closed_on.is_none_or(|c| c > date)
    }
}

/// Reading the report's facts (live rows only; soft-deleted rows are left out).
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Every pupil of a school (left ones included), by id.
    async fn report_pupils(&self, school: &Brin) -> Result<Vec<ReportPupil>, StoreError>;

    /// Every plan of a school (individual, OPP and group plans) with evaluation dates, by id.
    async fn report_plans(&self, school: &Brin) -> Result<Vec<ReportPlan>, StoreError>;

    /// Every signal of a school with the date it was closed, by id.
    async fn report_signals(&self, school: &Brin) -> Result<Vec<ReportSignal>, StoreError>;
}

/// `plans` columns the report reads.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReportPlanRow {
    pub id: i64,
    pub pupil_id: Option<i64>,
    pub kind: String,
    pub domain: Option<String>,
    pub care_level: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub evaluation_due: Option<NaiveDate>,
}

impl ReportPlanRow {
    pub(crate) fn into_plan(self, evaluations: Vec<NaiveDate>) -> Result<ReportPlan, StoreError> {
        Ok(ReportPlan {
            id: self.id,
            pupil_id: self.pupil_id,
            kind: PlanKind::parse(&self.kind).map_err(|e| StoreError::decode("kind", e))?,
            domain: super::rows::domain(self.domain.as_deref())?,
            care_level: self.care_level,
            start: self.start_on,
            end: self.end_on,
            evaluation_due: self.evaluation_due,
            evaluations,
            group_members: Vec::new(),
        })
    }
}

/// `signals` columns the report reads.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ReportSignalRow {
    pub id: i64,
    pub pupil_id: i64,
    pub rule: String,
    pub domain: Option<String>,
    pub status: String,
    pub opened_on: NaiveDate,
    pub eed_criterion: Option<String>,
    pub rule_version: i64,
}

impl ReportSignalRow {
    pub(crate) fn into_signal(self, closed_on: Option<NaiveDate>) -> Result<ReportSignal, StoreError> {
        Ok(ReportSignal {
            eed_criterion: self
                .eed_criterion
                .map(|c| super::rows::enum_parse("eed_criterion", &c))
                .transpose()?,
            rule_version: u32::try_from(self.rule_version)
                .map_err(|e| StoreError::decode("rule_version", e))?,
            id: self.id,
            pupil_id: self.pupil_id,
            rule: self.rule,
            domain: super::rows::domain(self.domain.as_deref())?,
            status: SignalStatus::parse(&self.status).map_err(|e| StoreError::decode("status", e))?,
            opened_on: self.opened_on,
            closed_on,
        })
    }
}

#[async_trait]
impl<S: SqlStore> ReportStore for S {
    async fn report_pupils(&self, school: &Brin) -> Result<Vec<ReportPupil>, StoreError> {
        let pupils: Vec<(i64, Option<NaiveDate>)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, left_on FROM pupils WHERE deleted_at IS NULL AND school = $1 ORDER BY id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let spans: Vec<(i64, NaiveDate, Option<NaiveDate>)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT m.pupil_id, m.from_on, m.to_on FROM memberships m
                 JOIN pupils p ON p.id = m.pupil_id
                 WHERE p.deleted_at IS NULL AND p.school = $1 ORDER BY m.pupil_id, m.from_on, m.id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut by_pupil: BTreeMap<i64, Vec<(NaiveDate, Option<NaiveDate>)>> = BTreeMap::new();
        for (id, from, to) in spans {
            by_pupil.entry(id).or_default().push((from, to));
        }
        Ok(pupils
            .into_iter()
            .map(|(id, left_on)| ReportPupil {
                id,
                left_on,
                enrolments: by_pupil.remove(&id).unwrap_or_default(),
            })
            .collect())
    }

    async fn report_plans(&self, school: &Brin) -> Result<Vec<ReportPlan>, StoreError> {
        let rows: Vec<ReportPlanRow> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, pupil_id, kind, domain, care_level, start_on, end_on, evaluation_due
                 FROM plans WHERE deleted_at IS NULL AND school = $1 ORDER BY id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let evaluations: Vec<(i64, NaiveDate)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT e.plan_id, e.evaluated_on FROM evaluations e JOIN plans p ON p.id = e.plan_id
                 WHERE p.deleted_at IS NULL AND p.school = $1 ORDER BY e.plan_id, e.evaluated_on, e.id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut by_plan: BTreeMap<i64, Vec<NaiveDate>> = BTreeMap::new();
        for (plan, on) in evaluations {
            by_plan.entry(plan).or_default().push(on);
        }
        // Group plans cover the pupils of their group (any membership, as the
        // pupil histories the rules read).
        let members: Vec<(i64, i64)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT DISTINCT pl.id, m.pupil_id FROM plans pl
                 JOIN groups g ON g.school = pl.school AND g.external_id = pl.group_external_id
                 JOIN memberships m ON m.group_id = g.id
                 WHERE pl.deleted_at IS NULL AND pl.pupil_id IS NULL AND pl.school = $1
                 ORDER BY pl.id, m.pupil_id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut by_group_plan: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (plan, pupil) in members {
            by_group_plan.entry(plan).or_default().push(pupil);
        }
        rows.into_iter()
            .map(|r| {
                let evaluations = by_plan.remove(&r.id).unwrap_or_default();
                let group_members = by_group_plan.remove(&r.id).unwrap_or_default();
                r.into_plan(evaluations)
                    .map(|p| ReportPlan { group_members, ..p })
            })
            .collect()
    }

    async fn report_signals(&self, school: &Brin) -> Result<Vec<ReportSignal>, StoreError> {
        let rows: Vec<ReportSignalRow> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, pupil_id, rule, domain, status, opened_on, eed_criterion, rule_version
                 FROM signals WHERE school = $1 ORDER BY id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let closes: Vec<(i64, DateTime<Utc>)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT e.signal_id, e.at FROM signal_events e JOIN signals s ON s.id = e.signal_id
                 WHERE s.school = $1 AND e.to_status IN ('resolved', 'dismissed')",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        let mut closed: BTreeMap<i64, NaiveDate> = BTreeMap::new();
        for (id, at) in closes {
            let day = at.date_naive();
            closed.entry(id).and_modify(|d| *d = (*d).min(day)).or_insert(day);
        }
        rows.into_iter()
            .map(|r| {
                let closed_on = closed.get(&r.id).copied();
                r.into_signal(closed_on)
            })
            .collect()
    }
}
