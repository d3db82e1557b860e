//! Harness for the store contract suite: a fresh database per test on each engine, and small
//! fixture builders. PostgreSQL tests need `ZORGSIGNAAL_TEST_POSTGRES_URL`; without it they say
//! so on stderr and pass.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use futures::FutureExt;
use sqlx::Connection;
use zorgsignaal::domain::{
    Brin, Evidence, Grade, Group, Membership, Pupil, ReferenceScore, SchoolYear, Severity, Signal,
    SignalStatus, Source, Task, TaskKind, TestResult,
};
use zorgsignaal::store::{self, Store};

/// Environment variable naming an admin URL of a PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "ZORGSIGNAAL_TEST_POSTGRES_URL";

/// Engines the suite runs on.
#[derive(Debug, Clone, Copy)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// What a test gets: a migrated store and the URL to open a second one (a "second process").
#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub url: String,
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{}{}", &base[..host_end], name, query)
}

/// Runs `test` on a fresh, migrated database of `engine`, then removes the database.
pub async fn run<F, Fut>(engine: Engine, test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()>,
{
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            // A path in a directory that does not exist yet: the file is created on first use.
            let url = format!("sqlite://{}", dir.path().join("zorgsignaal.db").display());
            let store = store::open(&url).await.expect("open sqlite");
            store.migrate().await.expect("migrate sqlite");
            test(Ctx {
                store: store.clone(),
                url,
            })
            .await;
            store.close().await;
        }
        Engine::Postgres => {
            let Ok(admin) = std::env::var(POSTGRES_ENV) else {
                eprintln!("skipped: {POSTGRES_ENV} not set");
                return;
            };
            let name = format!("zs_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to test postgres");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let url = with_database(&admin, &name);
            let store = store::open(&url).await.expect("open postgres");
            store.migrate().await.expect("migrate postgres");
            let outcome = AssertUnwindSafe(test(Ctx {
                store: store.clone(),
                url,
            }))
            .catch_unwind()
            .await;
            store.close().await;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop test database");
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

pub fn brin() -> Brin {
    Brin::parse("11ZW").expect("brin")
}

pub fn other_brin() -> Brin {
    Brin::parse("22AB").expect("brin")
}

pub fn year() -> SchoolYear {
    SchoolYear::parse("2025-2026").expect("school year")
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

pub fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("timestamp")
}

pub fn pupil(id: &str) -> Pupil {
    Pupil {
        school: brin(),
        source: Source::ParnassysGkv,
        external_id: id.into(),
        national_id_hash: None,
        given_name: format!("Kind {id}"),
        surname_prefix: None,
        surname: "Jansen".into(),
        birth_date: Some(date(2017, 3, 4)),
        left_on: None,
        dyslexia_statement: None,
    }
}

pub fn group(id: &str) -> Group {
    Group {
        school: brin(),
        external_id: id.into(),
        name: format!("Groep {id}"),
        school_year: year(),
    }
}

pub fn membership(pupil: &str, group: &str) -> Membership {
    Membership {
        school: brin(),
        pupil_external_id: pupil.into(),
        group_external_id: group.into(),
        grade: Grade::new(4).expect("grade"),
        from: date(2025, 8, 1),
        to: None,
    }
}

/// Puts pupils `ids` in group `g1` through a snapshot.
pub async fn enrol(store: &dyn Store, ids: &[&str]) {
    let pupils: Vec<Pupil> = ids.iter().map(|i| pupil(i)).collect();
    let members: Vec<Membership> = ids.iter().map(|i| membership(i, "g1")).collect();
    store
        .apply_snapshot(
            &brin(),
            year(),
            &pupils,
            &[group("g1")],
            &members,
            at(2025, 9, 1, 3),
        )
        .await
        .expect("snapshot");
}

pub fn result(source: Source, id: &str, pupil: &str, taken_on: NaiveDate, level: &str) -> TestResult {
    TestResult {
        source,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: pupil.into(),
        test_code: "DMT".into(),
        part_code: Some("K1".into()),
        test_name: "Drie-Minuten-Toets".into(),
        provider: Some("Cito".into()),
        taken_on,
        stated_moment: None,
        raw_score: Some(21.0),
        ability: None,
        reference_scores: vec![ReferenceScore::parse("IV", level).expect("level")],
    }
}

pub fn signal(key: &str, pupil: &str, result_ids: &[&str]) -> Signal {
    Signal {
        key: key.into(),
        rule: "dmt_three_lowest".into(),
        rule_version: 1,
        school: brin(),
        pupil_external_id: pupil.into(),
        domain: None,
        severity: Severity::High,
        status: SignalStatus::Open,
        opened_on: date(2026, 2, 1),
        explanation: "Drie keer V(E) op de DMT.".into(),
        evidence: result_ids
            .iter()
            .map(|id| Evidence {
                kind: "result".into(),
                id: (*id).into(),
                date: date(2026, 1, 20),
                test: Some("DMT".into()),
                moment: Some("M4".into()),
                level: Some("V-".into()),
                scale: Some("IV".into()),
                percentile: None,
                ability_score: None,
                source: Some(Source::Parnassys),
                note: None,
            })
            .collect(),
        eed_criterion: None,
        snoozed_until: None,
        dismissed_reason: None,
    }
}

pub fn task(key: &str, pupil: &str) -> Task {
    Task {
        key: key.into(),
        signal_key: None,
        kind: TaskKind::IbTask,
        school: brin(),
        pupil_external_id: pupil.into(),
        target: Source::Parnassys,
        title: "Drie keer V(E) op DMT: dyslexieonderzoek overwegen".into(),
        body: "Zie signaal.".into(),
        due_on: None,
    }
}

#[test]
fn database_name_is_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
    let _ = sqlx::postgres::PgConnectOptions::from_str(&with_database("postgres://h", "x")).expect("valid");
}

/// The ids of the pupils of [`brin`] whose records changed at or after `since`
/// (`pupil_changes_since` without the kinds), in id order.
pub async fn changed_pupils(store: &dyn Store, since: DateTime<Utc>) -> Vec<i64> {
    store
        .pupil_changes_since(&brin(), since)
        .await
        .expect("changed pupils")
        .into_iter()
        .map(|c| c.pupil_id)
        .collect()
}
