//! Background sociaal-emotionele metingen (issue 18 item 1): ZIEN! twice a school year, in the
//! autumn (mid October to mid November) and the spring (mid March to mid April), from groep 3, on
//! all five indicators. A pupil's categories follow a social-emotional disposition of his own that
//! lasts from year to year, an offset per indicator, and noise per sitting, so that the categories
//! land near the instrument's own shares (rood about 10 %, oranje about 15 %, the rest groen; our
//! reading of the signaleringsgrenzen, docs/RULES.md §3c) and a low category tends to return.
//! Generated after everything else with a random stream of its own, so adding the measurements
//! changed no other record of a seed. Planted pupils get none (their histories are hand-made); a
//! UWLR school gets none (its LAS serves no ParnasSys REST, and UWLR carries no ZIEN!).

use std::collections::HashMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalog::{normal, ymd};
use super::school::SchoolGen;
use crate::model::SocialEmotional;

/// The five ZIEN! indicators.
pub const ZIEN_INDICATORS: [&str; 5] = [
    "betrokkenheid",
    "welbevinden",
    "sociaal initiatief",
    "sociale flexibiliteit",
    "sociale autonomie",
];

/// The ZIEN! colour of a standard-normal score: rood below P10, oranje below P25, else groen.
pub fn zien_colour(z: f64) -> &'static str {
    if z < -1.2816 {
        "rood"
    } else if z < -0.6745 {
        "oranje"
    } else {
        "groen"
    }
}

/// The weekday on or after `d`.
fn weekday_on_or_after(mut d: NaiveDate) -> NaiveDate {
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d + Days::new(1);
    }
    d
}

impl SchoolGen<'_> {
    /// Adds ZIEN! measurements for every pupil that is not planted, per sitting up to `as_of`.
    pub(super) fn social_emotional(&mut self, seed: u64, first_year: i32, last_year: i32) {
        let salt = self
            .school
            .brin
            .bytes()
            .fold(0x5E18_0001_u64, |h, b| h.rotate_left(11) ^ u64::from(b));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ salt);
        let planted: std::collections::HashSet<u64> = self
            .school
            .leerlingen
            .iter()
            .filter(|p| p.planted)
            .map(|p| p.id)
            .collect();
        // Score = 0,75 disposition + 0,40 indicator + 0,53 sitting: standard normal in total.
        let mut disposition: HashMap<u64, f64> = HashMap::new();
        let mut indicator: HashMap<(u64, usize), f64> = HashMap::new();
        let mut out: Vec<(u64, NaiveDate, usize, &'static str)> = Vec::new();
        for year in first_year..=last_year {
            // One school-wide sitting window per season; each group a few days apart.
            let sittings = [
                ymd(year, 10, 15) + Days::new(rng.random_range(0..=21)),
                ymd(year + 1, 3, 15) + Days::new(rng.random_range(0..=21)),
            ];
            for sitting in sittings {
                let members: Vec<(u64, u64)> = self
                    .school
                    .groepsindelingen
                    .iter()
                    .filter(|m| !planted.contains(&m.leerling) && m.leerjaar >= 3)
                    .filter(|m| m.vanaf_datum <= sitting && m.tot_datum.is_none_or(|t| t >= sitting))
                    .map(|m| (m.leerling, m.groep))
                    .collect();
                let mut group_day: HashMap<u64, NaiveDate> = HashMap::new();
                for (pupil, group) in members {
                    let day = *group_day
                        .entry(group)
                        .or_insert_with(|| weekday_on_or_after(sitting + Days::new(rng.random_range(0..=6))));
                    if day > self.as_of {
                        continue;
                    }
                    // Now and then a pupil is missed at a sitting.
                    if rng.random_bool(0.04) {
                        continue;
                    }
                    let d = *disposition.entry(pupil).or_insert_with(|| normal(&mut rng));
                    for (i, _) in ZIEN_INDICATORS.iter().enumerate() {
                        let o = *indicator.entry((pupil, i)).or_insert_with(|| normal(&mut rng));
                        let z = 0.75 * d + 0.40 * o + 0.53 * normal(&mut rng);
                        out.push((pupil, day, i, zien_colour(z)));
                    }
                }
            }
        }
        out.sort_by_key(|a| (a.0, a.1, a.2));
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1 && a.2 == b.2);
        for (leerling_id, afnamedatum, i, categorie) in out {
            let id = self.id();
            self.school.sociaal_emotioneel.push(SocialEmotional {
                id,
                leerling_id,
                instrument: "ZIEN!".into(),
                schaal: ZIEN_INDICATORS[i].into(),
                afnamedatum,
                categorie: categorie.into(),
            });
        }
    }
}
