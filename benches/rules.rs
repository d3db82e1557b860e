//! Times `evaluate_all` over a synthetic board of 100 schools × 250 pupils (≈ 25 000 pupils,
//! ≈ 60 results each, ≈ 1.5 M results), built in memory. Run: `cargo bench --bench rules`.
//! Prints one line per phase; the evaluation figure is what docs/BENCHMARKS.md records.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use zorgsignaal::domain::{
    AbilityScore, Brin, Evaluation, EvaluationOutcome, Grade, LearningDomain, Membership, PlanKind,
    ReferenceScore, SignalStatus, Source, SupportPlan, TestResult,
};
use zorgsignaal::rules::{
    HistoryPlan, HistoryResult, PriorSignal, PupilHistory, SchoolContext, evaluate_all,
};

const SCHOOLS: usize = 100;
const PUPILS_PER_SCHOOL: usize = 250;
const FIRST_YEAR: i32 = 2020;
const YEARS: i32 = 6;

/// Small deterministic generator (64-bit LCG), so the bench needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn level(rng: &mut Lcg, weak: bool) -> ReferenceScore {
    let pick = if weak { 3 + rng.below(3) } else { rng.below(6) };
    let value = ["I", "II", "III", "IV", "V", "V-"][pick as usize];
    ReferenceScore {
        code: "IV".into(),
        value: value.into(),
        level: zorgsignaal::domain::Level::parse(value, zorgsignaal::domain::Scale::Iv).ok(),
    }
}

fn pupil(school: &Brin, school_no: usize, n: usize, rng: &mut Lcg) -> PupilHistory {
    let pupil_id = (school_no * 10_000 + n) as i64;
    let ext = format!("L{n}");
    let weak = rng.below(10) == 0;
    let first_grade = 1 + (n % 8) as u8;
    let mut next_id = pupil_id * 1_000;
    let mut id = || {
        next_id += 1;
        next_id
    };
    let mut memberships = Vec::new();
    let mut results = Vec::new();
    let tests = [
        ("DMT", "Drie-Minuten-Toets"),
        ("CSP", "Cito Spelling"),
        ("RW", "Rekenen-Wiskunde"),
        ("BL", "Begrijpend lezen"),
    ];
    for y in 0..YEARS {
        let grade = first_grade.saturating_add(y as u8).min(8);
        let year = FIRST_YEAR + y;
        memberships.push(Membership {
            school: school.clone(),
            pupil_external_id: ext.clone(),
            group_external_id: format!("g{grade}"),
            grade: Grade::new(grade).unwrap_or_else(|e| panic!("grade: {e}")),
            from: date(year, 8, 1),
            to: Some(date(year + 1, 7, 31)),
        });
        let sittings = [date(year + 1, 1, 20), date(year + 1, 6, 5), date(year, 10, 15)];
        for (t, (code, name)) in tests.iter().enumerate() {
            for (s, on) in sittings.iter().enumerate() {
                // Tussenmetingen only for DMT and spelling: 4×2 main + 2 between + 1 unknown ≈ 11 a year.
                if s == 2 && t >= 2 {
                    continue;
                }
                results.push(HistoryResult {
                    id: id(),
                    result: TestResult {
                        source: Source::Parnassys,
                        external_id: String::new(),
                        school: school.clone(),
                        pupil_external_id: ext.clone(),
                        test_code: (*code).into(),
                        part_code: None,
                        test_name: (*name).into(),
                        provider: Some("Cito".into()),
                        taken_on: *on + Duration::days(rng.below(10) as i64),
                        stated_moment: None,
                        raw_score: None,
                        ability: Some(AbilityScore {
                            value: 100.0 + f64::from(y * 10) + rng.below(15) as f64,
                            scale: format!("cito-{code}"),
                            interval: None,
                        }),
                        reference_scores: vec![level(rng, weak)],
                    },
                });
            }
        }
        results.push(HistoryResult {
            id: id(),
            result: TestResult {
                source: Source::Parnassys,
                external_id: String::new(),
                school: school.clone(),
                pupil_external_id: ext.clone(),
                test_code: "SEO".into(),
                part_code: None,
                test_name: "Sociaal-emotioneel".into(),
                provider: None,
                taken_on: date(year + 1, 3, 1),
                stated_moment: None,
                raw_score: None,
                ability: None,
                reference_scores: Vec::new(),
            },
        });
    }
    let mut plans = Vec::new();
    if weak || rng.below(5) == 0 {
        let start = date(2025, 9, 1) + Duration::days(rng.below(120) as i64);
        plans.push(HistoryPlan {
            id: id(),
            plan: SupportPlan {
                source: Source::Parnassys,
                external_id: "p1".into(),
                school: school.clone(),
                pupil_external_id: Some(ext.clone()),
                group_external_id: None,
                kind: if rng.below(10) == 0 {
                    PlanKind::Opp
                } else {
                    PlanKind::ActionPlan
                },
                domain: Some(LearningDomain::TechnicalReading),
                title: "Leesinterventie".into(),
                owner: None,
                care_level: Some((2 + rng.below(3)).to_string()),
                start,
                end: None,
                evaluation_due: None,
                minutes_per_week: Some(60),
                evaluations: vec![Evaluation {
                    date: start + Duration::weeks(6),
                    outcome: EvaluationOutcome::NotAchieved,
                }],
                decided_on: None,
                drawn_up_on: None,
                parents_agreed_on: None,
            },
        });
    }
    let open_signals = if weak {
        vec![PriorSignal {
            key: format!("dmt_three_lowest/p{pupil_id}/word_reading/r1"),
            rule: "dmt_three_lowest".into(),
            domain: Some(LearningDomain::WordReading),
            opened_on: date(2025, 10, 1),
            status: SignalStatus::Open,
            severity: None,
        }]
    } else {
        Vec::new()
    };
    PupilHistory {
        pupil_id,
        school: school.clone(),
        pupil_external_id: ext,
        memberships,
        results,
        plans,
        open_signals,
        birth_date: None,
        dyslexia_statement: None,
        absences: Vec::new(),
        notes: Vec::new(),
        social_emotional: Vec::new(),
    }
}

fn main() {
    let started = Instant::now();
    let mut rng = Lcg(20_260_201);
    let ctx = SchoolContext::with_preset("niveaus-1-6");
    let schools: Vec<Vec<PupilHistory>> = (0..SCHOOLS)
        .map(|s| {
            let brin = Brin::parse(&format!("{:02}AA", s % 100)).unwrap_or_else(|e| panic!("brin: {e}"));
            (0..PUPILS_PER_SCHOOL)
                .map(|n| pupil(&brin, s, n, &mut rng))
                .collect()
        })
        .collect();
    let pupils: usize = schools.iter().map(Vec::len).sum();
    let results: usize = schools.iter().flatten().map(|h| h.results.len()).sum();
    println!(
        "built {pupils} pupils, {results} results in {:.2?}",
        started.elapsed()
    );

    let as_of = date(2026, 2, 1);
    let t = Instant::now();
    let mut findings = 0usize;
    let mut unknown = 0usize;
    for school in &schools {
        let e = evaluate_all(school, as_of, &ctx);
        findings += e.pupils.iter().map(|p| p.findings.len()).sum::<usize>();
        unknown += e.stats.normalise.unknown_tests;
    }
    let took = t.elapsed();
    println!(
        "evaluate_all: {pupils} pupils, {results} results -> {findings} findings ({unknown} unknown-test results) in {took:.2?} ({:.0} pupils/s)",
        pupils as f64 / took.as_secs_f64()
    );
}
