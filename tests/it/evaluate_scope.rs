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
