//! Page apply: one page of a source stream (results, notes, plans, tombstones, quarantine) and
//! the stream's cursor, committed in one transaction. Results go through `results.rs`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, Utc};

use super::error::StoreError;
use super::model::{HeldRecord, PageBatch, PageSummary, RecordKind, ReleaseSummary, Tombstone};
use super::results::ResultOutcome;
use super::rows::{self, EvaluationRow, PlanRow};
use super::sql::{BeginWrite, Pool, Tx, on_engine};
use crate::domain::{Brin, DyslexiaStatementRecord, Evaluation, Note, Source, SupportPlan, TestResult};

/// Held records per `INSERT` statement: 9 parameters each, within SQLite's and PostgreSQL's
/// limits on bound parameters.
const HELD_ROWS_PER_STATEMENT: usize = 500;

/// Applies one page and the stream's cursor in one transaction; the test catalogue goes first,
/// outside it (`upsert_catalogue`). The caller holds the store's sync write gate.
pub(crate) async fn apply_page(pool: Pool<'_>, batch: &PageBatch) -> Result<PageSummary, StoreError> {
    on_engine!(pool, |pool| {
        let now = Utc::now();
        if !batch.results.is_empty() {
            // The shared catalogue outside the page transaction (page_bulk.rs).
            let mut conn = pool.acquire().await?;
            super::page_bulk::upsert_catalogue((&mut *conn).into(), &batch.results, now).await?;
        }
        let mut tx = pool.begin_write().await?;
        let summary = apply_page_records((&mut tx).into(), batch, now).await?;
        let records = batch.results.len()
            + batch.notes.len()
            + batch.plans.len()
            + batch.dyslexia_statements.len()
            + batch.absences.len()
            + batch.social_emotional.len()
            + batch.tombstones.len()
            + batch.unwritten_records;
        sqlx::query(
            "INSERT INTO sync_cursors (source, school, stream, cursor, last_success_at, last_error,
               last_error_at, consecutive_failures, records, quarantined, updated_at)
             VALUES ($1, $2, $3, $4, $5, NULL, NULL, 0, $6, $7, $8)
             ON CONFLICT (source, school, stream) DO UPDATE SET
               cursor = COALESCE(excluded.cursor, sync_cursors.cursor),
               last_success_at = COALESCE(excluded.last_success_at, sync_cursors.last_success_at),
               consecutive_failures = CASE WHEN excluded.last_success_at IS NULL
                 THEN sync_cursors.consecutive_failures ELSE 0 END,
               records = sync_cursors.records + excluded.records,
               quarantined = sync_cursors.quarantined + excluded.quarantined,
               updated_at = excluded.updated_at",
        )
        .bind(batch.source.as_str())
        .bind(batch.school.as_str())
        .bind(&batch.stream)
        .bind(&batch.new_cursor)
        .bind(batch.finished.then_some(now))
        .bind(i64::try_from(records).unwrap_or(i64::MAX))
        .bind(i64::try_from(batch.quarantine.len()).unwrap_or(i64::MAX))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(summary)
    })
}

/// Applies a page's records (results, notes, plans, tombstones, quarantine) inside `tx`;
/// the caller owns the transaction and the cursor. Shared by page apply and import.
pub(crate) async fn apply_page_records(
    tx: Tx<'_>,
    batch: &PageBatch,
    now: DateTime<Utc>,
) -> Result<PageSummary, StoreError> {
    on_engine!(tx, |tx| {
        let foreign = |source: Source, school: &Brin| source != batch.source || *school != batch.school;
        if batch.results.iter().any(|r| foreign(r.source, &r.school))
            || batch.notes.iter().any(|n| foreign(n.source, &n.school))
            || batch.plans.iter().any(|p| foreign(p.source, &p.school))
            || batch
                .dyslexia_statements
                .iter()
                .any(|d| foreign(d.source, &d.school))
            || batch.absences.iter().any(|a| foreign(a.source, &a.school))
            || batch
                .social_emotional
                .iter()
                .any(|m| foreign(m.source, &m.school))
            || batch.held.iter().any(|h| {
                let (source, school) = h.origin();
                foreign(source, school) || h.pupil_external_id().is_none()
            })
        {
            return Err(StoreError::InvalidData(format!(
                "page of {} {} {} holds a record of another source or school",
                batch.source, batch.school, batch.stream
            )));
        }
        let mut summary = PageSummary::default();
        // A record applied directly or tombstoned supersedes a held older version.
        let applied: Vec<(RecordKind, &str)> = batch
            .results
            .iter()
            .map(|r| (RecordKind::Result, r.external_id.as_str()))
            .chain(
                batch
                    .notes
                    .iter()
                    .map(|n| (RecordKind::Note, n.external_id.as_str())),
            )
            .chain(
                batch
                    .plans
                    .iter()
                    .map(|p| (RecordKind::Plan, p.external_id.as_str())),
            )
            .chain(
                batch
                    .dyslexia_statements
                    .iter()
                    .map(|d| (RecordKind::DyslexiaStatement, d.external_id.as_str())),
            )
            .chain(
                batch
                    .absences
                    .iter()
                    .map(|a| (RecordKind::Absence, a.external_id.as_str())),
            )
            .chain(
                batch
                    .social_emotional
                    .iter()
                    .map(|m| (RecordKind::SocialEmotional, m.external_id.as_str())),
            )
            .chain(batch.tombstones.iter().map(|t| (t.kind, t.external_id.as_str())))
            .collect();
        // Whether the school holds records of this source, and the stream has records in
        // quarantine: one query per page (both are usually empty).
        let (any_held, any_quarantined): (bool, bool) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM held_records WHERE source = $1 AND school = $2),
                    EXISTS (SELECT 1 FROM quarantine WHERE source = $1 AND school = $2 AND stream = $3)",
        )
        .bind(batch.source.as_str())
        .bind(batch.school.as_str())
        .bind(&batch.stream)
        .fetch_one(&mut **tx)
        .await?;
        if any_held {
            super::page_bulk::unhold_bulk((&mut *tx).into(), batch, &applied).await?;
        }
        // Every pupil the page names, in one query (page_bulk.rs).
        let named = batch
            .results
            .iter()
            .map(|r| r.pupil_external_id.as_str())
            .chain(batch.notes.iter().filter_map(|n| n.pupil_external_id.as_deref()))
            .chain(batch.plans.iter().filter_map(|p| p.pupil_external_id.as_deref()))
            .chain(
                batch
                    .dyslexia_statements
                    .iter()
                    .map(|d| d.pupil_external_id.as_str()),
            )
            .chain(batch.absences.iter().map(|a| a.pupil_external_id.as_str()))
            .chain(
                batch
                    .social_emotional
                    .iter()
                    .map(|m| m.pupil_external_id.as_str()),
            );
        let pupils = super::page_bulk::pupil_ids((&mut *tx).into(), &batch.school, named).await?;
        if let Some(s) = super::page_bulk::write_results_bulk((&mut *tx).into(), batch, &pupils, now).await? {
            summary.results_inserted += s.results_inserted;
            summary.results_updated += s.results_updated;
            summary.results_deduplicated += s.results_deduplicated;
            summary.unchanged += s.unchanged;
        } else {
            for r in &batch.results {
                match super::results::upsert_result((&mut *tx).into(), r, now).await? {
                    ResultOutcome::Inserted => summary.results_inserted += 1,
                    ResultOutcome::Updated => summary.results_updated += 1,
                    ResultOutcome::Unchanged => summary.unchanged += 1,
                    ResultOutcome::Deduplicated => summary.results_deduplicated += 1,
                }
            }
        }
        if let Some((written, unchanged)) =
            super::page_bulk::write_notes_bulk((&mut *tx).into(), &batch.notes, &pupils, now).await?
        {
            summary.notes += written;
            summary.unchanged += unchanged;
        } else {
            for n in &batch.notes {
                if upsert_note((&mut *tx).into(), n, now).await? {
                    summary.notes += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
        }
        if let Some((written, unchanged)) =
            super::page_bulk::write_plans_bulk((&mut *tx).into(), batch, &pupils, now).await?
        {
            summary.plans += written;
            summary.unchanged += unchanged;
        } else {
            for p in &batch.plans {
                if upsert_plan((&mut *tx).into(), p, now).await? {
                    summary.plans += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
        }
        if let Some((absences, measurements, statements, unchanged)) =
            super::page_bulk::write_pupil_facts_bulk((&mut *tx).into(), batch, &pupils, now).await?
        {
            summary.absences += absences;
            summary.social_emotional += measurements;
            summary.dyslexia_statements += statements;
            summary.unchanged += unchanged;
        } else {
            for d in &batch.dyslexia_statements {
                if upsert_dyslexia_statement((&mut *tx).into(), d, now).await? {
                    summary.dyslexia_statements += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
            for a in &batch.absences {
                if super::absences::upsert_absence((&mut *tx).into(), a, now).await? {
                    summary.absences += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
            for m in &batch.social_emotional {
                if super::social_emotional::upsert_social_emotional((&mut *tx).into(), m, now).await? {
                    summary.social_emotional += 1;
                } else {
                    summary.unchanged += 1;
                }
            }
        }
        for t in &batch.tombstones {
            if tombstone((&mut *tx).into(), batch.source, &batch.school, t, now).await? {
                summary.tombstoned += 1;
            } else {
                summary.tombstones_unknown += 1;
            }
        }
        // A record that now arrives whole leaves quarantine.
        if any_quarantined {
            let arrived: Vec<&str> = batch
                .results
                .iter()
                .map(|r| r.external_id.as_str())
                .chain(batch.notes.iter().map(|n| n.external_id.as_str()))
                .chain(batch.plans.iter().map(|p| p.external_id.as_str()))
                .collect();
            super::page_bulk::unquarantine_bulk((&mut *tx).into(), batch, &arrived).await?;
        }
        for q in &batch.quarantine {
            sqlx::query(
                "INSERT INTO quarantine (source, school, stream, external_id, raw, reason,
                   first_seen_at, last_seen_at, seen_count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)
                 ON CONFLICT (source, school, stream, external_id) DO UPDATE SET raw = excluded.raw,
                   reason = excluded.reason, last_seen_at = excluded.last_seen_at,
                   seen_count = quarantine.seen_count + 1",
            )
            .bind(q.source.as_str())
            .bind(q.school.as_str())
            .bind(&q.stream)
            .bind(&q.external_id)
            // Only the shape: a quarantined note must not keep its text.
            .bind(rows::json(&rows::record_shape(&q.raw))?)
            .bind(&q.reason)
            .bind(now)
            .execute(&mut **tx)
            .await?;
            summary.quarantined += 1;
        }
        // Held records set-based (issue 15): a full reconcile holds again every record of a
        // pupil the roll does not list, ~1,700 a school a week, one statement each before. A key
        // twice in one page keeps its last version, as one statement per record did (and
        // PostgreSQL cannot update one row twice in one statement).
        let mut held: Vec<(String, &str, Option<&str>, String)> = Vec::with_capacity(batch.held.len());
        let mut at: HashMap<(RecordKind, &str), usize> = HashMap::new();
        for h in &batch.held {
            let row = (
                rows::enum_name(&h.kind())?,
                h.external_id(),
                h.pupil_external_id(),
                rows::json(h)?,
            );
            match at.entry((h.kind(), h.external_id())) {
                Entry::Occupied(e) => held[*e.get()] = row,
                Entry::Vacant(e) => {
                    e.insert(held.len());
                    held.push(row);
                }
            }
        }
        for chunk in held.chunks(HELD_ROWS_PER_STATEMENT) {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO held_records (source, school, stream, kind, external_id, pupil_external_id,
                   record, first_held_at, last_seen_at) ",
            );
            qb.push_values(chunk, |mut row, (kind, external_id, pupil, record)| {
                row.push_bind(batch.source.as_str())
                    .push_bind(batch.school.as_str())
                    .push_bind(batch.stream.as_str())
                    .push_bind(kind.as_str())
                    .push_bind(*external_id)
                    .push_bind(*pupil)
                    .push_bind(record.as_str())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, kind, external_id) DO UPDATE SET stream = excluded.stream,
                   pupil_external_id = excluded.pupil_external_id, record = excluded.record,
                   last_seen_at = excluded.last_seen_at",
            );
            qb.build().execute(&mut **tx).await?;
        }
        summary.held += batch.held.len();
        Ok(summary)
    })
}

/// Applies, in one transaction, every held record of `school` whose pupil the store
/// now knows, and forgets them; the rest keeps waiting. The caller holds the sync write gate.
pub(crate) async fn release_held(pool: Pool<'_>, school: &Brin) -> Result<ReleaseSummary, StoreError> {
    on_engine!(pool, |pool| {
        let now = Utc::now();
        let mut tx = pool.begin_write().await?;
        let ready: Vec<(i64, String)> = sqlx::query_as(
            "SELECT h.id, h.record FROM held_records h
             WHERE h.school = $1
               AND EXISTS (SELECT 1 FROM pupils p WHERE p.school = h.school
                             AND p.external_id = h.pupil_external_id AND p.deleted_at IS NULL)
             ORDER BY h.id",
        )
        .bind(school.as_str())
        .fetch_all(&mut *tx)
        .await?;
        let released: Vec<_> = ready
            .iter()
            .map(|(_, record)| rows::from_json::<HeldRecord>("held_records.record", record))
            .collect::<Result<_, _>>()?;
        let results: Vec<TestResult> = released
            .iter()
            .filter_map(|h| match h {
                HeldRecord::Result(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        super::page_bulk::upsert_catalogue((&mut *tx).into(), &results, now).await?;
        for ((id, _), held) in ready.iter().zip(released) {
            match held {
                HeldRecord::Result(r) => {
                    super::results::upsert_result((&mut tx).into(), &r, now).await?;
                }
                HeldRecord::Note(n) => {
                    upsert_note((&mut tx).into(), &n, now).await?;
                }
                HeldRecord::Plan(p) => {
                    upsert_plan((&mut tx).into(), &p, now).await?;
                }
                HeldRecord::DyslexiaStatement(d) => {
                    upsert_dyslexia_statement((&mut tx).into(), &d, now).await?;
                }
                HeldRecord::Absence(a) => {
                    super::absences::upsert_absence((&mut tx).into(), &a, now).await?;
                }
                HeldRecord::SocialEmotional(m) => {
                    super::social_emotional::upsert_social_emotional((&mut tx).into(), &m, now).await?;
                }
            }
            sqlx::query("DELETE FROM held_records WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let (still_held,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM held_records WHERE school = $1")
            .bind(school.as_str())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ReleaseSummary {
            released: ready.len(),
            still_held: usize::try_from(still_held).unwrap_or(0),
        })
    })
}

/// Stores a dyslexieverklaring (fact and date only); false when unchanged.
pub(crate) async fn upsert_dyslexia_statement(
    tx: Tx<'_>,
    d: &DyslexiaStatementRecord,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    on_engine!(tx, |tx| {
        let what = format!("dyslexieverklaring {}", d.external_id);
        let pupil_id =
            super::page_bulk::required_pupil_id((&mut *tx).into(), &d.school, &d.pupil_external_id, &what)
                .await?;
        let written = sqlx::query(
            "INSERT INTO dyslexia_statements (source, school, external_id, pupil_id, stated_on,
               created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
               stated_on = excluded.stated_on, updated_at = excluded.updated_at, deleted_at = NULL
             WHERE dyslexia_statements.deleted_at IS NOT NULL
                OR dyslexia_statements.pupil_id <> excluded.pupil_id
                OR dyslexia_statements.stated_on IS DISTINCT FROM excluded.stated_on",
        )
        .bind(d.source.as_str())
        .bind(d.school.as_str())
        .bind(&d.external_id)
        .bind(pupil_id)
        .bind(d.on)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(written.rows_affected() > 0)
    })
}

/// Writes a note; false when it was stored, live and identical.
async fn upsert_note(tx: Tx<'_>, n: &Note, now: DateTime<Utc>) -> Result<bool, StoreError> {
    on_engine!(tx, |tx| {
        let pupil_id = match &n.pupil_external_id {
            Some(p) => {
                let what = format!("note {}", n.external_id);
                Some(super::page_bulk::required_pupil_id((&mut *tx).into(), &n.school, p, &what).await?)
            }
            None => None,
        };
        let written = sqlx::query(
            "INSERT INTO notes (source, school, external_id, pupil_id, group_external_id, category_path,
               written_at, content, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
               group_external_id = excluded.group_external_id, category_path = excluded.category_path,
               written_at = excluded.written_at, content = excluded.content,
               updated_at = excluded.updated_at, deleted_at = NULL
             WHERE notes.deleted_at IS NOT NULL
                OR notes.pupil_id IS DISTINCT FROM excluded.pupil_id
                OR notes.group_external_id IS DISTINCT FROM excluded.group_external_id
                OR notes.category_path <> excluded.category_path
                OR notes.written_at <> excluded.written_at
                OR notes.content <> excluded.content",
        )
        .bind(n.source.as_str())
        .bind(n.school.as_str())
        .bind(&n.external_id)
        .bind(pupil_id)
        .bind(&n.group_external_id)
        .bind(rows::json(&n.category_path)?)
        .bind(n.created_at)
        .bind(&n.content)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(written.rows_affected() > 0)
    })
}

/// Writes a plan and its evaluations; false when it was stored, live and identical.
async fn upsert_plan(tx: Tx<'_>, p: &SupportPlan, now: DateTime<Utc>) -> Result<bool, StoreError> {
    on_engine!(tx, |tx| {
        let pupil_id = match &p.pupil_external_id {
            Some(e) => {
                let what = format!("plan {}", p.external_id);
                Some(super::page_bulk::required_pupil_id((&mut *tx).into(), &p.school, e, &what).await?)
            }
            None => None,
        };
        let stored: Option<PlanRow> = sqlx::query_as(
            "SELECT pl.id, pl.pupil_id, pl.source, pl.school, pl.external_id,
                    p.external_id AS pupil_external_id, pl.group_external_id, pl.kind, pl.domain,
                    pl.title, pl.owner, pl.care_level, pl.start_on, pl.end_on, pl.evaluation_due,
                    pl.minutes_per_week, pl.decided_on, pl.drawn_up_on, pl.parents_agreed_on
             FROM plans pl LEFT JOIN pupils p ON p.id = pl.pupil_id
             WHERE pl.source = $1 AND pl.school = $2 AND pl.external_id = $3 AND pl.deleted_at IS NULL",
        )
        .bind(p.source.as_str())
        .bind(p.school.as_str())
        .bind(&p.external_id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = stored {
            let evaluations: Vec<EvaluationRow> =
                sqlx::query_as("SELECT plan_id, evaluated_on, outcome FROM evaluations WHERE plan_id = $1")
                    .bind(row.id)
                    .fetch_all(&mut **tx)
                    .await?;
            let evaluations = evaluations
                .into_iter()
                .map(EvaluationRow::into_domain)
                .collect::<Result<Vec<_>, _>>()?;
            let mut stored = row.into_stored(evaluations)?.plan;
            let mut incoming = p.clone();
            let order = |e: &Evaluation| (e.date, e.outcome.as_str());
            stored.evaluations.sort_by_key(order);
            incoming.evaluations.sort_by_key(order);
            if stored == incoming {
                return Ok(false);
            }
        }
        let (plan_id,): (i64,) = sqlx::query_as(
            "INSERT INTO plans (source, school, external_id, pupil_id, group_external_id, kind, domain,
               title, owner, care_level, start_on, end_on, evaluation_due, minutes_per_week,
               decided_on, drawn_up_on, parents_agreed_on, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)
             ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
               group_external_id = excluded.group_external_id, kind = excluded.kind,
               domain = excluded.domain, title = excluded.title, owner = excluded.owner,
               care_level = excluded.care_level, start_on = excluded.start_on, end_on = excluded.end_on,
               evaluation_due = excluded.evaluation_due, minutes_per_week = excluded.minutes_per_week,
               decided_on = excluded.decided_on, drawn_up_on = excluded.drawn_up_on,
               parents_agreed_on = excluded.parents_agreed_on,
               updated_at = excluded.updated_at, deleted_at = NULL
             RETURNING id",
        )
        .bind(p.source.as_str())
        .bind(p.school.as_str())
        .bind(&p.external_id)
        .bind(pupil_id)
        .bind(&p.group_external_id)
        .bind(p.kind.as_str())
        .bind(p.domain.map(|d| d.as_str()))
        .bind(&p.title)
        .bind(&p.owner)
        .bind(&p.care_level)
        .bind(p.start)
        .bind(p.end)
        .bind(p.evaluation_due)
        .bind(p.minutes_per_week.map(i64::from))
        .bind(p.decided_on)
        .bind(p.drawn_up_on)
        .bind(p.parents_agreed_on)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        // The source holds a plan's evaluations; the stored list follows it.
        sqlx::query("DELETE FROM evaluations WHERE plan_id = $1")
            .bind(plan_id)
            .execute(&mut **tx)
            .await?;
        for e in &p.evaluations {
            sqlx::query("INSERT INTO evaluations (plan_id, evaluated_on, outcome) VALUES ($1, $2, $3)")
                .bind(plan_id)
                .bind(e.date)
                .bind(e.outcome.as_str())
                .execute(&mut **tx)
                .await?;
        }
        Ok(true)
    })
}

/// Soft-deletes what a tombstone names; false when nothing live had that id.
async fn tombstone(
    tx: Tx<'_>,
    source: Source,
    school: &Brin,
    t: &Tombstone,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    on_engine!(tx, |tx| {
        let sql = match t.kind {
            RecordKind::Note => {
                "UPDATE notes SET deleted_at = $4, updated_at = $4
                 WHERE source = $1 AND school = $2 AND external_id = $3 AND deleted_at IS NULL"
            }
            RecordKind::Plan => {
                "UPDATE plans SET deleted_at = $4, updated_at = $4
                 WHERE source = $1 AND school = $2 AND external_id = $3 AND deleted_at IS NULL"
            }
            RecordKind::Result => {
                "UPDATE result_sources SET deleted_at = $4
                 WHERE source = $1 AND school = $2 AND external_id = $3 AND deleted_at IS NULL"
            }
            RecordKind::DyslexiaStatement => {
                "UPDATE dyslexia_statements SET deleted_at = $4, updated_at = $4
                 WHERE source = $1 AND school = $2 AND external_id = $3 AND deleted_at IS NULL"
            }
            RecordKind::Absence => {
                "UPDATE absences SET deleted_at = $4, updated_at = $4
                 WHERE source = $1 AND school = $2 AND external_id = $3 AND deleted_at IS NULL"
            }
            RecordKind::SocialEmotional => {
                "UPDATE social_emotional SET deleted_at = $4, updated_at = $4
                 WHERE source = $1 AND school = $2 AND external_id = $3 AND deleted_at IS NULL"
            }
        };
        let done = sqlx::query(sql)
            .bind(source.as_str())
            .bind(school.as_str())
            .bind(&t.external_id)
            .bind(now)
            .execute(&mut **tx)
            .await?
            .rows_affected()
            > 0;
        if done && t.kind == RecordKind::Result {
            // The sitting goes only when no source names it any more.
            sqlx::query(
                "UPDATE results SET deleted_at = $4, updated_at = $4
                 WHERE deleted_at IS NULL
                   AND id = (SELECT result_id FROM result_sources
                             WHERE source = $1 AND school = $2 AND external_id = $3)
                   AND NOT EXISTS (SELECT 1 FROM result_sources rs
                                   WHERE rs.result_id = results.id AND rs.deleted_at IS NULL)",
            )
            .bind(source.as_str())
            .bind(school.as_str())
            .bind(&t.external_id)
            .bind(now)
            .execute(&mut **tx)
            .await?;
        }
        Ok(done)
    })
}
