//! Benchmark: generate a board (default 100 schools × 250 pupils × 6 school years), then page the
//! results streams of a few schools over HTTP with a minimal client and report throughput.
//! Run: `cargo bench -p mocks --bench board` (env `BENCH_SCHOOLS`, `BENCH_PUPILS`, `BENCH_YEARS`,
//! `BENCH_READ_SCHOOLS`, `BENCH_LIMIT` override the sizes).

use std::time::Instant;

use mocks::{GenParams, MockBoard, MockConfig, fixture, generate};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let params = GenParams {
        seed: 42,
        schools: env("BENCH_SCHOOLS", 100),
        pupils_per_school: env("BENCH_PUPILS", 250),
        years: env("BENCH_YEARS", 6) as u32,
        ..GenParams::default()
    };
    let started = Instant::now();
    let (ds, expected) = generate(&params);
    let gen_secs = started.elapsed().as_secs_f64();
    let results: usize = ds.schools.iter().map(|s| s.resultaten.len()).sum();
    let pupils: usize = ds.schools.iter().map(|s| s.leerlingen.len()).sum();
    let others: usize = ds
        .schools
        .iter()
        .map(|s| s.notities.len() + s.plannen.len() + s.lu_notes.len() + s.lu_group_plans.len())
        .sum();
    println!(
        "generate: {} schools, {pupils} pupils (past and present), {results} results, {others} notes/plans, {} planted expectations in {gen_secs:.2} s",
        ds.schools.len(),
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
    let read_schools: Vec<String> = ds
        .schools
        .iter()
        .take(env("BENCH_READ_SCHOOLS", 5))
        .map(|s| s.brin.clone())
        .collect();
    let started = Instant::now();
    let board = MockBoard::start(MockConfig::fixture(ds)).await?;
    println!("load into servers: {:.2} s", started.elapsed().as_secs_f64());
    let client = reqwest::Client::new();
    let limit = env("BENCH_LIMIT", 1000);
    let token: serde_json::Value = client
        .post(format!("{}/oauth/token", board.parnassys_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "ps-board"),
            ("client_secret", &mocks::generator::school::secret(42, "ps-board")),
        ])
        .send()
        .await?
        .json()
        .await?;
    let bearer = token["access_token"].as_str().unwrap_or_default().to_string();
    let (mut pages, mut items, mut bytes_read) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    for brin in &read_schools {
        let mut cursor: Option<String> = None;
        loop {
            let mut req = client
                .get(format!(
                    "{}/api/v1/scholen/{brin}/resultaten",
                    board.parnassys_url()
                ))
                .bearer_auth(&bearer)
                .query(&[("limit", limit.to_string())]);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c)]);
            }
            let body = req.send().await?.error_for_status()?.bytes().await?;
            bytes_read += body.len();
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            pages += 1;
            items += page["items"].as_array().map_or(0, Vec::len);
            if page["has_more"] != true {
                break;
            }
            cursor = page["next_cursor"].as_str().map(String::from);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "page results (limit {limit}, {} schools): {pages} pages, {items} items, {:.1} MB in {secs:.2} s = {:.0} pages/s, {:.0} items/s",
        read_schools.len(),
        bytes_read as f64 / 1e6,
        pages as f64 / secs,
        items as f64 / secs
    );
    board.shutdown().await;
    Ok(())
}
