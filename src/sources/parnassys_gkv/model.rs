//! GKV SOAP wire side: building the `getLeerlingen` envelope and reading the response into flat
//! records (one field map per `leerling`, `groep`, `groepsindeling`). Names stay in here.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use secrecy::{ExposeSecret, SecretString};

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

/// Reads a `getLeerlingen` response. Errors say where the XML broke, never what it held.
pub(crate) fn parse_snapshot(xml: &str) -> Result<WireSnapshot, String> {
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
        let event = reader
            .read_event()
            .map_err(|e| format!("invalid XML at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                stack.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                if record_of(&stack).is_some() {
                    current = Some(Fields::new());
                }
            }
            Event::Empty(e) => {
                if let Some(fields) = current.as_mut() {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    fields.entry(name).or_default();
                }
            }
            Event::Text(t) => {
                if let (Some(fields), Some(name)) = (current.as_mut(), stack.last()) {
                    let text = t.decode().map_err(|e| format!("invalid text: {e}"))?;
                    fields.entry(name.clone()).or_default().push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                if let (Some(fields), Some(name)) = (current.as_mut(), stack.last()) {
                    let entity = r.decode().map_err(|e| format!("invalid entity: {e}"))?;
                    let ch = match r.resolve_char_ref().map_err(|e| format!("invalid entity: {e}"))? {
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
}
