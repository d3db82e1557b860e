//! `plan_evaluation_due`: a plan's evaluation is due within a week — remind its owner.

use chrono::NaiveDate;

use super::finding::{Finding, SignalDraft, TaskDraft, pupil_subject, subject_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::{HistoryPlan, SchoolContext, plans, text};
use crate::domain::{Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "plan_evaluation_due";
/// Rule version. 2: school weeks (holidays pause deadlines); a group plan is due at its own
/// evaluation or end date (issue 16 items 10 and 11). 3: an OPP only at a date the school set;
/// its cadence is `opp_yearly_evaluation` (item 8). 4: whether an evaluation settles a date the
/// school set is counted in calendar weeks (`plans::pending`); a task, no signal (issue 17).
pub const RULE_VERSION: u32 = 4;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Runs the rule on the pupil's own plans.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let subject = pupil_subject(input.history.pupil_id);
    plans::own_active_plans(input)
        .filter_map(|hp| for_plan(&subject, hp, input.as_of, input.ctx))
        .collect()
}

/// The rule for one plan of `subject` (a pupil, or a group for group plans).
pub fn for_plan(subject: &str, hp: &HistoryPlan, as_of: NaiveDate, ctx: &SchoolContext) -> Option<Finding> {
    let p = &ctx.params.plan_evaluation_due;
    if !p.enabled || !hp.plan.is_active_on(as_of) {
        return None;
    }
    let dl = plans::pending(ctx, as_of, &hp.plan)?;
    let days_left = (dl.due - as_of).num_days();
    if days_left < 0 || days_left > i64::from(p.within_days) {
        return None;
    }
    let domain = hp.plan.domain;
    let window = format!("plan{}-{}", hp.id, dl.due);
    let what = plans::describe(&hp.plan);
    Some(Finding {
        signal: SignalDraft {
            key: subject_key(RULE_ID, subject, domain, &window),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: Severity::Low,
            explanation: format!(
                "De evaluatie van het {what} staat gepland op {}.",
                text::date(dl.due)
            ),
            evidence: vec![plans::evidence(hp)],
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: subject_key(RULE_ID, subject, domain, &window),
            kind: TaskKind::OwnerReminder,
            target: task_target([hp.plan.source]),
            title: format!(
                "Evaluatie {} uiterlijk {}",
                hp.plan.kind.dutch(),
                text::date(dl.due)
            ),
            body: format!("Het {what} wordt uiterlijk {} geëvalueerd.", text::date(dl.due)),
            due_on: Some(dl.due),
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::*;
    use crate::domain::{EvaluationOutcome, LearningDomain, PlanKind};

    fn due(p: Pupil, as_of: NaiveDate) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    #[test]
    fn table() {
        // Ladder niveaus-1-6: level 3 has a 6-week period, level 4 an 8-week one.
        let start = d(2026, 1, 5);
        type Case = (
            &'static str,
            Option<&'static str>,
            Option<NaiveDate>,
            NaiveDate,
            Option<NaiveDate>,
        );
        let cases: &[Case] = &[
            (
                "start + ladder period, 7 days before",
                Some("3"),
                None,
                d(2026, 2, 9),
                Some(d(2026, 2, 16)),
            ),
            (
                "on the day itself",
                Some("3"),
                None,
                d(2026, 2, 16),
                Some(d(2026, 2, 16)),
            ),
            (
                "8 days before is a near miss",
                Some("3"),
                None,
                d(2026, 2, 8),
                None,
            ),
            (
                "explicit date wins",
                Some("3"),
                Some(d(2026, 3, 1)),
                d(2026, 2, 25),
                Some(d(2026, 3, 1)),
            ),
            (
                "level 4 uses 8 weeks",
                Some("4"),
                None,
                d(2026, 2, 25),
                Some(d(2026, 3, 2)),
            ),
            (
                "unknown level uses the kind default (6)",
                None,
                None,
                d(2026, 2, 16),
                Some(d(2026, 2, 16)),
            ),
            (
                "past the date is overdue, not due",
                Some("3"),
                None,
                d(2026, 2, 17),
                None,
            ),
        ];
        for (name, level, explicit, as_of, want) in cases {
            let p = Pupil::new(6).plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::Spelling),
                start,
                |pl| {
                    pl.care_level = level.map(str::to_string);
                    pl.evaluation_due = *explicit;
                },
            );
            let got = due(p, *as_of);
            assert_eq!(got.first().and_then(|f| f.tasks[0].due_on), *want, "{name}");
        }
    }

    #[test]
    fn an_evaluation_moves_the_next_date_and_ended_plans_are_left_alone() {
        let p = Pupil::new(6).plan(PlanKind::ActionPlan, None, d(2026, 1, 5), |pl| {
            pl.evaluations = vec![eval(d(2026, 2, 16), EvaluationOutcome::PartlyAchieved)];
        });
        let got = due(p, d(2026, 3, 25));
        assert_eq!(got[0].tasks[0].due_on, Some(d(2026, 3, 30)));
        assert_eq!(got[0].tasks[0].kind, TaskKind::OwnerReminder);
        let p = Pupil::new(6).plan(PlanKind::ActionPlan, None, d(2026, 1, 5), |pl| {
            pl.end = Some(d(2026, 2, 1))
        });
        assert!(due(p, d(2026, 2, 16)).is_empty());
        let p = Pupil::new(6).plan(PlanKind::GroupPlan, None, d(2026, 1, 5), |_| {});
        assert!(
            due(p, d(2026, 3, 25)).is_empty(),
            "group plans are reminded per group"
        );
    }

    #[test]
    fn an_evaluation_exactly_one_period_before_an_explicit_date_is_the_previous_cycle() {
        // Planted case: OPP (level 4, 8 weeks) evaluated on 30-09, next evaluation set for 25-11.
        let opp = |evaluated: NaiveDate| {
            Pupil::new(6).plan(PlanKind::Opp, None, d(2026, 4, 20), |pl| {
                pl.care_level = Some("4".into());
                pl.evaluation_due = Some(d(2026, 11, 25));
                pl.evaluations = vec![eval(evaluated, EvaluationOutcome::Achieved)];
            })
        };
        let got = due(opp(d(2026, 9, 30)), d(2026, 11, 19));
        assert_eq!(got.len(), 1, "the 30-09 evaluation belongs to the previous cycle");
        assert_eq!(got[0].tasks[0].due_on, Some(d(2026, 11, 25)));
        assert!(
            due(opp(d(2026, 10, 1)), d(2026, 11, 19)).is_empty(),
            "an evaluation less than a period before the date settles it"
        );
        assert!(
            due(opp(d(2026, 11, 18)), d(2026, 11, 19)).is_empty(),
            "an early evaluation settles it"
        );
    }

    #[test]
    fn a_group_plan_is_due_at_its_own_date_before_the_twelve_week_default() {
        // Issue 16 item 10: Leeruniek group plans run per M/E period. From 20-08-2025; 12 weeks
        // would be 12-11-2025.
        let group_plan = |due: Option<NaiveDate>, end: Option<NaiveDate>, evals: &[NaiveDate]| {
            let evals: Vec<_> = evals
                .iter()
                .map(|e| eval(*e, EvaluationOutcome::PartlyAchieved))
                .collect();
            Pupil::new(6)
                .plan(
                    PlanKind::GroupPlan,
                    Some(LearningDomain::Mathematics),
                    d(2025, 8, 20),
                    move |pl| {
                        pl.pupil_external_id = None;
                        pl.group_external_id = Some("5a".into());
                        pl.care_level = None;
                        pl.evaluation_due = due;
                        pl.end = end;
                        pl.evaluations = evals;
                    },
                )
                .build()
        };
        let first = |h: &crate::rules::PupilHistory, as_of: NaiveDate| {
            crate::rules::evaluate_group_plans(&h.plans, as_of, &ctx())
                .first()
                .map(|f| {
                    (
                        f.signal.rule.clone(),
                        f.signal.key.rsplit('-').take(3).collect::<Vec<_>>().join("-"),
                    )
                })
        };
        let (m_end, m_due) = (d(2026, 2, 14), d(2026, 2, 14));
        type Case = (
            &'static str,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Vec<NaiveDate>,
            NaiveDate,
            Option<(&'static str, &'static str)>,
        );
        let cases: Vec<Case> = vec![
            (
                "no own date: the 12-week default",
                None,
                None,
                vec![],
                d(2025, 11, 10),
                Some(("plan_evaluation_due", "12-11-2025")),
            ),
            (
                "own period: not at 12 weeks",
                None,
                Some(m_end),
                vec![],
                d(2025, 11, 13),
                None,
            ),
            (
                "own period: due at its end",
                None,
                Some(m_end),
                vec![],
                d(2026, 2, 10),
                Some(("plan_evaluation_due", "14-02-2026")),
            ),
            (
                "own evaluation date wins over the end",
                Some(d(2026, 2, 1)),
                Some(m_end),
                vec![],
                d(2026, 1, 28),
                Some(("plan_evaluation_due", "01-02-2026")),
            ),
            (
                "more than a week after its end, unevaluated: overdue",
                Some(m_due),
                Some(m_end),
                vec![],
                d(2026, 2, 23),
                Some(("plan_evaluation_overdue", "14-02-2026")),
            ),
            (
                "evaluated at its end: settled",
                Some(m_due),
                Some(m_end),
                vec![m_end],
                d(2026, 2, 20),
                None,
            ),
            (
                "long after its end: the next period took over",
                Some(m_due),
                Some(m_end),
                vec![],
                d(2026, 6, 1),
                None,
            ),
        ];
        for (name, due, end, evals, as_of, want) in cases {
            let got = first(&group_plan(due, end, &evals), as_of);
            let want = want.map(|(r, date)| (r.to_string(), date.to_string()));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn group_plans_are_reminded_once_per_group() {
        let h = Pupil::new(6)
            .plan(
                PlanKind::GroupPlan,
                Some(LearningDomain::Mathematics),
                d(2026, 1, 5),
                |pl| {
                    pl.pupil_external_id = None;
                    pl.group_external_id = Some("4b".into());
                    pl.care_level = None;
                },
            )
            .build();
        let c = ctx();
        let due = crate::rules::evaluate_group_plans(&h.plans, d(2026, 3, 25), &c);
        assert_eq!(due.len(), 1);
        assert_eq!(
            due[0].signal.key,
            format!(
                "plan_evaluation_due/g4b/mathematics/plan{}-2026-03-30",
                h.plans[0].id
            )
        );
        let late = crate::rules::evaluate_group_plans(&h.plans, d(2026, 4, 20), &c);
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].signal.rule, "plan_evaluation_overdue");
        assert_eq!(
            late[0].tasks.len(),
            2,
            "IB task and directie escalation after 14 more days"
        );
    }
}
