//! `[sources.*]`: where each source system lives and how hard we may call it.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default cap on a source's response body: 32 MiB (the HTTP layer's default too).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// `[sources]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesSettings {
    /// ParnasSys GKV (SOAP, leveranciersleutel).
    pub parnassys_gkv: GkvSourceSettings,
    /// ParnasSys REST (OAuth2).
    pub parnassys: OAuthSourceSettings,
    /// Leeruniek REST (OAuth2).
    pub leeruniek: OAuthSourceSettings,
    /// UWLR 2.2 `LeerlinggegevensService` of a school's LAS (pupils, groups, teachers); the
    /// endpoint and key are per school (`[schools.uwlr]`).
    pub uwlr: UwlrSourceSettings,
}

/// `[sources.uwlr]`: how Zorgsignaal calls a LAS's UWLR `HaalLeerlinggegevens`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UwlrSourceSettings {
    /// Whether this source is synced (for the schools with `[schools.uwlr]`).
    pub enabled: bool,
    /// `klantcode` in the `autorisatie` header: Zorgsignaal's code as the LAS registered it.
    pub klantcode: String,
    /// `klantnaam` in the `autorisatie` header.
    pub klantnaam: String,
    /// Timeout per request (default 60s: a large school's answer takes a while to build).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest response body accepted, in bytes (default 32 MiB); a longer answer fails.
    pub max_response_bytes: u64,
}

impl Default for UwlrSourceSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            klantcode: String::new(),
            klantnaam: "Zorgsignaal".into(),
            timeout: Duration::from_secs(60),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// `[sources.parnassys_gkv]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GkvSourceSettings {
    /// Whether this source is synced.
    pub enabled: bool,
    /// Base URL of the GKV web service.
    pub base_url: String,
    /// Leveranciernaam registered with ParnasSys.
    pub leveranciernaam: String,
    /// Timeout per request (default 30s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest response body accepted, in bytes (default 32 MiB); a longer answer fails.
    pub max_response_bytes: u64,
}

impl Default for GkvSourceSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: String::new(),
            leveranciernaam: String::new(),
            timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// `[sources.parnassys]`, `[sources.leeruniek]`: an OAuth2 REST API.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSourceSettings {
    /// Whether this source is synced.
    pub enabled: bool,
    /// Base URL of the API.
    pub base_url: String,
    /// OAuth2 token endpoint (client-credentials grant).
    pub token_url: String,
    /// OAuth2 scopes requested.
    pub scopes: Vec<String>,
    /// Timeout per request (default 30s).
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Requests per second per school (default 5).
    pub rate_limit_per_second: u32,
    /// Per-request retries for transient failures.
    pub retry: RetrySettings,
    /// Consecutive failures after which calls stop for a while (default 5).
    pub circuit_breaker_threshold: u32,
    /// Largest response body accepted, in bytes (default 32 MiB); a longer page fails.
    pub max_response_bytes: u64,
}

impl Default for OAuthSourceSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            base_url: String::new(),
            token_url: String::new(),
            scopes: Vec::new(),
            timeout: Duration::from_secs(30),
            rate_limit_per_second: 5,
            retry: RetrySettings::default(),
            circuit_breaker_threshold: 5,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// `[sources.*.retry]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrySettings {
    /// Attempts per request including the first (default 4).
    pub max_attempts: u32,
    /// Budget for all retries of one request, `Retry-After` waits included (default 2m).
    #[serde(with = "humantime_serde")]
    pub max_total_time: Duration,
}

impl Default for RetrySettings {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_total_time: Duration::from_secs(120),
        }
    }
}
