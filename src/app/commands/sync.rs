//! `zorgsignaal sync`: one pass over the configured sources (`crate::cli` only declares and
//! dispatches it).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::app::{open_store, runtime, today_amsterdam};
use crate::domain::{Brin, Source};
use crate::settings::Settings;
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
    /// Schools synced at the same time (default `sync.concurrency`, unset: 1 on SQLite, 4 on
    /// PostgreSQL; streams of one school always run one after another).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
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
        let mut opts = SyncOptions::from_settings(&settings.sync, store.engine(), today_amsterdam());
        opts.full = args.full;
        opts.group_records_before = crate::app::retention::group_records_before(settings, opts.today);
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
