//! `sync_bench`: full and no-change incremental sync of a generated board from the mock servers on
//! loopback into SQLite (and PostgreSQL with `--postgres URL`), next to the two limits measured in
//! the same run: the mock alone serving every page to a minimal client, and the store alone
//! ingesting the same normalised pages. Figures go to `docs/BENCHMARKS.md` ("Sync").
//!
//! `cargo run --example sync_bench -- [--schools N] [--pupils N] [--years N] [--page-size N]
//! [--postgres postgres://…/db]` (add `--release` where the machine allows it).

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
    /// Schools synced at the same time.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Skip the two limit measurements (so peak RSS shows the sync and the in-process mock only).
    #[arg(long)]
    skip_limits: bool,
    /// Also run on PostgreSQL: an admin URL (scratch databases are created and dropped).
    #[arg(long)]
    postgres: Option<String>,
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

fn requests(board: &MockBoard) -> u64 {
    board.request_counts().values().sum()
}

/// Limit 1: every REST page of every school through a bare reqwest client (JSON parsed, nothing else).
async fn mock_limit(board: &MockBoard, page_size: u32) -> anyhow::Result<(u64, Duration)> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut items = 0u64;
    for b in board.schools() {
        let c = board.credentials(&b).context("credentials")?;
        for (base, (id, secret), prefix, paths) in [
            (
                board.parnassys_url(),
                c.parnassys.clone(),
                "scholen",
                &["resultaten", "notities", "plannen"][..],
            ),
            (
                board.leeruniek_url(),
                c.leeruniek.clone(),
                "schools",
                &["group-plans", "notes"][..],
            ),
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
            Err(_) => {}
        }
    }
    b.tombstones = Vec::<Tombstone>::new();
    b.new_cursor = page.next.to_stored();
    b.finished = !page.has_more;
    b
}

/// Limit 2: the same normalised pages (fetched first, untimed) applied to a fresh store.
async fn store_limit(
    board: &MockBoard,
    store: Arc<dyn Store>,
    page_size: u32,
    today: chrono::NaiveDate,
) -> anyhow::Result<(u64, Duration)> {
    let e = engine(board, store.clone())?;
    // Pupils first (untimed), as a sync would.
    let mut opts = SyncOptions::new(today);
    opts.source = Some(zorgsignaal::domain::Source::ParnassysGkv);
    e.run_once(&opts, &NoProgress).await;
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
    let records: u64 = batches
        .iter()
        .map(|b| (b.results.len() + b.notes.len() + b.plans.len()) as u64)
        .sum();
    let started = Instant::now();
    for b in &batches {
        store.apply_page(b).await?;
    }
    Ok((records, started.elapsed()))
}

async fn run_engine(
    label: &str,
    board: &MockBoard,
    url: &str,
    args: &Args,
    today: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let store = store::open(url).await?;
    store.migrate().await?;
    let e = engine(board, store.clone())?;
    let mut opts = SyncOptions::new(today);
    opts.page_size = args.page_size;
    opts.concurrency = args.concurrency;
    board.reset_counters();
    let started = Instant::now();
    let full = e.run_once(&opts, &NoProgress).await;
    let wall = started.elapsed();
    anyhow::ensure!(!full.any_failed(), "full sync failed:\n{}", full.render());
    let reqs = requests(board);
    println!(
        "| {label} full sync | {} records in {:.2} s = **{:.0} records/s**, {reqs} requests, peak RSS {} MiB |",
        full.records(),
        wall.as_secs_f64(),
        full.records() as f64 / wall.as_secs_f64(),
        peak_rss_mib()
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
        "| {label} no-change incremental | {:.3} s, {} requests per school ({} streams incl. GKV), {} records |",
        wall.as_secs_f64(),
        stream_reads as f64 / args.schools as f64,
        6,
        idle.records()
    );
    store.close().await;
    Ok(())
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
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Ok(format!("{base}/{name}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
    if !args.skip_limits {
        let (items, wall) = mock_limit(&board, args.page_size).await?;
        println!(
            "| limit: mock alone, bare client | {items} items in {:.2} s = **{:.0} items/s** |",
            wall.as_secs_f64(),
            items as f64 / wall.as_secs_f64()
        );
        let url = format!("sqlite://{}", dir.path().join("limit.db").display());
        let s = store::open(&url).await?;
        s.migrate().await?;
        let (records, wall) = store_limit(&board, s.clone(), args.page_size, today).await?;
        s.close().await;
        println!(
            "| limit: SQLite store alone | {records} records in {:.2} s = **{:.0} records/s** |",
            wall.as_secs_f64(),
            records as f64 / wall.as_secs_f64()
        );
    }
    let url = format!("sqlite://{}", dir.path().join("sync.db").display());
    run_engine("SQLite", &board, &url, &args, today).await?;
    if let Some(admin) = &args.postgres {
        if !args.skip_limits {
            let limit_url = scratch_db(admin, "zs_bench_limit", true).await?;
            let s = store::open(&limit_url).await?;
            s.migrate().await?;
            let (records, wall) = store_limit(&board, s.clone(), args.page_size, today).await?;
            s.close().await;
            println!(
                "| limit: PostgreSQL store alone | {records} records in {:.2} s = **{:.0} records/s** |",
                wall.as_secs_f64(),
                records as f64 / wall.as_secs_f64()
            );
        }
        let sync_url = scratch_db(admin, "zs_bench_sync", true).await?;
        run_engine("PostgreSQL", &board, &sync_url, &args, today).await?;
        scratch_db(admin, "zs_bench_limit", false).await?;
        scratch_db(admin, "zs_bench_sync", false).await?;
    }
    Ok(())
}
