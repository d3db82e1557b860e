//! `zorgsignaal` binary: parse the command line, load settings, start logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use zorgsignaal::cli::{self, Cli};

/// mimalloc instead of glibc's malloc: a replayed school year spent a third of its CPU in
/// glibc's allocator (`_int_malloc`, `malloc_consolidate`, frees across the SQLite worker
/// threads); docs/BENCHMARKS.md, "Session 11: time".
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = cli.load_settings();
    if let Err(e) = cli.init_telemetry(settings.as_ref().ok()) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    match cli::dispatch(&cli, settings) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "command failed");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
