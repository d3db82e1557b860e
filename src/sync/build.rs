//! Builds the sync engine from the settings: one HTTP client per enabled source, one token
//! source per school and REST source (each school has its own client credentials).

use std::sync::Arc;
use std::time::Duration;

use super::engine::{SchoolSources, SyncEngine};
use crate::settings::{OAuthCredentials, OAuthSourceSettings, Settings, UwlrCredentials};
use crate::sources::error::SourceError;
use crate::sources::http::{HttpClient, HttpConfig};
use crate::sources::leeruniek::LeeruniekClient;
use crate::sources::oauth::{ClientAuth, OAuthConfig, TokenSource};
use crate::sources::parnassys::ParnassysClient;
use crate::sources::parnassys_gkv::GkvClient;
use crate::sources::uwlr::UwlrClient;
use crate::store::Store;

/// Refresh tokens this long before they expire.
const TOKEN_SKEW: Duration = Duration::from_secs(30);

fn http_config(s: &OAuthSourceSettings) -> HttpConfig {
    HttpConfig {
        timeout: s.timeout,
        rate_limit_per_second: s.rate_limit_per_second.max(1),
        max_attempts: s.retry.max_attempts.max(1),
        max_retry_time: s.retry.max_total_time,
        breaker_threshold: s.circuit_breaker_threshold.max(1),
        max_response_bytes: s.max_response_bytes,
        ..HttpConfig::default()
    }
}

fn tokens(
    source: &'static str,
    http: &HttpClient,
    s: &OAuthSourceSettings,
    creds: &OAuthCredentials,
) -> Result<TokenSource, SourceError> {
    TokenSource::new(
        source,
        http.reqwest(),
        OAuthConfig {
            token_url: s.token_url.clone(),
            client_id: creds.client_id.clone(),
            client_secret: creds.client_secret.clone(),
            scopes: s.scopes.clone(),
            skew: TOKEN_SKEW,
            auth: ClientAuth::BasicHeader,
        },
    )
}

/// One school's UWLR client: its own HTTP client (a LAS may want a client certificate per
/// school), the board's klantcode/-naam.
fn uwlr_client(settings: &Settings, creds: &UwlrCredentials) -> Result<UwlrClient, SourceError> {
    let src = &settings.sources.uwlr;
    let pem = match &creds.client_certificate {
        Some(path) => Some(std::fs::read(path).map_err(|e| {
            SourceError::Permanent(format!(
                "reading the UWLR client certificate {}: {}",
                path.display(),
                e.kind()
            ))
        })?),
        None => None,
    };
    let http = HttpClient::with_client_certificate(
        "uwlr",
        HttpConfig {
            timeout: src.timeout,
            max_response_bytes: src.max_response_bytes,
            ..HttpConfig::default()
        },
        pem.as_deref(),
    )?;
    Ok(UwlrClient::new(
        http,
        &creds.url,
        creds.key.clone(),
        (&src.klantcode, &src.klantnaam),
        settings.id_hasher(),
    ))
}

impl SyncEngine {
    /// The engine the configuration describes: enabled sources only, every configured school.
    pub fn from_settings(settings: &Settings, store: Arc<dyn Store>) -> Result<Self, SourceError> {
        let src = &settings.sources;
        let gkv = if src.parnassys_gkv.enabled {
            let http = HttpClient::new(
                "parnassys_gkv",
                HttpConfig {
                    timeout: src.parnassys_gkv.timeout,
                    max_response_bytes: src.parnassys_gkv.max_response_bytes,
                    ..HttpConfig::default()
                },
            )?;
            Some(GkvClient::new(
                http,
                &src.parnassys_gkv.base_url,
                src.parnassys_gkv.leveranciernaam.clone(),
            ))
        } else {
            None
        };
        let parnassys = if src.parnassys.enabled {
            let http = HttpClient::new("parnassys", http_config(&src.parnassys))?;
            Some(ParnassysClient::new(http, src.parnassys.base_url.clone()))
        } else {
            None
        };
        let leeruniek = if src.leeruniek.enabled {
            let http = HttpClient::new("leeruniek", http_config(&src.leeruniek))?;
            Some(LeeruniekClient::new(http, src.leeruniek.base_url.clone()))
        } else {
            None
        };
        let mut schools = Vec::with_capacity(settings.schools.len());
        for s in &settings.schools {
            schools.push(SchoolSources {
                brin: s.brin.clone(),
                gkv_key: s.parnassys_gkv.as_ref().map(|c| c.key.clone()),
                parnassys: match (&parnassys, &s.parnassys) {
                    (Some(c), Some(creds)) => Some(tokens("parnassys", c.http(), &src.parnassys, creds)?),
                    _ => None,
                },
                leeruniek: match (&leeruniek, &s.leeruniek) {
                    (Some(c), Some(creds)) => Some(tokens("leeruniek", c.http(), &src.leeruniek, creds)?),
                    _ => None,
                },
                uwlr: match &s.uwlr {
                    Some(creds) if src.uwlr.enabled => Some(uwlr_client(settings, creds)?),
                    _ => None,
                },
            });
        }
        Ok(Self::new(store, gkv, parnassys, leeruniek, schools))
    }
}
