//! Unit tests of [`super::aggregate()`] (the side file of `aggregate.rs`): year-over-year windows,
//! zorgniveaus, suppression in the finished report and shares that would reveal a suppressed count.

use chrono::NaiveDate;

use super::{aggregate, previous_reference_date};
use crate::domain::{Brin, CareLadder, LearningDomain, PlanKind, SchoolYear, SignalStatus};
use crate::report::model::{ReportInput, SchoolInput, Unit, Value};
use crate::store::{ReportPlan, ReportPupil, ReportSignal};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

fn pupils(n: i64, from: NaiveDate) -> Vec<ReportPupil> {
    (1..=n)
        .map(|id| ReportPupil {
            id,
            left_on: None,
            enrolments: vec![(from, None)],
        })
        .collect()
}

fn plan(
    id: i64,
    pupil: i64,
    level: &str,
    start: NaiveDate,
    due: NaiveDate,
    evals: &[NaiveDate],
) -> ReportPlan {
    ReportPlan {
        id,
        pupil_id: Some(pupil),
        kind: PlanKind::ActionPlan,
        domain: Some(LearningDomain::Mathematics),
        care_level: Some(level.into()),
        start,
        end: None,
        evaluation_due: Some(due),
        evaluations: evals.to_vec(),
        group_members: Vec::new(),
    }
}

fn signal(id: i64, pupil: i64, rule: &str, opened: NaiveDate) -> ReportSignal {
    ReportSignal {
        id,
        pupil_id: pupil,
        rule: rule.into(),
        domain: Some(LearningDomain::Mathematics),
        status: SignalStatus::Open,
        opened_on: opened,
        closed_on: None,
        eed_criterion: None,
        rule_version: 1,
    }
}

fn school(
    brin: &str,
    pupils: Vec<ReportPupil>,
    plans: Vec<ReportPlan>,
    signals: Vec<ReportSignal>,
) -> SchoolInput {
    SchoolInput {
        brin: Brin::parse(brin).expect("brin"),
        name: format!("School {brin}"),
        ladder: CareLadder::presets()
            .into_iter()
            .find(|l| l.name == "abcd")
            .expect("abcd"),
        params: crate::rules::RuleParams::default(),
        pupils,
        plans,
        signals,
        sync: Vec::new(),
    }
}

fn input(schools: Vec<SchoolInput>, threshold: u32) -> ReportInput {
    ReportInput {
        board_name: "Stichting Test".into(),
        school_year: SchoolYear::starting(2025),
        as_of: d(2026, 3, 1),
        threshold,
        grace_days: 0,
        rules: vec!["no_growth".into(), "level_drop".into()],
        schools,
    }
}

fn count(r: &crate::report::BoardReport, unit: &Unit, m: &str, y: i32) -> Value {
    r.value(unit, m, SchoolYear::starting(y))
}

#[test]
fn each_year_counts_its_own_window_up_to_the_same_day() {
    // Signals: 2 last year before 1 March, 1 last year after 1 March (not comparable), 3 this year.
    let signals = vec![
        signal(1, 1, "no_growth", d(2024, 10, 1)),
        signal(2, 2, "no_growth", d(2025, 2, 1)),
        signal(3, 3, "no_growth", d(2025, 5, 1)),
        signal(4, 1, "no_growth", d(2025, 9, 1)),
        signal(5, 2, "level_drop", d(2025, 11, 1)),
        signal(6, 3, "level_drop", d(2026, 3, 1)),
        signal(7, 4, "level_drop", d(2026, 3, 2)),
    ];
    let r = aggregate(&input(
        vec![school("11ZW", pupils(20, d(2024, 8, 1)), vec![], signals)],
        1,
    ));
    let unit = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(r.as_of, d(2026, 3, 1));
    assert_eq!(r.previous_as_of, d(2025, 3, 1));
    assert_eq!(count(&r, &unit, "signals_new_total", 2025), Value::Count(3));
    assert_eq!(count(&r, &unit, "signals_new_total", 2024), Value::Count(2));
    assert_eq!(count(&r, &unit, "signals_new:level_drop", 2025), Value::Count(2));
    assert_eq!(count(&r, &unit, "signals_open_total", 2024), Value::Count(2));
    assert_eq!(
        count(&r, &unit, "signals_open_total", 2025),
        Value::Count(6),
        "every signal opened by then"
    );
    assert_eq!(count(&r, &Unit::Board, "month:2025-11", 2025), Value::Count(1));
}

#[test]
fn previous_reference_date_handles_leap_days_and_past_years() {
    let y = SchoolYear::starting(2027);
    assert_eq!(previous_reference_date(y, d(2028, 2, 29)), d(2027, 2, 28));
    let past = SchoolYear::starting(2024);
    assert_eq!(previous_reference_date(past, d(2026, 11, 29)), d(2024, 7, 31));
}

#[test]
fn zorgniveau_is_the_highest_active_plan_and_no_plan_means_the_first_level() {
    let s = d(2025, 9, 1);
    let plans = vec![
        plan(1, 1, "A2", s, d(2025, 10, 13), &[]),
        plan(2, 1, "B1", s, d(2025, 10, 13), &[]),
        ReportPlan {
            end: Some(d(2025, 12, 1)),
            ..plan(3, 2, "C", s, d(2025, 10, 13), &[])
        },
    ];
    let r = aggregate(&input(
        vec![school("11ZW", pupils(10, d(2025, 8, 1)), plans, vec![])],
        1,
    ));
    let unit = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(
        count(&r, &unit, "level:A1", 2025),
        Value::Count(9),
        "pupil 2's C plan has ended"
    );
    assert_eq!(count(&r, &unit, "level:B1", 2025), Value::Count(1));
    assert_eq!(count(&r, &unit, "level:C", 2025), Value::Count(0));
    assert_eq!(count(&r, &unit, "tier:basis", 2025), Value::Count(9));
    assert_eq!(count(&r, &unit, "tier:extra", 2025), Value::Count(1));
    assert_eq!(
        count(&r, &unit, "pupils", 2024),
        Value::Count(0),
        "nobody was enrolled last year"
    );
}

#[test]
fn evaluations_shares_and_median_in_the_report() {
    let s = d(2025, 9, 1);
    let due = d(2025, 10, 13);
    let mut plans = Vec::new();
    for i in 0..6 {
        plans.push(plan(i, i, "A2", s, due, &[due]));
    }
    for (i, late) in [(10, 3), (11, 5), (12, 9), (13, 20), (14, 1)] {
        plans.push(plan(i, i, "A2", s, due, &[due + chrono::Days::new(late)]));
    }
    for i in 20..25 {
        plans.push(plan(i, i, "A2", s, due, &[]));
    }
    let r = aggregate(&input(
        vec![school("11ZW", pupils(30, d(2025, 8, 1)), plans, vec![])],
        5,
    ));
    let unit = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(count(&r, &unit, "evaluations:on_time", 2025), Value::Count(6));
    assert_eq!(count(&r, &unit, "evaluations:late", 2025), Value::Count(5));
    assert_eq!(count(&r, &unit, "evaluations:missing", 2025), Value::Count(5));
    assert_eq!(
        count(&r, &unit, "evaluations_pct:on_time", 2025),
        Value::Percent(37.5)
    );
    assert_eq!(
        count(&r, &unit, "evaluations_median_days_late", 2025),
        Value::Days(5.0)
    );
}

#[test]
fn a_small_school_cannot_be_recovered_from_the_board_total() {
    let a = school("11ZW", pupils(40, d(2025, 8, 1)), vec![], vec![]);
    let b = school("22AB", pupils(3, d(2025, 8, 1)), vec![], vec![]);
    let c = school("33CD", pupils(25, d(2025, 8, 1)), vec![], vec![]);
    let r = aggregate(&input(vec![a, b, c], 5));
    let v = |brin: &str| {
        count(
            &r,
            &Unit::School(Brin::parse(brin).expect("brin")),
            "pupils",
            2025,
        )
    };
    assert_eq!(v("22AB"), Value::Small(5));
    assert_eq!(v("33CD"), Value::Hidden, "next-smallest school hidden");
    assert_eq!(v("11ZW"), Value::Count(40));
    assert_eq!(count(&r, &Unit::Board, "pupils", 2025), Value::Count(68));
    // 68 − 40 leaves 28 for two schools: the small one stays unknown.
    let shown: Vec<String> = r.figures.iter().map(|f| f.value.to_string()).collect();
    assert!(!shown.iter().any(|s| s == "3"), "the small count never appears");
}

/// Issue 18: the board report counts the absence rules like every rule of `RULES`, per school and
/// for the board, with small-cell suppression; an absence signal has no domain and never asks for
/// a plan, so it is not in the "plan binnen 6 weken" figures. No pupil id reaches the figures.
#[test]
fn the_absence_rules_are_counted_with_suppression_and_ask_for_no_plan() {
    let opened = d(2025, 11, 3);
    let absence = |id: i64, rule: &str| ReportSignal {
        domain: None,
        ..signal(id, id, rule, opened)
    };
    let rules: Vec<String> = crate::rules::RULES.iter().map(|r| r.id.to_string()).collect();
    let mut big: Vec<ReportSignal> = (1..=6).map(|i| absence(i, "frequent_sick_absence")).collect();
    big.extend((7..=11).map(|i| absence(i, "unauthorised_absence")));
    let mut one = input(
        vec![school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big.clone())],
        5,
    );
    one.rules = rules.clone();
    let r = aggregate(&one);
    let a = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(
        count(&r, &a, "signals_new:frequent_sick_absence", 2025),
        Value::Count(6)
    );
    assert_eq!(
        count(&r, &a, "signals_new:unauthorised_absence", 2025),
        Value::Count(5)
    );
    assert_eq!(
        count(&r, &a, "signal_plan_total", 2025),
        Value::Count(0),
        "asks for no plan"
    );

    let small = vec![
        absence(101, "unauthorised_absence"),
        absence(102, "frequent_sick_absence"),
    ];
    let mut two = input(
        vec![
            school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big),
            school("22AB", pupils(40, d(2025, 8, 1)), vec![], small),
        ],
        5,
    );
    two.rules = rules;
    let r = aggregate(&two);
    let b = Unit::School(Brin::parse("22AB").expect("brin"));
    for rule in ["frequent_sick_absence", "unauthorised_absence"] {
        let key = format!("signals_new:{rule}");
        assert_eq!(count(&r, &b, &key, 2025), Value::Small(5), "{rule}");
        let (school, board) = (count(&r, &a, &key, 2025), count(&r, &Unit::Board, &key, 2025));
        assert!(
            !(matches!(school, Value::Count(_)) && matches!(board, Value::Count(_))),
            "{rule}: the board total minus the big school would reveal the small one"
        );
    }
}

/// Issue 18 items 3 and 4: the board report counts `gifted_candidate` and `dyscalculia_check`
/// like every rule of `RULES`, with small-cell suppression; the rekenonderzoek asks for a plan
/// ("plan binnen 6 weken"), the plusaanbod signal (no domain, no task) does not.
#[test]
fn the_gifted_and_dyscalculia_rules_are_counted_with_suppression() {
    let opened = d(2025, 11, 3);
    let gifted = |id: i64| ReportSignal {
        domain: None,
        ..signal(id, id, "gifted_candidate", opened)
    };
    let rules: Vec<String> = crate::rules::RULES.iter().map(|r| r.id.to_string()).collect();
    assert!(rules.iter().any(|r| r == "gifted_candidate") && rules.iter().any(|r| r == "dyscalculia_check"));
    let mut big: Vec<ReportSignal> = (1..=7).map(gifted).collect();
    big.extend((8..=13).map(|i| signal(i, i, "dyscalculia_check", opened)));
    let small = vec![gifted(101), signal(102, 102, "dyscalculia_check", opened)];
    let mut one = input(
        vec![school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big.clone())],
        5,
    );
    one.rules = rules.clone();
    let r = aggregate(&one);
    let a = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(
        count(&r, &a, "signals_new:gifted_candidate", 2025),
        Value::Count(7)
    );
    assert_eq!(
        count(&r, &a, "signals_new:dyscalculia_check", 2025),
        Value::Count(6)
    );
    assert_eq!(
        count(&r, &a, "signal_plan_total", 2025),
        Value::Count(6),
        "only the rekenonderzoek asks for a plan"
    );
    let mut two = input(
        vec![
            school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big),
            school("22AB", pupils(40, d(2025, 8, 1)), vec![], small),
        ],
        5,
    );
    two.rules = rules;
    let r = aggregate(&two);
    let b = Unit::School(Brin::parse("22AB").expect("brin"));
    for rule in ["gifted_candidate", "dyscalculia_check"] {
        let key = format!("signals_new:{rule}");
        assert_eq!(count(&r, &b, &key, 2025), Value::Small(5), "{rule}");
        let (school, board) = (count(&r, &a, &key, 2025), count(&r, &Unit::Board, &key, 2025));
        assert!(
            !(matches!(school, Value::Count(_)) && matches!(board, Value::Count(_))),
            "{rule}: the board total minus the big school would reveal the small one"
        );
    }
}

/// Issue 18 item 1: the board report counts the three social-emotional rules like every rule of
/// `RULES`, per school and for the board, with small-cell suppression; they have no domain and
/// never ask for a plan. No pupil id reaches the figures.
#[test]
fn the_social_emotional_rules_are_counted_with_suppression_and_ask_for_no_plan() {
    let opened = d(2025, 11, 20);
    let se = |id: i64, rule: &str| ReportSignal {
        domain: None,
        ..signal(id, id, rule, opened)
    };
    let names = [
        "social_emotional_low",
        "social_emotional_drop",
        "social_emotional_not_measured",
    ];
    let rules: Vec<String> = crate::rules::RULES.iter().map(|r| r.id.to_string()).collect();
    assert!(names.iter().all(|n| rules.iter().any(|r| r == n)));
    let mut big: Vec<ReportSignal> = (1..=6).map(|i| se(i, names[0])).collect();
    big.extend((7..=13).map(|i| se(i, names[1])));
    big.extend((14..=21).map(|i| se(i, names[2])));
    let mut one = input(
        vec![school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big.clone())],
        5,
    );
    one.rules = rules.clone();
    let r = aggregate(&one);
    let a = Unit::School(Brin::parse("11ZW").expect("brin"));
    for (rule, n) in names.iter().zip([6, 7, 8]) {
        assert_eq!(
            count(&r, &a, &format!("signals_new:{rule}"), 2025),
            Value::Count(n),
            "{rule}"
        );
    }
    assert_eq!(
        count(&r, &a, "signal_plan_total", 2025),
        Value::Count(0),
        "asks for no plan"
    );
    let small = vec![se(101, names[0]), se(102, names[1]), se(103, names[2])];
    let mut two = input(
        vec![
            school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big),
            school("22AB", pupils(40, d(2025, 8, 1)), vec![], small),
        ],
        5,
    );
    two.rules = rules;
    let r = aggregate(&two);
    let b = Unit::School(Brin::parse("22AB").expect("brin"));
    for rule in names {
        let key = format!("signals_new:{rule}");
        assert_eq!(count(&r, &b, &key, 2025), Value::Small(5), "{rule}");
        let (school, board) = (count(&r, &a, &key, 2025), count(&r, &Unit::Board, &key, 2025));
        assert!(
            !(matches!(school, Value::Count(_)) && matches!(board, Value::Count(_))),
            "{rule}: the board total minus the big school would reveal the small one"
        );
    }
}

/// Issue 18 item 6c: the board report counts `concern_notes` like every rule of `RULES`, with
/// small-cell suppression; it has no domain and asks for no plan. The report rows carry no note
/// (nor any text of a signal), so the board report cannot show one.
#[test]
fn the_concern_notes_rule_is_counted_with_suppression_and_asks_for_no_plan() {
    let opened = d(2025, 11, 3);
    let concern = |id: i64| ReportSignal {
        domain: None,
        ..signal(id, id, "concern_notes", opened)
    };
    let rules: Vec<String> = crate::rules::RULES.iter().map(|r| r.id.to_string()).collect();
    assert!(rules.iter().any(|r| r == "concern_notes"));
    let big: Vec<ReportSignal> = (1..=8).map(concern).collect();
    let mut one = input(
        vec![school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big.clone())],
        5,
    );
    one.rules = rules.clone();
    let r = aggregate(&one);
    let a = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(count(&r, &a, "signals_new:concern_notes", 2025), Value::Count(8));
    assert_eq!(
        count(&r, &a, "signal_plan_total", 2025),
        Value::Count(0),
        "asks for no plan"
    );
    let mut two = input(
        vec![
            school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big),
            school(
                "22AB",
                pupils(40, d(2025, 8, 1)),
                vec![],
                vec![concern(101), concern(102)],
            ),
        ],
        5,
    );
    two.rules = rules;
    let r = aggregate(&two);
    let b = Unit::School(Brin::parse("22AB").expect("brin"));
    let key = "signals_new:concern_notes";
    assert_eq!(count(&r, &b, key, 2025), Value::Small(5));
    let (school, board) = (count(&r, &a, key, 2025), count(&r, &Unit::Board, key, 2025));
    assert!(
        !(matches!(school, Value::Count(_)) && matches!(board, Value::Count(_))),
        "the board total minus the big school would reveal the small one"
    );
    assert_eq!(
        crate::report::render_html::rule_label("concern_notes"),
        "Herhaalde zorgnotities"
    );
}

/// Issue 18 item 5: the board report counts the OPP procedure's reminders like every rule of
/// `RULES`, with small-cell suppression; neither asks for a plan (they are about the OPP itself).
#[test]
fn the_opp_procedure_rules_are_counted_with_suppression_and_ask_for_no_plan() {
    let opened = d(2025, 11, 18);
    let opp = |id: i64, rule: &str| ReportSignal {
        domain: None,
        ..signal(id, id, rule, opened)
    };
    let rules: Vec<String> = crate::rules::RULES.iter().map(|r| r.id.to_string()).collect();
    for rule in ["opp_not_drawn_up", "opp_parents_agreement"] {
        assert!(rules.iter().any(|r| r == rule), "{rule} is in RULES");
        assert_ne!(
            crate::report::render_html::rule_label(rule),
            rule,
            "{rule} has a Dutch label"
        );
    }
    let mut big: Vec<ReportSignal> = (1..=6).map(|i| opp(i, "opp_not_drawn_up")).collect();
    big.extend((7..=13).map(|i| opp(i, "opp_parents_agreement")));
    let small = vec![opp(101, "opp_not_drawn_up"), opp(102, "opp_parents_agreement")];
    let mut one = input(
        vec![school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big.clone())],
        5,
    );
    one.rules = rules.clone();
    let r = aggregate(&one);
    let a = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(
        count(&r, &a, "signals_new:opp_not_drawn_up", 2025),
        Value::Count(6)
    );
    assert_eq!(
        count(&r, &a, "signals_new:opp_parents_agreement", 2025),
        Value::Count(7)
    );
    assert_eq!(
        count(&r, &a, "signal_plan_total", 2025),
        Value::Count(0),
        "an OPP reminder asks for no plan"
    );
    let mut two = input(
        vec![
            school("11ZW", pupils(60, d(2025, 8, 1)), vec![], big),
            school("22AB", pupils(40, d(2025, 8, 1)), vec![], small),
        ],
        5,
    );
    two.rules = rules;
    let r = aggregate(&two);
    let b = Unit::School(Brin::parse("22AB").expect("brin"));
    for rule in ["opp_not_drawn_up", "opp_parents_agreement"] {
        let key = format!("signals_new:{rule}");
        assert_eq!(count(&r, &b, &key, 2025), Value::Small(5), "{rule}");
        let (school, board) = (count(&r, &a, &key, 2025), count(&r, &Unit::Board, &key, 2025));
        assert!(
            !(matches!(school, Value::Count(_)) && matches!(board, Value::Count(_))),
            "{rule}: the board total minus the big school would reveal the small one"
        );
    }
}

#[test]
fn a_share_that_would_reveal_a_small_count_is_not_published() {
    let opened = d(2025, 9, 1);
    let signals: Vec<ReportSignal> = (1..=12).map(|i| signal(i, i, "level_drop", opened)).collect();
    let plans = vec![plan(1, 1, "A2", d(2025, 9, 20), d(2025, 11, 1), &[])];
    let r = aggregate(&input(
        vec![school("11ZW", pupils(30, d(2025, 8, 1)), plans, signals)],
        5,
    ));
    let unit = Unit::School(Brin::parse("11ZW").expect("brin"));
    assert_eq!(count(&r, &unit, "signal_plan:with", 2025), Value::Small(5));
    assert_eq!(count(&r, &unit, "signal_plan:without", 2025), Value::Hidden);
    assert_eq!(count(&r, &unit, "signal_plan_total", 2025), Value::Count(12));
    assert_eq!(count(&r, &unit, "signal_plan_pct", 2025), Value::None);
}

/// Issue 16 item 15: "plan binnen 6 weken" is the rule's own test. A learning signal that asks for
/// a plan counts "with" exactly when `signal_without_plan` would stay silent on the day its six
/// weeks are up: a covering plan runs then — the pupil's own or a group plan of his group, started
/// before the signal or within the term; a plan that ended before that day, or one that starts
/// after it, does not count; `no_growth` (low severity) is not counted at all.
#[test]
fn plan_within_six_weeks_is_the_rules_definition() {
    use crate::rules::testkit::{Pupil as Hist, ctx};
    use crate::rules::{PriorSignal, evaluate};
    let opened = d(2025, 9, 1);
    let term_end = d(2025, 10, 13);
    let own = |start: NaiveDate, end: Option<NaiveDate>| ReportPlan {
        end,
        ..plan(100, 1, "A2", start, d(2026, 1, 1), &[])
    };
    let group = |start: NaiveDate, members: Vec<i64>| ReportPlan {
        pupil_id: None,
        kind: PlanKind::GroupPlan,
        group_members: members,
        ..plan(101, 1, "A1", start, d(2026, 1, 1), &[])
    };
    // (case, rule, plan, counted, with a plan in time)
    type Case = (&'static str, &'static str, Option<ReportPlan>, bool, bool);
    let cases: Vec<Case> = vec![
        ("no plan", "level_drop", None, true, false),
        (
            "own plan started in week 3",
            "level_drop",
            Some(own(d(2025, 9, 22), None)),
            true,
            true,
        ),
        (
            "own plan started before the signal, still running",
            "level_drop",
            Some(own(d(2025, 3, 1), None)),
            true,
            true,
        ),
        (
            "own plan ended before the term was up",
            "level_drop",
            Some(own(d(2025, 9, 5), Some(d(2025, 10, 1)))),
            true,
            false,
        ),
        (
            "own plan started the day after the term",
            "level_drop",
            Some(own(d(2025, 10, 14), None)),
            true,
            false,
        ),
        (
            "group plan of the pupil's group",
            "level_drop",
            Some(group(d(2025, 8, 25), vec![1, 2])),
            true,
            true,
        ),
        (
            "group plan of another group",
            "level_drop",
            Some(group(d(2025, 8, 25), vec![2])),
            true,
            false,
        ),
        ("no_growth asks for no plan", "no_growth", None, false, false),
    ];
    for (name, rule, p, counted, with) in cases {
        let r = aggregate(&input(
            vec![school(
                "11ZW",
                pupils(1, d(2025, 8, 1)),
                p.clone().into_iter().collect(),
                vec![signal(1, 1, rule, opened)],
            )],
            1,
        ));
        let unit = Unit::School(Brin::parse("11ZW").expect("brin"));
        let n = |m: &str| count(&r, &unit, m, 2025).count();
        assert_eq!(n("signal_plan_total"), Some(u64::from(counted)), "{name}");
        assert_eq!(n("signal_plan:with"), Some(u64::from(counted && with)), "{name}");
        // The rule on the day the term is up says the same.
        // The pupil's history holds his own plans and the group plans of his groups.
        let mut h = Hist::new(1);
        if let Some(p) = p.as_ref().filter(|p| p.covers_pupil(1)) {
            let kind = p.kind;
            let (start, end) = (p.start, p.end);
            h = h.plan(kind, p.domain, start, move |pl| pl.end = end);
        }
        // The rule asks only for a signal the data still shows (issue 17, `signal_without_plan`
        // version 3): rekenen III (P50) at M, V- (P5) at E, stored as opened on `opened`.
        let h = h
            .result("RW", "Rekenen", d(2025, 1, 20), &[("IV", "III"), ("PC", "50")])
            .result("RW", "Rekenen", d(2025, 6, 10), &[("IV", "V-"), ("PC", "5")]);
        let key = evaluate(&h.clone().build(), term_end, &ctx())
            .into_iter()
            .find(|f| f.signal.rule == rule)
            .map_or_else(|| format!("{rule}/p1/mathematics/x"), |f| f.signal.key);
        let mut history = h.build();
        history.open_signals = vec![PriorSignal {
            key,
            rule: rule.into(),
            domain: Some(LearningDomain::Mathematics),
            opened_on: opened,
            status: SignalStatus::Open,
            severity: None,
        }];
        let asks = evaluate(&history, term_end, &ctx())
            .iter()
            .any(|f| f.tasks.iter().any(|t| t.key.starts_with("signal_without_plan/")));
        if counted {
            assert_eq!(asks, !with, "{name}: the rule agrees");
        }
    }
}

/// `eed_checks_opened`: an `eed_check` signal, and a DMT signal with the criterion met from the
/// version that carries the check; not an older DMT signal (it had its own `eed_check`), not one
/// whose criterion is not met.
#[test]
fn an_ed_check_is_its_own_signal_or_carried_by_a_dmt_signal_with_the_criterion_met() {
    use crate::domain::EedCriterion;
    use crate::rules::dmt_three_lowest::CARRIES_ED_CHECK_SINCE;
    let on = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
    let dmt = |criterion, version| ReportSignal {
        eed_criterion: Some(criterion),
        rule_version: version,
        ..signal(1, 1, "dmt_three_lowest", on)
    };
    assert!(super::is_ed_check(&signal(1, 1, "eed_check", on)));
    assert!(super::is_ed_check(&dmt(
        EedCriterion::Met,
        CARRIES_ED_CHECK_SINCE
    )));
    assert!(!super::is_ed_check(&dmt(
        EedCriterion::Met,
        CARRIES_ED_CHECK_SINCE - 1
    )));
    assert!(!super::is_ed_check(&dmt(
        EedCriterion::NotMet,
        CARRIES_ED_CHECK_SINCE
    )));
    assert!(!super::is_ed_check(&signal(1, 1, "level_drop", on)));
}
