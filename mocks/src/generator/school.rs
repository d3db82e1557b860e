//! Background data for one school: a roster simulated year by year (moving up, doublures, leavers,
//! arrivals with an OSO dossier), Cito/IEP/DMT results on autocorrelated latent trajectories,
//! notes, plans on the school's care ladder, and Leeruniek group plans and notes.

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::GenParams;
use super::catalog::{self, Catalog, TestDef, level_ae, level_iep, level_iv, normal, percentile, ymd};
use crate::model::{
    Group, LuEvaluation, LuGroupPlan, LuNote, LuNoteCategory, Membership, Note, Plan, PlanEvaluation, Pupil,
    School, Staff, StatedMoment, TestResult,
};

/// Autocorrelation of a pupil's latent ability between two consecutive measurements.
const RHO: f64 = 0.85;

/// A pupil during the roster simulation.
struct Sim {
    /// Index into `School::leerlingen`.
    idx: usize,
    grade: u8,
    general: f64,
    /// Latent z per domain: mathematics, spelling, reading comprehension, word reading.
    z: [f64; 4],
    leaves_on: Option<NaiveDate>,
    has_opp: bool,
}

/// Generator state for one school.
pub struct SchoolGen<'a> {
    cat: &'a Catalog,
    rng: ChaCha8Rng,
    next_id: u64,
    as_of: NaiveDate,
    /// The school being built.
    pub school: School,
    ladder: &'static [&'static str],
    /// Staff: index 0 directie, 1 IB, then leerkrachten.
    ib_name: String,
}

/// BRIN for school number `idx`: two digits and two letters, unique for the first 60 840 schools.
pub fn brin(idx: usize) -> String {
    let letters = idx / 90;
    let a = (b'A' + ((letters / 26) % 26) as u8) as char;
    let b = (b'A' + (letters % 26) as u8) as char;
    format!("{:02}{a}{b}", 10 + idx % 90)
}

/// Deterministic secret material (hex) from the seed and a label.
pub fn secret(seed: u64, label: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{seed}:{label}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl<'a> SchoolGen<'a> {
    /// Starts a school with its staff.
    pub fn new(params: &GenParams, cat: &'a Catalog, idx: usize) -> Self {
        let mut rng =
            ChaCha8Rng::seed_from_u64(params.seed ^ (idx as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let brin = brin(idx);
        let (ladder_name, ladder) = catalog::LADDERS[idx % catalog::LADDERS.len()];
        let naam = format!(
            "Basisschool {} {}",
            catalog::SCHOOL_NAMES[idx % catalog::SCHOOL_NAMES.len()],
            idx / catalog::SCHOOL_NAMES.len() + 1
        );
        let mut next_id = (idx as u64 + 1) * 1_000_000_000;
        let mut medewerkers = Vec::new();
        for (i, functie) in ["directie", "ib"]
            .iter()
            .chain(["leerkracht"; 14].iter())
            .enumerate()
        {
            next_id += 1;
            let first = catalog::FIRST_NAMES[rng.random_range(0..catalog::FIRST_NAMES.len())];
            let (_, last) = catalog::SURNAMES[rng.random_range(0..catalog::SURNAMES.len())];
            medewerkers.push(Staff {
                id: next_id,
                roepnaam: first.into(),
                achternaam: last.into(),
                functie: (*functie).into(),
                emailadres: format!("medewerker{}@{}.school.example", i + 1, brin.to_lowercase()),
            });
        }
        let ib_name = format!("{} {} (IB)", medewerkers[1].roepnaam, medewerkers[1].achternaam);
        let school = School {
            leveranciersleutel: secret(params.seed, &format!("gkv:{brin}")),
            brin,
            naam,
            care_ladder: ladder_name.into(),
            iep_from: (idx % 3 == 1).then(|| "2023-2024".to_string()),
            medewerkers,
            leerlingen: Vec::new(),
            groepen: Vec::new(),
            groepsindelingen: Vec::new(),
            resultaten: Vec::new(),
            notities: Vec::new(),
            plannen: Vec::new(),
            lu_note_categories: Vec::new(),
            lu_group_plans: Vec::new(),
            lu_notes: Vec::new(),
        };
        let mut g = Self {
            cat,
            rng,
            next_id,
            as_of: params.as_of,
            school,
            ladder,
            ib_name,
        };
        g.note_categories();
        g
    }

    /// A fresh id, unique over the whole board.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The generator's random source.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// Care-ladder code at `index` (clamped to the ladder).
    pub fn ladder_code(&self, index: usize) -> &'static str {
        self.ladder[index.min(self.ladder.len() - 1)]
    }

    /// Owner text for IB-owned plans.
    pub fn ib_owner(&self) -> String {
        self.ib_name.clone()
    }

    fn note_categories(&mut self) {
        for path in catalog::NOTE_PATHS {
            let parent_id = if path.len() > 1 {
                self.school
                    .lu_note_categories
                    .iter()
                    .find(|c| c.path == [path[0]])
                    .map(|c| c.id)
            } else {
                None
            };
            let id = self.id();
            self.school.lu_note_categories.push(LuNoteCategory {
                id,
                parent_id,
                name: path[path.len() - 1].into(),
                path: path.iter().map(|s| s.to_string()).collect(),
            });
        }
    }

    /// Adds a pupil with a random name; returns its index in `leerlingen`.
    pub fn new_pupil(&mut self, born: NaiveDate, planted: bool) -> usize {
        let id = self.id();
        let first = catalog::FIRST_NAMES[self.rng.random_range(0..catalog::FIRST_NAMES.len())];
        let (tv, last) = catalog::SURNAMES[self.rng.random_range(0..catalog::SURNAMES.len())];
        let nummer = self.school.leerlingen.len() as u32 + 1001;
        self.school.leerlingen.push(Pupil {
            id,
            leerling_nummer: nummer,
            roepnaam: first.into(),
            achternaam: last.into(),
            tussenvoegsel: (!tv.is_empty()).then(|| tv.to_string()),
            geboortedatum: born,
            instroom: None,
            uitstroom: None,
            planted,
        });
        self.school.leerlingen.len() - 1
    }

    /// Adds a group for a school year; returns its id.
    pub fn new_group(&mut self, year: i32, grade: u8, suffix: &str) -> u64 {
        let id = self.id();
        let teacher = 2 + (usize::from(grade) * 2 + suffix.len()) % (self.school.medewerkers.len() - 2);
        self.school.groepen.push(Group {
            id,
            naam: format!("{grade}{suffix}"),
            jaargroep: grade,
            schooljaar: catalog::school_year(year),
            leerkracht: self.school.medewerkers[teacher].id,
        });
        id
    }

    /// Simulates the roster from `first_year` to `last_year` and fills in all background data.
    pub fn simulate(&mut self, first_year: i32, last_year: i32, size: usize) {
        let mut roster: Vec<Sim> = Vec::new();
        for i in 0..size {
            let grade = 1 + (i * 8 / size.max(1)) as u8;
            roster.push(self.sim_pupil(first_year, grade, None));
        }
        for year in first_year..=last_year {
            if year > first_year {
                self.move_up(&mut roster, year, size);
            }
            let mid_leave_from = ymd(year + 1, 1, 2);
            for s in roster.iter_mut() {
                if s.leaves_on.is_none() && self.rng.random_bool(0.01) {
                    s.leaves_on = mid_leave_from.checked_add_days(Days::new(self.rng.random_range(0..80)));
                }
            }
            self.year(&mut roster, year);
            for s in roster.iter() {
                if let Some(d) = s.leaves_on.filter(|d| *d <= self.as_of) {
                    self.school.leerlingen[s.idx].uitstroom = Some(d);
                }
            }
            roster.retain(|s| s.leaves_on.is_none_or(|d| d > ymd(year + 1, 7, 15)));
        }
    }

    fn sim_pupil(&mut self, year: i32, grade: u8, arrival: Option<(NaiveDate, bool)>) -> Sim {
        let born = ymd(year - 3 - i32::from(grade), 1, 1) + Days::new(self.rng.random_range(0..365));
        let idx = self.new_pupil(born, false);
        if let Some((datum, oso)) = arrival {
            let from = brin(9000 + self.rng.random_range(0..900));
            self.school.leerlingen[idx].instroom = Some(crate::model::Arrival {
                datum,
                vorige_brin: from,
                oso_dossier: oso,
            });
        }
        let general = normal(&mut self.rng);
        let mut z = [0.0; 4];
        for v in z.iter_mut() {
            *v = 0.7 * general + 0.714 * normal(&mut self.rng);
        }
        Sim {
            idx,
            grade,
            general,
            z,
            leaves_on: None,
            has_opp: false,
        }
    }

    fn move_up(&mut self, roster: &mut Vec<Sim>, year: i32, size: usize) {
        let end_prev = ymd(year, 7, 15);
        for s in roster.iter_mut() {
            if s.grade == 8 || self.rng.random_bool(0.025) {
                s.leaves_on = Some(end_prev);
            } else if !self.rng.random_bool(0.02) {
                s.grade += 1;
            }
        }
        for s in roster.iter() {
            if s.leaves_on == Some(end_prev) {
                self.school.leerlingen[s.idx].uitstroom = Some(end_prev);
            }
        }
        roster.retain(|s| s.leaves_on != Some(end_prev));
        while roster.len() < size {
            let (grade, arrival) = if self.rng.random_bool(0.85) {
                (1, None)
            } else {
                let g = self.rng.random_range(2..=8);
                (g, Some((ymd(year, 8, 20), self.rng.random_bool(0.8))))
            };
            let s = self.sim_pupil(year, grade, arrival);
            roster.push(s);
        }
    }

    fn year(&mut self, roster: &mut [Sim], year: i32) {
        let start = ymd(year, 8, 1);
        if start > self.as_of {
            return;
        }
        let sy = catalog::school_year(year);
        let iep = self
            .school
            .iep_from
            .as_ref()
            .is_some_and(|from| sy.as_str() >= from.as_str());
        let dmt_2009 = self.school.brin.as_bytes()[1] % 4 == 3 && year < 2023;
        for grade in 1..=8u8 {
            let members: Vec<usize> = (0..roster.len()).filter(|&i| roster[i].grade == grade).collect();
            let chunks = members.len().div_ceil(30).max(1);
            for c in 0..chunks {
                let suffix = ((b'A' + c as u8) as char).to_string();
                let gid = self.new_group(year, grade, &suffix);
                let part: Vec<usize> = members.iter().copied().skip(c).step_by(chunks).collect();
                for &i in &part {
                    let s = &roster[i];
                    self.school.groepsindelingen.push(Membership {
                        leerling: self.school.leerlingen[s.idx].id,
                        groep: gid,
                        vanaf_datum: start,
                        tot_datum: s.leaves_on.filter(|d| *d < ymd(year + 1, 7, 31)),
                        leerjaar: grade,
                    });
                }
                self.group_year(roster, &part, gid, year, grade, iep, dmt_2009);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn group_year(
        &mut self,
        roster: &mut [Sim],
        part: &[usize],
        gid: u64,
        year: i32,
        grade: u8,
        iep: bool,
        dmt_2009: bool,
    ) {
        let teacher = self
            .school
            .groepen
            .last()
            .map(|g| g.leerkracht)
            .unwrap_or_default();
        let owner = self
            .school
            .medewerkers
            .iter()
            .find(|m| m.id == teacher)
            .map(|m| format!("{} {}", m.roepnaam, m.achternaam))
            .unwrap_or_default();
        let mut low = [Vec::new(), Vec::new()];
        for (mi, moment) in [StatedMoment::M, StatedMoment::E].into_iter().enumerate() {
            let base = if mi == 0 {
                ymd(year + 1, 1, 15)
            } else {
                ymd(year + 1, 5, 25)
            };
            for &i in part {
                let s = &mut roster[i];
                for z in s.z.iter_mut() {
                    *z = RHO * *z + (1.0 - RHO * RHO).sqrt() * normal(&mut self.rng);
                }
                if grade < 3 {
                    continue;
                }
                let date = base + Days::new(self.rng.random_range(0..25));
                if date > self.as_of || s.leaves_on.is_some_and(|d| d <= date) {
                    continue;
                }
                let pid = self.school.leerlingen[s.idx].id;
                let z = s.z;
                let tests: Vec<(TestDef, f64)> = {
                    let set = if iep { &self.cat.iep } else { &self.cat.cito };
                    let mut v: Vec<(TestDef, f64)> = set
                        .iter()
                        .zip(z)
                        .filter(|(t, _)| grade >= t.from_grade)
                        .map(|(t, z)| (t.clone(), z))
                        .collect();
                    let dmt = if dmt_2009 {
                        &self.cat.dmt_2009
                    } else {
                        &self.cat.dmt_2018
                    };
                    v.push((dmt.clone(), z[3]));
                    v
                };
                for (t, z) in tests {
                    let r = self.result(&t, pid, date, Some(moment), grade, mi, z);
                    self.school.resultaten.push(r);
                }
                if z[0] < -0.8 {
                    low[0].push(pid);
                }
                if z[3] < -0.8 {
                    low[1].push(pid);
                }
                self.maybe_action_plan(pid, gid, date, z, &owner);
            }
        }
        // Tussenmeting: AVI in October for groups 3–5.
        for &i in part {
            let s = &roster[i];
            let date = ymd(year, 10, 5) + Days::new(self.rng.random_range(0..20));
            if (3..=5).contains(&grade) && date <= self.as_of && self.rng.random_bool(0.4) {
                let pid = self.school.leerlingen[s.idx].id;
                let avi = self.cat.avi.clone();
                let r = self.result(&avi, pid, date, None, grade, 0, s.z[3]);
                self.school.resultaten.push(r);
            }
        }
        for &i in part {
            let (pid, general, has_opp) = (
                self.school.leerlingen[roster[i].idx].id,
                roster[i].general,
                roster[i].has_opp,
            );
            self.notes(pid, gid, year);
            if !has_opp && grade >= 4 && general < -1.9 {
                roster[i].has_opp = true;
                self.opp(pid, gid, year);
            }
        }
        self.group_plans(gid, year, &owner, &low);
    }

    #[allow(clippy::too_many_arguments)]
    fn result(
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

    fn maybe_action_plan(&mut self, pid: u64, gid: u64, date: NaiveDate, z: [f64; 4], owner: &str) {
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
        let start = date + Days::new(14);
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
            titel: format!("Handelingsplan {}", domain.replace('_', " ")),
            eigenaar: owner.into(),
            zorgniveau: Some(self.cat.sym(code)),
            startdatum: start,
            einddatum: (end <= self.as_of && !evaluaties.is_empty()).then_some(end),
            evaluatiedatum: explicit.then_some(due),
            minuten_per_week: Some(self.rng.random_range(3..=9) * 15),
            evaluaties,
        });
    }

    fn opp(&mut self, pid: u64, gid: u64, year: i32) {
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
        });
    }

    fn notes(&mut self, pid: u64, gid: u64, year: i32) {
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

    fn group_plans(&mut self, gid: u64, year: i32, owner: &str, low: &[Vec<u64>; 2]) {
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
