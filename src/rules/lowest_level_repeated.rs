//! `lowest_level_repeated`: the last two (configurable) consecutive main measurements in one
//! domain at level V or lower — a pupil for the groeps- or leerlingbespreking.

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, signal_key};
use super::normalise::trailing_low_run;
use super::text;
use crate::domain::Severity;

/// Rule id.
pub const RULE_ID: &str = "lowest_level_repeated";
/// Rule version.
/// 2: not on word reading for a pupil with a dyslexieverklaring (issue 16 item 4).
pub const RULE_VERSION: u32 = 2;

/// Runs the rule for every domain (word reading is inhibited by the engine while
/// `dmt_three_lowest` covers it).
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.lowest_level_repeated;
    if !p.enabled {
        return Vec::new();
    }
    let n = p.consecutive.max(1);
    let mut out = Vec::new();
    for domain in input.norm.domains() {
        let series = input.norm.level_series(domain);
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
}
