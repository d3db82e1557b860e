//! Wiring: opens the store the settings name, registers the configured schools, and runs the
//! I/O-edge pipelines (evaluation) that connect store and pure rules. Commands call into here.

pub mod commands;
pub mod demo;
pub mod evaluate;
pub mod publisher;
pub mod retention;
pub mod run;
pub mod simulate;
pub mod startup;

use std::sync::Arc;

use crate::settings::Settings;
use crate::store::{self, Store, StoreError};

/// Opens the store from `settings.store.url`, brings the schema up to date and registers every
/// configured school (so a school exists before its first sync).
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, StoreError> {
    let store = store::open(settings.store.url.expose()).await?;
    store.migrate().await?;
    for school in &settings.schools {
        store.upsert_school(&school.school()).await?;
    }
    Ok(store)
}

pub use crate::schedule::today_amsterdam;

/// A multi-threaded tokio runtime for the async commands.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()
}
