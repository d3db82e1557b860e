//! `sync_bench`: full and no-change incremental sync of a generated board from the mock servers on
//! loopback into SQLite (and PostgreSQL with `--postgres URL`), next to the limits measured in
//! the same run: the mock alone serving every page to a minimal client (`mock_limit`), an
//! independent minimal set-based writer of the same normalised pages into equally keyed tables
//! (`engine_limit`, not the store's code), and the store alone ingesting those pages
//! (`store_limit`). Every measurement is printed as a Markdown table row and as one JSON line
//! `{"engine": "sqlite", "step": "full_sync", "records": N, "seconds": S, "per_s": R, …}`.
//! Figures go to `docs/BENCHMARKS.md` ("Sync").
//!
//! `cargo run --release --example sync_bench -- [--schools N] [--pupils N] [--years N]
//! [--page-size N] [--concurrency 1,4] [--postgres postgres://…/db]`.
//!
//! With `--mock-urls` it syncs instead from a mock in a process of its own (`zorgsignaal-mock
//! --lazy --no-planted`, the JSON line it printed; credentials from `--seed`), into the store
//! `--store` as it is, only the schools of `--shard K/N` (index mod N = K), so several of these
//! processes share one board and one PostgreSQL like several daemons, and the peak RSS and CPU
//! time printed are this sync process's alone (issue 15 item 6):
//! `sync_bench --mock-urls '{"gkv":…}' --schools 1000 --store postgres://…/db --shard 0/2
//! --concurrency 4 --steps full,incremental` (`--steps migrate` first, once).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use mocks::{GenParams, MockBoard, MockConfig};
use secrecy::SecretString;
use zorgsignaal::domain::Brin;
use zorgsignaal::sources::feed::{FeedPosition, Record, SourcePage};
use zorgsignaal::sources::http::{HttpClient, HttpConfig};
use zorgsignaal::sources::leeruniek::{LeeruniekClient, LeeruniekStream, NoteCategories};
use zorgsignaal::sources::oauth::{ClientAuth, OAuthConfig, TokenSource};
use zorgsignaal::sources::parnassys::{ParnassysClient, ParnassysStream};
use zorgsignaal::sources::parnassys_gkv::GkvClient;
use zorgsignaal::store::{self, PageBatch, Store, Tombstone};
use zorgsignaal::sync::{NoProgress, SchoolSources, SyncEngine, SyncOptions};

/// The daemon's allocator (`src/main.rs`), so the sync is measured as the daemon runs it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmark options.
#[derive(Debug, Parser)]
struct Args {
    /// Schools.
    #[arg(long, default_value_t = 10)]
    schools: usize,
    /// Pupils per school.
    #[arg(long, default_value_t = 250)]
    pupils: usize,
    /// School years.
    #[arg(long, default_value_t = 6)]
    years: u32,
    /// Records per page.
    #[arg(long, default_value_t = 1000)]
    page_size: u32,
    /// Schools synced at the same time; a list (`1,4`) measures each, every one into a fresh store.
    #[arg(long, value_delimiter = ',', default_values_t = vec![1, 4])]
    concurrency: Vec<usize>,
    /// Skip the limit measurements (so peak RSS shows the sync and the in-process mock only).
    #[arg(long)]
    skip_limits: bool,
    /// Also run on PostgreSQL: an admin URL (scratch databases are created and dropped).
    #[arg(long)]
    postgres: Option<String>,
    /// Sync from a mock running in a process of its own: the JSON line `zorgsignaal-mock`
    /// printed (`{"gkv": …, "parnassys": …, "leeruniek": …}`). Its board must be generated with
    /// `--seed`, `--schools` and no ESIS-like schools; nothing else is measured then.
    #[arg(long)]
    mock_urls: Option<String>,
    /// With `--mock-urls`: the mock's seed (the credentials derive from it).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// With `--mock-urls`: the store to sync into, used as it is (neither created nor dropped).
    #[arg(long)]
    store: Option<String>,
    /// With `--mock-urls`: sync only the schools whose index mod N is K (`K/N`).
    #[arg(long, default_value = "0/1")]
    shard: String,
    /// With `--mock-urls`: what to do, in this order: `migrate`, `mock_limit` (every REST page
    /// through a bare client, no store), `full` (the first sync), `incremental`.
    #[arg(long, value_delimiter = ',', default_values_t = vec!["full".to_owned(), "incremental".to_owned()])]
    steps: Vec<String>,
}

fn http() -> anyhow::Result<HttpClient> {
    Ok(HttpClient::new(
        "bench",
        HttpConfig {
            rate_limit_per_second: 100_000,
            ..HttpConfig::default()
        },
    )?)
}

fn tokens(http: &HttpClient, url: &str, id: &str, secret: &str) -> anyhow::Result<TokenSource> {
    Ok(TokenSource::new(
        "bench",
        http.reqwest(),
        OAuthConfig {
            token_url: format!("{url}/oauth/token"),
            client_id: id.to_owned(),
            client_secret: SecretString::from(secret.to_owned()),
            scopes: Vec::new(),
            skew: Duration::from_secs(30),
            auth: ClientAuth::BasicHeader,
        },
    )?)
}

fn engine(board: &MockBoard, store: Arc<dyn Store>) -> anyhow::Result<SyncEngine> {
    let gkv = GkvClient::new(http()?, &board.gkv_url(), "Zorgsignaal");
    let ps = ParnassysClient::new(http()?, board.parnassys_url());
    let lu = LeeruniekClient::new(http()?, board.leeruniek_url());
    let mut schools = Vec::new();
    for b in board.schools() {
        let c = board.credentials(&b).context("credentials")?;
        schools.push(SchoolSources {
            brin: Brin::parse(&b)?,
            gkv_key: Some(SecretString::from(c.leveranciersleutel.clone())),
            parnassys: Some(tokens(
                ps.http(),
                &board.parnassys_url(),
                &c.parnassys.0,
                &c.parnassys.1,
            )?),
            leeruniek: Some(tokens(
                lu.http(),
                &board.leeruniek_url(),
                &c.leeruniek.0,
                &c.leeruniek.1,
            )?),
            uwlr: None,
        });
    }
    Ok(SyncEngine::new(store, Some(gkv), Some(ps), Some(lu), schools))
}

/// Peak resident set size of this process (VmHWM), in MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb / 1024)
}

/// User plus system CPU time of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start at "state".
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

/// Resident set size of this process now (VmRSS), in MiB.
fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map_or(0, |kb| kb / 1024)
}

/// `--mock-urls`: syncs this shard's schools (`full`: every source, GKV snapshots first, as a
/// first sync; `incremental`: the REST sources, as the daemon's half-hourly sync job) from a mock in its own process into `--store`.
async fn external(args: &Args, urls: &str) -> anyhow::Result<()> {
    use mocks::generator::school::{brin, secret};
    let urls: serde_json::Value =
        serde_json::from_str(urls).context("--mock-urls is not the mock's JSON line")?;
    let url = |k: &str| -> anyhow::Result<String> {
        Ok(urls[k]
            .as_str()
            .with_context(|| format!("--mock-urls without {k}"))?
            .to_owned())
    };
    let (k, n) = args
        .shard
        .split_once('/')
        .and_then(|(k, n)| Some((k.parse::<usize>().ok()?, n.parse::<usize>().ok()?)))
        .filter(|(k, n)| k < n)
        .context("--shard K/N with K < N")?;
    let store_url = args.store.as_deref().context("--mock-urls needs --store")?;
    let concurrency = match args.concurrency.as_slice() {
        [c] => *c,
        _ => anyhow::bail!("--mock-urls takes one --concurrency"),
    };
    let store = store::open(store_url).await?;
    let (gkv_url, ps_url, lu_url) = (url("gkv")?, url("parnassys")?, url("leeruniek")?);
    let gkv = GkvClient::new(http()?, &gkv_url, mocks::generator::LEVERANCIERNAAM);
    let ps = ParnassysClient::new(http()?, ps_url.clone());
    let lu = LeeruniekClient::new(http()?, lu_url.clone());
    let mut schools = Vec::new();
    let mut clients = Vec::new();
    for idx in (0..args.schools).filter(|i| i % n == k) {
        let b = brin(idx);
        let (ps_id, lu_id) = (
            format!("ps-{}", b.to_lowercase()),
            format!("lu-{}", b.to_lowercase()),
        );
        clients.push((
            b.clone(),
            (ps_id.clone(), secret(args.seed, &ps_id)),
            (lu_id.clone(), secret(args.seed, &lu_id)),
        ));
        schools.push(SchoolSources {
            brin: Brin::parse(&b)?,
            gkv_key: Some(SecretString::from(secret(args.seed, &format!("gkv:{b}")))),
            parnassys: Some(tokens(ps.http(), &ps_url, &ps_id, &secret(args.seed, &ps_id))?),
            leeruniek: Some(tokens(lu.http(), &lu_url, &lu_id, &secret(args.seed, &lu_id))?),
            uwlr: None,
        });
    }
    let count = schools.len();
    let e = SyncEngine::new(store.clone(), Some(gkv), Some(ps), Some(lu), schools);
    let mut opts = SyncOptions::new(GenParams::default().as_of);
    opts.page_size = args.page_size;
    opts.concurrency = concurrency;
    for step in &args.steps {
        let (cpu, at, started) = (cpu_seconds(), chrono::Utc::now(), Instant::now());
        let records = match step.as_str() {
            "migrate" => {
                store.migrate().await?;
                0
            }
            // The mock alone: every REST page of this shard's schools through a bare client.
            "mock_limit" => walk(&ps_url, &lu_url, &clients, args.page_size).await?.0,
            "full" => {
                let summary = e.run_once(&opts, &NoProgress).await;
                anyhow::ensure!(!summary.any_failed(), "{step} sync failed:\n{}", summary.render());
                summary.records() as u64
            }
            // As the daemon's half-hourly `sync` job: the REST sources only (GKV is the daily
            // roll snapshot).
            "incremental" => {
                let mut records = 0;
                for source in [
                    zorgsignaal::domain::Source::Parnassys,
                    zorgsignaal::domain::Source::Leeruniek,
                ] {
                    let opts = SyncOptions {
                        source: Some(source),
                        ..opts.clone()
                    };
                    let summary = e.run_once(&opts, &NoProgress).await;
                    anyhow::ensure!(!summary.any_failed(), "{step} sync failed:\n{}", summary.render());
                    records += summary.records() as u64;
                }
                records
            }
            other => anyhow::bail!("unknown step {other} (migrate, full, incremental)"),
        };
        let wall = started.elapsed();
        emit(
            if store_url.starts_with("postgres") {
                "postgresql"
            } else {
                "sqlite"
            },
            match step.as_str() {
                "full" => "full_sync",
                other => other,
            },
            records,
            wall,
            serde_json::json!({
                "shard": args.shard, "schools": count, "concurrency": concurrency,
                "cpu_s": ((cpu_seconds() - cpu) * 100.0).round() / 100.0,
                "peak_rss_mib": peak_rss_mib(), "rss_mib": rss_mib(),
                "started": at.to_rfc3339(), "ended": chrono::Utc::now().to_rfc3339(),
            }),
        );
    }
    store.close().await;
    Ok(())
}

fn requests(board: &MockBoard) -> u64 {
    board.request_counts().values().sum()
}

/// Limit 1: every REST page of every school through a bare reqwest client (JSON parsed, nothing else).
async fn mock_limit(board: &MockBoard, page_size: u32) -> anyhow::Result<(u64, Duration)> {
    let mut schools = Vec::new();
    for b in board.schools() {
        let c = board.credentials(&b).context("credentials")?;
        schools.push((b, c.parnassys, c.leeruniek));
    }
    walk(
        &board.parnassys_url(),
        &board.leeruniek_url(),
        &schools,
        page_size,
    )
    .await
}

/// A school's BRIN with its ParnasSys and Leeruniek client (id, secret).
type Clients = (String, (String, String), (String, String));

/// Every REST page of `schools` through a bare reqwest client (JSON parsed, nothing else).
async fn walk(
    ps_url: &str,
    lu_url: &str,
    schools: &[Clients],
    page_size: u32,
) -> anyhow::Result<(u64, Duration)> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut items = 0u64;
    for (b, ps, lu) in schools {
        for (base, (id, secret), prefix, paths) in [
            (
                ps_url,
                ps.clone(),
                "scholen",
                &[
                    "resultaten",
                    "notities",
                    "plannen",
                    "dyslexieverklaringen",
                    "verzuim",
                    "sociaal-emotioneel",
                ][..],
            ),
            (lu_url, lu.clone(), "schools", &["group-plans", "notes"][..]),
        ] {
            let token: serde_json::Value = client
                .post(format!("{base}/oauth/token"))
                .basic_auth(&id, Some(&secret))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials")
                .send()
                .await?
                .json()
                .await?;
            let bearer = token["access_token"].as_str().context("token")?.to_owned();
            for path in paths {
                let mut cursor: Option<String> = None;
                loop {
                    // Cursors are opaque hex text: safe in a query string as they are.
                    let mut url = format!("{base}/api/v1/{prefix}/{b}/{path}?limit={page_size}");
                    if let Some(c) = &cursor {
                        url.push_str(&format!("&cursor={c}"));
                    }
                    let page: serde_json::Value =
                        client.get(url).bearer_auth(&bearer).send().await?.json().await?;
                    items += page["items"].as_array().map_or(0, |a| a.len() as u64);
                    if page["has_more"].as_bool() != Some(true) {
                        break;
                    }
                    cursor = page["next_cursor"].as_str().map(str::to_owned);
                }
            }
        }
    }
    Ok((items, started.elapsed()))
}

fn batch_of(source: zorgsignaal::domain::Source, brin: &Brin, stream: &str, page: SourcePage) -> PageBatch {
    let mut b = PageBatch::new(source, brin.clone(), stream);
    for r in page.records {
        match r.parsed {
            Ok(Record::Result(x)) => b.results.push(x),
            Ok(Record::Note(x)) => b.notes.push(x),
            Ok(Record::Plan(x)) => b.plans.push(x),
            Ok(Record::DyslexiaStatement(x)) => b.dyslexia_statements.push(x),
            Ok(Record::Absence(x)) => b.absences.push(x),
            Ok(Record::SocialEmotional(x)) => b.social_emotional.push(x),
            Err(_) => {}
        }
    }
    b.tombstones = Vec::<Tombstone>::new();
    b.new_cursor = page.next.to_stored();
    b.finished = !page.has_more;
    b
}

/// Pupils first (untimed), as a sync would: the GKV snapshots of every school.
async fn snapshots(
    board: &MockBoard,
    store: Arc<dyn Store>,
    today: chrono::NaiveDate,
) -> anyhow::Result<SyncEngine> {
    let e = engine(board, store)?;
    let mut opts = SyncOptions::new(today);
    opts.source = Some(zorgsignaal::domain::Source::ParnassysGkv);
    let summary = e.run_once(&opts, &NoProgress).await;
    anyhow::ensure!(!summary.any_failed(), "snapshots failed:\n{}", summary.render());
    Ok(e)
}

/// Every REST page of every school, normalised as the sync does it (fetched once, untimed).
async fn fetch_batches(board: &MockBoard, e: &SyncEngine, page_size: u32) -> anyhow::Result<Vec<PageBatch>> {
    let (ps, lu) = (e.parnassys().context("ps")?, e.leeruniek().context("lu")?);
    let mut batches = Vec::new();
    for b in board.schools() {
        let c = board.credentials(&b).context("credentials")?;
        let brin = Brin::parse(&b)?;
        let pt = tokens(ps.http(), &board.parnassys_url(), &c.parnassys.0, &c.parnassys.1)?;
        let lt = tokens(lu.http(), &board.leeruniek_url(), &c.leeruniek.0, &c.leeruniek.1)?;
        for s in ParnassysStream::ALL {
            let mut at = FeedPosition::Start;
            loop {
                let page = ps.page(&brin, &pt, s, &at, page_size).await?;
                at = page.next.clone();
                let more = page.has_more;
                batches.push(batch_of(
                    zorgsignaal::domain::Source::Parnassys,
                    &brin,
                    s.name(),
                    page,
                ));
                if !more {
                    break;
                }
            }
        }
        let mut cats = NoteCategories::default();
        for s in LeeruniekStream::ALL {
            let mut at = FeedPosition::Start;
            loop {
                let page = lu.page(&brin, &lt, s, &at, page_size, &mut cats).await?;
                at = page.next.clone();
                let more = page.has_more;
                batches.push(batch_of(
                    zorgsignaal::domain::Source::Leeruniek,
                    &brin,
                    s.name(),
                    page,
                ));
                if !more {
                    break;
                }
            }
        }
    }
    Ok(batches)
}

/// Records of a page: every kind the store writes (results, notes, plans, dyslexieverklaringen,
/// absences, social-emotional measurements).
fn page_records(b: &PageBatch) -> u64 {
    (b.results.len()
        + b.notes.len()
        + b.plans.len()
        + b.dyslexia_statements.len()
        + b.absences.len()
        + b.social_emotional.len()) as u64
}

fn records_of(batches: &[PageBatch]) -> u64 {
    batches.iter().map(page_records).sum()
}

/// Limit 2: the same normalised pages applied to a fresh store (its pupils loaded first, untimed).
async fn store_limit(
    board: &MockBoard,
    store: Arc<dyn Store>,
    batches: &[PageBatch],
    today: chrono::NaiveDate,
) -> anyhow::Result<(u64, Duration)> {
    snapshots(board, store.clone(), today).await?;
    let started = Instant::now();
    for b in batches {
        store.apply_page(b).await?;
    }
    Ok((records_of(batches), started.elapsed()))
}

/// Prints one measurement as a JSON line (for scripts) after its table row.
fn emit(engine: &str, step: &str, records: u64, wall: Duration, extra: serde_json::Value) {
    let seconds = wall.as_secs_f64();
    let mut line = serde_json::json!({
        "engine": engine,
        "step": step,
        "records": records,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "per_s": (records as f64 / seconds).round(),
    });
    if let (Some(line), serde_json::Value::Object(extra)) = (line.as_object_mut(), extra) {
        line.extend(extra);
    }
    println!("{line}");
}

async fn run_engine(
    label: &str,
    board: &MockBoard,
    url: &str,
    args: &Args,
    today: chrono::NaiveDate,
    concurrency: usize,
) -> anyhow::Result<()> {
    let store = store::open(url).await?;
    store.migrate().await?;
    let e = engine(board, store.clone())?;
    let mut opts = SyncOptions::new(today);
    opts.page_size = args.page_size;
    opts.concurrency = concurrency;
    board.reset_counters();
    let started = Instant::now();
    let full = e.run_once(&opts, &NoProgress).await;
    let wall = started.elapsed();
    anyhow::ensure!(!full.any_failed(), "full sync failed:\n{}", full.render());
    let reqs = requests(board);
    println!(
        "| {label} full sync, {concurrency} at a time | {} records in {:.2} s = **{:.0} records/s**, {reqs} requests, peak RSS {} MiB |",
        full.records(),
        wall.as_secs_f64(),
        full.records() as f64 / wall.as_secs_f64(),
        peak_rss_mib()
    );
    let key = label.to_ascii_lowercase();
    emit(
        &key,
        "full_sync",
        full.records() as u64,
        wall,
        serde_json::json!({"concurrency": concurrency, "requests": reqs, "peak_rss_mib": peak_rss_mib()}),
    );
    board.reset_counters();
    let started = Instant::now();
    let idle = e.run_once(&opts, &NoProgress).await;
    let wall = started.elapsed();
    anyhow::ensure!(!idle.any_failed(), "incremental sync failed");
    let counts = board.request_counts();
    let stream_reads: u64 = counts
        .iter()
        .filter(|(k, _)| !k.ends_with(".oauth"))
        .map(|(_, v)| *v)
        .sum();
    println!(
        "| {label} no-change incremental, {concurrency} at a time | {:.3} s, {} requests per school ({} streams incl. GKV), {} records |",
        wall.as_secs_f64(),
        stream_reads as f64 / args.schools as f64,
        ParnassysStream::ALL.len() + LeeruniekStream::ALL.len() + 1,
        idle.records()
    );
    emit(
        &key,
        "incremental",
        idle.records() as u64,
        wall,
        serde_json::json!({"concurrency": concurrency, "requests": stream_reads}),
    );
    store.close().await;
    Ok(())
}

/// Prints a limit's table row and JSON line.
fn limit_row(label: &str, step: &str, what: &str, records: u64, wall: Duration) {
    println!(
        "| limit: {label} {what} | {records} records in {:.2} s = **{:.0} records/s** |",
        wall.as_secs_f64(),
        records as f64 / wall.as_secs_f64()
    );
    emit(
        &label.to_ascii_lowercase(),
        step,
        records,
        wall,
        serde_json::json!({}),
    );
}

/// Creates (fresh) or drops a scratch database next to `admin`; returns its URL.
async fn scratch_db(admin: &str, name: &str, create: bool) -> anyhow::Result<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .execute(&mut conn)
        .await?;
    if create {
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
    }
    conn.close().await?;
    // Connection parameters (`?options=…`) of the admin URL apply to the scratch database too.
    let (path, query) = admin.split_once('?').map_or((admin, None), |(p, q)| (p, Some(q)));
    let base = path.rsplit_once('/').map_or(path, |(b, _)| b);
    Ok(match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(urls) = &args.mock_urls {
        return external(&args, urls).await;
    }
    let params = GenParams {
        schools: args.schools,
        pupils_per_school: args.pupils,
        years: args.years,
        planted: false,
        ..GenParams::default()
    };
    let started = Instant::now();
    let board = MockBoard::start(MockConfig::generated(params.clone())).await?;
    let today = params.as_of;
    println!(
        "board: {} schools × {} pupils × {} years, generated and served in {:.2} s; page size {}",
        args.schools,
        args.pupils,
        args.years,
        started.elapsed().as_secs_f64(),
        args.page_size
    );
    println!("| step | result |\n|---|---|");
    let dir = tempfile::tempdir()?;
    let mut batches = Vec::new();
    if !args.skip_limits {
        let (items, wall) = mock_limit(&board, args.page_size).await?;
        println!(
            "| limit: mock alone, bare client | {items} items in {:.2} s = **{:.0} items/s** |",
            wall.as_secs_f64(),
            items as f64 / wall.as_secs_f64()
        );
        emit("mock", "mock_limit", items, wall, serde_json::json!({}));
        let url = format!("sqlite://{}", dir.path().join("limit.db").display());
        let s = store::open(&url).await?;
        s.migrate().await?;
        let e = snapshots(&board, s.clone(), today).await?;
        batches = fetch_batches(&board, &e, args.page_size).await?;
        drop(e);
        s.close().await;

        let pool = engine_limit::sqlite(&dir.path().join("engine_limit.db")).await?;
        let started = Instant::now();
        for b in &batches {
            engine_limit::sqlite_page(&pool, b).await?;
        }
        let wall = started.elapsed();
        pool.close().await;
        limit_row(
            "SQLite",
            "engine_limit",
            "minimal set-based writer",
            records_of(&batches),
            wall,
        );

        let url = format!("sqlite://{}", dir.path().join("store_limit.db").display());
        let s = store::open(&url).await?;
        s.migrate().await?;
        let (records, wall) = store_limit(&board, s.clone(), &batches, today).await?;
        s.close().await;
        limit_row("SQLite", "store_limit", "store alone (apply_page)", records, wall);
    }
    for (i, concurrency) in args.concurrency.iter().enumerate() {
        let url = format!("sqlite://{}", dir.path().join(format!("sync{i}.db")).display());
        run_engine("SQLite", &board, &url, &args, today, *concurrency).await?;
    }
    if let Some(admin) = &args.postgres {
        if !args.skip_limits {
            let limit_url = scratch_db(admin, "zs_bench_limit", true).await?;
            let pool = engine_limit::postgres(&limit_url).await?;
            let started = Instant::now();
            for b in &batches {
                engine_limit::postgres_page(&pool, b).await?;
            }
            let wall = started.elapsed();
            pool.close().await;
            limit_row(
                "PostgreSQL",
                "engine_limit",
                "minimal set-based writer",
                records_of(&batches),
                wall,
            );

            let limit_url = scratch_db(admin, "zs_bench_limit", true).await?;
            let s = store::open(&limit_url).await?;
            s.migrate().await?;
            let (records, wall) = store_limit(&board, s.clone(), &batches, today).await?;
            s.close().await;
            limit_row(
                "PostgreSQL",
                "store_limit",
                "store alone (apply_page)",
                records,
                wall,
            );
        }
        for concurrency in &args.concurrency {
            let sync_url = scratch_db(admin, "zs_bench_sync", true).await?;
            run_engine("PostgreSQL", &board, &sync_url, &args, today, *concurrency).await?;
        }
        scratch_db(admin, "zs_bench_limit", false).await?;
        scratch_db(admin, "zs_bench_sync", false).await?;
    }
    Ok(())
}

/// Limit 3, independent of the store: a minimal set-based writer of the same normalised pages into
/// tables keyed like the store's (`UNIQUE (source, school, external_id)`, the same secondary
/// indexes), one transaction per page with the page's upserts and a cursor row. Pupils stay source
/// ids (no lookup), a plan's evaluations are one JSON column, nothing is compared first: this is
/// what the engine does with these rows at best, not what the store must do.
mod engine_limit {
    use chrono::{DateTime, Utc};
    use sqlx::{PgPool, QueryBuilder, Sqlite, SqlitePool};
    use zorgsignaal::store::PageBatch;

    const CHUNK: usize = 500;

    const SQLITE_SCHEMA: &[&str] = &[
        "CREATE TABLE lim_results (id INTEGER PRIMARY KEY, source TEXT NOT NULL, school TEXT NOT NULL,
           external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL, content_key TEXT NOT NULL,
           test_code TEXT NOT NULL, part_code TEXT, test_name TEXT NOT NULL, provider TEXT,
           taken_on TEXT NOT NULL, stated_moment TEXT, raw_score REAL, ability_value REAL,
           ability_scale TEXT, reference_scores TEXT NOT NULL, created_at TEXT NOT NULL,
           updated_at TEXT NOT NULL, UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_results_content_key ON lim_results (content_key)",
        "CREATE INDEX lim_results_pupil ON lim_results (school, pupil_external_id)",
        "CREATE TABLE lim_notes (id INTEGER PRIMARY KEY, source TEXT NOT NULL, school TEXT NOT NULL,
           external_id TEXT NOT NULL, pupil_external_id TEXT, group_external_id TEXT,
           category_path TEXT NOT NULL, written_at TEXT NOT NULL, content TEXT NOT NULL,
           created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_notes_pupil ON lim_notes (school, pupil_external_id)",
        "CREATE TABLE lim_plans (id INTEGER PRIMARY KEY, source TEXT NOT NULL, school TEXT NOT NULL,
           external_id TEXT NOT NULL, pupil_external_id TEXT, group_external_id TEXT, kind TEXT NOT NULL,
           domain TEXT, title TEXT NOT NULL, owner TEXT, care_level TEXT, start_on TEXT NOT NULL,
           end_on TEXT, evaluation_due TEXT, minutes_per_week INTEGER, evaluations TEXT NOT NULL,
           created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_plans_pupil ON lim_plans (school, pupil_external_id)",
        "CREATE INDEX lim_plans_group ON lim_plans (school, group_external_id)",
        "CREATE TABLE lim_absences (id INTEGER PRIMARY KEY, source TEXT NOT NULL, school TEXT NOT NULL,
           external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL, absent_on TEXT NOT NULL,
           hours REAL NOT NULL, kind TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
           UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_absences_pupil ON lim_absences (school, pupil_external_id, absent_on)",
        "CREATE TABLE lim_social_emotional (id INTEGER PRIMARY KEY, source TEXT NOT NULL, school TEXT NOT NULL,
           external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL, instrument TEXT NOT NULL,
           scale TEXT NOT NULL, measured_on TEXT NOT NULL, category INTEGER NOT NULL,
           created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_social_emotional_pupil ON lim_social_emotional (school, pupil_external_id, measured_on)",
        "CREATE TABLE lim_dyslexia (id INTEGER PRIMARY KEY, source TEXT NOT NULL, school TEXT NOT NULL,
           external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL, stated_on TEXT,
           created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_dyslexia_pupil ON lim_dyslexia (school, pupil_external_id)",
        "CREATE TABLE lim_cursors (source TEXT NOT NULL, school TEXT NOT NULL, stream TEXT NOT NULL,
           cursor TEXT, records INTEGER NOT NULL, updated_at TEXT NOT NULL,
           PRIMARY KEY (source, school, stream))",
    ];

    const PG_SCHEMA: &[&str] = &[
        "CREATE TABLE lim_results (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL,
           school TEXT NOT NULL, external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL,
           content_key TEXT NOT NULL, test_code TEXT NOT NULL, part_code TEXT, test_name TEXT NOT NULL,
           provider TEXT, taken_on DATE NOT NULL, stated_moment TEXT, raw_score DOUBLE PRECISION,
           ability_value DOUBLE PRECISION, ability_scale TEXT, reference_scores TEXT NOT NULL,
           created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
           UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_results_content_key ON lim_results (content_key)",
        "CREATE INDEX lim_results_pupil ON lim_results (school, pupil_external_id)",
        "CREATE TABLE lim_notes (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL,
           school TEXT NOT NULL, external_id TEXT NOT NULL, pupil_external_id TEXT, group_external_id TEXT,
           category_path TEXT NOT NULL, written_at TIMESTAMPTZ NOT NULL, content TEXT NOT NULL,
           created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
           UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_notes_pupil ON lim_notes (school, pupil_external_id)",
        "CREATE TABLE lim_plans (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL,
           school TEXT NOT NULL, external_id TEXT NOT NULL, pupil_external_id TEXT, group_external_id TEXT,
           kind TEXT NOT NULL, domain TEXT, title TEXT NOT NULL, owner TEXT, care_level TEXT,
           start_on DATE NOT NULL, end_on DATE, evaluation_due DATE, minutes_per_week BIGINT,
           evaluations TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
           UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_plans_pupil ON lim_plans (school, pupil_external_id)",
        "CREATE INDEX lim_plans_group ON lim_plans (school, group_external_id)",
        "CREATE TABLE lim_absences (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL,
           school TEXT NOT NULL, external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL,
           absent_on DATE NOT NULL, hours DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
           created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
           UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_absences_pupil ON lim_absences (school, pupil_external_id, absent_on)",
        "CREATE TABLE lim_social_emotional (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
           source TEXT NOT NULL, school TEXT NOT NULL, external_id TEXT NOT NULL,
           pupil_external_id TEXT NOT NULL, instrument TEXT NOT NULL, scale TEXT NOT NULL,
           measured_on DATE NOT NULL, category SMALLINT NOT NULL, created_at TIMESTAMPTZ NOT NULL,
           updated_at TIMESTAMPTZ NOT NULL, UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_social_emotional_pupil ON lim_social_emotional (school, pupil_external_id, measured_on)",
        "CREATE TABLE lim_dyslexia (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, source TEXT NOT NULL,
           school TEXT NOT NULL, external_id TEXT NOT NULL, pupil_external_id TEXT NOT NULL, stated_on DATE,
           created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
           UNIQUE (source, school, external_id))",
        "CREATE INDEX lim_dyslexia_pupil ON lim_dyslexia (school, pupil_external_id)",
        "CREATE TABLE lim_cursors (source TEXT NOT NULL, school TEXT NOT NULL, stream TEXT NOT NULL,
           cursor TEXT, records BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
           PRIMARY KEY (source, school, stream))",
    ];

    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }

    fn records(b: &PageBatch) -> i64 {
        super::page_records(b) as i64
    }

    /// Creates the tables in a fresh SQLite file (same pragmas as the store: WAL, synchronous NORMAL).
    pub async fn sqlite(path: &std::path::Path) -> anyhow::Result<SqlitePool> {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        for sql in SQLITE_SCHEMA {
            sqlx::query(*sql).execute(&pool).await?;
        }
        Ok(pool)
    }

    /// Creates the tables in a fresh PostgreSQL database.
    pub async fn postgres(url: &str) -> anyhow::Result<PgPool> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(url)
            .await?;
        for sql in PG_SCHEMA {
            sqlx::query(*sql).execute(&pool).await?;
        }
        Ok(pool)
    }

    /// One page on SQLite: multi-row `INSERT … ON CONFLICT DO UPDATE` per table, then the cursor.
    pub async fn sqlite_page(pool: &SqlitePool, b: &PageBatch) -> anyhow::Result<()> {
        let now: DateTime<Utc> = Utc::now();
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        for chunk in b.results.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO lim_results (source, school, external_id, pupil_external_id, content_key, test_code,
                   part_code, test_name, provider, taken_on, stated_moment, raw_score, ability_value,
                   ability_scale, reference_scores, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut row, r| {
                row.push_bind(r.source.as_str().to_owned())
                    .push_bind(r.school.as_str().to_owned())
                    .push_bind(r.external_id.clone())
                    .push_bind(r.pupil_external_id.clone())
                    .push_bind(r.content_key())
                    .push_bind(r.test_code.clone())
                    .push_bind(r.part_code.clone())
                    .push_bind(r.test_name.clone())
                    .push_bind(r.provider.clone())
                    .push_bind(r.taken_on)
                    .push_bind(r.stated_moment.as_ref().map(json))
                    .push_bind(r.raw_score)
                    .push_bind(r.ability.as_ref().map(|a| a.value))
                    .push_bind(r.ability.as_ref().map(|a| a.scale.clone()))
                    .push_bind(json(&r.reference_scores))
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   content_key = excluded.content_key, test_code = excluded.test_code, part_code = excluded.part_code,
                   test_name = excluded.test_name, provider = excluded.provider, taken_on = excluded.taken_on,
                   stated_moment = excluded.stated_moment, raw_score = excluded.raw_score,
                   ability_value = excluded.ability_value, ability_scale = excluded.ability_scale,
                   reference_scores = excluded.reference_scores, updated_at = excluded.updated_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in b.notes.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO lim_notes (source, school, external_id, pupil_external_id, group_external_id,
                   category_path, written_at, content, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut row, n| {
                row.push_bind(n.source.as_str().to_owned())
                    .push_bind(n.school.as_str().to_owned())
                    .push_bind(n.external_id.clone())
                    .push_bind(n.pupil_external_id.clone())
                    .push_bind(n.group_external_id.clone())
                    .push_bind(json(&n.category_path))
                    .push_bind(n.created_at)
                    .push_bind(n.content.clone())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   group_external_id = excluded.group_external_id, category_path = excluded.category_path,
                   written_at = excluded.written_at, content = excluded.content, updated_at = excluded.updated_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in b.plans.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO lim_plans (source, school, external_id, pupil_external_id, group_external_id, kind,
                   domain, title, owner, care_level, start_on, end_on, evaluation_due, minutes_per_week,
                   evaluations, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut row, p| {
                row.push_bind(p.source.as_str().to_owned())
                    .push_bind(p.school.as_str().to_owned())
                    .push_bind(p.external_id.clone())
                    .push_bind(p.pupil_external_id.clone())
                    .push_bind(p.group_external_id.clone())
                    .push_bind(p.kind.as_str().to_owned())
                    .push_bind(p.domain.map(|d| d.as_str().to_owned()))
                    .push_bind(p.title.clone())
                    .push_bind(p.owner.clone())
                    .push_bind(p.care_level.clone())
                    .push_bind(p.start)
                    .push_bind(p.end)
                    .push_bind(p.evaluation_due)
                    .push_bind(p.minutes_per_week.map(i64::from))
                    .push_bind(json(&p.evaluations))
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   group_external_id = excluded.group_external_id, kind = excluded.kind, domain = excluded.domain,
                   title = excluded.title, owner = excluded.owner, care_level = excluded.care_level,
                   start_on = excluded.start_on, end_on = excluded.end_on, evaluation_due = excluded.evaluation_due,
                   minutes_per_week = excluded.minutes_per_week, evaluations = excluded.evaluations,
                   updated_at = excluded.updated_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in b.absences.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO lim_absences (source, school, external_id, pupil_external_id, absent_on, hours, kind,
                   created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut row, a| {
                row.push_bind(a.source.as_str().to_owned())
                    .push_bind(a.school.as_str().to_owned())
                    .push_bind(a.external_id.clone())
                    .push_bind(a.pupil_external_id.clone())
                    .push_bind(a.on)
                    .push_bind(a.hours)
                    .push_bind(a.kind.as_str().to_owned())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   absent_on = excluded.absent_on, hours = excluded.hours, kind = excluded.kind,
                   updated_at = excluded.updated_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in b.social_emotional.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO lim_social_emotional (source, school, external_id, pupil_external_id, instrument,
                   scale, measured_on, category, created_at, updated_at) ",
            );
            qb.push_values(chunk, |mut row, m| {
                row.push_bind(m.source.as_str().to_owned())
                    .push_bind(m.school.as_str().to_owned())
                    .push_bind(m.external_id.clone())
                    .push_bind(m.pupil_external_id.clone())
                    .push_bind(m.instrument.as_str().to_owned())
                    .push_bind(m.scale.clone())
                    .push_bind(m.measured_on)
                    .push_bind(i16::from(m.category))
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   instrument = excluded.instrument, scale = excluded.scale, measured_on = excluded.measured_on,
                   category = excluded.category, updated_at = excluded.updated_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        for chunk in b.dyslexia_statements.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Sqlite>::new(
                "INSERT INTO lim_dyslexia (source, school, external_id, pupil_external_id, stated_on, created_at,
                   updated_at) ",
            );
            qb.push_values(chunk, |mut row, d| {
                row.push_bind(d.source.as_str().to_owned())
                    .push_bind(d.school.as_str().to_owned())
                    .push_bind(d.external_id.clone())
                    .push_bind(d.pupil_external_id.clone())
                    .push_bind(d.on)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   stated_on = excluded.stated_on, updated_at = excluded.updated_at",
            );
            qb.build().execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO lim_cursors (source, school, stream, cursor, records, updated_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (source, school, stream) DO UPDATE SET cursor = excluded.cursor,
               records = lim_cursors.records + excluded.records, updated_at = excluded.updated_at",
        )
        .bind(b.source.as_str())
        .bind(b.school.as_str())
        .bind(&b.stream)
        .bind(&b.new_cursor)
        .bind(records(b))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One page on PostgreSQL: `INSERT … SELECT FROM UNNEST(arrays) ON CONFLICT DO UPDATE` per
    /// table (one fixed statement each), then the cursor.
    pub async fn postgres_page(pool: &PgPool, b: &PageBatch) -> anyhow::Result<()> {
        let now: DateTime<Utc> = Utc::now();
        let mut tx = pool.begin().await?;
        if !b.results.is_empty() {
            let r = &b.results;
            sqlx::query(
                "INSERT INTO lim_results (source, school, external_id, pupil_external_id, content_key, test_code,
                   part_code, test_name, provider, taken_on, stated_moment, raw_score, ability_value,
                   ability_scale, reference_scores, created_at, updated_at)
                 SELECT s.*, $16, $16 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::date[], $11::text[], $12::float8[],
                   $13::float8[], $14::text[], $15::text[]) AS s
                 ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   content_key = excluded.content_key, test_code = excluded.test_code, part_code = excluded.part_code,
                   test_name = excluded.test_name, provider = excluded.provider, taken_on = excluded.taken_on,
                   stated_moment = excluded.stated_moment, raw_score = excluded.raw_score,
                   ability_value = excluded.ability_value, ability_scale = excluded.ability_scale,
                   reference_scores = excluded.reference_scores, updated_at = excluded.updated_at",
            )
            .bind(r.iter().map(|x| x.source.as_str().to_owned()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.school.as_str().to_owned()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.external_id.clone()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.pupil_external_id.clone()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.content_key()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.test_code.clone()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.part_code.clone()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.test_name.clone()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.provider.clone()).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.taken_on).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.stated_moment.as_ref().map(json)).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.raw_score).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.ability.as_ref().map(|a| a.value)).collect::<Vec<_>>())
            .bind(r.iter().map(|x| x.ability.as_ref().map(|a| a.scale.clone())).collect::<Vec<_>>())
            .bind(r.iter().map(|x| json(&x.reference_scores)).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !b.notes.is_empty() {
            let n = &b.notes;
            sqlx::query(
                "INSERT INTO lim_notes (source, school, external_id, pupil_external_id, group_external_id,
                   category_path, written_at, content, created_at, updated_at)
                 SELECT s.*, $9, $9 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::timestamptz[], $8::text[]) AS s
                 ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   group_external_id = excluded.group_external_id, category_path = excluded.category_path,
                   written_at = excluded.written_at, content = excluded.content, updated_at = excluded.updated_at",
            )
            .bind(n.iter().map(|x| x.source.as_str().to_owned()).collect::<Vec<_>>())
            .bind(n.iter().map(|x| x.school.as_str().to_owned()).collect::<Vec<_>>())
            .bind(n.iter().map(|x| x.external_id.clone()).collect::<Vec<_>>())
            .bind(n.iter().map(|x| x.pupil_external_id.clone()).collect::<Vec<_>>())
            .bind(n.iter().map(|x| x.group_external_id.clone()).collect::<Vec<_>>())
            .bind(n.iter().map(|x| json(&x.category_path)).collect::<Vec<_>>())
            .bind(n.iter().map(|x| x.created_at).collect::<Vec<_>>())
            .bind(n.iter().map(|x| x.content.clone()).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !b.plans.is_empty() {
            let p = &b.plans;
            sqlx::query(
                "INSERT INTO lim_plans (source, school, external_id, pupil_external_id, group_external_id, kind,
                   domain, title, owner, care_level, start_on, end_on, evaluation_due, minutes_per_week,
                   evaluations, created_at, updated_at)
                 SELECT s.*, $16, $16 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::date[], $12::date[],
                   $13::date[], $14::int8[], $15::text[]) AS s
                 ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   group_external_id = excluded.group_external_id, kind = excluded.kind, domain = excluded.domain,
                   title = excluded.title, owner = excluded.owner, care_level = excluded.care_level,
                   start_on = excluded.start_on, end_on = excluded.end_on, evaluation_due = excluded.evaluation_due,
                   minutes_per_week = excluded.minutes_per_week, evaluations = excluded.evaluations,
                   updated_at = excluded.updated_at",
            )
            .bind(p.iter().map(|x| x.source.as_str().to_owned()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.school.as_str().to_owned()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.external_id.clone()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.pupil_external_id.clone()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.group_external_id.clone()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.kind.as_str().to_owned()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.domain.map(|d| d.as_str().to_owned())).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.title.clone()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.owner.clone()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.care_level.clone()).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.start).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.end).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.evaluation_due).collect::<Vec<_>>())
            .bind(p.iter().map(|x| x.minutes_per_week.map(i64::from)).collect::<Vec<_>>())
            .bind(p.iter().map(|x| json(&x.evaluations)).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !b.absences.is_empty() {
            let a = &b.absences;
            sqlx::query(
                "INSERT INTO lim_absences (source, school, external_id, pupil_external_id, absent_on, hours, kind,
                   created_at, updated_at)
                 SELECT s.*, $8, $8 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[],
                   $6::float8[], $7::text[]) AS s
                 ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   absent_on = excluded.absent_on, hours = excluded.hours, kind = excluded.kind,
                   updated_at = excluded.updated_at",
            )
            .bind(a.iter().map(|x| x.source.as_str().to_owned()).collect::<Vec<_>>())
            .bind(a.iter().map(|x| x.school.as_str().to_owned()).collect::<Vec<_>>())
            .bind(a.iter().map(|x| x.external_id.clone()).collect::<Vec<_>>())
            .bind(a.iter().map(|x| x.pupil_external_id.clone()).collect::<Vec<_>>())
            .bind(a.iter().map(|x| x.on).collect::<Vec<_>>())
            .bind(a.iter().map(|x| x.hours).collect::<Vec<_>>())
            .bind(a.iter().map(|x| x.kind.as_str().to_owned()).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !b.social_emotional.is_empty() {
            let m = &b.social_emotional;
            sqlx::query(
                "INSERT INTO lim_social_emotional (source, school, external_id, pupil_external_id, instrument,
                   scale, measured_on, category, created_at, updated_at)
                 SELECT s.*, $9, $9 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                   $6::text[], $7::date[], $8::int2[]) AS s
                 ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   instrument = excluded.instrument, scale = excluded.scale, measured_on = excluded.measured_on,
                   category = excluded.category, updated_at = excluded.updated_at",
            )
            .bind(m.iter().map(|x| x.source.as_str().to_owned()).collect::<Vec<_>>())
            .bind(m.iter().map(|x| x.school.as_str().to_owned()).collect::<Vec<_>>())
            .bind(m.iter().map(|x| x.external_id.clone()).collect::<Vec<_>>())
            .bind(m.iter().map(|x| x.pupil_external_id.clone()).collect::<Vec<_>>())
            .bind(m.iter().map(|x| x.instrument.as_str().to_owned()).collect::<Vec<_>>())
            .bind(m.iter().map(|x| x.scale.clone()).collect::<Vec<_>>())
            .bind(m.iter().map(|x| x.measured_on).collect::<Vec<_>>())
            .bind(m.iter().map(|x| i16::from(x.category)).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if !b.dyslexia_statements.is_empty() {
            let d = &b.dyslexia_statements;
            sqlx::query(
                "INSERT INTO lim_dyslexia (source, school, external_id, pupil_external_id, stated_on, created_at,
                   updated_at)
                 SELECT s.*, $6, $6 FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::date[]) AS s
                 ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_external_id = excluded.pupil_external_id,
                   stated_on = excluded.stated_on, updated_at = excluded.updated_at",
            )
            .bind(d.iter().map(|x| x.source.as_str().to_owned()).collect::<Vec<_>>())
            .bind(d.iter().map(|x| x.school.as_str().to_owned()).collect::<Vec<_>>())
            .bind(d.iter().map(|x| x.external_id.clone()).collect::<Vec<_>>())
            .bind(d.iter().map(|x| x.pupil_external_id.clone()).collect::<Vec<_>>())
            .bind(d.iter().map(|x| x.on).collect::<Vec<_>>())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO lim_cursors (source, school, stream, cursor, records, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (source, school, stream) DO UPDATE SET cursor = excluded.cursor,
               records = lim_cursors.records + excluded.records, updated_at = excluded.updated_at",
        )
        .bind(b.source.as_str())
        .bind(b.school.as_str())
        .bind(&b.stream)
        .bind(&b.new_cursor)
        .bind(records(b))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
