//! Sync engine against the mock servers on loopback: full and incremental sync give exactly the
//! mock's content, faults do not change the outcome, a cancelled sync resumes without loss,
//! tokens are refreshed, a revoked school stops alone, bad records go to quarantine.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mocks::model::{ReferenceScore, TestResult as MockResult};
use mocks::{FaultConfig, FaultKind, MockConfig};
use world::*;
use zorgsignaal::domain::{Brin, Source, Task, TaskKind};
use zorgsignaal::store::{PageBatch, RecordKind};
use zorgsignaal::sync::{NoProgress, Progress, StreamState, SyncOptions};

use crate::common::sync_world as world;

#[tokio::test]
async fn full_then_incremental_sync_gives_exactly_the_mock_content() {
    let board = board(MockConfig::generated(params(2))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let first = engine.run_once(&opts, &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    assert_matches_mock(&board, &url).await;

    // Changes and deletions in every stream, and a pupil who leaves.
    let brin = board.schools()[0].clone();
    let (result, note, lu_note, plan, pupil, statements) = board.inspect(|st| {
        let s = &st.schools[&brin];
        let r = s.results.iter().next().expect("a result").clone();
        let mut statements: Vec<mocks::model::DyslexiaStatement> =
            s.dyslexia_statements.iter().cloned().collect();
        statements.sort_by_key(|d| d.id);
        (
            r,
            s.notes.iter().next().expect("a note").id,
            s.lu_notes.iter().next().expect("a lu note").id,
            s.plans.iter().next().expect("a plan").id,
            s.leerlingen
                .iter()
                .find(|p| p.uitstroom.is_none())
                .expect("an enrolled pupil")
                .id,
            statements,
        )
    });
    // Dyslexieverklaringen: one gets its date changed, one is withdrawn (tombstone).
    let [dated, withdrawn, ..] = statements.as_slice() else {
        panic!("the planted school has two dyslexieverklaringen: {statements:?}");
    };
    let mut redated = dated.clone();
    redated.datum = redated.datum.and_then(|d| d.pred_opt());
    board
        .upsert(&brin, mocks::Record::DyslexiaStatement(redated))
        .expect("change a dyslexieverklaring");
    board
        .delete(&brin, mocks::StreamKind::DyslexiaStatements, withdrawn.id)
        .expect("withdraw a dyslexieverklaring");
    let mut changed = result.clone();
    changed.score = Some(99.0);
    board.upsert_result(&brin, changed).expect("change a result");
    let mut added = result.clone();
    added.id = 9_900_001;
    added.afnamedatum = added.afnamedatum.succ_opt().expect("next day");
    board.upsert_result(&brin, added).expect("add a result");
    board.delete_note(&brin, note).expect("delete note");
    board
        .delete(&brin, mocks::StreamKind::LuNotes, lu_note)
        .expect("delete lu note");
    board.delete_plan(&brin, plan).expect("delete plan");
    board.remove_pupil(&brin, pupil).expect("pupil leaves");

    let second = engine.run_once(&opts, &NoProgress).await;
    assert!(!second.any_failed(), "{}", second.render());
    assert_matches_mock(&board, &url).await;
    let known = store
        .known_pupils(&Brin::parse(&brin).expect("brin"))
        .await
        .expect("pupils");
    let left = known
        .iter()
        .find(|p| p.external_id == pupil.to_string())
        .expect("pupil kept");
    assert_eq!(
        left.left_on,
        Some(opts.today),
        "a pupil who left is marked, never deleted"
    );

    // Deleted records stay as soft-deleted history: a fresh full sync has the same live rows.
    let (fresh, fresh_url, _d2) = sqlite().await;
    assert!(
        !world::engine(&board, fresh)
            .run_once(&opts, &NoProgress)
            .await
            .any_failed()
    );
    assert_matches_mock(&board, &fresh_url).await;
}

#[tokio::test]
async fn a_sync_without_changes_costs_one_request_per_stream_per_school() {
    let board = board(MockConfig::generated(params(2))).await;
    let (store, _url, _dir) = sqlite().await;
    let engine = engine(&board, store);
    let opts = options(&board);
    assert!(!engine.run_once(&opts, &NoProgress).await.any_failed());
    board.reset_counters();
    let summary = engine.run_once(&opts, &NoProgress).await;
    assert!(!summary.any_failed(), "{}", summary.render());
    let counts = board.request_counts();
    for label in [
        "gkv.getLeerlingen",
        "parnassys.resultaten",
        "parnassys.notities",
        "parnassys.plannen",
        "parnassys.dyslexieverklaringen",
        "leeruniek.group-plans",
        "leeruniek.notes",
    ] {
        assert_eq!(counts.get(label).copied(), Some(2), "{label} in {counts:?}");
    }
    assert_eq!(counts.get("leeruniek.note-categories"), None, "{counts:?}");
}

/// Issue 16 item 4: the dyslexieverklaringen are read only when the school grants their scope
/// (or all scopes); a configuration that lists its scopes without it is not asked for them and
/// keeps syncing everything else.
#[tokio::test]
async fn dyslexia_statements_are_read_only_with_their_scope() {
    let board = board(MockConfig::generated(params(1))).await;
    let brin = board.schools()[0].clone();
    let planted = board.inspect(|st| st.schools[&brin].dyslexia_statements.iter().count());
    assert!(planted > 0, "the planted school has dyslexieverklaringen");
    let opts = options(&board);
    let without = ["resultaten.read", "notities.read", "plannen.read", "taken.write"];
    let with = [
        "resultaten.read",
        "notities.read",
        "plannen.read",
        "dyslexieverklaringen.read",
        "taken.write",
    ];
    for (scopes, read) in [(&without[..], false), (&with[..], true)] {
        let (store, url, _dir) = sqlite().await;
        board.reset_counters();
        let summary = world::engine_with_parnassys_scopes(&board, store, scopes)
            .run_once(&opts, &NoProgress)
            .await;
        assert!(!summary.any_failed(), "{}", summary.render());
        let counts = board.request_counts();
        assert_eq!(
            counts.contains_key("parnassys.dyslexieverklaringen"),
            read,
            "{scopes:?}: {counts:?}"
        );
        assert!(counts.contains_key("parnassys.plannen"), "{counts:?}");
        let stored = live_ids(&url, "dyslexia_statements", "parnassys", &brin).await;
        assert_eq!(stored.len(), if read { planted } else { 0 }, "{scopes:?}");
    }
}

/// Issue 18 item 2: the verzuim stream is read with its scope (or all scopes) and every absence of
/// the board reaches the store; a configuration that lists its scopes without it is not asked.
#[tokio::test]
async fn absences_are_read_only_with_their_scope_and_all_reach_the_store() {
    let board = board(MockConfig::generated(params(1))).await;
    let brin = board.schools()[0].clone();
    let served = board.inspect(|st| st.schools[&brin].absences.iter().count());
    assert!(served > 20, "the generated school has verzuim: {served}");
    let opts = options(&board);
    let without = ["resultaten.read", "notities.read", "plannen.read", "taken.write"];
    let with = [
        "resultaten.read",
        "notities.read",
        "plannen.read",
        "verzuim.read",
        "taken.write",
    ];
    for (scopes, read) in [(&without[..], false), (&with[..], true), (&[][..], true)] {
        let (store, url, _dir) = sqlite().await;
        board.reset_counters();
        let summary = world::engine_with_parnassys_scopes(&board, store, scopes)
            .run_once(&opts, &NoProgress)
            .await;
        assert!(!summary.any_failed(), "{}", summary.render());
        let counts = board.request_counts();
        assert_eq!(
            counts.contains_key("parnassys.verzuim"),
            read,
            "{scopes:?}: {counts:?}"
        );
        let stored = live_ids(&url, "absences", "parnassys", &brin).await;
        assert_eq!(stored.len(), if read { served } else { 0 }, "{scopes:?}");
    }
}

/// Issue 18 item 1: the sociaal-emotioneel stream is read with its scope (or all scopes) and every
/// measurement of the board reaches the store; a configuration that lists its scopes without it
/// is not asked.
#[tokio::test]
async fn social_emotional_measurements_are_read_only_with_their_scope_and_all_reach_the_store() {
    let board = board(MockConfig::generated(params(1))).await;
    let brin = board.schools()[0].clone();
    let served = board.inspect(|st| st.schools[&brin].social_emotional.iter().count());
    assert!(
        served > 100,
        "the generated school has ZIEN! measurements: {served}"
    );
    let opts = options(&board);
    let without = [
        "resultaten.read",
        "notities.read",
        "plannen.read",
        "verzuim.read",
        "taken.write",
    ];
    let with = [
        "resultaten.read",
        "notities.read",
        "plannen.read",
        "sociaal-emotioneel.read",
        "taken.write",
    ];
    for (scopes, read) in [(&without[..], false), (&with[..], true), (&[][..], true)] {
        let (store, url, _dir) = sqlite().await;
        board.reset_counters();
        let summary = world::engine_with_parnassys_scopes(&board, store, scopes)
            .run_once(&opts, &NoProgress)
            .await;
        assert!(!summary.any_failed(), "{}", summary.render());
        let counts = board.request_counts();
        assert_eq!(
            counts.contains_key("parnassys.sociaal-emotioneel"),
            read,
            "{scopes:?}: {counts:?}"
        );
        let stored = live_ids(&url, "social_emotional", "parnassys", &brin).await;
        assert_eq!(stored.len(), if read { served } else { 0 }, "{scopes:?}");
    }
}

#[tokio::test]
async fn faults_do_not_change_the_final_content() {
    let clean = board(MockConfig::generated(params(2))).await;
    let (store, clean_url, _d1) = sqlite().await;
    assert!(
        !engine(&clean, store)
            .run_once(&options(&clean), &NoProgress)
            .await
            .any_failed()
    );

    let mut config = MockConfig::generated(params(2));
    config.faults = FaultConfig {
        rate: 0.2,
        kinds: FaultKind::ALL.to_vec(),
        slow: std::time::Duration::from_secs(3),
        retry_after_secs: 0,
    };
    let faulty = board(config).await;
    let (store, url, _d2) = sqlite().await;
    let engine = engine(&faulty, store);
    let mut runs = 0;
    loop {
        runs += 1;
        let s = engine.run_once(&options(&faulty), &NoProgress).await;
        if !s.any_failed() && s.streams.iter().all(|o| o.state == StreamState::Ok) {
            break;
        }
        assert!(runs < 30, "still failing after {runs} runs:\n{}", s.render());
    }
    let (a, b) = (digest(&clean_url).await, digest(&url).await);
    assert_eq!(a.0, b.0, "row counts");
    assert_eq!(a.1, b.1, "same digest with and without faults");
}

/// Calls `f` once after `n` applied pages.
struct AfterPages<F: Fn() + Send + Sync> {
    n: usize,
    seen: AtomicUsize,
    f: F,
}

impl<F: Fn() + Send + Sync> Progress for AfterPages<F> {
    fn page_applied(&self, _: Source, _: &Brin, _: &str, _: usize) {
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.n {
            (self.f)();
        }
    }
}

#[tokio::test]
async fn a_sync_cancelled_mid_way_resumes_to_the_same_content_without_duplicates() {
    let board = board(MockConfig::generated(params(2))).await;
    let (reference, ref_url, _d1) = sqlite().await;
    assert!(
        !engine(&board, reference)
            .run_once(&options(&board), &NoProgress)
            .await
            .any_failed()
    );

    let (store, url, _d2) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let stop = Arc::new(tokio::sync::Notify::new());
    let hook = AfterPages {
        n: 5,
        seen: AtomicUsize::new(0),
        f: {
            let stop = stop.clone();
            move || stop.notify_one()
        },
    };
    tokio::select! {
        _ = engine.run_once(&opts, &hook) => panic!("the sync should have been cut off"),
        _ = stop.notified() => {}
    }
    let mid = store.stream_statuses().await.expect("statuses");
    assert!(
        mid.iter()
            .any(|s| s.cursor.as_deref().is_some_and(|c| c.starts_with("page:"))),
        "a full listing was cut off mid-way: {mid:?}"
    );
    let resumed = engine.run_once(&opts, &NoProgress).await;
    assert!(!resumed.any_failed(), "{}", resumed.render());
    let (a, b) = (digest(&ref_url).await, digest(&url).await);
    assert_eq!(a.0, b.0, "row counts (no duplicates)");
    assert_eq!(a.1, b.1, "same content as an uninterrupted sync");
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_mid_run() {
    let board = Arc::new(board(MockConfig::generated(params(1))).await);
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store);
    let hook = AfterPages {
        n: 3,
        seen: AtomicUsize::new(0),
        f: {
            let board = board.clone();
            move || board.expire_tokens()
        },
    };
    let summary = engine.run_once(&options(&board), &hook).await;
    assert!(!summary.any_failed(), "{}", summary.render());
    assert!(
        board.request_count("parnassys.oauth") >= 2,
        "{:?}",
        board.request_counts()
    );
    assert_matches_mock(&board, &url).await;
}

#[tokio::test]
async fn a_revoked_key_stops_that_school_only_with_a_clear_status() {
    let board = board(MockConfig::generated(params(2))).await;
    let (store, _url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let schools = board.schools();
    board.revoke_school(&schools[1]).expect("revoke");
    let summary = engine.run_once(&options(&board), &NoProgress).await;
    assert!(summary.any_failed());
    for o in &summary.streams {
        if o.school.as_str() == schools[0] {
            assert_eq!(o.state, StreamState::Ok, "{o:?}");
        } else {
            assert!(!matches!(o.state, StreamState::Ok), "{o:?}");
        }
    }
    let revoked = summary
        .streams
        .iter()
        .find(|o| o.school.as_str() == schools[1] && o.source == Source::ParnassysGkv)
        .expect("gkv stream");
    assert!(matches!(&revoked.state, StreamState::Stopped { reason } if reason.contains("refused")));
    let statuses = store.stream_statuses().await.expect("statuses");
    let gkv = statuses
        .iter()
        .find(|s| s.school.as_str() == schools[1] && s.source == Source::ParnassysGkv)
        .expect("status row");
    assert!(
        gkv.last_error
            .as_deref()
            .is_some_and(|e| e.contains("supplier key")),
        "{gkv:?}"
    );
    assert!(summary.render().contains("gestopt"));
}

#[tokio::test]
async fn bad_records_go_to_quarantine_and_the_run_goes_on() {
    let board = board(MockConfig::generated(params(1))).await;
    let brin = board.schools()[0].clone();
    let base: MockResult =
        board.inspect(|st| st.schools[&brin].results.iter().next().expect("result").clone());
    let mut bad_level = base.clone();
    bad_level.id = 9_800_001;
    bad_level.referentiescores = vec![ReferenceScore {
        code: "IV".into(),
        waarde: "VII".into(),
    }];
    let mut unknown_pupil = base.clone();
    unknown_pupil.id = 9_800_002;
    unknown_pupil.leerling_id = 424_242;
    let mut unknown_test = base.clone();
    unknown_test.id = 9_800_003;
    unknown_test.toetscode = "SEO".into();
    unknown_test.toetsnaam = "Sociaal-emotioneel".into();
    unknown_test.referentiescores = Vec::new();
    for r in [bad_level, unknown_pupil, unknown_test] {
        board.upsert_result(&brin, r).expect("upsert");
    }
    let (store, url, _dir) = sqlite().await;
    let summary = engine(&board, store.clone())
        .run_once(&options(&board), &NoProgress)
        .await;
    assert!(!summary.any_failed(), "{}", summary.render());
    let rows = store.quarantined(&Default::default()).await.expect("quarantine");
    let reasons: Vec<(Option<String>, String)> = rows
        .iter()
        .map(|r| (r.item.external_id.clone(), r.item.reason.clone()))
        .collect();
    assert!(
        reasons.contains(&(Some("9800001".into()), "unknown level \"VII\" on scale IV".into())),
        "{reasons:?}"
    );
    assert!(
        !reasons.iter().any(|(id, _)| id.as_deref() == Some("9800002")),
        "a result of an unknown pupil is held, not quarantined: {reasons:?}"
    );
    assert_eq!(summary.held(), 1, "{}", summary.render());
    let stored = live_ids(&url, "results", "parnassys", &brin).await;
    assert!(stored.contains("9800003"), "an unmapped test is kept");
}

#[tokio::test]
async fn a_result_from_a_second_source_is_stored_once() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, _url, _dir) = sqlite().await;
    assert!(
        !engine(&board, store.clone())
            .run_once(&options(&board), &NoProgress)
            .await
            .any_failed()
    );
    let brin = Brin::parse(&board.schools()[0]).expect("brin");
    let histories = store.pupil_histories(&brin).await.expect("histories");
    let synced = histories
        .iter()
        .flat_map(|h| &h.results)
        .next()
        .expect("a synced result")
        .result
        .clone();
    let before: usize = histories.iter().map(|h| h.results.len()).sum();
    let mut again = synced.clone();
    again.source = Source::Csv;
    again.external_id = "csv-row-1".into();
    let mut batch = PageBatch::new(Source::Csv, brin.clone(), "csv");
    batch.results.push(again);
    let applied = store.apply_page(&batch).await.expect("apply");
    assert_eq!(applied.results_deduplicated, 1);
    let after: usize = store
        .pupil_histories(&brin)
        .await
        .expect("histories")
        .iter()
        .map(|h| h.results.len())
        .sum();
    assert_eq!(before, after);
}

#[tokio::test]
async fn tasks_are_pushed_once_per_idempotency_key_to_both_systems() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, _url, _dir) = sqlite().await;
    let engine = engine(&board, store);
    let brin = board.schools()[0].clone();
    let pupil = board.inspect(|st| st.schools[&brin].leerlingen[0].id.to_string());
    let c = board.credentials(&brin).expect("credentials");
    let mut task = Task {
        key: "dmt_three_lowest|p|word_reading|2026".into(),
        signal_key: None,
        kind: TaskKind::IbTask,
        school: Brin::parse(&brin).expect("brin"),
        pupil_external_id: pupil,
        target: Source::Parnassys,
        title: "Drie keer V(E) op DMT".into(),
        body: "Dyslexieonderzoek overwegen.".into(),
        due_on: None,
    };
    let ps = engine.parnassys().expect("parnassys");
    let tokens = |url: String, id: &str, secret: &str, http: &zorgsignaal::sources::http::HttpClient| {
        zorgsignaal::sources::oauth::TokenSource::new(
            "test",
            http.reqwest(),
            zorgsignaal::sources::oauth::OAuthConfig {
                token_url: format!("{url}/oauth/token"),
                client_id: id.into(),
                client_secret: secrecy::SecretString::from(secret.to_owned()),
                scopes: Vec::new(),
                skew: std::time::Duration::from_secs(1),
                auth: Default::default(),
            },
        )
        .expect("tokens")
    };
    let pt = tokens(board.parnassys_url(), &c.parnassys.0, &c.parnassys.1, ps.http());
    let first = ps.push_task(&pt, &task).await.expect("push");
    let again = ps.push_task(&pt, &task).await.expect("push again");
    assert!(!first.replayed && again.replayed);
    assert_eq!(first.remote_id, again.remote_id);
    assert_eq!(board.pushed_parnassys_tasks(&brin).len(), 1);

    let lu = engine.leeruniek().expect("leeruniek");
    let lt = tokens(board.leeruniek_url(), &c.leeruniek.0, &c.leeruniek.1, lu.http());
    task.target = Source::Leeruniek;
    task.kind = TaskKind::OwnerReminder;
    lu.push_task(&lt, &task).await.expect("push to leeruniek");
    // The engine routes by target with the school's own credentials.
    let replay = engine.push_task(&task).await.expect("push through the engine");
    assert!(replay.replayed);
    let pushed = board.pushed_leeruniek_tasks(&brin);
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].kind, "reminder");
}

#[tokio::test]
async fn a_full_sync_into_postgres_holds_the_mock_results_and_an_idle_rerun_is_one_request_per_stream() {
    let Some((store, admin, name)) = postgres().await else {
        return;
    };
    let board = board(MockConfig::generated(params(2))).await;
    let engine = engine(&board, store.clone());
    let first = engine.run_once(&options(&board), &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    for brin in board.schools() {
        let [results, ..] = mock_ids(&board, &brin);
        let histories = store
            .pupil_histories(&Brin::parse(&brin).expect("brin"))
            .await
            .expect("histories");
        let stored: std::collections::BTreeSet<String> = histories
            .iter()
            .flat_map(|h| h.results.iter().map(|r| r.result.external_id.clone()))
            .collect();
        assert_eq!(stored, results, "{brin}");
    }
    board.reset_counters();
    assert!(!engine.run_once(&options(&board), &NoProgress).await.any_failed());
    assert_eq!(board.request_count("parnassys.resultaten"), 2);

    // A deletion only a full reconcile can see (the reset cursor skips the feed's tombstone).
    let brin = board.schools()[0].clone();
    let gone = board.inspect(|st| st.schools[&brin].results.iter().next().expect("result").id);
    board.delete_result(&brin, gone).expect("delete");
    let mut full = options(&board);
    full.full = true;
    assert!(!engine.run_once(&full, &NoProgress).await.any_failed());
    let ids = store
        .live_external_ids(
            Source::Parnassys,
            &Brin::parse(&brin).expect("brin"),
            RecordKind::Result,
        )
        .await
        .expect("live ids");
    assert!(!ids.contains(&gone.to_string()));
    assert_eq!(ids.len(), mock_ids(&board, &brin)[0].len());
    drop(engine);
    drop_postgres(store, &admin, &name).await;
}

#[tokio::test]
async fn a_full_resync_reads_everything_again_without_duplicates() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store);
    let mut opts = options(&board);
    assert!(!engine.run_once(&opts, &NoProgress).await.any_failed());
    let before = digest(&url).await;
    opts.full = true;
    board.reset_counters();
    let again = engine.run_once(&opts, &NoProgress).await;
    assert!(!again.any_failed(), "{}", again.render());
    assert!(
        board.request_count("parnassys.resultaten") > 1,
        "everything was paged again"
    );
    assert_eq!(digest(&url).await, before, "same rows, nothing twice");
}

#[tokio::test]
async fn rest_streams_wait_for_a_first_pupil_snapshot() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store);
    let mut opts = options(&board);
    opts.source = Some(Source::Parnassys);
    let s = engine.run_once(&opts, &NoProgress).await;
    assert!(
        s.streams
            .iter()
            .all(|o| matches!(o.state, StreamState::Skipped { .. })),
        "{}",
        s.render()
    );
    assert_eq!(board.request_count("parnassys.resultaten"), 0);
    opts.source = None;
    assert!(!engine.run_once(&opts, &NoProgress).await.any_failed());
    assert_matches_mock(&board, &url).await;
}

#[tokio::test]
async fn a_full_resync_tombstones_what_the_source_deleted_without_telling() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store);
    let mut opts = options(&board);
    assert!(!engine.run_once(&opts, &NoProgress).await.any_failed());
    let brin = board.schools()[0].clone();
    let (result, note, group_plan) = board.inspect(|st| {
        let s = &st.schools[&brin];
        (
            s.results.iter().next().expect("result").id,
            s.notes.iter().next().expect("note").id,
            s.lu_group_plans.iter().next().expect("group plan").id,
        )
    });
    board.delete_result(&brin, result).expect("delete");
    board.delete_note(&brin, note).expect("delete");
    board
        .delete(&brin, mocks::StreamKind::LuGroupPlans, group_plan)
        .expect("delete");
    // `--full` forgets the change-feed position, so the feed's tombstones are never read: only
    // the comparison with the complete listing can notice the deletions.
    opts.full = true;
    let s = engine.run_once(&opts, &NoProgress).await;
    assert!(!s.any_failed(), "{}", s.render());
    assert_matches_mock(&board, &url).await;
    assert!(
        !live_ids(&url, "result_sources", "parnassys", &brin)
            .await
            .contains(&result.to_string())
    );
}

/// Issue 14, item 1: a pupil enrols after the morning snapshot and their results arrive in the
/// afternoon. The results wait (counted in `status`) instead of being lost, and after the next
/// snapshot — no `--full` — they are in the store and the rule fires.
#[tokio::test]
async fn results_of_a_pupil_enrolled_after_the_snapshot_wait_and_are_applied_after_the_next() {
    let params = mocks::GenParams {
        seed: 7,
        schools: 1,
        pupils_per_school: 30,
        years: 3,
        ..mocks::GenParams::default()
    };
    let (mut dataset, expected) = mocks::generate(&params);
    let case = expected
        .iter()
        .find(|e| e.rule == "dmt_three_lowest" && e.expect == "fires")
        .expect("the board plants a dmt_three_lowest case")
        .clone();
    let pupil: u64 = case.pupil_id.parse().expect("numeric pupil id");
    let school = dataset
        .schools
        .iter_mut()
        .find(|s| s.brin == case.school)
        .expect("the case's school");
    // Not enrolled yet, and no results yet.
    let (memberships, others): (Vec<_>, Vec<_>) = school
        .groepsindelingen
        .drain(..)
        .partition(|m| m.leerling == pupil);
    school.groepsindelingen = others;
    let (results, others): (Vec<MockResult>, Vec<_>) =
        school.resultaten.drain(..).partition(|r| r.leerling_id == pupil);
    school.resultaten = others;
    assert!(results.len() >= 3 && !memberships.is_empty());

    let board = board(MockConfig::fixture(dataset)).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let brin = Brin::parse(&case.school).expect("brin");
    let settings = zorgsignaal::settings::Settings::from_toml_str(&config_toml(&board, &url, 25, 1000))
        .expect("settings");

    // Morning: snapshot and every stream.
    let morning = engine.run_once(&opts, &NoProgress).await;
    assert!(!morning.any_failed(), "{}", morning.render());

    // Afternoon: the pupil's results arrive at ParnasSys; the REST sync runs, GKV does not.
    for r in &results {
        board.upsert_result(&case.school, r.clone()).expect("result");
    }
    let afternoon = engine
        .run_once(
            &SyncOptions {
                source: Some(Source::Parnassys),
                ..opts.clone()
            },
            &NoProgress,
        )
        .await;
    assert!(!afternoon.any_failed(), "{}", afternoon.render());
    assert_eq!(afternoon.held(), results.len(), "{}", afternoon.render());
    let waiting: i64 = store
        .held_counts()
        .await
        .expect("held counts")
        .iter()
        .filter(|c| c.school == brin && c.stream == "results")
        .map(|c| c.count)
        .sum();
    assert_eq!(waiting, results.len() as i64, "counted while waiting");
    assert!(
        store
            .quarantined(&Default::default())
            .await
            .expect("quarantine")
            .iter()
            .all(|q| !q.item.reason.contains("unknown pupil")),
        "nothing quarantined as unknown pupil"
    );

    // Next morning: the snapshot lists the pupil; an ordinary sync (no --full).
    board.add_memberships(&case.school, memberships).expect("enrol");
    assert!(!opts.full);
    let next = engine.run_once(&opts, &NoProgress).await;
    assert!(!next.any_failed(), "{}", next.render());
    assert!(
        store
            .held_counts()
            .await
            .expect("held counts")
            .iter()
            .all(|c| c.stream != "results"),
        "nothing of the pupil's results is still waiting"
    );
    let histories = store.pupil_histories(&brin).await.expect("histories");
    let history = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == case.pupil_id)
        .expect("the pupil is stored");
    assert_eq!(history.results.len(), results.len(), "every held result applied");

    zorgsignaal::app::evaluate::evaluate_schools(store.as_ref(), &settings, None, opts.today)
        .await
        .expect("evaluate");
    let signals = store
        .signals(&zorgsignaal::store::SignalFilter {
            school: Some(brin.clone()),
            ..Default::default()
        })
        .await
        .expect("signals");
    assert!(
        signals
            .iter()
            .any(|s| s.pupil_id == history.pupil.id && s.signal.rule == "dmt_three_lowest"),
        "the rule fires for the new pupil"
    );
}

/// Issue 16 item 4: a dyslexieverklaring of a pupil the GKV snapshot does not list yet waits (held,
/// not quarantined) and is applied once the pupil is enrolled: then the low DMT is known and no
/// dyslexieonderzoek is advised.
#[tokio::test]
async fn a_dyslexia_statement_of_a_pupil_not_yet_enrolled_waits_and_is_applied() {
    let params = mocks::GenParams {
        seed: 7,
        schools: 1,
        pupils_per_school: 30,
        years: 3,
        ..mocks::GenParams::default()
    };
    let (mut dataset, _) = mocks::generate(&params);
    let school = dataset
        .schools
        .iter_mut()
        .find(|s| !s.dyslexieverklaringen.is_empty())
        .expect("the planted school has dyslexieverklaringen");
    let brin_s = school.brin.clone();
    let statement = school.dyslexieverklaringen.remove(0);
    let pupil = statement.leerling_id;
    let (memberships, others): (Vec<_>, Vec<_>) = school
        .groepsindelingen
        .drain(..)
        .partition(|m| m.leerling == pupil);
    school.groepsindelingen = others;
    assert!(!memberships.is_empty());

    let board = board(MockConfig::fixture(dataset)).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let brin = Brin::parse(&brin_s).expect("brin");
    let morning = engine.run_once(&opts, &NoProgress).await;
    assert!(!morning.any_failed(), "{}", morning.render());

    board
        .upsert(&brin_s, mocks::Record::DyslexiaStatement(statement.clone()))
        .expect("statement");
    let afternoon = engine
        .run_once(
            &SyncOptions {
                source: Some(Source::Parnassys),
                ..opts.clone()
            },
            &NoProgress,
        )
        .await;
    assert!(!afternoon.any_failed(), "{}", afternoon.render());
    let waiting: i64 = store
        .held_counts()
        .await
        .expect("held counts")
        .iter()
        .filter(|c| c.school == brin && c.stream == "dyslexia_statements")
        .map(|c| c.count)
        .sum();
    assert_eq!(waiting, 1, "the statement waits for its pupil");
    let stored = live_ids(&url, "dyslexia_statements", "parnassys", &brin_s).await;
    assert!(!stored.contains(&statement.id.to_string()));

    board.add_memberships(&brin_s, memberships).expect("enrol");
    let next = engine.run_once(&opts, &NoProgress).await;
    assert!(!next.any_failed(), "{}", next.render());
    let stored = live_ids(&url, "dyslexia_statements", "parnassys", &brin_s).await;
    assert!(
        stored.contains(&statement.id.to_string()),
        "applied once the pupil is known"
    );
    let histories = store.pupil_histories(&brin).await.expect("histories");
    let history = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == pupil.to_string())
        .expect("the pupil is stored");
    assert_eq!(
        history.pupil.pupil.dyslexia_statement.map(|d| d.on),
        Some(statement.datum),
        "only the fact and its date"
    );
}

/// Issue 17: a full reconcile passes over pages it finds stored as they are (reads only, no
/// write lock). A stored absence or measurement that differs from the source, or that was
/// deleted here, must still be seen and written again, and the stream still counts every record
/// it read.
#[tokio::test]
async fn a_full_resync_rewrites_absences_and_measurements_that_differ_from_the_source() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let mut opts = options(&board);
    assert!(!engine.run_once(&opts, &NoProgress).await.any_failed());
    let facts = || async {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open sqlite");
        let mut out = Vec::new();
        for (_, sql) in &crate::common::daemon_world::DAEMON_TABLES[..2] {
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(*sql))
                .fetch_all(&pool)
                .await
                .expect("rows");
            let mut lines: Vec<String> = rows.into_iter().map(|(l,)| l).collect();
            lines.sort();
            out.push(lines);
        }
        pool.close().await;
        out
    };
    let before = facts().await;
    assert!(
        before.iter().all(|t| t.len() > 3 * 25),
        "several pages of absences and measurements: {:?}",
        before.iter().map(Vec::len).collect::<Vec<_>>()
    );
    let records_before: i64 = {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open sqlite");
        let (n,): (i64,) = sqlx::query_as("SELECT SUM(records) FROM sync_cursors")
            .fetch_one(&pool)
            .await
            .expect("records");
        pool.close().await;
        n
    };
    // Behind the source's back: one absence's hours, one measurement's category, and another
    // absence deleted here, each in a different page.
    {
        let pool = sqlx::SqlitePool::connect(&url).await.expect("open sqlite");
        for sql in [
            "UPDATE absences SET hours = hours / 2 WHERE id = (SELECT id FROM absences ORDER BY id LIMIT 1 OFFSET 30)",
            "UPDATE absences SET deleted_at = updated_at WHERE id = (SELECT id FROM absences ORDER BY id LIMIT 1 OFFSET 70)",
            "UPDATE social_emotional SET category = (category + 1) % 3 WHERE id = (SELECT id FROM social_emotional ORDER BY id LIMIT 1 OFFSET 40)",
        ] {
            assert_eq!(
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .expect("update")
                    .rows_affected(),
                1,
                "{sql}"
            );
        }
        pool.close().await;
    }
    assert_ne!(facts().await, before);
    opts.full = true;
    let again = engine.run_once(&opts, &NoProgress).await;
    assert!(!again.any_failed(), "{}", again.render());
    assert_eq!(
        facts().await,
        before,
        "the reconcile wrote the source's values again"
    );
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open sqlite");
    let (records_after,): (i64,) = sqlx::query_as("SELECT SUM(records) FROM sync_cursors")
        .fetch_one(&pool)
        .await
        .expect("records");
    pool.close().await;
    assert_eq!(
        usize::try_from(records_after - records_before).expect("more"),
        again.records(),
        "every record read is counted, written or passed over"
    );
    assert_matches_mock(&board, &url).await;
}
