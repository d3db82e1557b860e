//! Command line: global options, one variant of [`Command`] per subcommand, and [`dispatch`].
//! Exit codes: 0 success, 1 runtime failure, 2 invalid configuration.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{ArgAction, Args, Parser, Subcommand};

use crate::settings::{CONFIG_ENV, ConfigError, DEFAULT_CONFIG_TOML, Settings, locate_config};
use crate::telemetry::{self, LogFormat, TelemetryError};

/// Exit code for an unreadable or invalid configuration.
pub const EXIT_CONFIG: u8 = 2;

/// `zorgsignaal`: signalering voor het primair onderwijs.
#[derive(Debug, Parser)]
#[command(name = "zorgsignaal", version, about, propagate_version = true)]
pub struct Cli {
    /// Configuration file (TOML); `ZORGSIGNAAL__SECTION__KEY` variables override its values.
    /// Default: `$ZORGSIGNAAL_CONFIG`, else `config/zorgsignaal.toml` when it exists (a checkout),
    /// else `/etc/zorgsignaal/zorgsignaal.toml`.
    #[arg(long, global = true, value_name = "PATH", env = CONFIG_ENV)]
    pub config: Option<PathBuf>,
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
    Sync(crate::app::commands::sync::SyncArgs),
    /// Show per source, school and stream the cursor, last success, last error and counts.
    Status(crate::app::commands::status::StatusArgs),
    /// Create or upgrade the database (running it twice changes nothing).
    Migrate,
    /// Run every rule for the configured schools and store the signals and tasks.
    Evaluate(EvaluateArgs),
    /// List signals (Dutch table, or the JSON contract of docs/RULES.md with --json).
    Signals(SignalsArgs),
    /// Show the outbox of tasks to push back, or put a parked task back in the queue.
    Outbox(OutboxArgs),
    /// The whole loop with no set-up: generated board, in-process mock servers, SQLite, digests.
    Demo(DemoArgs),
    /// Replay a period day by day on a generated board (no waiting) and measure the IB mails.
    Simulate(SimulateArgs),
    /// The daemon: schedules, sync, evaluation, outbox, digests and the dashboard, until SIGTERM.
    Run,
    /// Import an OSO overstapdossier, a CSV results export, an EDEXML export or a UWLR results
    /// message (all or nothing; exit 2 when invalid).
    Import(ImportArgs),
    /// Write reports (bestuursrapportage).
    #[command(subcommand)]
    Report(ReportCommand),
    /// Manage dashboard users (password read from standard input).
    #[command(subcommand)]
    User(UserCommand),
    /// Serve the dashboard and JSON API on `api.listen` until Ctrl-C.
    Serve,
    /// Manage the UWLR autorisatiesleutels of `POST /uwlr/v2/leerresultaten` (per school; a new
    /// key is printed once).
    #[command(subcommand)]
    UwlrKey(UwlrKeyCommand),
}

/// `uwlr-key` subcommands.
#[derive(Debug, Subcommand)]
pub enum UwlrKeyCommand {
    /// Make a key for one school and print it (shown once).
    Add {
        /// The school (BRIN) whose results the key may deliver.
        #[arg(long, value_name = "BRIN", value_parser = parse_brin)]
        school: crate::domain::Brin,
        /// Who the key is for (the sender).
        #[arg(long, default_value = "uwlr")]
        label: String,
    },
    /// List the keys (id, school, label, created; never the key).
    List {
        /// Only this school's keys.
        #[arg(long, value_name = "BRIN", value_parser = parse_brin)]
        school: Option<crate::domain::Brin>,
    },
    /// Revoke a key by its id (from `uwlr-key list`).
    Revoke {
        /// Key id.
        id: i64,
    },
}

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo database and the digest mails.
    #[arg(long, value_name = "DIR", default_value = "zorgsignaal-demo")]
    pub data_dir: PathBuf,
    /// Seed of the generated board (same seed, same board).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of schools.
    #[arg(long, default_value_t = 3)]
    pub schools: usize,
    /// Pupils per school.
    #[arg(long, default_value_t = 60)]
    pub pupils_per_school: usize,
    /// School years of history.
    #[arg(long, default_value_t = 4)]
    pub years: u32,
    /// Afterwards keep running as the daemon with the dashboard (Ctrl-C stops it).
    #[arg(long)]
    pub serve: bool,
}

/// Options of `simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// First day to replay (YYYY-MM-DD).
    #[arg(long, default_value = "2025-08-01")]
    pub from: chrono::NaiveDate,
    /// Last day to replay (YYYY-MM-DD, inclusive).
    #[arg(long, default_value = "2026-07-31")]
    pub to: chrono::NaiveDate,
    /// Seed of the generated board (same seed, same mails and figures).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of schools.
    #[arg(long, default_value_t = 10)]
    pub schools: usize,
    /// Pupils per school.
    #[arg(long, default_value_t = 250)]
    pub pupils_per_school: usize,
    /// Folder for the database, the mails (`mail/*.eml`) and the board reports (replaced).
    #[arg(long, value_name = "DIR", default_value = "zorgsignaal-simulatie")]
    pub data_dir: PathBuf,
    /// Print the figures as exactly one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Schools whose due jobs run side by side (default: the machine's cores, at most 4). The
    /// figures and mails do not depend on it: a school's own jobs keep their order.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel: Option<u16>,
}

/// Options of `outbox`.
#[derive(Debug, Args)]
pub struct OutboxArgs {
    /// Only rows in this state: pending, in_flight, sent or parked.
    #[arg(long, value_parser = parse_outbox_status)]
    pub status: Option<crate::store::OutboxStatus>,
    /// Put parked row ID back in the queue (after fixing the cause).
    #[arg(long, value_name = "ID")]
    pub retry: Option<i64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_outbox_status(s: &str) -> Result<crate::store::OutboxStatus, String> {
    crate::store::OutboxStatus::parse(s).ok_or_else(|| format!("unknown outbox status {s:?}"))
}

/// Options of `import`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("file").required(true).args(["oso", "csv", "edexml", "uwlr", "verzuim", "sociaal_emotioneel"])))]
pub struct ImportArgs {
    /// OSO overstapdossier (XML) to import.
    #[arg(long, value_name = "FILE.xml")]
    pub oso: Option<PathBuf>,
    /// CSV results export to import (needs --school).
    #[arg(long, value_name = "FILE.csv", requires = "school")]
    pub csv: Option<PathBuf>,
    /// EDEXML 2.1 export (pupils, groups, memberships; needs --school).
    #[arg(long, value_name = "FILE.xml", requires = "school")]
    pub edexml: Option<PathBuf>,
    /// UWLR 2.2 `leerresultaten_verzoek` saved as a file (results; needs --school).
    #[arg(long, value_name = "FILE.xml", requires = "school")]
    pub uwlr: Option<PathBuf>,
    /// CSV verzuim (absence) export to import (needs --school; docs/IMPORT.md).
    #[arg(long, value_name = "FILE.csv", requires = "school")]
    pub verzuim: Option<PathBuf>,
    /// CSV export of social-emotional measurements (ZIEN!, KanVAS, KiVa monitor) to import
    /// (needs --school and --instrument; docs/IMPORT.md).
    #[arg(long, value_name = "FILE.csv", requires_all = ["school", "instrument"])]
    pub sociaal_emotioneel: Option<PathBuf>,
    /// The instrument of a --sociaal-emotioneel file: zien, kanvas or kiva.
    #[arg(long, value_name = "zien|kanvas|kiva", value_parser = parse_instrument, requires = "sociaal_emotioneel")]
    pub instrument: Option<crate::domain::SeInstrument>,
    /// School to register the records at (BRIN); for OSO default: the dossier's huidigeschool.
    #[arg(long, value_name = "BRIN", value_parser = parse_brin)]
    pub school: Option<crate::domain::Brin>,
    /// Parse and validate, report what would be stored, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `report` subcommands.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The pseudonymised board report: report.html, report.csv and report.json.
    Board(ReportBoardArgs),
}

/// Options of `report board`.
#[derive(Debug, Args)]
pub struct ReportBoardArgs {
    /// School year to report (`2025-2026`); default: the year of --as-of.
    #[arg(long, value_name = "YYYY-YYYY", value_parser = parse_school_year)]
    pub school_year: Option<crate::domain::SchoolYear>,
    /// Reference date (peildatum), YYYY-MM-DD; default: today (or the end of a past --school-year).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Directory to write the files to; default `report.output_dir`.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

fn parse_school_year(s: &str) -> Result<crate::domain::SchoolYear, String> {
    crate::domain::SchoolYear::parse(s).map_err(|e| e.to_string())
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        /// Login name.
        username: String,
        /// Role: ib, directie, board or operator.
        #[arg(long, value_parser = parse_role)]
        role: crate::store::Role,
        /// School (BRIN) an ib or directie works for; repeat for several.
        #[arg(long = "school", value_name = "BRIN", value_parser = parse_brin)]
        schools: Vec<crate::domain::Brin>,
    },
    /// Set a new password (read from standard input); ends the user's sessions.
    Passwd {
        /// Login name.
        username: String,
    },
    /// Remove a user with his sessions and tokens.
    Remove {
        /// Login name.
        username: String,
    },
    /// Create a bearer token for the JSON API and print it (shown once): `user token NAME`;
    /// or `user token list [NAME]`, `user token revoke ID`.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Token {
        /// Login name (to create a token).
        #[arg(required = true)]
        username: Option<String>,
        /// What the token is for.
        #[arg(long, default_value = "api")]
        label: String,
        /// How long the token is valid (`90d`, `1y`); default `api.token_ttl`.
        #[arg(long, value_parser = humantime::parse_duration)]
        ttl: Option<std::time::Duration>,
        /// `list` or `revoke` instead of creating a token.
        #[command(subcommand)]
        action: Option<TokenCommand>,
    },
}

/// `user token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// List API tokens (id, user, label, created, expires; never the token).
    List {
        /// Only this user's tokens.
        username: Option<String>,
    },
    /// Revoke an API token by its id (from `user token list`).
    Revoke {
        /// Token id.
        id: i64,
    },
}

fn parse_role(s: &str) -> Result<crate::store::Role, String> {
    crate::store::Role::parse(s).map_err(|e| e.to_string())
}

/// Options of `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Reference date (peildatum), YYYY-MM-DD; default: today in Europe/Amsterdam.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<chrono::NaiveDate>,
    /// Only this school (BRIN).
    #[arg(long, value_name = "BRIN", value_parser = parse_brin)]
    pub school: Option<crate::domain::Brin>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `signals`.
#[derive(Debug, Args)]
pub struct SignalsArgs {
    /// Only this school (BRIN).
    #[arg(long, value_name = "BRIN", value_parser = parse_brin)]
    pub school: Option<crate::domain::Brin>,
    /// Which signals: `open` (default) or `all`.
    #[arg(long, value_enum, default_value = "open")]
    pub status: StatusChoice,
    /// Print the JSON contract (docs/RULES.md) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `signals --status` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusChoice {
    /// Only open signals.
    Open,
    /// Every signal, whatever its state.
    All,
}

fn parse_instrument(s: &str) -> Result<crate::domain::SeInstrument, String> {
    crate::domain::SeInstrument::parse(&s.to_lowercase())
        .map_err(|_| format!("onbekend instrument {s:?}: kies zien, kanvas of kiva"))
}

fn parse_brin(s: &str) -> Result<crate::domain::Brin, String> {
    crate::domain::Brin::parse(s).map_err(|e| e.to_string())
}

/// Options of `check-config`.
#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// Print the documented default configuration file instead of checking.
    #[arg(long)]
    pub print_default: bool,
}

impl Cli {
    /// The configuration file of this run (see [`locate_config`]).
    pub fn config_path(&self) -> Result<PathBuf, ConfigError> {
        locate_config(self.config.as_deref(), Path::is_file)
    }

    /// Loads the configuration file of this run with its environment overrides.
    pub fn load_settings(&self) -> Result<Settings, ConfigError> {
        self.config_path().and_then(|p| Settings::load(&p))
    }

    fn config_label(&self) -> String {
        self.config_path().map_or_else(
            |_| "no configuration file".to_owned(),
            |p| p.display().to_string(),
        )
    }

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
        Command::Sync(args) => with_settings(cli, settings, |s| match unknown_school(cli, s) {
            Some(code) => Ok(code),
            None => crate::app::commands::sync::sync(s, args),
        }),
        Command::Status(args) => {
            with_settings(cli, settings, |s| crate::app::commands::status::status(s, args))
        }
        // The demo builds its own configuration from the generated board: no config file needed.
        Command::Demo(a) => {
            let opts = crate::app::demo::DemoOptions {
                data_dir: a.data_dir.clone(),
                seed: a.seed,
                schools: a.schools,
                pupils_per_school: a.pupils_per_school,
                years: a.years,
                serve: a.serve,
            };
            crate::app::runtime()?.block_on(crate::app::demo::demo(&opts))
        }
        // The simulation, too, builds its configuration from the generated board.
        Command::Simulate(a) => {
            let opts = crate::app::simulate::SimulateOptions {
                from: a.from,
                to: a.to,
                seed: a.seed,
                schools: a.schools,
                pupils_per_school: a.pupils_per_school,
                data_dir: a.data_dir.clone(),
                parallel: a.parallel.map_or_else(
                    || std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
                    usize::from,
                ),
            };
            let figures = crate::app::runtime()?.block_on(crate::app::simulate::simulate(&opts))?;
            if a.json {
                println!("{figures}");
            } else {
                print!("{}", crate::app::simulate::render_summary(&figures));
            }
            Ok(ExitCode::SUCCESS)
        }
        other => {
            let settings = match settings {
                Ok(s) => s,
                Err(e) => {
                    report_config_error(cli, &e);
                    return Ok(ExitCode::from(EXIT_CONFIG));
                }
            };
            if let Some(code) = unknown_school(cli, &settings) {
                return Ok(code);
            }
            let rt = crate::app::runtime()?;
            rt.block_on(run_async(other, &settings))
        }
    }
}

/// The schools (BRIN) the command was given with `--school`.
fn school_args(command: &Command) -> Vec<&crate::domain::Brin> {
    match command {
        Command::Sync(a) => a.school.iter().collect(),
        Command::Evaluate(a) => a.school.iter().collect(),
        Command::Signals(a) => a.school.iter().collect(),
        Command::Import(a) => a.school.iter().collect(),
        Command::User(UserCommand::Add { schools, .. }) => schools.iter().collect(),
        Command::UwlrKey(UwlrKeyCommand::Add { school, .. }) => vec![school],
        Command::UwlrKey(UwlrKeyCommand::List { school }) => school.iter().collect(),
        _ => Vec::new(),
    }
}

/// Refuses (exit 2, Dutch message on stderr) a `--school` that the configuration does not list:
/// without it the command would answer with an empty list or store data no rule ever sees.
fn unknown_school(cli: &Cli, settings: &Settings) -> Option<ExitCode> {
    let unknown: Vec<String> = school_args(&cli.command)
        .into_iter()
        .filter(|b| settings.school(b).is_none())
        .map(ToString::to_string)
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let configured: Vec<String> = settings
        .schools
        .iter()
        .map(|s| format!("{} ({})", s.brin, s.name))
        .collect();
    eprintln!(
        "fout: school {} (--school) is niet geconfigureerd in {}; geconfigureerde scholen: {}",
        unknown.join(", "),
        cli.config_label(),
        if configured.is_empty() {
            "geen".to_owned()
        } else {
            configured.join(", ")
        }
    );
    Some(ExitCode::from(EXIT_CONFIG))
}

/// Runs a store-backed command on the runtime.
async fn run_async(command: &Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    use crate::app::commands;
    match command {
        Command::CheckConfig(_)
        | Command::Sync(_)
        | Command::Status(_)
        | Command::Demo(_)
        | Command::Simulate(_) => Ok(ExitCode::SUCCESS),
        Command::Migrate => commands::migrate::migrate(settings).await,
        Command::Run => commands::run::run_daemon(settings).await,
        Command::Evaluate(a) => {
            commands::evaluate::evaluate(settings, a.as_of, a.school.as_ref(), a.json).await
        }
        Command::Signals(a) => {
            commands::signals::signals(settings, a.school.as_ref(), a.status == StatusChoice::All, a.json)
                .await
        }
        Command::Outbox(a) => commands::outbox::outbox(settings, a.status, a.retry, a.json).await,
        Command::Import(a) => {
            use crate::app::commands::import::{ImportFile, ImportMode, import};
            let file = match (&a.oso, &a.csv, &a.edexml, &a.uwlr) {
                _ if a.verzuim.is_some() => {
                    ImportFile::Verzuim(a.verzuim.as_deref().unwrap_or(Path::new("")))
                }
                _ if a.sociaal_emotioneel.is_some() => ImportFile::SocialEmotional(
                    a.sociaal_emotioneel.as_deref().unwrap_or(Path::new("")),
                    a.instrument.ok_or_else(|| {
                        anyhow::anyhow!("--sociaal-emotioneel needs --instrument zien|kanvas|kiva")
                    })?,
                ),
                (Some(p), ..) => ImportFile::Oso(p),
                (None, Some(p), ..) => ImportFile::Csv(p),
                (None, None, Some(p), _) => ImportFile::Edexml(p),
                (None, None, None, Some(p)) => ImportFile::Uwlr(p),
                (None, None, None, None) => {
                    anyhow::bail!(
                        "import needs --oso, --csv, --edexml, --uwlr, --verzuim or --sociaal-emotioneel FILE"
                    )
                }
            };
            let mode = if a.dry_run {
                ImportMode::DryRun
            } else {
                ImportMode::Apply
            };
            import(settings, file, a.school.as_ref(), mode).await
        }
        Command::Report(ReportCommand::Board(a)) => {
            crate::app::commands::report::report_board(settings, a.school_year, a.as_of, a.out.as_deref())
                .await
        }
        Command::User(u) => {
            use crate::app::commands::user as users_cmd;
            match u {
                UserCommand::Add {
                    username,
                    role,
                    schools,
                } => users_cmd::add(settings, username, *role, schools).await,
                UserCommand::Passwd { username } => users_cmd::passwd(settings, username).await,
                UserCommand::Remove { username } => users_cmd::remove(settings, username).await,
                UserCommand::Token {
                    action: Some(TokenCommand::List { username }),
                    ..
                } => users_cmd::token_list(settings, username.as_deref()).await,
                UserCommand::Token {
                    action: Some(TokenCommand::Revoke { id }),
                    ..
                } => users_cmd::token_revoke(settings, *id).await,
                UserCommand::Token {
                    username,
                    label,
                    ttl,
                    action: None,
                } => {
                    let username = username.as_deref().unwrap_or_default();
                    users_cmd::token(settings, username, label, *ttl).await
                }
            }
        }
        Command::Serve => crate::app::commands::serve::serve_command(settings).await,
        Command::UwlrKey(k) => {
            use crate::app::commands::uwlr_key;
            match k {
                UwlrKeyCommand::Add { school, label } => uwlr_key::add(settings, school, label).await,
                UwlrKeyCommand::List { school } => uwlr_key::list(settings, school.as_ref()).await,
                UwlrKeyCommand::Revoke { id } => uwlr_key::revoke(settings, *id).await,
            }
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
                path = %cli.config_label(),
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
        cli.config_label(),
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
