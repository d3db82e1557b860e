//! Contract tests for the report reads (`ReportStore`): ids, dates and codes only, live rows only,
//! and the date a signal was closed taken from its timeline.

use zorgsignaal::domain::{
    Evaluation, EvaluationOutcome, LearningDomain, PlanKind, SignalStatus, Source, SupportPlan,
};
use zorgsignaal::store::{PageBatch, RecordKind, Tombstone};

use crate::harness::*;

fn report_plan(id: &str, pupil: &str, kind: PlanKind, evaluations: &[chrono::NaiveDate]) -> SupportPlan {
    SupportPlan {
        source: Source::Parnassys,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: Some(pupil.into()),
        group_external_id: None,
        kind,
        domain: Some(LearningDomain::Mathematics),
        title: "Rekenen".into(),
        owner: None,
        care_level: Some("B1".into()),
        start: date(2025, 9, 15),
        end: Some(date(2026, 1, 31)),
        evaluation_due: Some(date(2025, 11, 10)),
        minutes_per_week: None,
        evaluations: evaluations
            .iter()
            .map(|d| Evaluation {
                date: *d,
                outcome: EvaluationOutcome::Achieved,
            })
            .collect(),
        decided_on: None,
        drawn_up_on: None,
        parents_agreed_on: None,
    }
}

pub async fn report_reads_ids_dates_and_codes_of_live_rows(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let other = store.report_pupils(&other_brin()).await.expect("other school");
    assert!(other.is_empty());

    let mut batch = PageBatch::new(Source::Parnassys, brin(), "plans");
    batch.plans = vec![
        report_plan(
            "pl1",
            "p1",
            PlanKind::Opp,
            &[date(2025, 11, 12), date(2025, 11, 3)],
        ),
        report_plan("pl2", "p2", PlanKind::ActionPlan, &[]),
    ];
    batch.finished = true;
    store.apply_page(&batch).await.expect("plans");
    let mut gone = PageBatch::new(Source::Parnassys, brin(), "plans");
    gone.tombstones = vec![Tombstone {
        kind: RecordKind::Plan,
        external_id: "pl2".into(),
    }];
    store.apply_page(&gone).await.expect("tombstone");

    let pupils = store.report_pupils(&brin()).await.expect("pupils");
    assert_eq!(pupils.len(), 2);
    assert_eq!(pupils[0].enrolments, vec![(date(2025, 8, 1), None)]);
    assert!(pupils[0].enrolled_on(date(2025, 9, 1)));
    assert!(!pupils[0].enrolled_on(date(2025, 7, 31)));

    let plans = store.report_plans(&brin()).await.expect("plans");
    assert_eq!(plans.len(), 1, "the tombstoned plan is left out");
    let p = &plans[0];
    assert_eq!(p.pupil_id, Some(pupils[0].id));
    assert_eq!(p.kind, PlanKind::Opp);
    assert_eq!(p.domain, Some(LearningDomain::Mathematics));
    assert_eq!(p.care_level.as_deref(), Some("B1"));
    assert_eq!(
        (p.start, p.end, p.evaluation_due),
        (
            date(2025, 9, 15),
            Some(date(2026, 1, 31)),
            Some(date(2025, 11, 10))
        )
    );
    assert_eq!(
        p.evaluations,
        vec![date(2025, 11, 3), date(2025, 11, 12)],
        "oldest first"
    );

    let k1 = store
        .upsert_signal(&signal("k1", "p1", &["1"]), pupils[0].id)
        .await
        .expect("k1")
        .id();
    let k2 = store
        .upsert_signal(&signal("k2", "p2", &["2"]), pupils[1].id)
        .await
        .expect("k2")
        .id();
    store
        .set_signal_status(k2, SignalStatus::Acknowledged, None, None, "ib")
        .await
        .expect("ack");
    store
        .set_signal_status(k2, SignalStatus::Resolved, None, None, "ib")
        .await
        .expect("resolve");
    let signals = store.report_signals(&brin()).await.expect("signals");
    assert_eq!(signals.len(), 2);
    let s1 = signals.iter().find(|s| s.id == k1).expect("k1");
    assert_eq!(s1.status, SignalStatus::Open);
    assert_eq!(s1.closed_on, None);
    assert_eq!(s1.opened_on, date(2026, 2, 1));
    assert_eq!(s1.rule, "dmt_three_lowest");
    assert!(s1.open_on(date(2026, 2, 1)));
    assert!(!s1.open_on(date(2026, 1, 31)));
    let s2 = signals.iter().find(|s| s.id == k2).expect("k2");
    assert_eq!(s2.status, SignalStatus::Resolved);
    let today = chrono::Utc::now().date_naive();
    assert!(
        s2.closed_on.is_some_and(|d| (d - today).num_days().abs() <= 1),
        "{:?}",
        s2.closed_on
    );
}
