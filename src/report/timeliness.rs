//! Evaluation timeliness (evaluatie op tijd / te laat / ontbrekend) of one plan on a reference
//! date. A plan owes its first evaluation on its due date: the explicit `evaluation_due`, else
//! start + the ladder's period for its kind and zorgniveau; an OPP without a date owes it at the
//! school's first OPP deadline (its own frequency, as `opp_yearly_evaluation` reads it).
//! - **on time**: the first evaluation after the start is on or before due + grace;
//! - **late**: that evaluation is after due + grace (days late = evaluation − due);
//! - **missing**: no evaluation by the reference date and due + grace has passed;
//! - **pending**: due + grace not yet passed and no evaluation: not counted.
//!
//! Evaluations dated after the reference date are not known yet on that date.

use chrono::{Days, NaiveDate};

use crate::domain::{CareLadder, PlanKind};
use crate::rules::RuleParams;
use crate::store::ReportPlan;

/// Where a plan's evaluation stands on a reference date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    /// Evaluated on or before due + grace.
    OnTime,
    /// Evaluated this many days after the due date (more than the grace).
    Late(u32),
    /// Not evaluated, and due + grace has passed.
    Missing,
    /// Not due yet (or within the grace): not counted.
    Pending,
}

/// The date a plan's first evaluation is due.
pub fn due_date(plan: &ReportPlan, ladder: &CareLadder, params: &RuleParams) -> NaiveDate {
    if plan.kind == PlanKind::Opp && plan.evaluation_due.is_none() {
        return crate::rules::opp_yearly_evaluation::first_due(
            &params.opp_yearly_evaluation,
            ladder,
            plan.start,
        )
        .unwrap_or(NaiveDate::MAX);
    }
    plan.evaluation_due.unwrap_or_else(|| {
        let weeks = ladder.evaluation_weeks(plan.kind, plan.care_level.as_deref());
        plan.start
            .checked_add_days(Days::new(u64::from(weeks) * 7))
            .unwrap_or(NaiveDate::MAX)
    })
}

/// Classifies the plan's first evaluation as known at the end of `reference`.
pub fn classify(plan: &ReportPlan, due: NaiveDate, grace_days: u32, reference: NaiveDate) -> Timeliness {
    let deadline = due
        .checked_add_days(Days::new(u64::from(grace_days)))
        .unwrap_or(NaiveDate::MAX);
    let first = plan
        .evaluations
        .iter()
        .copied()
        .filter(|d| *d >= plan.start && *d <= reference)
        .min();
    match first {
        Some(d) if d <= deadline => Timeliness::OnTime,
        Some(d) => Timeliness::Late(u32::try_from((d - due).num_days()).unwrap_or(u32::MAX)),
        None if reference > deadline => Timeliness::Missing,
        None => Timeliness::Pending,
    }
}

/// Median of the days, one decimal precision (mean of the middle two for an even count).
pub fn median(days: &[u32]) -> Option<f64> {
    let mut v = days.to_vec();
    v.sort_unstable();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(f64::from(v[n / 2])),
        _ => Some((f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    fn plan(evaluations: &[NaiveDate]) -> ReportPlan {
        ReportPlan {
            id: 1,
            pupil_id: Some(1),
            kind: PlanKind::ActionPlan,
            domain: None,
            care_level: Some("A2".into()),
            start: d(1, 5),
            end: None,
            evaluation_due: Some(d(2, 16)),
            evaluations: evaluations.to_vec(),
            group_members: Vec::new(),
        }
    }

    #[test]
    fn on_the_due_date_is_on_time_and_the_day_after_is_late() {
        let due = d(2, 16);
        assert_eq!(classify(&plan(&[d(2, 16)]), due, 0, d(6, 1)), Timeliness::OnTime);
        assert_eq!(classify(&plan(&[d(2, 17)]), due, 0, d(6, 1)), Timeliness::Late(1));
        assert_eq!(classify(&plan(&[d(1, 20)]), due, 0, d(6, 1)), Timeliness::OnTime);
    }

    #[test]
    fn the_grace_moves_the_boundary_but_days_late_count_from_the_due_date() {
        let due = d(2, 16);
        assert_eq!(classify(&plan(&[d(2, 23)]), due, 7, d(6, 1)), Timeliness::OnTime);
        assert_eq!(classify(&plan(&[d(2, 24)]), due, 7, d(6, 1)), Timeliness::Late(8));
    }

    #[test]
    fn missing_only_once_the_deadline_has_passed() {
        let due = d(2, 16);
        assert_eq!(classify(&plan(&[]), due, 0, d(2, 16)), Timeliness::Pending);
        assert_eq!(classify(&plan(&[]), due, 0, d(2, 17)), Timeliness::Missing);
        assert_eq!(classify(&plan(&[]), due, 3, d(2, 19)), Timeliness::Pending);
        assert_eq!(classify(&plan(&[]), due, 3, d(2, 20)), Timeliness::Missing);
    }

    #[test]
    fn evaluations_after_the_reference_date_are_not_known_yet() {
        let due = d(2, 16);
        let p = plan(&[d(3, 2)]);
        assert_eq!(classify(&p, due, 0, d(3, 1)), Timeliness::Missing);
        assert_eq!(classify(&p, due, 0, d(3, 2)), Timeliness::Late(14));
    }

    #[test]
    fn due_date_falls_back_to_the_ladder_period() {
        let ladder = CareLadder::presets()
            .into_iter()
            .find(|l| l.name == "abcd")
            .expect("abcd");
        let mut p = plan(&[]);
        p.evaluation_due = None;
        let params = RuleParams::default();
        assert_eq!(
            due_date(&p, &ladder, &params),
            d(2, 16),
            "A2: six weeks after 5 January"
        );
        // An OPP without a date: the school's first OPP deadline at least 8 weeks after the start
        // (abcd evaluates twice a year: 31 January, 15 June), not start + 8 weeks.
        p.kind = PlanKind::Opp;
        p.start = d(1, 5);
        assert_eq!(due_date(&p, &ladder, &params), d(6, 15));
        p.start = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
        assert_eq!(due_date(&p, &ladder, &params), d(1, 31));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[9, 1, 4]), Some(4.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
    }
}
