//! `concern_notes`: a pupil collects repeated notes (notities) in a concern category of the
//! school (its `[rules.note_categories] concern`, e.g. "Zorgen", "Welbevinden", "Gedrag"), by
//! default 3 within 6 school weeks, while no plan of his own runs and no other signal is open for
//! him — the worries of the teachers are written down but nobody has taken them up yet (issue 18
//! item 6c). A signal for the IB, without a task. The explanation gives the count, the categories
//! and the dates, never a note's text: the rules never see it ([`super::HistoryNote`]).
//!
//! A follow-up rule: it runs after the data rules, so "no other signal" includes what they found
//! in the same run.

use chrono::NaiveDate;

use super::finding::{Finding, SignalDraft, signal_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::params::NoteCategories;
use super::{HistoryNote, text};
use crate::domain::{Evidence, SchoolCalendar, SchoolYear, Severity};

/// Rule id.
pub const RULE_ID: &str = "concern_notes";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::FollowUp(evaluate_after),
};

/// The pupil's notes in a concern category written on or before `as_of`, oldest first.
pub fn concern_notes<'h>(input: &RuleInput<'h>) -> Vec<&'h HistoryNote> {
    let names = &input.ctx.params.note_categories.concern;
    let mut notes: Vec<&HistoryNote> = input
        .history
        .notes
        .iter()
        .filter(|n| n.written_on <= input.as_of && NoteCategories::matches(names, &n.category_path))
        .collect();
    notes.sort_by_key(|n| (n.written_on, n.id));
    notes
}

/// Clusters of at least `times` notes written within `weeks` school weeks of the first one,
/// oldest first; a cluster takes every later note in its window and the next one starts after
/// it. With the day the `times`-th note was written.
pub fn clusters<'n>(
    notes: &[&'n HistoryNote],
    times: usize,
    weeks: u32,
    calendar: &SchoolCalendar,
) -> Vec<(Vec<&'n HistoryNote>, NaiveDate)> {
    let times = times.max(1);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(first) = notes.get(i) {
        let end = calendar.add_school_weeks(first.written_on, weeks);
        let window: Vec<&HistoryNote> = notes[i..]
            .iter()
            .copied()
            .take_while(|n| n.written_on < end)
            .collect();
        match window.get(times - 1) {
            Some(reached) => {
                let reached = reached.written_on;
                i += window.len();
                out.push((window, reached));
            }
            None => i += 1,
        }
    }
    out
}

/// Runs the rule on the pupil's latest cluster, when it was reached in the current school year.
pub fn evaluate_after(input: &RuleInput<'_>, found: &[Finding]) -> Vec<Finding> {
    let p = &input.ctx.params.concern_notes;
    if !p.enabled || input.history.notes.is_empty() {
        return Vec::new();
    }
    let notes = concern_notes(input);
    let year = SchoolYear::of_date(input.as_of);
    let Some((cluster, _)) = clusters(&notes, p.times, p.weeks, &input.ctx.calendar)
        .into_iter()
        .next_back()
        .filter(|(_, reached)| SchoolYear::of_date(*reached) == year)
    else {
        return Vec::new();
    };
    let Some(first) = cluster.first() else {
        return Vec::new();
    };
    // Taken up already: a plan of the pupil's own runs (or started since the first note), or
    // another signal is open for him or found in this run.
    let planned = input.history.plans.iter().any(|hp| {
        hp.plan.pupil_external_id.is_some()
            && (hp.plan.is_active_on(input.as_of)
                || (hp.plan.start >= first.written_on && hp.plan.start <= input.as_of))
    });
    let signalled = found.iter().any(|f| f.signal.rule != RULE_ID)
        || input
            .history
            .open_signals
            .iter()
            .any(|s| s.rule != RULE_ID && s.status.is_active());
    if planned || signalled {
        return Vec::new();
    }
    let parts: Vec<String> = cluster
        .iter()
        .map(|n| format!("{} ({})", n.category_label(), text::date(n.written_on)))
        .collect();
    let explanation = format!(
        "{} notities in een zorgcategorie binnen {}: {}. Er loopt geen plan en er staat geen \
         ander signaal open. Met de leerkracht bespreken of extra zorg nodig is (leerlingbespreking).",
        text::count_word_capital(cluster.len()),
        text::plural(i64::from(p.weeks), "schoolweek", "schoolweken"),
        text::join_and(&parts)
    );
    let evidence = cluster
        .iter()
        .map(|n| Evidence {
            kind: "note".into(),
            id: n.id.to_string(),
            date: n.written_on,
            test: None,
            moment: None,
            level: None,
            scale: None,
            percentile: None,
            ability_score: None,
            source: Some(n.source),
            note: Some(format!("Notitie in de categorie {}.", n.category_label())),
        })
        .collect();
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, input.history.pupil_id, None, &format!("n{}", first.id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::Medium,
            explanation,
            evidence,
            eed_criterion: None,
        },
        tasks: Vec::new(),
    }]
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::testkit::{Pupil, ctx, d};
    use super::super::{Finding, SchoolContext, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::{LearningDomain, PlanKind, SignalStatus};

    fn run_in(p: &Pupil, as_of: NaiveDate, c: &SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.clone().build(), as_of, c)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn run(p: &Pupil) -> Vec<Finding> {
        run_in(p, d(2026, 2, 20), &ctx())
    }

    /// Notes on the given days of 2026 (month, day) in the given categories.
    fn notes(days: &[((u32, u32), &[&str])]) -> Pupil {
        days.iter().fold(Pupil::new(7), |p, ((m, day), path)| {
            p.note(d(2026, *m, *day), path)
        })
    }

    #[test]
    fn table() {
        let cases: &[(&str, Pupil, bool)] = &[
            (
                "three concern notes within six school weeks",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((1, 20), &["Welbevinden"]),
                    ((2, 3), &["Gedrag"]),
                ]),
                true,
            ),
            (
                "a concern category deeper in the path, any case",
                notes(&[
                    ((1, 12), &["Zorg", "welbevinden"]),
                    ((1, 20), &["Zorg", "Welbevinden"]),
                    ((2, 3), &["Sociaal", " GEDRAG "]),
                ]),
                true,
            ),
            (
                "two concern notes only",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((2, 3), &["Gedrag"]),
                    ((2, 4), &["Rekenen"]),
                ]),
                false,
            ),
            (
                "three notes spread over more than six school weeks",
                notes(&[
                    ((1, 5), &["Zorgen"]),
                    ((1, 30), &["Zorgen"]),
                    ((2, 19), &["Zorgen"]),
                ]),
                false,
            ),
            (
                "three notes in other categories",
                notes(&[
                    ((1, 12), &["Rekenen"]),
                    ((1, 20), &["Taal"]),
                    ((2, 3), &["Oudergesprek"]),
                ]),
                false,
            ),
            (
                "three concern notes, a plan of the pupil's own runs",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((1, 20), &["Zorgen"]),
                    ((2, 3), &["Zorgen"]),
                ])
                .plan(PlanKind::ActionPlan, None, d(2025, 11, 1), |_| {}),
                false,
            ),
            (
                "three concern notes, a plan ended before them",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((1, 20), &["Zorgen"]),
                    ((2, 3), &["Zorgen"]),
                ])
                .plan(
                    PlanKind::ActionPlan,
                    Some(LearningDomain::Mathematics),
                    d(2025, 9, 1),
                    |pl| pl.end = Some(d(2025, 11, 30)),
                ),
                true,
            ),
            (
                "three concern notes, another signal is open",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((1, 20), &["Zorgen"]),
                    ((2, 3), &["Zorgen"]),
                ])
                .prior(
                    "frequent_sick_absence/p7/none/a2026-01-05",
                    "frequent_sick_absence",
                    None,
                    d(2026, 1, 20),
                    SignalStatus::Open,
                ),
                false,
            ),
            (
                "three concern notes, the other signal was resolved",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((1, 20), &["Zorgen"]),
                    ((2, 3), &["Zorgen"]),
                ])
                .prior(
                    "frequent_sick_absence/p7/none/a2025-10-05",
                    "frequent_sick_absence",
                    None,
                    d(2025, 10, 20),
                    SignalStatus::Resolved,
                ),
                true,
            ),
            (
                "a note after the evaluation date does not count",
                notes(&[
                    ((1, 12), &["Zorgen"]),
                    ((1, 20), &["Zorgen"]),
                    ((2, 23), &["Zorgen"]),
                ]),
                false,
            ),
        ];
        for (name, p, fires) in cases {
            let got = run(p);
            assert_eq!(got.len(), usize::from(*fires), "{name}: {got:?}");
        }
    }

    #[test]
    fn a_learning_signal_found_in_the_same_run_counts_as_open() {
        let p = notes(&[
            ((1, 12), &["Zorgen"]),
            ((1, 20), &["Zorgen"]),
            ((2, 3), &["Zorgen"]),
        ])
        .dmt(d(2025, 1, 20), "V-")
        .dmt(d(2025, 6, 10), "V-")
        .dmt(d(2026, 1, 20), "V-");
        let all = engine_evaluate(&p.clone().build(), d(2026, 2, 20), &ctx());
        assert!(all.iter().any(|f| f.signal.rule != RULE_ID));
        assert!(run(&p).is_empty());
    }

    #[test]
    fn explanation_evidence_and_key_never_the_text() {
        let p = notes(&[
            ((1, 12), &["Zorgen"]),
            ((1, 20), &["Zorg", "Welbevinden"]),
            ((2, 3), &["Gedrag"]),
            ((2, 4), &["Rekenen"]),
        ]);
        let got = run(&p);
        let f = &got[0];
        assert_eq!(f.signal.key, "concern_notes/p7/none/n7001");
        assert_eq!(f.signal.severity, Severity::Medium);
        assert!(f.tasks.is_empty());
        assert_eq!(
            f.signal.explanation,
            "Drie notities in een zorgcategorie binnen 6 schoolweken: Zorgen (12-01-2026), Zorg › \
             Welbevinden (20-01-2026) en Gedrag (03-02-2026). Er loopt geen plan en er staat geen ander \
             signaal open. Met de leerkracht bespreken of extra zorg nodig is (leerlingbespreking)."
        );
        assert!(text::dutch_text_problems(&f.signal.explanation).is_empty());
        let kinds: Vec<(&str, String, NaiveDate)> = f
            .signal
            .evidence
            .iter()
            .map(|e| (e.kind.as_str(), e.id.clone(), e.date))
            .collect();
        assert_eq!(
            kinds,
            [
                ("note", "7001".to_string(), d(2026, 1, 12)),
                ("note", "7002".to_string(), d(2026, 1, 20)),
                ("note", "7003".to_string(), d(2026, 2, 3)),
            ]
        );
        assert_eq!(
            f.signal.evidence[1].note.as_deref(),
            Some("Notitie in de categorie Zorg › Welbevinden.")
        );
        // A fourth note in the window joins the signal; its key stays.
        let more = p.note(d(2026, 2, 10), &["Zorgen"]);
        let got = run(&more);
        assert_eq!(got[0].signal.key, "concern_notes/p7/none/n7001");
        assert_eq!(got[0].signal.evidence.len(), 4);
        assert!(got[0].signal.explanation.starts_with("Vier notities"));
    }

    #[test]
    fn parameters_and_school_year() {
        let p = notes(&[((1, 12), &["Zorgen"]), ((2, 3), &["Zorgen"])]);
        assert!(run(&p).is_empty());
        let mut c = ctx();
        c.params.concern_notes.times = 2;
        assert_eq!(run_in(&p, d(2026, 2, 20), &c).len(), 1);
        c.params.concern_notes.weeks = 2;
        assert!(run_in(&p, d(2026, 2, 20), &c).is_empty(), "three weeks apart");
        let mut c = ctx();
        c.params.note_categories.concern = vec!["Oudergesprek".into()];
        let own = notes(&[
            ((1, 12), &["Oudergesprek"]),
            ((1, 20), &["Oudergesprek"]),
            ((2, 3), &["Oudergesprek"]),
        ]);
        assert_eq!(run_in(&own, d(2026, 2, 20), &c).len(), 1);
        assert!(run(&own).is_empty(), "not a concern category by default");
        let three = notes(&[
            ((1, 12), &["Zorgen"]),
            ((1, 20), &["Zorgen"]),
            ((2, 3), &["Zorgen"]),
        ]);
        c.params.concern_notes.enabled = false;
        assert!(run_in(&three, d(2026, 2, 20), &c).is_empty());
        // A cluster of the previous school year is history.
        assert!(run_in(&three, d(2026, 9, 20), &ctx()).is_empty());
        assert_eq!(run_in(&three, d(2026, 7, 10), &ctx()).len(), 1);
    }
}
