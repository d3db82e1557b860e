//! Leeruniek REST adapter (reference contract): group plans and notes through the change feed,
//! note categories resolved to their path; group plans become [`PlanKind::GroupPlan`]. Tasks
//! are pushed back with an idempotency key.

mod client;
mod model;

pub use client::{LeeruniekClient, NoteCategories};

use self::model::{WireGroupPlan, WireNote};
use crate::domain::{
    Brin, Evaluation, EvaluationOutcome, LearningDomain, Note, PlanKind, Source, SupportPlan,
};
use crate::sources::feed::{Record, date, required, short, wire};
use crate::sources::parnassys::midnight_utc;
use crate::store::RecordKind;

/// A Leeruniek stream (stroom).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeeruniekStream {
    /// `group-plans`.
    GroupPlans,
    /// `notes`.
    Notes,
}

impl LeeruniekStream {
    /// Every stream, in sync order.
    pub const ALL: [LeeruniekStream; 2] = [Self::GroupPlans, Self::Notes];

    /// Stream name in the store (`group_plans`, `notes`).
    pub fn name(self) -> &'static str {
        match self {
            Self::GroupPlans => "group_plans",
            Self::Notes => "notes",
        }
    }

    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::GroupPlans => "group-plans",
            Self::Notes => "notes",
        }
    }

    /// Table a tombstone of this stream removes from.
    pub fn record_kind(self) -> RecordKind {
        match self {
            Self::GroupPlans => RecordKind::Plan,
            Self::Notes => RecordKind::Note,
        }
    }

    pub(crate) fn normalise(
        self,
        school: &Brin,
        categories: &NoteCategories,
        raw: &serde_json::Value,
    ) -> Result<Record, String> {
        match self {
            Self::GroupPlans => group_plan(school, wire(raw)?).map(Record::Plan),
            Self::Notes => note(school, categories, wire(raw)?).map(Record::Note),
        }
    }
}

fn group_plan(school: &Brin, w: WireGroupPlan) -> Result<SupportPlan, String> {
    let d = required("domain", w.domain.as_deref())?;
    let domain = LearningDomain::parse(&d).map_err(|_| format!("unknown domain {:?}", short(&d)))?;
    let start = date("startDate", w.start_date.as_deref())?;
    let end = date("endDate", w.end_date.as_deref())?;
    if end < start {
        return Err("endDate before startDate".into());
    }
    let mut evaluations = Vec::with_capacity(w.evaluations.len());
    for e in &w.evaluations {
        let o = required("evaluation outcome", e.outcome.as_deref())?;
        evaluations.push(Evaluation {
            date: date("evaluation date", e.date.as_deref())?,
            outcome: EvaluationOutcome::parse(&o)
                .map_err(|_| format!("unknown evaluation outcome {:?}", short(&o)))?,
        });
    }
    Ok(SupportPlan {
        source: Source::Leeruniek,
        external_id: required("id", w.id.as_deref())?,
        school: school.clone(),
        pupil_external_id: None,
        group_external_id: Some(required("groupId", w.group_id.as_deref())?),
        kind: PlanKind::GroupPlan,
        domain: Some(domain),
        title: w.title.unwrap_or_default(),
        owner: w.owner.filter(|s| !s.trim().is_empty()),
        care_level: w.care_level.filter(|s| !s.trim().is_empty()),
        start,
        end: Some(end),
        evaluation_due: Some(date("evaluationDate", w.evaluation_date.as_deref())?),
        minutes_per_week: None,
        evaluations,
        decided_on: None,
        drawn_up_on: None,
        parents_agreed_on: None,
    })
}

fn note(school: &Brin, categories: &NoteCategories, w: WireNote) -> Result<Note, String> {
    let category = required("categoryId", w.category_id.as_deref())?;
    let path = categories
        .path(&category)
        .ok_or_else(|| format!("unknown note category {}", short(&category)))?;
    Ok(Note {
        source: Source::Leeruniek,
        external_id: required("id", w.id.as_deref())?,
        school: school.clone(),
        pupil_external_id: Some(required("pupilId", w.pupil_id.as_deref())?),
        group_external_id: w.group_id.filter(|s| !s.trim().is_empty()),
        category_path: path.to_vec(),
        created_at: midnight_utc(date("dateCreated", w.date_created.as_deref())?),
        content: w.content.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn notes_get_their_category_path_or_a_reason() {
        let brin = Brin::parse("11ZW").expect("brin");
        let cats = NoteCategories::from_pairs([("c1".to_owned(), vec!["Rekenen".into(), "Tafels".into()])]);
        let raw = json!({"id": "n1", "pupilId": "p1", "groupId": "g1", "categoryId": "c1",
                         "groupPlanId": null, "dateCreated": "2025-02-03", "content": "x"});
        let Ok(Record::Note(n)) = LeeruniekStream::Notes.normalise(&brin, &cats, &raw) else {
            panic!("expected a note");
        };
        assert_eq!(n.category_label(), "Rekenen › Tafels");
        let mut raw = raw;
        raw["categoryId"] = json!("c9");
        assert_eq!(
            LeeruniekStream::Notes
                .normalise(&brin, &cats, &raw)
                .expect_err("unknown category"),
            "unknown note category c9"
        );
    }

    #[test]
    fn group_plans_are_group_plans() {
        let brin = Brin::parse("11ZW").expect("brin");
        let raw = json!({"id": "gp1", "groupId": "g1", "schoolYear": "2025-2026", "period": "M",
            "domain": "spelling", "title": "t", "owner": "o", "careLevel": null, "startDate": "2025-09-01",
            "endDate": "2026-01-31", "evaluationDate": "2026-01-20", "pupilIds": ["p1"],
            "evaluations": [{"date": "2026-01-20", "outcome": "not_achieved"}]});
        let Ok(Record::Plan(p)) =
            LeeruniekStream::GroupPlans.normalise(&brin, &NoteCategories::default(), &raw)
        else {
            panic!("expected a plan");
        };
        assert_eq!(p.kind, PlanKind::GroupPlan);
        assert_eq!(p.evaluations[0].outcome, EvaluationOutcome::NotAchieved);
    }
}
