//! Leerling, groep and groepsindeling (membership). No addresses: data minimisation (AVG).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Brin, Grade, SchoolYear, Source};

/// A pupil (leerling) at one school. Identified by the source pupil id (GKV `leerling.id`);
/// names are display data, never a key, and never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pupil {
    /// School the pupil is (or was) enrolled at.
    pub school: Brin,
    /// System that registered the pupil.
    pub source: Source,
    /// Source pupil id, unique per school.
    pub external_id: String,
    /// Keyed hash of BSN/PGN/ECK iD when known (see [`super::ExternalIdHasher`]).
    pub national_id_hash: Option<String>,
    /// Roepnaam.
    pub given_name: String,
    /// Tussenvoegsel (`van`, `de`).
    pub surname_prefix: Option<String>,
    /// Achternaam.
    pub surname: String,
    /// Geboortedatum.
    pub birth_date: Option<NaiveDate>,
    /// Date the pupil left the school (uitschrijfdatum), if so.
    pub left_on: Option<NaiveDate>,
    /// Dyslexieverklaring, when one is established: only the fact and its date.
    #[serde(default)]
    pub dyslexia_statement: Option<DyslexiaStatement>,
}

/// An established dyslexieverklaring (OSO `diagnose` F81.0, a CSV column, the ParnasSys REST
/// field). Data minimisation: only that it exists and its date — never the report, the
/// diagnostician or any other part of a diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DyslexiaStatement {
    /// Date of the statement, when the source gives one.
    pub on: Option<NaiveDate>,
}

impl Pupil {
    /// Roepnaam + achternaam (with tussenvoegsel), for the IB's own screens only.
    pub fn full_name(&self) -> String {
        match &self.surname_prefix {
            Some(p) if !p.trim().is_empty() => format!("{} {} {}", self.given_name, p.trim(), self.surname),
            _ => format!("{} {}", self.given_name, self.surname),
        }
    }

    /// Roepnaam + initial of the surname (`Sanne d.V.` style is not used: `Sanne V.`), for mails.
    pub fn given_name_and_initial(&self) -> String {
        match self.surname.chars().next() {
            Some(c) => format!("{} {}.", self.given_name, c.to_uppercase()),
            None => self.given_name.clone(),
        }
    }

    /// Initials only (`S.V.`), the most private display form.
    pub fn initials(&self) -> String {
        let mut s = String::new();
        for part in [&self.given_name, &self.surname] {
            if let Some(c) = part.chars().next() {
                s.extend(c.to_uppercase());
                s.push('.');
            }
        }
        s
    }
}

/// A group (groep / klas) in one school year; may combine grades (combinatiegroep), so the
/// grade of a pupil lives on the [`Membership`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// School.
    pub school: Brin,
    /// Source group id.
    pub external_id: String,
    /// Display name, e.g. `Groep 4b`.
    pub name: String,
    /// School year.
    pub school_year: SchoolYear,
}

/// Groepsindeling: a pupil in a group during a period, with the grade (leerjaar) then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// School.
    pub school: Brin,
    /// Source pupil id.
    pub pupil_external_id: String,
    /// Source group id.
    pub group_external_id: String,
    /// Leerjaar during this membership.
    pub grade: Grade,
    /// vanafDatum.
    pub from: NaiveDate,
    /// totDatum (inclusive), open when current.
    pub to: Option<NaiveDate>,
}

impl Membership {
    /// Whether the membership covers `date`.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && self.to.is_none_or(|t| date <= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pupil() -> Pupil {
        Pupil {
            school: Brin::parse("11ZW").expect("brin"),
            source: Source::ParnassysGkv,
            external_id: "p1".into(),
            national_id_hash: None,
            given_name: "Sanne".into(),
            surname_prefix: Some("de".into()),
            surname: "Vries".into(),
            birth_date: None,
            left_on: None,
            dyslexia_statement: None,
        }
    }

    #[test]
    fn display_forms() {
        let p = pupil();
        assert_eq!(p.full_name(), "Sanne de Vries");
        assert_eq!(p.given_name_and_initial(), "Sanne V.");
        assert_eq!(p.initials(), "S.V.");
    }

    #[test]
    fn membership_cover_is_inclusive() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).expect("date");
        let m = Membership {
            school: Brin::parse("11ZW").expect("brin"),
            pupil_external_id: "p1".into(),
            group_external_id: "g1".into(),
            grade: Grade::new(4).expect("grade"),
            from: d(8, 1),
            to: Some(d(12, 31)),
        };
        assert!(m.covers(d(8, 1)) && m.covers(d(12, 31)));
        assert!(!m.covers(d(7, 31)));
    }
}
