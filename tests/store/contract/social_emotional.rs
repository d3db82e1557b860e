//! Contract tests for sociaal-emotionele metingen (issue 18 item 1): measurements from a REST page
//! and from a CSV import, idempotent, corrected, tombstoned, held for an unknown pupil, read per
//! school (never another school's), counted as a change of the pupil, and deleted with the pupil
//! under the retention term, like absences and results.

use crate::harness::*;
use zorgsignaal::domain::{School, SeInstrument, SocialEmotionalMeasurement, Source};
use zorgsignaal::store::{ImportBatch, PageBatch, RecordKind, Tombstone};

fn measurement(
    source: Source,
    id: &str,
    pupil: &str,
    instrument: SeInstrument,
    scale: &str,
    on: chrono::NaiveDate,
    category: u8,
) -> SocialEmotionalMeasurement {
    SocialEmotionalMeasurement {
        source,
        school: brin(),
        external_id: id.into(),
        pupil_external_id: pupil.into(),
        instrument,
        scale: scale.into(),
        measured_on: on,
        category,
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

fn page(measurements: Vec<SocialEmotionalMeasurement>) -> PageBatch {
    let mut b = PageBatch::new(Source::Parnassys, brin(), "social_emotional");
    b.social_emotional = measurements;
    b
}

async fn stored(ctx: &Ctx) -> Vec<(String, String, SeInstrument, String, u8)> {
    let mut v: Vec<_> = ctx
        .store
        .social_emotional(&brin(), None)
        .await
        .expect("social-emotional")
        .into_iter()
        .map(|s| {
            let m = s.measurement;
            (
                m.pupil_external_id,
                m.external_id,
                m.instrument,
                m.scale,
                m.category,
            )
        })
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

pub async fn social_emotional_measurements_are_stored_corrected_tombstoned_and_go_with_the_pupil(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let m1 = measurement(
        Source::Parnassys,
        "se1",
        "p1",
        SeInstrument::Zien,
        "welbevinden",
        date(2025, 11, 3),
        0,
    );
    let m2 = measurement(
        Source::Parnassys,
        "se2",
        "p2",
        SeInstrument::Kanvas,
        "sociale vaardigheden",
        date(2025, 11, 10),
        3,
    );
    let summary = store
        .apply_page(&page(vec![m1.clone(), m2.clone()]))
        .await
        .expect("page");
    assert_eq!(summary.social_emotional, 2);
    let again = store
        .apply_page(&page(vec![m1.clone(), m2.clone()]))
        .await
        .expect("again");
    assert_eq!((again.social_emotional, again.unchanged), (0, 2), "idempotent");
    assert_eq!(
        stored(&ctx).await,
        vec![
            (
                "p1".into(),
                "se1".into(),
                SeInstrument::Zien,
                "welbevinden".into(),
                0
            ),
            (
                "p2".into(),
                "se2".into(),
                SeInstrument::Kanvas,
                "sociale vaardigheden".into(),
                3
            ),
        ]
    );
    // A correction at the source (oranje after all) updates the row and makes p1 due.
    let since = chrono::Utc::now();
    let corrected = SocialEmotionalMeasurement {
        category: 1,
        ..m1.clone()
    };
    assert_eq!(
        store
            .apply_page(&page(vec![corrected]))
            .await
            .expect("correct")
            .social_emotional,
        1
    );
    let p1 = pupil_id(&ctx, "p1").await;
    assert!(
        changed_pupils(store, since).await.contains(&p1),
        "a new or changed measurement makes the pupil's evaluation due"
    );
    let only_p1 = store.social_emotional(&brin(), Some(&[p1])).await.expect("p1");
    assert_eq!(only_p1.len(), 1);
    assert_eq!(
        (
            only_p1[0].measurement.category,
            only_p1[0].measurement.measured_on
        ),
        (1, date(2025, 11, 3))
    );
    assert!(
        store
            .social_emotional(&brin(), Some(&[]))
            .await
            .expect("none")
            .is_empty()
    );
    assert!(
        store
            .social_emotional(&other_brin(), None)
            .await
            .expect("other school")
            .is_empty(),
        "per-school access: another school reads none of them"
    );
    // A tombstone withdraws it.
    let mut tomb = page(Vec::new());
    tomb.tombstones = vec![Tombstone {
        kind: RecordKind::SocialEmotional,
        external_id: "se1".into(),
    }];
    assert_eq!(store.apply_page(&tomb).await.expect("tombstone").tombstoned, 1);
    assert_eq!(stored(&ctx).await.len(), 1);
    // A category the instrument does not have, or a ZIEN! scale that is no indicator, is refused,
    // and the page commits nothing.
    for bad in [
        measurement(
            Source::Parnassys,
            "se9",
            "p2",
            SeInstrument::Zien,
            "welbevinden",
            date(2026, 3, 4),
            3,
        ),
        measurement(
            Source::Parnassys,
            "se9",
            "p2",
            SeInstrument::Zien,
            "impulsbeheersing",
            date(2026, 3, 4),
            0,
        ),
    ] {
        assert!(store.apply_page(&page(vec![bad])).await.is_err());
    }
    assert_eq!(stored(&ctx).await.len(), 1);

    // Retention: p2 leaves and is deleted with all his data, his measurements too.
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

pub async fn csv_social_emotional_attaches_to_the_matched_pupil_and_can_wait_for_its_pupil(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let school = School {
        brin: brin(),
        name: "OBS Welbevinden".into(),
        care_ladder: "abcd".into(),
    };
    store.upsert_school(&school).await.expect("school");
    let mut batch = ImportBatch::new(Source::Csv, school);
    batch.pupils = vec![zorgsignaal::domain::Pupil {
        source: Source::Csv,
        ..pupil("1001")
    }];
    batch.social_emotional = vec![
        measurement(
            Source::Csv,
            "csv:se:zien:1001:2025-11-03:welbevinden",
            "1001",
            SeInstrument::Zien,
            "welbevinden",
            date(2025, 11, 3),
            1,
        ),
        measurement(
            Source::Csv,
            "csv:se:zien:1001:2025-11-03:sociale_autonomie",
            "1001",
            SeInstrument::Zien,
            "sociale autonomie",
            date(2025, 11, 3),
            0,
        ),
    ];
    let summary = store.apply_import(&batch).await.expect("import");
    assert_eq!(summary.records.social_emotional, 2);
    let again = store.apply_import(&batch).await.expect("re-import");
    assert_eq!(again.records.social_emotional, 0, "re-import changes nothing");
    let rows = store.social_emotional(&brin(), None).await.expect("rows");
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|m| m.measurement.pupil_external_id == "1001" && m.measurement.source == Source::Csv)
    );

    // REST: a measurement of a pupil the snapshot does not list yet is held, then applied.
    let mut held = PageBatch::new(Source::Parnassys, brin(), "social_emotional");
    held.held = vec![zorgsignaal::store::HeldRecord::SocialEmotional(measurement(
        Source::Parnassys,
        "se7",
        "p7",
        SeInstrument::Kiva,
        "gepest worden",
        date(2026, 2, 9),
        0,
    ))];
    store.apply_page(&held).await.expect("held");
    assert_eq!(
        store.social_emotional(&brin(), None).await.expect("rows").len(),
        2
    );
    enrol(store, &["p7"]).await;
    store.release_held(&brin()).await.expect("release held");
    let rows = store.social_emotional(&brin(), None).await.expect("rows");
    assert!(
        rows.iter().any(|m| m.measurement.external_id == "se7"),
        "{rows:?}"
    );
}
