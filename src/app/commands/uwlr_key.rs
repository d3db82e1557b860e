//! Bodies of `zorgsignaal uwlr-key add|list|revoke`: the autorisatiesleutels a results sender puts
//! in the UWLR `autorisatie` header of `POST /uwlr/v2/leerresultaten`. A key is printed once and
//! stored only as its SHA-256, like an API token (`user token`).

use std::process::ExitCode;

use anyhow::{Context, bail};

use crate::api::auth::{random_token, token_hash};
use crate::app::open_store;
use crate::domain::Brin;
use crate::settings::Settings;
use crate::store::StoreError;

/// `uwlr-key add --school BRIN [--label LABEL]`: prints a new key (64 characters, the most the
/// `autorisatiesleutel` allows) on standard output, once.
pub async fn add(settings: &Settings, school: &Brin, label: &str) -> anyhow::Result<ExitCode> {
    if settings.school(school).is_none() {
        bail!("school {school} is not in the configuration");
    }
    let label = label.trim();
    if label.is_empty() {
        bail!("--label must not be empty");
    }
    let key = random_token();
    let store = open_store(settings).await.context("opening the store")?;
    let created = store.create_uwlr_key(school, &token_hash(&key), label).await;
    store.close().await;
    let id = created?;
    println!("{key}");
    eprintln!(
        "UWLR-sleutel {id} voor school {school} ({label}); geef hem de afzender als autorisatiesleutel, \
         hij wordt niet nog eens getoond"
    );
    Ok(ExitCode::SUCCESS)
}

/// `uwlr-key list [--school BRIN]`: the keys (never their value), one per line.
pub async fn list(settings: &Settings, school: Option<&Brin>) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let keys = store.uwlr_keys(school).await;
    store.close().await;
    println!("id\tschool\tlabel\tcreated (UTC)");
    for k in keys? {
        println!(
            "{}\t{}\t{}\t{}",
            k.id,
            k.school,
            k.label,
            k.created_at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `uwlr-key revoke ID`: the key stops working at once.
pub async fn revoke(settings: &Settings, id: i64) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let done = store.revoke_uwlr_key(id).await;
    store.close().await;
    match done {
        Ok(()) => {
            println!("UWLR key {id} revoked");
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::NotFound) => bail!("no UWLR key {id}"),
        Err(e) => Err(e.into()),
    }
}
