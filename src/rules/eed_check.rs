//! `eed_check`: when `dmt_three_lowest` has the ED criterion met (three in a row in the lowest
//! 10 %), list what the dyslexia dossier (ED-regeling, Protocol Dyslexie Diagnostiek en
//! Behandeling 3.0) still lacks: reading help at protocol level 2 and an intensive intervention
//! at protocol level 3 between the measurements (enough weeks and minutes a week, evaluated),
//! spelling data, consecutive rounds, and — from groep 8 — care starting before the 13th birthday.
//! Ladder steps are judged by their protocol level (`CareLevel::protocol_level`), never by number.

use chrono::Months;

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::intervention_dossier::{DossierDomain, InterventionCheck, check_interventions, note_evidence};
use super::normalise::{Measurement, grade_on};
use super::params::NoteCategories;
use super::{HistoryPlan, dmt_three_lowest, text};
use crate::domain::{EedCriterion, Evidence, LearningDomain, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "eed_check";
/// Rule version. 2: protocol levels instead of ladder steps, intensive help at level 2 counts,
/// spelling data, the 13th birthday, missed rounds, a stable window, ED wording (issue 16).
/// 3: while the pupil has an active signal of this rule in the domain, a new finding (a new
/// run, a new anchor) continues it instead of opening a second signal (issue 17, `engine::continue_active`).
/// 4: where no reading plan counts, notes in a reading-intervention category between the
/// measurements are named as evidence of help (issue 18 item 6b).
/// 5: the check is the DMT signal's task, not a signal of its own: the engine merges it into the
/// `dmt_three_lowest` finding of the same run (issue 17, `engine::merge_eed_checks`).
pub const RULE_VERSION: u32 = 5;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// The check's explanation without its opening "ED-criterium voldaan (M4 V-, E4 E, M5 V-). ":
/// what the DMT signal it is merged into does not say already (`engine::merge_eed_checks`; the
/// DMT signal names the same window and the criterion).
pub fn dossier_part(explanation: &str) -> &str {
    explanation
        .strip_prefix("ED-criterium voldaan (")
        .and_then(|rest| rest.split_once("). "))
        .map_or(explanation, |(_, dossier)| dossier)
}

/// What the dossier check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierCheck {
    /// Reading plans overlapping the window at protocol level ≥ `min_protocol_level`.
    pub plans: Vec<i64>,
    /// Of those, the ones that count as intensive (protocol level 3, or level 2 with enough minutes).
    pub intensive: Vec<i64>,
    /// Weeks of intensive intervention within the window (overlaps merged).
    pub weeks: u32,
    /// Dutch lines for what is missing; empty when the dossier looks complete.
    pub missing: Vec<String>,
    /// Notes in a reading-intervention category between the measurements, where no plan counts.
    pub notes: Vec<i64>,
    /// Dutch warnings that are no missing piece (the 13th birthday in groep 8).
    pub flags: Vec<String>,
}

/// The leesdossier's domain: plans of every reading domain count.
const READING: DossierDomain = DossierDomain {
    covers: LearningDomain::is_reading,
    name: "technisch lezen",
    stem: "lees",
    weeks_stem: "",
    note_categories: reading_notes,
};

fn reading_notes(c: &NoteCategories) -> &[String] {
    &c.reading_intervention
}

/// Checks the dossier over `window` (the three measurements that met the criterion).
pub fn check_dossier(input: &RuleInput<'_>, window: &[&Measurement]) -> DossierCheck {
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return DossierCheck {
            plans: Vec::new(),
            intensive: Vec::new(),
            weeks: 0,
            missing: Vec::new(),
            notes: Vec::new(),
            flags: Vec::new(),
        };
    };
    let (from, to) = (first.taken_on, last.taken_on);
    let p = &input.ctx.params.eed_check;
    let mut flags = Vec::new();
    if let Some(line) = age_flag(input) {
        flags.push(line);
    }
    let InterventionCheck {
        plans,
        intensive,
        weeks,
        mut missing,
        notes,
    } = check_interventions(input, &READING, &p.dossier(), from, to);
    if input.norm.main(LearningDomain::Spelling).is_empty() {
        missing.push(
            "Spellinggegevens ontbreken: het dossier vraagt ook spellingresultaten (geen spellingtoets gevonden)."
                .to_string(),
        );
    }
    let missed = dmt_three_lowest::missed_rounds(input, window);
    if !missed.is_empty() {
        missing.push(format!(
            "Geen DMT bij {}: de drie metingen liggen niet in opeenvolgende rondes; licht dit toe in het dossier.",
            text::join_and(&missed)
        ));
    }
    DossierCheck {
        plans,
        intensive,
        weeks,
        missing,
        notes,
        flags,
    }
}

/// From groep 8 (or within a year of it): reimbursed ED care must start before the 13th
/// birthday.
fn age_flag(input: &RuleInput<'_>) -> Option<String> {
    let age = input.ctx.params.eed_check.start_before_age;
    let grade8 = grade_on(&input.history.memberships, input.as_of).is_some_and(|g| g.get() >= 8);
    let Some(born) = input.history.birth_date else {
        return grade8.then(|| {
            format!(
                "Groep 8 en geboortedatum onbekend: vergoede ED-zorg moet starten vóór de {age}e verjaardag."
            )
        });
    };
    let limit = born.checked_add_months(Months::new(age.saturating_mul(12)))?;
    if input.as_of >= limit {
        Some(format!(
            "De leerling is op {} {age} geworden: vergoede ED-zorg moet vóór de {age}e verjaardag gestart zijn.",
            text::date(limit)
        ))
    } else if grade8
        || input
            .as_of
            .checked_add_months(Months::new(12))
            .is_some_and(|d| d >= limit)
    {
        Some(format!(
            "Vergoede ED-zorg moet starten vóór de {age}e verjaardag ({}): aanmelding niet uitstellen.",
            text::date(limit)
        ))
    } else {
        None
    }
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    if !input.ctx.params.eed_check.enabled || !input.ctx.params.dmt_three_lowest.enabled {
        return Vec::new();
    }
    let Some(hit) = dmt_three_lowest::detect(input) else {
        return Vec::new();
    };
    if hit.criterion != EedCriterion::Met {
        return Vec::new();
    }
    // The window is the first three-in-a-row of the run that met the criterion: stable as the
    // run grows, so the check keeps its state (and its one task) while the run lasts.
    let window = &hit.window;
    let (Some(anchor), Some(w0), Some(wn)) = (hit.run.first(), window.first(), window.last()) else {
        return Vec::new();
    };
    let check = check_dossier(input, window);
    let pupil = input.history.pupil_id;
    let domain = Some(LearningDomain::WordReading);
    let mut evidence: Vec<Evidence> = window.iter().map(|m| m.evidence()).collect();
    let mut dossier: Vec<&HistoryPlan> = input
        .history
        .plans
        .iter()
        .filter(|hp| check.plans.contains(&hp.id))
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
            note: check
                .intensive
                .contains(&hp.id)
                .then(|| "Telt als intensieve interventie (protocolniveau 3).".to_string()),
        });
    }
    evidence.extend(note_evidence(input, &check.notes));
    let flags = if check.flags.is_empty() {
        String::new()
    } else {
        format!(" {}", check.flags.join(" "))
    };
    let (explanation, body) = if check.missing.is_empty() {
        (
            format!(
                "ED-criterium voldaan ({}). Het leesdossier lijkt compleet: {} intensieve interventie.{flags}",
                text::shorts(window),
                text::weeks(check.weeks)
            ),
            format!(
                "Het leesdossier lijkt compleet. Aanmelding voor dyslexieonderzoek (ED-regeling) voorbereiden.{flags}"
            ),
        )
    } else {
        (
            format!(
                "ED-criterium voldaan ({}). Het leesdossier is nog niet compleet. {}{flags}",
                text::shorts(window),
                check.missing.join(" ")
            ),
            format!(
                "Voor het ED-dossier ontbreekt nog:\n- {}{}",
                check.missing.join("\n- "),
                if check.flags.is_empty() {
                    String::new()
                } else {
                    format!("\n\n{}", check.flags.join("\n"))
                }
            ),
        )
    };
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &format!("r{}", anchor.result_id)),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: Severity::High,
            explanation,
            evidence,
            eed_criterion: Some(EedCriterion::Met),
        },
        tasks: vec![TaskDraft {
            key: task_key(
                RULE_ID,
                pupil,
                domain,
                &format!("r{}-r{}", w0.result_id, wn.result_id),
            ),
            kind: TaskKind::IbTask,
            target: task_target(hit.run.iter().rev().map(|m| m.source)),
            title: "ED-dossier controleren".into(),
            body,
            due_on: None,
        }],
    }]
}

#[cfg(test)]
mod tests {
    use super::super::normalise::{Classifier, normalise};
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::super::{PupilHistory, SchoolContext};
    use super::*;
    use crate::domain::{EvaluationOutcome, PlanKind};
    use chrono::NaiveDate;

    /// The check itself, as of 01-02-2025 (the engine merges it into the DMT signal:
    /// `engine::merge_eed_checks`, tested in `dmt_three_lowest`).
    fn run_in(h: &PupilHistory, c: &SchoolContext) -> Vec<Finding> {
        run_on(h, d(2025, 2, 1), c)
    }

    fn run_on(h: &PupilHistory, as_of: NaiveDate, c: &SchoolContext) -> Vec<Finding> {
        let cls = Classifier::new(&c.params.domain_mapping);
        let norm = normalise(h, as_of, &c.params, &cls);
        evaluate(&RuleInput {
            history: h,
            as_of,
            ctx: c,
            norm: &norm,
        })
    }

    fn run(h: &PupilHistory) -> Vec<Finding> {
        run_in(h, &ctx())
    }

    fn lows(levels: [&str; 3]) -> Pupil {
        Pupil::new(2)
            .dmt(d(2024, 1, 20), levels[0])
            .dmt(d(2024, 6, 10), levels[1])
            .dmt(d(2025, 1, 20), levels[2])
    }

    /// Three V-, spelling data, and one evaluated reading plan at `level` over the whole window.
    fn with_plan(level: &str, minutes: u32) -> Pupil {
        lows(["V-", "V-", "V-"])
            .result("CSP", "Spelling", d(2024, 6, 12), &[("IV", "IV")])
            .plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::TechnicalReading),
                d(2024, 2, 1),
                |p| {
                    p.care_level = Some(level.into());
                    p.end = Some(d(2025, 1, 15));
                    p.minutes_per_week = Some(minutes);
                    p.evaluations = vec![eval(d(2024, 6, 30), EvaluationOutcome::PartlyAchieved)];
                },
            )
    }

    fn body(got: &[Finding]) -> String {
        got.first().map(|f| f.tasks[0].body.clone()).unwrap_or_default()
    }

    #[test]
    fn fires_only_when_the_criterion_is_met() {
        assert!(
            run(&lows(["V", "V-", "V-"]).build()).is_empty(),
            "unknown criterion"
        );
        assert!(
            run(&lows(["V-", "V-", "III"]).build()).is_empty(),
            "no dmt signal"
        );
        let got = run(&lows(["V-", "V-", "V-"]).build());
        assert_eq!(got.len(), 1);
        let body = &got[0].tasks[0].body;
        assert!(
            body.contains("Geen plan voor technisch lezen op protocolniveau 2 (extra begeleiding in de groep; bij deze school zorgniveau 2 of hoger)"),
            "{body}"
        );
        assert_eq!(got[0].tasks[0].title, "ED-dossier controleren");
        assert!(got[0].signal.explanation.starts_with("ED-criterium voldaan"));
    }

    /// Issue 16 item 1: ladder steps are judged by their protocol level; intensive reading help
    /// on protocol level 2 counts when it meets the protocol's minutes.
    #[test]
    fn protocol_levels_not_ladder_steps() {
        let table: &[(&str, &str, u32, bool)] = &[
            ("niveaus-1-6", "2", 30, false),
            ("niveaus-1-6", "2", 60, true),
            ("niveaus-1-6", "3", 60, true),
            ("niveaus-1-6", "1", 120, false),
            // Seed 000: A2 with an IHP of an hour a week is the intensive intervention; no OPP needed.
            ("abcd", "A2", 60, true),
            ("abcd", "A2", 30, false),
            ("abcd", "B1", 60, true),
            // Seed 002: niveau 2 with extra leestijd; niveau 3 is the OPP, not required.
            ("niveaus-1-4", "2", 90, true),
            ("niveaus-1-4", "2", 20, false),
            ("basis-breedte-diepte", "Breedtezorg", 60, true),
            ("niveaus-1-5", "3", 60, true),
        ];
        for (ladder, level, minutes, complete) in table {
            let c = SchoolContext::with_preset(ladder);
            let got = run_in(&with_plan(level, *minutes).build(), &c);
            assert_eq!(got.len(), 1, "{ladder} {level}");
            let b = body(&got);
            assert_eq!(
                b.contains("lijkt compleet"),
                *complete,
                "{ladder} {level} {minutes}: {b}"
            );
        }
        let b = body(&run_in(
            &with_plan("A2", 30).build(),
            &SchoolContext::with_preset("abcd"),
        ));
        assert!(
            b.contains("Geen intensieve leesinterventie op protocolniveau 3 (specifieke interventie; bij deze school zorgniveau B1 of hoger, of begeleiding in de groep met minstens 60 minuten per week)."),
            "{b}"
        );
        let b = body(&run(&with_plan("1", 120).build()));
        assert!(
            b.contains("Geen plan voor technisch lezen op protocolniveau 2"),
            "{b}"
        );
    }

    #[test]
    fn complete_dossier_and_partial_dossier() {
        let complete = with_plan("3", 90).build();
        let got = run(&complete);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].tasks[0].body,
            "Het leesdossier lijkt compleet. Aanmelding voor dyslexieonderzoek (ED-regeling) voorbereiden."
        );
        assert!(
            got[0]
                .signal
                .explanation
                .contains("lijkt compleet: 50 weken intensieve interventie"),
            "{}",
            got[0].signal.explanation
        );

        let partial = lows(["V-", "V-", "V-"])
            .plan(
                PlanKind::ActionPlan,
                Some(LearningDomain::WordReading),
                d(2024, 9, 1),
                |p| {
                    p.care_level = Some("3".into());
                    p.end = Some(d(2024, 11, 1));
                    p.minutes_per_week = Some(30);
                },
            )
            .build();
        let body = run(&partial)[0].tasks[0].body.clone();
        assert!(
            body.contains("Intensieve interventie duurde 8 weken; nodig is minstens 20 weken."),
            "{body}"
        );
        assert!(
            body.contains("30 minuten per week; nodig is minstens 60"),
            "{body}"
        );
        assert!(body.contains("Evaluatie ontbreekt"), "{body}");
        assert!(body.contains("Spellinggegevens ontbreken"), "{body}");
        assert!(body.starts_with("Voor het ED-dossier ontbreekt nog:"), "{body}");
    }

    /// Issue 16 item 7: spelling data, the 13th birthday from groep 8, missed rounds.
    #[test]
    fn dossier_per_pddb_3() {
        let b = body(&run(&with_plan("3", 60).build()));
        assert!(!b.contains("Spelling"), "{b}");

        // Groep 8, 13th birthday later this year: flagged, the dossier still complete otherwise.
        let g8 = with_plan("3", 60)
            .no_grades()
            .grade(7, 2023)
            .grade(8, 2024)
            .born(d(2012, 9, 1))
            .build();
        let got = run(&g8);
        assert!(
            got[0].tasks[0].body.contains(
                "Vergoede ED-zorg moet starten vóór de 13e verjaardag (01-09-2025): aanmelding niet uitstellen."
            ),
            "{}",
            got[0].tasks[0].body
        );
        // Already 13.
        let old = with_plan("3", 60)
            .no_grades()
            .grade(7, 2023)
            .grade(8, 2024)
            .born(d(2011, 12, 1))
            .build();
        let b = body(&run(&old));
        assert!(b.contains("De leerling is op 01-12-2024 13 geworden"), "{b}");
        // Groep 8 without a birth date.
        let unknown = with_plan("3", 60)
            .no_grades()
            .grade(7, 2023)
            .grade(8, 2024)
            .build();
        assert!(body(&run(&unknown)).contains("Groep 8 en geboortedatum onbekend"));
        // Groep 6, young enough: no flag.
        let young = with_plan("3", 60).born(d(2016, 3, 1)).build();
        assert!(!body(&run(&young)).contains("verjaardag"));

        // M4, —, M5: the missed round is in the dossier check.
        let gap = Pupil::new(2)
            .dmt(d(2024, 1, 20), "V-")
            .dmt(d(2025, 1, 20), "V-")
            .dmt(d(2025, 6, 10), "V-")
            .build();
        let got = run_on(&gap, d(2025, 7, 1), &ctx());
        assert!(
            body(&got).contains("Geen DMT bij E3: de drie metingen liggen niet in opeenvolgende rondes"),
            "{}",
            body(&got)
        );
    }
}
