//! Planted social-emotional cases (issue 18 item 1): ZIEN!, KanVAS and KiVa measurements for
//! `social_emotional_low` (twice below the signal boundary on one scale), `social_emotional_drop`
//! (two categories down between two measurements) and `social_emotional_not_measured` (an open
//! signal and no measurement this school year once 15 November has passed), each with near misses.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::Planter;
use crate::generator::catalog::{school_year_start, ymd};
use crate::generator::social_emotional::ZIEN_INDICATORS;
use crate::model::SocialEmotional;

/// The day of the school year from which `social_emotional_not_measured` expects the year's first
/// measurement (the rule's default `due_after`).
pub const NOT_MEASURED_DUE: (u32, u32) = (11, 15);

/// One planted measurement: instrument, scale, date, category.
type Meting<'s> = (&'s str, &'s str, NaiveDate, &'s str);

impl Planter<'_, '_> {
    /// The weekday on or before `as_of - days_back`.
    fn se_day(&self, days_back: u64) -> NaiveDate {
        let mut d = self.as_of - Days::new(days_back);
        while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            d = d - Days::new(1);
        }
        d
    }

    /// A new planted pupil with these measurements; a ZIEN! sitting also scores the other
    /// indicators, groen.
    fn se_pupil(&mut self, rows: &[Meting<'_>]) -> u64 {
        let pid = self.pupil();
        let mut all: Vec<(String, String, NaiveDate, String)> = Vec::new();
        for &(instrument, schaal, day, categorie) in rows {
            all.push((instrument.into(), schaal.into(), day, categorie.into()));
        }
        for &(instrument, _, day, _) in rows {
            if instrument != "ZIEN!" {
                continue;
            }
            for indicator in ZIEN_INDICATORS {
                if !all
                    .iter()
                    .any(|(i, s, d, _)| i == "ZIEN!" && s == indicator && *d == day)
                {
                    all.push(("ZIEN!".into(), indicator.into(), day, "groen".into()));
                }
            }
        }
        all.sort_by(|a, b| (a.2, &a.0, &a.1).cmp(&(b.2, &b.0, &b.1)));
        for (instrument, schaal, afnamedatum, categorie) in all {
            let id = self.g.id();
            self.g.school.sociaal_emotioneel.push(SocialEmotional {
                id,
                leerling_id: pid,
                instrument,
                schaal,
                afnamedatum,
                categorie,
            });
        }
        pid
    }

    fn se_case(&mut self, rule: &str, rows: &[Meting<'_>], fires: bool, description: &str) {
        let pid = self.se_pupil(rows);
        self.expect(rule, pid, None, fires, None, description);
    }

    pub(super) fn social_emotional(&mut self) {
        let (z, k, kiva) = ("ZIEN!", "KanVAS", "KiVa monitor");
        let (recent, half_year, earlier, last_year) = (
            self.se_day(10),
            self.se_day(150),
            self.se_day(300),
            self.se_day(370),
        );
        let low = "social_emotional_low";
        self.se_case(
            low,
            &[
                (z, "welbevinden", half_year, "rood"),
                (z, "welbevinden", recent, "rood"),
            ],
            true,
            "ZIEN! welbevinden twee keer achter elkaar rood: onder de signaleringsgrens, leerling bespreken.",
        );
        self.se_case(
            low,
            &[
                (kiva, "gepest worden", last_year, "zorgelijk"),
                (kiva, "gepest worden", recent, "zorgelijk"),
            ],
            true,
            "KiVa-monitor 'gepest worden' twee jaar achter elkaar zorgelijk: leerling bespreken.",
        );
        self.se_case(
            low,
            &[
                (k, "sociale vaardigheden", self.se_day(400), "zeer laag"),
                (k, "sociale vaardigheden", self.se_day(200), "zeer laag"),
                (k, "sociale vaardigheden", self.se_day(20), "zeer laag"),
            ],
            true,
            "KanVAS sociale vaardigheden drie keer zeer laag: onder de signaleringsgrens, leerling bespreken.",
        );
        self.se_case(
            low,
            &[
                (z, "welbevinden", earlier, "rood"),
                (z, "welbevinden", half_year, "groen"),
                (z, "welbevinden", recent, "rood"),
            ],
            false,
            "Near-miss: rood, groen, rood op welbevinden: niet twee keer achter elkaar.",
        );
        self.se_case(
            low,
            &[
                (z, "sociale autonomie", half_year, "oranje"),
                (z, "sociale autonomie", recent, "oranje"),
            ],
            false,
            "Near-miss: twee keer oranje op sociale autonomie: boven de signaleringsgrens.",
        );
        self.se_case(
            low,
            &[
                (z, "welbevinden", half_year, "rood"),
                (z, "betrokkenheid", half_year, "oranje"),
                (z, "welbevinden", recent, "oranje"),
                (z, "betrokkenheid", recent, "rood"),
            ],
            false,
            "Near-miss: rood op welbevinden en daarna rood op betrokkenheid: niet op dezelfde indicator.",
        );
        let drop = "social_emotional_drop";
        self.se_case(
            drop,
            &[
                (z, "betrokkenheid", half_year, "groen"),
                (z, "betrokkenheid", recent, "rood"),
            ],
            true,
            "ZIEN! betrokkenheid van groen naar rood: twee categorieën terug.",
        );
        self.se_case(
            drop,
            &[
                (k, "welbevinden", self.se_day(180), "hoog"),
                (k, "welbevinden", self.se_day(20), "laag"),
            ],
            true,
            "KanVAS welbevinden van hoog naar laag: twee categorieën terug.",
        );
        self.se_case(
            drop,
            &[
                (kiva, "welbevinden op school", last_year, "goed"),
                (kiva, "welbevinden op school", recent, "zorgelijk"),
            ],
            true,
            "KiVa-monitor welbevinden op school van goed naar zorgelijk: twee categorieën terug.",
        );
        self.se_case(
            drop,
            &[
                (k, "welbevinden", self.se_day(180), "gemiddeld"),
                (k, "welbevinden", self.se_day(20), "laag"),
            ],
            false,
            "Near-miss: KanVAS welbevinden van gemiddeld naar laag, een categorie.",
        );
        self.se_case(
            drop,
            &[
                (z, "betrokkenheid", half_year, "groen"),
                (z, "betrokkenheid", recent, "oranje"),
            ],
            false,
            "Near-miss: betrokkenheid van groen naar oranje, een categorie.",
        );
        self.se_case(
            drop,
            &[
                (z, "sociaal initiatief", earlier, "groen"),
                (z, "sociaal initiatief", half_year, "rood"),
                (z, "sociaal initiatief", recent, "groen"),
            ],
            false,
            "Near-miss: sociaal initiatief groen, rood en weer groen: hersteld bij de laatste meting.",
        );
        // Not measured: an open signal from last school year's two rood measurements and nothing
        // in the school year of `as_of`; due from 15 November of that year.
        let year = school_year_start(self.as_of);
        let due = ymd(year, NOT_MEASURED_DUE.0, NOT_MEASURED_DUE.1);
        let (autumn, spring) = (ymd(year - 1, 11, 3), ymd(year, 3, 23));
        let late = self.as_of >= due;
        let nm = "social_emotional_not_measured";
        self.se_case(
            nm,
            &[(z, "welbevinden", autumn, "rood"), (z, "welbevinden", spring, "rood")],
            late,
            if late {
                "Vorig schooljaar twee keer rood op welbevinden en dit schooljaar na 15 november nog geen meting: meting afnemen."
            } else {
                "Vorig schooljaar twee keer rood op welbevinden, dit schooljaar nog geen meting, maar het is nog voor 15 november: nog geen herinnering."
            },
        );
        self.se_case(
            nm,
            &[(z, "betrokkenheid", autumn, "groen"), (z, "betrokkenheid", spring, "rood")],
            late,
            if late {
                "Vorig schooljaar van groen naar rood op betrokkenheid en dit schooljaar na 15 november nog geen meting: meting afnemen."
            } else {
                "Vorig schooljaar van groen naar rood op betrokkenheid, dit schooljaar nog geen meting, maar het is nog voor 15 november: nog geen herinnering."
            },
        );
        self.se_case(
            nm,
            &[
                (kiva, "gepest worden", ymd(year - 1, 2, 10), "zorgelijk"),
                (kiva, "gepest worden", ymd(year, 2, 9), "zorgelijk"),
            ],
            late,
            if late {
                "KiVa 'gepest worden' twee keer zorgelijk, dit schooljaar na 15 november nog geen meting: meting afnemen."
            } else {
                "KiVa 'gepest worden' twee keer zorgelijk, dit schooljaar nog geen meting, maar het is nog voor 15 november: nog geen herinnering."
            },
        );
        self.se_case(
            nm,
            &[
                (z, "welbevinden", ymd(year - 2, 11, 3), "rood"),
                (z, "welbevinden", ymd(year - 1, 3, 23), "rood"),
            ],
            false,
            "Near-miss: twee keer rood, maar twee schooljaren geleden: geen lopend signaal meer, geen herinnering.",
        );
        let this_year = self.se_day(3).max(ymd(year, 8, 20)).min(self.as_of);
        self.se_case(
            nm,
            &[
                (z, "welbevinden", autumn, "rood"),
                (z, "welbevinden", spring, "rood"),
                (k, "welbevinden", this_year, "gemiddeld"),
            ],
            false,
            "Near-miss: het signaal loopt, maar dit schooljaar is al gemeten (KanVAS): geen herinnering.",
        );
        self.se_case(
            nm,
            &[(z, "welbevinden", autumn, "oranje"), (z, "welbevinden", spring, "oranje")],
            false,
            "Near-miss: vorig schooljaar oranje en dit schooljaar niet gemeten, maar er loopt geen sociaal-emotioneel signaal.",
        );
    }
}
