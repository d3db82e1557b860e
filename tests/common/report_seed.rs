//! A realistic board seeded straight through the Store API for the report tests: three schools on
//! three ladders, pupils over two school years (leavers, newcomers), plans with on-time, late and
//! missing evaluations, signals of several rules (some resolved), sync runs and quarantine.
//! Deterministic (a fixed LCG), so the expected numbers never move.

// Shared by two test binaries; each uses a part.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{Days, NaiveDate, TimeZone, Utc};
use zorgsignaal::domain::{
    Brin, CareLadder, Evaluation, EvaluationOutcome, Evidence, Grade, Group, LearningDomain, Membership,
    PlanKind, Pupil, SchoolYear, Severity, Signal, SignalStatus, Source, SupportPlan,
};
use zorgsignaal::settings::Settings;
use zorgsignaal::store::{self, PageBatch, QuarantineItem, Store};

/// Given names used (every one must stay out of the report).
pub const GIVEN: [&str; 20] = [
    "Fenna", "Jurre", "Sanne", "Thijmen", "Lieke", "Mees", "Floor", "Stijn", "Ilse", "Bram", "Roos", "Teun",
    "Evi", "Guus", "Nova", "Siem", "Lotte", "Jesse", "Fleur", "Milan",
];
/// Surnames used.
pub const SURNAMES: [&str; 16] = [
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Mulder",
    "Hendriks",
    "Dekker",
    "Brouwer",
    "Willems",
    "Koster",
    "Verhoeven",
    "Prins",
    "Jacobs",
    "Vermeulen",
    "Huisman",
    "Postma",
];

/// The schools: BRIN, name, ladder, pupils in the first year.
pub const SCHOOLS: [(&str, &str, &str, usize); 3] = [
    ("11ZW", "De Klimop", "abcd", 232),
    ("23QK", "De Regenboog", "niveaus-1-6", 148),
    ("34RT", "Het Anker", "niveaus-1-4", 41),
];

/// The reported year, its reference date and the previous year's.
pub fn year() -> SchoolYear {
    SchoolYear::starting(2025)
}
pub fn as_of() -> NaiveDate {
    d(2026, 3, 15)
}
pub fn previous_as_of() -> NaiveDate {
    d(2025, 3, 15)
}

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// Deterministic pseudo-random numbers.
struct Lcg(u64);
impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// What the seed put in, for independent expectations.
pub struct Seed {
    pub _dir: tempfile::TempDir,
    pub url: String,
    pub config_path: std::path::PathBuf,
    pub store: Arc<dyn Store>,
    /// Every given name and surname used.
    pub names: Vec<String>,
    /// Every source pupil id and national-id hash used.
    pub ids: Vec<String>,
    /// Plans per school.
    pub plans: Vec<(Brin, SupportPlan)>,
}

/// The config file text for the seeded store.
pub fn config(url: &str, threshold: u32) -> String {
    let mut s = format!(
        "[store]\nurl = \"{url}\"\n[board]\nname = \"Stichting Voorbeeldscholen\"\n\
         [pseudonymisation]\nkey = \"test-pseudonymisation-key-0000\"\n\
         [report]\nsmall_count_threshold = {threshold}\n"
    );
    for (brin, name, ladder, _) in SCHOOLS {
        s.push_str(&format!(
            "[[schools]]\nbrin = \"{brin}\"\nname = \"{name}\"\ncare_ladder = \"{ladder}\"\n\
             ib_emails = [\"ib@{}.example.nl\"]\n",
            brin.to_lowercase()
        ));
    }
    s
}

/// Settings for the seeded store with a given suppression threshold.
pub fn settings(seed: &Seed, threshold: u32) -> Settings {
    Settings::from_toml_str(&config(&seed.url, threshold)).expect("valid test config")
}

fn ladder(name: &str) -> CareLadder {
    CareLadder::presets()
        .into_iter()
        .find(|l| l.name == name)
        .expect("preset ladder")
}

fn group(brin: &Brin, y: SchoolYear, grade: u8) -> Group {
    Group {
        school: brin.clone(),
        external_id: format!("g{}-{grade}", y.start_year()),
        name: format!("Groep {grade}"),
        school_year: y,
    }
}

/// Builds and fills the store.
pub async fn seed() -> Seed {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("board.db").display());
    let store = store::open(&url).await.expect("open");
    store.migrate().await.expect("migrate");
    let db = sqlite(&url).await;
    let config_path = dir.path().join("zorgsignaal.toml");
    std::fs::write(&config_path, config(&url, 5)).expect("config file");
    let mut rng = Lcg(20_251_129);
    let mut names = Vec::new();
    let mut ids = Vec::new();
    let mut all_plans = Vec::new();
    let years = [SchoolYear::starting(2024), SchoolYear::starting(2025)];
    let domains = [
        LearningDomain::Mathematics,
        LearningDomain::TechnicalReading,
        LearningDomain::Spelling,
        LearningDomain::ReadingComprehension,
    ];
    let rules: [(&str, Option<LearningDomain>); 6] = [
        ("dmt_three_lowest", Some(LearningDomain::WordReading)),
        ("eed_check", Some(LearningDomain::WordReading)),
        ("level_drop", Some(LearningDomain::Mathematics)),
        ("no_growth", Some(LearningDomain::Spelling)),
        (
            "lowest_level_repeated",
            Some(LearningDomain::ReadingComprehension),
        ),
        ("plan_evaluation_overdue", None),
    ];
    let mut serial = 0;
    for (code, name, ladder_name, size) in SCHOOLS {
        let brin = Brin::parse(code).expect("brin");
        let ladder = ladder(ladder_name);
        store
            .upsert_school(&zorgsignaal::domain::School {
                brin: brin.clone(),
                name: name.into(),
                care_ladder: ladder_name.into(),
            })
            .await
            .expect("school");
        // Pupils: (external id, grade in the first year); grade 8 leaves, newcomers in groep 1.
        let mut roster: Vec<(String, u8)> = Vec::new();
        let mut people: Vec<Pupil> = Vec::new();
        let mut make = |grade: u8, rng: &mut Lcg, people: &mut Vec<Pupil>, roster: &mut Vec<(String, u8)>| {
            serial += 1;
            let id = format!("{code}-L{serial:04}");
            let given = GIVEN[rng.below(GIVEN.len() as u64) as usize];
            let surname = SURNAMES[rng.below(SURNAMES.len() as u64) as usize];
            let hash = format!("{:016x}{:016x}", rng.below(u64::MAX), serial * 7919);
            names.push(given.into());
            names.push(surname.into());
            ids.push(id.clone());
            ids.push(hash.clone());
            people.push(Pupil {
                school: brin.clone(),
                source: Source::ParnassysGkv,
                external_id: id.clone(),
                national_id_hash: Some(hash),
                given_name: given.into(),
                surname_prefix: rng.chance(25).then(|| "van der".to_owned()),
                surname: surname.into(),
                birth_date: Some(d(2014 + i32::from(8 - grade.min(8)), 5, 1)),
                left_on: None,
                dyslexia_statement: None,
            });
            roster.push((id, grade));
        };
        for i in 0..size {
            make(1 + (i % 8) as u8, &mut rng, &mut people, &mut roster);
        }
        for (yi, y) in years.iter().enumerate() {
            if yi == 1 {
                for _ in 0..(size / 8).max(1) {
                    make(0, &mut rng, &mut people, &mut roster);
                }
            }
            let grade_in = |g0: u8| g0 + yi as u8;
            let present: Vec<&(String, u8)> = roster
                .iter()
                .filter(|(_, g)| (1..=8).contains(&grade_in(*g)))
                .collect();
            let pupils: Vec<Pupil> = people
                .iter()
                .filter(|p| present.iter().any(|(id, _)| *id == p.external_id))
                .cloned()
                .collect();
            let groups: Vec<Group> = (1..=8).map(|g| group(&brin, *y, g)).collect();
            let members: Vec<Membership> = present
                .iter()
                .map(|(id, g)| Membership {
                    school: brin.clone(),
                    pupil_external_id: id.clone(),
                    group_external_id: format!("g{}-{}", y.start_year(), grade_in(*g)),
                    grade: Grade::new(grade_in(*g)).expect("grade"),
                    from: y.first_day(),
                    to: (yi == 0).then(|| y.last_day()),
                })
                .collect();
            let seen = Utc
                .with_ymd_and_hms(y.start_year(), 9, 1, 3, 0, 0)
                .single()
                .expect("time");
            store
                .apply_snapshot(&brin, *y, &pupils, &groups, &members, seen)
                .await
                .expect("snapshot");

            // Plans of this year.
            let mut batch = PageBatch::new(Source::Parnassys, brin.clone(), "plans");
            for (pi, (id, _)) in present.iter().enumerate() {
                let kinds: &[PlanKind] = if rng.chance(12) {
                    &[PlanKind::Opp, PlanKind::ActionPlan]
                } else if rng.chance(45) {
                    &[PlanKind::ActionPlan]
                } else {
                    &[]
                };
                for kind in kinds {
                    let start = y.first_day() + Days::new(30 + rng.below(200));
                    let due = start + Days::new(42);
                    let evaluations = match rng.below(100) {
                        0..55 => vec![due - Days::new(rng.below(6))],
                        55..80 => vec![due + Days::new(1 + rng.below(30))],
                        _ => vec![],
                    };
                    let top = ladder.levels.len() as u64;
                    let level = match kind {
                        PlanKind::Opp => top / 2 + rng.below(top - top / 2),
                        _ => 1 + rng.below(top / 2),
                    };
                    let plan = SupportPlan {
                        source: Source::Parnassys,
                        external_id: format!("{id}-plan-{}-{pi}-{}", y.start_year(), kind.as_str()),
                        school: brin.clone(),
                        pupil_external_id: Some(id.clone()),
                        group_external_id: None,
                        kind: *kind,
                        domain: Some(domains[rng.below(domains.len() as u64) as usize]),
                        title: "Plan".into(),
                        owner: Some("IB".into()),
                        care_level: Some(ladder.levels[level as usize].code.clone()),
                        start,
                        end: (*kind == PlanKind::ActionPlan && rng.chance(60)).then(|| due + Days::new(21)),
                        evaluation_due: Some(due),
                        minutes_per_week: Some(60),
                        evaluations: evaluations
                            .into_iter()
                            .map(|date| Evaluation {
                                date,
                                outcome: EvaluationOutcome::PartlyAchieved,
                            })
                            .collect(),
                        decided_on: None,
                        drawn_up_on: None,
                        parents_agreed_on: None,
                    };
                    batch.plans.push(plan);
                }
            }
            for grade in [3u8, 5] {
                let start = y.first_day() + Days::new(40);
                batch.plans.push(SupportPlan {
                    source: Source::Parnassys,
                    external_id: format!("{code}-gp-{}-{grade}", y.start_year()),
                    school: brin.clone(),
                    pupil_external_id: None,
                    group_external_id: Some(format!("g{}-{grade}", y.start_year())),
                    kind: PlanKind::GroupPlan,
                    domain: Some(LearningDomain::Mathematics),
                    title: "Groepsplan rekenen".into(),
                    owner: None,
                    care_level: None,
                    start,
                    end: Some(start + Days::new(120)),
                    evaluation_due: Some(start + Days::new(84)),
                    minutes_per_week: None,
                    evaluations: vec![Evaluation {
                        date: start + Days::new(84 + rng.below(10)),
                        outcome: EvaluationOutcome::Achieved,
                    }],
                    decided_on: None,
                    drawn_up_on: None,
                    parents_agreed_on: None,
                });
            }
            if code == "23QK" && yi == 1 {
                batch.quarantine.push(QuarantineItem {
                    source: Source::Parnassys,
                    school: brin.clone(),
                    stream: "plans".into(),
                    external_id: Some("kapot-1".into()),
                    raw: serde_json::json!({"id": "kapot-1"}),
                    reason: "unknown plan kind".into(),
                });
            }
            batch.finished = true;
            all_plans.extend(batch.plans.iter().map(|p| (brin.clone(), p.clone())));
            store.apply_page(&batch).await.expect("plans page");

            // Signals of this year; about half get a follow-up plan for their domain, started
            // between the opening day and seven weeks later (so some just miss the six weeks).
            let mut follow_up = PageBatch::new(Source::Parnassys, brin.clone(), "plans");
            for (id, _) in &present {
                if !rng.chance(35) {
                    continue;
                }
                let (rule, domain) = rules[rng.below(rules.len() as u64) as usize];
                let opened = y.first_day() + Days::new(20 + rng.below(300));
                let pupil_id: (i64,) =
                    sqlx::query_as("SELECT id FROM pupils WHERE school = $1 AND external_id = $2")
                        .bind(code)
                        .bind(id)
                        .fetch_one(&db)
                        .await
                        .expect("pupil id");
                let signal = Signal {
                    key: format!("{rule}:{id}:{}", y.start_year()),
                    rule: rule.into(),
                    rule_version: 1,
                    school: brin.clone(),
                    pupil_external_id: id.clone(),
                    domain,
                    severity: Severity::Medium,
                    status: SignalStatus::Open,
                    opened_on: opened,
                    explanation: "Signaal.".into(),
                    evidence: vec![Evidence {
                        kind: "result".into(),
                        id: format!("r-{id}"),
                        date: opened,
                        test: None,
                        moment: None,
                        level: None,
                        scale: None,
                        percentile: None,
                        ability_score: None,
                        source: Some(Source::Parnassys),
                        note: None,
                    }],
                    eed_criterion: None,
                    snoozed_until: None,
                    dismissed_reason: None,
                };
                if let Some(domain) = domain.filter(|_| rng.chance(50)) {
                    let start = opened + Days::new(rng.below(50));
                    follow_up.plans.push(SupportPlan {
                        source: Source::Parnassys,
                        external_id: format!("{id}-follow-up-{}", y.start_year()),
                        school: brin.clone(),
                        pupil_external_id: Some(id.clone()),
                        group_external_id: None,
                        kind: PlanKind::ActionPlan,
                        domain: Some(if domain == LearningDomain::WordReading && rng.chance(50) {
                            LearningDomain::TechnicalReading
                        } else {
                            domain
                        }),
                        title: "Vervolgplan".into(),
                        owner: None,
                        care_level: Some(ladder.levels[1].code.clone()),
                        start,
                        end: None,
                        evaluation_due: Some(start + Days::new(42)),
                        minutes_per_week: Some(90),
                        evaluations: Vec::new(),
                        decided_on: None,
                        drawn_up_on: None,
                        parents_agreed_on: None,
                    });
                }
                let sid = store
                    .upsert_signal(&signal, pupil_id.0)
                    .await
                    .expect("signal")
                    .id();
                if rng.chance(30) {
                    store
                        .set_signal_status(sid, SignalStatus::Resolved, None, None, "ib")
                        .await
                        .expect("resolve");
                } else if rng.chance(15) {
                    store
                        .set_signal_status(sid, SignalStatus::Dismissed, Some("bekend"), None, "ib")
                        .await
                        .expect("dismiss");
                }
            }
            follow_up.finished = true;
            all_plans.extend(follow_up.plans.iter().map(|p| (brin.clone(), p.clone())));
            store.apply_page(&follow_up).await.expect("follow-up plans");
        }
    }
    names.sort();
    names.dedup();
    Seed {
        _dir: dir,
        url,
        config_path,
        store,
        names,
        ids,
        plans: all_plans,
    }
}

/// A second, read-only look at the same SQLite file for independent counts.
pub async fn sqlite(url: &str) -> sqlx::SqlitePool {
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("second connection")
}
