//! The engine: normalise once, run every rule, apply inhibition, sort by key. Pure and
//! deterministic: the same history, date and context always give the same findings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::finding::group_subject;
use super::normalise::{Classifier, NormaliseStats, Normalised, normalise};
use super::{
    Finding, HistoryPlan, PupilHistory, SchoolContext, avi_stagnation, dmt_three_lowest, eed_check,
    level_drop, lowest_level_repeated, no_growth, opp_yearly_evaluation, plan_evaluation_due,
    plan_evaluation_overdue, plan_ineffective, reference_level_low, signal_without_plan,
};
use crate::domain::{LearningDomain, PlanKind};

/// What every rule reads.
pub struct RuleInput<'a> {
    /// The pupil.
    pub history: &'a PupilHistory,
    /// Reference date: nothing after it is seen.
    pub as_of: NaiveDate,
    /// School parameters and ladder.
    pub ctx: &'a SchoolContext,
    /// The pupil's normalised measurements.
    pub norm: &'a Normalised,
}

/// Counts for `evaluate` output and `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationStats {
    /// Pupils evaluated.
    pub pupils: usize,
    /// What normalisation set aside (unknown tests, tussenmetingen, duplicates, …).
    pub normalise: NormaliseStats,
    /// Findings suppressed because a higher signal covers them.
    pub inhibited: usize,
    /// Findings per rule id.
    pub findings_per_rule: BTreeMap<String, usize>,
}

impl EvaluationStats {
    fn absorb(&mut self, other: &EvaluationStats) {
        self.pupils += other.pupils;
        self.normalise.add(&other.normalise);
        self.inhibited += other.inhibited;
        for (rule, n) in &other.findings_per_rule {
            *self.findings_per_rule.entry(rule.clone()).or_default() += n;
        }
    }
}

/// Findings of one pupil.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PupilFindings {
    /// Store id of the pupil.
    pub pupil_id: i64,
    /// Findings, sorted by signal key.
    pub findings: Vec<Finding>,
}

/// Result of evaluating many pupils of one school.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SchoolEvaluation {
    /// Per pupil, sorted by pupil id; pupils without findings are left out.
    pub pupils: Vec<PupilFindings>,
    /// Totals.
    pub stats: EvaluationStats,
}

/// Evaluates every rule for one pupil as of `as_of`; findings sorted by signal key.
pub fn evaluate(history: &PupilHistory, as_of: NaiveDate, ctx: &SchoolContext) -> Vec<Finding> {
    evaluate_with_stats(history, as_of, ctx).0
}

/// [`evaluate`] plus the pupil's counts.
pub fn evaluate_with_stats(
    history: &PupilHistory,
    as_of: NaiveDate,
    ctx: &SchoolContext,
) -> (Vec<Finding>, EvaluationStats) {
    let cls = Classifier::new(&ctx.params.domain_mapping);
    evaluate_prepared(history, as_of, ctx, &cls)
}

/// Evaluates many pupils of one school (one context); output sorted by pupil id.
pub fn evaluate_all(histories: &[PupilHistory], as_of: NaiveDate, ctx: &SchoolContext) -> SchoolEvaluation {
    let cls = Classifier::new(&ctx.params.domain_mapping);
    let mut out = SchoolEvaluation::default();
    for h in histories {
        let (findings, stats) = evaluate_prepared(h, as_of, ctx, &cls);
        out.stats.absorb(&stats);
        if !findings.is_empty() {
            out.pupils.push(PupilFindings {
                pupil_id: h.pupil_id,
                findings,
            });
        }
    }
    out.pupils.sort_by_key(|p| p.pupil_id);
    out
}

fn evaluate_prepared(
    history: &PupilHistory,
    as_of: NaiveDate,
    ctx: &SchoolContext,
    cls: &Classifier,
) -> (Vec<Finding>, EvaluationStats) {
    let norm = normalise(history, as_of, &ctx.params, cls);
    let input = RuleInput {
        history,
        as_of,
        ctx,
        norm: &norm,
    };
    let mut findings = Vec::new();
    findings.extend(dmt_three_lowest::evaluate(&input));
    findings.extend(eed_check::evaluate(&input));
    findings.extend(lowest_level_repeated::evaluate(&input));
    findings.extend(level_drop::evaluate(&input));
    findings.extend(no_growth::evaluate(&input));
    findings.extend(reference_level_low::evaluate(&input));
    findings.extend(avi_stagnation::evaluate(&input));
    findings.extend(plan_evaluation_due::evaluate(&input));
    findings.extend(plan_evaluation_overdue::evaluate(&input));
    findings.extend(opp_yearly_evaluation::evaluate(&input));
    findings.extend(plan_ineffective::evaluate(&input));

    let before = findings.len();
    inhibit(&mut findings, history, as_of);
    let inhibited = before - findings.len();
    drop_tasks_of_history(&mut findings, as_of);
    // Runs last: it reads the signals found above (after inhibition) as well as the stored ones.
    let open = signal_without_plan::open_learning_signals(&history.open_signals, &findings, as_of);
    findings.extend(signal_without_plan::evaluate(&input, &open));
    let mut stats = EvaluationStats {
        pupils: 1,
        normalise: norm.stats,
        inhibited,
        findings_per_rule: BTreeMap::new(),
    };
    for f in &mut findings {
        f.tasks.sort_by(|a, b| a.key.cmp(&b.key));
        *stats.findings_per_rule.entry(f.signal.rule.clone()).or_default() += 1;
    }
    findings.sort_by(|a, b| a.signal.key.cmp(&b.signal.key));
    findings.dedup_by(|a, b| a.signal.key == b.signal.key);
    (findings, stats)
}

/// Issue 16, item 2: a learning signal the data showed before the previous school year is history
/// (the start overview shows it); it is still stored, but asks nobody for a task.
fn drop_tasks_of_history(findings: &mut [Finding], as_of: NaiveDate) {
    for f in findings {
        if signal_without_plan::LEARNING_RULES.contains(&f.signal.rule.as_str())
            && !signal_without_plan::is_recent(f.opened_on(as_of), as_of)
        {
            f.tasks.clear();
        }
    }
}

/// Alertmanager-style inhibition (docs/DOMAIN.md §7): no `lowest_level_repeated` on word reading
/// while `dmt_three_lowest` fires now or is still active for the pupil, nor for a pupil with an
/// established dyslexieverklaring (low word reading is known and being handled; issue 16 item 4).
fn inhibit(findings: &mut Vec<Finding>, history: &PupilHistory, as_of: NaiveDate) {
    let dyslexia = history
        .dyslexia_statement
        .is_some_and(|s| s.on.is_none_or(|on| on <= as_of));
    let dmt_now = findings
        .iter()
        .any(|f| f.signal.rule == dmt_three_lowest::RULE_ID);
    let dmt_stored = history.open_signals.iter().any(|s| {
        s.rule == dmt_three_lowest::RULE_ID
            && s.status.is_active()
            && s.domain.is_none_or(|d| d == LearningDomain::WordReading)
    });
    if dmt_now || dmt_stored || dyslexia {
        findings.retain(|f| {
            !(f.signal.rule == lowest_level_repeated::RULE_ID
                && f.signal.domain == Some(LearningDomain::WordReading))
        });
    }
}

/// Evaluation reminders for group plans (groepsplannen), once per plan rather than once per pupil:
/// `plan_evaluation_due` and `plan_evaluation_overdue` with the group as key subject
/// (`plan_evaluation_due/g<group>/<domain>/plan<id>-<due>`). Plans that are no group plan are
/// ignored here; findings sorted by key.
pub fn evaluate_group_plans(plans: &[HistoryPlan], as_of: NaiveDate, ctx: &SchoolContext) -> Vec<Finding> {
    let mut findings: Vec<Finding> = plans
        .iter()
        .filter(|hp| hp.plan.kind == PlanKind::GroupPlan && hp.plan.start <= as_of)
        .flat_map(|hp| {
            let subject = match &hp.plan.group_external_id {
                Some(g) => group_subject(g),
                None => group_subject(&format!("plan{}", hp.id)),
            };
            [
                plan_evaluation_due::for_plan(&subject, hp, as_of, ctx),
                plan_evaluation_overdue::for_plan(&subject, hp, as_of, ctx),
            ]
        })
        .flatten()
        .collect();
    findings.sort_by(|a, b| a.signal.key.cmp(&b.signal.key));
    findings.dedup_by(|a, b| a.signal.key == b.signal.key);
    findings
}
