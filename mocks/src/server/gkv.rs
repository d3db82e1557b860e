//! ParnasSys GKV (generiek koppelvlak) over SOAP 1.1: `getLeerlingen` and `getMedewerkers` return
//! the full snapshot of one school and school year; authentication errors are SOAP faults.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

use super::{Shared, server_error_status};
use crate::faults::FaultKind;
use crate::state::State;

/// SOAP path.
pub const PATH: &str = "/bao/services/cxf/v3/generic";
/// Service namespace.
pub const NAMESPACE: &str = "http://www.topicus.nl/parnassys";
const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// Faultstring prefix for a wrong or revoked leveranciersleutel (and unknown leverancier/school).
pub const FAULT_AUTH: &str = "AUTHENTICATION_FAILED";

/// The GKV router.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().route(PATH, post(handle)).with_state(shared)
}

fn fault(code: &str, text: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body><soap:Fault>\
         <faultcode>soap:{code}</faultcode><faultstring>{}</faultstring></soap:Fault></soap:Body></soap:Envelope>",
        escape(text)
    );
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

/// Parses a SOAP request: the operation (first element inside Body) and the leaf fields.
fn parse(body: &str) -> Result<(String, HashMap<String, String>), String> {
    let mut reader = Reader::from_str(body);
    let mut stack: Vec<String> = Vec::new();
    let mut op = None;
    let mut fields = HashMap::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if op.is_none() && stack.last().is_some_and(|p| p == "Body") {
                    op = Some(name.clone());
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if op.is_none() && stack.last().is_some_and(|p| p == "Body") {
                    op = Some(name);
                } else {
                    fields.entry(name).or_insert_with(String::new);
                }
            }
            Event::Text(t) => {
                if let Some(n) = stack.last() {
                    let text = t.decode().map_err(|e| e.to_string())?;
                    fields
                        .entry(n.clone())
                        .or_insert_with(String::new)
                        .push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(n) = stack.last() {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    let ch = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&name)
                            .unwrap_or("")
                            .to_string(),
                    };
                    fields.entry(n.clone()).or_insert_with(String::new).push_str(&ch);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    op.map(|o| (o, fields))
        .ok_or_else(|| "no operation in SOAP Body".into())
}

async fn handle(AxState(shared): AxState<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let (op, fields) = match parse(&body) {
        Ok(p) => p,
        Err(e) => {
            shared.arrive("gkv.invalid", &[]);
            return fault("Client", &format!("INVALID_REQUEST: {e}"));
        }
    };
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_string());
    if !matches!(op.as_str(), "getLeerlingen" | "getMedewerkers") {
        shared.arrive("gkv.invalid", &[]);
        return fault("Client", &format!("UNKNOWN_OPERATION: {op}"));
    }
    let label = format!("gkv.{op}");
    let applicable = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::SoapFault,
    ];
    match shared.pre(&label, &applicable).await {
        Err(r) => return r,
        Ok(Some((FaultKind::ServerError, w))) => {
            return (server_error_status(w), "Service tijdelijk niet beschikbaar").into_response();
        }
        Ok(Some((FaultKind::SoapFault, _))) => {
            return fault("Server", "TEMPORARILY_UNAVAILABLE: probeer het later opnieuw");
        }
        Ok(_) => {}
    }
    if let Some(a) = action.filter(|a| !a.is_empty() && a.rsplit('/').next() != Some(op.as_str())) {
        return fault("Client", &format!("SOAPACTION_MISMATCH: {a}"));
    }
    let get = |k: &str| fields.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let _pin = shared.pin(&get("brinnummer")).await;
    let st = shared.read();
    let brin = get("brinnummer");
    let Some(school) = st
        .schools
        .get(&brin)
        .filter(|_| get("leveranciernaam") == st.leveranciernaam)
    else {
        return fault(
            "Client",
            &format!("{FAULT_AUTH}: onbekende leverancier of school"),
        );
    };
    if school.uwlr.is_some() {
        return fault(
            "Client",
            &format!("{FAULT_AUTH}: deze school gebruikt geen ParnasSys (geen GKV)"),
        );
    }
    if school.revoked {
        return fault(
            "Client",
            &format!("{FAULT_AUTH}: koppeling ingetrokken door de school"),
        );
    }
    if get("leveranciersleutel") != school.leveranciersleutel {
        return fault("Client", &format!("{FAULT_AUTH}: ongeldige leveranciersleutel"));
    }
    let year = get("schooljaar").replace(' ', "").replace('/', "-");
    if !st.school_years.contains(&year) {
        return fault("Client", &format!("INVALID_SCHOOLJAAR: {}", get("schooljaar")));
    }
    let inner = if op == "getLeerlingen" {
        leerlingen(&st, &brin, &year)
    } else {
        medewerkers(&st, &brin)
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body>\
         <ns2:{op}Response xmlns:ns2=\"{NAMESPACE}\"><return>{inner}</return></ns2:{op}Response></soap:Body></soap:Envelope>"
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn el(out: &mut String, name: &str, value: Option<&str>) {
    match value {
        Some(v) => {
            let _ = write!(out, "<{name}>{}</{name}>", escape(v));
        }
        None => {
            let _ = write!(out, "<{name}/>");
        }
    }
}

/// GKV school-year label `2025 / 2026` for `2025-2026`.
pub fn gkv_year(year: &str) -> String {
    year.replace('-', " / ")
}

fn schooljaren(st: &State, out: &mut String) {
    out.push_str("<schooljaren>");
    for y in &st.school_years {
        let start: i32 = y.get(..4).and_then(|s| s.parse().ok()).unwrap_or_default();
        out.push_str("<schooljaar>");
        el(out, "id", Some(&start.to_string()));
        el(out, "naam", Some(&gkv_year(y)));
        el(out, "begindatum", Some(&format!("{start}-08-01")));
        el(out, "einddatum", Some(&format!("{}-07-31", start + 1)));
        out.push_str("</schooljaar>");
    }
    out.push_str("</schooljaren>");
}

fn leerlingen(st: &State, brin: &str, year: &str) -> String {
    let mut out = String::new();
    let Some(s) = st.schools.get(brin) else { return out };
    let current = st.school_years.last().is_some_and(|y| y == year);
    schooljaren(st, &mut out);
    let groups: Vec<_> = s.groepen.iter().filter(|g| g.schooljaar == year).collect();
    let members: Vec<_> = s
        .groepsindelingen
        .iter()
        .filter(|m| groups.iter().any(|g| g.id == m.groep))
        .filter(|m| !(current && s.left.contains(&m.leerling)))
        .collect();
    let mut pupil_ids: Vec<u64> = members.iter().map(|m| m.leerling).collect();
    pupil_ids.sort_unstable();
    pupil_ids.dedup();
    out.push_str("<leerlingen>");
    for p in s
        .leerlingen
        .iter()
        .filter(|p| pupil_ids.binary_search(&p.id).is_ok())
    {
        out.push_str("<leerling>");
        el(&mut out, "id", Some(&p.id.to_string()));
        el(&mut out, "leerlingNummer", Some(&p.leerling_nummer.to_string()));
        el(&mut out, "roepNaam", Some(&p.roepnaam));
        el(&mut out, "achternaam", Some(&p.achternaam));
        el(&mut out, "tussenvoegsel", p.tussenvoegsel.as_deref());
        el(&mut out, "geboortedatum", Some(&p.geboortedatum.to_string()));
        el(
            &mut out,
            "instroomDatum",
            p.instroom.as_ref().map(|a| a.datum.to_string()).as_deref(),
        );
        el(
            &mut out,
            "vorigeSchoolBrin",
            p.instroom.as_ref().map(|a| a.vorige_brin.as_str()),
        );
        el(
            &mut out,
            "osoDossier",
            p.instroom
                .as_ref()
                .map(|a| if a.oso_dossier { "true" } else { "false" }),
        );
        el(
            &mut out,
            "uitstroomDatum",
            p.uitstroom.map(|d| d.to_string()).as_deref(),
        );
        out.push_str("</leerling>");
    }
    out.push_str("</leerlingen><groepen>");
    for g in &groups {
        out.push_str("<groep>");
        el(&mut out, "id", Some(&g.id.to_string()));
        el(&mut out, "naam", Some(&g.naam));
        el(&mut out, "jaargroep", Some(&g.jaargroep.to_string()));
        el(&mut out, "leerkracht", Some(&g.leerkracht.to_string()));
        out.push_str("</groep>");
    }
    out.push_str("</groepen><groepsindelingen>");
    for m in members {
        out.push_str("<groepsindeling>");
        el(&mut out, "leerling", Some(&m.leerling.to_string()));
        el(&mut out, "groep", Some(&m.groep.to_string()));
        el(&mut out, "vanafDatum", Some(&m.vanaf_datum.to_string()));
        el(
            &mut out,
            "totDatum",
            m.tot_datum.map(|d| d.to_string()).as_deref(),
        );
        el(&mut out, "leerjaar", Some(&m.leerjaar.to_string()));
        out.push_str("</groepsindeling>");
    }
    out.push_str("</groepsindelingen>");
    out
}

fn medewerkers(st: &State, brin: &str) -> String {
    let mut out = String::new();
    let Some(s) = st.schools.get(brin) else { return out };
    schooljaren(st, &mut out);
    out.push_str("<medewerkers>");
    for m in &s.medewerkers {
        out.push_str("<medewerker>");
        el(&mut out, "id", Some(&m.id.to_string()));
        el(&mut out, "roepNaam", Some(&m.roepnaam));
        el(&mut out, "achternaam", Some(&m.achternaam));
        el(&mut out, "functie", Some(&m.functie));
        el(&mut out, "emailadres", Some(&m.emailadres));
        out.push_str("</medewerker>");
    }
    out.push_str("</medewerkers>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operation_and_fields() {
        let xml = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:p=\"http://www.topicus.nl/parnassys\">\
                   <s:Body><p:getLeerlingen><leveranciernaam>A &amp; B</leveranciernaam><brinnummer>10AA</brinnummer>\
                   <schooljaar>2025 / 2026</schooljaar></p:getLeerlingen></s:Body></s:Envelope>";
        let (op, f) = parse(xml).expect("parse");
        assert_eq!(op, "getLeerlingen");
        assert_eq!(f.get("leveranciernaam").map(|s| s.trim()), Some("A & B"));
        assert_eq!(f.get("schooljaar").map(|s| s.trim()), Some("2025 / 2026"));
    }
}
