//! Contract tests for the sync side of the store: schools, snapshots, pages (idempotency,
//! atomicity, tombstones, cross-source dedupe), quarantine, cursors and histories.

use std::collections::HashSet;

use crate::harness::*;
use zorgsignaal::domain::{Evaluation, EvaluationOutcome, Note, PlanKind, School, Source, SupportPlan};
use zorgsignaal::store::{
    HeldRecord, PageBatch, QuarantineFilter, QuarantineItem, RecordKind, SnapshotSummary, StoreError,
    Tombstone,
};

pub async fn migrate_twice_and_schools_are_idempotent(ctx: Ctx) {
    let store = ctx.store.as_ref();
    store.migrate().await.expect("second migrate is a no-op");
    let again = zorgsignaal::store::open(&ctx.url).await.expect("reopen");
    again.migrate().await.expect("migrate from a second connection");
    again.close().await;

    let school = School {
        brin: brin(),
        name: "De Regenboog".into(),
        care_ladder: "abcd".into(),
    };
    store.upsert_school(&school).await.expect("school");
    store.upsert_school(&school).await.expect("same school again");
    let renamed = School {
        name: "OBS De Regenboog".into(),
        ..school.clone()
    };
    store.upsert_school(&renamed).await.expect("renamed school");
    assert_eq!(store.schools().await.expect("schools"), vec![renamed]);
}

pub async fn snapshot_reports_new_changed_left_and_returning(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let s = |pupils: &[zorgsignaal::domain::Pupil], seen| {
        let members: Vec<_> = pupils.iter().map(|p| membership(&p.external_id, "g1")).collect();
        let pupils = pupils.to_vec();
        async move {
            store
                .apply_snapshot(&brin(), year(), &pupils, &[group("g1")], &members, seen)
                .await
                .expect("snapshot")
        }
    };
    let first = s(&[pupil("p1"), pupil("p2"), pupil("p3")], at(2025, 9, 1, 3)).await;
    assert_eq!(
        first,
        SnapshotSummary {
            new: 3,
            ..SnapshotSummary::default()
        }
    );

    let same = s(&[pupil("p1"), pupil("p2"), pupil("p3")], at(2025, 9, 2, 3)).await;
    assert_eq!(
        same,
        SnapshotSummary {
            unchanged: 3,
            ..SnapshotSummary::default()
        }
    );

    let mut renamed = pupil("p2");
    renamed.surname = "Jansen-de Vries".into();
    let second = s(&[pupil("p1"), renamed.clone()], at(2025, 10, 6, 3)).await;
    assert_eq!(
        second,
        SnapshotSummary {
            changed: 1,
            left: 1,
            unchanged: 1,
            ..SnapshotSummary::default()
        }
    );
    let histories = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(histories.len(), 3, "a pupil who left is kept");
    let p3 = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "p3")
        .expect("p3 kept");
    assert_eq!(p3.pupil.pupil.left_on, Some(date(2025, 10, 6)));
    assert_eq!(p3.memberships.len(), 1, "memberships of a leaver are history");

    let back = s(&[pupil("p1"), renamed, pupil("p3")], at(2025, 11, 3, 3)).await;
    assert_eq!(
        back,
        SnapshotSummary {
            returned: 1,
            unchanged: 2,
            ..SnapshotSummary::default()
        }
    );
    let histories = store.pupil_histories(&brin()).await.expect("histories");
    assert!(histories.iter().all(|h| h.pupil.pupil.left_on.is_none()));

    let empty = store
        .apply_snapshot(&brin(), year(), &[], &[], &[], at(2025, 11, 4, 3))
        .await
        .expect("empty snapshot");
    assert_eq!(empty.left, 0, "an empty snapshot marks nobody as left");
}

pub async fn snapshot_rejects_unknown_groups_and_other_schools(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let err = store
        .apply_snapshot(
            &brin(),
            year(),
            &[pupil("p1")],
            &[group("g1")],
            &[membership("p1", "g9")],
            at(2025, 9, 1, 3),
        )
        .await
        .expect_err("unknown group");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
    assert!(
        store
            .pupil_histories(&brin())
            .await
            .expect("histories")
            .is_empty(),
        "rolled back"
    );

    let err = store
        .apply_snapshot(&other_brin(), year(), &[pupil("p1")], &[], &[], at(2025, 9, 1, 3))
        .await
        .expect_err("pupil of another school");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
}

fn note(id: &str, pupil: &str) -> Note {
    Note {
        source: Source::Leeruniek,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: Some(pupil.into()),
        group_external_id: Some("g1".into()),
        category_path: vec!["Taal".into(), "Spelling".into()],
        created_at: at(2025, 10, 1, 9),
        content: "Oefent met klankgroepen.".into(),
    }
}

pub(crate) fn plan(id: &str, pupil: Option<&str>) -> SupportPlan {
    SupportPlan {
        source: Source::Parnassys,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: pupil.map(Into::into),
        group_external_id: if pupil.is_none() { Some("g1".into()) } else { None },
        kind: if pupil.is_some() {
            PlanKind::ActionPlan
        } else {
            PlanKind::GroupPlan
        },
        domain: Some(zorgsignaal::domain::LearningDomain::WordReading),
        title: "Extra leesinstructie".into(),
        owner: Some("juf Anna".into()),
        care_level: Some("A2".into()),
        start: date(2025, 9, 15),
        end: None,
        evaluation_due: Some(date(2025, 10, 27)),
        minutes_per_week: Some(60),
        evaluations: vec![Evaluation {
            date: date(2025, 10, 27),
            outcome: EvaluationOutcome::NotAchieved,
        }],
        decided_on: None,
        drawn_up_on: None,
        parents_agreed_on: None,
    }
}

pub async fn page_upserts_are_idempotent(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let mut batch = PageBatch::new(Source::Parnassys, brin(), "results");
    batch.results = vec![
        result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V-"),
        result(Source::Parnassys, "r2", "p2", date(2026, 1, 21), "III"),
    ];
    batch.plans = vec![plan("pl1", Some("p1")), plan("gp1", None)];
    batch.new_cursor = Some("c1".into());
    let first = store.apply_page(&batch).await.expect("first apply");
    assert_eq!((first.results_inserted, first.plans), (2, 2));
    let before = store.pupil_histories(&brin()).await.expect("histories");

    let again = store.apply_page(&batch).await.expect("second apply");
    assert_eq!((again.results_inserted, again.plans, again.unchanged), (0, 0, 4));
    let after = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(before, after, "applying a page twice changes nothing");

    let p1 = after
        .iter()
        .find(|h| h.pupil.pupil.external_id == "p1")
        .expect("p1");
    assert_eq!(p1.results.len(), 1);
    assert_eq!(
        p1.results[0].result, batch.results[0],
        "a result round-trips exactly"
    );
    assert_eq!(p1.plans.len(), 1);
    assert_eq!(
        p1.plans[0].plan, batch.plans[0],
        "a plan round-trips with its evaluations"
    );
    assert_eq!(p1.group_plans.len(), 1, "group plan of the pupil's group");

    let mut notes = PageBatch::new(Source::Leeruniek, brin(), "notes");
    notes.notes = vec![note("n1", "p1")];
    assert_eq!(store.apply_page(&notes).await.expect("notes").notes, 1);
    let again = store.apply_page(&notes).await.expect("notes again");
    assert_eq!((again.notes, again.unchanged), (0, 1));
    notes.notes[0].content = "Oefent met klankgroepen en tweetekenklanken.".into();
    assert_eq!(store.apply_page(&notes).await.expect("changed note").notes, 1);
    let mut evaluated = batch.clone();
    evaluated.results.clear();
    evaluated.plans[0].evaluations.insert(
        0,
        Evaluation {
            date: date(2025, 12, 8),
            outcome: EvaluationOutcome::PartlyAchieved,
        },
    );
    assert_eq!(
        store.apply_page(&evaluated).await.expect("new evaluation").plans,
        1
    );
    evaluated.plans[0].evaluations.reverse();
    assert_eq!(
        store
            .apply_page(&evaluated)
            .await
            .expect("same, other order")
            .unchanged,
        2
    );

    let mut changed = batch.clone();
    changed.results[0].raw_score = Some(18.0);
    changed.results.truncate(1);
    let updated = store.apply_page(&changed).await.expect("update");
    assert_eq!(updated.results_updated, 1);
    let h = store.pupil_histories(&brin()).await.expect("histories");
    let p1 = h.iter().find(|h| h.pupil.pupil.external_id == "p1").expect("p1");
    assert_eq!(p1.results[0].result.raw_score, Some(18.0));
    assert_eq!(p1.results[0].id, before[0].results[0].id, "same row");

    let tests = store.tests_seen().await.expect("tests");
    assert_eq!(tests.len(), 1);
    assert_eq!((tests[0].code.as_str(), tests[0].results), ("DMT", 2));
}

/// The OPP procedure's dates (besluit, opgesteld, instemming ouders; issue 18 item 5) round-trip
/// through both write paths (the set-based one, and one by one when a page names an id twice),
/// a recorded date is a change, and re-sending it is not.
pub async fn opp_procedure_dates_round_trip_and_a_recorded_date_is_a_change(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let opp = |id: &str, pupil: &str| SupportPlan {
        kind: PlanKind::Opp,
        title: "OPP".into(),
        care_level: Some("4".into()),
        evaluation_due: None,
        minutes_per_week: None,
        evaluations: Vec::new(),
        decided_on: Some(date(2025, 10, 6)),
        ..plan(id, Some(pupil))
    };
    let mut batch = PageBatch::new(Source::Parnassys, brin(), "plans");
    let mut decided = opp("opp1", "p1");
    decided.drawn_up_on = None;
    let mut drawn_up = opp("opp2", "p2");
    drawn_up.drawn_up_on = Some(date(2025, 11, 3));
    batch.plans = vec![decided.clone(), drawn_up.clone()];
    assert_eq!(store.apply_page(&batch).await.expect("set-based").plans, 2);
    let stored = |h: &[zorgsignaal::store::PupilHistory], pupil: &str| {
        h.iter()
            .find(|h| h.pupil.pupil.external_id == pupil)
            .expect("pupil")
            .plans[0]
            .plan
            .clone()
    };
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(stored(&h, "p1"), decided, "decided, not drawn up: round-trips");
    assert_eq!(stored(&h, "p2"), drawn_up, "drawn up: round-trips");
    let again = store.apply_page(&batch).await.expect("again");
    assert_eq!(
        (again.plans, again.unchanged),
        (0, 2),
        "the same dates are no change"
    );

    // The parents agreed: a change, written one by one (the page names opp2 twice).
    let mut agreed = drawn_up.clone();
    agreed.parents_agreed_on = Some(date(2025, 11, 17));
    let mut twice = PageBatch::new(Source::Parnassys, brin(), "plans");
    twice.plans = vec![drawn_up.clone(), agreed.clone()];
    store.apply_page(&twice).await.expect("one by one");
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(
        stored(&h, "p2"),
        agreed,
        "the later record of the page wins, with its date"
    );
    let mut drawn = decided.clone();
    drawn.drawn_up_on = Some(date(2025, 11, 10));
    let mut one = PageBatch::new(Source::Parnassys, brin(), "plans");
    one.plans = vec![drawn.clone()];
    assert_eq!(
        store.apply_page(&one).await.expect("drawn up").plans,
        1,
        "a recorded date is a change"
    );
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(stored(&h, "p1"), drawn);
}

/// Issue 18 item 5: the evaluation opens the OPP reminders on a real store, and resolves them
/// (timeline event by the system actor, with the reason) once the source records what was missing; an
/// acknowledged one too. An OPP without a besluitdatum never gets one.
pub async fn an_opp_reminder_is_resolved_once_the_missing_date_is_recorded(ctx: Ctx) {
    use zorgsignaal::app::evaluate::{SETTLED_REASON, SYSTEM_ACTOR, Scope, evaluate_school};
    use zorgsignaal::domain::SignalStatus;
    use zorgsignaal::rules::SchoolContext;
    use zorgsignaal::store::SignalFilter;

    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let opp = |id: &str, pupil: &str| SupportPlan {
        kind: PlanKind::Opp,
        title: "OPP".into(),
        care_level: Some("4".into()),
        start: date(2025, 10, 6),
        evaluation_due: None,
        minutes_per_week: None,
        evaluations: Vec::new(),
        decided_on: Some(date(2025, 10, 6)),
        ..plan(id, Some(pupil))
    };
    let mut drawn = opp("opp2", "p2");
    drawn.drawn_up_on = Some(date(2025, 10, 13));
    let mut unknown = opp("opp3", "p3");
    unknown.decided_on = None;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![opp("opp1", "p1"), drawn.clone(), unknown];
    store.apply_page(&page).await.expect("plans");

    let school = SchoolContext::with_preset("niveaus-1-6");
    let as_of = date(2025, 11, 25);
    let b = brin();
    let run = || evaluate_school(store, &b, &school, &[], as_of, Scope::AllPupils);
    let first = run().await.expect("evaluate");
    assert_eq!(first.signals_resolved, 0);
    let of = |rule: &str| SignalFilter {
        rule: Some(rule.into()),
        ..SignalFilter::default()
    };
    let not_drawn = store.signals(&of("opp_not_drawn_up")).await.expect("signals");
    let no_agreement = store
        .signals(&of("opp_parents_agreement"))
        .await
        .expect("signals");
    assert_eq!(not_drawn.len(), 1, "only p1's OPP is not drawn up: {not_drawn:?}");
    assert_eq!(
        no_agreement.len(),
        1,
        "only p2's OPP lacks the agreement: {no_agreement:?}"
    );
    assert_eq!(not_drawn[0].signal.status, SignalStatus::Open);
    store
        .set_signal_status(no_agreement[0].id, SignalStatus::Acknowledged, None, None, "ib")
        .await
        .expect("the IB acknowledges");

    // Nothing recorded: a second run resolves nothing.
    assert_eq!(run().await.expect("again").signals_resolved, 0);

    // The source records both: the next run resolves both reminders.
    let mut done = opp("opp1", "p1");
    done.drawn_up_on = Some(date(2025, 11, 24));
    let mut agreed = drawn;
    agreed.parents_agreed_on = Some(date(2025, 11, 24));
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![done, agreed];
    store.apply_page(&page).await.expect("recorded");
    let after = run().await.expect("after");
    // p1's OPP is now drawn up on 24 November: its agreement term has not passed yet.
    assert_eq!(after.signals_resolved, 2, "{after:?}");
    for id in [not_drawn[0].id, no_agreement[0].id] {
        let s = store.signal(id).await.expect("signal");
        assert_eq!(s.signal.status, SignalStatus::Resolved);
        let events = store.signal_events(id).await.expect("events");
        let last = events.last().expect("an event");
        assert_eq!(
            (last.actor.as_deref(), last.reason.as_deref()),
            (Some(SYSTEM_ACTOR), Some(SETTLED_REASON))
        );
    }
    assert_eq!(run().await.expect("once more").signals_resolved, 0);
}

/// Issue 17: a late evaluation's signal is resolved by the run after the school records the
/// evaluation (the system actor, the evaluation's date in the reason); a plan that merely ended
/// without one keeps its signal.
pub async fn a_late_evaluation_is_resolved_once_the_evaluation_is_recorded(ctx: Ctx) {
    use zorgsignaal::app::evaluate::{SYSTEM_ACTOR, Scope, evaluate_school};
    use zorgsignaal::domain::SignalStatus;
    use zorgsignaal::rules::SchoolContext;
    use zorgsignaal::store::SignalFilter;

    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let unevaluated = |id: &str, pupil: &str| SupportPlan {
        evaluations: Vec::new(),
        ..plan(id, Some(pupil))
    };
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![unevaluated("hp1", "p1"), unevaluated("hp2", "p2")];
    store.apply_page(&page).await.expect("plans");

    let school = SchoolContext::with_preset("abcd");
    let b = brin();
    // Due 27 October; a week's grace (school days) has passed by 10 November.
    let run = |as_of| evaluate_school(store, &b, &school, &[], as_of, Scope::AllPupils);
    let first = run(date(2025, 11, 10)).await.expect("evaluate");
    assert_eq!(first.signals_resolved, 0);
    let late = store
        .signals(&SignalFilter {
            rule: Some("plan_evaluation_overdue".into()),
            ..SignalFilter::default()
        })
        .await
        .expect("signals");
    assert_eq!(late.len(), 2, "both plans are late: {late:?}");
    assert!(
        late.iter()
            .all(|s| s.signal.explanation.ends_with("is nog niet vastgelegd.")),
        "{late:?}"
    );

    // hp1 is evaluated (dated 11 November), hp2 ends without an evaluation.
    let mut evaluated = unevaluated("hp1", "p1");
    evaluated.evaluations = vec![Evaluation {
        date: date(2025, 11, 11),
        outcome: EvaluationOutcome::PartlyAchieved,
    }];
    let mut ended = unevaluated("hp2", "p2");
    ended.end = Some(date(2025, 11, 11));
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![evaluated, ended];
    store.apply_page(&page).await.expect("recorded");
    let after = run(date(2025, 11, 12)).await.expect("after");
    assert_eq!(after.signals_resolved, 1, "{after:?}");
    for row in &late {
        let s = store.signal(row.id).await.expect("signal");
        if s.signal.pupil_external_id == "p1" {
            assert_eq!(s.signal.status, SignalStatus::Resolved);
            let events = store.signal_events(row.id).await.expect("events");
            let last = events.last().expect("an event");
            assert_eq!(last.actor.as_deref(), Some(SYSTEM_ACTOR));
            assert_eq!(
                last.reason.as_deref(),
                Some("Evaluatie vastgelegd in het bronsysteem (gedateerd 11-11-2025).")
            );
        } else {
            assert_eq!(
                s.signal.status,
                SignalStatus::Open,
                "ended unevaluated: still owed"
            );
        }
    }
    assert_eq!(
        run(date(2025, 11, 13)).await.expect("once more").signals_resolved,
        0
    );
}

pub async fn failed_page_commits_nothing_and_keeps_the_cursor(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut good = PageBatch::new(Source::Parnassys, brin(), "results");
    good.results = vec![result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V")];
    good.new_cursor = Some("c1".into());
    store.apply_page(&good).await.expect("first page");

    let mut bad = PageBatch::new(Source::Parnassys, brin(), "results");
    bad.results = vec![
        result(Source::Parnassys, "r2", "p1", date(2026, 5, 20), "V"),
        result(Source::Parnassys, "r3", "unknown-pupil", date(2026, 5, 21), "V"),
    ];
    bad.notes = vec![note("n1", "p1")];
    bad.tombstones = vec![Tombstone {
        kind: RecordKind::Result,
        external_id: "r1".into(),
    }];
    bad.quarantine = vec![QuarantineItem {
        source: Source::Parnassys,
        school: brin(),
        stream: "results".into(),
        external_id: Some("r4".into()),
        raw: serde_json::json!({"id": "r4"}),
        reason: "level off scale".into(),
    }];
    bad.new_cursor = Some("c2".into());
    bad.finished = true;
    let err = store
        .apply_page(&bad)
        .await
        .expect_err("unknown pupil fails the page");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");

    assert_eq!(
        store
            .cursor(Source::Parnassys, &brin(), "results")
            .await
            .expect("cursor"),
        Some("c1".into())
    );
    let h = store.pupil_histories(&brin()).await.expect("histories");
    let ids: Vec<_> = h[0]
        .results
        .iter()
        .map(|r| r.result.external_id.as_str())
        .collect();
    assert_eq!(
        ids,
        ["r1"],
        "neither the good row nor the tombstone of the failed page is kept"
    );
    assert!(
        store
            .quarantined(&QuarantineFilter::default())
            .await
            .expect("quarantine")
            .is_empty()
    );
    let status = store.stream_statuses().await.expect("statuses");
    assert_eq!((status[0].records, status[0].last_success_at), (1, None));

    let mut foreign = PageBatch::new(Source::Parnassys, brin(), "results");
    foreign.results = vec![result(Source::Oso, "x", "p1", date(2026, 1, 20), "V")];
    let err = store
        .apply_page(&foreign)
        .await
        .expect_err("record of another source");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
}

pub async fn tombstones_soft_delete_and_a_return_revives(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.results = vec![result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V")];
    page.plans = vec![plan("pl1", Some("p1"))];
    store.apply_page(&page).await.expect("page");
    let mut notes = PageBatch::new(Source::Leeruniek, brin(), "notes");
    notes.notes = vec![note("n1", "p1")];
    store.apply_page(&notes).await.expect("notes");

    let mut gone = PageBatch::new(Source::Parnassys, brin(), "results");
    gone.tombstones = vec![
        Tombstone {
            kind: RecordKind::Result,
            external_id: "r1".into(),
        },
        Tombstone {
            kind: RecordKind::Plan,
            external_id: "pl1".into(),
        },
        Tombstone {
            kind: RecordKind::Result,
            external_id: "never-seen".into(),
        },
    ];
    let summary = store.apply_page(&gone).await.expect("tombstones");
    assert_eq!((summary.tombstoned, summary.tombstones_unknown), (2, 1));
    let mut gone_notes = PageBatch::new(Source::Leeruniek, brin(), "notes");
    gone_notes.tombstones = vec![Tombstone {
        kind: RecordKind::Note,
        external_id: "n1".into(),
    }];
    assert_eq!(
        store
            .apply_page(&gone_notes)
            .await
            .expect("note tombstone")
            .tombstoned,
        1
    );
    let again = store.apply_page(&gone).await.expect("tombstones again");
    assert_eq!(again.tombstoned, 0, "a second tombstone finds nothing live");

    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert!(h[0].results.is_empty() && h[0].plans.is_empty());

    let back = store.apply_page(&page).await.expect("record comes back");
    assert_eq!(back.results_updated, 1);
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!((h[0].results.len(), h[0].plans.len()), (1, 1));
}

pub async fn same_sitting_from_two_sources_is_stored_once(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut parnassys = PageBatch::new(Source::Parnassys, brin(), "results");
    parnassys.results = vec![result(Source::Parnassys, "ps-1", "p1", date(2026, 1, 20), "V-")];
    store.apply_page(&parnassys).await.expect("parnassys");

    let mut oso_result = result(Source::Oso, "oso-9", "p1", date(2026, 1, 20), "V");
    oso_result.test_code = " dmt ".into();
    oso_result.part_code = Some("k1".into());
    let mut oso = PageBatch::new(Source::Oso, brin(), "results");
    oso.results = vec![oso_result.clone()];
    let summary = store.apply_page(&oso).await.expect("oso");
    assert_eq!((summary.results_inserted, summary.results_deduplicated), (0, 1));

    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h[0].results.len(), 1, "one sitting, one row");
    let kept = &h[0].results[0];
    assert_eq!(kept.result.source, Source::Parnassys, "first seen wins");
    assert_eq!(kept.result.reference_scores[0].value, "V-");

    // The alias is recognised: an update from OSO changes nothing and adds no row.
    oso.results[0].raw_score = Some(30.0);
    let again = store.apply_page(&oso).await.expect("oso update");
    assert_eq!(again.results_deduplicated, 1);
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h[0].results.len(), 1);
    assert_eq!(h[0].results[0].result.raw_score, Some(21.0));

    // A tombstone from one source keeps the sitting while the other still names it.
    let mut tomb = PageBatch::new(Source::Parnassys, brin(), "results");
    tomb.tombstones = vec![Tombstone {
        kind: RecordKind::Result,
        external_id: "ps-1".into(),
    }];
    store.apply_page(&tomb).await.expect("parnassys tombstone");
    assert_eq!(
        store.pupil_histories(&brin()).await.expect("h")[0].results.len(),
        1
    );
    let mut tomb_oso = PageBatch::new(Source::Oso, brin(), "results");
    tomb_oso.tombstones = vec![Tombstone {
        kind: RecordKind::Result,
        external_id: "oso-9".into(),
    }];
    assert_eq!(
        store
            .apply_page(&tomb_oso)
            .await
            .expect("oso tombstone")
            .tombstoned,
        1
    );
    assert!(
        store.pupil_histories(&brin()).await.expect("h")[0]
            .results
            .is_empty()
    );

    // Another date is another sitting.
    let mut later = PageBatch::new(Source::Oso, brin(), "results");
    later.results = vec![result(Source::Oso, "oso-10", "p1", date(2026, 6, 2), "V")];
    assert_eq!(store.apply_page(&later).await.expect("later").results_inserted, 1);
}

pub async fn quarantine_keeps_raw_records_and_counts(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let item = |id: Option<&str>, stream: &str| QuarantineItem {
        source: Source::Parnassys,
        school: brin(),
        stream: stream.into(),
        external_id: id.map(Into::into),
        raw: serde_json::json!({"id": id, "score": "VI", "notitie": "Jansje huilt vaak", "Jansje": [1, 2, 3, 4]}),
        reason: "level VI is not on scale IV".into(),
    };
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.quarantine = vec![item(Some("r1"), "results"), item(None, "results")];
    page.new_cursor = Some("c1".into());
    assert_eq!(store.apply_page(&page).await.expect("page").quarantined, 2);
    page.quarantine = vec![item(Some("r1"), "results")];
    store.apply_page(&page).await.expect("same bad record again");
    let mut notes = PageBatch::new(Source::Parnassys, brin(), "notes");
    notes.quarantine = vec![item(Some("n1"), "notes")];
    store.apply_page(&notes).await.expect("notes page");

    let all = store
        .quarantined(&QuarantineFilter::default())
        .await
        .expect("all");
    assert_eq!(all.len(), 3, "a re-sent record updates its row");
    let r1 = all
        .iter()
        .find(|q| q.item.external_id.as_deref() == Some("r1"))
        .expect("r1");
    assert_eq!(r1.seen_count, 2);
    // Only the shape of the record is kept: keys that look like schema names and value types.
    assert_eq!(
        r1.item.raw,
        serde_json::json!({"id": "string(2)", "score": "string(2)", "notitie": "string(17)", "?1": ["number", "number", "number", "…(4 items)"]})
    );
    let stored = serde_json::to_string(&all.iter().map(|q| &q.item.raw).collect::<Vec<_>>()).expect("json");
    assert!(!stored.contains("Jansje") && !stored.contains("VI"), "{stored}");
    let only_notes = store
        .quarantined(&QuarantineFilter {
            stream: Some("notes".into()),
            ..QuarantineFilter::default()
        })
        .await
        .expect("notes");
    assert_eq!(only_notes.len(), 1);
    let limited = store
        .quarantined(&QuarantineFilter {
            limit: Some(1),
            ..QuarantineFilter::default()
        })
        .await
        .expect("limit");
    assert_eq!(limited.len(), 1);
    let none = store
        .quarantined(&QuarantineFilter {
            school: Some(other_brin()),
            ..QuarantineFilter::default()
        })
        .await
        .expect("other school");
    assert!(none.is_empty());

    let counts = store.quarantine_counts().await.expect("counts");
    let by_stream: Vec<_> = counts.iter().map(|c| (c.stream.as_str(), c.count)).collect();
    assert_eq!(by_stream, [("notes", 1), ("results", 2)]);
    let status = store.stream_statuses().await.expect("statuses");
    let results = status
        .iter()
        .find(|s| s.stream == "results")
        .expect("results stream");
    assert_eq!(
        results.quarantined, 3,
        "the stream counts every quarantined arrival"
    );
}

pub async fn cursors_and_stream_health(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let (src, school) = (Source::Parnassys, brin());
    assert_eq!(store.cursor(src, &school, "results").await.expect("cursor"), None);

    store
        .record_stream_error(src, &school, "results", "HTTP 503 from /results")
        .await
        .expect("error");
    store
        .record_stream_error(src, &school, "results", "HTTP 503 from /results")
        .await
        .expect("error");
    let status = store.stream_statuses().await.expect("statuses");
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].consecutive_failures, 2);
    assert_eq!(status[0].last_error.as_deref(), Some("HTTP 503 from /results"));
    assert!(status[0].last_error_at.is_some());

    let mut page = PageBatch::new(src, school.clone(), "results");
    page.results = vec![result(src, "r1", "p1", date(2026, 1, 20), "V")];
    page.new_cursor = Some("c1".into());
    store.apply_page(&page).await.expect("page 1");
    let mut last = PageBatch::new(src, school.clone(), "results");
    last.finished = true;
    store.apply_page(&last).await.expect("last page without cursor");
    assert_eq!(
        store.cursor(src, &school, "results").await.expect("cursor"),
        Some("c1".into()),
        "None keeps"
    );
    let status = store.stream_statuses().await.expect("statuses");
    assert_eq!(
        status[0].consecutive_failures, 0,
        "a finished run resets failures"
    );
    assert!(status[0].last_success_at.is_some());
    assert_eq!(status[0].records, 1);

    store.reset_cursor(src, &school, "results").await.expect("reset");
    assert_eq!(store.cursor(src, &school, "results").await.expect("cursor"), None);
    assert_eq!(
        store.cursor(src, &school, "notes").await.expect("other stream"),
        None
    );
}

pub async fn histories_and_changed_pupils(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let all = store.pupil_histories(&brin()).await.expect("histories");
    let ids: Vec<i64> = all.iter().map(|h| h.pupil.id).collect();
    assert_eq!(ids.len(), 3);
    assert!(
        store
            .pupil_histories(&other_brin())
            .await
            .expect("other school")
            .is_empty()
    );

    let mark = chrono::Utc::now();
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    let mut r1 = result(Source::Parnassys, "r1", "p2", date(2026, 1, 20), "V");
    // The betrouwbaarheidsinterval of the ability score is stored with it (issue 16, item 9).
    r1.ability = Some(zorgsignaal::domain::AbilityScore {
        value: 150.0,
        scale: "cito-dmt-2018".into(),
        interval: zorgsignaal::domain::ConfidenceInterval::new(146.5, 153.5),
    });
    page.results = vec![r1];
    store.apply_page(&page).await.expect("page");
    let changed = changed_pupils(store, mark).await;
    let p2 = all
        .iter()
        .find(|h| h.pupil.pupil.external_id == "p2")
        .expect("p2")
        .pupil
        .id;
    assert_eq!(changed, vec![p2], "only the pupil with new data");
    let mark = chrono::Utc::now();
    store.apply_page(&page).await.expect("same page again");
    assert!(
        changed_pupils(store, mark).await.is_empty(),
        "a re-sent page is no news"
    );

    let known = store.known_pupils(&brin()).await.expect("known pupils");
    assert_eq!(
        known.iter().map(|k| k.external_id.as_str()).collect::<Vec<_>>(),
        ["p1", "p2", "p3"]
    );
    assert!(known.iter().all(|k| k.left_on.is_none()));

    let some = store
        .pupil_histories_for(&brin(), &[p2, ids[0], 999_999])
        .await
        .expect("subset");
    let got: HashSet<i64> = some.iter().map(|h| h.pupil.id).collect();
    assert_eq!(got, HashSet::from([p2, ids[0]]));
    let h2 = some.iter().find(|h| h.pupil.id == p2).expect("p2 history");
    assert_eq!(h2.results.len(), 1);
    let ability = h2.results[0].result.ability.as_ref().expect("ability kept");
    assert_eq!(
        ability.interval.map(|i| (i.low, i.high)),
        Some((146.5, 153.5)),
        "interval round-trips"
    );
    assert_eq!(h2.memberships.len(), 1);
    // The rosters: the same pupils and memberships, without results or plans.
    let rosters = store.pupil_rosters(&brin()).await.expect("rosters");
    let full = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(rosters.len(), full.len());
    for (r, h) in rosters.iter().zip(&full) {
        assert_eq!(r.pupil.id, h.pupil.id);
        assert_eq!(r.pupil.pupil.external_id, h.pupil.pupil.external_id);
        assert_eq!(r.memberships, h.memberships);
        assert!(r.results.is_empty() && r.plans.is_empty() && r.group_plans.is_empty());
    }
    assert_eq!(full.iter().map(|h| h.results.len()).sum::<usize>(), 1);
    assert!(
        store
            .pupil_rosters(&other_brin())
            .await
            .expect("other school")
            .is_empty()
    );
    assert!(
        store
            .pupil_histories_for(&brin(), &[])
            .await
            .expect("none")
            .is_empty()
    );
}

pub async fn quarantine_goes_when_the_record_arrives_and_at_the_end_of_its_term(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let bad = |id: &str| QuarantineItem {
        source: Source::Parnassys,
        school: brin(),
        stream: "results".into(),
        external_id: Some(id.into()),
        raw: serde_json::json!({"id": id, "level": "VI"}),
        reason: "level VI is not on scale IV".into(),
    };
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.quarantine = vec![bad("r1"), bad("r2")];
    store.apply_page(&page).await.expect("bad page");
    // r1 arrives whole: its quarantine row goes, r2's stays.
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.results = vec![result(Source::Parnassys, "r1", "p1", date(2025, 10, 1), "IV")];
    store.apply_page(&page).await.expect("good page");
    let left: Vec<_> = store
        .quarantined(&QuarantineFilter::default())
        .await
        .expect("quarantine")
        .into_iter()
        .filter_map(|q| q.item.external_id)
        .collect();
    assert_eq!(left, ["r2"]);

    // The retention term: rows last received before the cut-off go.
    let now = chrono::Utc::now();
    let counts = store
        .prune_operational(&zorgsignaal::store::PruneCutoffs {
            quarantine_before: now - chrono::TimeDelta::days(1),
            held_before: now - chrono::TimeDelta::days(1),
            audit_before: now - chrono::TimeDelta::days(1),
            jobs_before: now - chrono::TimeDelta::days(1),
        })
        .await
        .expect("prune");
    assert_eq!(counts.quarantine, 0, "received today");
    let counts = store
        .prune_operational(&zorgsignaal::store::PruneCutoffs {
            quarantine_before: now + chrono::TimeDelta::seconds(5),
            held_before: now - chrono::TimeDelta::days(1),
            audit_before: now - chrono::TimeDelta::days(1),
            jobs_before: now - chrono::TimeDelta::days(1),
        })
        .await
        .expect("prune");
    assert_eq!(counts.quarantine, 1);
    assert!(
        store
            .quarantined(&QuarantineFilter::default())
            .await
            .expect("quarantine")
            .is_empty()
    );
}

pub async fn group_notes_and_plans_expire_with_their_school_year(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut group_note = note("n-group", "p1");
    group_note.pupil_external_id = None;
    let mut notes = PageBatch::new(Source::Leeruniek, brin(), "notes");
    notes.notes = vec![group_note, note("n-pupil", "p1")];
    store.apply_page(&notes).await.expect("notes");
    let mut plans = PageBatch::new(Source::Parnassys, brin(), "plans");
    plans.plans = vec![plan("pl-group", None), plan("pl-pupil", Some("p1"))];
    store.apply_page(&plans).await.expect("plans");

    // Both group records belong to school year 2025/26 (ends 31 July 2026).
    assert_eq!(
        store
            .delete_group_records_before(date(2026, 7, 31))
            .await
            .expect("not yet"),
        0
    );
    assert_eq!(
        store
            .delete_group_records_before(date(2026, 8, 1))
            .await
            .expect("delete"),
        2,
        "the group note and the group plan"
    );
    assert_eq!(
        store
            .delete_group_records_before(date(2030, 8, 1))
            .await
            .expect("again"),
        0,
        "records of a pupil go with the pupil, not with the school year"
    );
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h[0].plans.len(), 1, "the pupil's own plan stays");
    assert!(h[0].group_plans.is_empty(), "the group plan went");
}

/// Records of a pupil the store does not know yet wait (held), are counted, follow newer versions
/// and tombstones, and are applied by `release_held` once a snapshot brings the pupil.
pub async fn held_records_wait_for_their_pupil_and_are_applied_once_it_is_known(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut batch = PageBatch::new(Source::Parnassys, brin(), "results");
    batch.held = vec![
        HeldRecord::Result(result(Source::Parnassys, "r9", "p9", date(2026, 1, 20), "IV")),
        HeldRecord::Result(result(Source::Parnassys, "r8", "p9", date(2026, 1, 21), "V")),
    ];
    batch.new_cursor = Some("since:1".into());
    let summary = store.apply_page(&batch).await.expect("page with held records");
    assert_eq!(summary.held, 2);
    assert_eq!(summary.quarantined, 0);
    let mut notes = PageBatch::new(Source::Leeruniek, brin(), "notes");
    notes.held = vec![HeldRecord::Note(note("n9", "p9"))];
    store.apply_page(&notes).await.expect("held note");

    // Nothing is released while p9 is unknown.
    let r = store.release_held(&brin()).await.expect("release");
    assert_eq!((r.released, r.still_held), (0, 3));
    let counts = store.held_counts().await.expect("counts");
    let count = |source: Source| {
        counts
            .iter()
            .find(|c| c.source == source && c.school == brin())
            .map(|c| c.count)
    };
    assert_eq!(count(Source::Parnassys), Some(2), "{counts:?}");
    assert_eq!(count(Source::Leeruniek), Some(1), "{counts:?}");

    // A newer version replaces the held one; a tombstone forgets one.
    let mut later = PageBatch::new(Source::Parnassys, brin(), "results");
    later.held = vec![HeldRecord::Result(result(
        Source::Parnassys,
        "r9",
        "p9",
        date(2026, 1, 20),
        "V-",
    ))];
    later.tombstones = vec![Tombstone {
        kind: RecordKind::Result,
        external_id: "r8".into(),
    }];
    let s = store.apply_page(&later).await.expect("newer version");
    assert_eq!(s.held, 1);
    assert_eq!(count_of(store, Source::Parnassys).await, 1);

    // The pupil arrives with the next snapshot: everything waiting for them is applied, once.
    enrol(store, &["p1", "p9"]).await;
    let r = store.release_held(&brin()).await.expect("release");
    assert_eq!((r.released, r.still_held), (2, 0));
    assert!(store.held_counts().await.expect("counts").is_empty());
    let histories = store.pupil_histories(&brin()).await.expect("histories");
    let p9 = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "p9")
        .expect("p9 stored");
    assert_eq!(p9.results.len(), 1, "r8 was tombstoned while held");
    assert_eq!(
        p9.results[0].result.reference_scores[0].value, "V-",
        "the newest held version is applied"
    );
    let r = store.release_held(&brin()).await.expect("release again");
    assert_eq!(r.released, 0, "released records are not held any more");

    // A held record that arrives later directly (its pupil known by then) is no longer held.
    let mut held = PageBatch::new(Source::Parnassys, brin(), "results");
    held.held = vec![HeldRecord::Result(result(
        Source::Parnassys,
        "r7",
        "p7",
        date(2026, 2, 1),
        "IV",
    ))];
    store.apply_page(&held).await.expect("held");
    enrol(store, &["p1", "p9", "p7"]).await;
    let mut direct = PageBatch::new(Source::Parnassys, brin(), "results");
    direct.results = vec![result(Source::Parnassys, "r7", "p7", date(2026, 2, 1), "III")];
    store.apply_page(&direct).await.expect("direct");
    assert_eq!(
        count_of(store, Source::Parnassys).await,
        0,
        "the direct version supersedes the held one"
    );

    // A held record of another school is refused with the page.
    let mut foreign = PageBatch::new(Source::Parnassys, other_brin(), "results");
    foreign.held = vec![HeldRecord::Result(result(
        Source::Parnassys,
        "r6",
        "p6",
        date(2026, 2, 1),
        "IV",
    ))];
    let err = store.apply_page(&foreign).await.expect_err("foreign held record");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
}

/// Held records are written set-based: a page with more held records than one statement takes
/// (1,201) holds every one, a key twice in one page keeps its last version (as one statement
/// per record did; PostgreSQL cannot update a row twice in one statement), and holding the same
/// records again (the weekly full reconcile) adds none.
pub async fn many_held_records_in_one_page_and_a_key_twice_keep_the_last_version(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let page = || {
        let mut batch = PageBatch::new(Source::Parnassys, brin(), "results");
        batch.held = (0..1200)
            .map(|i| {
                HeldRecord::Result(result(
                    Source::Parnassys,
                    &format!("r{i}"),
                    &format!("p{}", 100 + i % 7),
                    date(2026, 1, 20),
                    "IV",
                ))
            })
            .collect();
        // r5 again, a newer version, in the same page.
        batch.held.push(HeldRecord::Result(result(
            Source::Parnassys,
            "r5",
            "p9",
            date(2026, 1, 20),
            "V-",
        )));
        batch
    };
    let summary = store
        .apply_page(&page())
        .await
        .expect("page with 1,201 held records");
    assert_eq!(summary.held, 1201, "every held record of the page is counted");
    assert_eq!(count_of(store, Source::Parnassys).await, 1200);
    let again = store.apply_page(&page()).await.expect("the same page again");
    assert_eq!(again.held, 1201);
    assert_eq!(
        count_of(store, Source::Parnassys).await,
        1200,
        "held again, not twice"
    );

    // p9 arrives: r5 is released in its last version, under its last pupil.
    enrol(store, &["p1", "p9"]).await;
    let r = store.release_held(&brin()).await.expect("release");
    assert_eq!((r.released, r.still_held), (1, 1199));
    let histories = store.pupil_histories(&brin()).await.expect("histories");
    let p9 = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "p9")
        .expect("p9 stored");
    assert_eq!(p9.results.len(), 1);
    assert_eq!(p9.results[0].result.external_id, "r5");
    assert_eq!(p9.results[0].result.reference_scores[0].value, "V-");
}

async fn count_of(store: &dyn zorgsignaal::store::Store, source: Source) -> i64 {
    store
        .held_counts()
        .await
        .expect("counts")
        .iter()
        .filter(|c| c.source == source)
        .map(|c| c.count)
        .sum()
}

/// Issue 17: a full reconcile passes over a page the store holds exactly as it is, with reads
/// only. "Stored" must mean that applying the page would change no row: any difference in a
/// compared column, a deleted row, a missing row, a held version of a record, or anything else in
/// the page (tombstones, quarantine, held records, results) answers "no", and the check itself
/// writes nothing (not even the cursor).
pub async fn a_page_is_stored_only_when_applying_it_would_change_nothing(ctx: Ctx) {
    use zorgsignaal::domain::{Absence, AbsenceKind, SeInstrument, SocialEmotionalMeasurement};
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let absence = |id: &str, pupil: &str, hours: f64| Absence {
        source: Source::Parnassys,
        school: brin(),
        external_id: id.into(),
        pupil_external_id: pupil.into(),
        on: date(2026, 3, 2),
        hours,
        kind: AbsenceKind::Sick,
    };
    let measurement = |id: &str, pupil: &str, category: u8| SocialEmotionalMeasurement {
        source: Source::Parnassys,
        school: brin(),
        external_id: id.into(),
        pupil_external_id: pupil.into(),
        instrument: SeInstrument::Zien,
        scale: "welbevinden".into(),
        measured_on: date(2026, 2, 10),
        category,
    };
    let page = |absences: Vec<Absence>, measurements: Vec<SocialEmotionalMeasurement>| {
        let mut b = PageBatch::new(Source::Parnassys, brin(), "facts");
        b.absences = absences;
        b.social_emotional = measurements;
        b.new_cursor = Some("c-check".into());
        b
    };
    let (a1, a2, m1) = (
        absence("v1", "p1", 5.5),
        absence("v2", "p2", 3.0),
        measurement("z1", "p1", 2),
    );
    let whole = page(vec![a1.clone(), a2.clone()], vec![m1.clone()]);
    assert!(
        !store.page_is_stored(&whole).await.expect("check"),
        "nothing stored yet"
    );
    assert_eq!(
        store
            .cursor(Source::Parnassys, &brin(), "facts")
            .await
            .expect("cursor"),
        None,
        "the check writes no cursor"
    );
    store.apply_page(&whole).await.expect("apply");
    assert!(
        store.page_is_stored(&whole).await.expect("check"),
        "stored as it is"
    );
    assert!(
        store
            .page_is_stored(&page(vec![a2.clone()], vec![]))
            .await
            .expect("check"),
        "a part of it is stored too"
    );

    // Every column the upsert compares.
    let differs = [
        page(vec![absence("v1", "p1", 4.5), a2.clone()], vec![m1.clone()]),
        page(
            vec![Absence {
                kind: AbsenceKind::Unauthorised,
                ..a1.clone()
            }],
            vec![],
        ),
        page(
            vec![Absence {
                on: date(2026, 3, 3),
                ..a1.clone()
            }],
            vec![],
        ),
        page(vec![absence("v1", "p2", 5.5)], vec![]),
        page(vec![], vec![measurement("z1", "p1", 1)]),
        page(vec![], vec![measurement("z1", "p2", 2)]),
        page(
            vec![],
            vec![SocialEmotionalMeasurement {
                scale: "betrokkenheid".into(),
                ..m1.clone()
            }],
        ),
        page(
            vec![],
            vec![SocialEmotionalMeasurement {
                measured_on: date(2026, 2, 11),
                ..m1.clone()
            }],
        ),
        // Not stored at all.
        page(vec![absence("v3", "p1", 1.0)], vec![]),
        page(vec![], vec![measurement("z2", "p1", 2)]),
        // A pupil the store does not know (the apply fails such a page).
        page(vec![absence("v1", "p9", 5.5)], vec![]),
        // The same id twice.
        page(vec![a1.clone(), a1.clone()], vec![]),
        // An empty page.
        page(vec![], vec![]),
    ];
    for (i, p) in differs.iter().enumerate() {
        assert!(!store.page_is_stored(p).await.expect("check"), "page {i} differs");
    }
    // Anything else in the page is for the apply to see.
    let mut with_tombstone = whole.clone();
    with_tombstone.tombstones.push(Tombstone {
        kind: RecordKind::Absence,
        external_id: "v0".into(),
    });
    let mut with_quarantine = whole.clone();
    with_quarantine.quarantine.push(QuarantineItem {
        source: Source::Parnassys,
        school: brin(),
        stream: "facts".into(),
        external_id: Some("v9".into()),
        raw: serde_json::json!({"id": "v9"}),
        reason: "no date".into(),
    });
    let mut with_held = whole.clone();
    with_held.held.push(HeldRecord::Absence(absence("v8", "p8", 2.0)));
    let mut with_result = whole.clone();
    with_result
        .results
        .push(result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V"));
    for (what, p) in [
        ("tombstone", &with_tombstone),
        ("quarantine", &with_quarantine),
        ("held record", &with_held),
        ("result", &with_result),
    ] {
        assert!(
            !store.page_is_stored(p).await.expect("check"),
            "a page with a {what}"
        );
    }

    // A deleted row is not stored: the apply would revive it.
    let mut gone = PageBatch::new(Source::Parnassys, brin(), "facts");
    gone.tombstones.push(Tombstone {
        kind: RecordKind::SocialEmotional,
        external_id: "z1".into(),
    });
    store.apply_page(&gone).await.expect("tombstone");
    assert!(
        !store.page_is_stored(&whole).await.expect("check"),
        "z1 was deleted"
    );
    store.apply_page(&whole).await.expect("revive");
    assert!(store.page_is_stored(&whole).await.expect("check"), "revived");

    // A held version of a stored record (its pupil unknown when it came) is not stored: the
    // apply forgets it, and left alone it would be applied over the row later.
    let mut held = PageBatch::new(Source::Parnassys, brin(), "facts");
    held.held.push(HeldRecord::Absence(absence("v2", "p7", 8.0)));
    store.apply_page(&held).await.expect("hold");
    assert!(
        !store.page_is_stored(&whole).await.expect("check"),
        "v2 has a held version"
    );
    store
        .apply_page(&whole)
        .await
        .expect("apply forgets the held version");
    assert!(store.page_is_stored(&whole).await.expect("check"));

    // Another school's page is never stored here.
    let mut other = whole.clone();
    other.school = other_brin();
    assert!(!store.page_is_stored(&other).await.expect("check"));
}
