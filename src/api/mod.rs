//! The HTTP API and the IB dashboard: Dutch server-rendered pages and the JSON API under
//! `/api/v1`, both behind the same login, roles and per-school authorisation; and the UWLR
//! `LeerresultatenService` ([`uwlr`]), authorised per school by its own keys.

pub mod admin;
pub mod auth;
pub mod chart;
pub mod error;
pub mod html;
pub mod json;
pub mod pages;
pub mod state;
pub mod uwlr;
pub mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use state::{AppState, BoardPageSettings};

/// Every route of the dashboard and the JSON API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route(html::STYLESHEET_PATH, get(stylesheet))
        .route("/login", get(auth::login_page).post(auth::login_submit))
        .route("/logout", post(auth::logout))
        .route("/scholen/{brin}", get(pages::school_page))
        .route("/leerlingen/{id}", get(pages::pupil_page))
        .route("/signalen/{id}/{action}", post(pages::signal_action))
        .route("/beheer", get(pages::operator_page))
        .route("/bestuur", get(pages::board_page))
        .route("/healthz", get(json::healthz))
        .route("/readyz", get(json::readyz))
        .route("/metrics", get(json::metrics))
        .route("/api/v1/openapi.json", get(json::openapi))
        .route("/api/v1/me", get(json::me))
        .route("/api/v1/schools/{brin}/overview", get(json::school_overview))
        .route("/api/v1/pupils/{id}", get(json::pupil))
        .route("/api/v1/signals/{id}", get(json::signal))
        .route("/api/v1/signals/{id}/{action}", post(json::signal_action))
        .route("/api/v1/sync", get(json::sync_status))
        .route("/api/v1/outbox", get(json::outbox))
        .route("/api/v1/board", get(json::board))
        .route(uwlr::PATH, post(uwlr::leerresultaten))
        .route_layer(axum::middleware::from_fn(record_metrics))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The Content-Security-Policy of every response: nothing inline, nothing from elsewhere, no
/// framing. Pages load only the stylesheet of [`html::STYLESHEET_PATH`]; the chart is inline SVG
/// markup with presentation attributes (no `style`, no script).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// `GET /static/zorgsignaal.css`: the dashboard's stylesheet (cacheable: it holds no data).
async fn stylesheet() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        html::STYLE,
    )
}

/// Sets the security headers on every response: CSP, `X-Frame-Options: DENY`,
/// `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and `Cache-Control:
/// no-store` unless the handler chose a policy itself (only the stylesheet does): pages and JSON
/// with pupil data never land in a browser or proxy cache.
async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Counts requests and their duration per route pattern and status class
/// (`zorgsignaal_api_requests_total`, `zorgsignaal_api_request_duration_seconds`); ids never become labels.
async fn record_metrics(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = format!("{}xx", res.status().as_u16() / 100);
    metrics::counter!("zorgsignaal_api_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("zorgsignaal_api_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    res
}

/// Serves the router on `listener` until `shutdown` is cancelled (open requests finish).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
