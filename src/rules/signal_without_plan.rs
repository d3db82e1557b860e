//! `signal_without_plan`: a learning signal has been open for six weeks and no running plan
//! covers its domain — a task for the teacher, IB in copy.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key};
use super::{
    PriorSignal, avi_stagnation, dmt_three_lowest, eed_check, level_drop, lowest_level_repeated, no_growth,
    reference_level_low, text,
};
use crate::domain::{Evidence, LearningDomain, SchoolYear, Severity, Source, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "signal_without_plan";
/// Rule version.
/// 2: only signals opened in the current or previous school year, and no low-severity signals
/// (issue 16, items 2 and 9).
pub const RULE_VERSION: u32 = 2;

/// Rules whose signals are learning signals.
pub const LEARNING_RULES: [&str; 7] = [
    dmt_three_lowest::RULE_ID,
    eed_check::RULE_ID,
    lowest_level_repeated::RULE_ID,
    level_drop::RULE_ID,
    no_growth::RULE_ID,
    reference_level_low::RULE_ID,
    avi_stagnation::RULE_ID,
];

/// Learning rules of low severity: their signals are for the IB's overview and never ask a
/// teacher for a plan (issue 16, item 9).
pub const LOW_SEVERITY_RULES: [&str; 1] = [no_growth::RULE_ID];

/// Whether a signal opened on `opened_on` belongs to the current or the previous school year of
/// `as_of` (older ones are history: start overview, no tasks; issue 16, item 2).
pub fn is_recent(opened_on: chrono::NaiveDate, as_of: chrono::NaiveDate) -> bool {
    let now = SchoolYear::of_date(as_of);
    SchoolYear::of_date(opened_on) >= now.previous()
}

/// Whether a plan for `plan` covers a signal in `signal`: the same domain, and the two kinds of
/// technical reading cover each other. A plan without a domain covers nothing.
pub fn covers(plan: Option<LearningDomain>, signal: LearningDomain) -> bool {
    plan.is_some_and(|p| p == signal || (p.is_reading() && signal.is_reading()))
}

/// Whether a signal of `rule` asks for a plan: a learning signal that is not of low severity.
/// The board figures count exactly these (issue 16 item 15).
pub fn asks_for_plan(rule: &str) -> bool {
    LEARNING_RULES.contains(&rule) && !LOW_SEVERITY_RULES.contains(&rule)
}

/// A plan as the coverage check sees it: the pupil's own plan or a group plan of one of his
/// groups, with its domain and period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanSpan {
    /// Domain the plan works on.
    pub domain: Option<LearningDomain>,
    /// Start date.
    pub start: NaiveDate,
    /// End date, when closed.
    pub end: Option<NaiveDate>,
}

/// Whether a plan covering `domain` runs on `day` — the one test of "is there a plan" for this
/// rule (on the evaluation day) and for the board figures (on the day the term is up).
pub fn covered_on(day: NaiveDate, domain: LearningDomain, plans: impl IntoIterator<Item = PlanSpan>) -> bool {
    plans
        .into_iter()
        .any(|p| p.start <= day && p.end.is_none_or(|e| day <= e) && covers(p.domain, domain))
}

/// The day a signal opened on `opened_on` has been open `weeks` weeks: when this rule asks for a
/// plan if none runs.
pub fn plan_term_end(opened_on: NaiveDate, weeks: u32) -> NaiveDate {
    opened_on + Duration::weeks(i64::from(weeks))
}

/// "Plan binnen 6 weken" (the board report and the `/bestuur` page, issue 16 item 15): on the
/// day the term is up, a plan covering the signal's domain runs — the pupil's own or a group
/// plan of one of his groups, started before the signal or within the term. Exactly when this
/// rule would *not* ask for a plan on that day.
pub fn plan_in_time(
    opened_on: NaiveDate,
    weeks: u32,
    domain: LearningDomain,
    plans: impl IntoIterator<Item = PlanSpan>,
) -> bool {
    covered_on(plan_term_end(opened_on, weeks), domain, plans)
}

/// Runs the rule: one finding per uncovered domain, anchored on the oldest qualifying signal
/// there, so two open signals in one domain ask the teacher for one plan, not two.
/// `open` is every active signal of the pupil: the stored ones and those this run finds (with
/// their [`Finding::opened_on`] date), see [`open_learning_signals`].
pub fn evaluate(input: &RuleInput<'_>, open: &[PriorSignal]) -> Vec<Finding> {
    let p = &input.ctx.params.signal_without_plan;
    if !p.enabled {
        return Vec::new();
    }
    let mut per_domain: BTreeMap<LearningDomain, Vec<&PriorSignal>> = BTreeMap::new();
    for s in open {
        let Some(domain) = s.domain else { continue };
        if s.status.is_active()
            && asks_for_plan(&s.rule)
            && is_recent(s.opened_on, input.as_of)
            && input.as_of >= plan_term_end(s.opened_on, p.weeks)
        {
            per_domain.entry(domain).or_default().push(s);
        }
    }
    let mut out = Vec::new();
    for (domain, mut signals) in per_domain {
        let covered = covered_on(
            input.as_of,
            domain,
            input.history.plans.iter().map(|hp| PlanSpan {
                domain: hp.plan.domain,
                start: hp.plan.start,
                end: hp.plan.end,
            }),
        );
        if covered {
            continue;
        }
        signals.sort_by(|a, b| (a.opened_on, &a.key).cmp(&(b.opened_on, &b.key)));
        signals.dedup_by(|a, b| a.key == b.key);
        let Some(oldest) = signals.first() else { continue };
        out.push(finding(input, domain, oldest, &signals));
    }
    out
}

/// The pupil's open signals as this run sees them: the stored ones (their stored opening date wins)
/// plus the learning signals found now and not stored yet, opened on the day the data showed them.
/// So the first evaluation after installation sees what a daily run would have seen all along.
pub fn open_learning_signals(
    stored: &[PriorSignal],
    found: &[Finding],
    as_of: chrono::NaiveDate,
) -> Vec<PriorSignal> {
    let mut out: Vec<PriorSignal> = stored.to_vec();
    for f in found {
        if !LEARNING_RULES.contains(&f.signal.rule.as_str()) || out.iter().any(|s| s.key == f.signal.key) {
            continue;
        }
        out.push(PriorSignal {
            key: f.signal.key.clone(),
            rule: f.signal.rule.clone(),
            domain: f.signal.domain,
            opened_on: f.opened_on(as_of),
            status: crate::domain::SignalStatus::Open,
        });
    }
    out
}

fn finding(
    input: &RuleInput<'_>,
    domain: LearningDomain,
    oldest: &PriorSignal,
    all: &[&PriorSignal],
) -> Finding {
    let pupil = input.history.pupil_id;
    let anchor = format!("signal:{}", oldest.key);
    let what = text::rule_label(&oldest.rule);
    let weeks_open = (input.as_of - oldest.opened_on).num_weeks();
    let others = match all.len() {
        0 | 1 => String::new(),
        n => format!(
            " Er staan {} signalen open voor {}.",
            text::count_word(n),
            domain.dutch()
        ),
    };
    Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, Some(domain), &anchor),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: Some(domain),
            severity: Severity::Medium,
            explanation: format!(
                "Het signaal '{what}' staat sinds {} open ({}) en er loopt geen plan voor {}.{others}",
                text::date(oldest.opened_on),
                text::weeks(weeks_open),
                domain.dutch()
            ),
            evidence: all
                .iter()
                .map(|s| Evidence {
                    kind: "signal".into(),
                    id: s.key.clone(),
                    date: s.opened_on,
                    test: None,
                    moment: None,
                    level: None,
                    scale: None,
                    percentile: None,
                    ability_score: None,
                    source: None,
                    note: None,
                })
                .collect(),
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(RULE_ID, pupil, Some(domain), &anchor),
            kind: TaskKind::TeacherTask,
            target: Source::Parnassys,
            title: format!("Plan opstellen voor {}", domain.dutch()),
            body: format!(
                "Sinds {} staat het signaal '{what}' open zonder lopend plan voor {}. Graag een plan opstellen of \
                 met de IB bespreken.",
                text::date(oldest.opened_on),
                domain.dutch()
            ),
            due_on: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{PlanKind, SignalStatus};
    use LearningDomain::*;

    #[test]
    fn first_run_counts_from_the_day_the_data_showed_the_signal() {
        // Three DMT V's from long ago, nothing stored yet, no plan: the first evaluation already
        // sees a dmt_three_lowest signal that has been open since the third sitting.
        let old = Pupil::new(7)
            .dmt(d(2025, 1, 20), "V")
            .dmt(d(2025, 6, 10), "V")
            .dmt(d(2026, 1, 19), "V")
            .build();
        let found = engine_evaluate(&old, d(2026, 3, 9), &ctx());
        let swp: Vec<_> = found.iter().filter(|f| f.signal.rule == RULE_ID).collect();
        assert_eq!(swp.len(), 1, "{found:?}");
        assert_eq!(swp[0].signal.domain, Some(WordReading));
        // Five weeks after the third sitting: not yet.
        let recent = engine_evaluate(&old, d(2026, 2, 23), &ctx());
        assert!(recent.iter().all(|f| f.signal.rule != RULE_ID));
    }

    #[test]
    fn table() {
        let opened = d(2026, 1, 12);
        // (name, rule, signal domain, status, plan domain, as_of, fires)
        type Case = (
            &'static str,
            &'static str,
            LearningDomain,
            SignalStatus,
            Option<Option<LearningDomain>>,
            chrono::NaiveDate,
            bool,
        );
        let cases: &[Case] = &[
            (
                "six weeks without plan",
                "dmt_three_lowest",
                WordReading,
                SignalStatus::Open,
                None,
                d(2026, 2, 23),
                true,
            ),
            (
                "a day short of six weeks",
                "dmt_three_lowest",
                WordReading,
                SignalStatus::Open,
                None,
                d(2026, 2, 22),
                false,
            ),
            (
                "technical reading plan covers word reading",
                "dmt_three_lowest",
                WordReading,
                SignalStatus::Open,
                Some(Some(TechnicalReading)),
                d(2026, 3, 1),
                false,
            ),
            (
                "spelling plan does not cover maths",
                "level_drop",
                Mathematics,
                SignalStatus::Acknowledged,
                Some(Some(Spelling)),
                d(2026, 3, 1),
                true,
            ),
            (
                "plan without domain covers nothing",
                "level_drop",
                Spelling,
                SignalStatus::Open,
                Some(None),
                d(2026, 3, 1),
                true,
            ),
            (
                "resolved signals are done",
                "level_drop",
                Spelling,
                SignalStatus::Resolved,
                None,
                d(2026, 3, 1),
                false,
            ),
            (
                "a low-severity signal asks no teacher for a plan",
                "no_growth",
                Spelling,
                SignalStatus::Open,
                None,
                d(2026, 3, 1),
                false,
            ),
            (
                "plan signals are no learning signals",
                "plan_evaluation_overdue",
                Spelling,
                SignalStatus::Open,
                None,
                d(2026, 3, 1),
                false,
            ),
        ];
        for (name, rule, domain, status, plan, as_of, fires) in cases {
            let mut p = Pupil::new(10).prior("k1", rule, Some(*domain), opened, *status);
            if let Some(pd) = plan {
                p = p.plan(PlanKind::GroupPlan, *pd, d(2026, 1, 5), |_| {});
            }
            let got: Vec<_> = engine_evaluate(&p.build(), *as_of, &ctx())
                .into_iter()
                .filter(|f| f.signal.rule == RULE_ID)
                .collect();
            assert_eq!(got.len(), usize::from(*fires), "{name}");
            if let Some(f) = got.first() {
                assert_eq!(f.tasks[0].kind, TaskKind::TeacherTask);
            }
        }
    }

    /// Issue 16, item 2: signals from before the previous school year are history.
    #[test]
    fn only_signals_of_the_current_or_previous_school_year() {
        // (opened on, as of, fires)
        let cases = [
            (d(2025, 9, 1), d(2026, 3, 1), true),
            (d(2024, 8, 1), d(2026, 3, 1), true),
            (d(2024, 7, 31), d(2026, 3, 1), false),
            (d(2022, 1, 10), d(2026, 3, 1), false),
        ];
        for (opened, as_of, fires) in cases {
            let p = Pupil::new(10).prior("k", "level_drop", Some(Spelling), opened, SignalStatus::Open);
            let got = engine_evaluate(&p.build(), as_of, &ctx());
            assert_eq!(
                got.iter().any(|f| f.signal.rule == RULE_ID),
                fires,
                "opened {opened}, as of {as_of}"
            );
        }
        // A run the data showed three school years ago is still a signal, without a task.
        let old = Pupil::new(7)
            .dmt(d(2023, 1, 20), "V-")
            .dmt(d(2023, 6, 10), "V-")
            .dmt(d(2024, 1, 19), "V-")
            .build();
        let found = engine_evaluate(&old, d(2026, 3, 9), &ctx());
        let dmt: Vec<_> = found
            .iter()
            .filter(|f| f.signal.rule == "dmt_three_lowest")
            .collect();
        assert_eq!(dmt.len(), 1);
        assert!(dmt[0].tasks.is_empty(), "history asks for no task");
        assert!(found.iter().all(|f| f.signal.rule != RULE_ID));
        assert!(found.iter().all(|f| f.tasks.is_empty()));
        // The same run one school year later is recent: tasks as before.
        let found = engine_evaluate(&old, d(2025, 3, 9), &ctx());
        assert!(found.iter().any(|f| f.signal.rule == RULE_ID));
    }

    #[test]
    fn two_open_signals_in_one_domain_ask_for_one_plan() {
        let p = Pupil::new(10)
            .prior(
                "b",
                "eed_check",
                Some(WordReading),
                d(2026, 1, 12),
                SignalStatus::Open,
            )
            .prior(
                "a",
                "dmt_three_lowest",
                Some(WordReading),
                d(2026, 1, 12),
                SignalStatus::Open,
            );
        let got: Vec<_> = engine_evaluate(&p.build(), d(2026, 3, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.key, "signal_without_plan/p10/word_reading/signal:a");
        assert_eq!(got[0].signal.evidence.len(), 2);
        assert!(
            got[0]
                .signal
                .explanation
                .ends_with("Er staan twee signalen open voor woordlezen (DMT).")
        );
    }
}
