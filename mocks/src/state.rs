//! The live state behind the servers: per-school snapshot and streams, OAuth clients and tokens,
//! idempotency keys. Built from a `Dataset`; mutated by tests through `MockBoard`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::NaiveDate;

use crate::error::MockError;
use crate::feed::Stream;
use crate::generator::BoardGen;
use crate::model::{
    Absence, Dataset, DyslexiaStatement, FORMAT_VERSION, Group, LuGroupPlan, LuNote, LuNoteCategory,
    Membership, Note, OAuthClient, Plan, Pupil, School, SocialEmotional, Staff, System, TestResult,
    UwlrAccess,
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
    /// Every stream, in a fixed order (the index of a kind is its place here).
    pub const ALL: [StreamKind; 11] = [
        StreamKind::Results,
        StreamKind::Notes,
        StreamKind::Plans,
        StreamKind::DyslexiaStatements,
        StreamKind::Absences,
        StreamKind::SocialEmotional,
        StreamKind::PsTasks,
        StreamKind::LuNoteCategories,
        StreamKind::LuGroupPlans,
        StreamKind::LuNotes,
        StreamKind::LuTasks,
    ];

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
    /// Run-time changes of the generated data (records, memberships), kept only on a lazily
    /// served board: they are replayed when the school is generated again after an eviction.
    pub journal: Vec<Change>,
}

/// A run-time change of a school's generated data (see [`SchoolState::journal`]).
#[derive(Debug, Clone)]
pub enum Change {
    /// A record added or changed at change sequence `seq`.
    Upsert(u64, Record),
    /// A record deleted at `seq`, its tombstone dated `at`.
    Delete {
        /// Stream.
        kind: StreamKind,
        /// Record id.
        id: u64,
        /// Change sequence number.
        seq: u64,
        /// Logical deletion time.
        at: String,
    },
    /// Group memberships added (`MockBoard::add_memberships`).
    Members(Vec<Membership>),
}

impl SchoolState {
    /// The live state of a generated or loaded school; `next` hands out the change sequence
    /// numbers of its records, stream by stream in a fixed order.
    fn new(s: School, next: &mut impl FnMut() -> u64) -> Self {
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
            journal: Vec::new(),
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
        st
    }

    /// The highest change sequence number of each stream (0: never written), in
    /// [`StreamKind::ALL`] order.
    fn tops(&self) -> [u64; 11] {
        StreamKind::ALL.map(|k| match k {
            StreamKind::Results => self.results.top(),
            StreamKind::Notes => self.notes.top(),
            StreamKind::Plans => self.plans.top(),
            StreamKind::DyslexiaStatements => self.dyslexia_statements.top(),
            StreamKind::Absences => self.absences.top(),
            StreamKind::SocialEmotional => self.social_emotional.top(),
            StreamKind::PsTasks => self.ps_tasks.top(),
            StreamKind::LuNoteCategories => self.lu_categories.top(),
            StreamKind::LuGroupPlans => self.lu_group_plans.top(),
            StreamKind::LuNotes => self.lu_notes.top(),
            StreamKind::LuTasks => self.lu_tasks.top(),
        })
    }

    /// Applies a journalled change (without journalling it again).
    fn apply(&mut self, change: &Change) {
        match change {
            Change::Upsert(seq, record) => match record.clone() {
                Record::Result(r) => self.results.upsert(r, *seq),
                Record::Note(r) => self.notes.upsert(r, *seq),
                Record::Plan(r) => self.plans.upsert(r, *seq),
                Record::DyslexiaStatement(r) => self.dyslexia_statements.upsert(r, *seq),
                Record::Absence(r) => self.absences.upsert(r, *seq),
                Record::SocialEmotional(r) => self.social_emotional.upsert(r, *seq),
                Record::LuNoteCategory(r) => self.lu_categories.upsert(r, *seq),
                Record::LuGroupPlan(r) => self.lu_group_plans.upsert(r, *seq),
                Record::LuNote(r) => self.lu_notes.upsert(r, *seq),
            },
            Change::Delete { kind, id, seq, at } => {
                self.delete(*kind, *id, *seq, at.clone());
            }
            Change::Members(m) => self.groepsindelingen.extend(m.iter().cloned()),
        }
    }

    fn delete(&mut self, kind: StreamKind, id: u64, seq: u64, at: String) -> bool {
        match kind {
            StreamKind::Results => self.results.delete(id, seq, at),
            StreamKind::Notes => self.notes.delete(id, seq, at),
            StreamKind::Plans => self.plans.delete(id, seq, at),
            StreamKind::DyslexiaStatements => self.dyslexia_statements.delete(id, seq, at),
            StreamKind::Absences => self.absences.delete(id, seq, at),
            StreamKind::SocialEmotional => self.social_emotional.delete(id, seq, at),
            StreamKind::PsTasks => self.ps_tasks.delete(id, seq, at),
            StreamKind::LuNoteCategories => self.lu_categories.delete(id, seq, at),
            StreamKind::LuGroupPlans => self.lu_group_plans.delete(id, seq, at),
            StreamKind::LuNotes => self.lu_notes.delete(id, seq, at),
            StreamKind::LuTasks => self.lu_tasks.delete(id, seq, at),
        }
    }
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
    /// A lazily served board: `schools` holds only the schools in memory now (see [`Lazy`]).
    pub lazy: Option<Lazy>,
}

/// Change sequence numbers of a lazily served school's generated records start at its index
/// times this (so they are the same each time it is generated); run-time changes of any school
/// come after every school's range.
pub const LAZY_SEQ_STRIDE: u64 = 1 << 28;

/// A lazily served board: a school's data is generated when a request needs it, from `(seed,
/// school index)` alone ([`BoardGen`]), and at most `capacity` schools stay in memory (the
/// least recently used one goes, unless a request is using it). What changed at run time (tasks
/// pushed, records changed, consent revoked, pupils removed) stays, small, while a school is
/// out, and is put back when it is generated again.
#[derive(Debug)]
pub struct Lazy {
    generator: Arc<BoardGen>,
    capacity: usize,
    schools: HashMap<String, LazySchool>,
    clock: AtomicU64,
    /// Schools generated so far (first generations and after evictions).
    pub generated: AtomicU64,
    /// Time spent generating them, in microseconds.
    pub generating_micros: AtomicU64,
}

/// What a lazily served board always holds of one school.
#[derive(Debug)]
struct LazySchool {
    idx: usize,
    leveranciersleutel: String,
    uwlr: Option<UwlrAccess>,
    last_use: AtomicU64,
    pins: Arc<AtomicUsize>,
    /// Held while the school is generated, so two requests do not both generate it.
    building: Arc<Mutex<()>>,
    /// While out of memory: the highest sequence number of each stream, once generated.
    tops: Option<[u64; 11]>,
    /// While out of memory: its run-time changes, if it has any.
    kept: Option<Box<Kept>>,
}

/// A school's run-time state while its generated data is out of memory.
#[derive(Debug)]
struct Kept {
    revoked: bool,
    left: HashSet<u64>,
    ps_tasks: Stream<PsTask>,
    lu_tasks: Stream<LuTask>,
    idempotency: HashMap<(System, String), (u64, String)>,
    journal: Vec<Change>,
}

/// Keeps a lazily served school in memory while a request uses it (dropping it lets it go).
#[derive(Debug, Default)]
pub struct Pin(Option<Arc<AtomicUsize>>);

impl Drop for Pin {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            p.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Where a school stands on a lazily served board.
pub enum Lookup {
    /// Not a lazy board, or no such school: nothing to do.
    Nothing,
    /// In memory, now pinned.
    Present(Pin),
    /// Out of memory: generate school `idx` (holding `building`), then [`State::install`] it.
    Absent {
        /// Generator.
        generator: Arc<BoardGen>,
        /// School index.
        idx: usize,
        /// Held while generating.
        building: Arc<Mutex<()>>,
    },
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
            let brin = s.brin.clone();
            let st = SchoolState::new(s, &mut next);
            if schools.insert(brin.clone(), st).is_some() {
                return Err(MockError::Dataset(format!("duplicate school {brin}")));
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
            lazy: None,
        })
    }

    /// The state of a lazily served board: no school in memory yet, at most `capacity` (at
    /// least 1) at a time.
    pub fn lazy(generator: BoardGen, capacity: usize) -> Self {
        let params = generator.params().clone();
        let mut schools = HashMap::new();
        for idx in 0..params.schools {
            let brin = crate::generator::school::brin(idx);
            let uwlr = params.is_uwlr_school(idx).then(|| UwlrAccess {
                las: crate::generator::UWLR_LAS.into(),
                autorisatiesleutel: crate::generator::school::secret(params.seed, &format!("uwlr:{brin}")),
                klantcode: crate::generator::UWLR_KLANTCODE.into(),
            });
            let leveranciersleutel = if uwlr.is_some() {
                String::new()
            } else {
                crate::generator::school::secret(params.seed, &format!("gkv:{brin}"))
            };
            schools.insert(
                brin,
                LazySchool {
                    idx,
                    leveranciersleutel,
                    uwlr,
                    last_use: AtomicU64::new(0),
                    pins: Arc::new(AtomicUsize::new(0)),
                    building: Arc::new(Mutex::new(())),
                    tops: None,
                    kept: None,
                },
            );
        }
        Self {
            seq: params.schools as u64 * LAZY_SEQ_STRIDE,
            as_of: params.as_of,
            leveranciernaam: crate::generator::LEVERANCIERNAAM.into(),
            school_years: generator.school_years(),
            schools: BTreeMap::new(),
            clients: generator
                .clients()
                .into_iter()
                .map(|c| (c.client_id.clone(), c))
                .collect(),
            tokens: HashMap::new(),
            tokens_issued: 0,
            mutations: 0,
            lazy: Some(Lazy {
                generator: Arc::new(generator),
                capacity: capacity.max(1),
                schools,
                clock: AtomicU64::new(0),
                generated: AtomicU64::new(0),
                generating_micros: AtomicU64::new(0),
            }),
        }
    }

    /// Every school's BRIN, sorted (on a lazy board also those not in memory).
    pub fn brins(&self) -> Vec<String> {
        match &self.lazy {
            Some(l) => {
                let mut b: Vec<String> = l.schools.keys().cloned().collect();
                b.sort();
                b
            }
            None => self.schools.keys().cloned().collect(),
        }
    }

    /// Whether the school's consent is revoked (`None`: no such school), without generating it.
    pub fn revoked(&self, brin: &str) -> Option<bool> {
        if let Some(s) = self.schools.get(brin) {
            return Some(s.revoked);
        }
        let l = self.lazy.as_ref()?.schools.get(brin)?;
        Some(l.kept.as_ref().is_some_and(|k| k.revoked))
    }

    /// The school's GKV key (empty for an ESIS-like school), without generating it.
    pub fn leveranciersleutel(&self, brin: &str) -> Option<String> {
        if let Some(s) = self.schools.get(brin) {
            return Some(s.leveranciersleutel.clone());
        }
        Some(self.lazy.as_ref()?.schools.get(brin)?.leveranciersleutel.clone())
    }

    /// The UWLR access of an ESIS-like school (`None` for a ParnasSys or unknown school),
    /// without generating it.
    pub fn uwlr_access(&self, brin: &str) -> Option<UwlrAccess> {
        if let Some(s) = self.schools.get(brin) {
            return s.uwlr.clone();
        }
        self.lazy.as_ref()?.schools.get(brin)?.uwlr.clone()
    }

    /// On a lazy board: pins the school if it is in memory, or says how to generate it.
    pub fn lookup(&self, brin: &str) -> Lookup {
        let Some(l) = &self.lazy else {
            return Lookup::Nothing;
        };
        let Some(meta) = l.schools.get(brin) else {
            return Lookup::Nothing;
        };
        if self.schools.contains_key(brin) {
            meta.pins.fetch_add(1, Ordering::AcqRel);
            meta.last_use
                .store(l.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
            return Lookup::Present(Pin(Some(meta.pins.clone())));
        }
        Lookup::Absent {
            generator: l.generator.clone(),
            idx: meta.idx,
            building: meta.building.clone(),
        }
    }

    /// On a lazy board: puts a freshly generated school into memory, pinned, with what changed
    /// at run time before it was last evicted; evicts the least recently used schools no request
    /// holds while more than `capacity` are in memory.
    pub fn install(&mut self, school: School, took: std::time::Duration) -> Pin {
        let brin = school.brin.clone();
        let Some(l) = &mut self.lazy else {
            return Pin::default();
        };
        let Some(meta) = l.schools.get_mut(&brin) else {
            return Pin::default();
        };
        l.generated.fetch_add(1, Ordering::Relaxed);
        l.generating_micros
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
        if !self.schools.contains_key(&brin) {
            let base = meta.idx as u64 * LAZY_SEQ_STRIDE;
            let mut seq = base;
            let mut st = SchoolState::new(school, &mut || {
                seq += 1;
                seq
            });
            assert!(
                seq < base + LAZY_SEQ_STRIDE,
                "school {brin} has more records than a lazy board's sequence range"
            );
            if let Some(k) = meta.kept.take() {
                let k = *k;
                st.revoked = k.revoked;
                st.left = k.left;
                st.ps_tasks = k.ps_tasks;
                st.lu_tasks = k.lu_tasks;
                st.idempotency = k.idempotency;
                for c in &k.journal {
                    st.apply(c);
                }
                st.journal = k.journal;
            }
            meta.tops = None;
            self.schools.insert(brin.clone(), st);
        }
        meta.pins.fetch_add(1, Ordering::AcqRel);
        meta.last_use
            .store(l.clock.fetch_add(1, Ordering::Relaxed) + 1, Ordering::Relaxed);
        let pin = Pin(Some(meta.pins.clone()));
        while self.schools.len() > l.capacity {
            let victim = self
                .schools
                .keys()
                .filter_map(|b| l.schools.get(b).map(|m| (b, m)))
                .filter(|(_, m)| m.pins.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, m)| m.last_use.load(Ordering::Relaxed))
                .map(|(b, _)| b.clone());
            let Some(victim) = victim else { break };
            let Some(st) = self.schools.remove(&victim) else {
                break;
            };
            let Some(meta) = l.schools.get_mut(&victim) else {
                continue;
            };
            meta.tops = Some(st.tops());
            let changed = st.revoked
                || !st.left.is_empty()
                || st.ps_tasks.top() > 0
                || st.lu_tasks.top() > 0
                || !st.idempotency.is_empty()
                || !st.journal.is_empty();
            meta.kept = changed.then(|| {
                Box::new(Kept {
                    revoked: st.revoked,
                    left: st.left,
                    ps_tasks: st.ps_tasks,
                    lu_tasks: st.lu_tasks,
                    idempotency: st.idempotency,
                    journal: st.journal,
                })
            });
        }
        pin
    }

    /// On a lazy board, a `since` page of a school out of memory that has nothing after the
    /// cursor: the empty page, without generating the school (`None`: ask the school).
    pub fn quiet_page(
        &self,
        brin: &str,
        kind: StreamKind,
        cursor: Option<crate::feed::Cursor>,
    ) -> Option<Vec<u8>> {
        let Some(crate::feed::Cursor::Since(since)) = cursor else {
            return None;
        };
        if self.schools.contains_key(brin) {
            return None;
        }
        let meta = self.lazy.as_ref()?.schools.get(brin)?;
        let i = StreamKind::ALL.iter().position(|k| *k == kind)?;
        let top = meta.tops?[i];
        (since >= top).then(|| crate::feed::empty_since_page(kind.name(), since))
    }

    /// Lazy board: (schools in memory, schools generated so far, seconds spent generating).
    pub fn lazy_stats(&self) -> Option<(usize, u64, f64)> {
        let l = self.lazy.as_ref()?;
        Some((
            self.schools.len(),
            l.generated.load(Ordering::Relaxed),
            l.generating_micros.load(Ordering::Relaxed) as f64 / 1e6,
        ))
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
        let lazy = self.lazy.is_some();
        let s = self.school_mut(brin)?;
        if lazy {
            s.journal.push(Change::Upsert(seq, record.clone()));
        }
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
        let lazy = self.lazy.is_some();
        let s = self.school_mut(brin)?;
        // Tasks are kept whole while a lazy school is out of memory; other streams replay.
        if lazy && !matches!(kind, StreamKind::PsTasks | StreamKind::LuTasks) {
            s.journal.push(Change::Delete {
                kind,
                id,
                seq,
                at: at.clone(),
            });
        }
        Ok(s.delete(kind, id, seq, at))
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
