//! The intervention part of a dossier check (interventiedossier), shared by `eed_check` (the
//! ED-regeling's leesdossier) and `dyscalculia_check` (the ERWD rekendossier): plans of the domain
//! at the minimum protocol level between the measurements, an intensive intervention among them
//! (protocol level 3, or level 2 with enough minutes a week), plans with an unknown zorgniveau,
//! the weeks of intensive intervention, the minutes per week and the evaluations of each plan.
//! The rules add their own lines (spelling data, missed rounds, the 13th birthday) after these.
//! Ladder steps are judged by their protocol level (`CareLevel::protocol_level`), never by number.

use chrono::NaiveDate;

use super::input::RuleInput;
use super::params::{DossierParams, NoteCategories};
use super::{HistoryNote, HistoryPlan, text};
use crate::domain::care::protocol_level_name;
use crate::domain::{Evidence, LearningDomain, SchoolCalendar};

/// The domain a dossier is about, in the words of its Dutch lines.
#[derive(Debug, Clone, Copy)]
pub struct DossierDomain {
    /// Which plan domains count (technisch lezen: every reading domain; rekenen: rekenen-wiskunde).
    pub covers: fn(LearningDomain) -> bool,
    /// The domain as the lines name it: `technisch lezen`, `rekenen-wiskunde`.
    pub name: &'static str,
    /// The stem of the intensive intervention that is missing: `lees` (leesinterventie), `reken`.
    pub stem: &'static str,
    /// The stem of the line on its weeks: `reken` (rekeninterventie); empty for the ED dossier,
    /// whose line has said "Intensieve interventie duurde" since its version 2 and stays as it is.
    pub weeks_stem: &'static str,
    /// The school's note categories that record help in this domain (`[rules.note_categories]`).
    pub note_categories: fn(&NoteCategories) -> &[String],
}

/// What the intervention part of a dossier check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InterventionCheck {
    /// Plans of the domain overlapping the window at protocol level ≥ `min_protocol_level`, by
    /// start date and id.
    pub plans: Vec<i64>,
    /// Of those, the ones that count as intensive (protocol level 3, or level 2 with enough minutes).
    pub intensive: Vec<i64>,
    /// Weeks of intensive intervention within the window (overlaps merged).
    pub weeks: u32,
    /// Dutch lines for what is missing; empty when this part of the dossier looks complete.
    pub missing: Vec<String>,
    /// Where no plan counts: the pupil's notes in an intervention category of the domain written
    /// between the measurements (evidence that help was given, not yet recorded in a plan), by
    /// day and id.
    pub notes: Vec<i64>,
}

/// Weeks of the merged plan periods within `[from, to]`; holiday days do not count (school weeks,
/// docs/RULES.md §1a).
pub fn span_weeks(
    plans: &[&HistoryPlan],
    from: NaiveDate,
    to: NaiveDate,
    as_of: NaiveDate,
    calendar: &SchoolCalendar,
) -> u32 {
    let mut spans: Vec<(NaiveDate, NaiveDate)> = plans
        .iter()
        .map(|hp| (hp.plan.start.max(from), hp.plan.end.unwrap_or(as_of).min(to)))
        .filter(|(a, b)| a <= b)
        .collect();
    spans.sort();
    let mut days = 0i64;
    let mut cur: Option<(NaiveDate, NaiveDate)> = None;
    for (a, b) in spans {
        cur = match cur {
            Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                days += calendar.school_days_between(ca, cb);
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    if let Some((ca, cb)) = cur {
        days += calendar.school_days_between(ca, cb);
    }
    u32::try_from(days / 7).unwrap_or(u32::MAX)
}

/// Checks the intervention part of the dossier of `domain` between `from` and `to` (the first
/// and last measurement of the window that met the criterion).
pub fn check_interventions(
    input: &RuleInput<'_>,
    domain: &DossierDomain,
    p: &DossierParams,
    from: NaiveDate,
    to: NaiveDate,
) -> InterventionCheck {
    let ladder = &input.ctx.ladder;
    let protocol = |hp: &HistoryPlan| {
        hp.plan
            .care_level
            .as_deref()
            .and_then(|c| ladder.protocol_level(c))
    };
    let of_domain: Vec<&HistoryPlan> = input
        .history
        .plans
        .iter()
        .filter(|hp| hp.plan.domain.is_some_and(domain.covers))
        .filter(|hp| hp.plan.start <= to && hp.plan.end.unwrap_or(input.as_of) >= from)
        .collect();
    let mut counting: Vec<&HistoryPlan> = of_domain
        .iter()
        .copied()
        .filter(|hp| protocol(hp).is_some_and(|l| l >= p.min_protocol_level))
        .collect();
    counting.sort_by_key(|hp| (hp.plan.start, hp.id));
    // Intensive: protocol level 3 by the ladder, or help one level lower that meets the
    // protocol's minutes (seed 000's A2 with an IHP, seed 002's niveau 2 with extra leestijd).
    let enough_minutes = |hp: &HistoryPlan| {
        hp.plan
            .minutes_per_week
            .is_some_and(|m| m >= p.min_minutes_per_week)
    };
    let is_intensive = |hp: &HistoryPlan| {
        protocol(hp).is_some_and(|l| {
            l >= p.intensive_protocol_level || (l + 1 == p.intensive_protocol_level && enough_minutes(hp))
        })
    };
    let intensive: Vec<&HistoryPlan> = counting.iter().copied().filter(|hp| is_intensive(hp)).collect();
    let codes = |min: u8| {
        let c = ladder.codes_from_protocol_level(min);
        match c.first() {
            Some(first) if c.len() > 1 => format!("zorgniveau {first} of hoger"),
            Some(first) => format!("zorgniveau {first}"),
            None => "geen zorgniveau op de zorgladder".to_string(),
        }
    };

    let mut missing = Vec::new();
    // Notes in an intervention category count as evidence of help only where no plan counts.
    let notes: Vec<&HistoryNote> = if counting.is_empty() {
        let names = (domain.note_categories)(&input.ctx.params.note_categories);
        let mut n: Vec<&HistoryNote> = input
            .history
            .notes
            .iter()
            .filter(|n| n.written_on >= from && n.written_on <= to && n.written_on <= input.as_of)
            .filter(|n| NoteCategories::matches(names, &n.category_path))
            .collect();
        n.sort_by_key(|n| (n.written_on, n.id));
        n
    } else {
        Vec::new()
    };
    if counting.is_empty() {
        let noted = if notes.is_empty() {
            String::new()
        } else {
            let shown: Vec<String> = notes
                .iter()
                .map(|n| format!("{} {}", n.category_label(), text::date(n.written_on)))
                .collect();
            format!(
                "; wel {} over begeleiding ({}): die begeleiding vastleggen in een plan met zorgniveau, \
                 minuten per week en evaluatie",
                text::plural(
                    i64::try_from(notes.len()).unwrap_or(i64::MAX),
                    "notitie",
                    "notities"
                ),
                text::join_and(&shown)
            )
        };
        missing.push(format!(
            "Geen plan voor {} op protocolniveau {} ({}; bij deze school {}) tussen {} en {}{noted}.",
            domain.name,
            p.min_protocol_level,
            protocol_level_name(p.min_protocol_level),
            codes(p.min_protocol_level),
            text::date(from),
            text::date(to)
        ));
    } else if intensive.is_empty() {
        missing.push(format!(
            "Geen intensieve {}interventie op protocolniveau {} ({}; bij deze school {}, of begeleiding in de groep met minstens {} minuten per week).",
            domain.stem,
            p.intensive_protocol_level,
            protocol_level_name(p.intensive_protocol_level),
            codes(p.intensive_protocol_level),
            p.min_minutes_per_week
        ));
    }
    let unknown_level = of_domain.iter().filter(|hp| protocol(hp).is_none()).count();
    if unknown_level > 0 {
        missing.push(format!(
            "Zorgniveau onbekend bij {}.",
            text::plural(
                i64::try_from(unknown_level).unwrap_or(i64::MAX),
                &format!("plan {}", domain.name),
                &format!("plannen {}", domain.name)
            )
        ));
    }
    let weeks = span_weeks(&intensive, from, to, input.as_of, &input.ctx.calendar);
    if !intensive.is_empty() && weeks < p.min_intervention_weeks {
        missing.push(format!(
            "Intensieve {}interventie duurde {}; nodig is minstens {}.",
            domain.weeks_stem,
            text::weeks(weeks),
            text::weeks(p.min_intervention_weeks)
        ));
    }
    for hp in &counting {
        let name = format!(
            "{} '{}' ({})",
            hp.plan.kind.dutch(),
            hp.plan.title,
            text::date(hp.plan.start)
        );
        let specific = protocol(hp).is_some_and(|l| l >= p.intensive_protocol_level);
        // The protocol's minutes concern the intensive intervention: a level-2 plan with fewer
        // minutes is ordinary help in the group, only worth naming while nothing is intensive.
        match hp.plan.minutes_per_week {
            None if specific || intensive.is_empty() => {
                missing.push(format!("Intensiteit (minuten per week) onbekend bij {name}."));
            }
            Some(m) if m < p.min_minutes_per_week && specific => missing.push(format!(
                "{name}: {m} minuten per week; nodig is minstens {}.",
                p.min_minutes_per_week
            )),
            _ => {}
        }
        if !hp.plan.evaluations.iter().any(|e| e.date <= input.as_of) {
            missing.push(format!("Evaluatie ontbreekt bij {name}."));
        }
    }
    InterventionCheck {
        plans: counting.iter().map(|hp| hp.id).collect(),
        intensive: intensive.iter().map(|hp| hp.id).collect(),
        weeks,
        missing,
        notes: notes.iter().map(|n| n.id).collect(),
    }
}

/// The evidence of the notes an intervention check counted (`kind: "note"`: category and day,
/// never the text).
pub fn note_evidence(input: &RuleInput<'_>, ids: &[i64]) -> Vec<Evidence> {
    ids.iter()
        .filter_map(|id| input.history.notes.iter().find(|n| n.id == *id))
        .map(|n| Evidence {
            kind: "note".into(),
            id: n.id.to_string(),
            date: n.written_on,
            test: None,
            moment: None,
            level: None,
            scale: None,
            percentile: None,
            ability_score: None,
            source: Some(n.source),
            note: Some(format!(
                "Notitie in de interventiecategorie {}: begeleiding zonder plan.",
                n.category_label()
            )),
        })
        .collect()
}
