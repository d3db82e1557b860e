//! `[mail]`: SMTP and the IB digest (docs/DOMAIN.md §7).

use chrono::NaiveDate;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::secret::serialize_redacted;

/// `[mail]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// Whether mail is sent at all.
    pub enabled: bool,
    /// SMTP host.
    pub host: String,
    /// SMTP port (default 587).
    pub port: u16,
    /// Transport security.
    pub tls: MailTls,
    /// SMTP user name; empty for no authentication.
    pub username: String,
    /// SMTP password.
    #[serde(serialize_with = "serialize_redacted")]
    pub password: SecretString,
    /// Sender address.
    pub from: String,
    /// How pupils are named in mails.
    pub pupil_names: PupilNames,
    /// Dashboard link in mails.
    pub dashboard_url: String,
    /// At most this many mails per IB per hour (default 1).
    pub max_per_ib_per_hour: u32,
    /// School holidays: no digests from `from` to `to` inclusive.
    pub holidays: Vec<Holiday>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            host: String::new(),
            port: 587,
            tls: MailTls::Starttls,
            username: String::new(),
            password: SecretString::default(),
            from: String::new(),
            pupil_names: PupilNames::RoepnaamInitial,
            dashboard_url: String::new(),
            max_per_ib_per_hour: 1,
            holidays: Vec::new(),
        }
    }
}

impl MailSettings {
    /// Whether `date` falls in a configured holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays.iter().any(|h| h.from <= date && date <= h.to)
    }
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a local relay or test sink.
    None,
}

/// How pupils appear in mails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PupilNames {
    /// Roepnaam and initial of the last name (`Sanne B.`).
    RoepnaamInitial,
    /// Initials only (`S.B.`).
    Initials,
}

/// A school holiday (vakantie), inclusive dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// First day.
    #[serde(with = "toml_date")]
    pub from: NaiveDate,
    /// Last day.
    #[serde(with = "toml_date")]
    pub to: NaiveDate,
    /// Name (`herfstvakantie`).
    pub name: String,
}

/// Dates written either as TOML dates (`2026-10-17`) or as strings (`"2026-10-17"`).
pub(super) mod toml_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Toml {
            // How the toml crate (and figment through it) hands over a native TOML date.
            #[serde(rename = "$__toml_private_datetime")]
            value: String,
        },
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let text = match Repr::deserialize(d)? {
            Repr::Text(t) | Repr::Toml { value: t } => t,
        };
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|e| D::Error::custom(format!("expected a date YYYY-MM-DD, found {text:?}: {e}")))
    }

    pub(super) fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&date.format("%Y-%m-%d").to_string())
    }
}
