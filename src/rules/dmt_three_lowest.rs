//! `dmt_three_lowest`: the last three consecutive main measurements of word reading (DMT) at
//! level V or lower — the IB's "3x V(E) op DMT" that may lead to dyslexia research.

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::normalise::{Measurement, grade_on, trailing_low_run};
use super::text;
use crate::domain::{
    DyslexiaStatement, EedCriterion, LearningDomain, Moment, MomentKind, SchoolYear, Severity, TaskKind,
};

/// Rule id.
pub const RULE_ID: &str = "dmt_three_lowest";
/// Rule version; raise when the semantics change. 2: severity and wording follow the EED
/// criterion, the criterion holds for the whole run once met, I+ display and norm conflicts,
/// missed rounds named, no signal with a dyslexieverklaring (issue 16).
/// 3: while the pupil has an active signal of this rule in the domain, a new finding (a new
/// run, a new anchor) continues it instead of opening a second signal (issue 17, `engine::continue_active`).
/// 4: with the ED criterion met, the signal carries the ED dossier check (its task, its sentence
/// and the dossier as evidence) instead of a second signal `eed_check` (issue 17, `engine::merge_eed_checks`).
pub const RULE_VERSION: u32 = 4;

/// The first version whose signal carries the ED dossier check when the criterion is met
/// (`engine::merge_eed_checks`): the board report counts such a signal as an ED check.
pub const CARRIES_ED_CHECK_SINCE: u32 = 4;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// A current run of low word-reading measurements long enough to fire.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// The whole unbroken run, oldest first (≥ `consecutive` long).
    pub run: Vec<&'a Measurement>,
    /// The last `consecutive` measurements.
    pub last: Vec<&'a Measurement>,
    /// What the criterion was judged on: the first `consecutive` in a row of the run that met
    /// it, else the last ones. Stable while the run grows once met.
    pub window: Vec<&'a Measurement>,
    /// The run's criterion: `met` once any `consecutive` in a row of the run were all in the
    /// lowest 10 % (the state holds while the run lasts), else judged on the last ones.
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

/// The pupil's dyslexieverklaring when it is established on `as_of` (undated counts).
pub fn established_dyslexia(input: &RuleInput<'_>) -> Option<DyslexiaStatement> {
    input
        .history
        .dyslexia_statement
        .filter(|s| s.on.is_none_or(|on| on <= input.as_of))
}

/// Finds the current run, if it fires. Never for a pupil with an established dyslexieverklaring:
/// research is not advised twice (issue 16 item 4).
pub fn detect<'a>(input: &RuleInput<'a>) -> Option<Hit<'a>> {
    let p = &input.ctx.params.dmt_three_lowest;
    if established_dyslexia(input).is_some() {
        return None;
    }
    let n = p.consecutive.max(1);
    let series = input.norm.level_series(LearningDomain::WordReading);
    let run = trailing_low_run(&series);
    if run.len() < n {
        return None;
    }
    let last: Vec<&Measurement> = run.get(run.len() - n..)?.to_vec();
    let met = run.windows(n).find(|w| criterion(w) == EedCriterion::Met);
    let (criterion, window) = match met {
        Some(w) => (EedCriterion::Met, w.to_vec()),
        None => (criterion(&last), last.clone()),
    };
    Some(Hit {
        criterion,
        window,
        run: run.to_vec(),
        last,
    })
}

/// Main rounds (M/E) without a DMT between consecutive measurements of `ms`, as labels (`E4`):
/// a run M4, —, M5, E5 is three in a row of what was measured, not of three rounds.
pub fn missed_rounds(input: &RuleInput<'_>, ms: &[&Measurement]) -> Vec<String> {
    let windows = &input.ctx.params.moment_windows;
    let mut out = Vec::new();
    for pair in ms.windows(2) {
        let (Some(a), Some(b)) = (pair.first(), pair.last()) else {
            continue;
        };
        let mut next = successor(a.moment);
        let mut guard = 0;
        while next < b.moment && guard < 12 {
            let day = match next.kind {
                MomentKind::Mid => windows.mid_to.in_school_year(next.school_year),
                _ => windows.end_from.in_school_year(next.school_year),
            };
            let grade = day.and_then(|day| grade_on(&input.history.memberships, day));
            out.push(next.label(grade));
            next = successor(next);
            guard += 1;
        }
    }
    out
}

fn successor(m: Moment) -> Moment {
    match m.kind {
        MomentKind::Mid => Moment {
            school_year: m.school_year,
            kind: MomentKind::End,
        },
        _ => Moment {
            school_year: SchoolYear::starting(m.school_year.start_year() + 1),
            kind: MomentKind::Mid,
        },
    }
}

/// Dutch sentence on missed rounds (`Let op: bij E4 is geen DMT afgenomen …`), empty for none.
pub fn missed_text(missed: &[String]) -> String {
    match missed {
        [] => String::new(),
        [one] => format!(
            "Let op: bij {one} is geen DMT afgenomen (gemiste hoofdmeting); de afnames liggen niet in opeenvolgende rondes."
        ),
        many => format!(
            "Let op: bij {} is geen DMT afgenomen (gemiste hoofdmetingen); de afnames liggen niet in opeenvolgende rondes.",
            text::join_and(many)
        ),
    }
}

/// Dutch sentence on the criterion.
pub fn criterion_text(c: EedCriterion, window: &[&Measurement]) -> String {
    let n = window.len();
    let all = if n == 3 {
        "alle drie".to_string()
    } else {
        format!("alle {}", text::count_word(n))
    };
    match c {
        EedCriterion::Met => format!("{all} bij de laagste 10 %"),
        EedCriterion::NotMet => {
            let above: Vec<String> = window
                .iter()
                .filter(|m| m.lowest_ten == Some(false))
                .map(|m| match m.percentile {
                    Some(p) => format!("{} P{p}", m.label),
                    None => m.short(),
                })
                .collect();
            format!(
                "niet {all} bij de laagste 10 % ({} daarboven)",
                text::join_and(&above)
            )
        }
        EedCriterion::Unknown => {
            let missing: Vec<String> = window
                .iter()
                .filter(|m| m.lowest_ten.is_none())
                .map(|m| m.label.clone())
                .collect();
            format!(
                "onbekend of {all} bij de laagste 10 % vallen: het percentiel ontbreekt bij {}",
                text::join_and(&missing)
            )
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
        text::shorts(&hit.window),
        criterion_text(hit.criterion, &hit.window)
    );
    if hit.run.len() > n {
        explanation.push_str(&format!(
            " De reeks loopt sinds {} ({} afnames op rij).",
            anchor.label,
            hit.run.len()
        ));
    }
    let missed = missed_rounds(input, &hit.run);
    if !missed.is_empty() {
        explanation.push(' ');
        explanation.push_str(&missed_text(&missed));
    }
    let count = text::count_word_capital(n);
    let (severity, advice, title) = match hit.criterion {
        EedCriterion::Met => (
            Severity::High,
            "Leesdossier en dyslexieonderzoek overwegen.",
            format!("{count} keer V(E) op DMT: dyslexieonderzoek overwegen"),
        ),
        EedCriterion::NotMet => (
            Severity::Medium,
            "Begeleiding intensiveren; het criterium voor dyslexieonderzoek (laagste 10 %) is niet gehaald.",
            format!("{count} keer V op de DMT: begeleiding intensiveren"),
        ),
        EedCriterion::Unknown => (
            Severity::Medium,
            "Percentielen nakijken in het leerlingvolgsysteem; bij drie keer P10 of lager dyslexieonderzoek overwegen.",
            format!("{count} keer V op de DMT: percentiel ontbreekt"),
        ),
    };
    explanation.push(' ');
    explanation.push_str(advice);
    let criterion_word = match hit.criterion {
        EedCriterion::Met => "voldaan",
        EedCriterion::NotMet => "niet voldaan",
        EedCriterion::Unknown => "onbekend (percentiel ontbreekt)",
    };
    let mut body = format!(
        "DMT-afnames op niveau V of lager: {}. ED-criterium (laagste 10 %): {criterion_word}.",
        text::shorts_with_dates(&hit.window)
    );
    if !missed.is_empty() {
        body.push(' ');
        body.push_str(&missed_text(&missed));
    }
    let task = TaskDraft {
        key: task_key(
            RULE_ID,
            pupil,
            domain,
            &format!("r{}-r{}", anchor.result_id, nth.result_id),
        ),
        kind: TaskKind::IbTask,
        target: task_target(hit.run.iter().rev().map(|m| m.source)),
        title,
        body,
        due_on: None,
    };
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &format!("r{}", anchor.result_id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity,
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
        assert_eq!(
            third[0].signal.severity,
            Severity::Medium,
            "plain V: criterion unknown"
        );
        assert_eq!(
            third[0].tasks[0].title,
            "Drie keer V op de DMT: percentiel ontbreekt"
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
        // The ED dossier check follows (engine::merge_eed_checks).
        assert!(
            got[0].signal.explanation.starts_with(
                "Drie opeenvolgende DMT-afnames op niveau V of lager (M4 E, E4 V-, M5 E): alle drie bij de \
                 laagste 10 %. Leesdossier en dyslexieonderzoek overwegen. Het leesdossier is nog niet compleet."
            ),
            "{}",
            got[0].signal.explanation
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

    fn all(h: &PupilHistory, as_of: NaiveDate) -> Vec<Finding> {
        engine_evaluate(h, as_of, &ctx())
    }

    /// Issue 16 item 6: severity and wording follow the criterion.
    #[test]
    fn severity_and_wording_follow_the_criterion() {
        let m = dates();
        type Case<'s> = (
            &'s str,
            [(&'s str, &'s str); 3],
            EedCriterion,
            Severity,
            &'s str,
            &'s str,
        );
        let table: &[Case<'_>] = &[
            (
                "three V- (met)",
                [("IV", "V-"), ("IV", "V-"), ("IV", "V-")],
                EedCriterion::Met,
                Severity::High,
                "Drie keer V(E) op DMT: dyslexieonderzoek overwegen",
                "alle drie bij de laagste 10 %. Leesdossier en dyslexieonderzoek overwegen.",
            ),
            (
                "three V at P15 (not met)",
                [("PC", "15"), ("PC", "18"), ("PC", "12")],
                EedCriterion::NotMet,
                Severity::Medium,
                "Drie keer V op de DMT: begeleiding intensiveren",
                "niet alle drie bij de laagste 10 % (M3 P15, E3 P18 en M4 P12 daarboven). Begeleiding intensiveren",
            ),
            (
                "plain V (unknown)",
                [("IV", "V"), ("IV", "V-"), ("IV", "V")],
                EedCriterion::Unknown,
                Severity::Medium,
                "Drie keer V op de DMT: percentiel ontbreekt",
                "onbekend of alle drie bij de laagste 10 % vallen: het percentiel ontbreekt bij M3 en M4.",
            ),
        ];
        for (name, scores, crit, sev, title, text) in table {
            let mut p = Pupil::new(1);
            for (i, (code, value)) in scores.iter().enumerate() {
                p = p.result("DMT", "DMT", m[i], &[(code, value)]);
            }
            let got = run(&p.build(), d(2025, 2, 1));
            assert_eq!(got.len(), 1, "{name}");
            let f = &got[0];
            assert_eq!(f.signal.eed_criterion, Some(*crit), "{name}");
            assert_eq!(f.signal.severity, *sev, "{name}");
            assert_eq!(f.tasks[0].title, *title, "{name}");
            assert!(
                f.signal.explanation.contains(text),
                "{name}: {}",
                f.signal.explanation
            );
        }
    }

    /// Issue 16 item 7: once three in a row met the criterion, the run keeps it (and its window).
    #[test]
    fn the_criterion_holds_while_the_run_lasts() {
        let m = dates();
        let h = Pupil::new(1)
            .dmt(m[0], "V-")
            .dmt(m[1], "V-")
            .dmt(m[2], "V-")
            .result("DMT", "DMT", m[3], &[("IV", "V"), ("PC", "15")])
            .build();
        let got = run(&h, d(2025, 7, 1));
        assert_eq!(got[0].signal.eed_criterion, Some(EedCriterion::Met));
        assert_eq!(got[0].signal.severity, Severity::High);
        assert!(
            got[0]
                .signal
                .explanation
                .starts_with("Drie opeenvolgende DMT-afnames op niveau V of lager (M3 V-, E3 V-, M4 V-)"),
            "{}",
            got[0].signal.explanation
        );
        // The dossier check is this signal's task (engine::merge_eed_checks), not a signal.
        let found = all(&h, d(2025, 7, 1));
        assert_eq!(found.len(), 1, "{found:?}");
        let eed: Vec<_> = found[0]
            .tasks
            .iter()
            .filter(|t| t.key.starts_with("eed_check/"))
            .collect();
        assert_eq!(eed.len(), 1, "the dossier check keeps its state");
        assert_eq!(eed[0].key, "eed_check/p1/word_reading/r1001-r1003");
        assert!(
            found[0].signal.explanation.contains("Het leesdossier"),
            "{}",
            found[0].signal.explanation
        );
        assert!(!found[0].signal.explanation.contains("ED-criterium voldaan"));
    }

    /// Issue 17 (`eed_check` version 5): a check the store already holds as a signal of its own
    /// (opened before the check became the DMT signal's task) stays one; a new one is merged.
    #[test]
    fn a_stored_dossier_check_stays_a_signal_of_its_own() {
        let m = dates();
        let lows = || Pupil::new(1).dmt(m[0], "V-").dmt(m[1], "V-").dmt(m[2], "V-");
        let merged = all(&lows().build(), d(2025, 7, 1));
        let rules: Vec<&str> = merged.iter().map(|f| f.signal.rule.as_str()).collect();
        assert_eq!(rules, [RULE_ID], "new: one signal");
        assert_eq!(merged[0].tasks.len(), 2, "{:?}", merged[0].tasks);
        let key = "eed_check/p1/word_reading/r1001";
        let stored = lows()
            .prior(
                key,
                "eed_check",
                Some(LearningDomain::WordReading),
                m[2],
                crate::domain::SignalStatus::Open,
            )
            .build();
        let found = all(&stored, d(2025, 7, 1));
        let check = found
            .iter()
            .find(|f| f.signal.rule == "eed_check")
            .expect("the stored check is kept up to date");
        assert_eq!(check.signal.key, key);
        let dmt = found.iter().find(|f| f.signal.rule == RULE_ID).expect("dmt");
        assert!(
            !dmt.signal.explanation.contains("ED-criterium"),
            "{}",
            dmt.signal.explanation
        );
        assert!(dmt.tasks.iter().all(|t| !t.key.starts_with("eed_check/")));
    }

    /// Issue 16 item 6: M4, —, M5, E5 names the missed round.
    #[test]
    fn a_missed_round_is_named() {
        let h = Pupil::new(1)
            .dmt(d(2025, 1, 20), "V-")
            .dmt(d(2026, 1, 20), "V-")
            .dmt(d(2026, 6, 10), "V-")
            .build();
        let got = run(&h, d(2026, 7, 1));
        assert_eq!(got.len(), 1);
        assert!(
            got[0].signal.explanation.contains(
                "Let op: bij E4 is geen DMT afgenomen (gemiste hoofdmeting); de afnames liggen niet in opeenvolgende rondes."
            ),
            "{}",
            got[0].signal.explanation
        );
        assert!(got[0].tasks[0].body.contains("bij E4 is geen DMT afgenomen"));
        let consecutive = Pupil::new(1)
            .dmt(d(2025, 1, 20), "V-")
            .dmt(d(2025, 6, 10), "V-")
            .dmt(d(2026, 1, 20), "V-")
            .build();
        assert!(
            !run(&consecutive, d(2026, 7, 1))[0]
                .signal
                .explanation
                .contains("Let op")
        );
    }

    /// Issue 16 item 4: an established dyslexieverklaring means no research advice, no dossier
    /// check and no repeated-lowest signal on word reading; a statement dated later does not count yet.
    #[test]
    fn no_research_advice_with_a_dyslexieverklaring() {
        let m = dates();
        let lows = || Pupil::new(1).dmt(m[0], "V-").dmt(m[1], "V-").dmt(m[2], "V-");
        let table: &[(&str, Option<Option<NaiveDate>>, bool)] = &[
            ("no statement", None, true),
            ("statement with date", Some(Some(d(2024, 11, 1))), false),
            ("statement without date", Some(None), false),
            ("statement after as_of", Some(Some(d(2025, 3, 1))), true),
        ];
        for (name, statement, fires) in table {
            let mut p = lows();
            if let Some(on) = statement {
                p = p.dyslexia_statement(*on);
            }
            let got = all(&p.build(), d(2025, 2, 1));
            let rules: Vec<&str> = got.iter().map(|f| f.signal.rule.as_str()).collect();
            assert_eq!(rules.contains(&RULE_ID), *fires, "{name}: {rules:?}");
            let ed_task = got
                .iter()
                .flat_map(|f| &f.tasks)
                .any(|t| t.key.starts_with("eed_check/"));
            assert_eq!(ed_task, *fires, "{name}: {rules:?}");
            assert!(
                !rules.contains(&"eed_check"),
                "{name}: the check is the DMT signal's task"
            );
            assert!(!rules.contains(&"lowest_level_repeated"), "{name}: {rules:?}");
        }
    }

    /// Issue 16 item 5: I+ from the same source means the seven-level display, so plain V is
    /// P11–20 and the criterion is not met; two norms of one sitting are named.
    #[test]
    fn seven_level_display_and_norm_conflicts() {
        let m = dates();
        let h = Pupil::new(1)
            .result("REK", "Rekenen-Wiskunde", m[0], &[("IV", "I+")])
            .dmt(m[0], "V")
            .dmt(m[1], "V")
            .dmt(m[2], "V")
            .build();
        let got = run(&h, d(2025, 2, 1));
        assert_eq!(got[0].signal.eed_criterion, Some(EedCriterion::NotMet));
        assert_eq!(got[0].signal.severity, Severity::Medium);

        let h = Pupil::new(1)
            .dmt(m[0], "V-")
            .dmt(m[1], "V-")
            .result("DMT", "DMT", m[2], &[("AE", "E"), ("PC", "14")])
            .build();
        let got = run(&h, d(2025, 2, 1));
        assert_eq!(
            got[0].signal.eed_criterion,
            Some(EedCriterion::NotMet),
            "P14 decides"
        );
        let note = got[0].signal.evidence[2].note.clone().unwrap_or_default();
        assert!(note.contains("E (A–E, DMT-norm 2009) en P14"), "{note}");
    }
}
