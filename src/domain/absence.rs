//! Verzuim (absence): one registered absence of a pupil on one day, with the hours missed and
//! whether it was authorised (issue 18 item 2). Feeds the leerplicht report duty (unauthorised
//! absence) and the JGZ conversation about frequent sick absence. Only the date, the hours and
//! the kind are kept: no reason text, no doctor, no remark (data minimisation).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Brin, ParseError, Source};

/// The kind of an absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceKind {
    /// Ziekte (ziekmelding): authorised.
    Sick,
    /// Geoorloofd verzuim other than sickness (verlof, artsbezoek, religieuze feestdag).
    Authorised,
    /// Ongeoorloofd verzuim (spijbelen, luxeverzuim, te laat zonder reden).
    Unauthorised,
}

impl AbsenceKind {
    /// Every kind, in a stable order.
    pub const ALL: [AbsenceKind; 3] = [Self::Sick, Self::Authorised, Self::Unauthorised];

    /// Stable identifier as stored (`sick`, `authorised`, `unauthorised`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sick => "sick",
            Self::Authorised => "authorised",
            Self::Unauthorised => "unauthorised",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == input.trim())
            .ok_or_else(|| {
                ParseError::new("absence kind", input, "expected sick, authorised or unauthorised")
            })
    }

    /// Parses the Dutch word of the reference contract and the CSV export (`ziek`, `geoorloofd`,
    /// `ongeoorloofd`, and a few synonyms such as `ziekte` and `luxeverzuim`), case-insensitively.
    pub fn parse_dutch(input: &str) -> Option<Self> {
        match input.trim().to_lowercase().as_str() {
            "ziek" | "ziekte" | "ziekmelding" => Some(Self::Sick),
            "geoorloofd" | "verlof" | "geoorloofd verzuim" => Some(Self::Authorised),
            "ongeoorloofd" | "ongeoorloofd verzuim" | "luxeverzuim" | "spijbelen" => Some(Self::Unauthorised),
            _ => None,
        }
    }

    /// The Dutch word (as the reference contract writes it).
    pub fn dutch(self) -> &'static str {
        match self {
            Self::Sick => "ziek",
            Self::Authorised => "geoorloofd",
            Self::Unauthorised => "ongeoorloofd",
        }
    }

    /// Whether the absence was authorised (sickness is).
    pub fn is_authorised(self) -> bool {
        !matches!(self, Self::Unauthorised)
    }
}

/// One absence (verzuimregistratie) of one pupil on one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Absence {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Source id of the registration.
    pub external_id: String,
    /// Source pupil id.
    pub pupil_external_id: String,
    /// The day.
    pub on: NaiveDate,
    /// Hours of onderwijstijd missed that day (0 < hours ≤ 24).
    pub hours: f64,
    /// Sick, other authorised, or unauthorised.
    pub kind: AbsenceKind,
}

impl Absence {
    /// Checks the hours: more than 0 and at most 24 on one day.
    pub fn valid_hours(hours: f64) -> bool {
        hours.is_finite() && hours > 0.0 && hours <= 24.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_read_dutch() {
        for k in AbsenceKind::ALL {
            assert_eq!(AbsenceKind::parse(k.as_str()), Ok(k));
            assert_eq!(AbsenceKind::parse_dutch(k.dutch()), Some(k));
        }
        assert_eq!(AbsenceKind::parse_dutch(" Ziekte "), Some(AbsenceKind::Sick));
        assert_eq!(
            AbsenceKind::parse_dutch("Luxeverzuim"),
            Some(AbsenceKind::Unauthorised)
        );
        assert_eq!(AbsenceKind::parse_dutch("misschien"), None);
        assert!(AbsenceKind::parse("ziek").is_err());
        assert!(AbsenceKind::Sick.is_authorised() && !AbsenceKind::Unauthorised.is_authorised());
    }

    #[test]
    fn hours_are_checked() {
        assert!(Absence::valid_hours(5.5) && Absence::valid_hours(24.0));
        assert!(!Absence::valid_hours(0.0) && !Absence::valid_hours(-1.0) && !Absence::valid_hours(f64::NAN));
        assert!(!Absence::valid_hours(25.0));
    }
}
