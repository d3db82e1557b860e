//! Property tests of the engine: deterministic, idempotent, independent per pupil, and blind to
//! the order of its input.

use chrono::{Duration, NaiveDate};
use proptest::prelude::*;

use super::testkit::{brin, ctx, d};
use super::{
    Finding, HistoryPlan, HistoryResult, PriorSignal, PupilHistory, evaluate, evaluate_all,
    evaluate_with_stats,
};
use crate::domain::{
    AbilityScore, Evaluation, EvaluationOutcome, Grade, LearningDomain, Membership, PlanKind, ReferenceScore,
    SignalStatus, Source, SupportPlan, TestResult,
};

const TESTS: [(&str, &str); 6] = [
    ("DMT", "Drie-Minuten-Toets"),
    ("IEP-DMT", "IEP woordlezen"),
    ("CSP", "Spelling"),
    ("RW", "Rekenen-Wiskunde"),
    ("BL", "Begrijpend lezen"),
    ("SEO", "Sociaal-emotioneel"),
];
const SCORES: [(&str, &str); 14] = [
    ("IV", "I+"),
    ("PC", "95"),
    ("IV", "I"),
    ("IV", "III"),
    ("IV", "IV"),
    ("IV", "V"),
    ("IV", "V-"),
    ("AE", "B"),
    ("AE", "E"),
    ("PC", "8"),
    ("PC", "18"),
    ("PC", "60"),
    ("RNTRM", "1F"),
    ("DLE", "12"),
];
const SOURCES: [Source; 3] = [Source::Parnassys, Source::Oso, Source::Leeruniek];

fn day(offset: i64) -> NaiveDate {
    d(2023, 8, 1) + Duration::days(offset)
}

fn result_strategy() -> impl Strategy<Value = Res> {
    (
        0..TESTS.len(),
        0i64..(4 * 365),
        prop::collection::vec(0..SCORES.len(), 0..3),
        prop::option::of((100u8..140, any::<bool>())),
        0..SOURCES.len(),
    )
}

fn plan_strategy() -> impl Strategy<Value = Pl> {
    (
        0u8..3,
        prop::option::of(0u8..5),
        0i64..(4 * 365),
        1u8..7,
        prop::option::of(1i64..200),
        prop::collection::vec((0i64..200, 0u8..3), 0..3),
    )
}

fn history(pupil_id: i64) -> impl Strategy<Value = PupilHistory> {
    (
        prop::collection::vec(result_strategy(), 0..40),
        prop::collection::vec(plan_strategy(), 0..5),
        prop::collection::vec((0usize..5, 0i64..(4 * 365), any::<bool>()), 0..3),
        // Verzuim (issue 18): days in bursts, so the absence rules fire now and then.
        prop::collection::vec(absence_strategy(), 0..30),
        // Notes (issue 18 item 6): in bursts too, so `concern_notes` fires now and then.
        prop::collection::vec(note_strategy(), 0..8),
        // Sociaal-emotioneel (issue 18 item 1): on the sittings of a few scales, so that runs and
        // drops occur.
        prop::collection::vec(se_strategy(), 0..16),
    )
        .prop_map(move |(results, plans, priors, absences, notes, se)| {
            let mut h = build(pupil_id, results, plans, priors);
            h.notes = notes
                .into_iter()
                .enumerate()
                .map(|(i, (start, step, category))| super::HistoryNote {
                    id: 50_000 + i as i64,
                    source: Source::Leeruniek,
                    category_path: NOTE_CATEGORIES[category]
                        .iter()
                        .map(|s| (*s).to_string())
                        .collect(),
                    written_on: day(start + step),
                })
                .collect();
            h.absences = absences
                .into_iter()
                .enumerate()
                .map(|(i, (start, step, hours, kind, source))| crate::domain::Absence {
                    source: SOURCES[source],
                    school: brin(),
                    external_id: format!("a{i}"),
                    pupil_external_id: h.pupil_external_id.clone(),
                    on: day(start + step),
                    hours: [1.0, 2.5, 3.5, 5.5][hours],
                    kind: crate::domain::AbsenceKind::ALL[kind],
                })
                .collect();
            h.social_emotional = se
                .into_iter()
                .enumerate()
                .map(|(i, (sitting, instrument, scale, category, source))| {
                    let instrument = crate::domain::SeInstrument::ALL[instrument];
                    let scales = ["welbevinden", "betrokkenheid"];
                    let n = instrument.categories().len();
                    crate::domain::SocialEmotionalMeasurement {
                        source: SOURCES[source],
                        school: brin(),
                        external_id: format!("se{i}"),
                        pupil_external_id: h.pupil_external_id.clone(),
                        instrument,
                        scale: scales[scale].into(),
                        // Autumn and spring sittings of four school years.
                        measured_on: day(365 * (sitting / 2) + [80, 235][(sitting % 2) as usize]),
                        category: u8::try_from(category % n).unwrap_or(0),
                    }
                })
                .collect();
            h
        })
}

/// Note categories: concern categories of the default mapping, others, an intervention one.
const NOTE_CATEGORIES: [&[&str]; 5] = [
    &["Zorgen"],
    &["Zorg", "Welbevinden"],
    &["Gedrag"],
    &["Rekenen", "Tafels"],
    &["Leesbegeleiding"],
];

/// A note: a burst start, a day within it, a category.
fn note_strategy() -> impl Strategy<Value = (i64, i64, usize)> {
    (
        prop::sample::select(vec![320i64, 560, 900, 1150]),
        0i64..50,
        0usize..NOTE_CATEGORIES.len(),
    )
}

/// A social-emotional measurement: sitting (0..8), instrument, scale, category, source.
fn se_strategy() -> impl Strategy<Value = (i64, usize, usize, usize, usize)> {
    (0i64..8, 0usize..3, 0usize..2, 0usize..5, 0usize..2)
}

/// An absence: a burst start (one of a few per history), a day within it, hours, kind, source.
fn absence_strategy() -> impl Strategy<Value = (i64, i64, usize, usize, usize)> {
    (
        prop::sample::select(vec![300i64, 420, 700, 800, 1100]),
        0i64..40,
        0usize..4,
        0usize..3,
        0usize..2,
    )
}

type Res = (usize, i64, Vec<usize>, Option<(u8, bool)>, usize);
type Pl = (u8, Option<u8>, i64, u8, Option<i64>, Vec<(i64, u8)>);

fn build(pupil_id: i64, results: Vec<Res>, plans: Vec<Pl>, priors: Vec<(usize, i64, bool)>) -> PupilHistory {
    let ext = format!("ext{pupil_id}");
    let memberships = (0..5)
        .map(|i| Membership {
            school: brin(),
            pupil_external_id: ext.clone(),
            group_external_id: format!("g{i}"),
            // A doublure in the middle: grade 4 twice.
            grade: Grade::new([3, 4, 4, 5, 6][i]).expect("grade"),
            from: d(2023 + i as i32, 8, 1),
            to: Some(d(2024 + i as i32, 7, 31)),
        })
        .collect();
    let results = results
        .into_iter()
        .enumerate()
        .map(|(i, (t, off, scores, ability, src))| HistoryResult {
            id: pupil_id * 10_000 + i as i64,
            result: TestResult {
                source: SOURCES[src],
                external_id: format!("r{i}"),
                school: brin(),
                pupil_external_id: ext.clone(),
                test_code: TESTS[t].0.into(),
                part_code: None,
                test_name: TESTS[t].1.into(),
                provider: None,
                taken_on: day(off),
                stated_moment: None,
                raw_score: None,
                ability: ability.map(|(v, iep)| AbilityScore {
                    value: f64::from(v),
                    scale: if iep { "iep" } else { "cito" }.into(),
                    interval: None,
                }),
                reference_scores: scores
                    .into_iter()
                    .map(|s| ReferenceScore::parse(SCORES[s].0, SCORES[s].1).expect("score"))
                    .collect(),
            },
        })
        .collect();
    let plans = plans
        .into_iter()
        .enumerate()
        .map(|(i, (kind, domain, start, level, end, evals))| HistoryPlan {
            id: pupil_id * 10_000 + 5_000 + i as i64,
            plan: SupportPlan {
                source: Source::Parnassys,
                external_id: format!("p{i}"),
                school: brin(),
                pupil_external_id: Some(ext.clone()),
                group_external_id: None,
                kind: [PlanKind::ActionPlan, PlanKind::Opp, PlanKind::GroupPlan][usize::from(kind)],
                domain: domain.map(|x| LearningDomain::ALL[usize::from(x)]),
                title: format!("Plan {i}"),
                owner: None,
                care_level: Some(level.to_string()),
                start: day(start),
                end: end.map(|e| day(start + e)),
                evaluation_due: None,
                minutes_per_week: Some(60),
                evaluations: evals
                    .into_iter()
                    .map(|(off, o)| Evaluation {
                        date: day(start + off),
                        outcome: [
                            EvaluationOutcome::Achieved,
                            EvaluationOutcome::PartlyAchieved,
                            EvaluationOutcome::NotAchieved,
                        ][usize::from(o)],
                    })
                    .collect(),
                decided_on: None,
                drawn_up_on: None,
                parents_agreed_on: None,
            },
        })
        .collect();
    let open_signals = priors
        .into_iter()
        .enumerate()
        .map(|(i, (dom, off, dmt))| PriorSignal {
            key: format!("prior{i}"),
            rule: if dmt { "dmt_three_lowest" } else { "level_drop" }.into(),
            domain: Some(LearningDomain::ALL[dom]),
            opened_on: day(off),
            status: SignalStatus::Open,
            severity: None,
        })
        .collect();
    PupilHistory {
        pupil_id,
        school: brin(),
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

fn as_of_strategy() -> impl Strategy<Value = NaiveDate> {
    (200i64..(4 * 365)).prop_map(day)
}

fn keys(findings: &[Finding]) -> Vec<String> {
    findings.iter().map(|f| f.signal.key.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn deterministic_and_idempotent(h in history(1), as_of in as_of_strategy()) {
        let c = ctx();
        let first = evaluate_with_stats(&h, as_of, &c);
        prop_assert_eq!(&first, &evaluate_with_stats(&h, as_of, &c));
        // Store the findings as the pipeline does (opened on the day the data showed them) and
        // evaluate again: nothing new appears.
        let mut stored = h.clone();
        for f in &first.0 {
            stored.open_signals.push(PriorSignal {
                key: f.signal.key.clone(),
                rule: f.signal.rule.clone(),
                domain: f.signal.domain,
                opened_on: super::signal_without_plan::opened_on(f, as_of),
                status: SignalStatus::Open,
                severity: Some(f.signal.severity),
            });
        }
        prop_assert_eq!(keys(&evaluate(&stored, as_of, &c)), keys(&first.0));
    }

    #[test]
    fn findings_are_sorted_unique_and_keyed_to_the_pupil(h in history(3), as_of in as_of_strategy()) {
        let findings = evaluate(&h, as_of, &ctx());
        let ks = keys(&findings);
        let mut sorted = ks.clone();
        sorted.sort();
        sorted.dedup();
        prop_assert_eq!(&ks, &sorted);
        for f in &findings {
            let prefix = format!("{}/p3/", f.signal.rule);
            // A finding that continues a stored signal of its family keeps that signal's key.
            let family = super::engine::family_of(&f.signal.rule).unwrap_or(&[]);
            prop_assert!(
                f.signal.key.starts_with(&prefix)
                    || family.iter().any(|r| f.signal.key.starts_with(&format!("{r}/p3/"))),
                "{}",
                f.signal.key
            );
            prop_assert!(!f.signal.explanation.is_empty() && !f.signal.evidence.is_empty());
            for t in &f.tasks {
                // A plan request merged into its learning signal keeps its own rule in its key,
                // and so does the ED check merged into the DMT signal (`merge_eed_checks`).
                let merged = format!("{}/p3/", super::signal_without_plan::RULE_ID);
                let eed = (f.signal.rule == super::dmt_three_lowest::RULE_ID)
                    .then(|| format!("{}/p3/", super::eed_check::RULE_ID));
                prop_assert!(
                    t.key.starts_with(&prefix)
                        || t.key.starts_with(&merged)
                        || eed.as_deref().is_some_and(|e| t.key.starts_with(e)),
                    "{}",
                    t.key
                );
            }
        }
    }

    #[test]
    fn another_pupil_changes_nothing(a in history(1), b in history(2), as_of in as_of_strategy()) {
        let c = ctx();
        let alone = evaluate_all(std::slice::from_ref(&a), as_of, &c);
        let together = evaluate_all(&[b, a.clone()], as_of, &c);
        let of_a = |e: &super::SchoolEvaluation| e.pupils.iter().find(|p| p.pupil_id == 1).cloned();
        prop_assert_eq!(of_a(&alone), of_a(&together));
    }

    #[test]
    fn input_order_does_not_matter(
        (h, shuffled) in history(1).prop_flat_map(|h| {
            let r = Just(h.results.clone()).prop_shuffle();
            let p = Just(h.plans.clone()).prop_shuffle();
            let m = Just(h.memberships.clone()).prop_shuffle();
            let s = Just(h.open_signals.clone()).prop_shuffle();
            let a = Just(h.absences.clone()).prop_shuffle();
            let n = Just(h.notes.clone()).prop_shuffle();
            (Just(h), r, p, m, s, (a, n)).prop_map(|(h, results, plans, memberships, open_signals, (absences, notes))| {
                let shuffled = PupilHistory { results, plans, memberships, open_signals, absences, notes, ..h.clone() };
                (h, shuffled)
            })
        }),
        as_of in as_of_strategy(),
    ) {
        let c = ctx();
        prop_assert_eq!(evaluate_with_stats(&h, as_of, &c), evaluate_with_stats(&shuffled, as_of, &c));
    }

    /// Issue 16, item 2: a later round in rekenen — here an IEP result with only a
    /// referentieniveau, a year after everything else — makes every older rekenen run history.
    #[test]
    fn a_later_round_makes_older_runs_history(h in history(1)) {
        let last = h.results.iter().map(|r| r.result.taken_on).max().unwrap_or(day(0));
        let later = last + Duration::days(400);
        let mut with_iep = h.clone();
        let mut iep = h.results.first().map(|r| r.result.clone()).unwrap_or_else(|| TestResult {
            source: Source::Parnassys,
            external_id: String::new(),
            school: brin(),
            pupil_external_id: h.pupil_external_id.clone(),
            test_code: String::new(),
            part_code: None,
            test_name: String::new(),
            provider: None,
            taken_on: later,
            stated_moment: None,
            raw_score: None,
            ability: None,
            reference_scores: Vec::new(),
        });
        iep.external_id = "iep-later".into();
        iep.test_code = "IEP-RK".into();
        iep.test_name = "IEP Rekenen".into();
        iep.part_code = None;
        iep.taken_on = later;
        iep.stated_moment = Some(crate::domain::MomentKind::Mid);
        iep.ability = None;
        iep.reference_scores = vec![ReferenceScore::parse("RNTRM", "1F").expect("score")];
        with_iep.results.push(HistoryResult { id: 999_999, result: iep });
        for f in evaluate(&with_iep, later, &ctx()) {
            let level_rule = f.signal.rule == super::lowest_level_repeated::RULE_ID
                || f.signal.rule == super::level_drop::RULE_ID;
            prop_assert!(
                !(level_rule && f.signal.domain == Some(LearningDomain::Mathematics)),
                "{}", f.signal.key
            );
        }
    }

    /// Issue 16, item 2: learning signals ask for tasks only when their data is of the current or
    /// the previous school year.
    #[test]
    fn history_asks_for_no_task(h in history(1), as_of in as_of_strategy()) {
        for f in evaluate(&h, as_of, &ctx()) {
            if super::signal_without_plan::LEARNING_RULES.contains(&f.signal.rule.as_str()) && !f.tasks.is_empty() {
                prop_assert!(super::signal_without_plan::is_recent(super::signal_without_plan::opened_on(&f, as_of), as_of), "{}", f.signal.key);
            }
        }
    }

    /// Issue 18 item 4: `gifted_candidate` is one low signal per pupil without a task (by
    /// default), on M and E of one school year whose every result is in the top 10 %, and silent
    /// while a plan with a plusaanbod title runs.
    #[test]
    fn the_gifted_signal_is_one_low_signal_on_top_results(h in history(1), as_of in as_of_strategy()) {
        let gifted: Vec<Finding> = evaluate(&h, as_of, &ctx())
            .into_iter()
            .filter(|f| f.signal.rule == super::gifted_candidate::RULE_ID)
            .collect();
        prop_assert!(gifted.len() <= 1);
        for f in &gifted {
            prop_assert_eq!(f.signal.severity, crate::domain::Severity::Low);
            prop_assert!(f.tasks.is_empty());
            prop_assert!(f.signal.evidence.len() % 2 == 0);
            for e in &f.signal.evidence {
                let r = h.results.iter().find(|r| r.id.to_string() == e.id).expect("evidence is a result");
                let top = match crate::domain::level::percentile(&r.result.reference_scores) {
                    Some(p) => p >= 90,
                    None => r.result.reference_scores.iter().any(|s| s.level.is_some_and(crate::domain::Level::is_seven_level)),
                };
                prop_assert!(top, "{:?}", r.result.reference_scores);
            }
        }
        if !gifted.is_empty() {
            let mut plus = h.clone();
            plus.plans.push(HistoryPlan {
                id: 99_999,
                plan: SupportPlan {
                    source: Source::Parnassys,
                    external_id: "plus".into(),
                    school: brin(),
                    pupil_external_id: Some(plus.pupil_external_id.clone()),
                    group_external_id: None,
                    kind: PlanKind::ActionPlan,
                    domain: None,
                    title: "Plusklas".into(),
                    owner: None,
                    care_level: None,
                    start: as_of,
                    end: None,
                    evaluation_due: None,
                    minutes_per_week: None,
                    evaluations: Vec::new(),
                    decided_on: None,
                    drawn_up_on: None,
                    parents_agreed_on: None,
                },
            });
            prop_assert!(evaluate(&plus, as_of, &ctx()).iter().all(|f| f.signal.rule != super::gifted_candidate::RULE_ID));
        }
    }

    /// Issue 18 item 6c: `concern_notes` is at most one medium signal without a task, on at least
    /// `times` of the pupil's notes in a concern category within `weeks` school weeks up to the
    /// evaluation date, only while no other signal is found or active; a plan of the pupil's own
    /// running silences it.
    #[test]
    fn the_concern_signal_rests_on_concern_notes_only(h in history(1), as_of in as_of_strategy()) {
        let c = ctx();
        let all = evaluate(&h, as_of, &c);
        let concern: Vec<&Finding> = all.iter().filter(|f| f.signal.rule == super::concern_notes::RULE_ID).collect();
        prop_assert!(concern.len() <= 1);
        let p = &c.params;
        for f in &concern {
            prop_assert_eq!(f.signal.severity, crate::domain::Severity::Medium);
            prop_assert!(f.tasks.is_empty());
            prop_assert!(f.signal.evidence.len() >= p.concern_notes.times);
            let mut dates = Vec::new();
            for e in &f.signal.evidence {
                prop_assert_eq!(e.kind.as_str(), "note");
                let n = h.notes.iter().find(|n| n.id.to_string() == e.id).expect("evidence is a note");
                prop_assert!(super::params::NoteCategories::matches(&p.note_categories.concern, &n.category_path));
                prop_assert!(n.written_on <= as_of);
                dates.push(n.written_on);
            }
            let first = dates.iter().min().copied().expect("evidence");
            let last = dates.iter().max().copied().expect("evidence");
            prop_assert!(last < c.calendar.add_school_weeks(first, p.concern_notes.weeks));
            prop_assert!(all.iter().filter(|g| g.signal.rule != super::concern_notes::RULE_ID).count() == 0);
            prop_assert!(!h.open_signals.iter().any(|s| s.rule != super::concern_notes::RULE_ID && s.status.is_active()));
            let mut planned = h.clone();
            planned.plans.push(HistoryPlan {
                id: 99_998,
                plan: SupportPlan {
                    source: Source::Parnassys,
                    external_id: "eigen".into(),
                    school: brin(),
                    pupil_external_id: Some(planned.pupil_external_id.clone()),
                    group_external_id: None,
                    kind: PlanKind::ActionPlan,
                    domain: None,
                    title: "Welbevinden".into(),
                    owner: None,
                    care_level: None,
                    start: first,
                    end: None,
                    evaluation_due: None,
                    minutes_per_week: None,
                    evaluations: Vec::new(),
                    decided_on: None,
                    drawn_up_on: None,
                    parents_agreed_on: None,
                },
            });
            prop_assert!(evaluate(&planned, as_of, &c).iter().all(|g| g.signal.rule != super::concern_notes::RULE_ID));
        }
    }

    /// Issue 18 item 1: the social-emotional rules give at most one signal each per pupil; the low
    /// signal's evidence is all below the signal boundary, the drop's comes in pairs of one scale
    /// that fell by two categories or more, and the reminder fires only without a measurement in
    /// the school year of `as_of` and with a social-emotional signal to follow up.
    #[test]
    fn social_emotional_signals_rest_on_their_measurements(h in history(1), as_of in as_of_strategy()) {
        let findings = evaluate(&h, as_of, &ctx());
        let of = |rule: &str| findings.iter().filter(|f| f.signal.rule == rule).collect::<Vec<_>>();
        let by_id = |id: &str| h.social_emotional.iter().find(|m| m.external_id == id).expect("evidence is a measurement");
        let low = of(super::social_emotional_low::RULE_ID);
        let drop = of(super::social_emotional_drop::RULE_ID);
        let reminder = of(super::social_emotional_not_measured::RULE_ID);
        prop_assert!(low.len() <= 1 && drop.len() <= 1 && reminder.len() <= 1);
        for f in &low {
            prop_assert!(f.signal.evidence.len() >= 2);
            for e in &f.signal.evidence {
                let m = by_id(&e.id);
                prop_assert!(m.below_signal_boundary() && m.measured_on <= as_of);
            }
        }
        for f in &drop {
            for pair in f.signal.evidence.chunks(2) {
                let (a, b) = (by_id(&pair[0].id), by_id(&pair[1].id));
                prop_assert!(a.instrument == b.instrument && a.scale == b.scale && a.measured_on < b.measured_on);
                prop_assert!(a.category >= b.category + 2, "{:?} {:?}", a, b);
            }
        }
        let year = crate::domain::SchoolYear::of_date(as_of);
        if !reminder.is_empty() {
            prop_assert!(!h.social_emotional.iter().any(|m| m.measured_on <= as_of && year.contains(m.measured_on)));
            prop_assert!(!low.is_empty() || !drop.is_empty(), "the history has no stored social-emotional signal");
        }
    }

    /// Issue 16 item 14: every text a school user reads — explanations, evidence notes, task
    /// titles and bodies — has singular and plural right, decimal commas and Dutch dates, on the
    /// presets and with the round cadence.
    #[test]
    fn every_text_is_dutch(h in history(1), as_of in as_of_strategy(), preset in 0usize..3) {
        let mut c = super::SchoolContext::with_preset(["niveaus-1-6", "niveaus-1-4", "niveaus-1-5"][preset]);
        c.params.opp_yearly_evaluation.after_each_round = preset == 2;
        c.params.plan_evaluation_overdue.escalate_after_days = 1;
        for f in evaluate(&h, as_of, &c) {
            let mut texts = vec![f.signal.explanation.clone()];
            texts.extend(f.signal.evidence.iter().filter_map(|e| e.note.clone()));
            for t in &f.tasks {
                texts.push(t.title.clone());
                texts.push(t.body.clone());
            }
            for t in texts {
                let problems = super::text::dutch_text_problems(&t);
                prop_assert!(problems.is_empty(), "{}: {:?} in {:?}", f.signal.key, problems, t);
            }
        }
    }
}

/// An OPP with the procedure's dates: start, besluit (days before the start), opgesteld and
/// instemming (days after the start), each possibly unknown; the end, if closed.
type OppCase = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);

fn opp_case_strategy() -> impl Strategy<Value = OppCase> {
    (
        0i64..(3 * 365),
        prop::option::of(0i64..60),
        prop::option::of(0i64..120),
        prop::option::of(0i64..160),
        prop::option::of(1i64..400),
    )
}

fn opp_history((start, before, drawn, agreed, end): OppCase) -> PupilHistory {
    let start = day(start);
    let plan = SupportPlan {
        source: Source::Parnassys,
        external_id: "opp".into(),
        school: brin(),
        pupil_external_id: Some("ext1".into()),
        group_external_id: None,
        kind: PlanKind::Opp,
        domain: None,
        title: "OPP".into(),
        owner: None,
        care_level: Some("4".into()),
        start,
        end: end.map(|e| start + Duration::days(e)),
        evaluation_due: None,
        minutes_per_week: None,
        evaluations: Vec::new(),
        decided_on: before.map(|b| start - Duration::days(b)),
        drawn_up_on: drawn.map(|x| start + Duration::days(x)),
        parents_agreed_on: agreed.map(|x| start + Duration::days(x)),
    };
    let mut h = super::testkit::Pupil::new(1).build();
    h.plans.push(HistoryPlan { id: 1, plan });
    h
}

fn opp_rules(h: &PupilHistory, as_of: NaiveDate) -> (bool, bool) {
    let found = evaluate(h, as_of, &ctx());
    let has = |rule: &str| found.iter().any(|f| f.signal.rule == rule);
    (
        has(super::opp_not_drawn_up::RULE_ID),
        has(super::opp_parents_agreement::RULE_ID),
    )
}

proptest! {
    /// Issue 18 item 5: the OPP procedure's reminders fire exactly when the rule says (no
    /// holidays in the test calendar: 6 and 4 school weeks are 42 and 28 days), never for an OPP
    /// whose source does not record the procedure (no besluitdatum), and stop once the missing
    /// date is recorded.
    #[test]
    fn the_opp_procedure_reminders_fire_exactly_when_a_date_is_missing_past_its_term(
        case in opp_case_strategy(),
        as_of in as_of_strategy(),
    ) {
        let h = opp_history(case);
        let plan = &h.plans[0].plan;
        let running = plan.start <= as_of && plan.end.is_none_or(|e| as_of <= e);
        let recorded = |d: Option<NaiveDate>| d.is_some_and(|d| d <= as_of);
        let (not_drawn_up, no_agreement) = opp_rules(&h, as_of);
        let want_drawn = running
            && plan.decided_on.is_some_and(|dec| dec <= as_of && as_of > dec + Duration::days(42))
            && !recorded(plan.drawn_up_on);
        let want_agreement = running
            && plan.decided_on.is_some()
            && plan.drawn_up_on.is_some_and(|du| du <= as_of && as_of > du + Duration::days(28))
            && !recorded(plan.parents_agreed_on);
        prop_assert_eq!(not_drawn_up, want_drawn);
        prop_assert_eq!(no_agreement, want_agreement);

        // Unknown procedure: never a reminder, whatever else the OPP carries.
        let mut unknown = h.clone();
        unknown.plans[0].plan.decided_on = None;
        prop_assert_eq!(opp_rules(&unknown, as_of), (false, false));

        // Recording the missing date (today) ends the reminder.
        let mut drawn = h.clone();
        drawn.plans[0].plan.drawn_up_on = Some(as_of);
        prop_assert!(!opp_rules(&drawn, as_of).0);
        let mut agreed = h.clone();
        agreed.plans[0].plan.parents_agreed_on = Some(as_of);
        prop_assert!(!opp_rules(&agreed, as_of).1);

        for f in evaluate(&h, as_of, &ctx()) {
            let mut texts = vec![f.signal.explanation.clone()];
            texts.extend(f.signal.evidence.iter().filter_map(|e| e.note.clone()));
            for t in &f.tasks {
                texts.push(t.title.clone());
                texts.push(t.body.clone());
            }
            for t in texts {
                let problems = super::text::dutch_text_problems(&t);
                prop_assert!(problems.is_empty(), "{}: {:?} in {:?}", f.signal.key, problems, t);
            }
        }
    }
}
