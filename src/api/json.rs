//! The JSON API under `/api/v1` (same data and authorisation as the pages, described in
//! `openapi.json`), plus `/healthz`, `/readyz` and the operator-only `/metrics`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::admin;
use super::auth::{ApiUser, CSRF_HEADER};
use super::error::ApiError;
use super::views::{self, SignalAction};
use crate::rules::json::SignalJson;
use crate::store::Role;

/// The OpenAPI 3 description of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the store answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.schools().await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text (operator only).
pub async fn metrics(State(state): State<AppState>, ApiUser(v): ApiUser) -> Result<Response, ApiError> {
    if v.user.role != Role::Operator {
        return Err(ApiError::Forbidden);
    }
    let body = state.metrics.as_ref().map(|h| h.render()).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /api/v1/me`: who is logged in.
pub async fn me(ApiUser(v): ApiUser) -> Json<Value> {
    Json(json!({
        "username": v.user.username,
        "role": v.user.role,
        "schools": v.user.schools,
        "csrf_token": v.csrf(),
    }))
}

/// `GET /api/v1/schools/{brin}/overview`.
pub async fn school_overview(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
    Path(brin): Path<String>,
) -> Result<Json<views::SchoolOverview>, ApiError> {
    Ok(Json(views::school_overview(&state, &v.user, &brin).await?))
}

/// `GET /api/v1/pupils/{id}` (audited).
pub async fn pupil(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<views::PupilDetail>, ApiError> {
    Ok(Json(views::pupil_detail(&state, &v.user, id).await?))
}

/// `GET /api/v1/signals/{id}` (audited).
pub async fn signal(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
    Path(id): Path<i64>,
) -> Result<Json<views::SignalView>, ApiError> {
    let row = views::visible_signal(&state, &v.user, id).await?;
    let detail = views::pupil_detail(&state, &v.user, row.pupil_id).await?;
    detail
        .signals
        .into_iter()
        .find(|s| s.signal.id == id)
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// Body of `POST /api/v1/signals/{id}/{action}`.
#[derive(Debug, Default, Deserialize)]
pub struct ActionBody {
    /// Snooze until (for `snooze`).
    #[serde(default)]
    pub until: Option<NaiveDate>,
    /// Reason (required for `dismiss`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/signals/{id}/{action}`: needs `X-CSRF-Token` with a session cookie.
pub async fn signal_action(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
    Path((id, action)): Path<(i64, String)>,
    headers: HeaderMap,
    body: Option<Json<ActionBody>>,
) -> Result<Json<SignalJson>, ApiError> {
    v.check_csrf(headers.get(CSRF_HEADER).and_then(|h| h.to_str().ok()))?;
    let action = SignalAction::parse(&action).ok_or(ApiError::NotFound)?;
    let body = body.map(|Json(b)| b).unwrap_or_default();
    let row = views::apply_action(&state, &v.user, id, action, body.until, body.reason.as_deref()).await?;
    let detail = views::pupil_detail(&state, &v.user, row.pupil_id).await?;
    detail
        .signals
        .into_iter()
        .find(|s| s.signal.id == id)
        .map(|s| Json(s.signal))
        .ok_or(ApiError::NotFound)
}

/// `GET /api/v1/sync` (operator).
pub async fn sync_status(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(admin::sync_status(&state, &v.user).await?)))
}

/// `GET /api/v1/outbox` (operator, no pupil data).
pub async fn outbox(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
) -> Result<Json<Vec<admin::OutboxState>>, ApiError> {
    Ok(Json(admin::outbox(&state, &v.user).await?))
}

/// `GET /api/v1/board` (board and directie: aggregates only).
pub async fn board(
    State(state): State<AppState>,
    ApiUser(v): ApiUser,
) -> Result<Json<Vec<admin::BoardSchool>>, ApiError> {
    Ok(Json(admin::board(&state, &v.user).await?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_file_is_openapi_3_and_lists_the_routes() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).expect("valid JSON");
        assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
        let paths = doc["paths"].as_object().expect("paths");
        for p in [
            "/api/v1/me",
            "/api/v1/schools/{brin}/overview",
            "/api/v1/pupils/{id}",
            "/api/v1/signals/{id}",
            "/api/v1/signals/{id}/{action}",
            "/api/v1/sync",
            "/api/v1/outbox",
            "/api/v1/board",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
    }
}
