//! Contract test of the dashboard roster: enrolled pupils, current grade, evaluations due/overdue.

use zorgsignaal::domain::{Evaluation, EvaluationOutcome, PlanKind, Source, SupportPlan};
use zorgsignaal::store::PageBatch;

use crate::harness::*;

fn plan(id: &str, pupil: &str, due: chrono::NaiveDate, evaluated: Option<chrono::NaiveDate>) -> SupportPlan {
    SupportPlan {
        source: Source::Parnassys,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: Some(pupil.into()),
        group_external_id: None,
        kind: PlanKind::ActionPlan,
        domain: None,
        title: "Handelingsplan".into(),
        owner: None,
        care_level: None,
        start: date(2025, 9, 1),
        end: None,
        evaluation_due: Some(due),
        minutes_per_week: None,
        evaluations: evaluated
            .map(|d| Evaluation {
                date: d,
                outcome: EvaluationOutcome::Achieved,
            })
            .into_iter()
            .collect(),
        decided_on: None,
        drawn_up_on: None,
        parents_agreed_on: None,
    }
}

pub async fn roster_gives_grades_and_evaluations_due_and_overdue(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![
        plan("a", "p1", date(2026, 2, 10), None), // due within the window
        plan("b", "p1", date(2026, 1, 10), None), // overdue
        plan("c", "p2", date(2026, 1, 10), Some(date(2026, 1, 12))), // evaluated: neither
        plan("d", "p3", date(2026, 6, 1), None),  // beyond the window
    ];
    store.apply_page(&page).await.expect("plans");
    let roster = store
        .school_roster(&brin(), date(2026, 2, 1), date(2026, 2, 15))
        .await
        .expect("roster");
    let got: Vec<(String, Option<u8>, i64, i64)> = roster
        .into_iter()
        .map(|e| (e.name, e.grade, e.evaluations_due, e.evaluations_overdue))
        .collect();
    assert_eq!(
        got,
        [
            ("Kind p1 Jansen".to_string(), Some(4), 1, 1),
            ("Kind p2 Jansen".to_string(), Some(4), 0, 0),
            ("Kind p3 Jansen".to_string(), Some(4), 0, 0),
        ]
    );
    assert!(
        store
            .school_roster(&other_brin(), date(2026, 2, 1), date(2026, 2, 15))
            .await
            .expect("roster")
            .is_empty()
    );
}
