//! The `sync` and `status` subcommands (bodies; `crate::cli` only declares and dispatches them).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use serde::Serialize;

use crate::app::{open_store, runtime, today_amsterdam};
use crate::domain::{Brin, Source};
use crate::settings::Settings;
use crate::store::{HeldCount, StreamStatus};
use crate::sync::{BarProgress, LineProgress, NoProgress, Progress, SyncEngine, SyncOptions};

/// Options of `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// One pass, then exit. (Without it `sync` also does one pass: schedules belong to the daemon.)
    #[arg(long)]
    pub once: bool,
    /// Forget the cursors of the selected streams and read everything again (full reconcile):
    /// records the store holds that the complete listing no longer returns are marked deleted.
    #[arg(long)]
    pub full: bool,
    /// Only this school (BRIN).
    #[arg(long, value_name = "BRIN", value_parser = parse_brin)]
    pub school: Option<Brin>,
    /// Only this source: parnassys_gkv, parnassys or leeruniek.
    #[arg(long, value_name = "NAME", value_parser = parse_source)]
    pub source: Option<Source>,
    /// Print the summary as JSON on stdout (no progress output).
    #[arg(long)]
    pub json: bool,
    /// Schools synced at the same time (default `sync.concurrency`; streams of one school always
    /// run one after another).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
}

/// Options of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_brin(s: &str) -> Result<Brin, String> {
    Brin::parse(s).map_err(|e| e.to_string())
}

fn parse_source(s: &str) -> Result<Source, String> {
    match Source::parse(s) {
        Ok(src @ (Source::ParnassysGkv | Source::Parnassys | Source::Leeruniek)) => Ok(src),
        _ => Err("expected parnassys_gkv, parnassys or leeruniek".into()),
    }
}

/// `zorgsignaal sync`: one pass; exit 1 when any school had a failed or stopped stream.
pub fn sync(settings: &Settings, args: &SyncArgs) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        // Opens, migrates and registers every configured school.
        let store = open_store(settings).await.context("cannot open the store")?;
        let engine =
            SyncEngine::from_settings(settings, store.clone()).context("cannot build the source clients")?;
        let mut opts = SyncOptions::from_settings(&settings.sync, today_amsterdam());
        opts.full = args.full;
        opts.school = args.school.clone();
        opts.source = args.source;
        if let Some(n) = args.concurrency {
            opts.concurrency = usize::from(n);
        }
        let progress: Box<dyn Progress> = if args.json {
            Box::new(NoProgress)
        } else if std::io::stderr().is_terminal() {
            Box::new(BarProgress::default())
        } else {
            Box::new(LineProgress)
        };
        let summary = engine.run_once(&opts, progress.as_ref()).await;
        store.close().await;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&summary)?);
        } else {
            println!("{}", summary.render());
        }
        Ok(if summary.any_failed() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        })
    })
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
