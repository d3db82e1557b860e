//! Background verzuim (absences) per pupil and school year, at rates like those Dutch primary
//! schools report: most pupils are sick once or twice a year for a day or two, a few are sick
//! often, some miss an hour for the doctor or a day of verlof, and very few are absent without
//! authorisation (a late arrival, a day before the holiday; rarely a pattern). So the absence
//! rules fire for a realistic few besides the planted cases. Generated last, with a random stream
//! of its own, so adding verzuim changed no other record of a seed.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalog::ymd;
use super::school::SchoolGen;
use crate::model::Absence;

/// Whether `d` is a plausible school day: Monday–Friday, outside the summer and Christmas holidays
/// and the school's own `vakanties`.
fn school_day(d: NaiveDate, own: &[(NaiveDate, NaiveDate)]) -> bool {
    let (m, day) = (d.month(), d.day());
    let summer = (m == 7 && day > 15) || m == 8 && day < 20;
    let christmas = (m == 12 && day >= 22) || (m == 1 && day <= 4);
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
        && !summer
        && !christmas
        && !own.iter().any(|(a, b)| d >= *a && d <= *b)
}

/// Hours of onderwijstijd on a day (Wednesday afternoon free).
fn day_hours(d: NaiveDate) -> f64 {
    if d.weekday() == Weekday::Wed { 3.5 } else { 5.5 }
}

impl SchoolGen<'_> {
    /// Adds the background verzuim of every pupil that is not planted, per groepsindeling period up
    /// to `as_of`.
    pub(super) fn absences(&mut self, seed: u64, first_year: i32, last_year: i32) {
        let salt = self
            .school
            .brin
            .bytes()
            .fold(0xA5A5_0018_u64, |h, b| h.rotate_left(7) ^ u64::from(b));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ salt);
        let own: Vec<(NaiveDate, NaiveDate)> = self.school.vakanties.iter().map(|v| (v.van, v.tot)).collect();
        let planted: std::collections::HashSet<u64> = self
            .school
            .leerlingen
            .iter()
            .filter(|p| p.planted)
            .map(|p| p.id)
            .collect();
        let periods: Vec<(u64, NaiveDate, NaiveDate, u8)> = self
            .school
            .groepsindelingen
            .iter()
            .filter(|m| !planted.contains(&m.leerling))
            .filter_map(|m| {
                let year = super::catalog::school_year_start(m.vanaf_datum);
                if year < first_year || year > last_year {
                    return None;
                }
                let end = m.tot_datum.unwrap_or(ymd(year + 1, 7, 15)).min(self.as_of);
                (end > m.vanaf_datum).then_some((m.leerling, m.vanaf_datum, end, m.leerjaar))
            })
            .collect();
        // A pupil's proneness to sickness is his own from year to year.
        let mut proneness: std::collections::HashMap<u64, f64> = std::collections::HashMap::new();
        let mut out: Vec<(u64, NaiveDate, f64, &'static str)> = Vec::new();
        for (pupil, from, to, grade) in periods {
            let span = (to - from).num_days().max(0) as f64;
            // Sick spells per school year (about 40 school weeks, 280 days).
            let rate = *proneness.entry(pupil).or_insert_with(|| {
                let r: f64 = rng.random();
                if r < 0.01 {
                    6.0
                } else if r < 0.07 {
                    3.0
                } else {
                    1.2
                }
            });
            let mut spells = Vec::new();
            let expected = rate * span / 330.0;
            for _ in 0..poisson(&mut rng, expected) {
                let start = from + Days::new(rng.random_range(0..=span as u64));
                let len = match rng.random_range(0..100) {
                    0..55 => 1,
                    55..80 => 2,
                    80..92 => 3,
                    _ => rng.random_range(4..=5),
                };
                spells.push((start, len));
            }
            for (start, len) in spells {
                let mut d = start;
                let mut left = len;
                let partial = rng.random_bool(0.15);
                while left > 0 && d <= to {
                    if school_day(d, &own) {
                        let h = if partial && left == len { 2.5 } else { day_hours(d) };
                        out.push((pupil, d, h, "ziek"));
                        left -= 1;
                    }
                    d = d + Days::new(1);
                }
            }
            // Other authorised absence: a doctor's or dentist's hour, now and then a day of verlof.
            for _ in 0..poisson(&mut rng, 1.5 * span / 330.0) {
                let d = from + Days::new(rng.random_range(0..=span as u64));
                if school_day(d, &own) {
                    let h = if rng.random_bool(0.8) { 1.5 } else { day_hours(d) };
                    out.push((pupil, d, h, "geoorloofd"));
                }
            }
            // Unauthorised: now and then a late arrival or a day before a holiday; a pattern of
            // truancy is rare, and more likely in the upper grades.
            if rng.random_bool(0.05) {
                let d = from + Days::new(rng.random_range(0..=span as u64));
                if school_day(d, &own) {
                    let h = if rng.random_bool(0.7) { 1.0 } else { day_hours(d) };
                    out.push((pupil, d, h, "ongeoorloofd"));
                }
            }
            let truancy = if grade >= 7 { 0.006 } else { 0.002 };
            if rng.random_bool(truancy) {
                let start = from + Days::new(rng.random_range(0..=span as u64));
                let mut d = start;
                for _ in 0..rng.random_range(3..=5) {
                    d = d + Days::new(rng.random_range(2..=6));
                    if d <= to && school_day(d, &own) {
                        out.push((pupil, d, day_hours(d), "ongeoorloofd"));
                    }
                }
            }
        }
        out.sort_by(|a, b| (a.0, a.1, a.3).cmp(&(b.0, b.1, b.3)));
        out.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        for (leerling_id, datum, uren, soort) in out {
            let id = self.id();
            self.school.verzuim.push(Absence {
                id,
                leerling_id,
                datum,
                uren,
                soort: soort.into(),
            });
        }
    }
}

/// A Poisson draw (Knuth; the means here are small).
fn poisson(rng: &mut impl Rng, mean: f64) -> u32 {
    if mean <= 0.0 {
        return 0;
    }
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p: f64 = rng.random();
    while p > limit && k < 50 {
        k += 1;
        p *= rng.random::<f64>();
    }
    k
}
