//! `lowest_level_repeated`: the last two (configurable) consecutive main measurements in one
//! domain at level V or lower — a pupil for the groeps- or leerlingbespreking.

use super::finding::{Finding, SignalDraft, signal_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::normalise::trailing_low_run;
use super::text;
use crate::domain::Severity;

/// Rule id.
pub const RULE_ID: &str = "lowest_level_repeated";
/// Rule version.
/// 2: only current runs (ending at the domain's latest main round), one series per test, from
/// groep 3 (issue 16, items 2 and 13); not on word reading for a pupil with a dyslexieverklaring
/// (issue 16 item 4).
/// 3: while the pupil has an active signal of this rule in the domain, a new finding (a new
/// run, a new anchor) continues it instead of opening a second signal (issue 17, `engine::continue_active`).
pub const RULE_VERSION: u32 = 3;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// Runs the rule for every domain (word reading is inhibited by the engine while
/// `dmt_three_lowest` covers it).
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.lowest_level_repeated;
    if !p.enabled {
        return Vec::new();
    }
    let n = p.consecutive.max(1);
    let mut out = Vec::new();
    for (domain, series) in input
        .norm
        .domains()
        .flat_map(|d| input.norm.current_series(d).into_iter().map(move |s| (d, s)))
    {
        let run = trailing_low_run(&series);
        let (Some(anchor), Some(last)) = (run.first(), run.get(run.len().saturating_sub(n)..)) else {
            continue;
        };
        if run.len() < n {
            continue;
        }
        let mut explanation = format!(
            "{} opeenvolgende hoofdmetingen {} op niveau V of lager ({}).",
            text::count_word_capital(n),
            domain.dutch(),
            text::shorts(last)
        );
        if run.len() > n {
            explanation.push_str(&format!(
                " De reeks loopt sinds {} ({} op rij).",
                anchor.label,
                run.len()
            ));
        }
        explanation.push_str(" Bespreken in de groeps- of leerlingbespreking.");
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
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d};
    use super::super::{Finding, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::{LearningDomain, SignalStatus};

    fn run(p: Pupil) -> Vec<Finding> {
        engine_evaluate(&p.build(), d(2025, 7, 1), &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn spelling(p: Pupil, on: chrono::NaiveDate, level: &str) -> Pupil {
        p.result("CSP", "Cito Spelling", on, &[("IV", level)])
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str], bool)] = &[
            ("two V fire", &["III", "V", "V"], true),
            ("V then V- fires", &["V", "V-"], true),
            ("one low is a near miss", &["V", "IV"], false),
            ("IV, V near miss", &["IV", "V"], false),
        ];
        let dates = [d(2024, 6, 10), d(2025, 1, 20), d(2025, 6, 10)];
        for (name, levels, fires) in cases {
            let mut p = Pupil::new(3);
            let offset = dates.len() - levels.len();
            for (i, l) in levels.iter().enumerate() {
                p = spelling(p, dates[offset + i], l);
            }
            let got = run(p);
            assert_eq!(got.len(), usize::from(*fires), "{name}");
        }
    }

    #[test]
    fn explanation_and_percentile_levels() {
        let p = Pupil::new(3)
            .result("RW", "Rekenen-Wiskunde", d(2025, 1, 20), &[("PC", "18")])
            .result("RW", "Rekenen-Wiskunde", d(2025, 6, 10), &[("AE", "E")]);
        let got = run(p);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.domain, Some(LearningDomain::Mathematics));
        assert_eq!(
            got[0].signal.explanation,
            "Twee opeenvolgende hoofdmetingen rekenen-wiskunde op niveau V of lager (M4 P18, E4 E). \
             Bespreken in de groeps- of leerlingbespreking."
        );
    }

    #[test]
    fn inhibited_on_word_reading_while_dmt_signal_is_open() {
        let p = Pupil::new(3).dmt(d(2025, 1, 20), "V").dmt(d(2025, 6, 10), "V");
        assert_eq!(run(p).len(), 1, "fires without a dmt signal");
        let p = Pupil::new(3)
            .dmt(d(2025, 1, 20), "V")
            .dmt(d(2025, 6, 10), "V")
            .prior(
                "k",
                "dmt_three_lowest",
                Some(LearningDomain::WordReading),
                d(2024, 2, 1),
                SignalStatus::Acknowledged,
            );
        assert!(run(p).is_empty(), "inhibited by the stored dmt signal");
        let p = Pupil::new(3)
            .dmt(d(2024, 6, 10), "V")
            .dmt(d(2025, 1, 20), "V")
            .dmt(d(2025, 6, 10), "V");
        assert!(
            run(p).is_empty(),
            "inhibited by the dmt signal of this evaluation"
        );
    }

    /// Issue 16, item 2: seed 004 switched from Cito to IEP; the old Cito run is history.
    #[test]
    fn an_old_cito_run_is_silent_after_a_later_iep_round() {
        let cito = |p: Pupil| {
            p.result("RW", "Cito Rekenen", d(2023, 1, 20), &[("IV", "V")])
                .result("RW", "Cito Rekenen", d(2023, 6, 10), &[("IV", "V-")])
        };
        let cases: Vec<(&str, Pupil, usize)> = vec![
            ("the Cito run alone fires", cito(Pupil::new(3).grade(4, 2022)), 1),
            (
                "an IEP round with only a referentieniveau ends it",
                cito(Pupil::new(3).grade(4, 2022)).result(
                    "IEP-RK",
                    "IEP Rekenen",
                    d(2024, 1, 22),
                    &[("RNTRM", "1F")],
                ),
                0,
            ),
            (
                "an IEP round with a percentile starts its own series",
                cito(Pupil::new(3).grade(4, 2022))
                    .result("IEP-RK", "IEP Rekenen", d(2024, 1, 22), &[("PC", "12")])
                    .result("IEP-RK", "IEP Rekenen", d(2024, 6, 12), &[("PC", "14")]),
                1,
            ),
            (
                "a later round in another domain does not end it",
                cito(Pupil::new(3).grade(4, 2022)).result("SP", "Spelling", d(2024, 1, 22), &[("IV", "V")]),
                1,
            ),
        ];
        for (name, p, want) in cases {
            let got = run(p);
            assert_eq!(got.len(), want, "{name}: {got:?}");
        }
        let got = run(cito(Pupil::new(3).grade(4, 2022))
            .result("IEP-RK", "IEP Rekenen", d(2024, 1, 22), &[("PC", "12")])
            .result("IEP-RK", "IEP Rekenen", d(2024, 6, 12), &[("PC", "14")]));
        assert!(got[0].signal.explanation.contains("(M3 P12, E3 P14)"), "{got:?}");
    }
}
