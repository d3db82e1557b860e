//! Background data for one school: a roster simulated year by year (moving up, doublures, leavers,
//! arrivals with an OSO dossier) and groups; per pupil-year it calls the record emitters in
//! `records.rs` (results on autocorrelated latent trajectories, plans, notes).

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::GenParams;
use super::catalog::{self, Catalog, TestDef, normal, ymd};
use crate::model::{Group, LuNoteCategory, Membership, Pupil, School, Staff, StatedMoment};

/// Autocorrelation of a pupil's true ability (per domain) from one half year to the next.
const RHO: f64 = 0.945;
/// Share of a sitting's variance that is the pupil's true ability (the test's reliability); the
/// rest is the sitting's measurement error. Consecutive rounds then correlate `RELIABILITY × RHO`
/// ≈ 0,85, as LVS rounds do (docs/RULES.md §2), while a pupil's rank stays what it is over the
/// years (0,64 over three years): before session 9 the latent was the measurement itself with a
/// half-year autocorrelation of 0,85, so ranks three years apart correlated 0,3 and most new
/// "three times V" readers in groep 5–8 had read at P40–P85 two years before (docs/BENCHMARKS.md,
/// "Session 9: where the individual signals come from").
const RELIABILITY: f64 = 0.9;

/// A pupil during the roster simulation.
pub(super) struct Sim {
    /// Index into `School::leerlingen`.
    pub(super) idx: usize,
    pub(super) grade: u8,
    pub(super) general: f64,
    /// True (latent) z per domain: mathematics, spelling, reading comprehension, word reading.
    /// A round's results see it through [`SchoolGen::observe`].
    pub(super) z: [f64; 4],
    pub(super) leaves_on: Option<NaiveDate>,
    pub(super) has_opp: bool,
}

/// Generator state for one school.
pub struct SchoolGen<'a> {
    pub(super) cat: &'a Catalog,
    pub(super) rng: ChaCha8Rng,
    pub(super) next_id: u64,
    pub(super) as_of: NaiveDate,
    /// The school being built.
    pub school: School,
    pub(super) ladder: &'static [&'static str],
    /// Staff: index 0 directie, 1 IB, then leerkrachten.
    pub(super) ib_name: String,
    /// The measurement error of each round: a random stream of its own, so the error draws do
    /// not move the roster's, plans' and notes' draws.
    pub(super) noise: ChaCha8Rng,
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
        let noise = ChaCha8Rng::seed_from_u64(
            params.seed ^ (idx as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x5E55_1017,
        );
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
            dyslexieverklaringen: Vec::new(),
            verzuim: Vec::new(),
            sociaal_emotioneel: Vec::new(),
            vakanties: Vec::new(),
            uwlr: None,
        };
        let mut g = Self {
            cat,
            rng,
            next_id,
            as_of: params.as_of,
            school,
            ladder,
            ib_name,
            noise,
        };
        g.note_categories();
        g
    }

    /// A fresh id, unique over the whole board.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// What one round measures of true abilities `z`: each domain's true z plus that sitting's
    /// measurement error, scaled so the result is standard normal again.
    pub(super) fn observe(&mut self, z: [f64; 4]) -> [f64; 4] {
        let (a, b) = (RELIABILITY.sqrt(), (1.0 - RELIABILITY).sqrt());
        z.map(|t| a * t + b * normal(&mut self.noise))
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
                        tot_datum: s
                            .leaves_on
                            .filter(|d| *d < ymd(year + 1, 7, 31) && *d <= self.as_of),
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
                let z = self.observe(s.z);
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
}
