//! `opp_parents_agreement`: an OPP was drawn up and the parents' agreement on its handelingsdeel
//! (instemming ouders, WPO art. 40a) is still not recorded after the school's term (default 4
//! school weeks; issue 18 item 5). Seed 000: the leerkracht shares the OPP with the parents and
//! sees to their signature, at the latest at the first evaluation after 6–10 weeks; seed 004:
//! the handelingsdeel is scanned into ParnasSys after the parents' signature. Four weeks leave
//! time to put the signature on the agenda of that first evaluation. A reminder for the IB that
//! ends once the agreement is recorded (the stored signal is then resolved,
//! `engine::SETTLED_WHEN_RECORDED`). Only for an OPP whose source records the procedure (a
//! besluitdatum): without one a missing agreement date means "unknown", never "missing".

use super::finding::Finding;
use super::input::{Evaluate, Rule, RuleInput};
use super::{HistoryPlan, plans, text};
use crate::domain::PlanKind;

/// Rule id.
pub const RULE_ID: &str = "opp_parents_agreement";
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
    let p = &input.ctx.params.opp_parents_agreement;
    if !p.enabled {
        return Vec::new();
    }
    plans::overdue_opp_steps(input, p.weeks, |pl| pl.drawn_up_on, |pl| pl.parents_agreed_on)
        .into_iter()
        .map(|(hp, drawn_up, due)| finding(input, hp, drawn_up, due, p.weeks))
        .collect()
}

fn finding(
    input: &RuleInput<'_>,
    hp: &HistoryPlan,
    drawn_up: chrono::NaiveDate,
    due: chrono::NaiveDate,
    weeks: u32,
) -> Finding {
    debug_assert_eq!(hp.plan.kind, PlanKind::Opp);
    let (drawn_nl, due_nl) = (text::date(drawn_up), text::date(due));
    plans::opp_step_finding(
        input,
        hp,
        plans::OppStepReminder {
            rule: RULE_ID,
            version: RULE_VERSION,
            window: format!("plan{}-opgesteld-{drawn_up}", hp.id),
            since: drawn_up,
            note: "OPP opgesteld; instemming ouders niet vastgelegd",
            title: "Instemming ouders met het handelingsdeel van het OPP vastleggen".into(),
            explanation: format!(
                "Het OPP is op {drawn_nl} opgesteld; de instemming van de ouders met het handelingsdeel is \
                 na {weeks} schoolweken (op {due_nl}) nog niet vastgelegd. Ouders hebben instemmingsrecht op \
                 het handelingsdeel (WPO art. 40a)."
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
    use crate::domain::{SupportPlan, TaskKind};

    fn fired(p: Pupil, as_of: NaiveDate, ctx: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, ctx)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    /// An OPP decided on 22 September 2025, drawn up on Monday 6 October; changed by `f`.
    fn opp(f: impl FnOnce(&mut SupportPlan)) -> Pupil {
        Pupil::new(7).plan(PlanKind::Opp, None, d(2025, 10, 6), |p| {
            p.decided_on = Some(d(2025, 9, 22));
            p.drawn_up_on = Some(d(2025, 10, 6));
            f(p);
        })
    }

    #[test]
    fn table() {
        // 4 school weeks after 6 October, no holidays: 3 November.
        let cases: Vec<(&str, Pupil, NaiveDate, bool)> = vec![
            (
                "no agreement, the day after the term",
                opp(|_| {}),
                d(2025, 11, 4),
                true,
            ),
            (
                "no agreement, on the last day of the term",
                opp(|_| {}),
                d(2025, 11, 3),
                false,
            ),
            (
                "agreed within the term",
                opp(|p| p.parents_agreed_on = Some(d(2025, 10, 20))),
                d(2025, 12, 1),
                false,
            ),
            (
                "agreed late: recorded, the reminder stops",
                opp(|p| p.parents_agreed_on = Some(d(2025, 11, 10))),
                d(2025, 11, 11),
                false,
            ),
            (
                "agreed after as_of: not yet on as_of",
                opp(|p| p.parents_agreed_on = Some(d(2025, 11, 10))),
                d(2025, 11, 5),
                true,
            ),
            (
                "not drawn up yet: opp_not_drawn_up's concern",
                opp(|p| p.drawn_up_on = None),
                d(2025, 12, 1),
                false,
            ),
            (
                "no besluitdatum: the source does not record the procedure",
                opp(|p| p.decided_on = None),
                d(2026, 3, 1),
                false,
            ),
            (
                "the OPP was closed",
                opp(|p| p.end = Some(d(2025, 10, 31))),
                d(2025, 11, 20),
                false,
            ),
        ];
        for (name, p, as_of, fires) in cases {
            assert_eq!(!fired(p, as_of, &ctx()).is_empty(), fires, "{name}");
        }
    }

    #[test]
    fn the_explanation_names_the_dates_and_the_task_is_the_ibs() {
        let f = fired(opp(|_| {}), d(2025, 11, 4), &ctx());
        assert_eq!(f.len(), 1);
        let s = &f[0].signal;
        assert_eq!(
            s.key,
            "opp_parents_agreement/p7/none/plan7001-opgesteld-2025-10-06"
        );
        assert_eq!(
            s.explanation,
            "Het OPP is op 06-10-2025 opgesteld; de instemming van de ouders met het handelingsdeel \
             is na 4 schoolweken (op 03-11-2025) nog niet vastgelegd. Ouders hebben instemmingsrecht \
             op het handelingsdeel (WPO art. 40a)."
        );
        assert_eq!(s.evidence[0].date, d(2025, 10, 6));
        assert_eq!(f[0].tasks[0].kind, TaskKind::IbTask);
        assert!(
            text::dutch_text_problems(&s.explanation).is_empty(),
            "{}",
            s.explanation
        );
    }

    #[test]
    fn the_term_is_per_school_and_the_rule_can_be_off() {
        let mut two = ctx();
        two.params.opp_parents_agreement.weeks = 2;
        assert!(!fired(opp(|_| {}), d(2025, 10, 21), &two).is_empty());
        assert!(fired(opp(|_| {}), d(2025, 10, 21), &ctx()).is_empty());
        let mut off = ctx();
        off.params.opp_parents_agreement.enabled = false;
        assert!(fired(opp(|_| {}), d(2026, 1, 5), &off).is_empty());
    }
}
