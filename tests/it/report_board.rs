//! The board report end to end over a seeded store: every number in `report.csv` equals a count
//! computed independently (SQL over the same database, or the seed data for zorgniveaus), the JSON
//! holds the same numbers, suppression hides small cells without leaking them through totals, and
//! the HTML names no pupil. (The variant that generates the board with the mock servers and syncs
//! lives with the sync work.)

use std::collections::BTreeMap;

use chrono::NaiveDate;
use seed::*;
use zorgsignaal::domain::{PlanKind, SchoolYear};
use zorgsignaal::report::report_job;

use crate::common::report_seed as seed;

type Rows = BTreeMap<(String, String, String), String>;

fn read_csv(path: &std::path::Path) -> Rows {
    let mut rows = Rows::new();
    let mut r = csv::Reader::from_path(path).expect("csv");
    assert_eq!(
        r.headers().expect("header").iter().collect::<Vec<_>>(),
        ["school", "school_name", "measure", "school_year", "value"]
    );
    for rec in r.records() {
        let rec = rec.expect("record");
        let key = (rec[0].to_owned(), rec[2].to_owned(), rec[3].to_owned());
        assert!(
            rows.insert(key.clone(), rec[4].to_owned()).is_none(),
            "duplicate row {key:?}"
        );
    }
    rows
}

/// Expected counts per (school, measure, year), computed with SQL and from the seed.
async fn expected(seed: &Seed) -> BTreeMap<(String, String, String), u64> {
    let db = sqlite(&seed.url).await;
    let mut out = BTreeMap::new();
    for (y, r) in [(year(), as_of()), (year().previous(), previous_as_of())] {
        let first = y.first_day().to_string();
        let r_s = r.to_string();
        for (code, _, ladder_name, _) in SCHOOLS {
            let mut put = |m: String, v: i64| {
                let v = u64::try_from(v).expect("count");
                out.insert((code.to_owned(), m.clone(), y.to_string()), v);
                *out.entry(("BESTUUR".to_owned(), m, y.to_string())).or_insert(0) += v;
            };
            let one = |sql: &'static str| {
                let db = db.clone();
                let first = first.clone();
                let r_s = r_s.clone();
                async move {
                    let (n,): (i64,) = sqlx::query_as(sql)
                        .bind(code)
                        .bind(&first)
                        .bind(&r_s)
                        .fetch_one(&db)
                        .await
                        .expect(sql);
                    n
                }
            };
            put(
                "pupils".into(),
                one(
                    "SELECT COUNT(*) FROM pupils p WHERE p.school = $1 AND p.deleted_at IS NULL AND $2 <> ''
                       AND (p.left_on IS NULL OR p.left_on > $3)
                       AND EXISTS (SELECT 1 FROM memberships m WHERE m.pupil_id = p.id AND m.from_on <= $3
                                   AND (m.to_on IS NULL OR m.to_on >= $3))",
                )
                .await,
            );
            let rules: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT rule FROM signals")
                .fetch_all(&db)
                .await
                .expect("rules");
            for (rule,) in rules {
                let q = |sql: &'static str| {
                    let db = db.clone();
                    let (first, r_s, rule) = (first.clone(), r_s.clone(), rule.clone());
                    async move {
                        let (n,): (i64,) = sqlx::query_as(sql)
                            .bind(code)
                            .bind(&first)
                            .bind(&r_s)
                            .bind(&rule)
                            .fetch_one(&db)
                            .await
                            .expect(sql);
                        n
                    }
                };
                let new = q(
                    "SELECT COUNT(*) FROM signals WHERE school = $1 AND opened_on >= $2
                             AND opened_on <= $3 AND rule = $4",
                )
                .await;
                put(format!("signals_new:{rule}"), new);
                if rule == "dmt_three_lowest" {
                    // The ED check: its own signal, or (dmt_three_lowest version 4) carried by
                    // the DMT signal with the criterion met.
                    let ed = q(
                        "SELECT COUNT(*) FROM signals WHERE school = $1 AND opened_on >= $2
                             AND opened_on <= $3 AND $4 <> '' AND (rule = 'eed_check'
                             OR (rule = 'dmt_three_lowest' AND eed_criterion = 'met' AND rule_version >= 4))",
                    )
                    .await;
                    put("eed_checks_opened".into(), ed);
                }
                let open = q(
                    "SELECT COUNT(*) FROM signals s WHERE s.school = $1 AND $2 <> ''
                              AND s.opened_on <= $3 AND s.rule = $4
                              AND NOT EXISTS (SELECT 1 FROM signal_events e WHERE e.signal_id = s.id
                                 AND e.to_status IN ('resolved', 'dismissed') AND substr(e.at, 1, 10) <= $3)",
                )
                .await;
                put(format!("signals_open:{rule}"), open);
            }
            for kind in ["action_plan", "group_plan", "opp"] {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM plans WHERE school = $1 AND deleted_at IS NULL AND kind = $2
                     AND start_on <= $3 AND (end_on IS NULL OR end_on >= $3)",
                )
                .bind(code)
                .bind(kind)
                .bind(&r_s)
                .fetch_one(&db)
                .await
                .expect("plans");
                put(format!("plans_active:{kind}"), n);
            }
            // First evaluation on or after the start, known by the reference date; grace 0.
            let evals: Vec<(String, Option<String>)> = sqlx::query_as(
                "SELECT p.evaluation_due, (SELECT MIN(e.evaluated_on) FROM evaluations e WHERE e.plan_id = p.id
                        AND e.evaluated_on >= p.start_on AND e.evaluated_on <= $3)
                 FROM plans p WHERE p.school = $1 AND p.deleted_at IS NULL
                   AND p.evaluation_due >= $2 AND p.evaluation_due <= $3",
            )
            .bind(code)
            .bind(&first)
            .bind(&r_s)
            .fetch_all(&db)
            .await
            .expect("evaluations");
            let (mut on_time, mut late, mut missing) = (0, 0, 0);
            for (due, first_eval) in evals {
                match first_eval {
                    Some(e) if e <= due => on_time += 1,
                    Some(_) => late += 1,
                    None if r_s > due => missing += 1,
                    None => {}
                }
            }
            put("evaluations:on_time".into(), on_time);
            put("evaluations:late".into(), late);
            put("evaluations:missing".into(), missing);
            put("evaluations_total".into(), on_time + late + missing);
            // Plan binnen 6 weken (issue 16 item 15): on the day the six weeks are up a plan for the
            // domain runs, the pupil's own or a group plan of one of his groups; no_growth (low
            // severity) asks for no plan.
            let with_plan = one(
                "SELECT COUNT(*) FROM signals s WHERE s.school = $1 AND s.opened_on >= $2
                   AND date(s.opened_on, '+42 days') <= $3 AND s.domain IS NOT NULL
                   AND s.rule IN ('dmt_three_lowest','eed_check','lowest_level_repeated','level_drop',
                   'reference_level_low','avi_stagnation','dyscalculia_check')
                   AND EXISTS (SELECT 1 FROM plans p WHERE p.deleted_at IS NULL
                     AND (p.pupil_id = s.pupil_id OR (p.pupil_id IS NULL AND EXISTS (
                          SELECT 1 FROM memberships m JOIN groups g ON g.id = m.group_id
                          WHERE m.pupil_id = s.pupil_id AND g.school = p.school
                            AND g.external_id = p.group_external_id)))
                     AND p.start_on <= date(s.opened_on, '+42 days')
                     AND (p.end_on IS NULL OR p.end_on >= date(s.opened_on, '+42 days'))
                     AND (p.domain = s.domain OR (p.domain IN ('word_reading','technical_reading')
                          AND s.domain IN ('word_reading','technical_reading'))))",
            )
            .await;
            let eligible = one(
                "SELECT COUNT(*) FROM signals s WHERE s.school = $1 AND s.opened_on >= $2
                   AND date(s.opened_on, '+42 days') <= $3 AND s.domain IS NOT NULL
                   AND s.rule IN ('dmt_three_lowest','eed_check','lowest_level_repeated','level_drop',
                   'reference_level_low','avi_stagnation','dyscalculia_check')",
            )
            .await;
            put("signal_plan:with".into(), with_plan);
            put("signal_plan:without".into(), eligible - with_plan);
            put("signal_plan_total".into(), eligible);

            // Zorgniveaus from the seed data: highest level among active own plans, else the first.
            let ladder = zorgsignaal::domain::CareLadder::presets()
                .into_iter()
                .find(|l| l.name == ladder_name)
                .expect("ladder");
            let enrolled: Vec<(String,)> = sqlx::query_as(
                "SELECT p.external_id FROM pupils p WHERE p.school = $1 AND p.deleted_at IS NULL
                   AND (p.left_on IS NULL OR p.left_on > $2)
                   AND EXISTS (SELECT 1 FROM memberships m WHERE m.pupil_id = p.id AND m.from_on <= $2
                               AND (m.to_on IS NULL OR m.to_on >= $2))",
            )
            .bind(code)
            .bind(&r_s)
            .fetch_all(&db)
            .await
            .expect("enrolled");
            let mut levels: BTreeMap<String, i64> =
                ladder.levels.iter().map(|l| (l.code.clone(), 0)).collect();
            for (pupil,) in enrolled {
                let pos = seed
                    .plans
                    .iter()
                    .filter(|(b, p)| b.as_str() == code && p.pupil_external_id.as_deref() == Some(&pupil))
                    .filter(|(_, p)| p.kind != PlanKind::GroupPlan && p.is_active_on(r))
                    .filter_map(|(_, p)| ladder.position(p.care_level.as_deref().unwrap_or("")))
                    .max()
                    .unwrap_or(0);
                *levels.entry(ladder.levels[pos].code.clone()).or_default() += 1;
            }
            let mut tiers: BTreeMap<&str, i64> = BTreeMap::new();
            for l in &ladder.levels {
                let t = match l.tier {
                    zorgsignaal::domain::NationalTier::Basis => "basis",
                    zorgsignaal::domain::NationalTier::Extra => "extra",
                    zorgsignaal::domain::NationalTier::Specialised => "specialised",
                };
                *tiers.entry(t).or_default() += levels[&l.code];
            }
            for (t, n) in tiers {
                put(format!("tier:{t}"), n);
            }
            for (code_l, n) in levels {
                out.insert(
                    (code.to_owned(), format!("level:{code_l}"), y.to_string()),
                    u64::try_from(n).expect("n"),
                );
            }
        }
    }
    out
}

fn school_years() -> [SchoolYear; 2] {
    [year(), year().previous()]
}

#[tokio::test]
async fn csv_numbers_equal_independent_counts_without_suppression() {
    let seed = seed().await;
    let settings = settings(&seed, 1);
    let out = tempfile::tempdir().expect("out dir");
    report_job(seed.store.as_ref(), &settings, Some(year()), as_of(), out.path())
        .await
        .expect("report");
    let rows = read_csv(&out.path().join("report.csv"));
    let expected = expected(&seed).await;
    assert!(expected.len() > 100, "the seed covers many measures");
    let mut nonzero = 0;
    for (key, want) in &expected {
        let got = rows.get(key).unwrap_or_else(|| panic!("no CSV row for {key:?}"));
        assert_eq!(got, &want.to_string(), "{key:?}");
        nonzero += usize::from(*want > 0);
    }
    assert!(nonzero > 60, "a seed of mostly zeros proves little ({nonzero})");
    for m in [
        "signal_plan:with",
        "signal_plan:without",
        "evaluations:late",
        "evaluations:missing",
    ] {
        let key = ("BESTUUR".to_owned(), m.to_owned(), year().to_string());
        assert!(expected[&key] > 0, "the seed exercises {m}");
    }
    for y in school_years() {
        let total = |m: &str| rows[&("BESTUUR".to_owned(), m.to_owned(), y.to_string())].clone();
        let sum: u64 = ["on_time", "late", "missing"]
            .iter()
            .map(|k| total(&format!("evaluations:{k}")).parse::<u64>().expect("n"))
            .sum();
        assert_eq!(total("evaluations_total"), sum.to_string());
    }
    // Sync health: every school synced its plans stream; one record in quarantine at 23QK.
    assert_eq!(
        rows[&(
            "23QK".into(),
            "sync_quarantined:parnassys".into(),
            "2025-2026".into()
        )],
        "1"
    );
    assert!(
        !rows[&(
            "11ZW".into(),
            "sync_last_success:parnassys".into(),
            "2025-2026".into()
        )]
            .is_empty()
    );
}

#[tokio::test]
async fn suppressed_report_shows_small_cells_as_below_five_and_json_matches_csv() {
    let seed = seed().await;
    let out = tempfile::tempdir().expect("out dir");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_zorgsignaal"))
        .arg("--config")
        .arg(&seed.config_path)
        .args([
            "report",
            "board",
            "--school-year",
            "2025-2026",
            "--as-of",
            "2026-03-15",
            "--out",
        ])
        .arg(out.path())
        .status()
        .expect("run zorgsignaal");
    assert!(status.success());
    let rows = read_csv(&out.path().join("report.csv"));
    let expected = expected(&seed).await;
    let (mut small, mut hidden) = (0, 0);
    for (key, want) in &expected {
        match rows[key].as_str() {
            "<5" => {
                assert!((1..5).contains(want), "{key:?} is {want}, shown as <5");
                small += 1;
            }
            "x" => hidden += 1,
            shown => {
                assert_eq!(shown, want.to_string(), "{key:?}");
                assert!(*want == 0 || *want >= 5, "{key:?}: {want} shown exactly");
            }
        }
    }
    assert!(small > 5 && hidden > 0, "small {small}, hidden {hidden}");

    // Subtraction attack on the school column: the board total minus the shown schools never
    // isolates exactly one suppressed school.
    let published = |k: &(String, String, String)| rows[k].parse::<u64>().is_ok();
    for y in school_years() {
        let measures: Vec<String> = rows
            .keys()
            .filter(|(s, m, yy)| s == "BESTUUR" && *yy == y.to_string() && !m.starts_with("month:"))
            .map(|(_, m, _)| m.clone())
            .collect();
        for m in measures {
            let schools: Vec<_> = SCHOOLS
                .iter()
                .map(|(c, ..)| ((*c).to_owned(), m.clone(), y.to_string()))
                .filter(|k| rows.contains_key(k))
                .collect();
            // Shares and medians are not counts and take part in no sum.
            if schools.is_empty() || m.contains("_pct") || m.contains("median") {
                continue;
            }
            let board = ("BESTUUR".to_owned(), m.clone(), y.to_string());
            let hidden = schools.iter().filter(|k| !published(k)).count() + usize::from(!published(&board));
            assert_ne!(hidden, 1, "{m} {y}: one suppressed cell can be recovered");
        }
        // …and within each school: zorgniveaus add up to the pupils.
        for (code, ..) in SCHOOLS {
            let cells: Vec<_> = rows
                .keys()
                .filter(|(s, m, yy)| {
                    s == code && *yy == y.to_string() && (m.starts_with("level:") || m == "pupils")
                })
                .collect();
            let hidden = cells.iter().filter(|k| !published(k)).count();
            assert_ne!(hidden, 1, "{code} {y}: zorgniveau recoverable");
        }
    }

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).expect("json"))
            .expect("parse");
    let figures = json["figures"].as_array().expect("figures");
    assert!(!figures.is_empty());
    for f in figures {
        let key = (
            f["school"].as_str().expect("school").to_owned(),
            f["measure"].as_str().expect("measure").to_owned(),
            f["school_year"].as_str().expect("year").to_owned(),
        );
        let in_json = match &f["value"] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) if n.is_u64() => n.to_string(),
            serde_json::Value::Number(n) => format!("{:.1}", n.as_f64().expect("f64")),
            other => panic!("unexpected value {other}"),
        };
        assert_eq!(rows[&key], in_json, "{key:?}");
    }

    let html = std::fs::read_to_string(out.path().join("report.html")).expect("html");
    for needle in seed.names.iter().chain(&seed.ids) {
        assert!(!html.contains(needle.as_str()), "the report contains {needle:?}");
    }
    for file in ["report.csv", "report.json"] {
        let text = std::fs::read_to_string(out.path().join(file)).expect("file");
        for needle in seed.names.iter().chain(&seed.ids) {
            assert!(!text.contains(needle.as_str()), "{file} contains {needle:?}");
        }
    }
    assert!(html.contains("<svg") && html.contains("@page"));
    // Issue 16 item 14: Dutch dates, decimal commas, singular and plural right.
    let visible = zorgsignaal::rules::text::html_visible_text(&html);
    assert_eq!(
        zorgsignaal::rules::text::dutch_text_problems(&visible),
        Vec::<String>::new(),
        "{visible}"
    );
    assert!(visible.contains("peildatum 15-03-2026"), "{visible}");
}

/// Issue 16 item 15: the `/bestuur` page counts "plan binnen 6 weken" with the report's (and the
/// rule's) definition — the same numbers on the same store and day — and suppresses small counts
/// as the report does.
#[tokio::test]
async fn the_board_page_counts_plans_in_time_as_the_report_and_suppresses_small_counts() {
    use zorgsignaal::api::{AppState, BoardPageSettings, admin};
    use zorgsignaal::report::Value;
    use zorgsignaal::store::{Role, User};
    let seed = seed().await;
    let user = User {
        id: 1,
        username: "bestuur".into(),
        role: Role::Board,
        schools: Vec::new(),
    };
    let page = |threshold: u32| {
        let settings = settings(&seed, threshold);
        let mut state = AppState::new(seed.store.clone(), zorgsignaal::settings::ApiSettings::default());
        state.board = std::sync::Arc::new(BoardPageSettings::from_settings(&settings));
        let user = user.clone();
        async move { admin::board_on(&state, &user, as_of()).await.expect("board rows") }
    };
    let exact = page(1).await;
    let report = zorgsignaal::report::aggregate(
        &zorgsignaal::report::collect(seed.store.as_ref(), &settings(&seed, 1), year(), as_of())
            .await
            .expect("collect"),
    );
    let mut compared = 0;
    for row in &exact {
        let unit = if row.school == "TOTAAL" {
            zorgsignaal::report::Unit::Board
        } else {
            zorgsignaal::report::Unit::School(zorgsignaal::domain::Brin::parse(&row.school).expect("brin"))
        };
        assert_eq!(
            row.plan_term_passed,
            report.value(&unit, "signal_plan_total", year()),
            "{}",
            row.school
        );
        assert_eq!(
            row.plan_in_time,
            report.value(&unit, "signal_plan:with", year()),
            "{}",
            row.school
        );
        compared += usize::from(row.plan_term_passed.count().is_some_and(|n| n > 0));
    }
    assert!(compared >= 3, "the seed has plan terms to compare ({compared})");
    assert_eq!(exact.last().map(|r| r.school.as_str()), Some("TOTAAL"));

    // With the report's threshold of 5: no count from 1 to 4 is shown, and a total minus the
    // shown schools never gives a suppressed one.
    let shown = page(5).await;
    let mut small = 0;
    for (e, s) in exact.iter().zip(&shown) {
        let cells = [
            (&e.high, &s.high),
            (&e.medium, &s.medium),
            (&e.low, &s.low),
            (&e.pupils_with_signals, &s.pupils_with_signals),
            (&e.plan_term_passed, &s.plan_term_passed),
            (&e.plan_in_time, &s.plan_in_time),
        ];
        for (exact, shown) in cells {
            match exact.count() {
                Some(n @ 1..=4) => {
                    small += 1;
                    assert_eq!(*shown, Value::Small(5), "{}: {n}", e.school);
                }
                _ => assert!(matches!(shown, Value::Count(_) | Value::Hidden), "{}", e.school),
            }
        }
    }
    assert!(small > 0, "the seed has small counts on the page");
    let columns: [fn(&admin::BoardSchool) -> &Value; 6] = [
        |r| &r.high,
        |r| &r.medium,
        |r| &r.low,
        |r| &r.pupils_with_signals,
        |r| &r.plan_term_passed,
        |r| &r.plan_in_time,
    ];
    for col in columns {
        let hidden = shown.iter().filter(|r| col(r).count().is_none()).count();
        assert_ne!(
            hidden, 1,
            "a single suppressed cell in a column could be recovered from the total"
        );
    }
}

#[tokio::test]
async fn an_as_of_date_before_the_year_is_refused() {
    let seed = seed().await;
    let settings = settings(&seed, 5);
    let out = tempfile::tempdir().expect("out dir");
    let err = report_job(
        seed.store.as_ref(),
        &settings,
        Some(year()),
        NaiveDate::from_ymd_opt(2025, 7, 1).expect("date"),
        out.path(),
    )
    .await
    .expect_err("as-of before the year");
    assert!(err.to_string().contains("lies before school year"), "{err}");
}
