//! Rule input: a pupil's history (memberships, results, plans with evaluations), and which
//! pupils have new data since a moment, so re-evaluation touches only those.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::error::StoreError;
use super::model::{ChangedKinds, KnownPupil, PupilChanges, PupilHistory, StoredPlan, StoredResult};
use super::rows::{EvaluationRow, MembershipRow, PlanRow, PupilRow, ResultRow};
use super::sql::{Pool, SqlStore, on_engine, push_in, restrict};
use crate::domain::{Brin, DyslexiaStatement};

/// Reading histories for the rule engine.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Histories of every pupil of a school (left pupils included: rules decide), by pupil id.
    async fn pupil_histories(&self, school: &Brin) -> Result<Vec<PupilHistory>, StoreError>;

    /// Histories of the given pupils of a school (unknown ids are skipped), by pupil id.
    async fn pupil_histories_for(
        &self,
        school: &Brin,
        pupil_ids: &[i64],
    ) -> Result<Vec<PupilHistory>, StoreError>;

    /// The given pupils of a school (unknown ids are skipped) as
    /// [`HistoryStore::pupil_histories_for`] reads them, but without their results (left
    /// empty), by pupil id: what [`ChangedKinds::profile`] names.
    async fn pupil_profiles_for(
        &self,
        school: &Brin,
        pupil_ids: &[i64],
    ) -> Result<Vec<PupilHistory>, StoreError>;

    /// The live results of the given live pupils of a school, as
    /// [`HistoryStore::pupil_histories_for`] reads them (by date, then id), by pupil id; a
    /// pupil without results (or unknown) is absent.
    async fn pupil_results_for(
        &self,
        school: &Brin,
        pupil_ids: &[i64],
    ) -> Result<BTreeMap<i64, Vec<StoredResult>>, StoreError>;

    /// Every pupil of a school (left pupils included) with only the pupil row and the
    /// memberships, by pupil id: results, plans and group plans are left empty. For who a pupil
    /// is and in which group (the mails): a fraction of [`HistoryStore::pupil_histories`]'s rows.
    async fn pupil_rosters(&self, school: &Brin) -> Result<Vec<PupilHistory>, StoreError>;

    /// Every pupil of a school (left ones included) by store id: what results, notes, plans and
    /// tasks may refer to.
    async fn known_pupils(&self, school: &Brin) -> Result<Vec<KnownPupil>, StoreError>;

    /// Pupils of a school whose own row, memberships, results (tombstones included), plans
    /// (their own or a group plan of one of their groups), notes, absences, social-emotional
    /// measurements or dyslexieverklaringen changed at or after `since`, each with the kinds of
    /// his records that changed ([`ChangedKinds`]), by pupil id.
    async fn pupil_changes_since(
        &self,
        school: &Brin,
        since: DateTime<Utc>,
    ) -> Result<Vec<PupilChanges>, StoreError>;
}

/// What [`histories`] reads of each pupil besides the pupil row and the memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parts {
    /// Nothing more.
    Roster,
    /// Dyslexieverklaringen and plans (own and group plans), not results.
    Profile,
    /// Dyslexieverklaringen, plans and results.
    Full,
}

/// Histories of a school's pupils (all, or the given ids) with the `parts` asked for.
async fn histories(
    pool: Pool<'_>,
    school: &Brin,
    ids: Option<&[i64]>,
    parts: Parts,
) -> Result<Vec<PupilHistory>, StoreError> {
    if ids.is_some_and(<[i64]>::is_empty) {
        return Ok(Vec::new());
    }
    let pupils: Vec<PupilRow> = on_engine!(pool, |pool| {
        let mut q = QueryBuilder::new(
            "SELECT id, source, school, external_id, national_id_hash, given_name, surname_prefix,
                    surname, birth_date, left_on
             FROM pupils WHERE deleted_at IS NULL AND school = ",
        );
        q.push_bind(school.as_str());
        restrict(&mut q, "id", ids);
        q.push(" ORDER BY id");
        q.build_query_as().fetch_all(pool).await?
    });
    let mut out: BTreeMap<i64, PupilHistory> = BTreeMap::new();
    for row in pupils {
        let pupil = row.into_stored()?;
        out.insert(
            pupil.id,
            PupilHistory {
                pupil,
                memberships: Vec::new(),
                results: Vec::new(),
                plans: Vec::new(),
                group_plans: Vec::new(),
            },
        );
    }

    if parts == Parts::Roster {
        return with_memberships(pool, school, ids, out).await;
    }
    // Dyslexieverklaringen: undated when any source gives no date, else the earliest.
    let statements: Vec<(i64, Option<chrono::NaiveDate>)> = on_engine!(pool, |pool| {
        let mut q = QueryBuilder::new(
            "SELECT d.pupil_id, d.stated_on FROM dyslexia_statements d JOIN pupils p ON p.id = d.pupil_id
             WHERE d.deleted_at IS NULL AND p.deleted_at IS NULL AND p.school = ",
        );
        q.push_bind(school.as_str());
        restrict(&mut q, "d.pupil_id", ids);
        q.push(" ORDER BY d.pupil_id, d.id");
        q.build_query_as().fetch_all(pool).await?
    });
    for (pupil_id, on) in statements {
        if let Some(h) = out.get_mut(&pupil_id) {
            let merged = match h.pupil.pupil.dyslexia_statement {
                None => on,
                Some(prev) => prev.on.zip(on).map(|(a, b)| a.min(b)),
            };
            h.pupil.pupil.dyslexia_statement = Some(DyslexiaStatement { on: merged });
        }
    }

    let mut out = with_memberships(pool, school, ids, out)
        .await?
        .into_iter()
        .map(|h| (h.pupil.id, h))
        .collect::<BTreeMap<i64, PupilHistory>>();

    if parts == Parts::Full {
        for r in result_rows(pool, school, ids).await? {
            if let Some(h) = out.get_mut(&r.pupil_id) {
                h.results.push(r.into_stored()?);
            }
        }
    }

    // Plans of the school: the pupils' own ones and every group plan (matched below).
    let plans: Vec<PlanRow> = on_engine!(pool, |pool| {
        let mut q = QueryBuilder::new(
            "SELECT pl.id, pl.pupil_id, pl.source, pl.school, pl.external_id,
                    p.external_id AS pupil_external_id, pl.group_external_id, pl.kind, pl.domain,
                    pl.title, pl.owner, pl.care_level, pl.start_on, pl.end_on, pl.evaluation_due,
                    pl.minutes_per_week, pl.decided_on, pl.drawn_up_on, pl.parents_agreed_on
             FROM plans pl LEFT JOIN pupils p ON p.id = pl.pupil_id
             WHERE pl.deleted_at IS NULL AND pl.school = ",
        );
        q.push_bind(school.as_str());
        if let Some(ids) = ids {
            // Group plans (no pupil) are matched to memberships below.
            q.push(" AND (pl.pupil_id IS NULL OR ");
            push_in(&mut q, "pl.pupil_id", ids);
            q.push(")");
        }
        q.push(" ORDER BY pl.start_on, pl.id");
        q.build_query_as().fetch_all(pool).await?
    });

    let evaluation_rows: Vec<EvaluationRow> = on_engine!(pool, |pool| {
        let mut q = QueryBuilder::new(
            "SELECT e.plan_id, e.evaluated_on, e.outcome FROM evaluations e
             JOIN plans pl ON pl.id = e.plan_id WHERE pl.deleted_at IS NULL AND pl.school = ",
        );
        q.push_bind(school.as_str());
        q.push(" ORDER BY e.plan_id, e.evaluated_on, e.id");
        q.build_query_as().fetch_all(pool).await?
    });
    let mut evaluations: BTreeMap<i64, Vec<_>> = BTreeMap::new();
    for e in evaluation_rows {
        evaluations.entry(e.plan_id).or_default().push(e.into_domain()?);
    }

    for row in plans {
        let pupil_id = row.pupil_id;
        let plan: StoredPlan = {
            let evals = evaluations.remove(&row.id).unwrap_or_default();
            row.into_stored(evals)?
        };
        match pupil_id {
            Some(pid) => {
                if let Some(h) = out.get_mut(&pid) {
                    h.plans.push(plan);
                }
            }
            None => {
                let Some(group) = plan.plan.group_external_id.as_deref() else {
                    continue;
                };
                for h in out.values_mut() {
                    if h.memberships.iter().any(|m| m.group_external_id == group) {
                        h.group_plans.push(plan.clone());
                    }
                }
            }
        }
    }
    Ok(out.into_values().collect())
}

/// The live results of a school's live pupils (all, or the given ids), by pupil id, date and id.
async fn result_rows(
    pool: Pool<'_>,
    school: &Brin,
    ids: Option<&[i64]>,
) -> Result<Vec<ResultRow>, StoreError> {
    Ok(on_engine!(pool, |pool| {
        let mut q = QueryBuilder::new(
            "SELECT r.id, r.pupil_id, r.source, r.school, r.external_id,
                    p.external_id AS pupil_external_id, r.test_code, r.part_code, r.test_name,
                    r.provider, r.taken_on, r.stated_moment, r.raw_score, r.ability_value,
                    r.ability_scale, r.ability_low, r.ability_high, r.reference_scores
             FROM results r JOIN pupils p ON p.id = r.pupil_id
             WHERE r.deleted_at IS NULL AND p.deleted_at IS NULL AND p.school = ",
        );
        q.push_bind(school.as_str());
        restrict(&mut q, "r.pupil_id", ids);
        q.push(" ORDER BY r.pupil_id, r.taken_on, r.id");
        q.build_query_as().fetch_all(pool).await?
    }))
}

/// Adds every membership of the pupils in `out` (by pupil id).
async fn with_memberships(
    pool: Pool<'_>,
    school: &Brin,
    ids: Option<&[i64]>,
    mut out: BTreeMap<i64, PupilHistory>,
) -> Result<Vec<PupilHistory>, StoreError> {
    let memberships: Vec<MembershipRow> = on_engine!(pool, |pool| {
        let mut q = QueryBuilder::new(
            "SELECT m.pupil_id, p.school, p.external_id AS pupil_external_id,
                    g.external_id AS group_external_id, m.grade, m.from_on, m.to_on
             FROM memberships m JOIN pupils p ON p.id = m.pupil_id JOIN groups g ON g.id = m.group_id
             WHERE p.deleted_at IS NULL AND p.school = ",
        );
        q.push_bind(school.as_str());
        restrict(&mut q, "m.pupil_id", ids);
        q.push(" ORDER BY m.pupil_id, m.from_on, m.id");
        q.build_query_as().fetch_all(pool).await?
    });
    for m in memberships {
        if let Some(h) = out.get_mut(&m.pupil_id) {
            h.memberships.push(m.into_domain()?);
        }
    }
    Ok(out.into_values().collect())
}

/// [`histories`] of the given pupils, in bounded chunks, by pupil id.
async fn histories_of(
    pool: Pool<'_>,
    school: &Brin,
    pupil_ids: &[i64],
    parts: Parts,
) -> Result<Vec<PupilHistory>, StoreError> {
    let mut all = Vec::with_capacity(pupil_ids.len());
    // Bounded IN lists stay under every engine's parameter limit.
    for chunk in pupil_ids.chunks(500) {
        all.extend(histories(pool, school, Some(chunk), parts).await?);
    }
    all.sort_by_key(|h| h.pupil.id);
    Ok(all)
}

#[async_trait]
impl<S: SqlStore> HistoryStore for S {
    async fn pupil_histories(&self, school: &Brin) -> Result<Vec<PupilHistory>, StoreError> {
        histories(self.pool(), school, None, Parts::Full).await
    }

    async fn pupil_rosters(&self, school: &Brin) -> Result<Vec<PupilHistory>, StoreError> {
        histories(self.pool(), school, None, Parts::Roster).await
    }

    async fn pupil_histories_for(
        &self,
        school: &Brin,
        pupil_ids: &[i64],
    ) -> Result<Vec<PupilHistory>, StoreError> {
        histories_of(self.pool(), school, pupil_ids, Parts::Full).await
    }

    async fn pupil_profiles_for(
        &self,
        school: &Brin,
        pupil_ids: &[i64],
    ) -> Result<Vec<PupilHistory>, StoreError> {
        histories_of(self.pool(), school, pupil_ids, Parts::Profile).await
    }

    async fn pupil_results_for(
        &self,
        school: &Brin,
        pupil_ids: &[i64],
    ) -> Result<BTreeMap<i64, Vec<StoredResult>>, StoreError> {
        let mut out: BTreeMap<i64, Vec<StoredResult>> = BTreeMap::new();
        // Bounded IN lists stay under every engine's parameter limit.
        for chunk in pupil_ids.chunks(500) {
            for r in result_rows(self.pool(), school, Some(chunk)).await? {
                out.entry(r.pupil_id).or_default().push(r.into_stored()?);
            }
        }
        Ok(out)
    }

    async fn known_pupils(&self, school: &Brin) -> Result<Vec<KnownPupil>, StoreError> {
        let rows: Vec<(i64, String, Option<chrono::NaiveDate>)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, external_id, left_on FROM pupils
                 WHERE school = $1 AND deleted_at IS NULL ORDER BY id",
            )
            .bind(school.as_str())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, external_id, left_on)| KnownPupil {
                id,
                external_id,
                left_on,
            })
            .collect())
    }

    async fn pupil_changes_since(
        &self,
        school: &Brin,
        since: DateTime<Utc>,
    ) -> Result<Vec<PupilChanges>, StoreError> {
        // One branch per change stamp, named by the kind of record it changes, each on its
        // school's stamps (a record's school is its pupil's; memberships carry no school, and
        // change with the roll only); the pupil must be live and of the school.
        let rows: Vec<(i64, String)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT DISTINCT c.pupil_id, c.kind FROM (
                   SELECT id AS pupil_id, 'profile' AS kind FROM pupils
                             WHERE school = $1 AND updated_at >= $2
                   UNION ALL SELECT pupil_id, 'profile' FROM memberships WHERE updated_at >= $2
                   UNION ALL SELECT pupil_id, 'profile' FROM dyslexia_statements
                             WHERE school = $1 AND updated_at >= $2
                   UNION ALL SELECT pupil_id, 'profile' FROM plans
                             WHERE school = $1 AND updated_at >= $2 AND pupil_id IS NOT NULL
                   UNION ALL SELECT m.pupil_id, 'profile'
                             FROM plans pl CROSS JOIN groups g CROSS JOIN memberships m
                             WHERE pl.school = $1 AND pl.updated_at >= $2 AND g.school = pl.school
                               AND g.external_id = pl.group_external_id AND m.group_id = g.id
                   UNION ALL SELECT pupil_id, 'results' FROM results
                             WHERE school = $1 AND updated_at >= $2
                   UNION ALL SELECT r.pupil_id, 'results'
                             FROM result_sources rs JOIN results r ON r.id = rs.result_id
                             WHERE rs.school = $1 AND rs.created_at >= $2
                   UNION ALL SELECT r.pupil_id, 'results'
                             FROM result_sources rs JOIN results r ON r.id = rs.result_id
                             WHERE rs.school = $1 AND rs.deleted_at >= $2
                   UNION ALL SELECT pupil_id, 'notes' FROM notes
                             WHERE school = $1 AND updated_at >= $2 AND pupil_id IS NOT NULL
                   UNION ALL SELECT pupil_id, 'absences' FROM absences
                             WHERE school = $1 AND updated_at >= $2
                   UNION ALL SELECT pupil_id, 'social_emotional' FROM social_emotional
                             WHERE school = $1 AND updated_at >= $2
                 ) c JOIN pupils p ON p.id = c.pupil_id
                 WHERE p.school = $1 AND p.deleted_at IS NULL",
            )
            .bind(school.as_str())
            .bind(since)
            .fetch_all(pool)
            .await?
        });
        let mut by_pupil: BTreeMap<i64, ChangedKinds> = BTreeMap::new();
        for (pupil_id, kind) in rows {
            let kinds = by_pupil.entry(pupil_id).or_default();
            match kind.as_str() {
                "profile" => kinds.profile = true,
                "results" => kinds.results = true,
                "notes" => kinds.notes = true,
                "absences" => kinds.absences = true,
                "social_emotional" => kinds.social_emotional = true,
                other => {
                    return Err(StoreError::InvalidData(format!(
                        "unknown kind of change {other:?}"
                    )));
                }
            }
        }
        Ok(by_pupil
            .into_iter()
            .map(|(pupil_id, kinds)| PupilChanges { pupil_id, kinds })
            .collect())
    }
}
