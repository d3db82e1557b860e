//! `plan_evaluation_overdue`: the evaluation date has passed without an evaluation — an IB task,
//! and after 14 more days an escalation to the directie.

use chrono::{Duration, NaiveDate};

use super::finding::{Finding, SignalDraft, TaskDraft, pupil_subject, subject_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::{HistoryPlan, SchoolContext, plans, text};
use crate::domain::{Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "plan_evaluation_overdue";
/// Rule version. 2: school weeks (holidays pause deadlines); a group plan is due at its own
/// evaluation or end date and stays overdue for one period after it ends (issue 16 items 10, 11).
/// 3: an OPP only at a date the school set; its cadence is `opp_yearly_evaluation` (item 8).
/// 4: continues the plan's active `plan_evaluation_due` signal of the same date instead of opening a
/// second one: one signal per plan evaluation (issue 17). 5: whether an evaluation settles a date
/// the school set is counted in calendar weeks (`plans::pending`). 6: a week's grace
/// (`grace_days`, holidays not counted) before the IB hears of it (issue 17: most "late"
/// evaluations of a replayed year were recorded one to four days after the date). 7: the text
/// names the date, not a day count (the stored text is shown for weeks in "nog open" and went
/// stale), and the signal is settled by the evaluation itself ([`settled`]).
pub const RULE_VERSION: u32 = 7;

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
    let p = &ctx.params.plan_evaluation_overdue;
    if !p.enabled || !(hp.plan.is_active_on(as_of) || plans::group_period_just_ended(ctx, hp, as_of)) {
        return None;
    }
    let dl = plans::pending(ctx, as_of, &hp.plan)?;
    let late = (as_of - dl.due).num_days();
    if late <= 0 || as_of <= ctx.calendar.add_school_days(dl.due, i64::from(p.grace_days)) {
        return None;
    }
    let domain = hp.plan.domain;
    let window = format!("plan{}-{}", hp.id, dl.due);
    let what = plans::describe(&hp.plan);
    let target = task_target([hp.plan.source]);
    let mut tasks = vec![TaskDraft {
        key: subject_key(RULE_ID, subject, domain, &window),
        kind: TaskKind::IbTask,
        target,
        title: format!("Evaluatie {} te laat", hp.plan.kind.dutch()),
        body: format!(
            "De evaluatie van het {what} was gepland op {} en is nog niet vastgelegd.",
            text::date(dl.due)
        ),
        due_on: None,
    }];
    let escalate_on = dl.due + Duration::days(i64::from(p.escalate_after_days));
    if as_of > escalate_on {
        tasks.push(TaskDraft {
            key: format!("{}/directie", subject_key(RULE_ID, subject, domain, &window)),
            kind: TaskKind::DirectieEscalation,
            target,
            title: format!(
                "Evaluatie {} meer dan {} te laat",
                hp.plan.kind.dutch(),
                text::days(p.escalate_after_days)
            ),
            body: format!(
                "De evaluatie van het {what} was gepland op {}; na {} is die nog niet vastgelegd.",
                text::date(dl.due),
                text::days(p.escalate_after_days)
            ),
            due_on: None,
        });
    }
    Some(Finding {
        signal: SignalDraft {
            key: subject_key(RULE_ID, subject, domain, &window),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: Severity::Medium,
            // No day count: the store keeps the text while the evidence is the same, and the
            // digest's "nog open" shows it for weeks.
            explanation: format!(
                "De evaluatie van het {what} was gepland op {} en is nog niet vastgelegd.",
                text::date(dl.due)
            ),
            evidence: vec![plans::evidence(hp)],
            eed_criterion: None,
        },
        tasks,
    })
}

/// The pupil's active signals of this rule (or of `plan_evaluation_due`, whose key an overdue
/// signal continues) whose plan now has an evaluation for that date: one dated after the
/// previous period began (`plans::period_weeks` before the date) and recorded by `as_of`, so the
/// plan no longer owes the date. Only a recorded evaluation settles it: a plan that ended, or
/// whose date the school moved, without one, keeps its signal for the IB to close.
pub fn settled(history: &super::PupilHistory, as_of: NaiveDate, ctx: &SchoolContext) -> Vec<plans::Settled> {
    history
        .open_signals
        .iter()
        .filter(|s| {
            s.status.is_active() && (s.rule == RULE_ID || s.rule == super::plan_evaluation_due::RULE_ID)
        })
        .filter_map(|s| {
            let (plan_id, due) = plan_anchor(&s.key)?;
            let hp = history.plans.iter().find(|hp| hp.id == plan_id)?;
            if hp.plan.kind == crate::domain::PlanKind::GroupPlan
                || plans::pending(ctx, as_of, &hp.plan).is_some_and(|dl| dl.due == due)
            {
                return None;
            }
            let weeks = i64::from(plans::period_weeks(ctx, &hp.plan));
            let from = due - Duration::weeks(weeks);
            let evaluated_on = hp
                .plan
                .evaluations
                .iter()
                .map(|e| e.date)
                .filter(|d| *d > from && *d <= as_of)
                .min()?;
            Some(plans::Settled {
                key: s.key.clone(),
                evaluated_on,
            })
        })
        .collect()
}

/// `(plan id, due date)` from a key whose anchor is `plan<id>-<yyyy-mm-dd>`.
fn plan_anchor(key: &str) -> Option<(i64, NaiveDate)> {
    let (id, due) = plans::anchor_plan(key)?;
    Some((id, NaiveDate::parse_from_str(due, "%Y-%m-%d").ok()?))
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::*;
    use crate::domain::{EvaluationOutcome, LearningDomain, PlanKind};

    fn kinds(p: Pupil, as_of: NaiveDate) -> Option<Vec<TaskKind>> {
        engine_evaluate(&p.build(), as_of, &ctx())
            .into_iter()
            .find(|f| f.signal.rule == RULE_ID)
            .map(|f| f.tasks.iter().map(|t| t.kind).collect())
    }

    fn plan() -> Pupil {
        Pupil::new(7).plan(
            PlanKind::Opp,
            Some(LearningDomain::Mathematics),
            d(2026, 1, 5),
            |pl| {
                pl.evaluation_due = Some(d(2026, 3, 2));
                pl.care_level = Some("4".into());
            },
        )
    }

    #[test]
    fn table() {
        use TaskKind::*;
        let cases: &[(&str, NaiveDate, Option<Vec<TaskKind>>)] = &[
            ("on the due day: not yet overdue", d(2026, 3, 2), None),
            ("a day late: within the week's grace", d(2026, 3, 3), None),
            ("a week late: still within the grace", d(2026, 3, 9), None),
            ("eight days late: IB task", d(2026, 3, 10), Some(vec![IbTask])),
            ("14 days late: still IB only", d(2026, 3, 16), Some(vec![IbTask])),
            (
                "15 days late: directie too",
                d(2026, 3, 17),
                Some(vec![IbTask, DirectieEscalation]),
            ),
        ];
        for (name, as_of, want) in cases {
            assert_eq!(kinds(plan(), *as_of), *want, "{name}");
        }
    }

    #[test]
    fn the_grace_is_a_parameter_and_a_holiday_pauses_it() {
        let mut c = ctx();
        c.params.plan_evaluation_overdue.grace_days = 0;
        let found = |c: &SchoolContext, as_of| {
            engine_evaluate(&plan().build(), as_of, c)
                .iter()
                .any(|f| f.signal.rule == RULE_ID)
        };
        assert!(found(&c, d(2026, 3, 3)), "0: the day after the date");
        // A holiday in the week after the date: its days do not count.
        let mut c = ctx();
        c.calendar = crate::domain::SchoolCalendar::new(
            None,
            &[crate::domain::SchoolHoliday::new(
                d(2026, 3, 4),
                d(2026, 3, 8),
                "testvakantie",
            )],
        );
        assert!(!found(&c, d(2026, 3, 10)), "two counted days after the holiday");
        assert!(found(&c, d(2026, 3, 15)), "seven counted days past");
    }

    #[test]
    fn an_evaluation_settles_it_and_keys_differ_per_task() {
        let done = plan().with(|_| {});
        let mut h = done.build();
        h.plans[0].plan.evaluations = vec![eval(d(2026, 3, 1), EvaluationOutcome::Achieved)];
        assert!(
            engine_evaluate(&h, d(2026, 3, 20), &ctx())
                .iter()
                .all(|f| f.signal.rule != RULE_ID)
        );
        let f = engine_evaluate(&plan().build(), d(2026, 3, 20), &ctx());
        let f = f.iter().find(|f| f.signal.rule == RULE_ID).expect("overdue");
        assert_ne!(f.tasks[0].key, f.tasks[1].key);
        assert_eq!(
            f.signal.explanation,
            "De evaluatie van het OPP 'Plan' (rekenen-wiskunde, zorgniveau 4) was gepland op 02-03-2026 en \
             is nog niet vastgelegd."
        );
    }

    /// The stored signal of `f` as the store hands it back to the next run.
    fn held(f: &Finding, status: crate::domain::SignalStatus) -> super::super::PriorSignal {
        super::super::PriorSignal {
            key: f.signal.key.clone(),
            rule: f.signal.rule.clone(),
            domain: f.signal.domain,
            opened_on: d(2026, 3, 10),
            status,
            severity: Some(f.signal.severity),
        }
    }

    #[test]
    fn a_late_evaluation_settles_the_signal_an_ended_plan_or_a_moved_date_does_not() {
        use crate::domain::SignalStatus::{Acknowledged, Dismissed, Open};
        let found = engine_evaluate(&plan().build(), d(2026, 3, 12), &ctx());
        let f = found.iter().find(|f| f.signal.rule == RULE_ID).expect("overdue");
        let with = |evals: &[NaiveDate], status, edit: &dyn Fn(&mut crate::domain::SupportPlan)| {
            let mut h = plan().build();
            h.plans[0].plan.evaluations = evals
                .iter()
                .map(|e| eval(*e, EvaluationOutcome::PartlyAchieved))
                .collect();
            edit(&mut h.plans[0].plan);
            h.open_signals = vec![held(f, status)];
            settled(&h, d(2026, 3, 20), &ctx())
        };
        let none: &dyn Fn(&mut crate::domain::SupportPlan) = &|_| {};
        assert!(with(&[], Open, none).is_empty(), "still owed");
        assert_eq!(
            with(&[d(2026, 3, 16)], Open, none),
            vec![plans::Settled {
                key: f.signal.key.clone(),
                evaluated_on: d(2026, 3, 16)
            }],
            "evaluated late"
        );
        assert_eq!(
            with(&[d(2026, 3, 16)], Acknowledged, none).len(),
            1,
            "acknowledged too"
        );
        assert!(
            with(&[d(2026, 3, 16)], Dismissed, none).is_empty(),
            "closed stays closed"
        );
        assert!(
            with(&[d(2026, 3, 25)], Open, none).is_empty(),
            "an evaluation not yet dated"
        );
        // An evaluation of the previous period does not settle this date.
        assert!(
            with(&[d(2025, 12, 1)], Open, none).is_empty(),
            "last period's evaluation"
        );
        // The plan ended unevaluated, or its date moved on without an evaluation: the IB closes it.
        assert!(
            with(&[], Open, &|p| p.end = Some(d(2026, 3, 13))).is_empty(),
            "ended"
        );
        assert!(
            with(&[], Open, &|p| p.evaluation_due = Some(d(2026, 4, 20))).is_empty(),
            "date moved"
        );
        // Recorded late but dated on time (the source took it a day later): settled.
        assert_eq!(with(&[d(2026, 3, 2)], Open, none).len(), 1, "dated on the date");
    }
}
