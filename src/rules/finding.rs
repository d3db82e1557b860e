//! What a rule produces: a signal draft with its tasks, stable keys, and the conversion to the
//! stored [`Signal`]/[`Task`] records.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::PupilHistory;
use crate::domain::{
    Brin, EedCriterion, Evidence, GroupSignal, LearningDomain, Severity, Signal, SignalStatus, Source, Task,
    TaskKind,
};

/// One rule hit for one pupil: the signal and the tasks it asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The signal.
    pub signal: SignalDraft,
    /// Tasks to store in the outbox (sorted by key).
    pub tasks: Vec<TaskDraft>,
}

/// A signal as a rule finds it, before the store gives it a status and an opening date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalDraft {
    /// Stable key `rule/p<pupil>/<domain>/<anchor>`: re-evaluation yields the same key.
    pub key: String,
    /// Rule id.
    pub rule: String,
    /// Rule version.
    pub rule_version: u32,
    /// Leerdomein, for learning signals and plans with a domain.
    pub domain: Option<LearningDomain>,
    /// Severity.
    pub severity: Severity,
    /// Dutch explanation (uitleg) for the IB.
    pub explanation: String,
    /// Exact evidence, oldest first.
    pub evidence: Vec<Evidence>,
    /// For `dmt_three_lowest` (and `eed_check`): whether all three are in the lowest 10 %.
    pub eed_criterion: Option<EedCriterion>,
}

/// A task or reminder a finding asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDraft {
    /// Idempotency key `rule/p<pupil>/<domain>/<evidence window>[/suffix]`.
    pub key: String,
    /// Who it is for.
    pub kind: TaskKind,
    /// System to push it to.
    pub target: Source,
    /// Short factual Dutch title.
    pub title: String,
    /// Short factual Dutch body.
    pub body: String,
    /// Due date, if any.
    pub due_on: Option<NaiveDate>,
}

impl Finding {
    /// The records to store for a first finding on `opened_on`: an open signal and its tasks.
    /// When the key exists already, the store appends evidence instead (never closes it).
    pub fn to_records(&self, history: &PupilHistory, opened_on: NaiveDate) -> (Signal, Vec<Task>) {
        let s = &self.signal;
        let signal = Signal {
            key: s.key.clone(),
            rule: s.rule.clone(),
            rule_version: s.rule_version,
            school: history.school.clone(),
            pupil_external_id: history.pupil_external_id.clone(),
            domain: s.domain,
            severity: s.severity,
            status: SignalStatus::Open,
            opened_on,
            explanation: s.explanation.clone(),
            evidence: s.evidence.clone(),
            eed_criterion: s.eed_criterion,
            snoozed_until: None,
            dismissed_reason: None,
        };
        let tasks = self
            .tasks
            .iter()
            .map(|t| Task {
                key: t.key.clone(),
                signal_key: Some(s.key.clone()),
                kind: t.kind,
                school: history.school.clone(),
                pupil_external_id: history.pupil_external_id.clone(),
                target: t.target,
                title: t.title.clone(),
                body: t.body.clone(),
                due_on: t.due_on,
            })
            .collect();
        (signal, tasks)
    }

    /// The group signal to store for a finding of [`super::evaluate_group_plans`] about the group
    /// `group_external_id` of `school`, first found on `opened_on`. Its tasks are not stored: the
    /// sources take tasks per pupil only, so the group's reminder reaches the IB (dashboard) and
    /// through her the plan's owner.
    pub fn to_group_signal(
        &self,
        school: &Brin,
        group_external_id: &str,
        opened_on: NaiveDate,
    ) -> GroupSignal {
        let s = &self.signal;
        GroupSignal {
            key: s.key.clone(),
            rule: s.rule.clone(),
            rule_version: s.rule_version,
            school: school.clone(),
            group_external_id: group_external_id.to_string(),
            domain: s.domain,
            severity: s.severity,
            status: SignalStatus::Open,
            opened_on,
            explanation: s.explanation.clone(),
            evidence: s.evidence.clone(),
        }
    }
}

/// The domain part of a key (`word_reading`, or `none`).
fn domain_part(domain: Option<LearningDomain>) -> &'static str {
    domain.map_or("none", LearningDomain::as_str)
}

/// Signal key: `rule/p<pupil>/<domain>/<anchor>`.
pub fn signal_key(rule: &str, pupil_id: i64, domain: Option<LearningDomain>, anchor: &str) -> String {
    subject_key(rule, &pupil_subject(pupil_id), domain, anchor)
}

/// Task key: `rule/p<pupil>/<domain>/<window>`; `window` names the evidence the task is about.
pub fn task_key(rule: &str, pupil_id: i64, domain: Option<LearningDomain>, window: &str) -> String {
    subject_key(rule, &pupil_subject(pupil_id), domain, window)
}

/// Key subject of a pupil: `p<store id>`.
pub fn pupil_subject(pupil_id: i64) -> String {
    format!("p{pupil_id}")
}

/// The rule a signal or task key was made by (`rule/subject/domain/anchor`): a signal keeps its
/// key when its state moves on ("evaluatie binnenkort" → "te laat"), and a task merged into
/// another rule's signal keeps its own rule in its key.
pub fn origin_rule(key: &str) -> &str {
    key.split('/').next().unwrap_or(key)
}

/// Key subject of a group (for group plans): `g<source group id>`.
pub fn group_subject(group_external_id: &str) -> String {
    format!("g{}", group_external_id.trim())
}

/// Key `rule/<subject>/<domain>/<anchor or window>`, the subject being a pupil or a group.
pub fn subject_key(rule: &str, subject: &str, domain: Option<LearningDomain>, anchor: &str) -> String {
    format!("{rule}/{subject}/{}/{anchor}", domain_part(domain))
}

/// Where a task goes: the first of `sources` (most relevant first) that accepts tasks, else
/// ParnasSys, the school's own administration (OSO and CSV take no write-back).
pub fn task_target(sources: impl IntoIterator<Item = Source>) -> Source {
    sources
        .into_iter()
        .find(|s| s.accepts_tasks())
        .unwrap_or(Source::Parnassys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_readable_and_carry_every_part() {
        assert_eq!(
            signal_key("dmt_three_lowest", 7, Some(LearningDomain::WordReading), "r12"),
            "dmt_three_lowest/p7/word_reading/r12"
        );
        assert_eq!(
            task_key("plan_evaluation_due", 7, None, "plan3"),
            "plan_evaluation_due/p7/none/plan3"
        );
    }

    #[test]
    fn tasks_go_back_where_write_back_exists() {
        assert_eq!(task_target([Source::Oso, Source::Leeruniek]), Source::Leeruniek);
        assert_eq!(task_target([Source::Csv]), Source::Parnassys);
    }
}
