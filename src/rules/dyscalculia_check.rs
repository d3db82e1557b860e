//! `dyscalculia_check`: the signal to start the rekenonderzoek of the protocol ERWD (Ernstige
//! Reken-Wiskundeproblemen en Dyscalculie; issue 18 item 3). It fires when the current
//! rekenen-wiskunde level series ends in a run of main measurements at level V or lower of which
//! `consecutive` in a row (default 3) are in the lowest 10 % (V-, E, P≤10: the protocol's
//! hardnekkigheid), and the pupil's latest tempotoets automatiseren (TTR, Tempo Test Rekenen) is
//! low too. Like `eed_check` it checks the dossier the rekenonderzoek needs: rekenen plans at
//! protocol level 2 and an intensive intervention at level 3 between the measurements (weeks,
//! minutes a week, evaluations) — one signal with one IB task, not a signal and a second check.
//! Seed 001 does "een klein rekenonderzoek", seed 004 uses Rekensprint and Bareka.

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::intervention_dossier::{DossierDomain, InterventionCheck, check_interventions, note_evidence};
use super::normalise::{Measurement, trailing_low_run};
use super::params::NoteCategories;
use super::{HistoryPlan, HistoryResult, dmt_three_lowest, text};
use crate::domain::level::{percentile, preferred_band};
use crate::domain::{EedCriterion, Evidence, LearningDomain, SchoolYear, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "dyscalculia_check";
/// Rule version. 2: where no rekenen plan counts, notes in a rekenen-intervention category
/// between the measurements are named as evidence of help (issue 18 item 6b).
pub const RULE_VERSION: u32 = 2;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// The pupil's latest tempotoets (TTR) on or before `as_of`, of the current or the previous
/// school year: a tempotoets is no level of a domain (docs/RULES.md §1), so it is read from the
/// results by the rule's own patterns.
pub fn latest_tempo_test<'h>(input: &RuleInput<'h>) -> Option<&'h HistoryResult> {
    let params = &input.ctx.params.dyscalculia_check;
    let year = SchoolYear::of_date(input.as_of);
    input
        .history
        .results
        .iter()
        .filter(|hr| hr.result.taken_on <= input.as_of)
        .filter(|hr| hr.result.taken_on >= year.previous().first_day())
        .filter(|hr| params.is_tempo_test(&hr.result.test_code, &hr.result.test_name))
        .max_by_key(|hr| (hr.result.taken_on, hr.id))
}

/// Whether a tempotoets result is low: its percentile decides when it carries one (at most
/// `max_percentile`); else the level: V-/E (lowest 10 %) is low, and with a limit of P20 or more a
/// plain V too. `None` when it cannot be told (a plain V with the P10 limit, no score).
pub fn tempo_test_low(hr: &HistoryResult, max_percentile: u8) -> Option<bool> {
    let scores = &hr.result.reference_scores;
    if let Some(p) = percentile(scores) {
        return Some(p <= max_percentile);
    }
    let band = preferred_band(scores)?;
    match band.is_lowest_ten_percent() {
        Some(true) => Some(true),
        _ if max_percentile >= 20 => band.is_v_or_lower(),
        Some(false) => Some(false),
        None => None,
    }
}

/// `TTR 12-01-2026: V- (P6)`.
fn tempo_text(hr: &HistoryResult) -> String {
    let scores = &hr.result.reference_scores;
    let shown = match (preferred_band(scores), percentile(scores)) {
        (Some(crate::domain::Level::Percentile(p)), _) | (None, Some(p)) => format!("P{p}"),
        (Some(b), Some(p)) => format!("{b} (P{p})"),
        (Some(b), None) => b.to_string(),
        (None, None) => "zonder niveau".to_string(),
    };
    format!(
        "{} {}: {shown}",
        hr.result.test_name,
        text::date(hr.result.taken_on)
    )
}

fn tempo_evidence(hr: &HistoryResult) -> Evidence {
    let scores = &hr.result.reference_scores;
    let band = preferred_band(scores);
    Evidence {
        kind: "result".into(),
        id: hr.id.to_string(),
        date: hr.result.taken_on,
        test: Some(hr.result.test_name.clone()),
        moment: None,
        level: band.map(|l| l.to_string()),
        scale: band.map(|l| l.scale().code().to_string()),
        percentile: percentile(scores),
        ability_score: None,
        source: Some(hr.result.source),
        note: Some("Tempotoets automatiseren (TTR).".into()),
    }
}

/// The rekendossier's domain.
const MATHEMATICS: DossierDomain = DossierDomain {
    covers: is_mathematics,
    name: "rekenen-wiskunde",
    stem: "reken",
    weeks_stem: "reken",
    note_categories: mathematics_notes,
};

fn mathematics_notes(c: &NoteCategories) -> &[String] {
    &c.mathematics_intervention
}

fn is_mathematics(d: LearningDomain) -> bool {
    d == LearningDomain::Mathematics
}

/// What the rekendossier still lacks over `window`: the intervention part (rekenen plans at
/// protocol levels 2 and 3, weeks and minutes of the intensive intervention, evaluations) and
/// missed rounds.
fn check_dossier(input: &RuleInput<'_>, window: &[&Measurement]) -> InterventionCheck {
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return InterventionCheck::default();
    };
    let p = input.ctx.params.dyscalculia_check.dossier();
    let mut check = check_interventions(input, &MATHEMATICS, &p, first.taken_on, last.taken_on);
    let missed = dmt_three_lowest::missed_rounds(input, window);
    if !missed.is_empty() {
        check.missing.push(format!(
            "Geen rekentoets bij {}: de metingen liggen niet in opeenvolgende rondes; licht dit toe in het dossier.",
            text::join_and(&missed)
        ));
    }
    check
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.dyscalculia_check;
    if !p.enabled {
        return Vec::new();
    }
    let n = p.consecutive.max(1);
    let domain = LearningDomain::Mathematics;
    let series = input.norm.level_series(domain);
    let run = trailing_low_run(&series);
    // The first `n` in a row of the run all in the lowest 10 %: stable while the run grows.
    let Some(window) = run
        .windows(n)
        .find(|w| dmt_three_lowest::criterion(w) == EedCriterion::Met)
    else {
        return Vec::new();
    };
    let (Some(anchor), Some(w0), Some(wn)) = (run.first(), window.first(), window.last()) else {
        return Vec::new();
    };
    let tempo = latest_tempo_test(input);
    let tempo_low = tempo.and_then(|t| tempo_test_low(t, p.ttr_max_percentile));
    if tempo_low != Some(true) && (p.require_ttr || tempo_low == Some(false)) {
        return Vec::new();
    }
    let InterventionCheck {
        plans,
        intensive,
        weeks,
        mut missing,
        notes,
    } = check_dossier(input, window);
    if tempo.is_none() {
        missing.insert(
            0,
            "Geen tempotoets automatiseren (TTR) dit of vorig schooljaar: automatiseren meten.".into(),
        );
    } else if tempo_low.is_none() {
        missing.insert(
            0,
            "Het niveau van de tempotoets (TTR) is niet te bepalen: percentiel nakijken.".into(),
        );
    }
    let pupil = input.history.pupil_id;
    let mut evidence: Vec<Evidence> = window.iter().map(|m| m.evidence()).collect();
    evidence.extend(tempo.map(tempo_evidence));
    let mut dossier: Vec<&HistoryPlan> = input
        .history
        .plans
        .iter()
        .filter(|hp| plans.contains(&hp.id))
        .collect();
    dossier.sort_by_key(|hp| (hp.plan.start, hp.id));
    for hp in dossier {
        evidence.push(Evidence {
            kind: "plan".into(),
            id: hp.id.to_string(),
            date: hp.plan.start,
            test: None,
            moment: None,
            level: hp.plan.care_level.clone(),
            scale: None,
            percentile: None,
            ability_score: None,
            source: Some(hp.plan.source),
            note: intensive
                .contains(&hp.id)
                .then(|| "Telt als intensieve rekeninterventie (protocolniveau 3).".to_string()),
        });
    }
    evidence.extend(note_evidence(input, &notes));
    let tempo_part = match tempo {
        Some(t) if tempo_low == Some(true) => {
            format!(" en een lage tempotoets automatiseren ({})", tempo_text(t))
        }
        Some(t) => format!(" (tempotoets: {})", tempo_text(t)),
        None => String::new(),
    };
    let lead = format!(
        "{} opeenvolgende hoofdmetingen rekenen-wiskunde bij de laagste 10 % ({}){tempo_part}. \
         Volgens het protocol ERWD: rekenonderzoek starten (ernstige rekenproblemen, mogelijk dyscalculie).",
        text::count_word_capital(n),
        text::shorts(window)
    );
    let (explanation, body) = if missing.is_empty() {
        (
            format!(
                "{lead} Het rekendossier lijkt compleet: {} intensieve interventie.",
                text::weeks(weeks)
            ),
            "Het rekendossier lijkt compleet. Rekenonderzoek (ERWD) aanvragen.".to_string(),
        )
    } else {
        (
            format!(
                "{lead} Het rekendossier is nog niet compleet. {}",
                missing.join(" ")
            ),
            format!(
                "Voor het rekenonderzoek (ERWD) ontbreekt nog:\n- {}",
                missing.join("\n- ")
            ),
        )
    };
    let dom = Some(domain);
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, dom, &format!("r{}", anchor.result_id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: dom,
            severity: Severity::High,
            explanation,
            evidence,
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(
                RULE_ID,
                pupil,
                dom,
                &format!("r{}-r{}", w0.result_id, wn.result_id),
            ),
            kind: TaskKind::IbTask,
            target: task_target(run.iter().rev().map(|m| m.source)),
            title: "Rekenonderzoek (ERWD) starten: rekendossier controleren".into(),
            body,
            due_on: None,
        }],
    }]
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::super::{Finding, SchoolContext, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::{EvaluationOutcome, PlanKind, SignalStatus};

    /// The date of a finding's tempotoets.
    fn tempo_date(f: &Finding) -> Option<NaiveDate> {
        f.signal
            .evidence
            .iter()
            .find(|e| e.note.as_deref() == Some("Tempotoets automatiseren (TTR)."))
            .map(|e| e.date)
    }

    fn run_in(p: &Pupil, as_of: NaiveDate, c: &SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.clone().build(), as_of, c)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn run(p: &Pupil) -> Vec<Finding> {
        run_in(p, d(2025, 2, 10), &ctx())
    }

    const M4: (i32, u32, u32) = (2024, 1, 20);
    const E4: (i32, u32, u32) = (2024, 6, 10);
    const M5: (i32, u32, u32) = (2025, 1, 20);

    /// Rekenen M4, E4, M5 with the given scores.
    fn maths(levels: [&[(&str, &str)]; 3]) -> Pupil {
        let mut p = Pupil::new(4);
        for ((y, m, day), scores) in [M4, E4, M5].into_iter().zip(levels) {
            p = p.result("RW", "Rekenen-Wiskunde", d(y, m, day), scores);
        }
        p
    }

    fn ttr(p: Pupil, on: NaiveDate, scores: &[(&str, &str)]) -> Pupil {
        p.result("TTR", "Tempo Test Rekenen", on, scores)
    }

    fn low3() -> Pupil {
        maths([&[("IV", "V-")], &[("IV", "V"), ("PC", "8")], &[("PC", "6")]])
    }

    /// Like word reading under the DMT signal: "twice at the lowest level" in rekenen is not
    /// reported while the rekenonderzoek is advised (now or stored active), and comes back when
    /// the dyscalculia signal is resolved.
    #[test]
    fn lowest_level_repeated_in_rekenen_is_inhibited_while_it_fires() {
        let llr = |p: &Pupil| -> Vec<Finding> {
            engine_evaluate(&p.clone().build(), d(2025, 2, 10), &ctx())
                .into_iter()
                .filter(|f| {
                    f.signal.rule == super::super::lowest_level_repeated::RULE_ID
                        && f.signal.domain == Some(LearningDomain::Mathematics)
                })
                .collect()
        };
        assert_eq!(llr(&low3()).len(), 1, "without the TTR only the level rule fires");
        let firing = ttr(low3(), d(2025, 1, 27), &[("IV", "V-")]);
        assert_eq!(run(&firing).len(), 1);
        assert!(llr(&firing).is_empty(), "inhibited by this evaluation's finding");
        let stored = |status| {
            low3().prior(
                "k",
                RULE_ID,
                Some(LearningDomain::Mathematics),
                d(2025, 1, 30),
                status,
            )
        };
        assert!(
            llr(&stored(SignalStatus::Acknowledged)).is_empty(),
            "inhibited by the stored signal"
        );
        assert_eq!(
            llr(&stored(SignalStatus::Resolved)).len(),
            1,
            "back once resolved"
        );
    }

    #[test]
    fn table() {
        let cases: &[(&str, Pupil, bool)] = &[
            (
                "three times lowest 10 % and a low TTR",
                ttr(low3(), d(2025, 1, 27), &[("IV", "V-")]),
                true,
            ),
            (
                "TTR with a percentile",
                ttr(low3(), d(2025, 1, 27), &[("IV", "V"), ("PC", "9")]),
                true,
            ),
            (
                "TTR at P15 is not the lowest 10 %",
                ttr(low3(), d(2025, 1, 27), &[("PC", "15")]),
                false,
            ),
            (
                "TTR at level IV",
                ttr(low3(), d(2025, 1, 27), &[("IV", "IV")]),
                false,
            ),
            (
                "plain V on the TTR is unknown",
                ttr(low3(), d(2025, 1, 27), &[("IV", "V")]),
                false,
            ),
            ("no TTR", low3(), false),
            (
                "TTR two school years ago",
                ttr(low3(), d(2023, 6, 1), &[("IV", "V-")]),
                false,
            ),
            (
                "one rekenen result at P14",
                ttr(
                    maths([&[("IV", "V-")], &[("IV", "V"), ("PC", "14")], &[("PC", "6")]]),
                    d(2025, 1, 27),
                    &[("IV", "V-")],
                ),
                false,
            ),
            (
                "plain V on rekenen: unknown",
                ttr(
                    maths([&[("IV", "V-")], &[("IV", "V")], &[("IV", "V-")]]),
                    d(2025, 1, 27),
                    &[("IV", "V-")],
                ),
                false,
            ),
            (
                "a recovery in between",
                ttr(
                    maths([&[("IV", "V-")], &[("IV", "III")], &[("IV", "V-")]]),
                    d(2025, 1, 27),
                    &[("IV", "V-")],
                ),
                false,
            ),
        ];
        for (name, p, fires) in cases {
            let got = run(p);
            assert_eq!(got.len(), usize::from(*fires), "{name}: {got:?}");
        }
    }

    #[test]
    fn explanation_task_and_dossier() {
        let p = ttr(low3(), d(2025, 1, 27), &[("IV", "V-"), ("PC", "6")]);
        let got = run(&p);
        let f = &got[0];
        assert_eq!(f.signal.key, "dyscalculia_check/p4/mathematics/r4001");
        assert_eq!(f.signal.severity, Severity::High);
        assert_eq!(f.tasks[0].key, "dyscalculia_check/p4/mathematics/r4001-r4003");
        assert_eq!(f.tasks[0].kind, TaskKind::IbTask);
        assert_eq!(tempo_date(f), Some(d(2025, 1, 27)));
        assert_eq!(
            f.signal.explanation,
            "Drie opeenvolgende hoofdmetingen rekenen-wiskunde bij de laagste 10 % (M3 V-, E3 V, M4 P6) en \
             een lage tempotoets automatiseren (Tempo Test Rekenen 27-01-2025: V- (P6)). Volgens het \
             protocol ERWD: rekenonderzoek starten (ernstige rekenproblemen, mogelijk dyscalculie). Het \
             rekendossier is nog niet compleet. Geen plan voor rekenen-wiskunde op protocolniveau 2 (extra \
             begeleiding in de groep; bij deze school zorgniveau 2 of hoger) tussen 20-01-2024 en 20-01-2025."
        );
        assert!(text::dutch_text_problems(&f.signal.explanation).is_empty());
        assert!(
            f.tasks[0]
                .body
                .starts_with("Voor het rekenonderzoek (ERWD) ontbreekt nog:\n- Geen plan")
        );

        // An intensive plan of 20 weeks: too short; 30 weeks, 60 minutes, evaluated: complete.
        let plan = |p: Pupil, end: NaiveDate, minutes: Option<u32>, evaluated: bool| {
            p.plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::Mathematics),
                d(2024, 2, 1),
                |pl| {
                    pl.care_level = Some("3".into());
                    pl.title = "Rekenen".into();
                    pl.end = Some(end);
                    pl.minutes_per_week = minutes;
                    if evaluated {
                        pl.evaluations = vec![eval(d(2024, 6, 30), EvaluationOutcome::PartlyAchieved)];
                    }
                },
            )
        };
        let short = run(&plan(p.clone(), d(2024, 6, 20), Some(60), true));
        assert!(
            short[0].tasks[0]
                .body
                .contains("Intensieve rekeninterventie duurde 20 weken; nodig is minstens 24 weken."),
            "{}",
            short[0].tasks[0].body
        );
        let thin = run(&plan(p.clone(), d(2025, 1, 10), None, false));
        let body = &thin[0].tasks[0].body;
        assert!(
            body.contains(
                "Intensiteit (minuten per week) onbekend bij handelingsplan 'Rekenen' (01-02-2024)."
            ),
            "{body}"
        );
        assert!(
            body.contains("Evaluatie ontbreekt bij handelingsplan 'Rekenen' (01-02-2024)."),
            "{body}"
        );
        let full = run(&plan(p.clone(), d(2025, 1, 10), Some(60), true));
        assert_eq!(
            full[0].tasks[0].body,
            "Het rekendossier lijkt compleet. Rekenonderzoek (ERWD) aanvragen."
        );
        assert!(full[0].signal.evidence.iter().any(|e| e.kind == "plan"));
    }

    #[test]
    fn parameters_and_continuation() {
        let p = ttr(low3(), d(2025, 1, 27), &[("PC", "15")]);
        assert!(run(&p).is_empty());
        let mut c = ctx();
        c.params.dyscalculia_check.ttr_max_percentile = 20;
        assert_eq!(
            run_in(&p, d(2025, 2, 10), &c).len(),
            1,
            "P15 is low with the P20 limit"
        );
        // A plain V on the TTR is low with the P20 limit.
        let v = ttr(low3(), d(2025, 1, 27), &[("IV", "V")]);
        assert_eq!(run_in(&v, d(2025, 2, 10), &c).len(), 1);
        // Without a TTR the school may still want the signal, with the TTR as a missing piece.
        let mut c = ctx();
        c.params.dyscalculia_check.require_ttr = false;
        let got = run_in(&low3(), d(2025, 2, 10), &c);
        assert!(
            got[0].tasks[0]
                .body
                .contains("Geen tempotoets automatiseren (TTR) dit of vorig schooljaar")
        );
        // A TTR that is not low still silences it.
        assert!(run_in(&p, d(2025, 2, 10), &c).is_empty());
        c.params.dyscalculia_check.consecutive = 2;
        c.params.dyscalculia_check.require_ttr = true;
        let two = ttr(
            maths([&[("IV", "III")], &[("IV", "V-")], &[("PC", "6")]]),
            d(2025, 1, 27),
            &[("IV", "V-")],
        );
        assert_eq!(run_in(&two, d(2025, 2, 10), &c).len(), 1);
        c.params.dyscalculia_check.enabled = false;
        assert!(run_in(&two, d(2025, 2, 10), &c).is_empty());
        // The tempotoets pattern is configurable.
        let mut c = ctx();
        let own = low3().result("RS", "Rekensprint automatiseren", d(2025, 1, 27), &[("IV", "V-")]);
        assert!(run_in(&own, d(2025, 2, 10), &c).is_empty());
        c.params
            .dyscalculia_check
            .tempo_test_patterns
            .push("rekensprint".into());
        assert_eq!(run_in(&own, d(2025, 2, 10), &c).len(), 1);
        // A new run while the signal is active continues it (one signal per problem).
        let mut c = ctx();
        c.params.dyscalculia_check.consecutive = 2;
        let later = ttr(low3(), d(2025, 1, 27), &[("IV", "V-")])
            .result("RW", "Rekenen-Wiskunde", d(2025, 6, 10), &[("IV", "III")])
            .result("RW", "Rekenen-Wiskunde", d(2026, 1, 20), &[("IV", "V-")])
            .result("RW", "Rekenen-Wiskunde", d(2026, 6, 10), &[("IV", "V-")])
            .prior(
                "dyscalculia_check/p4/mathematics/r4001",
                RULE_ID,
                Some(LearningDomain::Mathematics),
                d(2025, 1, 20),
                SignalStatus::Acknowledged,
            );
        let got = run_in(&later, d(2026, 6, 20), &c);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].signal.key, "dyscalculia_check/p4/mathematics/r4001");
    }
}
