//! The planted cases of the mock generator (`--emit-expected`) come out as expected after a full
//! sync from the mock servers into SQLite and an evaluation at the dataset's reference date: every
//! `fires` has a stored signal of that rule for that pupil (and domain, and EED criterion), every
//! `silent` has none. The rules that reach the school as a task and not as a signal of their own
//! (`TASKS_NOT_SIGNALS`, issue 17) are read from the pupil's tasks. A mismatch prints a table with the pupil's signals and their explanations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use mocks::{Expected, GenParams, MockBoard, MockConfig};
use zorgsignaal::app::demo::demo_config_toml;
use zorgsignaal::app::evaluate::evaluate_schools;
use zorgsignaal::app::{open_store, today_amsterdam};
use zorgsignaal::domain::{Brin, EedCriterion, Signal};
use zorgsignaal::rules::RULES;
use zorgsignaal::rules::engine::TASKS_NOT_SIGNALS;
use zorgsignaal::settings::Settings;
use zorgsignaal::store::{OutboxFilter, SignalFilter, Store};
use zorgsignaal::sync::{NoProgress, SyncEngine, SyncOptions};

/// A signal as far as the comparison goes, from the store or from `signals --json`.
#[derive(Debug, Clone)]
struct Got {
    rule: String,
    domain: Option<String>,
    eed_criterion: Option<String>,
    /// Signal key (store) or id (JSON), to name it in the table.
    name: String,
    opened_on: String,
    explanation: String,
}

impl Got {
    fn from_signal(s: Signal) -> Self {
        Self {
            domain: s.domain.map(|d| d.as_str().to_owned()),
            eed_criterion: s.eed_criterion.map(|e| eed_str(e).to_owned()),
            name: s.key,
            opened_on: s.opened_on.to_string(),
            explanation: s.explanation,
            rule: s.rule,
        }
    }
}

/// Every signal, per (school, pupil external id); group signals (issue 16 item 10) per (school,
/// `group:<group external id>`).
type SignalsByPupil = HashMap<(String, String), Vec<Got>>;

/// Whose signals an expectation is about: the pupil's, or for a group-plan case the group's.
fn subject(e: &Expected) -> (String, String) {
    match &e.group_id {
        Some(g) => (e.school.clone(), format!("group:{g}")),
        None => (e.school.clone(), e.pupil_id.clone()),
    }
}

/// Adds the stored group signals of `school` to `out`.
async fn add_group_signals(store: &dyn Store, school: &str, out: &mut SignalsByPupil) {
    let brin = Brin::parse(school).expect("planted BRIN");
    for row in store.group_signals(&brin, None).await.expect("group signals") {
        let s = row.signal;
        out.entry((school.to_owned(), format!("group:{}", s.group_external_id)))
            .or_default()
            .push(Got {
                rule: s.rule,
                domain: s.domain.map(|d| d.as_str().to_owned()),
                eed_criterion: None,
                name: s.key,
                opened_on: s.opened_on.to_string(),
                explanation: s.explanation,
            });
    }
}

/// A task of a rule that reaches the school as a task, not a signal of its own
/// (`TASKS_NOT_SIGNALS`: the owner's evaluation reminder, the teacher's plan request merged into
/// its learning signal), as the comparison sees it: its rule and domain from its key.
fn got_from_task(key: &str, title: &str) -> Option<Got> {
    let mut parts = key.split('/');
    let rule = parts.next()?;
    if !TASKS_NOT_SIGNALS.contains(&rule) {
        return None;
    }
    let domain = parts.nth(1).filter(|d| *d != "none").map(str::to_owned);
    Some(Got {
        rule: rule.to_owned(),
        domain,
        eed_criterion: None,
        name: format!("taak {key}"),
        opened_on: String::new(),
        explanation: title.to_owned(),
    })
}

/// Adds the stored tasks of `TASKS_NOT_SIGNALS` rules of `school` to `out`, per pupil.
async fn add_task_only_rules(store: &dyn Store, school: &str, out: &mut SignalsByPupil) {
    let brin = Brin::parse(school).expect("planted BRIN");
    let items = store
        .outbox(&OutboxFilter {
            school: Some(brin),
            ..OutboxFilter::default()
        })
        .await
        .expect("outbox");
    for item in items {
        if let Some(got) = got_from_task(&item.task.key, &item.task.title) {
            out.entry((school.to_owned(), item.task.pupil_external_id.clone()))
                .or_default()
                .push(got);
        }
    }
}

fn eed_str(e: EedCriterion) -> &'static str {
    match e {
        EedCriterion::Met => "met",
        EedCriterion::NotMet => "not_met",
        EedCriterion::Unknown => "unknown",
    }
}

/// Whether `s` is a signal the expectation talks about (rule, and domain when one is given).
fn concerns(e: &Expected, s: &Got) -> bool {
    s.rule == e.rule && e.domain.as_deref().is_none_or(|d| s.domain.as_deref() == Some(d))
}

/// `None` when the expectation holds, else what was found instead.
fn check(e: &Expected, signals: &[Got]) -> Option<String> {
    let matching: Vec<&Got> = signals.iter().filter(|s| concerns(e, s)).collect();
    let eed = |s: &&Got| s.eed_criterion.clone().unwrap_or_else(|| "-".into());
    match e.expect.as_str() {
        "fires" if matching.is_empty() => Some("geen signaal".into()),
        "fires" => match &e.eed_criterion {
            Some(want) if !matching.iter().any(|s| eed(s) == *want) => Some(format!(
                "eed_criterion {}",
                matching.iter().map(eed).collect::<Vec<_>>().join(",")
            )),
            _ => None,
        },
        "silent" if matching.is_empty() => None,
        "silent" => Some(format!(
            "{} signaal/signalen ({})",
            matching.len(),
            matching
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        other => Some(format!("onbekende verwachting {other:?}")),
    }
}

/// Checks every expectation; prints and panics with the table of mismatches.
fn assert_all_hold(expected: &[Expected], by_pupil: &SignalsByPupil, how: &str) {
    let mismatches: Vec<(&Expected, String)> = expected
        .iter()
        .filter_map(|e| {
            let signals = by_pupil.get(&subject(e)).map(Vec::as_slice).unwrap_or_default();
            check(e, signals).map(|got| (e, got))
        })
        .collect();
    if !mismatches.is_empty() {
        let table = format!("{how}: {}", mismatch_table(&mismatches, by_pupil));
        println!("{table}");
        panic!("{table}");
    }
}

fn mismatch_table(mismatches: &[(&Expected, String)], by_pupil: &SignalsByPupil) -> String {
    let mut out = format!(
        "{} planted case(s) did not come out as expected:\n",
        mismatches.len()
    );
    let _ = writeln!(
        out,
        "{:<24} {:<6} {:<12} {:<22} {:<14} got",
        "rule", "school", "pupil", "domain", "expected"
    );
    for (e, got) in mismatches {
        let expected = match &e.eed_criterion {
            Some(c) => format!("{} ({c})", e.expect),
            None => e.expect.clone(),
        };
        let _ = writeln!(
            out,
            "{:<24} {:<6} {:<12} {:<22} {:<14} {got}",
            e.rule,
            e.school,
            e.pupil_id,
            e.domain.as_deref().unwrap_or("-"),
            expected
        );
        let _ = writeln!(out, "    case: {}", e.description);
        let signals = by_pupil.get(&subject(e)).map(Vec::as_slice).unwrap_or_default();
        if signals.is_empty() {
            let _ = writeln!(out, "    (no signals for this pupil)");
        }
        for s in signals {
            let _ = writeln!(
                out,
                "    - {} [{}] eed={} opened {}: {}",
                s.rule,
                s.domain.as_deref().unwrap_or("-"),
                s.eed_criterion.as_deref().unwrap_or("-"),
                s.opened_on,
                s.explanation
            );
        }
    }
    out
}

/// Collects every stored signal of every school, keyed by the pupil's external (mock) id, and
/// checks that every planted pupil exists in the store.
async fn signals_by_pupil(store: &dyn Store, expected: &[Expected]) -> SignalsByPupil {
    let schools: BTreeSet<&str> = expected.iter().map(|e| e.school.as_str()).collect();
    let mut out = SignalsByPupil::new();
    for school in schools {
        let brin = Brin::parse(school).expect("planted BRIN");
        let external: HashMap<i64, String> = store
            .pupil_histories(&brin)
            .await
            .expect("pupil histories")
            .into_iter()
            .map(|h| (h.pupil.id, h.pupil.pupil.external_id))
            .collect();
        for e in expected.iter().filter(|e| e.school == school) {
            assert!(
                external.values().any(|x| *x == e.pupil_id),
                "planted pupil {} of {school} is not in the store after the sync",
                e.pupil_id
            );
        }
        let rows = store
            .signals(&SignalFilter {
                school: Some(brin.clone()),
                ..SignalFilter::default()
            })
            .await
            .expect("signals");
        for row in rows {
            let ext = external
                .get(&row.pupil_id)
                .cloned()
                .expect("every signal belongs to a stored pupil");
            out.entry((school.to_owned(), ext))
                .or_default()
                .push(Got::from_signal(row.signal));
        }
        add_group_signals(store, school, &mut out).await;
        add_task_only_rules(store, school, &mut out).await;
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_planted_case_comes_out_as_expected_after_sync_and_evaluate() {
    planted_cases_hold(GenParams::default()).await;
}

/// Reference dates where the planted histories meet their edges: the June 15 deadline itself (the
/// retaken E sitting must already be seen), the 30 days before it (an OPP is reminded, the coming
/// deadline counts) and spring (M round done, E not yet). A small board keeps it quick.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_planted_cases_also_hold_on_other_reference_dates() {
    for as_of in ["2026-06-15", "2026-05-20", "2027-03-20"] {
        planted_cases_hold(GenParams {
            seed: 9,
            schools: 1,
            pupils_per_school: 15,
            as_of: as_of.parse().expect("date"),
            ..GenParams::default()
        })
        .await;
    }
}

/// Generates and serves the board of `params`, syncs it into a fresh SQLite store, evaluates every
/// school at `params.as_of` and checks every planted expectation.
async fn planted_cases_hold(params: GenParams) {
    let as_of = params.as_of;
    let (dataset, expected) = mocks::generate(&params);
    assert!(!expected.is_empty(), "the default board plants cases");
    assert!(expected.iter().all(|e| e.as_of == as_of));

    // Enough planted cases on both sides for every rule of docs/DOMAIN.md §6.
    let mut per_rule: BTreeMap<&str, (usize, usize)> = RULES.iter().map(|r| (r.id, (0, 0))).collect();
    for e in &expected {
        let counts = per_rule
            .get_mut(e.rule.as_str())
            .unwrap_or_else(|| panic!("planted rule {:?} is not a rule of the engine", e.rule));
        match e.expect.as_str() {
            "fires" => counts.0 += 1,
            "silent" => counts.1 += 1,
            other => panic!("unknown expectation {other:?}"),
        }
    }
    assert_eq!(
        per_rule.len(),
        22,
        "docs/DOMAIN.md §6 has ten rules; issue 16 added reference_level_low and avi_stagnation, issue 18 the two absence rules, gifted_candidate, dyscalculia_check, the three social-emotional rules, concern_notes and the two OPP procedure rules"
    );
    for (rule, (fires, silent)) in &per_rule {
        assert!(
            *fires >= 3 && *silent >= 3,
            "{rule}: {fires} fires and {silent} silent planted cases, want ≥ 3 of each"
        );
    }

    let board = MockBoard::start(MockConfig::generated(params.clone()))
        .await
        .expect("mock board starts");
    assert_eq!(
        board.expected(),
        expected.as_slice(),
        "the served board is the generated one"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("zorgsignaal.sqlite");
    let toml = demo_config_toml(&dataset, &board, &db, false);
    let settings = Settings::from_toml_str(&toml).expect("configuration for the mock board");
    let store = open_store(&settings).await.expect("open store");

    let engine = SyncEngine::from_settings(&settings, store.clone()).expect("sync engine");
    let sync = engine
        .run_once(
            &SyncOptions {
                full: true,
                ..SyncOptions::new(as_of)
            },
            &NoProgress,
        )
        .await;
    assert!(!sync.any_failed(), "sync failed:\n{}", sync.render());
    evaluate_schools(store.as_ref(), &settings, None, as_of)
        .await
        .expect("evaluate");

    let by_pupil = signals_by_pupil(store.as_ref(), &expected).await;
    store.close().await;
    board.shutdown().await;
    assert_all_hold(&expected, &by_pupil, &format!("in-process, as of {as_of}"));
}

const BIN: &str = env!("CARGO_BIN_EXE_zorgsignaal");

/// Runs `zorgsignaal --config <config> <args>` to completion on a blocking thread.
async fn run_bin(config: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config").arg(config).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run zorgsignaal"))
        .await
        .expect("join");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The same through the real binary and its JSON contract: `sync --full`, `evaluate --as-of`,
/// `signals --status all --json`. The sync binary asks the mock for today's school year, so this
/// board is generated with today (Europe/Amsterdam) as its reference date; the planted cases hold
/// on any date (the mocks' own checker and the test above cover fixed edge dates).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_gives_the_planted_outcomes_in_signals_json() {
    let as_of = today_amsterdam();
    let params = GenParams {
        seed: 11,
        schools: 1,
        pupils_per_school: 15,
        as_of,
        ..GenParams::default()
    };
    let (dataset, expected) = mocks::generate(&params);
    let board = MockBoard::start(MockConfig::generated(params.clone()))
        .await
        .expect("mock board starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("zorgsignaal.sqlite");
    let config = dir.path().join("zorgsignaal.toml");
    std::fs::write(&config, demo_config_toml(&dataset, &board, &db, false)).expect("write config");

    let (code, out, err) = run_bin(&config, &["sync", "--once", "--full"]).await;
    assert_eq!(code, 0, "sync failed:\n{out}\n{err}");
    let as_of_arg = as_of.to_string();
    let (code, out, err) = run_bin(&config, &["evaluate", "--as-of", &as_of_arg]).await;
    assert_eq!(code, 0, "evaluate failed:\n{out}\n{err}");
    let (code, out, err) = run_bin(&config, &["signals", "--status", "all", "--json"]).await;
    assert_eq!(code, 0, "signals failed:\n{err}");
    // The owner's reminders and the plan requests reach the school as tasks (issue 17).
    let (code, tasks_out, err) = run_bin(&config, &["outbox", "--json"]).await;
    assert_eq!(code, 0, "outbox failed:\n{err}");
    board.shutdown().await;
    let signals: Vec<serde_json::Value> = serde_json::from_str(&out).expect("signals --json is an array");
    assert!(!signals.is_empty());

    // `pupil.id` is the store id: map it to the mock's pupil id through the store.
    let store = zorgsignaal::store::open(&format!("sqlite://{}", db.display()))
        .await
        .expect("open the binary's store");
    let mut external: HashMap<(String, i64), String> = HashMap::new();
    // Group signals are not part of the `signals --json` contract (a pupil's signals): read
    // them from the binary's store.
    let mut by_pupil = SignalsByPupil::new();
    for school in expected.iter().map(|e| e.school.clone()).collect::<BTreeSet<_>>() {
        let brin = Brin::parse(&school).expect("BRIN");
        for h in store.pupil_histories(&brin).await.expect("pupil histories") {
            external.insert((school.clone(), h.pupil.id), h.pupil.pupil.external_id);
        }
        add_group_signals(store.as_ref(), &school, &mut by_pupil).await;
    }
    store.close().await;
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    for s in &signals {
        let school = text(&s["school"]).expect("school");
        let pupil = s["pupil"]["id"].as_i64().expect("pupil.id");
        let ext = external
            .get(&(school.clone(), pupil))
            .cloned()
            .expect("a signal's pupil is in the store");
        by_pupil.entry((school, ext)).or_default().push(Got {
            rule: text(&s["rule"]).expect("rule"),
            domain: text(&s["domain"]),
            eed_criterion: text(&s["eed_criterion"]),
            name: format!("signal {}", s["id"]),
            opened_on: text(&s["opened_on"]).unwrap_or_default(),
            explanation: text(&s["explanation"]).unwrap_or_default(),
        });
    }
    let tasks: Vec<serde_json::Value> = serde_json::from_str(&tasks_out).expect("outbox --json is an array");
    for t in &tasks {
        let (Some(school), Some(pupil), Some(key)) =
            (text(&t["school"]), text(&t["pupil_external_id"]), text(&t["key"]))
        else {
            panic!("an outbox row without school, pupil or key: {t}");
        };
        if let Some(got) = got_from_task(&key, &text(&t["title"]).unwrap_or_default()) {
            by_pupil.entry((school, pupil)).or_default().push(got);
        }
    }
    assert_all_hold(&expected, &by_pupil, &format!("binary, as of {as_of}"));
}

/// Fire rates of the rules on a generated board without planted pupils (issue 17's signal
/// economy; issue 18 items 3 and 4 measured with it, docs/RULES.md §4c): a full sync of seed 42,
/// six schools of 250 pupils, four school years up to 15-07-2026, then the real evaluation
/// pipeline at the end of 2024-2025 (the start state) and after each round and season of
/// 2025-2026. Prints the signals per rule that the replay opened in 2025-2026 per 100 pupils
/// enrolled on 01-03-2026. Sampled dates, not every day: a signal found and gone between two
/// dates is missed, so these are lower bounds for the round-based rules. Run with
/// `cargo test --workspace --test it planted_cases::fire_rates -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement (a few minutes), not a check"]
async fn fire_rates_per_rule_over_a_school_year() {
    let ymd = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let end = ymd(2026, 7, 15);
    let params = GenParams {
        seed: 42,
        schools: 6,
        pupils_per_school: 250,
        years: 4,
        as_of: end,
        planted: false,
        ..GenParams::default()
    };
    let (dataset, _) = mocks::generate(&params);
    let census = ymd(2026, 3, 1);
    let pupils: usize = dataset
        .schools
        .iter()
        .map(|s| {
            s.groepsindelingen
                .iter()
                .filter(|m| m.vanaf_datum >= ymd(2025, 8, 1) && m.vanaf_datum <= census)
                .filter(|m| m.tot_datum.is_none_or(|t| t >= census))
                .map(|m| m.leerling)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .sum();
    let board = MockBoard::start(MockConfig::generated(params.clone()))
        .await
        .expect("mock board starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("zorgsignaal.sqlite");
    let settings = Settings::from_toml_str(&demo_config_toml(&dataset, &board, &db, false)).expect("config");
    let store = open_store(&settings).await.expect("open store");
    let engine = SyncEngine::from_settings(&settings, store.clone()).expect("sync engine");
    let sync = engine
        .run_once(
            &SyncOptions {
                full: true,
                ..SyncOptions::new(end)
            },
            &NoProgress,
        )
        .await;
    assert!(!sync.any_failed(), "sync failed:\n{}", sync.render());
    let keys = |rows: Vec<zorgsignaal::store::SignalRow>| -> BTreeMap<String, String> {
        rows.into_iter().map(|r| (r.signal.key, r.signal.rule)).collect()
    };
    evaluate_schools(store.as_ref(), &settings, None, ymd(2025, 7, 15))
        .await
        .expect("evaluate");
    let start = keys(store.signals(&SignalFilter::default()).await.expect("signals"));
    for (m, d) in [
        (9, 15),
        (11, 1),
        (12, 20),
        (2, 20),
        (3, 20),
        (5, 1),
        (6, 5),
        (6, 20),
        (7, 15),
    ] {
        let y = if m >= 8 { 2025 } else { 2026 };
        evaluate_schools(store.as_ref(), &settings, None, ymd(y, m, d))
            .await
            .expect("evaluate");
    }
    let all = keys(store.signals(&SignalFilter::default()).await.expect("signals"));
    store.close().await;
    board.shutdown().await;
    let mut new: BTreeMap<&str, usize> = BTreeMap::new();
    let mut at_start: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, rule) in &all {
        let slot = if start.contains_key(key) {
            &mut at_start
        } else {
            &mut new
        };
        *slot.entry(rule.as_str()).or_default() += 1;
    }
    let per100 = |n: usize| 100.0 * n as f64 / pupils as f64;
    println!("pupils enrolled on {census}: {pupils}");
    println!(
        "{:<26} {:>8} {:>10} {:>12}",
        "rule", "at start", "new 25-26", "new per 100"
    );
    for r in RULES {
        let (s, n) = (
            at_start.get(r.id).copied().unwrap_or(0),
            new.get(r.id).copied().unwrap_or(0),
        );
        println!("{:<26} {s:>8} {n:>10} {:>12.2}", r.id, per100(n));
    }
    let total: usize = new.values().sum();
    println!(
        "{:<26} {:>8} {total:>10} {:>12.2}",
        "all",
        at_start.values().sum::<usize>(),
        per100(total)
    );
    assert!(pupils > 0);
}
