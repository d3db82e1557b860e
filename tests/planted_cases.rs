//! The planted cases of the mock generator (`--emit-expected`) come out as expected after a full
//! sync from the mock servers into SQLite and an evaluation at the dataset's reference date: every
//! `fires` has a stored signal of that rule for that pupil (and domain, and EED criterion), every
//! `silent` has none. A mismatch prints a table with the pupil's signals and their explanations.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use mocks::{Expected, GenParams, MockBoard, MockConfig};
use zorgsignaal::app::demo::demo_config_toml;
use zorgsignaal::app::evaluate::evaluate_schools;
use zorgsignaal::app::open_store;
use zorgsignaal::domain::{Brin, EedCriterion, Signal};
use zorgsignaal::rules::RULES;
use zorgsignaal::settings::Settings;
use zorgsignaal::store::{SignalFilter, Store};
use zorgsignaal::sync::{NoProgress, SyncEngine, SyncOptions};

/// Every signal in the store, per (school, pupil external id).
type SignalsByPupil = HashMap<(String, String), Vec<Signal>>;

fn eed_str(e: Option<EedCriterion>) -> &'static str {
    match e {
        Some(EedCriterion::Met) => "met",
        Some(EedCriterion::NotMet) => "not_met",
        Some(EedCriterion::Unknown) => "unknown",
        None => "-",
    }
}

/// Whether `s` is a signal the expectation talks about (rule, and domain when one is given).
fn concerns(e: &Expected, s: &Signal) -> bool {
    s.rule == e.rule
        && e.domain
            .as_deref()
            .is_none_or(|d| s.domain.map(|x| x.as_str()) == Some(d))
}

/// `None` when the expectation holds, else what was found instead.
fn check(e: &Expected, signals: &[Signal]) -> Option<String> {
    let matching: Vec<&Signal> = signals.iter().filter(|s| concerns(e, s)).collect();
    match e.expect.as_str() {
        "fires" if matching.is_empty() => Some("geen signaal".into()),
        "fires" => match e.eed_criterion.as_deref() {
            Some(want) if !matching.iter().any(|s| eed_str(s.eed_criterion) == want) => Some(format!(
                "eed_criterion {}",
                matching
                    .iter()
                    .map(|s| eed_str(s.eed_criterion))
                    .collect::<Vec<_>>()
                    .join(",")
            )),
            _ => None,
        },
        "silent" if matching.is_empty() => None,
        "silent" => Some(format!(
            "{} signaal/signalen ({})",
            matching.len(),
            matching
                .iter()
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        other => Some(format!("onbekende verwachting {other:?}")),
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
        let signals = by_pupil
            .get(&(e.school.clone(), e.pupil_id.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if signals.is_empty() {
            let _ = writeln!(out, "    (no signals for this pupil)");
        }
        for s in signals {
            let _ = writeln!(
                out,
                "    - {} [{}] eed={} opened {}: {}",
                s.rule,
                s.domain.map_or("-", |d| d.as_str()),
                eed_str(s.eed_criterion),
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
            out.entry((school.to_owned(), ext)).or_default().push(row.signal);
        }
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

    // Enough planted cases on both sides for every rule of DOMAIN.md §6.
    let mut per_rule: BTreeMap<&str, (usize, usize)> = RULES.iter().map(|(r, _)| (*r, (0, 0))).collect();
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
    assert_eq!(per_rule.len(), 10, "DOMAIN.md §6 has ten rules");
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
    let mismatches: Vec<(&Expected, String)> = expected
        .iter()
        .filter_map(|e| {
            let signals = by_pupil
                .get(&(e.school.clone(), e.pupil_id.clone()))
                .map(Vec::as_slice)
                .unwrap_or_default();
            check(e, signals).map(|got| (e, got))
        })
        .collect();
    store.close().await;
    board.shutdown().await;
    if !mismatches.is_empty() {
        let table = mismatch_table(&mismatches, &by_pupil);
        println!("{table}");
        panic!("{table}");
    }
}
