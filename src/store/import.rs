//! File import apply (OSO overstapdossier, CSV export): school, pupils, groepsindelingen, results
//! and plans of one file in one transaction, all or nothing.
//!
//! # Which stored pupil an imported pupil is
//! 1. A live pupil of the same school with the same `national_id_hash` (from any source: the GKV
//!    pupil a dossier's BSN belongs to) is *matched*: its row is not changed, and the file's
//!    results, plans and memberships are re-addressed to that pupil's `external_id` before they
//!    are applied. Page apply resolves pupils by `(school, external_id)`, so they attach to the
//!    existing pupil, and a result's content key (school, pupil, test, part, date) equals that of
//!    the same sitting from ParnasSys: the sitting is stored once (alias), as for any page.
//! 2. Else the pupil of the same source, school and `external_id` is updated (names, birth date,
//!    hash; never `left_on`: a file says nothing about who left).
//! 3. Else the pupil is inserted.
//!
//! With [`ImportBatch::hold_unknown_pupils`](crate::store::ImportBatch::hold_unknown_pupils) (the
//! UWLR endpoint) a result whose pupil is in neither the batch nor the store is held
//! (`held_records`) in the same transaction, and applied by `release_held` once a snapshot or
//! import brings the pupil.
//!
//! No other pupil is ever marked as left: a file holds one pupil (OSO) or some pupils (CSV), not
//! the school's roll.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::model::{HeldRecord, ImportBatch, ImportSummary, PageBatch};
use super::rows::PupilRow;
use super::sql::{BeginWrite, Pool, Tx, on_engine};
use crate::domain::{Brin, Pupil, TestResult};

const PUPIL_COLUMNS: &str = "SELECT id, source, school, external_id, national_id_hash, given_name,
       surname_prefix, surname, birth_date, left_on FROM pupils";

/// Applies one file in one transaction, all or nothing (the module docs say which stored pupil
/// an imported pupil is).
pub(crate) async fn apply_import(pool: Pool<'_>, batch: &ImportBatch) -> Result<ImportSummary, StoreError> {
    on_engine!(pool, |pool| {
        let brin = &batch.school.brin;
        let foreign = |source, school: &Brin| source != batch.source || school != brin;
        if batch.pupils.iter().any(|p| foreign(p.source, &p.school))
            || batch.results.iter().any(|r| foreign(r.source, &r.school))
            || batch.plans.iter().any(|p| foreign(p.source, &p.school))
        {
            return Err(StoreError::InvalidData(format!(
                "import of {} for {brin} holds a record of another source or school",
                batch.source
            )));
        }
        let now = Utc::now();
        let mut summary = ImportSummary::default();
        let mut tx = pool.begin_write().await?;

        summary.school_added = sqlx::query(
            "INSERT INTO schools (brin, name, care_ladder, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (brin) DO NOTHING",
        )
        .bind(brin.as_str())
        .bind(&batch.school.name)
        .bind(&batch.school.care_ladder)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;

        // File pupil id → (store id, the stored pupil's external id).
        let mut pupils: HashMap<&str, (i64, String)> = HashMap::new();
        for p in &batch.pupils {
            let target = import_pupil((&mut tx).into(), p, now, &mut summary).await?;
            pupils.insert(p.external_id.as_str(), target);
        }

        let mut group_ids: HashMap<(&str, &str), i64> = HashMap::new();
        for g in &batch.groups {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO groups (source, school, external_id, name, school_year, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (source, school, external_id) DO UPDATE SET name = excluded.name,
                   school_year = excluded.school_year, updated_at = excluded.updated_at, deleted_at = NULL
                 RETURNING id",
            )
            .bind(batch.source.as_str())
            .bind(g.school.as_str())
            .bind(&g.external_id)
            .bind(&g.name)
            .bind(i64::from(g.school_year.start_year()))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            group_ids.insert((g.school.as_str(), g.external_id.as_str()), id);
        }
        for m in &batch.memberships {
            let pupil_id = pupils
                .get(m.pupil_external_id.as_str())
                .map(|(id, _)| *id)
                .ok_or_else(|| {
                    StoreError::InvalidData("import membership names a pupil not in the file".into())
                })?;
            let group_id = group_ids
                .get(&(m.school.as_str(), m.group_external_id.as_str()))
                .copied()
                .ok_or_else(|| {
                    StoreError::InvalidData(format!(
                        "import membership names unknown group {}",
                        m.group_external_id
                    ))
                })?;
            let written = sqlx::query(
                "INSERT INTO memberships (pupil_id, group_id, grade, from_on, to_on, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)
                 ON CONFLICT (pupil_id, group_id, from_on) DO UPDATE SET grade = excluded.grade,
                   to_on = excluded.to_on, updated_at = excluded.updated_at
                 WHERE memberships.grade <> excluded.grade
                    OR memberships.to_on IS DISTINCT FROM excluded.to_on",
            )
            .bind(pupil_id)
            .bind(group_id)
            .bind(i64::from(m.grade.get()))
            .bind(m.from)
            .bind(m.to)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            summary.memberships += usize::from(written.rows_affected() > 0);
        }

        let readdress = |file_id: &str| pupils.get(file_id).map(|(_, stored)| stored.clone());
        let mut page = PageBatch::new(batch.source, brin.clone(), "import");
        for r in &batch.results {
            let r = TestResult {
                pupil_external_id: readdress(&r.pupil_external_id)
                    .unwrap_or_else(|| r.pupil_external_id.clone()),
                ..r.clone()
            };
            if batch.hold_unknown_pupils
                && !pupils.contains_key(r.pupil_external_id.as_str())
                && super::page_bulk::pupil_id((&mut tx).into(), brin, &r.pupil_external_id)
                    .await?
                    .is_none()
            {
                page.held.push(HeldRecord::Result(r));
            } else {
                page.results.push(r);
            }
        }
        page.plans = batch
            .plans
            .iter()
            .map(|p| {
                let mut p = p.clone();
                if let Some(stored) = p.pupil_external_id.as_deref().and_then(readdress) {
                    p.pupil_external_id = Some(stored);
                }
                p
            })
            .collect();
        // Dyslexieverklaringen of the file's pupils: the fact and date only, keyed by the
        // file's pupil id, on the pupil the file was matched to. A file without one
        // withdraws nothing (a file is no full picture).
        page.dyslexia_statements = batch
            .pupils
            .iter()
            .filter_map(|p| {
                let statement = p.dyslexia_statement?;
                Some(crate::domain::DyslexiaStatementRecord {
                    source: batch.source,
                    school: brin.clone(),
                    external_id: p.external_id.clone(),
                    pupil_external_id: readdress(&p.external_id).unwrap_or_else(|| p.external_id.clone()),
                    on: statement.on,
                })
            })
            .collect();
        // Absences (a CSV verzuim export) on the pupil the file was matched to.
        page.absences = batch
            .absences
            .iter()
            .map(|a| {
                let mut a = a.clone();
                if let Some(stored) = readdress(&a.pupil_external_id) {
                    a.pupil_external_id = stored;
                }
                a
            })
            .collect();
        // Social-emotional measurements (a CSV export of ZIEN!, KanVAS or the KiVa
        // monitor) on the pupil the file was matched to.
        page.social_emotional = batch
            .social_emotional
            .iter()
            .map(|m| {
                let mut m = m.clone();
                if let Some(stored) = readdress(&m.pupil_external_id) {
                    m.pupil_external_id = stored;
                }
                m
            })
            .collect();
        super::page_bulk::upsert_catalogue((&mut *tx).into(), &page.results, now).await?;
        summary.records = super::page::apply_page_records((&mut tx).into(), &page, now).await?;
        tx.commit().await?;
        Ok(summary)
    })
}

/// Matches or stores one imported pupil (rules in the module docs); returns its store id
/// and the `external_id` its records must carry.
async fn import_pupil(
    tx: Tx<'_>,
    p: &Pupil,
    now: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> Result<(i64, String), StoreError> {
    on_engine!(tx, |tx| {
        if let Some(hash) = p.national_id_hash.as_deref().filter(|h| !h.is_empty()) {
            let sql = format!(
                "{PUPIL_COLUMNS} WHERE school = $1 AND national_id_hash = $2 AND deleted_at IS NULL
                 ORDER BY id LIMIT 1"
            );
            let matched: Option<PupilRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(p.school.as_str())
                .bind(hash)
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(row) = matched
                && (row.source != p.source.as_str() || row.external_id != p.external_id)
            {
                summary.pupils_matched += 1;
                return Ok((row.id, row.external_id));
            }
        }
        let sql = format!("{PUPIL_COLUMNS} WHERE source = $1 AND school = $2 AND external_id = $3");
        let existing: Option<PupilRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(p.source.as_str())
            .bind(p.school.as_str())
            .bind(&p.external_id)
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = existing {
            let id = row.id;
            let stored = row.into_stored()?.pupil;
            let incoming = Pupil {
                left_on: stored.left_on,
                dyslexia_statement: stored.dyslexia_statement,
                ..p.clone()
            };
            if stored == incoming {
                summary.pupils_unchanged += 1;
            } else {
                sqlx::query(
                    "UPDATE pupils SET national_id_hash = $1, given_name = $2, surname_prefix = $3,
                       surname = $4, birth_date = $5, updated_at = $6, deleted_at = NULL
                     WHERE id = $7",
                )
                .bind(&p.national_id_hash)
                .bind(&p.given_name)
                .bind(&p.surname_prefix)
                .bind(&p.surname)
                .bind(p.birth_date)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await?;
                summary.pupils_updated += 1;
            }
            // An import delivers the pupil today: retention counts from here when no
            // leaving date is known.
            sqlx::query(
                "UPDATE pupils SET last_seen_on = $1
                 WHERE id = $2 AND (last_seen_on IS NULL OR last_seen_on < $1)",
            )
            .bind(now.date_naive())
            .bind(id)
            .execute(&mut **tx)
            .await?;
            return Ok((id, p.external_id.clone()));
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO pupils (source, school, external_id, national_id_hash, given_name,
               surname_prefix, surname, birth_date, left_on, last_seen_on, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $10, $9, $9) RETURNING id",
        )
        .bind(p.source.as_str())
        .bind(p.school.as_str())
        .bind(&p.external_id)
        .bind(&p.national_id_hash)
        .bind(&p.given_name)
        .bind(&p.surname_prefix)
        .bind(&p.surname)
        .bind(p.birth_date)
        .bind(now)
        .bind(now.date_naive())
        .fetch_one(&mut **tx)
        .await?;
        summary.pupils_new += 1;
        Ok((id, p.external_id.clone()))
    })
}
