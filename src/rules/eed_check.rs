//! `eed_check`: when `dmt_three_lowest` fires with the EED criterion met, list what the dyslexia
//! dossier (ED-regeling) still lacks: reading interventions between the measurements at the
//! school's zorgniveau 2 and 3, enough weeks, enough minutes per week, and their evaluations.

use chrono::NaiveDate;

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::{HistoryPlan, dmt_three_lowest, text};
use crate::domain::{EedCriterion, Evidence, LearningDomain, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "eed_check";
/// Rule version.
pub const RULE_VERSION: u32 = 2;

/// What the dossier check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierCheck {
    /// Reading plans overlapping the measurement window at zorgniveau ≥ the step-2 level.
    pub plans: Vec<i64>,
    /// Weeks of intervention within the window (overlaps merged).
    pub weeks: u32,
    /// Dutch lines for what is missing; empty when the dossier looks complete.
    pub missing: Vec<String>,
}

/// Checks the dossier over the window `[from, to]` (first and last of the three measurements).
pub fn check_dossier(input: &RuleInput<'_>, from: NaiveDate, to: NaiveDate) -> DossierCheck {
    let p = &input.ctx.params.eed_check;
    let ladder = &input.ctx.ladder;
    let step_index = |step: u8| usize::from(step.max(1)) - 1;
    let level_pos = |hp: &HistoryPlan| hp.plan.care_level.as_deref().and_then(|c| ladder.position(c));
    let reading: Vec<&HistoryPlan> = input
        .history
        .plans
        .iter()
        .filter(|hp| hp.plan.domain.is_some_and(LearningDomain::is_reading))
        .filter(|hp| hp.plan.start <= to && hp.plan.end.unwrap_or(input.as_of) >= from)
        .collect();
    let min_pos = step_index(p.min_ladder_step);
    let mut qualifying: Vec<&HistoryPlan> = reading
        .iter()
        .copied()
        .filter(|hp| level_pos(hp).is_some_and(|pos| pos >= min_pos))
        .collect();
    qualifying.sort_by_key(|hp| (hp.plan.start, hp.id));
    let step_name = |step: u8| {
        ladder
            .levels
            .get(step_index(step))
            .map_or_else(|| format!("stap {step}"), |l| l.code.clone())
    };

    let mut missing = Vec::new();
    if qualifying.is_empty() {
        missing.push(format!(
            "Geen handelingsplan technisch lezen op zorgniveau {} of hoger tussen {} en {}.",
            step_name(p.min_ladder_step),
            text::date(from),
            text::date(to)
        ));
    } else if !qualifying
        .iter()
        .any(|hp| level_pos(hp).is_some_and(|pos| pos >= step_index(p.intensive_ladder_step)))
    {
        missing.push(format!(
            "Geen intensieve interventie op zorgniveau {} of hoger.",
            step_name(p.intensive_ladder_step)
        ));
    }
    let unknown_level = reading.iter().filter(|hp| level_pos(hp).is_none()).count();
    if unknown_level > 0 {
        missing.push(format!(
            "Zorgniveau onbekend bij {} plan(nen) technisch lezen.",
            unknown_level
        ));
    }

    // Weeks: merge the plans' periods clipped to the window; holidays do not count (school weeks).
    let mut spans: Vec<(NaiveDate, NaiveDate)> = qualifying
        .iter()
        .map(|hp| {
            (
                hp.plan.start.max(from),
                hp.plan.end.unwrap_or(input.as_of).min(to),
            )
        })
        .filter(|(a, b)| a <= b)
        .collect();
    spans.sort();
    let mut days = 0i64;
    let mut cur: Option<(NaiveDate, NaiveDate)> = None;
    for (a, b) in spans {
        cur = match cur {
            Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                days += input.ctx.calendar.school_days_between(ca, cb);
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((ca, cb)) = cur {
        days += input.ctx.calendar.school_days_between(ca, cb);
    }
    let weeks = u32::try_from(days / 7).unwrap_or(u32::MAX);
    if !qualifying.is_empty() && weeks < p.min_intervention_weeks {
        missing.push(format!(
            "Interventie duurde {weeks} weken; nodig is minstens {} weken.",
            p.min_intervention_weeks
        ));
    }
    for hp in &qualifying {
        let name = format!(
            "{} '{}' ({})",
            hp.plan.kind.dutch(),
            hp.plan.title,
            text::date(hp.plan.start)
        );
        match hp.plan.minutes_per_week {
            None => missing.push(format!("Intensiteit (minuten per week) onbekend bij {name}.")),
            Some(m) if m < p.min_minutes_per_week => missing.push(format!(
                "{name}: {m} minuten per week; nodig is minstens {}.",
                p.min_minutes_per_week
            )),
            Some(_) => {}
        }
        if !hp.plan.evaluations.iter().any(|e| e.date <= input.as_of) {
            missing.push(format!("Evaluatie ontbreekt bij {name}."));
        }
    }
    DossierCheck {
        plans: qualifying.iter().map(|hp| hp.id).collect(),
        weeks,
        missing,
    }
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    if !input.ctx.params.eed_check.enabled || !input.ctx.params.dmt_three_lowest.enabled {
        return Vec::new();
    }
    let Some(hit) = dmt_three_lowest::detect(input) else {
        return Vec::new();
    };
    if hit.criterion != EedCriterion::Met {
        return Vec::new();
    }
    let (Some(anchor), Some(first), Some(last)) = (hit.run.first(), hit.last.first(), hit.last.last()) else {
        return Vec::new();
    };
    // The task window is the first three-in-a-row of the run that met the criterion: stable as
    // the run grows, so the dossier task is created once per run.
    let n = hit.last.len();
    let window = hit
        .run
        .windows(n)
        .find(|w| dmt_three_lowest::criterion(w) == EedCriterion::Met)
        .unwrap_or(&hit.last);
    let (Some(w0), Some(wn)) = (window.first(), window.last()) else {
        return Vec::new();
    };
    let check = check_dossier(input, first.taken_on, last.taken_on);
    let pupil = input.history.pupil_id;
    let domain = Some(LearningDomain::WordReading);
    let mut evidence: Vec<Evidence> = hit.last.iter().map(|m| m.evidence()).collect();
    let mut dossier: Vec<&HistoryPlan> = input
        .history
        .plans
        .iter()
        .filter(|hp| check.plans.contains(&hp.id))
        .collect();
    dossier.sort_by_key(|hp| (hp.plan.start, hp.id));
    for hp in dossier {
        evidence.push(Evidence {
            kind: "plan".into(),
            id: hp.id.to_string(),
            date: hp.plan.start,
            test: None,
            moment: None,
            level: hp.plan.care_level.clone(),
            scale: None,
            percentile: None,
            ability_score: None,
            source: Some(hp.plan.source),
        });
    }
    let (explanation, body) = if check.missing.is_empty() {
        (
            format!(
                "EED-criterium voldaan ({}). Het leesdossier lijkt compleet: {} weken interventie.",
                text::shorts(&hit.last),
                check.weeks
            ),
            "Het leesdossier lijkt compleet. Aanmelding voor dyslexieonderzoek (EED) voorbereiden."
                .to_string(),
        )
    } else {
        (
            format!(
                "EED-criterium voldaan ({}). Het leesdossier is nog niet compleet. {}",
                text::shorts(&hit.last),
                check.missing.join(" ")
            ),
            format!(
                "Voor het EED-dossier ontbreekt nog:\n- {}",
                check.missing.join("\n- ")
            ),
        )
    };
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &format!("r{}", anchor.result_id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: Severity::High,
            explanation,
            evidence,
            eed_criterion: Some(EedCriterion::Met),
        },
        tasks: vec![TaskDraft {
            key: task_key(
                RULE_ID,
                pupil,
                domain,
                &format!("r{}-r{}", w0.result_id, wn.result_id),
            ),
            kind: TaskKind::IbTask,
            target: task_target(hit.run.iter().rev().map(|m| m.source)),
            title: "EED-dossier controleren".into(),
            body,
            due_on: None,
        }],
    }]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::super::{PupilHistory, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::{EvaluationOutcome, PlanKind};

    fn run(h: &PupilHistory) -> Vec<Finding> {
        engine_evaluate(h, d(2025, 2, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn lows(levels: [&str; 3]) -> Pupil {
        Pupil::new(2)
            .dmt(d(2024, 1, 20), levels[0])
            .dmt(d(2024, 6, 10), levels[1])
            .dmt(d(2025, 1, 20), levels[2])
    }

    #[test]
    fn fires_only_when_the_criterion_is_met() {
        assert!(
            run(&lows(["V", "V-", "V-"]).build()).is_empty(),
            "unknown criterion"
        );
        assert!(
            run(&lows(["V-", "V-", "III"]).build()).is_empty(),
            "no dmt signal"
        );
        let got = run(&lows(["V-", "V-", "V-"]).build());
        assert_eq!(got.len(), 1);
        let body = &got[0].tasks[0].body;
        assert!(
            body.contains("Geen handelingsplan technisch lezen op zorgniveau 2"),
            "{body}"
        );
    }

    #[test]
    fn complete_dossier_and_partial_dossier() {
        let complete = lows(["V-", "V-", "V-"])
            .plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::TechnicalReading),
                d(2024, 2, 1),
                |p| {
                    p.care_level = Some("2".into());
                    p.end = Some(d(2024, 6, 30));
                    p.minutes_per_week = Some(60);
                    p.evaluations = vec![eval(d(2024, 6, 30), EvaluationOutcome::PartlyAchieved)];
                },
            )
            .plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::WordReading),
                d(2024, 9, 1),
                |p| {
                    p.care_level = Some("3".into());
                    p.end = Some(d(2025, 1, 15));
                    p.minutes_per_week = Some(90);
                    p.evaluations = vec![eval(d(2025, 1, 15), EvaluationOutcome::NotAchieved)];
                },
            )
            .build();
        let got = run(&complete);
        assert_eq!(got.len(), 1);
        assert!(
            got[0].tasks[0].body.contains("lijkt compleet"),
            "{}",
            got[0].tasks[0].body
        );

        let partial = lows(["V-", "V-", "V-"])
            .plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::WordReading),
                d(2024, 9, 1),
                |p| {
                    p.care_level = Some("2".into());
                    p.end = Some(d(2024, 11, 1));
                    p.minutes_per_week = Some(30);
                },
            )
            .build();
        let body = run(&partial)[0].tasks[0].body.clone();
        assert!(
            body.contains("Geen intensieve interventie op zorgniveau 3"),
            "{body}"
        );
        assert!(body.contains("Interventie duurde 8 weken"), "{body}");
        assert!(body.contains("30 minuten per week"), "{body}");
        assert!(body.contains("Evaluatie ontbreekt"), "{body}");
    }
}
