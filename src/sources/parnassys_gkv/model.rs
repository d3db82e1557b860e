//! GKV SOAP wire side: building the `getLeerlingen` envelope and reading the response into flat
//! records (one field map per `leerling`, `groep`, `groepsindeling`). Names stay in here.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use secrecy::{ExposeSecret, SecretString};

use crate::sources::xml::{XmlLimitError, check_size, check_start};

/// SOAP 1.1 envelope namespace.
const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// GKV service namespace.
pub(crate) const GKV_NS: &str = "http://www.topicus.nl/parnassys";

/// The fields of one record element, by local name (empty elements map to `""`).
pub(crate) type Fields = HashMap<String, String>;

/// The records of a `getLeerlingen` response.
#[derive(Debug, Default)]
pub(crate) struct WireSnapshot {
    pub leerlingen: Vec<Fields>,
    pub groepen: Vec<Fields>,
    pub groepsindelingen: Vec<Fields>,
    /// `schooljaren/schooljaar/naam` (`2025 / 2026`).
    pub schooljaren: Vec<String>,
}

/// The request envelope. The supplier key is exposed only here, into a `SecretString`.
pub(crate) fn envelope(leveranciernaam: &str, key: &SecretString, brin: &str, year: &str) -> SecretString {
    SecretString::from(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"{SOAP_NS}\" xmlns:par=\"{GKV_NS}\"><soapenv:Body>\
         <par:getLeerlingen><leveranciernaam>{}</leveranciernaam><leveranciersleutel>{}</leveranciersleutel>\
         <brinnummer>{}</brinnummer><schooljaar>{}</schooljaar></par:getLeerlingen>\
         </soapenv:Body></soapenv:Envelope>",
        escape(leveranciernaam),
        escape(key.expose_secret()),
        escape(brin),
        escape(year)
    ))
}

/// Why a `getLeerlingen` response was not read.
#[derive(Debug)]
pub(crate) enum WireError {
    /// Not well-formed; says where, never what it held.
    Malformed(String),
    /// It broke a limit of [`crate::sources::xml`].
    Refused(XmlLimitError),
}

/// Reads a `getLeerlingen` response. Errors say where the XML broke, never what it held.
pub(crate) fn parse_snapshot(xml: &str) -> Result<WireSnapshot, WireError> {
    check_size(xml.len()).map_err(WireError::Refused)?;
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<Fields> = None;
    let mut out = WireSnapshot::default();
    let record_of = |stack: &[String]| -> Option<&'static str> {
        let n = stack.len();
        let (parent, name) = (stack.get(n.checked_sub(2)?)?, stack.get(n - 1)?);
        match (parent.as_str(), name.as_str()) {
            ("leerlingen", "leerling") => Some("leerling"),
            ("groepen", "groep") => Some("groep"),
            ("groepsindelingen", "groepsindeling") => Some("groepsindeling"),
            ("schooljaren", "schooljaar") => Some("schooljaar"),
            _ => None,
        }
    };
    loop {
        let event = reader.read_event().map_err(|e| {
            WireError::Malformed(format!("invalid XML at byte {}: {e}", reader.buffer_position()))
        })?;
        match event {
            Event::Start(e) => {
                check_start(&e, stack.len() + 1).map_err(WireError::Refused)?;
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                if record_of(&stack).is_some() {
                    current = Some(Fields::new());
                }
            }
            Event::Empty(e) => {
                check_start(&e, stack.len() + 1).map_err(WireError::Refused)?;
                if let Some(fields) = current.as_mut() {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    fields.entry(name).or_default();
                }
            }
            Event::Text(t) => {
                if let (Some(fields), Some(name)) = (current.as_mut(), stack.last()) {
                    let text = t
                        .decode()
                        .map_err(|e| WireError::Malformed(format!("invalid text: {e}")))?;
                    fields.entry(name.clone()).or_default().push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(fields), Some(name)) = (current.as_mut(), stack.last()) {
                    let entity = r
                        .decode()
                        .map_err(|e| WireError::Malformed(format!("invalid entity: {e}")))?;
                    let ch = match r
                        .resolve_char_ref()
                        .map_err(|e| WireError::Malformed(format!("invalid entity: {e}")))?
                    {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&entity)
                            .unwrap_or("")
                            .to_owned(),
                    };
                    fields.entry(name.clone()).or_default().push_str(&ch);
                }
            }
            Event::End(_) => {
                if let Some(kind) = record_of(&stack)
                    && let Some(fields) = current.take()
                {
                    match kind {
                        "leerling" => out.leerlingen.push(fields),
                        "groep" => out.groepen.push(fields),
                        "groepsindeling" => out.groepsindelingen.push(fields),
                        _ => out
                            .schooljaren
                            .extend(fields.get("naam").map(|s| s.trim().to_owned())),
                    }
                }
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// The `faultstring` of a SOAP fault body.
pub(crate) fn fault_string(body: &str) -> String {
    let start = body.find("<faultstring>").map(|i| i + "<faultstring>".len());
    let end = body.find("</faultstring>");
    match (start, end) {
        (Some(s), Some(e)) if s <= e => body[s..e].trim().chars().take(200).collect(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_escapes_and_parses_back() {
        let env = envelope("A & B", &SecretString::from("k<1>"), "11ZW", "2025 / 2026");
        assert!(env.expose_secret().contains("A &amp; B"));
        assert!(env.expose_secret().contains("k&lt;1&gt;"));
    }

    #[test]
    fn reads_records_and_empty_fields() {
        let xml = "<s:Envelope xmlns:s=\"x\"><s:Body><ns2:getLeerlingenResponse xmlns:ns2=\"y\"><return>\
            <schooljaren><schooljaar><id>2025</id><naam>2025 / 2026</naam></schooljaar></schooljaren>\
            <leerlingen><leerling><id>7</id><roepNaam>An &amp; Bo</roepNaam><tussenvoegsel/></leerling></leerlingen>\
            <groepen><groep><id>3</id><naam>5B</naam></groep></groepen>\
            <groepsindelingen><groepsindeling><leerling>7</leerling><groep>3</groep></groepsindeling></groepsindelingen>\
            </return></ns2:getLeerlingenResponse></s:Body></s:Envelope>";
        let s = parse_snapshot(xml).expect("parse");
        assert_eq!(s.leerlingen.len(), 1);
        assert_eq!(s.leerlingen[0]["roepNaam"], "An & Bo");
        assert_eq!(s.leerlingen[0]["tussenvoegsel"], "");
        assert_eq!(s.groepsindelingen[0]["leerling"], "7");
        assert_eq!(s.schooljaren, vec!["2025 / 2026".to_owned()]);
        assert_eq!(
            fault_string("<faultstring>AUTHENTICATION_FAILED: x</faultstring>"),
            "AUTHENTICATION_FAILED: x"
        );
    }

    fn answer_with(tag: &str) -> String {
        format!(
            "<s:Envelope xmlns:s=\"x\"><s:Body><r><leerlingen>{tag}<id>7</id></leerling>\
             </leerlingen></r></s:Body></s:Envelope>"
        )
    }

    #[test]
    fn hostile_answers_are_refused_with_the_limit_they_broke() {
        use crate::sources::xml::hostile;
        // RUSTSEC-2026-0194: a repeated attribute name among many.
        let err = parse_snapshot(&answer_with(&hostile::duplicate_attributes("leerling"))).expect_err("dup");
        assert!(
            matches!(&err, WireError::Refused(XmlLimitError::DuplicateAttribute { element, attribute })
                if element == "leerling" && attribute == "a3"),
            "{err:?}"
        );
        let err =
            parse_snapshot(&answer_with(&hostile::many_attributes("leerling", 100_000))).expect_err("many");
        assert!(
            matches!(err, WireError::Refused(XmlLimitError::TooManyAttributes { .. })),
            "{err:?}"
        );
        // RUSTSEC-2026-0195: a flood of namespace declarations on one tag.
        let err =
            parse_snapshot(&answer_with(&hostile::many_namespaces("leerling", 100_000))).expect_err("ns");
        assert!(
            matches!(err, WireError::Refused(XmlLimitError::TooManyNamespaces { .. })),
            "{err:?}"
        );
        let huge = " ".repeat(crate::sources::xml::MAX_XML_BYTES + 1);
        let err = parse_snapshot(&huge).expect_err("size");
        assert!(
            matches!(err, WireError::Refused(XmlLimitError::TooLarge { .. })),
            "{err:?}"
        );
    }
}
