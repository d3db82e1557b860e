//! UWLR 2.2 `LeerlinggegevensService` of an "ESIS-like" school's LAS: `HaalLeerlinggegevens`
//! (SOAP 1.1 document/literal) at [`PATH`] on the SOAP server. The request is a
//! `leerlinggegevens_verzoek` with the `autorisatie` header (autorisatiesleutel, klantcode,
//! klantnaam); the answer a `leerlinggegevens_antwoord` with the school's pupils, groups and
//! teachers of the asked school year in the EDEXML types, or a SOAP fault. Everything written
//! here validates against the official UWLR schemas (`tests/it/uwlr_mock_xml.rs` in the main crate).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use quick_xml::NsReader;
use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

use super::gkv::el;
use super::{Shared, server_error_status};
use crate::faults::FaultKind;
use crate::state::State;

/// Path of the `LeerlinggegevensService` on the SOAP server.
pub const PATH: &str = "/uwlr/v2/leerlinggegevens";
/// The SOAPAction of the operation.
pub const SOAP_ACTION: &str = "HaalLeerlinggegevens";
/// Namespace of the UWLR pupil-data messages.
pub const LG_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens";
/// Namespace of the `autorisatie` header.
pub const AUT_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/autorisatie";
/// Namespace of the SOAP 1.1 envelope.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Faultstring prefix of every authorisation refusal (wrong key or klantcode, unknown school,
/// consent revoked).
pub const FAULT_AUTH: &str = "Autorisatie";
/// Request counter label.
pub const LABEL: &str = "uwlr.HaalLeerlinggegevens";

/// The router of the UWLR pupil-data service.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new().route(PATH, post(handle)).with_state(shared)
}

/// An element of a request: namespace, local name, text and children.
#[derive(Debug, Default)]
struct Node {
    ns: String,
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, ns: &str, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.ns == ns && c.name == name)
    }

    fn text_of(&self, ns: &str, name: &str) -> Option<&str> {
        self.child(ns, name).map(|c| c.text.trim())
    }
}

fn read_tree(xml: &str) -> Result<Node, String> {
    let mut reader = NsReader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        let ns = match resolved {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.0).into_owned(),
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => {
                return Err(format!(
                    "onbekend namespace-prefix {}",
                    String::from_utf8_lossy(&p)
                ));
            }
        };
        match event {
            Event::Start(e) => stack.push(Node {
                ns,
                name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                ..Node::default()
            }),
            Event::Empty(e) => {
                let node = Node {
                    ns,
                    name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
                    ..Node::default()
                };
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| e.to_string())?;
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let ch = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| format!("onbekende entiteit &{name};"))?
                        .to_string(),
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&ch);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("onverwachte eindtag")?;
                stack.last_mut().ok_or("onverwachte eindtag")?.children.push(node);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut root = stack
        .pop()
        .filter(|_| stack.is_empty())
        .ok_or("onvolledig bericht")?;
    match root.children.len() {
        1 => Ok(root.children.remove(0)),
        _ => Err("geen XML-document met één hoofdelement".into()),
    }
}

/// A SOAP 1.1 fault (HTTP 500, as SOAP over HTTP prescribes).
pub fn fault(code: &str, text: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body><soap:Fault>\
         <faultcode>soap:{code}</faultcode><faultstring>{}</faultstring></soap:Fault></soap:Body></soap:Envelope>\n",
        escape(text)
    )
}

fn xml_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

fn refuse(code: &str, text: &str) -> Response {
    xml_response(StatusCode::INTERNAL_SERVER_ERROR, fault(code, text))
}

/// What a valid request asks.
#[derive(Debug)]
struct Request {
    key: String,
    klantcode: String,
    year: String,
    brin: String,
}

/// A refused request: fault code (`Client`) and faultstring.
type Refusal = (&'static str, String);

fn no(code: &'static str, text: &str) -> Refusal {
    (code, text.to_owned())
}

/// Checks a request envelope against the WSDL/schema rules the mock relies on.
fn read_request(tree: &Node) -> Result<Request, Refusal> {
    if tree.ns != SOAP_NS || tree.name != "Envelope" {
        return Err(no("Client", "ONGELDIG_BERICHT: geen SOAP 1.1-envelop"));
    }
    let body = tree
        .child(SOAP_NS, "Body")
        .ok_or_else(|| no("Client", "ONGELDIG_BERICHT: <soap:Body> ontbreekt"))?;
    let [verzoek] = body.children.as_slice() else {
        return Err(no(
            "Client",
            "ONGELDIG_BERICHT: <soap:Body> moet precies één element bevatten",
        ));
    };
    if verzoek.ns != LG_NS || verzoek.name != "leerlinggegevens_verzoek" {
        return Err(no(
            "Client",
            &format!(
                "ONBEKENDE_OPERATIE: {} (alleen leerlinggegevens_verzoek)",
                verzoek.name
            ),
        ));
    }
    let autorisatie = tree
        .child(SOAP_NS, "Header")
        .and_then(|h| h.child(AUT_NS, "autorisatie"))
        .ok_or_else(|| {
            no(
                "Client",
                &format!("{FAULT_AUTH}: de SOAP-header <autorisatie> ontbreekt"),
            )
        })?;
    let field = |name: &str| -> Result<String, Refusal> {
        match autorisatie.text_of(AUT_NS, name) {
            Some(t) if !t.is_empty() && t.chars().count() <= 64 => Ok(t.to_owned()),
            _ => Err(no(
                "Client",
                &format!("{FAULT_AUTH}: <autorisatie> mist <{name}> (1 tot 64 tekens)"),
            )),
        }
    };
    let key = field("autorisatiesleutel")?;
    let klantcode = field("klantcode")?;
    field("klantnaam")?;
    let allowed = [
        "schooljaar",
        "brincode",
        "dependancecode",
        "schoolkey",
        "xsdversie",
    ];
    if let Some(c) = verzoek
        .children
        .iter()
        .find(|c| c.ns != LG_NS || !allowed.contains(&c.name.as_str()))
    {
        return Err(no(
            "Client",
            &format!(
                "ONGELDIG_BERICHT: <{}> hoort niet in <leerlinggegevens_verzoek>",
                c.name
            ),
        ));
    }
    let year = verzoek
        .text_of(LG_NS, "schooljaar")
        .unwrap_or_default()
        .to_owned();
    let valid_year = year.len() == 9
        && year.as_bytes()[4] == b'-'
        && matches!(
            (year[..4].parse::<i32>(), year[5..].parse::<i32>()),
            (Ok(a), Ok(b)) if b == a + 1
        );
    if !valid_year {
        return Err(no(
            "Client",
            &format!("ONGELDIG_BERICHT: schooljaar {year:?} is geen schooljaar als 2025-2026"),
        ));
    }
    if verzoek.text_of(LG_NS, "xsdversie").is_none_or(str::is_empty) {
        return Err(no("Client", "ONGELDIG_BERICHT: <xsdversie> ontbreekt"));
    }
    let brin = verzoek.text_of(LG_NS, "brincode").unwrap_or_default().to_owned();
    if brin.is_empty() {
        return Err(no(
            "Client",
            "ONGELDIG_BERICHT: deze LAS kent scholen alleen op <brincode>",
        ));
    }
    let dependance = verzoek.text_of(LG_NS, "dependancecode").unwrap_or("00");
    if !matches!(dependance, "" | "00") {
        return Err(no(
            "Client",
            &format!("{FAULT_AUTH}: onbekende dependance {dependance} van school {brin}"),
        ));
    }
    Ok(Request {
        key,
        klantcode,
        year,
        brin,
    })
}

async fn handle(AxState(shared): AxState<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let tree = match read_tree(&body) {
        Ok(t) => t,
        Err(e) => {
            shared.arrive("uwlr.invalid", &[]);
            return refuse("Client", &format!("ONGELDIGE_XML: {e}"));
        }
    };
    let request = match read_request(&tree) {
        Ok(r) => r,
        Err((code, text)) => {
            shared.arrive("uwlr.invalid", &[]);
            return refuse(code, &text);
        }
    };
    let applicable = [
        FaultKind::RateLimit,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::SoapFault,
    ];
    match shared.pre(LABEL, &applicable).await {
        Err(r) => return r,
        Ok(Some((FaultKind::ServerError, w))) => {
            return (server_error_status(w), "Service tijdelijk niet beschikbaar").into_response();
        }
        Ok(Some((FaultKind::SoapFault, _))) => {
            return refuse("Server", "TIJDELIJK_NIET_BESCHIKBAAR: probeer het later opnieuw");
        }
        Ok(_) => {}
    }
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_matches('"').to_owned())
        .unwrap_or_default();
    if !action.is_empty() && action != SOAP_ACTION && !action.ends_with(&format!("/{SOAP_ACTION}")) {
        return refuse("Client", &format!("SOAPACTION_ONBEKEND: {action}"));
    }
    let _pin = shared.pin(&request.brin).await;
    let st = shared.read();
    let Some((school, access)) = st
        .schools
        .get(&request.brin)
        .and_then(|s| s.uwlr.as_ref().map(|a| (s, a)))
    else {
        return refuse(
            "Client",
            &format!(
                "{FAULT_AUTH}: school {} levert hier geen UWLR-gegevens",
                request.brin
            ),
        );
    };
    if request.key != access.autorisatiesleutel {
        return refuse("Client", &format!("{FAULT_AUTH}: autorisatiesleutel onbekend"));
    }
    if request.klantcode != access.klantcode {
        return refuse(
            "Client",
            &format!("{FAULT_AUTH}: klantcode {} is niet gekoppeld", request.klantcode),
        );
    }
    if school.revoked {
        return refuse(
            "Client",
            &format!("{FAULT_AUTH}: autorisatiesleutel ingetrokken door de school"),
        );
    }
    if !st.school_years.contains(&request.year) {
        return refuse(
            "Client",
            &format!(
                "ONBEKEND_SCHOOLJAAR: {} (bekend: {})",
                request.year,
                st.school_years.join(", ")
            ),
        );
    }
    xml_response(StatusCode::OK, answer(&st, &request.brin, &request.year))
}

/// The `leerlinggegevens_antwoord` envelope for `brin` and school year `year` (`2025-2026`):
/// pupils with a groepsindeling in a group of that year (minus those removed from the current
/// year), their group and jaargroep, the groups, and the leerkrachten with the groups they teach.
/// `geengegevens` when there are none.
pub fn answer(st: &State, brin: &str, year: &str) -> String {
    let inner = leerlinggegevens(st, brin, year).unwrap_or_else(|| "<geengegevens/>".to_owned());
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body>\
         <leerlinggegevens_antwoord xmlns=\"{LG_NS}\">{inner}</leerlinggegevens_antwoord>\
         </soap:Body></soap:Envelope>\n"
    )
}

fn leerlinggegevens(st: &State, brin: &str, year: &str) -> Option<String> {
    let s = st.schools.get(brin)?;
    let current = st.school_years.last().is_some_and(|y| y == year);
    let groups: Vec<_> = s.groepen.iter().filter(|g| g.schooljaar == year).collect();
    // Per pupil the membership of the year that counts: the latest one (a pupil who changed
    // group during the year is in the new group).
    let mut member: std::collections::BTreeMap<u64, &crate::model::Membership> =
        std::collections::BTreeMap::new();
    for m in s
        .groepsindelingen
        .iter()
        .filter(|m| groups.iter().any(|g| g.id == m.groep))
        .filter(|m| !(current && s.left.contains(&m.leerling)))
    {
        let e = member.entry(m.leerling).or_insert(m);
        if (m.tot_datum.is_none(), m.vanaf_datum) > (e.tot_datum.is_none(), e.vanaf_datum) {
            *e = m;
        }
    }
    let pupils: Vec<_> = s
        .leerlingen
        .iter()
        .filter(|p| member.contains_key(&p.id))
        .collect();
    if pupils.is_empty() {
        return None;
    }
    let mut out = String::from("<leerlinggegevens><school>");
    el(&mut out, "schooljaar", Some(year));
    el(&mut out, "peildatum", Some(&st.as_of.to_string()));
    el(&mut out, "brincode", Some(brin));
    el(&mut out, "dependancecode", Some("00"));
    el(&mut out, "aanmaakdatum", Some(&format!("{}T06:00:00", st.as_of)));
    el(&mut out, "auteur", Some("Mock-LAS (ESIS-achtig)"));
    el(&mut out, "xsdversie", Some("2.2"));
    out.push_str("</school><groepen>");
    for g in &groups {
        let _ = write!(out, "<groep key=\"{}\">", g.id);
        el(&mut out, "naam", Some(&g.naam));
        el(&mut out, "jaargroep", Some(&g.jaargroep.to_string()));
        out.push_str("</groep>");
    }
    out.push_str("</groepen><leerlingen>");
    for p in pupils {
        let m = member[&p.id];
        let _ = write!(out, "<leerling key=\"{}\">", p.id);
        el(&mut out, "achternaam", Some(&p.achternaam));
        if let Some(tv) = &p.tussenvoegsel {
            el(&mut out, "voorvoegsel", Some(tv));
        }
        el(&mut out, "roepnaam", Some(&p.roepnaam));
        el(&mut out, "geboortedatum", Some(&p.geboortedatum.to_string()));
        el(&mut out, "jaargroep", Some(&m.leerjaar.to_string()));
        let _ = write!(out, "<groep key=\"{}\"/>", m.groep);
        if let Some(a) = &p.instroom {
            el(&mut out, "instroomdatum", Some(&a.datum.to_string()));
        }
        if let Some(d) = p.uitstroom {
            el(&mut out, "uitstroomdatum", Some(&d.to_string()));
        }
        out.push_str("</leerling>");
    }
    out.push_str("</leerlingen><leerkrachten>");
    for t in s.medewerkers.iter().filter(|m| m.functie == "leerkracht") {
        let _ = write!(out, "<leerkracht key=\"{}\">", t.id);
        el(&mut out, "achternaam", Some(&t.achternaam));
        el(&mut out, "roepnaam", Some(&t.roepnaam));
        el(&mut out, "emailadres", Some(&t.emailadres));
        el(&mut out, "rol", Some("LRK"));
        let taught: Vec<_> = groups.iter().filter(|g| g.leerkracht == t.id).collect();
        if !taught.is_empty() {
            out.push_str("<groepen>");
            for g in taught {
                let _ = write!(out, "<groep key=\"{}\"/>", g.id);
            }
            out.push_str("</groepen>");
        }
        out.push_str("</leerkracht>");
    }
    out.push_str("</leerkrachten></leerlinggegevens>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_tree_keeps_namespaces_and_entities() {
        let xml = format!(
            "<s:Envelope xmlns:s=\"{SOAP_NS}\"><s:Header><a:autorisatie xmlns:a=\"{AUT_NS}\">\
             <a:autorisatiesleutel>k</a:autorisatiesleutel><a:klantcode>ZS01</a:klantcode>\
             <a:klantnaam>A &amp; B</a:klantnaam></a:autorisatie></s:Header><s:Body>\
             <leerlinggegevens_verzoek xmlns=\"{LG_NS}\"><schooljaar>2025-2026</schooljaar>\
             <brincode>12AA</brincode><xsdversie>2.2</xsdversie></leerlinggegevens_verzoek></s:Body></s:Envelope>"
        );
        let tree = read_tree(&xml).expect("tree");
        let aut = tree
            .child(SOAP_NS, "Header")
            .and_then(|h| h.child(AUT_NS, "autorisatie"))
            .expect("header");
        assert_eq!(aut.text_of(AUT_NS, "klantnaam"), Some("A & B"));
        let r = read_request(&tree).expect("valid");
        assert_eq!(
            (r.brin.as_str(), r.year.as_str(), r.klantcode.as_str()),
            ("12AA", "2025-2026", "ZS01")
        );
        let wrong = xml.replace("2025-2026", "2025-2027");
        assert!(read_request(&read_tree(&wrong).expect("tree")).is_err());
        let no_header = xml.replace("<a:klantcode>ZS01</a:klantcode>", "");
        assert!(read_request(&read_tree(&no_header).expect("tree")).is_err());
        assert!(read_tree("<a><b></a>").is_err());
    }
}
