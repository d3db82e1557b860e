//! Filling a [`DigestInput`] from the store: active signals of one school with the pupil's
//! display data and group on the digest date, marked new or due for a repeat for one IB.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::digest::{DigestInput, DigestItem, ItemKind, REMIND_FOR_DAYS, REPEAT_AFTER_DAYS};
use crate::domain::{Brin, Grade, Pupil, Severity, SignalStatus};
use crate::rules::{eed_check, plan_evaluation_due, plan_evaluation_overdue};
use crate::store::{PupilHistory, SignalFilter, SignalRow, Store, StoreError};

/// Collects every active (open or acknowledged, not snoozed) signal of `school` on `as_of` for
/// the IB `to`, at `now`:
/// - `is_new`: open, and never named to `to` about this school, or named with another severity;
/// - `repeat`: open, named before with the same severity, last named [`REPEAT_AFTER_DAYS`] days
///   or more before `now`, first named at most [`REMIND_FOR_DAYS`] ago (four weekly reminders),
///   and worth a reminder: an evaluation due or overdue, an EED check, or `high` severity (a
///   plain learning signal or a bespreekpunt is told once; the dashboard keeps it);
/// - `long_open`: the same, but first named longer ago: counted, not repeated.
///
/// Signals of pupils no longer in the store (retention) are left out.
pub async fn collect_digest_input(
    store: &dyn Store,
    school: &Brin,
    to: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
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
    let groups: HashMap<String, String> = store.group_names(school).await?.into_iter().collect();
    let pupils: HashMap<i64, (Pupil, Option<Grade>, Option<String>)> = store
        .pupil_rosters(school)
        .await?
        .into_iter()
        .map(|h| (h.pupil.id, pupil_and_group(h, as_of, &groups)))
        .collect();
    let mailed: HashMap<i64, (String, DateTime<Utc>, DateTime<Utc>)> = store
        .mailed_items(to, school)
        .await?
        .into_iter()
        .map(|m| (m.signal_id, (m.fingerprint, m.first_mailed_at, m.last_mailed_at)))
        .collect();
    let repeat_before = now - TimeDelta::days(REPEAT_AFTER_DAYS) + TimeDelta::hours(1);
    let remind_since = now - TimeDelta::days(REMIND_FOR_DAYS) - TimeDelta::hours(1);
    let mut items = Vec::new();
    for row in rows {
        let Some((pupil, grade, group)) = pupils.get(&row.pupil_id) else {
            continue;
        };
        let kind = kind_of(&row.signal.rule);
        let open = row.signal.status == SignalStatus::Open;
        let mut item = DigestItem {
            signal_id: row.id,
            kind,
            pupil: pupil.clone(),
            grade: *grade,
            group: group.clone(),
            rule: row.signal.rule,
            domain: row.signal.domain,
            severity: row.signal.severity,
            explanation: row.signal.explanation,
            opened_on: row.signal.opened_on,
            open,
            is_new: false,
            repeat: false,
            long_open: false,
        };
        match mailed.get(&row.id) {
            None => item.is_new = open,
            Some((fingerprint, _, _)) if *fingerprint != item.fingerprint() => item.is_new = open,
            Some((_, first, last)) => {
                // Bespreekpunten wait for the groepsbespreking (dashboard): told once, like a
                // plain learning signal.
                let worth = !matches!(kind, ItemKind::NewSignal | ItemKind::DiscussionPoint)
                    || item.severity == Severity::High;
                // An hour of slack: a 07:30 digest a week after a 07:35 one still repeats.
                // Four weekly reminders at most (issue 17: a passive reader's "nog open" was
                // full every day with the same DMT, ED and rekenonderzoek pupils); then the
                // dashboard keeps it and the digest counts it.
                let reminding = *first >= remind_since;
                item.repeat = open && worth && reminding && *last < repeat_before;
                item.long_open = open && worth && !reminding;
            }
        }
        items.push(item);
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
    } else if crate::rules::engine::is_discussion_point(rule) {
        ItemKind::DiscussionPoint
    } else {
        ItemKind::NewSignal
    }
}

/// The pupil, his jaargroep and group name on `as_of` (else in his latest groepsindeling).
fn pupil_and_group(
    history: PupilHistory,
    as_of: NaiveDate,
    groups: &HashMap<String, String>,
) -> (Pupil, Option<Grade>, Option<String>) {
    let membership = history
        .memberships
        .iter()
        .filter(|m| m.covers(as_of))
        .max_by_key(|m| m.from)
        .or_else(|| history.memberships.iter().max_by_key(|m| m.from));
    let grade = membership.map(|m| m.grade);
    let group = membership.and_then(|m| groups.get(&m.group_external_id).cloned());
    (history.pupil.pupil, grade, group)
}
