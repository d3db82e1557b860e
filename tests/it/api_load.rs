//! Load figure for docs/BENCHMARKS.md (ignored by default): a 100-school board in a SQLite
//! store, `wrk` against the school overview on loopback while a sync writes pages of results for
//! other schools. Run: `cargo test --test it api_load:: -- --ignored --nocapture` (needs `wrk`).
//! Bounded: the load runs for `ZORGSIGNAAL_LOAD_SECS` seconds (default 20) with
//! `ZORGSIGNAAL_LOAD_CONNECTIONS` connections (default 4, at least 2) and stops by itself.

use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use zorgsignaal::api::{self, AppState};
use zorgsignaal::domain::{
    Brin, Grade, Group, Membership, Pupil, ReferenceScore, School, SchoolYear, Severity, Signal,
    SignalStatus, Source, TestResult,
};
use zorgsignaal::settings::ApiSettings;
use zorgsignaal::store::{self, NewUser, PageBatch, Role, Store};

use crate::common::api_world as world;

const SCHOOLS: usize = 100;
const PUPILS: usize = 160;
const RESULTS: usize = 8;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn result(brin: &Brin, pupil: usize, n: usize, stream: &str) -> TestResult {
    let levels = ["I", "II", "III", "IV", "V"];
    TestResult {
        source: Source::Parnassys,
        external_id: format!("{stream}-{pupil}-{n}"),
        school: brin.clone(),
        pupil_external_id: format!("p{pupil}"),
        test_code: if n.is_multiple_of(2) {
            "DMT".into()
        } else {
            "RW".into()
        },
        part_code: None,
        test_name: if n.is_multiple_of(2) {
            "Drie-Minuten-Toets".into()
        } else {
            "Rekenen-Wiskunde".into()
        },
        provider: Some("Cito".into()),
        taken_on: d(2022 + (n / 2) as i32, if n.is_multiple_of(2) { 1 } else { 6 }, 15),
        stated_moment: None,
        raw_score: None,
        ability: None,
        reference_scores: vec![ReferenceScore::parse("IV", levels[(pupil + n) % 5]).expect("level")],
    }
}

async fn seed_school(store: &dyn Store, i: usize) -> Brin {
    let brin = Brin::parse(&format!("{:02}AA", i)).expect("brin");
    store
        .upsert_school(&School {
            brin: brin.clone(),
            name: format!("School {i}"),
            care_ladder: "abcd".into(),
        })
        .await
        .expect("school");
    let year = SchoolYear::of_date(zorgsignaal::app::today_amsterdam());
    let groups: Vec<Group> = (1..=8)
        .map(|g| Group {
            school: brin.clone(),
            external_id: format!("g{g}"),
            name: format!("Groep {g}"),
            school_year: year,
        })
        .collect();
    let pupils: Vec<Pupil> = (0..PUPILS)
        .map(|p| Pupil {
            school: brin.clone(),
            source: Source::ParnassysGkv,
            external_id: format!("p{p}"),
            national_id_hash: None,
            given_name: format!("Kind{p}"),
            surname_prefix: None,
            surname: "Achternaam".into(),
            birth_date: None,
            left_on: None,
            dyslexia_statement: None,
        })
        .collect();
    let members: Vec<Membership> = (0..PUPILS)
        .map(|p| Membership {
            school: brin.clone(),
            pupil_external_id: format!("p{p}"),
            group_external_id: format!("g{}", p % 8 + 1),
            grade: Grade::new((p % 8 + 1) as u8).expect("grade"),
            from: year.first_day(),
            to: None,
        })
        .collect();
    store
        .apply_snapshot(&brin, year, &pupils, &groups, &members, Utc::now())
        .await
        .expect("snapshot");
    let mut page = PageBatch::new(Source::Parnassys, brin.clone(), "results");
    for p in 0..PUPILS {
        for n in 0..RESULTS {
            page.results.push(result(&brin, p, n, "r"));
        }
    }
    page.finished = true;
    store.apply_page(&page).await.expect("results");
    let ids: Vec<(i64, String)> = store
        .known_pupils(&brin)
        .await
        .expect("pupils")
        .into_iter()
        .map(|k| (k.id, k.external_id))
        .collect();
    for (id, ext) in ids.iter().step_by(6) {
        let s = Signal {
            key: format!("load|{brin}|{ext}"),
            rule: "dmt_three_lowest".into(),
            rule_version: 1,
            school: brin.clone(),
            pupil_external_id: ext.clone(),
            domain: None,
            severity: [Severity::Low, Severity::Medium, Severity::High][(*id as usize) % 3],
            status: SignalStatus::Open,
            opened_on: d(2026, 1, 20),
            explanation: "Drie keer V.".into(),
            evidence: Vec::new(),
            eed_criterion: None,
            snoozed_until: None,
            dismissed_reason: None,
        };
        store.upsert_signal(&s, *id).await.expect("signal");
    }
    brin
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "load figure: run by hand with wrk installed"]
async fn school_overview_p95_under_load_with_a_sync_running() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("load.db").display());
    let store = store::open(&url).await.expect("open");
    store.migrate().await.expect("migrate");
    let started = Instant::now();
    let mut brins = Vec::new();
    for i in 0..SCHOOLS {
        brins.push(seed_school(store.as_ref(), i).await);
    }
    println!(
        "seeded {SCHOOLS} schools x {PUPILS} pupils x {RESULTS} results in {:?}",
        started.elapsed()
    );
    let hash = api::auth::hash_password(&SecretString::from(world::PASSWORD)).expect("hash");
    store
        .create_user(&NewUser {
            username: "ib".into(),
            role: Role::Ib,
            schools: vec![brins[0].clone()],
            password_hash: hash,
        })
        .await
        .expect("user");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let shutdown = CancellationToken::new();
    tokio::spawn(api::serve(
        listener,
        AppState::new(store.clone(), ApiSettings::default()),
        shutdown.clone(),
    ));
    let w = world::Client {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        base: base.clone(),
        session: None,
        csrf: String::new(),
    };
    let res = w.login("ib", world::PASSWORD).await;
    let session = world::cookie_value(&res, "zs_session").expect("session");
    let check = world::Client {
        session: Some(session.clone()),
        ..w
    };
    let first = Instant::now();
    let res = check.get(&format!("/scholen/{}", brins[0])).await;
    assert_eq!(res.status(), 200, "overview answers for the logged-in IB");
    println!("first overview (cold) in {:?}", first.elapsed());

    // A sync writing pages of results for the other schools while the load runs.
    let sync_store = store.clone();
    let stop = shutdown.clone();
    let sync_brins = brins[1..].to_vec();
    let sync = tokio::spawn(async move {
        let mut pages = 0usize;
        'outer: for round in 0.. {
            for brin in &sync_brins {
                if stop.is_cancelled() {
                    break 'outer;
                }
                let mut page = PageBatch::new(Source::Parnassys, brin.clone(), "sync");
                for p in 0..PUPILS {
                    page.results.push(result(brin, p, 100 + round, "s"));
                }
                sync_store.apply_page(&page).await.expect("sync page");
                pages += 1;
            }
        }
        pages
    });

    let secs: u64 = std::env::var("ZORGSIGNAAL_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let connections: u32 = std::env::var("ZORGSIGNAAL_LOAD_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let script = dir.path().join("p95.lua");
    std::fs::write(
        &script,
        "done = function(summary, latency, requests)\n\
         io.write(string.format(\"p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f requests=%d errors=%d\\n\",\n\
           latency:percentile(50)/1000, latency:percentile(95)/1000, latency:percentile(99)/1000,\n\
           summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read\n\
           + summary.errors.write + summary.errors.timeout))\nend\n",
    )
    .expect("script");
    let target = format!("{base}/scholen/{}", brins[0]);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("wrk")
            .args([
                "-t2",
                &format!("-c{}", connections.max(2)),
                &format!("-d{secs}s"),
                "--timeout",
                "5s",
                "-H",
            ])
            .arg(format!("Cookie: zs_session={session}"))
            .arg("-s")
            .arg(&script)
            .arg(&target)
            .output()
    })
    .await
    .expect("join")
    .expect("run wrk (apt-get install -y wrk)");
    shutdown.cancel();
    let pages = tokio::time::timeout(Duration::from_secs(60), sync)
        .await
        .expect("sync stops")
        .expect("sync task");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}\nsync pages applied during the run: {pages}");
    assert!(
        out.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("errors=0"), "requests failed under load");
    assert!(pages > 0, "the sync ran during the load");
}
