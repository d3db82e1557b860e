//! Per-school records the roster simulation emits: results on the latent trajectories, action
//! plans and OPPs on the school's ladder, notes, ParnasSys group plans and Leeruniek group plans.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::catalog::{self, TestDef, level_ae, level_iep, level_iv, normal, percentile, ymd};
use super::school::SchoolGen;
use crate::model::{LuEvaluation, LuGroupPlan, LuNote, Note, Plan, PlanEvaluation, StatedMoment, TestResult};

impl SchoolGen<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn result(
        &mut self,
        t: &TestDef,
        pid: u64,
        date: NaiveDate,
        moment: Option<StatedMoment>,
        grade: u8,
        mi: usize,
        z: f64,
    ) -> TestResult {
        let p = percentile(z);
        let progress = f64::from(grade) - 3.0 + 0.5 * mi as f64;
        let mut refs = Vec::new();
        let (score, ability) = match (&*t.provider, t.domain) {
            ("IEP", _) => {
                refs.push(self.cat.rs("RNTRM", level_iep(z, grade)));
                (None, Some((60.0 + 8.0 * progress + 6.0 * z).round()))
            }
            (_, "word_reading") => {
                let scale = if t.scale.ends_with("2009") { "AE" } else { "IV" };
                let level = if scale == "AE" { level_ae(p) } else { level_iv(p) };
                refs.push(self.cat.rs(scale, level));
                if self.rng.random_bool(0.7) {
                    refs.push(self.cat.rs("PC", &p.to_string()));
                }
                (
                    (3.0 * (40.0 * (progress + 0.5) + 18.0 * z))
                        .round()
                        .max(0.0)
                        .into(),
                    None,
                )
            }
            (_, "technical_reading") => {
                let avi = if p > 50 {
                    format!("E{grade}")
                } else {
                    format!("M{grade}")
                };
                refs.push(self.cat.rs("AVI", &avi));
                (None, None)
            }
            _ => {
                refs.push(self.cat.rs("IV", level_iv(p)));
                if self.rng.random_bool(0.8) {
                    refs.push(self.cat.rs("PC", &p.to_string()));
                }
                (None, Some((100.0 + 25.0 * progress + 15.0 * z).round()))
            }
        };
        TestResult {
            id: self.id(),
            leerling_id: pid,
            toetscode: t.code.clone(),
            toetsonderdeelcode: t.part.clone(),
            toetsnaam: t.name.clone(),
            leverancier: t.provider.clone(),
            afnamedatum: date,
            toetsmoment: moment,
            score,
            vaardigheidsscore: ability,
            vaardigheidsschaal: ability.map(|_| t.scale.clone()),
            referentiescores: refs,
        }
    }

    pub(super) fn maybe_action_plan(
        &mut self,
        pid: u64,
        gid: u64,
        date: NaiveDate,
        z: [f64; 4],
        owner: &str,
    ) {
        let (domain, zi) = if z[3] < -1.1 {
            ("technical_reading", 3)
        } else if z[0] < -1.2 {
            ("mathematics", 0)
        } else if z[1] < -1.3 {
            ("spelling", 1)
        } else {
            return;
        };
        if !self.rng.random_bool(0.7) {
            return;
        }
        // A plan starts two weeks after the round that showed the need, but never into the summer
        // holiday: after the E round (May–June) the plan is made for the new school year and
        // starts in its first weeks (a six-week plan started in mid-June would be evaluated in
        // the holiday, which no school does).
        let start = if date.month() >= 5 && date.month() <= 7 {
            ymd(date.year(), 9, 1) + Days::new(self.rng.random_range(0..14))
        } else {
            date + Days::new(14)
        };
        if start > self.as_of {
            return;
        }
        let due = start + Days::new(42);
        let explicit = self.rng.random_bool(0.7);
        let roll: f64 = self.rng.random();
        let mut evaluaties = Vec::new();
        let eval_date = if roll < 0.75 {
            Some(due + Days::new(self.rng.random_range(0..5)))
        } else if roll < 0.87 {
            Some(due + Days::new(self.rng.random_range(21..40)))
        } else {
            None
        };
        if let Some(d) = eval_date.filter(|d| *d <= self.as_of) {
            let outcome = match z[zi] + normal(&mut self.rng) * 0.5 {
                x if x > -1.2 => "behaald",
                x if x > -1.8 => "deels_behaald",
                _ => "niet_behaald",
            };
            evaluaties.push(PlanEvaluation {
                datum: d,
                uitkomst: self.cat.sym(outcome),
            });
        }
        let end = start + Days::new(56);
        let level = if self.rng.random_bool(0.8) { 1 } else { 2 };
        let id = self.id();
        let code = self.ladder_code(level);
        self.school.plannen.push(Plan {
            id,
            leerling_id: Some(pid),
            groep_id: Some(gid),
            soort: self.cat.sym("handelingsplan"),
            domein: Some(self.cat.sym(domain)),
            titel: format!("Handelingsplan {}", dutch_domain(domain)),
            eigenaar: owner.into(),
            zorgniveau: Some(self.cat.sym(code)),
            startdatum: start,
            // A handelingsplan has its period from the start (ParnasSys: begin- en einddatum);
            // one that was never evaluated ends too, it does not run for years.
            einddatum: (end <= self.as_of).then_some(end),
            evaluatiedatum: explicit.then_some(due),
            minuten_per_week: Some(self.rng.random_range(3..=9) * 15),
            evaluaties,
            besluitdatum: None,
            opgesteld_op: None,
            instemming_ouders: None,
        });
    }

    pub(super) fn opp(&mut self, pid: u64, gid: u64, year: i32) {
        let start = ymd(year, 10, 1) + Days::new(self.rng.random_range(0..40));
        if start > self.as_of {
            return;
        }
        let mut evaluaties = Vec::new();
        for y in year..=catalog::school_year_start(self.as_of) {
            for d in [ymd(y + 1, 2, 10), ymd(y + 1, 6, 20)] {
                if d > start && d <= self.as_of && self.rng.random_bool(0.85) {
                    let d = d + Days::new(self.rng.random_range(0..10));
                    let outcome = ["behaald", "deels_behaald", "niet_behaald"][self.rng.random_range(0..3)];
                    evaluaties.push(PlanEvaluation {
                        datum: d,
                        uitkomst: self.cat.sym(outcome),
                    });
                }
            }
        }
        let last = evaluaties.last().map(|e| e.datum).unwrap_or(start);
        let id = self.id();
        let code = self.ladder_code(if self.ladder[0] == "A1" { 2 } else { 3 });
        self.school.plannen.push(Plan {
            id,
            leerling_id: Some(pid),
            groep_id: Some(gid),
            soort: self.cat.sym("opp"),
            domein: None,
            titel: "Ontwikkelingsperspectiefplan".into(),
            eigenaar: self.ib_owner(),
            zorgniveau: Some(self.cat.sym(code)),
            startdatum: start,
            einddatum: None,
            evaluatiedatum: Some(last + Days::new(56)),
            minuten_per_week: None,
            evaluaties,
            besluitdatum: None,
            opgesteld_op: None,
            instemming_ouders: None,
        });
    }

    pub(super) fn notes(&mut self, pid: u64, gid: u64, year: i32) {
        let n = [0, 1, 1, 2, 3][self.rng.random_range(0..5)];
        for _ in 0..n {
            let date = ymd(year, 9, 1) + Days::new(self.rng.random_range(0..300));
            if date > self.as_of {
                continue;
            }
            let path = catalog::NOTE_PATHS[self.rng.random_range(0..catalog::NOTE_PATHS.len())];
            let text = catalog::NOTE_TEXTS[self.rng.random_range(0..catalog::NOTE_TEXTS.len())];
            let id = self.id();
            if self.rng.random_bool(0.6) {
                self.school.notities.push(Note {
                    id,
                    leerling_id: pid,
                    groep_id: gid,
                    categorie: path.iter().map(|s| self.cat.sym(s)).collect(),
                    aangemaakt_op: date,
                    inhoud: text.into(),
                });
            } else {
                let category_id = self
                    .school
                    .lu_note_categories
                    .iter()
                    .find(|c| c.path == path)
                    .map(|c| c.id)
                    .unwrap_or_default();
                let group_plan_id = self
                    .school
                    .lu_group_plans
                    .iter()
                    .rev()
                    .take(4)
                    .find(|p| p.group_id == gid && p.pupil_ids.contains(&pid))
                    .map(|p| p.id);
                self.school.lu_notes.push(LuNote {
                    id,
                    pupil_id: pid,
                    group_id: gid,
                    category_id,
                    group_plan_id,
                    date_created: date,
                    content: text.into(),
                });
            }
        }
    }

    pub(super) fn group_plans(&mut self, gid: u64, year: i32, owner: &str, low: &[Vec<u64>; 2]) {
        let start = ymd(year, 9, 1);
        if start <= self.as_of {
            let due = start + Days::new(84);
            let evaluaties = if due <= self.as_of && self.rng.random_bool(0.85) {
                vec![PlanEvaluation {
                    datum: due + Days::new(self.rng.random_range(0..10)),
                    uitkomst: self.cat.sym("behaald"),
                }]
            } else {
                Vec::new()
            };
            let id = self.id();
            self.school.plannen.push(Plan {
                id,
                leerling_id: None,
                groep_id: Some(gid),
                soort: self.cat.sym("groepsplan"),
                domein: Some(self.cat.sym("mathematics")),
                titel: "Groepsplan rekenen".into(),
                eigenaar: owner.into(),
                zorgniveau: Some(self.cat.sym(self.ladder_code(0))),
                startdatum: start,
                einddatum: (ymd(year + 1, 7, 15) <= self.as_of).then(|| ymd(year + 1, 7, 15)),
                evaluatiedatum: Some(due),
                minuten_per_week: None,
                evaluaties,
                besluitdatum: None,
                opgesteld_op: None,
                instemming_ouders: None,
            });
        }
        for (period, from, to) in [
            (StatedMoment::M, ymd(year, 8, 20), ymd(year + 1, 2, 14)),
            (StatedMoment::E, ymd(year + 1, 2, 15), ymd(year + 1, 7, 15)),
        ] {
            if from > self.as_of {
                continue;
            }
            for (di, domain) in [(0, "mathematics"), (1, "technical_reading")] {
                let evaluations = if to <= self.as_of {
                    let outcome =
                        ["achieved", "partly_achieved", "not_achieved"][self.rng.random_range(0..3)];
                    vec![LuEvaluation {
                        date: to,
                        outcome: self.cat.sym(outcome),
                    }]
                } else {
                    Vec::new()
                };
                let id = self.id();
                let period_name = if period == StatedMoment::M { "M" } else { "E" };
                self.school.lu_group_plans.push(LuGroupPlan {
                    id,
                    group_id: gid,
                    school_year: catalog::school_year(year),
                    period,
                    domain: self.cat.sym(domain),
                    title: format!("Groepsplan {} {period_name}", domain.replace('_', " ")),
                    owner: owner.into(),
                    care_level: Some(self.cat.sym(self.ladder_code(1))),
                    start_date: from,
                    end_date: to,
                    evaluation_date: to,
                    pupil_ids: low[di].clone(),
                    evaluations,
                });
            }
        }
    }
}

/// The Dutch name a school writes in a plan title for a domain identifier.
fn dutch_domain(domain: &str) -> &str {
    match domain {
        "mathematics" => "rekenen",
        "technical_reading" => "technisch lezen",
        "word_reading" => "woordlezen",
        "reading_comprehension" => "begrijpend lezen",
        "spelling" => "spelling",
        other => other,
    }
}
