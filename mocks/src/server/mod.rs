//! HTTP side: the shared state behind three axum servers (SOAP: GKV and UWLR; ParnasSys REST;
//! Leeruniek REST),
//! request counting and fault injection common to all endpoints.

pub mod gkv;
pub mod oauth;
pub mod rest;
pub mod uwlr;

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use crate::faults::{self, FaultConfig, FaultKind};
use crate::state::{Lookup, Pin, State};

/// State shared by all handlers of one board.
#[derive(Debug)]
pub struct Shared {
    /// Served data.
    pub state: RwLock<State>,
    /// Requests per endpoint label.
    pub counters: Mutex<BTreeMap<String, u64>>,
    /// Fault settings.
    pub faults: RwLock<FaultConfig>,
    /// Seed for fault decisions and token values.
    pub seed: u64,
    /// Lifetime of newly issued tokens.
    pub token_lifetime: RwLock<Duration>,
    /// How long the answer to a newly created task is held back after the task was stored (a
    /// slow write endpoint; zero: none).
    pub task_delay: RwLock<Duration>,
    /// Cancelled on shutdown (ends slow responses early).
    pub cancel: CancellationToken,
}

impl Shared {
    /// Read access to the state.
    pub fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Write access to the state.
    pub fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// On a lazily served board, brings school `brin` into memory (generating it when it is
    /// not) and keeps it there while the returned pin lives; elsewhere, and for an unknown
    /// school, a no-op. Generation runs on a blocking thread.
    pub async fn pin(self: &std::sync::Arc<Self>, brin: &str) -> Pin {
        match self.read().lookup(brin) {
            Lookup::Nothing => return Pin::default(),
            Lookup::Present(p) => return p,
            Lookup::Absent { .. } => {}
        }
        let shared = self.clone();
        let brin = brin.to_owned();
        tokio::task::spawn_blocking(move || shared.pin_blocking(&brin))
            .await
            .unwrap_or_default()
    }

    /// [`Shared::pin`] on the calling thread (for `MockBoard`'s synchronous methods).
    pub fn pin_blocking(&self, brin: &str) -> Pin {
        let (generator, idx, building) = match self.read().lookup(brin) {
            Lookup::Nothing => return Pin::default(),
            Lookup::Present(p) => return p,
            Lookup::Absent {
                generator,
                idx,
                building,
            } => (generator, idx, building),
        };
        let _building = building.lock().unwrap_or_else(PoisonError::into_inner);
        // Another request may have generated it while this one waited.
        if let Lookup::Present(p) = self.read().lookup(brin) {
            return p;
        }
        let started = std::time::Instant::now();
        let (school, _) = generator.school(idx);
        let took = started.elapsed();
        tracing::debug!(brin, ms = took.as_millis() as u64, "lazy board: school generated");
        self.write().install(school, took)
    }

    /// The request counters.
    pub fn counters(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        self.counters.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request on `label` and decides its fault.
    pub fn arrive(&self, label: &str, applicable: &[FaultKind]) -> Option<(FaultKind, u64)> {
        let n = {
            let mut c = self.counters();
            let n = c.entry(label.to_string()).or_insert(0);
            *n += 1;
            *n
        };
        let cfg = self.faults.read().unwrap_or_else(PoisonError::into_inner).clone();
        faults::decide(self.seed, label, n, &cfg, applicable)
    }

    /// Applies the generic faults (429, 5xx, slow); returns the remaining handler-specific one.
    pub async fn pre(
        &self,
        label: &str,
        applicable: &[FaultKind],
    ) -> Result<Option<(FaultKind, u64)>, Response> {
        let decided = self.arrive(label, applicable);
        match decided {
            Some((FaultKind::RateLimit, _)) => {
                let secs = self
                    .faults
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .retry_after_secs;
                let mut r = json_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "Te veel verzoeken; probeer later opnieuw.",
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
                Err(r)
            }
            Some((FaultKind::Slow, _)) => {
                let d = self.faults.read().unwrap_or_else(PoisonError::into_inner).slow;
                tokio::select! {
                    _ = tokio::time::sleep(d) => Ok(None),
                    _ = self.cancel.cancelled() => Err(StatusCode::SERVICE_UNAVAILABLE.into_response()),
                }
            }
            other => Ok(other),
        }
    }
}

/// The status of an injected server error, from the fault's second draw.
pub fn server_error_status(draw: u64) -> StatusCode {
    [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::SERVICE_UNAVAILABLE,
    ][(draw % 3) as usize]
}

/// A JSON error body `{"error", "error_description"}` (the OAuth2 error shape, used everywhere).
pub fn json_error(status: StatusCode, code: &str, description: &str) -> Response {
    let body = serde_json::json!({ "error": code, "error_description": description });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A JSON response from already serialised bytes.
pub fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
