//! What a rule reads and what a rule is: the one shape every rule of the engine has, so rules
//! import this file and never the engine (issue 13, item 3).

use chrono::NaiveDate;

use super::normalise::Normalised;
use super::{Finding, PupilHistory, SchoolContext};

/// What every rule reads.
pub struct RuleInput<'a> {
    /// The pupil.
    pub history: &'a PupilHistory,
    /// Reference date: nothing after it is seen.
    pub as_of: NaiveDate,
    /// School parameters and ladder.
    pub ctx: &'a SchoolContext,
    /// The pupil's normalised measurements.
    pub norm: &'a Normalised,
}

/// How a rule is run by the engine.
#[derive(Clone, Copy)]
pub enum Evaluate {
    /// Reads the pupil's data (results, plans, care steps): runs first, in table order.
    Data(fn(&RuleInput<'_>) -> Vec<Finding>),
    /// Reads what the data rules found (after inhibition and continuation): runs last.
    FollowUp(fn(&RuleInput<'_>, &[Finding]) -> Vec<Finding>),
}

/// One rule (signaalregel): its id, its version (raised when its meaning changes, so stored
/// signals can be told apart) and how it is evaluated. Every rule file exports one `RULE`; the
/// list in `rules/mod.rs` ([`super::RULES`]) is the only place that names them all.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Rule id as stored and shown (`dmt_three_lowest`, …).
    pub id: &'static str,
    /// Rule version.
    pub version: u32,
    /// The evaluation.
    pub evaluate: Evaluate,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.id)
            .field("version", &self.version)
            .finish()
    }
}
