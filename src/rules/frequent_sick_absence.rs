//! `frequent_sick_absence`: frequent ziekmeldingen, by default 4 or more in 12 school weeks (issue
//! 18 item 2; the M@ZL criterion, Medische Advisering van de Ziekgemelde Leerling). A signal for
//! the IB to start the conversation with the parents and the jeugdarts (JGZ). Consecutive sick
//! school days are one ziekmelding; weekends and holidays in between do not split it.

use chrono::NaiveDate;

use super::absence::{self, AbsenceDay};
use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::text;
use crate::domain::{AbsenceKind, SchoolCalendar, SchoolYear, Severity, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "frequent_sick_absence";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// The sick days grouped into ziekmeldingen: consecutive school days (only non-school days in
/// between) form one.
pub fn spells(days: &[AbsenceDay], calendar: &SchoolCalendar) -> Vec<Vec<AbsenceDay>> {
    let mut out: Vec<Vec<AbsenceDay>> = Vec::new();
    for d in days {
        let joins = out.last().and_then(|s| s.last()).is_some_and(|prev| {
            prev.on
                .iter_days()
                .skip(1)
                .take_while(|x| *x < d.on)
                .all(|x| !calendar.is_school_day(x))
        });
        match out.last_mut() {
            Some(spell) if joins => spell.push(d.clone()),
            _ => out.push(vec![d.clone()]),
        }
    }
    out
}

/// Clusters of at least `times` ziekmeldingen whose starts lie within `weeks` school weeks of the
/// first one, oldest first; a cluster takes every later spell starting in its window, and the
/// next cluster starts after it. With the day the `times`-th spell started.
pub fn clusters(
    spells: &[Vec<AbsenceDay>],
    times: usize,
    weeks: u32,
    calendar: &SchoolCalendar,
) -> Vec<(Vec<Vec<AbsenceDay>>, NaiveDate)> {
    let start = |s: &Vec<AbsenceDay>| s.first().map(|d| d.on);
    let times = times.max(1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < spells.len() {
        let Some(first) = start(&spells[i]) else {
            i += 1;
            continue;
        };
        let end = calendar.add_school_weeks(first, weeks);
        let window: Vec<Vec<AbsenceDay>> = spells[i..]
            .iter()
            .take_while(|s| start(s).is_some_and(|d| d < end))
            .cloned()
            .collect();
        if window.len() >= times
            && let Some(reached) = window.get(times - 1).and_then(start)
        {
            i += window.len();
            out.push((window, reached));
        } else {
            i += 1;
        }
    }
    out
}

/// Runs the rule on the pupil's latest cluster, when it was reached in the current school year:
/// the current state, like the level rules. A later cluster while the signal is still active
/// continues it (`engine::continue_active`).
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.frequent_sick_absence;
    if !p.enabled || input.history.absences.is_empty() {
        return Vec::new();
    }
    let cal = &input.ctx.calendar;
    let days = absence::days(&input.history.absences, AbsenceKind::Sick, input.as_of);
    let year = SchoolYear::of_date(input.as_of);
    clusters(&spells(&days, cal), p.times, p.weeks, cal)
        .into_iter()
        .next_back()
        .filter(|(_, reached)| SchoolYear::of_date(*reached) == year)
        .map(|(cluster, _)| finding(input, &cluster, p.weeks))
        .into_iter()
        .collect()
}

fn finding(input: &RuleInput<'_>, cluster: &[Vec<AbsenceDay>], weeks: u32) -> Finding {
    let pupil = input.history.pupil_id;
    let first = cluster
        .first()
        .and_then(|s| s.first())
        .map(|d| d.on)
        .unwrap_or(input.as_of);
    let anchor = format!("a{first}");
    let spells: Vec<String> = cluster
        .iter()
        .map(|s| {
            let (a, b) = (s.first().map(|d| d.on), s.last().map(|d| d.on));
            match (a, b) {
                (Some(a), Some(b)) if a != b => format!("{} tot en met {}", text::date(a), text::date(b)),
                (Some(a), _) => text::date(a),
                _ => String::new(),
            }
        })
        .collect();
    let n = cluster.len();
    let explanation = format!(
        "{} ziekmeldingen in {} schoolweken ({}). Volgens de M@ZL-aanpak is dat reden voor een gesprek \
         met de ouders en de jeugdarts (JGZ) over het ziekteverzuim.",
        text::count_word_capital(n),
        weeks,
        text::join_and(&spells)
    );
    let sources = cluster
        .iter()
        .rev()
        .flat_map(|s| s.iter().map(|d| d.absence.source))
        .collect::<Vec<_>>();
    Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, None, &anchor),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::Medium,
            explanation,
            evidence: cluster.iter().flatten().map(absence::evidence).collect(),
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(RULE_ID, pupil, None, &anchor),
            kind: TaskKind::IbTask,
            target: task_target(sources),
            title: "Frequent ziekteverzuim: gesprek met ouders en JGZ".into(),
            body: format!(
                "{} ziekmeldingen in {} schoolweken ({}). Gesprek met ouders en jeugdarts (JGZ) plannen.",
                text::count_word_capital(n),
                weeks,
                text::join_and(&spells)
            ),
            due_on: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{SchoolHoliday, SignalStatus};

    fn fired(p: Pupil, as_of: NaiveDate, ctx: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, ctx)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    fn sick(p: Pupil, days: &[NaiveDate]) -> Pupil {
        days.iter()
            .fold(p, |p, on| p.absence(*on, 5.5, AbsenceKind::Sick))
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[NaiveDate], bool)] = &[
            (
                "four single days in twelve weeks",
                &[d(2026, 1, 12), d(2026, 2, 2), d(2026, 3, 2), d(2026, 3, 30)],
                true,
            ),
            (
                "three ziekmeldingen is a near miss",
                &[d(2026, 1, 12), d(2026, 2, 2), d(2026, 3, 2)],
                false,
            ),
            (
                "four days in a row are one ziekmelding",
                &[d(2026, 3, 2), d(2026, 3, 3), d(2026, 3, 4), d(2026, 3, 5)],
                false,
            ),
            (
                "Friday and Monday are one ziekmelding",
                &[d(2026, 1, 12), d(2026, 2, 6), d(2026, 2, 9), d(2026, 3, 2)],
                false,
            ),
            (
                "four spread over more than twelve weeks",
                &[d(2025, 12, 1), d(2026, 1, 19), d(2026, 2, 16), d(2026, 3, 2)],
                false,
            ),
        ];
        for (name, days, fires) in cases {
            let got = fired(sick(Pupil::new(5), days), d(2026, 4, 10), &ctx());
            assert_eq!(!got.is_empty(), *fires, "{name}: {got:?}");
        }
        // Authorised or unauthorised absence is no ziekmelding.
        let p = Pupil::new(5)
            .absence(d(2026, 1, 12), 5.5, AbsenceKind::Authorised)
            .absence(d(2026, 2, 2), 5.5, AbsenceKind::Unauthorised);
        let p = sick(p, &[d(2026, 3, 2), d(2026, 3, 30)]);
        assert!(fired(p, d(2026, 4, 10), &ctx()).is_empty());
    }

    #[test]
    fn explanation_task_parameters_and_continuation() {
        let days = [
            d(2026, 1, 12),
            d(2026, 2, 2),
            d(2026, 2, 3),
            d(2026, 3, 2),
            d(2026, 3, 30),
        ];
        let got = fired(sick(Pupil::new(5), &days), d(2026, 4, 10), &ctx());
        assert_eq!(got.len(), 1);
        let f = &got[0];
        assert_eq!(f.signal.key, "frequent_sick_absence/p5/none/a2026-01-12");
        assert_eq!(
            f.signal.explanation,
            "Vier ziekmeldingen in 12 schoolweken (12-01-2026, 02-02-2026 tot en met 03-02-2026, 02-03-2026 \
             en 30-03-2026). Volgens de M@ZL-aanpak is dat reden voor een gesprek met de ouders en de \
             jeugdarts (JGZ) over het ziekteverzuim."
        );
        assert_eq!(f.signal.evidence.len(), 5);
        assert_eq!(f.tasks[0].kind, TaskKind::IbTask);
        let mut c = ctx();
        c.params.frequent_sick_absence.times = 5;
        assert!(fired(sick(Pupil::new(5), &days), d(2026, 4, 10), &c).is_empty());
        c.params.frequent_sick_absence.times = 3;
        c.params.frequent_sick_absence.weeks = 4;
        assert!(
            fired(sick(Pupil::new(5), &days), d(2026, 4, 10), &c).is_empty(),
            "3 in 4 weeks"
        );
        c.params.frequent_sick_absence = Default::default();
        c.params.frequent_sick_absence.enabled = false;
        assert!(fired(sick(Pupil::new(5), &days), d(2026, 4, 10), &c).is_empty());
        // A second cluster while the first signal is active continues it.
        let later = [d(2026, 5, 11), d(2026, 5, 25), d(2026, 6, 8), d(2026, 6, 22)];
        let all: Vec<NaiveDate> = days.iter().chain(later.iter()).copied().collect();
        let p = sick(Pupil::new(5), &all).prior(
            "frequent_sick_absence/p5/none/a2026-01-12",
            RULE_ID,
            None,
            d(2026, 3, 30),
            SignalStatus::Acknowledged,
        );
        let got = fired(p, d(2026, 7, 1), &ctx());
        assert!(
            got.iter()
                .all(|f| f.signal.key == "frequent_sick_absence/p5/none/a2026-01-12"),
            "{got:?}"
        );
    }

    #[test]
    fn a_holiday_joins_a_spell_and_stretches_the_weeks() {
        let cal = SchoolCalendar::new(
            None,
            &[SchoolHoliday::new(
                d(2026, 2, 14),
                d(2026, 2, 22),
                "voorjaarsvakantie",
            )],
        );
        let days: Vec<AbsenceDay> = [d(2026, 2, 13), d(2026, 2, 23)]
            .iter()
            .map(|on| AbsenceDay {
                on: *on,
                hours: 5.5,
                absence: crate::domain::Absence {
                    source: crate::domain::Source::Parnassys,
                    school: super::super::testkit::brin(),
                    external_id: on.to_string(),
                    pupil_external_id: "x".into(),
                    on: *on,
                    hours: 5.5,
                    kind: AbsenceKind::Sick,
                },
            })
            .collect();
        assert_eq!(spells(&days, &cal).len(), 1, "sick before and after the holiday");
        assert_eq!(spells(&days, &SchoolCalendar::none()).len(), 2);
    }
}
