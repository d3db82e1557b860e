//! `no_growth`: the vaardigheidsscore did not grow from one main round to the same round a school
//! year later (M→M, E→E), beyond the measurement error, compared only within one scale code (Cito
//! and IEP scores never mix). Issue 16, item 9: no signal for the summer dip (E→M) or for a dip
//! within the betrouwbaarheidsinterval.

use std::collections::BTreeMap;

use super::finding::{Finding, SignalDraft, signal_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::normalise::Measurement;
use crate::domain::{AbilityScore, Moment, Severity};

/// Rule id.
pub const RULE_ID: &str = "no_growth";
/// Rule version. 2: like with like (the same round a year earlier) with a margin for measurement
/// error (issue 16, item 9).
/// 3: while the pupil has an active signal of this rule in the domain, a new finding (a new
/// run, a new anchor) continues it instead of opening a second signal (issue 17, `engine::continue_active`).
pub const RULE_VERSION: u32 = 3;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// The margin for measurement error between two scores: with a betrouwbaarheidsinterval on both,
/// the standard combination of their half-widths (√(h₁² + h₂²)); otherwise `points`.
pub fn margin(a: &AbilityScore, b: &AbilityScore, points: f64) -> f64 {
    match (a.interval, b.interval) {
        (Some(x), Some(y)) => x.half_width().hypot(y.half_width()),
        _ => points.max(0.0),
    }
}

/// A score with a decimal comma (`187`, `187,5`).
fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

/// Runs the rule. Per domain and scale code: the score at the domain's latest main round against
/// the score at the same round one school year earlier.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.no_growth;
    if !p.enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    for domain in input.norm.domains() {
        let all = input.norm.main(domain);
        let Some(latest) = all.iter().map(|m| m.moment).max() else {
            continue;
        };
        let year_before = Moment {
            school_year: latest.school_year.previous(),
            kind: latest.kind,
        };
        // Per scale code: one score per moment (latest sitting, then highest id).
        let mut per_scale: BTreeMap<&str, BTreeMap<Moment, &Measurement>> = BTreeMap::new();
        for m in all {
            let Some(a) = &m.ability else { continue };
            let slot = per_scale
                .entry(a.scale.as_str())
                .or_default()
                .entry(m.moment)
                .or_insert(m);
            if (m.taken_on, m.result_id) > (slot.taken_on, slot.result_id) {
                *slot = m;
            }
        }
        for (scale, by_moment) in per_scale {
            let (Some(last), Some(prev)) = (by_moment.get(&latest), by_moment.get(&year_before)) else {
                continue;
            };
            let (Some(a), Some(b)) = (&prev.ability, &last.ability) else {
                continue;
            };
            let rise = b.value - a.value;
            let margin = margin(a, b, p.margin_points);
            if !rise.is_finite() || rise >= p.min_rise - margin {
                continue;
            }
            let why = if a.interval.is_some() && b.interval.is_some() {
                format!(
                    "groter dan de meetfout volgens de betrouwbaarheidsintervallen ({})",
                    num(margin)
                )
            } else {
                format!("groter dan de meetfout van {} punten", num(margin))
            };
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
                    severity: Severity::Low,
                    explanation: format!(
                        "Geen groei in vaardigheidsscore bij {}: {} ({}) en een jaar later {} ({}), schaal \
                         {scale}; de daling is {why}.",
                        domain.dutch(),
                        num(a.value),
                        prev.label,
                        num(b.value),
                        last.label
                    ),
                    evidence: vec![prev.evidence(), last.evidence()],
                    eed_criterion: None,
                },
                tasks: Vec::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;

    fn fired(p: Pupil, as_of: chrono::NaiveDate) -> Vec<String> {
        engine_evaluate(&p.build(), as_of, &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .map(|f| f.signal.explanation)
            .collect()
    }

    fn rw(p: Pupil, on: chrono::NaiveDate, value: f64) -> Pupil {
        p.result("RW", "Rekenen", on, &[]).ability(value, "cito")
    }

    /// Issue 16, item 9: like with like, with a margin; the summer dip is no signal.
    #[test]
    fn table() {
        let (e24, m25, e25, m26) = (d(2024, 6, 10), d(2025, 1, 20), d(2025, 6, 10), d(2026, 1, 20));
        // (name, scores (date, value, interval), as_of, fires)
        type Row = (chrono::NaiveDate, f64, Option<(f64, f64)>);
        let cases: &[(&str, &[Row], chrono::NaiveDate, bool)] = &[
            (
                "E to E a year later, fallen beyond the margin",
                &[(e24, 150.0, None), (e25, 144.0, None)],
                d(2025, 7, 1),
                true,
            ),
            (
                "M to M a year later, fallen beyond the margin",
                &[(m25, 150.0, None), (m26, 140.0, None)],
                d(2026, 2, 1),
                true,
            ),
            (
                "a dip within the default margin (5 points) is measurement error",
                &[(e24, 150.0, None), (e25, 146.0, None)],
                d(2025, 7, 1),
                false,
            ),
            (
                "equal a year later is within the margin",
                &[(e24, 150.0, None), (e25, 150.0, None)],
                d(2025, 7, 1),
                false,
            ),
            (
                "the summer dip E to M is no signal",
                &[(e25, 150.0, None), (m26, 130.0, None)],
                d(2026, 2, 1),
                false,
            ),
            (
                "M to E within a year is not like with like",
                &[(m25, 150.0, None), (e25, 130.0, None)],
                d(2025, 7, 1),
                false,
            ),
            (
                "intervals: the dip lies within the combined interval",
                &[
                    (e24, 150.0, Some((144.0, 156.0))),
                    (e25, 143.0, Some((137.0, 149.0))),
                ],
                d(2025, 7, 1),
                false,
            ),
            (
                "intervals: the dip is beyond the combined interval",
                &[
                    (e24, 150.0, Some((148.0, 152.0))),
                    (e25, 146.0, Some((144.0, 148.0))),
                ],
                d(2025, 7, 1),
                true,
            ),
            (
                "a rise never fires",
                &[(e24, 150.0, None), (e25, 170.0, None)],
                d(2025, 7, 1),
                false,
            ),
        ];
        for (name, rows, as_of, fires) in cases {
            let mut p = Pupil::new(5);
            for (on, value, interval) in *rows {
                p = rw(p, *on, *value);
                if let Some((lo, hi)) = interval {
                    p = p.interval(*lo, *hi);
                }
            }
            assert_eq!(!fired(p, *as_of).is_empty(), *fires, "{name}");
        }
    }

    #[test]
    fn explanation_and_scales() {
        let p = rw(rw(Pupil::new(5), d(2024, 6, 10), 150.5), d(2025, 6, 10), 144.0);
        assert_eq!(
            fired(p, d(2025, 7, 1)),
            vec![
                "Geen groei in vaardigheidsscore bij rekenen-wiskunde: 150,5 (E3) en een jaar later 144 (E4), \
                 schaal cito; de daling is groter dan de meetfout van 5 punten."
                    .to_string()
            ]
        );
        // Different scales never compare.
        let p = Pupil::new(5)
            .result("RW", "Rekenen", d(2024, 6, 10), &[])
            .ability(140.0, "cito")
            .result("IEP-RK", "IEP Rekenen", d(2025, 6, 10), &[])
            .ability(20.0, "iep");
        assert!(fired(p, d(2025, 7, 1)).is_empty());
    }

    #[test]
    fn iep_ontwikkelscore_counts_on_its_own_scale() {
        let p = Pupil::new(5)
            .result("IEP-RK", "IEP Rekenen", d(2024, 6, 10), &[("RNTRM", "1F")])
            .ability(88.0, "iep-ontwikkelscore")
            .result("IEP-RK", "IEP Rekenen", d(2025, 6, 10), &[("RNTRM", "1F")])
            .ability(80.0, "iep-ontwikkelscore");
        assert_eq!(fired(p, d(2025, 7, 1)).len(), 1);
    }

    #[test]
    fn old_pairs_on_an_abandoned_scale_do_not_fire() {
        let p = Pupil::new(5)
            .result("RW", "Cito Rekenen", d(2023, 6, 10), &[])
            .ability(150.0, "cito")
            .result("RW", "Cito Rekenen", d(2024, 6, 10), &[])
            .ability(139.0, "cito")
            .result("IEP-RK", "IEP Rekenen", d(2025, 1, 20), &[])
            .ability(80.0, "iep")
            .result("IEP-RK", "IEP Rekenen", d(2025, 6, 10), &[])
            .ability(90.0, "iep");
        assert!(fired(p, d(2025, 7, 1)).is_empty());
    }
}
