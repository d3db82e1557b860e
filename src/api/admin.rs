//! What the board and the operator see: aggregates per school and sync/outbox state, never a
//! pupil's data.

use chrono::NaiveDate;
use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use crate::domain::{SchoolYear, Severity};
use crate::report::Value;
use crate::report::aggregate::plan_spans;
use crate::report::suppress::{Mark, suppress};
use crate::rules::signal_without_plan::{asks_for_plan, plan_in_time, plan_term_end};
use crate::schedule::today_amsterdam;
use crate::store::{
    OutboxFilter, OutboxItem, OutboxStatus, Role, SignalFilter, SignalRow, StreamStatus, User,
};

/// One row of the board overview: one school, or the total of the schools shown (`school` is
/// `TOTAAL`, when more than one is shown). No pupil data; small counts are suppressed as in the board report
/// ([`crate::report::suppress`]): a count from 1 to the threshold minus one is `"<5"`, a count
/// hidden so that it cannot be recovered by subtraction is `"x"`, a share that would reveal one
/// is `null`.
#[derive(Debug, Clone, Serialize)]
pub struct BoardSchool {
    /// BRIN, or `TOTAAL`.
    pub school: String,
    /// Name.
    pub name: String,
    /// Active signals by severity.
    pub high: Value,
    /// Medium.
    pub medium: Value,
    /// Low.
    pub low: Value,
    /// Distinct pupils with an active signal.
    pub pupils_with_signals: Value,
    /// Learning signals of this school year that ask for a plan and whose term (6 weeks) is up.
    pub plan_term_passed: Value,
    /// Of those, with a covering plan running when the term was up ("plan binnen 6 weken", the
    /// definition of the board report and of `signal_without_plan`).
    pub plan_in_time: Value,
    /// That share in percent, when both counts are published.
    pub plan_in_time_pct: Value,
}

/// The columns of [`BoardSchool`] that are counts, in order.
const COUNTS: usize = 6;

/// Raw counts of one school: high, medium, low, pupils with a signal, term passed, in time.
async fn school_counts(
    state: &AppState,
    school: &crate::domain::Brin,
    active: &[&SignalRow],
    today: NaiveDate,
) -> Result<[u64; COUNTS], ApiError> {
    let count = |sev| active.iter().filter(|s| s.signal.severity == sev).count() as u64;
    let mut pupils: Vec<i64> = active.iter().map(|s| s.pupil_id).collect();
    pupils.sort_unstable();
    pupils.dedup();
    let year = SchoolYear::of_date(today);
    let weeks = state.board.plan_weeks(school);
    let plans = state.store.report_plans(school).await?;
    let (mut due, mut in_time) = (0, 0);
    for sig in state.store.report_signals(school).await? {
        let Some(domain) = sig.domain else { continue };
        if asks_for_plan(&sig.rule)
            && SchoolYear::of_date(sig.opened_on) == year
            && plan_term_end(sig.opened_on, weeks) <= today
        {
            due += 1;
            if plan_in_time(sig.opened_on, weeks, domain, plan_spans(&plans, sig.pupil_id)) {
                in_time += 1;
            }
        }
    }
    Ok([
        count(Severity::High),
        count(Severity::Medium),
        count(Severity::Low),
        pupils.len() as u64,
        due,
        in_time,
    ])
}

/// Board aggregates per school and their total (`board` sees every school, `directie` its own),
/// suppressed like the board report.
pub async fn board(state: &AppState, user: &User) -> Result<Vec<BoardSchool>, ApiError> {
    board_on(state, user, today_amsterdam()).await
}

/// [`board`] as known on `today` (the school year of `today`; its plan terms up to it).
pub async fn board_on(state: &AppState, user: &User, today: NaiveDate) -> Result<Vec<BoardSchool>, ApiError> {
    if !matches!(user.role, Role::Board | Role::Directie) {
        return Err(ApiError::Forbidden);
    }
    let active = state.store.signals(&SignalFilter::default()).await?;
    let mut rows: Vec<(String, String, [u64; COUNTS])> = Vec::new();
    for school in state.store.schools().await? {
        if user.role == Role::Directie && !user.schools.contains(&school.brin) {
            continue;
        }
        let mine: Vec<&SignalRow> = active
            .iter()
            .filter(|s| s.signal.school == school.brin && s.signal.status.is_active())
            .collect();
        let counts = school_counts(state, &school.brin, &mine, today).await?;
        rows.push((school.brin.to_string(), school.name, counts));
    }
    let mut total = [0u64; COUNTS];
    for (_, _, c) in &rows {
        for (t, v) in total.iter_mut().zip(c) {
            *t += v;
        }
    }
    if rows.len() > 1 {
        rows.push(("TOTAAL".into(), "Totaal".into(), total));
    }
    Ok(suppressed(&rows, state.board.threshold))
}

/// Applies the report's small-cell suppression to the overview. The public sum relations are the
/// columns: the schools add up to the total row (no row total is shown, and "in time" is a part
/// of "term passed" whose rest is not shown; its share only when both counts are).
fn suppressed(rows: &[(String, String, [u64; COUNTS])], threshold: u32) -> Vec<BoardSchool> {
    let at = |row: usize, col: usize| row * COUNTS + col;
    let values: Vec<u64> = rows.iter().flat_map(|(_, _, c)| c.iter().copied()).collect();
    let relations: Vec<Vec<usize>> = (0..COUNTS)
        .map(|col| (0..rows.len()).map(|row| at(row, col)).collect())
        .collect();
    let marks = suppress(&values, &relations, threshold);
    let value = |i: usize| match marks[i] {
        Mark::Shown => Value::Count(values[i]),
        Mark::Small => Value::Small(threshold),
        Mark::Hidden => Value::Hidden,
    };
    rows.iter()
        .enumerate()
        .map(|(row, (school, name, _))| {
            let (due, in_time) = (value(at(row, 4)), value(at(row, 5)));
            let pct = match (due, in_time) {
                (Value::Count(d), Value::Count(n)) if d > 0 => Value::Percent(n as f64 * 100.0 / d as f64),
                _ => Value::None,
            };
            BoardSchool {
                school: school.clone(),
                name: name.clone(),
                high: value(at(row, 0)),
                medium: value(at(row, 1)),
                low: value(at(row, 2)),
                pupils_with_signals: value(at(row, 3)),
                plan_term_passed: due,
                plan_in_time: in_time,
                plan_in_time_pct: pct,
            }
        })
        .collect()
}

/// An outbox row without pupil data, for the operator.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxState {
    /// Outbox id.
    pub id: i64,
    /// School.
    pub school: String,
    /// Target system.
    pub target: String,
    /// State.
    pub status: OutboxStatus,
    /// Attempts.
    pub attempts: i64,
    /// Last error (operator-facing).
    pub last_error: Option<String>,
}

impl From<OutboxItem> for OutboxState {
    fn from(o: OutboxItem) -> Self {
        Self {
            id: o.id,
            school: o.task.school.to_string(),
            target: o.task.target.to_string(),
            status: o.status,
            attempts: o.attempts,
            last_error: o.last_error,
        }
    }
}

/// Sync status per source, school and stream (operator only).
pub async fn sync_status(state: &AppState, user: &User) -> Result<Vec<StreamStatus>, ApiError> {
    if user.role != Role::Operator {
        return Err(ApiError::Forbidden);
    }
    Ok(state.store.stream_statuses().await?)
}

/// The outbox without pupil data (operator only).
pub async fn outbox(state: &AppState, user: &User) -> Result<Vec<OutboxState>, ApiError> {
    if user.role != Role::Operator {
        return Err(ApiError::Forbidden);
    }
    let rows = state.store.outbox(&OutboxFilter::default()).await?;
    Ok(rows.into_iter().map(OutboxState::from).collect())
}
