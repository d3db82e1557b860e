//! The signal engine: pure functions from a pupil's history, a reference date and parameters to
//! findings (docs/DOMAIN.md §6). No I/O here: no tokio, sqlx or reqwest. See docs/RULES.md.

pub mod absence;
pub mod avi_stagnation;
pub mod concern_notes;
pub mod dmt_three_lowest;
pub mod dyscalculia_check;
pub mod eed_check;
pub mod engine;
pub mod finding;
pub mod frequent_sick_absence;
pub mod gifted_candidate;
pub mod history;
pub mod input;
pub mod intervention_dossier;
pub mod json;
pub mod level_drop;
pub mod lowest_level_repeated;
pub mod no_growth;
pub mod normalise;
pub mod opp_not_drawn_up;
pub mod opp_parents_agreement;
pub mod opp_yearly_evaluation;
pub mod params;
pub mod plan_evaluation_due;
pub mod plan_evaluation_overdue;
pub mod plan_ineffective;
pub mod plans;
pub mod reference_level_low;
pub mod signal_without_plan;
pub mod social_emotional;
pub mod social_emotional_drop;
pub mod social_emotional_low;
pub mod social_emotional_not_measured;
pub mod text;
pub mod unauthorised_absence;

#[cfg(test)]
mod calendar_tests;
#[cfg(test)]
mod dossier_tests;
#[cfg(test)]
mod property_tests;
#[cfg(test)]
pub(crate) mod testkit;

pub use engine::{
    EvaluationStats, PupilFindings, SchoolEvaluation, evaluate, evaluate_all, evaluate_group_plans,
    evaluate_with_stats,
};
pub use finding::{Finding, SignalDraft, TaskDraft};
pub use history::{HistoryNote, HistoryPlan, HistoryResult, PriorSignal, PupilHistory, SchoolContext};
pub use input::{Evaluate, Rule, RuleInput};
pub use json::{EvidenceJson, PupilJson, SignalJson};
pub use normalise::NormaliseStats;
pub use params::RuleParams;
pub use signal_without_plan::opened_on;

/// Every rule, in evaluation order: the one list the engine, `status`, the report and the docs
/// checks iterate. A new rule is a file exporting `RULE` and one line here.
pub const RULES: [Rule; 22] = [
    dmt_three_lowest::RULE,
    eed_check::RULE,
    lowest_level_repeated::RULE,
    level_drop::RULE,
    no_growth::RULE,
    reference_level_low::RULE,
    avi_stagnation::RULE,
    plan_evaluation_due::RULE,
    plan_evaluation_overdue::RULE,
    opp_yearly_evaluation::RULE,
    plan_ineffective::RULE,
    signal_without_plan::RULE,
    unauthorised_absence::RULE,
    frequent_sick_absence::RULE,
    gifted_candidate::RULE,
    dyscalculia_check::RULE,
    social_emotional_low::RULE,
    social_emotional_drop::RULE,
    social_emotional_not_measured::RULE,
    concern_notes::RULE,
    opp_not_drawn_up::RULE,
    opp_parents_agreement::RULE,
];
