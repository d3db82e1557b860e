//! `zorgsignaal-mock`: serves a generated or fixture board on loopback and prints the base URLs as
//! one JSON line; stops gracefully on SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Parser;
use mocks::{DataSource, FaultConfig, FaultKind, GenParams, MockBoard, MockConfig, fixture, generate};

/// Mock ParnasSys (GKV SOAP + REST), Leeruniek and ESIS-like UWLR servers for Zorgsignaal.
#[derive(Debug, Parser)]
#[command(name = "zorgsignaal-mock", version)]
struct Cli {
    /// Address to listen on; port 0 picks three free ports, port N uses N, N+1, N+2.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Number of schools.
    #[arg(long, default_value_t = 3)]
    schools: usize,
    /// Pupils per school.
    #[arg(long, default_value_t = 60)]
    pupils_per_school: usize,
    /// School years back, the current one included.
    #[arg(long, default_value_t = 4)]
    years: u32,
    /// Reference date (peildatum) that anchors every generated date.
    #[arg(long, default_value = "2026-11-20")]
    as_of: NaiveDate,
    /// How many schools, counted from the last (never the first), are ESIS-like: pupil data
    /// through UWLR `HaalLeerlinggegevens`, no GKV and no ParnasSys REST.
    #[arg(long, default_value_t = 0)]
    uwlr_schools: usize,
    /// Do not plant the rule cases.
    #[arg(long)]
    no_planted: bool,
    /// Serve exactly this fixture instead of generating.
    #[arg(long, conflicts_with = "dump_fixture")]
    fixture: Option<PathBuf>,
    /// Write the generated dataset to this file.
    #[arg(long)]
    dump_fixture: Option<PathBuf>,
    /// Write the planted-case expectations to this file.
    #[arg(long)]
    emit_expected: Option<PathBuf>,
    /// Only write the requested files, do not serve.
    #[arg(long)]
    no_serve: bool,
    /// Token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    token_lifetime: u64,
    /// Fault rate 0–1 (deterministic given the seed and request order).
    #[arg(long, default_value_t = 0.0)]
    faults: f64,
    /// Fault kinds, comma separated: 429,5xx,slow,truncate,duplicate,revoke-token,soap (default all).
    #[arg(long, value_delimiter = ',')]
    fault_kinds: Vec<String>,
    /// Delay of a slow response, in seconds.
    #[arg(long, default_value_t = 35)]
    slow_secs: u64,
    /// Generate each school only when a request needs it, holding at most `--lazy-cache`
    /// schools in memory (a board of 1 000 schools on one machine). The same data per school;
    /// cursors differ from an eager board's. Not with `--fixture`, `--dump-fixture`.
    #[arg(long, conflicts_with_all = ["fixture", "dump_fixture"])]
    lazy: bool,
    /// Schools a lazy board holds in memory at most (more while requests use them).
    #[arg(long, default_value_t = 16)]
    lazy_cache: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    if !(0.0..=1.0).contains(&cli.faults) {
        bail!("--faults must be between 0 and 1");
    }
    let kinds = if cli.fault_kinds.is_empty() {
        FaultKind::ALL.to_vec()
    } else {
        cli.fault_kinds
            .iter()
            .map(|k| FaultKind::parse(k).with_context(|| format!("unknown fault kind {k}")))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    let params = GenParams {
        seed: cli.seed,
        schools: cli.schools,
        pupils_per_school: cli.pupils_per_school,
        years: cli.years,
        as_of: cli.as_of,
        planted: !cli.no_planted,
        uwlr_schools: cli.uwlr_schools,
    };
    let faults = FaultConfig {
        rate: cli.faults,
        kinds,
        slow: Duration::from_secs(cli.slow_secs),
        retry_after_secs: 1,
    };
    if cli.lazy {
        let config = MockConfig {
            listen: cli.listen,
            data: DataSource::Lazy {
                params,
                cache: cli.lazy_cache,
            },
            token_lifetime: Duration::from_secs(cli.token_lifetime),
            faults,
        };
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let board = MockBoard::start(config).await?;
        if let Some(path) = &cli.emit_expected {
            fixture::write_expected(board.expected(), path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        if cli.no_serve {
            return Ok(());
        }
        println!("{}", board.urls_json());
        // Every 10 s while schools are being generated: how many, and the time it took.
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        let mut logged = 0;
        loop {
            tokio::select! {
                _ = term.recv() => break,
                r = tokio::signal::ctrl_c() => { r?; break }
                _ = tick.tick() => {
                    if let Some((resident, generated, seconds)) = board.lazy_stats()
                        && generated != logged
                    {
                        logged = generated;
                        tracing::info!(resident, generated, seconds, "lazy board: schools generated");
                    }
                }
            }
        }
        if let Some((resident, generated, seconds)) = board.lazy_stats() {
            tracing::info!(resident, generated, seconds, "lazy board: schools generated");
        }
        tracing::info!("stopping");
        board.shutdown().await;
        return Ok(());
    }
    let dataset = match &cli.fixture {
        Some(path) => fixture::load(path).with_context(|| format!("loading fixture {}", path.display()))?,
        None => {
            let started = std::time::Instant::now();
            let (ds, expected) = tokio::task::spawn_blocking(move || generate(&params)).await?;
            tracing::info!(
                schools = ds.schools.len(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "board generated"
            );
            if let Some(path) = &cli.emit_expected {
                fixture::write_expected(&expected, path)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if let Some(path) = &cli.dump_fixture {
                fixture::dump(&ds, path).with_context(|| format!("writing {}", path.display()))?;
            }
            ds
        }
    };
    if cli.no_serve {
        return Ok(());
    }
    let config = MockConfig {
        listen: cli.listen,
        data: DataSource::Fixture(Box::new(dataset)),
        token_lifetime: Duration::from_secs(cli.token_lifetime),
        faults,
    };
    // Install the handler before announcing the URLs, so a SIGTERM sent right after is graceful.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let board = MockBoard::start(config).await?;
    println!("{}", board.urls_json());
    tokio::select! {
        _ = term.recv() => {}
        r = tokio::signal::ctrl_c() => r?,
    }
    tracing::info!("stopping");
    board.shutdown().await;
    Ok(())
}
