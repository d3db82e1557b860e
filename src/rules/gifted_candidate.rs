//! `gifted_candidate`: a pupil in the top 10 % (I+ or P≥90) at both main rounds (M and E) of one
//! school year in rekenen-wiskunde or begrijpend lezen, with no plusaanbod or plan running — a
//! pupil for the plusaanbod conversation (issue 18 item 4; seeds 001 and 004 offer a plusaanbod,
//! seed 004 plans a "signaleringsinstrument meer- en hoogbegaafdheid"). Low severity and, by
//! default, no task: the IB takes it to the groeps- or leerlingbespreking. One signal per pupil
//! (keyed on the school year of the rounds), and by default never again once the pupil had one.

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::normalise::Measurement;
use super::text;
use crate::domain::{LearningDomain, Level, MomentKind, SchoolYear, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "gifted_candidate";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Whether a measurement is in the top: its percentile decides when it carries one (P90 = the top
/// 10 %), else the seven-level display's I+ (P91–100). A plain I (P81–100) alone is not enough.
pub fn is_top(m: &Measurement, min_percentile: u8) -> bool {
    match m.percentile {
        Some(p) => p >= min_percentile,
        None => m.band.is_some_and(Level::is_seven_level),
    }
}

/// `M5 I+ (P96)`, `E5 P93`, `M5 I+`.
fn shown(m: &Measurement) -> String {
    match (m.band, m.percentile) {
        (Some(Level::Percentile(p)), _) | (None, Some(p)) => format!("{} P{p}", m.label),
        (Some(b), Some(p)) => format!("{} {b} (P{p})", m.label),
        (Some(b), None) => format!("{} {b}", m.label),
        (None, None) => m.label.clone(),
    }
}

/// The M and E measurement of the domain's current series when both are in the top and they
/// are the series' last two, of one school year: the current or the previous one.
fn top_pair<'m>(
    input: &RuleInput<'m>,
    domain: LearningDomain,
    min_percentile: u8,
) -> Option<(&'m Measurement, &'m Measurement)> {
    let year = SchoolYear::of_date(input.as_of);
    input.norm.current_series(domain).into_iter().find_map(|s| {
        let [.., m, e] = s.as_slice() else {
            return None;
        };
        let same_year = m.moment.school_year == e.moment.school_year
            && (e.moment.school_year == year || e.moment.school_year == year.previous());
        (same_year
            && m.moment.kind == MomentKind::Mid
            && e.moment.kind == MomentKind::End
            && is_top(m, min_percentile)
            && is_top(e, min_percentile))
        .then_some((*m, *e))
    })
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.gifted_candidate;
    if !p.enabled {
        return Vec::new();
    }
    let hits: Vec<(LearningDomain, &Measurement, &Measurement)> = p
        .domains
        .iter()
        .filter_map(|&d| top_pair(input, d, p.min_percentile).map(|(m, e)| (d, m, e)))
        .collect();
    let Some(year) = hits.iter().map(|(_, _, e)| e.moment.school_year).max() else {
        return Vec::new();
    };
    // Already in a plusaanbod, or in an own plan in one of the domains: nothing to start.
    let patterns: Vec<String> = p.plan_patterns.iter().map(|s| s.to_lowercase()).collect();
    let in_plan = input.history.plans.iter().any(|hp| {
        let plan = &hp.plan;
        plan.is_active_on(input.as_of)
            && (patterns
                .iter()
                .any(|pat| !pat.is_empty() && plan.title.to_lowercase().contains(pat.as_str()))
                || (plan.pupil_external_id.is_some()
                    && plan.domain.is_some_and(|d| hits.iter().any(|(h, _, _)| *h == d))))
    });
    if in_plan {
        return Vec::new();
    }
    let pupil = input.history.pupil_id;
    let anchor = format!("y{}", year.start_year());
    let key = signal_key(RULE_ID, pupil, None, &anchor);
    // Once per pupil: a signal of this rule for another school year (any status) means the
    // conversation was had.
    if p.once_per_pupil
        && input
            .history
            .open_signals
            .iter()
            .any(|s| s.rule == RULE_ID && s.key != key)
    {
        return Vec::new();
    }
    let parts: Vec<String> = hits
        .iter()
        .map(|(d, m, e)| format!("{} ({} en {})", d.dutch(), shown(m), shown(e)))
        .collect();
    let explanation = format!(
        "Bij de hoogste 10 % op beide hoofdmetingen van schooljaar {year}: {}. Er loopt geen \
         plusaanbod of plan. Bespreken of een plusaanbod past (verrijken, compacten) in de groeps- \
         of leerlingbespreking.",
        text::join_and(&parts)
    );
    let tasks = if p.ib_task {
        vec![TaskDraft {
            key: task_key(RULE_ID, pupil, None, &anchor),
            kind: TaskKind::IbTask,
            target: task_target(hits.iter().flat_map(|(_, m, e)| [e.source, m.source])),
            title: "Plusaanbod bespreken".into(),
            body: format!(
                "Hoogste 10 % op beide hoofdmetingen van {year}: {}. Plusaanbod bespreken.",
                text::join_and(&parts)
            ),
            due_on: None,
        }]
    } else {
        Vec::new()
    };
    vec![Finding {
        signal: SignalDraft {
            key,
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::Low,
            explanation,
            evidence: hits
                .iter()
                .flat_map(|(_, m, e)| [m.evidence(), e.evidence()])
                .collect(),
            eed_criterion: None,
        },
        tasks,
    }]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d};
    use super::super::{Finding, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::{PlanKind, SignalStatus};

    fn run_at(p: Pupil, as_of: chrono::NaiveDate, c: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, c)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn run(p: Pupil) -> Vec<Finding> {
        run_at(p, d(2025, 7, 1), &ctx())
    }

    /// Rekenen (groep 4 in 2024-2025) at M and E with the given scores.
    fn maths(p: Pupil, m: &[(&str, &str)], e: &[(&str, &str)]) -> Pupil {
        p.result("RW", "Rekenen-Wiskunde", d(2025, 1, 20), m).result(
            "RW",
            "Rekenen-Wiskunde",
            d(2025, 6, 10),
            e,
        )
    }

    /// A table row: name, M scores, E scores, fires.
    type Case<'s> = (&'s str, &'s [(&'s str, &'s str)], &'s [(&'s str, &'s str)], bool);

    #[test]
    fn table() {
        let cases: &[Case<'_>] = &[
            ("I+ twice", &[("IV", "I+")], &[("IV", "I+")], true),
            ("P93 and P90", &[("PC", "93")], &[("IV", "I"), ("PC", "90")], true),
            ("I+ then P95", &[("IV", "I+")], &[("PC", "95")], true),
            (
                "plain I twice: P81-100 is not the top 10 %",
                &[("IV", "I")],
                &[("IV", "I")],
                false,
            ),
            ("P95 then P89", &[("PC", "95")], &[("PC", "89")], false),
            (
                "the percentile decides over I+",
                &[("IV", "I+"), ("PC", "85")],
                &[("IV", "I+")],
                false,
            ),
            (
                "A (P76-100) is not the top 10 %",
                &[("AE", "A")],
                &[("AE", "A")],
                false,
            ),
        ];
        for (name, m, e, fires) in cases {
            let got = run(maths(Pupil::new(3), m, e));
            assert_eq!(got.len(), usize::from(*fires), "{name}: {got:?}");
        }
    }

    #[test]
    fn rounds_must_be_m_and_e_of_one_recent_year_and_the_latest() {
        // E of one year and M of the next: not M and E of one school year.
        let p = Pupil::new(3)
            .result("RW", "Rekenen-Wiskunde", d(2024, 6, 10), &[("IV", "I+")])
            .result("RW", "Rekenen-Wiskunde", d(2025, 1, 20), &[("IV", "I+")]);
        assert!(run_at(p, d(2025, 2, 1), &ctx()).is_empty());
        // A later round that is not top ends it.
        let p = maths(Pupil::new(3), &[("IV", "I+")], &[("IV", "I+")]).result(
            "RW",
            "Rekenen-Wiskunde",
            d(2026, 1, 20),
            &[("IV", "II")],
        );
        assert!(run_at(p, d(2026, 2, 1), &ctx()).is_empty());
        // The previous school year's pair is still seen in the autumn, not two years on.
        let p = maths(Pupil::new(3), &[("IV", "I+")], &[("IV", "I+")]);
        assert_eq!(run_at(p.clone(), d(2025, 11, 20), &ctx()).len(), 1);
        assert!(run_at(p, d(2026, 11, 20), &ctx()).is_empty());
        // Spelling is not a default domain; a school can add it.
        let p = Pupil::new(3)
            .result("CSP", "Cito Spelling", d(2025, 1, 20), &[("IV", "I+")])
            .result("CSP", "Cito Spelling", d(2025, 6, 10), &[("IV", "I+")]);
        assert!(run(p.clone()).is_empty());
        let mut c = ctx();
        c.params.gifted_candidate.domains.push(LearningDomain::Spelling);
        assert_eq!(run_at(p, d(2025, 7, 1), &c).len(), 1);
    }

    #[test]
    fn one_low_signal_per_pupil_with_its_evidence_and_no_task() {
        let p = maths(Pupil::new(7), &[("IV", "I+"), ("PC", "96")], &[("PC", "93")])
            .result("CBL", "Begrijpend lezen", d(2025, 1, 21), &[("IV", "I+")])
            .result("CBL", "Begrijpend lezen", d(2025, 6, 11), &[("IV", "I+")]);
        let got = run(p);
        assert_eq!(got.len(), 1);
        let f = &got[0];
        assert_eq!(f.signal.key, "gifted_candidate/p7/none/y2024");
        assert_eq!(f.signal.severity, Severity::Low);
        assert_eq!(f.signal.domain, None);
        assert!(f.tasks.is_empty(), "no task by default");
        assert_eq!(f.signal.evidence.len(), 4);
        assert_eq!(
            f.signal.explanation,
            "Bij de hoogste 10 % op beide hoofdmetingen van schooljaar 2024-2025: rekenen-wiskunde \
             (M4 I+ (P96) en E4 P93) en begrijpend lezen (M4 I+ en E4 I+). Er loopt geen plusaanbod of \
             plan. Bespreken of een plusaanbod past (verrijken, compacten) in de groeps- of \
             leerlingbespreking."
        );
        assert!(text::dutch_text_problems(&f.signal.explanation).is_empty());
        let mut c = ctx();
        c.params.gifted_candidate.ib_task = true;
        let p = maths(Pupil::new(7), &[("IV", "I+")], &[("IV", "I+")]);
        let got = run_at(p, d(2025, 7, 1), &c);
        assert_eq!(got[0].tasks.len(), 1);
        assert_eq!(got[0].tasks[0].kind, TaskKind::IbTask);
        c.params.gifted_candidate.enabled = false;
        assert!(
            run_at(
                maths(Pupil::new(7), &[("IV", "I+")], &[("IV", "I+")]),
                d(2025, 7, 1),
                &c
            )
            .is_empty()
        );
    }

    #[test]
    fn a_plusaanbod_or_an_own_plan_or_an_earlier_signal_silences_it() {
        let top = || maths(Pupil::new(3), &[("IV", "I+")], &[("IV", "I+")]);
        let plus = top().plan(PlanKind::ActionPlan, None, d(2025, 2, 1), |p| {
            p.title = "Plusklas rekenen".into();
        });
        assert!(run(plus).is_empty(), "a plusaanbod runs");
        let ended = top().plan(PlanKind::ActionPlan, None, d(2024, 9, 1), |p| {
            p.title = "Verrijkingsplan".into();
            p.end = Some(d(2024, 12, 1));
        });
        assert_eq!(run(ended).len(), 1, "an ended plusaanbod does not count");
        let own = top().plan(
            PlanKind::ActionPlan,
            Some(LearningDomain::Mathematics),
            d(2025, 2, 1),
            |_| {},
        );
        assert!(run(own).is_empty(), "an own plan in the domain");
        let other = top().plan(
            PlanKind::ActionPlan,
            Some(LearningDomain::Spelling),
            d(2025, 2, 1),
            |_| {},
        );
        assert_eq!(run(other).len(), 1, "an own plan in another domain");
        let earlier = top().prior(
            "gifted_candidate/p3/none/y2023",
            RULE_ID,
            None,
            d(2024, 6, 20),
            SignalStatus::Dismissed,
        );
        assert!(run(earlier.clone()).is_empty(), "once per pupil");
        let mut c = ctx();
        c.params.gifted_candidate.once_per_pupil = false;
        assert_eq!(run_at(earlier, d(2025, 7, 1), &c).len(), 1);
        let same = top().prior(
            "gifted_candidate/p3/none/y2024",
            RULE_ID,
            None,
            d(2025, 6, 10),
            SignalStatus::Open,
        );
        assert_eq!(run(same).len(), 1, "its own key is re-found, not silenced");
    }
}
