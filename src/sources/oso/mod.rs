//! OSO overstapdossier import (Edustandaard OSO-gegevensset 2019.1): a pure parser from the XML
//! of one dossier to domain records. Only what the rules need is extracted (docs/IMPORT.md).

mod extract;
mod tree;

pub use extract::parse_dossier;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{Brin, Grade, Membership, Pupil, SchoolYear, SupportPlan, TestResult};

/// Why a dossier was rejected. Every variant names the line; none carries a pupil's name or
/// national id. The import is all-or-nothing: on any error nothing from the file may be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OsoError {
    /// The file is not well-formed XML (or not UTF-8, or not rooted at `<dossier>`).
    #[error("OSO dossier line {line}: invalid XML: {reason}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An element the schema requires (and Zorgsignaal uses) is absent or empty.
    #[error("OSO dossier line {line}: missing required element <{parent}>/<{element}>")]
    Missing {
        /// Line of the parent element.
        line: usize,
        /// Parent element name.
        parent: String,
        /// Missing child element name.
        element: String,
    },
    /// An element holds a value that is impossible for its type (date, BRIN, level, number).
    #[error("OSO dossier line {line}: invalid value in <{element}>: {reason}")]
    Invalid {
        /// Line of the element.
        line: usize,
        /// Element name.
        element: String,
        /// Why (the value is only echoed for non-personal fields).
        reason: String,
    },
    /// The file broke a limit of [`crate::sources::xml`]: too large, a repeated attribute name,
    /// too many attributes or namespace declarations on one tag, too deep.
    #[error("OSO dossier line {line}: refused: {limit}")]
    Refused {
        /// Line of the offending tag (1 for the size).
        line: usize,
        /// The limit it broke.
        limit: crate::sources::xml::XmlLimitError,
    },
    /// The pupil carries neither `bsn`, `onderwijsnummer` nor `leerlingid`.
    #[error(
        "OSO dossier line {line}: <leerling> has no bsn, onderwijsnummer or leerlingid to identify the pupil"
    )]
    NoIdentifier {
        /// Line of `<leerling>`.
        line: usize,
    },
}

/// The school that sent the dossier (huidigeschool).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsoSchool {
    /// `huidigeschool/brincode`.
    pub brin: Brin,
    /// `huidigeschool/vestigingscode` (two digits).
    pub branch: String,
    /// `huidigeschool/naam`.
    pub name: String,
}

/// One period of the schoolloopbaan: a school year in a group at a school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolPeriod {
    /// School of that period (`brincode`).
    pub school: Brin,
    /// Vestigingscode.
    pub branch: String,
    /// Schooljaar.
    pub school_year: SchoolYear,
    /// Groepscode as the school wrote it (`4b`, `1/2`).
    pub group_code: String,
    /// Jaargroep as written (PO `1`–`8`; VO and SO use other codes).
    pub grade_code: String,
    /// Jaargroep as a primary-school grade, when it is one.
    pub grade: Option<Grade>,
    /// Begindatum, if given.
    pub from: Option<NaiveDate>,
    /// Einddatum (inclusive), if given.
    pub to: Option<NaiveDate>,
}

impl SchoolPeriod {
    /// This period as a [`Membership`] of pupil `pupil_external_id` at the period's own school,
    /// with a deterministic group id `oso:<schooljaar>:<groepscode>`. `None` when the period has
    /// no PO grade; a missing begindatum becomes August 1 of the school year.
    pub fn to_membership(&self, pupil_external_id: &str) -> Option<Membership> {
        Some(Membership {
            school: self.school.clone(),
            pupil_external_id: pupil_external_id.to_string(),
            group_external_id: format!("oso:{}:{}", self.school_year, self.group_code),
            grade: self.grade?,
            from: self.from.unwrap_or_else(|| self.school_year.first_day()),
            to: self.to,
        })
    }
}

/// Everything Zorgsignaal takes from one overstapdossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsoDossier {
    /// `metadata/datum`: when the sending system produced the dossier.
    pub created_on: NaiveDate,
    /// The sending school.
    pub school: OsoSchool,
    /// The pupil (roepnaam, voorvoegsel, achternaam, geboortedatum and a keyed id hash only),
    /// registered at the sending school until [`OsoDossier::assign_to_school`] moves it.
    pub pupil: Pupil,
    /// Schoolloopbaan, in file order.
    pub school_history: Vec<SchoolPeriod>,
    /// One result per `toets` (its own `resultaat`) plus one per `toetsonderdeel`, in file order.
    pub results: Vec<TestResult>,
    /// `handelingsplan` and `opp` periods.
    pub plans: Vec<SupportPlan>,
}

impl OsoDossier {
    /// Registers the pupil, results and plans at `school` (the `--school` override); the
    /// schoolloopbaan keeps its own schools.
    pub fn assign_to_school(&mut self, school: &Brin) {
        self.pupil.school = school.clone();
        for r in &mut self.results {
            r.school = school.clone();
        }
        for p in &mut self.plans {
            p.school = school.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use crate::domain::ExternalIdHasher;

    use super::*;

    fn hasher() -> ExternalIdHasher {
        ExternalIdHasher::new(SecretString::from("unit"))
    }

    /// A minimal dossier; `leerling` is spliced in as the pupil's body (starting on line 8).
    fn dossier(leerling: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?>\n<dossier>\n<metadata><datum>2026-01-05</datum></metadata>\n\
             <huidigeschool>\n<naam>School</naam>\n<brincode>12AB</brincode>\n<vestigingscode>00</vestigingscode>\n\
             <leerling>\n{leerling}\n</leerling>\n</huidigeschool>\n</dossier>\n"
        )
    }

    const PUPIL: &str = "<achternaam>Jansen</achternaam>\n<roepnaam>Ali</roepnaam>\n<bsn>111222333</bsn>";

    fn toets(value: &str) -> String {
        format!(
            "{PUPIL}\n<toetslijst>\n<toets>\n<toetsidentificatie><eldtoetscode>DMT</eldtoetscode></toetsidentificatie>\n\
             <afname><afnamedatum>2026-01-20</afnamedatum></afname>\n<resultaat>\n<referentiescore>\n\
             <codereferentiescore>IV</codereferentiescore>\n<codevergelijkingsgroep>Landelijk</codevergelijkingsgroep>\n\
             <waarde>{value}</waarde>\n</referentiescore>\n</resultaat>\n</toets>\n</toetslijst>"
        )
    }

    #[test]
    fn minimal_dossier_parses() {
        let d = parse_dossier(dossier(&toets("V-")).as_bytes(), &hasher()).expect("valid");
        assert_eq!(d.results.len(), 1);
        assert_eq!(d.results[0].test_name, "DMT");
        assert_eq!(d.results[0].stated_moment, None);
        assert_eq!(d.created_on.to_string(), "2026-01-05");
        let mut moved = d.clone();
        let other = Brin::parse("34CD").expect("brin");
        moved.assign_to_school(&other);
        assert_eq!(moved.pupil.school, other);
        assert!(moved.results.iter().all(|r| r.school == other));
    }

    #[test]
    fn impossible_level_names_element_and_line() {
        let err = parse_dossier(dossier(&toets("VII")).as_bytes(), &hasher()).expect_err("VII");
        // Line 8 is <leerling>; PUPIL takes 3 lines, then toetslijst(12) toets(13) … waarde(20).
        assert_eq!(
            err.to_string(),
            "OSO dossier line 20: invalid value in <referentiescore/waarde>: \"VII\" is not a level on scale IV"
        );
    }

    #[test]
    fn missing_brincode_and_identifier_are_errors() {
        let no_brin = dossier(PUPIL).replace("<brincode>12AB</brincode>", "");
        let err = parse_dossier(no_brin.as_bytes(), &hasher()).expect_err("no brin");
        assert_eq!(
            err,
            OsoError::Missing {
                line: 4,
                parent: "huidigeschool".into(),
                element: "brincode".into()
            }
        );
        let anonymous = dossier("<achternaam>Jansen</achternaam>");
        assert_eq!(
            parse_dossier(anonymous.as_bytes(), &hasher()),
            Err(OsoError::NoIdentifier { line: 8 })
        );
        let empty_waarde = dossier(&toets(""));
        let err = parse_dossier(empty_waarde.as_bytes(), &hasher()).expect_err("empty waarde");
        assert!(
            err.to_string()
                .contains("missing required element <referentiescore>/<waarde>"),
            "{err}"
        );
    }

    /// Issue 16 item 4: a `diagnose` with code F81.0 is a dyslexieverklaring (fact and date
    /// only); other diagnoses are not read.
    #[test]
    fn dyslexia_diagnosis_becomes_only_a_fact_and_a_date() {
        let diagnose = |code: &str, datum: &str| {
            format!(
                "<diagnose>\n<code>{code}</code>\n<naam>Dyslexie</naam>\n{datum}\n<doorwie>Drs. X</doorwie>\n\
                 <instantie>Instituut</instantie>\n</diagnose>"
            )
        };
        let with = |blocks: &[String]| {
            dossier(&format!(
                "{PUPIL}\n<onderwijsondersteuning>\n{}\n</onderwijsondersteuning>",
                blocks.join("\n")
            ))
        };
        type Case<'s> = (&'s str, Vec<String>, Option<Option<&'s str>>);
        let table: &[Case<'_>] = &[
            ("no diagnose", vec![], None),
            (
                "ADHD only",
                vec![diagnose("F90.0+", "<datum>2020-01-01</datum>")],
                None,
            ),
            (
                "F81.0 with date",
                vec![diagnose("F81.0", "<datum>2024-03-12</datum>")],
                Some(Some("2024-03-12")),
            ),
            ("F81.0 without date", vec![diagnose("f81.0", "")], Some(None)),
            (
                "two statements: the earliest date",
                vec![
                    diagnose("F81.0", "<datum>2024-03-12</datum>"),
                    diagnose("F81.0", "<datum>2023-05-01</datum>"),
                ],
                Some(Some("2023-05-01")),
            ),
        ];
        for (name, blocks, want) in table {
            let d = parse_dossier(with(blocks).as_bytes(), &hasher()).expect(name);
            let got = d.pupil.dyslexia_statement.map(|s| s.on.map(|on| on.to_string()));
            let want = want.map(|o| o.map(str::to_string));
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn bad_dates_do_not_echo_the_birth_date() {
        let xml = dossier(&format!("{PUPIL}\n<geboortedatum>2017-13-45</geboortedatum>"));
        let err = parse_dossier(xml.as_bytes(), &hasher()).expect_err("bad date");
        assert_eq!(
            err.to_string(),
            "OSO dossier line 12: invalid value in <geboortedatum>: not a date YYYY-MM-DD"
        );
        let bad_afname = dossier(&toets("V").replace("2026-01-20", "20-01-2026"));
        let err = parse_dossier(bad_afname.as_bytes(), &hasher()).expect_err("bad afnamedatum");
        assert!(err.to_string().contains("\"20-01-2026\" is not a date"), "{err}");
    }
}
