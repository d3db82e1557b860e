//! What the board and the operator see: aggregates per school and sync/outbox state, never a
//! pupil's data.

use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use crate::domain::Severity;
use crate::store::{
    OutboxFilter, OutboxItem, OutboxStatus, Role, SignalFilter, SignalRow, StreamStatus, User,
};

/// Aggregates of one school for the board (no pupil data).
#[derive(Debug, Clone, Serialize)]
pub struct BoardSchool {
    /// BRIN.
    pub school: String,
    /// Name.
    pub name: String,
    /// Active signals by severity.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// Distinct pupils with an active signal.
    pub pupils_with_signals: usize,
}

/// Board aggregates per school (`board` and `directie` only sees its own; `board` all).
pub async fn board(state: &AppState, user: &User) -> Result<Vec<BoardSchool>, ApiError> {
    if !matches!(user.role, Role::Board | Role::Directie) {
        return Err(ApiError::Forbidden);
    }
    let active = state.store.signals(&SignalFilter::default()).await?;
    let mut out = Vec::new();
    for school in state.store.schools().await? {
        if user.role == Role::Directie && !user.schools.contains(&school.brin) {
            continue;
        }
        let mine: Vec<&SignalRow> = active
            .iter()
            .filter(|s| s.signal.school == school.brin && s.signal.status.is_active())
            .collect();
        let count = |sev| mine.iter().filter(|s| s.signal.severity == sev).count();
        let mut pupils: Vec<i64> = mine.iter().map(|s| s.pupil_id).collect();
        pupils.sort_unstable();
        pupils.dedup();
        out.push(BoardSchool {
            school: school.brin.to_string(),
            name: school.name,
            high: count(Severity::High),
            medium: count(Severity::Medium),
            low: count(Severity::Low),
            pupils_with_signals: pupils.len(),
        });
    }
    Ok(out)
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
