//! `opp_yearly_evaluation`: an active OPP is evaluated at least once per school year, by June 15
//! (WPO art. 40a); optionally also after each M and E round (school cadence, seed 004).

use chrono::{Duration, NaiveDate};

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::{HistoryPlan, plans, text};
use crate::domain::{PlanKind, SchoolYear, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "opp_yearly_evaluation";
/// Rule version.
pub const RULE_VERSION: u32 = 2;

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.opp_yearly_evaluation;
    if !p.enabled {
        return Vec::new();
    }
    let year = SchoolYear::of_date(input.as_of);
    let Some(deadline) = p.deadline.in_school_year(year) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for hp in plans::own_active_plans(input).filter(|hp| hp.plan.kind == PlanKind::Opp) {
        let evaluated_since = |from: NaiveDate| {
            hp.plan
                .evaluations
                .iter()
                .any(|e| e.date >= from && e.date <= input.as_of)
        };
        let needed = hp.plan.start <= deadline - Duration::weeks(i64::from(p.min_weeks_active));
        if needed && !evaluated_since(year.first_day()) {
            let remind_from = deadline - Duration::days(i64::from(p.remind_days_before));
            if input.as_of >= remind_from {
                out.push(yearly(input, hp, year, deadline));
            }
        }
        // The previous school year's deadline: an OPP that ran through it without any evaluation
        // in that year, and has not been evaluated since, is still overdue in the new year.
        let last = year.previous();
        if let Some(last_deadline) = p.deadline.in_school_year(last) {
            let ran_through = hp.plan.start <= last_deadline - Duration::weeks(i64::from(p.min_weeks_active))
                && hp.plan.is_active_on(last_deadline);
            if ran_through && !evaluated_since(last.first_day()) {
                out.push(yearly(input, hp, last, last_deadline));
            }
        }
        if p.after_each_round {
            out.extend(rounds(input, hp, year, &evaluated_since));
        }
    }
    out
}

fn yearly(input: &RuleInput<'_>, hp: &HistoryPlan, year: SchoolYear, deadline: NaiveDate) -> Finding {
    let pupil = input.history.pupil_id;
    let domain = hp.plan.domain;
    let window = format!("plan{}-{}", hp.id, year.start_year());
    let what = plans::describe(&hp.plan);
    let target = task_target([hp.plan.source]);
    let late = input.as_of > deadline;
    let mut tasks = vec![TaskDraft {
        key: format!("{}/herinnering", task_key(RULE_ID, pupil, domain, &window)),
        kind: TaskKind::OwnerReminder,
        target,
        title: format!("Jaarlijkse evaluatie OPP uiterlijk {}", text::date(deadline)),
        body: format!(
            "Het {what} is in schooljaar {year} nog niet met ouders geëvalueerd; dat moet minstens één keer per \
             schooljaar, uiterlijk {}.",
            text::date(deadline)
        ),
        due_on: Some(deadline),
    }];
    if late {
        tasks.push(TaskDraft {
            key: format!("{}/escalatie", task_key(RULE_ID, pupil, domain, &window)),
            kind: TaskKind::IbTask,
            target,
            title: "Jaarlijkse evaluatie OPP ontbreekt".into(),
            body: format!(
                "Het {what} is in schooljaar {year} niet geëvalueerd; de datum {} is verstreken.",
                text::date(deadline)
            ),
            due_on: None,
        });
    }
    let explanation = if late {
        format!(
            "Het {what} is in schooljaar {year} niet geëvalueerd, terwijl dat uiterlijk {} moest (WPO art. 40a).",
            text::date(deadline)
        )
    } else {
        format!(
            "Het {what} is in schooljaar {year} nog niet geëvalueerd; uiterlijk {} is wettelijk nodig.",
            text::date(deadline)
        )
    };
    Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &window),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: if late { Severity::Medium } else { Severity::Low },
            explanation,
            evidence: vec![plans::evidence(hp)],
            eed_criterion: None,
        },
        tasks,
    }
}

/// After each M and E window of the current year (and the E window of the previous year): an
/// evaluation dated from the window's first day on is expected within `round_grace_weeks` school
/// weeks after the window's last day (holidays pause the count, so the E round's date lands after
/// the summer holiday instead of in it).
fn rounds(
    input: &RuleInput<'_>,
    hp: &HistoryPlan,
    year: SchoolYear,
    evaluated_since: &dyn Fn(NaiveDate) -> bool,
) -> Vec<Finding> {
    let p = &input.ctx.params.opp_yearly_evaluation;
    let w = &input.ctx.params.moment_windows;
    let mut out = Vec::new();
    // The current year's M and E rounds, and last year's E round: its evaluation falls around the
    // summer holiday, so it is still owed (and checked) in the new school year.
    let rounds = [
        (year, "M", w.mid_from, w.mid_to),
        (year, "E", w.end_from, w.end_to),
        (year.previous(), "E", w.end_from, w.end_to),
    ];
    for (year, label, from, to) in rounds {
        let (Some(from), Some(to)) = (from.in_school_year(year), to.in_school_year(year)) else {
            continue;
        };
        let expected_by = input.ctx.calendar.add_school_weeks(to, p.round_grace_weeks);
        if hp.plan.start > to || input.as_of <= expected_by || evaluated_since(from) {
            continue;
        }
        let pupil = input.history.pupil_id;
        let domain = hp.plan.domain;
        let window = format!("plan{}-{}-{label}", hp.id, year.start_year());
        let what = plans::describe(&hp.plan);
        out.push(Finding {
            signal: SignalDraft {
                key: signal_key(RULE_ID, pupil, domain, &window),
                rule: RULE_ID.into(),
                rule_version: RULE_VERSION,
                domain,
                severity: Severity::Low,
                explanation: format!(
                    "Het {what} is na de {label}-toetsronde van {year} niet geëvalueerd (verwacht uiterlijk {}).",
                    text::date(expected_by)
                ),
                evidence: vec![plans::evidence(hp)],
                eed_criterion: None,
            },
            tasks: vec![TaskDraft {
                key: task_key(RULE_ID, pupil, domain, &window),
                kind: TaskKind::OwnerReminder,
                target: task_target([hp.plan.source]),
                title: format!("OPP evalueren na de {label}-toetsronde"),
                body: format!("Het {what} is na de {label}-toetsronde van {year} nog niet geëvalueerd."),
                due_on: Some(expected_by),
            }],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::super::{Finding, SchoolContext, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::EvaluationOutcome;

    fn run(p: Pupil, as_of: NaiveDate, c: &SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, c)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn opp(start: NaiveDate, evals: &[NaiveDate]) -> Pupil {
        let evals: Vec<_> = evals
            .iter()
            .map(|e| eval(*e, EvaluationOutcome::PartlyAchieved))
            .collect();
        Pupil::new(8).plan(PlanKind::Opp, None, start, move |pl| {
            pl.care_level = Some("4".into());
            pl.evaluations = evals;
        })
    }

    #[test]
    fn table() {
        let c = ctx();
        // (name, start, evaluations, as_of, expected task kinds)
        type Case<'a> = (&'a str, NaiveDate, &'a [NaiveDate], NaiveDate, &'a [TaskKind]);
        let cases: &[Case<'_>] = &[
            ("too early to remind", d(2025, 9, 1), &[], d(2026, 5, 15), &[]),
            (
                "reminder 30 days before",
                d(2025, 9, 1),
                &[],
                d(2026, 5, 16),
                &[TaskKind::OwnerReminder],
            ),
            (
                "after June 15: IB escalation",
                d(2025, 9, 1),
                &[],
                d(2026, 6, 16),
                &[TaskKind::IbTask, TaskKind::OwnerReminder],
            ),
            (
                "evaluated this year",
                d(2025, 9, 1),
                &[d(2026, 2, 1)],
                d(2026, 6, 16),
                &[],
            ),
            (
                "last year's evaluation does not count",
                d(2024, 9, 1),
                &[d(2025, 6, 1)],
                d(2026, 6, 16),
                &[TaskKind::IbTask, TaskKind::OwnerReminder],
            ),
            (
                "started in May: not yet due",
                d(2026, 5, 1),
                &[],
                d(2026, 6, 16),
                &[],
            ),
            (
                "new school year: last year's missed deadline still open",
                d(2025, 9, 10),
                &[],
                d(2026, 11, 20),
                &[TaskKind::IbTask, TaskKind::OwnerReminder],
            ),
            (
                "new school year: evaluated after the missed deadline",
                d(2025, 9, 10),
                &[d(2026, 9, 14)],
                d(2026, 11, 20),
                &[],
            ),
            (
                "new school year: last year evaluated in February",
                d(2024, 10, 1),
                &[d(2026, 2, 9)],
                d(2026, 11, 20),
                &[],
            ),
        ];
        for (name, start, evals, as_of, want) in cases {
            let got = run(opp(*start, evals), *as_of, &c);
            let mut kinds: Vec<TaskKind> = got.iter().flat_map(|f| f.tasks.iter().map(|t| t.kind)).collect();
            kinds.sort_by_key(|k| k.as_str());
            assert_eq!(kinds, *want, "{name}");
        }
    }

    #[test]
    fn school_cadence_after_each_round() {
        let mut c = ctx();
        c.params.opp_yearly_evaluation.after_each_round = true;
        // M window ends March 15; six weeks later (April 26) an evaluation since Dec 15 is expected.
        let got = run(opp(d(2025, 9, 1), &[]), d(2026, 4, 27), &c);
        assert_eq!(got.len(), 1);
        assert!(got[0].signal.key.ends_with("-2025-M"), "{}", got[0].signal.key);
        assert!(run(opp(d(2025, 9, 1), &[d(2026, 3, 20)]), d(2026, 4, 27), &c).is_empty());
        assert!(run(opp(d(2025, 9, 1), &[]), d(2026, 4, 26), &c).is_empty());
    }
}
