//! `zorgsignaal migrate`: creates or upgrades the database.

use std::process::ExitCode;

use anyhow::Context;

use crate::app::open_store;
use crate::settings::Settings;

/// `zorgsignaal migrate`: creates or upgrades the database; a second run is a no-op.
pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("migrating the store")?;
    store.close().await;
    println!("database bijgewerkt: {}", settings.store.url);
    Ok(ExitCode::SUCCESS)
}
