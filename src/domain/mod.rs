//! Plain domain types of Zorgsignaal (docs/DOMAIN.md §2–§5). No I/O, no async: every other module
//! depends on these, and these depend on nothing but `chrono`/`serde`.

pub mod absence;
pub mod calendar;
pub mod care;
pub mod ids;
pub mod level;
pub mod moment;
pub mod note;
pub mod plan;
pub mod pupil;
pub mod result;
pub mod school;
pub mod signal;
pub mod social_emotional;

pub use absence::{Absence, AbsenceKind};
pub use calendar::{HolidayRegion, SchoolCalendar, SchoolHoliday};
pub use care::{CareLadder, CareLevel, NationalTier};
pub use ids::{ExternalIdHasher, Source};
pub use level::{Level, LevelError, ReferenceScore, Scale};
pub use moment::{Moment, MomentKind, MomentWindows, MonthDay};
pub use note::Note;
pub use plan::{Evaluation, EvaluationOutcome, PlanKind, SupportPlan};
pub use pupil::{DyslexiaStatement, DyslexiaStatementRecord, Group, Membership, Pupil};
pub use result::{
    AbilityScore, ConfidenceInterval, DomainMapping, DomainPattern, LearningDomain, TestResult,
};
pub use school::{Brin, Grade, School, SchoolYear};
pub use signal::{EedCriterion, Evidence, GroupSignal, Severity, Signal, SignalStatus, Task, TaskKind};
pub use social_emotional::{SeInstrument, SocialEmotionalMeasurement};

/// Error for text that does not parse into a domain value; says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {input:?}: {reason}")]
pub struct ParseError {
    /// What was being parsed (e.g. "BRIN", "school year").
    pub what: &'static str,
    /// The rejected input.
    pub input: String,
    /// Why it was rejected.
    pub reason: &'static str,
}

impl ParseError {
    pub(crate) fn new(what: &'static str, input: &str, reason: &'static str) -> Self {
        Self {
            what,
            input: input.chars().take(64).collect(),
            reason,
        }
    }
}
