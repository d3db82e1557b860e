//! The intervention part of the ED and ERWD dossier checks (`intervention_dossier`), through the
//! engine: every line it writes, for both domains, word for word. The two rules shared a copy of
//! this check before; these tests fix their texts so the shared function changed none of them.

use chrono::NaiveDate;

use super::testkit::{Pupil, ctx, d, eval};
use super::{dmt_three_lowest, dyscalculia_check, eed_check, evaluate};
use crate::domain::{EvaluationOutcome, LearningDomain, PlanKind};

/// A plan of `domain`: title, start, end, care level, minutes, evaluated.
type PlanSpec = (
    &'static str,
    NaiveDate,
    NaiveDate,
    Option<&'static str>,
    Option<u32>,
    bool,
);

fn with_plans(mut p: Pupil, domain: LearningDomain, plans: &[PlanSpec]) -> Pupil {
    for (title, start, end, level, minutes, evaluated) in plans.iter().copied() {
        p = p.plan(PlanKind::ActionPlan, Some(domain), start, |pl| {
            pl.title = title.into();
            pl.end = Some(end);
            pl.care_level = level.map(String::from);
            pl.minutes_per_week = minutes;
            if evaluated {
                pl.evaluations = vec![eval(d(2024, 6, 30), EvaluationOutcome::PartlyAchieved)];
            }
        });
    }
    p
}

/// The ED task body of three V- on the DMT (20-01-2024, 10-06-2024, 20-01-2025) with spelling data
/// and `plans` in technisch lezen.
fn ed_body(plans: &[PlanSpec]) -> String {
    ed_finding(plans, &[]).0
}

/// The ED task body and evidence kinds, with notes `(day, category)`.
fn ed_finding(plans: &[PlanSpec], notes: &[(NaiveDate, &[&str])]) -> (String, Vec<String>) {
    let p = notes
        .iter()
        .fold(Pupil::new(2), |p, (on, path)| p.note(*on, path))
        .dmt(d(2024, 1, 20), "V-")
        .dmt(d(2024, 6, 10), "V-")
        .dmt(d(2025, 1, 20), "V-")
        .result("CSP", "Spelling", d(2024, 6, 12), &[("IV", "IV")]);
    let h = with_plans(p, LearningDomain::TechnicalReading, plans).build();
    evaluate(&h, d(2025, 2, 1), &ctx())
        .into_iter()
        // The check is the DMT signal's task (engine::merge_eed_checks).
        .find(|f| f.signal.rule == dmt_three_lowest::RULE_ID)
        .and_then(|f| {
            let task = f.tasks.iter().find(|t| t.key.starts_with(eed_check::RULE_ID))?;
            Some((task.body.clone(), kinds(&f)))
        })
        .unwrap_or_default()
}

fn kinds(f: &super::Finding) -> Vec<String> {
    f.signal.evidence.iter().map(|e| e.kind.clone()).collect()
}

/// The ERWD task body of three times the lowest 10 % on rekenen (same dates) and a low TTR, with
/// `plans` in rekenen-wiskunde.
fn erwd_body(plans: &[PlanSpec]) -> String {
    erwd_finding(plans, &[]).0
}

/// The ERWD task body and evidence kinds, with notes `(day, category)`.
fn erwd_finding(plans: &[PlanSpec], notes: &[(NaiveDate, &[&str])]) -> (String, Vec<String>) {
    let mut p = notes
        .iter()
        .fold(Pupil::new(4), |p, (on, path)| p.note(*on, path));
    for on in [d(2024, 1, 20), d(2024, 6, 10), d(2025, 1, 20)] {
        p = p.result("RW", "Rekenen-Wiskunde", on, &[("IV", "V-")]);
    }
    let p = p.result("TTR", "Tempo Test Rekenen", d(2025, 1, 27), &[("IV", "V-")]);
    let h = with_plans(p, LearningDomain::Mathematics, plans).build();
    evaluate(&h, d(2025, 2, 10), &ctx())
        .into_iter()
        .find(|f| f.signal.rule == dyscalculia_check::RULE_ID)
        .map(|f| (f.tasks[0].body.clone(), kinds(&f)))
        .unwrap_or_default()
}

#[test]
fn no_plan_at_the_minimum_protocol_level() {
    assert_eq!(
        ed_body(&[]),
        "Voor het ED-dossier ontbreekt nog:\n- Geen plan voor technisch lezen op protocolniveau 2 \
         (extra begeleiding in de groep; bij deze school zorgniveau 2 of hoger) tussen 20-01-2024 en 20-01-2025."
    );
    assert_eq!(
        erwd_body(&[]),
        "Voor het rekenonderzoek (ERWD) ontbreekt nog:\n- Geen plan voor rekenen-wiskunde op protocolniveau 2 \
         (extra begeleiding in de groep; bij deze school zorgniveau 2 of hoger) tussen 20-01-2024 en 20-01-2025."
    );
}

#[test]
fn no_intensive_intervention_unknown_levels_and_missing_evaluation() {
    let plans: &[PlanSpec] = &[
        ("Groep", d(2024, 2, 1), d(2025, 1, 15), Some("2"), Some(30), false),
        ("Onbekend", d(2024, 3, 1), d(2024, 5, 1), None, None, false),
        ("Nog een", d(2024, 9, 1), d(2024, 11, 1), None, Some(90), true),
    ];
    let lines = "Geen intensieve {stem}interventie op protocolniveau 3 (specifieke interventie; bij deze \
                 school zorgniveau 3 of hoger, of begeleiding in de groep met minstens 60 minuten per week).\n- \
                 Zorgniveau onbekend bij 2 plannen {domain}.\n- \
                 Evaluatie ontbreekt bij handelingsplan 'Groep' (01-02-2024).";
    assert_eq!(
        ed_body(plans),
        format!(
            "Voor het ED-dossier ontbreekt nog:\n- {}",
            lines
                .replace("{stem}", "lees")
                .replace("{domain}", "technisch lezen")
        )
    );
    assert_eq!(
        erwd_body(plans),
        format!(
            "Voor het rekenonderzoek (ERWD) ontbreekt nog:\n- {}",
            lines
                .replace("{stem}", "reken")
                .replace("{domain}", "rekenen-wiskunde")
        )
    );
}

#[test]
fn weeks_minutes_and_intensity_of_the_intensive_intervention() {
    let plans: &[PlanSpec] = &[
        ("Kort", d(2024, 2, 1), d(2024, 4, 1), Some("3"), Some(30), true),
        (
            "Zonder minuten",
            d(2024, 9, 2),
            d(2024, 10, 14),
            Some("4"),
            None,
            false,
        ),
        ("Onbekend", d(2024, 3, 1), d(2024, 5, 1), None, None, false),
    ];
    let lines = "Zorgniveau onbekend bij 1 plan {domain}.\n- \
                 Intensieve {weeks}interventie duurde 14 weken; nodig is minstens {min} weken.\n- \
                 handelingsplan 'Kort' (01-02-2024): 30 minuten per week; nodig is minstens 60.\n- \
                 Intensiteit (minuten per week) onbekend bij handelingsplan 'Zonder minuten' (02-09-2024).\n- \
                 Evaluatie ontbreekt bij handelingsplan 'Zonder minuten' (02-09-2024).";
    assert_eq!(
        ed_body(plans),
        format!(
            "Voor het ED-dossier ontbreekt nog:\n- {}",
            lines
                .replace("{domain}", "technisch lezen")
                .replace("{weeks}", "")
                .replace("{min}", "20")
        )
    );
    assert_eq!(
        erwd_body(plans),
        format!(
            "Voor het rekenonderzoek (ERWD) ontbreekt nog:\n- {}",
            lines
                .replace("{domain}", "rekenen-wiskunde")
                .replace("{weeks}", "reken")
                .replace("{min}", "24")
        )
    );
}

/// Issue 18 item 6b: where no plan counts, notes in an intervention category of the domain
/// between the measurements are named as evidence of help (category and day, never the text) and
/// are in the evidence; notes of another domain's category, outside the window, or beside a plan
/// that counts change nothing.
#[test]
fn intervention_notes_are_evidence_where_plans_are_missing() {
    let notes: &[(NaiveDate, &[&str])] = &[
        (d(2024, 2, 12), &["Leesbegeleiding"]),
        (d(2024, 3, 4), &["Begeleiding", "RT lezen"]),
        (d(2024, 4, 8), &["Rekenbegeleiding"]),
        (d(2023, 11, 6), &["Leesbegeleiding"]),
        (d(2024, 5, 13), &["Zorgen"]),
    ];
    let (body, kinds) = ed_finding(&[], notes);
    assert_eq!(
        body,
        "Voor het ED-dossier ontbreekt nog:\n- Geen plan voor technisch lezen op protocolniveau 2 \
         (extra begeleiding in de groep; bij deze school zorgniveau 2 of hoger) tussen 20-01-2024 en 20-01-2025; \
         wel 2 notities over begeleiding (Leesbegeleiding 12-02-2024 en Begeleiding › RT lezen 04-03-2024): \
         die begeleiding vastleggen in een plan met zorgniveau, minuten per week en evaluatie."
    );
    assert_eq!(kinds.iter().filter(|k| *k == "note").count(), 2);
    let (body, kinds) = erwd_finding(&[], notes);
    assert_eq!(
        body,
        "Voor het rekenonderzoek (ERWD) ontbreekt nog:\n- Geen plan voor rekenen-wiskunde op protocolniveau 2 \
         (extra begeleiding in de groep; bij deze school zorgniveau 2 of hoger) tussen 20-01-2024 en 20-01-2025; \
         wel 1 notitie over begeleiding (Rekenbegeleiding 08-04-2024): \
         die begeleiding vastleggen in een plan met zorgniveau, minuten per week en evaluatie."
    );
    assert!(super::text::dutch_text_problems(&body).is_empty(), "{body}");
    assert_eq!(kinds.iter().filter(|k| *k == "note").count(), 1);
    // With a plan that counts, the notes are not needed: the text is as without them.
    let plans: &[PlanSpec] = &[("Groep", d(2024, 2, 1), d(2025, 1, 15), Some("2"), Some(30), false)];
    assert_eq!(ed_finding(plans, notes).0, ed_body(plans));
    assert!(!ed_finding(plans, notes).1.iter().any(|k| k == "note"));
    assert_eq!(erwd_finding(plans, notes).0, erwd_body(plans));
}
