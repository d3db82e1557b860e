//! Signalen and taken: what the rules find and what is pushed back / mailed.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Brin, LearningDomain, ParseError, Source};

/// Severity of a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Laag.
    Low,
    /// Middel.
    Medium,
    /// Hoog: may be mailed at once.
    High,
}

impl Severity {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    /// Parses the identifier.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            _ => Err(ParseError::new("severity", input, "expected low, medium or high")),
        }
    }

    /// Dutch label.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::Low => "laag",
            Self::Medium => "middel",
            Self::High => "hoog",
        }
    }
}

/// Lifecycle state of a signal: open → acknowledged → resolved | dismissed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalStatus {
    /// New, not yet seen by the IB.
    Open,
    /// Seen; being worked on.
    Acknowledged,
    /// Handled.
    Resolved,
    /// Not relevant, with a reason.
    Dismissed,
}

impl SignalStatus {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
            Self::Dismissed => "dismissed",
        }
    }

    /// Parses the identifier.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "open" => Ok(Self::Open),
            "acknowledged" => Ok(Self::Acknowledged),
            "resolved" => Ok(Self::Resolved),
            "dismissed" => Ok(Self::Dismissed),
            _ => Err(ParseError::new(
                "signal status",
                input,
                "expected open, acknowledged, resolved or dismissed",
            )),
        }
    }

    /// Whether the signal still needs attention (open or acknowledged).
    pub fn is_active(self) -> bool {
        matches!(self, Self::Open | Self::Acknowledged)
    }

    /// Whether moving to `next` is allowed.
    pub fn can_become(self, next: SignalStatus) -> bool {
        use SignalStatus::*;
        matches!(
            (self, next),
            (Open, Acknowledged) | (Open | Acknowledged, Resolved) | (Open | Acknowledged, Dismissed)
        )
    }

    /// Dutch label.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "in behandeling",
            Self::Resolved => "afgehandeld",
            Self::Dismissed => "terzijde gelegd",
        }
    }
}

impl fmt::Display for SignalStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether three DMT results are all in the lowest 10 % (EED criterion).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EedCriterion {
    /// All three V-/E/P≤10.
    Met,
    /// At least one is known to be above P10.
    NotMet,
    /// At least one is a plain V without percentile, none known above P10.
    Unknown,
}

/// One piece of evidence behind a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// `result`, `plan`, `evaluation`, `signal`, `absence` or `social_emotional` (issue 18).
    pub kind: String,
    /// Store id or source id of the piece.
    pub id: String,
    /// Date (afnamedatum, evaluation date …).
    pub date: NaiveDate,
    /// Test name, for results.
    pub test: Option<String>,
    /// Moment label (`M4`, `E5`), for results.
    pub moment: Option<String>,
    /// Level as written (`V-`, `E`), for results.
    pub level: Option<String>,
    /// Scale code of `level`.
    pub scale: Option<String>,
    /// Percentile, when carried.
    pub percentile: Option<u8>,
    /// Vaardigheidsscore, when carried.
    pub ability_score: Option<f64>,
    /// Source of the piece.
    pub source: Option<Source>,
    /// Dutch remark on this piece (two norms of one sitting that disagree, a missed round, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A detected concern about one pupil.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Stable key: rule, pupil, domain and anchor evidence.
    pub key: String,
    /// Rule id (`dmt_three_lowest`).
    pub rule: String,
    /// Rule version.
    pub rule_version: u32,
    /// School.
    pub school: Brin,
    /// Source pupil id.
    pub pupil_external_id: String,
    /// Domain, for learning signals.
    pub domain: Option<LearningDomain>,
    /// Severity.
    pub severity: Severity,
    /// Lifecycle state.
    pub status: SignalStatus,
    /// Date the signal was first found.
    pub opened_on: NaiveDate,
    /// Dutch explanation.
    pub explanation: String,
    /// Exact evidence.
    pub evidence: Vec<Evidence>,
    /// For `dmt_three_lowest`.
    pub eed_criterion: Option<EedCriterion>,
    /// Silenced until this date.
    pub snoozed_until: Option<NaiveDate>,
    /// Reason, when dismissed.
    pub dismissed_reason: Option<String>,
}

/// A reminder about a group (groepssignaal): the evaluation of a groepsplan is due or overdue
/// (issue 16 item 10). It concerns the group and the plan's owner, not one pupil, so it is stored
/// per group and carries no pupil data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSignal {
    /// Stable key `rule/g<group>/<domain>/plan<id>-<due date>`.
    pub key: String,
    /// Rule id (`plan_evaluation_due`, `plan_evaluation_overdue`).
    pub rule: String,
    /// Rule version.
    pub rule_version: u32,
    /// School.
    pub school: Brin,
    /// Source group id.
    pub group_external_id: String,
    /// Domain of the plan, if it has one.
    pub domain: Option<LearningDomain>,
    /// Severity.
    pub severity: Severity,
    /// Open while the rule finds it, resolved once it no longer does.
    pub status: SignalStatus,
    /// Date it was first found.
    pub opened_on: NaiveDate,
    /// Dutch explanation.
    pub explanation: String,
    /// The plan.
    pub evidence: Vec<Evidence>,
}

/// Who a task is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Taak voor de IB.
    IbTask,
    /// Herinnering aan de eigenaar van een plan.
    OwnerReminder,
    /// Taak voor de leerkracht, IB in kopie.
    TeacherTask,
    /// Escalatie naar de directie.
    DirectieEscalation,
}

impl TaskKind {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IbTask => "ib_task",
            Self::OwnerReminder => "owner_reminder",
            Self::TeacherTask => "teacher_task",
            Self::DirectieEscalation => "directie_escalation",
        }
    }

    /// Whether the task is pushed into the source system (ParnasSys, Leeruniek). A directie
    /// escalation is not: the pupil's file there may be read by parents, so it stays inside
    /// Zorgsignaal (mail to `directie_emails`, dashboard) and gets no outbox row (issue 16 item 12).
    pub fn is_pushed(self) -> bool {
        !matches!(self, Self::DirectieEscalation)
    }

    /// Parses the identifier.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "ib_task" => Ok(Self::IbTask),
            "owner_reminder" => Ok(Self::OwnerReminder),
            "teacher_task" => Ok(Self::TeacherTask),
            "directie_escalation" => Ok(Self::DirectieEscalation),
            _ => Err(ParseError::new("task kind", input, "unknown task kind")),
        }
    }
}

/// A task or reminder to push back to a source system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Idempotency key: rule, pupil, domain, evidence window.
    pub key: String,
    /// Signal the task belongs to, if any.
    pub signal_key: Option<String>,
    /// Who it is for.
    pub kind: TaskKind,
    /// School.
    pub school: Brin,
    /// Source pupil id.
    pub pupil_external_id: String,
    /// System to push to (where the evidence came from).
    pub target: Source,
    /// Short factual Dutch title (parents may read it).
    pub title: String,
    /// Short factual Dutch body.
    pub body: String,
    /// Due date, if any.
    pub due_on: Option<NaiveDate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_transitions() {
        use SignalStatus::*;
        assert!(Open.can_become(Acknowledged));
        assert!(Acknowledged.can_become(Resolved));
        assert!(Open.can_become(Dismissed));
        assert!(!Resolved.can_become(Open));
        assert!(!Dismissed.can_become(Acknowledged));
        assert!(!Acknowledged.can_become(Open));
    }

    #[test]
    fn identifiers_round_trip() {
        for s in [
            SignalStatus::Open,
            SignalStatus::Acknowledged,
            SignalStatus::Resolved,
            SignalStatus::Dismissed,
        ] {
            assert_eq!(SignalStatus::parse(s.as_str()), Ok(s));
        }
        for s in [Severity::Low, Severity::Medium, Severity::High] {
            assert_eq!(Severity::parse(s.as_str()), Ok(s));
        }
        for k in [
            TaskKind::IbTask,
            TaskKind::OwnerReminder,
            TaskKind::TeacherTask,
            TaskKind::DirectieEscalation,
        ] {
            assert_eq!(TaskKind::parse(k.as_str()), Ok(k));
        }
    }
}
