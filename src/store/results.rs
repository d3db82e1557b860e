//! Result upsert with de-duplication across sources (the rule is in the module docs of
//! [`crate::store`]): one row per sitting, an alias per other source's id.

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::page_bulk::required_pupil_id;
use super::rows::{self, ResultRow};
use super::sql::{Tx, on_engine};
use crate::domain::TestResult;

/// What happened to one result in a page.
pub(crate) enum ResultOutcome {
    /// A new sitting.
    Inserted,
    /// The first-seen source changed its result.
    Updated,
    /// Re-sent without change.
    Unchanged,
    /// A sitting already stored from another source (alias recorded or recognised).
    Deduplicated,
}

/// Stores a result record by record (the page fallback and held records): alias, revival,
/// first seen wins. The caller upserts the test catalogue (`upsert_catalogue` in `page_bulk.rs`).
pub(crate) async fn upsert_result(
    tx: Tx<'_>,
    r: &TestResult,
    now: DateTime<Utc>,
) -> Result<ResultOutcome, StoreError> {
    on_engine!(tx, |tx| {
        let what = format!("result {}", r.external_id);
        let pupil_id = required_pupil_id(Tx::from(&mut *tx), &r.school, &r.pupil_external_id, &what).await?;
        let known: Option<(i64,)> = sqlx::query_as(
            "SELECT result_id FROM result_sources WHERE source = $1 AND school = $2 AND external_id = $3",
        )
        .bind(r.source.as_str())
        .bind(r.school.as_str())
        .bind(&r.external_id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some((result_id,)) = known {
            sqlx::query(
                "UPDATE result_sources SET deleted_at = NULL
                 WHERE source = $1 AND school = $2 AND external_id = $3",
            )
            .bind(r.source.as_str())
            .bind(r.school.as_str())
            .bind(&r.external_id)
            .execute(&mut **tx)
            .await?;
            let (stored, deleted): (ResultRow, Option<DateTime<Utc>>) = {
                let row: ResultRow = sqlx::query_as(
                    "SELECT r.id, r.pupil_id, r.source, r.school, r.external_id,
                       p.external_id AS pupil_external_id, r.test_code, r.part_code,
                       r.test_name, r.provider, r.taken_on, r.stated_moment, r.raw_score,
                       r.ability_value, r.ability_scale, r.ability_low, r.ability_high,
                       r.reference_scores
                     FROM results r JOIN pupils p ON p.id = r.pupil_id WHERE r.id = $1",
                )
                .bind(result_id)
                .fetch_one(&mut **tx)
                .await?;
                let (deleted,): (Option<DateTime<Utc>>,) =
                    sqlx::query_as("SELECT deleted_at FROM results WHERE id = $1")
                        .bind(result_id)
                        .fetch_one(&mut **tx)
                        .await?;
                (row, deleted)
            };
            let first_seen = stored.source == r.source.as_str() && stored.external_id == r.external_id;
            if !first_seen {
                // Another source delivered this sitting first: its content stays, the
                // sitting comes back if every id naming it had been tombstoned.
                sqlx::query(
                    "UPDATE results SET deleted_at = NULL, updated_at = $2
                     WHERE id = $1 AND deleted_at IS NOT NULL",
                )
                .bind(result_id)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                return Ok(ResultOutcome::Deduplicated);
            }
            if deleted.is_none() && stored.into_stored()?.result == *r {
                return Ok(ResultOutcome::Unchanged);
            }
            write_result(Tx::from(&mut *tx), Some(result_id), pupil_id, r, now).await?;
            return Ok(ResultOutcome::Updated);
        }

        let same_sitting: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM results WHERE content_key = $1 AND deleted_at IS NULL ORDER BY id LIMIT 1",
        )
        .bind(r.content_key())
        .fetch_optional(&mut **tx)
        .await?;
        let (result_id, outcome) = match same_sitting {
            Some((id,)) => (id, ResultOutcome::Deduplicated),
            None => (
                write_result(Tx::from(&mut *tx), None, pupil_id, r, now).await?,
                ResultOutcome::Inserted,
            ),
        };
        sqlx::query(
            "INSERT INTO result_sources (result_id, source, school, external_id, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(result_id)
        .bind(r.source.as_str())
        .bind(r.school.as_str())
        .bind(&r.external_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(outcome)
    })
}

/// Inserts (`id` = None) or overwrites a result row; returns its id.
async fn write_result(
    tx: Tx<'_>,
    id: Option<i64>,
    pupil_id: i64,
    r: &TestResult,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    on_engine!(tx, |tx| {
        let sql = match id {
            None => {
                "INSERT INTO results (pupil_id, content_key, test_code, part_code, test_name, provider,
                   taken_on, stated_moment, raw_score, ability_value, ability_scale, reference_scores,
                   source, school, external_id, created_at, updated_at, ability_low, ability_high)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16,
                   $17, $18)
                 RETURNING id"
            }
            Some(_) => {
                "UPDATE results SET pupil_id = $1, content_key = $2, test_code = $3, part_code = $4,
                   test_name = $5, provider = $6, taken_on = $7, stated_moment = $8, raw_score = $9,
                   ability_value = $10, ability_scale = $11, reference_scores = $12, updated_at = $16,
                   ability_low = $17, ability_high = $18, deleted_at = NULL
                 WHERE source = $13 AND school = $14 AND external_id = $15 RETURNING id"
            }
        };
        let (id,): (i64,) = sqlx::query_as(sql)
            .bind(pupil_id)
            .bind(r.content_key())
            .bind(&r.test_code)
            .bind(&r.part_code)
            .bind(&r.test_name)
            .bind(&r.provider)
            .bind(r.taken_on)
            .bind(r.stated_moment.as_ref().map(rows::enum_name).transpose()?)
            .bind(r.raw_score)
            .bind(r.ability.as_ref().map(|a| a.value))
            .bind(r.ability.as_ref().map(|a| a.scale.as_str()))
            .bind(rows::json(&r.reference_scores)?)
            .bind(r.source.as_str())
            .bind(r.school.as_str())
            .bind(&r.external_id)
            .bind(now)
            .bind(r.ability.as_ref().and_then(|a| a.interval).map(|i| i.low))
            .bind(r.ability.as_ref().and_then(|a| a.interval).map(|i| i.high))
            .fetch_one(&mut **tx)
            .await?;
        Ok(id)
    })
}
