//! `plan_ineffective`: two (configurable) consecutive evaluated plans of the pupil in one domain
//! with outcome "doel niet behaald" at the same zorgniveau — propose the next step of the ladder.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::{HistoryPlan, plans, text};
use crate::domain::{EvaluationOutcome, LearningDomain, PlanKind, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "plan_ineffective";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Word reading and other technical reading are one reading line for plans.
fn plan_line(d: LearningDomain) -> LearningDomain {
    if d.is_reading() {
        LearningDomain::TechnicalReading
    } else {
        d
    }
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.plan_ineffective;
    if !p.enabled {
        return Vec::new();
    }
    let n = p.consecutive.max(1);
    // Evaluated own plans per domain line, with the outcome of their latest evaluation.
    let mut lines: BTreeMap<LearningDomain, Vec<(&HistoryPlan, NaiveDate, EvaluationOutcome)>> =
        BTreeMap::new();
    for hp in &input.history.plans {
        let (Some(domain), true) = (hp.plan.domain, hp.plan.kind != PlanKind::GroupPlan) else {
            continue;
        };
        if hp.plan.start > input.as_of {
            continue;
        }
        let last = hp
            .plan
            .evaluations
            .iter()
            .filter(|e| e.date <= input.as_of)
            .max_by_key(|e| (e.date, e.outcome.as_str()));
        if let Some(e) = last {
            lines
                .entry(plan_line(domain))
                .or_default()
                .push((hp, e.date, e.outcome));
        }
    }
    let mut out = Vec::new();
    for (_, mut list) in lines {
        list.sort_by_key(|(hp, _, _)| (hp.plan.start, hp.id));
        let Some((last_plan, _, _)) = list.last() else {
            continue;
        };
        let Some(level) = last_plan.plan.care_level.as_deref() else {
            continue;
        };
        let start = list
            .iter()
            .rposition(|(hp, _, o)| {
                *o != EvaluationOutcome::NotAchieved
                    || !hp
                        .plan
                        .care_level
                        .as_deref()
                        .is_some_and(|l| l.trim().eq_ignore_ascii_case(level.trim()))
            })
            .map_or(0, |i| i + 1);
        let run = list.get(start..).unwrap_or(&[]);
        if run.len() < n {
            continue;
        }
        out.push(finding(input, run, n, level));
    }
    out
}

fn finding(
    input: &RuleInput<'_>,
    run: &[(&HistoryPlan, NaiveDate, EvaluationOutcome)],
    n: usize,
    level: &str,
) -> Finding {
    let pupil = input.history.pupil_id;
    let (first, last) = (run[0].0, run[run.len() - 1].0);
    let domain = last.plan.domain;
    let window_end = run.get(n - 1).map_or(last.id, |(hp, _, _)| hp.id);
    let listed = run
        .iter()
        .map(|(hp, d, _)| format!("'{}' geëvalueerd {}", hp.plan.title.trim(), text::date(*d)))
        .collect::<Vec<_>>()
        .join(", ");
    let dutch_domain = domain.map_or("dit domein", LearningDomain::dutch);
    let proposal = match (
        input.ctx.ladder.position(level),
        input.ctx.ladder.next_after(level),
    ) {
        (_, Some(next)) => format!("Voorstel: zorgniveau {} ({}).", next.code, next.name),
        (Some(_), None) => "Hoogste zorgniveau van de ladder bereikt: vervolg bespreken.".to_string(),
        (None, None) => {
            format!("Zorgniveau {level} staat niet op de ladder van de school: volgende stap bepalen.")
        }
    };
    let explanation = format!(
        "{} opeenvolgende plannen voor {dutch_domain} op zorgniveau {level} zonder dat het doel is behaald \
         ({listed}). {proposal}",
        text::count_word_capital(run.len())
    );
    Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &format!("plan{}", first.id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: Severity::Medium,
            explanation,
            evidence: run.iter().map(|(hp, _, _)| plans::evidence(hp)).collect(),
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(
                RULE_ID,
                pupil,
                domain,
                &format!("plan{}-plan{window_end}", first.id),
            ),
            kind: TaskKind::IbTask,
            target: task_target(run.iter().rev().map(|(hp, _, _)| hp.plan.source)),
            title: "Plannen zonder effect: hoger zorgniveau overwegen".into(),
            body: format!(
                "{} plannen voor {dutch_domain} op zorgniveau {level} hebben het doel niet behaald. {proposal}",
                text::count_word_capital(run.len())
            ),
            due_on: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::*;
    use EvaluationOutcome::*;

    fn with_plans(plans: &[(&str, EvaluationOutcome, LearningDomain)]) -> Pupil {
        let mut p = Pupil::new(9);
        for (i, (level, outcome, domain)) in plans.iter().enumerate() {
            let start = d(2025, 9, 1) + chrono::Duration::weeks(8 * i as i64);
            let (level, outcome) = (level.to_string(), *outcome);
            p = p.plan(PlanKind::ActionPlan, Some(*domain), start, move |pl| {
                pl.title = format!("Plan {}", i + 1);
                pl.care_level = Some(level);
                pl.end = Some(start + chrono::Duration::weeks(6));
                pl.evaluations = vec![eval(start + chrono::Duration::weeks(6), outcome)];
            });
        }
        p
    }

    #[test]
    fn table() {
        use LearningDomain::*;
        type Case = (
            &'static str,
            &'static [(&'static str, EvaluationOutcome, LearningDomain)],
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            (
                "two failures at 3 propose 4",
                &[("3", NotAchieved, Spelling), ("3", NotAchieved, Spelling)],
                Some("Voorstel: zorgniveau 4 (Extra ondersteuning met OPP)."),
            ),
            (
                "reading lines merge",
                &[
                    ("2", NotAchieved, WordReading),
                    ("2", NotAchieved, TechnicalReading),
                ],
                Some("Voorstel: zorgniveau 3"),
            ),
            (
                "top of the ladder",
                &[("6", NotAchieved, Mathematics), ("6", NotAchieved, Mathematics)],
                Some("Hoogste zorgniveau"),
            ),
            (
                "different levels: near miss",
                &[("2", NotAchieved, Spelling), ("3", NotAchieved, Spelling)],
                None,
            ),
            (
                "partly achieved breaks the run",
                &[("3", NotAchieved, Spelling), ("3", PartlyAchieved, Spelling)],
                None,
            ),
            (
                "different domains: near miss",
                &[("3", NotAchieved, Spelling), ("3", NotAchieved, Mathematics)],
                None,
            ),
        ];
        for (name, plans, want) in cases {
            let got: Vec<_> = engine_evaluate(&with_plans(plans).build(), d(2026, 6, 1), &ctx())
                .into_iter()
                .filter(|f| f.signal.rule == RULE_ID)
                .collect();
            match want {
                Some(w) => assert!(
                    got.len() == 1 && got[0].signal.explanation.contains(w),
                    "{name}: {got:?}"
                ),
                None => assert!(got.is_empty(), "{name}"),
            }
        }
    }
}
