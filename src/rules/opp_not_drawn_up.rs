//! `opp_not_drawn_up`: the school decided that a pupil needs an OPP (ontwikkelingsperspectiefplan)
//! and leerkracht and IB have not drawn it up within the school's term after the decision
//! (default 6 school weeks; issue 18 item 5, seeds 000 and 004). A reminder for the IB while the
//! OPP is not drawn up; it ends once the source records the day it was (the stored signal is then
//! resolved, `engine::SETTLED_WHEN_RECORDED`). Only for an OPP whose source records the procedure
//! (a besluitdatum): an OPP without one says nothing about its drawing up.

use super::finding::Finding;
use super::input::{Evaluate, Rule, RuleInput};
use super::{HistoryPlan, plans, text};

/// Rule id.
pub const RULE_ID: &str = "opp_not_drawn_up";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.opp_not_drawn_up;
    if !p.enabled {
        return Vec::new();
    }
    plans::overdue_opp_steps(input, p.weeks, |pl| pl.decided_on, |pl| pl.drawn_up_on)
        .into_iter()
        .map(|(hp, decided, due)| finding(input, hp, decided, due, p.weeks))
        .collect()
}

fn finding(
    input: &RuleInput<'_>,
    hp: &HistoryPlan,
    decided: chrono::NaiveDate,
    due: chrono::NaiveDate,
    weeks: u32,
) -> Finding {
    let days = text::days((input.as_of - due).num_days());
    let (decided_nl, due_nl) = (text::date(decided), text::date(due));
    plans::opp_step_finding(
        input,
        hp,
        plans::OppStepReminder {
            rule: RULE_ID,
            version: RULE_VERSION,
            window: format!("plan{}-besluit-{decided}", hp.id),
            since: decided,
            note: "besluit OPP; nog niet opgesteld",
            title: format!("OPP opstellen (besloten op {decided_nl})"),
            explanation: format!(
                "Op {decided_nl} is besloten dat de leerling een OPP krijgt. Leerkracht en IB stellen het OPP \
                 binnen {weeks} schoolweken na het besluit op (uiterlijk {due_nl}); het is nog niet als \
                 opgesteld vastgelegd ({days} over de termijn)."
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{PlanKind, SchoolHoliday, Severity, SupportPlan, TaskKind};

    fn fired(p: Pupil, as_of: NaiveDate, ctx: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, ctx)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    /// An OPP registered at the decision of 6 October 2025 (a Monday), changed by `f`.
    fn opp(f: impl FnOnce(&mut SupportPlan)) -> Pupil {
        Pupil::new(7).plan(PlanKind::Opp, None, d(2025, 10, 6), |p| {
            p.decided_on = Some(d(2025, 10, 6));
            f(p);
        })
    }

    #[test]
    fn table() {
        // 6 school weeks after 6 October, no holidays: 17 November.
        let cases: Vec<(&str, Pupil, NaiveDate, bool)> = vec![
            (
                "not drawn up, the day after the term",
                opp(|_| {}),
                d(2025, 11, 18),
                true,
            ),
            (
                "not drawn up, on the last day of the term",
                opp(|_| {}),
                d(2025, 11, 17),
                false,
            ),
            (
                "drawn up within the term",
                opp(|p| p.drawn_up_on = Some(d(2025, 11, 10))),
                d(2025, 12, 1),
                false,
            ),
            (
                "drawn up late: recorded, the reminder stops",
                opp(|p| p.drawn_up_on = Some(d(2025, 11, 24))),
                d(2025, 11, 25),
                false,
            ),
            (
                "drawn up after as_of: not yet on as_of",
                opp(|p| p.drawn_up_on = Some(d(2025, 11, 24))),
                d(2025, 11, 20),
                true,
            ),
            (
                "no besluitdatum: the source does not record the procedure",
                opp(|p| p.decided_on = None),
                d(2026, 3, 1),
                false,
            ),
            (
                "the OPP was closed (the pupil left, the decision withdrawn)",
                opp(|p| p.end = Some(d(2025, 11, 1))),
                d(2025, 11, 20),
                false,
            ),
            (
                "a handelingsplan with a besluitdatum is no OPP",
                Pupil::new(7).plan(PlanKind::ActionPlan, None, d(2025, 10, 6), |p| {
                    p.decided_on = Some(d(2025, 10, 6));
                }),
                d(2025, 12, 1),
                false,
            ),
        ];
        for (name, p, as_of, fires) in cases {
            assert_eq!(!fired(p, as_of, &ctx()).is_empty(), fires, "{name}");
        }
    }

    #[test]
    fn the_explanation_names_the_dates_and_the_task_is_the_ibs() {
        let f = fired(opp(|_| {}), d(2025, 11, 20), &ctx());
        assert_eq!(f.len(), 1);
        let s = &f[0].signal;
        assert_eq!(s.key, "opp_not_drawn_up/p7/none/plan7001-besluit-2025-10-06");
        assert_eq!(s.severity, Severity::Medium);
        assert_eq!(
            s.explanation,
            "Op 06-10-2025 is besloten dat de leerling een OPP krijgt. Leerkracht en IB stellen het \
             OPP binnen 6 schoolweken na het besluit op (uiterlijk 17-11-2025); het is nog niet als \
             opgesteld vastgelegd (3 dagen over de termijn)."
        );
        assert_eq!(s.evidence[0].date, d(2025, 10, 6));
        assert_eq!(s.evidence[0].kind, "plan");
        assert_eq!(f[0].tasks.len(), 1);
        assert_eq!(f[0].tasks[0].kind, TaskKind::IbTask);
        assert_eq!(f[0].tasks[0].title, "OPP opstellen (besloten op 06-10-2025)");
        assert!(
            text::dutch_text_problems(&s.explanation).is_empty(),
            "{}",
            s.explanation
        );
    }

    #[test]
    fn the_term_is_per_school_and_holidays_pause_it() {
        let mut four = ctx();
        four.params.opp_not_drawn_up.weeks = 4;
        assert!(
            !fired(opp(|_| {}), d(2025, 11, 4), &four).is_empty(),
            "4 weeks: late on 4 Nov"
        );
        assert!(
            fired(opp(|_| {}), d(2025, 11, 4), &ctx()).is_empty(),
            "6 weeks: in time"
        );
        let mut off = ctx();
        off.params.opp_not_drawn_up.enabled = false;
        assert!(
            fired(opp(|_| {}), d(2026, 1, 5), &off).is_empty(),
            "off for the school"
        );
        // The herfstvakantie 20–24 October pauses the count: due 24 November.
        let mut holiday = ctx();
        holiday.calendar = crate::domain::SchoolCalendar::new(
            None,
            &[SchoolHoliday::new(
                d(2025, 10, 20),
                d(2025, 10, 26),
                "herfstvakantie",
            )],
        );
        assert!(fired(opp(|_| {}), d(2025, 11, 24), &holiday).is_empty());
        assert!(!fired(opp(|_| {}), d(2025, 11, 25), &holiday).is_empty());
    }
}
