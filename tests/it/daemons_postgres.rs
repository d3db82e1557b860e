//! Issue 15 item 5: three `zorgsignaal run` processes (the real binary) on one PostgreSQL share a
//! sync school by school, and one of them is SIGKILLed while it holds a school's sync run. Then
//! every school ends synced and evaluated for the slot (the killed daemon's run taken over by a
//! peer within the job lease, `attempts` 2), no run failed, and every task the evaluations made is
//! pushed to the mock exactly once. Needs `ZORGSIGNAAL_TEST_POSTGRES_URL`.
//!
//! Not covered here (docs/OPERATIONS.md §8.4 "Several daemons"): injected source faults, a second
//! kill mid-outbox, the digest (mail is kept quiet by a holiday around today) and a comparison
//! of the store with a clean single-daemon run.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use mocks::{GenParams, MockBoard, MockConfig};
use sqlx::Connection;

use crate::common::daemon_world as world;
use world::*;

const POSTGRES_ENV: &str = "ZORGSIGNAAL_TEST_POSTGRES_URL";
/// Deadline of each wait; generous for a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_daemons_share_a_sync_and_take_over_a_killed_ones_school() {
    let Ok(admin) = std::env::var(POSTGRES_ENV) else {
        eprintln!("skipped: {POSTGRES_ENV} not set");
        return;
    };
    let name = format!("zs_daemons_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let params = GenParams {
        seed: 7,
        schools: 6,
        pupils_per_school: 25,
        years: 3,
        ..GenParams::default()
    };
    let (dataset, _) = mocks::generate(&params);
    let board = MockBoard::start(MockConfig::fixture(dataset.clone()))
        .await
        .expect("mock board");
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive();
    // The sync slot: a few seconds after the daemons started, one second only (6-field cron).
    let slot_local = (Utc::now() + TimeDelta::seconds(20)).with_timezone(&chrono_tz::Europe::Amsterdam);
    let cron = slot_local.format("%-S %-M %-H %-d %-m *").to_string();
    let config = |api_port: u16| {
        let toml = config_toml(
            &dataset,
            &board,
            &ConfigParams {
                store_url: &url,
                smtp_port: free_port(),
                api_port,
                // Slow enough that a school's sync is still running when the kill comes.
                rate: 12,
                holiday: (today - TimeDelta::days(1), today + TimeDelta::days(1)),
            },
        )
        .replacen("sync = \"0 0 30 2 *\"", &format!("sync = \"{cron}\""), 1)
        .replacen("[schedule]\n", "[schedule]\njob_lease = \"6s\"\n", 1)
        .replacen("[outbox]\n", "[sync]\nconcurrency = 2\n\n[outbox]\n", 1);
        let path = tmp.path().join(format!("daemon-{api_port}.toml"));
        std::fs::write(&path, toml).expect("write config");
        path
    };
    let configs: Vec<_> = (0..3).map(|_| config(free_port())).collect();
    cli(&configs[0], &["migrate"]).await;
    // The roll first (pupils), by hand: the daemons share the REST sync, its evaluations and the
    // outbox.
    cli(&configs[0], &["sync", "--source", "parnassys_gkv"]).await;

    let mut daemons: Vec<Option<Daemon>> = configs
        .iter()
        .enumerate()
        .map(|(i, c)| Some(Daemon::start(c, &tmp.path().join(format!("daemon-{i}.log")))))
        .collect();
    let pool = sqlx::PgPool::connect(&url).await.expect("pool");

    // The first daemon seen holding a school's sync run is killed.
    let (victim, run_id) = poll(WAIT, "a daemon holds a school's sync run", || {
        let (pool, pids) = (
            pool.clone(),
            daemons
                .iter()
                .map(|d| d.as_ref().and_then(Daemon::pid))
                .collect::<Vec<_>>(),
        );
        async move {
            let held: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, worker FROM jobs WHERE status = 'running' AND job LIKE 'sync:%' ORDER BY id",
            )
            .fetch_all(&pool)
            .await
            .ok()?;
            held.into_iter().find_map(|(id, worker)| {
                let pid: u32 = worker.split(':').nth(1)?.parse().ok()?;
                pids.iter().position(|p| *p == Some(pid)).map(|i| (i, id))
            })
        }
    })
    .await;
    daemons[victim].take().expect("victim").sigkill().await;

    // Every school synced and evaluated for the slot, by the survivors.
    let schools: Vec<String> = board.schools();
    let done: BTreeMap<String, (String, i64)> = poll(WAIT, "every school synced and evaluated", || {
        let (pool, schools) = (pool.clone(), schools.clone());
        async move {
            let rows: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT job, status, attempts FROM jobs WHERE job LIKE '%:%'")
                    .fetch_all(&pool)
                    .await
                    .ok()?;
            let rows: BTreeMap<String, (String, i64)> =
                rows.into_iter().map(|(j, s, a)| (j, (s, a))).collect();
            let all = schools.iter().all(|s| {
                ["sync", "evaluate"].iter().all(|job| {
                    rows.get(&format!("{job}:{s}"))
                        .is_some_and(|(status, _)| status == "done")
                })
            });
            all.then_some(rows)
        }
    })
    .await;
    let failed: Vec<_> = done.iter().filter(|(_, (s, _))| s != "done").collect();
    assert!(failed.is_empty(), "runs not done: {failed:?}");
    let (taken,): (i64,) = sqlx::query_as("SELECT attempts FROM jobs WHERE id = $1")
        .bind(run_id)
        .fetch_one(&pool)
        .await
        .expect("the killed daemon's run");
    assert_eq!(taken, 2, "the killed daemon's school run was taken over once");
    let workers: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT worker FROM jobs WHERE job LIKE 'sync:%' AND status = 'done'")
            .fetch_all(&pool)
            .await
            .expect("workers");
    assert!(
        workers.len() >= 2,
        "the surviving daemons shared the sync: {workers:?}"
    );

    // Every task of the evaluations pushed exactly once.
    let store = open_store(&url).await;
    let rows = poll(WAIT, "the outbox drained", || {
        let store = store.clone();
        async move {
            let rows = outbox(store.as_ref()).await;
            rows.iter()
                .all(|r| r.status == zorgsignaal::store::OutboxStatus::Sent)
                .then_some(rows)
        }
    })
    .await;
    assert!(!rows.is_empty(), "the evaluations made tasks to push");
    assert_exactly_once(&rows, &board);

    for d in daemons.iter_mut().filter_map(Option::take) {
        assert!(d.sigterm(Duration::from_secs(45)).await.success());
    }
    store.close().await;
    pool.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .expect("drop database");
}
