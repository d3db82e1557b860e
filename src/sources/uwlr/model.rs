//! `leerresultaten_verzoek` (UWLR_Leerresultaten_v2p2.xsd) read into plain records, with the
//! schema's rules checked for every element Zorgsignaal reads: required elements, types
//! (xs:date, decimals, non-negative scores, BRIN and school-year patterns), one result kind per
//! `resultaat`, unique `resultaat/@key`, and every `toetscode` defined in `toetsen` (keyref).
//! Elements the schema does not allow where we read are refused, so a message that would fail
//! `xmllint --schema` on the parts we use fails here too.

use chrono::NaiveDate;

use crate::domain::{AbilityScore, Brin, ConfidenceInterval, ReferenceScore, SchoolYear, Source, TestResult};
use crate::sources::xml::{Element, XmlReadError, read_tree};

/// Namespace of the UWLR results message.
pub const LR_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten";
/// Namespace of the OSO elements UWLR reuses (`toetsscore`, `referentiescore`).
pub const OSO_NS: &str = "http://www.edustandaard.nl/oso_gegevensset/1.2/dossier";

/// Why a UWLR message was refused. Names line and element, never a pupil's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UwlrError {
    /// Not well-formed XML, or a limit of [`crate::sources::xml`] was broken.
    #[error("UWLR {0}")]
    Xml(#[from] XmlReadError),
    /// The message breaks the schema.
    #[error("UWLR line {line}: <{element}>: {reason}")]
    Schema {
        /// Line.
        line: usize,
        /// Element.
        element: String,
        /// What the schema requires.
        reason: String,
    },
}

/// What one `resultaat` carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `osoresultaat`: the OSO toetsscore and reference scores, the input of the level rules.
    Oso {
        /// `toetsscore/vaardigheidsscore` with its scale and betrouwbaarheidsinterval.
        ability: Option<AbilityScore>,
        /// `toetsscore/aantalgoed`.
        correct: Option<f64>,
        /// `referentiescore` entries.
        reference_scores: Vec<ReferenceScore>,
    },
    /// A plain `score` (no level; stored, counted, feeds no level rule).
    Score(u64),
    /// A vendor's `anderresultaat` (stored, counted, feeds no level rule).
    Other,
}

/// One `resultaat` of one `toetsafname`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sitting {
    /// `resultaat/@key`: the idempotency key.
    pub key: String,
    /// `toetsafname/leerlingid`: the LAS pupil id.
    pub pupil_id: String,
    /// `afnamedatum`.
    pub taken_on: NaiveDate,
    /// `toetscode`.
    pub test_code: String,
    /// `toetsonderdeelcode`.
    pub part_code: Option<String>,
    /// What was measured.
    pub outcome: Outcome,
    /// Line of the `resultaat`.
    pub line: usize,
}

/// A `toetsen/toets` definition (the test catalogue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDefinition {
    /// `toetscode`.
    pub code: String,
    /// `toetsnaam`.
    pub name: Option<String>,
    /// `vakgebied`.
    pub subject: Option<String>,
}

/// A whole `leerresultaten_verzoek`.
#[derive(Debug, Clone, PartialEq)]
pub struct LeerresultatenMessage {
    /// `school/brincode` (absent when the school is named by `schoolkey`).
    pub brin: Option<Brin>,
    /// `school/schoolkey`.
    pub school_key: Option<String>,
    /// `school/schooljaar`.
    pub school_year: SchoolYear,
    /// Every `resultaat`.
    pub sittings: Vec<Sitting>,
    /// `toetsen`.
    pub tests: Vec<TestDefinition>,
}

/// Results converted for the store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UwlrConverted {
    /// Every result (OSO results with levels, plain scores and others without).
    pub results: Vec<TestResult>,
    /// How many were a plain `score` or an `anderresultaat` (no level).
    pub without_level: usize,
}

/// Parses a `leerresultaten_verzoek` document.
pub fn parse_leerresultaten(xml: &[u8]) -> Result<LeerresultatenMessage, UwlrError> {
    let root = read_tree(xml, &|_, _| true)?;
    from_element(&root)
}

/// Reads a `leerresultaten_verzoek` element (a document root or the body of a SOAP envelope).
pub fn from_element(root: &Element) -> Result<LeerresultatenMessage, UwlrError> {
    if root.name != "leerresultaten_verzoek" || root.namespace.as_deref() != Some(LR_NS) {
        return Err(schema(
            root,
            "expected <leerresultaten_verzoek> in the UWLR 2 namespace".into(),
        ));
    }
    only(root, &["school", "toetsafnames", "toetsen"])?;
    let school = required(root, "school")?;
    only(
        school,
        &[
            "schooljaar",
            "brincode",
            "dependancecode",
            "schoolkey",
            "aanmaakdatum",
            "auteur",
            "xsdversie",
            "commentaar",
        ],
    )?;
    let year = required_text(school, "schooljaar")?;
    let school_year = SchoolYear::parse(year).map_err(|e| schema(school, format!("schooljaar: {e}")))?;
    let brin = match school.child("brincode") {
        Some(b) => {
            let t = b.text.trim().as_bytes();
            let pattern = t.len() == 4
                && t[..2].iter().all(u8::is_ascii_digit)
                && t[2..].iter().all(u8::is_ascii_uppercase);
            if !pattern {
                return Err(schema(b, "brincode must be two digits and two capitals".into()));
            }
            Some(Brin::parse(b.text.trim()).map_err(|e| schema(b, e.to_string()))?)
        }
        None => None,
    };
    let school_key = school.text_of("schoolkey").map(str::to_owned);
    if brin.is_some() == school_key.is_some() {
        return Err(schema(school, "exactly one of <brincode> and <schoolkey>".into()));
    }
    if let Some(d) = school.child("dependancecode")
        && !(d.text.trim().len() == 2 && d.text.trim().bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(schema(d, "two digits".into()));
    }
    let created = required_text(school, "aanmaakdatum")?;
    if chrono::NaiveDateTime::parse_from_str(created.trim_end_matches('Z'), "%Y-%m-%dT%H:%M:%S%.f").is_err()
        && chrono::DateTime::parse_from_rfc3339(created).is_err()
    {
        return Err(schema(school, "aanmaakdatum is not an xs:dateTime".into()));
    }
    required_text(school, "xsdversie")?;

    let toetsen = required(root, "toetsen")?;
    only(toetsen, &["toets"])?;
    let mut tests: Vec<TestDefinition> = Vec::new();
    for t in toetsen.children_named("toets") {
        let code = key_text(t, "toetscode")?;
        if tests.iter().any(|d| d.code == code) {
            return Err(schema(t, format!("toetscode {code} is defined twice")));
        }
        tests.push(TestDefinition {
            code: code.to_owned(),
            name: t.text_of("toetsnaam").map(str::to_owned),
            subject: t.text_of("vakgebied").map(str::to_owned),
        });
    }
    if tests.is_empty() {
        return Err(schema(toetsen, "at least one <toets>".into()));
    }

    let afnames = required(root, "toetsafnames")?;
    only(afnames, &["toetsafname"])?;
    let mut sittings: Vec<Sitting> = Vec::new();
    for afname in afnames.children_named("toetsafname") {
        only(
            afname,
            &["leerlingid", "eckid", "resultaatverwerkerid", "resultaten"],
        )?;
        let pupil_id = key_text(afname, "leerlingid")?.to_owned();
        let resultaten = required(afname, "resultaten")?;
        only(resultaten, &["resultaat"])?;
        if resultaten.children.is_empty() {
            return Err(schema(resultaten, "at least one <resultaat>".into()));
        }
        for r in resultaten.children_named("resultaat") {
            sittings.push(sitting(r, &pupil_id, &tests, &sittings)?);
        }
    }
    if sittings.is_empty() {
        return Err(schema(afnames, "at least one <toetsafname>".into()));
    }
    Ok(LeerresultatenMessage {
        brin,
        school_key,
        school_year,
        sittings,
        tests,
    })
}

fn sitting(
    r: &Element,
    pupil_id: &str,
    tests: &[TestDefinition],
    seen: &[Sitting],
) -> Result<Sitting, UwlrError> {
    only(
        r,
        &[
            "afnamedatum",
            "toetscode",
            "versie",
            "toetsonderdeelcode",
            "score",
            "osoresultaat",
            "anderresultaat",
            "infourl",
        ],
    )?;
    let key = r
        .attribute("key")
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 256)
        .ok_or_else(|| schema(r, "attribute key is required (1 to 256 characters)".into()))?;
    if seen.iter().any(|s| s.key == key) {
        return Err(schema(r, format!("resultaat key {key} is used twice")));
    }
    let date = required_text(r, "afnamedatum")?;
    let taken_on = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| schema(r, "afnamedatum is not an xs:date".into()))?;
    let test_code = key_text(r, "toetscode")?.to_owned();
    if !tests.iter().any(|t| t.code == test_code) {
        return Err(schema(
            r,
            format!("toetscode {test_code} is not defined in <toetsen>"),
        ));
    }
    let part_code = match r.child("toetsonderdeelcode") {
        Some(_) => Some(key_text(r, "toetsonderdeelcode")?.to_owned()),
        None => None,
    };
    let kinds: Vec<&Element> = r
        .children
        .iter()
        .filter(|c| matches!(c.name.as_str(), "score" | "osoresultaat" | "anderresultaat"))
        .collect();
    let [kind] = kinds.as_slice() else {
        return Err(schema(
            r,
            "exactly one of <score>, <osoresultaat>, <anderresultaat>".into(),
        ));
    };
    let outcome = match kind.name.as_str() {
        "score" => Outcome::Score(
            kind.text
                .trim()
                .parse::<u64>()
                .map_err(|_| schema(kind, "score is a non-negative integer".into()))?,
        ),
        "anderresultaat" => {
            if kind.attribute("type").is_none() {
                return Err(schema(
                    kind,
                    "anderresultaat is abstract: xsi:type is required".into(),
                ));
            }
            Outcome::Other
        }
        _ => oso_outcome(kind)?,
    };
    Ok(Sitting {
        key: key.to_owned(),
        pupil_id: pupil_id.to_owned(),
        taken_on,
        test_code,
        part_code,
        outcome,
        line: r.line,
    })
}

fn oso_outcome(o: &Element) -> Result<Outcome, UwlrError> {
    for c in &o.children {
        if c.namespace.as_deref() != Some(OSO_NS)
            || !matches!(c.name.as_str(), "toetsscore" | "referentiescore")
        {
            return Err(schema(
                c,
                "not allowed in <osoresultaat> (OSO toetsscore/referentiescore only)".into(),
            ));
        }
    }
    let mut ability = None;
    let mut correct = None;
    if let Some(ts) = o.child("toetsscore") {
        only(
            ts,
            &[
                "aantalopgaven",
                "aantalgoed",
                "aantalfout",
                "aantalgelezen",
                "tijd",
                "vaardigheidsscore",
                "codevaardigheidsschaal",
                "betrouwbaarheidsinterval",
            ],
        )?;
        for int in ["aantalopgaven", "aantalgoed", "aantalfout", "aantalgelezen"] {
            if let Some(c) = ts.child(int) {
                c.text
                    .trim()
                    .parse::<i32>()
                    .map_err(|_| schema(c, "not an xs:int".into()))?;
            }
        }
        correct = ts.text_of("aantalgoed").and_then(|t| t.parse::<f64>().ok());
        let value = decimal(ts, "vaardigheidsscore")?;
        let interval = match ts.child("betrouwbaarheidsinterval") {
            Some(b) => {
                only(b, &["bivlaag", "bivhoog"])?;
                let low = decimal(b, "bivlaag")?.ok_or_else(|| missing(b, "bivlaag"))?;
                let high = decimal(b, "bivhoog")?.ok_or_else(|| missing(b, "bivhoog"))?;
                Some(
                    ConfidenceInterval::new(low, high)
                        .ok_or_else(|| schema(b, "bivlaag must not be above bivhoog".into()))?,
                )
            }
            None => None,
        };
        if let Some(value) = value {
            let scale = ts.text_of("codevaardigheidsschaal").unwrap_or("onbekend");
            ability = Some(AbilityScore {
                value,
                scale: format!("uwlr:{scale}"),
                interval,
            });
        }
    }
    let mut reference_scores = Vec::new();
    for rs in o.children_named("referentiescore") {
        only(
            rs,
            &[
                "codereferentiescore",
                "codevergelijkingsgroep",
                "waarde",
                "kwalificatie",
            ],
        )?;
        let code = required_text(rs, "codereferentiescore")?;
        required_text(rs, "codevergelijkingsgroep")?;
        let value = required_text(rs, "waarde")?;
        reference_scores.push(ReferenceScore::parse(code, value).map_err(|e| schema(rs, e.to_string()))?);
    }
    Ok(Outcome::Oso {
        ability,
        correct,
        reference_scores,
    })
}

impl LeerresultatenMessage {
    /// The results for `school`: id = `resultaat/@key`, pupil = `leerlingid`, test name from the
    /// `toetsen` catalogue (toetsnaam, with the vakgebied when the name does not say it) so the
    /// domain mapping classifies it.
    pub fn to_results(&self, school: &Brin) -> UwlrConverted {
        let mut out = UwlrConverted::default();
        for s in &self.sittings {
            let def = self.tests.iter().find(|t| t.code == s.test_code);
            let name = def
                .and_then(|d| d.name.clone())
                .unwrap_or_else(|| s.test_code.clone());
            let test_name = match def.and_then(|d| d.subject.as_deref()) {
                Some(subject) if !name.to_lowercase().contains(&subject.to_lowercase()) => {
                    format!("{name} ({subject})")
                }
                _ => name,
            };
            let (raw_score, ability, reference_scores) = match &s.outcome {
                Outcome::Oso {
                    ability,
                    correct,
                    reference_scores,
                } => (*correct, ability.clone(), reference_scores.clone()),
                Outcome::Score(n) => {
                    out.without_level += 1;
                    (Some(*n as f64), None, Vec::new())
                }
                Outcome::Other => {
                    out.without_level += 1;
                    (None, None, Vec::new())
                }
            };
            out.results.push(TestResult {
                source: Source::Uwlr,
                external_id: s.key.clone(),
                school: school.clone(),
                pupil_external_id: s.pupil_id.clone(),
                test_code: s.test_code.clone(),
                part_code: s.part_code.clone(),
                test_name,
                provider: None,
                taken_on: s.taken_on,
                stated_moment: None,
                raw_score,
                ability,
                reference_scores,
            });
        }
        out
    }
}

fn schema(at: &Element, reason: String) -> UwlrError {
    UwlrError::Schema {
        line: at.line,
        element: at.name.clone(),
        reason,
    }
}

fn missing(parent: &Element, name: &str) -> UwlrError {
    schema(parent, format!("required element <{name}> is missing or empty"))
}

fn only(e: &Element, allowed: &[&str]) -> Result<(), UwlrError> {
    for c in &e.children {
        if !allowed.contains(&c.name.as_str()) {
            return Err(schema(c, format!("not allowed in <{}>", e.name)));
        }
    }
    Ok(())
}

fn required<'a>(parent: &'a Element, name: &str) -> Result<&'a Element, UwlrError> {
    parent.child(name).ok_or_else(|| missing(parent, name))
}

fn required_text<'a>(parent: &'a Element, name: &str) -> Result<&'a str, UwlrError> {
    parent.text_of(name).ok_or_else(|| missing(parent, name))
}

fn key_text<'a>(parent: &'a Element, name: &str) -> Result<&'a str, UwlrError> {
    let t = required_text(parent, name)?;
    if t.chars().count() > 256 {
        return Err(schema(parent, format!("<{name}> is longer than 256 characters")));
    }
    Ok(t)
}

fn decimal(parent: &Element, name: &str) -> Result<Option<f64>, UwlrError> {
    match parent.child(name) {
        None => Ok(None),
        Some(c) => {
            let t = c.text.trim();
            let ok = !t.is_empty()
                && t.trim_start_matches(['-', '+'])
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || ch == '.')
                && t.matches('.').count() <= 1;
            if !ok {
                return Err(schema(c, "not an xs:decimal".into()));
            }
            t.parse::<f64>()
                .map(Some)
                .map_err(|_| schema(c, "not an xs:decimal".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DMT: &[u8] = include_bytes!("../../../tests/fixtures/uwlr/messages/leerresultaten_dmt.xml");

    #[test]
    fn the_fixture_reads_oso_scores_plain_scores_and_others() {
        let m = parse_leerresultaten(DMT).expect("valid message");
        assert_eq!(m.brin.as_ref().map(Brin::as_str), Some("23QK"));
        assert_eq!(m.school_year, SchoolYear::starting(2025));
        assert_eq!(m.sittings.len(), 4);
        let converted = m.to_results(&Brin::parse("23QK").expect("brin"));
        assert_eq!(converted.without_level, 2);
        let first = &converted.results[0];
        assert_eq!(first.external_id, "r-1");
        assert_eq!(first.pupil_external_id, "00001");
        assert_eq!(first.test_name, "Drie-Minuten-Toets (Technisch lezen)");
        assert_eq!(first.reference_scores[0].value, "V-");
        assert!(first.reference_scores[0].level.is_some());
        let ability = first.ability.as_ref().expect("ability");
        assert_eq!(
            ability.interval,
            Some(ConfidenceInterval {
                low: 28.5,
                high: 35.5
            })
        );
        assert!(converted.results[3].reference_scores.is_empty());
        assert_eq!(converted.results[2].raw_score, Some(17.0));
    }

    fn with(from: &str, to: &str) -> Vec<u8> {
        let s = String::from_utf8_lossy(DMT);
        assert!(s.contains(from), "{from}");
        s.replacen(from, to, 1).into_bytes()
    }

    #[test]
    fn schema_breaches_are_refused_with_a_line() {
        let cases = [
            (
                "<lr:toetscode>DMT</lr:toetscode>\n",
                "<lr:toetscode>XYZ</lr:toetscode>\n",
                "not defined",
            ),
            ("key=\"r-2\"", "key=\"r-1\"", "used twice"),
            (
                "<lr:afnamedatum>2026-01-20</lr:afnamedatum>",
                "<lr:afnamedatum>20-01-2026</lr:afnamedatum>",
                "xs:date",
            ),
            (
                "<lr:brincode>23QK</lr:brincode>",
                "<lr:brincode>23qk</lr:brincode>",
                "brin",
            ),
            (
                "<lr:score>17</lr:score>",
                "<lr:score>-1</lr:score>",
                "non-negative",
            ),
            (
                "<lr:score>17</lr:score>",
                "<lr:score>17</lr:score><lr:geslacht>1</lr:geslacht>",
                "not allowed",
            ),
            (
                "<oso:bivlaag>28.5</oso:bivlaag>",
                "<oso:bivlaag>28,5</oso:bivlaag>",
                "xs:decimal",
            ),
            (
                "<oso:waarde>V-</oso:waarde>",
                "<oso:waarde>VII</oso:waarde>",
                "VII",
            ),
        ];
        for (from, to, says) in cases {
            let err = parse_leerresultaten(&with(from, to)).expect_err(to);
            assert!(matches!(err, UwlrError::Schema { .. }), "{to}: {err}");
            assert!(
                err.to_string().to_lowercase().contains(&says.to_lowercase()),
                "{to}: {err}"
            );
        }
        let err = parse_leerresultaten(b"<leerresultaten_verzoek/>").expect_err("namespace");
        assert!(err.to_string().contains("namespace"), "{err}");
    }

    #[test]
    fn hostile_messages_are_refused_by_the_xml_limits() {
        use crate::sources::xml::{XmlLimitError, hostile};
        let dup = with(
            "<lr:toetsafname>",
            &format!("{}<x/></x><lr:toetsafname>", hostile::duplicate_attributes("x")),
        );
        assert!(matches!(
            parse_leerresultaten(&dup),
            Err(UwlrError::Xml(XmlReadError::Limit {
                limit: XmlLimitError::DuplicateAttribute { .. },
                ..
            }))
        ));
        let ns = with(
            "<lr:toetsafname>",
            &format!("{}</x><lr:toetsafname>", hostile::many_namespaces("x", 10_000)),
        );
        assert!(matches!(
            parse_leerresultaten(&ns),
            Err(UwlrError::Xml(XmlReadError::Limit {
                limit: XmlLimitError::TooManyNamespaces { .. },
                ..
            }))
        ));
    }
}
