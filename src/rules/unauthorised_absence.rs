//! `unauthorised_absence`: ongeoorloofd verzuim of 16 hours or more within 4 consecutive school
//! weeks (issue 18 item 2). The Leerplichtwet 1969 (art. 21a) obliges the school to report this to
//! the leerplichtambtenaar; the rule asks the directie to do so, with the dates. The task is a
//! directie matter inside Zorgsignaal (mail to `directie_emails`, dashboard) and is never pushed
//! into the pupil's file, where parents may read it.

use chrono::NaiveDate;

use super::absence::{self, AbsenceDay};
use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key};
use super::input::{Evaluate, Rule, RuleInput};
use super::text;
use crate::domain::{AbsenceKind, SchoolYear, Severity, Source, TaskKind};

/// Rule id.
pub const RULE_ID: &str = "unauthorised_absence";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::Data(evaluate),
};

/// One stretch of unauthorised absence that reached the threshold: the days of its window, the
/// window's end (exclusive) and the day the threshold was reached.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    /// The days of the window (first day first).
    pub days: Vec<AbsenceDay>,
    /// First day after the window.
    pub window_end: NaiveDate,
    /// The day the total reached the threshold.
    pub reached_on: NaiveDate,
}

/// Every episode as of `as_of`: scanning the days oldest first, the first day whose window of
/// `weeks` school weeks (holidays pause it) holds at least `threshold` hours starts an episode; the
/// next one can only start after that window. Adding later data never moves an earlier episode.
pub fn episodes(
    days: &[AbsenceDay],
    threshold: f64,
    weeks: u32,
    calendar: &crate::domain::SchoolCalendar,
) -> Vec<Episode> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let start = days[i].on;
        let end = calendar.add_school_weeks(start, weeks);
        let window: Vec<&AbsenceDay> = days[i..].iter().take_while(|d| d.on < end).collect();
        let mut total = 0.0;
        let mut reached = None;
        for d in &window {
            total += d.hours;
            if reached.is_none() && total + 1e-9 >= threshold {
                reached = Some(d.on);
            }
        }
        match reached {
            Some(reached_on) => {
                out.push(Episode {
                    days: window.iter().map(|d| (*d).clone()).collect(),
                    window_end: end,
                    reached_on,
                });
                i += window.len();
            }
            None => i += 1,
        }
    }
    out
}

/// Runs the rule: one finding per episode of the current school year.
pub fn evaluate(input: &RuleInput<'_>) -> Vec<Finding> {
    let p = &input.ctx.params.unauthorised_absence;
    if !p.enabled || input.history.absences.is_empty() {
        return Vec::new();
    }
    let days = absence::days(&input.history.absences, AbsenceKind::Unauthorised, input.as_of);
    let year = SchoolYear::of_date(input.as_of);
    episodes(&days, p.hours, p.weeks, &input.ctx.calendar)
        .into_iter()
        .filter(|e| SchoolYear::of_date(e.reached_on) == year)
        .map(|e| finding(input, &e, p.hours, p.weeks))
        .collect()
}

fn finding(input: &RuleInput<'_>, e: &Episode, threshold: f64, weeks: u32) -> Finding {
    let pupil = input.history.pupil_id;
    let first = e.days.first().map_or(e.reached_on, |d| d.on);
    let last = e.days.last().map_or(e.reached_on, |d| d.on);
    let total: f64 = e.days.iter().map(|d| d.hours).sum();
    let refs: Vec<&AbsenceDay> = e.days.iter().collect();
    let anchor = format!("a{first}");
    let explanation = format!(
        "{} ongeoorloofd verzuim in {} lesweken ({} tot en met {}): {}. Bij {} of meer in {} \
         opeenvolgende lesweken moet de school het verzuim melden bij de leerplichtambtenaar \
         (Leerplichtwet 1969, art. 21a).",
        capital(&absence::hours(total)),
        weeks,
        text::date(first),
        text::date(last),
        absence::list(&refs),
        absence::hours(threshold),
        weeks
    );
    let body = format!(
        "Ongeoorloofd verzuim {} op {}. Melden bij de leerplichtambtenaar (DUO-verzuimregister).",
        absence::hours(total),
        absence::list(&refs)
    );
    Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, None, &anchor),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::High,
            explanation,
            evidence: e.days.iter().map(absence::evidence).collect(),
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(RULE_ID, pupil, None, &anchor),
            kind: TaskKind::DirectieEscalation,
            target: Source::Parnassys,
            title: "Verzuim melden bij de leerplichtambtenaar".into(),
            body,
            due_on: Some(e.reached_on + chrono::Days::new(7)),
        }],
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::{HolidayRegion, SchoolCalendar, SchoolHoliday};

    fn fired(p: Pupil, as_of: NaiveDate, ctx: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, ctx)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    #[test]
    fn table() {
        use AbsenceKind::*;
        type Rows<'a> = &'a [(NaiveDate, f64, AbsenceKind)];
        let cases: &[(&str, Rows<'_>, bool)] = &[
            (
                "three whole days and a morning in four weeks: 16,5 hours",
                &[
                    (d(2026, 3, 2), 5.5, Unauthorised),
                    (d(2026, 3, 9), 5.5, Unauthorised),
                    (d(2026, 3, 16), 3.0, Unauthorised),
                    (d(2026, 3, 26), 2.5, Unauthorised),
                ],
                true,
            ),
            (
                "exactly 16 hours fires",
                &[
                    (d(2026, 3, 2), 8.0, Unauthorised),
                    (d(2026, 3, 27), 8.0, Unauthorised),
                ],
                true,
            ),
            (
                "15,5 hours is a near miss",
                &[
                    (d(2026, 3, 2), 5.5, Unauthorised),
                    (d(2026, 3, 9), 5.5, Unauthorised),
                    (d(2026, 3, 16), 4.5, Unauthorised),
                ],
                false,
            ),
            (
                "16 hours spread over five weeks",
                &[
                    (d(2026, 3, 2), 8.0, Unauthorised),
                    (d(2026, 3, 30), 8.0, Unauthorised),
                ],
                false,
            ),
            (
                "sick and authorised hours do not count",
                &[
                    (d(2026, 3, 2), 5.5, Sick),
                    (d(2026, 3, 3), 5.5, Sick),
                    (d(2026, 3, 4), 5.5, Authorised),
                    (d(2026, 3, 5), 5.5, Unauthorised),
                ],
                false,
            ),
            (
                "after as_of is not seen",
                &[
                    (d(2026, 3, 2), 8.0, Unauthorised),
                    (d(2026, 4, 20), 8.0, Unauthorised),
                ],
                false,
            ),
            (
                "last school year is not reported again",
                &[
                    (d(2025, 6, 2), 8.0, Unauthorised),
                    (d(2025, 6, 9), 8.0, Unauthorised),
                ],
                false,
            ),
        ];
        for (name, rows, fires) in cases {
            let mut p = Pupil::new(4);
            for (on, h, k) in *rows {
                p = p.absence(*on, *h, *k);
            }
            let got = fired(p, d(2026, 4, 10), &ctx());
            assert_eq!(!got.is_empty(), *fires, "{name}: {got:?}");
        }
    }

    #[test]
    fn explanation_task_and_key() {
        let p = Pupil::new(4)
            .absence(d(2026, 3, 2), 5.5, AbsenceKind::Unauthorised)
            .absence(d(2026, 3, 9), 5.5, AbsenceKind::Unauthorised)
            .absence(d(2026, 3, 16), 5.5, AbsenceKind::Unauthorised);
        let got = fired(p, d(2026, 4, 10), &ctx());
        assert_eq!(got.len(), 1);
        let f = &got[0];
        assert_eq!(f.signal.key, "unauthorised_absence/p4/none/a2026-03-02");
        assert_eq!(f.signal.severity, Severity::High);
        assert_eq!(
            f.signal.explanation,
            "16,5 uur ongeoorloofd verzuim in 4 lesweken (02-03-2026 tot en met 16-03-2026): 02-03-2026 \
             (5,5 uur), 09-03-2026 (5,5 uur) en 16-03-2026 (5,5 uur). Bij 16 uur of meer in 4 opeenvolgende \
             lesweken moet de school het verzuim melden bij de leerplichtambtenaar (Leerplichtwet 1969, art. 21a)."
        );
        assert_eq!(f.signal.evidence.len(), 3);
        assert_eq!(f.signal.evidence[0].kind, "absence");
        assert_eq!(f.tasks.len(), 1);
        assert_eq!(f.tasks[0].kind, TaskKind::DirectieEscalation);
        assert!(!f.tasks[0].kind.is_pushed(), "never into the pupil's file");
        assert!(f.tasks[0].body.contains("09-03-2026"), "{}", f.tasks[0].body);
        assert_eq!(f.tasks[0].due_on, Some(d(2026, 3, 23)));
    }

    #[test]
    fn a_holiday_pauses_the_four_weeks_and_parameters_apply() {
        // 8 hours before the voorjaarsvakantie, 8 hours four calendar weeks later: within four
        // school weeks only because the holiday week does not count.
        let p = || {
            Pupil::new(4)
                .absence(d(2026, 2, 10), 8.0, AbsenceKind::Unauthorised)
                .absence(d(2026, 3, 11), 8.0, AbsenceKind::Unauthorised)
        };
        assert!(
            fired(p(), d(2026, 4, 10), &ctx()).is_empty(),
            "no calendar: five weeks"
        );
        let mut c = ctx();
        c.calendar = SchoolCalendar::new(
            None::<HolidayRegion>,
            &[SchoolHoliday::new(
                d(2026, 2, 14),
                d(2026, 2, 22),
                "voorjaarsvakantie",
            )],
        );
        assert_eq!(fired(p(), d(2026, 4, 10), &c).len(), 1);
        let mut c = ctx();
        c.params.unauthorised_absence.hours = 20.0;
        let many = Pupil::new(4)
            .absence(d(2026, 3, 2), 8.0, AbsenceKind::Unauthorised)
            .absence(d(2026, 3, 3), 8.0, AbsenceKind::Unauthorised);
        assert!(fired(many.clone(), d(2026, 4, 10), &c).is_empty(), "threshold 20");
        c.params.unauthorised_absence.hours = 16.0;
        c.params.unauthorised_absence.enabled = false;
        assert!(fired(many, d(2026, 4, 10), &c).is_empty(), "off");
    }

    #[test]
    fn one_day_from_two_sources_counts_once_and_later_data_keeps_the_key() {
        let p = Pupil::new(4)
            .absence(d(2026, 3, 2), 5.5, AbsenceKind::Unauthorised)
            .absence_from(Source::Csv, d(2026, 3, 2), 5.5, AbsenceKind::Unauthorised)
            .absence(d(2026, 3, 9), 5.5, AbsenceKind::Unauthorised);
        assert!(
            fired(p.clone(), d(2026, 4, 10), &ctx()).is_empty(),
            "11 hours, not 16,5"
        );
        let first = fired(
            p.clone().absence(d(2026, 3, 10), 5.5, AbsenceKind::Unauthorised),
            d(2026, 3, 10),
            &ctx(),
        );
        let later = fired(
            p.absence(d(2026, 3, 10), 5.5, AbsenceKind::Unauthorised).absence(
                d(2026, 3, 12),
                2.0,
                AbsenceKind::Unauthorised,
            ),
            d(2026, 4, 10),
            &ctx(),
        );
        assert_eq!(first[0].signal.key, later[0].signal.key);
        assert_eq!(later[0].signal.evidence.len(), 4, "the later day is appended");
    }
}
