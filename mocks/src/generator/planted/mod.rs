//! Planted cases: pupils with hand-specified histories for every rule of docs/DOMAIN.md §6, each with
//! the expected outcome at the dataset's `as_of` (what `--emit-expected` writes).

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::catalog::{self, TestDef, ymd};
use super::school::SchoolGen;
use crate::model::{Membership, Plan, PlanEvaluation, ReferenceScore, StatedMoment, TestResult};

/// One planted expectation (an element of the `--emit-expected` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// Rule id (docs/DOMAIN.md §6).
    pub rule: String,
    /// BRIN of the pupil's school.
    pub school: String,
    /// GKV `leerling.id`.
    pub pupil_id: String,
    /// Learning domain, or null for plan rules.
    pub domain: Option<String>,
    /// `fires` or `silent`.
    pub expect: String,
    /// `met`, `not_met` or `unknown` for `dmt_three_lowest`, else null.
    pub eed_criterion: Option<String>,
    /// Reference date the expectation holds at.
    pub as_of: NaiveDate,
    /// What the case is about (Dutch).
    pub description: String,
    /// GKV group id, for a group-plan case (issue 16 item 10): the reminder is the group's, and
    /// `pupil_id` is a member of that group. Absent for every pupil case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
}

/// Days before June 15 from which an unevaluated OPP is reminded (`opp_yearly_evaluation`'s
/// default `remind_days_before` in the rule engine).
pub(super) const OPP_REMIND_DAYS: u64 = 30;

/// Result row: date, stated moment, `SCALE:LEVEL` (or empty), percentile, ability score.
pub(super) type Row<'s> = (NaiveDate, Option<StatedMoment>, &'s str, Option<u8>, Option<f64>);
/// Plan evaluation: date and outcome.
pub(super) type Eval = (NaiveDate, &'static str);

struct Planter<'g, 'a> {
    g: &'g mut SchoolGen<'a>,
    out: Vec<Expected>,
    as_of: NaiveDate,
    groups: Vec<(u64, u8, NaiveDate)>,
    current_group: u64,
    /// Groups two grades ahead (created on first use), for the IEP cases from groep 6 on.
    ahead: Vec<(u64, u8, NaiveDate)>,
}

mod absences;
mod dyscalculia;
mod gifted;
mod iep;
mod notes;
mod opp_procedure;

pub use notes::CONCERN_NOTE_TEXT;
mod plans;
mod results;
mod social_emotional;

/// Plants every case into `g` (normally school 0) and returns the expectations.
pub fn plant(g: &mut SchoolGen<'_>, as_of: NaiveDate, first_year: i32, last_year: i32) -> Vec<Expected> {
    let mut p = Planter::new(g, as_of, first_year, last_year);
    p.dmt();
    p.dmt_levels_and_rounds();
    p.lowest_level_repeated();
    p.level_drop();
    p.no_growth();
    p.plan_due_and_overdue();
    p.holiday_crossing();
    p.opp_yearly();
    p.ineffective();
    p.without_plan();
    p.iep_school();
    p.avi();
    p.dyslexia_statements();
    p.group_plan_period();
    p.absences();
    p.gifted();
    p.dyscalculia();
    p.social_emotional();
    p.concern_notes();
    // Last, so that no earlier case's ids or names move (issue 18 item 5).
    p.opp_procedure();
    p.out
}

/// Plants the cases of an ESIS-like school (pupil data through UWLR, results through the mock
/// test publisher): a three-V- DMT case that fires and a near-miss, so an end-to-end run through
/// `HaalLeerlinggegevens` and `POST /uwlr/v2/leerresultaten` has a signal to find.
pub fn plant_uwlr(g: &mut SchoolGen<'_>, as_of: NaiveDate, first_year: i32, last_year: i32) -> Vec<Expected> {
    let mut p = Planter::new(g, as_of, first_year, last_year);
    p.dmt_uwlr();
    p.out
}

/// Main-measurement dates anchored on the latest June 15 on or before `as_of`.
struct Dates {
    m25: NaiveDate,
    e25: NaiveDate,
    m26: NaiveDate,
    e26: NaiveDate,
    tussen: NaiveDate,
    e26_retake: NaiveDate,
}

impl<'g, 'a> Planter<'g, 'a> {
    /// The planted groups ("Z", up to four school years back, groep 6 now) in `g`.
    fn new(g: &'g mut SchoolGen<'a>, as_of: NaiveDate, first_year: i32, last_year: i32) -> Self {
        let mut groups = Vec::new();
        for year in (last_year - 3).max(first_year)..=last_year {
            let grade = (6 - (last_year - year)) as u8;
            let id = g.new_group(year, grade, "Z");
            groups.push((id, grade, ymd(year, 8, 1)));
        }
        let current_group = groups.last().map(|g| g.0).unwrap_or_default();
        Planter {
            g,
            out: Vec::new(),
            as_of,
            groups,
            current_group,
            ahead: Vec::new(),
        }
    }
}

impl Planter<'_, '_> {
    fn anchor_year(&self) -> i32 {
        let y = self.as_of.year();
        if self.as_of >= ymd(y, 6, 15) { y } else { y - 1 }
    }

    /// Year of the June 15 deadline the OPP cases are about: the latest one on or before `as_of` +
    /// [`OPP_REMIND_DAYS`]. Within that lead before a deadline the coming deadline counts (the
    /// engine already reminds then), so the near-misses are evaluated for, or outside, that year.
    fn opp_anchor_year(&self) -> i32 {
        let probe = self.as_of + Days::new(OPP_REMIND_DAYS);
        let y = probe.year();
        if probe >= ymd(y, 6, 15) { y } else { y - 1 }
    }

    fn dates(&self) -> Dates {
        let a = self.anchor_year();
        Dates {
            m25: ymd(a - 1, 1, 29),
            e25: ymd(a - 1, 6, 4),
            m26: ymd(a, 1, 28),
            e26: ymd(a, 6, 3),
            tussen: ymd(a, 4, 8),
            e26_retake: ymd(a, 6, 12),
        }
    }

    fn day(&self, offset: i64) -> NaiveDate {
        if offset >= 0 {
            self.as_of + Days::new(offset.unsigned_abs())
        } else {
            self.as_of - Days::new(offset.unsigned_abs())
        }
    }

    fn pupil(&mut self) -> u64 {
        self.pupil_in(&self.groups.clone())
    }

    fn pupil_in(&mut self, groups: &[(u64, u8, NaiveDate)]) -> u64 {
        let born = ymd(self.as_of.year() - 10, 3, 1) + Days::new(self.g.rng().random_range_u64(0..300));
        let idx = self.g.new_pupil(born, true);
        self.unique_name(idx);
        let id = self.g.school.leerlingen[idx].id;
        for &(gid, grade, from) in groups {
            self.g.school.groepsindelingen.push(Membership {
                leerling: id,
                groep: gid,
                vanaf_datum: from,
                tot_datum: None,
                leerjaar: grade,
            });
        }
        id
    }

    /// Gives planted pupil `idx` a roepnaam no other planted pupil of the school shares with the
    /// same surname initial: the mails show pupils as roepnaam + initial, and the planted pupils
    /// sit in the same few groups, so two "Thijs B." would make a test's reading of the mails
    /// ambiguous. Deterministic: the next free name in the list.
    fn unique_name(&mut self, idx: usize) {
        let key = |p: &crate::model::Pupil| (p.roepnaam.clone(), p.achternaam.chars().next());
        let taken: std::collections::BTreeSet<_> = self
            .g
            .school
            .leerlingen
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != idx && p.planted)
            .map(|(_, p)| key(p))
            .collect();
        let names = catalog::FIRST_NAMES;
        let start = names
            .iter()
            .position(|n| *n == self.g.school.leerlingen[idx].roepnaam)
            .unwrap_or(0);
        for step in 0..names.len() {
            let candidate = names[(start + step) % names.len()];
            let mut pupil = self.g.school.leerlingen[idx].clone();
            pupil.roepnaam = candidate.into();
            if !taken.contains(&key(&pupil)) {
                self.g.school.leerlingen[idx].roepnaam = candidate.into();
                return;
            }
        }
    }

    /// A planted pupil two grades ahead of the others (groep 8 now, groep 6 and 7 before), in
    /// groups of their own.
    fn pupil_ahead(&mut self) -> u64 {
        if self.ahead.is_empty() {
            let base = self.groups.clone();
            for (_, grade, from) in base {
                let g = (grade + 2).min(8);
                let id = self.g.new_group(from.year(), g, "Y");
                self.ahead.push((id, g, from));
            }
        }
        self.pupil_in(&self.ahead.clone())
    }

    fn results(&mut self, pid: u64, test: &TestDef, rows: &[Row<'_>]) {
        for &(date, moment, level, pct, ability) in rows {
            let mut refs = Vec::new();
            if let Some((code, waarde)) = level.split_once(':') {
                refs.push(ReferenceScore {
                    code: code.into(),
                    waarde: waarde.into(),
                });
            }
            if let Some(p) = pct {
                refs.push(ReferenceScore {
                    code: "PC".into(),
                    waarde: p.to_string().into(),
                });
            }
            let id = self.g.id();
            self.g.school.resultaten.push(TestResult {
                id,
                leerling_id: pid,
                toetscode: test.code.clone(),
                toetsonderdeelcode: test.part.clone(),
                toetsnaam: test.name.clone(),
                leverancier: test.provider.clone(),
                afnamedatum: date,
                toetsmoment: moment,
                score: None,
                vaardigheidsscore: ability,
                vaardigheidsschaal: ability.map(|_| test.scale.clone()),
                referentiescores: refs,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        pid: u64,
        soort: &str,
        domein: Option<&str>,
        level: usize,
        start: NaiveDate,
        end: Option<NaiveDate>,
        due: Option<NaiveDate>,
        evals: &[Eval],
    ) {
        let id = self.g.id();
        let code = self.g.ladder_code(level);
        let owner = self.g.ib_owner();
        self.g.school.plannen.push(Plan {
            id,
            leerling_id: Some(pid),
            groep_id: Some(self.current_group),
            soort: soort.into(),
            domein: domein.map(Into::into),
            titel: format!("Planted {soort} {}", domein.unwrap_or("algemeen")),
            eigenaar: owner,
            zorgniveau: Some(code.into()),
            startdatum: start,
            einddatum: end,
            evaluatiedatum: due,
            minuten_per_week: Some(60),
            evaluaties: evals
                .iter()
                .map(|&(datum, u)| PlanEvaluation {
                    datum,
                    uitkomst: u.into(),
                })
                .collect(),
            besluitdatum: None,
            opgesteld_op: None,
            instemming_ouders: None,
        });
    }

    fn expect(
        &mut self,
        rule: &str,
        pid: u64,
        domain: Option<&str>,
        fires: bool,
        eed: Option<&str>,
        description: &str,
    ) {
        self.out.push(Expected {
            rule: rule.into(),
            school: self.g.school.brin.clone(),
            pupil_id: pid.to_string(),
            domain: domain.map(Into::into),
            expect: if fires { "fires" } else { "silent" }.into(),
            eed_criterion: eed.map(Into::into),
            as_of: self.as_of,
            description: description.into(),
            group_id: None,
        });
    }

    fn cat(&self) -> catalog::Catalog {
        catalog::Catalog::new()
    }
}

/// Tiny extension so planting code reads naturally.
trait RangeU64 {
    fn random_range_u64(&mut self, r: std::ops::Range<u64>) -> u64;
}

impl<R: rand::Rng> RangeU64 for R {
    fn random_range_u64(&mut self, r: std::ops::Range<u64>) -> u64 {
        self.random_range(r)
    }
}
