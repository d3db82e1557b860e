//! `zorgsignaal user add|passwd|remove|token [list|revoke]`: the dashboard's accounts. Passwords are
//! read from standard input (one line), never from arguments, so they stay out of shell history.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::{Context, bail};
use secrecy::SecretString;

use crate::api::auth::{hash_password, random_token, token_hash};
use crate::app::open_store;
use crate::domain::Brin;
use crate::settings::Settings;
use crate::store::{NewUser, Role, StoreError};

/// Minimum password length accepted by `user add` and `user passwd`.
pub const MIN_PASSWORD_LEN: usize = 12;

fn read_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.chars().count() < MIN_PASSWORD_LEN {
        bail!("password too short: at least {MIN_PASSWORD_LEN} characters");
    }
    Ok(SecretString::from(password))
}

fn hash(password: &SecretString) -> anyhow::Result<String> {
    hash_password(password).map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// `user add NAME --role ROLE [--school BRIN]…`: password from standard input.
pub async fn add(
    settings: &Settings,
    username: &str,
    role: Role,
    schools: &[Brin],
) -> anyhow::Result<ExitCode> {
    if role.sees_pupils() && schools.is_empty() {
        bail!("role {role} needs at least one --school");
    }
    if !role.sees_pupils() && !schools.is_empty() {
        bail!("role {role} is not tied to schools; leave out --school");
    }
    for s in schools {
        if !settings.schools.iter().any(|c| c.brin == *s) {
            bail!("school {s} is not in the configuration");
        }
    }
    let password = read_password()?;
    let store = open_store(settings).await.context("opening the store")?;
    let created = store
        .create_user(&NewUser {
            username: username.to_string(),
            role,
            schools: schools.to_vec(),
            password_hash: hash(&password)?,
        })
        .await;
    store.close().await;
    match created {
        Ok(_) => {
            println!("user {username} added ({role})");
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Conflict(_)) => bail!("user {username} exists already"),
        Err(e) => Err(e.into()),
    }
}

/// `user passwd NAME`: new password from standard input; ends the user's sessions and revokes
/// his API tokens.
pub async fn passwd(settings: &Settings, username: &str) -> anyhow::Result<ExitCode> {
    let password = read_password()?;
    let store = open_store(settings).await.context("opening the store")?;
    let done = store.set_password(username, &hash(&password)?).await;
    store.close().await;
    match done {
        Ok(()) => {
            println!("password of {username} changed; sessions ended, API tokens revoked");
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::NotFound) => bail!("no user {username}"),
        Err(e) => Err(e.into()),
    }
}

/// `user remove NAME`: removes the user with his sessions and tokens.
pub async fn remove(settings: &Settings, username: &str) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let done = store.remove_user(username).await;
    store.close().await;
    match done {
        Ok(()) => {
            println!("user {username} removed");
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::NotFound) => bail!("no user {username}"),
        Err(e) => Err(e.into()),
    }
}

/// `user token NAME --label LABEL [--ttl DURATION]`: prints a new bearer token for the JSON API
/// (shown once), valid for `ttl` (default `api.token_ttl`).
pub async fn token(
    settings: &Settings,
    username: &str,
    label: &str,
    ttl: Option<std::time::Duration>,
) -> anyhow::Result<ExitCode> {
    let ttl = ttl.unwrap_or(settings.api.token_ttl);
    if ttl.is_zero() {
        bail!("--ttl must be longer than zero");
    }
    let ttl = chrono::TimeDelta::from_std(ttl).context("--ttl is too long")?;
    let expires_at = chrono::Utc::now()
        .checked_add_signed(ttl)
        .context("--ttl is too long")?;
    let store = open_store(settings).await.context("opening the store")?;
    let token = random_token();
    let done = store
        .create_api_token(username, &token_hash(&token), label, expires_at)
        .await;
    store.close().await;
    match done {
        Ok(id) => {
            println!("{token}");
            eprintln!(
                "token {id} for {username}, valid until {} (UTC)",
                expires_at.format("%Y-%m-%d %H:%M")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::NotFound) => bail!("no user {username}"),
        Err(e) => Err(e.into()),
    }
}

/// `user token list [NAME]`: the API tokens (never their value), one per line.
pub async fn token_list(settings: &Settings, username: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let tokens = store.api_tokens(username).await;
    store.close().await;
    let tokens = tokens?;
    println!("id\tuser\tlabel\tcreated (UTC)\texpires (UTC)");
    let now = chrono::Utc::now();
    for t in tokens {
        println!(
            "{}\t{}\t{}\t{}\t{}{}",
            t.id,
            t.username,
            t.label,
            t.created_at.format("%Y-%m-%d %H:%M"),
            t.expires_at.format("%Y-%m-%d %H:%M"),
            if t.expires_at <= now { " (expired)" } else { "" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `user token revoke ID`: the token stops working at once.
pub async fn token_revoke(settings: &Settings, id: i64) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let done = store.revoke_api_token(id).await;
    store.close().await;
    match done {
        Ok(()) => {
            println!("token {id} revoked");
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::NotFound) => bail!("no token {id}"),
        Err(e) => Err(e.into()),
    }
}
