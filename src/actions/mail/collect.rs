//! Filling a [`DigestInput`] from the store: active signals of one school with the pupil's
//! display data and groep on the digest date.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::digest::{DigestInput, DigestItem, ItemKind};
use crate::domain::{Brin, Grade, Pupil, SignalStatus};
use crate::rules::{eed_check, plan_evaluation_due, plan_evaluation_overdue};
use crate::store::{PupilHistory, SignalFilter, SignalRow, Store, StoreError};

/// Collects what a digest for `school` on `as_of` may show, with news meaning "created or
/// changed at or after `since`" (the last mail to the IB):
/// - new signals: `open` signals (not snoozed) of every rule except the three below, only when new;
/// - evaluations due/overdue (`plan_evaluation_due`/`_overdue`) and EED checks (`eed_check`):
///   every active one (open or acknowledged, not snoozed), new only when `open` and changed since.
///
/// Signals of pupils no longer in the store (retention) are left out.
pub async fn collect_digest_input(
    store: &dyn Store,
    school: &Brin,
    since: DateTime<Utc>,
    as_of: NaiveDate,
) -> Result<DigestInput, StoreError> {
    let rows = store
        .signals(&SignalFilter {
            school: Some(school.clone()),
            ..SignalFilter::default()
        })
        .await?;
    let rows: Vec<SignalRow> = rows
        .into_iter()
        .filter(|r| r.signal.status.is_active())
        .filter(|r| r.signal.snoozed_until.is_none_or(|until| until < as_of))
        .collect();
    if rows.is_empty() {
        return Ok(DigestInput::default());
    }
    let pupils: HashMap<i64, (Pupil, Option<Grade>)> = store
        .pupil_histories(school)
        .await?
        .into_iter()
        .map(|h| (h.pupil.id, pupil_and_grade(h, as_of)))
        .collect();
    let mut items = Vec::new();
    for row in rows {
        let Some((pupil, grade)) = pupils.get(&row.pupil_id) else {
            continue;
        };
        let kind = kind_of(&row.signal.rule);
        let open = row.signal.status == SignalStatus::Open;
        let is_new = open && row.updated_at >= since;
        if kind == ItemKind::NewSignal && !is_new {
            continue;
        }
        items.push(DigestItem {
            signal_id: row.id,
            kind,
            pupil: pupil.clone(),
            grade: *grade,
            rule: row.signal.rule,
            domain: row.signal.domain,
            severity: row.signal.severity,
            explanation: row.signal.explanation,
            is_new,
        });
    }
    Ok(DigestInput { items })
}

/// The digest part a rule's signals belong to.
fn kind_of(rule: &str) -> ItemKind {
    if rule == plan_evaluation_due::RULE_ID {
        ItemKind::EvaluationDue
    } else if rule == plan_evaluation_overdue::RULE_ID {
        ItemKind::EvaluationOverdue
    } else if rule == eed_check::RULE_ID {
        ItemKind::EedCheck
    } else {
        ItemKind::NewSignal
    }
}

/// The pupil and his jaargroep on `as_of` (else in his latest groepsindeling).
fn pupil_and_grade(history: PupilHistory, as_of: NaiveDate) -> (Pupil, Option<Grade>) {
    let grade = history
        .memberships
        .iter()
        .filter(|m| m.covers(as_of))
        .max_by_key(|m| m.from)
        .or_else(|| history.memberships.iter().max_by_key(|m| m.from))
        .map(|m| m.grade);
    (history.pupil.pupil, grade)
}
