//! `opp_yearly_evaluation`: an active OPP is evaluated with the parents at least once per school
//! year (WPO art. 40a), and as often as the school itself does (seed 002: twice a year), by the
//! school's dates; optionally also after each M and E round (school cadence, seed 004).

use chrono::{Duration, NaiveDate};

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::params::OppYearlyEvaluation;
use super::{HistoryPlan, SchoolContext, plans, text};
use crate::domain::{CareLadder, PlanKind, SchoolYear, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "opp_yearly_evaluation";
/// Rule version. 2: school weeks (holidays) for the round cadence. 3: the school's own frequency
/// (`per_year`, from the care ladder: seed 002 twice a year) with one deadline per part of the
/// year; the texts no longer present 15 June as the law (issue 16 items 8 and 14). 4: the OPP's
/// recorded evaluation settles the signal ([`settled`], issue 17).
pub const RULE_VERSION: u32 = 4;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// How often per school year the school evaluates an OPP: the rule parameter, else the care
/// ladder's, else once (the legal minimum).
pub fn per_year(ctx: &SchoolContext) -> u32 {
    frequency(&ctx.params.opp_yearly_evaluation, &ctx.ladder)
}

/// [`per_year`] from the parts.
pub fn frequency(p: &OppYearlyEvaluation, ladder: &CareLadder) -> u32 {
    p.per_year
        .or(ladder.opp_evaluations_per_year)
        .unwrap_or(1)
        .clamp(1, OppYearlyEvaluation::MAX_PER_YEAR)
}

/// The school's deadlines for an OPP in `year` (the yearly date alone with the round cadence,
/// whose rounds are checked apart).
pub fn year_deadlines(p: &OppYearlyEvaluation, ladder: &CareLadder, year: SchoolYear) -> Vec<NaiveDate> {
    if p.after_each_round {
        p.deadline.in_school_year(year).into_iter().collect()
    } else {
        p.deadlines(year, frequency(p, ladder))
    }
}

/// When an OPP without an evaluation date of its own owes its first evaluation: the school's
/// first deadline at least `min_weeks_active` weeks after its start (the board report's
/// timeliness uses the rule's reading).
pub fn first_due(p: &OppYearlyEvaluation, ladder: &CareLadder, start: NaiveDate) -> Option<NaiveDate> {
    let min_active = Duration::weeks(i64::from(p.min_weeks_active));
    let year = SchoolYear::of_date(start);
    [year, year.next()]
        .into_iter()
        .flat_map(|y| year_deadlines(p, ladder, y))
        .find(|d| start <= *d - min_active)
}

/// One of the year's deadlines for an OPP.
struct Deadline {
    year: SchoolYear,
    /// The first day an evaluation counts for it (1 August, or the day after the previous one).
    from: NaiveDate,
    due: NaiveDate,
    /// The year's last deadline (the yearly one; its key has no date suffix).
    last: bool,
}

/// Runs the rule.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.opp_yearly_evaluation;
    if !p.enabled {
        return Vec::new();
    }
    let year = SchoolYear::of_date(input.as_of);
    let n = per_year(input.ctx);
    // With the round cadence the rounds are the school's own moments; the yearly date stays.
    let dates = year_deadlines(p, &input.ctx.ladder, year);
    let mut deadlines = Vec::with_capacity(dates.len());
    let mut from = year.first_day();
    for (i, due) in dates.iter().enumerate() {
        deadlines.push(Deadline {
            year,
            from,
            due: *due,
            last: i + 1 == dates.len(),
        });
        from = due.succ_opt().unwrap_or(*due);
    }
    let min_active = Duration::weeks(i64::from(p.min_weeks_active));
    let mut out = Vec::new();
    for hp in plans::own_active_plans(input).filter(|hp| hp.plan.kind == PlanKind::Opp) {
        let evaluated_since = |from: NaiveDate| {
            hp.plan
                .evaluations
                .iter()
                .any(|e| e.date >= from && e.date <= input.as_of)
        };
        // One evaluation settles one deadline: the earliest unused one dated from the
        // deadline's first day on (a late evaluation settles the missed deadline, and the next
        // one still needs its own).
        let mut evals: Vec<NaiveDate> = hp
            .plan
            .evaluations
            .iter()
            .map(|e| e.date)
            .filter(|d| *d >= year.first_day() && *d <= input.as_of)
            .collect();
        evals.sort_unstable();
        let mut next = 0;
        for dl in &deadlines {
            if hp.plan.start > dl.due - min_active {
                continue;
            }
            if let Some(i) = evals[next..].iter().position(|e| *e >= dl.from) {
                next += i + 1;
                continue;
            }
            if input.as_of >= dl.due - Duration::days(i64::from(p.remind_days_before)) {
                let evaluated = u32::try_from(evals.len()).unwrap_or(u32::MAX);
                out.push(finding(input, hp, dl, n, evaluated));
            }
        }
        // The previous school year's (yearly) deadline: an OPP that ran through it without any
        // evaluation in that year, and has not been evaluated since, is still overdue in the new
        // year: the legal minimum was missed.
        let last = year.previous();
        if let Some(last_deadline) = p.deadline.in_school_year(last) {
            let ran_through =
                hp.plan.start <= last_deadline - min_active && hp.plan.is_active_on(last_deadline);
            if ran_through && !evaluated_since(last.first_day()) {
                let dl = Deadline {
                    year: last,
                    from: last.first_day(),
                    due: last_deadline,
                    last: true,
                };
                out.push(finding(input, hp, &dl, 1, 0));
            }
        }
        if p.after_each_round {
            out.extend(rounds(input, hp, year, &evaluated_since));
        }
    }
    out
}

/// `twee keer`, `drie keer`.
fn times(n: u32) -> String {
    format!("{} keer", text::count_word(n as usize))
}

/// The finding for an unsettled deadline; `evaluated` is how often the OPP was evaluated in the
/// deadline's school year so far.
fn finding(input: &RuleInput<'_>, hp: &HistoryPlan, dl: &Deadline, n: u32, evaluated: u32) -> Finding {
    let pupil = input.history.pupil_id;
    let domain = hp.plan.domain;
    let year = dl.year;
    let window = if dl.last {
        format!("plan{}-{}", hp.id, year.start_year())
    } else {
        format!("plan{}-{}-{}", hp.id, year.start_year(), dl.due.format("%m%d"))
    };
    let what = plans::describe(&hp.plan);
    let target = task_target([hp.plan.source]);
    let late = input.as_of > dl.due;
    let due = text::date(dl.due);
    // The law asks at least one evaluation a year, with the parents (WPO art. 40a); the date
    // is the school's own (15 June by default), never presented as the law's.
    let law = "De wet vraagt minstens één evaluatie per schooljaar, met de ouders (WPO art. 40a).";
    let (explanation, body) = if n <= 1 {
        let state = if late {
            format!(
                "Het {what} is in schooljaar {year} niet geëvalueerd; de schooldatum {due} is verstreken."
            )
        } else {
            format!("Het {what} is in schooljaar {year} nog niet geëvalueerd; de school houdt {due} aan.")
        };
        (format!("{state} {law}"), format!("{state} {law}"))
    } else {
        let done = match evaluated {
            0 => "nog niet".to_string(),
            1 => "één keer".to_string(),
            c => times(c),
        };
        let policy = format!(
            "Het {what} is in schooljaar {year} {done} geëvalueerd; de school evalueert een OPP {} per schooljaar met de ouders.",
            times(n)
        );
        let next = if late {
            format!("De evaluatie die uiterlijk {due} hoorde, ontbreekt.")
        } else {
            format!("De volgende evaluatie hoort uiterlijk {due}.")
        };
        let state = format!("{policy} {next}");
        if evaluated == 0 && dl.last {
            (format!("{state} {law}"), state)
        } else {
            (state.clone(), state)
        }
    };
    let mut tasks = vec![TaskDraft {
        key: format!("{}/herinnering", task_key(RULE_ID, pupil, domain, &window)),
        kind: TaskKind::OwnerReminder,
        target,
        title: format!("OPP met de ouders evalueren, uiterlijk {due}"),
        body,
        due_on: Some(dl.due),
    }];
    if late {
        tasks.push(TaskDraft {
            key: format!("{}/escalatie", task_key(RULE_ID, pupil, domain, &window)),
            kind: TaskKind::IbTask,
            target,
            title: "Evaluatie OPP ontbreekt".into(),
            body: format!("Het {what} is niet geëvalueerd; de datum {due} is verstreken."),
            due_on: None,
        });
    }
    Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, domain, &window),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain,
            severity: if late { Severity::Medium } else { Severity::Low },
            explanation,
            evidence: vec![plans::evidence(hp)],
            eed_criterion: None,
        },
        tasks,
    }
}

/// After each M and E window of the current year (and the E window of the previous year): an
/// evaluation dated from the window's first day on is expected within `round_grace_weeks` school
/// weeks after the window's last day (holidays pause the count, so the E round's date lands after
/// the summer holiday instead of in it).
fn rounds(
    input: &RuleInput<'_>,
    hp: &HistoryPlan,
    year: SchoolYear,
    evaluated_since: &dyn Fn(NaiveDate) -> bool,
) -> Vec<Finding> {
    let p = &input.ctx.params.opp_yearly_evaluation;
    let w = &input.ctx.params.moment_windows;
    let mut out = Vec::new();
    // The current year's M and E rounds, and last year's E round: its evaluation falls around the
    // summer holiday, so it is still owed (and checked) in the new school year.
    let rounds = [
        (year, "M", w.mid_from, w.mid_to),
        (year, "E", w.end_from, w.end_to),
        (year.previous(), "E", w.end_from, w.end_to),
    ];
    for (year, label, from, to) in rounds {
        let (Some(from), Some(to)) = (from.in_school_year(year), to.in_school_year(year)) else {
            continue;
        };
        let expected_by = input.ctx.calendar.add_school_weeks(to, p.round_grace_weeks);
        if hp.plan.start > to || input.as_of <= expected_by || evaluated_since(from) {
            continue;
        }
        let pupil = input.history.pupil_id;
        let domain = hp.plan.domain;
        let window = format!("plan{}-{}-{label}", hp.id, year.start_year());
        let what = plans::describe(&hp.plan);
        out.push(Finding {
            signal: SignalDraft {
                key: signal_key(RULE_ID, pupil, domain, &window),
                rule: RULE_ID.into(),
                rule_version: RULE_VERSION,
                domain,
                severity: Severity::Low,
                explanation: format!(
                    "Het {what} is na de {label}-toetsronde van {year} niet geëvalueerd (verwacht uiterlijk {}).",
                    text::date(expected_by)
                ),
                evidence: vec![plans::evidence(hp)],
                eed_criterion: None,
            },
            tasks: vec![TaskDraft {
                key: task_key(RULE_ID, pupil, domain, &window),
                kind: TaskKind::OwnerReminder,
                target: task_target([hp.plan.source]),
                title: format!("OPP evalueren na de {label}-toetsronde"),
                body: format!("Het {what} is na de {label}-toetsronde van {year} nog niet geëvalueerd."),
                due_on: Some(expected_by),
            }],
        });
    }
    out
}

/// The pupil's active signals of this rule that the OPP's evaluation has settled: this run no
/// longer finds them (`found`: the run's keys) and the OPP has an evaluation recorded by
/// `as_of` and dated no more than `remind_days_before` days before the signal opened (it opens
/// that long before its date at the earliest, and an evaluation dated earlier had settled the
/// date before it opened). A signal the rule stops finding for another reason — the year's
/// earlier date after the year ended, an OPP closed without an evaluation — stays for the IB.
pub fn settled(
    history: &super::PupilHistory,
    as_of: NaiveDate,
    ctx: &SchoolContext,
    found: &std::collections::HashSet<&str>,
) -> Vec<plans::Settled> {
    let lead = Duration::days(i64::from(ctx.params.opp_yearly_evaluation.remind_days_before));
    history
        .open_signals
        .iter()
        .filter(|s| s.status.is_active() && s.rule == RULE_ID && !found.contains(s.key.as_str()))
        .filter_map(|s| {
            let (plan_id, _) = plans::anchor_plan(&s.key)?;
            let hp = history.plans.iter().find(|hp| hp.id == plan_id)?;
            let evaluated_on = hp
                .plan
                .evaluations
                .iter()
                .map(|e| e.date)
                .filter(|d| *d >= s.opened_on - lead && *d <= as_of)
                .min()?;
            Some(plans::Settled {
                key: s.key.clone(),
                evaluated_on,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, ctx, d, eval};
    use super::super::{Finding, SchoolContext, evaluate as engine_evaluate};
    use super::*;
    use crate::domain::EvaluationOutcome;

    fn run(p: Pupil, as_of: NaiveDate, c: &SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, c)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn opp(start: NaiveDate, evals: &[NaiveDate]) -> Pupil {
        let evals: Vec<_> = evals
            .iter()
            .map(|e| eval(*e, EvaluationOutcome::PartlyAchieved))
            .collect();
        Pupil::new(8).plan(PlanKind::Opp, None, start, move |pl| {
            pl.care_level = Some("4".into());
            pl.evaluations = evals;
        })
    }

    #[test]
    fn the_opps_evaluation_settles_its_signal_nothing_else_does() {
        use crate::domain::SignalStatus::{Open, Resolved};
        let mut c = ctx();
        c.params.opp_yearly_evaluation.per_year = Some(1);
        // Opened 16 May (30 days before 15 June).
        let found = run(opp(d(2025, 9, 1), &[]), d(2026, 5, 16), &c);
        let key = found[0].signal.key.clone();
        let check = |evals: &[NaiveDate], as_of: NaiveDate, status| {
            let mut h = opp(d(2025, 9, 1), evals).build();
            h.open_signals = vec![super::super::PriorSignal {
                key: key.clone(),
                rule: RULE_ID.into(),
                domain: None,
                opened_on: d(2026, 5, 16),
                status,
                severity: Some(Severity::Low),
            }];
            let now: std::collections::HashSet<String> = engine_evaluate(&h, as_of, &c)
                .into_iter()
                .map(|f| f.signal.key)
                .collect();
            let now: std::collections::HashSet<&str> = now.iter().map(String::as_str).collect();
            settled(&h, as_of, &c, &now)
        };
        assert_eq!(
            check(&[d(2026, 6, 2)], d(2026, 6, 3), Open),
            vec![plans::Settled {
                key: key.clone(),
                evaluated_on: d(2026, 6, 2)
            }],
            "evaluated before the date"
        );
        assert_eq!(
            check(&[d(2026, 6, 20)], d(2026, 6, 22), Open).len(),
            1,
            "evaluated late"
        );
        assert!(
            check(&[], d(2026, 6, 3), Open).is_empty(),
            "still found: not settled"
        );
        assert!(
            check(&[d(2026, 6, 2)], d(2026, 6, 3), Resolved).is_empty(),
            "closed stays closed"
        );
        // An evaluation dated long before the signal opened is not what this signal waited for:
        // whatever made the rule stop finding it, the IB closes it.
        assert!(
            check(&[d(2025, 10, 1)], d(2026, 6, 3), Open).is_empty(),
            "an old evaluation"
        );
        // The new school year: the rule stops finding last year's date only when an evaluation
        // came; without one it still finds it (the legal minimum missed), so nothing settles.
        assert!(
            check(&[], d(2026, 9, 7), Open).is_empty(),
            "the next year, unevaluated"
        );
    }

    #[test]
    fn table() {
        // Once a year, the legal minimum (niveaus-1-5 has no frequency of its own).
        let mut c = ctx();
        c.params.opp_yearly_evaluation.per_year = Some(1);
        // (name, start, evaluations, as_of, expected task kinds)
        type Case<'a> = (&'a str, NaiveDate, &'a [NaiveDate], NaiveDate, &'a [TaskKind]);
        let cases: &[Case<'_>] = &[
            ("too early to remind", d(2025, 9, 1), &[], d(2026, 5, 15), &[]),
            (
                "reminder 30 days before",
                d(2025, 9, 1),
                &[],
                d(2026, 5, 16),
                &[TaskKind::OwnerReminder],
            ),
            (
                "after June 15: IB escalation",
                d(2025, 9, 1),
                &[],
                d(2026, 6, 16),
                &[TaskKind::IbTask, TaskKind::OwnerReminder],
            ),
            (
                "evaluated this year",
                d(2025, 9, 1),
                &[d(2026, 2, 1)],
                d(2026, 6, 16),
                &[],
            ),
            (
                "last year's evaluation does not count",
                d(2024, 9, 1),
                &[d(2025, 6, 1)],
                d(2026, 6, 16),
                &[TaskKind::IbTask, TaskKind::OwnerReminder],
            ),
            (
                "started in May: not yet due",
                d(2026, 5, 1),
                &[],
                d(2026, 6, 16),
                &[],
            ),
            (
                "new school year: last year's missed deadline still open",
                d(2025, 9, 10),
                &[],
                d(2026, 11, 20),
                &[TaskKind::IbTask, TaskKind::OwnerReminder],
            ),
            (
                "new school year: evaluated after the missed deadline",
                d(2025, 9, 10),
                &[d(2026, 9, 14)],
                d(2026, 11, 20),
                &[],
            ),
            (
                "new school year: last year evaluated in February",
                d(2024, 10, 1),
                &[d(2026, 2, 9)],
                d(2026, 11, 20),
                &[],
            ),
        ];
        for (name, start, evals, as_of, want) in cases {
            let got = run(opp(*start, evals), *as_of, &c);
            let mut kinds: Vec<TaskKind> = got.iter().flat_map(|f| f.tasks.iter().map(|t| t.kind)).collect();
            kinds.sort_by_key(|k| k.as_str());
            assert_eq!(kinds, *want, "{name}");
        }
    }

    #[test]
    fn school_cadence_after_each_round() {
        let mut c = ctx();
        c.params.opp_yearly_evaluation.after_each_round = true;
        // M window ends March 15; six weeks later (April 26) an evaluation since Dec 15 is expected.
        let got = run(opp(d(2025, 9, 1), &[]), d(2026, 4, 27), &c);
        assert_eq!(got.len(), 1);
        assert!(got[0].signal.key.ends_with("-2025-M"), "{}", got[0].signal.key);
        assert!(run(opp(d(2025, 9, 1), &[d(2026, 3, 20)]), d(2026, 4, 27), &c).is_empty());
        assert!(run(opp(d(2025, 9, 1), &[]), d(2026, 4, 26), &c).is_empty());
    }

    #[test]
    fn deadlines_split_the_year_and_end_on_the_yearly_date() {
        let p = crate::rules::params::OppYearlyEvaluation::default();
        let y = SchoolYear::of_date(d(2026, 3, 1));
        assert_eq!(p.deadlines(y, 1), [d(2026, 6, 15)]);
        assert_eq!(p.deadlines(y, 2), [d(2026, 1, 31), d(2026, 6, 15)]);
        assert_eq!(
            p.deadlines(y, 3),
            [d(2025, 11, 30), d(2026, 3, 31), d(2026, 6, 15)]
        );
        assert_eq!(p.deadlines(y, 4).len(), 4);
        assert_eq!(p.deadlines(y, 6).last(), Some(&d(2026, 6, 15)));
        assert!(p.deadlines(y, 6).windows(2).all(|w| w[0] < w[1]));
    }

    /// Issue 16 item 8: the school's own frequency, per school (rule parameter) or per ladder
    /// preset (seed 002: twice a year), and no more eight-weekly OPP reminders.
    #[test]
    fn the_schools_own_frequency() {
        let preset = |name: &str| SchoolContext::with_preset(name);
        assert_eq!(per_year(&preset("niveaus-1-4")), 2, "seed 002");
        assert_eq!(per_year(&preset("abcd")), 2, "seed 000");
        assert_eq!(per_year(&preset("basis-breedte-diepte")), 1, "seed 001");
        assert_eq!(per_year(&preset("niveaus-1-5")), 1, "seed 003: the law's minimum");
        let mut own = preset("niveaus-1-4");
        own.params.opp_yearly_evaluation.per_year = Some(1);
        assert_eq!(per_year(&own), 1, "the school's parameter wins over the ladder");

        let c = preset("niveaus-1-4");
        // (name, start, evaluations, as_of, expected (key suffix, task kinds))
        type Case<'a> = (
            &'a str,
            NaiveDate,
            &'a [NaiveDate],
            NaiveDate,
            &'a [(&'a str, &'a [TaskKind])],
        );
        use TaskKind::{IbTask as Ib, OwnerReminder as Own};
        let cases: &[Case<'_>] = &[
            (
                "before the January reminder",
                d(2025, 9, 1),
                &[],
                d(2025, 12, 31),
                &[],
            ),
            (
                "a month before 31 January",
                d(2025, 9, 1),
                &[],
                d(2026, 1, 1),
                &[("-2025-0131", &[Own])],
            ),
            (
                "January missed",
                d(2025, 9, 1),
                &[],
                d(2026, 2, 2),
                &[("-2025-0131", &[Ib, Own])],
            ),
            (
                "evaluated in November",
                d(2025, 9, 1),
                &[d(2025, 11, 20)],
                d(2026, 2, 2),
                &[],
            ),
            (
                "November counts for January, June needs its own",
                d(2025, 9, 1),
                &[d(2025, 11, 20)],
                d(2026, 5, 20),
                &[("-2025", &[Own])],
            ),
            (
                "a late February evaluation settles January, not June",
                d(2025, 9, 1),
                &[d(2026, 2, 10)],
                d(2026, 5, 20),
                &[("-2025", &[Own])],
            ),
            (
                "twice, once in each half",
                d(2025, 9, 1),
                &[d(2025, 12, 10), d(2026, 4, 2)],
                d(2026, 6, 20),
                &[],
            ),
            (
                "twice in the first half is not once in the second",
                d(2025, 9, 1),
                &[d(2025, 10, 1), d(2025, 12, 10)],
                d(2026, 6, 20),
                &[("-2025", &[Ib, Own])],
            ),
            (
                "started in December: January is too soon, June is due",
                d(2025, 12, 15),
                &[],
                d(2026, 5, 20),
                &[("-2025", &[Own])],
            ),
            (
                "both missed",
                d(2025, 9, 1),
                &[],
                d(2026, 6, 16),
                &[("-2025", &[Ib, Own]), ("-2025-0131", &[Ib, Own])],
            ),
        ];
        for (name, start, evals, as_of, want) in cases {
            let got = run(opp(*start, evals), *as_of, &c);
            let mut got: Vec<(String, Vec<TaskKind>)> = got
                .iter()
                .map(|f| {
                    let suffix = f.signal.key.rsplit_once("/plan").map_or("", |(_, k)| k);
                    let suffix = suffix.split_once('-').map_or("", |(_, k)| k);
                    let mut kinds: Vec<TaskKind> = f.tasks.iter().map(|t| t.kind).collect();
                    kinds.sort_by_key(|k| k.as_str());
                    (format!("-{suffix}"), kinds)
                })
                .collect();
            got.sort_by(|a, b| a.0.cmp(&b.0));
            let want: Vec<(String, Vec<TaskKind>)> =
                want.iter().map(|(k, t)| ((*k).to_owned(), t.to_vec())).collect();
            assert_eq!(got, want, "{name}");
        }
        // No eight-weekly reminder of an OPP without a date, on any preset; a date the school set
        // is still reminded.
        for ladder in [
            "abcd",
            "niveaus-1-6",
            "niveaus-1-4",
            "niveaus-1-5",
            "basis-breedte-diepte",
        ] {
            let c = preset(ladder);
            for as_of in [d(2025, 10, 27), d(2025, 10, 30), d(2025, 12, 1)] {
                let all = engine_evaluate(&opp(d(2025, 9, 1), &[]).build(), as_of, &c);
                assert!(
                    all.iter().all(|f| !f.signal.rule.starts_with("plan_evaluation")),
                    "{ladder} {as_of}: {:?}",
                    all.iter().map(|f| &f.signal.key).collect::<Vec<_>>()
                );
            }
            let dated = Pupil::new(8).plan(PlanKind::Opp, None, d(2025, 9, 1), |pl| {
                pl.evaluation_due = Some(d(2025, 10, 30));
            });
            let all = engine_evaluate(&dated.build(), d(2025, 10, 27), &c);
            assert!(
                all.iter().any(|f| f.signal.rule == "plan_evaluation_due"),
                "{ladder}: a date the school set"
            );
        }
    }

    /// Issue 16 item 14: the explanation says what the law asks (at least once a year, with the
    /// parents) and gives 15 June as the school's date, never as the law's.
    #[test]
    fn the_texts_do_not_present_the_date_as_law() {
        let mut c = ctx();
        c.params.opp_yearly_evaluation.per_year = Some(1);
        for as_of in [d(2026, 5, 20), d(2026, 6, 16)] {
            let f = &run(opp(d(2025, 9, 1), &[]), as_of, &c)[0];
            let e = &f.signal.explanation;
            assert!(
                e.contains("minstens één evaluatie per schooljaar, met de ouders (WPO art. 40a)"),
                "{e}"
            );
            assert!(e.contains("15-06-2026"), "{e}");
            assert!(!e.contains("wettelijk"), "{e}");
            assert!(!e.contains("moest (WPO"), "{e}");
        }
        let c = SchoolContext::with_preset("niveaus-1-4");
        let f = &run(opp(d(2025, 9, 1), &[d(2026, 2, 10)]), d(2026, 5, 20), &c)[0];
        assert_eq!(
            f.signal.explanation,
            "Het OPP 'Plan' (zorgniveau 4) is in schooljaar 2025-2026 één keer geëvalueerd; de school evalueert een OPP twee keer per schooljaar met de ouders. De volgende evaluatie hoort uiterlijk 15-06-2026."
        );
    }
}
