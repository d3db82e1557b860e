//! Source systems and pupil identity: national ids are only ever stored as a keyed hash.

use std::fmt;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::ParseError;

/// The system a record came from (and where its tasks are pushed back to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// ParnasSys generiek koppelvlak (SOAP snapshot of pupils and groups).
    ParnassysGkv,
    /// ParnasSys REST (results, notes, plans; reference contract).
    Parnassys,
    /// Leeruniek REST (group plans, notes; reference contract).
    Leeruniek,
    /// OSO overstapdossier import.
    Oso,
    /// CSV export import.
    Csv,
    /// EDEXML 2.1 file import (pupils, groups, memberships).
    Edexml,
    /// UWLR 2.2: pupil data (`HaalLeerlinggegevens`) and results (`BrengLeerresultaten`).
    Uwlr,
}

impl Source {
    /// All sources, in a stable order.
    pub const ALL: [Source; 7] = [
        Self::ParnassysGkv,
        Self::Parnassys,
        Self::Leeruniek,
        Self::Oso,
        Self::Csv,
        Self::Edexml,
        Self::Uwlr,
    ];

    /// Stable identifier as written to the store and config (`parnassys_gkv`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParnassysGkv => "parnassys_gkv",
            Self::Parnassys => "parnassys",
            Self::Leeruniek => "leeruniek",
            Self::Oso => "oso",
            Self::Csv => "csv",
            Self::Edexml => "edexml",
            Self::Uwlr => "uwlr",
        }
    }

    /// Parses the identifier written by [`Source::as_str`].
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == input.trim())
            .ok_or_else(|| {
                ParseError::new(
                    "source",
                    input,
                    "expected parnassys_gkv, parnassys, leeruniek, oso, csv, edexml or uwlr",
                )
            })
    }

    /// Whether tasks can be pushed back to this system.
    pub fn accepts_tasks(self) -> bool {
        matches!(self, Self::Parnassys | Self::Leeruniek)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Hashes national identifiers (BSN, onderwijsnummer/PGN, ECK iD) with a board-wide secret key,
/// so the same pupil is recognised across sources without ever storing the number itself.
#[derive(Clone)]
pub struct ExternalIdHasher {
    key: SecretString,
}

impl fmt::Debug for ExternalIdHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExternalIdHasher([redacted])")
    }
}

impl ExternalIdHasher {
    /// A hasher keyed with the board's pseudonymisation secret.
    pub fn new(key: SecretString) -> Self {
        Self { key }
    }

    /// `kind` namespaces the id (`bsn`, `pgn`, `eck`); digits-only ids are normalised (spaces dropped).
    pub fn hash(&self, kind: &str, id: &str) -> String {
        let normalised: String = id.chars().filter(|c| !c.is_whitespace()).collect();
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(self.key.expose_secret().as_bytes()) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(normalised.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_round_trips() {
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Ok(s));
        }
        assert!(Source::parse("magister").is_err());
    }

    #[test]
    fn hash_is_keyed_and_normalised() {
        let a = ExternalIdHasher::new(SecretString::from("k1"));
        let b = ExternalIdHasher::new(SecretString::from("k2"));
        assert_eq!(a.hash("bsn", "1234 56 782"), a.hash("bsn", "123456782"));
        assert_ne!(a.hash("bsn", "123456782"), b.hash("bsn", "123456782"));
        assert_ne!(a.hash("bsn", "123456782"), a.hash("pgn", "123456782"));
        assert!(!a.hash("bsn", "123456782").contains("123456782"));
        assert_eq!(format!("{a:?}"), "ExternalIdHasher([redacted])");
    }
}
