//! Logging setup (pretty on a terminal, JSON for machines) and the redaction helper for URLs.
//!
//! The rule for every log line, span field and error: **never a pupil name and never a secret**
//! (supplier keys, OAuth2 client secrets, SMTP passwords, pseudonymisation keys, passwords inside
//! database URLs). Log pupils by their internal id, schools by BRIN, URLs through [`redact_url`].

use std::io::IsTerminal;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// Log output format (`--log-format`, `telemetry.log_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines, coloured when stderr is a terminal.
    #[default]
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Error when logging cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter directive does not parse.
    #[error("invalid log filter {filter:?}: {reason}")]
    Filter {
        /// The rejected directive.
        filter: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A global subscriber was already installed.
    #[error("logging was already initialised: {0}")]
    AlreadyInitialised(String),
}

/// Builds the filter: `level` is a `RUST_LOG`-style directive (`info`, `zorgsignaal=debug,info`);
/// each `-v` raises the floor (1: debug, 2 or more: trace).
pub fn filter(level: &str, verbose: u8) -> Result<EnvFilter, TelemetryError> {
    let directive = match verbose {
        0 => level.to_owned(),
        1 => format!("{level},debug"),
        _ => format!("{level},trace"),
    };
    EnvFilter::try_new(&directive).map_err(|e| TelemetryError::Filter {
        filter: directive.clone(),
        reason: e.to_string(),
    })
}

/// Installs the global subscriber writing to stderr. Pretty output uses colours only when stderr
/// is a terminal.
pub fn init(format: LogFormat, level: &str, verbose: u8) -> Result<(), TelemetryError> {
    let filter = filter(level, verbose)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Pretty => builder.with_ansi(std::io::stderr().is_terminal()).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
    result.map_err(|e| TelemetryError::AlreadyInitialised(e.to_string()))
}

/// Logging for tests: captured by the test harness, `debug` and up; safe to call many times.
pub fn init_for_test() {
    // A second call finds the subscriber installed and returns an error we deliberately ignore.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new("debug"))
        .with_test_writer()
        .try_init();
}

/// Returns `url` with any password (and user name) replaced by `***`, safe for logs and output.
/// Text that does not parse as a URL keeps only what comes before `://` and after the last `@`.
pub fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = reqwest::Url::parse(url) {
        let has_user = !parsed.username().is_empty();
        let has_password = parsed.password().is_some();
        if has_password && parsed.set_password(Some("***")).is_err() {
            return redact_unparsed(url);
        }
        if has_user && !has_password && parsed.set_username("***").is_err() {
            return redact_unparsed(url);
        }
        return parsed.to_string();
    }
    redact_unparsed(url)
}

fn redact_unparsed(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***@{}", &url[..s], &url[at + 1..]),
        (None, Some(at)) => format!("***@{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_database_urls() {
        assert_eq!(
            redact_url("postgres://zorg:geheim@db.example.nl:5432/zorg"),
            "postgres://zorg:***@db.example.nl:5432/zorg"
        );
        assert_eq!(
            redact_url("sqlite://zorgsignaal.sqlite"),
            "sqlite://zorgsignaal.sqlite"
        );
        assert_eq!(
            redact_url("https://token@example.nl/x"),
            "https://***@example.nl/x"
        );
    }

    #[test]
    fn redacts_urls_that_do_not_parse() {
        let out = redact_url("postgres://zorg:ge heim@[bad/zorg");
        assert!(!out.contains("heim"), "{out}");
        assert_eq!(out, "postgres://***@[bad/zorg");
    }

    #[test]
    fn verbose_raises_the_filter_and_bad_filters_are_rejected() {
        assert!(filter("info", 0).is_ok());
        let hint = |v| filter("warn", v).ok().and_then(|f| f.max_level_hint());
        assert_eq!(hint(0), Some(tracing::level_filters::LevelFilter::WARN));
        assert_eq!(hint(1), Some(tracing::level_filters::LevelFilter::DEBUG));
        assert_eq!(hint(2), Some(tracing::level_filters::LevelFilter::TRACE));
        assert!(filter("zorgsignaal=lots", 0).is_err());
    }

    #[test]
    fn init_for_test_can_run_twice() {
        init_for_test();
        init_for_test();
        tracing::debug!("still fine");
    }
}
