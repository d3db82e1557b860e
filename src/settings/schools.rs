//! `[[schools]]`: the schools of the board with their care ladder, mail addresses and per-source
//! credentials (each source optional per school).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::mail::Holiday;
use super::secret::serialize_redacted;
use crate::domain::{Brin, HolidayRegion, School, SchoolCalendar, SchoolHoliday};

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
    /// The school's holidays (`[schools.calendar]`): they pause plan, OPP and EED deadlines and
    /// decide which days are school days.
    #[serde(default)]
    pub calendar: CalendarSettings,
    /// ParnasSys GKV (SOAP) credentials, if this school uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parnassys_gkv: Option<GkvCredentials>,
    /// ParnasSys REST (OAuth2) credentials, if this school uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parnassys: Option<OAuthCredentials>,
    /// Leeruniek (OAuth2) credentials, if this school uses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leeruniek: Option<OAuthCredentials>,
    /// UWLR `LeerlinggegevensService` of the school's LAS (ESIS, Dotcom, ParnasSys, …), if the
    /// school delivers its pupils that way instead of (or beside) GKV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uwlr: Option<UwlrCredentials>,
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

    /// The school's holiday calendar: its region's national holidays plus its own dates.
    pub fn school_calendar(&self) -> SchoolCalendar {
        self.calendar.to_calendar()
    }
}

/// `[schools.calendar]`: the school's vakantieregio and/or its own holiday dates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CalendarSettings {
    /// `noord`, `midden` or `zuid`: the national schoolvakanties of that region (OCW dates,
    /// school years 2024-2025 to 2027-2028). Unset: only `holidays` count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<HolidayRegion>,
    /// Explicit holidays, inclusive dates (`[[schools.calendar.holidays]] from, to, name`), added
    /// to the region's: studiedagen, a second meiweek, or every holiday of a school that deviates.
    pub holidays: Vec<Holiday>,
}

impl CalendarSettings {
    /// The domain calendar.
    pub fn to_calendar(&self) -> SchoolCalendar {
        let explicit: Vec<SchoolHoliday> = self
            .holidays
            .iter()
            .map(|h| SchoolHoliday::new(h.from, h.to, h.name.clone()))
            .collect();
        SchoolCalendar::new(self.region, &explicit)
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

/// `[schools.uwlr]`: where the school's LAS serves `HaalLeerlinggegevens` and with which key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UwlrCredentials {
    /// Endpoint URL of the LAS's `LeerlinggegevensService` (from the LAS's koppelingenbeheer).
    pub url: String,
    /// `autorisatiesleutel` the school issued to Zorgsignaal in its LAS (1 to 64 characters).
    #[serde(serialize_with = "serialize_redacted")]
    pub key: SecretString,
    /// PEM file with the client certificate and its private key, for a LAS that requires one
    /// (ESIS does); absent: no client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<std::path::PathBuf>,
}
