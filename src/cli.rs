//! Command line: global options, one variant of [`Command`] per subcommand, and [`dispatch`].
//! Exit codes: 0 success, 1 runtime failure, 2 invalid configuration.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::settings::{ConfigError, DEFAULT_CONFIG_PATH, DEFAULT_CONFIG_TOML, Settings};
use crate::telemetry::{self, LogFormat, TelemetryError};

/// Exit code for an unreadable or invalid configuration.
pub const EXIT_CONFIG: u8 = 2;

/// `zorgsignaal`: signalering voor het primair onderwijs.
#[derive(Debug, Parser)]
#[command(name = "zorgsignaal", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML); `ZORGSIGNAAL__SECTION__KEY` variables override its values.
    #[arg(long, global = true, value_name = "PATH", default_value = DEFAULT_CONFIG_PATH)]
    pub config: PathBuf,
    /// Log format; overrides `telemetry.log_format`.
    #[arg(long, global = true, value_enum, value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// More logging (-v debug, -vv trace).
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the configuration file and environment overrides; exit 2 naming each bad key.
    CheckConfig(CheckConfigArgs),
    /// Pull pupils, results, notes and plans from the sources into the store (one pass; the
    /// daemon adds schedules). Exit 1 when a school failed.
    Sync(crate::sync::cli::SyncArgs),
    /// Show per source, school and stream the cursor, last success, last error and counts.
    Status(crate::sync::cli::StatusArgs),
}

/// Options of `check-config`.
#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// Print the documented default configuration file instead of checking.
    #[arg(long)]
    pub print_default: bool,
}

impl Cli {
    /// Sets up logging from the flags, falling back to the config's telemetry section, then to
    /// the defaults when the config did not load.
    pub fn init_telemetry(&self, settings: Option<&Settings>) -> Result<(), TelemetryError> {
        let defaults = crate::settings::TelemetrySettings::default();
        let t = settings.map_or(&defaults, |s| &s.telemetry);
        telemetry::init(self.log_format.unwrap_or(t.log_format), &t.level, self.verbose)
    }
}

/// Runs the chosen command. `settings` is the result of loading `--config`: commands that need
/// a valid configuration fail with exit code 2 when it is an error.
pub fn dispatch(cli: &Cli, settings: Result<Settings, ConfigError>) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::CheckConfig(args) => Ok(check_config(cli, args, settings)),
        Command::Sync(args) => with_settings(cli, settings, |s| crate::sync::cli::sync(s, args)),
        Command::Status(args) => with_settings(cli, settings, |s| crate::sync::cli::status(s, args)),
    }
}

/// Runs `f` with valid settings, or reports the configuration error with exit code 2.
fn with_settings(
    cli: &Cli,
    settings: Result<Settings, ConfigError>,
    f: impl FnOnce(&Settings) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    match settings {
        Ok(s) => f(&s),
        Err(e) => {
            report_config_error(cli, &e);
            Ok(ExitCode::from(EXIT_CONFIG))
        }
    }
}

fn check_config(cli: &Cli, args: &CheckConfigArgs, settings: Result<Settings, ConfigError>) -> ExitCode {
    if args.print_default {
        print!("{DEFAULT_CONFIG_TOML}");
        return ExitCode::SUCCESS;
    }
    match settings {
        Ok(s) => {
            tracing::debug!(
                path = %cli.config.display(),
                schools = s.schools.len(),
                store = %s.store.url,
                "configuration loaded"
            );
            println!("{}", summary(&s));
            ExitCode::SUCCESS
        }
        Err(e) => {
            report_config_error(cli, &e);
            ExitCode::from(EXIT_CONFIG)
        }
    }
}

/// Prints one `error: key: message` line per issue to stderr.
pub fn report_config_error(cli: &Cli, e: &ConfigError) {
    for issue in &e.issues {
        eprintln!("error: {issue}");
    }
    eprintln!(
        "configuration invalid: {} problem(s) in {} or its {}… environment overrides",
        e.issues.len(),
        cli.config.display(),
        crate::settings::ENV_PREFIX
    );
}

/// The multi-line "configuration OK" report: counts and names, never a secret.
pub fn summary(s: &Settings) -> String {
    let schools: Vec<String> = s
        .schools
        .iter()
        .map(|sc| format!("{} {}", sc.brin, sc.name))
        .collect();
    let mut out = format!(
        "configuration OK: {} schools ({}) for board {:?}\n",
        s.schools.len(),
        schools.join(", "),
        s.board.name
    );
    out.push_str(&format!("  store:    {}\n", s.store.url));
    let count =
        |f: &dyn Fn(&crate::settings::SchoolSettings) -> bool| s.schools.iter().filter(|sc| f(sc)).count();
    let sources = [
        (
            "parnassys_gkv",
            s.sources.parnassys_gkv.enabled,
            count(&|sc| sc.parnassys_gkv.is_some()),
        ),
        (
            "parnassys",
            s.sources.parnassys.enabled,
            count(&|sc| sc.parnassys.is_some()),
        ),
        (
            "leeruniek",
            s.sources.leeruniek.enabled,
            count(&|sc| sc.leeruniek.is_some()),
        ),
    ];
    let listed: Vec<String> = sources
        .iter()
        .map(|(name, on, n)| {
            let state = if *on { "enabled" } else { "disabled" };
            let plural = if *n == 1 { "school" } else { "schools" };
            format!("{name} {state} ({n} {plural})")
        })
        .collect();
    out.push_str(&format!("  sources:  {}\n", listed.join(", ")));
    let mail = if s.mail.enabled {
        format!("enabled via {}:{}", s.mail.host, s.mail.port)
    } else {
        "disabled".to_owned()
    };
    out.push_str(&format!("  mail:     {mail}\n"));
    out.push_str(&format!(
        "  rules:    board defaults, {} school override(s)\n",
        s.rules.overrides().len()
    ));
    out.push_str(&format!("  api:      {} ({})", s.api.listen, s.api.public_url));
    out
}
