//! The school's holidays in the rules (issue 16 item 11): plan and OPP deadlines and the EED weeks
//! count school weeks. One table per rule; each case also says what happens without holidays, so
//! every row would fail if the calendar were ignored.

use chrono::NaiveDate;

use super::testkit::{Pupil, ctx, d, eval};
use super::{Finding, SchoolContext, evaluate};
use crate::domain::{
    EvaluationOutcome, HolidayRegion, LearningDomain, PlanKind, SchoolCalendar, SchoolHoliday,
};

fn with_calendar(calendar: SchoolCalendar) -> SchoolContext {
    SchoolContext { calendar, ..ctx() }
}

fn autumn_2026() -> SchoolCalendar {
    SchoolCalendar::new(
        None,
        &[SchoolHoliday::new(
            d(2026, 10, 17),
            d(2026, 10, 25),
            "herfstvakantie",
        )],
    )
}

fn rules_of(p: &Pupil, as_of: NaiveDate, c: &SchoolContext, rule: &str) -> Vec<Finding> {
    evaluate(&p.h, as_of, c)
        .into_iter()
        .filter(|f| f.signal.rule == rule)
        .collect()
}

fn plan_rule(p: &Pupil, as_of: NaiveDate, c: &SchoolContext) -> Option<(String, NaiveDate)> {
    evaluate(&p.h, as_of, c)
        .into_iter()
        .find(|f| f.signal.rule.starts_with("plan_evaluation_"))
        .map(|f| {
            let due = f.signal.key.rsplit("plan").next().and_then(|w| {
                w.split_once('-')
                    .and_then(|(_, date)| date.parse::<NaiveDate>().ok())
            });
            (f.signal.rule, due.expect("key ends with the due date"))
        })
}

#[test]
fn a_holiday_pauses_a_computed_plan_deadline() {
    // Handelingsplan at zorgniveau 3 (6 weeks) from 14-09-2026: due 26-10-2026 without holidays,
    // 04-11-2026 with the nine days of herfstvakantie in between.
    let p = Pupil::new(3).plan(
        PlanKind::ActionPlan,
        Some(LearningDomain::Spelling),
        d(2026, 9, 14),
        |pl| pl.care_level = Some("3".into()),
    );
    // The deadline arithmetic itself: the IB's week of grace (`grace_days`) is tested apart.
    let mut plain = ctx();
    plain.params.plan_evaluation_overdue.grace_days = 0;
    let mut autumn = with_calendar(autumn_2026());
    autumn.params.plan_evaluation_overdue.grace_days = 0;
    type Case = (
        &'static str,
        NaiveDate,
        Option<(&'static str, NaiveDate)>,
        Option<(&'static str, NaiveDate)>,
    );
    let due = "plan_evaluation_due";
    let late = "plan_evaluation_overdue";
    let cases: &[Case] = &[
        // (name, as_of, without holidays, with herfstvakantie)
        (
            "a week before the plain date",
            d(2026, 10, 19),
            Some((due, d(2026, 10, 26))),
            None,
        ),
        (
            "on the plain date",
            d(2026, 10, 26),
            Some((due, d(2026, 10, 26))),
            None,
        ),
        (
            "two days after",
            d(2026, 10, 28),
            Some((late, d(2026, 10, 26))),
            Some((due, d(2026, 11, 4))),
        ),
        (
            "after the paused date",
            d(2026, 11, 5),
            Some((late, d(2026, 10, 26))),
            Some((late, d(2026, 11, 4))),
        ),
    ];
    for (name, as_of, want_plain, want_autumn) in cases {
        let got = |c: &SchoolContext| plan_rule(&p, *as_of, c);
        let own = |w: &Option<(&str, NaiveDate)>| w.map(|(r, d)| (r.to_string(), d));
        assert_eq!(got(&plain), own(want_plain), "{name}: without holidays");
        assert_eq!(got(&autumn), own(want_autumn), "{name}: with herfstvakantie");
    }
}

#[test]
fn whether_an_evaluation_settles_an_explicit_date_counts_calendar_weeks() {
    // OPP at zorgniveau 4 (8 weeks) with its next evaluation set for 18-11-2026. Eight calendar
    // weeks before that is 23-09-2026; eight school weeks with the herfstvakantie 14-09-2026. An
    // evaluation on 16-09 is the one that set the date (9 weeks before it) whatever the calendar:
    // the reminder is owed (version 4; until then the herfstvakantie made it this cycle's).
    let opp = |evaluated: NaiveDate| {
        Pupil::new(4).plan(PlanKind::Opp, None, d(2026, 4, 20), |pl| {
            pl.care_level = Some("4".into());
            pl.evaluation_due = Some(d(2026, 11, 18));
            pl.evaluations = vec![eval(evaluated, EvaluationOutcome::Achieved)];
        })
    };
    let as_of = d(2026, 11, 12);
    let owed = Some(("plan_evaluation_due".to_string(), d(2026, 11, 18)));
    let autumn = with_calendar(autumn_2026());
    // (evaluated on, without holidays, with herfstvakantie)
    let cases = [
        (d(2026, 9, 14), owed.clone(), owed.clone()),
        (d(2026, 9, 16), owed.clone(), owed.clone()),
        (d(2026, 9, 23), owed.clone(), owed.clone()),
        (d(2026, 9, 24), None, None),
    ];
    for (evaluated, plain, holiday) in cases {
        assert_eq!(
            plan_rule(&opp(evaluated), as_of, &ctx()),
            plain,
            "{evaluated}: without holidays"
        );
        assert_eq!(
            plan_rule(&opp(evaluated), as_of, &autumn),
            holiday,
            "{evaluated}: with herfstvakantie"
        );
    }
    // The planted case the year replay missed: evaluated on 07-05-2026, next date 02-07-2026 (8
    // calendar weeks, Hemelvaart and Pinksteren between): reminded from 25-06.
    let may = Pupil::new(4).plan(PlanKind::Opp, None, d(2025, 12, 1), |pl| {
        pl.care_level = Some("4".into());
        pl.evaluation_due = Some(d(2026, 7, 2));
        pl.evaluations = vec![eval(d(2026, 5, 7), EvaluationOutcome::Achieved)];
    });
    let spring = with_calendar(crate::domain::SchoolCalendar::new(
        Some(crate::domain::HolidayRegion::Midden),
        &[],
    ));
    assert_eq!(
        plan_rule(&may, d(2026, 6, 26), &spring),
        Some(("plan_evaluation_due".to_string(), d(2026, 7, 2)))
    );
}

#[test]
fn the_e_round_of_an_opp_is_due_after_the_summer_holiday_not_in_it() {
    // Seed 004: OPP evaluated after each M and E round. E window ends 15-07-2026; six school weeks
    // later is 26-08-2026 without holidays (in the summer holiday of every region), 09-10-2026 for
    // a school in regio midden (zomervakantie 18-07 – 30-08-2026).
    let mut plain = ctx();
    plain.params.opp_yearly_evaluation.after_each_round = true;
    let midden = SchoolContext {
        calendar: SchoolCalendar::new(Some(HolidayRegion::Midden), &[]),
        ..plain.clone()
    };
    // Evaluated after the M round, not after the E round.
    let p = Pupil::new(5).plan(PlanKind::Opp, None, d(2025, 9, 1), |pl| {
        pl.care_level = Some("4".into());
        pl.evaluations = vec![eval(d(2026, 3, 20), EvaluationOutcome::PartlyAchieved)];
    });
    let e_round = |as_of: NaiveDate, c: &SchoolContext| -> Option<NaiveDate> {
        rules_of(&p, as_of, c, "opp_yearly_evaluation")
            .into_iter()
            .find(|f| f.signal.key.ends_with("-2025-E"))
            .and_then(|f| f.tasks[0].due_on)
    };
    // (name, as_of, without holidays, regio midden)
    let cases = [
        (
            "in the summer holiday, just past the plain date",
            d(2026, 8, 27),
            Some(d(2026, 8, 26)),
            None,
        ),
        (
            "new school year, before the paused date",
            d(2026, 9, 20),
            Some(d(2026, 8, 26)),
            None,
        ),
        (
            "past the paused date: still seen in the new year",
            d(2026, 10, 12),
            Some(d(2026, 8, 26)),
            Some(d(2026, 10, 9)),
        ),
    ];
    for (name, as_of, want_plain, want_midden) in cases {
        assert_eq!(e_round(as_of, &plain), want_plain, "{name}: without holidays");
        assert_eq!(e_round(as_of, &midden), want_midden, "{name}: regio midden");
    }
    let evaluated = Pupil::new(5).plan(PlanKind::Opp, None, d(2025, 9, 1), |pl| {
        pl.care_level = Some("4".into());
        pl.evaluations = vec![eval(d(2026, 9, 2), EvaluationOutcome::PartlyAchieved)];
    });
    assert!(
        rules_of(&evaluated, d(2026, 10, 12), &midden, "opp_yearly_evaluation")
            .iter()
            .all(|f| !f.signal.key.ends_with("-2025-E")),
        "an evaluation after the E window settles the E round"
    );
}

#[test]
fn eed_weeks_do_not_count_holidays() {
    // Three DMT V- (laagste 10 %); one reading plan at zorgniveau 2 from 01-09-2024 to 01-11-2024:
    // 62 days is 8 weeks, minus the herfstvakantie (regio noord 19-10 – 27-10-2024) 7 weeks.
    let p = Pupil::new(2)
        .dmt(d(2024, 1, 20), "V-")
        .dmt(d(2024, 6, 10), "V-")
        .dmt(d(2025, 1, 20), "V-")
        .plan(
            PlanKind::ActionPlan,
            Some(LearningDomain::WordReading),
            d(2024, 9, 1),
            |pl| {
                pl.care_level = Some("2".into());
                pl.end = Some(d(2024, 11, 1));
                pl.minutes_per_week = Some(60);
            },
        );
    let body = |c: &SchoolContext| {
        // The check is the DMT signal's task (engine::merge_eed_checks).
        rules_of(&p, d(2025, 2, 1), c, "dmt_three_lowest")
            .first()
            .and_then(|f| f.tasks.iter().find(|t| t.key.starts_with("eed_check/")))
            .map(|t| t.body.clone())
            .unwrap_or_default()
    };
    let noord = with_calendar(SchoolCalendar::new(Some(HolidayRegion::Noord), &[]));
    assert!(
        body(&ctx()).contains("interventie duurde 8 weken"),
        "{}",
        body(&ctx())
    );
    assert!(
        body(&noord).contains("interventie duurde 7 weken"),
        "{}",
        body(&noord)
    );
}
