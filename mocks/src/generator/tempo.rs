//! Background tempotoetsen automatiseren (TTR, Tempo Test Rekenen; issue 18 item 3): schools that
//! work with the ERWD protocol take the TTR once a year, at the M round, from groep 4. A pupil's
//! TTR follows his rekenen result of that round (automatiseren and rekenen correlate, about 0,7)
//! with noise of its own. Generated after everything else with a random stream of its own, so
//! adding the TTR changed no other record of a seed. Planted pupils get none (their histories
//! are hand-made); a UWLR school gets none (its results come through the test publisher).

use chrono::Days;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalog::{level_iv, normal, percentile, phi};
use super::school::SchoolGen;
use crate::model::{StatedMoment, TestResult};

/// The normal score of a percentile (bisection on the normal CDF).
fn probit(p: u8) -> f64 {
    let target = (f64::from(p.clamp(1, 99)) + 0.5) / 100.0;
    let (mut lo, mut hi) = (-5.0, 5.0);
    for _ in 0..50 {
        let mid = (lo + hi) / 2.0;
        if phi(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// A representative percentile of an I–V level, for a result that carries no percentile.
fn level_midpoint(level: &str) -> Option<u8> {
    Some(match level {
        "I+" => 95,
        "I" => 90,
        "II" => 70,
        "III" => 50,
        "IV" => 30,
        "V" => 15,
        "V-" => 5,
        _ => return None,
    })
}

impl SchoolGen<'_> {
    /// Adds a TTR a few days after every Cito rekenen result at an M round from groep 4 of a
    /// pupil that is not planted.
    pub(super) fn tempo_tests(&mut self, seed: u64) {
        let salt = self
            .school
            .brin
            .bytes()
            .fold(0x7E3F_0018_u64, |h, b| h.rotate_left(5) ^ u64::from(b));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ salt);
        let planted: std::collections::HashSet<u64> = self
            .school
            .leerlingen
            .iter()
            .filter(|p| p.planted)
            .map(|p| p.id)
            .collect();
        let grade = |school: &crate::model::School, pupil: u64, on: chrono::NaiveDate| {
            school
                .groepsindelingen
                .iter()
                .filter(|m| m.leerling == pupil && m.vanaf_datum <= on && m.tot_datum.is_none_or(|t| t >= on))
                .map(|m| m.leerjaar)
                .max()
        };
        let rekenen: Vec<(u64, chrono::NaiveDate, u8)> = self
            .school
            .resultaten
            .iter()
            .filter(|r| &*r.toetscode == "RW" && r.toetsmoment == Some(StatedMoment::M))
            .filter(|r| !planted.contains(&r.leerling_id))
            .filter(|r| grade(&self.school, r.leerling_id, r.afnamedatum).is_some_and(|g| g >= 4))
            .filter_map(|r| {
                let find = |c: &str| {
                    r.referentiescores
                        .iter()
                        .find(|s| &*s.code == c)
                        .map(|s| &*s.waarde)
                };
                let p = find("PC")
                    .and_then(|p| p.parse().ok())
                    .or_else(|| find("IV").and_then(level_midpoint))?;
                Some((r.leerling_id, r.afnamedatum, p))
            })
            .collect();
        let ttr = self.cat.ttr.clone();
        for (pupil, on, p) in rekenen {
            let z = 0.7 * probit(p) + 0.714 * normal(&mut rng);
            let pct = percentile(z);
            let date = on + Days::new(rng.random_range(1..=7));
            if date > self.as_of {
                continue;
            }
            let mut refs = vec![self.cat.rs("IV", level_iv(pct))];
            if rng.random_bool(0.8) {
                refs.push(self.cat.rs("PC", &pct.to_string()));
            }
            let id = self.id();
            self.school.resultaten.push(TestResult {
                id,
                leerling_id: pupil,
                toetscode: ttr.code.clone(),
                toetsonderdeelcode: None,
                toetsnaam: ttr.name.clone(),
                leverancier: ttr.provider.clone(),
                afnamedatum: date,
                toetsmoment: Some(StatedMoment::M),
                score: None,
                vaardigheidsscore: None,
                vaardigheidsschaal: None,
                referentiescores: refs,
            });
        }
    }
}
