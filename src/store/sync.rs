//! Sync side of the store: schools, the GKV snapshot (pupils, groups, groepsindelingen),
//! cursors with stream health, and quarantine. Page apply lives in `page.rs`.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::error::StoreError;
use super::model::{
    HeldCount, ImportBatch, ImportSummary, PageBatch, PageSummary, QuarantineCount, QuarantineFilter,
    QuarantineRow, RecordKind, ReleaseSummary, SnapshotSummary, StreamStatus, TestSeen,
};
use super::page_bulk::CHUNK;
use super::rows::{self, PupilRow, QuarantineCountRow, QuarantineDbRow, StreamRow, TestSeenRow};
use super::sql::{BeginWrite, SqlStore, Tx, on_engine};
use super::{import, page};
use crate::domain::{Brin, Group, Membership, Pupil, School, SchoolYear, Source};

/// Schools, snapshots, pages, cursors and quarantine.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// Inserts or updates a school (from config).
    async fn upsert_school(&self, school: &School) -> Result<(), StoreError>;

    /// Every school, by BRIN.
    async fn schools(&self) -> Result<Vec<School>, StoreError>;

    /// Applies a full GKV snapshot of one school for the *current* school year in one transaction
    /// (an old year's list would mark today's pupils as left): upserts groups,
    /// pupils and memberships; enrolled pupils of the snapshot's source that are missing are marked
    /// left on `seen_at`'s date (never deleted); a returning pupil is enrolled again. Memberships
    /// missing from a snapshot are kept (history). An empty snapshot marks nobody as left.
    async fn apply_snapshot(
        &self,
        school: &Brin,
        year: SchoolYear,
        pupils: &[Pupil],
        groups: &[Group],
        memberships: &[Membership],
        seen_at: DateTime<Utc>,
    ) -> Result<SnapshotSummary, StoreError>;

    /// Applies one page in one transaction: upserts, tombstones, quarantine, held records, cursor
    /// and counters commit together or not at all. A held record replaces an earlier held version
    /// of the same id; an upsert or tombstone of an id forgets its held version. A record of
    /// another source or school, or one that names a pupil the store does not know, fails the
    /// whole page with [`StoreError::InvalidData`].
    async fn apply_page(&self, batch: &PageBatch) -> Result<PageSummary, StoreError>;

    /// Whether applying `batch` would change no stored row: every record of it is stored, live,
    /// exactly as the page has it, no held version of one of them waits, and the page holds
    /// nothing else (no tombstones, quarantine or held records). Reads only: no write lock, so a
    /// full reconcile can pass over a page it finds stored while other schools write. "No" is
    /// always safe (the caller applies the page); pages of absences and social-emotional
    /// measurements are compared, any other kind answers "no".
    async fn page_is_stored(&self, batch: &PageBatch) -> Result<bool, StoreError>;

    /// Applies every held record of `school` whose pupil the store now knows (the GKV snapshot or
    /// an import added the pupil), as [`SyncStore::apply_page`] would have, and forgets it; all in
    /// one transaction. Records whose pupil is still unknown keep waiting.
    async fn release_held(&self, school: &Brin) -> Result<ReleaseSummary, StoreError>;

    /// Held records per stream (records waiting for their pupil), by source, school and stream.
    async fn held_counts(&self) -> Result<Vec<HeldCount>, StoreError>;

    /// Applies a file import (OSO dossier, CSV export) in one transaction, all or nothing: adds
    /// the school when unknown, matches each pupil to a stored one (national id hash first, then
    /// source id; see `store/import.rs`) or adds it, never marks another pupil as left, then
    /// applies memberships, results and plans as [`SyncStore::apply_page`] does (results are
    /// de-duplicated across sources). No cursor is touched. A record of another source or
    /// school fails the whole import with [`StoreError::InvalidData`].
    async fn apply_import(&self, batch: &ImportBatch) -> Result<ImportSummary, StoreError>;

    /// The stored cursor of a stream.
    async fn cursor(&self, source: Source, school: &Brin, stream: &str)
    -> Result<Option<String>, StoreError>;

    /// Records a failed run of a stream (message is operator-facing, without pupil data).
    async fn record_stream_error(
        &self,
        source: Source,
        school: &Brin,
        stream: &str,
        message: &str,
    ) -> Result<(), StoreError>;

    /// Health of every stream, by source, school and stream.
    async fn stream_statuses(&self) -> Result<Vec<StreamStatus>, StoreError>;

    /// Forgets a stream's cursor, so the next run reads everything (`--full`).
    async fn reset_cursor(&self, source: Source, school: &Brin, stream: &str) -> Result<(), StoreError>;

    /// Quarantined records, newest first.
    async fn quarantined(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineRow>, StoreError>;

    /// Quarantined records per stream.
    async fn quarantine_counts(&self) -> Result<Vec<QuarantineCount>, StoreError>;

    /// The test catalogue (every test code seen in a result), by code.
    async fn tests_seen(&self) -> Result<Vec<TestSeen>, StoreError>;

    /// Live results without a level (no reference score and no ability score: a UWLR plain
    /// `score` or `anderresultaat`, a raw-only CSV row), per source and school: stored and
    /// counted, but no level rule reads them.
    async fn results_without_level(&self) -> Result<Vec<(Source, Brin, i64)>, StoreError>;

    /// Source ids of a source's live (not tombstoned) records of one kind at a school, sorted;
    /// for results every id naming a sitting (aliases included). The sync engine tombstones those
    /// a completed full listing did not return (deletions a feed never reported).
    async fn live_external_ids(
        &self,
        source: Source,
        school: &Brin,
        kind: RecordKind,
    ) -> Result<Vec<String>, StoreError>;
}

/// Updates a stored pupil from a snapshot when anything differs (counted as changed, or
/// returned when a left pupil is back); returns its id.
async fn update_if_changed(
    tx: Tx<'_>,
    row: PupilRow,
    p: &Pupil,
    now: DateTime<Utc>,
    summary: &mut SnapshotSummary,
) -> Result<i64, StoreError> {
    let id = row.id;
    let stored = row.into_stored()?.pupil;
    // A snapshot says nothing about a dyslexieverklaring (own table).
    let incoming = Pupil {
        dyslexia_statement: stored.dyslexia_statement,
        ..p.clone()
    };
    if stored == incoming {
        summary.unchanged += 1;
        return Ok(id);
    }
    if stored.left_on.is_some() && p.left_on.is_none() {
        summary.returned += 1;
    } else {
        summary.changed += 1;
    }
    on_engine!(tx, |tx| {
        sqlx::query(
            "UPDATE pupils SET national_id_hash = $1, given_name = $2, surname_prefix = $3,
           surname = $4, birth_date = $5, left_on = $6, updated_at = $7, deleted_at = NULL
         WHERE id = $8",
        )
        .bind(&p.national_id_hash)
        .bind(&p.given_name)
        .bind(&p.surname_prefix)
        .bind(&p.surname)
        .bind(p.birth_date)
        .bind(p.left_on)
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    });
    Ok(id)
}

#[async_trait]
impl<S: SqlStore> SyncStore for S {
    async fn upsert_school(&self, school: &School) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query(
                "INSERT INTO schools (brin, name, care_ladder, updated_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (brin) DO UPDATE SET name = excluded.name,
                   care_ladder = excluded.care_ladder, updated_at = excluded.updated_at",
            )
            .bind(school.brin.as_str())
            .bind(&school.name)
            .bind(&school.care_ladder)
            .bind(Utc::now())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    async fn schools(&self) -> Result<Vec<School>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(String, String, String)> =
                sqlx::query_as("SELECT brin, name, care_ladder FROM schools ORDER BY brin")
                    .fetch_all(pool)
                    .await?;
            rows.into_iter()
                .map(|(brin, name, care_ladder)| {
                    Ok(School {
                        brin: rows::brin(&brin)?,
                        name,
                        care_ladder,
                    })
                })
                .collect()
        })
    }

    #[tracing::instrument(skip_all, fields(school = %school, year = %year, pupils = pupils.len()), err)]
    async fn apply_snapshot(
        &self,
        school: &Brin,
        year: SchoolYear,
        pupils: &[Pupil],
        groups: &[Group],
        memberships: &[Membership],
        seen_at: DateTime<Utc>,
    ) -> Result<SnapshotSummary, StoreError> {
        on_engine!(self.pool(), |pool| {
            let source = pupils.first().map_or(Source::ParnassysGkv, |p| p.source);
            if pupils.iter().any(|p| &p.school != school || p.source != source)
                || groups
                    .iter()
                    .any(|g| &g.school != school || g.school_year != year)
                || memberships.iter().any(|m| &m.school != school)
            {
                return Err(StoreError::InvalidData(format!(
                    "snapshot for {school} {year} holds records of another school, year or source"
                )));
            }
            let now = Utc::now();
            let mut summary = SnapshotSummary::default();
            let _gate = self.sync_write_gate().await;
            let mut tx = pool.begin_write().await?;

            let mut group_ids = HashMap::new();
            for g in groups {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO groups (source, school, external_id, name, school_year, created_at,
                       updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)
                     ON CONFLICT (source, school, external_id) DO UPDATE SET name = excluded.name,
                       school_year = excluded.school_year, updated_at = excluded.updated_at, deleted_at = NULL
                     RETURNING id",
                )
                .bind(source.as_str())
                .bind(school.as_str())
                .bind(&g.external_id)
                .bind(&g.name)
                .bind(i64::from(year.start_year()))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                group_ids.insert(g.external_id.as_str(), id);
            }

            let mut pupil_ids: HashMap<&str, i64> = HashMap::new();
            let mut distinct: HashSet<&str> = HashSet::new();
            if pupils.iter().all(|p| distinct.insert(p.external_id.as_str())) {
                // Set-based (issue 15): the stored pupils in one read, the new ones in one
                // multi-row insert; the few changed ones are updated one by one.
                let mut existing: HashMap<String, PupilRow> = HashMap::new();
                for chunk in pupils.chunks(CHUNK) {
                    let mut qb = QueryBuilder::new(
                        "SELECT id, source, school, external_id, national_id_hash, given_name, surname_prefix,
                                surname, birth_date, left_on
                         FROM pupils WHERE source = ",
                    );
                    qb.push_bind(source.as_str().to_owned());
                    qb.push(" AND school = ");
                    qb.push_bind(school.as_str().to_owned());
                    qb.push(" AND external_id IN (");
                    let mut list = qb.separated(", ");
                    for p in chunk {
                        list.push_bind(p.external_id.clone());
                    }
                    list.push_unseparated(")");
                    let rows: Vec<PupilRow> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    existing.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
                }
                let mut new_pupils = Vec::new();
                for p in pupils {
                    match existing.remove(&p.external_id) {
                        None => new_pupils.push(p),
                        Some(row) => {
                            let id = update_if_changed((&mut tx).into(), row, p, now, &mut summary).await?;
                            pupil_ids.insert(p.external_id.as_str(), id);
                        }
                    }
                }
                for chunk in new_pupils.chunks(CHUNK) {
                    let mut qb = QueryBuilder::new(
                        "INSERT INTO pupils (source, school, external_id, national_id_hash, given_name,
                           surname_prefix, surname, birth_date, left_on, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut row, p| {
                        row.push_bind(source.as_str().to_owned())
                            .push_bind(school.as_str().to_owned())
                            .push_bind(p.external_id.clone())
                            .push_bind(p.national_id_hash.clone())
                            .push_bind(p.given_name.clone())
                            .push_bind(p.surname_prefix.clone())
                            .push_bind(p.surname.clone())
                            .push_bind(p.birth_date)
                            .push_bind(p.left_on)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    qb.push(" RETURNING id, external_id");
                    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                    for (id, external_id) in rows {
                        if let Some(key) = distinct.get(external_id.as_str()) {
                            pupil_ids.insert(key, id);
                        }
                    }
                }
                summary.new += new_pupils.len();
            } else {
                for p in pupils {
                    let existing: Option<PupilRow> = sqlx::query_as(
                        "SELECT id, source, school, external_id, national_id_hash, given_name, surname_prefix,
                                surname, birth_date, left_on
                         FROM pupils WHERE source = $1 AND school = $2 AND external_id = $3",
                    )
                    .bind(source.as_str())
                    .bind(school.as_str())
                    .bind(&p.external_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let id = match existing {
                        None => {
                            let (id,): (i64,) = sqlx::query_as(
                                "INSERT INTO pupils (source, school, external_id, national_id_hash,
                                   given_name,
                                   surname_prefix, surname, birth_date, left_on, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
                            )
                            .bind(source.as_str())
                            .bind(school.as_str())
                            .bind(&p.external_id)
                            .bind(&p.national_id_hash)
                            .bind(&p.given_name)
                            .bind(&p.surname_prefix)
                            .bind(&p.surname)
                            .bind(p.birth_date)
                            .bind(p.left_on)
                            .bind(now)
                            .fetch_one(&mut *tx)
                            .await?;
                            summary.new += 1;
                            id
                        }
                        Some(row) => update_if_changed((&mut tx).into(), row, p, now, &mut summary).await?,
                    };
                    pupil_ids.insert(p.external_id.as_str(), id);
                }
            }
            // Retention counts from the last day a source delivered a pupil when no
            // leaving date is known (written once a day per pupil).
            let mut seen_ids: Vec<i64> = pupil_ids.values().copied().collect();
            seen_ids.sort_unstable();
            for chunk in seen_ids.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("UPDATE pupils SET last_seen_on = ");
                qb.push_bind(seen_at.date_naive());
                qb.push(" WHERE (last_seen_on IS NULL OR last_seen_on < ");
                qb.push_bind(seen_at.date_naive());
                qb.push(") AND id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                list.push_unseparated(")");
                qb.build().execute(&mut *tx).await?;
            }

            if !pupils.is_empty() {
                let seen: HashSet<&str> = pupils.iter().map(|p| p.external_id.as_str()).collect();
                let enrolled: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT id, external_id FROM pupils
                     WHERE source = $1 AND school = $2 AND left_on IS NULL AND deleted_at IS NULL",
                )
                .bind(source.as_str())
                .bind(school.as_str())
                .fetch_all(&mut *tx)
                .await?;
                for (id, external_id) in enrolled {
                    if !seen.contains(external_id.as_str()) {
                        sqlx::query("UPDATE pupils SET left_on = $1, updated_at = $2 WHERE id = $3")
                            .bind(seen_at.date_naive())
                            .bind(now)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        summary.left += 1;
                    }
                }
            }

            let mut member_rows = Vec::with_capacity(memberships.len());
            for m in memberships {
                let pupil_id = match pupil_ids.get(m.pupil_external_id.as_str()) {
                    Some(id) => *id,
                    None => snapshot_id((&mut tx).into(), "pupils", source, school, &m.pupil_external_id)
                        .await?
                        .ok_or_else(|| {
                            StoreError::InvalidData("membership names a pupil not in the store".into())
                        })?,
                };
                let group_id = match group_ids.get(m.group_external_id.as_str()) {
                    Some(id) => *id,
                    None => snapshot_id((&mut tx).into(), "groups", source, school, &m.group_external_id)
                        .await?
                        .ok_or_else(|| {
                            StoreError::InvalidData(format!(
                                "membership names unknown group {}",
                                m.group_external_id
                            ))
                        })?,
                };
                member_rows.push((pupil_id, group_id, i64::from(m.grade.get()), m.from, m.to));
            }
            // One statement per chunk; a key twice would make PostgreSQL refuse the
            // statement, so such a snapshot is written row by row (the last one wins).
            let mut keys = HashSet::new();
            let unique = member_rows
                .iter()
                .all(|(p, g, _, from, _)| keys.insert((*p, *g, *from)));
            let chunk_len = if unique { CHUNK } else { 1 };
            for chunk in member_rows.chunks(chunk_len) {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO memberships (pupil_id, group_id, grade, from_on, to_on, created_at,
                       updated_at) ",
                );
                qb.push_values(chunk, |mut row, (pupil_id, group_id, grade, from, to)| {
                    row.push_bind(*pupil_id)
                        .push_bind(*group_id)
                        .push_bind(*grade)
                        .push_bind(*from)
                        .push_bind(*to)
                        .push_bind(now)
                        .push_bind(now);
                });
                qb.push(
                    " ON CONFLICT (pupil_id, group_id, from_on) DO UPDATE SET grade = excluded.grade,
                       to_on = excluded.to_on, updated_at = excluded.updated_at
                     WHERE memberships.grade <> excluded.grade
                        OR memberships.to_on IS DISTINCT FROM excluded.to_on",
                );
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            tracing::debug!(?summary, "snapshot applied");
            Ok(summary)
        })
    }

    #[tracing::instrument(
        skip_all,
        fields(source = %batch.source, school = %batch.school, stream = %batch.stream),
        err
    )]
    async fn apply_page(&self, batch: &PageBatch) -> Result<PageSummary, StoreError> {
        let summary = {
            let _gate = self.sync_write_gate().await;
            page::apply_page(self.pool(), batch).await?
        };
        tracing::debug!(
            ?summary,
            cursor_advanced = batch.new_cursor.is_some(),
            "page applied"
        );
        Ok(summary)
    }

    #[tracing::instrument(
        skip_all,
        fields(source = %batch.source, school = %batch.school, stream = %batch.stream),
        err
    )]
    async fn page_is_stored(&self, batch: &PageBatch) -> Result<bool, StoreError> {
        super::page_bulk::page_is_stored(self.pool(), batch).await
    }

    #[tracing::instrument(skip_all, fields(school = %school), err)]
    async fn release_held(&self, school: &Brin) -> Result<ReleaseSummary, StoreError> {
        let summary = {
            let _gate = self.sync_write_gate().await;
            page::release_held(self.pool(), school).await?
        };
        if summary.released > 0 {
            tracing::info!(
                released = summary.released,
                still_held = summary.still_held,
                "held records applied"
            );
        }
        Ok(summary)
    }

    async fn held_counts(&self) -> Result<Vec<HeldCount>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(String, String, String, i64, DateTime<Utc>)> = sqlx::query_as(
                "SELECT source, school, stream, COUNT(*), MIN(first_held_at) FROM held_records
                 GROUP BY source, school, stream ORDER BY source, school, stream",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(source, school, stream, count, oldest)| {
                    Ok(HeldCount {
                        source: rows::source(&source)?,
                        school: rows::brin(&school)?,
                        stream,
                        count,
                        oldest,
                    })
                })
                .collect()
        })
    }

    #[tracing::instrument(
        skip_all,
        fields(source = %batch.source, school = %batch.school.brin, pupils = batch.pupils.len()),
        err
    )]
    async fn apply_import(&self, batch: &ImportBatch) -> Result<ImportSummary, StoreError> {
        let summary = import::apply_import(self.pool(), batch).await?;
        tracing::debug!(?summary, "import applied");
        Ok(summary)
    }

    async fn cursor(
        &self,
        source: Source,
        school: &Brin,
        stream: &str,
    ) -> Result<Option<String>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: Option<(Option<String>,)> = sqlx::query_as(
                "SELECT cursor FROM sync_cursors WHERE source = $1 AND school = $2 AND stream = $3",
            )
            .bind(source.as_str())
            .bind(school.as_str())
            .bind(stream)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(c,)| c))
        })
    }

    async fn record_stream_error(
        &self,
        source: Source,
        school: &Brin,
        stream: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query(
                "INSERT INTO sync_cursors (source, school, stream, cursor, last_success_at, last_error,
                   last_error_at, consecutive_failures, records, quarantined, updated_at)
                 VALUES ($1, $2, $3, NULL, NULL, $4, $5, 1, 0, 0, $5)
                 ON CONFLICT (source, school, stream) DO UPDATE SET last_error = excluded.last_error,
                   last_error_at = excluded.last_error_at, updated_at = excluded.updated_at,
                   consecutive_failures = sync_cursors.consecutive_failures + 1",
            )
            .bind(source.as_str())
            .bind(school.as_str())
            .bind(stream)
            .bind(message)
            .bind(Utc::now())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    async fn stream_statuses(&self) -> Result<Vec<StreamStatus>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<StreamRow> = sqlx::query_as(
                "SELECT source, school, stream, cursor, last_success_at, last_error, last_error_at,
                        consecutive_failures, records, quarantined
                 FROM sync_cursors ORDER BY source, school, stream",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(StreamRow::into_status).collect()
        })
    }

    async fn reset_cursor(&self, source: Source, school: &Brin, stream: &str) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query(
                "UPDATE sync_cursors SET cursor = NULL, updated_at = $4
                 WHERE source = $1 AND school = $2 AND stream = $3",
            )
            .bind(source.as_str())
            .bind(school.as_str())
            .bind(stream)
            .bind(Utc::now())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    async fn quarantined(&self, filter: &QuarantineFilter) -> Result<Vec<QuarantineRow>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<QuarantineDbRow> = sqlx::query_as(
                "SELECT id, source, school, stream, external_id, raw, reason, first_seen_at, last_seen_at,
                        seen_count
                 FROM quarantine
                 WHERE ($1 IS NULL OR source = $1) AND ($2 IS NULL OR school = $2)
                   AND ($3 IS NULL OR stream = $3)
                 ORDER BY last_seen_at DESC, id DESC LIMIT $4",
            )
            .bind(filter.source.map(Source::as_str))
            .bind(filter.school.as_ref().map(Brin::as_str))
            .bind(filter.stream.as_deref())
            .bind(filter.limit.unwrap_or(i64::MAX))
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(QuarantineDbRow::into_row).collect()
        })
    }

    async fn quarantine_counts(&self) -> Result<Vec<QuarantineCount>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<QuarantineCountRow> = sqlx::query_as(
                "SELECT source, school, stream, COUNT(*) AS count FROM quarantine
                 GROUP BY source, school, stream ORDER BY source, school, stream",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(QuarantineCountRow::into_count).collect()
        })
    }

    async fn tests_seen(&self) -> Result<Vec<TestSeen>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<TestSeenRow> = sqlx::query_as(
                "SELECT t.code, t.name, t.provider,
                   (SELECT COUNT(*) FROM results r
                    WHERE UPPER(TRIM(r.test_code)) = t.code AND r.deleted_at IS NULL) AS results
                 FROM tests t ORDER BY t.code",
            )
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().map(TestSeen::from).collect())
        })
    }

    async fn results_without_level(&self) -> Result<Vec<(Source, Brin, i64)>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(String, String, i64)> = sqlx::query_as(
                "SELECT source, school, COUNT(*) FROM results
                 WHERE deleted_at IS NULL AND reference_scores = '[]' AND ability_value IS NULL
                 GROUP BY source, school ORDER BY source, school",
            )
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(source, school, n)| {
                    Ok((
                        Source::parse(&source).map_err(|e| StoreError::decode("results.source", e))?,
                        Brin::parse(&school).map_err(|e| StoreError::decode("results.school", e))?,
                        n,
                    ))
                })
                .collect()
        })
    }

    async fn live_external_ids(
        &self,
        source: Source,
        school: &Brin,
        kind: RecordKind,
    ) -> Result<Vec<String>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let sql = match kind {
                RecordKind::Result => {
                    "SELECT external_id FROM result_sources
                     WHERE source = $1 AND school = $2 AND deleted_at IS NULL ORDER BY external_id"
                }
                RecordKind::Note => {
                    "SELECT external_id FROM notes
                     WHERE source = $1 AND school = $2 AND deleted_at IS NULL ORDER BY external_id"
                }
                RecordKind::Plan => {
                    "SELECT external_id FROM plans
                     WHERE source = $1 AND school = $2 AND deleted_at IS NULL ORDER BY external_id"
                }
                RecordKind::DyslexiaStatement => {
                    "SELECT external_id FROM dyslexia_statements
                     WHERE source = $1 AND school = $2 AND deleted_at IS NULL ORDER BY external_id"
                }
                RecordKind::Absence => {
                    "SELECT external_id FROM absences
                     WHERE source = $1 AND school = $2 AND deleted_at IS NULL ORDER BY external_id"
                }
                RecordKind::SocialEmotional => {
                    "SELECT external_id FROM social_emotional
                     WHERE source = $1 AND school = $2 AND deleted_at IS NULL ORDER BY external_id"
                }
            };
            let rows: Vec<(String,)> = sqlx::query_as(sql)
                .bind(source.as_str())
                .bind(school.as_str())
                .fetch_all(pool)
                .await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        })
    }
}

/// Id of a pupil or group of a snapshot source by source id.
async fn snapshot_id(
    tx: Tx<'_>,
    table: &'static str,
    source: Source,
    school: &Brin,
    external_id: &str,
) -> Result<Option<i64>, StoreError> {
    let sql = if table == "pupils" {
        "SELECT id FROM pupils WHERE source = $1 AND school = $2 AND external_id = $3"
    } else {
        "SELECT id FROM groups WHERE source = $1 AND school = $2 AND external_id = $3"
    };
    let row: Option<(i64,)> = on_engine!(tx, |tx| {
        sqlx::query_as(sql)
            .bind(source.as_str())
            .bind(school.as_str())
            .bind(external_id)
            .fetch_optional(&mut **tx)
            .await?
    });
    Ok(row.map(|(id,)| id))
}
