//! Handelingsplan, groepsplan and OPP with their evaluations.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Brin, LearningDomain, ParseError, Source};

/// Kind of support plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKind {
    /// Handelingsplan / IHP / hulpplan / actieplan for one pupil.
    ActionPlan,
    /// Groepsplan for a group, per period.
    GroupPlan,
    /// Ontwikkelingsperspectiefplan, with periodic handelingsdelen.
    Opp,
}

impl PlanKind {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ActionPlan => "action_plan",
            Self::GroupPlan => "group_plan",
            Self::Opp => "opp",
        }
    }

    /// Parses the identifier and the Dutch names sources use.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "action_plan" | "handelingsplan" | "ihp" | "hulpplan" | "actieplan" | "begeleidingsplan" => {
                Ok(Self::ActionPlan)
            }
            "group_plan" | "groepsplan" => Ok(Self::GroupPlan),
            "opp" | "ontwikkelingsperspectief" | "ontwikkelingsperspectiefplan" => Ok(Self::Opp),
            _ => Err(ParseError::new(
                "plan kind",
                input,
                "expected handelingsplan, groepsplan or opp",
            )),
        }
    }

    /// Dutch name.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::ActionPlan => "handelingsplan",
            Self::GroupPlan => "groepsplan",
            Self::Opp => "OPP",
        }
    }
}

impl fmt::Display for PlanKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationOutcome {
    /// Doel behaald.
    Achieved,
    /// Doel deels behaald.
    PartlyAchieved,
    /// Doel niet behaald.
    NotAchieved,
}

impl EvaluationOutcome {
    /// Parses the identifier and Dutch phrasings (`doel behaald`, `deels`, `niet behaald`).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim().to_ascii_lowercase().replace('_', " ");
        if s.contains("niet") || s == "not achieved" {
            Ok(Self::NotAchieved)
        } else if s.contains("deel") || s.contains("partly") {
            Ok(Self::PartlyAchieved)
        } else if s.contains("behaald") || s == "achieved" {
            Ok(Self::Achieved)
        } else {
            Err(ParseError::new(
                "evaluation outcome",
                input,
                "expected behaald, deels behaald or niet behaald",
            ))
        }
    }

    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Achieved => "achieved",
            Self::PartlyAchieved => "partly_achieved",
            Self::NotAchieved => "not_achieved",
        }
    }
}

/// An evaluation of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Date of the evaluation.
    pub date: NaiveDate,
    /// Outcome.
    pub outcome: EvaluationOutcome,
}

/// A support plan (handelingsplan, groepsplan, OPP).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportPlan {
    /// Source system.
    pub source: Source,
    /// Source id.
    pub external_id: String,
    /// School.
    pub school: Brin,
    /// Pupil, for individual plans and OPPs.
    pub pupil_external_id: Option<String>,
    /// Group, for group plans.
    pub group_external_id: Option<String>,
    /// Kind.
    pub kind: PlanKind,
    /// Domain the plan works on, when known.
    pub domain: Option<LearningDomain>,
    /// Short title (no diagnosis text).
    pub title: String,
    /// Owner (leerkracht or IB), as the source names them.
    pub owner: Option<String>,
    /// Zorgniveau code on the school's ladder (e.g. `A2`, `3`).
    pub care_level: Option<String>,
    /// Start date.
    pub start: NaiveDate,
    /// End date, when closed.
    pub end: Option<NaiveDate>,
    /// Explicit evaluation date, when the plan sets one.
    pub evaluation_due: Option<NaiveDate>,
    /// Intensity in minutes per week, when known (EED dossier).
    pub minutes_per_week: Option<u32>,
    /// Evaluations, in any order.
    pub evaluations: Vec<Evaluation>,
    /// Besluitdatum OPP: the day the school decided (leerlingbespreking, OT) that the pupil needs
    /// an OPP. Only for [`PlanKind::Opp`], and only from a source that records the OPP procedure
    /// (the ParnasSys reference contract's `besluitdatum`); `None` means unknown. A source that
    /// registers the OPP at the decision sends it before the OPP is drawn up.
    pub decided_on: Option<NaiveDate>,
    /// Datum opgesteld: the day leerkracht and IB drew the OPP up (its first handelingsdeel).
    /// `None`: not drawn up yet when [`Self::decided_on`] is known, else unknown.
    pub drawn_up_on: Option<NaiveDate>,
    /// Instemming ouders: the day the parents agreed to (signed) the handelingsdeel. `None`: not
    /// recorded (yet), or unknown when [`Self::decided_on`] is.
    pub parents_agreed_on: Option<NaiveDate>,
}

impl SupportPlan {
    /// Whether the plan is running on `date`.
    pub fn is_active_on(&self, date: NaiveDate) -> bool {
        self.start <= date && self.end.is_none_or(|e| date <= e)
    }

    /// Whether the source records this OPP's procedure (besluit, opgesteld, instemming ouders):
    /// an OPP with a decision date. Only then does a missing date mean "not yet"; for any other
    /// plan it means "unknown", and no reminder may rest on it.
    pub fn tracks_opp_procedure(&self) -> bool {
        self.kind == PlanKind::Opp && self.decided_on.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dutch_kinds_and_outcomes() {
        assert_eq!(PlanKind::parse("Handelingsplan"), Ok(PlanKind::ActionPlan));
        assert_eq!(PlanKind::parse("OPP"), Ok(PlanKind::Opp));
        assert!(PlanKind::parse("plan").is_err());
        assert_eq!(
            EvaluationOutcome::parse("doel niet behaald"),
            Ok(EvaluationOutcome::NotAchieved)
        );
        assert_eq!(
            EvaluationOutcome::parse("deels behaald"),
            Ok(EvaluationOutcome::PartlyAchieved)
        );
        assert_eq!(
            EvaluationOutcome::parse("Doel behaald"),
            Ok(EvaluationOutcome::Achieved)
        );
        assert_eq!(
            EvaluationOutcome::parse("not_achieved"),
            Ok(EvaluationOutcome::NotAchieved)
        );
        assert!(EvaluationOutcome::parse("misschien").is_err());
    }
}
