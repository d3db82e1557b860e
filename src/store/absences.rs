//! Verzuim (absences, issue 18 item 2): stored per source record like results, read per school for
//! the absence rules. Written through a page (REST stream `verzuim`) or a CSV import; deleted with
//! the pupil (retention), never shown per pupil outside the pupil's own school.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;

use super::error::StoreError;
use super::sql::{SqlStore, Tx, on_engine, restrict};
use crate::domain::{Absence, AbsenceKind, Brin, Source};

/// A stored absence with the store id of its pupil.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAbsence {
    /// Store id of the pupil.
    pub pupil_id: i64,
    /// The absence.
    pub absence: Absence,
}

/// Reading absences for the rule engine.
#[async_trait]
pub trait AbsenceStore: Send + Sync {
    /// Live absences of live pupils of a school (all pupils, or the given ids), by pupil id, date
    /// and store id.
    async fn absences(
        &self,
        school: &Brin,
        pupil_ids: Option<&[i64]>,
    ) -> Result<Vec<StoredAbsence>, StoreError>;
}

/// Stores an absence in a page's transaction; false when it was stored, live and identical.
pub(crate) async fn upsert_absence(tx: Tx<'_>, a: &Absence, now: DateTime<Utc>) -> Result<bool, StoreError> {
    if !Absence::valid_hours(a.hours) {
        return Err(StoreError::InvalidData(format!(
            "absence {} has {} hours (expected more than 0, at most 24)",
            a.external_id, a.hours
        )));
    }
    on_engine!(tx, |tx| {
        let pupil_id: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM pupils WHERE school = $1 AND external_id = $2 AND deleted_at IS NULL",
        )
        .bind(a.school.as_str())
        .bind(&a.pupil_external_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((pupil_id,)) = pupil_id else {
            return Err(StoreError::InvalidData(format!(
                "absence {} names a pupil that is not in the store",
                a.external_id
            )));
        };
        let written = sqlx::query(
            "INSERT INTO absences (source, school, external_id, pupil_id, absent_on, hours, kind,
               created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
             ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
               absent_on = excluded.absent_on, hours = excluded.hours, kind = excluded.kind,
               updated_at = excluded.updated_at, deleted_at = NULL
             WHERE absences.deleted_at IS NOT NULL
                OR absences.pupil_id <> excluded.pupil_id
                OR absences.absent_on <> excluded.absent_on
                OR absences.hours <> excluded.hours
                OR absences.kind <> excluded.kind",
        )
        .bind(a.source.as_str())
        .bind(a.school.as_str())
        .bind(&a.external_id)
        .bind(pupil_id)
        .bind(a.on)
        .bind(a.hours)
        .bind(a.kind.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(written.rows_affected() > 0)
    })
}

#[async_trait]
impl<S: SqlStore> AbsenceStore for S {
    async fn absences(
        &self,
        school: &Brin,
        pupil_ids: Option<&[i64]>,
    ) -> Result<Vec<StoredAbsence>, StoreError> {
        if pupil_ids.is_some_and(<[i64]>::is_empty) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let chunks: Vec<Option<&[i64]>> = match pupil_ids {
            None => vec![None],
            Some(ids) => ids.chunks(500).map(Some).collect(),
        };
        for chunk in chunks {
            let rows: Vec<(i64, String, String, String, NaiveDate, f64, String)> =
                on_engine!(self.pool(), |pool| {
                    let mut q = QueryBuilder::new(
                        "SELECT a.pupil_id, a.source, a.external_id, p.external_id, a.absent_on, a.hours,
                           a.kind
                         FROM absences a JOIN pupils p ON p.id = a.pupil_id
                         WHERE a.deleted_at IS NULL AND p.deleted_at IS NULL AND p.school = ",
                    );
                    q.push_bind(school.as_str());
                    restrict(&mut q, "a.pupil_id", chunk);
                    q.push(" ORDER BY a.pupil_id, a.absent_on, a.id");
                    q.build_query_as().fetch_all(pool).await?
                });
            for (pupil_id, source, external_id, pupil_external_id, on, hours, kind) in rows {
                let source = Source::parse(&source).map_err(|e| StoreError::InvalidData(e.to_string()))?;
                let kind = AbsenceKind::parse(&kind).map_err(|e| StoreError::InvalidData(e.to_string()))?;
                out.push(StoredAbsence {
                    pupil_id,
                    absence: Absence {
                        source,
                        school: school.clone(),
                        external_id,
                        pupil_external_id,
                        on,
                        hours,
                        kind,
                    },
                });
            }
        }
        Ok(out)
    }
}
