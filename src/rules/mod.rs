//! The signal engine: pure functions from a pupil's history, a reference date and parameters to
//! findings (docs/DOMAIN.md §6). No I/O here: no tokio, sqlx or reqwest. See docs/RULES.md.

pub mod absence;
pub mod avi_stagnation;
pub mod dmt_three_lowest;
pub mod eed_check;
pub mod engine;
pub mod finding;
pub mod frequent_sick_absence;
pub mod history;
pub mod json;
pub mod level_drop;
pub mod lowest_level_repeated;
pub mod no_growth;
pub mod normalise;
pub mod opp_yearly_evaluation;
pub mod params;
pub mod plan_evaluation_due;
pub mod plan_evaluation_overdue;
pub mod plan_ineffective;
pub mod plans;
pub mod reference_level_low;
pub mod signal_without_plan;
pub mod text;
pub mod unauthorised_absence;

#[cfg(test)]
mod calendar_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
pub(crate) mod testkit;

pub use engine::{
    EvaluationStats, PupilFindings, RuleInput, SchoolEvaluation, evaluate, evaluate_all,
    evaluate_group_plans, evaluate_with_stats,
};
pub use finding::{Finding, SignalDraft, TaskDraft};
pub use history::{HistoryPlan, HistoryResult, PriorSignal, PupilHistory, SchoolContext};
pub use json::{EvidenceJson, PupilJson, SignalJson};
pub use normalise::NormaliseStats;
pub use params::RuleParams;

/// Every rule id with its version, in evaluation order (for `status` and the docs).
pub const RULES: [(&str, u32); 14] = [
    (dmt_three_lowest::RULE_ID, dmt_three_lowest::RULE_VERSION),
    (eed_check::RULE_ID, eed_check::RULE_VERSION),
    (
        lowest_level_repeated::RULE_ID,
        lowest_level_repeated::RULE_VERSION,
    ),
    (level_drop::RULE_ID, level_drop::RULE_VERSION),
    (no_growth::RULE_ID, no_growth::RULE_VERSION),
    (reference_level_low::RULE_ID, reference_level_low::RULE_VERSION),
    (avi_stagnation::RULE_ID, avi_stagnation::RULE_VERSION),
    (plan_evaluation_due::RULE_ID, plan_evaluation_due::RULE_VERSION),
    (
        plan_evaluation_overdue::RULE_ID,
        plan_evaluation_overdue::RULE_VERSION,
    ),
    (
        opp_yearly_evaluation::RULE_ID,
        opp_yearly_evaluation::RULE_VERSION,
    ),
    (plan_ineffective::RULE_ID, plan_ineffective::RULE_VERSION),
    (signal_without_plan::RULE_ID, signal_without_plan::RULE_VERSION),
    (unauthorised_absence::RULE_ID, unauthorised_absence::RULE_VERSION),
    (
        frequent_sick_absence::RULE_ID,
        frequent_sick_absence::RULE_VERSION,
    ),
];
