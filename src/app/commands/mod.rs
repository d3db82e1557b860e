//! The subcommands' bodies, all in this folder (`crate::cli` only declares and dispatches them):
//! `sync`/`status` in [`sync`], `user`/`serve` in [`user`], `report` in [`report`]; `migrate`,
//! `evaluate`, `signals`, `outbox` and `run` here. Output a school user reads is Dutch; `--json`
//! output is a contract (docs/RULES.md).

pub mod report;
pub mod sync;
pub mod user;
pub mod uwlr_key;

use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use super::evaluate::evaluate_schools;
use super::{open_store, today_amsterdam};
use crate::domain::{Brin, Pupil, SignalStatus};
use crate::rules::{SignalJson, text};
use crate::settings::Settings;
use crate::store::{OutboxFilter, OutboxStatus, SignalFilter, Store};

/// `zorgsignaal migrate`: creates or upgrades the database; a second run is a no-op.
pub async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("migrating the store")?;
    store.close().await;
    println!("database bijgewerkt: {}", settings.store.url);
    Ok(ExitCode::SUCCESS)
}

/// `zorgsignaal evaluate`: runs every rule for the configured schools as of a date and prints
/// the counts per rule.
pub async fn evaluate(
    settings: &Settings,
    as_of: Option<NaiveDate>,
    school: Option<&Brin>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let as_of = as_of.unwrap_or_else(today_amsterdam);
    let store = open_store(settings).await.context("opening the store")?;
    let summaries = evaluate_schools(store.as_ref(), settings, school, as_of).await?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
        return Ok(ExitCode::SUCCESS);
    }
    for line in evaluation_lines(&summaries, as_of) {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The Dutch lines `evaluate` prints: the date, per school the counts (singular and plural right)
/// and the findings per rule by their Dutch name.
pub fn evaluation_lines(
    summaries: &[super::evaluate::SchoolEvaluationSummary],
    as_of: NaiveDate,
) -> Vec<String> {
    let mut out = vec![format!("Evaluatie per {}", text::date(as_of))];
    for s in summaries {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        out.push(format!(
            "{}: {}, {}, {} bijgewerkt, {} ongewijzigd, {}",
            s.school,
            text::plural(n(s.pupils), "leerling", "leerlingen"),
            text::plural(n(s.signals_created), "nieuw signaal", "nieuwe signalen"),
            s.signals_updated,
            s.signals_unchanged,
            text::plural(n(s.tasks_created), "nieuwe taak", "nieuwe taken"),
        ));
        for (rule, count) in &s.findings_per_rule {
            out.push(format!("  {:<34} {count}", text::rule_label(rule)));
        }
        if s.unknown_tests > 0 {
            out.push(format!(
                "  ({} van toetsen zonder leerdomein genegeerd)",
                text::plural(n(s.unknown_tests), "resultaat", "resultaten")
            ));
        }
    }
    out
}

/// `zorgsignaal signals`: lists signals, as a Dutch table or as the JSON contract.
pub async fn signals(
    settings: &Settings,
    school: Option<&Brin>,
    all: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = open_store(settings).await.context("opening the store")?;
    let filter = SignalFilter {
        school: school.cloned(),
        status: (!all).then_some(SignalStatus::Open),
        ..SignalFilter::default()
    };
    let rows = store.signals(&filter).await?;
    let pupils = pupils_by_id(store.as_ref(), settings, school).await?;
    store.close().await;
    let today = today_amsterdam();
    let out: Vec<SignalJson> = rows
        .iter()
        .filter_map(|row| {
            let (pupil, group) = pupils.get(&row.pupil_id)?;
            let group = group.as_deref();
            Some(SignalJson::new(row.id, &row.signal, row.pupil_id, pupil, group))
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if out.is_empty() {
        println!("Geen signalen.");
    }
    for s in &out {
        let snoozed = rows
            .iter()
            .find(|r| r.id == s.id)
            .and_then(|r| r.signal.snoozed_until)
            .filter(|d| *d > today)
            .map(|d| format!(" (uitgesteld tot {})", text::date(d)))
            .unwrap_or_default();
        println!(
            "#{} {} {} ({}) [{} / {}]{}\n    {}",
            s.id,
            s.school,
            s.pupil.name,
            s.pupil.group.as_deref().unwrap_or("groep onbekend"),
            text::rule_label(&s.rule),
            s.severity.dutch(),
            snoozed,
            s.explanation
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Pupils of the schools in scope by store id, with the group they are in now ("groep 5").
async fn pupils_by_id(
    store: &dyn Store,
    settings: &Settings,
    school: Option<&Brin>,
) -> anyhow::Result<HashMap<i64, (Pupil, Option<String>)>> {
    let today = today_amsterdam();
    let mut out = HashMap::new();
    for s in settings
        .schools
        .iter()
        .filter(|s| school.is_none_or(|b| *b == s.brin))
    {
        for h in store.pupil_histories(&s.brin).await? {
            let group = h
                .memberships
                .iter()
                .filter(|m| m.from <= today)
                .max_by_key(|m| m.from)
                .map(|m| format!("groep {}", m.grade));
            out.insert(h.pupil.id, (h.pupil.pupil, group));
        }
    }
    Ok(out)
}

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

/// `zorgsignaal run`: the daemon on the configured API address until SIGTERM/SIGINT.
pub async fn run_daemon(settings: &Settings) -> anyhow::Result<ExitCode> {
    // One daemon per SQLite file, held until the process ends (several daemons need PostgreSQL).
    let _daemon_lock =
        crate::store::lock_daemon(settings.store.url.expose()).context("starting the daemon")?;
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;
    let listener = tokio::net::TcpListener::bind(settings.api.listen)
        .await
        .with_context(|| format!("binding {}", settings.api.listen))?;
    tracing::info!(addr = %settings.api.listen, "API listening");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        super::run::shutdown_signal().await;
        trigger.cancel();
    });
    super::run::run(settings.clone(), listener, Some(metrics), shutdown).await?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::evaluate::SchoolEvaluationSummary;

    /// Issue 16 item 14: what `evaluate` prints reads Dutch for every count, with a Dutch date
    /// and the rules by their Dutch name.
    #[test]
    fn evaluation_lines_are_dutch_for_every_count() {
        for n in [0, 1, 2, 17] {
            let s = SchoolEvaluationSummary {
                school: "11ZW".into(),
                pupils: n,
                findings_per_rule: [("dmt_three_lowest".to_owned(), n)].into_iter().collect(),
                signals_created: n,
                signals_updated: n,
                signals_unchanged: n,
                tasks_created: n,
                escalations_created: n,
                unknown_tests: n,
                ..SchoolEvaluationSummary::default()
            };
            let lines = evaluation_lines(&[s], NaiveDate::from_ymd_opt(2026, 3, 12).expect("date"));
            assert_eq!(lines[0], "Evaluatie per 12-03-2026");
            for l in &lines {
                assert_eq!(text::dutch_text_problems(l), Vec::<String>::new(), "{l}");
                assert!(!l.contains("dmt_three_lowest"), "{l}");
            }
            if n == 1 {
                assert!(lines[1].contains("1 leerling, 1 nieuw signaal"), "{}", lines[1]);
            }
        }
    }
}
