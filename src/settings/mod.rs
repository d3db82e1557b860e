//! Typed configuration: one TOML file plus `ZORGSIGNAAL__SECTION__KEY` environment overrides,
//! unknown keys rejected, then [`Settings::validate`]. The only place that reads the environment.

mod env;
mod error;
mod mail;
mod rules;
mod schools;
mod secret;
mod sections;
mod sources;
mod validate;

use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::{Deserialize, Serialize};

pub use env::{ENV_PREFIX, EnvOverrides};
pub(crate) use error::issues_from_figment;
pub use error::{ConfigError, ConfigIssue};
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
}

#[cfg(test)]
mod tests;
