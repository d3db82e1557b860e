//! Shared plan logic: which plans are the pupil's own, when an evaluation is due, and the
//! evidence record of a plan.

use chrono::NaiveDate;

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::RuleInput;
use super::text;
use super::{HistoryPlan, SchoolContext};
use crate::domain::{Evidence, PlanKind, Severity, SupportPlan, TaskKind};

/// The pending evaluation of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The date the evaluation is due.
    pub due: NaiveDate,
    /// Whether the date was set in the plan (else start or last evaluation + period).
    pub explicit: bool,
}

/// A pupil's active signal about a plan's missing evaluation that the evaluation itself has
/// settled (issue 17: such signals stayed open, and were reminded in "nog open", after the
/// school had evaluated): `plan_evaluation_overdue::settled`, `opp_yearly_evaluation::settled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The stored signal's key.
    pub key: String,
    /// The date of the evaluation that settles it.
    pub evaluated_on: NaiveDate,
}

/// The plan's store id and the rest of a key whose anchor (last part) is `plan<id>-<rest>`.
pub fn anchor_plan(key: &str) -> Option<(i64, &str)> {
    let anchor = key.rsplit('/').next()?.strip_prefix("plan")?;
    let (id, rest) = anchor.split_once('-')?;
    Some((id.parse().ok()?, rest))
}

/// The pupil's own plans (handelingsplan, OPP) running on `as_of`; group plans are the group's,
/// reminded per group, never once per pupil.
pub fn own_active_plans<'a>(input: &RuleInput<'a>) -> impl Iterator<Item = &'a HistoryPlan> + 'a {
    let as_of = input.as_of;
    input.history.plans.iter().filter(move |hp| {
        hp.plan.kind != PlanKind::GroupPlan && hp.plan.start <= as_of && hp.plan.is_active_on(as_of)
    })
}

/// Evaluation period in weeks: the ladder level's own period, else the parameter for the kind.
pub fn period_weeks(ctx: &SchoolContext, plan: &SupportPlan) -> u32 {
    let p = &ctx.params.plan_evaluation_due;
    plan.care_level
        .as_deref()
        .and_then(|c| ctx.ladder.level(c))
        .and_then(|l| l.evaluation_weeks)
        .unwrap_or(match plan.kind {
            PlanKind::ActionPlan => p.action_plan_weeks,
            PlanKind::Opp => p.opp_weeks,
            PlanKind::GroupPlan => p.group_plan_weeks,
        })
}

/// The evaluation still owed on `as_of`, if any. Periods count school weeks: the school's holidays
/// pause them ([`crate::domain::SchoolCalendar::add_school_weeks`]). With an explicit date, an
/// evaluation less than one period before that date **in calendar weeks** (or later) settles it;
/// one held a period or more earlier is the previous cycle's (the date is then last evaluation +
/// period, as the school counted it) and does not. Calendar weeks, not school weeks, here: a
/// school that evaluated on 7 May and set the next date 8 weeks later (2 July) counted calendar
/// weeks, and with Hemelvaart and Pinksteren between, 8 school weeks before 2 July fall before 7
/// May, which made the evaluation that set the date count as this cycle's (version 4; the planted
/// case "OPP-handelingsdeel met evaluatiedatum over 6 dagen" was missed on the year replay). A
/// school that counted school weeks set its date further out, so its previous evaluation lies more
/// than a calendar period back either way. Without an explicit date, the next is due one period
/// (in school weeks) after the start or the last evaluation.
///
/// A group plan runs for its own period (Leeruniek: one plan per M/E period): its due date is its
/// own evaluation date, else its end date, and only without either the `group_plan_weeks` default;
/// any evaluation dated within its period settles it (one period, one evaluation).
///
/// An OPP without an evaluation date has no period here: it is evaluated at the school's own
/// frequency (`opp_yearly_evaluation`, seed 002: twice a year), not every eight weeks (issue 16
/// item 8). A date the school set (a handelingsdeel's next evaluation) is reminded as any other.
pub fn pending(ctx: &SchoolContext, as_of: NaiveDate, plan: &SupportPlan) -> Option<Deadline> {
    if plan.kind == PlanKind::Opp && plan.evaluation_due.is_none() {
        return None;
    }
    let weeks = period_weeks(ctx, plan);
    let last_eval = plan
        .evaluations
        .iter()
        .map(|e| e.date)
        .filter(|d| *d <= as_of)
        .max();
    if plan.kind == PlanKind::GroupPlan
        && let Some(due) = plan.evaluation_due.or(plan.end)
    {
        let settled = last_eval.is_some_and(|e| e >= plan.start);
        return (!settled).then_some(Deadline { due, explicit: true });
    }
    match plan.evaluation_due {
        Some(due) => {
            let settled = last_eval.is_some_and(|e| e > due - chrono::Days::new(7 * u64::from(weeks)));
            (!settled).then_some(Deadline { due, explicit: true })
        }
        None => {
            let base = last_eval.map_or(plan.start, |e| e.max(plan.start));
            Some(Deadline {
                due: ctx.calendar.add_school_weeks(base, weeks),
                explicit: false,
            })
        }
    }
}

/// Whether `hp` is a group plan whose own period ended before `as_of`, less than one group-plan
/// period (`group_plan_weeks` school weeks) ago: its evaluation, due at its end, is still owed
/// and reminded as overdue until the next period's plan has long taken over.
pub fn group_period_just_ended(ctx: &SchoolContext, hp: &HistoryPlan, as_of: NaiveDate) -> bool {
    hp.plan.kind == PlanKind::GroupPlan
        && hp.plan.end.is_some_and(|end| {
            end < as_of
                && as_of
                    <= ctx
                        .calendar
                        .add_school_weeks(end, ctx.params.plan_evaluation_due.group_plan_weeks)
        })
}

/// `handelingsplan 'Lezen' (technisch lezen, zorgniveau 3)`.
pub fn describe(plan: &SupportPlan) -> String {
    let mut parts = Vec::new();
    if let Some(d) = plan.domain {
        parts.push(d.dutch().to_string());
    }
    if let Some(l) = &plan.care_level {
        parts.push(format!("zorgniveau {l}"));
    }
    let title = if plan.title.trim().is_empty() {
        String::new()
    } else {
        format!(" '{}'", plan.title.trim())
    };
    if parts.is_empty() {
        format!("{}{title} (start {})", plan.kind.dutch(), text::date(plan.start))
    } else {
        format!("{}{title} ({})", plan.kind.dutch(), parts.join(", "))
    }
}

/// Evidence record of a plan.
pub fn evidence(hp: &HistoryPlan) -> Evidence {
    Evidence {
        kind: "plan".into(),
        id: hp.id.to_string(),
        date: hp.plan.start,
        test: None,
        moment: None,
        level: hp.plan.care_level.clone(),
        scale: None,
        percentile: None,
        ability_score: None,
        source: Some(hp.plan.source),
        note: None,
    }
}

/// A step of the OPP procedure (issue 18 item 5) owed within a term after an earlier one and
/// not recorded in time: for each running OPP whose source records the procedure (a
/// besluitdatum), with the earlier step (`since`) recorded by `as_of` and the later (`done`) not,
/// more than `weeks` school weeks after the earlier one. Yields the plan, the earlier step's date
/// and the term's last day. `opp_not_drawn_up` (decided, not drawn up) and
/// `opp_parents_agreement` (drawn up, no agreement) are this with their own dates.
pub fn overdue_opp_steps<'a>(
    input: &RuleInput<'a>,
    weeks: u32,
    since: fn(&SupportPlan) -> Option<NaiveDate>,
    done: fn(&SupportPlan) -> Option<NaiveDate>,
) -> Vec<(&'a HistoryPlan, NaiveDate, NaiveDate)> {
    let as_of = input.as_of;
    own_active_plans(input)
        .filter(|hp| hp.plan.tracks_opp_procedure())
        .filter_map(|hp| {
            let from = since(&hp.plan).filter(|d| *d <= as_of)?;
            if done(&hp.plan).is_some_and(|d| d <= as_of) {
                return None;
            }
            let due = input.ctx.calendar.add_school_weeks(from, weeks);
            (as_of > due).then_some((hp, from, due))
        })
        .collect()
}

/// What an OPP-step reminder says (see [`opp_step_finding`]).
pub struct OppStepReminder {
    /// Rule id.
    pub rule: &'static str,
    /// Rule version.
    pub version: u32,
    /// Key window: the plan and the earlier step (`plan<id>-besluit-<date>`).
    pub window: String,
    /// The earlier step's date (the evidence date).
    pub since: NaiveDate,
    /// The evidence note.
    pub note: &'static str,
    /// The IB task's title.
    pub title: String,
    /// Explanation, also the task's body.
    pub explanation: String,
}

/// The IB's reminder of an OPP step not recorded in time: one medium signal with the plan as
/// evidence (dated on the earlier step) and one IB task with the same text.
pub fn opp_step_finding(input: &RuleInput<'_>, hp: &HistoryPlan, r: OppStepReminder) -> Finding {
    let pupil = input.history.pupil_id;
    let domain = hp.plan.domain;
    Finding {
        signal: SignalDraft {
            key: signal_key(r.rule, pupil, domain, &r.window),
            rule: r.rule.into(),
            rule_version: r.version,
            domain,
            severity: Severity::Medium,
            explanation: r.explanation.clone(),
            evidence: vec![Evidence {
                date: r.since,
                note: Some(r.note.into()),
                ..evidence(hp)
            }],
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(r.rule, pupil, domain, &r.window),
            kind: TaskKind::IbTask,
            target: task_target([hp.plan.source]),
            title: r.title,
            body: r.explanation,
            due_on: None,
        }],
    }
}
