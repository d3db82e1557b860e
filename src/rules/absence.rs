//! What the absence rules share (issue 18 item 2): the pupil's absences up to `as_of`, one figure
//! per day (a day registered by two sources counts once), and their evidence.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::text;
use crate::domain::{Absence, AbsenceKind, Evidence};

/// One day of absence of one kind: the hours (the largest sum any one source registered for that
/// day, so a day a CSV import and the REST stream both hold is not counted twice) and the
/// registration that carries the day in the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct AbsenceDay {
    /// The day.
    pub on: NaiveDate,
    /// Hours missed.
    pub hours: f64,
    /// The registration shown as evidence (the first of the source that counts).
    pub absence: Absence,
}

/// The days of `kind` on or before `as_of`, oldest first.
pub fn days(absences: &[Absence], kind: AbsenceKind, as_of: NaiveDate) -> Vec<AbsenceDay> {
    let mut per_day: BTreeMap<NaiveDate, BTreeMap<&str, (f64, &Absence)>> = BTreeMap::new();
    for a in absences
        .iter()
        .filter(|a| a.kind == kind && a.on <= as_of && Absence::valid_hours(a.hours))
    {
        let slot = per_day
            .entry(a.on)
            .or_default()
            .entry(a.source.as_str())
            .or_insert((0.0, a));
        slot.0 += a.hours;
        if a.external_id < slot.1.external_id {
            slot.1 = a;
        }
    }
    per_day
        .into_iter()
        .filter_map(|(on, sources)| {
            let (hours, a) = sources.into_values().max_by(|x, y| {
                x.0.total_cmp(&y.0)
                    .then_with(|| y.1.external_id.cmp(&x.1.external_id))
            })?;
            Some(AbsenceDay {
                on,
                hours: hours.min(24.0),
                absence: a.clone(),
            })
        })
        .collect()
}

/// The evidence record of one absence day.
pub fn evidence(day: &AbsenceDay) -> Evidence {
    Evidence {
        kind: "absence".into(),
        id: day.absence.external_id.clone(),
        date: day.on,
        test: None,
        moment: None,
        level: None,
        scale: None,
        percentile: None,
        ability_score: None,
        source: Some(day.absence.source),
        note: Some(format!(
            "{} {}",
            match day.absence.kind {
                AbsenceKind::Sick => "ziek",
                AbsenceKind::Authorised => "geoorloofd afwezig",
                AbsenceKind::Unauthorised => "ongeoorloofd afwezig",
            },
            hours(day.hours)
        )),
    }
}

/// `5,5 uur`, `1 uur`.
pub fn hours(h: f64) -> String {
    format!("{} uur", text::number(h))
}

/// `02-03-2026 (5,5 uur)` per day, joined with commas and "en".
pub fn list(days: &[&AbsenceDay]) -> String {
    let items: Vec<String> = days
        .iter()
        .map(|d| format!("{} ({})", text::date(d.on), hours(d.hours)))
        .collect();
    text::join_and(&items)
}
