//! SOAP 1.1 envelopes of UWLR 2.2 (document/literal, `autorisatie` header): reading a request
//! envelope into its header and body, and writing answers and faults. Everything written here
//! validates against the official `SOAP_Envelope.xsd` with the UWLR schemas for the header and
//! body (`tests/fixtures/validate-xml.sh`, `soap_*` files).

use crate::sources::xml::{Element, XmlReadError, read_tree};

/// Namespace of the SOAP 1.1 envelope.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Namespace of the UWLR `autorisatie` header (the same for both services).
pub const AUT_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/autorisatie";
/// Namespace of Zorgsignaal's fault detail (`zs:fout`).
pub const FAULT_DETAIL_NS: &str = "urn:zorgsignaal:uwlr:fout";

/// The `autorisatie` header: autorisatiesleutel, klantcode, klantnaam (each 1 to 64 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct Autorisatie {
    /// `autorisatiesleutel` (secret).
    pub key: String,
    /// `klantcode`.
    pub customer_code: String,
    /// `klantnaam`.
    pub customer_name: String,
}

impl std::fmt::Debug for Autorisatie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Autorisatie")
            .field("key", &"…")
            .field("customer_code", &self.customer_code)
            .field("customer_name", &self.customer_name)
            .finish()
    }
}

/// A request envelope read by [`read_envelope`].
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The `autorisatie` header; `Err` says why it is missing or incomplete.
    pub autorisatie: Result<Autorisatie, String>,
    /// The one element in `Body`.
    pub body: Element,
}

/// Why an envelope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not well-formed XML, or an XML limit was broken.
    #[error("{0}")]
    Xml(#[from] XmlReadError),
    /// Well-formed, but not a SOAP 1.1 envelope with one body element.
    #[error("{0}")]
    Structure(String),
}

/// Reads a SOAP 1.1 envelope: `Envelope` with an optional `Header` and a `Body` holding exactly
/// one element. The `autorisatie` header is read when present.
pub fn read_envelope(xml: &[u8]) -> Result<Envelope, EnvelopeError> {
    let root = read_tree(xml, &|_, _| true)?;
    if root.name != "Envelope" || root.namespace.as_deref() != Some(SOAP_NS) {
        return Err(EnvelopeError::Structure(format!(
            "het bericht is geen SOAP 1.1-envelop (<{}> in plaats van <soap:Envelope>)",
            root.name
        )));
    }
    let mut header = None;
    let mut body = None;
    for c in &root.children {
        match (c.name.as_str(), c.namespace.as_deref()) {
            ("Header", Some(SOAP_NS)) if header.is_none() && body.is_none() => header = Some(c),
            ("Body", Some(SOAP_NS)) if body.is_none() => body = Some(c),
            _ => {
                return Err(EnvelopeError::Structure(format!(
                    "regel {}: <{}> hoort niet in <soap:Envelope>",
                    c.line, c.name
                )));
            }
        }
    }
    let body = body.ok_or_else(|| EnvelopeError::Structure("<soap:Body> ontbreekt".into()))?;
    let [content] = body.children.as_slice() else {
        return Err(EnvelopeError::Structure(format!(
            "<soap:Body> moet precies één element bevatten, niet {}",
            body.children.len()
        )));
    };
    let autorisatie = header
        .and_then(|h| {
            h.children
                .iter()
                .find(|c| c.name == "autorisatie" && c.namespace.as_deref() == Some(AUT_NS))
        })
        .ok_or_else(|| "de SOAP-header <autorisatie> ontbreekt".to_owned())
        .and_then(read_autorisatie);
    Ok(Envelope {
        autorisatie,
        body: content.clone(),
    })
}

fn read_autorisatie(a: &Element) -> Result<Autorisatie, String> {
    let field = |name: &str| -> Result<String, String> {
        let text = a
            .children
            .iter()
            .find(|c| c.name == name && c.namespace.as_deref() == Some(AUT_NS))
            .map(|c| c.text.trim())
            .unwrap_or_default();
        if text.is_empty() || text.chars().count() > 64 {
            return Err(format!("<autorisatie> mist <{name}> (1 tot 64 tekens)"));
        }
        Ok(text.to_owned())
    };
    Ok(Autorisatie {
        key: field("autorisatiesleutel")?,
        customer_code: field("klantcode")?,
        customer_name: field("klantnaam")?,
    })
}

/// Escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// A SOAP 1.1 envelope around `body` (one element, already serialised), with an optional header
/// element.
pub fn envelope(header: Option<&str>, body: &str) -> String {
    let header = header.map_or_else(String::new, |h| format!("<soap:Header>{h}</soap:Header>"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP_NS}\">{header}<soap:Body>{body}</soap:Body></soap:Envelope>\n"
    )
}

/// The `autorisatie` header element.
pub fn autorisatie_header(a: &Autorisatie) -> String {
    format!(
        "<aut:autorisatie xmlns:aut=\"{AUT_NS}\"><aut:autorisatiesleutel>{}</aut:autorisatiesleutel>\
         <aut:klantcode>{}</aut:klantcode><aut:klantnaam>{}</aut:klantnaam></aut:autorisatie>",
        escape(&a.key),
        escape(&a.customer_code),
        escape(&a.customer_name)
    )
}

/// A SOAP 1.1 fault: `faultcode` (`soap:Client.…` or `soap:Server.…`), a Dutch `faultstring`
/// and a `detail` with Zorgsignaal's short code (`zs:fout/zs:code`) for programs.
pub fn fault(faultcode: &str, faultstring: &str, code: &str) -> String {
    envelope(
        None,
        &format!(
            "<soap:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring>\
             <detail><zs:fout xmlns:zs=\"{FAULT_DETAIL_NS}\"><zs:code>{}</zs:code></zs:fout></detail></soap:Fault>",
            escape(faultcode),
            escape(faultstring),
            escape(code)
        ),
    )
}

/// Reads a fault answer: (faultcode, faultstring, detail code).
pub fn read_fault(xml: &[u8]) -> Option<(String, String, Option<String>)> {
    let env = read_envelope(xml).ok()?;
    let f = env.body;
    if f.name != "Fault" || f.namespace.as_deref() != Some(SOAP_NS) {
        return None;
    }
    let code = f
        .child("detail")
        .and_then(|d| d.child("fout"))
        .and_then(|z| z.text_of("code"))
        .map(str::to_owned);
    Some((
        f.text_of("faultcode")?.to_owned(),
        f.text_of("faultstring").unwrap_or_default().to_owned(),
        code,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(header: &str, body: &str) -> String {
        envelope(Some(header).filter(|h| !h.is_empty()), body)
    }

    fn aut() -> Autorisatie {
        Autorisatie {
            key: "k".repeat(64),
            customer_code: "TU".into(),
            customer_name: "Test & Uitgever".into(),
        }
    }

    #[test]
    fn an_envelope_gives_its_header_and_its_one_body_element() {
        let xml = request(&autorisatie_header(&aut()), "<x:a xmlns:x=\"urn:x\"><x:b/></x:a>");
        let env = read_envelope(xml.as_bytes()).expect("envelope");
        assert_eq!(env.autorisatie, Ok(aut()));
        assert_eq!(env.body.name, "a");
        assert!(!format!("{:?}", env.autorisatie).contains(&"k".repeat(64)));
    }

    #[test]
    fn structure_and_header_problems_are_named() {
        let no_header = request("", "<a/>");
        let env = read_envelope(no_header.as_bytes()).expect("envelope");
        assert!(env.autorisatie.expect_err("missing").contains("ontbreekt"));
        let long = Autorisatie {
            key: "k".repeat(65),
            ..aut()
        };
        let env = read_envelope(request(&autorisatie_header(&long), "<a/>").as_bytes()).expect("envelope");
        assert!(
            env.autorisatie
                .expect_err("too long")
                .contains("autorisatiesleutel")
        );
        for (xml, says) in [
            ("<a/>".to_owned(), "geen SOAP"),
            (request("", "<a/><b/>"), "precies één"),
            (request("", ""), "precies één"),
        ] {
            match read_envelope(xml.as_bytes()) {
                Err(EnvelopeError::Structure(s)) => assert!(s.contains(says), "{s}"),
                other => panic!("{xml}: {other:?}"),
            }
        }
        assert!(matches!(
            read_envelope(b"<soap:Envelope"),
            Err(EnvelopeError::Xml(_))
        ));
    }

    #[test]
    fn a_fault_reads_back_with_its_code() {
        let xml = fault("soap:Client.Schema", "regel 3: <x> & meer", "schema");
        let (code, text, detail) = read_fault(xml.as_bytes()).expect("fault");
        assert_eq!(code, "soap:Client.Schema");
        assert_eq!(text, "regel 3: <x> & meer");
        assert_eq!(detail.as_deref(), Some("schema"));
    }
}
