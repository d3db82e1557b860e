//! `mock-bench`: generates a board (default 100 schools × 250 pupils × 6 school years), loads it
//! into the servers, and pages result streams with a minimal keep-alive HTTP/1.1 client, reporting
//! generation time and page throughput. A binary rather than a `cargo bench` target so a release
//! build needs only the crate's normal dependencies.
//!
//! `cargo run --release -p mocks --bin mock-bench -- [--schools N] [--pupils N] [--years N]
//! [--read-schools N] [--limit N] [--clients N]`

use std::time::Instant;

use anyhow::{Context, bail};
use clap::Parser;
use mocks::generator::school::secret;
use mocks::{GenParams, MockBoard, MockConfig, fixture, generate};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;

/// Benchmark options.
#[derive(Debug, Parser)]
struct Args {
    /// Schools.
    #[arg(long, default_value_t = 100)]
    schools: usize,
    /// Pupils per school.
    #[arg(long, default_value_t = 250)]
    pupils: usize,
    /// School years.
    #[arg(long, default_value_t = 6)]
    years: u32,
    /// Schools whose results streams are paged.
    #[arg(long, default_value_t = 20)]
    read_schools: usize,
    /// Page size.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// Concurrent clients (each pages its share of the schools).
    #[arg(long, default_value_t = 2)]
    clients: usize,
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    io: BufStream<TcpStream>,
    host: String,
}

impl Conn {
    async fn open(base: &str) -> anyhow::Result<Self> {
        let host = base.trim_start_matches("http://").to_string();
        Ok(Self {
            io: BufStream::new(TcpStream::connect(&host).await?),
            host,
        })
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        self.io.write_all(head.as_bytes()).await?;
        self.io.write_all(body).await?;
        self.io.flush().await?;
        let mut line = String::new();
        self.io.read_line(&mut line).await?;
        let status: u16 = line.split_whitespace().nth(1).context("status line")?.parse()?;
        let mut length = None;
        loop {
            line.clear();
            self.io.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = Some(v.trim().parse::<usize>()?);
            }
        }
        let Some(length) = length else {
            bail!("response without content-length")
        };
        let mut body = vec![0; length];
        self.io.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let params = GenParams {
        seed: 42,
        schools: args.schools,
        pupils_per_school: args.pupils,
        years: args.years,
        ..GenParams::default()
    };
    let started = Instant::now();
    let (ds, expected) = generate(&params);
    let gen_secs = started.elapsed().as_secs_f64();
    let count = |f: &dyn Fn(&mocks::model::School) -> usize| ds.schools.iter().map(f).sum::<usize>();
    println!(
        "generate {}×{}×{}: {} pupils (past and present), {} results, {} notes, {} plans, {} planted expectations in {gen_secs:.2} s",
        args.schools,
        args.pupils,
        args.years,
        count(&|s| s.leerlingen.len()),
        count(&|s| s.resultaten.len()),
        count(&|s| s.notities.len() + s.lu_notes.len()),
        count(&|s| s.plannen.len() + s.lu_group_plans.len()),
        expected.len()
    );
    let started = Instant::now();
    let bytes = fixture::to_bytes(&ds)?;
    println!(
        "serialise fixture: {:.1} MB in {:.2} s",
        bytes.len() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    drop(bytes);
    let schools: Vec<String> = ds
        .schools
        .iter()
        .take(args.read_schools)
        .map(|s| s.brin.clone())
        .collect();
    let started = Instant::now();
    let board = MockBoard::start(MockConfig::fixture(ds)).await?;
    println!("load into servers: {:.2} s", started.elapsed().as_secs_f64());
    let base = board.parnassys_url();
    let mut conn = Conn::open(&base).await?;
    let form = format!(
        "grant_type=client_credentials&client_id=ps-board&client_secret={}",
        secret(42, "ps-board")
    );
    let (status, body) = conn
        .send(
            "POST",
            "/oauth/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        )
        .await?;
    if status != 200 {
        bail!("token request failed with {status}");
    }
    let token: serde_json::Value = serde_json::from_slice(&body)?;
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().context("access_token")?
    );
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..args.clients.max(1) {
        let mine: Vec<String> = schools
            .iter()
            .skip(w)
            .step_by(args.clients.max(1))
            .cloned()
            .collect();
        let (base, bearer, limit) = (base.clone(), bearer.clone(), args.limit);
        workers.push(tokio::spawn(async move {
            page_all(&base, &bearer, &mine, limit).await
        }));
    }
    let (mut pages, mut items, mut bytes_read, mut finals) = (0usize, 0usize, 0usize, Vec::new());
    for w in workers {
        let (p, i, b, f) = w.await??;
        pages += p;
        items += i;
        bytes_read += b;
        finals.extend(f);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "page results: {} schools, limit {}, {} clients: {pages} pages, {items} items, {:.1} MB in {secs:.2} s = {:.0} pages/s, {:.0} items/s, {:.1} MB/s",
        schools.len(),
        args.limit,
        args.clients,
        bytes_read as f64 / 1e6,
        pages as f64 / secs,
        items as f64 / secs,
        bytes_read as f64 / 1e6 / secs
    );
    // Idle incremental sync: one `since` request per stream, nothing changed.
    let rounds = 50;
    let started = Instant::now();
    for _ in 0..rounds {
        for (brin, cursor) in &finals {
            let path = format!("/api/v1/scholen/{brin}/resultaten?since={cursor}");
            let (status, body) = conn
                .send("GET", &path, &[("Authorization", &bearer)], b"")
                .await?;
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            if status != 200
                || page["has_more"] != false
                || page["items"].as_array().is_none_or(|i| !i.is_empty())
            {
                bail!("idle since request did not come back empty");
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let n = rounds * finals.len();
    println!(
        "idle change feed: {n} since-requests (nothing changed) in {secs:.2} s = {:.0} requests/s on one connection",
        n as f64 / secs
    );
    board.shutdown().await;
    Ok(())
}

async fn page_all(
    base: &str,
    bearer: &str,
    schools: &[String],
    limit: usize,
) -> anyhow::Result<(usize, usize, usize, Vec<(String, String)>)> {
    let mut conn = Conn::open(base).await?;
    let (mut pages, mut items, mut bytes, mut finals) = (0, 0, 0, Vec::new());
    for brin in schools {
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/scholen/{brin}/resultaten?limit={limit}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, body) = conn.send("GET", &path, &[("Authorization", bearer)], b"").await?;
            if status != 200 {
                bail!("page failed with {status}");
            }
            bytes += body.len();
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            pages += 1;
            items += page["items"].as_array().map_or(0, Vec::len);
            let next = page["next_cursor"].as_str().map(String::from);
            if page["has_more"] != true {
                finals.push((brin.clone(), next.unwrap_or_default()));
                break;
            }
            cursor = next;
        }
    }
    Ok((pages, items, bytes, finals))
}
