//! Replaying a generated board day by day (`zorgsignaal simulate`): the board is generated once up
//! to the last day, and the servers show only what the sources knew on the current reference
//! date. Results, notes and Leeruniek notes appear on their date; plans on their start date, each
//! evaluation on its date and the end date once reached; pupils arrive and leave with their
//! groepsindelingen; school years start on 1 August. Everything that appears or changes on a day
//! is upserted into the change feeds then, so an incremental sync picks it up like live data.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::model::{Dataset, Group, LuGroupPlan, Membership, Plan, Pupil};
use crate::state::Record;

/// The generated board and, per day, which records appear or change.
#[derive(Debug, Clone)]
pub struct Timeline {
    full: Dataset,
    /// Day → (school index, stream, record index) of records that appear or change that day.
    changes: BTreeMap<NaiveDate, Vec<(usize, Kind, usize)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Result,
    Note,
    Plan,
    DyslexiaStatement,
    Absence,
    SocialEmotional,
    LuGroupPlan,
    LuNote,
}

impl Timeline {
    /// Indexes `full` (generated with its `as_of` on or after the last day to replay).
    pub fn new(full: Dataset) -> Self {
        let mut changes: BTreeMap<NaiveDate, BTreeSet<(usize, Kind, usize)>> = BTreeMap::new();
        let mut at = |d: NaiveDate, key: (usize, Kind, usize)| {
            changes.entry(d).or_default().insert(key);
        };
        for (s, school) in full.schools.iter().enumerate() {
            for (i, r) in school.resultaten.iter().enumerate() {
                at(r.afnamedatum, (s, Kind::Result, i));
            }
            for (i, n) in school.notities.iter().enumerate() {
                at(n.aangemaakt_op, (s, Kind::Note, i));
            }
            for (i, p) in school.plannen.iter().enumerate() {
                at(p.startdatum, (s, Kind::Plan, i));
                for e in &p.evaluaties {
                    at(e.datum.max(p.startdatum), (s, Kind::Plan, i));
                }
                if let Some(end) = p.einddatum {
                    at(end.max(p.startdatum), (s, Kind::Plan, i));
                }
            }
            for (i, v) in school.dyslexieverklaringen.iter().enumerate() {
                // An undated statement is known from the start.
                at(v.datum.unwrap_or(NaiveDate::MIN), (s, Kind::DyslexiaStatement, i));
            }
            for (i, v) in school.verzuim.iter().enumerate() {
                at(v.datum, (s, Kind::Absence, i));
            }
            for (i, v) in school.sociaal_emotioneel.iter().enumerate() {
                at(v.afnamedatum, (s, Kind::SocialEmotional, i));
            }
            for (i, p) in school.lu_group_plans.iter().enumerate() {
                at(p.start_date, (s, Kind::LuGroupPlan, i));
                for e in &p.evaluations {
                    at(e.date.max(p.start_date), (s, Kind::LuGroupPlan, i));
                }
            }
            for (i, n) in school.lu_notes.iter().enumerate() {
                at(n.date_created, (s, Kind::LuNote, i));
            }
        }
        Self {
            full,
            changes: changes
                .into_iter()
                .map(|(d, set)| (d, set.into_iter().collect()))
                .collect(),
        }
    }

    /// The whole generated board.
    pub fn full(&self) -> &Dataset {
        &self.full
    }

    /// The board as the sources knew it on `day` (reference date `day`).
    pub fn view_at(&self, day: NaiveDate) -> Dataset {
        let mut ds = self.full.clone();
        ds.as_of = day;
        ds.school_years = visible_years(&self.full.school_years, day);
        for s in &mut ds.schools {
            s.leerlingen = s.leerlingen.iter().map(|p| pupil_at(p, day)).collect();
            s.groepen = groups_at(&s.groepen, &ds.school_years);
            s.groepsindelingen = memberships_at(&s.groepsindelingen, day);
            s.resultaten.retain(|r| r.afnamedatum <= day);
            s.notities.retain(|n| n.aangemaakt_op <= day);
            s.plannen = s.plannen.iter().filter_map(|p| plan_at(p, day)).collect();
            s.dyslexieverklaringen
                .retain(|v| v.datum.is_none_or(|d| d <= day));
            s.verzuim.retain(|v| v.datum <= day);
            s.sociaal_emotioneel.retain(|v| v.afnamedatum <= day);
            s.lu_group_plans = s
                .lu_group_plans
                .iter()
                .filter_map(|p| group_plan_at(p, day))
                .collect();
            s.lu_notes.retain(|n| n.date_created <= day);
        }
        ds
    }

    /// Records (by BRIN) that appear or change after `after` up to and including `day`, each as
    /// it stands on `day`.
    pub fn changes(&self, after: NaiveDate, day: NaiveDate) -> Vec<(String, Record)> {
        let mut keys: BTreeSet<(usize, Kind, usize)> = BTreeSet::new();
        if day > after {
            for (_, list) in self.changes.range(after.succ_opt().unwrap_or(after)..=day) {
                keys.extend(list.iter().copied());
            }
        }
        keys.into_iter()
            .filter_map(|(s, kind, i)| {
                let school = &self.full.schools[s];
                let record = match kind {
                    Kind::Result => Record::Result(school.resultaten[i].clone()),
                    Kind::Note => Record::Note(school.notities[i].clone()),
                    Kind::Plan => Record::Plan(plan_at(&school.plannen[i], day)?),
                    Kind::DyslexiaStatement => {
                        Record::DyslexiaStatement(school.dyslexieverklaringen[i].clone())
                    }
                    Kind::Absence => Record::Absence(school.verzuim[i].clone()),
                    Kind::SocialEmotional => Record::SocialEmotional(school.sociaal_emotioneel[i].clone()),
                    Kind::LuGroupPlan => Record::LuGroupPlan(group_plan_at(&school.lu_group_plans[i], day)?),
                    Kind::LuNote => Record::LuNote(school.lu_notes[i].clone()),
                };
                Some((school.brin.clone(), record))
            })
            .collect()
    }

    /// The GKV roster of school `index` on `day`: pupils, groups and groepsindelingen.
    pub fn roster_at(
        &self,
        index: usize,
        day: NaiveDate,
    ) -> Option<(Vec<Pupil>, Vec<Group>, Vec<Membership>)> {
        let s = self.full.schools.get(index)?;
        let years = visible_years(&self.full.school_years, day);
        Some((
            s.leerlingen.iter().map(|p| pupil_at(p, day)).collect(),
            groups_at(&s.groepen, &years),
            memberships_at(&s.groepsindelingen, day),
        ))
    }

    /// School years started on or before `day`.
    pub fn school_years_at(&self, day: NaiveDate) -> Vec<String> {
        visible_years(&self.full.school_years, day)
    }
}

fn year_start(year: &str) -> Option<NaiveDate> {
    let y: i32 = year.get(..4)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, 8, 1)
}

fn visible_years(years: &[String], day: NaiveDate) -> Vec<String> {
    let mut out: Vec<String> = years
        .iter()
        .filter(|y| year_start(y).is_some_and(|s| s <= day))
        .cloned()
        .collect();
    if out.is_empty() {
        out.extend(years.first().cloned());
    }
    out
}

fn pupil_at(p: &Pupil, day: NaiveDate) -> Pupil {
    let mut p = p.clone();
    p.uitstroom = p.uitstroom.filter(|d| *d <= day);
    p.instroom = p.instroom.filter(|a| a.datum <= day);
    p
}

fn groups_at(groups: &[Group], years: &[String]) -> Vec<Group> {
    groups
        .iter()
        .filter(|g| years.contains(&g.schooljaar))
        .cloned()
        .collect()
}

fn memberships_at(memberships: &[Membership], day: NaiveDate) -> Vec<Membership> {
    memberships
        .iter()
        .filter(|m| m.vanaf_datum <= day)
        .map(|m| Membership {
            tot_datum: m.tot_datum.filter(|t| *t <= day),
            ..m.clone()
        })
        .collect()
}

fn plan_at(p: &Plan, day: NaiveDate) -> Option<Plan> {
    if p.startdatum > day {
        return None;
    }
    let mut p = p.clone();
    p.evaluaties.retain(|e| e.datum <= day);
    p.einddatum = p.einddatum.filter(|d| *d <= day);
    Some(p)
}

fn group_plan_at(p: &LuGroupPlan, day: NaiveDate) -> Option<LuGroupPlan> {
    if p.start_date > day {
        return None;
    }
    let mut p = p.clone();
    p.evaluations.retain(|e| e.date <= day);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{GenParams, generate};

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_view_holds_only_what_was_known_and_the_changes_fill_the_gap() {
        let params = GenParams {
            schools: 1,
            pupils_per_school: 40,
            years: 2,
            as_of: ymd(2026, 7, 31),
            ..GenParams::default()
        };
        let (full, _) = generate(&params);
        let t = Timeline::new(full.clone());
        let (a, b) = (ymd(2026, 1, 5), ymd(2026, 2, 27));
        let early = t.view_at(a);
        let late = t.view_at(b);
        assert_eq!(early.as_of, a);
        assert!(early.schools[0].resultaten.iter().all(|r| r.afnamedatum <= a));
        assert!(
            late.schools[0].resultaten.len() > early.schools[0].resultaten.len(),
            "M results appear"
        );
        assert!(
            early.schools[0]
                .groepsindelingen
                .iter()
                .all(|m| m.vanaf_datum <= a && m.tot_datum.is_none_or(|t| t <= a))
        );
        // Replaying the changes onto the early view gives the late view's results.
        let changed: BTreeSet<u64> = t
            .changes(a, b)
            .into_iter()
            .filter_map(|(_, r)| match r {
                Record::Result(r) => Some(r.id),
                _ => None,
            })
            .collect();
        let mut ids: BTreeSet<u64> = early.schools[0].resultaten.iter().map(|r| r.id).collect();
        ids.extend(changed);
        let want: BTreeSet<u64> = late.schools[0].resultaten.iter().map(|r| r.id).collect();
        assert_eq!(ids, want);
        assert_eq!(
            t.school_years_at(ymd(2025, 7, 31)).last().map(String::as_str),
            Some("2024-2025")
        );
        assert_eq!(t.view_at(ymd(2026, 7, 31)), full);
    }
}
