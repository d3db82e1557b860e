//! Config values that must never be printed: secrets serialize as `[redacted]`, the store URL
//! shows its password as `***` in `Debug`, `Display` and serialization.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::telemetry::redact_url;

/// What a secret serializes to.
pub const REDACTED: &str = "[redacted]";

/// `serialize_with` helper: writes [`REDACTED`] (or an empty string when the secret is unset) so
/// a serialized `Settings` shows which secrets are set without revealing them.
pub fn serialize_redacted<S: Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    if secret.expose_secret().is_empty() {
        s.serialize_str("")
    } else {
        s.serialize_str(REDACTED)
    }
}

/// Database URL (`sqlite://zorgsignaal.sqlite`, `postgres://user:password@host/db`). Holds a
/// password, so `Debug`, `Display` and `Serialize` redact it; [`StoreUrl::expose`] gives the
/// full text to the store only.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct StoreUrl(String);

impl StoreUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL including any password: only for opening the connection.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The scheme before `:` (`sqlite`, `postgres`, `postgresql`), lower-cased.
    pub fn scheme(&self) -> String {
        self.0
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// The URL with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

impl Default for StoreUrl {
    fn default() -> Self {
        Self("sqlite://zorgsignaal.sqlite".into())
    }
}

impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoreUrl({:?})", self.redacted())
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for StoreUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_url_never_shows_its_password() {
        let url = StoreUrl::new("postgres://zorg:s3cr3t@localhost/zorg");
        assert!(!format!("{url:?}").contains("s3cr3t"));
        assert!(!url.to_string().contains("s3cr3t"));
        let json = serde_json::to_string(&url).expect("serialize");
        assert!(!json.contains("s3cr3t"));
        assert_eq!(url.scheme(), "postgres");
        assert!(url.expose().contains("s3cr3t"));
    }
}
