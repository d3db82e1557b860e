//! Planted cases: pupils with hand-specified histories for every rule of DOMAIN.md §6, each with
//! the expected outcome at the dataset's `as_of` (what `--emit-expected` writes).

use chrono::{Datelike, Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::catalog::{self, TestDef, ymd};
use super::school::SchoolGen;
use crate::model::{Membership, Plan, PlanEvaluation, ReferenceScore, StatedMoment, TestResult};

/// One planted expectation (an element of the `--emit-expected` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// Rule id (DOMAIN.md §6).
    pub rule: String,
    /// BRIN of the pupil's school.
    pub school: String,
    /// GKV `leerling.id`.
    pub pupil_id: String,
    /// Learning domain, or null for plan rules.
    pub domain: Option<String>,
    /// `fires` or `silent`.
    pub expect: String,
    /// `met`, `not_met` or `unknown` for `dmt_three_lowest`, else null.
    pub eed_criterion: Option<String>,
    /// Reference date the expectation holds at.
    pub as_of: NaiveDate,
    /// What the case is about (Dutch).
    pub description: String,
}

/// Result row: date, stated moment, `SCALE:LEVEL` (or empty), percentile, ability score.
type Row<'s> = (NaiveDate, Option<StatedMoment>, &'s str, Option<u8>, Option<f64>);
/// Plan evaluation: date and outcome.
type Eval = (NaiveDate, &'static str);

struct Planter<'g, 'a> {
    g: &'g mut SchoolGen<'a>,
    out: Vec<Expected>,
    as_of: NaiveDate,
    groups: Vec<(u64, u8, NaiveDate)>,
    current_group: u64,
}

/// Plants every case into `g` (normally school 0) and returns the expectations.
pub fn plant(g: &mut SchoolGen<'_>, as_of: NaiveDate, first_year: i32, last_year: i32) -> Vec<Expected> {
    let mut groups = Vec::new();
    for year in (last_year - 3).max(first_year)..=last_year {
        let grade = (6 - (last_year - year)) as u8;
        let id = g.new_group(year, grade, "Z");
        groups.push((id, grade, ymd(year, 8, 1)));
    }
    let current_group = groups.last().map(|g| g.0).unwrap_or_default();
    let mut p = Planter {
        g,
        out: Vec::new(),
        as_of,
        groups,
        current_group,
    };
    p.dmt();
    p.lowest_level_repeated();
    p.level_drop();
    p.no_growth();
    p.plan_due_and_overdue();
    p.opp_yearly();
    p.ineffective();
    p.without_plan();
    p.out
}

/// Main-measurement dates anchored on the latest June 15 on or before `as_of`.
struct Dates {
    m25: NaiveDate,
    e25: NaiveDate,
    m26: NaiveDate,
    e26: NaiveDate,
    tussen: NaiveDate,
    e26_retake: NaiveDate,
}

impl Planter<'_, '_> {
    fn anchor_year(&self) -> i32 {
        let y = self.as_of.year();
        if self.as_of >= ymd(y, 6, 15) { y } else { y - 1 }
    }

    fn dates(&self) -> Dates {
        let a = self.anchor_year();
        Dates {
            m25: ymd(a - 1, 1, 29),
            e25: ymd(a - 1, 6, 4),
            m26: ymd(a, 1, 28),
            e26: ymd(a, 6, 3),
            tussen: ymd(a, 4, 8),
            e26_retake: ymd(a, 6, 17),
        }
    }

    fn day(&self, offset: i64) -> NaiveDate {
        if offset >= 0 {
            self.as_of + Days::new(offset.unsigned_abs())
        } else {
            self.as_of - Days::new(offset.unsigned_abs())
        }
    }

    fn pupil(&mut self) -> u64 {
        let born = ymd(self.as_of.year() - 10, 3, 1) + Days::new(self.g.rng().random_range_u64(0..300));
        let idx = self.g.new_pupil(born, true);
        let id = self.g.school.leerlingen[idx].id;
        for &(gid, grade, from) in &self.groups {
            self.g.school.groepsindelingen.push(Membership {
                leerling: id,
                groep: gid,
                vanaf_datum: from,
                tot_datum: None,
                leerjaar: grade,
            });
        }
        id
    }

    fn results(&mut self, pid: u64, test: &TestDef, rows: &[Row<'_>]) {
        for &(date, moment, level, pct, ability) in rows {
            let mut refs = Vec::new();
            if let Some((code, waarde)) = level.split_once(':') {
                refs.push(ReferenceScore {
                    code: code.into(),
                    waarde: waarde.into(),
                });
            }
            if let Some(p) = pct {
                refs.push(ReferenceScore {
                    code: "PC".into(),
                    waarde: p.to_string().into(),
                });
            }
            let id = self.g.id();
            self.g.school.resultaten.push(TestResult {
                id,
                leerling_id: pid,
                toetscode: test.code.clone(),
                toetsonderdeelcode: test.part.clone(),
                toetsnaam: test.name.clone(),
                leverancier: test.provider.clone(),
                afnamedatum: date,
                toetsmoment: moment,
                score: None,
                vaardigheidsscore: ability,
                vaardigheidsschaal: ability.map(|_| test.scale.clone()),
                referentiescores: refs,
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn plan(
        &mut self,
        pid: u64,
        soort: &str,
        domein: Option<&str>,
        level: usize,
        start: NaiveDate,
        end: Option<NaiveDate>,
        due: Option<NaiveDate>,
        evals: &[Eval],
    ) {
        let id = self.g.id();
        let code = self.g.ladder_code(level);
        let owner = self.g.ib_owner();
        self.g.school.plannen.push(Plan {
            id,
            leerling_id: Some(pid),
            groep_id: Some(self.current_group),
            soort: soort.into(),
            domein: domein.map(Into::into),
            titel: format!("Planted {soort} {}", domein.unwrap_or("algemeen")),
            eigenaar: owner,
            zorgniveau: Some(code.into()),
            startdatum: start,
            einddatum: end,
            evaluatiedatum: due,
            minuten_per_week: Some(60),
            evaluaties: evals
                .iter()
                .map(|&(datum, u)| PlanEvaluation {
                    datum,
                    uitkomst: u.into(),
                })
                .collect(),
        });
    }

    fn expect(
        &mut self,
        rule: &str,
        pid: u64,
        domain: Option<&str>,
        fires: bool,
        eed: Option<&str>,
        description: &str,
    ) {
        self.out.push(Expected {
            rule: rule.into(),
            school: self.g.school.brin.clone(),
            pupil_id: pid.to_string(),
            domain: domain.map(Into::into),
            expect: if fires { "fires" } else { "silent" }.into(),
            eed_criterion: eed.map(Into::into),
            as_of: self.as_of,
            description: description.into(),
        });
    }

    fn cat(&self) -> catalog::Catalog {
        catalog::Catalog::new()
    }

    fn dmt(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let w = Some("word_reading");
        let rule = "dmt_three_lowest";
        let cases: Vec<(
            Vec<(NaiveDate, Option<StatedMoment>, &str, Option<u8>, bool)>,
            Option<&str>,
            &str,
        )> = vec![
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

    fn lowest_level_repeated(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, bl, iep_lv) = (
            c.cito[0].clone(),
            c.cito[1].clone(),
            c.cito[2].clone(),
            c.iep[2].clone(),
        );
        let cases: Vec<(&TestDef, Vec<Row<'_>>, bool, &str)> = vec![
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

    fn level_drop(&mut self) {
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

    fn no_growth(&mut self) {
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
        let cases: Vec<(Vec<(&TestDef, Row<'_>)>, &str, bool, &str)> = vec![
            (
                vec![
                    (&rw, (d.e25, e, mid, Some(50), Some(150.0))),
                    (&rw, (d.m26, m, mid, Some(50), Some(160.0))),
                    (&rw, (d.e26, e, mid, Some(45), Some(155.0))),
                ],
                "mathematics",
                true,
                "Rekenen vaardigheidsscore 160 → 155: geen groei, vuurt.",
            ),
            (
                vec![
                    (&sp, (d.m26, m, mid, Some(50), Some(140.0))),
                    (&sp, (d.e26, e, mid, Some(45), Some(140.0))),
                ],
                "spelling",
                true,
                "Spelling 140 → 140: gelijk gebleven, vuurt.",
            ),
            (
                vec![
                    (&bl, (d.e25, e, mid, Some(50), Some(120.0))),
                    (&bl, (d.m26, m, mid, Some(45), Some(118.0))),
                ],
                "reading_comprehension",
                true,
                "Begrijpend lezen 120 → 118: gedaald, vuurt.",
            ),
            (
                vec![
                    (&rw, (d.m26, m, mid, Some(50), Some(150.0))),
                    (&rw, (d.e26, e, mid, Some(50), Some(158.0))),
                ],
                "mathematics",
                false,
                "Near-miss: 150 → 158 is groei.",
            ),
            (
                vec![
                    (&sp, (d.e25, e, mid, Some(50), Some(150.0))),
                    (&iep_tv, (d.m26, m, "", None, Some(80.0))),
                    (&iep_tv, (d.e26, e, "", None, Some(86.0))),
                ],
                "spelling",
                false,
                "Near-miss: Cito 150 en daarna IEP 80 → 86: andere schaal, niet vergelijken; binnen IEP groei.",
            ),
            (
                vec![
                    (&rw, (d.m26, m, mid, Some(50), Some(150.0))),
                    (&rw, (d.tussen, None, mid, Some(45), Some(140.0))),
                    (&rw, (d.e26, e, mid, Some(50), Some(158.0))),
                ],
                "mathematics",
                false,
                "Near-miss: de lagere tussenmeting (140) telt niet; 150 → 158 is groei.",
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

    fn plan_due_and_overdue(&mut self) {
        let (hp, opp) = ("handelingsplan", "opp");
        let (a2, b1) = (1, 2);
        let cases: Vec<(
            &str,
            &str,
            Option<&str>,
            usize,
            i64,
            Option<i64>,
            Option<i64>,
            Vec<(i64, &'static str)>,
            bool,
            &str,
        )> = vec![
            (
                "plan_evaluation_due",
                hp,
                Some("mathematics"),
                a2,
                -38,
                None,
                Some(4),
                vec![],
                true,
                "Handelingsplan met evaluatiedatum over 4 dagen: vuurt.",
            ),
            (
                "plan_evaluation_due",
                hp,
                Some("technical_reading"),
                a2,
                -37,
                None,
                None,
                vec![],
                true,
                "Handelingsplan zonder datum, start + 6 weken (A2) valt over 5 dagen: vuurt.",
            ),
            (
                "plan_evaluation_due",
                opp,
                None,
                b1,
                -200,
                None,
                Some(6),
                vec![(-50, "behaald")],
                true,
                "OPP-handelingsdeel met evaluatiedatum over 6 dagen: vuurt.",
            ),
            (
                "plan_evaluation_due",
                hp,
                Some("mathematics"),
                a2,
                -20,
                None,
                Some(14),
                vec![],
                false,
                "Near-miss: evaluatiedatum over 14 dagen.",
            ),
            (
                "plan_evaluation_due",
                hp,
                Some("spelling"),
                a2,
                -40,
                Some(-10),
                Some(4),
                vec![(-10, "behaald")],
                false,
                "Near-miss: plan is al afgesloten en geëvalueerd.",
            ),
            (
                "plan_evaluation_due",
                hp,
                Some("mathematics"),
                a2,
                -40,
                None,
                Some(-1),
                vec![],
                false,
                "Near-miss: de datum is gisteren verstreken (dat is te laat, niet binnenkort).",
            ),
            (
                "plan_evaluation_due",
                hp,
                Some("spelling"),
                a2,
                -20,
                None,
                None,
                vec![],
                false,
                "Near-miss: start + 6 weken valt pas over 22 dagen.",
            ),
            (
                "plan_evaluation_overdue",
                hp,
                Some("mathematics"),
                a2,
                -43,
                None,
                Some(-1),
                vec![],
                true,
                "Evaluatiedatum gisteren verstreken zonder evaluatie: vuurt.",
            ),
            (
                "plan_evaluation_overdue",
                hp,
                Some("technical_reading"),
                a2,
                -85,
                None,
                None,
                vec![],
                true,
                "Geen datum; start + 6 weken is 43 dagen geleden, geen evaluatie: vuurt.",
            ),
            (
                "plan_evaluation_overdue",
                opp,
                None,
                b1,
                -100,
                None,
                Some(-44),
                vec![],
                true,
                "OPP met evaluatiedatum 44 dagen geleden, nooit geëvalueerd: vuurt.",
            ),
            (
                "plan_evaluation_overdue",
                hp,
                Some("spelling"),
                a2,
                -70,
                None,
                Some(-35),
                vec![(-34, "behaald")],
                false,
                "Near-miss: een dag na de evaluatiedatum geëvalueerd.",
            ),
            (
                "plan_evaluation_overdue",
                hp,
                Some("mathematics"),
                a2,
                -41,
                None,
                Some(1),
                vec![],
                false,
                "Near-miss: evaluatiedatum is morgen.",
            ),
            (
                "plan_evaluation_overdue",
                hp,
                Some("spelling"),
                a2,
                -30,
                None,
                None,
                vec![],
                false,
                "Near-miss: start + 6 weken valt over 12 dagen.",
            ),
        ];
        for (rule, soort, domain, level, start, end, due, evals, fires, desc) in cases {
            let pid = self.pupil();
            let evals: Vec<Eval> = evals.into_iter().map(|(o, u)| (self.day(o), u)).collect();
            let (start, end, due) = (
                self.day(start),
                end.map(|o| self.day(o)),
                due.map(|o| self.day(o)),
            );
            self.plan(pid, soort, domain, level, start, end, due, &evals);
            self.expect(rule, pid, None, fires, None, desc);
        }
    }

    fn opp_yearly(&mut self) {
        let y = self.anchor_year();
        let b1 = 2;
        let cases: Vec<(&str, NaiveDate, Option<NaiveDate>, Vec<Eval>, bool, &str)> = vec![
            (
                "opp",
                ymd(y - 1, 9, 10),
                None,
                vec![],
                true,
                "OPP sinds september, in het afgelopen schooljaar nooit geëvalueerd vóór 15 juni: vuurt.",
            ),
            (
                "opp",
                ymd(y - 2, 10, 1),
                None,
                vec![(ymd(y - 1, 3, 10), "behaald")],
                true,
                "OPP alleen het jaar daarvoor geëvalueerd: vuurt.",
            ),
            (
                "opp",
                ymd(y - 3, 11, 1),
                None,
                vec![
                    (ymd(y - 2, 2, 12), "deels_behaald"),
                    (ymd(y - 1, 2, 10), "behaald"),
                ],
                true,
                "OPP elk jaar geëvalueerd behalve het afgelopen schooljaar: vuurt.",
            ),
            (
                "opp",
                ymd(y - 2, 10, 1),
                None,
                vec![(ymd(y, 2, 9), "behaald")],
                false,
                "Near-miss: OPP in februari van het schooljaar geëvalueerd.",
            ),
            (
                "opp",
                ymd(y, 7, 1),
                None,
                vec![],
                false,
                "Near-miss: OPP pas na 15 juni gestart.",
            ),
            (
                "opp",
                ymd(y - 2, 10, 1),
                Some(ymd(y, 3, 31)),
                vec![],
                false,
                "Near-miss: OPP in maart afgesloten, niet meer actief.",
            ),
            (
                "handelingsplan",
                ymd(y - 1, 9, 10),
                None,
                vec![],
                false,
                "Near-miss: een handelingsplan is geen OPP.",
            ),
        ];
        for (soort, start, end, evals, fires, desc) in cases {
            let pid = self.pupil();
            self.plan(pid, soort, None, b1, start, end, None, &evals);
            self.expect("opp_yearly_evaluation", pid, None, fires, None, desc);
        }
    }

    fn ineffective(&mut self) {
        let (a1, a2, b1) = (0, 1, 2);
        let n = "niet_behaald";
        let cases: Vec<(Vec<(&str, usize, &'static str)>, Option<&str>, bool, &str)> = vec![
            (
                vec![("technical_reading", a2, n), ("technical_reading", a2, n)],
                Some("technical_reading"),
                true,
                "Twee handelingsplannen technisch lezen op A2, beide doel niet behaald: vuurt.",
            ),
            (
                vec![
                    ("mathematics", a2, n),
                    ("mathematics", a2, n),
                    ("mathematics", a2, n),
                ],
                Some("mathematics"),
                true,
                "Drie plannen rekenen op A2 niet behaald: vuurt.",
            ),
            (
                vec![("spelling", a1, n), ("spelling", a1, n)],
                Some("spelling"),
                true,
                "Twee plannen spelling op A1 niet behaald: vuurt.",
            ),
            (
                vec![("mathematics", a2, n), ("mathematics", a2, "deels_behaald")],
                Some("mathematics"),
                false,
                "Near-miss: niet behaald, daarna deels behaald.",
            ),
            (
                vec![("technical_reading", a2, n), ("technical_reading", b1, n)],
                Some("technical_reading"),
                false,
                "Near-miss: twee keer niet behaald maar op verschillende zorgniveaus (A2, B1).",
            ),
            (
                vec![("mathematics", a2, n), ("spelling", a2, n)],
                None,
                false,
                "Near-miss: niet behaald in twee verschillende domeinen.",
            ),
            (
                vec![
                    ("mathematics", a2, n),
                    ("mathematics", a2, "behaald"),
                    ("mathematics", a2, n),
                ],
                Some("mathematics"),
                false,
                "Near-miss: niet, wel, niet behaald: niet opeenvolgend.",
            ),
        ];
        for (plans, domain, fires, desc) in cases {
            let pid = self.pupil();
            for (i, (dom, level, outcome)) in plans.into_iter().enumerate() {
                let start = self.day(-200 + 50 * i as i64);
                let end = start + Days::new(42);
                self.plan(
                    pid,
                    "handelingsplan",
                    Some(dom),
                    level,
                    start,
                    Some(end),
                    Some(end),
                    &[(end, outcome)],
                );
            }
            self.expect("plan_ineffective", pid, domain, fires, None, desc);
        }
    }

    fn without_plan(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, dmt) = (c.cito[0].clone(), c.cito[1].clone(), c.dmt_2018.clone());
        let rule = "signal_without_plan";
        let pid = self.pupil();
        self.results(
            pid,
            &rw,
            &[
                (d.e25, e, "IV:V", Some(12), None),
                (d.m26, m, "IV:V", Some(9), None),
            ],
        );
        self.expect(
            rule,
            pid,
            Some("mathematics"),
            true,
            None,
            "Rekenen twee keer V (laatste in januari), geen plan: signaal staat al maanden open, vuurt.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &dmt,
            &[
                (d.m25, m, "IV:V-", Some(5), None),
                (d.e25, e, "IV:V-", Some(7), None),
                (d.m26, m, "IV:V-", Some(4), None),
            ],
        );
        self.expect(
            rule,
            pid,
            Some("word_reading"),
            true,
            None,
            "Drie keer V- op de DMT (laatste in januari), geen plan: vuurt.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &sp,
            &[
                (d.e25, e, "IV:II", Some(70), None),
                (d.m26, m, "IV:IV", Some(30), None),
            ],
        );
        self.plan(
            pid,
            "handelingsplan",
            Some("mathematics"),
            1,
            self.day(-30),
            None,
            Some(self.day(12)),
            &[],
        );
        self.expect(
            rule,
            pid,
            Some("spelling"),
            true,
            None,
            "Spelling twee niveaus gedaald; het lopende plan gaat over rekenen, niet over spelling: vuurt.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &rw,
            &[
                (d.e25, e, "IV:V", Some(12), None),
                (d.m26, m, "IV:V", Some(9), None),
            ],
        );
        self.plan(
            pid,
            "handelingsplan",
            Some("mathematics"),
            1,
            ymd(d.m26.year(), 2, 20),
            None,
            Some(self.day(10)),
            &[(self.day(-32), "deels_behaald")],
        );
        self.expect(
            rule,
            pid,
            Some("mathematics"),
            false,
            None,
            "Near-miss: rekenen twee keer V maar er loopt een handelingsplan rekenen.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &sp,
            &[
                (d.e25, e, "IV:V", Some(15), None),
                (d.m26, m, "IV:V-", Some(8), None),
            ],
        );
        self.plan(
            pid,
            "opp",
            Some("spelling"),
            2,
            ymd(d.m26.year(), 3, 1),
            None,
            Some(self.day(20)),
            &[(self.day(-60), "deels_behaald")],
        );
        self.expect(
            rule,
            pid,
            Some("spelling"),
            false,
            None,
            "Near-miss: spelling twee keer V of lager, een lopend OPP dekt spelling.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &rw,
            &[
                (d.e26, e, "IV:V", Some(14), None),
                (self.day(-18), m, "IV:V", Some(11), None),
            ],
        );
        self.expect(rule, pid, Some("mathematics"), false, None, "Near-miss: het tweede resultaat is van 18 dagen geleden (als M opgegeven); het signaal staat korter dan 6 weken open.");
    }
}

/// Tiny extension so planting code reads naturally.
trait RangeU64 {
    fn random_range_u64(&mut self, r: std::ops::Range<u64>) -> u64;
}

impl<R: rand::Rng> RangeU64 for R {
    fn random_range_u64(&mut self, r: std::ops::Range<u64>) -> u64 {
        self.random_range(r)
    }
}
