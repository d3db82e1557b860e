//! `social_emotional_drop`: sociaal-emotionele terugval. Between the last two measurements of one
//! indicator or scale of ZIEN!, KanVAS or the KiVa monitor the category fell by two (by default)
//! or more (ZIEN! groen to rood, KanVAS gemiddeld to zeer laag, KiVa goed to zorgelijk), the
//! latest in the current or previous school year (issue 18 item 1). One signal per pupil with
//! every scale that dropped; an IB task to talk with the teacher about what changed.

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::signal_without_plan::is_recent;
use super::social_emotional::{evidence, scale_label, series, short};
use super::text;
use crate::domain::{Severity, SocialEmotionalMeasurement, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "social_emotional_drop";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Per scale whose last two measurements fell by at least `categories`: those two, earlier first.
pub fn drops(
    measurements: &[SocialEmotionalMeasurement],
    categories: u8,
    as_of: chrono::NaiveDate,
) -> Vec<[&SocialEmotionalMeasurement; 2]> {
    let categories = categories.max(1);
    series(measurements, as_of)
        .into_values()
        .filter_map(|s| match s.as_slice() {
            [.., before, last]
                if before.category >= last.category + categories && is_recent(last.measured_on, as_of) =>
            {
                Some([*before, *last])
            }
            _ => None,
        })
        .collect()
}

/// Runs the rule: the current state (a later measurement that recovers ends it). A later drop
/// while the signal is active continues it (`engine::continue_active`).
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.social_emotional_drop;
    if !p.enabled || input.history.social_emotional.is_empty() {
        return Vec::new();
    }
    let drops = drops(&input.history.social_emotional, p.categories, input.as_of);
    let Some(latest) = drops.iter().map(|[_, last]| last.measured_on).max() else {
        return Vec::new();
    };
    let pupil = input.history.pupil_id;
    let anchor = format!("a{latest}");
    let what = drops
        .iter()
        .map(|[before, last]| format!("{} van {} naar {}", scale_label(last), short(before), short(last)))
        .collect::<Vec<_>>()
        .join("; ");
    let size = match p.categories.max(1) {
        1 => "een categorie".to_owned(),
        n => format!("{} categorieën", text::count_word(usize::from(n))),
    };
    let explanation = format!(
        "Sociaal-emotionele terugval van {size} of meer tussen twee metingen: {what}. Ga met de leerkracht \
         na wat er veranderd is en of de leerling steun nodig heeft."
    );
    let sources = drops
        .iter()
        .rev()
        .flat_map(|d| [d[1].source, d[0].source])
        .collect::<Vec<_>>();
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, None, &anchor),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::Medium,
            explanation,
            evidence: drops.iter().flatten().map(|m| evidence(m)).collect(),
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(RULE_ID, pupil, None, &anchor),
            kind: TaskKind::IbTask,
            target: task_target(sources),
            title: "Sociaal-emotionele terugval: met de leerkracht bespreken".into(),
            body: format!(
                "Sociaal-emotionele terugval: {what}. Met de leerkracht bespreken wat er veranderd is."
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
                "ZIEN! betrokkenheid groen to rood",
                &[
                    (Zien, "betrokkenheid", d(2025, 11, 3), "groen"),
                    (Zien, "betrokkenheid", d(2026, 3, 23), "rood"),
                ],
                true,
            ),
            (
                "groen to oranje is one category",
                &[
                    (Zien, "betrokkenheid", d(2025, 11, 3), "groen"),
                    (Zien, "betrokkenheid", d(2026, 3, 23), "oranje"),
                ],
                false,
            ),
            (
                "groen, oranje, rood: one category at a time",
                &[
                    (Zien, "betrokkenheid", d(2025, 3, 20), "groen"),
                    (Zien, "betrokkenheid", d(2025, 11, 3), "oranje"),
                    (Zien, "betrokkenheid", d(2026, 3, 23), "rood"),
                ],
                false,
            ),
            (
                "groen to rood, then back to groen: recovered",
                &[
                    (Zien, "welbevinden", d(2025, 3, 20), "groen"),
                    (Zien, "welbevinden", d(2025, 11, 3), "rood"),
                    (Zien, "welbevinden", d(2026, 3, 23), "groen"),
                ],
                false,
            ),
            (
                "groen on one indicator, rood on another is no drop",
                &[
                    (Zien, "welbevinden", d(2025, 11, 3), "groen"),
                    (Zien, "betrokkenheid", d(2026, 3, 23), "rood"),
                ],
                false,
            ),
            (
                "KanVAS hoog to laag",
                &[
                    (Kanvas, "welbevinden", d(2025, 11, 10), "hoog"),
                    (Kanvas, "welbevinden", d(2026, 4, 10), "laag"),
                ],
                true,
            ),
            (
                "KiVa goed to zorgelijk",
                &[
                    (Kiva, "welbevinden op school", d(2025, 2, 10), "goed"),
                    (Kiva, "welbevinden op school", d(2026, 2, 9), "zorgelijk"),
                ],
                true,
            ),
            (
                "a drop long ago is history",
                &[
                    (Zien, "betrokkenheid", d(2023, 11, 3), "groen"),
                    (Zien, "betrokkenheid", d(2024, 3, 23), "rood"),
                ],
                false,
            ),
        ];
        for (name, rows, fires) in cases {
            let p = rows
                .iter()
                .fold(Pupil::new(8), |p, (i, s, on, c)| p.se(*i, s, *on, c));
            let got = fired(p, as_of, &ctx());
            assert_eq!(got.len(), usize::from(*fires), "{name}: {got:#?}");
            if let Some(f) = got.first() {
                assert_eq!(f.signal.evidence.len(), 2, "{name}");
                assert_eq!(f.tasks.len(), 1, "{name}");
                assert!(
                    crate::rules::text::dutch_text_problems(&f.signal.explanation).is_empty(),
                    "{name}: {}",
                    f.signal.explanation
                );
            }
        }
    }

    #[test]
    fn explanation_names_scale_and_both_measurements_and_the_school_sets_the_size() {
        let p = Pupil::new(8)
            .se(Kanvas, "welbevinden", d(2025, 11, 10), "gemiddeld")
            .se(Kanvas, "welbevinden", d(2026, 4, 10), "laag");
        assert!(
            fired(p.clone(), d(2026, 4, 20), &ctx()).is_empty(),
            "one category"
        );
        let mut one = ctx();
        one.params.social_emotional_drop.categories = 1;
        let got = fired(p.clone(), d(2026, 4, 20), &one);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.key, "social_emotional_drop/p8/none/a2026-04-10");
        assert_eq!(
            got[0].signal.explanation,
            "Sociaal-emotionele terugval van een categorie of meer tussen twee metingen: KanVAS welbevinden \
             van gemiddeld (10-11-2025) naar laag (10-04-2026). Ga met de leerkracht na wat er veranderd is en \
             of de leerling steun nodig heeft."
        );
        one.params.social_emotional_drop.enabled = false;
        assert!(fired(p, d(2026, 4, 20), &one).is_empty());
    }
}
