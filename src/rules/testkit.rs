//! Builders for rule tests: pupils with grades, results on any scale, plans and prior signals.

use chrono::NaiveDate;

use super::{HistoryPlan, HistoryResult, PriorSignal, PupilHistory, SchoolContext};
use crate::domain::{
    AbilityScore, Brin, Evaluation, EvaluationOutcome, Grade, LearningDomain, Membership, PlanKind,
    ReferenceScore, SignalStatus, Source, SupportPlan, TestResult,
};

/// A date.
pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

/// The test school.
pub fn brin() -> Brin {
    Brin::parse("11ZW").expect("valid BRIN")
}

/// Default context with the seed-004 ladder (niveaus 1–6).
pub fn ctx() -> SchoolContext {
    SchoolContext::with_preset("niveaus-1-6")
}

/// Builds a pupil history with automatic store ids.
#[derive(Clone)]
pub struct Pupil {
    /// The history so far.
    pub h: PupilHistory,
    next_id: i64,
}

impl Pupil {
    /// Pupil `pupil_id`, in groep 3 from school year 2023-2024 on (one grade a year).
    pub fn new(pupil_id: i64) -> Self {
        let mut p = Self {
            h: PupilHistory {
                pupil_id,
                school: brin(),
                pupil_external_id: format!("ext{pupil_id}"),
                memberships: Vec::new(),
                results: Vec::new(),
                plans: Vec::new(),
                open_signals: Vec::new(),
                birth_date: None,
                dyslexia_statement: None,
                absences: Vec::new(),
                notes: Vec::new(),
                social_emotional: Vec::new(),
            },
            next_id: pupil_id * 1000 + 1,
        };
        for (i, year) in (2023..2028).enumerate() {
            p = p.grade((3 + i) as u8, year);
        }
        p
    }

    /// Drops the automatic grades.
    pub fn no_grades(mut self) -> Self {
        self.h.memberships.clear();
        self
    }

    /// Adds a membership in `grade` for school year `start_year`.
    pub fn grade(mut self, grade: u8, start_year: i32) -> Self {
        self.h.memberships.push(Membership {
            school: brin(),
            pupil_external_id: self.h.pupil_external_id.clone(),
            group_external_id: format!("g{grade}-{start_year}"),
            grade: Grade::new(grade.min(8)).expect("grade"),
            from: d(start_year, 8, 1),
            to: Some(d(start_year + 1, 7, 31)),
        });
        self
    }

    fn id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Adds a result of `code`/`name` with reference scores `(code, value)`.
    pub fn result(mut self, code: &str, name: &str, on: NaiveDate, scores: &[(&str, &str)]) -> Self {
        let id = self.id();
        let r = TestResult {
            source: Source::Parnassys,
            external_id: format!("res{id}"),
            school: brin(),
            pupil_external_id: self.h.pupil_external_id.clone(),
            test_code: code.into(),
            part_code: None,
            test_name: name.into(),
            provider: Some("Cito".into()),
            taken_on: on,
            stated_moment: None,
            raw_score: None,
            ability: None,
            reference_scores: scores
                .iter()
                .map(|(c, v)| ReferenceScore::parse(c, v).expect("valid score"))
                .collect(),
        };
        self.h.results.push(HistoryResult { id, result: r });
        self
    }

    /// A Cito DMT result with an I–V level.
    pub fn dmt(self, on: NaiveDate, level: &str) -> Self {
        self.result("DMT", "Drie-Minuten-Toets", on, &[("IV", level)])
    }

    /// Changes the last result.
    pub fn with(mut self, f: impl FnOnce(&mut TestResult)) -> Self {
        if let Some(last) = self.h.results.last_mut() {
            f(&mut last.result);
        }
        self
    }

    /// Gives the last result an ability score.
    pub fn ability(self, value: f64, scale: &str) -> Self {
        self.with(|r| {
            r.ability = Some(AbilityScore {
                value,
                scale: scale.into(),
                interval: None,
            })
        })
    }

    /// Gives the last result's ability score a betrouwbaarheidsinterval.
    pub fn interval(self, low: f64, high: f64) -> Self {
        self.with(|r| {
            if let Some(a) = &mut r.ability {
                a.interval = crate::domain::ConfidenceInterval::new(low, high);
            }
        })
    }

    /// Adds a plan; `f` fills in the rest.
    pub fn plan(
        mut self,
        kind: PlanKind,
        domain: Option<LearningDomain>,
        start: NaiveDate,
        f: impl FnOnce(&mut SupportPlan),
    ) -> Self {
        let id = self.id();
        let mut plan = SupportPlan {
            source: Source::Parnassys,
            external_id: format!("plan{id}"),
            school: brin(),
            pupil_external_id: Some(self.h.pupil_external_id.clone()),
            group_external_id: None,
            kind,
            domain,
            title: "Plan".into(),
            owner: Some("juf Anna".into()),
            care_level: Some("3".into()),
            start,
            end: None,
            evaluation_due: None,
            minutes_per_week: None,
            evaluations: Vec::new(),
            decided_on: None,
            drawn_up_on: None,
            parents_agreed_on: None,
        };
        f(&mut plan);
        self.h.plans.push(HistoryPlan { id, plan });
        self
    }

    /// Adds a prior signal.
    pub fn prior(
        mut self,
        key: &str,
        rule: &str,
        domain: Option<LearningDomain>,
        opened_on: NaiveDate,
        status: SignalStatus,
    ) -> Self {
        self.h.open_signals.push(PriorSignal {
            key: key.into(),
            rule: rule.into(),
            domain,
            opened_on,
            status,
            severity: None,
        });
        self
    }

    /// Sets the geboortedatum.
    pub fn born(mut self, on: NaiveDate) -> Self {
        self.h.birth_date = Some(on);
        self
    }

    /// Gives the pupil a dyslexieverklaring dated `on`.
    pub fn dyslexia_statement(mut self, on: Option<NaiveDate>) -> Self {
        self.h.dyslexia_statement = Some(crate::domain::DyslexiaStatement { on });
        self
    }

    /// Adds a ParnasSys absence of `hours` on `on`.
    pub fn absence(self, on: NaiveDate, hours: f64, kind: crate::domain::AbsenceKind) -> Self {
        self.absence_from(Source::Parnassys, on, hours, kind)
    }

    /// Adds an absence registered by `source`.
    pub fn absence_from(
        mut self,
        source: Source,
        on: NaiveDate,
        hours: f64,
        kind: crate::domain::AbsenceKind,
    ) -> Self {
        let n = self.h.absences.len();
        self.h.absences.push(crate::domain::Absence {
            source,
            school: brin(),
            external_id: format!("abs{n}"),
            pupil_external_id: self.h.pupil_external_id.clone(),
            on,
            hours,
            kind,
        });
        self
    }

    /// Adds a Leeruniek note in category `path` written on `on` (the rules never see its text).
    pub fn note(mut self, on: NaiveDate, path: &[&str]) -> Self {
        let id = self.id();
        self.h.notes.push(super::HistoryNote {
            id,
            source: Source::Leeruniek,
            category_path: path.iter().map(|s| (*s).to_string()).collect(),
            written_on: on,
        });
        self
    }

    /// Adds a ParnasSys social-emotional measurement: `category` by name (`rood`, `zeer laag`, …).
    pub fn se(
        self,
        instrument: crate::domain::SeInstrument,
        scale: &str,
        on: NaiveDate,
        category: &str,
    ) -> Self {
        self.se_from(Source::Parnassys, instrument, scale, on, category)
    }

    /// Adds a social-emotional measurement registered by `source`.
    pub fn se_from(
        mut self,
        source: Source,
        instrument: crate::domain::SeInstrument,
        scale: &str,
        on: NaiveDate,
        category: &str,
    ) -> Self {
        let n = self.h.social_emotional.len();
        self.h
            .social_emotional
            .push(crate::domain::SocialEmotionalMeasurement {
                source,
                school: brin(),
                external_id: format!("se{n}"),
                pupil_external_id: self.h.pupil_external_id.clone(),
                instrument,
                scale: instrument.scale(scale).expect("a scale of the instrument"),
                measured_on: on,
                category: instrument
                    .category_rank(category)
                    .expect("a category of the instrument"),
            });
        self
    }

    /// The history.
    pub fn build(self) -> PupilHistory {
        self.h
    }
}

/// An evaluation.
pub fn eval(on: NaiveDate, outcome: EvaluationOutcome) -> Evaluation {
    Evaluation { date: on, outcome }
}
