//! `[[schools]]`: the schools of the board with their care ladder, mail addresses and per-source
//! credentials (each source optional per school).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::secret::serialize_redacted;
use crate::domain::{Brin, School};

/// One school (`[[schools]]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolSettings {
    /// BRIN (`11ZW`, or `11ZW00` with vestiging).
    pub brin: Brin,
    /// Display name.
    pub name: String,
    /// Name of the care ladder (zorgniveaus): a preset or a `[[care_ladders]]` entry.
    pub care_ladder: String,
    /// Intern begeleiders who receive the digest.
    #[serde(default)]
    pub ib_emails: Vec<String>,
    /// Directie, for escalations.
    #[serde(default)]
    pub directie_emails: Vec<String>,
    /// ParnasSys GKV (SOAP) credentials, if this school uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parnassys_gkv: Option<GkvCredentials>,
    /// ParnasSys REST (OAuth2) credentials, if this school uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parnassys: Option<OAuthCredentials>,
    /// Leeruniek (OAuth2) credentials, if this school uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeruniek: Option<OAuthCredentials>,
}

impl SchoolSettings {
    /// The domain view of this school.
    pub fn school(&self) -> School {
        School {
            brin: self.brin.clone(),
            name: self.name.clone(),
            care_ladder: self.care_ladder.clone(),
        }
    }
}

/// Credentials for ParnasSys GKV.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GkvCredentials {
    /// Leveranciersleutel issued by ParnasSys for this school.
    #[serde(serialize_with = "serialize_redacted")]
    pub key: SecretString,
}

/// OAuth2 client-credentials for a REST source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthCredentials {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    #[serde(serialize_with = "serialize_redacted")]
    pub client_secret: SecretString,
}
