//! Whether a page is stored already, exactly as it is (issue 17): the weekly full reconcile reads
//! every record of a school again, and nearly every page of it is stored unchanged. Applying such a
//! page writes nothing but the cursor, yet it takes the write transaction (SQLite's one writer)
//! for as long as the comparison takes. This answers the same question with reads only, so schools
//! reconcile side by side and the write lock stays free.
//!
//! The answer is "yes" only when applying the page would change no row: every record is live in
//! the store with the same values the page's upsert compares (`ABSENCE_CONFLICT`,
//! `SOCIAL_EMOTIONAL_CONFLICT`), no held version of any of them waits for its pupil, and the page
//! holds nothing else (no results, notes, plans or dyslexieverklaringen, tombstones, quarantine or
//! held records: those the page apply must see). Anything the check does not cover answers "no",
//! and the caller applies the page as before.

use sqlx::QueryBuilder;

use super::{BulkSql, CHUNK, pupil_fact_rows, pupil_ids};
use crate::domain::Brin;
use crate::store::error::StoreError;
use crate::store::model::{PageBatch, RecordKind};
use crate::store::rows;
use crate::store::sql::{Pool, on_engine};

/// The stored row equals the absence as the upsert compares it (`v` is the page's row).
const ABSENCE_EQUAL: &str = "a.source = v.column1 AND a.school = v.column2 AND a.external_id = v.column3
     AND a.deleted_at IS NULL AND a.pupil_id = v.column4 AND a.absent_on = v.column5
     AND a.hours = v.column6 AND a.kind = v.column7";

/// The stored row equals the measurement as the upsert compares it (`v` is the page's row).
const SOCIAL_EMOTIONAL_EQUAL: &str = "m.source = v.column1 AND m.school = v.column2
     AND m.external_id = v.column3 AND m.deleted_at IS NULL AND m.pupil_id = v.column4
     AND m.instrument = v.column5 AND m.scale = v.column6 AND m.measured_on = v.column7
     AND m.category = v.column8";

/// Whether applying `batch` would change no stored row (see the module). Reads only, in one read
/// transaction.
pub(crate) async fn page_is_stored(pool: Pool<'_>, batch: &PageBatch) -> Result<bool, StoreError> {
    let foreign = |source, school: &Brin| source != batch.source || *school != batch.school;
    if !batch.results.is_empty()
        || !batch.notes.is_empty()
        || !batch.plans.is_empty()
        || !batch.dyslexia_statements.is_empty()
        || !batch.tombstones.is_empty()
        || !batch.quarantine.is_empty()
        || !batch.held.is_empty()
        || (batch.absences.is_empty() && batch.social_emotional.is_empty())
        || batch.absences.iter().any(|a| foreign(a.source, &a.school))
        || batch
            .social_emotional
            .iter()
            .any(|m| foreign(m.source, &m.school))
    {
        return Ok(false);
    }
    on_engine!(pool, |pool| {
        // One snapshot for the pupil ids and the rows (a deferred transaction: no write lock).
        let mut tx = pool.begin().await?;
        let named = batch.absences.iter().map(|a| a.pupil_external_id.as_str()).chain(
            batch
                .social_emotional
                .iter()
                .map(|m| m.pupil_external_id.as_str()),
        );
        let pupils = pupil_ids((&mut tx).into(), &batch.school, named).await?;
        // The rows the apply would write; a page it would refuse or write record by record (a
        // bad record, an unknown pupil, an id twice) is not "stored".
        let Ok(Some(rows)) = pupil_fact_rows(batch, &pupils) else {
            return Ok(false);
        };
        for chunk in rows.absences.chunks(CHUNK) {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM (");
            qb.push_values(chunk, |mut row, a| a.bind(&mut row));
            qb.push(") AS v JOIN absences a ON ");
            qb.push(ABSENCE_EQUAL);
            let (equal,): (i64,) = qb.build_query_as().fetch_one(&mut *tx).await?;
            if usize::try_from(equal).ok() != Some(chunk.len()) {
                return Ok(false);
            }
        }
        for chunk in rows.measurements.chunks(CHUNK) {
            let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM (");
            qb.push_values(chunk, |mut row, m| m.bind(&mut row));
            qb.push(") AS v JOIN social_emotional m ON ");
            qb.push(SOCIAL_EMOTIONAL_EQUAL);
            let (equal,): (i64,) = qb.build_query_as().fetch_one(&mut *tx).await?;
            if usize::try_from(equal).ok() != Some(chunk.len()) {
                return Ok(false);
            }
        }
        // A held version of one of them would be dropped by the apply ("an upsert forgets its
        // held version"), and applied over the stored row later if it stayed.
        let held = [
            (
                RecordKind::Absence,
                batch
                    .absences
                    .iter()
                    .map(|a| a.external_id.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                RecordKind::SocialEmotional,
                batch
                    .social_emotional
                    .iter()
                    .map(|m| m.external_id.as_str())
                    .collect(),
            ),
        ];
        for (kind, ids) in &held {
            let kind = rows::enum_name(kind)?;
            for chunk in ids.chunks(tx.in_chunk()) {
                let mut qb = QueryBuilder::new("SELECT EXISTS (SELECT 1 FROM held_records WHERE source = ");
                qb.push_bind(batch.source.as_str().to_owned());
                qb.push(" AND school = ");
                qb.push_bind(batch.school.as_str().to_owned());
                qb.push(" AND kind = ");
                qb.push_bind(kind.clone());
                qb.push(" AND external_id");
                tx.push_in(&mut qb, chunk.iter().copied());
                qb.push(")");
                let (held,): (bool,) = qb.build_query_as().fetch_one(&mut *tx).await?;
                if held {
                    return Ok(false);
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    })
}
