//! Planted verzuim cases (issue 18 item 2): unauthorised absence to report to the
//! leerplichtambtenaar, frequent ziekmeldingen for the JGZ conversation, and a near miss of each.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::Planter;
use crate::model::Absence;

impl Planter<'_, '_> {
    /// The school day on or before `as_of - days_back`.
    pub(super) fn weekday_back(&self, days_back: u64) -> NaiveDate {
        let mut d = self.as_of - Days::new(days_back);
        while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            d = d - Days::new(1);
        }
        d
    }

    fn absence(&mut self, pid: u64, datum: NaiveDate, uren: f64, soort: &str) {
        let id = self.g.id();
        self.g.school.verzuim.push(Absence {
            id,
            leerling_id: pid,
            datum,
            uren,
            soort: soort.into(),
        });
    }

    /// Adds `(days back, hours, soort)` rows for a new planted pupil and its expectation.
    fn absence_case(&mut self, rule: &str, rows: &[(u64, f64, &str)], fires: bool, description: &str) {
        let pid = self.pupil();
        for &(back, hours, soort) in rows {
            let d = self.weekday_back(back);
            self.absence(pid, d, hours, soort);
        }
        self.expect(rule, pid, None, fires, None, description);
    }

    pub(super) fn absences(&mut self) {
        let (u, z, g) = ("ongeoorloofd", "ziek", "geoorloofd");
        let un = "unauthorised_absence";
        self.absence_case(
            un,
            &[(15, 5.5, u), (8, 5.5, u), (1, 5.5, u)],
            true,
            "Drie hele dagen ongeoorloofd verzuim in drie weken (16,5 uur): melden bij de leerplichtambtenaar.",
        );
        self.absence_case(
            un,
            &[(22, 4.0, u), (15, 4.0, u), (8, 4.0, u), (1, 4.0, u)],
            true,
            "Vier ochtenden van 4 uur ongeoorloofd in vier weken: precies 16 uur, melden.",
        );
        self.absence_case(
            un,
            &[
                (24, 1.0, u),
                (20, 1.0, u),
                (17, 1.0, u),
                (13, 5.5, u),
                (9, 1.0, u),
                (6, 1.0, u),
                (1, 5.5, u),
            ],
            true,
            "Vaak te laat en twee dagen weg zonder reden: 16 uur in vier weken, melden.",
        );
        self.absence_case(
            un,
            &[(15, 5.5, u), (8, 5.5, u), (4, 5.5, z), (1, 4.5, u)],
            false,
            "15,5 uur ongeoorloofd verzuim in vier weken (en een dag ziek): nog geen meldplicht.",
        );
        self.absence_case(
            un,
            &[(70, 5.5, u), (36, 5.5, u), (1, 5.5, u)],
            false,
            "16,5 uur ongeoorloofd, maar verspreid over tien weken: geen vier weken met 16 uur.",
        );
        self.absence_case(
            un,
            &[(10, 5.5, u), (8, 5.5, g), (7, 5.5, g), (3, 5.5, u)],
            false,
            "22 uur afwezig in twee weken, waarvan 11 uur ongeoorloofd: geen meldplicht.",
        );
        let sick = "frequent_sick_absence";
        self.absence_case(
            sick,
            &[(70, 5.5, z), (49, 5.5, z), (28, 5.5, z), (1, 5.5, z)],
            true,
            "Vier ziekmeldingen in tien weken: gesprek met ouders en jeugdarts (JGZ).",
        );
        self.absence_case(
            sick,
            &[
                (60, 5.5, z),
                (59, 5.5, z),
                (45, 5.5, z),
                (30, 5.5, z),
                (15, 5.5, z),
                (1, 5.5, z),
            ],
            true,
            "Vijf ziekmeldingen in negen weken (een van twee dagen): gesprek met ouders en JGZ.",
        );
        self.absence_case(
            sick,
            &[(40, 5.5, z), (30, 2.5, z), (20, 5.5, z), (1, 2.5, z)],
            true,
            "Vier ziekmeldingen in zes weken, twee daarvan halve dagen: gesprek met ouders en JGZ.",
        );
        // Near misses. Three sick school days in a row are one ziekmelding.
        let pid = self.pupil();
        let mut run = Vec::new();
        let mut d = self.weekday_back(21);
        while run.len() < 3 {
            if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                run.push(d);
            }
            d = d + Days::new(1);
        }
        let (first, last) = (self.weekday_back(56), self.weekday_back(1));
        for day in [first].into_iter().chain(run).chain([last]) {
            self.absence(pid, day, 5.5, z);
        }
        self.expect(
            sick,
            pid,
            None,
            false,
            None,
            "Vijf dagen ziek in acht weken, maar drie daarvan aaneen: drie ziekmeldingen, geen signaal.",
        );
        self.absence_case(
            sick,
            &[(120, 5.5, z), (80, 5.5, z), (40, 5.5, z), (1, 5.5, z)],
            false,
            "Vier ziekmeldingen, maar verspreid over zeventien weken: geen signaal.",
        );
        self.absence_case(
            sick,
            &[(50, 5.5, z), (30, 5.5, z), (20, 1.5, g), (10, 5.5, z)],
            false,
            "Drie ziekmeldingen en een artsbezoek (geoorloofd) in zes weken: geen signaal.",
        );
    }
}
