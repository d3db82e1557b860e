//! `level_drop`: a drop of two or more bands (I–V or A–E, never across scales) between the last
//! two main measurements in one domain.

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, signal_key};
use super::text;
use crate::domain::Severity;

/// Rule id.
pub const RULE_ID: &str = "level_drop";
/// Rule version.
/// 2: only the pair ending at the domain's latest main round, within one test series, from groep 3
/// (issue 16, items 2 and 13).
pub const RULE_VERSION: u32 = 2;

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.level_drop;
    if !p.enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (domain, series) in input
        .norm
        .domains()
        .flat_map(|d| input.norm.current_series(d).into_iter().map(move |s| (d, s)))
    {
        let [.., prev, last] = series.as_slice() else {
            continue;
        };
        let (Some(a), Some(b)) = (prev.band, last.band) else {
            continue;
        };
        if a.scale() != b.scale() {
            continue;
        }
        let (Some(oa), Some(ob)) = (a.band_ordinal(), b.band_ordinal()) else {
            continue;
        };
        let drop = ob.saturating_sub(oa);
        if drop < p.min_drop.max(1) {
            continue;
        }
        out.push(Finding {
            signal: SignalDraft {
                key: signal_key(
                    RULE_ID,
                    input.history.pupil_id,
                    Some(domain),
                    &format!("r{}", last.result_id),
                ),
                rule: RULE_ID.into(),
                rule_version: RULE_VERSION,
                domain: Some(domain),
                severity: Severity::Medium,
                explanation: format!(
                    "Daling van {} niveaus bij {}: van {a} ({}) naar {b} ({}).",
                    text::count_word(usize::from(drop)),
                    domain.dutch(),
                    prev.label,
                    last.label
                ),
                evidence: vec![prev.evidence(), last.evidence()],
                eed_criterion: None,
            },
            tasks: Vec::new(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;

    #[test]
    fn table() {
        type Score = (&'static str, &'static str);
        let cases: &[(&str, Score, Score, Option<&str>)] = &[
            (
                "II to IV fires",
                ("IV", "II"),
                ("IV", "IV"),
                Some("Daling van twee niveaus bij spelling: van II (M4) naar IV (E4)."),
            ),
            (
                "I to V- fires with four",
                ("IV", "I"),
                ("IV", "V-"),
                Some("Daling van vier niveaus bij spelling: van I (M4) naar V- (E4)."),
            ),
            (
                "A to C fires on A–E",
                ("AE", "A"),
                ("AE", "C"),
                Some("Daling van twee niveaus bij spelling: van A (M4) naar C (E4)."),
            ),
            ("one band is a near miss", ("IV", "II"), ("IV", "III"), None),
            ("rise does not fire", ("IV", "IV"), ("IV", "II"), None),
            (
                "letters across scales are never compared",
                ("IV", "I"),
                ("AE", "E"),
                None,
            ),
        ];
        // Issue 16, item 2: a drop in an abandoned test is history once a later round exists.
        let h = Pupil::new(4)
            .result("CSP", "Spelling", d(2025, 1, 20), &[("IV", "I")])
            .result("CSP", "Spelling", d(2025, 6, 10), &[("IV", "IV")])
            .result("IEP-TV", "IEP Taalverzorging", d(2026, 1, 20), &[("RNTRM", "2F")])
            .build();
        assert!(
            engine_evaluate(&h, d(2026, 2, 1), &ctx())
                .iter()
                .all(|f| f.signal.rule != RULE_ID),
            "old Cito drop after an IEP round"
        );
        for (name, a, b, want) in cases {
            let h = Pupil::new(4)
                .result("CSP", "Spelling", d(2025, 1, 20), &[(a.0, a.1)])
                .result("CSP", "Spelling", d(2025, 6, 10), &[(b.0, b.1)])
                .build();
            let got: Vec<_> = engine_evaluate(&h, d(2025, 7, 1), &ctx())
                .into_iter()
                .filter(|f| f.signal.rule == RULE_ID)
                .collect();
            assert_eq!(
                got.first().map(|f| f.signal.explanation.as_str()),
                *want,
                "{name}"
            );
        }
    }
}
