//! `reference_level_low`: an IEP-aware learning signal (issue 16, item 3). From groep 6 on, the
//! referentieniveau at the domain's latest main round is below 1F, or 1F is not reached on the
//! groep 8 doorstroomtoets. IEP reports referentieniveaus and an ontwikkelscore, not I–V, so
//! without this rule a school that switched to IEP (seed 004) hears almost nothing about its IEP
//! years; the ontwikkelscore is judged by `no_growth`.

use super::finding::{Finding, SignalDraft, signal_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::normalise::Measurement;
use crate::domain::{Level, Severity};

/// Rule id.
pub const RULE_ID: &str = "reference_level_low";
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

/// Whether a test is the groep 8 doorstroomtoets (formerly eindtoets).
pub fn is_exit_test(m: &Measurement) -> bool {
    let name = format!("{} {}", m.series, m.test_name).to_lowercase();
    name.contains("doorstroom") || name.contains("eindtoets")
}

fn below_1f(m: &Measurement) -> bool {
    matches!(m.reference, Some(Level::Reference { level: 0, .. }))
}

/// Runs the rule, once per domain and test series.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.reference_level_low;
    if !p.enabled {
        return Vec::new();
    }
    let mut out = Vec::new();
    for domain in input.norm.domains() {
        let all = input.norm.main(domain);
        let Some(latest) = all.iter().map(|m| m.moment).max() else {
            continue;
        };
        let mut series: Vec<&str> = all
            .iter()
            .filter(|m| m.reference.is_some())
            .map(|m| m.series.as_str())
            .collect();
        series.sort_unstable();
        series.dedup();
        for key in series {
            let ms: Vec<&Measurement> = all
                .iter()
                .filter(|m| m.series == key && m.reference.is_some())
                .collect();
            let Some(last) = ms.last() else { continue };
            let exit = is_exit_test(last);
            // The doorstroomtoets is a one-off in groep 8: current for its school year. An LVS
            // result is current only at the domain's latest main round, from groep 6 on.
            let current = if exit {
                last.moment.school_year == crate::domain::SchoolYear::of_date(input.as_of)
            } else {
                last.moment == latest && last.grade.is_some_and(|g| g.get() >= p.from_grade)
            };
            if !current || !below_1f(last) {
                continue;
            }
            let start = ms.iter().rposition(|m| !below_1f(m)).map_or(0, |i| i + 1);
            let run = &ms[start..];
            let Some(anchor) = run.first() else { continue };
            let explanation = if exit {
                format!(
                    "Op de doorstroomtoets ({}) is 1F niet gehaald bij {} ({}). Bespreken in de groeps- of \
                     leerlingbespreking en meenemen in het overdrachtsgesprek.",
                    last.test_name,
                    domain.dutch(),
                    last.short()
                )
            } else {
                let mut e = format!(
                    "Referentieniveau onder 1F bij {} ({}: {}).",
                    domain.dutch(),
                    last.test_name,
                    last.short()
                );
                if run.len() > 1 {
                    e.push_str(&format!(
                        " Zo sinds {} ({} afnames op rij).",
                        anchor.label,
                        run.len()
                    ));
                }
                e.push_str(" Bespreken in de groeps- of leerlingbespreking.");
                e
            };
            out.push(Finding {
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
                    evidence: run.iter().map(|m| m.evidence()).collect(),
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
    use crate::domain::LearningDomain;

    fn fired(p: Pupil, as_of: chrono::NaiveDate) -> Vec<(Option<LearningDomain>, String)> {
        engine_evaluate(&p.build(), as_of, &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .map(|f| (f.signal.domain, f.signal.explanation))
            .collect()
    }

    /// Pupil in groep 3 from 2023-2024, so groep 6 in 2026-2027.
    fn iep(p: Pupil, on: chrono::NaiveDate, level: &str) -> Pupil {
        p.result("IEP-RK", "IEP Rekenen", on, &[("RNTRM", level)])
            .with(|r| r.provider = Some("IEP".into()))
    }

    #[test]
    fn table() {
        let (m6, e6, m7) = (d(2027, 1, 20), d(2027, 6, 10), d(2028, 1, 20));
        type Build = fn() -> Pupil;
        let cases: &[(&str, Build, chrono::NaiveDate, bool)] = &[
            (
                "below 1F in groep 6 fires",
                || iep(Pupil::new(8), d(2027, 1, 20), "<1F"),
                d(2027, 2, 1),
                true,
            ),
            (
                "1F in groep 6 is silent",
                || iep(Pupil::new(8), d(2027, 1, 20), "1F"),
                d(2027, 2, 1),
                false,
            ),
            (
                "below 1F in groep 5 is too early",
                || iep(Pupil::new(8), d(2026, 1, 20), "<1F"),
                d(2026, 2, 1),
                false,
            ),
            (
                "below 1F, then 1F: recovered, silent",
                || iep(iep(Pupil::new(8), d(2027, 1, 20), "<1F"), d(2027, 6, 10), "1F"),
                d(2027, 7, 1),
                false,
            ),
            (
                "below 1F at an older round, a later round of another test in the domain: history",
                || {
                    iep(Pupil::new(8), d(2027, 1, 20), "<1F").result(
                        "RW",
                        "Cito Rekenen",
                        d(2027, 6, 10),
                        &[("IV", "III")],
                    )
                },
                d(2027, 7, 1),
                false,
            ),
        ];
        let _ = (m6, e6, m7);
        for (name, build, as_of, fires) in cases {
            assert_eq!(!fired(build(), *as_of).is_empty(), *fires, "{name}");
        }
    }

    #[test]
    fn a_run_keeps_its_anchor_and_says_since_when() {
        let p = iep(iep(Pupil::new(8), d(2027, 1, 20), "<1F"), d(2027, 6, 10), "<1F");
        let got = engine_evaluate(&p.build(), d(2027, 7, 1), &ctx());
        let f: Vec<_> = got.iter().filter(|f| f.signal.rule == RULE_ID).collect();
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].signal.key, "reference_level_low/p8/mathematics/r8001");
        assert_eq!(
            f[0].signal.explanation,
            "Referentieniveau onder 1F bij rekenen-wiskunde (IEP Rekenen: E6 <1F). Zo sinds M6 (2 afnames op \
             rij). Bespreken in de groeps- of leerlingbespreking."
        );
    }

    #[test]
    fn doorstroomtoets_1f_not_reached() {
        // Groep 8 in 2030-2031 (groep 3 from 2023, capped at 8 by the test kit from 2028 on).
        let p = Pupil::new(8)
            .no_grades()
            .grade(8, 2025)
            .result(
                "IEP-DT",
                "IEP Doorstroomtoets",
                d(2026, 2, 10),
                &[("RNTRM", "<1F")],
            )
            .with(|r| r.part_code = Some("Taalverzorging".into()));
        let got = fired(p, d(2026, 3, 1));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, Some(LearningDomain::Spelling));
        assert!(
            got[0]
                .1
                .starts_with("Op de doorstroomtoets (IEP Doorstroomtoets) is 1F niet gehaald")
        );
        // The next school year it is history.
        let p = Pupil::new(8)
            .no_grades()
            .grade(8, 2025)
            .result(
                "IEP-DT",
                "IEP Doorstroomtoets",
                d(2026, 2, 10),
                &[("RNTRM", "<1F")],
            )
            .with(|r| r.part_code = Some("Rekenen".into()));
        assert!(fired(p, d(2026, 9, 1)).is_empty());
    }
}
