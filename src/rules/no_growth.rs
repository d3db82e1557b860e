//! `no_growth`: the vaardigheidsscore did not rise between two consecutive main measurements in
//! one domain, compared only within one scale code (Cito and IEP scores never mix).

use std::collections::BTreeMap;

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, signal_key};
use super::normalise::Measurement;
use crate::domain::Severity;

/// Rule id.
pub const RULE_ID: &str = "no_growth";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// Runs the rule. Only the pair ending at the domain's latest moment counts, and only when no
/// other main measurement in the domain lies between the two.
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
        // Per scale code: one score per moment (latest sitting, then highest id).
        let mut per_scale: BTreeMap<&str, BTreeMap<_, &Measurement>> = BTreeMap::new();
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
            let ms: Vec<&Measurement> = by_moment.into_values().collect();
            let [.., prev, last] = ms.as_slice() else {
                continue;
            };
            if last.moment != latest
                || all
                    .iter()
                    .any(|m| m.moment > prev.moment && m.moment < last.moment)
            {
                continue;
            }
            let (Some(a), Some(b)) = (&prev.ability, &last.ability) else {
                continue;
            };
            let rise = b.value - a.value;
            if !rise.is_finite() || rise > p.min_rise {
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
                    severity: Severity::Low,
                    explanation: format!(
                        "Geen groei in vaardigheidsscore bij {}: {} ({}) en daarna {} ({}), schaal {scale}.",
                        domain.dutch(),
                        a.value,
                        prev.label,
                        b.value,
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

    fn fired(p: Pupil) -> Vec<String> {
        engine_evaluate(&p.build(), d(2025, 7, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .map(|f| f.signal.explanation)
            .collect()
    }

    #[test]
    fn table() {
        type Ability = (f64, &'static str);
        let cases: &[(&str, Ability, Ability, bool)] = &[
            ("equal score fires", (140.0, "cito"), (140.0, "cito"), true),
            ("fall fires", (140.0, "cito"), (137.5, "cito"), true),
            ("rise is a near miss", (140.0, "cito"), (140.5, "cito"), false),
            (
                "different scales never compare",
                (140.0, "cito"),
                (20.0, "iep"),
                false,
            ),
        ];
        for (name, a, b, fires) in cases {
            let p = Pupil::new(5)
                .result("RW", "Rekenen", d(2025, 1, 20), &[])
                .ability(a.0, a.1)
                .result("RW", "Rekenen", d(2025, 6, 10), &[])
                .ability(b.0, b.1);
            assert_eq!(!fired(p).is_empty(), *fires, "{name}");
        }
    }

    #[test]
    fn iep_reference_only_results_count_on_their_own_scale() {
        let p = Pupil::new(5)
            .result("IEP-RW", "IEP Rekenen", d(2025, 1, 20), &[("RNTRM", "1F")])
            .ability(88.0, "iep-ontwikkelscore")
            .result("IEP-RW", "IEP Rekenen", d(2025, 6, 10), &[("RNTRM", "1F")])
            .ability(86.0, "iep-ontwikkelscore");
        assert_eq!(
            fired(p),
            vec![
                "Geen groei in vaardigheidsscore bij rekenen-wiskunde: 88 (M4) en daarna 86 (E4), schaal \
                  iep-ontwikkelscore."
                    .to_string()
            ]
        );
    }

    #[test]
    fn old_pairs_on_an_abandoned_scale_do_not_fire() {
        let p = Pupil::new(5)
            .result("RW", "Cito Rekenen", d(2024, 1, 20), &[])
            .ability(140.0, "cito")
            .result("RW", "Cito Rekenen", d(2024, 6, 10), &[])
            .ability(139.0, "cito")
            .result("IEP-RW", "IEP Rekenen", d(2025, 1, 20), &[])
            .ability(80.0, "iep")
            .result("IEP-RW", "IEP Rekenen", d(2025, 6, 10), &[])
            .ability(90.0, "iep");
        assert!(fired(p).is_empty());
    }
}
