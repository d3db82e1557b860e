//! The start-up `serve` and `run` share: the metrics recorder, the API listener on `api.listen`
//! and a shutdown token that SIGTERM/SIGINT cancel. The API's state is built by both through
//! [`crate::api::AppState::from_settings`].

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;

/// What a long-running command starts with.
#[derive(Debug)]
pub struct Startup {
    /// Bound to `api.listen`.
    pub listener: TcpListener,
    /// The installed Prometheus recorder, for `/metrics`.
    pub metrics: PrometheusHandle,
    /// Cancelled on SIGTERM or SIGINT.
    pub shutdown: CancellationToken,
}

/// Installs the metrics recorder, binds `api.listen` and cancels the returned token on
/// SIGTERM/SIGINT.
pub async fn start(settings: &Settings) -> anyhow::Result<Startup> {
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;
    let listener = TcpListener::bind(settings.api.listen)
        .await
        .with_context(|| format!("binding {}", settings.api.listen))?;
    tracing::info!(addr = %settings.api.listen, "API listening");
    let shutdown = CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    Ok(Startup {
        listener,
        metrics,
        shutdown,
    })
}

/// Waits for SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        () = term => {},
    }
}
