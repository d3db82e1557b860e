//! Planted result histories: `dmt_three_lowest`, `eed_check`, `lowest_level_repeated`,
//! `level_drop`, `no_growth` (fires and near-misses).

use chrono::NaiveDate;

use super::{Planter, Row};
use crate::generator::catalog::TestDef;
use crate::model::StatedMoment;

/// A DMT case: rows (date, moment, level, percentile, 2009 norms), EED criterion, description.
type DmtCase<'s> = (
    Vec<(NaiveDate, Option<StatedMoment>, &'s str, Option<u8>, bool)>,
    Option<&'s str>,
    &'s str,
);
/// A one-test case: test, rows, fires, description.
type TestCase<'s> = (&'s TestDef, Vec<Row<'s>>, bool, &'s str);
/// A no-growth case: (test, row) pairs, domain, fires, description.
type GrowthCase<'s> = (Vec<(&'s TestDef, Row<'s>)>, &'s str, bool, &'s str);

impl Planter<'_, '_> {
    pub(super) fn dmt(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let w = Some("word_reading");
        let rule = "dmt_three_lowest";
        let cases: Vec<DmtCase<'_>> = vec![
            (
                vec![
                    (d.m25, m, "IV:IV", Some(30), false),
                    (d.e25, e, "IV:V-", Some(4), false),
                    (d.m26, m, "IV:V-", Some(8), false),
                    (d.e26, e, "IV:V-", Some(6), false),
                ],
                Some("met"),
                "Drie keer V- (P4, P8, P6) op de DMT: vuurt, EED-criterium gehaald.",
            ),
            (
                vec![
                    (d.e25, e, "AE:E", Some(7), true),
                    (d.m26, m, "IV:V-", Some(5), false),
                    (d.e26, e, "AE:E", Some(9), true),
                ],
                Some("met"),
                "E, V-, E met percentielen (P7, P5, P9), DMT-normen 2009 (A–E) en 2018 (I–V) door elkaar rond de overstap Cito→IEP: vuurt, EED gehaald.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V", None, false),
                    (d.m26, m, "IV:V", None, false),
                    (d.e26, e, "IV:V", None, false),
                ],
                Some("unknown"),
                "Drie keer een kale V zonder percentiel: vuurt, EED-criterium onbekend.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V", Some(18), false),
                    (d.m26, m, "IV:V-", Some(6), false),
                    (d.e26, e, "IV:V", Some(15), false),
                ],
                Some("not_met"),
                "V (P18), V- (P6), V (P15): vuurt, EED niet gehaald (niet alle drie ≤ P10).",
            ),
            (
                vec![
                    (d.e25, e, "IV:V-", Some(3), false),
                    (d.m26, m, "AE:E", Some(2), true),
                    (d.e26, e, "IV:V-", Some(9), false),
                ],
                Some("met"),
                "V- (P3), E (P2, norm 2009), V- (P9): vuurt, EED gehaald.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V", Some(15), false),
                    (d.m26, m, "IV:IV", Some(30), false),
                    (d.e26, e, "IV:V", Some(12), false),
                ],
                None,
                "Near-miss: V, IV, V: de middelste hoofdmeting is IV, vuurt niet.",
            ),
            (
                vec![
                    (d.e25, e, "IV:III", Some(45), false),
                    (d.m26, m, "IV:V", Some(14), false),
                    (d.tussen, None, "IV:V", Some(12), false),
                    (d.e26, e, "IV:V", Some(16), false),
                ],
                None,
                "Near-miss: III, V, V als hoofdmetingen; een tussenmeting V in april telt niet mee.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V-", Some(5), false),
                    (d.m26, m, "IV:V-", Some(7), false),
                    (d.e26, e, "IV:V-", Some(4), false),
                    (d.e26_retake, e, "IV:III", Some(45), false),
                ],
                None,
                "Near-miss: de E-meting is herhaald en de laatste afname (III) telt, dus V-, V-, III.",
            ),
            (
                vec![
                    (d.m26, m, "IV:V", Some(12), false),
                    (d.e26, e, "IV:V-", Some(8), false),
                ],
                None,
                "Near-miss: pas twee hoofdmetingen (nieuwe leerling), vuurt nog niet.",
            ),
        ];
        for (rows, eed, desc) in cases {
            let pid = self.pupil();
            for (date, moment, level, pct, old) in rows {
                let t = if old {
                    c.dmt_2009.clone()
                } else {
                    c.dmt_2018.clone()
                };
                self.results(pid, &t, &[(date, moment, level, pct, None)]);
            }
            self.expect(rule, pid, w, eed.is_some(), eed, desc);
            let eed_fires = eed == Some("met");
            let eed_desc = match eed {
                Some("met") => {
                    "EED-check: drie keer in de laagste 10 %, het EED-dossier moet worden nagelopen."
                }
                Some(_) => {
                    "Near-miss EED-check: drie keer V of lager maar niet aantoonbaar in de laagste 10 %."
                }
                None => "Near-miss EED-check: geen drie keer V of lager op de DMT.",
            };
            self.expect("eed_check", pid, w, eed_fires, None, eed_desc);
        }
    }

    /// The ESIS-like school's cases (issue 12): its results reach Zorgsignaal as UWLR
    /// `leerresultaten_verzoek` messages of the mock test publisher, without a stated moment
    /// (UWLR has none), so the moment comes from the date.
    pub(super) fn dmt_uwlr(&mut self) {
        let d = self.dates();
        let dmt = self.cat().dmt_2018.clone();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let w = Some("word_reading");
        let cases: [(Vec<Row<'_>>, Option<&str>, &str); 2] = [
            (
                vec![
                    (d.e25, e, "IV:V-", Some(4), Some(28.0)),
                    (d.m26, m, "IV:V-", Some(8), Some(31.0)),
                    (d.e26, e, "IV:V-", Some(6), Some(35.0)),
                ],
                Some("met"),
                "UWLR (ESIS-achtige school): drie keer V- (P4, P8, P6) op de DMT, geleverd door de toetsuitgever: vuurt, EED-criterium gehaald.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V", Some(15), None),
                    (d.m26, m, "IV:IV", Some(30), None),
                    (d.e26, e, "IV:V", Some(12), None),
                ],
                None,
                "UWLR (ESIS-achtige school), near-miss: V, IV, V op de DMT: vuurt niet.",
            ),
        ];
        for (rows, eed, desc) in cases {
            let pid = self.pupil();
            self.results(pid, &dmt, &rows);
            self.expect("dmt_three_lowest", pid, w, eed.is_some(), eed, desc);
        }
    }

    /// Issue 16: the seven-level display (I+), a P15 triple, a missed round and two norms of one
    /// sitting that disagree.
    pub(super) fn dmt_levels_and_rounds(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let w = Some("word_reading");
        let rule = "dmt_three_lowest";

        // I+ on rekenen from the same source: seven levels, so a plain V is P11-20.
        let pid = self.pupil();
        let rekenen = c.cito[0].clone();
        self.results(pid, &rekenen, &[(d.m25, m, "IV:I+", None, None)]);
        let dmt = c.dmt_2018.clone();
        self.results(
            pid,
            &dmt,
            &[
                (d.e25, e, "IV:V", None, None),
                (d.m26, m, "IV:V", None, None),
                (d.e26, e, "IV:V", None, None),
            ],
        );
        self.expect(
            rule,
            pid,
            w,
            true,
            Some("not_met"),
            "Zeven niveaus (I+ bij rekenen): drie keer een kale V op de DMT is P11-20, vuurt met EED niet gehaald (medium, begeleiding intensiveren).",
        );
        self.expect(
            "eed_check",
            pid,
            w,
            false,
            None,
            "Near-miss ED-check: drie keer V in de zevenniveauweergave is niet de laagste 10 %.",
        );

        // P15 triple.
        let pid = self.pupil();
        self.results(
            pid,
            &dmt,
            &[
                (d.e25, e, "IV:V", Some(15), None),
                (d.m26, m, "IV:V", Some(14), None),
                (d.e26, e, "IV:V", Some(16), None),
            ],
        );
        self.expect(
            rule,
            pid,
            w,
            true,
            Some("not_met"),
            "Drie keer V op P15, P14, P16: vuurt met EED niet gehaald (medium, begeleiding intensiveren).",
        );
        self.expect(
            "eed_check",
            pid,
            w,
            false,
            None,
            "Near-miss ED-check: P14-P16 is niet de laagste 10 %.",
        );

        // Missed round: M, (no E), M, E.
        let pid = self.pupil();
        self.results(
            pid,
            &dmt,
            &[
                (d.m25, m, "IV:V-", Some(5), None),
                (d.m26, m, "IV:V-", Some(4), None),
                (d.e26, e, "IV:V-", Some(6), None),
            ],
        );
        self.expect(
            rule,
            pid,
            w,
            true,
            Some("met"),
            "Gemiste hoofdmeting (M, -, M, E) met drie keer V-: vuurt, EED gehaald; de uitleg noemt de gemiste ronde.",
        );
        self.expect(
            "eed_check",
            pid,
            w,
            true,
            None,
            "ED-check bij een gemiste hoofdmeting: vuurt en noemt de ontbrekende ronde in de dossiercheck.",
        );

        // Two norms of one sitting: a 2009 E beside P14; the percentile decides.
        let pid = self.pupil();
        let old = c.dmt_2009.clone();
        self.results(pid, &dmt, &[(d.e25, e, "IV:V-", Some(5), None)]);
        self.results(pid, &old, &[(d.m26, m, "AE:E", Some(14), None)]);
        self.results(pid, &dmt, &[(d.e26, e, "IV:V-", Some(3), None)]);
        self.expect(
            rule,
            pid,
            w,
            true,
            Some("not_met"),
            "V- (P5), E naast P14 (norm 2009 tegen percentiel), V- (P3): het percentiel beslist, EED niet gehaald.",
        );
        self.expect(
            "eed_check",
            pid,
            w,
            false,
            None,
            "Near-miss ED-check: de afname met E en P14 telt als P14.",
        );
    }

    /// Issue 16 item 4: three V- on the DMT (the criterion met) and a dyslexieverklaring in
    /// ParnasSys (stream `dyslexieverklaringen`, fact and date only): dyslexia is established, so no
    /// "dyslexieonderzoek overwegen", no ED check and no repeated-lowest-level signal on word
    /// reading. Once with the statement's date, once without one.
    pub(super) fn dyslexia_statements(&mut self) {
        let d = self.dates();
        let dmt = self.cat().dmt_2018.clone();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let w = Some("word_reading");
        let cases = [
            (
                Some(d.m26),
                "Drie keer V- (P4, P6, P5) op de DMT en een dyslexieverklaring (met datum) in ParnasSys: geen dyslexieonderzoek meer adviseren.",
            ),
            (
                None,
                "Drie keer V- op de DMT en een dyslexieverklaring zonder datum in ParnasSys: telt ook, vuurt niet.",
            ),
        ];
        for (stated_on, desc) in cases {
            let pid = self.pupil();
            self.results(
                pid,
                &dmt,
                &[
                    (d.e25, e, "IV:V-", Some(4), None),
                    (d.m26, m, "IV:V-", Some(6), None),
                    (d.e26, e, "IV:V-", Some(5), None),
                ],
            );
            let id = self.g.id();
            self.g
                .school
                .dyslexieverklaringen
                .push(crate::model::DyslexiaStatement {
                    id,
                    leerling_id: pid,
                    datum: stated_on,
                });
            self.expect("dmt_three_lowest", pid, w, false, None, desc);
            self.expect(
                "eed_check",
                pid,
                w,
                false,
                None,
                "Dyslexieverklaring aanwezig: geen ED-dossiercheck meer.",
            );
            self.expect(
                "lowest_level_repeated",
                pid,
                w,
                false,
                None,
                "Dyslexieverklaring aanwezig: geen signaal 'herhaald laagste niveau' op woordlezen.",
            );
        }
    }

    pub(super) fn lowest_level_repeated(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, bl, iep_lv) = (
            c.cito[0].clone(),
            c.cito[1].clone(),
            c.cito[2].clone(),
            c.iep[2].clone(),
        );
        let cases: Vec<TestCase<'_>> = vec![
            (
                &rw,
                vec![
                    (d.e25, e, "IV:III", Some(50), None),
                    (d.m26, m, "IV:V", Some(15), None),
                    (d.e26, e, "IV:V-", Some(8), None),
                ],
                true,
                "Rekenen V (P15) en daarna V- (P8): twee keer V of lager, vuurt.",
            ),
            (
                &sp,
                vec![
                    (d.e25, e, "IV:IV", Some(35), None),
                    (d.m26, m, "IV:V", None, None),
                    (d.e26, e, "IV:V", None, None),
                ],
                true,
                "Spelling twee keer een kale V: V telt als V of lager, vuurt.",
            ),
            (
                &bl,
                vec![
                    (d.m26, m, "IV:V", Some(20), None),
                    (d.e26, e, "IV:V-", Some(10), None),
                ],
                true,
                "Begrijpend lezen V (P20) en V- (P10): vuurt.",
            ),
            (
                &rw,
                vec![
                    (d.m26, m, "IV:V", Some(15), None),
                    (d.tussen, None, "IV:V", Some(12), None),
                    (d.e26, e, "IV:IV", Some(30), None),
                ],
                false,
                "Near-miss: V, tussenmeting V, IV: de tussenmeting telt niet mee.",
            ),
            (
                &rw,
                vec![
                    (d.e25, e, "IV:V", Some(18), None),
                    (d.m26, m, "IV:IV", Some(28), None),
                    (d.e26, e, "IV:V", Some(19), None),
                ],
                false,
                "Near-miss: V, IV, V: nooit twee opeenvolgende hoofdmetingen op V.",
            ),
            (
                &sp,
                vec![
                    (d.m26, m, "IV:IV", Some(22), None),
                    (d.e26, e, "IV:V-", Some(6), None),
                ],
                false,
                "Near-miss: IV (P22) en V- (P6): P22 is geen V of lager.",
            ),
            (
                &iep_lv,
                vec![
                    (d.m26, m, "RNTRM:<1F", None, None),
                    (d.e26, e, "RNTRM:<1F", None, None),
                ],
                false,
                "Near-miss: IEP met alleen referentieniveau <1F: geen niveau, telt niet.",
            ),
        ];
        for (t, rows, fires, desc) in cases {
            let pid = self.pupil();
            self.results(pid, t, &rows);
            self.expect("lowest_level_repeated", pid, Some(t.domain), fires, None, desc);
        }
    }

    pub(super) fn level_drop(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, dmt9) = (c.cito[0].clone(), c.cito[1].clone(), c.dmt_2009.clone());
        let cases: Vec<(&TestDef, Vec<Row<'_>>, bool, &str)> = vec![
            (
                &rw,
                vec![
                    (d.m26, m, "IV:II", Some(70), None),
                    (d.e26, e, "IV:IV", Some(30), None),
                ],
                true,
                "Rekenen van II naar IV: twee niveaus gedaald, vuurt.",
            ),
            (
                &sp,
                vec![
                    (d.m26, m, "IV:I", Some(88), None),
                    (d.e26, e, "IV:IV", Some(36), None),
                ],
                true,
                "Spelling van I naar IV: drie niveaus gedaald, vuurt.",
            ),
            (
                &dmt9,
                vec![
                    (d.m26, m, "AE:B", Some(60), None),
                    (d.e26, e, "AE:D", Some(22), None),
                ],
                true,
                "DMT (A–E) van B naar D: twee niveaus gedaald, vuurt.",
            ),
            (
                &rw,
                vec![
                    (d.m26, m, "IV:II", Some(70), None),
                    (d.e26, e, "IV:III", Some(50), None),
                ],
                false,
                "Near-miss: II naar III is één niveau.",
            ),
            (
                &rw,
                vec![
                    (d.m26, m, "IV:II", Some(65), None),
                    (d.tussen, None, "IV:IV", Some(30), None),
                    (d.e26, e, "IV:III", Some(45), None),
                ],
                false,
                "Near-miss: de tussenmeting IV telt niet; II naar III is één niveau.",
            ),
            (
                &sp,
                vec![
                    (d.e25, e, "IV:III", Some(45), None),
                    (d.m26, m, "IV:IV", Some(35), None),
                    (d.e26, e, "IV:V", Some(18), None),
                ],
                false,
                "Near-miss: III, IV, V: steeds één niveau per stap.",
            ),
        ];
        for (t, rows, fires, desc) in cases {
            let pid = self.pupil();
            self.results(pid, t, &rows);
            self.expect("level_drop", pid, Some(t.domain), fires, None, desc);
        }
    }

    pub(super) fn no_growth(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, bl, iep_tv) = (
            c.cito[0].clone(),
            c.cito[1].clone(),
            c.cito[2].clone(),
            c.iep[1].clone(),
        );
        let mid = "IV:III";
        // Like with like (issue 16, item 9): the latest round against the same round a year
        // earlier (E→E, M→M), beyond the default margin of 5 points.
        let cases: Vec<GrowthCase<'_>> = vec![
            (
                vec![
                    (&rw, (d.e25, e, mid, Some(50), Some(160.0))),
                    (&rw, (d.m26, m, mid, Some(50), Some(165.0))),
                    (&rw, (d.e26, e, mid, Some(45), Some(152.0))),
                ],
                "mathematics",
                true,
                "Rekenen E 160 en een jaar later E 152: gedaald, meer dan de meetfout, vuurt.",
            ),
            (
                vec![
                    (&sp, (d.m25, m, mid, Some(50), Some(140.0))),
                    (&sp, (d.e25, e, mid, Some(50), Some(146.0))),
                    (&sp, (d.m26, m, mid, Some(45), Some(133.0))),
                ],
                "spelling",
                true,
                "Spelling M 140 en een jaar later M 133: gedaald, vuurt.",
            ),
            (
                vec![
                    (&bl, (d.e25, e, mid, Some(50), Some(120.0))),
                    (&bl, (d.e26, e, mid, Some(45), Some(112.0))),
                ],
                "reading_comprehension",
                true,
                "Begrijpend lezen E 120 en een jaar later E 112: gedaald, vuurt.",
            ),
            (
                vec![
                    (&rw, (d.e25, e, mid, Some(50), Some(150.0))),
                    (&rw, (d.e26, e, mid, Some(50), Some(158.0))),
                ],
                "mathematics",
                false,
                "Near-miss: E 150 en een jaar later E 158 is groei.",
            ),
            (
                vec![
                    (&sp, (d.e25, e, mid, Some(50), Some(150.0))),
                    (&iep_tv, (d.m26, m, "", None, Some(80.0))),
                    (&iep_tv, (d.e26, e, "", None, Some(76.0))),
                ],
                "spelling",
                false,
                "Near-miss: Cito 150 en daarna IEP 80 en 76: andere schaal, niet vergelijken; binnen IEP geen \
                 ronde van een jaar eerder.",
            ),
            (
                vec![
                    (&rw, (d.e25, e, mid, Some(50), Some(150.0))),
                    (&rw, (d.tussen, None, mid, Some(45), Some(140.0))),
                    (&rw, (d.e26, e, mid, Some(50), Some(158.0))),
                ],
                "mathematics",
                false,
                "Near-miss: de lagere tussenmeting (140) telt niet; E 150 naar E 158 is groei.",
            ),
            (
                vec![
                    (&rw, (d.m25, m, mid, Some(50), Some(150.0))),
                    (&rw, (d.e25, e, mid, Some(50), Some(160.0))),
                    (&rw, (d.m26, m, mid, Some(50), Some(152.0))),
                ],
                "mathematics",
                false,
                "Near-miss: zomerdip E 160 naar M 152 telt niet; M 150 naar M 152 is groei.",
            ),
            (
                vec![
                    (&bl, (d.e25, e, mid, Some(50), Some(130.0))),
                    (&bl, (d.e26, e, mid, Some(45), Some(127.0))),
                ],
                "reading_comprehension",
                false,
                "Near-miss: E 130 en een jaar later E 127: binnen de meetfout van 5 punten.",
            ),
        ];
        for (rows, domain, fires, desc) in cases {
            let pid = self.pupil();
            for (t, row) in rows {
                self.results(pid, t, &[row]);
            }
            self.expect("no_growth", pid, Some(domain), fires, None, desc);
        }
    }
}
