//! The live state behind the servers: per-school snapshot and streams, OAuth clients and tokens,
//! idempotency keys. Built from a `Dataset`; mutated by tests through `MockBoard`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono::NaiveDate;

use crate::error::MockError;
use crate::feed::Stream;
use crate::model::{
    Absence, Dataset, DyslexiaStatement, FORMAT_VERSION, Group, LuGroupPlan, LuNote, LuNoteCategory,
    Membership, Note, OAuthClient, Plan, Pupil, SocialEmotional, Staff, System, TestResult,
};
use crate::tasks::{LuTask, PsTask};

/// A record a test can add or change at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// ParnasSys result.
    Result(TestResult),
    /// ParnasSys note.
    Note(Note),
    /// ParnasSys plan.
    Plan(Plan),
    /// ParnasSys dyslexieverklaring.
    DyslexiaStatement(DyslexiaStatement),
    /// ParnasSys verzuim.
    Absence(Absence),
    /// ParnasSys sociaal-emotionele meting.
    SocialEmotional(SocialEmotional),
    /// Leeruniek note category.
    LuNoteCategory(LuNoteCategory),
    /// Leeruniek group plan.
    LuGroupPlan(LuGroupPlan),
    /// Leeruniek note.
    LuNote(LuNote),
}

/// The streams a school has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// ParnasSys `resultaten`.
    Results,
    /// ParnasSys `notities`.
    Notes,
    /// ParnasSys `plannen`.
    Plans,
    /// ParnasSys `dyslexieverklaringen`.
    DyslexiaStatements,
    /// ParnasSys `verzuim`.
    Absences,
    /// ParnasSys `sociaal-emotioneel`.
    SocialEmotional,
    /// ParnasSys `taken`.
    PsTasks,
    /// Leeruniek `note-categories`.
    LuNoteCategories,
    /// Leeruniek `group-plans`.
    LuGroupPlans,
    /// Leeruniek `notes`.
    LuNotes,
    /// Leeruniek `tasks`.
    LuTasks,
}

impl StreamKind {
    /// Name used in cursors and request counters.
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Results => "resultaten",
            StreamKind::Notes => "notities",
            StreamKind::Plans => "plannen",
            StreamKind::DyslexiaStatements => "dyslexieverklaringen",
            StreamKind::Absences => "verzuim",
            StreamKind::SocialEmotional => "sociaal-emotioneel",
            StreamKind::PsTasks => "taken",
            StreamKind::LuNoteCategories => "note-categories",
            StreamKind::LuGroupPlans => "group-plans",
            StreamKind::LuNotes => "notes",
            StreamKind::LuTasks => "tasks",
        }
    }

    /// The system serving the stream.
    pub fn system(self) -> System {
        match self {
            StreamKind::Results
            | StreamKind::Notes
            | StreamKind::Plans
            | StreamKind::DyslexiaStatements
            | StreamKind::Absences
            | StreamKind::SocialEmotional
            | StreamKind::PsTasks => System::Parnassys,
            _ => System::Leeruniek,
        }
    }

    /// Scope needed to read the stream.
    pub fn read_scope(self) -> &'static str {
        match self {
            StreamKind::Results => "resultaten.read",
            StreamKind::Notes => "notities.read",
            StreamKind::Plans => "plannen.read",
            StreamKind::DyslexiaStatements => "dyslexieverklaringen.read",
            StreamKind::Absences => "verzuim.read",
            StreamKind::SocialEmotional => "sociaal-emotioneel.read",
            StreamKind::PsTasks => "taken.read",
            StreamKind::LuGroupPlans => "groupplans.read",
            StreamKind::LuNoteCategories | StreamKind::LuNotes => "notes.read",
            StreamKind::LuTasks => "tasks.read",
        }
    }
}

/// One school's live data.
#[derive(Debug)]
pub struct SchoolState {
    /// BRIN.
    pub brin: String,
    /// Name.
    pub naam: String,
    /// GKV key.
    pub leveranciersleutel: String,
    /// Consent revoked: GKV, UWLR and REST refuse this school.
    pub revoked: bool,
    /// UWLR access of an ESIS-like school (no GKV, no ParnasSys REST); `None`: ParnasSys.
    pub uwlr: Option<crate::model::UwlrAccess>,
    /// Staff.
    pub medewerkers: Vec<Staff>,
    /// Pupils.
    pub leerlingen: Vec<Pupil>,
    /// Groups.
    pub groepen: Vec<Group>,
    /// Memberships.
    pub groepsindelingen: Vec<Membership>,
    /// Pupils removed from the current GKV snapshot (left the school).
    pub left: HashSet<u64>,
    /// ParnasSys results.
    pub results: Stream<TestResult>,
    /// ParnasSys notes.
    pub notes: Stream<Note>,
    /// ParnasSys plans.
    pub plans: Stream<Plan>,
    /// ParnasSys dyslexieverklaringen.
    pub dyslexia_statements: Stream<DyslexiaStatement>,
    /// ParnasSys verzuim.
    pub absences: Stream<Absence>,
    /// ParnasSys sociaal-emotionele metingen.
    pub social_emotional: Stream<SocialEmotional>,
    /// ParnasSys tasks pushed by clients.
    pub ps_tasks: Stream<PsTask>,
    /// Leeruniek note categories.
    pub lu_categories: Stream<LuNoteCategory>,
    /// Leeruniek group plans.
    pub lu_group_plans: Stream<LuGroupPlan>,
    /// Leeruniek notes.
    pub lu_notes: Stream<LuNote>,
    /// Leeruniek tasks pushed by clients.
    pub lu_tasks: Stream<LuTask>,
    /// `(system, Idempotency-Key)` → (task id, canonical request body).
    pub idempotency: HashMap<(System, String), (u64, String)>,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct Token {
    /// Client it was issued to.
    pub client_id: String,
    /// System.
    pub system: System,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Expiry.
    pub expires_at: Instant,
    /// Revoked (fault injection).
    pub revoked: bool,
}

/// Everything the servers serve.
#[derive(Debug)]
pub struct State {
    /// Last change sequence number handed out (shared by all streams).
    pub seq: u64,
    /// Reference date.
    pub as_of: NaiveDate,
    /// GKV leveranciernaam.
    pub leveranciernaam: String,
    /// School years, oldest first (`2025-2026`).
    pub school_years: Vec<String>,
    /// Schools by BRIN.
    pub schools: BTreeMap<String, SchoolState>,
    /// OAuth clients by id.
    pub clients: HashMap<String, OAuthClient>,
    /// Issued tokens.
    pub tokens: HashMap<String, Token>,
    /// Tokens issued so far.
    pub tokens_issued: u64,
    /// Run-time mutations so far (drives the logical clock of tombstones).
    pub mutations: u64,
}

impl State {
    /// Builds the live state, consuming the dataset (records move into their streams).
    pub fn from_dataset(ds: Dataset) -> Result<Self, MockError> {
        if ds.format != FORMAT_VERSION {
            return Err(MockError::Dataset(format!(
                "unsupported fixture format {}",
                ds.format
            )));
        }
        let mut seq = 0u64;
        let mut next = || {
            seq += 1;
            seq
        };
        let mut schools = BTreeMap::new();
        for s in ds.schools {
            let mut st = SchoolState {
                brin: s.brin.clone(),
                naam: s.naam,
                leveranciersleutel: s.leveranciersleutel,
                revoked: false,
                uwlr: s.uwlr,
                medewerkers: s.medewerkers,
                leerlingen: s.leerlingen,
                groepen: s.groepen,
                groepsindelingen: s.groepsindelingen,
                left: HashSet::new(),
                results: Stream::default(),
                notes: Stream::default(),
                plans: Stream::default(),
                dyslexia_statements: Stream::default(),
                absences: Stream::default(),
                social_emotional: Stream::default(),
                ps_tasks: Stream::default(),
                lu_categories: Stream::default(),
                lu_group_plans: Stream::default(),
                lu_notes: Stream::default(),
                lu_tasks: Stream::default(),
                idempotency: HashMap::new(),
            };
            for r in s.resultaten {
                st.results.upsert(r, next());
            }
            for r in s.notities {
                st.notes.upsert(r, next());
            }
            for r in s.plannen {
                st.plans.upsert(r, next());
            }
            for r in s.dyslexieverklaringen {
                st.dyslexia_statements.upsert(r, next());
            }
            for r in s.verzuim {
                st.absences.upsert(r, next());
            }
            for r in s.sociaal_emotioneel {
                st.social_emotional.upsert(r, next());
            }
            for r in s.lu_note_categories {
                st.lu_categories.upsert(r, next());
            }
            for r in s.lu_group_plans {
                st.lu_group_plans.upsert(r, next());
            }
            for r in s.lu_notes {
                st.lu_notes.upsert(r, next());
            }
            if schools.insert(s.brin.clone(), st).is_some() {
                return Err(MockError::Dataset(format!("duplicate school {}", s.brin)));
            }
        }
        let clients = ds.clients.into_iter().map(|c| (c.client_id.clone(), c)).collect();
        Ok(Self {
            seq,
            as_of: ds.as_of,
            leveranciernaam: ds.leveranciernaam,
            school_years: ds.school_years,
            schools,
            clients,
            tokens: HashMap::new(),
            tokens_issued: 0,
            mutations: 0,
        })
    }

    /// The next change sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Logical timestamp for run-time changes: `as_of` 12:00 UTC plus one second per mutation
    /// (the mock never reads the system clock for data).
    pub fn logical_now(&mut self) -> String {
        self.mutations += 1;
        let base = self.as_of.and_hms_opt(12, 0, 0).unwrap_or_default();
        let t = base + chrono::Duration::seconds(self.mutations as i64);
        format!("{}Z", t.format("%Y-%m-%dT%H:%M:%S"))
    }

    /// A school by BRIN.
    pub fn school_mut(&mut self, brin: &str) -> Result<&mut SchoolState, MockError> {
        self.schools
            .get_mut(brin)
            .ok_or_else(|| MockError::UnknownSchool(brin.into()))
    }

    /// Adds or replaces a record; it moves to the end of its change feed.
    pub fn upsert(&mut self, brin: &str, record: Record) -> Result<(), MockError> {
        let seq = self.next_seq();
        self.mutations += 1;
        let s = self.school_mut(brin)?;
        match record {
            Record::Result(r) => s.results.upsert(r, seq),
            Record::Note(r) => s.notes.upsert(r, seq),
            Record::Plan(r) => s.plans.upsert(r, seq),
            Record::DyslexiaStatement(r) => s.dyslexia_statements.upsert(r, seq),
            Record::Absence(r) => s.absences.upsert(r, seq),
            Record::SocialEmotional(r) => s.social_emotional.upsert(r, seq),
            Record::LuNoteCategory(r) => s.lu_categories.upsert(r, seq),
            Record::LuGroupPlan(r) => s.lu_group_plans.upsert(r, seq),
            Record::LuNote(r) => s.lu_notes.upsert(r, seq),
        }
        Ok(())
    }

    /// Deletes a record, leaving a tombstone. Returns whether it existed.
    pub fn delete(&mut self, brin: &str, kind: StreamKind, id: u64) -> Result<bool, MockError> {
        let seq = self.next_seq();
        let at = self.logical_now();
        let s = self.school_mut(brin)?;
        Ok(match kind {
            StreamKind::Results => s.results.delete(id, seq, at),
            StreamKind::Notes => s.notes.delete(id, seq, at),
            StreamKind::Plans => s.plans.delete(id, seq, at),
            StreamKind::DyslexiaStatements => s.dyslexia_statements.delete(id, seq, at),
            StreamKind::Absences => s.absences.delete(id, seq, at),
            StreamKind::SocialEmotional => s.social_emotional.delete(id, seq, at),
            StreamKind::PsTasks => s.ps_tasks.delete(id, seq, at),
            StreamKind::LuNoteCategories => s.lu_categories.delete(id, seq, at),
            StreamKind::LuGroupPlans => s.lu_group_plans.delete(id, seq, at),
            StreamKind::LuNotes => s.lu_notes.delete(id, seq, at),
            StreamKind::LuTasks => s.lu_tasks.delete(id, seq, at),
        })
    }

    /// One page of a stream as JSON.
    pub fn page_json(
        &self,
        brin: &str,
        kind: StreamKind,
        cursor: Option<crate::feed::Cursor>,
        limit: usize,
        duplicate: bool,
    ) -> Option<Vec<u8>> {
        let s = self.schools.get(brin)?;
        let n = kind.name();
        Some(match kind {
            StreamKind::Results => s.results.page_json(n, cursor, limit, duplicate),
            StreamKind::Notes => s.notes.page_json(n, cursor, limit, duplicate),
            StreamKind::Plans => s.plans.page_json(n, cursor, limit, duplicate),
            StreamKind::DyslexiaStatements => s.dyslexia_statements.page_json(n, cursor, limit, duplicate),
            StreamKind::Absences => s.absences.page_json(n, cursor, limit, duplicate),
            StreamKind::SocialEmotional => s.social_emotional.page_json(n, cursor, limit, duplicate),
            StreamKind::PsTasks => s.ps_tasks.page_json(n, cursor, limit, duplicate),
            StreamKind::LuNoteCategories => s.lu_categories.page_json(n, cursor, limit, duplicate),
            StreamKind::LuGroupPlans => s.lu_group_plans.page_json(n, cursor, limit, duplicate),
            StreamKind::LuNotes => s.lu_notes.page_json(n, cursor, limit, duplicate),
            StreamKind::LuTasks => s.lu_tasks.page_json(n, cursor, limit, duplicate),
        })
    }
}
