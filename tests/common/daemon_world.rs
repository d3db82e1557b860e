//! Helpers for the daemon end-to-end test: a generated board served by the in-process mocks, a
//! config file for the real `zorgsignaal` binary (SQLite in a temp dir, every source at the
//! mocks, mail to the aiosmtpd sink on loopback), the child process, and the exactly-once ledger
//! (tasks at the mock against the store's outbox).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use mocks::{Dataset, MockBoard};
use tokio::process::{Child, Command};
use zorgsignaal::actions::outbox::idempotency_key;
use zorgsignaal::store::{self, OutboxFilter, OutboxItem, OutboxStatus, Store};

/// The SMTP password the sink accepts (a secret that must never show up in a mail).
pub const SMTP_PASSWORD: &str = "e2e-smtp-geheim-7781";
/// The pseudonymisation key of the test config (a secret too).
pub const PSEUDO_KEY: &str = "e2e-pseudonimiseringssleutel-4242";

/// The `zorgsignaal` binary Cargo built for this test.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zorgsignaal"))
}

/// A free TCP port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Knobs of the generated config.
pub struct ConfigParams<'a> {
    /// SQLite URL.
    pub store_url: &'a str,
    /// SMTP sink port.
    pub smtp_port: u16,
    /// API port of the daemon.
    pub api_port: u16,
    /// Requests per second per school and source (throttles the daemon's pushes).
    pub rate: u32,
    /// A school holiday (mail quiet) covering these days, inclusive.
    pub holiday: (NaiveDate, NaiveDate),
}

/// The settings TOML: every school of `dataset` with its IB addresses and credentials, sources
/// at `board`, SMTP without TLS to the sink with authentication, schedules that never fire
/// except the digest (every 5 s, quiet in the configured holiday), outbox retries after 2 s.
pub fn config_toml(dataset: &Dataset, board: &MockBoard, p: &ConfigParams<'_>) -> String {
    let mut t = format!(
        "[store]\nurl = \"{url}\"\n\n[board]\nname = \"Stichting E2E\"\n\n\
         [pseudonymisation]\nkey = \"{PSEUDO_KEY}\"\n\n\
         [api]\nlisten = \"127.0.0.1:{api}\"\npublic_url = \"http://127.0.0.1:{api}\"\n\n\
         [schedule]\nsync = \"0 0 30 2 *\"\ngkv_snapshot = \"0 0 30 2 *\"\ndigest = \"*/5 * * * * *\"\n\
         retention = \"0 0 30 2 *\"\nboard_report = \"0 0 30 2 *\"\n\n\
         [mail]\nenabled = true\nhost = \"127.0.0.1\"\nport = {smtp}\ntls = \"none\"\n\
         username = \"zorgsignaal\"\npassword = \"{SMTP_PASSWORD}\"\n\
         from = \"zorgsignaal@e2e.example.nl\"\ndashboard_url = \"https://zorgsignaal.e2e.example.nl\"\n\n\
         [[mail.holidays]]\nname = \"testvakantie\"\nfrom = {from}\nto = {to}\n\n\
         [outbox]\nretry_base_delay = \"2s\"\nretry_max_delay = \"10s\"\n\n",
        url = p.store_url,
        api = p.api_port,
        smtp = p.smtp_port,
        from = p.holiday.0,
        to = p.holiday.1,
    );
    for school in &dataset.schools {
        let c = board.credentials(&school.brin).expect("credentials");
        t.push_str(&format!(
            "[[schools]]\nbrin = \"{b}\"\nname = \"{n}\"\ncare_ladder = \"{l}\"\nib_emails = [{ib}]\n\n\
             [schools.parnassys_gkv]\nkey = \"{}\"\n\n\
             [schools.parnassys]\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\n\
             [schools.leeruniek]\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\n",
            c.leveranciersleutel,
            c.parnassys.0,
            c.parnassys.1,
            c.leeruniek.0,
            c.leeruniek.1,
            b = school.brin,
            n = school.naam,
            l = school.care_ladder,
            ib = ib_emails(school)
                .iter()
                .map(|e| format!("\"{e}\""))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    t.push_str(&format!(
        "[sources.parnassys_gkv]\nenabled = true\nbase_url = \"{}\"\nleveranciernaam = \"{}\"\ntimeout = \"5s\"\n\n",
        board.gkv_url(),
        dataset.leveranciernaam
    ));
    for (name, url) in [
        ("parnassys", board.parnassys_url()),
        ("leeruniek", board.leeruniek_url()),
    ] {
        t.push_str(&format!(
            "[sources.{name}]\nenabled = true\nbase_url = \"{url}\"\ntoken_url = \"{url}/oauth/token\"\n\
             timeout = \"5s\"\nrate_limit_per_second = {rate}\n\n[sources.{name}.retry]\nmax_attempts = 6\n\
             max_total_time = \"20s\"\n\n",
            rate = p.rate
        ));
    }
    t
}

/// The IB addresses of a school (its `ib` staff, or one made up when it has none).
pub fn ib_emails(school: &mocks::model::School) -> Vec<String> {
    let mut ib: Vec<String> = school
        .medewerkers
        .iter()
        .filter(|m| m.functie == "ib")
        .map(|m| m.emailadres.clone())
        .collect();
    if ib.is_empty() {
        ib.push(format!("ib@{}.e2e.example.nl", school.brin.to_lowercase()));
    }
    ib
}

/// Runs `zorgsignaal --config CONFIG ARGS…` to completion; panics with its output unless it
/// exits 0.
pub async fn cli(config: &Path, args: &[&str]) -> String {
    let out = Command::new(binary())
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("run zorgsignaal");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "zorgsignaal {args:?} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The daemon as a child process (`zorgsignaal run`), logs to `log`.
pub struct Daemon {
    child: Child,
}

impl Daemon {
    /// Starts `zorgsignaal --config CONFIG run`.
    pub fn start(config: &Path, log: &Path) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("daemon log");
        let child = Command::new(binary())
            .arg("--config")
            .arg(config)
            .arg("run")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start the daemon");
        Self { child }
    }

    /// `kill -9`: no chance to finish anything.
    pub async fn sigkill(mut self) {
        self.child.start_kill().expect("SIGKILL the daemon");
        let status = self.child.wait().await.expect("reap the daemon");
        assert!(!status.success(), "a killed daemon does not exit 0: {status}");
    }

    /// SIGTERM, then waits up to `deadline` for the exit.
    pub async fn sigterm(mut self, deadline: Duration) -> ExitStatus {
        let pid = self.child.id().expect("daemon still running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        tokio::time::timeout(deadline, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the daemon did not stop within {deadline:?} of SIGTERM"))
            .expect("wait for the daemon")
    }

    /// Its process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }
}

/// Polls `check` every 20 ms until it yields `Some`, panicking with `what` after `deadline`.
pub async fn poll<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < deadline, "timed out after {deadline:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every task at the mock (both systems, every school) as idempotency key → how many times the
/// mock holds a task with that key, with the mock's task id of the first.
pub fn pushed_at_mock(board: &MockBoard) -> BTreeMap<String, (usize, String)> {
    let mut out: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for brin in board.schools() {
        let ps = board
            .pushed_parnassys_tasks(&brin)
            .into_iter()
            .map(|t| (t.idempotency_key, t.id.to_string()));
        let lu = board
            .pushed_leeruniek_tasks(&brin)
            .into_iter()
            .map(|t| (t.idempotency_key, t.id.to_string()));
        for (key, id) in ps.chain(lu) {
            out.entry(key).or_insert((0, id)).0 += 1;
        }
    }
    out
}

/// Number of tasks at the mock, duplicates counted.
pub fn tasks_at_mock(board: &MockBoard) -> usize {
    pushed_at_mock(board).values().map(|(n, _)| n).sum()
}

/// Opens the store the daemon writes (SQLite allows a reader next to it).
pub async fn open_store(url: &str) -> Arc<dyn Store> {
    store::open(url).await.expect("open the store")
}

/// Every outbox row.
pub async fn outbox(store: &dyn Store) -> Vec<OutboxItem> {
    store.outbox(&OutboxFilter::default()).await.expect("outbox rows")
}

/// Asserts exactly once: every outbox row is sent, the mock holds exactly one task per row
/// (matched by the idempotency key, with the id the store recorded), and nothing else.
pub fn assert_exactly_once(rows: &[OutboxItem], board: &MockBoard) {
    let at_mock = pushed_at_mock(board);
    let twice: Vec<_> = at_mock.iter().filter(|(_, (n, _))| *n > 1).collect();
    assert!(twice.is_empty(), "tasks pushed more than once: {twice:?}");
    assert_eq!(at_mock.len(), rows.len(), "tasks at the mock vs outbox rows");
    for row in rows {
        assert_eq!(
            row.status,
            OutboxStatus::Sent,
            "row {} not sent: {:?}",
            row.id,
            row.last_error
        );
        let key = idempotency_key(&row.task.key);
        let (_, id) = at_mock
            .get(&key)
            .unwrap_or_else(|| panic!("task of outbox row {} never reached the mock", row.id));
        assert_eq!(
            row.remote_id.as_deref(),
            Some(id.as_str()),
            "remote id of row {}",
            row.id
        );
    }
}

/// The first Monday–Friday on or after `date`.
pub fn weekday_on_or_after(date: NaiveDate) -> NaiveDate {
    let mut d = date;
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += TimeDelta::days(1);
    }
    d
}

/// What the daemon derives and sends, next to the synced tables of
/// [`crate::common::sync_world::TABLES`]: absences and social-emotional measurements (synced
/// too), signals and their events, group signals, tasks with their outbox state, the mail log and
/// the signals each mail named. Store ids, times of day, attempts and remote ids are left out
/// (they differ between two equal runs); dates are kept.
pub const DAEMON_TABLES: &[(&str, &str)] = &[
    (
        "absences",
        "SELECT quote(a.source)||quote(a.school)||quote(a.external_id)||quote(p.external_id)||quote(a.absent_on)||quote(a.hours)||quote(a.kind)||quote(a.deleted_at IS NULL) FROM absences a JOIN pupils p ON p.id = a.pupil_id",
    ),
    (
        "social_emotional",
        "SELECT quote(x.source)||quote(x.school)||quote(x.external_id)||quote(p.external_id)||quote(x.instrument)||quote(x.scale)||quote(x.measured_on)||quote(x.category)||quote(x.deleted_at IS NULL) FROM social_emotional x JOIN pupils p ON p.id = x.pupil_id",
    ),
    (
        "signals",
        "SELECT quote(s.key)||quote(s.rule)||quote(s.rule_version)||quote(s.school)||quote(p.external_id)||quote(s.domain)||quote(s.severity)||quote(s.status)||quote(s.opened_on)||quote(s.explanation)||quote(s.evidence)||quote(s.eed_criterion)||quote(s.snoozed_until)||quote(s.dismissed_reason) FROM signals s JOIN pupils p ON p.id = s.pupil_id",
    ),
    (
        "signal_events",
        "SELECT quote(s.key)||quote(e.kind)||quote(e.from_status)||quote(e.to_status)||quote(e.reason)||quote(e.actor)||quote(e.evidence) FROM signal_events e JOIN signals s ON s.id = e.signal_id",
    ),
    (
        "group_signals",
        "SELECT quote(key)||quote(rule)||quote(rule_version)||quote(school)||quote(group_external_id)||quote(domain)||quote(severity)||quote(status)||quote(opened_on)||quote(explanation)||quote(evidence) FROM group_signals",
    ),
    (
        "tasks",
        "SELECT quote(t.key)||quote(t.signal_key)||quote(t.kind)||quote(t.school)||quote(p.external_id)||quote(t.target)||quote(t.title)||quote(t.body)||quote(t.due_on) FROM tasks t JOIN pupils p ON p.id = t.pupil_id",
    ),
    (
        "outbox",
        "SELECT quote(t.key)||quote(o.status)||quote(o.last_error) FROM outbox o JOIN tasks t ON t.id = o.task_id",
    ),
    (
        "mail_log",
        "SELECT quote(recipient)||quote(kind)||quote(school)||quote(subject_hash) FROM mail_log",
    ),
    (
        "mail_items",
        "SELECT quote(m.recipient)||quote(m.school)||quote(s.key)||quote(m.fingerprint) FROM mail_items m JOIN signals s ON s.id = m.signal_id",
    ),
];

/// Every row of the tables of [`crate::common::sync_world::TABLES`] and [`DAEMON_TABLES`] in a
/// PostgreSQL store, as sorted canonical lines per table: two stores with equal content give
/// equal maps. Signal and task keys and evidence name store ids (`p12`, `r227`, `n5`, `plan3`,
/// `"kind":"result","id":"705"`); those are replaced by the record's source, school and source
/// id ([`StoreIds`]), as two stores number their rows differently.
pub async fn store_rows_postgres(url: &str) -> BTreeMap<String, Vec<String>> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect for the store digest");
    let ids = StoreIds::read(&mut conn).await;
    let mut out = BTreeMap::new();
    let synced = crate::common::sync_world::TABLES.iter().map(|t| (t, false));
    for ((name, sql), derived) in synced.chain(DAEMON_TABLES.iter().map(|t| (t, true))) {
        let sql = sql.replace("quote(", "quote_nullable(");
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("digest query of {name}: {e}"));
        let mut lines: Vec<String> = rows
            .into_iter()
            .map(|(l,)| if derived { ids.canonical(&l) } else { l })
            .collect();
        lines.sort();
        out.insert((*name).to_owned(), lines);
    }
    conn.close().await.ok();
    out
}

/// Store id → `source/school/source id` of the rows that keys and evidence name.
pub struct StoreIds {
    by_kind: BTreeMap<&'static str, BTreeMap<String, String>>,
}

impl StoreIds {
    /// Key prefixes (`p12`) and evidence kinds (`"kind":"result"`) with their tables; `plan`
    /// before `p`.
    const KINDS: &'static [(&'static str, &'static str, &'static str)] = &[
        ("plan", "plan", "plans"),
        ("p", "pupil", "pupils"),
        ("r", "result", "results"),
        ("n", "note", "notes"),
        ("", "absence", "absences"),
        ("", "social_emotional", "social_emotional"),
    ];

    async fn read(conn: &mut sqlx::PgConnection) -> Self {
        let mut by_kind = BTreeMap::new();
        for (_, kind, table) in Self::KINDS {
            let sql = format!("SELECT id::text, source || '/' || school || '/' || external_id FROM {table}");
            let rows: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("ids of {table}: {e}"));
            by_kind.insert(*kind, rows.into_iter().collect());
        }
        Self { by_kind }
    }

    fn name(&self, kind: &str, id: &str) -> Option<&String> {
        self.by_kind.get(kind)?.get(id)
    }

    /// `line` with every store id in a key (after `/`, `-`, `:`, `'` or `"`) or an evidence
    /// item replaced by `<kind:source/school/id>`.
    pub fn canonical(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        let mut prev: Option<char> = None;
        'scan: while let Some(c) = rest.chars().next() {
            if let Some(tail) = rest.strip_prefix("\"kind\":\"") {
                let kind_end = tail.find('"').unwrap_or(0);
                let kind = &tail[..kind_end];
                if let Some(after) = tail[kind_end..].strip_prefix("\",\"id\":\"") {
                    let id_end = after.find('"').unwrap_or(0);
                    if let Some(name) = self.name(kind, &after[..id_end]) {
                        out.push_str(&format!("\"kind\":\"{kind}\",\"id\":\"<{name}>"));
                        rest = &after[id_end..];
                        prev = Some('>');
                        continue 'scan;
                    }
                }
            }
            if prev.is_none_or(|p| matches!(p, '/' | '-' | ':' | '\'' | '"')) {
                for (prefix, kind, _) in Self::KINDS.iter().filter(|k| !k.0.is_empty()) {
                    let Some(tail) = rest.strip_prefix(prefix) else {
                        continue;
                    };
                    let digits = tail.len() - tail.trim_start_matches(|d: char| d.is_ascii_digit()).len();
                    let ends = tail[digits..].chars().next().is_none_or(|n| !n.is_alphanumeric());
                    if digits > 0
                        && ends
                        && let Some(name) = self.name(kind, &tail[..digits])
                    {
                        out.push_str(&format!("{prefix}<{name}>"));
                        rest = &tail[digits..];
                        prev = Some('>');
                        continue 'scan;
                    }
                }
            }
            out.push(c);
            prev = Some(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }
}

/// Row counts per table and a SHA-256 over every line of `rows` (what [`store_rows_postgres`]
/// read).
pub fn store_digest(rows: &BTreeMap<String, Vec<String>>) -> (Vec<(String, usize)>, String) {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (name, lines) in rows {
        hasher.update(name.as_bytes());
        for l in lines {
            hasher.update(l.as_bytes());
            hasher.update(b"\n");
        }
    }
    (
        rows.iter().map(|(n, l)| (n.clone(), l.len())).collect(),
        hex::encode(hasher.finalize()),
    )
}

/// Asserts two stores' rows (from [`store_rows_postgres`]) are equal, naming per table the first
/// lines only one of them has.
pub fn assert_same_store(
    want: &BTreeMap<String, Vec<String>>,
    got: &BTreeMap<String, Vec<String>>,
    what: &str,
) {
    let mut report = String::new();
    for (name, w) in want {
        let g = got.get(name).cloned().unwrap_or_default();
        if *w == g {
            continue;
        }
        let only = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter()
                .filter(|l| b.binary_search(l).is_err())
                .take(3)
                .map(|l| l.chars().take(300).collect())
                .collect()
        };
        report.push_str(&format!(
            "\n{name}: {} rows vs {}\n  only in the reference: {:?}\n  only here: {:?}",
            w.len(),
            g.len(),
            only(w, &g),
            only(&g, w)
        ));
    }
    assert!(report.is_empty(), "{what}:{report}");
    assert_eq!(store_digest(want), store_digest(got), "{what}");
}
