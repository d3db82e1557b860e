//! Contract tests for verzuim (issue 18 item 2): absences from a REST page and from a CSV import,
//! idempotent, corrected, tombstoned, held for an unknown pupil, read per school, counted as a
//! change of the pupil, and deleted with the pupil under the retention term.

use crate::harness::*;
use zorgsignaal::domain::{Absence, AbsenceKind, School, Source};
use zorgsignaal::store::{ImportBatch, PageBatch, RecordKind, Tombstone};

fn absence(
    source: Source,
    id: &str,
    pupil: &str,
    on: chrono::NaiveDate,
    hours: f64,
    kind: AbsenceKind,
) -> Absence {
    Absence {
        source,
        school: brin(),
        external_id: id.into(),
        pupil_external_id: pupil.into(),
        on,
        hours,
        kind,
    }
}

async fn pupil_id(ctx: &Ctx, external_id: &str) -> i64 {
    ctx.store
        .pupil_histories(&brin())
        .await
        .expect("histories")
        .into_iter()
        .find(|h| h.pupil.pupil.external_id == external_id)
        .expect("pupil enrolled")
        .pupil
        .id
}

fn page(absences: Vec<Absence>) -> PageBatch {
    let mut b = PageBatch::new(Source::Parnassys, brin(), "absences");
    b.absences = absences;
    b
}

async fn stored(ctx: &Ctx) -> Vec<(String, String, f64, AbsenceKind)> {
    let mut v: Vec<_> = ctx
        .store
        .absences(&brin(), None)
        .await
        .expect("absences")
        .into_iter()
        .map(|a| {
            (
                a.absence.pupil_external_id,
                a.absence.external_id,
                a.absence.hours,
                a.absence.kind,
            )
        })
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

pub async fn absences_are_stored_corrected_tombstoned_and_go_with_the_pupil(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let a1 = absence(
        Source::Parnassys,
        "v1",
        "p1",
        date(2026, 3, 2),
        5.5,
        AbsenceKind::Unauthorised,
    );
    let a2 = absence(
        Source::Parnassys,
        "v2",
        "p2",
        date(2026, 3, 3),
        3.5,
        AbsenceKind::Sick,
    );
    let summary = store
        .apply_page(&page(vec![a1.clone(), a2.clone()]))
        .await
        .expect("page");
    assert_eq!(summary.absences, 2);
    let again = store
        .apply_page(&page(vec![a1.clone(), a2.clone()]))
        .await
        .expect("again");
    assert_eq!((again.absences, again.unchanged), (0, 2), "idempotent");
    assert_eq!(
        stored(&ctx).await,
        vec![
            ("p1".into(), "v1".into(), 5.5, AbsenceKind::Unauthorised),
            ("p2".into(), "v2".into(), 3.5, AbsenceKind::Sick),
        ]
    );
    // A correction at the source (a morning, and authorised after all) updates the row.
    let since = chrono::Utc::now();
    let corrected = Absence {
        hours: 2.5,
        kind: AbsenceKind::Authorised,
        ..a1.clone()
    };
    assert_eq!(
        store
            .apply_page(&page(vec![corrected]))
            .await
            .expect("correct")
            .absences,
        1
    );
    let p1 = pupil_id(&ctx, "p1").await;
    assert!(
        changed_pupils(store, since).await.contains(&p1),
        "a new or changed absence makes the pupil's evaluation due"
    );
    let only_p1 = store.absences(&brin(), Some(&[p1])).await.expect("p1");
    assert_eq!(only_p1.len(), 1);
    assert_eq!(
        (only_p1[0].absence.hours, only_p1[0].absence.kind),
        (2.5, AbsenceKind::Authorised)
    );
    assert!(store.absences(&brin(), Some(&[])).await.expect("none").is_empty());
    assert!(
        store
            .absences(&other_brin(), None)
            .await
            .expect("other school")
            .is_empty()
    );
    // A tombstone withdraws it.
    let mut tomb = page(Vec::new());
    tomb.tombstones = vec![Tombstone {
        kind: RecordKind::Absence,
        external_id: "v1".into(),
    }];
    assert_eq!(store.apply_page(&tomb).await.expect("tombstone").tombstoned, 1);
    assert_eq!(stored(&ctx).await.len(), 1);
    // Hours outside (0, 24] are refused, and the page commits nothing.
    let bad = absence(
        Source::Parnassys,
        "v9",
        "p2",
        date(2026, 3, 4),
        30.0,
        AbsenceKind::Sick,
    );
    assert!(store.apply_page(&page(vec![bad])).await.is_err());
    assert_eq!(stored(&ctx).await.len(), 1);

    // Retention: p2 leaves and is deleted with all his data, his absences too.
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[pupil("p1")],
            &[group("g1")],
            &[membership("p1", "g1")],
            at(2026, 4, 1, 3),
        )
        .await
        .expect("snapshot");
    let hasher = zorgsignaal::domain::ExternalIdHasher::new("board key".to_string().into());
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[pupil("p1")],
            &[group("g1")],
            &[membership("p1", "g1")],
            at(2028, 4, 2, 3),
        )
        .await
        .expect("snapshot");
    assert_eq!(
        store
            .delete_pupils_left_before(date(2028, 4, 2), &hasher)
            .await
            .expect("delete"),
        1
    );
    assert!(stored(&ctx).await.is_empty(), "deleted with the pupil");
}

pub async fn csv_absences_attach_to_the_matched_pupil_and_an_absence_can_wait_for_its_pupil(ctx: Ctx) {
    let store = ctx.store.as_ref();
    store
        .upsert_school(&School {
            brin: brin(),
            name: "OBS Verzuim".into(),
            care_ladder: "abcd".into(),
        })
        .await
        .expect("school");
    let mut batch = ImportBatch::new(
        Source::Csv,
        School {
            brin: brin(),
            name: "OBS Verzuim".into(),
            care_ladder: "abcd".into(),
        },
    );
    batch.pupils = vec![zorgsignaal::domain::Pupil {
        source: Source::Csv,
        ..pupil("1001")
    }];
    batch.absences = vec![
        absence(
            Source::Csv,
            "csv:verzuim:1001:2026-03-02:sick",
            "1001",
            date(2026, 3, 2),
            5.5,
            AbsenceKind::Sick,
        ),
        absence(
            Source::Csv,
            "csv:verzuim:1001:2026-03-09:unauthorised",
            "1001",
            date(2026, 3, 9),
            2.0,
            AbsenceKind::Unauthorised,
        ),
    ];
    let summary = store.apply_import(&batch).await.expect("import");
    assert_eq!(summary.records.absences, 2);
    let again = store.apply_import(&batch).await.expect("re-import");
    assert_eq!(again.records.absences, 0, "re-import changes nothing");
    let rows = store.absences(&brin(), None).await.expect("absences");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|a| a.absence.pupil_external_id == "1001" && a.absence.source == Source::Csv)
    );

    // REST: an absence of a pupil the snapshot does not list yet is held, then applied.
    let mut held = PageBatch::new(Source::Parnassys, brin(), "absences");
    held.held = vec![zorgsignaal::store::HeldRecord::Absence(absence(
        Source::Parnassys,
        "v7",
        "p7",
        date(2026, 3, 5),
        5.5,
        AbsenceKind::Sick,
    ))];
    store.apply_page(&held).await.expect("held");
    assert_eq!(store.absences(&brin(), None).await.expect("absences").len(), 2);
    enrol(store, &["p7"]).await;
    store.release_held(&brin()).await.expect("release held");
    let rows = store.absences(&brin(), None).await.expect("absences");
    assert!(rows.iter().any(|a| a.absence.external_id == "v7"), "{rows:?}");
}
