//! The small config sections: store, board, pseudonymisation, sync, schedule, retention, report,
//! api and telemetry. Defaults here are the documented defaults of `config/zorgsignaal.toml`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::secret::{StoreUrl, serialize_redacted};
use crate::telemetry::LogFormat;

/// `[store]`: where Zorgsignaal keeps its data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite://path` (default `sqlite://zorgsignaal.sqlite`) or `postgres://…`.
    pub url: StoreUrl,
}

/// `[board]`: the schoolbestuur running this instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSettings {
    /// Name of the board (bestuur), shown in reports.
    pub name: String,
    /// Who receives the board report (bestuursrapportage).
    #[serde(default)]
    pub report_emails: Vec<String>,
}

/// `[pseudonymisation]`: the key for hashing national ids ([`crate::domain::ExternalIdHasher`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PseudonymisationSettings {
    /// Board-wide HMAC key; changing it makes every stored hash unrecognisable.
    #[serde(serialize_with = "serialize_redacted")]
    pub key: SecretString,
}

/// `[sync]`: how sources are paged and reconciled.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// Records per page requested from a source (default 200).
    pub page_size: u32,
    /// How often a full reconcile runs next to the change feed, to notice deletes (default 7 days).
    #[serde(with = "humantime_serde")]
    pub full_reconcile_interval: Duration,
    /// Schools synced at the same time by the daemon and `sync`; streams of one school run one
    /// after another. Unset: [`SyncSettings::concurrency_for`] the store's engine.
    pub concurrency: Option<u16>,
}

impl SyncSettings {
    /// Schools synced at the same time on `engine`: the configured number, else 1 on SQLite (one
    /// writer: more schools at once only queue for it, and measured no faster) and 4 on
    /// PostgreSQL (measured about twice as fast as one at a time; docs/BENCHMARKS.md "Sync").
    pub fn concurrency_for(&self, engine: crate::store::Engine) -> u16 {
        self.concurrency.unwrap_or(match engine {
            crate::store::Engine::Sqlite => 1,
            crate::store::Engine::Postgres => 4,
        })
    }
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            page_size: 200,
            full_reconcile_interval: Duration::from_secs(7 * 24 * 3600),
            concurrency: None,
        }
    }
}

/// `[schedule]`: cron expressions (5 fields, or 6 with seconds), evaluated in Europe/Amsterdam.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScheduleSettings {
    /// Incremental sync of all sources (default every 30 minutes, Mon–Fri 07:00–17:30).
    pub sync: String,
    /// ParnasSys GKV snapshot (default Mon–Fri 06:00: the school's administration is closed at
    /// weekends, and Monday's snapshot comes before the 07:30 digest).
    pub gkv_snapshot: String,
    /// IB digest mail (default Mon–Fri 07:30).
    pub digest: String,
    /// Retention clean-up (default daily 03:00).
    pub retention: String,
    /// Board report (bestuursrapportage) (default the first weekday of each month 06:30: `30 6 1W * *`).
    pub board_report: String,
    /// How long a daemon holds a claimed job run (a school's sync, an evaluation, the digest)
    /// without renewing it (default 90 s; renewed every third of it while the run goes on). A
    /// daemon that was killed has its runs taken over by another within this time.
    #[serde(with = "humantime_serde")]
    pub job_lease: Duration,
    /// How often a failed run of a job that does not come back soon — the weekly full
    /// reconcile, the weekday roll snapshot (GKV/UWLR), retention, the digest and the monthly
    /// board report — is tried again (default 3; 0: never). The half-hourly sync and its
    /// evaluations are not: the next slot is their retry.
    pub job_retries: u32,
    /// The wait before the first retry of a failed run (default 5 min); it doubles with every
    /// further retry.
    #[serde(with = "humantime_serde")]
    pub job_retry_delay: Duration,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            sync: "0,30 7-17 * * 1-5".into(),
            gkv_snapshot: "0 6 * * 1-5".into(),
            digest: "30 7 * * 1-5".into(),
            retention: "0 3 * * *".into(),
            board_report: "30 6 1W * *".into(),
            job_lease: Duration::from_secs(crate::store::JOB_LEASE_SECS.unsigned_abs()),
            job_retries: 3,
            job_retry_delay: Duration::from_secs(5 * 60),
        }
    }
}

impl ScheduleSettings {
    /// The time zone every schedule is evaluated in; fixed, Dutch schools only.
    pub const TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Amsterdam;

    /// Every schedule with its key name (`digest`, …), in config order.
    pub fn entries(&self) -> [(&'static str, &str); 5] {
        [
            ("sync", &self.sync),
            ("gkv_snapshot", &self.gkv_snapshot),
            ("digest", &self.digest),
            ("retention", &self.retention),
            ("board_report", &self.board_report),
        ]
    }

    /// Parses the schedule named `name` (a key of [`Self::entries`]).
    pub fn cron(&self, name: &str) -> Option<Result<croner::Cron, croner::errors::CronError>> {
        self.entries()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, expr)| expr.parse::<croner::Cron>())
    }
}

/// `[retention]`: how long pupil data and operational records are kept (bewaartermijn); the
/// retention job (`schedule.retention`) applies every term. docs/OPERATIONS.md §7 lists them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSettings {
    /// Pupil data (signals and tasks with it) is deleted this long after the pupil left — or,
    /// without a known leaving date, after the last day any source delivered the pupil; group
    /// notes and plans this long after the end of their school year (default 2 years).
    #[serde(with = "humantime_serde")]
    pub pupil_data_after_leaving: Duration,
    /// Quarantined records are deleted this long after they were last received (default 30 days).
    #[serde(with = "humantime_serde")]
    pub quarantine_after: Duration,
    /// Records held for a pupil not yet known (wachtend op leerling) are deleted this long after
    /// they were last received, when the pupil never appeared (default 30 days).
    #[serde(with = "humantime_serde")]
    pub held_records_after: Duration,
    /// Audit-log rows (who saw or changed what) are deleted at this age (default 2 years).
    #[serde(with = "humantime_serde")]
    pub audit_log_after: Duration,
    /// Finished job runs and the mail log are deleted at this age (default 90 days).
    #[serde(with = "humantime_serde")]
    pub jobs_after: Duration,
    /// `.eml` files of the file mail transport (the demo) are deleted at this age (default 30 days).
    #[serde(with = "humantime_serde")]
    pub mail_files_after: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        const DAY: u64 = 86_400;
        Self {
            // humantime's year: 365.25 days.
            pupil_data_after_leaving: Duration::from_secs(2 * 31_557_600),
            quarantine_after: Duration::from_secs(30 * DAY),
            held_records_after: Duration::from_secs(30 * DAY),
            audit_log_after: Duration::from_secs(2 * 31_557_600),
            jobs_after: Duration::from_secs(90 * DAY),
            mail_files_after: Duration::from_secs(30 * DAY),
        }
    }
}

/// `[outbox]`: how the daemon retries pushing tasks back (the HTTP retries of one push come first).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    /// Attempts per task before it is parked with the reason (default 8).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubles per attempt (default 30s).
    #[serde(with = "humantime_serde")]
    pub retry_base_delay: Duration,
    /// Longest wait between two attempts (default 1h).
    #[serde(with = "humantime_serde")]
    pub retry_max_delay: Duration,
    /// How long a daemon holds a claimed outbox row (default 5 min; renewed right before each
    /// push). Several daemons on one PostgreSQL: a killed daemon's rows are pushed by another
    /// once this has passed. Longer than one push with its HTTP retries, or a slow push is
    /// taken over and pushed again (with the same idempotency key).
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base_delay: Duration::from_secs(30),
            retry_max_delay: Duration::from_secs(3600),
            lease: Duration::from_secs(crate::store::OUTBOX_LEASE_SECS.unsigned_abs()),
        }
    }
}

/// `[report]`: the board report.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Counts below this are shown as `<N` (default 5).
    pub small_count_threshold: u32,
    /// Directory rendered reports (HTML, CSV) are written to.
    pub output_dir: PathBuf,
    /// Days after a plan's evaluation date an evaluation still counts as on time (default 0).
    pub evaluation_grace_days: u32,
}

impl Default for ReportSettings {
    fn default() -> Self {
        Self {
            small_count_threshold: 5,
            output_dir: PathBuf::from("reports"),
            evaluation_grace_days: 0,
        }
    }
}

/// `[api]`: the HTTP API and dashboard.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    /// Address to listen on (default `127.0.0.1:8080`).
    pub listen: SocketAddr,
    /// URL users reach the dashboard at (links in mails). Cookies are `Secure` unless this is a
    /// plain `http://` URL on a loopback address (`127.0.0.1`, `::1`, `localhost`).
    pub public_url: String,
    /// How long a login session lasts (default 8 hours).
    #[serde(with = "humantime_serde")]
    pub session_ttl: Duration,
    /// Failed logins of one account (from any address) within `login_window` before further
    /// logins of that account are refused (default 5).
    pub login_max_failures: u32,
    /// Failed logins from one address (for any account) within `login_window` before further
    /// logins from that address are refused (default 20).
    pub login_max_failures_per_ip: u32,
    /// Window in which failed logins count (default 15 minutes).
    #[serde(with = "humantime_serde")]
    pub login_window: Duration,
    /// How long a new API token is valid (default 365 days); `user token --ttl` overrides it.
    #[serde(with = "humantime_serde")]
    pub token_ttl: Duration,
    /// Furthest a signal may be snoozed into the future (default 365 days, one school year).
    #[serde(with = "humantime_serde")]
    pub snooze_max: Duration,
}

impl ApiSettings {
    /// Whether cookies carry `Secure`: always, except when `public_url` is explicitly plain
    /// `http://` on a loopback address (a local trial or a test).
    pub fn cookies_secure(&self) -> bool {
        !self.is_plain_loopback_http()
    }

    /// Whether `public_url` is `http://` on `127.0.0.0/8`, `::1` or `localhost`.
    pub fn is_plain_loopback_http(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(self.public_url.trim()) else {
            return false;
        };
        if url.scheme() != "http" {
            return false;
        }
        let host = url.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: "http://127.0.0.1:8080".into(),
            session_ttl: Duration::from_secs(8 * 3600),
            login_max_failures: 5,
            login_max_failures_per_ip: 20,
            login_window: Duration::from_secs(15 * 60),
            token_ttl: Duration::from_secs(365 * 24 * 3600),
            snooze_max: Duration::from_secs(365 * 24 * 3600),
        }
    }
}

/// `[telemetry]`: logging.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `pretty` or `json`; `--log-format` wins.
    pub log_format: LogFormat,
    /// `RUST_LOG`-style filter (`info`, `zorgsignaal=debug,info`).
    pub level: String,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Pretty,
            level: "info".into(),
        }
    }
}
