//! Set-based page writes (issue 15) on SQLite and PostgreSQL: pages whose order inside the page
//! matters (an id twice, one sitting under two new ids), pages larger than one statement, a mix
//! of new, changed, aliased and revived results in one page, and the shared test catalogue.

#![allow(dead_code)]

use crate::harness;

use harness::{Ctx, Engine, brin, date, enrol, result};
use zorgsignaal::domain::{Note, Source};
use zorgsignaal::store::{PageBatch, RecordKind, Tombstone};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::harness::run(super::Engine::Sqlite, super::$name).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::harness::run(super::Engine::Postgres, super::$name).await;
            })*
        }
    };
}

on_both_engines! {
    an_id_twice_in_one_page_ends_as_if_applied_one_by_one,
    one_sitting_under_two_new_ids_in_one_page_is_stored_once,
    a_page_larger_than_one_statement_is_written_then_unchanged,
    new_changed_aliased_and_revived_results_in_one_page,
    the_catalogue_keeps_the_last_name_and_provider_of_a_page,
}

fn note(id: &str, pupil: &str, content: &str) -> Note {
    Note {
        source: Source::Leeruniek,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: Some(pupil.into()),
        group_external_id: Some("g1".into()),
        category_path: vec!["Taal".into()],
        created_at: harness::at(2025, 10, 1, 9),
        content: content.into(),
    }
}

async fn an_id_twice_in_one_page_ends_as_if_applied_one_by_one(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    let first = result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V-");
    let mut second = first.clone();
    second.raw_score = Some(35.0);
    page.results = vec![first, second.clone()];
    let s = store.apply_page(&page).await.expect("page");
    assert_eq!((s.results_inserted, s.results_updated), (1, 1));
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h[0].results.len(), 1);
    assert_eq!(h[0].results[0].result, second, "the later version wins");

    let mut notes = PageBatch::new(Source::Leeruniek, brin(), "notes");
    notes.notes = vec![note("n1", "p1", "eerste"), note("n1", "p1", "tweede")];
    let s = store.apply_page(&notes).await.expect("notes");
    assert_eq!((s.notes, s.unchanged), (2, 0));
    let again = store.apply_page(&notes).await.expect("notes again");
    assert_eq!(
        (again.notes, again.unchanged),
        (2, 0),
        "one by one: \"eerste\" differs from the stored \"tweede\", then \"tweede\" from it"
    );
}

async fn one_sitting_under_two_new_ids_in_one_page_is_stored_once(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.results = vec![
        result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V-"),
        result(Source::Parnassys, "r2", "p1", date(2026, 1, 20), "IV"),
    ];
    let s = store.apply_page(&page).await.expect("page");
    assert_eq!((s.results_inserted, s.results_deduplicated), (1, 1));
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h[0].results.len(), 1);
    assert_eq!(h[0].results[0].result.external_id, "r1", "first in the page wins");
    // r2 names the sitting too: tombstoning r1 keeps it.
    let mut tomb = PageBatch::new(Source::Parnassys, brin(), "results");
    tomb.tombstones = vec![Tombstone {
        kind: RecordKind::Result,
        external_id: "r1".into(),
    }];
    store.apply_page(&tomb).await.expect("tombstone");
    assert_eq!(
        store.pupil_histories(&brin()).await.expect("h")[0].results.len(),
        1
    );
}

async fn a_page_larger_than_one_statement_is_written_then_unchanged(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    let start = date(2020, 1, 1);
    for i in 0..1200u32 {
        let pupil = ["p1", "p2", "p3"][(i % 3) as usize];
        let day = start + chrono::Days::new(u64::from(i / 3));
        page.results
            .push(result(Source::Parnassys, &format!("r{i}"), pupil, day, "III"));
    }
    page.new_cursor = Some("c1".into());
    let s = store.apply_page(&page).await.expect("page");
    assert_eq!(s.results_inserted, 1200);
    let again = store.apply_page(&page).await.expect("again");
    assert_eq!(
        (again.results_inserted, again.results_updated, again.unchanged),
        (0, 0, 1200)
    );
    let h = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(h.iter().map(|p| p.results.len()).sum::<usize>(), 1200);
    let ids = store
        .live_external_ids(Source::Parnassys, &brin(), RecordKind::Result)
        .await
        .expect("ids");
    assert_eq!(ids.len(), 1200);
}

async fn new_changed_aliased_and_revived_results_in_one_page(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    // ParnasSys owns s1 and s2; OSO names s2 under its own id.
    let mut ps = PageBatch::new(Source::Parnassys, brin(), "results");
    ps.results = vec![
        result(Source::Parnassys, "s1", "p1", date(2026, 1, 20), "V"),
        result(Source::Parnassys, "s2", "p2", date(2026, 1, 21), "IV"),
    ];
    store.apply_page(&ps).await.expect("parnassys");
    let mut oso = PageBatch::new(Source::Oso, brin(), "results");
    oso.results = vec![result(Source::Oso, "o2", "p2", date(2026, 1, 21), "IV")];
    assert_eq!(store.apply_page(&oso).await.expect("oso").results_deduplicated, 1);
    // Both ids of s2 are tombstoned: the sitting goes.
    for (source, id) in [(Source::Parnassys, "s2"), (Source::Oso, "o2")] {
        let mut tomb = PageBatch::new(source, brin(), "results");
        tomb.tombstones = vec![Tombstone {
            kind: RecordKind::Result,
            external_id: id.into(),
        }];
        assert_eq!(store.apply_page(&tomb).await.expect("tombstone").tombstoned, 1);
    }
    let live = |h: &[zorgsignaal::store::PupilHistory]| h.iter().map(|p| p.results.len()).sum::<usize>();
    assert_eq!(live(&store.pupil_histories(&brin()).await.expect("h")), 1);

    // One OSO page: o2 again (alias of a deleted sitting: it comes back with ParnasSys' content),
    // a new sitting, and an alias of the live s1.
    let mut mixed = PageBatch::new(Source::Oso, brin(), "results");
    let mut o2 = result(Source::Oso, "o2", "p2", date(2026, 1, 21), "I");
    o2.raw_score = Some(99.0);
    mixed.results = vec![
        o2,
        result(Source::Oso, "o3", "p1", date(2026, 3, 2), "II"),
        result(Source::Oso, "o1", "p1", date(2026, 1, 20), "I"),
    ];
    let s = store.apply_page(&mixed).await.expect("mixed");
    assert_eq!(
        (
            s.results_inserted,
            s.results_updated,
            s.results_deduplicated,
            s.unchanged
        ),
        (1, 0, 2, 0)
    );
    let h = store.pupil_histories(&brin()).await.expect("h");
    assert_eq!(live(&h), 3);
    let p2 = h.iter().find(|p| p.pupil.pupil.external_id == "p2").expect("p2");
    assert_eq!(
        p2.results[0].result.source,
        Source::Parnassys,
        "first seen keeps its content"
    );
    assert_eq!(p2.results[0].result.raw_score, Some(21.0));

    // ParnasSys changes s1 and re-sends s2 (live again through o2, same content): unchanged, and
    // its own tombstoned id names the sitting again.
    let mut changed = ps.clone();
    changed.results[0].raw_score = Some(40.0);
    let s = store.apply_page(&changed).await.expect("changed");
    assert_eq!(
        (s.results_updated, s.unchanged, s.results_inserted),
        (1, 1, 0),
        "{s:?}"
    );
    let h = store.pupil_histories(&brin()).await.expect("h");
    assert_eq!(live(&h), 3);
    let p1 = h.iter().find(|p| p.pupil.pupil.external_id == "p1").expect("p1");
    assert!(p1.results.iter().any(|r| r.result.raw_score == Some(40.0)));
    let ids = store
        .live_external_ids(Source::Parnassys, &brin(), RecordKind::Result)
        .await
        .expect("ids");
    assert_eq!(ids, vec!["s1".to_owned(), "s2".to_owned()]);
}

async fn the_catalogue_keeps_the_last_name_and_provider_of_a_page(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    let mut a = result(Source::Parnassys, "r1", "p1", date(2026, 1, 20), "V");
    a.test_name = "DMT oud".into();
    let mut b = result(Source::Parnassys, "r2", "p1", date(2026, 1, 21), "V");
    b.test_code = "dmt ".into();
    b.test_name = "DMT nieuw".into();
    b.provider = None;
    page.results = vec![a, b];
    store.apply_page(&page).await.expect("page");
    let seen = store.tests_seen().await.expect("tests");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (
            seen[0].code.as_str(),
            seen[0].name.as_str(),
            seen[0].provider.as_deref(),
            seen[0].results
        ),
        ("DMT", "DMT nieuw", Some("Cito"), 2)
    );
}
