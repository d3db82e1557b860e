//! ParnasSys and Leeruniek REST routers: token endpoint, paged change-feed reads, task write-back
//! with `Idempotency-Key`, and task read-back.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};

use super::oauth::{self, system_name};
use super::{Shared, json_bytes, json_error, server_error_status};
use crate::faults::FaultKind;
use crate::feed::Cursor;
use crate::model::System;
use crate::state::StreamKind;
use crate::tasks::{LuTask, LuTaskRequest, PsTask, PsTaskRequest};

/// Default page size.
pub const DEFAULT_LIMIT: usize = 100;
/// Largest page size a client may ask for.
pub const MAX_LIMIT: usize = 1000;

type Sh = AxState<Arc<Shared>>;

/// The ParnasSys REST router.
pub fn parnassys(shared: Arc<Shared>) -> Router {
    let read = |kind: StreamKind| {
        move |s: Sh, Path(brin): Path<String>, Query(q): Query<HashMap<String, String>>, h: HeaderMap| async move {
            read_page(s.0, kind, brin, q, h).await
        }
    };
    Router::new()
        .route("/oauth/token", post(|s: Sh, h: HeaderMap, b: Bytes| async move { oauth::token(s.0, System::Parnassys, h, b).await }))
        .route("/api/v1/scholen/{brin}/resultaten", get(read(StreamKind::Results)))
        .route("/api/v1/scholen/{brin}/notities", get(read(StreamKind::Notes)))
        .route("/api/v1/scholen/{brin}/plannen", get(read(StreamKind::Plans)))
        .route(
            "/api/v1/scholen/{brin}/dyslexieverklaringen",
            get(read(StreamKind::DyslexiaStatements)),
        )
        .route("/api/v1/scholen/{brin}/verzuim", get(read(StreamKind::Absences)))
        .route(
            "/api/v1/scholen/{brin}/sociaal-emotioneel",
            get(read(StreamKind::SocialEmotional)),
        )
        .route(
            "/api/v1/scholen/{brin}/taken",
            get(read(StreamKind::PsTasks)).post(|s: Sh, p: Path<String>, h: HeaderMap, b: Bytes| async move {
                create_task(s.0, System::Parnassys, p.0, h, b).await
            }),
        )
        .with_state(shared)
}

/// The Leeruniek REST router.
pub fn leeruniek(shared: Arc<Shared>) -> Router {
    let read = |kind: StreamKind| {
        move |s: Sh, Path(brin): Path<String>, Query(q): Query<HashMap<String, String>>, h: HeaderMap| async move {
            read_page(s.0, kind, brin, q, h).await
        }
    };
    Router::new()
        .route("/oauth/token", post(|s: Sh, h: HeaderMap, b: Bytes| async move { oauth::token(s.0, System::Leeruniek, h, b).await }))
        .route("/api/v1/schools/{brin}/group-plans", get(read(StreamKind::LuGroupPlans)))
        .route("/api/v1/schools/{brin}/notes", get(read(StreamKind::LuNotes)))
        .route("/api/v1/schools/{brin}/note-categories", get(read(StreamKind::LuNoteCategories)))
        .route(
            "/api/v1/schools/{brin}/tasks",
            get(read(StreamKind::LuTasks)).post(|s: Sh, p: Path<String>, h: HeaderMap, b: Bytes| async move {
                create_task(s.0, System::Leeruniek, p.0, h, b).await
            }),
        )
        .with_state(shared)
}

async fn read_page(
    shared: Arc<Shared>,
    kind: StreamKind,
    brin: String,
    q: HashMap<String, String>,
    h: HeaderMap,
) -> Response {
    let label = format!("{}.{}", system_name(kind.system()), kind.name());
    let applicable = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::Truncate,
        FaultKind::Duplicate,
        FaultKind::RevokeToken,
    ];
    let fault = match shared.pre(&label, &applicable).await {
        Err(r) => return r,
        Ok(f) => f,
    };
    let token = match oauth::authorize(&shared, &h, kind.system(), &brin, kind.read_scope()) {
        Err(r) => return r,
        Ok(t) => t,
    };
    match fault {
        Some((FaultKind::ServerError, w)) => {
            return json_error(server_error_status(w), "server_error", "Tijdelijke storing.");
        }
        Some((FaultKind::RevokeToken, _)) => return oauth::revoke(&shared, &token),
        _ => {}
    }
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => return json_error(StatusCode::BAD_REQUEST, "invalid_limit", "limit must be 1..1000."),
    };
    let cursor = match (q.get("cursor"), q.get("since")) {
        (Some(_), Some(_)) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Use cursor or since, not both.",
            );
        }
        (Some(c), None) | (None, Some(c)) => match Cursor::decode(c, kind.name()) {
            Ok(c) => Some(c),
            Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid_cursor", &e.to_string()),
        },
        (None, None) => None,
    };
    let duplicate = matches!(fault, Some((FaultKind::Duplicate, _)));
    // A lazily served school out of memory answers a `since` with nothing new without being
    // generated (a no-change incremental sync of a large board).
    let quiet = shared.read().quiet_page(&brin, kind, cursor);
    let _pin = match quiet {
        Some(_) => None,
        None => Some(shared.pin(&brin).await),
    };
    let Some(mut body) = quiet.or_else(|| shared.read().page_json(&brin, kind, cursor, limit, duplicate))
    else {
        return json_error(StatusCode::NOT_FOUND, "unknown_school", "Unknown school.");
    };
    if matches!(fault, Some((FaultKind::Truncate, _))) {
        body.truncate(body.len() / 2);
    }
    json_bytes(StatusCode::OK, body)
}

async fn create_task(
    shared: Arc<Shared>,
    system: System,
    brin: String,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    let (label, scope) = match system {
        System::Parnassys => ("parnassys.taken.post", "taken.write"),
        System::Leeruniek => ("leeruniek.tasks.post", "tasks.write"),
    };
    let applicable = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::RevokeToken,
    ];
    let fault = match shared.pre(label, &applicable).await {
        Err(r) => return r,
        Ok(f) => f,
    };
    let token = match oauth::authorize(&shared, &h, system, &brin, scope) {
        Err(r) => return r,
        Ok(t) => t,
    };
    // Half of the injected server errors happen after the task was stored (the response is lost),
    // so clients must retry with the same key.
    let mut lost_response = None;
    match fault {
        Some((FaultKind::RevokeToken, _)) => return oauth::revoke(&shared, &token),
        Some((FaultKind::ServerError, w)) if (w >> 8) % 2 == 0 => {
            return json_error(server_error_status(w), "server_error", "Tijdelijke storing.");
        }
        Some((FaultKind::ServerError, w)) => lost_response = Some(server_error_status(w)),
        _ => {}
    }
    let Some(key) = h
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "missing_idempotency_key",
            "Idempotency-Key header is required.",
        );
    };
    let key = key.to_string();
    let (pupil, kind_ok, canonical) = match system {
        System::Parnassys => match serde_json::from_slice::<PsTaskRequest>(&body) {
            Ok(r) => (
                r.leerling_id.clone(),
                matches!(r.soort.as_str(), "taak" | "herinnering"),
                serde_json::to_string(&r),
            ),
            Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid_body", &e.to_string()),
        },
        System::Leeruniek => match serde_json::from_slice::<LuTaskRequest>(&body) {
            Ok(r) => (
                r.pupil_id.clone(),
                matches!(r.kind.as_str(), "task" | "reminder"),
                serde_json::to_string(&r),
            ),
            Err(e) => return json_error(StatusCode::BAD_REQUEST, "invalid_body", &e.to_string()),
        },
    };
    let canonical = canonical.unwrap_or_default();
    if !kind_ok {
        return json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_kind",
            "Unknown task kind.",
        );
    }
    let pin = shared.pin(&brin).await;
    let stored = store_task(&shared, system, label, &brin, &pupil, key, canonical);
    drop(pin);
    let out = match stored {
        Ok(out) => out,
        Err(answer) => return *answer,
    };
    let delay = *shared.task_delay.read().unwrap_or_else(PoisonError::into_inner);
    if !delay.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shared.cancel.cancelled() => {}
        }
    }
    match lost_response {
        Some(status) => json_error(status, "server_error", "Tijdelijke storing."),
        None => json_bytes(StatusCode::CREATED, out),
    }
}

/// Stores a new task under its idempotency key and returns its JSON; `Err` is the answer to give
/// at once instead (an error, or the task a known key already created: a replay).
fn store_task(
    shared: &Shared,
    system: System,
    label: &str,
    brin: &str,
    pupil: &str,
    key: String,
    canonical: String,
) -> Result<Vec<u8>, Box<Response>> {
    let mut st = shared.write();
    let seq = st.seq + 1;
    let Ok(school) = st.school_mut(brin) else {
        return Err(Box::new(json_error(
            StatusCode::NOT_FOUND,
            "unknown_school",
            "Unknown school.",
        )));
    };
    if let Some((id, previous)) = school.idempotency.get(&(system, key.clone())) {
        if *previous != canonical {
            return Err(Box::new(json_error(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "Key was used with another body.",
            )));
        }
        let body = match system {
            System::Parnassys => school.ps_tasks.get(*id).and_then(|t| serde_json::to_vec(t).ok()),
            System::Leeruniek => school.lu_tasks.get(*id).and_then(|t| serde_json::to_vec(t).ok()),
        };
        *shared.counters().entry(format!("{label}.replayed")).or_insert(0) += 1;
        return Err(Box::new(json_bytes(StatusCode::OK, body.unwrap_or_default())));
    }
    let known = pupil
        .parse::<u64>()
        .ok()
        .is_some_and(|p| school.leerlingen.iter().any(|l| l.id == p));
    if !known {
        return Err(Box::new(json_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_pupil",
            "Unknown pupil for this school.",
        )));
    }
    let out = match system {
        System::Parnassys => {
            let Ok(r) = serde_json::from_str::<PsTaskRequest>(&canonical) else {
                return Err(Box::new(json_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_body",
                    "Body could not be read.",
                )));
            };
            let task = PsTask {
                id: seq,
                leerling_id: r.leerling_id,
                titel: r.titel,
                omschrijving: r.omschrijving,
                soort: r.soort,
                vervaldatum: r.vervaldatum,
                status: "open".into(),
                idempotency_key: key.clone(),
            };
            let out = serde_json::to_vec(&task).unwrap_or_default();
            school.ps_tasks.upsert(task, seq);
            out
        }
        System::Leeruniek => {
            let Ok(r) = serde_json::from_str::<LuTaskRequest>(&canonical) else {
                return Err(Box::new(json_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_body",
                    "Body could not be read.",
                )));
            };
            let task = LuTask {
                id: seq,
                pupil_id: r.pupil_id,
                title: r.title,
                description: r.description,
                kind: r.kind,
                due_date: r.due_date,
                status: "open".into(),
                idempotency_key: key.clone(),
            };
            let out = serde_json::to_vec(&task).unwrap_or_default();
            school.lu_tasks.upsert(task, seq);
            out
        }
    };
    school.idempotency.insert((system, key), (seq, canonical));
    st.seq = seq;
    Ok(out)
}
