//! `social_emotional_low`: sociaal-emotioneel onder de signaleringsgrens. The last two (by
//! default) measurements of one indicator or scale of ZIEN!, KanVAS or the KiVa monitor both lie
//! below the instrument's signal boundary (ZIEN! `rood`, KanVAS `zeer laag`, KiVa `zorgelijk`;
//! docs/RULES.md §3c), the latest of them in the current or previous school year (issue 18 item
//! 1). One signal per pupil with every scale that qualifies; an IB task to discuss the pupil with
//! the teacher and the parents.

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::signal_without_plan::is_recent;
use super::social_emotional::{evidence, scale_label, series, short};
use super::text;
use crate::domain::{Severity, SocialEmotionalMeasurement, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "social_emotional_low";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Per qualifying scale, the trailing run of measurements below the signal boundary (at least
/// `consecutive` long), oldest scale label first.
pub fn runs(
    measurements: &[SocialEmotionalMeasurement],
    consecutive: usize,
    as_of: chrono::NaiveDate,
) -> Vec<Vec<&SocialEmotionalMeasurement>> {
    let consecutive = consecutive.max(1);
    series(measurements, as_of)
        .into_values()
        .filter_map(|s| {
            let low = s.iter().rev().take_while(|m| m.below_signal_boundary()).count();
            let last = s.last()?;
            (low >= consecutive && is_recent(last.measured_on, as_of)).then(|| s[s.len() - low..].to_vec())
        })
        .collect()
}

/// Runs the rule: the current state, like the level rules. While the signal is active a later
/// run (another scale joining, a new anchor) continues it (`engine::continue_active`).
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.social_emotional_low;
    if !p.enabled || input.history.social_emotional.is_empty() {
        return Vec::new();
    }
    let runs = runs(&input.history.social_emotional, p.consecutive, input.as_of);
    let Some(first) = runs.iter().filter_map(|r| r.first()).map(|m| m.measured_on).min() else {
        return Vec::new();
    };
    let pupil = input.history.pupil_id;
    let anchor = format!("a{first}");
    let parts: Vec<String> = runs
        .iter()
        .filter_map(|run| {
            let head = run.first()?;
            let shorts: Vec<String> = run.iter().map(|m| short(m)).collect();
            Some(format!("{} {}", scale_label(head), text::join_and(&shorts)))
        })
        .collect();
    let what = parts.join("; ");
    let n = runs.iter().map(Vec::len).min().unwrap_or(p.consecutive);
    let explanation = format!(
        "Sociaal-emotioneel herhaald onder de signaleringsgrens van het instrument ({} metingen of meer \
         achter elkaar): {what}. Bespreek met de leerkracht en de ouders hoe het met de leerling gaat en wat \
         hij of zij nodig heeft.",
        text::count_word(n)
    );
    let sources = runs.iter().flatten().rev().map(|m| m.source).collect::<Vec<_>>();
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, None, &anchor),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::Medium,
            explanation,
            evidence: runs.iter().flatten().map(|m| evidence(m)).collect(),
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(RULE_ID, pupil, None, &anchor),
            kind: TaskKind::IbTask,
            target: task_target(sources),
            title: "Sociaal-emotioneel onder de signaleringsgrens: leerling bespreken".into(),
            body: format!(
                "Sociaal-emotioneel herhaald onder de signaleringsgrens: {what}. Leerling bespreken met \
                 leerkracht en ouders."
            ),
            due_on: None,
        }],
    }]
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::SeInstrument::{Kanvas, Kiva, Zien};

    fn fired(p: Pupil, as_of: chrono::NaiveDate, ctx: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, ctx)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    type Row = (
        crate::domain::SeInstrument,
        &'static str,
        chrono::NaiveDate,
        &'static str,
    );

    #[test]
    fn table() {
        let as_of = d(2026, 4, 20);
        let cases: &[(&str, &[Row], bool)] = &[
            (
                "ZIEN! welbevinden rood in november and in maart",
                &[
                    (Zien, "welbevinden", d(2025, 11, 3), "rood"),
                    (Zien, "welbevinden", d(2026, 3, 23), "rood"),
                ],
                true,
            ),
            (
                "rood, groen, rood: not consecutive",
                &[
                    (Zien, "welbevinden", d(2025, 3, 20), "rood"),
                    (Zien, "welbevinden", d(2025, 11, 3), "groen"),
                    (Zien, "welbevinden", d(2026, 3, 23), "rood"),
                ],
                false,
            ),
            (
                "rood on two different indicators is no repeat",
                &[
                    (Zien, "welbevinden", d(2025, 11, 3), "rood"),
                    (Zien, "welbevinden", d(2026, 3, 23), "oranje"),
                    (Zien, "betrokkenheid", d(2025, 11, 3), "oranje"),
                    (Zien, "betrokkenheid", d(2026, 3, 23), "rood"),
                ],
                false,
            ),
            (
                "oranje twice is above the boundary",
                &[
                    (Zien, "sociale autonomie", d(2025, 11, 3), "oranje"),
                    (Zien, "sociale autonomie", d(2026, 3, 23), "oranje"),
                ],
                false,
            ),
            (
                "KanVAS zeer laag twice",
                &[
                    (Kanvas, "sociale vaardigheden", d(2025, 11, 10), "zeer laag"),
                    (Kanvas, "sociale vaardigheden", d(2026, 4, 10), "zeer laag"),
                ],
                true,
            ),
            (
                "KanVAS laag twice is above the boundary",
                &[
                    (Kanvas, "sociale vaardigheden", d(2025, 11, 10), "laag"),
                    (Kanvas, "sociale vaardigheden", d(2026, 4, 10), "zeer laag"),
                ],
                false,
            ),
            (
                "KiVa gepest worden zorgelijk twice",
                &[
                    (Kiva, "gepest worden", d(2025, 2, 10), "zorgelijk"),
                    (Kiva, "gepest worden", d(2026, 2, 9), "zorgelijk"),
                ],
                true,
            ),
            (
                "two rood long ago is history",
                &[
                    (Zien, "welbevinden", d(2023, 11, 3), "rood"),
                    (Zien, "welbevinden", d(2024, 3, 23), "rood"),
                ],
                false,
            ),
            (
                "one rood measurement is no repeat",
                &[(Zien, "welbevinden", d(2026, 3, 23), "rood")],
                false,
            ),
            (
                "after as_of is not seen",
                &[
                    (Zien, "welbevinden", d(2025, 11, 3), "rood"),
                    (Zien, "welbevinden", d(2026, 5, 1), "rood"),
                ],
                false,
            ),
        ];
        for (name, rows, fires) in cases {
            let p = rows
                .iter()
                .fold(Pupil::new(7), |p, (i, s, on, c)| p.se(*i, s, *on, c));
            let got = fired(p, as_of, &ctx());
            assert_eq!(got.len(), usize::from(*fires), "{name}: {got:#?}");
            if let Some(f) = got.first() {
                assert_eq!(f.signal.severity, Severity::Medium, "{name}");
                assert!(f.signal.domain.is_none(), "{name}");
                assert_eq!(f.tasks.len(), 1, "{name}");
                assert!(
                    f.signal.evidence.iter().all(|e| e.kind == "social_emotional"),
                    "{name}"
                );
                assert!(
                    crate::rules::text::dutch_text_problems(&f.signal.explanation).is_empty(),
                    "{name}: {}",
                    f.signal.explanation
                );
            }
        }
    }

    #[test]
    fn one_signal_names_every_scale_with_its_dates_and_the_key_is_stable() {
        let p = Pupil::new(7)
            .se(Zien, "welbevinden", d(2025, 3, 20), "rood")
            .se(Zien, "welbevinden", d(2025, 11, 3), "rood")
            .se(Zien, "sociale autonomie", d(2025, 11, 3), "rood")
            .se(Zien, "sociale autonomie", d(2026, 3, 23), "rood")
            .se(Zien, "welbevinden", d(2026, 3, 23), "rood");
        let got = fired(p.clone(), d(2026, 4, 20), &ctx());
        assert_eq!(got.len(), 1);
        let f = &got[0];
        assert_eq!(f.signal.key, "social_emotional_low/p7/none/a2025-03-20");
        assert_eq!(f.signal.evidence.len(), 5);
        assert_eq!(
            f.signal.explanation,
            "Sociaal-emotioneel herhaald onder de signaleringsgrens van het instrument (twee metingen of meer \
             achter elkaar): ZIEN! sociale autonomie rood (03-11-2025) en rood (23-03-2026); ZIEN! welbevinden \
             rood (20-03-2025), rood (03-11-2025) en rood (23-03-2026). Bespreek met de leerkracht en de \
             ouders hoe het met de leerling gaat en wat hij of zij nodig heeft."
        );
        // Three in a row are needed at a school that says so.
        let mut strict = ctx();
        strict.params.social_emotional_low.consecutive = 3;
        let got = fired(p.clone(), d(2026, 4, 20), &strict);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.evidence.len(), 3, "only welbevinden has three");
        let mut off = ctx();
        off.params.social_emotional_low.enabled = false;
        assert!(fired(p, d(2026, 4, 20), &off).is_empty());
    }
}
