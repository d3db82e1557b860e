//! Values of the sync and history side the store takes and gives back where the domain has no
//! type of its own: batches, summaries, filters and rows that carry a store id next to a domain
//! value. The working side (signals, outbox, jobs, logs) is in `work_model.rs`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    Absence, Brin, DyslexiaStatementRecord, Group, Membership, Note, Pupil, School,
    SocialEmotionalMeasurement, Source, SupportPlan, TestResult,
};

/// What [`super::SyncStore::apply_snapshot`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SnapshotSummary {
    /// Pupils seen for the first time.
    pub new: usize,
    /// Pupils whose stored data changed.
    pub changed: usize,
    /// Enrolled pupils missing from the snapshot, now marked as left (uitgeschreven).
    pub left: usize,
    /// Pupils marked as left before who are back in the snapshot.
    pub returned: usize,
    /// Pupils seen again without change.
    pub unchanged: usize,
}

/// The kind of record a tombstone removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// Toetsresultaat.
    Result,
    /// Notitie.
    Note,
    /// Plan (handelingsplan, groepsplan, OPP).
    Plan,
    /// Dyslexieverklaring (fact and date only).
    DyslexiaStatement,
    /// Verzuim: one absence (issue 18).
    Absence,
    /// Sociaal-emotionele meting: one measurement (issue 18 item 1).
    SocialEmotional,
}

/// A source's statement that a record was deleted there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tombstone {
    /// Which table the id belongs to.
    pub kind: RecordKind,
    /// Source id of the deleted record.
    pub external_id: String,
}

/// A record the sync engine could not normalise (quarantaine): kept raw, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineItem {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Stream it came from (`results`, `notes`, …).
    pub stream: String,
    /// Source id, when the record had a readable one.
    pub external_id: Option<String>,
    /// The record as received.
    pub raw: serde_json::Value,
    /// Why it was rejected (English, operator-facing, no pupil names).
    pub reason: String,
}

/// One page of a source stream, applied in one transaction by [`super::SyncStore::apply_page`].
#[derive(Debug, Clone, PartialEq)]
pub struct PageBatch {
    /// Source system; every record in the batch must carry it.
    pub source: Source,
    /// School; every record in the batch must carry it.
    pub school: Brin,
    /// Stream name (`results`, `notes`, `plans`).
    pub stream: String,
    /// Results to insert or update.
    pub results: Vec<TestResult>,
    /// Notes to insert or update.
    pub notes: Vec<Note>,
    /// Plans to insert or update (with their evaluations).
    pub plans: Vec<SupportPlan>,
    /// Dyslexieverklaringen to insert or update (fact and date only).
    pub dyslexia_statements: Vec<DyslexiaStatementRecord>,
    /// Absences (verzuim) to insert or update.
    pub absences: Vec<Absence>,
    /// Social-emotional measurements to insert or update.
    pub social_emotional: Vec<SocialEmotionalMeasurement>,
    /// Records deleted at the source (soft-deleted here).
    pub tombstones: Vec<Tombstone>,
    /// Records set aside.
    pub quarantine: Vec<QuarantineItem>,
    /// Records of pupils the store does not know yet, held until the pupil appears
    /// ([`super::SyncStore::release_held`]).
    pub held: Vec<HeldRecord>,
    /// Cursor to store once the page is applied; `None` keeps the current one.
    pub new_cursor: Option<String>,
    /// Whether this was the last page of the run (sets `last_success_at`).
    pub finished: bool,
    /// Records of earlier pages of this run that were stored already and not written
    /// ([`super::SyncStore::page_is_stored`]): counted in the stream's records with this page's.
    pub unwritten_records: usize,
}

impl PageBatch {
    /// An empty batch for one stream; fill the vectors and the cursor.
    pub fn new(source: Source, school: Brin, stream: impl Into<String>) -> Self {
        Self {
            source,
            school,
            stream: stream.into(),
            results: Vec::new(),
            notes: Vec::new(),
            plans: Vec::new(),
            dyslexia_statements: Vec::new(),
            absences: Vec::new(),
            social_emotional: Vec::new(),
            tombstones: Vec::new(),
            quarantine: Vec::new(),
            held: Vec::new(),
            new_cursor: None,
            finished: false,
            unwritten_records: 0,
        }
    }
}

/// What [`super::SyncStore::apply_page`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PageSummary {
    /// Results inserted as new rows.
    pub results_inserted: usize,
    /// Results updated (or re-sent unchanged) by the source that first delivered them.
    pub results_updated: usize,
    /// Results recognised as a sitting already stored from another source (kept once, alias added).
    pub results_deduplicated: usize,
    /// Notes inserted or changed.
    pub notes: usize,
    /// Plans inserted or changed (evaluations included).
    pub plans: usize,
    /// Dyslexieverklaringen inserted or changed.
    pub dyslexia_statements: usize,
    /// Absences inserted or changed.
    pub absences: usize,
    /// Social-emotional measurements inserted or changed.
    pub social_emotional: usize,
    /// Results, notes and plans re-sent without change (nothing written).
    pub unchanged: usize,
    /// Tombstones that soft-deleted something.
    pub tombstoned: usize,
    /// Tombstones for ids never stored (nothing to do).
    pub tombstones_unknown: usize,
    /// Records quarantined.
    pub quarantined: usize,
    /// Records held for a pupil the store does not know yet.
    pub held: usize,
}

/// A record that names a pupil the store does not know yet (wachtend op leerling): a new pupil's
/// first results, notes or plans arrive before the GKV snapshot lists the pupil. Held in
/// normalised form and applied by [`super::SyncStore::release_held`] once the pupil is known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum HeldRecord {
    /// Toetsresultaat.
    Result(TestResult),
    /// Notitie.
    Note(Note),
    /// Plan.
    Plan(SupportPlan),
    /// Dyslexieverklaring (fact and date only).
    DyslexiaStatement(DyslexiaStatementRecord),
    /// Absence (verzuim).
    Absence(Absence),
    /// Social-emotional measurement.
    SocialEmotional(SocialEmotionalMeasurement),
}

impl HeldRecord {
    /// Which table the record goes to.
    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Result(_) => RecordKind::Result,
            Self::Note(_) => RecordKind::Note,
            Self::Plan(_) => RecordKind::Plan,
            Self::DyslexiaStatement(_) => RecordKind::DyslexiaStatement,
            Self::Absence(_) => RecordKind::Absence,
            Self::SocialEmotional(_) => RecordKind::SocialEmotional,
        }
    }

    /// Source id of the record.
    pub fn external_id(&self) -> &str {
        match self {
            Self::Result(r) => &r.external_id,
            Self::Note(n) => &n.external_id,
            Self::Plan(p) => &p.external_id,
            Self::DyslexiaStatement(d) => &d.external_id,
            Self::Absence(a) => &a.external_id,
            Self::SocialEmotional(m) => &m.external_id,
        }
    }

    /// The source pupil id it waits for (`None` only for group notes and plans, never held).
    pub fn pupil_external_id(&self) -> Option<&str> {
        match self {
            Self::Result(r) => Some(&r.pupil_external_id),
            Self::Note(n) => n.pupil_external_id.as_deref(),
            Self::Plan(p) => p.pupil_external_id.as_deref(),
            Self::DyslexiaStatement(d) => Some(&d.pupil_external_id),
            Self::Absence(a) => Some(&a.pupil_external_id),
            Self::SocialEmotional(m) => Some(&m.pupil_external_id),
        }
    }

    /// Source and school the record carries.
    pub fn origin(&self) -> (Source, &Brin) {
        match self {
            Self::Result(r) => (r.source, &r.school),
            Self::Note(n) => (n.source, &n.school),
            Self::Plan(p) => (p.source, &p.school),
            Self::DyslexiaStatement(d) => (d.source, &d.school),
            Self::Absence(a) => (a.source, &a.school),
            Self::SocialEmotional(m) => (m.source, &m.school),
        }
    }
}

/// Held records per stream, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldCount {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Stream name.
    pub stream: String,
    /// Records waiting for their pupil.
    pub count: i64,
    /// When the longest-waiting one was first held.
    pub oldest: DateTime<Utc>,
}

/// What [`super::SyncStore::release_held`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseSummary {
    /// Held records whose pupil is now known, applied and no longer held.
    pub released: usize,
    /// Records still waiting at this school.
    pub still_held: usize,
}

/// Health of one sync stream (source × school × stream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamStatus {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Stream name.
    pub stream: String,
    /// Stored cursor, `None` before the first page or after a reset.
    pub cursor: Option<String>,
    /// End of the last complete run.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Last error message (operator-facing, English).
    pub last_error: Option<String>,
    /// When the last error happened.
    pub last_error_at: Option<DateTime<Utc>>,
    /// Errors since the last complete run.
    pub consecutive_failures: i64,
    /// Records applied over the stream's lifetime (upserts and tombstones).
    pub records: i64,
    /// Records quarantined over the stream's lifetime.
    pub quarantined: i64,
}

/// Filter for [`super::SyncStore::quarantined`]; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuarantineFilter {
    /// Only this source.
    pub source: Option<Source>,
    /// Only this school.
    pub school: Option<Brin>,
    /// Only this stream.
    pub stream: Option<String>,
    /// At most this many rows (newest first); `None` = all.
    pub limit: Option<i64>,
}

/// A quarantined record as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarantineRow {
    /// Store id.
    pub id: i64,
    /// The record and why it was set aside.
    pub item: QuarantineItem,
    /// First time it was quarantined.
    pub first_seen_at: DateTime<Utc>,
    /// Last time it was quarantined (a re-sent bad record updates its row).
    pub last_seen_at: DateTime<Utc>,
    /// How often it arrived.
    pub seen_count: i64,
}

/// Number of quarantined records per stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineCount {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Stream name.
    pub stream: String,
    /// Rows in quarantine.
    pub count: i64,
}

/// A test code seen in results (toetscatalogus), for counting tests no domain mapping knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestSeen {
    /// toetscode, upper-cased.
    pub code: String,
    /// Latest name seen.
    pub name: String,
    /// Provider, when known.
    pub provider: Option<String>,
    /// Live results with this code.
    pub results: i64,
}

/// A pupil with its store id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPupil {
    /// Store id.
    pub id: i64,
    /// The pupil.
    pub pupil: Pupil,
}

/// A pupil's identity in the store, for the sync engine to check references before a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnownPupil {
    /// Store id.
    pub id: i64,
    /// Source pupil id.
    pub external_id: String,
    /// Date the pupil left, if so.
    pub left_on: Option<NaiveDate>,
}

/// Which kinds of a pupil's records changed since a moment
/// ([`super::HistoryStore::pupil_changes_since`]): each kind is read on its own, so a pupil with
/// one new absence needs his absences read again, not his whole history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangedKinds {
    /// The pupil row, his memberships, dyslexieverklaringen, own plans (with their evaluations)
    /// or a group plan of one of his groups: what [`super::HistoryStore::pupil_profiles_for`]
    /// reads.
    pub profile: bool,
    /// His results (a tombstone, and another source's id for the same sitting, included).
    pub results: bool,
    /// His notes.
    pub notes: bool,
    /// His absences (verzuim).
    pub absences: bool,
    /// His social-emotional measurements.
    pub social_emotional: bool,
}

impl ChangedKinds {
    /// Whether any kind changed.
    pub fn any(&self) -> bool {
        self.profile || self.results || self.notes || self.absences || self.social_emotional
    }
}

/// A pupil with what changed of his records since a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PupilChanges {
    /// Store id of the pupil.
    pub pupil_id: i64,
    /// What changed.
    pub kinds: ChangedKinds,
}

/// A result with its store id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredResult {
    /// Store id (used as evidence id).
    pub id: i64,
    /// The result.
    pub result: TestResult,
}

/// A plan with its store id and evaluations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredPlan {
    /// Store id (used as evidence id).
    pub id: i64,
    /// The plan, evaluations included.
    pub plan: SupportPlan,
}

/// Everything the rules need about one pupil (leerlinggeschiedenis); deleted rows left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PupilHistory {
    /// The pupil.
    pub pupil: StoredPupil,
    /// Groepsindelingen, oldest first.
    pub memberships: Vec<Membership>,
    /// Results, by date then id.
    pub results: Vec<StoredResult>,
    /// The pupil's own plans (handelingsplan, OPP), by start date.
    pub plans: Vec<StoredPlan>,
    /// Group plans of the groups the pupil was in, by start date.
    pub group_plans: Vec<StoredPlan>,
}

/// A file import (OSO overstapdossier or CSV export) for one school, applied in one transaction
/// by [`super::SyncStore::apply_import`]. Unlike a snapshot it never marks other pupils as left.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatch {
    /// [`Source::Oso`] or [`Source::Csv`]; every pupil, result and plan must carry it.
    pub source: Source,
    /// The school the pupils, results and plans are registered at; stored when unknown (an
    /// existing school keeps its name and care ladder).
    pub school: School,
    /// Pupils of the file, matched to stored pupils of the school (by national id hash first,
    /// then by source id).
    pub pupils: Vec<Pupil>,
    /// Groups the memberships name (schoolloopbaan; may be at other schools).
    pub groups: Vec<Group>,
    /// Groepsindelingen of the imported pupils.
    pub memberships: Vec<Membership>,
    /// Results (toetsresultaten), de-duplicated across sources like a page's.
    pub results: Vec<TestResult>,
    /// Plans (handelingsplan, OPP) with their evaluations.
    pub plans: Vec<SupportPlan>,
    /// Absences (verzuim) of the file's pupils (a CSV verzuim export, issue 18).
    pub absences: Vec<Absence>,
    /// Social-emotional measurements of the file's pupils (a CSV export of ZIEN!, KanVAS or the
    /// KiVa monitor, issue 18 item 1).
    pub social_emotional: Vec<SocialEmotionalMeasurement>,
    /// Hold (wachtend op leerling) a result whose pupil is neither in the batch nor in the store,
    /// instead of refusing the whole import: a UWLR sender delivers results of a pupil the LAS
    /// just enrolled before the next snapshot lists the pupil. Off for files, which are checked
    /// by the operator who imports them.
    pub hold_unknown_pupils: bool,
}

impl ImportBatch {
    /// An empty import of `source` for `school`.
    pub fn new(source: Source, school: School) -> Self {
        Self {
            source,
            school,
            pupils: Vec::new(),
            groups: Vec::new(),
            memberships: Vec::new(),
            results: Vec::new(),
            plans: Vec::new(),
            absences: Vec::new(),
            social_emotional: Vec::new(),
            hold_unknown_pupils: false,
        }
    }
}

/// What [`super::SyncStore::apply_import`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Whether the school was unknown and has been added.
    pub school_added: bool,
    /// Pupils stored for the first time.
    pub pupils_new: usize,
    /// Pupils recognised by national id hash as a pupil already stored (possibly from another
    /// source): the file's records were attached to that pupil.
    pub pupils_matched: usize,
    /// Pupils of the same source whose stored data changed.
    pub pupils_updated: usize,
    /// Pupils of the same source stored without change.
    pub pupils_unchanged: usize,
    /// Groepsindelingen inserted or changed.
    pub memberships: usize,
    /// Results and plans, counted as for a page.
    pub records: PageSummary,
}
