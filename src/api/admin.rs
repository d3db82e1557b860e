//! What the board and the operator see: aggregates per school and sync/outbox state, never a
//! pupil's data.

use serde::Serialize;

use super::AppState;
use super::error::ApiError;
use crate::store::{OutboxFilter, OutboxItem, OutboxStatus, Role, StreamStatus, User};

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
    // Counted by the store (one grouped query), never by loading every signal of the board.
    let counts = state.store.active_signal_counts().await?;
    let mut out = Vec::new();
    for school in state.store.schools().await? {
        if user.role == Role::Directie && !user.schools.contains(&school.brin) {
            continue;
        }
        let mine = counts.iter().find(|c| c.school == school.brin);
        let n = |f: fn(&crate::store::SchoolSignalCounts) -> i64| {
            mine.map_or(0, |c| usize::try_from(f(c)).unwrap_or(0))
        };
        out.push(BoardSchool {
            school: school.brin.to_string(),
            name: school.name,
            high: n(|c| c.high),
            medium: n(|c| c.medium),
            low: n(|c| c.low),
            pupils_with_signals: n(|c| c.pupils),
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
