//! What the pages and the JSON API show of pupils, assembled from the store with the
//! authorisation checks in one place: pupil data only for `ib`/`directie` of that school
//! (anything else is "not found", so guessing ids reveals nothing). Every view of a pupil and
//! every change is written to the audit log. Board and operator views are in `admin.rs`.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::chart::{SeriesPoint, series};
use super::error::ApiError;
use crate::domain::{Brin, Severity, SignalStatus};
use crate::rules::json::SignalJson;
use crate::schedule::today_amsterdam;
use crate::store::{OutboxFilter, OutboxStatus, PupilHistory, SignalEvent, SignalFilter, SignalRow, User};

/// Days ahead in which a plan evaluation counts as due.
pub const EVALUATION_DUE_DAYS: i64 = 14;

/// One groep on the school overview.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GroupSummary {
    /// `groep 5` (or `geen groep`).
    pub group: String,
    /// Pupils in it.
    pub pupils: usize,
    /// Active signals by severity.
    pub high: usize,
    /// Medium-severity active signals.
    pub medium: usize,
    /// Low-severity active signals.
    pub low: usize,
    /// Plan evaluations due in the next [`EVALUATION_DUE_DAYS`] days.
    pub evaluations_due: usize,
    /// Plan evaluations past their date without an evaluation.
    pub evaluations_overdue: usize,
}

/// A pupil with active signals, on the school overview.
#[derive(Debug, Clone, Serialize)]
pub struct PupilSummary {
    /// Store id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Current groep.
    pub group: String,
    /// Active signals.
    pub signals: usize,
    /// Highest severity among them.
    pub max_severity: Severity,
}

/// The school overview (schooloverzicht).
#[derive(Debug, Clone, Serialize)]
pub struct SchoolOverview {
    /// BRIN.
    pub school: String,
    /// School name.
    pub name: String,
    /// Per groep.
    pub groups: Vec<GroupSummary>,
    /// Pupils with active signals, most severe first.
    pub pupils: Vec<PupilSummary>,
    /// Escalations to the directie whose signal is still active, oldest first (issue 16 item 12:
    /// shown here, never written into the pupil's file).
    pub escalations: Vec<EscalationSummary>,
    /// Every active signal, by priority: high first, then the oldest (issue 17 item 4).
    pub signals: Vec<SignalLine>,
    /// Open reminders about group plans (groepsplannen), by due date (issue 16 item 10).
    pub group_signals: Vec<GroupSignalLine>,
}

/// One active signal on the school's start page, with Dutch labels only.
#[derive(Debug, Clone, Serialize)]
pub struct SignalLine {
    /// Signal store id.
    pub id: i64,
    /// Pupil store id.
    pub pupil_id: i64,
    /// Pupil name as the roster gives it.
    pub name: String,
    /// Groep.
    pub group: String,
    /// Rule id (for programs; pages show `label`).
    pub rule: String,
    /// Dutch name of the rule (`drie keer V(E) op DMT`).
    pub label: String,
    /// Dutch domain (`woordlezen (DMT)`), if any.
    pub domain: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// Status.
    pub status: SignalStatus,
    /// Opened (the day the data showed it).
    pub opened_on: NaiveDate,
    /// When Zorgsignaal stored it ("nieuw sinds uw vorige bezoek" compares this).
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Dutch explanation.
    pub explanation: String,
}

/// An open group-plan reminder on the school's start page.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSignalLine {
    /// Store id.
    pub id: i64,
    /// Group name (`Groep 5a`), or the source's group id when the name is unknown.
    pub group: String,
    /// Rule id.
    pub rule: String,
    /// Dutch name of the rule.
    pub label: String,
    /// Dutch domain, if the plan has one.
    pub domain: Option<String>,
    /// Severity.
    pub severity: Severity,
    /// Dutch explanation.
    pub explanation: String,
    /// Found since.
    pub opened_on: NaiveDate,
    /// When Zorgsignaal stored it.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl SignalLine {
    /// Whether Zorgsignaal found it after `since` (the previous visit); all are new without one.
    pub fn is_new_since(&self, since: Option<chrono::DateTime<chrono::Utc>>) -> bool {
        since.is_none_or(|t| self.created_at > t)
    }
}

/// A directie escalation on the school page.
#[derive(Debug, Clone, Serialize)]
pub struct EscalationSummary {
    /// Pupil store id.
    pub pupil_id: i64,
    /// Pupil name as the roster gives it.
    pub name: String,
    /// Groep.
    pub group: String,
    /// Dutch title (`Evaluatie handelingsplan meer dan 14 dagen te laat`).
    pub title: String,
    /// Dutch body.
    pub body: String,
    /// Day it was raised (Europe/Amsterdam).
    pub raised_on: NaiveDate,
}

/// A signal with its timeline.
#[derive(Debug, Clone, Serialize)]
pub struct SignalView {
    /// The contract object (docs/RULES.md).
    pub signal: SignalJson,
    /// Silenced until.
    pub snoozed_until: Option<NaiveDate>,
    /// Reason, when dismissed.
    pub dismissed_reason: Option<String>,
    /// Timeline, oldest first.
    pub events: Vec<SignalEvent>,
}

/// A task with its outbox state.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    /// Outbox id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Target system.
    pub target: String,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// Outbox state.
    pub status: OutboxStatus,
    /// Delivery attempts.
    pub attempts: i64,
}

/// The pupil page (leerlingpagina).
#[derive(Debug, Clone, Serialize)]
pub struct PupilDetail {
    /// Store id.
    pub id: i64,
    /// BRIN.
    pub school: String,
    /// Name.
    pub name: String,
    /// Current groep.
    pub group: String,
    /// Levels per domain across moments, for the chart.
    pub series: Vec<SeriesPoint>,
    /// Every signal, newest first.
    pub signals: Vec<SignalView>,
    /// Tasks pushed for this pupil.
    pub tasks: Vec<TaskView>,
    /// Notities of the last [`PUPIL_NOTES_WEEKS`] weeks: the pupil's own and his groups' notes
    /// of the time he was in the group, newest first (issue 18 item 6: context for the IB).
    pub notes: Vec<NoteView>,
}

/// How far back the pupil page shows notes, in weeks (recent notes: about half a year).
pub const PUPIL_NOTES_WEEKS: i64 = 26;

/// A note (notitie) on the pupil page: the most sensitive text Zorgsignaal holds, shown only in
/// this audited view of the pupil's own school.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    /// Store id.
    pub id: i64,
    /// The day it was written (Europe/Amsterdam).
    pub written_on: NaiveDate,
    /// Category path as Leeruniek shows it (`Zorg › Welbevinden`).
    pub category: String,
    /// A group note (groepsnotitie) rather than one about the pupil.
    pub group_note: bool,
    /// The text.
    pub text: String,
}

fn current_group(h: &PupilHistory, today: NaiveDate) -> String {
    h.memberships
        .iter()
        .filter(|m| m.from <= today)
        .max_by_key(|m| m.from)
        .map_or_else(|| "geen groep".to_string(), |m| format!("groep {}", m.grade))
}

/// `Groep 4b` from a group name (`4b`, `Groep 4b`).
fn group_label(name: &str) -> String {
    let name = name.trim();
    if name.to_lowercase().starts_with("groep") {
        name.to_string()
    } else {
        format!("Groep {name}")
    }
}

fn require_school(user: &User, school: &Brin) -> Result<(), ApiError> {
    if user.may_see_pupils_of(school) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// The overview of a school, for its `ib` or `directie`.
pub async fn school_overview(state: &AppState, user: &User, brin: &str) -> Result<SchoolOverview, ApiError> {
    let school = Brin::parse(brin).map_err(|_| ApiError::NotFound)?;
    require_school(user, &school)?;
    let name = state
        .store
        .schools()
        .await?
        .into_iter()
        .find(|s| s.brin == school)
        .map(|s| s.name)
        .ok_or(ApiError::NotFound)?;
    let today = today_amsterdam();
    let roster = state
        .store
        .school_roster(&school, today, today + TimeDelta::days(EVALUATION_DUE_DAYS))
        .await?;
    let signals = state
        .store
        .signals(&SignalFilter {
            school: Some(school.clone()),
            ..SignalFilter::default()
        })
        .await?;
    let mut active: BTreeMap<i64, Vec<Severity>> = BTreeMap::new();
    for s in signals.iter().filter(|s| s.signal.status.is_active()) {
        active.entry(s.pupil_id).or_default().push(s.signal.severity);
    }
    let mut groups: BTreeMap<String, GroupSummary> = BTreeMap::new();
    let mut pupils = Vec::new();
    let mut names: BTreeMap<i64, (String, String)> = BTreeMap::new();
    for entry in roster {
        let group = entry
            .grade
            .map_or_else(|| "geen groep".to_string(), |g| format!("groep {g}"));
        names.insert(entry.pupil_id, (entry.name.clone(), group.clone()));
        let g = groups.entry(group.clone()).or_insert_with(|| GroupSummary {
            group: group.clone(),
            ..GroupSummary::default()
        });
        g.pupils += 1;
        g.evaluations_due += usize::try_from(entry.evaluations_due).unwrap_or(0);
        g.evaluations_overdue += usize::try_from(entry.evaluations_overdue).unwrap_or(0);
        let severities = active.get(&entry.pupil_id).map(Vec::as_slice).unwrap_or_default();
        for sev in severities {
            match sev {
                Severity::High => g.high += 1,
                Severity::Medium => g.medium += 1,
                Severity::Low => g.low += 1,
            }
        }
        if let Some(max) = severities.iter().max() {
            pupils.push(PupilSummary {
                id: entry.pupil_id,
                name: entry.name,
                group,
                signals: severities.len(),
                max_severity: *max,
            });
        }
    }
    pupils.sort_by(|a, b| b.max_severity.cmp(&a.max_severity).then(a.group.cmp(&b.group)));
    let active_keys: std::collections::HashSet<&str> = signals
        .iter()
        .filter(|s| s.signal.status.is_active())
        .map(|s| s.signal.key.as_str())
        .collect();
    let escalations = state
        .store
        .directie_escalations(&school, chrono::DateTime::<chrono::Utc>::MIN_UTC)
        .await?
        .into_iter()
        .filter(|e| e.signal_key.as_deref().is_some_and(|k| active_keys.contains(k)))
        .map(|e| {
            let (name, group) = names
                .get(&e.pupil_id)
                .cloned()
                .unwrap_or_else(|| ("leerling".to_string(), "geen groep".to_string()));
            EscalationSummary {
                pupil_id: e.pupil_id,
                name,
                group,
                title: e.title,
                body: e.body,
                raised_on: e
                    .created_at
                    .with_timezone(&chrono_tz::Europe::Amsterdam)
                    .date_naive(),
            }
        })
        .collect();
    let mut lines: Vec<SignalLine> = signals
        .iter()
        .filter(|s| s.signal.status.is_active())
        .map(|s| {
            let (name, group) = names
                .get(&s.pupil_id)
                .cloned()
                .unwrap_or_else(|| ("leerling".to_string(), "geen groep".to_string()));
            SignalLine {
                id: s.id,
                pupil_id: s.pupil_id,
                name,
                group,
                rule: s.signal.rule.clone(),
                label: crate::rules::text::rule_label(&s.signal.rule).to_string(),
                domain: s.signal.domain.map(|d| d.dutch().to_string()),
                severity: s.signal.severity,
                status: s.signal.status,
                opened_on: s.signal.opened_on,
                created_at: s.created_at,
                explanation: s.signal.explanation.clone(),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.opened_on.cmp(&b.opened_on))
            .then(a.id.cmp(&b.id))
    });
    let group_names: std::collections::HashMap<String, String> =
        state.store.group_names(&school).await?.into_iter().collect();
    let mut group_signals: Vec<GroupSignalLine> = state
        .store
        .group_signals(&school, Some(SignalStatus::Open))
        .await?
        .into_iter()
        .map(|g| GroupSignalLine {
            id: g.id,
            group: group_label(
                group_names
                    .get(&g.signal.group_external_id)
                    .map_or(g.signal.group_external_id.as_str(), String::as_str),
            ),
            label: crate::rules::text::rule_label(&g.signal.rule).to_string(),
            rule: g.signal.rule,
            domain: g.signal.domain.map(|d| d.dutch().to_string()),
            severity: g.signal.severity,
            explanation: g.signal.explanation,
            opened_on: g.signal.opened_on,
            created_at: g.created_at,
        })
        .collect();
    group_signals.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.group.cmp(&b.group))
            .then(a.id.cmp(&b.id))
    });
    Ok(SchoolOverview {
        school: school.to_string(),
        name,
        groups: groups.into_values().collect(),
        pupils,
        escalations,
        signals: lines,
        group_signals,
    })
}

/// A pupil's history, if the user may see it (else [`ApiError::NotFound`]).
async fn visible_pupil(state: &AppState, user: &User, id: i64) -> Result<PupilHistory, ApiError> {
    if !user.role.sees_pupils() {
        return Err(ApiError::Forbidden);
    }
    for school in &user.schools {
        if let Some(h) = state.store.pupil_histories_for(school, &[id]).await?.pop() {
            return Ok(h);
        }
    }
    Err(ApiError::NotFound)
}

/// The most tasks the pupil page shows (the newest).
pub const PUPIL_TASKS_SHOWN: i64 = 100;

/// The pupil page's data; the view is audited.
pub async fn pupil_detail(state: &AppState, user: &User, id: i64) -> Result<PupilDetail, ApiError> {
    let h = visible_pupil(state, user, id).await?;
    let pupil = &h.pupil.pupil;
    let today = today_amsterdam();
    let group = current_group(&h, today);
    let rows = state
        .store
        .signals(&SignalFilter {
            school: Some(pupil.school.clone()),
            pupil_id: Some(id),
            ..SignalFilter::default()
        })
        .await?;
    let mut signals = Vec::with_capacity(rows.len());
    for row in rows {
        let events = state.store.signal_events(row.id).await?;
        signals.push(SignalView {
            signal: SignalJson::new(row.id, &row.signal, id, pupil, Some(&group)),
            snoozed_until: row.signal.snoozed_until,
            dismissed_reason: row.signal.dismissed_reason.clone(),
            events,
        });
    }
    // This pupil's tasks only, and at most a page of them (the newest).
    let tasks = state
        .store
        .outbox(&OutboxFilter {
            school: Some(pupil.school.clone()),
            pupil_id: Some(id),
            limit: Some(PUPIL_TASKS_SHOWN),
            ..OutboxFilter::default()
        })
        .await?
        .into_iter()
        .map(|o| TaskView {
            id: o.id,
            title: o.task.title,
            target: o.task.target.to_string(),
            due_on: o.task.due_on,
            status: o.status,
            attempts: o.attempts,
        })
        .collect();
    let notes = pupil_notes(state, &h, today).await?;
    state
        .store
        .audit(
            &user.username,
            "pupil.view",
            Some(&pupil.school),
            &format!("pupil:{id}"),
        )
        .await?;
    if !notes.is_empty() {
        // Who read a pupil's notes is on record of its own (the subject names the pupil only).
        state
            .store
            .audit(
                &user.username,
                "pupil.notes.view",
                Some(&pupil.school),
                &format!("pupil:{id}"),
            )
            .await?;
    }
    Ok(PupilDetail {
        id,
        school: pupil.school.to_string(),
        name: pupil.full_name(),
        group,
        series: series(&h, &state.mapping),
        signals,
        tasks,
        notes,
    })
}

/// The pupil's notes of the last [`PUPIL_NOTES_WEEKS`] weeks and the notes of his groups written
/// while he was in them, newest first. Read for the pupil's own school only.
async fn pupil_notes(
    state: &AppState,
    h: &PupilHistory,
    today: NaiveDate,
) -> Result<Vec<NoteView>, ApiError> {
    use chrono_tz::Europe::Amsterdam;
    let school = &h.pupil.pupil.school;
    let mut groups: Vec<String> = h
        .memberships
        .iter()
        .map(|m| m.group_external_id.clone())
        .collect();
    groups.sort();
    groups.dedup();
    let from = today - chrono::Duration::weeks(PUPIL_NOTES_WEEKS);
    let since = from
        .and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(Amsterdam)
        .earliest()
        .map_or_else(|| from.and_time(chrono::NaiveTime::MIN).and_utc(), |t| t.to_utc());
    let rows = state
        .store
        .pupil_notes(school, h.pupil.id, &groups, since)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|n| {
            let day = n.note.created_at.with_timezone(&Amsterdam).date_naive();
            let in_group = |g: &String| {
                h.memberships
                    .iter()
                    .any(|m| &m.group_external_id == g && m.from <= day && m.to.is_none_or(|t| day <= t))
            };
            let group_note = n.pupil_id.is_none();
            if group_note && !n.note.group_external_id.as_ref().is_some_and(in_group) {
                return None;
            }
            Some(NoteView {
                id: n.id,
                written_on: day,
                category: n.note.category_label(),
                group_note,
                text: n.note.content,
            })
        })
        .collect())
}

/// A signal the user may see and work (else [`ApiError::NotFound`]).
pub async fn visible_signal(state: &AppState, user: &User, id: i64) -> Result<SignalRow, ApiError> {
    if !user.role.sees_pupils() {
        return Err(ApiError::Forbidden);
    }
    let row = state.store.signal(id).await?;
    if !user.may_see_pupils_of(&row.signal.school) {
        return Err(ApiError::NotFound);
    }
    Ok(row)
}

/// A lifecycle action on a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalAction {
    /// Gezien: open → acknowledged.
    Acknowledge,
    /// Uitstellen tot een datum.
    Snooze,
    /// Terzijde leggen, met reden.
    Dismiss,
    /// Afhandelen.
    Resolve,
}

impl SignalAction {
    /// Parses the path segment.
    pub fn parse(input: &str) -> Option<Self> {
        match input {
            "acknowledge" => Some(Self::Acknowledge),
            "snooze" => Some(Self::Snooze),
            "dismiss" => Some(Self::Dismiss),
            "resolve" => Some(Self::Resolve),
            _ => None,
        }
    }
}

/// Longest reason (for dismissing or resolving a signal) accepted, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// A trimmed, non-empty reason of at most [`MAX_REASON_CHARS`] characters (`None` when absent).
fn checked_reason(reason: Option<&str>) -> Result<Option<&str>, ApiError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
        return Err(ApiError::BadRequest(format!(
            "de reden is te lang (hoogstens {MAX_REASON_CHARS} tekens)"
        )));
    }
    Ok(reason)
}

/// Applies an action (the store writes the timeline event and the audit row).
pub async fn apply_action(
    state: &AppState,
    user: &User,
    id: i64,
    action: SignalAction,
    until: Option<NaiveDate>,
    reason: Option<&str>,
) -> Result<SignalRow, ApiError> {
    visible_signal(state, user, id).await?;
    let actor = user.username.as_str();
    let store = &state.store;
    let row = match action {
        SignalAction::Acknowledge => {
            store
                .set_signal_status(id, SignalStatus::Acknowledged, None, None, actor)
                .await?
        }
        SignalAction::Resolve => {
            let reason = checked_reason(reason)?;
            store
                .set_signal_status(id, SignalStatus::Resolved, reason, None, actor)
                .await?
        }
        SignalAction::Dismiss => {
            let reason = checked_reason(reason)?;
            let Some(reason) = reason else {
                return Err(ApiError::BadRequest(
                    "geef een reden op om terzijde te leggen".into(),
                ));
            };
            store
                .set_signal_status(id, SignalStatus::Dismissed, Some(reason), None, actor)
                .await?
        }
        SignalAction::Snooze => {
            let today = today_amsterdam();
            let Some(until) = until.filter(|d| *d > today) else {
                return Err(ApiError::BadRequest("kies een datum in de toekomst".into()));
            };
            let max_days = i64::try_from(state.settings.snooze_max.as_secs() / 86_400).unwrap_or(i64::MAX);
            let latest = today
                .checked_add_signed(chrono::TimeDelta::days(max_days))
                .unwrap_or(NaiveDate::MAX);
            if until > latest {
                return Err(ApiError::BadRequest(format!(
                    "uitstellen kan tot uiterlijk {}",
                    latest.format("%d-%m-%Y")
                )));
            }
            store.snooze_signal(id, Some(until), actor).await?
        }
    };
    Ok(row)
}
