//! Typed configuration: one TOML file plus `ZORGSIGNAAL__SECTION__KEY` environment overrides,
//! unknown keys rejected, then [`Settings::validate`]. The only place that reads the environment.

mod env;
mod mail;
mod rules;
mod schools;
mod secret;
mod sections;
mod sources;
mod validate;

use std::fmt;
use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};

pub use env::EnvOverrides;
pub use mail::{Holiday, MailSettings, MailTls, PupilNames};
pub use rules::RulesSettings;
pub use schools::{CalendarSettings, GkvCredentials, OAuthCredentials, SchoolSettings, UwlrCredentials};
pub use secret::{REDACTED, StoreUrl, serialize_redacted};
pub use sections::{
    ApiSettings, BoardSettings, OutboxSettings, PseudonymisationSettings, ReportSettings, RetentionSettings,
    ScheduleSettings, StoreSettings, SyncSettings, TelemetrySettings,
};
pub use sources::{
    GkvSourceSettings, OAuthSourceSettings, RetrySettings, SourcesSettings, UwlrSourceSettings,
};

use crate::domain::{Brin, CareLadder, ExternalIdHasher, SchoolCalendar};
use crate::rules::RuleParams;

/// The documented configuration file as shipped (`config/zorgsignaal.toml`).
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../../config/zorgsignaal.toml");

/// Default path of the configuration file (relative: a checkout of the repository).
pub const DEFAULT_CONFIG_PATH: &str = "config/zorgsignaal.toml";

/// The system-wide configuration file of an installed daemon.
pub const SYSTEM_CONFIG_PATH: &str = "/etc/zorgsignaal/zorgsignaal.toml";

/// Environment variable naming the configuration file when `--config` is not given.
pub const CONFIG_ENV: &str = "ZORGSIGNAAL_CONFIG";

/// Where the binary looks, in order, when neither `--config` nor [`CONFIG_ENV`] names a file.
pub const CONFIG_SEARCH_PATH: [&str; 2] = [DEFAULT_CONFIG_PATH, SYSTEM_CONFIG_PATH];

/// The configuration file to load: `explicit` (`--config`, or [`CONFIG_ENV`] through clap) as
/// given, else the first of [`CONFIG_SEARCH_PATH`] for which `exists` holds; else an error that
/// says everywhere it looked.
pub fn locate_config(
    explicit: Option<&Path>,
    exists: impl Fn(&Path) -> bool,
) -> Result<std::path::PathBuf, ConfigError> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(found) = CONFIG_SEARCH_PATH.iter().map(Path::new).find(|p| exists(p)) {
        return Ok(found.to_path_buf());
    }
    let cwd = std::env::current_dir().map_or_else(|_| "?".to_owned(), |d| d.display().to_string());
    Err(ConfigError::from(vec![ConfigIssue::new(
        "",
        format!(
            "no configuration file: --config and ${CONFIG_ENV} are not set, and neither \
             {DEFAULT_CONFIG_PATH} (in {cwd}) nor {SYSTEM_CONFIG_PATH} exists; \
             pass --config PATH or set {CONFIG_ENV}"
        ),
    )]))
}

/// Prefix of environment overrides; `__` separates levels (`ZORGSIGNAAL__STORE__URL`).
pub const ENV_PREFIX: &str = "ZORGSIGNAAL__";

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[store]`.
    #[serde(default)]
    pub store: StoreSettings,
    /// `[board]`.
    pub board: BoardSettings,
    /// `[pseudonymisation]`.
    pub pseudonymisation: PseudonymisationSettings,
    /// `[[schools]]`.
    #[serde(default)]
    pub schools: Vec<SchoolSettings>,
    /// `[[care_ladders]]`: ladders beyond the presets.
    #[serde(default)]
    pub care_ladders: Vec<CareLadder>,
    /// `[sources]`.
    #[serde(default)]
    pub sources: SourcesSettings,
    /// `[sync]`.
    #[serde(default)]
    pub sync: SyncSettings,
    /// `[rules]` and `[rules.schools.<BRIN>]`.
    #[serde(default)]
    pub rules: RulesSettings,
    /// `[mail]`.
    #[serde(default)]
    pub mail: MailSettings,
    /// `[schedule]`.
    #[serde(default)]
    pub schedule: ScheduleSettings,
    /// `[retention]`.
    #[serde(default)]
    pub retention: RetentionSettings,
    /// `[outbox]`.
    #[serde(default)]
    pub outbox: OutboxSettings,
    /// `[report]`.
    #[serde(default)]
    pub report: ReportSettings,
    /// `[api]`.
    #[serde(default)]
    pub api: ApiSettings,
    /// `[telemetry]`.
    #[serde(default)]
    pub telemetry: TelemetrySettings,
}

/// One problem in the configuration, named by its dotted key (`schedule.digest`, `schools[1].brin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted path of the offending key; empty when the problem is the file itself.
    pub key: String,
    /// What is wrong (English, for operators; never contains a secret).
    pub message: String,
}

impl ConfigIssue {
    /// An issue at `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// The configuration could not be loaded or is invalid.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid configuration: {}", join_issues(.issues))]
pub struct ConfigError {
    /// Every problem found, in file order where possible.
    pub issues: Vec<ConfigIssue>,
}

fn join_issues(issues: &[ConfigIssue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<Vec<ConfigIssue>> for ConfigError {
    fn from(issues: Vec<ConfigIssue>) -> Self {
        Self { issues }
    }
}

impl Settings {
    /// Reads `path`, applies `ZORGSIGNAAL__…` environment overrides, and validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::from(vec![ConfigIssue::new(
                "",
                format!("cannot read configuration file {}: {e}", path.display()),
            )])
        })?;
        Self::from_toml_str_with_env(&text, &EnvOverrides::from_process())
    }

    /// Parses and validates TOML text without looking at the environment (for tests and embedding).
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Self::from_toml_str_with_env(text, &EnvOverrides::default())
    }

    /// Parses TOML text with `env` merged over it, then validates.
    pub fn from_toml_str_with_env(text: &str, env: &EnvOverrides) -> Result<Self, ConfigError> {
        let figment = Figment::from(Toml::string(text)).merge(env.clone());
        // Lossy: environment values arrive as text and become numbers/booleans where a field wants one.
        let mut settings: Settings = figment.extract_lossy().map_err(|e| issues_from_figment(e, ""))?;
        settings.rules.resolve()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Rule parameters for a school: `[rules]` with `[rules.schools.<BRIN>]` merged over it.
    pub fn rules_for(&self, brin: &Brin) -> RuleParams {
        self.rules.for_school(brin)
    }

    /// The school with `brin`.
    pub fn school(&self, brin: &Brin) -> Option<&SchoolSettings> {
        self.schools.iter().find(|s| &s.brin == brin)
    }

    /// The holiday calendar of the school with `brin` (empty for an unknown school). Pure: whether a
    /// date is a school day for that school is `settings.school_calendar(brin).is_school_day(date)`.
    pub fn school_calendar(&self, brin: &Brin) -> SchoolCalendar {
        self.school(brin)
            .map(SchoolSettings::school_calendar)
            .unwrap_or_default()
    }

    /// The care ladder named `name`: a `[[care_ladders]]` entry, else a preset.
    pub fn care_ladder(&self, name: &str) -> Option<CareLadder> {
        self.care_ladders
            .iter()
            .find(|l| l.name == name)
            .cloned()
            .or_else(|| CareLadder::presets().into_iter().find(|l| l.name == name))
    }

    /// The hasher for national ids, keyed with `pseudonymisation.key`.
    pub fn id_hasher(&self) -> ExternalIdHasher {
        ExternalIdHasher::new(self.pseudonymisation.key.clone())
    }

    /// Checks everything types cannot: uniqueness, URLs, addresses, ladders, windows, cron, etc.
    pub fn validate(&self) -> Result<(), Vec<ConfigIssue>> {
        let issues = validate::issues(self);
        if issues.is_empty() { Ok(()) } else { Err(issues) }
    }
}

/// Converts a figment error chain into issues, each naming its key below `prefix`.
pub(crate) fn issues_from_figment(err: figment::Error, prefix: &str) -> Vec<ConfigIssue> {
    err.into_iter()
        .map(|e| {
            let mut path = e.path.clone();
            // Figment already ends the path with an unknown field's name, not a missing one's.
            if let figment::error::Kind::MissingField(f) = &e.kind
                && path.last().map(String::as_str) != Some(f.as_ref())
            {
                path.push(f.to_string());
            }
            let mut key = prefix.to_owned();
            for seg in &path {
                if seg.bytes().all(|b| b.is_ascii_digit()) && !seg.is_empty() {
                    key.push_str(&format!("[{seg}]"));
                } else {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(seg);
                }
            }
            let secret = path
                .last()
                .is_some_and(|last| SECRET_KEYS.contains(&last.as_str()));
            let mut message = if secret {
                // The found value would be printed: never echo what was written under a secret key.
                "invalid value (not shown: this key holds a secret)".to_owned()
            } else {
                without_source_lines(&e.kind.to_string())
            };
            if let Some(md) = &e.metadata
                && md.name == env::PROVIDER_NAME
            {
                message.push_str(&format!(" (set by a {ENV_PREFIX}… environment variable)"));
            }
            ConfigIssue::new(key, message)
        })
        .collect()
}

/// Keys whose values are secrets; their values are never echoed in an issue.
const SECRET_KEYS: [&str; 3] = ["key", "client_secret", "password"];

/// Drops the quoted source lines (`3 | password = "…`) a TOML syntax error carries, which could
/// contain a secret, keeping position and reason.
fn without_source_lines(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_source_line(l))
        .collect::<Vec<_>>()
        .join(": ")
}

fn is_source_line(line: &str) -> bool {
    line.starts_with('|')
        || line
            .split_once(" |")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests;
