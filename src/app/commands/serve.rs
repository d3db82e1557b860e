//! `zorgsignaal serve`: the dashboard and API alone (no scheduler, no sync), on `api.listen`
//! until SIGTERM/SIGINT. Starts as `run` does ([`crate::app::startup`]).

use std::process::ExitCode;

use anyhow::Context;

use crate::api::{AppState, serve};
use crate::app::open_store;
use crate::app::startup::{Startup, start};
use crate::settings::Settings;

/// `serve`: the dashboard and API on `api.listen` until Ctrl-C / SIGTERM.
pub async fn serve_command(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let Startup {
        listener,
        metrics,
        shutdown,
    } = start(settings).await?;
    let state = AppState::from_settings(store.clone(), settings, Some(metrics));
    serve(listener, state, shutdown).await.context("serving")?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
