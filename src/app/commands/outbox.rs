//! `zorgsignaal outbox`: the operator's view of the outbox (no pupil names), and re-queueing.

use std::process::ExitCode;

use anyhow::Context;

use crate::app::open_store;
use crate::settings::Settings;
use crate::store::{OutboxFilter, OutboxStatus};

/// `zorgsignaal outbox`: lists outbox rows (operator view: no pupil names), or re-queues a parked one.
pub async fn outbox(
    settings: &Settings,
    status: Option<OutboxStatus>,
    retry: Option<i64>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    if let Some(id) = retry {
        store
            .retry_outbox(id)
            .await
            .with_context(|| format!("re-queueing outbox row {id}"))?;
        println!("outbox-regel {id} staat weer in de wachtrij");
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let rows = store
        .outbox(&OutboxFilter {
            status,
            ..OutboxFilter::default()
        })
        .await?;
    store.close().await;
    if json {
        let out: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.id, "status": r.status.as_str(), "school": r.task.school.as_str(),
                    "key": r.task.key, "pupil_external_id": r.task.pupil_external_id,
                    "target": r.task.target.as_str(), "kind": r.task.kind.as_str(), "title": r.task.title,
                    "attempts": r.attempts, "next_attempt_at": r.next_attempt_at, "last_error": r.last_error,
                    "remote_id": r.remote_id, "lease_holder": r.lease_holder, "lease_until": r.lease_until,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("De outbox is leeg.");
    }
    for r in &rows {
        // Which daemon instance holds an in-flight row, and until when (its lease).
        let lease = match (r.status, &r.lease_holder, r.lease_until) {
            (OutboxStatus::InFlight, Some(holder), Some(until)) => format!(
                " [bij {holder} tot {}]",
                until
                    .with_timezone(&chrono_tz::Europe::Amsterdam)
                    .format("%d-%m-%Y %H:%M")
            ),
            _ => String::new(),
        };
        println!(
            "#{:<5} {:<9} {} → {:<9} pogingen {:<2} {}{}{lease}",
            r.id,
            r.status.as_str(),
            r.task.school,
            r.task.target.as_str(),
            r.attempts,
            r.task.title,
            r.last_error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
