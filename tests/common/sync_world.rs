//! Helpers for the sync integration tests: a mock board on loopback, a SQLite store in a temp
//! dir, an engine wired to both, a digest over every synced table, and the mock's ids.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use mocks::{GenParams, MockBoard, MockConfig};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqlitePoolOptions;
use zorgsignaal::domain::Brin;
use zorgsignaal::sources::http::{HttpClient, HttpConfig};
use zorgsignaal::sources::leeruniek::LeeruniekClient;
use zorgsignaal::sources::oauth::{ClientAuth, OAuthConfig, TokenSource};
use zorgsignaal::sources::parnassys::ParnassysClient;
use zorgsignaal::sources::parnassys_gkv::GkvClient;
use zorgsignaal::store::{self, Store};
use zorgsignaal::sync::{SchoolSources, SyncEngine, SyncOptions};

/// A small generated board: `schools` schools, 12 pupils each, 3 school years.
pub fn params(schools: usize) -> GenParams {
    GenParams {
        seed: 7,
        schools,
        pupils_per_school: 12,
        years: 3,
        ..GenParams::default()
    }
}

/// Starts a board.
pub async fn board(config: MockConfig) -> MockBoard {
    MockBoard::start(config).await.expect("mock board starts")
}

/// A migrated SQLite store in its own temp dir (kept alive by the returned guard).
pub async fn sqlite() -> (Arc<dyn Store>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("zs.db").display());
    let store = store::open(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate");
    (store, url, dir)
}

/// Fast retries so fault tests stay quick.
pub fn http_config() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        rate_limit_per_second: 1000,
        max_attempts: 4,
        max_retry_time: Duration::from_secs(5),
        retry_min_delay: Duration::from_millis(5),
        retry_max_delay: Duration::from_millis(50),
        breaker_threshold: 1000,
        breaker_cooldown: Duration::from_millis(10),
        ..HttpConfig::default()
    }
}

fn tokens(source: &'static str, http: &HttpClient, url: String, id: &str, secret: &str) -> TokenSource {
    tokens_with_scopes(source, http, url, id, secret, Vec::new())
}

fn tokens_with_scopes(
    source: &'static str,
    http: &HttpClient,
    url: String,
    id: &str,
    secret: &str,
    scopes: Vec<String>,
) -> TokenSource {
    TokenSource::new(
        source,
        http.reqwest(),
        OAuthConfig {
            token_url: format!("{url}/oauth/token"),
            client_id: id.to_owned(),
            client_secret: SecretString::from(secret.to_owned()),
            scopes,
            skew: Duration::from_secs(1),
            auth: ClientAuth::BasicHeader,
        },
    )
    .expect("token source")
}

/// An engine for every school of `board`, all three sources.
pub fn engine(board: &MockBoard, store: Arc<dyn Store>) -> SyncEngine {
    engine_with_parnassys_scopes(board, store, &[])
}

/// Like [`engine`], asking ParnasSys REST for exactly `scopes` (empty: every scope of the client).
pub fn engine_with_parnassys_scopes(board: &MockBoard, store: Arc<dyn Store>, scopes: &[&str]) -> SyncEngine {
    let gkv = GkvClient::new(
        HttpClient::new("parnassys_gkv", http_config()).expect("http"),
        &board.gkv_url(),
        "Zorgsignaal",
    );
    let ps = ParnassysClient::new(
        HttpClient::new("parnassys", http_config()).expect("http"),
        board.parnassys_url(),
    );
    let lu = LeeruniekClient::new(
        HttpClient::new("leeruniek", http_config()).expect("http"),
        board.leeruniek_url(),
    );
    let schools = board
        .schools()
        .iter()
        .map(|b| {
            let c = board.credentials(b).expect("credentials");
            SchoolSources {
                brin: Brin::parse(b).expect("brin"),
                gkv_key: Some(SecretString::from(c.leveranciersleutel.clone())),
                parnassys: Some(tokens_with_scopes(
                    "parnassys",
                    ps.http(),
                    board.parnassys_url(),
                    &c.parnassys.0,
                    &c.parnassys.1,
                    scopes.iter().map(|s| (*s).to_owned()).collect(),
                )),
                leeruniek: Some(tokens(
                    "leeruniek",
                    lu.http(),
                    board.leeruniek_url(),
                    &c.leeruniek.0,
                    &c.leeruniek.1,
                )),
                uwlr: None,
            }
        })
        .collect();
    SyncEngine::new(store, Some(gkv), Some(ps), Some(lu), schools)
}

/// Options for the mock's reference date, small pages.
pub fn options(board: &MockBoard) -> SyncOptions {
    let mut o = SyncOptions::new(board.inspect(|st| st.as_of));
    o.page_size = 25;
    o
}

/// Every row of every synced table, as canonical text lines (store ids replaced by source ids),
/// in SQLite's SQL (`quote`; [`crate::common::daemon_world::store_rows_postgres`] reads them on
/// PostgreSQL with `quote_nullable`).
pub const TABLES: &[(&str, &str)] = &[
    (
        "pupils",
        "SELECT quote(source)||quote(school)||quote(external_id)||quote(given_name)||quote(surname_prefix)||quote(surname)||quote(birth_date)||quote(left_on)||quote(deleted_at IS NULL) FROM pupils",
    ),
    (
        "groups",
        "SELECT quote(source)||quote(school)||quote(external_id)||quote(name)||quote(school_year)||quote(deleted_at IS NULL) FROM groups",
    ),
    (
        "memberships",
        "SELECT quote(p.external_id)||quote(g.external_id)||quote(m.grade)||quote(m.from_on)||quote(m.to_on) FROM memberships m JOIN pupils p ON p.id = m.pupil_id JOIN groups g ON g.id = m.group_id",
    ),
    (
        "results",
        "SELECT quote(r.source)||quote(r.school)||quote(r.external_id)||quote(p.external_id)||quote(r.content_key)||quote(r.test_code)||quote(r.part_code)||quote(r.test_name)||quote(r.provider)||quote(r.taken_on)||quote(r.stated_moment)||quote(r.raw_score)||quote(r.ability_value)||quote(r.ability_scale)||quote(r.reference_scores)||quote(r.deleted_at IS NULL) FROM results r JOIN pupils p ON p.id = r.pupil_id",
    ),
    (
        "result_sources",
        "SELECT quote(s.source)||quote(s.school)||quote(s.external_id)||quote(r.external_id)||quote(s.deleted_at IS NULL) FROM result_sources s JOIN results r ON r.id = s.result_id",
    ),
    (
        "notes",
        "SELECT quote(n.source)||quote(n.school)||quote(n.external_id)||quote(p.external_id)||quote(n.group_external_id)||quote(n.category_path)||quote(n.written_at)||quote(n.content)||quote(n.deleted_at IS NULL) FROM notes n LEFT JOIN pupils p ON p.id = n.pupil_id",
    ),
    (
        "plans",
        "SELECT quote(x.source)||quote(x.school)||quote(x.external_id)||quote(p.external_id)||quote(x.group_external_id)||quote(x.kind)||quote(x.domain)||quote(x.title)||quote(x.owner)||quote(x.care_level)||quote(x.start_on)||quote(x.end_on)||quote(x.evaluation_due)||quote(x.minutes_per_week)||quote(x.decided_on)||quote(x.drawn_up_on)||quote(x.parents_agreed_on)||quote(x.deleted_at IS NULL) FROM plans x LEFT JOIN pupils p ON p.id = x.pupil_id",
    ),
    (
        "evaluations",
        "SELECT quote(x.source)||quote(x.external_id)||quote(e.evaluated_on)||quote(e.outcome) FROM evaluations e JOIN plans x ON x.id = e.plan_id",
    ),
    (
        "dyslexia_statements",
        "SELECT quote(d.source)||quote(d.school)||quote(d.external_id)||quote(p.external_id)||quote(d.stated_on)||quote(d.deleted_at IS NULL) FROM dyslexia_statements d JOIN pupils p ON p.id = d.pupil_id",
    ),
    (
        "quarantine",
        "SELECT quote(source)||quote(school)||quote(stream)||quote(external_id)||quote(reason) FROM quarantine",
    ),
];

/// Row counts per table and a SHA-256 over all rows (order-independent).
pub async fn digest(url: &str) -> (Vec<(String, usize)>, String) {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("open sqlite for digest");
    let mut hasher = Sha256::new();
    let mut counts = Vec::new();
    for (name, sql) in TABLES {
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(*sql))
            .fetch_all(&pool)
            .await
            .expect("digest query");
        let mut lines: Vec<String> = rows.into_iter().map(|(l,)| l).collect();
        lines.sort();
        hasher.update(name.as_bytes());
        for l in &lines {
            hasher.update(l.as_bytes());
            hasher.update(b"\n");
        }
        counts.push(((*name).to_owned(), lines.len()));
    }
    pool.close().await;
    (counts, hex::encode(hasher.finalize()))
}

/// Live source ids of one table for a source and school.
pub async fn live_ids(url: &str, table: &str, source: &str, school: &str) -> BTreeSet<String> {
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("open sqlite");
    let sql =
        format!("SELECT external_id FROM {table} WHERE source = $1 AND school = $2 AND deleted_at IS NULL");
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(source)
        .bind(school)
        .fetch_all(&pool)
        .await
        .expect("ids");
    pool.close().await;
    rows.into_iter().map(|(s,)| s).collect()
}

/// The mock's live ids of a school: (results, ParnasSys notes, ParnasSys plans, Leeruniek notes,
/// group plans, dyslexieverklaringen).
pub fn mock_ids(board: &MockBoard, brin: &str) -> [BTreeSet<String>; 6] {
    board.inspect(|st| {
        let s = &st.schools[brin];
        [
            s.results.iter().map(|r| r.id.to_string()).collect(),
            s.notes.iter().map(|r| r.id.to_string()).collect(),
            s.plans.iter().map(|r| r.id.to_string()).collect(),
            s.lu_notes.iter().map(|r| r.id.to_string()).collect(),
            s.lu_group_plans.iter().map(|r| r.id.to_string()).collect(),
            s.dyslexia_statements.iter().map(|r| r.id.to_string()).collect(),
        ]
    })
}

/// Asserts the store holds exactly the mock's live records for every school.
pub async fn assert_matches_mock(board: &MockBoard, url: &str) {
    for brin in board.schools() {
        let [results, notes, plans, lu_notes, lu_plans, statements] = mock_ids(board, &brin);
        assert_eq!(
            live_ids(url, "result_sources", "parnassys", &brin).await,
            results,
            "{brin} results"
        );
        assert_eq!(
            live_ids(url, "notes", "parnassys", &brin).await,
            notes,
            "{brin} notes"
        );
        assert_eq!(
            live_ids(url, "plans", "parnassys", &brin).await,
            plans,
            "{brin} plans"
        );
        assert_eq!(
            live_ids(url, "notes", "leeruniek", &brin).await,
            lu_notes,
            "{brin} lu notes"
        );
        assert_eq!(
            live_ids(url, "plans", "leeruniek", &brin).await,
            lu_plans,
            "{brin} group plans"
        );
        assert_eq!(
            live_ids(url, "dyslexia_statements", "parnassys", &brin).await,
            statements,
            "{brin} dyslexieverklaringen"
        );
    }
}

/// A configuration file for the `zorgsignaal` binary: every school of `board`, all three
/// sources at the mock, the store at `store_url`, `page_size` per page.
pub fn config_toml(board: &MockBoard, store_url: &str, page_size: u32, rate: u32) -> String {
    let mut t = format!(
        "[store]\nurl = \"{store_url}\"\n\n[board]\nname = \"Testbestuur\"\n\n\
         [pseudonymisation]\nkey = \"test-pseudonymisation-key-0000\"\n\n\
         [sync]\npage_size = {page_size}\n\n[mail]\nenabled = false\n\n"
    );
    for b in board.schools() {
        let c = board.credentials(&b).expect("credentials");
        t.push_str(&format!(
            "[[schools]]\nbrin = \"{b}\"\nname = \"School {b}\"\ncare_ladder = \"abcd\"\nib_emails = [\"ib@{b}.test.example.nl\"]\n\n\
             [schools.parnassys_gkv]\nkey = \"{}\"\n\n\
             [schools.parnassys]\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\n\
             [schools.leeruniek]\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\n",
            c.leveranciersleutel, c.parnassys.0, c.parnassys.1, c.leeruniek.0, c.leeruniek.1
        ));
    }
    t.push_str(&format!(
        "[sources.parnassys_gkv]\nenabled = true\nbase_url = \"{}\"\nleveranciernaam = \"Zorgsignaal\"\ntimeout = \"3s\"\n\n",
        board.gkv_url()
    ));
    for (name, url) in [
        ("parnassys", board.parnassys_url()),
        ("leeruniek", board.leeruniek_url()),
    ] {
        t.push_str(&format!(
            "[sources.{name}]\nenabled = true\nbase_url = \"{url}\"\ntoken_url = \"{url}/oauth/token\"\n\
             timeout = \"3s\"\nrate_limit_per_second = {rate}\n\n[sources.{name}.retry]\nmax_attempts = 4\nmax_total_time = \"5s\"\n\n"
        ));
    }
    t
}

/// Environment variable naming an admin URL of a PostgreSQL server for tests (as the store
/// contract tests use it).
pub const POSTGRES_ENV: &str = "ZORGSIGNAAL_TEST_POSTGRES_URL";

/// A fresh, migrated PostgreSQL database for one test, or `None` (with a note) without the
/// variable. Returns the store, the admin URL and the database name for [`drop_postgres`].
pub async fn postgres() -> Option<(Arc<dyn Store>, String, String)> {
    use sqlx::Connection;
    let Ok(admin) = std::env::var(POSTGRES_ENV) else {
        eprintln!("skipped: {POSTGRES_ENV} not set");
        return None;
    };
    let name = format!("zs_sync_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to test postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let store = store::open(&format!("{base}/{name}"))
        .await
        .expect("open postgres");
    store.migrate().await.expect("migrate postgres");
    Some((store, admin, name))
}

/// Drops a database made by [`postgres`].
pub async fn drop_postgres(store: Arc<dyn Store>, admin: &str, name: &str) {
    use sqlx::Connection;
    store.close().await;
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to test postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
        .execute(&mut conn)
        .await
        .expect("drop database");
}
