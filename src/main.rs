//! `zorgsignaal` binary: parse the command line, load settings, start logging, dispatch.

use std::process::ExitCode;

use clap::Parser;
use zorgsignaal::cli::{self, Cli};

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
