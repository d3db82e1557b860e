//! Contract tests for reading histories per kind of record (issue 17): which kinds of a pupil's
//! records changed since a moment, and each kind read on its own as the whole history reads it.

use std::collections::BTreeMap;

use crate::harness::*;
use zorgsignaal::domain::{
    Absence, AbsenceKind, DyslexiaStatementRecord, Note, SeInstrument, SocialEmotionalMeasurement, Source,
    SupportPlan,
};
use zorgsignaal::store::{ChangedKinds, PageBatch, PupilChanges, RecordKind, Store, Tombstone};

fn absence(id: &str, pupil: &str) -> Absence {
    Absence {
        source: Source::Parnassys,
        school: brin(),
        external_id: id.into(),
        pupil_external_id: pupil.into(),
        on: date(2025, 9, 8),
        hours: 2.0,
        kind: AbsenceKind::Sick,
    }
}

fn measurement(id: &str, pupil: &str) -> SocialEmotionalMeasurement {
    SocialEmotionalMeasurement {
        source: Source::Parnassys,
        school: brin(),
        external_id: id.into(),
        pupil_external_id: pupil.into(),
        instrument: SeInstrument::Zien,
        scale: "welbevinden".into(),
        measured_on: date(2025, 10, 20),
        category: 2,
    }
}

fn note(id: &str, pupil: &str) -> Note {
    Note {
        source: Source::Parnassys,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: Some(pupil.into()),
        group_external_id: None,
        category_path: vec!["Zorg".into()],
        created_at: at(2025, 9, 10, 9),
        content: "Gesprek met ouders.".into(),
    }
}

/// The sync contract's plan (`sync::plan`) without its evaluation.
fn plan(id: &str, pupil: Option<&str>) -> SupportPlan {
    let mut plan = super::sync::plan(id, pupil);
    plan.evaluations.clear();
    plan
}

async fn ids(store: &dyn Store) -> BTreeMap<String, i64> {
    store
        .known_pupils(&brin())
        .await
        .expect("known pupils")
        .into_iter()
        .map(|k| (k.external_id, k.id))
        .collect()
}

/// Applies `page` and answers what [`Store::pupil_changes_since`] names for a moment taken right
/// before it.
async fn changes_of(store: &dyn Store, page: PageBatch) -> Vec<PupilChanges> {
    let mark = chrono::Utc::now();
    store.apply_page(&page).await.expect("page");
    changes_since(store, mark).await
}

async fn changes_since(store: &dyn Store, mark: chrono::DateTime<chrono::Utc>) -> Vec<PupilChanges> {
    let changes = store.pupil_changes_since(&brin(), mark).await.expect("changes");
    assert!(
        changes.windows(2).all(|w| w[0].pupil_id < w[1].pupil_id),
        "each pupil once, in id order"
    );
    assert!(changes.iter().all(|c| c.kinds.any()));
    changes
}

fn only(pupil_id: i64, kinds: ChangedKinds) -> Vec<PupilChanges> {
    vec![PupilChanges { pupil_id, kinds }]
}

pub async fn pupil_changes_name_the_kinds_of_records_that_changed(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let id = ids(store).await;
    let (p1, p2, p3) = (id["p1"], id["p2"], id["p3"]);
    let absences = ChangedKinds {
        absences: true,
        ..ChangedKinds::default()
    };
    let results = ChangedKinds {
        results: true,
        ..ChangedKinds::default()
    };
    let profile = ChangedKinds {
        profile: true,
        ..ChangedKinds::default()
    };
    assert!(
        store
            .pupil_changes_since(&brin(), chrono::Utc::now())
            .await
            .expect("nothing")
            .is_empty()
    );

    // One kind per page, each named for its pupil only; a re-sent page is no news.
    let mut page = PageBatch::new(Source::Parnassys, brin(), "absences");
    page.absences = vec![absence("v1", "p1")];
    assert_eq!(changes_of(store, page.clone()).await, only(p1, absences));
    assert!(changes_of(store, page).await.is_empty(), "re-sent");
    let mut page = PageBatch::new(Source::Parnassys, brin(), "social_emotional");
    page.social_emotional = vec![measurement("z1", "p2")];
    assert_eq!(
        changes_of(store, page).await,
        only(
            p2,
            ChangedKinds {
                social_emotional: true,
                ..ChangedKinds::default()
            }
        )
    );
    let mut page = PageBatch::new(Source::Parnassys, brin(), "notes");
    page.notes = vec![note("n1", "p3")];
    assert_eq!(
        changes_of(store, page).await,
        only(
            p3,
            ChangedKinds {
                notes: true,
                ..ChangedKinds::default()
            }
        )
    );
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![plan("hp1", Some("p2"))];
    assert_eq!(changes_of(store, page).await, only(p2, profile));
    let mut page = PageBatch::new(Source::Parnassys, brin(), "dyslexia_statements");
    page.dyslexia_statements = vec![DyslexiaStatementRecord {
        source: Source::Parnassys,
        school: brin(),
        external_id: "d1".into(),
        pupil_external_id: "p1".into(),
        on: Some(date(2024, 5, 1)),
    }];
    assert_eq!(changes_of(store, page).await, only(p1, profile));

    // Two kinds of one pupil in one page, and a result another source delivers for the same
    // sitting (an alias: nothing but the alias is written) is a change of his results.
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.results = vec![result(Source::Parnassys, "r1", "p3", date(2025, 9, 9), "V")];
    page.absences = vec![absence("v3", "p3")];
    assert_eq!(
        changes_of(store, page).await,
        only(
            p3,
            ChangedKinds {
                results: true,
                absences: true,
                ..ChangedKinds::default()
            }
        )
    );
    let mut page = PageBatch::new(Source::Oso, brin(), "results");
    page.results = vec![result(Source::Oso, "oso-r1", "p3", date(2025, 9, 9), "V")];
    assert_eq!(changes_of(store, page).await, only(p3, results));

    // Tombstones are changes of their kind.
    let tomb = |source: Source, kind: RecordKind, external_id: &str| {
        let mut page = PageBatch::new(source, brin(), "tombstones");
        page.tombstones = vec![Tombstone {
            kind,
            external_id: external_id.into(),
        }];
        page
    };
    assert_eq!(
        changes_of(store, tomb(Source::Parnassys, RecordKind::Absence, "v1")).await,
        only(p1, absences)
    );
    assert_eq!(
        changes_of(store, tomb(Source::Oso, RecordKind::Result, "oso-r1")).await,
        only(p3, results),
        "a withdrawn alias"
    );
    assert_eq!(
        changes_of(store, tomb(Source::Parnassys, RecordKind::SocialEmotional, "z1")).await,
        only(
            p2,
            ChangedKinds {
                social_emotional: true,
                ..ChangedKinds::default()
            }
        )
    );

    // A group plan is a change of every member's profile; so is the pupil row (he left) and a
    // membership. Another school's changes are not named.
    let mut page = PageBatch::new(Source::Parnassys, brin(), "plans");
    page.plans = vec![plan("gp1", None)];
    assert_eq!(
        changes_of(store, page).await,
        vec![p1, p2, p3]
            .into_iter()
            .map(|pupil_id| PupilChanges {
                pupil_id,
                kinds: profile
            })
            .collect::<Vec<_>>()
    );
    let mark = chrono::Utc::now();
    let mut left = pupil("p2");
    left.left_on = Some(date(2025, 9, 30));
    let mut moved = membership("p3", "g1");
    moved.grade = zorgsignaal::domain::Grade::new(5).expect("grade");
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[pupil("p1"), left, pupil("p3")],
            &[group("g1")],
            &[membership("p1", "g1"), membership("p2", "g1"), moved],
            at(2025, 9, 30, 3),
        )
        .await
        .expect("snapshot");
    let mut other = pupil("q1");
    other.school = other_brin();
    let mut other_group = group("g9");
    other_group.school = other_brin();
    let mut other_member = membership("q1", "g9");
    other_member.school = other_brin();
    store
        .apply_snapshot(
            &other_brin(),
            year(),
            &[other],
            &[other_group],
            &[other_member],
            at(2025, 9, 30, 3),
        )
        .await
        .expect("other school");
    assert_eq!(
        changes_since(store, mark).await,
        vec![
            PupilChanges {
                pupil_id: p2,
                kinds: profile
            },
            PupilChanges {
                pupil_id: p3,
                kinds: profile
            }
        ]
    );
}

pub async fn profiles_and_results_read_alone_are_what_the_history_holds(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let id = ids(store).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "everything");
    page.results = vec![
        result(Source::Parnassys, "r2", "p1", date(2025, 9, 9), "IV"),
        result(Source::Parnassys, "r1", "p1", date(2025, 9, 2), "V"),
        result(Source::Parnassys, "r3", "p2", date(2025, 9, 2), "III"),
    ];
    page.plans = vec![plan("hp1", Some("p1")), plan("gp1", None)];
    page.dyslexia_statements = vec![DyslexiaStatementRecord {
        source: Source::Parnassys,
        school: brin(),
        external_id: "d1".into(),
        pupil_external_id: "p2".into(),
        on: None,
    }];
    store.apply_page(&page).await.expect("page");
    let mut tomb = PageBatch::new(Source::Parnassys, brin(), "results");
    tomb.tombstones = vec![Tombstone {
        kind: RecordKind::Result,
        external_id: "r3".into(),
    }];
    store.apply_page(&tomb).await.expect("tombstone");

    let asked = [id["p3"], id["p1"], 999_999, id["p2"]];
    let whole = store
        .pupil_histories_for(&brin(), &asked)
        .await
        .expect("histories");
    assert_eq!(whole.len(), 3);
    let profiles = store.pupil_profiles_for(&brin(), &asked).await.expect("profiles");
    let without_results: Vec<_> = whole
        .iter()
        .cloned()
        .map(|mut h| {
            h.results.clear();
            h
        })
        .collect();
    assert_eq!(
        profiles, without_results,
        "the profile is the history without its results"
    );
    let profile = |external_id: &str| {
        profiles
            .iter()
            .find(|h| h.pupil.pupil.external_id == external_id)
            .expect("profile")
    };
    assert_eq!(
        (profile("p1").plans.len(), profile("p1").group_plans.len()),
        (1, 1)
    );
    assert!(profile("p2").pupil.pupil.dyslexia_statement.is_some());

    let results = store.pupil_results_for(&brin(), &asked).await.expect("results");
    let expected: BTreeMap<i64, Vec<_>> = whole
        .into_iter()
        .filter(|h| !h.results.is_empty())
        .map(|h| (h.pupil.id, h.results))
        .collect();
    assert_eq!(results, expected, "live results only, by date then id");
    assert_eq!(results.len(), 1, "p2's one result is withdrawn, p3 has none");
    let taken: Vec<_> = results[&id["p1"]]
        .iter()
        .map(|r| r.result.external_id.as_str())
        .collect();
    assert_eq!(taken, ["r1", "r2"]);

    assert!(
        store
            .pupil_profiles_for(&brin(), &[])
            .await
            .expect("none")
            .is_empty()
    );
    assert!(
        store
            .pupil_results_for(&brin(), &[])
            .await
            .expect("none")
            .is_empty()
    );
    assert!(
        store
            .pupil_results_for(&other_brin(), &[id["p1"]])
            .await
            .expect("other school")
            .is_empty()
    );
    assert!(
        store
            .pupil_profiles_for(&other_brin(), &[id["p1"]])
            .await
            .expect("other school")
            .is_empty()
    );
}
