//! Deterministic board generator: the same parameters and seed always give the same dataset (no
//! system clock; every date hangs off `as_of`). Schools are generated independently, in parallel.

mod absences;
pub mod catalog;
mod opp;
pub mod planted;
mod records;
pub mod school;
mod social_emotional;
mod tempo;

use chrono::NaiveDate;

pub use planted::Expected;

use crate::model::{Dataset, FORMAT_VERSION, OAuthClient, System};

/// Generator parameters (the CLI's `--seed --schools --pupils-per-school --years --as-of`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenParams {
    /// Seed.
    pub seed: u64,
    /// Number of schools.
    pub schools: usize,
    /// Pupils per school (current roster size).
    pub pupils_per_school: usize,
    /// School years covered, the current one (containing `as_of`) included.
    pub years: u32,
    /// Reference date (peildatum).
    pub as_of: NaiveDate,
    /// Whether to plant the rule cases (into the first school; the UWLR cases into each
    /// ESIS-like school).
    pub planted: bool,
    /// How many schools, counted from the last, are "ESIS-like": no GKV and no ParnasSys REST,
    /// pupil data through UWLR `HaalLeerlinggegevens`, results through the mock test publisher.
    /// Never the first school (it holds the ParnasSys planted cases); default 0.
    pub uwlr_schools: usize,
}

impl Default for GenParams {
    fn default() -> Self {
        Self {
            seed: 42,
            schools: 3,
            pupils_per_school: 60,
            years: 4,
            as_of: catalog::ymd(2026, 11, 20),
            planted: true,
            uwlr_schools: 0,
        }
    }
}

/// The LAS an ESIS-like school is modelled on.
pub const UWLR_LAS: &str = "ESIS";
/// The `klantcode` under which an ESIS-like school's LAS registered Zorgsignaal.
pub const UWLR_KLANTCODE: &str = "ZS01";

impl GenParams {
    /// Whether school `idx` is ESIS-like (see [`GenParams::uwlr_schools`]).
    pub fn is_uwlr_school(&self, idx: usize) -> bool {
        idx > 0 && idx < self.schools && idx + self.uwlr_schools >= self.schools
    }
}

/// ParnasSys REST scopes.
pub const PARNASSYS_SCOPES: &[&str] = &[
    "resultaten.read",
    "notities.read",
    "plannen.read",
    "dyslexieverklaringen.read",
    "verzuim.read",
    "sociaal-emotioneel.read",
    "taken.read",
    "taken.write",
];
/// Leeruniek REST scopes.
pub const LEERUNIEK_SCOPES: &[&str] = &["groupplans.read", "notes.read", "tasks.read", "tasks.write"];

/// Turns a generated school into an ESIS-like one: UWLR access instead of a GKV key, and none
/// of the records only ParnasSys REST serves (notes, plans, dyslexieverklaringen: the mock has no
/// contract for ESIS's own). Its results stay: the mock test publisher delivers them.
fn make_uwlr_school(school: &mut crate::model::School, seed: u64) {
    school.uwlr = Some(crate::model::UwlrAccess {
        las: UWLR_LAS.into(),
        autorisatiesleutel: school::secret(seed, &format!("uwlr:{}", school.brin)),
        klantcode: UWLR_KLANTCODE.into(),
    });
    school.leveranciersleutel = String::new();
    school.notities.clear();
    school.plannen.clear();
    school.dyslexieverklaringen.clear();
}

/// Generates a board and the planted-case expectations.
pub fn generate(params: &GenParams) -> (Dataset, Vec<Expected>) {
    generate_with_planted_as_of(params, params.as_of)
}

/// Like [`generate`], with the planted cases anchored on `planted_as_of` (on or before
/// `params.as_of`) instead: `zorgsignaal simulate` generates a whole school year and plants the
/// cases so that they come due on a school day inside it (their expectations hold on that day).
pub fn generate_with_planted_as_of(params: &GenParams, planted_as_of: NaiveDate) -> (Dataset, Vec<Expected>) {
    let board = BoardGen::new(params.clone(), planted_as_of);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let mut built: Vec<(usize, crate::model::School, Vec<Expected>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let board = &board;
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for idx in (w..params.schools).step_by(workers) {
                        let (school, expected) = board.school(idx);
                        out.push((idx, school, expected));
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    built.sort_by_key(|(idx, _, _)| *idx);
    let mut expected = Vec::new();
    let mut schools = Vec::with_capacity(built.len());
    for (_, s, e) in built {
        expected.extend(e);
        schools.push(s);
    }
    let dataset = Dataset {
        format: FORMAT_VERSION,
        seed: params.seed,
        as_of: params.as_of,
        leveranciernaam: LEVERANCIERNAAM.into(),
        school_years: board.school_years(),
        clients: board.clients(),
        schools,
    };
    (dataset, expected)
}

/// The GKV `leveranciernaam` of every generated board.
pub const LEVERANCIERNAAM: &str = "Zorgsignaal";

/// Generates any one school of a board on its own, from `(seed, school index)` only: the same
/// school, byte for byte, as [`generate`] puts into the dataset (which is built from it), so a
/// lazily served board (`DataSource::Lazy`) need not hold every school at once.
#[derive(Debug)]
pub struct BoardGen {
    params: GenParams,
    planted_as_of: NaiveDate,
    first_year: i32,
    last_year: i32,
    cat: catalog::Catalog,
}

impl BoardGen {
    /// The generator of the board `params` describes, planted cases anchored on `planted_as_of`
    /// (clamped to `params.as_of`).
    pub fn new(params: GenParams, planted_as_of: NaiveDate) -> Self {
        let last_year = catalog::school_year_start(params.as_of);
        let first_year = last_year + 1 - params.years.max(1) as i32;
        Self {
            planted_as_of: planted_as_of.min(params.as_of),
            params,
            first_year,
            last_year,
            cat: catalog::Catalog::new(),
        }
    }

    /// The board's parameters.
    pub fn params(&self) -> &GenParams {
        &self.params
    }

    /// The school years covered, oldest first (`2025-2026`).
    pub fn school_years(&self) -> Vec<String> {
        (self.first_year..=self.last_year)
            .map(catalog::school_year)
            .collect()
    }

    /// School `idx` and its planted-case expectations (empty for a school without planted cases).
    pub fn school(&self, idx: usize) -> (crate::model::School, Vec<Expected>) {
        let params = &self.params;
        let (first_year, last_year) = (self.first_year, self.last_year);
        let mut g = school::SchoolGen::new(params, &self.cat, idx);
        g.simulate(first_year, last_year, params.pupils_per_school);
        let expected = if idx == 0 && params.planted {
            planted::plant(&mut g, self.planted_as_of, first_year, last_year)
        } else if params.is_uwlr_school(idx) && params.planted {
            planted::plant_uwlr(&mut g, self.planted_as_of, first_year, last_year)
        } else {
            Vec::new()
        };
        if params.is_uwlr_school(idx) {
            make_uwlr_school(&mut g.school, params.seed);
        } else {
            // Last, with its own random stream: adding verzuim changed no other
            // record. A UWLR school has no ParnasSys REST and UWLR no verzuim.
            g.absences(params.seed, first_year, last_year);
            // The TTR after it, with its own random stream too.
            g.tempo_tests(params.seed);
            // The OPP procedure's dates of the background OPPs, with their own
            // random stream too (issue 18 item 5).
            g.opp_procedure(params.seed);
            // ZIEN! last of all, with its own random stream (issue 18 item 1).
            g.social_emotional(params.seed, first_year, last_year);
        }
        (g.school, expected)
    }

    /// The OAuth clients of both REST systems: one per school and system, then a board-wide
    /// one (`ps-board`, `lu-board`); no ParnasSys client for an ESIS-like school.
    pub fn clients(&self) -> Vec<OAuthClient> {
        let mut clients = Vec::new();
        for (system, prefix, scopes) in [
            (System::Parnassys, "ps", PARNASSYS_SCOPES),
            (System::Leeruniek, "lu", LEERUNIEK_SCOPES),
        ] {
            // An ESIS-like school has no ParnasSys; Leeruniek works with any LAS.
            let all: Vec<String> = (0..self.params.schools)
                .filter(|&idx| system == System::Leeruniek || !self.params.is_uwlr_school(idx))
                .map(school::brin)
                .collect();
            let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
            for brin in &all {
                let client_id = format!("{prefix}-{}", brin.to_lowercase());
                clients.push(OAuthClient {
                    system,
                    client_secret: school::secret(self.params.seed, &client_id),
                    client_id,
                    schools: vec![brin.clone()],
                    scopes: scopes.clone(),
                });
            }
            let client_id = format!("{prefix}-board");
            clients.push(OAuthClient {
                system,
                client_secret: school::secret(self.params.seed, &client_id),
                client_id,
                schools: all.clone(),
                scopes,
            });
        }
        clients
    }
}
