//! Issue 15 item 4: many schools at once on one PostgreSQL. A full sync of a 20-school board with
//! the daemon's own `[sync]` defaults, and again with 4 and 8 schools at a time, succeeds for every
//! school without a single "database busy" retry (a deadlock or a serialisation failure would be
//! one), and stores exactly the mock's records. Needs `ZORGSIGNAAL_TEST_POSTGRES_URL`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mocks::MockConfig;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use zorgsignaal::domain::{Brin, Source};
use zorgsignaal::settings::SyncSettings;
use zorgsignaal::store::{Engine, RecordKind};
use zorgsignaal::sync::{NoProgress, SyncOptions};

use crate::common::sync_world as world;

/// Counts the sync's "database busy" warnings (one per page written again).
struct BusyRetries(Arc<AtomicUsize>);

struct Message(bool);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && format!("{value:?}").contains("database busy") {
            self.0 = true;
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for BusyRetries {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut m = Message(false);
        event.record(&mut m);
        if m.0 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn twenty_schools_sync_into_postgres_with_the_daemon_defaults_and_at_four_and_eight_at_once() {
    let retries = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry().with(BusyRetries(retries.clone()));
    let _guard = tracing::subscriber::set_default(subscriber);
    let params = mocks::GenParams {
        pupils_per_school: 30,
        ..world::params(20)
    };
    let board = world::board(MockConfig::generated(params)).await;
    let today = board.inspect(|st| st.as_of);
    let defaults = SyncOptions::from_settings(&SyncSettings::default(), Engine::Postgres, today);
    let settings: std::collections::BTreeSet<usize> = [defaults.concurrency, 4, 8].into();
    for concurrency in settings {
        let Some((store, admin, name)) = world::postgres().await else {
            return;
        };
        let engine = world::engine(&board, store.clone());
        let options = SyncOptions {
            concurrency,
            ..defaults.clone()
        };
        let summary = engine.run_once(&options, &NoProgress).await;
        assert!(
            !summary.any_failed(),
            "concurrency {concurrency}:\n{}",
            summary.render()
        );
        assert_eq!(
            retries.load(Ordering::SeqCst),
            0,
            "concurrency {concurrency}: pages were written again after a busy database"
        );
        for brin in board.schools() {
            let [results, notes, plans, ..] = world::mock_ids(&board, &brin);
            let school = Brin::parse(&brin).expect("brin");
            for (kind, want) in [
                (RecordKind::Result, results),
                (RecordKind::Note, notes),
                (RecordKind::Plan, plans),
            ] {
                let stored = store
                    .live_external_ids(Source::Parnassys, &school, kind)
                    .await
                    .expect("live ids");
                let stored: std::collections::BTreeSet<String> = stored.into_iter().collect();
                assert_eq!(stored, want, "concurrency {concurrency}, {brin}, {kind:?}");
            }
        }
        drop(engine);
        world::drop_postgres(store, &admin, &name).await;
    }
}
