//! Generator: determinism, planted cases, fixtures.

use std::collections::BTreeMap;

use mocks::{GenParams, MockBoard, MockConfig, fixture, generate};

use crate::common::{get, small_params, token};

const RULES: [&str; 17] = [
    "dmt_three_lowest",
    "eed_check",
    "lowest_level_repeated",
    "level_drop",
    "no_growth",
    "reference_level_low",
    "avi_stagnation",
    "plan_evaluation_due",
    "plan_evaluation_overdue",
    "opp_yearly_evaluation",
    "plan_ineffective",
    "signal_without_plan",
    "social_emotional_low",
    "social_emotional_drop",
    "social_emotional_not_measured",
    "opp_not_drawn_up",
    "opp_parents_agreement",
];

#[test]
fn same_seed_gives_byte_identical_dumps() {
    let a = fixture::to_bytes(&generate(&small_params(11)).0).expect("dump");
    let b = fixture::to_bytes(&generate(&small_params(11)).0).expect("dump");
    let c = fixture::to_bytes(&generate(&small_params(12)).0).expect("dump");
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_rule_has_three_firing_and_three_silent_planted_cases() {
    let (ds, expected) = generate(&small_params(3));
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for e in &expected {
        *counts.entry((e.rule.as_str(), e.expect.as_str())).or_default() += 1;
        assert_eq!(e.as_of, ds.as_of);
        let school = ds.schools.iter().find(|s| s.brin == e.school).expect("school");
        assert!(
            school
                .leerlingen
                .iter()
                .any(|p| p.planted && p.id.to_string() == e.pupil_id),
            "pupil exists"
        );
        assert_eq!(
            e.eed_criterion.is_some(),
            e.rule == "dmt_three_lowest" && e.expect == "fires"
        );
    }
    for rule in RULES {
        assert!(
            counts.get(&(rule, "fires")).copied().unwrap_or(0) >= 3,
            "{rule} fires"
        );
        assert!(
            counts.get(&(rule, "silent")).copied().unwrap_or(0) >= 3,
            "{rule} silent"
        );
    }
    let eed: Vec<_> = expected
        .iter()
        .filter_map(|e| e.eed_criterion.as_deref())
        .collect();
    for c in ["met", "not_met", "unknown"] {
        assert!(eed.contains(&c), "eed {c} planted");
    }
}

#[test]
fn generated_levels_follow_the_percentile_bands() {
    let (ds, _) = generate(&GenParams {
        planted: false,
        schools: 4,
        pupils_per_school: 120,
        ..small_params(5)
    });
    let (mut total, mut v_min, mut v) = (0usize, 0usize, 0usize);
    for r in ds.schools.iter().flat_map(|s| &s.resultaten) {
        for rs in r.referentiescores.iter().filter(|rs| &*rs.code == "IV") {
            total += 1;
            match &*rs.waarde {
                "V-" => v_min += 1,
                "V" => v += 1,
                _ => {}
            }
        }
    }
    let share = |n: usize| n as f64 / total as f64;
    assert!(total > 500);
    assert!(
        (0.06..0.16).contains(&share(v_min)),
        "V- about 10 %: {}",
        share(v_min)
    );
    assert!(
        (0.06..0.16).contains(&share(v)),
        "V about 10 % (V or lower about 20 %): {}",
        share(v)
    );
}

#[tokio::test]
async fn a_dumped_fixture_serves_the_same_data() {
    // With an ESIS-like school, so the dump holds its `uwlr` block too.
    let (ds, _) = generate(&GenParams {
        uwlr_schools: 1,
        ..small_params(9)
    });
    assert!(ds.schools.iter().any(|s| s.uwlr.is_some()));
    let dir = std::env::temp_dir().join(format!("mocks-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("board.json");
    fixture::dump(&ds, &path).expect("dump");
    let loaded = fixture::load(&path).expect("load");
    assert_eq!(loaded, ds);
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../fixture.schema.json")).expect("schema is JSON");
    let dumped: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    for key in schema["required"].as_array().expect("required") {
        assert!(
            dumped.get(key.as_str().expect("key")).is_some(),
            "fixture has {key}"
        );
    }
    // The schema closes every object (`additionalProperties: false`): a field added to the model
    // must be declared there too, or CI's JSON Schema check of the dump fails.
    // The planted school (the first) fills the optional lists.
    assert!(
        !ds.schools[0].dyslexieverklaringen.is_empty()
            && !ds.schools[0].vakanties.is_empty()
            && !ds.schools[0].verzuim.is_empty()
            && !ds.schools[0].sociaal_emotioneel.is_empty(),
        "the dump exercises the optional lists"
    );
    let mut undeclared = Vec::new();
    undeclared_keys(&schema, &schema, &dumped, "$", &mut undeclared);
    assert!(
        undeclared.is_empty(),
        "fields missing from mocks/fixture.schema.json: {undeclared:?}"
    );
    let brin = ds.schools[0].brin.clone();
    let n = ds.schools[0].resultaten.len();
    let board = MockBoard::start(MockConfig::fixture(loaded))
        .await
        .expect("start");
    let t = token(&board, "ps", &brin).await;
    let (status, page) = get(
        &format!("{}/api/v1/scholen/{brin}/resultaten", board.parnassys_url()),
        &t,
        &[("limit", "1000")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().map(Vec::len), Some(n.min(1000)));
    board.shutdown().await;
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

/// Collects the paths of object keys in `value` that `schema` does not declare (following
/// `$ref`s into `$defs` and array `items`).
fn undeclared_keys(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    value: &serde_json::Value,
    path: &str,
    out: &mut Vec<String>,
) {
    let schema = match schema.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => {
            let name = r.trim_start_matches("#/$defs/");
            &root["$defs"][name]
        }
        None => schema,
    };
    match value {
        serde_json::Value::Object(map) => {
            let Some(props) = schema.get("properties").and_then(|p| p.as_object()) else {
                return;
            };
            for (key, child) in map {
                let child_path = format!("{path}.{key}");
                match props.get(key) {
                    Some(child_schema) => undeclared_keys(root, child_schema, child, &child_path, out),
                    None => out.push(child_path),
                }
            }
        }
        serde_json::Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                // Every element: optional fields (an ESIS-like school's `uwlr`) sit in a later one.
                for (i, item) in items.iter().enumerate() {
                    undeclared_keys(root, item_schema, item, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}
