//! `signal_without_plan`: a learning signal has been open for six weeks and no running plan
//! covers its domain — a task for the teacher, IB in copy.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::{
    PriorSignal, avi_stagnation, dmt_three_lowest, dyscalculia_check, eed_check, level_drop,
    lowest_level_repeated, no_growth, reference_level_low, text,
};
use crate::domain::{Evidence, LearningDomain, SchoolYear, Severity, Source, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "signal_without_plan";
/// Rule version.
/// 2: only signals opened in the current or previous school year, and no low-severity signals
/// (issue 16, items 2 and 9).
/// 3: only current signals (found by this evaluation); a level drop only when it ends at V or
/// lower; not on word reading while the DMT signal or its ED check covers it; one active signal
/// per domain (issue 17, signal economy).
/// 4: no signal of its own: the request (its task and sentence) is merged into the learning
/// signal it is anchored on (`engine::merge_plan_requests`, issue 17).
pub const RULE_VERSION: u32 = 4;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::FollowUp(evaluate_after),
};

/// Rules whose signals are learning signals.
pub const LEARNING_RULES: [&str; 8] = [
    dmt_three_lowest::RULE_ID,
    eed_check::RULE_ID,
    lowest_level_repeated::RULE_ID,
    level_drop::RULE_ID,
    no_growth::RULE_ID,
    reference_level_low::RULE_ID,
    avi_stagnation::RULE_ID,
    dyscalculia_check::RULE_ID,
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
/// `open` is the pupil's *current* learning signals: the ones this evaluation finds (with their
/// stored opening date and status when stored), see [`current_learning_signals`].
/// The day the finding's condition first showed in the data: for learning signals the newest
/// sitting in its evidence (the result that completed the pattern), otherwise `as_of`. A new
/// signal is opened on this day, so a problem the data showed months before Zorgsignaal was
/// installed is not treated as brand new (this matters for this rule).
pub fn opened_on(finding: &Finding, as_of: NaiveDate) -> NaiveDate {
    if !LEARNING_RULES.contains(&finding.signal.rule.as_str()) {
        return as_of;
    }
    finding
        .signal
        .evidence
        .iter()
        .filter(|e| e.kind == "result" && e.date <= as_of)
        .map(|e| e.date)
        .max()
        .unwrap_or(as_of)
}

/// The follow-up entry of the table: the learning signals open after this evaluation (stored ones
/// and those just found), then [`evaluate`].
pub fn evaluate_after(input: &RuleInput<'_>, found: &[Finding]) -> Vec<Finding> {
    let open = current_learning_signals(&input.history.open_signals, found, input.as_of);
    evaluate(input, &open)
}

/// Asks for a plan for each open learning signal without one (see the module docs).
pub fn evaluate(input: &RuleInput<'_>, open: &[PriorSignal]) -> Vec<Finding> {
    let p = &input.ctx.params.signal_without_plan;
    if !p.enabled {
        return Vec::new();
    }
    // The DMT signal and its ED check ask the IB about reading help themselves (an IB task, and
    // the check lists the reading plans the dossier lacks): a plan request for word reading on
    // top of them would say the same again (version 3).
    let dmt_covers_reading = open.iter().chain(&input.history.open_signals).any(|s| {
        (s.rule == dmt_three_lowest::RULE_ID || s.rule == eed_check::RULE_ID)
            && s.status.is_active()
            && s.domain.is_none_or(|d| d == LearningDomain::WordReading)
    });
    let mut per_domain: BTreeMap<LearningDomain, Vec<&PriorSignal>> = BTreeMap::new();
    for s in open {
        let Some(domain) = s.domain else { continue };
        if domain == LearningDomain::WordReading && dmt_covers_reading {
            continue;
        }
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

/// The learning signals a plan can be asked for (version 3): those this run finds — a stored
/// signal whose pattern the newest data no longer shows (IV after V, V) is not current and asks
/// nobody for a plan — with the stored opening date and status when the store holds them, else
/// opened on the day the data showed them (so the first evaluation after installation sees what
/// a daily run would have seen all along). A level drop counts only when it ends at level V or
/// lower: a drop from II to IV is for the groepsbespreking, an individual plan is for a pupil
/// who is now low.
pub fn current_learning_signals(
    stored: &[PriorSignal],
    found: &[Finding],
    as_of: chrono::NaiveDate,
) -> Vec<PriorSignal> {
    let mut out: Vec<PriorSignal> = Vec::new();
    for f in found {
        if !LEARNING_RULES.contains(&f.signal.rule.as_str()) || out.iter().any(|s| s.key == f.signal.key) {
            continue;
        }
        if f.signal.rule == level_drop::RULE_ID && !level_drop::ends_low(f) {
            continue;
        }
        match stored.iter().find(|s| s.key == f.signal.key) {
            Some(s) => out.push(s.clone()),
            None => out.push(PriorSignal {
                key: f.signal.key.clone(),
                rule: f.signal.rule.clone(),
                domain: f.signal.domain,
                opened_on: opened_on(f, as_of),
                status: crate::domain::SignalStatus::Open,
                severity: Some(f.signal.severity),
            }),
        }
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

    /// Spelling V at E4 (10-06-2025) and M5 (19-01-2026): `lowest_level_repeated`, shown by the
    /// data on 19-01-2026.
    fn low_spelling(p: Pupil) -> Pupil {
        p.result("CSP", "Spelling", d(2025, 6, 10), &[("IV", "V")])
            .result("CSP", "Spelling", d(2026, 1, 19), &[("IV", "V")])
    }

    /// The plan request of a finding: since version 4 it is merged into the learning signal it
    /// is about, as a task of this rule.
    fn request(f: &Finding) -> Option<&TaskDraft> {
        f.tasks.iter().find(|t| t.key.starts_with("signal_without_plan/"))
    }

    /// The findings that carry a plan request (learning signals, version 4).
    fn asks(p: Pupil, as_of: chrono::NaiveDate) -> Vec<Finding> {
        let got: Vec<Finding> = engine_evaluate(&p.build(), as_of, &ctx())
            .into_iter()
            .filter(|f| request(f).is_some())
            .collect();
        assert!(
            got.iter().all(|f| f.signal.rule != RULE_ID),
            "a request is no signal of its own: {got:?}"
        );
        got
    }

    /// The key the engine gives the pupil's signal of `rule` (to store it as a prior).
    fn key_of(p: &Pupil, rule: &str, as_of: chrono::NaiveDate) -> String {
        engine_evaluate(&p.clone().build(), as_of, &ctx())
            .into_iter()
            .find(|f| f.signal.rule == rule)
            .map(|f| f.signal.key)
            .expect("the rule fires")
    }

    #[test]
    fn first_run_counts_from_the_day_the_data_showed_the_signal() {
        // Nothing stored yet: the first evaluation sees a signal open since the M5 sitting.
        let got = asks(low_spelling(Pupil::new(7)), d(2026, 3, 2));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].signal.domain, Some(Spelling));
        assert_eq!(got[0].signal.rule, "lowest_level_repeated");
        assert!(
            got[0].signal.explanation.ends_with(
                " Het signaal 'herhaald laagste niveau' staat sinds 19-01-2026 open (6 weken) en er loopt \
                 geen plan voor spelling."
            ),
            "{}",
            got[0].signal.explanation
        );
        assert_eq!(request(&got[0]).map(|t| t.kind), Some(TaskKind::TeacherTask));
        // Five weeks after the second sitting: not yet.
        assert!(asks(low_spelling(Pupil::new(7)), d(2026, 2, 23)).is_empty());
    }

    #[test]
    fn table() {
        let as_of = d(2026, 3, 2);
        let base = || low_spelling(Pupil::new(10));
        let llr = key_of(&base(), "lowest_level_repeated", as_of);
        let cases: Vec<(&str, Pupil, bool)> = vec![
            ("six weeks without plan", base(), true),
            (
                "a spelling plan covers it",
                base().plan(PlanKind::ActionPlan, Some(Spelling), d(2026, 2, 1), |_| {}),
                false,
            ),
            (
                "a group plan counts",
                base().plan(PlanKind::GroupPlan, Some(Spelling), d(2026, 2, 1), |_| {}),
                false,
            ),
            (
                "a rekenen plan does not cover spelling",
                base().plan(PlanKind::ActionPlan, Some(Mathematics), d(2026, 2, 1), |_| {}),
                true,
            ),
            (
                "a plan without domain covers nothing",
                base().plan(PlanKind::ActionPlan, None, d(2026, 2, 1), |_| {}),
                true,
            ),
            (
                "an ended plan covers nothing",
                base().plan(PlanKind::ActionPlan, Some(Spelling), d(2025, 9, 1), |p| {
                    p.end = Some(d(2025, 11, 1));
                }),
                true,
            ),
            (
                "acknowledged still asks",
                base().prior(
                    &llr,
                    "lowest_level_repeated",
                    Some(Spelling),
                    d(2026, 1, 19),
                    SignalStatus::Acknowledged,
                ),
                true,
            ),
            (
                "resolved is done",
                base().prior(
                    &llr,
                    "lowest_level_repeated",
                    Some(Spelling),
                    d(2026, 1, 19),
                    SignalStatus::Resolved,
                ),
                false,
            ),
            (
                "the data moved on (M5 retaken with IV): the stored signal asks for nothing",
                base()
                    .result("CSP", "Spelling", d(2026, 2, 10), &[("IV", "IV")])
                    .prior(
                        &llr,
                        "lowest_level_repeated",
                        Some(Spelling),
                        d(2026, 1, 19),
                        SignalStatus::Open,
                    ),
                false,
            ),
            (
                "a stored signal alone, without the data, asks for nothing",
                Pupil::new(10).prior(
                    "lowest_level_repeated/p10/spelling/r1",
                    "lowest_level_repeated",
                    Some(Spelling),
                    d(2026, 1, 12),
                    SignalStatus::Open,
                ),
                false,
            ),
            (
                "a drop from II to IV is for the groepsbespreking, not a plan",
                Pupil::new(10)
                    .result("RW", "Rekenen", d(2025, 6, 10), &[("IV", "II")])
                    .result("RW", "Rekenen", d(2026, 1, 19), &[("IV", "IV")]),
                false,
            ),
            (
                "a drop from III to V asks for a plan",
                Pupil::new(10)
                    .result("RW", "Rekenen", d(2025, 6, 10), &[("IV", "III")])
                    .result("RW", "Rekenen", d(2026, 1, 19), &[("IV", "V")]),
                true,
            ),
            (
                "a low-severity signal (no growth) asks nobody",
                Pupil::new(10)
                    .result("RW", "Rekenen", d(2025, 1, 20), &[("IV", "III")])
                    .ability(100.0, "cito-rw")
                    .result("RW", "Rekenen", d(2026, 1, 19), &[("IV", "III")])
                    .ability(80.0, "cito-rw"),
                false,
            ),
        ];
        for (name, p, fires) in cases {
            let got = asks(p, as_of);
            assert_eq!(got.len(), usize::from(fires), "{name}: {got:?}");
        }
    }

    /// Version 3: the DMT signal and its ED check ask the IB about reading help themselves; a
    /// plan request for word reading on top would be an echo. Other domains still ask.
    #[test]
    fn the_dmt_signal_covers_word_reading() {
        let p = Pupil::new(10)
            .dmt(d(2025, 1, 20), "V-")
            .dmt(d(2025, 6, 10), "V-")
            .dmt(d(2026, 1, 19), "V-");
        let found = engine_evaluate(&p.clone().build(), d(2026, 3, 9), &ctx());
        assert!(found.iter().any(|f| f.signal.rule == "dmt_three_lowest"));
        assert!(found.iter().all(|f| request(f).is_none()), "{found:?}");
        // A word-reading drop into V while a stored DMT signal is active asks nothing either.
        let p = Pupil::new(10)
            .dmt(d(2025, 6, 10), "III")
            .dmt(d(2026, 1, 19), "V")
            .prior(
                "dmt_three_lowest/p10/word_reading/r1",
                "dmt_three_lowest",
                Some(WordReading),
                d(2025, 2, 1),
                SignalStatus::Acknowledged,
            );
        assert!(asks(p.clone(), d(2026, 3, 9)).is_empty());
        // Without it, the drop into V asks for a reading plan.
        let p = Pupil::new(10).dmt(d(2025, 6, 10), "III").dmt(d(2026, 1, 19), "V");
        assert_eq!(asks(p, d(2026, 3, 9)).len(), 1);
        // Spelling of a dyslexic-profile pupil still asks.
        let p = low_spelling(
            Pupil::new(10)
                .dmt(d(2025, 1, 20), "V-")
                .dmt(d(2025, 6, 11), "V-")
                .dmt(d(2026, 1, 20), "V-"),
        );
        let got = asks(p, d(2026, 3, 9));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.domain, Some(Spelling));
    }

    /// Issue 16, item 2: signals opened before the previous school year are history.
    #[test]
    fn only_signals_of_the_current_or_previous_school_year() {
        let as_of = d(2026, 3, 2);
        let key = key_of(&low_spelling(Pupil::new(10)), "lowest_level_repeated", as_of);
        // (stored opening date, fires): a run still current whose signal the store opened long ago.
        for (opened, fires) in [
            (d(2026, 1, 19), true),
            (d(2024, 8, 1), true),
            (d(2024, 7, 31), false),
        ] {
            let p = low_spelling(Pupil::new(10)).prior(
                &key,
                "lowest_level_repeated",
                Some(Spelling),
                opened,
                SignalStatus::Open,
            );
            assert_eq!(asks(p, as_of).len(), usize::from(fires), "opened {opened}");
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
        assert!(found.iter().all(|f| f.tasks.is_empty()));
    }

    #[test]
    fn two_open_signals_in_one_domain_ask_for_one_plan() {
        // Cito Spelling and Spelling werkwoorden are two series: two signals, one plan request.
        let p = low_spelling(Pupil::new(10))
            .result("CSPW", "Spelling werkwoorden", d(2025, 6, 11), &[("IV", "V-")])
            .result("CSPW", "Spelling werkwoorden", d(2026, 1, 20), &[("IV", "V")]);
        let got = asks(p, d(2026, 3, 9));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(request(&got[0]).is_some_and(|t| {
            t.key
                .starts_with("signal_without_plan/p10/spelling/signal:lowest_level_repeated/p10/spelling/")
        }));
        // The other open signal of the domain is cited beside the anchor's own results.
        assert_eq!(
            got[0]
                .signal
                .evidence
                .iter()
                .filter(|e| e.kind == "signal")
                .count(),
            1
        );
        assert!(
            got[0]
                .signal
                .explanation
                .ends_with("Er staan twee signalen open voor spelling."),
            "{}",
            got[0].signal.explanation
        );
    }
}
