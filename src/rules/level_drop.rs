//! `level_drop`: a drop of two or more bands (I–V or A–E, never across scales) between the last
//! two main measurements in one domain.

use super::finding::{Finding, SignalDraft, signal_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::text;
use crate::domain::Severity;

/// Rule id.
pub const RULE_ID: &str = "level_drop";
/// Rule version.
/// 2: only the pair ending at the domain's latest main round, within one test series, from groep 3
/// (issue 16, items 2 and 13).
/// 3: with a percentile on both results, the drop must exceed measurement error
/// (`min_percentile_drop_sd`); one active signal per pupil and domain (issue 17).
pub const RULE_VERSION: u32 = 3;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// The normal score (z) of a percentile 1–99 of the norm group: the inverse of the standard
/// normal distribution at `p`/100 (Acklam's rational approximation, error below 1.2e-9 — far
/// finer than a percentile).
pub fn normal_score(percentile: u8) -> f64 {
    let p = (f64::from(percentile.clamp(1, 99)) / 100.0).clamp(0.005, 0.995);
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Whether a `level_drop` finding ends at level V or lower (V, V-, E, P≤20): the pupil is now
/// in the lowest band, which is what asks for a plan (`signal_without_plan`).
pub fn ends_low(finding: &Finding) -> bool {
    finding.signal.evidence.last().is_some_and(|e| {
        matches!(e.level.as_deref(), Some("V" | "V-" | "E")) || e.percentile.is_some_and(|p| p <= 20)
    })
}

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
        // Two bands can be a few percentile points (P61 → P40): within the error of a test.
        if let (Some(pa), Some(pb)) = (prev.percentile, last.percentile)
            && normal_score(pa) - normal_score(pb) < p.min_percentile_drop_sd
        {
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
    fn normal_scores_of_percentiles() {
        let close = |a: f64, b: f64| (a - b).abs() < 1e-3;
        assert!(close(normal_score(50), 0.0));
        assert!(close(normal_score(16), -0.994));
        assert!(close(normal_score(84), 0.994));
        assert!(close(normal_score(2), -2.054));
        assert!(close(normal_score(99), 2.326));
        assert!(close(normal_score(0), normal_score(1)), "clamped to 1–99");
    }

    /// Issue 17: two bands can be a few percentile points; with a percentile on both results the
    /// drop must exceed the measurement error (1 SD of the norm group by default).
    #[test]
    fn a_drop_within_measurement_error_is_no_signal() {
        type Score = (&'static str, Option<&'static str>);
        let cases: &[(&str, Score, Score, bool)] = &[
            (
                "II P61 to IV P40 is half an SD: noise",
                ("II", Some("61")),
                ("IV", Some("40")),
                false,
            ),
            (
                "III P43 to V P20 is 0,67 SD: noise",
                ("III", Some("43")),
                ("V", Some("20")),
                false,
            ),
            (
                "II P75 to IV P25 is 1,35 SD: fires",
                ("II", Some("75")),
                ("IV", Some("25")),
                true,
            ),
            (
                "III P50 to V- P5 fires",
                ("III", Some("50")),
                ("V-", Some("5")),
                true,
            ),
            (
                "II P70 to IV P30 is 1,05 SD: fires",
                ("II", Some("70")),
                ("IV", Some("30")),
                true,
            ),
            (
                "a percentile on one side only: the bands decide",
                ("II", Some("61")),
                ("IV", None),
                true,
            ),
            ("bands only: fires as before", ("II", None), ("IV", None), true),
        ];
        for (name, a, b, fires) in cases {
            let scores = |s: &Score| {
                let mut v = vec![("IV", s.0)];
                if let Some(p) = s.1 {
                    v.push(("PC", p));
                }
                v
            };
            let h = Pupil::new(4)
                .result("CSP", "Spelling", d(2025, 1, 20), &scores(a))
                .result("CSP", "Spelling", d(2025, 6, 10), &scores(b))
                .build();
            let got = engine_evaluate(&h, d(2025, 7, 1), &ctx())
                .into_iter()
                .filter(|f| f.signal.rule == RULE_ID)
                .count();
            assert_eq!(got, usize::from(*fires), "{name}");
        }
        // A school that wants every two-band drop sets the margin to 0.
        let mut c = ctx();
        c.params.level_drop.min_percentile_drop_sd = 0.0;
        let h = Pupil::new(4)
            .result("CSP", "Spelling", d(2025, 1, 20), &[("IV", "II"), ("PC", "61")])
            .result("CSP", "Spelling", d(2025, 6, 10), &[("IV", "IV"), ("PC", "40")])
            .build();
        assert!(
            engine_evaluate(&h, d(2025, 7, 1), &c)
                .iter()
                .any(|f| f.signal.rule == RULE_ID)
        );
    }

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
