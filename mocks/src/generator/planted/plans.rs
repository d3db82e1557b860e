//! Planted plan histories: `plan_evaluation_due`, `plan_evaluation_overdue`,
//! `opp_yearly_evaluation`, `plan_ineffective`, and `signal_without_plan` (fires and near-misses).

use chrono::{Datelike, Days, NaiveDate};

use super::{Eval, Planter};
use crate::generator::catalog::ymd;
use crate::model::StatedMoment;

/// Rule, kind, domain, ladder index, start, end, due (days from `as_of`), evaluations, fires, text.
type PlanCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    usize,
    i64,
    Option<i64>,
    Option<i64>,
    Vec<(i64, &'static str)>,
    bool,
    &'static str,
);
/// Kind, start, end, evaluations, fires, text.
type OppCase = (
    &'static str,
    NaiveDate,
    Option<NaiveDate>,
    Vec<Eval>,
    bool,
    &'static str,
);
/// Plans (domain, ladder index, outcome), expected domain, fires, text.
type IneffectiveCase = (
    Vec<(&'static str, usize, &'static str)>,
    Option<&'static str>,
    bool,
    &'static str,
);

impl Planter<'_, '_> {
    pub(super) fn plan_due_and_overdue(&mut self) {
        let (hp, opp) = ("handelingsplan", "opp");
        let (a2, b1) = (1, 2);
        let cases: Vec<PlanCase> = vec![
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
                Some(-10),
                vec![],
                true,
                "Evaluatiedatum tien dagen verstreken zonder evaluatie (meer dan de week speling): vuurt.",
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

    /// A holiday from 7 to 13 days after `as_of` in the school's calendar, and a plan whose
    /// computed deadline crosses it (issue 16 item 11). The holiday lies after every other planted
    /// plan window (they end at `as_of` + 6 days or hold either way), so no earlier case moves.
    pub(super) fn holiday_crossing(&mut self) {
        let (from, to) = (self.day(7), self.day(13));
        self.g.school.vakanties.push(crate::model::Vacation {
            van: from,
            tot: to,
            naam: "vakantie (testgeval)".into(),
        });
        let a2 = 1;
        let pid = self.pupil();
        self.plan(
            pid,
            "handelingsplan",
            Some("spelling"),
            a2,
            self.day(-35),
            None,
            None,
            &[],
        );
        let text = "Handelingsplan zonder datum; start + 6 weken (A2) viel over 7 dagen, maar de vakantie over \
                    7 t/m 13 dagen pauzeert de termijn: de evaluatie schuift naar over 14 dagen.";
        self.expect("plan_evaluation_due", pid, None, false, None, text);
        self.expect("plan_evaluation_overdue", pid, None, false, None, text);
        let pid = self.pupil();
        self.plan(
            pid,
            "handelingsplan",
            Some("spelling"),
            a2,
            self.day(-36),
            None,
            None,
            &[],
        );
        self.expect(
            "plan_evaluation_due",
            pid,
            None,
            true,
            None,
            "Handelingsplan zonder datum; start + 6 weken (A2) valt over 6 dagen, de dag vóór de vakantie: vuurt.",
        );
    }

    /// A Leeruniek group plan runs for its own period (M or E) and is due at its own evaluation
    /// date, before the 12-week default (issue 16 item 10). In a group of its own ("X", one planted
    /// pupil), so no other planted pupil is covered by it.
    pub(super) fn group_plan_period(&mut self) {
        let Some(&(_, grade, from)) = self.groups.last() else {
            return;
        };
        let year = from.year();
        let gid = self.g.new_group(year, grade, "X");
        let pid = self.pupil_in(&[(gid, grade, from)]);
        let owner = self.g.ib_owner();
        let level = self.g.ladder_code(1);
        // Rekenen: the period started 100 days ago and ends, with its evaluation date, in 5 days.
        // The 12-week default (start + 84 days) would have made it 16 days late.
        // Technisch lezen: started 79 days ago, ends in 20 days; the default would be in 5 days.
        for (domain, start, end, period) in [
            ("mathematics", -100, 5, StatedMoment::E),
            ("technical_reading", -79, 20, StatedMoment::E),
        ] {
            let id = self.g.id();
            let (start, end) = (self.day(start), self.day(end));
            self.g.school.lu_group_plans.push(crate::model::LuGroupPlan {
                id,
                group_id: gid,
                school_year: crate::generator::catalog::school_year(year),
                period,
                domain: domain.into(),
                title: format!("Groepsplan {} (eigen periode)", domain.replace('_', " ")),
                owner: owner.clone(),
                care_level: Some(level.into()),
                start_date: start,
                end_date: end,
                evaluation_date: end,
                pupil_ids: vec![pid],
                evaluations: Vec::new(),
            });
        }
        let cases = [
            (
                "plan_evaluation_due",
                "mathematics",
                true,
                "Groepsplan (Leeruniek) met eigen periode: de periode eindigt over 5 dagen, dus de evaluatie is \
                 binnenkort; de 12-wekentermijn had hem al 16 dagen te laat genoemd. Vuurt voor de groep.",
            ),
            (
                "plan_evaluation_overdue",
                "mathematics",
                false,
                "Groepsplan met eigen periode die over 5 dagen eindigt: niet te laat (de 12-wekentermijn \
                 na de start telt niet).",
            ),
            (
                "plan_evaluation_due",
                "technical_reading",
                false,
                "Groepsplan met eigen periode tot over 20 dagen: nog niet binnenkort, al valt start + 12 weken \
                 over 5 dagen.",
            ),
        ];
        for (rule, domain, fires, description) in cases {
            self.out.push(super::Expected {
                rule: rule.into(),
                school: self.g.school.brin.clone(),
                pupil_id: pid.to_string(),
                domain: Some(domain.into()),
                expect: if fires { "fires" } else { "silent" }.into(),
                eed_criterion: None,
                as_of: self.as_of,
                description: description.into(),
                group_id: Some(gid.to_string()),
            });
        }
    }

    pub(super) fn opp_yearly(&mut self) {
        let y = self.opp_anchor_year();
        let b1 = 2;
        // The planted school (ladder abcd, seed 000) evaluates an OPP twice a year: by 31 January
        // and by 15 June. November and March of every school year so far, up to the reference date.
        let half_yearly: Vec<(NaiveDate, &'static str)> = (y - 2..=y + 1)
            .flat_map(|year| [ymd(year, 11, 20), ymd(year + 1, 3, 20)])
            .filter(|d| *d >= ymd(y - 2, 10, 1) && *d <= self.as_of)
            .map(|d| (d, "deels_behaald"))
            .collect();
        let cases: Vec<OppCase> = vec![
            (
                "opp",
                ymd(y - 1, 9, 10),
                None,
                vec![],
                true,
                "OPP sinds september, in dat schooljaar niet geëvalueerd vóór 15 juni: vuurt.",
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
                "OPP elk jaar geëvalueerd behalve het schooljaar van de (naderende) 15 juni: vuurt.",
            ),
            (
                "opp",
                ymd(y - 2, 10, 1),
                None,
                half_yearly,
                false,
                "Near-miss: OPP elk half jaar met de ouders geëvalueerd (november en maart), zoals de school het doet (twee keer per jaar).",
            ),
            (
                "opp",
                self.day(-7),
                None,
                vec![],
                false,
                "Near-miss: OPP een week geleden gestart: de eerste evaluatie hoort pas bij een latere datum.",
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

    pub(super) fn ineffective(&mut self) {
        let (a1, a2, b1) = (0, 1, 2);
        let n = "niet_behaald";
        let cases: Vec<IneffectiveCase> = vec![
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

    pub(super) fn without_plan(&mut self) {
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
                (d.m26, m, "IV:V-", Some(9), None),
            ],
        );
        self.expect(
            rule,
            pid,
            Some("mathematics"),
            true,
            None,
            "Rekenen V en V- (laatste in januari), geen plan: signaal staat al maanden open, vuurt.",
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
            false,
            None,
            "Near-miss (issue 17): drie keer V- op de DMT, geen plan: het DMT-signaal en de ED-check vragen de IB \
             zelf naar de leeshulp; een planverzoek erbovenop zegt hetzelfde nog eens.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &sp,
            &[
                (d.e25, e, "IV:III", Some(50), None),
                (d.m26, m, "IV:V", Some(15), None),
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
            "Spelling twee niveaus gedaald naar V (P50 naar P15); het lopende plan gaat over rekenen, niet over \
             spelling: vuurt.",
        );
        let bl = c.cito[2].clone();
        let pid = self.pupil();
        self.results(
            pid,
            &bl,
            &[
                (d.e25, e, "IV:V", Some(18), None),
                (d.m26, m, "IV:V-", Some(8), None),
            ],
        );
        self.expect(
            rule,
            pid,
            Some("reading_comprehension"),
            true,
            None,
            "Begrijpend lezen V (P18) en V- (P8), laatste in januari, geen plan: vuurt.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &sp,
            &[
                (d.e25, e, "IV:II", Some(75), None),
                (d.m26, m, "IV:IV", Some(25), None),
            ],
        );
        self.expect(
            rule,
            pid,
            Some("spelling"),
            false,
            None,
            "Near-miss (issue 17): spelling gedaald van II (P75) naar IV (P25), geen plan: een daling die niet in \
             niveau V eindigt is voor de groepsbespreking, niet voor een individueel plan.",
        );
        let pid = self.pupil();
        self.results(
            pid,
            &rw,
            &[
                (d.e25, e, "IV:V", Some(12), None),
                (d.m26, m, "IV:V-", Some(9), None),
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
            "Near-miss: rekenen V en V- maar er loopt een handelingsplan rekenen.",
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
