//! `avi_stagnation`: the AVI level of technisch lezen did not rise over two (configurable) main
//! rounds (issue 16, item 13). AVI is its own scale (AVI-Start, M3 … E7, AVI-Plus), never a band.

use super::finding::{Finding, SignalDraft, signal_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::normalise::{Measurement, avi_label};
use super::text;
use crate::domain::{LearningDomain, Moment, Severity};

/// Rule id.
pub const RULE_ID: &str = "avi_stagnation";
/// Rule version.
/// 2: while the pupil has an active signal of this rule in the domain, a new finding (a new
/// run, a new anchor) continues it instead of opening a second signal (issue 17, `engine::continue_active`).
pub const RULE_VERSION: u32 = 2;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Runs the rule on the AVI results (main rounds) of technisch lezen.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.avi_stagnation;
    if !p.enabled {
        return Vec::new();
    }
    let domain = LearningDomain::TechnicalReading;
    let all = input.norm.main(domain);
    let Some(latest) = all.iter().map(|m| m.moment).max() else {
        return Vec::new();
    };
    // One AVI level per round (the latest sitting), ordered by date.
    let mut per_round: std::collections::BTreeMap<Moment, &Measurement> = std::collections::BTreeMap::new();
    for m in all.iter().filter(|m| m.avi.is_some()) {
        let slot = per_round.entry(m.moment).or_insert(m);
        if (m.taken_on, m.result_id) > (slot.taken_on, slot.result_id) {
            *slot = m;
        }
    }
    let ms: Vec<&Measurement> = per_round.into_values().collect();
    let levels: Vec<u8> = ms.iter().filter_map(|m| m.avi).collect();
    let Some(last) = ms.last() else {
        return Vec::new();
    };
    if last.moment != latest || levels.len() != ms.len() {
        return Vec::new();
    }
    // The earliest start of a stretch in which no level rises above the level it started at.
    let Some(start) = (0..levels.len()).find(|&s| levels[s..].iter().all(|&l| l <= levels[s])) else {
        return Vec::new();
    };
    let rounds = usize::from(p.rounds.max(1));
    let stretch = &ms[start..];
    if stretch.len() < rounds + 1 || levels[start] >= 11 {
        return Vec::new();
    }
    let Some(anchor) = stretch.first() else {
        return Vec::new();
    };
    let shown = stretch
        .iter()
        .map(|m| format!("{} AVI {}", m.label, m.avi.map(avi_label).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(", ");
    let explanation = format!(
        "Het AVI-niveau is {} toetsrondes niet gestegen ({shown}). Bespreken in de groeps- of \
         leerlingbespreking.",
        text::count_word(stretch.len() - 1)
    );
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(
                RULE_ID,
                input.history.pupil_id,
                Some(domain),
                &format!("r{}", anchor.result_id),
            ),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: Some(domain),
            severity: Severity::Medium,
            explanation,
            evidence: stretch.iter().map(|m| m.evidence()).collect(),
            eed_criterion: None,
        },
        tasks: Vec::new(),
    }]
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;

    fn fired(levels: &[&str]) -> Vec<(String, String)> {
        let dates = [d(2024, 1, 20), d(2024, 6, 10), d(2025, 1, 20), d(2025, 6, 10)];
        let mut p = Pupil::new(6);
        let offset = dates.len() - levels.len();
        for (i, l) in levels.iter().enumerate() {
            p = p.result("AVI", "AVI-lezen", dates[offset + i], &[("AVI", l)]);
        }
        engine_evaluate(&p.build(), d(2025, 7, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .map(|f| (f.signal.key, f.signal.explanation))
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str], bool)] = &[
            (
                "the same level three rounds running fires",
                &["M3", "M3", "M3"],
                true,
            ),
            (
                "down and back to the start level fires",
                &["E3", "M3", "E3"],
                true,
            ),
            ("a rise in the last round is progress", &["M3", "M3", "E3"], false),
            (
                "one round without rise is not yet stagnation",
                &["M3", "E3", "E3"],
                false,
            ),
            ("two rounds only", &["M3", "M3"], false),
            (
                "AVI-Plus cannot rise",
                &["AVI-Plus", "AVI-Plus", "AVI-Plus"],
                false,
            ),
            ("steady progress", &["M3", "E3", "M4", "E4"], false),
        ];
        for (name, levels, fires) in cases {
            assert_eq!(!fired(levels).is_empty(), *fires, "{name}");
        }
    }

    #[test]
    fn anchor_and_explanation() {
        let got = fired(&["M4", "E4", "E4", "E4"]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, "avi_stagnation/p6/technical_reading/r6002");
        assert_eq!(
            got[0].1,
            "Het AVI-niveau is twee toetsrondes niet gestegen (E3 AVI E4, M4 AVI E4, E4 AVI E4). Bespreken in \
             de groeps- of leerlingbespreking."
        );
    }
}
