//! The engine: normalise once, run every rule, apply inhibition, sort by key. Pure and
//! deterministic: the same history, date and context always give the same findings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::finding::{group_subject, pupil_subject, subject_key};
use super::input::{Evaluate, RuleInput};
use super::normalise::{Classifier, NormaliseStats, normalise};
use super::{
    Finding, HistoryPlan, PupilHistory, RULES, SchoolContext, avi_stagnation, concern_notes,
    dmt_three_lowest, dyscalculia_check, eed_check, frequent_sick_absence, level_drop, lowest_level_repeated,
    no_growth, plan_evaluation_due, plan_evaluation_overdue, reference_level_low, signal_without_plan,
    social_emotional_drop, social_emotional_low,
};
use crate::domain::{LearningDomain, PlanKind};

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
    for rule in &RULES {
        if let Evaluate::Data(evaluate) = rule.evaluate {
            findings.extend(evaluate(&input));
        }
    }

    let before = findings.len();
    inhibit(&mut findings, history, as_of);
    let inhibited = before - findings.len();
    drop_tasks_of_history(&mut findings, as_of);
    continue_active(&mut findings, history, as_of);
    escalate_due_reminders(&mut findings, history);
    // Follow-up rules run last: they read the learning signals found above (after inhibition and
    // continuation), with their stored opening dates.
    let mut asks = Vec::new();
    for rule in &RULES {
        if let Evaluate::FollowUp(evaluate) = rule.evaluate {
            asks.extend(evaluate(&input, &findings));
        }
    }
    continue_active(&mut asks, history, as_of);
    findings.extend(asks);
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
            && !signal_without_plan::is_recent(signal_without_plan::opened_on(f, as_of), as_of)
        {
            f.tasks.clear();
        }
    }
}

/// Rules whose signal is one per pupil and domain while it is active: a finding of such a rule
/// with a new key (a new run after a result in between, a second drop, a new anchor) continues
/// the pupil's active stored signal of the same rule and domain instead of opening a new one.
pub const CONTINUING_RULES: [&str; 13] = [
    dmt_three_lowest::RULE_ID,
    eed_check::RULE_ID,
    lowest_level_repeated::RULE_ID,
    level_drop::RULE_ID,
    no_growth::RULE_ID,
    reference_level_low::RULE_ID,
    avi_stagnation::RULE_ID,
    signal_without_plan::RULE_ID,
    frequent_sick_absence::RULE_ID,
    dyscalculia_check::RULE_ID,
    social_emotional_low::RULE_ID,
    social_emotional_drop::RULE_ID,
    concern_notes::RULE_ID,
];

/// Reminders of a record that is missing in the source (issue 18 item 5: the OPP drawn up, the
/// parents' agreement on its handelingsdeel): once the record is made the rule stops finding it,
/// and the evaluation resolves the pupil's stored open or acknowledged signal of such a rule
/// (`app::evaluate`), so the IB's list holds only what is still missing. Every other rule's
/// signal stays until the IB resolves it (docs/RULES.md §2).
pub const SETTLED_WHEN_RECORDED: [&str; 2] = [
    super::opp_not_drawn_up::RULE_ID,
    super::opp_parents_agreement::RULE_ID,
];

/// Signal economy (issue 17): the same problem of the same pupil is one signal while it is
/// active. When a finding of a [`CONTINUING_RULES`] rule has a key the store does not hold, and
/// the pupil has an active (open or acknowledged) signal of that rule in that domain, opened in
/// the current or previous school year, the finding takes that signal's key: the store appends
/// the new evidence to it (and its new explanation and severity) instead of opening a second
/// signal that says the same. V, V, IV, V, V on spelling is one pupil low in spelling, not two
/// problems. The stored signal already asked for its tasks; they are asked again only when the
/// severity rises (three plain V's that become three V(E)'s ask for dyslexieonderzoek). A signal
/// the IB resolved or dismissed is not continued: when the problem returns, it is news.
fn continue_active(findings: &mut [Finding], history: &PupilHistory, as_of: NaiveDate) {
    let stored_keys: std::collections::HashSet<&str> =
        history.open_signals.iter().map(|s| s.key.as_str()).collect();
    let mut taken: std::collections::HashSet<String> = findings
        .iter()
        .filter(|f| stored_keys.contains(f.signal.key.as_str()))
        .map(|f| f.signal.key.clone())
        .collect();
    for f in findings.iter_mut() {
        let rule = f.signal.rule.as_str();
        if !CONTINUING_RULES.contains(&rule) || stored_keys.contains(f.signal.key.as_str()) {
            continue;
        }
        // Only the pupil's own signal of this rule and domain (the key says so).
        let prefix = subject_key(rule, &pupil_subject(history.pupil_id), f.signal.domain, "");
        let candidate = history
            .open_signals
            .iter()
            .filter(|s| {
                s.rule == rule
                    && s.domain == f.signal.domain
                    && s.status.is_active()
                    && s.key.starts_with(&prefix)
                    && signal_without_plan::is_recent(s.opened_on, as_of)
                    && !taken.contains(&s.key)
            })
            .max_by(|a, b| (a.opened_on, &a.key).cmp(&(b.opened_on, &b.key)));
        let Some(stored) = candidate else { continue };
        taken.insert(stored.key.clone());
        let rises = stored.severity.is_some_and(|s| f.signal.severity > s);
        f.signal.key = stored.key.clone();
        if !rises {
            f.tasks.clear();
        }
    }
}

/// One signal per plan evaluation (issue 17): "evaluatie binnenkort" and, once the date has
/// passed, "evaluatie te laat" are one item whose state moves on, not two signals. An overdue
/// finding takes the key of the active stored `plan_evaluation_due` signal of the same plan and
/// date (`plan_evaluation_due/p<pupil>/<domain>/plan<id>-<due>`); the store then changes that
/// signal's rule, severity and explanation, and the digest names it again because its severity
/// rose. Without such a stored reminder (it was resolved, or the first evaluation after
/// installation finds the plan already late) the overdue signal has its own key.
fn escalate_due_reminders(findings: &mut [Finding], history: &PupilHistory) {
    let own = format!(
        "{}/{}/",
        plan_evaluation_overdue::RULE_ID,
        pupil_subject(history.pupil_id)
    );
    for f in findings
        .iter_mut()
        .filter(|f| f.signal.rule == plan_evaluation_overdue::RULE_ID && f.signal.key.starts_with(&own))
    {
        let due_key =
            f.signal
                .key
                .replacen(plan_evaluation_overdue::RULE_ID, plan_evaluation_due::RULE_ID, 1);
        let reminded = history.open_signals.iter().any(|s| {
            s.key == due_key
                && s.status.is_active()
                && (s.rule == plan_evaluation_due::RULE_ID || s.rule == plan_evaluation_overdue::RULE_ID)
        });
        if reminded {
            f.signal.key = due_key;
        }
    }
}

/// A higher signal and the domain in which it makes `lowest_level_repeated` redundant (§3 of
/// docs/RULES.md): the DMT signal in word reading (as does an established dyslexieverklaring),
/// the rekenonderzoek in rekenen-wiskunde. Found now or stored open/acknowledged.
const COVERS_LOWEST_LEVEL: [(&str, LearningDomain); 2] = [
    (dmt_three_lowest::RULE_ID, LearningDomain::WordReading),
    (dyscalculia_check::RULE_ID, LearningDomain::Mathematics),
];

/// Alertmanager-style inhibition (docs/DOMAIN.md §7): no `lowest_level_repeated` on word reading
/// while `dmt_three_lowest` fires now or is still active for the pupil, nor for a pupil with an
/// established dyslexieverklaring (low word reading is known and being handled; issue 16 item 4);
/// likewise in rekenen while `dyscalculia_check` does ([`COVERS_LOWEST_LEVEL`]).
fn inhibit(findings: &mut Vec<Finding>, history: &PupilHistory, as_of: NaiveDate) {
    let dyslexia = history
        .dyslexia_statement
        .is_some_and(|s| s.on.is_none_or(|on| on <= as_of));
    for (higher, domain) in COVERS_LOWEST_LEVEL {
        let now = findings.iter().any(|f| f.signal.rule == higher);
        let stored = history
            .open_signals
            .iter()
            .any(|s| s.rule == higher && s.status.is_active() && s.domain.is_none_or(|d| d == domain));
        let statement = dyslexia && domain == LearningDomain::WordReading;
        if now || stored || statement {
            findings.retain(|f| {
                !(f.signal.rule == lowest_level_repeated::RULE_ID && f.signal.domain == Some(domain))
            });
        }
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

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{LearningDomain, Severity, SignalStatus};

    /// Spelling: V, V (E4, M5), IV (E5), V, V (M6, E6): two runs of the same problem.
    fn two_runs(p: Pupil) -> Pupil {
        p.result("CSP", "Spelling", d(2025, 6, 10), &[("IV", "V")])
            .result("CSP", "Spelling", d(2026, 1, 19), &[("IV", "V")])
            .result("CSP", "Spelling", d(2026, 6, 9), &[("IV", "IV")])
            .result("CSP", "Spelling", d(2027, 1, 18), &[("IV", "V")])
            .result("CSP", "Spelling", d(2027, 6, 8), &[("IV", "V-")])
    }

    fn llr(p: &Pupil, as_of: NaiveDate) -> Vec<Finding> {
        evaluate(&p.clone().build(), as_of, &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == lowest_level_repeated::RULE_ID)
            .collect()
    }

    /// Issue 17: the same problem of the same pupil is one signal while it is active. A new run
    /// after a result in between continues the stored signal (its key, so the store appends the
    /// evidence) unless the IB closed it or it is history.
    #[test]
    fn a_new_run_continues_the_active_signal_of_the_same_problem() {
        let as_of = d(2027, 7, 1);
        let first = llr(&two_runs(Pupil::new(10)), d(2026, 2, 1));
        assert_eq!(first.len(), 1);
        let stored_key = first[0].signal.key.clone();
        let fresh = llr(&two_runs(Pupil::new(10)), as_of);
        assert_ne!(
            fresh[0].signal.key, stored_key,
            "without a stored signal: a new anchor"
        );
        let store = |status, opened| {
            two_runs(Pupil::new(10)).prior(
                &stored_key,
                lowest_level_repeated::RULE_ID,
                Some(LearningDomain::Spelling),
                opened,
                status,
            )
        };
        // (name, stored status, stored opened on, continues)
        let cases = [
            ("open: continued", SignalStatus::Open, d(2026, 1, 19), true),
            (
                "acknowledged: continued",
                SignalStatus::Acknowledged,
                d(2026, 1, 19),
                true,
            ),
            (
                "resolved by the IB: the return is news",
                SignalStatus::Resolved,
                d(2026, 1, 19),
                false,
            ),
            (
                "dismissed: the return is news",
                SignalStatus::Dismissed,
                d(2026, 1, 19),
                false,
            ),
            (
                "opened before the previous school year: history",
                SignalStatus::Open,
                d(2025, 7, 31),
                false,
            ),
        ];
        for (name, status, opened, continues) in cases {
            let got = llr(&store(status, opened), as_of);
            assert_eq!(got.len(), 1, "{name}");
            assert_eq!(got[0].signal.key == stored_key, continues, "{name}");
            // The evidence is the current run either way.
            assert_eq!(got[0].signal.evidence.len(), 2, "{name}");
        }
        // Another pupil's key, or another domain, is never taken over.
        let other = two_runs(Pupil::new(10)).prior(
            "lowest_level_repeated/p11/spelling/r1",
            lowest_level_repeated::RULE_ID,
            Some(LearningDomain::Spelling),
            d(2026, 1, 19),
            SignalStatus::Open,
        );
        assert_ne!(
            llr(&other, as_of)[0].signal.key,
            "lowest_level_repeated/p11/spelling/r1"
        );
        let rekenen = two_runs(Pupil::new(10)).prior(
            "lowest_level_repeated/p10/mathematics/r1",
            lowest_level_repeated::RULE_ID,
            Some(LearningDomain::Mathematics),
            d(2026, 1, 19),
            SignalStatus::Open,
        );
        assert_ne!(
            llr(&rekenen, as_of)[0].signal.key,
            "lowest_level_repeated/p10/mathematics/r1"
        );
    }

    /// A continued signal asked for its tasks once; they come again only when the severity rises
    /// (three plain V's, then a run of three V(E)'s: now dyslexieonderzoek is advised).
    #[test]
    fn a_continued_signal_asks_again_only_when_its_severity_rises() {
        let dmt = |p: Pupil| {
            p.dmt(d(2024, 6, 10), "V")
                .dmt(d(2025, 1, 20), "V")
                .dmt(d(2025, 6, 10), "V")
                .dmt(d(2026, 1, 19), "IV")
                .dmt(d(2026, 6, 9), "V-")
                .dmt(d(2027, 1, 18), "V-")
                .dmt(d(2027, 6, 8), "V-")
        };
        let as_of = d(2027, 7, 1);
        let prior = |severity| {
            let mut p = dmt(Pupil::new(10)).prior(
                "dmt_three_lowest/p10/word_reading/r10001",
                dmt_three_lowest::RULE_ID,
                Some(LearningDomain::WordReading),
                // Opened in the previous school year: still current enough to continue.
                d(2025, 9, 1),
                SignalStatus::Open,
            );
            p.h.open_signals[0].severity = Some(severity);
            p
        };
        for (stored, tasks) in [(Severity::Medium, true), (Severity::High, false)] {
            let got: Vec<Finding> = evaluate(&prior(stored).build(), as_of, &ctx())
                .into_iter()
                .filter(|f| f.signal.rule == dmt_three_lowest::RULE_ID)
                .collect();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].signal.key, "dmt_three_lowest/p10/word_reading/r10001");
            assert_eq!(got[0].signal.severity, Severity::High);
            assert_eq!(!got[0].tasks.is_empty(), tasks, "stored {stored:?}");
        }
    }

    /// Level drops: a second drop while the first is still open updates that signal.
    #[test]
    fn a_second_drop_continues_the_open_drop_signal() {
        let p = Pupil::new(10)
            .result("RW", "Rekenen", d(2025, 1, 20), &[("IV", "I")])
            .result("RW", "Rekenen", d(2025, 6, 10), &[("IV", "III")])
            .result("RW", "Rekenen", d(2026, 1, 19), &[("IV", "II")])
            .result("RW", "Rekenen", d(2026, 6, 9), &[("IV", "IV")]);
        let first: Vec<Finding> = evaluate(&p.clone().build(), d(2025, 7, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == level_drop::RULE_ID)
            .collect();
        let key = first[0].signal.key.clone();
        let p = p.prior(
            &key,
            level_drop::RULE_ID,
            Some(LearningDomain::Mathematics),
            d(2025, 6, 10),
            SignalStatus::Open,
        );
        let got: Vec<Finding> = evaluate(&p.build(), d(2026, 7, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == level_drop::RULE_ID)
            .collect();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.key, key);
        assert!(
            got[0].signal.explanation.contains("van II (M5) naar IV (E5)"),
            "{:?}",
            got[0]
        );
    }
}

#[cfg(test)]
mod escalation_tests {
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{LearningDomain, PlanKind, SignalStatus};

    /// Issue 17: "evaluatie binnenkort" and then "evaluatie te laat" for the same plan and date
    /// are one signal whose state moves on.
    #[test]
    fn a_late_evaluation_continues_its_due_reminder() {
        let plan = |p: Pupil| {
            p.plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::Spelling),
                d(2026, 1, 12),
                |pl| pl.evaluation_due = Some(d(2026, 2, 23)),
            )
        };
        let due: Vec<Finding> = evaluate(&plan(Pupil::new(7)).build(), d(2026, 2, 18), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == plan_evaluation_due::RULE_ID)
            .collect();
        let due_key = due[0].signal.key.clone();
        assert!(due_key.ends_with("-2026-02-23"), "{due_key}");
        // (name, stored reminder (rule, status), takes the reminder's key)
        let cases = [
            ("nothing stored: its own key", None, false),
            (
                "the reminder is open: one signal",
                Some((plan_evaluation_due::RULE_ID, SignalStatus::Open)),
                true,
            ),
            (
                "already escalated on an earlier day: stays one signal",
                Some((plan_evaluation_overdue::RULE_ID, SignalStatus::Acknowledged)),
                true,
            ),
            (
                "the IB resolved the reminder: the late evaluation is news",
                Some((plan_evaluation_due::RULE_ID, SignalStatus::Resolved)),
                false,
            ),
        ];
        for (name, stored, continues) in cases {
            let mut p = plan(Pupil::new(7));
            if let Some((rule, status)) = stored {
                p = p.prior(
                    &due_key,
                    rule,
                    Some(LearningDomain::Spelling),
                    d(2026, 2, 16),
                    status,
                );
            }
            let late: Vec<Finding> = evaluate(&p.build(), d(2026, 3, 12), &ctx())
                .into_iter()
                .filter(|f| f.signal.rule == plan_evaluation_overdue::RULE_ID)
                .collect();
            assert_eq!(late.len(), 1, "{name}");
            assert_eq!(
                late[0].signal.key == due_key,
                continues,
                "{name}: {}",
                late[0].signal.key
            );
            assert_eq!(late[0].signal.severity, crate::domain::Severity::Medium);
            // The IB task (and later the escalation) keep their own keys either way.
            assert!(
                late[0].tasks[0].key.starts_with("plan_evaluation_overdue/p7/"),
                "{name}"
            );
        }
    }
}
