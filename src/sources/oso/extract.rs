//! Maps the pruned OSO tree to domain records, validating what the XSD requires for the
//! elements used.

use std::collections::HashMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::tree::Node;
use super::{OsoDossier, OsoError, OsoSchool, SchoolPeriod};
use crate::domain::{
    AbilityScore, Brin, ConfidenceInterval, DomainMapping, DyslexiaStatement, ExternalIdHasher, Grade,
    PlanKind, Pupil, ReferenceScore, SchoolYear, Source, SupportPlan, TestResult,
};

/// Builds the dossier from the tree rooted at `<dossier>`.
pub(super) fn dossier(root: &Node, hasher: &ExternalIdHasher) -> Result<OsoDossier, OsoError> {
    let metadata = required(root, "metadata")?;
    let created_on = date(required(metadata, "datum")?, false)?;
    let school_node = required(root, "huidigeschool")?;
    let school = OsoSchool {
        name: required_text(school_node, "naam")?.to_string(),
        brin: brin(required(school_node, "brincode")?)?,
        branch: branch(required(school_node, "vestigingscode")?)?,
    };
    let leerling = required(school_node, "leerling")?;
    let mut pupil = pupil(leerling, &school, hasher)?;
    pupil.dyslexia_statement = dyslexia_statement(leerling)?;
    let mut ids = IdSeq::default();

    let school_history = match leerling.child("schoolloopbaanlijst") {
        Some(list) => list
            .children_named("schoolloopbaan")
            .map(period)
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };

    let mut results = Vec::new();
    if let Some(list) = leerling.child("toetslijst") {
        for toets in list.children_named("toets") {
            test(toets, &pupil, &mut ids, &mut results)?;
        }
    }

    let mut plans = Vec::new();
    if let Some(support) = leerling.child("onderwijsondersteuning") {
        let mapping = DomainMapping::default();
        for hp in support.children_named("handelingsplan") {
            let start = date(required(hp, "startdatum")?, false)?;
            let focus = required_text(hp, "isgerichtop")?;
            let end = optional_date(hp, "einddatum")?;
            let id = ids.next(&pupil.external_id, &format!("handelingsplan|{start}|{focus}"));
            plans.push(plan(
                &pupil,
                id,
                PlanKind::ActionPlan,
                focus,
                start,
                end,
                &mapping,
            ));
        }
        for opp in support.children_named("opp") {
            let start = date(required(opp, "opp_ingangdatum")?, false)?;
            let end = optional_date(opp, "opp_einddatum")?;
            let id = ids.next(&pupil.external_id, &format!("opp|{start}"));
            plans.push(plan(&pupil, id, PlanKind::Opp, "OPP", start, end, &mapping));
        }
    }

    Ok(OsoDossier {
        created_on,
        school,
        pupil,
        school_history,
        results,
        plans,
    })
}

/// A `diagnose` with an ICD-10 code F81.0 (specifieke leesstoornis, dyslexie) under
/// `onderwijsondersteuning`: only the fact and its `datum` are taken (the earliest, or none when
/// any such block has no date); name, diagnostician, institution and documents are never read.
fn dyslexia_statement(leerling: &Node) -> Result<Option<DyslexiaStatement>, OsoError> {
    let Some(support) = leerling.child("onderwijsondersteuning") else {
        return Ok(None);
    };
    let mut found: Option<DyslexiaStatement> = None;
    for diagnose in support.children_named("diagnose") {
        let dyslexia = diagnose
            .children_named("code")
            .any(|c| c.text.trim().to_ascii_uppercase().starts_with("F81.0"));
        if !dyslexia {
            continue;
        }
        let on = optional_date(diagnose, "datum")?;
        found = Some(DyslexiaStatement {
            on: match found {
                None => on,
                Some(prev) => prev.on.zip(on).map(|(a, b)| a.min(b)),
            },
        });
    }
    Ok(found)
}

fn pupil(leerling: &Node, school: &OsoSchool, hasher: &ExternalIdHasher) -> Result<Pupil, OsoError> {
    let surname = required_text(leerling, "achternaam")?.to_string();
    // Roepnaam is optional in the schema; fall back to the first voornaam only when it is absent.
    let given_name = leerling
        .text_of("roepnaam")
        .or_else(|| leerling.text_of("voornaam"))
        .unwrap_or_default()
        .to_string();
    let national_id_hash = if let Some(bsn) = leerling.text_of("bsn") {
        Some(hasher.hash("bsn", bsn))
    } else {
        leerling
            .text_of("onderwijsnummer")
            .map(|pgn| hasher.hash("pgn", pgn))
    };
    let id_hash = match (&national_id_hash, leerling.text_of("leerlingid")) {
        (Some(h), _) => h.clone(),
        (None, Some(local)) => hasher.hash("oso-leerlingid", &format!("{}:{local}", school.brin)),
        (None, None) => return Err(OsoError::NoIdentifier { line: leerling.line }),
    };
    let birth_date = match leerling.child("geboortedatum") {
        Some(n) if !n.text.trim().is_empty() => Some(date(n, true)?),
        _ => None,
    };
    Ok(Pupil {
        school: school.brin.clone(),
        source: Source::Oso,
        external_id: format!("oso:{}", id_hash.get(..16).unwrap_or(&id_hash)),
        national_id_hash,
        given_name,
        surname_prefix: leerling.text_of("voorvoegsel").map(str::to_string),
        surname,
        birth_date,
        left_on: None,
        dyslexia_statement: None,
    })
}

fn period(node: &Node) -> Result<SchoolPeriod, OsoError> {
    let year_node = required(node, "schooljaar")?;
    let school_year = SchoolYear::parse(year_node.text.trim()).map_err(|_| OsoError::Invalid {
        line: year_node.line,
        element: "schooljaar".into(),
        reason: format!("{:?} is not a school year YYYY-YYYY", clip(&year_node.text)),
    })?;
    let grade_code = required_text(node, "jaargroep")?.to_string();
    Ok(SchoolPeriod {
        school: brin(required(node, "brincode")?)?,
        branch: branch(required(node, "vestigingscode")?)?,
        school_year,
        group_code: required_text(node, "groepscode")?.to_string(),
        grade: grade_code.parse::<u8>().ok().and_then(|n| Grade::new(n).ok()),
        grade_code,
        from: optional_date(node, "begindatum")?,
        to: optional_date(node, "einddatum")?,
    })
}

fn test(toets: &Node, pupil: &Pupil, ids: &mut IdSeq, out: &mut Vec<TestResult>) -> Result<(), OsoError> {
    let ident = required(toets, "toetsidentificatie")?;
    let code = required_text(ident, "eldtoetscode")?;
    let name = ident
        .text_of("toetsnaam")
        .or_else(|| ident.text_of("leergebied"))
        .unwrap_or(code);
    let afname = required(toets, "afname")?;
    let taken_on = date(required(afname, "afnamedatum")?, false)?;
    let resultaat = required(toets, "resultaat")?;
    out.push(result(
        pupil,
        ids,
        code,
        None,
        name.to_string(),
        taken_on,
        resultaat,
    )?);
    for part in toets.children_named("toetsonderdeel") {
        let part_code = required_text(part, "eldonderdeelcode")?;
        let part_name = match part.text_of("onderdeelnaam") {
            Some(n) => format!("{name} - {n}"),
            None => name.to_string(),
        };
        let resultaat = required(part, "resultaat")?;
        out.push(result(
            pupil,
            ids,
            code,
            Some(part_code),
            part_name,
            taken_on,
            resultaat,
        )?);
    }
    Ok(())
}

fn result(
    pupil: &Pupil,
    ids: &mut IdSeq,
    code: &str,
    part: Option<&str>,
    test_name: String,
    taken_on: NaiveDate,
    resultaat: &Node,
) -> Result<TestResult, OsoError> {
    let (mut raw_score, mut ability) = (None, None);
    if let Some(score) = resultaat.child("toetsscore") {
        raw_score = optional_number(score, "aantalgoed")?;
        if let Some(value) = optional_number(score, "vaardigheidsscore")? {
            let scale = score.text_of("codevaardigheidsschaal").unwrap_or(code);
            let interval = match score.child("betrouwbaarheidsinterval") {
                Some(biv) => match (optional_number(biv, "bivlaag")?, optional_number(biv, "bivhoog")?) {
                    (Some(low), Some(high)) => ConfidenceInterval::new(low, high),
                    _ => None,
                },
                None => None,
            };
            ability = Some(AbilityScore {
                value,
                scale: format!("oso:{scale}"),
                interval,
            });
        }
    }
    let mut reference_scores = Vec::new();
    for rs in resultaat.children_named("referentiescore") {
        let rs_code = required_text(rs, "codereferentiescore")?;
        required_text(rs, "codevergelijkingsgroep")?;
        let value_node = required(rs, "waarde")?;
        let value = required_text(rs, "waarde")?;
        let score = ReferenceScore::parse(rs_code, value).map_err(|e| OsoError::Invalid {
            line: value_node.line,
            element: "referentiescore/waarde".into(),
            reason: e.to_string(),
        })?;
        reference_scores.push(score);
    }
    let key = format!("toets|{code}|{}|{taken_on}", part.unwrap_or(""));
    Ok(TestResult {
        source: Source::Oso,
        external_id: ids.next(&pupil.external_id, &key),
        school: pupil.school.clone(),
        pupil_external_id: pupil.external_id.clone(),
        test_code: code.to_string(),
        part_code: part.map(str::to_string),
        test_name,
        provider: None,
        taken_on,
        stated_moment: None,
        raw_score,
        ability,
        reference_scores,
    })
}

fn plan(
    pupil: &Pupil,
    external_id: String,
    kind: PlanKind,
    title: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
    mapping: &DomainMapping,
) -> SupportPlan {
    SupportPlan {
        source: Source::Oso,
        external_id,
        school: pupil.school.clone(),
        pupil_external_id: Some(pupil.external_id.clone()),
        group_external_id: None,
        kind,
        domain: mapping.classify("", title),
        title: title.to_string(),
        owner: None,
        care_level: None,
        start,
        end,
        evaluation_due: None,
        minutes_per_week: None,
        evaluations: Vec::new(),
        decided_on: None,
        drawn_up_on: None,
        parents_agreed_on: None,
    }
}

/// Deterministic record ids: `<pupil id>:<16 hex of sha256(key)>`, with `:2`, `:3` … appended
/// when the same key occurs again in one dossier.
#[derive(Default)]
struct IdSeq {
    seen: HashMap<String, u32>,
}

impl IdSeq {
    fn next(&mut self, pupil_id: &str, key: &str) -> String {
        let digest = hex::encode(Sha256::digest(key.as_bytes()));
        let base = format!("{pupil_id}:{}", digest.get(..16).unwrap_or(&digest));
        let n = self.seen.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}:{n}") }
    }
}

fn required<'a>(parent: &'a Node, name: &str) -> Result<&'a Node, OsoError> {
    parent.child(name).ok_or_else(|| missing(parent, name))
}

fn required_text<'a>(parent: &'a Node, name: &str) -> Result<&'a str, OsoError> {
    parent.text_of(name).ok_or_else(|| missing(parent, name))
}

fn missing(parent: &Node, name: &str) -> OsoError {
    OsoError::Missing {
        line: parent.line,
        parent: parent.name.clone(),
        element: name.to_string(),
    }
}

fn clip(s: &str) -> String {
    s.trim().chars().take(32).collect()
}

/// Parses an `xs:date` (`YYYY-MM-DD`, optionally with a `Z` or `±hh:mm` zone). `personal` keeps
/// the value out of the error (a date of birth is personal data).
fn date(node: &Node, personal: bool) -> Result<NaiveDate, OsoError> {
    let t = node.text.trim();
    let day = t.get(..10).unwrap_or(t);
    let zone = t.get(10..).unwrap_or("");
    let zone_ok = zone.is_empty()
        || zone == "Z"
        || (zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')));
    match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if zone_ok && day.len() == 10 => Ok(d),
        _ => Err(OsoError::Invalid {
            line: node.line,
            element: node.name.clone(),
            reason: if personal {
                "not a date YYYY-MM-DD".into()
            } else {
                format!("{:?} is not a date YYYY-MM-DD", clip(t))
            },
        }),
    }
}

fn optional_date(parent: &Node, name: &str) -> Result<Option<NaiveDate>, OsoError> {
    match parent.child(name) {
        Some(n) => date(n, false).map(Some),
        None => Ok(None),
    }
}

fn optional_number(parent: &Node, name: &str) -> Result<Option<f64>, OsoError> {
    let Some(node) = parent.child(name) else {
        return Ok(None);
    };
    match node.text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(OsoError::Invalid {
            line: node.line,
            element: name.to_string(),
            reason: format!("{:?} is not a number", clip(&node.text)),
        }),
    }
}

fn brin(node: &Node) -> Result<Brin, OsoError> {
    let t = node.text.trim();
    let ok_shape = t.len() == 4 && t.bytes().take(2).all(|b| b.is_ascii_digit());
    match Brin::parse(t) {
        Ok(b) if ok_shape => Ok(b),
        _ => Err(OsoError::Invalid {
            line: node.line,
            element: node.name.clone(),
            reason: format!("{:?} is not a BRIN code (two digits, two letters)", clip(t)),
        }),
    }
}

fn branch(node: &Node) -> Result<String, OsoError> {
    let t = node.text.trim();
    if t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit()) {
        Ok(t.to_string())
    } else {
        Err(OsoError::Invalid {
            line: node.line,
            element: node.name.clone(),
            reason: format!("{:?} is not a two-digit vestigingscode", clip(t)),
        })
    }
}

/// Parses one OSO dossier. National ids are replaced by `hasher` hashes at once; addresses,
/// phone numbers, diagnoses and attachments are never read into the result. The pupil's
/// `external_id` is `oso:` + the first 16 hex digits of the national id hash (or, without BSN
/// or onderwijsnummer, of the keyed hash of the sending school's `leerlingid`).
pub fn parse_dossier(xml: &[u8], hasher: &ExternalIdHasher) -> Result<OsoDossier, OsoError> {
    let root = super::tree::read(xml)?;
    dossier(&root, hasher)
}
