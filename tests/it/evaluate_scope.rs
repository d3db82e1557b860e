//! Re-evaluation after a sync touches only pupils with new data; the first evaluation of a day
//! covers everyone (date-based rules move with the date alone).

use chrono::Utc;
use mocks::MockConfig;
use world::*;
use zorgsignaal::app::evaluate::{Scope, evaluate_schools_scoped};
use zorgsignaal::settings::Settings;
use zorgsignaal::sync::NoProgress;

use crate::common::sync_world as world;

#[tokio::test]
async fn re_evaluation_after_a_sync_touches_only_pupils_with_new_data() {
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let first = engine.run_once(&opts, &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    let settings = Settings::from_toml_str(&config_toml(&board, &url, 25, 50)).expect("settings");
    let as_of = opts.today;

    let all = evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::AllPupils)
        .await
        .expect("evaluate all");
    let pupils_total: usize = all.iter().map(|s| s.pupils).sum();
    assert!(pupils_total > 5, "the board has pupils: {all:?}");

    // Nothing changed: a scoped re-evaluation looks at nobody.
    let since = Utc::now();
    let idle = evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::ChangedSince(since))
        .await
        .expect("evaluate changed");
    assert_eq!(idle.iter().map(|s| s.pupils).sum::<usize>(), 0);

    // One result of one pupil changes at the source: after the sync, exactly that pupil.
    let brin = board.schools()[0].clone();
    let result = board.inspect(|st| st.schools[&brin].results.iter().next().expect("a result").clone());
    let mut changed = result.clone();
    changed.score = Some(changed.score.unwrap_or(0.0) + 7.0);
    board.upsert_result(&brin, changed).expect("change a result");
    let second = engine.run_once(&opts, &NoProgress).await;
    assert!(!second.any_failed(), "{}", second.render());
    let scoped = evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::ChangedSince(since))
        .await
        .expect("evaluate changed");
    assert_eq!(scoped.iter().map(|s| s.pupils).sum::<usize>(), 1, "{scoped:?}");
    assert_eq!(
        scoped.iter().map(|s| s.signals_created).sum::<usize>(),
        0,
        "nothing new for one score"
    );
}

/// The daily run over every pupil re-finds every open signal: what the store holds unchanged is
/// counted and not written again, and a signal whose stored evidence differs from what the rules
/// find now is still updated (the comparison in memory decides as the store's would).
#[tokio::test]
async fn a_daily_run_writes_only_what_changed() {
    use zorgsignaal::store::{OutboxFilter, SignalFilter};
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let first = engine.run_once(&opts, &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    let settings = Settings::from_toml_str(&config_toml(&board, &url, 25, 50)).expect("settings");
    let as_of = opts.today;

    let run = || evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::AllPupils);
    let one = run().await.expect("first run");
    let created: usize = one.iter().map(|s| s.signals_created).sum();
    assert!(created > 0, "the generated board has signals: {one:?}");
    let all_signals = SignalFilter::default();
    let signals = || store.signals(&all_signals);
    let before = signals().await.expect("signals");
    let outbox_before = store
        .outbox(&OutboxFilter::default())
        .await
        .expect("outbox")
        .len();

    let two = run().await.expect("second run");
    assert_eq!(two.iter().map(|s| s.signals_created).sum::<usize>(), 0, "{two:?}");
    assert_eq!(two.iter().map(|s| s.signals_updated).sum::<usize>(), 0, "{two:?}");
    assert_eq!(two.iter().map(|s| s.tasks_created).sum::<usize>(), 0, "{two:?}");
    assert_eq!(
        two.iter().map(|s| s.signals_unchanged).sum::<usize>(),
        created,
        "{two:?}"
    );
    assert_eq!(signals().await.expect("signals"), before, "nothing written");
    assert_eq!(
        store
            .outbox(&OutboxFilter::default())
            .await
            .expect("outbox")
            .len(),
        outbox_before
    );

    // The store holds other evidence for one signal (as after a rule change): the next run
    // writes it back, once.
    let row = before.first().expect("a signal");
    let mut stale = row.signal.clone();
    stale.evidence.truncate(stale.evidence.len().saturating_sub(1));
    stale.severity = zorgsignaal::domain::Severity::Low;
    store
        .upsert_signal(&stale, row.pupil_id)
        .await
        .expect("stale evidence");
    let three = run().await.expect("third run");
    assert_eq!(
        three.iter().map(|s| s.signals_updated).sum::<usize>(),
        1,
        "{three:?}"
    );
    let restored = store.signal(row.id).await.expect("signal");
    assert_eq!(restored.signal.evidence, row.signal.evidence);
    assert_eq!(restored.signal.severity, row.signal.severity);
}

/// The daemon keeps the histories between its daily runs and reads again only the kinds of records
/// that changed of the pupils whose data changed (issue 17): what it hands the rules is what the
/// store holds, after a changed score, after a changed or withdrawn absence, measurement, note and
/// plan, after a pupil left, and after as many runs as it serves before a whole read.
#[tokio::test]
async fn the_history_cache_hands_the_rules_what_the_store_holds() {
    use zorgsignaal::app::evaluate::{FULL_READ_EVERY, HistoryCache, note_window_start, read_rule_histories};
    let board = board(MockConfig::generated(params(1))).await;
    let (store, _url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let first = engine.run_once(&opts, &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    let brin = board.schools()[0].clone();
    let school = zorgsignaal::domain::Brin::parse(&brin).expect("brin");
    let as_of = opts.today;
    let whole = || read_rule_histories(store.as_ref(), &school, None, note_window_start(as_of));
    let mut cache = HistoryCache::default();
    let read = cache
        .rule_histories(store.as_ref(), &school, as_of)
        .await
        .expect("first read");
    assert_eq!(read, whole().await.expect("histories"));
    assert!(!read.is_empty());
    assert!(
        read.iter().any(|h| !h.absences.is_empty() || !h.notes.is_empty()),
        "the histories carry absences and notes"
    );

    // A score changes at the source.
    let result = board.inspect(|st| st.schools[&brin].results.iter().next().expect("a result").clone());
    let mut changed = result.clone();
    changed.score = Some(changed.score.unwrap_or(0.0) + 7.0);
    board.upsert_result(&brin, changed).expect("change a result");
    let second = engine.run_once(&opts, &NoProgress).await;
    assert!(!second.any_failed(), "{}", second.render());
    let now = whole().await.expect("histories");
    assert_ne!(now, read, "the sync changed a history");
    assert_eq!(
        cache
            .rule_histories(store.as_ref(), &school, as_of)
            .await
            .expect("refresh"),
        now
    );

    // Each kind of record changes for some pupil: a corrected absence, a new measurement, a
    // withdrawn note and a retitled plan; then the absence and the measurement are withdrawn.
    // Only the kinds that changed are read again (issue 17); the rules get what the store holds.
    let (absence, note, plan) = board.inspect(|st| {
        let s = &st.schools[&brin];
        (
            s.absences.iter().next().expect("an absence").clone(),
            s.notes.iter().next().expect("a note").clone(),
            s.plans
                .iter()
                .find(|p| p.leerling_id.is_some())
                .expect("a pupil's plan")
                .clone(),
        )
    });
    let measurement = mocks::model::SocialEmotional {
        id: 9_000_000_001,
        leerling_id: absence.leerling_id,
        instrument: "ZIEN!".into(),
        schaal: "welbevinden".into(),
        afnamedatum: as_of,
        categorie: "rood".into(),
    };
    let mut corrected = absence.clone();
    corrected.uren = if corrected.uren > 1.0 {
        corrected.uren - 1.0
    } else {
        corrected.uren + 1.0
    };
    let mut retitled = plan.clone();
    retitled.titel.push_str(" (bijgesteld)");
    board
        .upsert(&brin, mocks::Record::Absence(corrected))
        .expect("correct an absence");
    board
        .upsert(&brin, mocks::Record::SocialEmotional(measurement.clone()))
        .expect("a new measurement");
    assert!(board.delete_note(&brin, note.id).expect("withdraw a note"));
    board.upsert_plan(&brin, retitled).expect("retitle a plan");
    let mut before = whole().await.expect("histories");
    for round in ["changed", "withdrawn"] {
        if round == "withdrawn" {
            assert!(
                board
                    .delete(&brin, mocks::StreamKind::Absences, absence.id)
                    .expect("withdraw the absence")
            );
            assert!(
                board
                    .delete(&brin, mocks::StreamKind::SocialEmotional, measurement.id)
                    .expect("withdraw the measurement")
            );
        }
        let synced = engine.run_once(&opts, &NoProgress).await;
        assert!(!synced.any_failed(), "{}", synced.render());
        let now = whole().await.expect("histories");
        assert_ne!(now, before, "{round}: the sync changed histories");
        assert_eq!(
            cache
                .rule_histories(store.as_ref(), &school, as_of)
                .await
                .expect("refresh"),
            now,
            "{round}"
        );
        before = now;
    }

    // A pupil leaves (missing from the next GKV snapshot).
    let pupil = board.inspect(|st| st.schools[&brin].leerlingen[0].id);
    assert!(board.remove_pupil(&brin, pupil).expect("remove"));
    let third = engine.run_once(&opts, &NoProgress).await;
    assert!(!third.any_failed(), "{}", third.render());
    assert!(
        store
            .known_pupils(&school)
            .await
            .expect("known pupils")
            .iter()
            .any(|p| p.left_on.is_some()),
        "the pupil is marked left"
    );
    let now = whole().await.expect("histories");
    for _ in 0..=FULL_READ_EVERY {
        assert_eq!(
            cache
                .rule_histories(store.as_ref(), &school, as_of)
                .await
                .expect("refresh"),
            now
        );
    }
}

/// A pupil who has left the school (uitgeschreven: `left_on` on or before the evaluation day) is
/// kept until retention deletes him, but no rule looks at him any more: no new signal, no task
/// pushed into a file the school no longer keeps (a replayed year pushed "OPP met de ouders
/// evalueren" for a pupil who left two years before, on the day before retention removed him).
#[tokio::test]
async fn a_pupil_who_left_gets_no_signal_and_no_task() {
    use std::collections::{BTreeMap, HashSet};
    use zorgsignaal::store::{OutboxFilter, SignalFilter};
    let board = board(MockConfig::generated(params(3))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let first = engine.run_once(&opts, &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    let settings = Settings::from_toml_str(&config_toml(&board, &url, 25, 50)).expect("settings");
    let as_of = opts.today;
    let mut left = HashSet::new();
    let mut by_school = BTreeMap::new();
    for brin in board.schools() {
        let brin = zorgsignaal::domain::Brin::parse(&brin).expect("brin");
        let known = store.known_pupils(&brin).await.expect("known pupils");
        let gone: Vec<i64> = known
            .iter()
            .filter(|p| p.left_on.is_some_and(|l| l <= as_of))
            .map(|p| p.id)
            .collect();
        by_school.insert(brin.to_string(), (known.len(), gone.len()));
        left.extend(gone);
    }
    assert!(
        !left.is_empty(),
        "the generated board keeps leavers: {by_school:?}"
    );

    let all = evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::AllPupils)
        .await
        .expect("evaluate all");
    assert!(
        all.iter().map(|s| s.signals_created).sum::<usize>() > 0,
        "{all:?}"
    );
    let signals = store.signals(&SignalFilter::default()).await.expect("signals");
    let of_leavers: Vec<&str> = signals
        .iter()
        .filter(|s| left.contains(&s.pupil_id))
        .map(|s| s.signal.rule.as_str())
        .collect();
    assert!(
        of_leavers.is_empty(),
        "signals of pupils who left: {of_leavers:?}"
    );
    let outbox = store.outbox(&OutboxFilter::default()).await.expect("outbox");
    assert!(!outbox.is_empty(), "tasks for the pupils who stayed");
    let leaver_ids: HashSet<String> = {
        let mut ids = HashSet::new();
        for brin in board.schools() {
            let brin = zorgsignaal::domain::Brin::parse(&brin).expect("brin");
            for p in store.known_pupils(&brin).await.expect("known") {
                if left.contains(&p.id) {
                    ids.insert(p.external_id);
                }
            }
        }
        ids
    };
    let leaver_tasks: Vec<&str> = outbox
        .iter()
        .filter(|o| leaver_ids.contains(&o.task.pupil_external_id))
        .map(|o| o.task.title.as_str())
        .collect();
    assert!(
        leaver_tasks.is_empty(),
        "tasks for pupils who left: {leaver_tasks:?}"
    );
}

/// When a pupil leaves, his active signals are resolved by the next evaluation, with the date in
/// the reason: the IB can no longer act on them and the digest would repeat them weekly.
#[tokio::test]
async fn the_signals_of_a_pupil_who_leaves_are_resolved_with_the_date() {
    use zorgsignaal::domain::{Brin, SignalStatus};
    use zorgsignaal::store::SignalFilter;
    let board = board(MockConfig::generated(params(1))).await;
    let (store, url, _dir) = sqlite().await;
    let engine = engine(&board, store.clone());
    let opts = options(&board);
    let first = engine.run_once(&opts, &NoProgress).await;
    assert!(!first.any_failed(), "{}", first.render());
    let settings = Settings::from_toml_str(&config_toml(&board, &url, 25, 50)).expect("settings");
    let as_of = opts.today;
    evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::AllPupils)
        .await
        .expect("evaluate");
    let signals = store.signals(&SignalFilter::default()).await.expect("signals");
    let leaving = signals
        .iter()
        .find(|s| s.signal.status.is_active())
        .expect("an active signal")
        .clone();
    let brin = leaving.signal.school.clone();
    let pupil: u64 = leaving.signal.pupil_external_id.parse().expect("numeric id");
    assert!(
        board.remove_pupil(brin.as_str(), pupil).expect("remove"),
        "the pupil was enrolled"
    );
    let second = engine.run_once(&opts, &NoProgress).await;
    assert!(!second.any_failed(), "{}", second.render());

    let run = evaluate_schools_scoped(store.as_ref(), &settings, None, as_of, Scope::AllPupils)
        .await
        .expect("evaluate after leaving");
    let of_pupil: Vec<_> = store
        .signals(&SignalFilter {
            school: Some(Brin::parse(brin.as_str()).expect("brin")),
            ..SignalFilter::default()
        })
        .await
        .expect("signals")
        .into_iter()
        .filter(|s| s.pupil_id == leaving.pupil_id)
        .collect();
    assert!(!of_pupil.is_empty());
    assert!(
        of_pupil.iter().all(|s| s.signal.status == SignalStatus::Resolved),
        "{:?}",
        of_pupil.iter().map(|s| s.signal.status).collect::<Vec<_>>()
    );
    let resolved: usize = run.iter().map(|s| s.signals_resolved_left).sum();
    assert_eq!(resolved, of_pupil.len(), "{run:?}");
    let events = store.signal_events(leaving.id).await.expect("events");
    let last = events.last().expect("an event");
    let reason = format!("Leerling uitgeschreven op {}", as_of.format("%d-%m-%Y"));
    assert!(format!("{last:?}").contains(&reason), "{last:?}");
    // Nothing of the others changed.
    let others_active = store
        .signals(&SignalFilter::default())
        .await
        .expect("signals")
        .iter()
        .filter(|s| s.pupil_id != leaving.pupil_id && s.signal.status.is_active())
        .count();
    assert_eq!(
        others_active,
        signals
            .iter()
            .filter(|s| s.pupil_id != leaving.pupil_id && s.signal.status.is_active())
            .count()
    );
}
