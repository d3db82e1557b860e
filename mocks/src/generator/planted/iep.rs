//! Planted cases of issue 16: a school that switched from Cito to IEP (seed 004) with old Cito
//! runs (`lowest_level_repeated`, `level_drop` silent; `reference_level_low` fires on the IEP
//! years), and AVI stagnation (`avi_stagnation`).

use chrono::{Datelike, NaiveDate};

use super::{Planter, Row};
use crate::generator::catalog::{TestDef, ymd};
use crate::model::StatedMoment;

/// An AVI row: date, stated moment, `AVI:<level>`.
type AviRow<'s> = (NaiveDate, Option<StatedMoment>, &'s str);
/// A case: test and rows, rule, domain, fires, description.
type Case<'s> = (Vec<(&'s TestDef, Row<'s>)>, &'s str, &'s str, bool, &'s str);

impl Planter<'_, '_> {
    pub(super) fn iep_school(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, iep_rk, iep_tv, iep_lv) = (
            c.cito[0].clone(),
            c.cito[1].clone(),
            c.iep[0].clone(),
            c.iep[1].clone(),
            c.iep[2].clone(),
        );
        // The Cito years: a year before the first of the usual dates.
        let (m24, e24) = (ymd(d.m25.year() - 1, 1, 27), ymd(d.e25.year() - 1, 6, 5));
        let cases: Vec<Case<'_>> = vec![
            (
                vec![
                    (&rw, (m24, m, "IV:V", Some(14), None)),
                    (&rw, (e24, e, "IV:V-", Some(6), None)),
                    (&iep_rk, (d.m25, m, "RNTRM:1F", None, Some(70.0))),
                    (&iep_rk, (d.e25, e, "RNTRM:1F", None, Some(74.0))),
                    (&iep_rk, (d.m26, m, "RNTRM:<1F", None, Some(72.0))),
                    (&iep_rk, (d.e26, e, "RNTRM:<1F", None, Some(75.0))),
                ],
                "lowest_level_repeated",
                "mathematics",
                false,
                "IEP-school (seed 004): oude Cito-reeks V, V- bij rekenen, daarna IEP-rondes met alleen een \
                 referentieniveau: de Cito-reeks is niet meer actueel, vuurt niet.",
            ),
            (
                vec![
                    (&sp, (m24, m, "IV:I", Some(90), None)),
                    (&sp, (e24, e, "IV:IV", Some(30), None)),
                    (&iep_tv, (d.m25, m, "RNTRM:2F", None, Some(80.0))),
                    (&iep_tv, (d.e25, e, "RNTRM:2F", None, Some(84.0))),
                    (&iep_tv, (d.m26, m, "RNTRM:<1F", None, Some(83.0))),
                    (&iep_tv, (d.e26, e, "RNTRM:1F", None, Some(86.0))),
                ],
                "level_drop",
                "spelling",
                false,
                "IEP-school: oude Cito-daling I naar IV bij spelling, daarna IEP-rondes: niet meer actueel, \
                 vuurt niet.",
            ),
            (
                vec![
                    (&rw, (m24, m, "IV:V", Some(14), None)),
                    (&rw, (e24, e, "IV:V", Some(12), None)),
                    (&iep_rk, (d.m26, m, "RNTRM:<1F", None, None)),
                    (&iep_rk, (d.e26, e, "RNTRM:<1F", None, None)),
                ],
                "reference_level_low",
                "mathematics",
                true,
                "IEP-school: oude Cito-reeks V, V; op de IEP-rondes daarna twee keer onder 1F (vanaf groep 6): \
                 vuurt.",
            ),
            (
                vec![(&iep_tv, (d.e26, e, "RNTRM:<1F", None, None))],
                "reference_level_low",
                "spelling",
                true,
                "IEP taalverzorging onder 1F in de laatste ronde (groep 6 of hoger): vuurt.",
            ),
            (
                vec![
                    (&iep_lv, (d.m26, m, "RNTRM:1F", None, None)),
                    (&iep_lv, (d.e26, e, "RNTRM:<1F", None, None)),
                ],
                "reference_level_low",
                "reading_comprehension",
                true,
                "IEP lezen met begrip 1F en daarna onder 1F: vuurt.",
            ),
            (
                vec![
                    (&iep_rk, (d.m26, m, "RNTRM:<1F", None, None)),
                    (&iep_rk, (d.e26, e, "RNTRM:1F", None, None)),
                ],
                "reference_level_low",
                "mathematics",
                false,
                "Near-miss: IEP rekenen onder 1F en daarna 1F: hersteld, vuurt niet.",
            ),
            (
                vec![
                    (&iep_rk, (d.m26, m, "RNTRM:<1F", None, None)),
                    (&rw, (d.e26, e, "IV:III", Some(50), None)),
                ],
                "reference_level_low",
                "mathematics",
                false,
                "Near-miss: IEP onder 1F, maar in de laatste ronde rekenen een andere toets: niet meer actueel.",
            ),
            (
                vec![(&iep_tv, (d.e26, e, "RNTRM:2F", None, None))],
                "reference_level_low",
                "spelling",
                false,
                "Near-miss: IEP taalverzorging 2F: vuurt niet.",
            ),
        ];
        for (i, (rows, rule, domain, fires, desc)) in cases.into_iter().enumerate() {
            let pid = self.pupil_ahead();
            for (t, row) in rows {
                self.results(pid, t, &[row]);
            }
            self.expect(rule, pid, Some(domain), fires, None, desc);
            if i == 0 {
                self.expect(
                    "reference_level_low",
                    pid,
                    Some(domain),
                    true,
                    None,
                    "IEP-school: dezelfde leerling staat op de laatste twee IEP-rondes onder 1F: vuurt.",
                );
            }
        }
        // Too early: below 1F in groep 4 or 5 is no signal yet (the usual pupils).
        let pid = self.pupil();
        self.results(
            pid,
            &iep_rk,
            &[
                (d.m25, m, "RNTRM:<1F", None, None),
                (d.e25, e, "RNTRM:<1F", None, None),
            ],
        );
        self.expect(
            "reference_level_low",
            pid,
            Some("mathematics"),
            false,
            None,
            "Near-miss: IEP rekenen onder 1F in groep 4/5: pas vanaf groep 6 een signaal.",
        );
    }

    pub(super) fn avi(&mut self) {
        let d = self.dates();
        let avi = self.cat().avi.clone();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let cases: Vec<(Vec<AviRow<'_>>, bool, &str)> = vec![
            (
                vec![(d.e25, e, "AVI:M4"), (d.m26, m, "AVI:M4"), (d.e26, e, "AVI:M4")],
                true,
                "AVI drie rondes M4: twee rondes geen stijging, vuurt.",
            ),
            (
                vec![(d.e25, e, "AVI:E4"), (d.m26, m, "AVI:M4"), (d.e26, e, "AVI:E4")],
                true,
                "AVI E4, M4, E4: terug op het beginniveau, twee rondes geen stijging, vuurt.",
            ),
            (
                vec![
                    (d.m25, m, "AVI:M4"),
                    (d.e25, e, "AVI:E4"),
                    (d.m26, m, "AVI:E4"),
                    (d.e26, e, "AVI:E4"),
                ],
                true,
                "AVI M4, E4, E4, E4: sinds E4 twee rondes stil, vuurt.",
            ),
            (
                vec![(d.e25, e, "AVI:M4"), (d.m26, m, "AVI:M4"), (d.e26, e, "AVI:E4")],
                false,
                "Near-miss: AVI M4, M4, E4: in de laatste ronde gestegen.",
            ),
            (
                vec![(d.e25, e, "AVI:M4"), (d.m26, m, "AVI:E4"), (d.e26, e, "AVI:E4")],
                false,
                "Near-miss: AVI M4, E4, E4: één ronde zonder stijging.",
            ),
            (
                vec![
                    (d.m26, m, "AVI:M4"),
                    (d.tussen, None, "AVI:M4"),
                    (d.e26, e, "AVI:M4"),
                ],
                false,
                "Near-miss: een AVI-tussenmeting telt niet als ronde: twee hoofdmetingen.",
            ),
        ];
        for (rows, fires, desc) in cases {
            let pid = self.pupil();
            let rows: Vec<Row<'_>> = rows
                .into_iter()
                .map(|(dt, mo, l)| (dt, mo, l, None, None))
                .collect();
            self.results(pid, &avi, &rows);
            self.expect(
                "avi_stagnation",
                pid,
                Some("technical_reading"),
                fires,
                None,
                desc,
            );
        }
    }
}
