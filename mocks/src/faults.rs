//! Fault injection: which faults exist, and the deterministic decision (seed, endpoint, request
//! number) whether a given request gets one. Faults only shape responses; served data never changes.

use std::time::Duration;

use sha2::{Digest, Sha256};

/// A kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// `429 Too Many Requests` with `Retry-After`.
    RateLimit,
    /// `500`, `502` or `503`.
    ServerError,
    /// The response is delayed by `FaultConfig::slow` (beyond a client timeout).
    Slow,
    /// A `200` whose JSON body is cut off halfway.
    Truncate,
    /// A page that repeats up to two records of the previous page (full listings only).
    Duplicate,
    /// The presented bearer token is revoked and the request answered `401`.
    RevokeToken,
    /// GKV answers a SOAP fault `TEMPORARILY_UNAVAILABLE`.
    SoapFault,
}

impl FaultKind {
    /// Every kind.
    pub const ALL: [FaultKind; 7] = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::Truncate,
        FaultKind::Duplicate,
        FaultKind::RevokeToken,
        FaultKind::SoapFault,
    ];

    /// The CLI name (`429`, `5xx`, `slow`, `truncate`, `duplicate`, `revoke-token`, `soap`).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::RateLimit => "429",
            FaultKind::ServerError => "5xx",
            FaultKind::Slow => "slow",
            FaultKind::Truncate => "truncate",
            FaultKind::Duplicate => "duplicate",
            FaultKind::RevokeToken => "revoke-token",
            FaultKind::SoapFault => "soap",
        }
    }

    /// Parses a CLI name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == s.trim())
    }
}

/// Fault-injection settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// Probability (0–1) that a request gets a fault.
    pub rate: f64,
    /// Kinds that may be injected (each endpoint draws from those that apply to it).
    pub kinds: Vec<FaultKind>,
    /// Delay of a `slow` response.
    pub slow: Duration,
    /// `Retry-After` seconds on a 429.
    pub retry_after_secs: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            rate: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            slow: Duration::from_secs(35),
            retry_after_secs: 1,
        }
    }
}

/// Deterministic fault decision for request number `n` on endpoint `label`.
/// Returns the kind and a second draw (used to pick 500/502/503).
pub fn decide(
    seed: u64,
    label: &str,
    n: u64,
    cfg: &FaultConfig,
    applicable: &[FaultKind],
) -> Option<(FaultKind, u64)> {
    if cfg.rate <= 0.0 {
        return None;
    }
    let kinds: Vec<FaultKind> = cfg
        .kinds
        .iter()
        .copied()
        .filter(|k| applicable.contains(k))
        .collect();
    if kinds.is_empty() {
        return None;
    }
    let digest = Sha256::digest(format!("{seed}|{label}|{n}").as_bytes());
    let word = |i: usize| {
        digest
            .iter()
            .skip(i * 8)
            .take(8)
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    };
    let roll = (word(0) % 1_000_000) as f64 / 1_000_000.0;
    if roll >= cfg.rate {
        return None;
    }
    let kind = kinds[(word(1) % kinds.len() as u64) as usize];
    Some((kind, word(2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_deterministic_and_follow_the_rate() {
        let cfg = FaultConfig {
            rate: 0.3,
            ..FaultConfig::default()
        };
        let a: Vec<_> = (0..200)
            .map(|n| decide(7, "x", n, &cfg, &FaultKind::ALL))
            .collect();
        let b: Vec<_> = (0..200)
            .map(|n| decide(7, "x", n, &cfg, &FaultKind::ALL))
            .collect();
        assert_eq!(a, b);
        let hits = a.iter().filter(|d| d.is_some()).count();
        assert!((30..=90).contains(&hits), "about 30 % of 200, got {hits}");
        assert!(decide(7, "x", 1, &cfg, &[]).is_none());
        assert_eq!(FaultKind::parse("revoke-token"), Some(FaultKind::RevokeToken));
    }
}
