//! `dmt_three_lowest`: the last three consecutive main measurements of word reading (DMT) at
//! level V or lower — the IB's "3x V(E) op DMT" that may lead to dyslexia research.

use super::engine::RuleInput;
use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::normalise::{Measurement, trailing_low_run};
use super::text;
use crate::domain::{EedCriterion, LearningDomain, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "dmt_three_lowest";
/// Rule version; raise when the semantics change.
pub const RULE_VERSION: u32 = 1;

/// A current run of low word-reading measurements long enough to fire.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// The whole unbroken run, oldest first (≥ `consecutive` long).
    pub run: Vec<&'a Measurement>,
    /// The last `consecutive` measurements: what the rule judges.
    pub last: Vec<&'a Measurement>,
    /// Whether the last ones are all in the lowest 10 %.
    pub criterion: EedCriterion,
}

/// EED criterion of measurements: met when all are V-/E/P≤10, not met when one is known to be
/// above P10, unknown otherwise (a plain V without percentile).
pub fn criterion(ms: &[&Measurement]) -> EedCriterion {
    if ms.iter().any(|m| m.lowest_ten == Some(false)) {
        EedCriterion::NotMet
    } else if ms.iter().all(|m| m.lowest_ten == Some(true)) {
        EedCriterion::Met
    } else {
        EedCriterion::Unknown
    }
}

/// Finds the current run, if it fires.
pub fn detect<'a>(input: &RuleInput<'a>) -> Option<Hit<'a>> {
    let p = &input.ctx.params.dmt_three_lowest;
    let n = p.consecutive.max(1);
    let series = input.norm.level_series(LearningDomain::WordReading);
    let run = trailing_low_run(&series);
    if run.len() < n {
        return None;
    }
    let last: Vec<&Measurement> = run.get(run.len() - n..)?.to_vec();
    Some(Hit {
        criterion: criterion(&last),
        run: run.to_vec(),
        last,
    })
}

/// Dutch sentence on the criterion.
pub fn criterion_text(c: EedCriterion, n: usize) -> String {
    let all = if n == 3 {
        "alle drie".to_string()
    } else {
        format!("alle {}", text::count_word(n))
    };
    match c {
        EedCriterion::Met => format!("{all} bij de laagste 10 %"),
        EedCriterion::NotMet => format!("niet {all} bij de laagste 10 %"),
        EedCriterion::Unknown => {
            format!("onbekend of {all} bij de laagste 10 % vallen (niveau V zonder percentiel)")
        }
    }
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    if !input.ctx.params.dmt_three_lowest.enabled {
        return Vec::new();
    }
    let Some(hit) = detect(input) else {
        return Vec::new();
    };
    let n = hit.last.len();
    let pupil = input.history.pupil_id;
    let domain = Some(LearningDomain::WordReading);
    let (Some(anchor), Some(nth)) = (hit.run.first(), hit.run.get(n - 1)) else {
        return Vec::new();
    };
    let mut explanation = format!(
        "{} opeenvolgende DMT-afnames op niveau V of lager ({}): {}.",
        text::count_word_capital(n),
        text::shorts(&hit.last),
        criterion_text(hit.criterion, n)
    );
    if hit.run.len() > n {
        explanation.push_str(&format!(
            " De reeks loopt sinds {} ({} afnames op rij).",
            anchor.label,
            hit.run.len()
        ));
    }
    explanation.push_str(" Leesdossier en dyslexieonderzoek overwegen.");
    let criterion_word = match hit.criterion {
        EedCriterion::Met => "voldaan",
        EedCriterion::NotMet => "niet voldaan",
        EedCriterion::Unknown => "onbekend",
    };
    let task = TaskDraft {
        key: task_key(
            RULE_ID,
            pupil,
            domain,
            &format!("r{}-r{}", anchor.result_id, nth.result_id),
        ),
        kind: TaskKind::IbTask,
        target: task_target(hit.run.iter().rev().map(|m| m.source)),
        title: format!(
            "{} keer V(E) op DMT: dyslexieonderzoek overwegen",
            text::count_word_capital(n)
        ),
        body: format!(
            "DMT-afnames op niveau V of lager: {}. EED-criterium (laagste 10 %): {criterion_word}.",
            text::shorts_with_dates(&hit.last)
        ),
        due_on: None,
    };
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &format!("r{}", anchor.result_id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: Severity::High,
            explanation,
            evidence: hit.run.iter().map(|m| m.evidence()).collect(),
            eed_criterion: Some(hit.criterion),
        },
        tasks: vec![task],
    }]
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d};
    use super::super::{PupilHistory, evaluate as engine_evaluate};
    use super::*;
    use chrono::NaiveDate;

    fn run(h: &PupilHistory, as_of: NaiveDate) -> Vec<Finding> {
        engine_evaluate(h, as_of, &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    /// M3 … E5 dates of the default test pupil (groep 3 in 2023-2024).
    fn dates() -> [NaiveDate; 6] {
        [
            d(2024, 1, 20),
            d(2024, 6, 10),
            d(2025, 1, 20),
            d(2025, 6, 10),
            d(2026, 1, 20),
            d(2026, 6, 10),
        ]
    }

    #[test]
    fn table() {
        let m = dates();
        let cases: &[(&str, &[&str], Option<EedCriterion>)] = &[
            ("V, IV, V does not fire", &["V", "IV", "V"], None),
            (
                "plain V trio fires with unknown criterion",
                &["V", "V", "V"],
                Some(EedCriterion::Unknown),
            ),
            (
                "three V- fire with criterion met",
                &["V-", "V-", "V-"],
                Some(EedCriterion::Met),
            ),
            ("two lows are a near miss", &["III", "V-", "V-"], None),
            ("recovery at the end stops it", &["V-", "V-", "V-", "III"], None),
            (
                "fourth low keeps firing",
                &["V", "V-", "V-", "V-"],
                Some(EedCriterion::Met),
            ),
        ];
        for (name, levels, want) in cases {
            let mut p = Pupil::new(1);
            for (i, l) in levels.iter().enumerate() {
                p = p.dmt(m[i], l);
            }
            let got = run(&p.build(), d(2026, 7, 20));
            assert_eq!(got.first().and_then(|f| f.signal.eed_criterion), *want, "{name}");
            assert!(got.len() <= 1, "{name}");
        }
    }

    #[test]
    fn fires_on_the_third_v_and_keeps_its_key_as_evidence_grows() {
        let m = dates();
        let h = Pupil::new(1)
            .dmt(m[0], "V")
            .dmt(m[1], "V")
            .dmt(m[2], "V")
            .dmt(m[3], "V-")
            .build();
        assert!(run(&h, d(2024, 12, 1)).is_empty(), "two V's only");
        let third = run(&h, d(2025, 2, 1));
        assert_eq!(third.len(), 1);
        let first_key = third[0].signal.key.clone();
        assert_eq!(first_key, "dmt_three_lowest/p1/word_reading/r1001");
        assert_eq!(third[0].signal.severity, Severity::High);
        assert_eq!(
            third[0].tasks[0].title,
            "Drie keer V(E) op DMT: dyslexieonderzoek overwegen"
        );
        let fourth = run(&h, d(2025, 7, 1));
        assert_eq!(fourth[0].signal.key, first_key, "anchor is the start of the run");
        assert_eq!(fourth[0].tasks[0].key, third[0].tasks[0].key, "one task per run");
        assert_eq!(fourth[0].signal.evidence.len(), 4, "newer evidence is appended");
    }

    #[test]
    fn a_new_run_after_recovery_is_a_new_signal() {
        let m = dates();
        let h = Pupil::new(1)
            .dmt(m[0], "V")
            .dmt(m[1], "V")
            .dmt(m[2], "V")
            .dmt(m[3], "III")
            .dmt(d(2026, 1, 20), "V")
            .dmt(d(2026, 6, 10), "V")
            .dmt(d(2027, 1, 20), "V")
            .build();
        let a = run(&h, d(2025, 2, 1));
        let b = run(&h, d(2027, 2, 1));
        assert_ne!(a[0].signal.key, b[0].signal.key);
    }

    #[test]
    fn e_v_minus_e_across_the_cito_iep_boundary() {
        let h = Pupil::new(1)
            .result("DMT", "Cito DMT", d(2023, 1, 25), &[("AE", "E")])
            .result(
                "IEP-DMT",
                "IEP Drie-Minuten-Toets",
                d(2023, 6, 1),
                &[("IV", "V-"), ("RNTRM", "1F")],
            )
            .with(|r| r.provider = Some("IEP".into()))
            .result("DMT", "Cito DMT", d(2024, 1, 25), &[("AE", "E")])
            .no_grades()
            .grade(4, 2022)
            .grade(5, 2023)
            .build();
        let got = run(&h, d(2024, 2, 1));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.eed_criterion, Some(EedCriterion::Met));
        assert_eq!(
            got[0].signal.explanation,
            "Drie opeenvolgende DMT-afnames op niveau V of lager (M4 E, E4 V-, M5 E): alle drie bij de \
             laagste 10 %. Leesdossier en dyslexieonderzoek overwegen."
        );
    }

    #[test]
    fn percentile_settles_a_plain_v_and_iep_reference_only_is_no_level() {
        let m = dates();
        let h = Pupil::new(1)
            .result("DMT", "DMT", m[0], &[("IV", "V"), ("PC", "15")])
            .result("DMT", "DMT", m[1], &[("IV", "V-")])
            .result("IEP-DMT", "IEP DMT", m[2], &[("RNTRM", "<1F")])
            .result("DMT", "DMT", m[3], &[("IV", "V")])
            .build();
        let got = run(&h, d(2025, 7, 1));
        assert_eq!(got.len(), 1, "reference-only result is skipped, not a break");
        assert_eq!(got[0].signal.eed_criterion, Some(EedCriterion::NotMet));
    }

    #[test]
    fn tussenmetingen_duplicates_and_doublures() {
        let m = dates();
        // A tussenmeting at IV between the lows is ignored; the same sitting from OSO counts once.
        let h = Pupil::new(1)
            .dmt(m[0], "V")
            .dmt(d(2024, 10, 10), "IV")
            .dmt(m[1], "V")
            .dmt(m[1], "V")
            .with(|r| r.source = crate::domain::Source::Oso)
            .build();
        assert!(run(&h, d(2024, 7, 1)).is_empty(), "only two distinct lows");
        let h = Pupil::new(1)
            .no_grades()
            .grade(4, 2023)
            .grade(4, 2024)
            .dmt(m[2], "V")
            .dmt(m[0], "V-")
            .dmt(m[1], "V")
            .build();
        let got = run(&h, d(2025, 2, 1));
        assert_eq!(got.len(), 1);
        assert!(
            got[0].signal.explanation.contains("(M4 V-, E4 V, M4 V)"),
            "{}",
            got[0].signal.explanation
        );
    }

    #[test]
    fn quarantined_result_is_absent_and_later_results_are_not_seen() {
        let m = dates();
        // Quarantined results never reach the history: with only two lows nothing fires.
        let h = Pupil::new(1).dmt(m[0], "V").dmt(m[1], "V").dmt(m[2], "V").build();
        assert!(run(&h, m[1]).is_empty(), "third result is after as_of");
        assert_eq!(run(&h, m[2]).len(), 1);
    }
}
