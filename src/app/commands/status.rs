//! `zorgsignaal status`: per (source, school, stream) cursor, last success, last error, counts.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::app::{open_store, runtime};
use crate::settings::Settings;
use crate::store::{HeldCount, StreamStatus};

/// Options of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One row of `status`.
#[derive(Debug, Serialize)]
struct StatusReport {
    streams: Vec<StreamStatus>,
    /// Records waiting for a pupil the store does not know yet, per stream.
    held: Vec<HeldCount>,
    /// Live results whose test no domain mapping knows (kept, but feeding no rule).
    results_with_unmapped_test: i64,
    /// Test codes without a domain.
    unmapped_tests: Vec<String>,
    /// Live results without a level (a UWLR `score` or `anderresultaat`, a raw-only CSV row) per
    /// source and school: stored and counted, feeding no level rule.
    results_without_level: Vec<(crate::domain::Source, crate::domain::Brin, i64)>,
}

/// `zorgsignaal status`: per (source, school, stream) cursor, last success, last error, counts.
pub fn status(settings: &Settings, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let store = open_store(settings).await.context("cannot open the store")?;
        let streams = store.stream_statuses().await?;
        let held = store.held_counts().await?;
        let mapping = settings.rules.board().domain_mapping.clone();
        let tests = store.tests_seen().await?;
        let results_without_level = store.results_without_level().await?;
        store.close().await;
        let unmapped: Vec<_> = tests
            .iter()
            .filter(|t| mapping.classify(&t.code, &t.name).is_none())
            .collect();
        let report = StatusReport {
            results_with_unmapped_test: unmapped.iter().map(|t| t.results).sum(),
            unmapped_tests: unmapped.iter().map(|t| t.code.clone()).collect(),
            streams,
            held,
            results_without_level,
        };
        if args.json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!("{}", render_status(&report));
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn render_status(r: &StatusReport) -> String {
    let mut out = String::from("Status per bron, school en stroom (source, school, stream):\n");
    if r.streams.is_empty() {
        out.push_str("  nog niets gesynchroniseerd (nothing synced yet)\n");
    }
    for s in &r.streams {
        let when = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or_else(|| "-".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        };
        let cursor = match s.cursor.as_deref() {
            None => "-".to_owned(),
            Some(c) if c.starts_with("page:") => {
                "volledige lijst bezig (full listing in progress)".to_owned()
            }
            Some(c) if c.starts_with("since:") => "wijzigingen (change feed)".to_owned(),
            Some(c) => c.chars().take(24).collect(),
        };
        out.push_str(&format!(
            "  {:<13} {:<6} {:<11} laatst gelukt {}, {} records, {} in quarantaine, cursor: {}\n",
            s.source.as_str(),
            s.school.as_str(),
            s.stream,
            when(s.last_success_at),
            s.records,
            s.quarantined,
            cursor
        ));
        if let Some(e) = &s.last_error {
            out.push_str(&format!(
                "      laatste fout (last error) {} ({} op rij): {e}\n",
                when(s.last_error_at),
                s.consecutive_failures
            ));
        }
    }
    for h in &r.held {
        out.push_str(&format!(
            "  {:<13} {:<6} {:<11} {} wachtend op leerling (held for a pupil not yet in the snapshot), sinds {}\n",
            h.source.as_str(),
            h.school.as_str(),
            h.stream,
            h.count,
            h.oldest.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    out.push_str(&format!(
        "Resultaten met een toets zonder leerdomein (results with an unmapped test): {}",
        r.results_with_unmapped_test
    ));
    if !r.unmapped_tests.is_empty() {
        out.push_str(&format!(" ({})", r.unmapped_tests.join(", ")));
    }
    for (source, school, n) in &r.results_without_level {
        out.push_str(&format!(
            "\n  {:<13} {:<6} {n} {} zonder niveau (score of anderresultaat: opgeslagen, telt niet mee voor de niveauregels)",
            source.as_str(),
            school.as_str(),
            if *n == 1 { "resultaat" } else { "resultaten" }
        ));
    }
    out
}
