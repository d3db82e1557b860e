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
    continue_family(&mut findings, history, as_of);
    escalate_due_reminders(&mut findings, history);
    merge_eed_checks(&mut findings, history);
    // Follow-up rules run last: they read the learning signals found above (after inhibition and
    // continuation), with their stored opening dates.
    let mut asks = Vec::new();
    for rule in &RULES {
        if let Evaluate::FollowUp(evaluate) = rule.evaluate {
            asks.extend(evaluate(&input, &findings));
        }
    }
    merge_plan_requests(&mut findings, &mut asks);
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

/// Owner reminders (herinneringen, issue 17 signal economy): a plan's evaluation that falls
/// within the week is the plan owner's agenda, not news for the IB. Such a finding's tasks (the
/// owner reminder in ParnasSys or Leeruniek) are stored and pushed as before, but no signal is
/// opened: no line in the IB's digest, none on her start page. When the date passes without an
/// evaluation, `plan_evaluation_overdue` opens the IB's signal (with its IB task). Over a replayed
/// school year every handelingsplan got this reminder (23,7 signals per 100 pupils, three
/// quarters of them evaluated on time), which is the teacher's calendar, not a signal.
pub const OWNER_REMINDERS: [&str; 1] = [plan_evaluation_due::RULE_ID];

/// Whether a finding of `rule` is an owner reminder only ([`OWNER_REMINDERS`]).
pub fn is_owner_reminder(rule: &str) -> bool {
    OWNER_REMINDERS.contains(&rule)
}

/// Bespreekpunten (issue 17, signal economy): signals whose own text asks to discuss the pupil in
/// the groeps- of leerlingbespreking — two V's in a row, a drop of two levels, below 1F, AVI
/// standing still, no growth, a plusaanbod candidate, a social-emotional score under the line or
/// a fall, concerns noted again and again. They are stored, shown and followed up per pupil like
/// every signal (dashboard, pupil page, plan request after six weeks, board figures), but they
/// reach the IB's mail as **one line per group** ("Groepsbespreking: Anna B., Bram K., …"), not
/// one line per pupil: after an M or E round they are the agenda of the groepsbespreking each
/// school holds two or three times a year (seeds 001, 002, 004: HGW stap 2), not a separate
/// errand each. Over a replayed school year they were two thirds of all new signals (a V is the
/// lowest 20 % by definition, so two in a row happen to some 13 % of pupils per domain). Every
/// other rule (the DMT and ED checks, late evaluations, OPP steps, absence, rekenonderzoek, a
/// missing measurement) keeps its own line: each asks for an action of its own.
pub const DISCUSSION_RULES: [&str; 9] = [
    lowest_level_repeated::RULE_ID,
    level_drop::RULE_ID,
    reference_level_low::RULE_ID,
    avi_stagnation::RULE_ID,
    no_growth::RULE_ID,
    super::gifted_candidate::RULE_ID,
    social_emotional_low::RULE_ID,
    social_emotional_drop::RULE_ID,
    concern_notes::RULE_ID,
];

/// Whether a signal of `rule` is a bespreekpunt ([`DISCUSSION_RULES`]).
pub fn is_discussion_point(rule: &str) -> bool {
    DISCUSSION_RULES.contains(&rule)
}

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

/// Families of rules that describe one problem of a pupil (issue 17): the level rules of one
/// domain (two V's, a drop, below 1F, AVI standing still: "this pupil is low in spelling"), and
/// the social-emotional rules (low twice, a fall: "this pupil is not doing well"). All are of
/// medium severity and ask the IB to discuss the pupil; none carries a task of its own.
pub const RULE_FAMILIES: [&[&str]; 2] = [
    &[
        lowest_level_repeated::RULE_ID,
        level_drop::RULE_ID,
        reference_level_low::RULE_ID,
        avi_stagnation::RULE_ID,
    ],
    &[social_emotional_low::RULE_ID, social_emotional_drop::RULE_ID],
];

/// The family of `rule`, if it has one ([`RULE_FAMILIES`]).
pub fn family_of(rule: &str) -> Option<&'static [&'static str]> {
    RULE_FAMILIES.iter().copied().find(|f| f.contains(&rule))
}

/// One active signal per problem, across the rules of a family (issue 17): a new finding of a
/// [`RULE_FAMILIES`] rule (its key not stored, not continued by [`continue_active`]) while the
/// pupil has an active signal of another rule of the family in the same domain, opened in the
/// current or previous school year, is that problem again, not news:
/// - when that signal's own rule no longer finds it, the finding takes its key (the store keeps
///   the signal and moves its rule, explanation and evidence on, as with a late evaluation): a
///   spelling drop from III to V followed by V, V is one pupil low in spelling;
/// - when it is still found in this run, the new finding is absorbed: its evidence is added to
///   that finding, and it opens nothing.
///
/// Over a replayed school year (3 schools) a quarter of the new social-emotional signals and 25
/// new level signals were such second signals of a problem the IB already had.
fn continue_family(findings: &mut Vec<Finding>, history: &PupilHistory, as_of: NaiveDate) {
    let stored_keys: std::collections::HashSet<&str> =
        history.open_signals.iter().map(|s| s.key.as_str()).collect();
    let mut i = 0;
    while i < findings.len() {
        let f = &findings[i];
        let Some(family) = family_of(&f.signal.rule) else {
            i += 1;
            continue;
        };
        if stored_keys.contains(f.signal.key.as_str()) {
            i += 1;
            continue;
        }
        let pupil = pupil_subject(history.pupil_id);
        // The stored signal's rule may be this finding's own by now (continued on an earlier
        // day), with a key another rule of the family made: any rule and key of the family.
        let candidate = history
            .open_signals
            .iter()
            .filter(|s| {
                family.contains(&s.rule.as_str())
                    && s.domain == f.signal.domain
                    && s.status.is_active()
                    && family
                        .iter()
                        .any(|r| s.key.starts_with(&subject_key(r, &pupil, s.domain, "")))
                    && signal_without_plan::is_recent(s.opened_on, as_of)
            })
            .max_by(|a, b| (a.opened_on, &a.key).cmp(&(b.opened_on, &b.key)));
        let Some(stored) = candidate else {
            i += 1;
            continue;
        };
        let key = stored.key.clone();
        if let Some(holder) = findings.iter().position(|g| g.signal.key == key) {
            let absorbed = findings.remove(i);
            let holder = if holder > i { holder - 1 } else { holder };
            let evidence = &mut findings[holder].signal.evidence;
            for e in absorbed.signal.evidence {
                if !evidence.contains(&e) {
                    evidence.push(e);
                }
            }
            continue;
        }
        let rises = stored.severity.is_some_and(|s| findings[i].signal.severity > s);
        findings[i].signal.key = key;
        if !rises {
            findings[i].tasks.clear();
        }
        i += 1;
    }
}

/// One signal per problem (issue 17, `signal_without_plan` version 4): six weeks without a plan
/// is news for the teacher (docs/DOMAIN.md §6: "task to teacher, copy IB"), not a second signal
/// about the same pupil and domain for the IB. The request is merged into the learning signal it
/// is anchored on (the oldest current one of the domain, found in this run): that finding gets
/// the teacher's task and the request's sentence in its explanation ("… en er loopt geen plan
/// voor spelling."), and the other open signals of the domain as evidence; its rule, key and
/// severity stay. Over a replayed school year the separate request was a fifth of all new
/// signals, each an echo of a signal the IB had already received. A request whose anchor is not
/// among the findings (the rule asks only for current signals, so this does not happen) stays a
/// finding of its own.
fn merge_plan_requests(findings: &mut [Finding], asks: &mut Vec<Finding>) {
    asks.retain(|ask| {
        if ask.signal.rule != signal_without_plan::RULE_ID {
            return true;
        }
        let Some(anchor) = ask.signal.evidence.first().map(|e| e.id.as_str()) else {
            return true;
        };
        let Some(target) = findings.iter_mut().find(|f| f.signal.key == anchor) else {
            return true;
        };
        let t = &mut target.signal;
        t.explanation = format!("{} {}", t.explanation, ask.signal.explanation);
        t.evidence
            .extend(ask.signal.evidence.iter().filter(|e| e.id != anchor).cloned());
        target.tasks.extend(ask.tasks.iter().cloned());
        false
    });
}

/// One signal per problem (issue 17, `eed_check` version 5): the ED dossier check is the IB's
/// task that comes with "drie keer V(E) op de DMT" (docs/DOMAIN.md §6: `eed_check` → "IB task
/// listing what the EED dossier still lacks"), not a second signal about the same three DMT
/// results. It fires exactly when `dmt_three_lowest` fires with the ED criterion met, so the IB
/// got the two on one line of one digest and counted them as two. The check is merged into the
/// DMT finding of the same pupil: that finding gets the check's task (the task key stays
/// `eed_check/…`, so a task pushed before is not pushed again), the check's sentence in its
/// explanation ("… Het leesdossier is nog niet compleet. …") and the dossier's plans and notes
/// as evidence; its rule, key and severity stay. A check the store already holds as a signal of
/// its own (opened before this version) stays one and is kept up to date; so does a check
/// without a DMT finding in the run (it always has one: both read the same run).
fn merge_eed_checks(findings: &mut Vec<Finding>, history: &PupilHistory) {
    let stored: std::collections::HashSet<&str> =
        history.open_signals.iter().map(|s| s.key.as_str()).collect();
    let mut i = 0;
    while i < findings.len() {
        let check = &findings[i].signal;
        let target = (check.rule == eed_check::RULE_ID && !stored.contains(check.key.as_str()))
            .then(|| {
                findings.iter().position(|f| {
                    f.signal.rule == dmt_three_lowest::RULE_ID && f.signal.domain == check.domain
                })
            })
            .flatten();
        let Some(target) = target else {
            i += 1;
            continue;
        };
        let check = findings.remove(i);
        let t = &mut findings[if target > i { target - 1 } else { target }];
        // A DMT signal that continues a stored one without rising asked for its tasks before
        // (`continue_active` cleared them): so did its check, then a signal of its own.
        let asked_before = stored.contains(t.signal.key.as_str()) && t.tasks.is_empty();
        t.signal.explanation = format!(
            "{} {}",
            t.signal.explanation,
            eed_check::dossier_part(&check.signal.explanation)
        );
        for e in check.signal.evidence {
            if !t.signal.evidence.iter().any(|x| x.kind == e.kind && x.id == e.id) {
                t.signal.evidence.push(e);
            }
        }
        if !asked_before {
            t.tasks.extend(check.tasks);
        }
    }
}

/// Rules whose findings reach the school as tasks, not as signals of their own (issue 17): the
/// owner's evaluation reminder ([`OWNER_REMINDERS`]), the teacher's plan request, which is
/// merged into its learning signal (`merge_plan_requests`), and the ED dossier check, which is
/// merged into the DMT signal (`merge_eed_checks`). The simulation measures their planted cases
/// by the task.
pub const TASKS_NOT_SIGNALS: [&str; 3] = [
    plan_evaluation_due::RULE_ID,
    signal_without_plan::RULE_ID,
    eed_check::RULE_ID,
];

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

/// Issue 17: one active signal per problem across the rules of a family
/// ([`RULE_FAMILIES`]).
#[cfg(test)]
mod family_tests {
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{LearningDomain, SeInstrument, SignalStatus};

    fn findings(p: &Pupil, as_of: NaiveDate) -> Vec<Finding> {
        evaluate(&p.clone().build(), as_of, &ctx())
    }

    /// Spelling III at M5, V at E5 (a drop of two levels), V again at M6 (two V's in a row).
    fn drop_then_low(p: Pupil) -> Pupil {
        p.result("CSP", "Spelling", d(2025, 1, 20), &[("IV", "III")])
            .result("CSP", "Spelling", d(2025, 6, 10), &[("IV", "V")])
            .result("CSP", "Spelling", d(2026, 1, 19), &[("IV", "V")])
    }

    #[test]
    fn two_lows_after_a_stored_drop_continue_the_drop_signal() {
        let as_of = d(2026, 1, 25);
        // Without a stored signal: "two V's" is a signal of its own.
        let fresh = findings(&drop_then_low(Pupil::new(10)), as_of);
        let llr: Vec<&Finding> = fresh
            .iter()
            .filter(|f| f.signal.rule == lowest_level_repeated::RULE_ID)
            .collect();
        assert_eq!(llr.len(), 1, "{fresh:?}");
        assert!(
            llr[0]
                .signal
                .key
                .starts_with("lowest_level_repeated/p10/spelling/")
        );
        let drop_key = "level_drop/p10/spelling/r2";
        let stored = |status, opened| {
            drop_then_low(Pupil::new(10)).prior(
                drop_key,
                level_drop::RULE_ID,
                Some(LearningDomain::Spelling),
                opened,
                status,
            )
        };
        // (name, status, opened on, continues the drop signal)
        let cases = [
            (
                "open drop signal: the same problem",
                SignalStatus::Open,
                d(2025, 6, 10),
                true,
            ),
            (
                "acknowledged: the same problem",
                SignalStatus::Acknowledged,
                d(2025, 6, 10),
                true,
            ),
            (
                "resolved by the IB: news",
                SignalStatus::Resolved,
                d(2025, 6, 10),
                false,
            ),
            ("dismissed: news", SignalStatus::Dismissed, d(2025, 6, 10), false),
            ("history: news", SignalStatus::Open, d(2024, 6, 10), false),
        ];
        for (name, status, opened, continues) in cases {
            let got = findings(&stored(status, opened), as_of);
            let llr: Vec<&Finding> = got
                .iter()
                .filter(|f| f.signal.rule == lowest_level_repeated::RULE_ID)
                .collect();
            assert_eq!(llr.len(), 1, "{name}: {got:?}");
            assert_eq!(llr[0].signal.key == drop_key, continues, "{name}");
        }
        // The next day the store holds the drop's key with the new rule: still one signal.
        let next_day = drop_then_low(Pupil::new(10)).prior(
            drop_key,
            lowest_level_repeated::RULE_ID,
            Some(LearningDomain::Spelling),
            d(2025, 6, 10),
            SignalStatus::Open,
        );
        let got = findings(&next_day, d(2026, 1, 26));
        let spelling: Vec<&Finding> = got
            .iter()
            .filter(|f| f.signal.domain == Some(LearningDomain::Spelling))
            .collect();
        assert_eq!(spelling.len(), 1, "{got:?}");
        assert_eq!(spelling[0].signal.key, drop_key);
        // Another domain's signal is another problem.
        let other = drop_then_low(Pupil::new(10)).prior(
            "level_drop/p10/mathematics/r9",
            level_drop::RULE_ID,
            Some(LearningDomain::Mathematics),
            d(2025, 6, 10),
            SignalStatus::Open,
        );
        let got = findings(&other, as_of);
        assert!(
            got.iter()
                .any(|f| f.signal.key.starts_with("lowest_level_repeated/p10/spelling/")),
            "{got:?}"
        );
    }

    #[test]
    fn a_finding_of_the_family_beside_the_stored_signal_it_joins_opens_nothing() {
        // Rekenen II at M5, IV at E5 (a drop of two levels, still found), and a stored
        // "two V's" in spelling for another problem; plus a stored drop in rekenen that is still
        // found: a second rule of the family in rekenen joins it.
        let p = Pupil::new(10)
            .result("RW", "Rekenen", d(2025, 1, 20), &[("IV", "II")])
            .result("RW", "Rekenen", d(2025, 6, 10), &[("IV", "IV")]);
        let as_of = d(2025, 6, 20);
        let fresh = findings(&p, as_of);
        let drop = fresh
            .iter()
            .find(|f| f.signal.rule == level_drop::RULE_ID)
            .expect("the drop fires");
        let stored = p.clone().prior(
            &drop.signal.key,
            level_drop::RULE_ID,
            Some(LearningDomain::Mathematics),
            d(2025, 6, 10),
            SignalStatus::Open,
        );
        // Still one signal for rekenen, with the stored key.
        let got = findings(&stored, as_of);
        let rekenen: Vec<&Finding> = got
            .iter()
            .filter(|f| f.signal.domain == Some(LearningDomain::Mathematics))
            .collect();
        assert_eq!(rekenen.len(), 1, "{got:?}");
        assert_eq!(rekenen[0].signal.key, drop.signal.key);
    }

    #[test]
    fn a_social_emotional_low_after_a_stored_drop_continues_it() {
        use SeInstrument::Zien;
        // Welbevinden groen, rood, rood: the drop (autumn to spring) and then rood twice.
        let p = Pupil::new(8)
            .se(Zien, "welbevinden", d(2025, 3, 20), "groen")
            .se(Zien, "welbevinden", d(2025, 10, 20), "rood")
            .se(Zien, "welbevinden", d(2026, 3, 20), "rood");
        let as_of = d(2026, 3, 25);
        let fresh = findings(&p, as_of);
        let low = fresh
            .iter()
            .find(|f| f.signal.rule == social_emotional_low::RULE_ID)
            .expect("low fires");
        assert!(low.signal.key.starts_with("social_emotional_low/p8/"));
        let drop_key = "social_emotional_drop/p8/none/a2025-10-20";
        let stored = p.prior(
            drop_key,
            social_emotional_drop::RULE_ID,
            None,
            d(2025, 10, 20),
            SignalStatus::Open,
        );
        let got = findings(&stored, as_of);
        let se: Vec<&Finding> = got
            .iter()
            .filter(|f| f.signal.rule.starts_with("social_emotional_"))
            .collect();
        assert_eq!(se.len(), 1, "{got:?}");
        assert_eq!(se[0].signal.key, drop_key);
        assert_eq!(se[0].signal.rule, social_emotional_low::RULE_ID);
        assert!(se[0].tasks.is_empty(), "the problem asked for its task already");
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
