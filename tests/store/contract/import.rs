//! Contract tests for file imports (`SyncStore::apply_import`): pupil matching by national id
//! hash, cross-source result dedupe, nobody marked as left, and all-or-nothing.

use crate::harness::*;
use zorgsignaal::domain::{PlanKind, Pupil, School, Source, SupportPlan};
use zorgsignaal::store::{ImportBatch, PageBatch, StoreError};

fn school(brin: zorgsignaal::domain::Brin) -> School {
    School {
        brin,
        name: "OBS Import".into(),
        care_ladder: "abcd".into(),
    }
}

fn oso_pupil(id: &str, hash: Option<&str>) -> Pupil {
    Pupil {
        source: Source::Oso,
        national_id_hash: hash.map(String::from),
        ..pupil(id)
    }
}

fn oso_plan(id: &str, pupil: &str) -> SupportPlan {
    SupportPlan {
        source: Source::Oso,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: Some(pupil.into()),
        group_external_id: None,
        kind: PlanKind::ActionPlan,
        domain: None,
        title: "technisch lezen".into(),
        owner: None,
        care_level: None,
        start: date(2025, 2, 1),
        end: None,
        evaluation_due: None,
        minutes_per_week: None,
        evaluations: Vec::new(),
        decided_on: None,
        drawn_up_on: None,
        parents_agreed_on: None,
    }
}

pub async fn import_attaches_to_the_pupil_with_the_same_national_id_and_marks_nobody_left(ctx: Ctx) {
    let store = ctx.store.as_ref();
    store.upsert_school(&school(brin())).await.expect("school");
    let mut p1 = pupil("p1");
    p1.national_id_hash = Some("hash-1".into());
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[p1, pupil("p2")],
            &[group("g1")],
            &[membership("p1", "g1"), membership("p2", "g1")],
            at(2025, 9, 1, 3),
        )
        .await
        .expect("snapshot");
    let mut parnassys = PageBatch::new(Source::Parnassys, brin(), "results");
    parnassys.results = vec![result(Source::Parnassys, "ps-1", "p1", date(2026, 1, 20), "V-")];
    store.apply_page(&parnassys).await.expect("parnassys page");

    let mut batch = ImportBatch::new(Source::Oso, school(brin()));
    batch.pupils = vec![oso_pupil("oso:aa", Some("hash-1"))];
    batch.results = vec![
        result(Source::Oso, "oso:aa:1", "oso:aa", date(2026, 1, 20), "V-"),
        result(Source::Oso, "oso:aa:2", "oso:aa", date(2025, 6, 10), "V"),
    ];
    batch.plans = vec![oso_plan("oso:aa:hp", "oso:aa")];
    let summary = store.apply_import(&batch).await.expect("import");
    assert_eq!(summary.pupils_matched, 1);
    assert_eq!(summary.pupils_new, 0);
    assert!(!summary.school_added, "the school existed");
    assert_eq!(
        (
            summary.records.results_inserted,
            summary.records.results_deduplicated
        ),
        (1, 1),
        "the ParnasSys sitting is stored once"
    );
    assert_eq!(summary.records.plans, 1);

    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h.len(), 2, "no pupil added for the dossier");
    assert!(h.iter().all(|x| x.pupil.pupil.left_on.is_none()), "nobody left");
    let p1 = h.iter().find(|x| x.pupil.pupil.external_id == "p1").expect("p1");
    assert_eq!(
        p1.pupil.pupil.source,
        Source::ParnassysGkv,
        "matched pupil unchanged"
    );
    assert_eq!(p1.results.len(), 2);
    assert_eq!(p1.plans.len(), 1);

    let again = store.apply_import(&batch).await.expect("re-import");
    assert_eq!(again.records.results_inserted, 0);
    assert_eq!(again.records.plans, 0);
    assert_eq!(store.pupil_histories(&brin()).await.expect("h").len(), 2);
}

pub async fn import_adds_an_unknown_school_and_pupil_and_updates_it_on_reimport(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let other = other_brin();
    let mut batch = ImportBatch::new(Source::Csv, school(other.clone()));
    let mut p = pupil("1001");
    p.school = other.clone();
    p.source = Source::Csv;
    batch.pupils = vec![p.clone()];
    let mut r = result(
        Source::Csv,
        "csv:1001:DMT:K1:2026-01-20",
        "1001",
        date(2026, 1, 20),
        "V",
    );
    r.school = other.clone();
    batch.results = vec![r];
    let first = store.apply_import(&batch).await.expect("import");
    assert!(first.school_added);
    assert_eq!((first.pupils_new, first.records.results_inserted), (1, 1));
    assert!(
        store
            .schools()
            .await
            .expect("schools")
            .iter()
            .any(|s| s.brin == other)
    );

    batch.pupils[0].surname = "Jansen-Bakker".into();
    let second = store.apply_import(&batch).await.expect("re-import");
    assert!(!second.school_added);
    assert_eq!((second.pupils_updated, second.pupils_new), (1, 0));
    assert_eq!(second.records.unchanged, 1);
    let h = store.pupil_histories(&other).await.expect("histories");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].pupil.pupil.surname, "Jansen-Bakker");
}

pub async fn failed_import_commits_nothing(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let other = other_brin();
    let mut batch = ImportBatch::new(Source::Oso, school(other.clone()));
    let mut p = oso_pupil("oso:bb", None);
    p.school = other.clone();
    batch.pupils = vec![p];
    let mut ok = result(Source::Oso, "oso:bb:1", "oso:bb", date(2026, 1, 20), "V");
    ok.school = other.clone();
    let mut orphan = result(Source::Oso, "oso:bb:2", "nobody", date(2026, 1, 21), "V");
    orphan.school = other.clone();
    batch.results = vec![ok, orphan];
    let err = store
        .apply_import(&batch)
        .await
        .expect_err("a result naming an unknown pupil");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
    assert!(
        store
            .schools()
            .await
            .expect("schools")
            .iter()
            .all(|s| s.brin != other),
        "school rolled back"
    );
    assert!(
        store.pupil_histories(&other).await.expect("h").is_empty(),
        "pupil rolled back"
    );

    let mut foreign = ImportBatch::new(Source::Oso, school(brin()));
    foreign.pupils = vec![pupil("p9")];
    let err = store
        .apply_import(&foreign)
        .await
        .expect_err("a GKV pupil in an OSO import");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
}

/// Issue 16 item 4: a dyslexieverklaring from a file (OSO, CSV) or a REST page is stored as the
/// fact and its date only, reaches the pupil's history on the pupil the file was matched to, a
/// later file without one withdraws nothing, a REST tombstone withdraws that source's statement,
/// and the earliest date wins (undated wins over dated).
pub async fn dyslexia_statements_reach_the_history_and_go_with_a_tombstone(ctx: Ctx) {
    use zorgsignaal::domain::{DyslexiaStatement, DyslexiaStatementRecord};
    use zorgsignaal::store::{RecordKind, Tombstone};

    let store = ctx.store.as_ref();
    store.upsert_school(&school(brin())).await.expect("school");
    let mut p1 = pupil("p1");
    p1.national_id_hash = Some("hash-1".into());
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[p1, pupil("p2")],
            &[group("g1")],
            &[membership("p1", "g1"), membership("p2", "g1")],
            at(2025, 9, 1, 3),
        )
        .await
        .expect("snapshot");
    let history = |hs: &[zorgsignaal::store::PupilHistory], id: &str| {
        hs.iter()
            .find(|h| h.pupil.pupil.external_id == id)
            .and_then(|h| h.pupil.pupil.dyslexia_statement)
    };
    let before = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(history(&before, "p1"), None);

    // OSO dossier of p1 (matched by hash) with a dyslexieverklaring dated 12-03-2024.
    let mut file = oso_pupil("oso:aa", Some("hash-1"));
    file.dyslexia_statement = Some(DyslexiaStatement {
        on: Some(date(2024, 3, 12)),
    });
    let mut batch = ImportBatch::new(Source::Oso, school(brin()));
    batch.pupils = vec![file.clone()];
    let summary = store.apply_import(&batch).await.expect("import");
    assert_eq!(summary.pupils_matched, 1);
    assert_eq!(summary.records.dyslexia_statements, 1);
    let hs = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(
        history(&hs, "p1"),
        Some(DyslexiaStatement {
            on: Some(date(2024, 3, 12))
        })
    );
    assert_eq!(history(&hs, "p2"), None, "only the matched pupil");
    // The same file again changes nothing; a file without the statement withdraws nothing.
    let again = store.apply_import(&batch).await.expect("again");
    assert_eq!(again.records.dyslexia_statements, 0);
    batch.pupils = vec![oso_pupil("oso:aa", Some("hash-1"))];
    store.apply_import(&batch).await.expect("without");
    let hs = store.pupil_histories(&brin()).await.expect("histories");
    assert!(history(&hs, "p1").is_some());

    // ParnasSys REST: an undated statement for p2, and an earlier one for p1.
    let mut page = PageBatch::new(Source::Parnassys, brin(), "dyslexia_statements");
    page.dyslexia_statements = vec![
        DyslexiaStatementRecord {
            source: Source::Parnassys,
            school: brin(),
            external_id: "dv-1".into(),
            pupil_external_id: "p2".into(),
            on: None,
        },
        DyslexiaStatementRecord {
            source: Source::Parnassys,
            school: brin(),
            external_id: "dv-2".into(),
            pupil_external_id: "p1".into(),
            on: Some(date(2023, 11, 1)),
        },
    ];
    let ids: std::collections::HashMap<String, i64> = store
        .known_pupils(&brin())
        .await
        .expect("known")
        .into_iter()
        .map(|k| (k.external_id, k.id))
        .collect();
    let mark = chrono::Utc::now();
    let summary = store.apply_page(&page).await.expect("page");
    assert_eq!(summary.dyslexia_statements, 2);
    // A statement changes what the rules see: the re-evaluation after a sync takes both pupils.
    assert_eq!(changed_pupils(store, mark).await, [ids["p1"], ids["p2"]]);
    let hs = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(history(&hs, "p2"), Some(DyslexiaStatement { on: None }));
    assert_eq!(
        history(&hs, "p1"),
        Some(DyslexiaStatement {
            on: Some(date(2023, 11, 1))
        }),
        "the earliest date of two sources"
    );
    assert_eq!(
        store
            .live_external_ids(Source::Parnassys, &brin(), RecordKind::DyslexiaStatement)
            .await
            .expect("ids"),
        ["dv-1", "dv-2"]
    );

    // A tombstone withdraws ParnasSys' statement of p2; p1 keeps the OSO one.
    let mut gone = PageBatch::new(Source::Parnassys, brin(), "dyslexia_statements");
    gone.tombstones = vec![
        Tombstone {
            kind: RecordKind::DyslexiaStatement,
            external_id: "dv-1".into(),
        },
        Tombstone {
            kind: RecordKind::DyslexiaStatement,
            external_id: "dv-2".into(),
        },
    ];
    let mark = chrono::Utc::now();
    let summary = store.apply_page(&gone).await.expect("tombstones");
    assert_eq!(summary.tombstoned, 2);
    assert_eq!(
        changed_pupils(store, mark).await,
        [ids["p1"], ids["p2"]],
        "a withdrawn statement is news too"
    );
    let hs = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(history(&hs, "p2"), None);
    assert_eq!(
        history(&hs, "p1"),
        Some(DyslexiaStatement {
            on: Some(date(2024, 3, 12))
        })
    );

    // A statement for a pupil the store does not know fails the page.
    let mut unknown = PageBatch::new(Source::Parnassys, brin(), "dyslexia_statements");
    unknown.dyslexia_statements = vec![DyslexiaStatementRecord {
        source: Source::Parnassys,
        school: brin(),
        external_id: "dv-9".into(),
        pupil_external_id: "nobody".into(),
        on: None,
    }];
    assert!(matches!(
        store.apply_page(&unknown).await,
        Err(StoreError::InvalidData(_))
    ));
}

/// UWLR results keep the vaardigheidsscore's betrouwbaarheidsinterval (bivlaag/bivhoog) through
/// the store, and a re-delivery under the same `resultaat/@key` changes nothing (issue 12).
pub async fn uwlr_results_keep_the_confidence_interval_and_are_idempotent_per_key(ctx: Ctx) {
    use zorgsignaal::domain::{AbilityScore, ConfidenceInterval};
    let store = ctx.store.as_ref();
    enrol(store, &["1001"]).await;
    let mut batch = ImportBatch::new(Source::Uwlr, school(brin()));
    let mut r = result(Source::Uwlr, "r-1", "1001", date(2026, 1, 20), "V-");
    r.ability = Some(AbilityScore {
        value: 32.0,
        scale: "uwlr:DMT".into(),
        interval: Some(ConfidenceInterval {
            low: 28.5,
            high: 35.5,
        }),
    });
    let mut plain = result(Source::Uwlr, "r-2", "1001", date(2026, 1, 22), "V");
    plain.test_code = "WOORD".into();
    plain.reference_scores.clear();
    batch.results = vec![r.clone(), plain];
    let first = store.apply_import(&batch).await.expect("import");
    assert_eq!(first.records.results_inserted, 2);
    let again = store.apply_import(&batch).await.expect("again");
    assert_eq!((again.records.results_inserted, again.records.unchanged), (0, 2));
    assert_eq!(
        store.results_without_level().await.expect("without level"),
        vec![(Source::Uwlr, brin(), 1)],
        "the plain score is stored and counted, without a level"
    );
    let h = store.pupil_histories(&brin()).await.expect("histories");
    let stored = h[0]
        .results
        .iter()
        .find(|s| s.result.external_id == "r-1")
        .expect("r-1");
    assert_eq!(stored.result.ability, r.ability);
}

/// The UWLR endpoint's import (`hold_unknown_pupils`): a result of a pupil the store does not
/// know is held in the same transaction instead of refusing the delivery, a repeat holds it once,
/// and it is applied when the pupil arrives. Without the flag (files) the import is refused whole.
pub async fn uwlr_results_of_unknown_pupils_are_held_in_the_import_transaction(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["1001"]).await;
    let mut batch = ImportBatch::new(Source::Uwlr, school(brin()));
    batch.results = vec![
        result(Source::Uwlr, "k-1", "1001", date(2026, 1, 20), "V"),
        result(Source::Uwlr, "k-2", "2002", date(2026, 1, 20), "V-"),
    ];
    assert!(
        store.apply_import(&batch).await.is_err(),
        "a file naming an unknown pupil is refused whole"
    );
    assert!(store.held_counts().await.expect("held").is_empty());
    batch.hold_unknown_pupils = true;
    let first = store.apply_import(&batch).await.expect("import");
    assert_eq!((first.records.results_inserted, first.records.held), (1, 1));
    let again = store.apply_import(&batch).await.expect("again");
    assert_eq!(
        (
            again.records.results_inserted,
            again.records.unchanged,
            again.records.held
        ),
        (0, 1, 1)
    );
    let held = store.held_counts().await.expect("held");
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].source, held[0].count), (Source::Uwlr, 1));
    enrol(store, &["1001", "2002"]).await;
    let released = store.release_held(&brin()).await.expect("release");
    assert_eq!((released.released, released.still_held), (1, 0));
    let histories = store.pupil_histories(&brin()).await.expect("histories");
    let ids: Vec<&str> = histories
        .iter()
        .flat_map(|h| h.results.iter().map(|r| r.result.external_id.as_str()))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"k-2"));
}

/// UWLR keys: found by hash for their school only, listed without secret, revoked at once.
pub async fn uwlr_keys_belong_to_one_school_and_are_revoked(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let a = store
        .create_uwlr_key(&brin(), "hash-a", "Toetsuitgever")
        .await
        .expect("key a");
    let b = store
        .create_uwlr_key(&other_brin(), "hash-b", "LAS")
        .await
        .expect("key b");
    assert!(
        store.create_uwlr_key(&brin(), "hash-a", "twice").await.is_err(),
        "hash is unique"
    );
    assert_eq!(
        store.uwlr_key_school("hash-a").await.expect("lookup"),
        Some(brin())
    );
    assert_eq!(
        store.uwlr_key_school("hash-b").await.expect("lookup"),
        Some(other_brin())
    );
    assert_eq!(store.uwlr_key_school("nope").await.expect("lookup"), None);
    let all = store.uwlr_keys(None).await.expect("all");
    assert_eq!(all.iter().map(|k| k.id).collect::<Vec<_>>().len(), 2);
    let mine = store.uwlr_keys(Some(&brin())).await.expect("mine");
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].id, mine[0].label.as_str()), (a, "Toetsuitgever"));
    store.revoke_uwlr_key(a).await.expect("revoke");
    assert_eq!(store.uwlr_key_school("hash-a").await.expect("lookup"), None);
    assert!(matches!(
        store.revoke_uwlr_key(a).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.uwlr_keys(None).await.expect("rest")[0].id, b);
}
