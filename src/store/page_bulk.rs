//! Set-based page writes (issue 15): a page of results, notes and plans is written with a few
//! statements per table instead of one lookup and one or two statements per record.
//!
//! Per page: one query resolves every pupil id the page names; one query reads the stored rows the
//! page's ids already name (results through `result_sources`, plans with their evaluations); one
//! query finds live sittings with the same content key; then one multi-row statement per table
//! (chunked at [`CHUNK`] rows) writes what changed. The semantics are those of the record-by-record
//! path in `page.rs`/`results.rs` (first seen wins, aliases, revival, "unchanged" counted):
//! pages where the order of records inside the page could matter — the same id twice, or a new
//! result whose content key another result of the same page also carries — take that path instead.
//!
//! The test catalogue (`tests`) is shared by every school: [`upsert_catalogue`] writes only new or
//! changed codes, in code order, and the page apply runs it before (outside) the page transaction,
//! so concurrent schools never hold each other's catalogue row locks.

/// Rows per multi-row statement or `IN (…)` list (SQLite allows 32 766 bound values per
/// statement; a result row binds 19).
pub(crate) const CHUNK: usize = 500;

mod stored;
pub(crate) use stored::page_is_stored;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::query_builder::Separated;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::error::StoreError;
use super::model::{PageBatch, PageSummary, RecordKind};
use super::rows::{self, EvaluationRow, KnownResultRow, PlanRow};
use super::sql::{Conn, Tx, on_engine};
use crate::domain::{
    Absence, Brin, DyslexiaStatementRecord, Evaluation, Note, SocialEmotionalMeasurement, SupportPlan,
    TestResult,
};

/// A result row as written (first-seen content and the resolved pupil).
pub(crate) struct ResultWrite {
    pupil_id: i64,
    content_key: String,
    test_code: String,
    part_code: Option<String>,
    test_name: String,
    provider: Option<String>,
    taken_on: NaiveDate,
    stated_moment: Option<String>,
    raw_score: Option<f64>,
    ability_value: Option<f64>,
    ability_scale: Option<String>,
    reference_scores: String,
    source: String,
    school: String,
    external_id: String,
    ability_low: Option<f64>,
    ability_high: Option<f64>,
}

impl ResultWrite {
    pub(crate) fn new(r: &TestResult, pupil_id: i64) -> Result<Self, StoreError> {
        let interval = r.ability.as_ref().and_then(|a| a.interval);
        Ok(Self {
            pupil_id,
            content_key: r.content_key(),
            test_code: r.test_code.clone(),
            part_code: r.part_code.clone(),
            test_name: r.test_name.clone(),
            provider: r.provider.clone(),
            taken_on: r.taken_on,
            stated_moment: r.stated_moment.as_ref().map(rows::enum_name).transpose()?,
            raw_score: r.raw_score,
            ability_value: r.ability.as_ref().map(|a| a.value),
            ability_scale: r.ability.as_ref().map(|a| a.scale.clone()),
            reference_scores: rows::json(&r.reference_scores)?,
            source: r.source.as_str().to_owned(),
            school: r.school.as_str().to_owned(),
            external_id: r.external_id.clone(),
            ability_low: interval.map(|i| i.low),
            ability_high: interval.map(|i| i.high),
        })
    }
}

/// A note row as written.
pub(crate) struct NoteWrite {
    source: String,
    school: String,
    external_id: String,
    pupil_id: Option<i64>,
    group_external_id: Option<String>,
    category_path: String,
    written_at: DateTime<Utc>,
    content: String,
}

impl NoteWrite {
    pub(crate) fn new(n: &Note, pupil_id: Option<i64>) -> Result<Self, StoreError> {
        Ok(Self {
            source: n.source.as_str().to_owned(),
            school: n.school.as_str().to_owned(),
            external_id: n.external_id.clone(),
            pupil_id,
            group_external_id: n.group_external_id.clone(),
            category_path: rows::json(&n.category_path)?,
            written_at: n.created_at,
            content: n.content.clone(),
        })
    }
}

/// A plan row as written (its evaluations are replaced separately).
pub(crate) struct PlanWrite {
    source: String,
    school: String,
    external_id: String,
    pupil_id: Option<i64>,
    group_external_id: Option<String>,
    kind: String,
    domain: Option<String>,
    title: String,
    owner: Option<String>,
    care_level: Option<String>,
    start_on: NaiveDate,
    end_on: Option<NaiveDate>,
    evaluation_due: Option<NaiveDate>,
    minutes_per_week: Option<i64>,
    decided_on: Option<NaiveDate>,
    drawn_up_on: Option<NaiveDate>,
    parents_agreed_on: Option<NaiveDate>,
}

impl PlanWrite {
    pub(crate) fn new(p: &SupportPlan, pupil_id: Option<i64>) -> Self {
        Self {
            source: p.source.as_str().to_owned(),
            school: p.school.as_str().to_owned(),
            external_id: p.external_id.clone(),
            pupil_id,
            group_external_id: p.group_external_id.clone(),
            kind: p.kind.as_str().to_owned(),
            domain: p.domain.map(|d| d.as_str().to_owned()),
            title: p.title.clone(),
            owner: p.owner.clone(),
            care_level: p.care_level.clone(),
            start_on: p.start,
            end_on: p.end,
            evaluation_due: p.evaluation_due,
            minutes_per_week: p.minutes_per_week.map(i64::from),
            decided_on: p.decided_on,
            drawn_up_on: p.drawn_up_on,
            parents_agreed_on: p.parents_agreed_on,
        }
    }
}

const RESULT_COLUMNS: &str = "pupil_id, content_key, test_code, part_code, test_name, provider, taken_on, \
     stated_moment, raw_score, ability_value, ability_scale, reference_scores, source, school, external_id, \
     ability_low, ability_high, created_at, updated_at";

/// The first-seen source overwrites its result (the caller decided it changed).
const RESULT_CONFLICT: &str =
    " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
       content_key = excluded.content_key, test_code = excluded.test_code, part_code = excluded.part_code,
       test_name = excluded.test_name, provider = excluded.provider, taken_on = excluded.taken_on,
       stated_moment = excluded.stated_moment, raw_score = excluded.raw_score,
       ability_value = excluded.ability_value, ability_scale = excluded.ability_scale,
       reference_scores = excluded.reference_scores, updated_at = excluded.updated_at,
       ability_low = excluded.ability_low, ability_high = excluded.ability_high, deleted_at = NULL
     RETURNING id, external_id";

/// What the result writer reads of a stored sitting a page's source id names (`rs` the alias,
/// `r` the result, `p` its pupil): `rows::KnownResultRow`.
pub(crate) const KNOWN_RESULT_COLUMNS: &str = "rs.external_id AS alias_external_id, \
     rs.deleted_at IS NOT NULL AS alias_deleted, r.deleted_at IS NOT NULL AS result_deleted, r.content_key, \
     r.id, r.pupil_id, r.source, r.school, r.external_id, p.external_id AS pupil_external_id, r.test_code, \
     r.part_code, r.test_name, r.provider, r.taken_on, r.stated_moment, r.raw_score, r.ability_value, \
     r.ability_scale, r.ability_low, r.ability_high, r.reference_scores";

const NOTE_COLUMNS: &str = "source, school, external_id, pupil_id, group_external_id, category_path, written_at, \
     content, created_at, updated_at";

/// A note is written only when it differs from the stored one (or was deleted).
const NOTE_CONFLICT: &str =
    " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
       group_external_id = excluded.group_external_id, category_path = excluded.category_path,
       written_at = excluded.written_at, content = excluded.content,
       updated_at = excluded.updated_at, deleted_at = NULL
     WHERE notes.deleted_at IS NOT NULL
        OR notes.pupil_id IS DISTINCT FROM excluded.pupil_id
        OR notes.group_external_id IS DISTINCT FROM excluded.group_external_id
        OR notes.category_path <> excluded.category_path
        OR notes.written_at <> excluded.written_at
        OR notes.content <> excluded.content";

const PLAN_COLUMNS: &str = "source, school, external_id, pupil_id, group_external_id, kind, domain, title, owner, \
     care_level, start_on, end_on, evaluation_due, minutes_per_week, decided_on, drawn_up_on, parents_agreed_on, \
     created_at, updated_at";

/// The caller decided the plan changed (evaluations compared too).
const PLAN_CONFLICT: &str =
    " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
       group_external_id = excluded.group_external_id, kind = excluded.kind,
       domain = excluded.domain, title = excluded.title, owner = excluded.owner,
       care_level = excluded.care_level, start_on = excluded.start_on, end_on = excluded.end_on,
       evaluation_due = excluded.evaluation_due, minutes_per_week = excluded.minutes_per_week,
       decided_on = excluded.decided_on, drawn_up_on = excluded.drawn_up_on,
       parents_agreed_on = excluded.parents_agreed_on,
       updated_at = excluded.updated_at, deleted_at = NULL
     RETURNING id, external_id";

/// An absence row as written (validated, pupil resolved).
pub(crate) struct AbsenceWrite {
    source: String,
    school: String,
    external_id: String,
    pupil_id: i64,
    absent_on: NaiveDate,
    hours: f64,
    kind: String,
}

impl AbsenceWrite {
    pub(crate) fn new(a: &Absence, pupil_id: i64) -> Self {
        Self {
            source: a.source.as_str().to_owned(),
            school: a.school.as_str().to_owned(),
            external_id: a.external_id.clone(),
            pupil_id,
            absent_on: a.on,
            hours: a.hours,
            kind: a.kind.as_str().to_owned(),
        }
    }

    /// Binds the row's values in [`ABSENCE_COLUMNS`] order, without the two timestamps (the
    /// upsert writes them; the stored-page check compares the rest).
    fn bind<DB: Database>(&self, row: &mut Separated<'_, DB, &'static str>)
    where
        for<'t> String: Encode<'t, DB> + Type<DB>,
        for<'t> i64: Encode<'t, DB> + Type<DB>,
        for<'t> NaiveDate: Encode<'t, DB> + Type<DB>,
        for<'t> f64: Encode<'t, DB> + Type<DB>,
    {
        row.push_bind(self.source.clone())
            .push_bind(self.school.clone())
            .push_bind(self.external_id.clone())
            .push_bind(self.pupil_id)
            .push_bind(self.absent_on)
            .push_bind(self.hours)
            .push_bind(self.kind.clone());
    }
}

/// A social-emotional measurement row as written (validated, pupil resolved).
pub(crate) struct SocialEmotionalWrite {
    source: String,
    school: String,
    external_id: String,
    pupil_id: i64,
    instrument: String,
    scale: String,
    measured_on: NaiveDate,
    category: i16,
}

impl SocialEmotionalWrite {
    pub(crate) fn new(m: &SocialEmotionalMeasurement, pupil_id: i64) -> Self {
        Self {
            source: m.source.as_str().to_owned(),
            school: m.school.as_str().to_owned(),
            external_id: m.external_id.clone(),
            pupil_id,
            instrument: m.instrument.as_str().to_owned(),
            scale: m.scale.clone(),
            measured_on: m.measured_on,
            category: i16::from(m.category),
        }
    }

    /// Binds the row's values in [`SOCIAL_EMOTIONAL_COLUMNS`] order, without the two timestamps
    /// (the upsert writes them; the stored-page check compares the rest).
    fn bind<DB: Database>(&self, row: &mut Separated<'_, DB, &'static str>)
    where
        for<'t> String: Encode<'t, DB> + Type<DB>,
        for<'t> i64: Encode<'t, DB> + Type<DB>,
        for<'t> NaiveDate: Encode<'t, DB> + Type<DB>,
        for<'t> i16: Encode<'t, DB> + Type<DB>,
    {
        row.push_bind(self.source.clone())
            .push_bind(self.school.clone())
            .push_bind(self.external_id.clone())
            .push_bind(self.pupil_id)
            .push_bind(self.instrument.clone())
            .push_bind(self.scale.clone())
            .push_bind(self.measured_on)
            .push_bind(self.category);
    }
}

/// A dyslexieverklaring row as written (fact and date only, pupil resolved).
pub(crate) struct DyslexiaWrite {
    source: String,
    school: String,
    external_id: String,
    pupil_id: i64,
    stated_on: Option<NaiveDate>,
}

impl DyslexiaWrite {
    pub(crate) fn new(d: &DyslexiaStatementRecord, pupil_id: i64) -> Self {
        Self {
            source: d.source.as_str().to_owned(),
            school: d.school.as_str().to_owned(),
            external_id: d.external_id.clone(),
            pupil_id,
            stated_on: d.on,
        }
    }
}

const ABSENCE_COLUMNS: &str =
    "source, school, external_id, pupil_id, absent_on, hours, kind, created_at, updated_at";

/// An absence is written only when it differs from the stored one (or was deleted).
const ABSENCE_CONFLICT: &str =
    " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
       absent_on = excluded.absent_on, hours = excluded.hours, kind = excluded.kind,
       updated_at = excluded.updated_at, deleted_at = NULL
     WHERE absences.deleted_at IS NOT NULL
        OR absences.pupil_id <> excluded.pupil_id
        OR absences.absent_on <> excluded.absent_on
        OR absences.hours <> excluded.hours
        OR absences.kind <> excluded.kind";

const SOCIAL_EMOTIONAL_COLUMNS: &str = "source, school, external_id, pupil_id, instrument, scale, measured_on, \
     category, created_at, updated_at";

/// A measurement is written only when it differs from the stored one (or was deleted).
const SOCIAL_EMOTIONAL_CONFLICT: &str =
    " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
       instrument = excluded.instrument, scale = excluded.scale,
       measured_on = excluded.measured_on, category = excluded.category,
       updated_at = excluded.updated_at, deleted_at = NULL
     WHERE social_emotional.deleted_at IS NOT NULL
        OR social_emotional.pupil_id <> excluded.pupil_id
        OR social_emotional.instrument <> excluded.instrument
        OR social_emotional.scale <> excluded.scale
        OR social_emotional.measured_on <> excluded.measured_on
        OR social_emotional.category <> excluded.category";

const DYSLEXIA_COLUMNS: &str = "source, school, external_id, pupil_id, stated_on, created_at, updated_at";

/// A dyslexieverklaring is written only when it differs from the stored one (or was deleted).
const DYSLEXIA_CONFLICT: &str =
    " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
       stated_on = excluded.stated_on, updated_at = excluded.updated_at, deleted_at = NULL
     WHERE dyslexia_statements.deleted_at IS NOT NULL
        OR dyslexia_statements.pupil_id <> excluded.pupil_id
        OR dyslexia_statements.stated_on IS DISTINCT FROM excluded.stated_on";

/// SQLite: multi-row `INSERT … VALUES (…), (…) ON CONFLICT …`, [`CHUNK`] rows per statement.
pub(crate) mod sqlite {
    use chrono::{DateTime, Utc};
    use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

    use super::{
        ABSENCE_COLUMNS, ABSENCE_CONFLICT, AbsenceWrite, CHUNK, DYSLEXIA_COLUMNS, DYSLEXIA_CONFLICT,
        DyslexiaWrite, NOTE_COLUMNS, NOTE_CONFLICT, NoteWrite, PLAN_COLUMNS, PLAN_CONFLICT, PlanWrite,
        RESULT_COLUMNS, RESULT_CONFLICT, ResultWrite, SOCIAL_EMOTIONAL_COLUMNS, SOCIAL_EMOTIONAL_CONFLICT,
        SocialEmotionalWrite,
    };
    use crate::store::error::StoreError;
    use crate::store::page_bulk::KNOWN_RESULT_COLUMNS;
    use crate::store::rows::KnownResultRow;

    /// Inserts or updates the absences that differ; returns how many were written.
    pub(crate) async fn upsert_absences(
        conn: &mut SqliteConnection,
        rows: &[AbsenceWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO absences ({ABSENCE_COLUMNS}) "));
            qb.push_values(chunk, |mut row, a| {
                a.bind(&mut row);
                row.push_bind(now).push_bind(now);
            });
            qb.push(ABSENCE_CONFLICT);
            written += qb.build().execute(&mut *conn).await?.rows_affected();
        }
        Ok(written)
    }

    /// Inserts or updates the measurements that differ; returns how many were written.
    pub(crate) async fn upsert_social_emotional(
        conn: &mut SqliteConnection,
        rows: &[SocialEmotionalWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "INSERT INTO social_emotional ({SOCIAL_EMOTIONAL_COLUMNS}) "
            ));
            qb.push_values(chunk, |mut row, m| {
                m.bind(&mut row);
                row.push_bind(now).push_bind(now);
            });
            qb.push(SOCIAL_EMOTIONAL_CONFLICT);
            written += qb.build().execute(&mut *conn).await?.rows_affected();
        }
        Ok(written)
    }

    /// Inserts or updates the dyslexieverklaringen that differ; returns how many were written.
    pub(crate) async fn upsert_dyslexia(
        conn: &mut SqliteConnection,
        rows: &[DyslexiaWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        for chunk in rows.chunks(CHUNK) {
            let mut qb =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO dyslexia_statements ({DYSLEXIA_COLUMNS}) "));
            qb.push_values(chunk, |mut row, d| {
                row.push_bind(d.source.clone())
                    .push_bind(d.school.clone())
                    .push_bind(d.external_id.clone())
                    .push_bind(d.pupil_id)
                    .push_bind(d.stated_on)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(DYSLEXIA_CONFLICT);
            written += qb.build().execute(&mut *conn).await?.rows_affected();
        }
        Ok(written)
    }

    /// Most items per ` IN (…)` list (every item is one bound value).
    pub(crate) const IN_CHUNK: usize = CHUNK;

    /// ` IN (…)` with every item bound.
    pub(crate) fn push_in<'a>(qb: &mut QueryBuilder<Sqlite>, items: impl IntoIterator<Item = &'a str>) {
        qb.push(" IN (");
        let mut list = qb.separated(", ");
        for item in items {
            list.push_bind(item.to_owned());
        }
        list.push_unseparated(")");
    }

    /// ` IN (…)` on a column with its own index (SQLite plans both kinds of list alike).
    pub(crate) fn push_in_key<'a>(qb: &mut QueryBuilder<Sqlite>, items: impl IntoIterator<Item = &'a str>) {
        push_in(qb, items);
    }

    /// ` IN (…)` with every id bound.
    pub(crate) fn push_in_ids(qb: &mut QueryBuilder<Sqlite>, ids: impl IntoIterator<Item = i64>) {
        qb.push(" IN (");
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id);
        }
        list.push_unseparated(")");
    }

    /// The stored sittings that these source ids of one source and school name (see
    /// [`super::KNOWN_RESULT_COLUMNS`]), [`CHUNK`] ids per query.
    pub(crate) async fn known_results(
        conn: &mut SqliteConnection,
        source: &str,
        school: &str,
        external_ids: &[&str],
    ) -> Result<Vec<KnownResultRow>, StoreError> {
        let mut known = Vec::new();
        for chunk in external_ids.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {KNOWN_RESULT_COLUMNS}
                 FROM result_sources rs JOIN results r ON r.id = rs.result_id JOIN pupils p ON p.id = r.pupil_id
                 WHERE rs.source = "
            ));
            qb.push_bind(source.to_owned());
            qb.push(" AND rs.school = ");
            qb.push_bind(school.to_owned());
            qb.push(" AND rs.external_id");
            push_in(&mut qb, chunk.iter().copied());
            known.extend(
                qb.build_query_as::<KnownResultRow>()
                    .fetch_all(&mut *conn)
                    .await?,
            );
        }
        Ok(known)
    }

    /// New `result_sources` rows (source id, sitting) of one source and school.
    pub(crate) async fn insert_result_sources(
        conn: &mut SqliteConnection,
        source: &str,
        school: &str,
        rows: &[(&str, i64)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO result_sources (result_id, source, school, external_id, created_at) ",
            );
            qb.push_values(chunk, |mut row, (external_id, id)| {
                row.push_bind(*id)
                    .push_bind(source.to_owned())
                    .push_bind(school.to_owned())
                    .push_bind((*external_id).to_owned())
                    .push_bind(now);
            });
            qb.build().execute(&mut *conn).await?;
        }
        Ok(())
    }

    /// Inserts or overwrites results; returns (id, external_id) of every row.
    pub(crate) async fn upsert_results(
        conn: &mut SqliteConnection,
        rows: &[ResultWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO results ({RESULT_COLUMNS}) "));
            qb.push_values(chunk, |mut row, r| {
                row.push_bind(r.pupil_id)
                    .push_bind(r.content_key.clone())
                    .push_bind(r.test_code.clone())
                    .push_bind(r.part_code.clone())
                    .push_bind(r.test_name.clone())
                    .push_bind(r.provider.clone())
                    .push_bind(r.taken_on)
                    .push_bind(r.stated_moment.clone())
                    .push_bind(r.raw_score)
                    .push_bind(r.ability_value)
                    .push_bind(r.ability_scale.clone())
                    .push_bind(r.reference_scores.clone())
                    .push_bind(r.source.clone())
                    .push_bind(r.school.clone())
                    .push_bind(r.external_id.clone())
                    .push_bind(r.ability_low)
                    .push_bind(r.ability_high)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(RESULT_CONFLICT);
            ids.extend(qb.build_query_as::<(i64, String)>().fetch_all(&mut *conn).await?);
        }
        Ok(ids)
    }

    /// Inserts or updates the notes that differ; returns how many were written.
    pub(crate) async fn upsert_notes(
        conn: &mut SqliteConnection,
        rows: &[NoteWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut written = 0;
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO notes ({NOTE_COLUMNS}) "));
            qb.push_values(chunk, |mut row, n| {
                row.push_bind(n.source.clone())
                    .push_bind(n.school.clone())
                    .push_bind(n.external_id.clone())
                    .push_bind(n.pupil_id)
                    .push_bind(n.group_external_id.clone())
                    .push_bind(n.category_path.clone())
                    .push_bind(n.written_at)
                    .push_bind(n.content.clone())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(NOTE_CONFLICT);
            written += qb.build().execute(&mut *conn).await?.rows_affected();
        }
        Ok(written)
    }

    /// Inserts or overwrites plans; returns (id, external_id) of every row.
    pub(crate) async fn upsert_plans(
        conn: &mut SqliteConnection,
        rows: &[PlanWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(format!("INSERT INTO plans ({PLAN_COLUMNS}) "));
            qb.push_values(chunk, |mut row, p| {
                row.push_bind(p.source.clone())
                    .push_bind(p.school.clone())
                    .push_bind(p.external_id.clone())
                    .push_bind(p.pupil_id)
                    .push_bind(p.group_external_id.clone())
                    .push_bind(p.kind.clone())
                    .push_bind(p.domain.clone())
                    .push_bind(p.title.clone())
                    .push_bind(p.owner.clone())
                    .push_bind(p.care_level.clone())
                    .push_bind(p.start_on)
                    .push_bind(p.end_on)
                    .push_bind(p.evaluation_due)
                    .push_bind(p.minutes_per_week)
                    .push_bind(p.decided_on)
                    .push_bind(p.drawn_up_on)
                    .push_bind(p.parents_agreed_on)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(PLAN_CONFLICT);
            ids.extend(qb.build_query_as::<(i64, String)>().fetch_all(&mut *conn).await?);
        }
        Ok(ids)
    }
}

/// PostgreSQL: one fixed statement per table, `INSERT … SELECT … FROM UNNEST($1::…[], …)`, the
/// columns bound as arrays, and every id list bound as one array (`= ANY($n)`): the statements
/// are prepared and planned once per connection, whatever the page size (an `IN (…)` list of
/// 500 binds was a new statement for every length and planned anew).
pub(crate) mod postgres {
    use chrono::{DateTime, Utc};
    use sqlx::{PgConnection, Postgres, QueryBuilder};

    use super::{
        ABSENCE_COLUMNS, ABSENCE_CONFLICT, AbsenceWrite, DYSLEXIA_COLUMNS, DYSLEXIA_CONFLICT, DyslexiaWrite,
        NOTE_COLUMNS, NOTE_CONFLICT, NoteWrite, PLAN_COLUMNS, PLAN_CONFLICT, PlanWrite, RESULT_COLUMNS,
        RESULT_CONFLICT, ResultWrite, SOCIAL_EMOTIONAL_COLUMNS, SOCIAL_EMOTIONAL_CONFLICT,
        SocialEmotionalWrite,
    };
    use crate::store::error::StoreError;
    use crate::store::page_bulk::KNOWN_RESULT_COLUMNS;
    use crate::store::rows::KnownResultRow;

    /// Inserts or updates the absences that differ; returns how many were written.
    pub(crate) async fn upsert_absences(
        conn: &mut PgConnection,
        rows: &[AbsenceWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO absences ({ABSENCE_COLUMNS})
             SELECT u.*, $8, $8 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::date[],
               $6::float8[], $7::text[]) AS u
             {ABSENCE_CONFLICT}"
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(col(rows, |a| a.source.clone()))
            .bind(col(rows, |a| a.school.clone()))
            .bind(col(rows, |a| a.external_id.clone()))
            .bind(col(rows, |a| a.pupil_id))
            .bind(col(rows, |a| a.absent_on))
            .bind(col(rows, |a| a.hours))
            .bind(col(rows, |a| a.kind.clone()))
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }

    /// Inserts or updates the measurements that differ; returns how many were written.
    pub(crate) async fn upsert_social_emotional(
        conn: &mut PgConnection,
        rows: &[SocialEmotionalWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO social_emotional ({SOCIAL_EMOTIONAL_COLUMNS})
             SELECT u.*, $9, $9 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[],
               $6::text[], $7::date[], $8::int2[]) AS u
             {SOCIAL_EMOTIONAL_CONFLICT}"
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(col(rows, |m| m.source.clone()))
            .bind(col(rows, |m| m.school.clone()))
            .bind(col(rows, |m| m.external_id.clone()))
            .bind(col(rows, |m| m.pupil_id))
            .bind(col(rows, |m| m.instrument.clone()))
            .bind(col(rows, |m| m.scale.clone()))
            .bind(col(rows, |m| m.measured_on))
            .bind(col(rows, |m| m.category))
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }

    /// Inserts or updates the dyslexieverklaringen that differ; returns how many were written.
    pub(crate) async fn upsert_dyslexia(
        conn: &mut PgConnection,
        rows: &[DyslexiaWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO dyslexia_statements ({DYSLEXIA_COLUMNS})
             SELECT u.*, $6, $6 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::date[]) AS u
             {DYSLEXIA_CONFLICT}"
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(col(rows, |d| d.source.clone()))
            .bind(col(rows, |d| d.school.clone()))
            .bind(col(rows, |d| d.external_id.clone()))
            .bind(col(rows, |d| d.pupil_id))
            .bind(col(rows, |d| d.stated_on))
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }

    fn col<T, U>(rows: &[T], f: impl Fn(&T) -> U) -> Vec<U> {
        rows.iter().map(f).collect()
    }

    /// One array per list: no chunking.
    pub(crate) const IN_CHUNK: usize = usize::MAX;

    /// ` IN (SELECT UNNEST($n::text[]))`, the items bound as one array. Not `= ANY($n)`: on a
    /// composite key (`source, school, external_id`) a generic plan without statistics takes
    /// the index for the leading columns only and then tests every row of the school against
    /// the array one element at a time (1 000 ids × 8 000 rows: 130 ms a page, measured); the
    /// semi-join hashes the list.
    pub(crate) fn push_in<'a>(qb: &mut QueryBuilder<Postgres>, items: impl IntoIterator<Item = &'a str>) {
        qb.push(" IN (SELECT UNNEST(");
        qb.push_bind(items.into_iter().map(str::to_owned).collect::<Vec<String>>());
        qb.push("::text[]))");
    }

    /// ` = ANY($n::text[])` on a column with its own index (the index takes the whole array).
    pub(crate) fn push_in_key<'a>(qb: &mut QueryBuilder<Postgres>, items: impl IntoIterator<Item = &'a str>) {
        qb.push(" = ANY(");
        qb.push_bind(items.into_iter().map(str::to_owned).collect::<Vec<String>>());
        qb.push("::text[])");
    }

    /// The stored sittings that these source ids of one source and school name, in one
    /// statement: one index probe on `(source, school, external_id)` per id (`LATERAL … LIMIT 1`
    /// keeps the planner from turning it into a scan of the school's rows).
    pub(crate) async fn known_results(
        conn: &mut PgConnection,
        source: &str,
        school: &str,
        external_ids: &[&str],
    ) -> Result<Vec<KnownResultRow>, StoreError> {
        if external_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {KNOWN_RESULT_COLUMNS}
             FROM UNNEST($3::text[]) AS u (external_id)
               JOIN LATERAL (SELECT x.result_id, x.external_id, x.deleted_at FROM result_sources x
                             WHERE x.source = $1 AND x.school = $2 AND x.external_id = u.external_id
                             LIMIT 1) rs ON true
               JOIN results r ON r.id = rs.result_id JOIN pupils p ON p.id = r.pupil_id"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(source)
            .bind(school)
            .bind(col(external_ids, |e| (*e).to_owned()))
            .fetch_all(&mut *conn)
            .await?)
    }

    /// ` = ANY($n::int8[])` on an id column with its own index.
    pub(crate) fn push_in_ids(qb: &mut QueryBuilder<Postgres>, ids: impl IntoIterator<Item = i64>) {
        qb.push(" = ANY(");
        qb.push_bind(ids.into_iter().collect::<Vec<i64>>());
        qb.push("::int8[])");
    }

    /// New `result_sources` rows (source id, sitting) of one source and school, in one statement.
    pub(crate) async fn insert_result_sources(
        conn: &mut PgConnection,
        source: &str,
        school: &str,
        rows: &[(&str, i64)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO result_sources (result_id, source, school, external_id, created_at)
             SELECT u.result_id, $3, $4, u.external_id, $5
             FROM UNNEST($1::int8[], $2::text[]) AS u (result_id, external_id)",
        )
        .bind(col(rows, |(_, id)| *id))
        .bind(col(rows, |(e, _)| (*e).to_owned()))
        .bind(source)
        .bind(school)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Inserts or overwrites results; returns (id, external_id) of every row.
    pub(crate) async fn upsert_results(
        conn: &mut PgConnection,
        rows: &[ResultWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "INSERT INTO results ({RESULT_COLUMNS})
             SELECT u.*, $18, $18 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[],
               $6::text[], $7::date[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::text[],
               $13::text[], $14::text[], $15::text[], $16::float8[], $17::float8[]) AS u
             {RESULT_CONFLICT}"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(col(rows, |r| r.pupil_id))
            .bind(col(rows, |r| r.content_key.clone()))
            .bind(col(rows, |r| r.test_code.clone()))
            .bind(col(rows, |r| r.part_code.clone()))
            .bind(col(rows, |r| r.test_name.clone()))
            .bind(col(rows, |r| r.provider.clone()))
            .bind(col(rows, |r| r.taken_on))
            .bind(col(rows, |r| r.stated_moment.clone()))
            .bind(col(rows, |r| r.raw_score))
            .bind(col(rows, |r| r.ability_value))
            .bind(col(rows, |r| r.ability_scale.clone()))
            .bind(col(rows, |r| r.reference_scores.clone()))
            .bind(col(rows, |r| r.source.clone()))
            .bind(col(rows, |r| r.school.clone()))
            .bind(col(rows, |r| r.external_id.clone()))
            .bind(col(rows, |r| r.ability_low))
            .bind(col(rows, |r| r.ability_high))
            .bind(now)
            .fetch_all(&mut *conn)
            .await?)
    }

    /// Inserts or updates the notes that differ; returns how many were written.
    pub(crate) async fn upsert_notes(
        conn: &mut PgConnection,
        rows: &[NoteWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "INSERT INTO notes ({NOTE_COLUMNS})
             SELECT u.*, $9, $9 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[],
               $6::text[], $7::timestamptz[], $8::text[]) AS u
             {NOTE_CONFLICT}"
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(col(rows, |n| n.source.clone()))
            .bind(col(rows, |n| n.school.clone()))
            .bind(col(rows, |n| n.external_id.clone()))
            .bind(col(rows, |n| n.pupil_id))
            .bind(col(rows, |n| n.group_external_id.clone()))
            .bind(col(rows, |n| n.category_path.clone()))
            .bind(col(rows, |n| n.written_at))
            .bind(col(rows, |n| n.content.clone()))
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected())
    }

    /// Inserts or overwrites plans; returns (id, external_id) of every row.
    pub(crate) async fn upsert_plans(
        conn: &mut PgConnection,
        rows: &[PlanWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "INSERT INTO plans ({PLAN_COLUMNS})
             SELECT u.*, $18, $18 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[],
               $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::date[], $12::date[],
               $13::date[], $14::int8[], $15::date[], $16::date[], $17::date[]) AS u
             {PLAN_CONFLICT}"
        );
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(col(rows, |p| p.source.clone()))
            .bind(col(rows, |p| p.school.clone()))
            .bind(col(rows, |p| p.external_id.clone()))
            .bind(col(rows, |p| p.pupil_id))
            .bind(col(rows, |p| p.group_external_id.clone()))
            .bind(col(rows, |p| p.kind.clone()))
            .bind(col(rows, |p| p.domain.clone()))
            .bind(col(rows, |p| p.title.clone()))
            .bind(col(rows, |p| p.owner.clone()))
            .bind(col(rows, |p| p.care_level.clone()))
            .bind(col(rows, |p| p.start_on))
            .bind(col(rows, |p| p.end_on))
            .bind(col(rows, |p| p.evaluation_due))
            .bind(col(rows, |p| p.minutes_per_week))
            .bind(col(rows, |p| p.decided_on))
            .bind(col(rows, |p| p.drawn_up_on))
            .bind(col(rows, |p| p.parents_agreed_on))
            .bind(now)
            .fetch_all(&mut *conn)
            .await?)
    }
}

/// One engine's set-based statements ([`sqlite`], [`postgres`]) on its connection, so the page
/// writers below, written once inside `on_engine!`, reach their own engine's: `tx.upsert_results(…)`.
pub(crate) trait BulkSql: Send {
    /// The engine.
    type Db: Database;

    /// Items per `IN` list ([`CHUNK`] on SQLite; PostgreSQL binds one array: no limit).
    fn in_chunk(&self) -> usize;

    /// ` IN (…)` over text items (PostgreSQL: a semi-join over one bound array).
    fn push_in<'a>(&self, qb: &mut QueryBuilder<Self::Db>, items: impl IntoIterator<Item = &'a str>);

    /// ` IN (…)` over text items on a column with its own index (PostgreSQL: `= ANY`).
    fn push_in_key<'a>(&self, qb: &mut QueryBuilder<Self::Db>, items: impl IntoIterator<Item = &'a str>);

    /// ` IN (…)` over ids.
    fn push_in_ids(&self, qb: &mut QueryBuilder<Self::Db>, ids: impl IntoIterator<Item = i64>);

    /// The stored sittings these source ids of one source and school name.
    fn known_results(
        &mut self,
        source: &str,
        school: &str,
        external_ids: &[&str],
    ) -> impl Future<Output = Result<Vec<KnownResultRow>, StoreError>> + Send;

    /// New `result_sources` rows (source id, sitting) of one source and school.
    fn insert_result_sources(
        &mut self,
        source: &str,
        school: &str,
        rows: &[(&str, i64)],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Inserts or overwrites results; returns (id, external id) of each.
    fn upsert_results(
        &mut self,
        rows: &[ResultWrite],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(i64, String)>, StoreError>> + Send;

    /// Inserts or updates the notes that differ; returns how many were written.
    fn upsert_notes(
        &mut self,
        rows: &[NoteWrite],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Inserts or updates the plans that differ; returns (id, external id) of each written.
    fn upsert_plans(
        &mut self,
        rows: &[PlanWrite],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<(i64, String)>, StoreError>> + Send;

    /// Inserts or updates the absences that differ; returns how many were written.
    fn upsert_absences(
        &mut self,
        rows: &[AbsenceWrite],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Inserts or updates the measurements that differ; returns how many were written.
    fn upsert_social_emotional(
        &mut self,
        rows: &[SocialEmotionalWrite],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Inserts or updates the dyslexieverklaringen that differ; returns how many were written.
    fn upsert_dyslexia(
        &mut self,
        rows: &[DyslexiaWrite],
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl BulkSql for sqlx::SqliteConnection {
    type Db = sqlx::Sqlite;

    fn in_chunk(&self) -> usize {
        sqlite::IN_CHUNK
    }

    fn push_in<'a>(&self, qb: &mut QueryBuilder<Self::Db>, items: impl IntoIterator<Item = &'a str>) {
        sqlite::push_in(qb, items);
    }

    fn push_in_key<'a>(&self, qb: &mut QueryBuilder<Self::Db>, items: impl IntoIterator<Item = &'a str>) {
        sqlite::push_in_key(qb, items);
    }

    fn push_in_ids(&self, qb: &mut QueryBuilder<Self::Db>, ids: impl IntoIterator<Item = i64>) {
        sqlite::push_in_ids(qb, ids);
    }

    async fn known_results(
        &mut self,
        source: &str,
        school: &str,
        external_ids: &[&str],
    ) -> Result<Vec<KnownResultRow>, StoreError> {
        sqlite::known_results(self, source, school, external_ids).await
    }

    async fn insert_result_sources(
        &mut self,
        source: &str,
        school: &str,
        rows: &[(&str, i64)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlite::insert_result_sources(self, source, school, rows, now).await
    }

    async fn upsert_results(
        &mut self,
        rows: &[ResultWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        sqlite::upsert_results(self, rows, now).await
    }

    async fn upsert_notes(&mut self, rows: &[NoteWrite], now: DateTime<Utc>) -> Result<u64, StoreError> {
        sqlite::upsert_notes(self, rows, now).await
    }

    async fn upsert_plans(
        &mut self,
        rows: &[PlanWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        sqlite::upsert_plans(self, rows, now).await
    }

    async fn upsert_absences(
        &mut self,
        rows: &[AbsenceWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sqlite::upsert_absences(self, rows, now).await
    }

    async fn upsert_social_emotional(
        &mut self,
        rows: &[SocialEmotionalWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sqlite::upsert_social_emotional(self, rows, now).await
    }

    async fn upsert_dyslexia(
        &mut self,
        rows: &[DyslexiaWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        sqlite::upsert_dyslexia(self, rows, now).await
    }
}

impl BulkSql for sqlx::PgConnection {
    type Db = sqlx::Postgres;

    fn in_chunk(&self) -> usize {
        postgres::IN_CHUNK
    }

    fn push_in<'a>(&self, qb: &mut QueryBuilder<Self::Db>, items: impl IntoIterator<Item = &'a str>) {
        postgres::push_in(qb, items);
    }

    fn push_in_key<'a>(&self, qb: &mut QueryBuilder<Self::Db>, items: impl IntoIterator<Item = &'a str>) {
        postgres::push_in_key(qb, items);
    }

    fn push_in_ids(&self, qb: &mut QueryBuilder<Self::Db>, ids: impl IntoIterator<Item = i64>) {
        postgres::push_in_ids(qb, ids);
    }

    async fn known_results(
        &mut self,
        source: &str,
        school: &str,
        external_ids: &[&str],
    ) -> Result<Vec<KnownResultRow>, StoreError> {
        postgres::known_results(self, source, school, external_ids).await
    }

    async fn insert_result_sources(
        &mut self,
        source: &str,
        school: &str,
        rows: &[(&str, i64)],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        postgres::insert_result_sources(self, source, school, rows, now).await
    }

    async fn upsert_results(
        &mut self,
        rows: &[ResultWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        postgres::upsert_results(self, rows, now).await
    }

    async fn upsert_notes(&mut self, rows: &[NoteWrite], now: DateTime<Utc>) -> Result<u64, StoreError> {
        postgres::upsert_notes(self, rows, now).await
    }

    async fn upsert_plans(
        &mut self,
        rows: &[PlanWrite],
        now: DateTime<Utc>,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        postgres::upsert_plans(self, rows, now).await
    }

    async fn upsert_absences(
        &mut self,
        rows: &[AbsenceWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        postgres::upsert_absences(self, rows, now).await
    }

    async fn upsert_social_emotional(
        &mut self,
        rows: &[SocialEmotionalWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        postgres::upsert_social_emotional(self, rows, now).await
    }

    async fn upsert_dyslexia(
        &mut self,
        rows: &[DyslexiaWrite],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        postgres::upsert_dyslexia(self, rows, now).await
    }
}

/// What the set-based result writer will do with a page's results.
struct ResultPlan<'a> {
    /// Aliases (source ids) whose tombstone is lifted.
    undelete_aliases: Vec<&'a str>,
    /// Sittings owned by another source that come back.
    revive: Vec<i64>,
    /// Results to insert or overwrite (first seen by this source), with their pupil id.
    write: Vec<(&'a TestResult, i64)>,
    /// New `result_sources` rows: source id and the sitting, `None` = the one written.
    new_sources: Vec<(&'a str, Option<i64>)>,
    summary: PageSummary,
}

/// Writes new or changed test codes of `results` to the catalogue, in code order; a
/// page of known tests writes nothing (and locks nothing).
pub(crate) async fn upsert_catalogue(
    conn: Conn<'_>,
    results: &[TestResult],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    on_engine!(conn, |conn| {
        if results.is_empty() {
            return Ok(());
        }
        // As record by record: the last name wins, the last provider given wins.
        let mut wanted: BTreeMap<String, (&str, Option<&str>)> = BTreeMap::new();
        for r in results {
            let entry = wanted
                .entry(r.test_code.trim().to_ascii_uppercase())
                .or_insert((r.test_name.as_str(), None));
            entry.0 = r.test_name.as_str();
            if let Some(p) = &r.provider {
                entry.1 = Some(p.as_str());
            }
        }
        let codes: Vec<&str> = wanted.keys().map(String::as_str).collect();
        let mut stored: HashMap<String, (String, Option<String>)> = HashMap::new();
        for chunk in codes.chunks(conn.in_chunk()) {
            let mut qb = QueryBuilder::new("SELECT code, name, provider FROM tests WHERE code");
            conn.push_in_key(&mut qb, chunk.iter().copied());
            let rows: Vec<(String, String, Option<String>)> =
                qb.build_query_as().fetch_all(&mut *conn).await?;
            stored.extend(rows.into_iter().map(|(c, n, p)| (c, (n, p))));
        }
        let changed: Vec<(&String, &(&str, Option<&str>))> = wanted
            .iter()
            .filter(|(code, (name, provider))| match stored.get(*code) {
                None => true,
                Some((n, p)) => n.as_str() != *name || (provider.is_some() && p.as_deref() != *provider),
            })
            .collect();
        for chunk in changed.chunks(CHUNK) {
            let mut qb =
                QueryBuilder::new("INSERT INTO tests (code, name, provider, first_seen_at, last_seen_at) ");
            qb.push_values(chunk, |mut row, (code, (name, provider))| {
                row.push_bind(code.to_string())
                    .push_bind(name.to_string())
                    .push_bind(provider.map(str::to_owned))
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name,
                   provider = COALESCE(excluded.provider, tests.provider),
                   last_seen_at = excluded.last_seen_at",
            );
            qb.build().execute(&mut *conn).await?;
        }
        Ok(())
    })
}

/// Store id of a pupil by school and source pupil id (any source, left or not).
pub(crate) async fn pupil_id(
    tx: Tx<'_>,
    school: &Brin,
    external_id: &str,
) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_engine!(tx, |tx| {
        sqlx::query_as(
            "SELECT id FROM pupils WHERE school = $1 AND external_id = $2 AND deleted_at IS NULL
             ORDER BY id LIMIT 1",
        )
        .bind(school.as_str())
        .bind(external_id)
        .fetch_optional(&mut **tx)
        .await?
    });
    Ok(row.map(|(id,)| id))
}

/// [`pupil_id`], and an error naming `what` when the store does not know the pupil.
pub(crate) async fn required_pupil_id(
    tx: Tx<'_>,
    school: &Brin,
    external_id: &str,
    what: &str,
) -> Result<i64, StoreError> {
    pupil_id(tx, school, external_id)
        .await?
        .ok_or_else(|| StoreError::InvalidData(format!("{what} names a pupil that is not in the store")))
}

/// Store ids of the live pupils of `school` with these source ids (any source).
pub(crate) async fn pupil_ids<'a>(
    tx: Tx<'_>,
    school: &Brin,
    external_ids: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, i64>, StoreError> {
    on_engine!(tx, |tx| {
        let mut wanted: Vec<&str> = external_ids.into_iter().collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut found = HashMap::with_capacity(wanted.len());
        for chunk in wanted.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new("SELECT external_id, MIN(id) FROM pupils WHERE school = ");
            qb.push_bind(school.as_str().to_owned());
            qb.push(" AND deleted_at IS NULL AND external_id");
            tx.push_in(&mut qb, chunk.iter().copied());
            qb.push(" GROUP BY external_id");
            let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut **tx).await?;
            found.extend(rows);
        }
        Ok(found)
    })
}

/// Reads what the page's results name and decides per result; `None` when the
/// order inside the page could matter (the caller then goes record by record).
async fn plan_results<'a>(
    tx: Tx<'_>,
    batch: &'a PageBatch,
    pupils: &HashMap<String, i64>,
) -> Result<Option<ResultPlan<'a>>, StoreError> {
    on_engine!(tx, |tx| {
        let results = &batch.results;
        let mut ids = HashSet::with_capacity(results.len());
        if !results.iter().all(|r| ids.insert(r.external_id.as_str())) {
            return Ok(None);
        }
        let ids: Vec<&str> = results.iter().map(|r| r.external_id.as_str()).collect();
        let mut known: HashMap<String, KnownResultRow> = tx
            .known_results(batch.source.as_str(), batch.school.as_str(), &ids)
            .await?
            .into_iter()
            .map(|k| (k.alias_external_id.clone(), k))
            .collect();
        // A new result matches a live sitting by content key; inside the page the
        // record-by-record order would decide, so any overlap goes that way.
        let mut page_keys: HashSet<String> = HashSet::new();
        for k in known.values() {
            page_keys.insert(k.content_key.clone());
        }
        let mut new_keys: HashMap<&str, String> = HashMap::new();
        for r in results {
            let key = r.content_key();
            if known.contains_key(&r.external_id) {
                page_keys.insert(key);
            } else {
                new_keys.insert(r.external_id.as_str(), key);
            }
        }
        let mut seen_new = HashSet::new();
        for key in new_keys.values() {
            if page_keys.contains(key) || !seen_new.insert(key.as_str()) {
                return Ok(None);
            }
        }
        let mut sittings: HashMap<String, i64> = HashMap::new();
        let keys: Vec<&str> = new_keys.values().map(String::as_str).collect();
        for chunk in keys.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new(
                "SELECT content_key, MIN(id) FROM results WHERE deleted_at IS NULL AND content_key",
            );
            tx.push_in_key(&mut qb, chunk.iter().copied());
            qb.push(" GROUP BY content_key");
            let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(&mut **tx).await?;
            sittings.extend(rows);
        }
        let mut plan = ResultPlan {
            undelete_aliases: Vec::new(),
            revive: Vec::new(),
            write: Vec::new(),
            new_sources: Vec::new(),
            summary: PageSummary::default(),
        };
        for r in results {
            let pupil_id = *pupils.get(&r.pupil_external_id).ok_or_else(|| {
                StoreError::InvalidData(format!(
                    "result {} names a pupil that is not in the store",
                    r.external_id
                ))
            })?;
            match known.remove(&r.external_id) {
                Some(k) => {
                    if k.alias_deleted {
                        plan.undelete_aliases.push(r.external_id.as_str());
                    }
                    let first_seen = k.row.source == r.source.as_str() && k.row.external_id == r.external_id;
                    if !first_seen {
                        // Another source delivered this sitting first: its content
                        // stays; the sitting comes back if it had been tombstoned.
                        if k.result_deleted {
                            plan.revive.push(k.row.id);
                        }
                        plan.summary.results_deduplicated += 1;
                    } else if !k.result_deleted && k.row.into_stored()?.result == *r {
                        plan.summary.unchanged += 1;
                    } else {
                        plan.write.push((r, pupil_id));
                        plan.summary.results_updated += 1;
                    }
                }
                None => match sittings.get(&new_keys[r.external_id.as_str()]) {
                    Some(id) => {
                        plan.new_sources.push((r.external_id.as_str(), Some(*id)));
                        plan.summary.results_deduplicated += 1;
                    }
                    None => {
                        plan.write.push((r, pupil_id));
                        plan.new_sources.push((r.external_id.as_str(), None));
                        plan.summary.results_inserted += 1;
                    }
                },
            }
        }
        Ok(Some(plan))
    })
}

/// Writes a page's results set-based; `None` when the page needs the record-by-record
/// path (nothing written then).
pub(crate) async fn write_results_bulk(
    tx: Tx<'_>,
    batch: &PageBatch,
    pupils: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<Option<PageSummary>, StoreError> {
    on_engine!(tx, |tx| {
        let Some(plan) = plan_results(Tx::from(&mut *tx), batch, pupils).await? else {
            return Ok(None);
        };
        for chunk in plan.undelete_aliases.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new("UPDATE result_sources SET deleted_at = NULL WHERE source = ");
            qb.push_bind(batch.source.as_str().to_owned());
            qb.push(" AND school = ");
            qb.push_bind(batch.school.as_str().to_owned());
            qb.push(" AND external_id");
            tx.push_in(&mut qb, chunk.iter().copied());
            qb.build().execute(&mut **tx).await?;
        }
        for chunk in plan.revive.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new("UPDATE results SET deleted_at = NULL, updated_at = ");
            qb.push_bind(now);
            qb.push(" WHERE deleted_at IS NOT NULL AND id");
            tx.push_in_ids(&mut qb, chunk.iter().copied());
            qb.build().execute(&mut **tx).await?;
        }
        let rows = plan
            .write
            .iter()
            .map(|(r, pupil_id)| ResultWrite::new(r, *pupil_id))
            .collect::<Result<Vec<_>, _>>()?;
        let written: HashMap<String, i64> = tx
            .upsert_results(&rows, now)
            .await?
            .into_iter()
            .map(|(id, e)| (e, id))
            .collect();
        let mut sources = Vec::with_capacity(plan.new_sources.len());
        for (external_id, sitting) in &plan.new_sources {
            let id = match sitting {
                Some(id) => *id,
                None => *written.get(*external_id).ok_or_else(|| {
                    StoreError::InvalidData(format!("result {external_id} was not written"))
                })?,
            };
            sources.push((*external_id, id));
        }
        tx.insert_result_sources(batch.source.as_str(), batch.school.as_str(), &sources, now)
            .await?;
        Ok(Some(plan.summary))
    })
}

/// Writes a page's notes set-based: one upsert per chunk that changes only what
/// differs; returns (written, unchanged), `None` when an id occurs twice.
pub(crate) async fn write_notes_bulk(
    tx: Tx<'_>,
    notes: &[Note],
    pupils: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<Option<(usize, usize)>, StoreError> {
    on_engine!(tx, |tx| {
        let mut ids = HashSet::with_capacity(notes.len());
        if !notes.iter().all(|n| ids.insert(n.external_id.as_str())) {
            return Ok(None);
        }
        let mut rows = Vec::with_capacity(notes.len());
        for n in notes {
            let pupil_id = match &n.pupil_external_id {
                Some(p) => Some(*pupils.get(p).ok_or_else(|| {
                    StoreError::InvalidData(format!(
                        "note {} names a pupil that is not in the store",
                        n.external_id
                    ))
                })?),
                None => None,
            };
            rows.push(NoteWrite::new(n, pupil_id)?);
        }
        let written = tx.upsert_notes(&rows, now).await?;
        let written = usize::try_from(written).unwrap_or(usize::MAX);
        Ok(Some((written, notes.len().saturating_sub(written))))
    })
}

/// Writes a page's plans set-based: stored plans and evaluations read in one query
/// each, changed plans upserted together and their evaluations replaced; returns
/// (written, unchanged), `None` when an id occurs twice.
pub(crate) async fn write_plans_bulk(
    tx: Tx<'_>,
    batch: &PageBatch,
    pupils: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<Option<(usize, usize)>, StoreError> {
    on_engine!(tx, |tx| {
        let plans = &batch.plans;
        let mut ids = HashSet::with_capacity(plans.len());
        if !plans.iter().all(|p| ids.insert(p.external_id.as_str())) {
            return Ok(None);
        }
        let mut resolved = Vec::with_capacity(plans.len());
        for p in plans {
            let pupil_id = match &p.pupil_external_id {
                Some(e) => Some(*pupils.get(e).ok_or_else(|| {
                    StoreError::InvalidData(format!(
                        "plan {} names a pupil that is not in the store",
                        p.external_id
                    ))
                })?),
                None => None,
            };
            resolved.push((p, pupil_id));
        }
        let mut stored: HashMap<String, PlanRow> = HashMap::new();
        for chunk in plans.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new(
                "SELECT pl.id, pl.pupil_id, pl.source, pl.school, pl.external_id,
                        p.external_id AS pupil_external_id, pl.group_external_id, pl.kind, pl.domain,
                        pl.title, pl.owner, pl.care_level, pl.start_on, pl.end_on, pl.evaluation_due,
                        pl.minutes_per_week, pl.decided_on, pl.drawn_up_on, pl.parents_agreed_on
                 FROM plans pl LEFT JOIN pupils p ON p.id = pl.pupil_id
                 WHERE pl.deleted_at IS NULL AND pl.source = ",
            );
            qb.push_bind(batch.source.as_str().to_owned());
            qb.push(" AND pl.school = ");
            qb.push_bind(batch.school.as_str().to_owned());
            qb.push(" AND pl.external_id");
            tx.push_in(&mut qb, chunk.iter().map(|p| p.external_id.as_str()));
            let rows: Vec<PlanRow> = qb.build_query_as().fetch_all(&mut **tx).await?;
            stored.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
        }
        let mut evaluations: HashMap<i64, Vec<Evaluation>> = HashMap::new();
        let plan_ids: Vec<i64> = stored.values().map(|r| r.id).collect();
        for chunk in plan_ids.chunks(tx.in_chunk()) {
            let mut qb =
                QueryBuilder::new("SELECT plan_id, evaluated_on, outcome FROM evaluations WHERE plan_id");
            tx.push_in_ids(&mut qb, chunk.iter().copied());
            let rows: Vec<EvaluationRow> = qb.build_query_as().fetch_all(&mut **tx).await?;
            for row in rows {
                let plan_id = row.plan_id;
                evaluations.entry(plan_id).or_default().push(row.into_domain()?);
            }
        }
        let order = |e: &Evaluation| (e.date, e.outcome.as_str());
        let mut changed: Vec<(&SupportPlan, Option<i64>)> = Vec::new();
        for (p, pupil_id) in resolved {
            if let Some(row) = stored.remove(&p.external_id) {
                let evals = evaluations.remove(&row.id).unwrap_or_default();
                let mut stored_plan = row.into_stored(evals)?.plan;
                let mut incoming = p.clone();
                stored_plan.evaluations.sort_by_key(order);
                incoming.evaluations.sort_by_key(order);
                if stored_plan == incoming {
                    continue;
                }
            }
            changed.push((p, pupil_id));
        }
        let rows: Vec<PlanWrite> = changed
            .iter()
            .map(|(p, pupil_id)| PlanWrite::new(p, *pupil_id))
            .collect();
        let by_id: HashMap<&str, &SupportPlan> = changed
            .iter()
            .map(|(p, _)| (p.external_id.as_str(), *p))
            .collect();
        let mut written_ids: Vec<(i64, &SupportPlan)> = Vec::with_capacity(changed.len());
        for (id, external_id) in tx.upsert_plans(&rows, now).await? {
            let p = by_id
                .get(external_id.as_str())
                .ok_or_else(|| StoreError::InvalidData(format!("plan {external_id} was not written")))?;
            written_ids.push((id, p));
        }
        // The source holds a plan's evaluations; the stored list follows it.
        written_ids.sort_by_key(|(id, _)| *id);
        for chunk in written_ids.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new("DELETE FROM evaluations WHERE plan_id");
            tx.push_in_ids(&mut qb, chunk.iter().map(|(id, _)| *id));
            qb.build().execute(&mut **tx).await?;
        }
        let new_evaluations: Vec<(i64, &Evaluation)> = written_ids
            .iter()
            .flat_map(|(id, p)| p.evaluations.iter().map(move |e| (*id, e)))
            .collect();
        for chunk in new_evaluations.chunks(CHUNK) {
            let mut qb = QueryBuilder::new("INSERT INTO evaluations (plan_id, evaluated_on, outcome) ");
            qb.push_values(chunk, |mut row, (id, e)| {
                row.push_bind(*id)
                    .push_bind(e.date)
                    .push_bind(e.outcome.as_str().to_owned());
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(Some((changed.len(), plans.len() - changed.len())))
    })
}

/// A page's dyslexieverklaringen, absences and social-emotional measurements as the rows the
/// set-based upserts write (validated, pupils resolved).
struct PupilFactRows {
    statements: Vec<DyslexiaWrite>,
    absences: Vec<AbsenceWrite>,
    measurements: Vec<SocialEmotionalWrite>,
}

/// The rows of a page's pupil facts ([`PupilFactRows`]) with the pupils of `pupils`; `None`
/// when an id occurs twice in one kind (the order inside the page decides then). A record of a
/// pupil not in `pupils` or with invalid values is an error, checked in the order the
/// record-by-record path writes: dyslexieverklaringen, absences, measurements.
fn pupil_fact_rows(
    batch: &PageBatch,
    pupils: &HashMap<String, i64>,
) -> Result<Option<PupilFactRows>, StoreError> {
    fn distinct<'a>(ids: impl Iterator<Item = &'a str>) -> bool {
        let mut seen = HashSet::new();
        ids.into_iter().all(|id| seen.insert(id))
    }
    if !distinct(batch.absences.iter().map(|a| a.external_id.as_str()))
        || !distinct(batch.social_emotional.iter().map(|m| m.external_id.as_str()))
        || !distinct(batch.dyslexia_statements.iter().map(|d| d.external_id.as_str()))
    {
        return Ok(None);
    }
    let pupil = |external_id: &str, what: String| {
        pupils
            .get(external_id)
            .copied()
            .ok_or_else(|| StoreError::InvalidData(format!("{what} names a pupil that is not in the store")))
    };
    let mut statements = Vec::with_capacity(batch.dyslexia_statements.len());
    for d in &batch.dyslexia_statements {
        let id = pupil(
            &d.pupil_external_id,
            format!("dyslexieverklaring {}", d.external_id),
        )?;
        statements.push(DyslexiaWrite::new(d, id));
    }
    let mut absences = Vec::with_capacity(batch.absences.len());
    for a in &batch.absences {
        if !Absence::valid_hours(a.hours) {
            return Err(StoreError::InvalidData(format!(
                "absence {} has {} hours (expected more than 0, at most 24)",
                a.external_id, a.hours
            )));
        }
        let id = pupil(&a.pupil_external_id, format!("absence {}", a.external_id))?;
        absences.push(AbsenceWrite::new(a, id));
    }
    let mut measurements = Vec::with_capacity(batch.social_emotional.len());
    for m in &batch.social_emotional {
        if !m.is_valid() {
            return Err(StoreError::InvalidData(format!(
                "social-emotional measurement {} has no valid {} scale and category",
                m.external_id,
                m.instrument.as_str()
            )));
        }
        let id = pupil(
            &m.pupil_external_id,
            format!("social-emotional measurement {}", m.external_id),
        )?;
        measurements.push(SocialEmotionalWrite::new(m, id));
    }
    Ok(Some(PupilFactRows {
        statements,
        absences,
        measurements,
    }))
}

/// Writes a page's absences, social-emotional measurements and dyslexieverklaringen
/// set-based (one upsert per table and chunk that changes only what differs);
/// returns (absences, measurements, statements written, unchanged), `None` when an
/// id occurs twice in one of them (the order inside the page decides then).
pub(crate) async fn write_pupil_facts_bulk(
    tx: Tx<'_>,
    batch: &PageBatch,
    pupils: &HashMap<String, i64>,
    now: DateTime<Utc>,
) -> Result<Option<(usize, usize, usize, usize)>, StoreError> {
    let Some(rows) = pupil_fact_rows(batch, pupils)? else {
        return Ok(None);
    };
    on_engine!(tx, |tx| {
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let d = count(tx.upsert_dyslexia(&rows.statements, now).await?);
        let a = count(tx.upsert_absences(&rows.absences, now).await?);
        let m = count(tx.upsert_social_emotional(&rows.measurements, now).await?);
        let total = rows.statements.len() + rows.absences.len() + rows.measurements.len();
        Ok(Some((a, m, d, total.saturating_sub(a + m + d))))
    })
}

/// Deletes the held versions of records a page applies or tombstones (the caller
/// skips this when the school holds nothing from this source, the usual case).
pub(crate) async fn unhold_bulk(
    tx: Tx<'_>,
    batch: &PageBatch,
    applied: &[(RecordKind, &str)],
) -> Result<(), StoreError> {
    on_engine!(tx, |tx| {
        if applied.is_empty() {
            return Ok(());
        }
        let mut by_kind: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (kind, external_id) in applied {
            by_kind
                .entry(rows::enum_name(kind)?)
                .or_default()
                .push(external_id);
        }
        for (kind, ids) in &by_kind {
            for chunk in ids.chunks(tx.in_chunk()) {
                let mut qb = QueryBuilder::new("DELETE FROM held_records WHERE source = ");
                qb.push_bind(batch.source.as_str().to_owned());
                qb.push(" AND school = ");
                qb.push_bind(batch.school.as_str().to_owned());
                qb.push(" AND kind = ");
                qb.push_bind(kind.clone());
                qb.push(" AND external_id");
                tx.push_in(&mut qb, chunk.iter().copied());
                qb.build().execute(&mut **tx).await?;
            }
        }
        Ok(())
    })
}

/// Takes the records that arrived whole out of the stream's quarantine.
pub(crate) async fn unquarantine_bulk(
    tx: Tx<'_>,
    batch: &PageBatch,
    arrived: &[&str],
) -> Result<(), StoreError> {
    on_engine!(tx, |tx| {
        for chunk in arrived.chunks(tx.in_chunk()) {
            let mut qb = QueryBuilder::new("DELETE FROM quarantine WHERE source = ");
            qb.push_bind(batch.source.as_str().to_owned());
            qb.push(" AND school = ");
            qb.push_bind(batch.school.as_str().to_owned());
            qb.push(" AND stream = ");
            qb.push_bind(batch.stream.clone());
            qb.push(" AND external_id");
            tx.push_in(&mut qb, chunk.iter().copied());
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    })
}
