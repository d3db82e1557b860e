//! `zorgsignaal run`: the daemon ([`crate::app::run`]) on `api.listen` until SIGTERM/SIGINT.

use std::process::ExitCode;

use anyhow::Context;

use crate::app::startup::{Startup, start};
use crate::settings::Settings;

/// `zorgsignaal run`: the daemon on the configured API address until SIGTERM/SIGINT.
pub async fn run_daemon(settings: &Settings) -> anyhow::Result<ExitCode> {
    // One daemon per SQLite file, held until the process ends (several daemons need PostgreSQL).
    let _daemon_lock =
        crate::store::lock_daemon(settings.store.url.expose()).context("starting the daemon")?;
    let Startup {
        listener,
        metrics,
        shutdown,
    } = start(settings).await?;
    crate::app::run::run(settings.clone(), listener, Some(metrics), shutdown).await?;
    Ok(ExitCode::SUCCESS)
}
