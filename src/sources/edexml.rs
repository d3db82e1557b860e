//! EDEXML 2.1 (Edustandaard): the pupil/group/teacher file every Dutch LAS can export, and the
//! types UWLR's `HaalLeerlinggegevens` reuses. A pure reader from the XML to domain records.
//!
//! Kept: the school (brincode, schooljaar, peildatum), groups and samengestelde groepen (key,
//! name, jaargroep), pupils (key, names, birth date, BSN/onderwijsnummer/ECK iD as a keyed hash,
//! jaargroep, group references, instroom/uitstroom) and teachers (key and the groups they teach,
//! no names). Never read into memory as data: addresses/postcodes, gender, country of birth of
//! pupil and parents, pupil weight, e-mail, photos, user names, remarks (`toevoegingen`) — AVG data
//! minimisation, as for OSO.

use chrono::NaiveDate;

use crate::domain::{Brin, ExternalIdHasher, Grade, Group, Membership, Pupil, SchoolYear, Source};
use crate::sources::xml::{Element, XmlReadError, read_tree};

/// Why an EDEXML file was refused. Names the line and element, never a pupil's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EdexmlError {
    /// Not well-formed, or a limit of [`crate::sources::xml`] was broken.
    #[error("EDEXML {0}")]
    Xml(#[from] XmlReadError),
    /// The root is not `<EDEX>` or a required element is absent or empty.
    #[error("EDEXML line {line}: missing required element <{parent}>/<{element}>")]
    Missing {
        /// Line of the parent.
        line: usize,
        /// Parent element.
        parent: String,
        /// Missing element.
        element: String,
    },
    /// A value impossible for its type (date, BRIN, school year, reference to an unknown group).
    #[error("EDEXML line {line}: invalid value in <{element}>: {reason}")]
    Invalid {
        /// Line.
        line: usize,
        /// Element.
        element: String,
        /// Why (values echoed only for non-personal fields).
        reason: String,
    },
}

/// A teacher (leerkracht): only the key and the groups; names are not needed by any rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teacher {
    /// `leerkracht/@key`.
    pub key: String,
    /// Keys of the groups and samengestelde groepen taught.
    pub groups: Vec<String>,
}

/// The records of one EDEXML file (or one UWLR `leerlinggegevens` answer).
#[derive(Debug, Clone, PartialEq)]
pub struct EdexmlRoster {
    /// `school/brincode` (absent when the file identifies the school by schoolkey only).
    pub brin: Option<Brin>,
    /// `school/schooljaar`.
    pub school_year: SchoolYear,
    /// Groups and samengestelde groepen, with ids `<key>` and `sg:<key>`.
    pub groups: Vec<Group>,
    /// Pupils, `external_id` = `leerling/@key`.
    pub pupils: Vec<Pupil>,
    /// One membership per pupil and (samengestelde) group, for the whole school year, when the
    /// pupil's jaargroep is a primary grade 1–8.
    pub memberships: Vec<Membership>,
    /// Pupils without a grade 1–8 (jaargroep 0, `B`, `D`, `H`, `S`…): kept as pupils, no membership.
    pub pupils_without_grade: usize,
    /// Teachers.
    pub teachers: Vec<Teacher>,
}

/// Elements kept below their parent; everything else is dropped unread.
fn keep(parent: &str, name: &str) -> bool {
    match parent {
        "EDEX" | "leerlinggegevens" => {
            matches!(name, "school" | "groepen" | "leerlingen" | "leerkrachten")
        }
        "school" => matches!(
            name,
            "schooljaar" | "peildatum" | "brincode" | "dependancecode" | "schoolkey"
        ),
        "groepen" => matches!(name, "groep" | "samengestelde_groep"),
        "groep" | "samengestelde_groep" => matches!(name, "naam" | "jaargroep" | "rol"),
        "leerlingen" => name == "leerling",
        "leerling" => matches!(
            name,
            "achternaam"
                | "voorvoegsel"
                | "voornamen"
                | "roepnaam"
                | "geboortedatum"
                | "jaargroep"
                | "groep"
                | "samengestelde_groepen"
                | "bsn"
                | "onderwijsnummer"
                | "instroomdatum"
                | "uitstroomdatum"
        ),
        "samengestelde_groepen" => name == "samengestelde_groep",
        "leerkrachten" => name == "leerkracht",
        "leerkracht" => name == "groepen",
        _ => false,
    }
}

/// Parses an EDEXML 2.1 file; every record is registered at `school` (the import's `--school`;
/// the file's own brincode is reported in [`EdexmlRoster::brin`]).
pub fn parse_edexml(
    xml: &[u8],
    school: &Brin,
    hasher: &ExternalIdHasher,
) -> Result<EdexmlRoster, EdexmlError> {
    let root = read_tree(xml, &keep)?;
    if root.name != "EDEX" {
        return Err(EdexmlError::Invalid {
            line: root.line,
            element: root.name.clone(),
            reason: "root element must be <EDEX>".into(),
        });
    }
    roster_from(&root, school, Source::Edexml, hasher)
}

/// Reads the EDEXML content below `root` (`<EDEX>`, or UWLR's `leerlinggegevens` whose children
/// have the same shape) as records of `source` at `placeholder`.
pub(crate) fn roster_from(
    root: &Element,
    placeholder: &Brin,
    source: Source,
    hasher: &ExternalIdHasher,
) -> Result<EdexmlRoster, EdexmlError> {
    let school = required(root, "school")?;
    let year_text = required_text(school, "schooljaar")?;
    let school_year =
        SchoolYear::parse(year_text).map_err(|e| invalid(school, "schooljaar", e.to_string()))?;
    let brin = match school.child("brincode") {
        Some(b) => Some(Brin::parse(b.text.trim()).map_err(|e| invalid(b, "brincode", e.to_string()))?),
        None => None,
    };

    let mut groups = Vec::new();
    let mut group_grades: Vec<(String, Option<Grade>)> = Vec::new();
    if let Some(list) = root.child("groepen") {
        for g in &list.children {
            let key = required_attr(g, "key")?;
            let id = match g.name.as_str() {
                "samengestelde_groep" => format!("sg:{key}"),
                _ => key.to_owned(),
            };
            if group_grades.iter().any(|(k, _)| *k == id) {
                return Err(invalid(g, "groep", format!("key {key} is used twice")));
            }
            let name = required_text(g, "naam")?;
            let grade = g.text_of("jaargroep").and_then(|j| Grade::parse(j).ok());
            groups.push(Group {
                school: placeholder.clone(),
                external_id: id.clone(),
                name: name.to_owned(),
                school_year,
            });
            group_grades.push((id, grade));
        }
    }
    let known_group = |id: &str| group_grades.iter().any(|(k, _)| k == id);

    let mut pupils = Vec::new();
    let mut memberships = Vec::new();
    let mut pupils_without_grade = 0;
    if let Some(list) = root.child("leerlingen") {
        for l in list.children_named("leerling") {
            let key = required_attr(l, "key")?;
            if pupils.iter().any(|p: &Pupil| p.external_id == key) {
                return Err(invalid(l, "leerling", "a pupil key is used twice".into()));
            }
            let national_id_hash = if let Some(bsn) = l.text_of("bsn") {
                Some(hasher.hash("bsn", bsn))
            } else if let Some(pgn) = l.text_of("onderwijsnummer") {
                Some(hasher.hash("pgn", pgn))
            } else {
                l.attribute("eckid")
                    .filter(|e| !e.trim().is_empty())
                    .map(|eck| hasher.hash("eck", eck))
            };
            let given_name = l
                .text_of("roepnaam")
                .or_else(|| l.text_of("voornamen").and_then(|v| v.split_whitespace().next()))
                .unwrap_or_default();
            let date = |name: &str| -> Result<Option<NaiveDate>, EdexmlError> {
                l.text_of(name)
                    .map(|t| {
                        NaiveDate::parse_from_str(t, "%Y-%m-%d")
                            .map_err(|_| invalid(l, name, "not a date (yyyy-mm-dd)".into()))
                    })
                    .transpose()
            };
            let birth_date = date("geboortedatum")?;
            date("instroomdatum")?;
            let left_on = date("uitstroomdatum")?;
            pupils.push(Pupil {
                school: placeholder.clone(),
                source,
                external_id: key.to_owned(),
                national_id_hash,
                given_name: given_name.to_owned(),
                surname_prefix: l.text_of("voorvoegsel").map(str::to_owned),
                surname: l.text_of("achternaam").unwrap_or_default().to_owned(),
                birth_date,
                left_on,
                dyslexia_statement: None,
            });
            let mut refs: Vec<String> = Vec::new();
            if let Some(g) = l.child("groep") {
                refs.push(required_attr(g, "key")?.to_owned());
            }
            if let Some(sgs) = l.child("samengestelde_groepen") {
                for sg in sgs.children_named("samengestelde_groep") {
                    refs.push(format!("sg:{}", required_attr(sg, "key")?));
                }
            }
            for r in &refs {
                if !known_group(r) {
                    return Err(invalid(
                        l,
                        "groep",
                        "refers to a group that is not in <groepen>".into(),
                    ));
                }
            }
            let grade = l
                .text_of("jaargroep")
                .and_then(|j| Grade::parse(j).ok())
                .or_else(|| {
                    l.child("groep").and_then(|g| {
                        let key = g.attribute("key")?;
                        group_grades
                            .iter()
                            .find(|(k, _)| k == key)
                            .and_then(|(_, gr)| *gr)
                    })
                });
            match grade {
                Some(grade) => {
                    for r in refs {
                        memberships.push(Membership {
                            school: placeholder.clone(),
                            pupil_external_id: key.to_owned(),
                            group_external_id: r,
                            grade,
                            from: school_year.first_day(),
                            to: Some(school_year.last_day()),
                        });
                    }
                }
                None => pupils_without_grade += 1,
            }
        }
    }

    let mut teachers = Vec::new();
    if let Some(list) = root.child("leerkrachten") {
        for t in list.children_named("leerkracht") {
            let key = required_attr(t, "key")?.to_owned();
            let mut taught = Vec::new();
            if let Some(gs) = t.child("groepen") {
                for g in &gs.children {
                    let k = required_attr(g, "key")?;
                    let id = if g.name == "samengestelde_groep" {
                        format!("sg:{k}")
                    } else {
                        k.to_owned()
                    };
                    if !known_group(&id) {
                        return Err(invalid(
                            g,
                            "groep",
                            "refers to a group that is not in <groepen>".into(),
                        ));
                    }
                    taught.push(id);
                }
            }
            teachers.push(Teacher { key, groups: taught });
        }
    }

    Ok(EdexmlRoster {
        brin,
        school_year,
        groups,
        pupils,
        memberships,
        pupils_without_grade,
        teachers,
    })
}

fn required<'a>(parent: &'a Element, name: &str) -> Result<&'a Element, EdexmlError> {
    parent.child(name).ok_or_else(|| EdexmlError::Missing {
        line: parent.line,
        parent: parent.name.clone(),
        element: name.into(),
    })
}

fn required_text<'a>(parent: &'a Element, name: &str) -> Result<&'a str, EdexmlError> {
    parent.text_of(name).ok_or_else(|| EdexmlError::Missing {
        line: parent.line,
        parent: parent.name.clone(),
        element: name.into(),
    })
}

fn required_attr<'a>(element: &'a Element, name: &str) -> Result<&'a str, EdexmlError> {
    element
        .attribute(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| EdexmlError::Missing {
            line: element.line,
            parent: element.name.clone(),
            element: format!("@{name}"),
        })
}

fn invalid(at: &Element, element: &str, reason: String) -> EdexmlError {
    EdexmlError::Invalid {
        line: at.line,
        element: element.into(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;

    fn hasher() -> ExternalIdHasher {
        ExternalIdHasher::new(SecretString::from("test-key"))
    }

    fn school() -> Brin {
        Brin::parse("23QK").expect("brin")
    }

    const EXAMPLE: &[u8] = include_bytes!("../../tests/fixtures/edexml/EDEXML.Voorbeeld.2.1.xml");

    #[test]
    fn the_official_example_reads_pupils_groups_memberships_and_teachers() {
        let r = parse_edexml(EXAMPLE, &school(), &hasher()).expect("the official example");
        assert_eq!(r.brin.as_ref().map(Brin::as_str), Some("99ZZ"));
        assert_eq!(r.school_year, SchoolYear::starting(2014));
        assert_eq!(r.groups.len(), 8);
        assert!(
            r.groups
                .iter()
                .any(|g| g.external_id == "sg:sg1" && g.name == "Samgroep 1")
        );
        assert_eq!(r.pupils.len(), 3);
        assert!(
            r.pupils
                .iter()
                .all(|p| p.school == school() && p.source == Source::Edexml)
        );
        let wimpie = &r.pupils[0];
        assert_eq!(
            (wimpie.given_name.as_str(), wimpie.surname.as_str()),
            ("Wimpie", "")
        );
        assert!(wimpie.national_id_hash.is_some(), "ECK iD hashed");
        let assati = &r.pupils[1];
        assert_eq!(
            (assati.given_name.as_str(), assati.surname.as_str()),
            ("Ismaël", "Assati")
        );
        assert_eq!(assati.national_id_hash, Some(hasher().hash("bsn", "133456785")));
        let hof = &r.pupils[2];
        assert_eq!(hof.surname_prefix.as_deref(), Some("van 't"));
        assert_eq!(hof.left_on, NaiveDate::from_ymd_opt(2014, 7, 18));
        // Wimpie: groep GRP4B and two samengestelde groepen, grade 4; Assati has a grade but no
        // group; Hof's jaargroep H is no primary grade.
        let ids: Vec<&str> = r
            .memberships
            .iter()
            .map(|m| m.group_external_id.as_str())
            .collect();
        assert_eq!(ids, ["GRP4B", "sg:sg1", "sg:sg2"]);
        assert!(
            r.memberships
                .iter()
                .all(|m| m.grade.get() == 4 && m.pupil_external_id == "00001")
        );
        assert_eq!(r.pupils_without_grade, 1);
        assert_eq!(r.teachers.len(), 3);
        assert_eq!(r.teachers[1].groups, ["002", "sg:sg1", "001", "sg:sg2", "sg:sg3"]);
    }

    #[test]
    fn nothing_beyond_the_kept_fields_is_read() {
        let r = parse_edexml(EXAMPLE, &school(), &hasher()).expect("the official example");
        let dump = format!("{r:?}");
        for absent in [
            "6971VB",
            "133456785",
            "MA",
            "0,3",
            "Opmerking",
            "Huissen",
            "Bemmel",
            "Veldman",
            "Uilke",
        ] {
            assert!(!dump.contains(absent), "{absent} leaked into the parsed roster");
        }
    }

    #[test]
    fn broken_files_say_where() {
        let err = parse_edexml(b"<other/>", &school(), &hasher()).expect_err("root");
        assert!(err.to_string().contains("<EDEX>"), "{err}");
        let no_year = b"<EDEX>\n<school><brincode>99ZZ</brincode></school></EDEX>";
        let err = parse_edexml(no_year, &school(), &hasher()).expect_err("year");
        assert!(matches!(err, EdexmlError::Missing { line: 2, .. }), "{err}");
        let dangling = b"<EDEX><school><schooljaar>2025-2026</schooljaar></school><groepen/>\n\
            <leerlingen><leerling key=\"1\"><roepnaam>X</roepnaam><jaargroep>4</jaargroep><groep key=\"nope\"/></leerling></leerlingen></EDEX>";
        let err = parse_edexml(dangling, &school(), &hasher()).expect_err("unknown group");
        assert!(err.to_string().contains("not in <groepen>"), "{err}");
        let bad_date = b"<EDEX><school><schooljaar>2025-2026</schooljaar></school>\n\
            <leerlingen><leerling key=\"1\"><roepnaam>X</roepnaam><geboortedatum>21-06-2016</geboortedatum></leerling></leerlingen></EDEX>";
        let err = parse_edexml(bad_date, &school(), &hasher()).expect_err("date");
        assert!(matches!(err, EdexmlError::Invalid { line: 2, .. }), "{err}");
        let hostile = format!(
            "<EDEX>{}</leerling></EDEX>",
            crate::sources::xml::hostile::duplicate_attributes("leerling")
        );
        assert!(matches!(
            parse_edexml(hostile.as_bytes(), &school(), &hasher()),
            Err(EdexmlError::Xml(_))
        ));
    }
}
