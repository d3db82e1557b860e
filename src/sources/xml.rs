//! Limits for every untrusted XML input (OSO dossiers, GKV SOAP answers, UWLR and EDEXML
//! messages): a size cap, and per start tag a cap on attributes and namespace declarations with
//! duplicate attribute names refused.
//!
//! quick-xml ≥ 0.41 fixes RUSTSEC-2026-0194 (quadratic duplicate-attribute check) and
//! RUSTSEC-2026-0195 (unbounded namespace allocation in `NsReader`); these checks are the second
//! line: no document Zorgsignaal reads legitimately comes near the limits, so a hostile one is
//! refused at its first offending tag with an error that says which limit it broke.

use std::io::Read;

use quick_xml::events::BytesStart;

/// Largest XML input accepted (16 MiB). An OSO dossier is tens of kilobytes, a GKV answer for a
/// large school a few megabytes; a UWLR message of one school's test round far less.
pub const MAX_XML_BYTES: usize = 16 * 1024 * 1024;

/// Most attributes one start tag may carry (the standards use at most a handful).
pub const MAX_ATTRIBUTES_PER_ELEMENT: usize = 64;

/// Most namespace declarations (`xmlns`, `xmlns:*`) one start tag may carry.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 32;

/// Deepest element nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// Why an XML input was refused before or while it was read. Names elements and limits, never
/// element text or attribute values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlLimitError {
    /// The input is larger than [`MAX_XML_BYTES`] (or the limit the caller chose).
    #[error("XML input too large: more than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A start tag repeats an attribute name (RUSTSEC-2026-0194's input shape).
    #[error("element <{element}> repeats attribute {attribute}")]
    DuplicateAttribute {
        /// Local name of the element.
        element: String,
        /// The repeated attribute name.
        attribute: String,
    },
    /// A start tag has more than [`MAX_ATTRIBUTES_PER_ELEMENT`] attributes.
    #[error("element <{element}> has more than {limit} attributes")]
    TooManyAttributes {
        /// Local name of the element.
        element: String,
        /// The limit.
        limit: usize,
    },
    /// A start tag declares more than [`MAX_NAMESPACE_DECLARATIONS`] namespaces
    /// (RUSTSEC-2026-0195's input shape).
    #[error("element <{element}> declares more than {limit} namespaces")]
    TooManyNamespaces {
        /// Local name of the element.
        element: String,
        /// The limit.
        limit: usize,
    },
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("elements nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// An attribute is not well-formed.
    #[error("element <{element}> has a malformed attribute: {reason}")]
    MalformedAttribute {
        /// Local name of the element.
        element: String,
        /// quick-xml's description (positions only).
        reason: String,
    },
    /// Reading the input failed.
    #[error("reading XML input: {0}")]
    Io(String),
}

/// Refuses an input of more than [`MAX_XML_BYTES`].
pub fn check_size(len: usize) -> Result<(), XmlLimitError> {
    if len > MAX_XML_BYTES {
        return Err(XmlLimitError::TooLarge { limit: MAX_XML_BYTES });
    }
    Ok(())
}

/// Reads at most `limit` bytes; an input with more is refused without reading the rest.
pub fn read_capped(reader: impl Read, limit: usize) -> Result<Vec<u8>, XmlLimitError> {
    let mut bytes = Vec::new();
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(cap)
        .read_to_end(&mut bytes)
        .map_err(|e| XmlLimitError::Io(e.kind().to_string()))?;
    if bytes.len() > limit {
        return Err(XmlLimitError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Checks one start tag at nesting `depth` (1 for the root): depth, attribute count, namespace
/// declarations and duplicate names. Stops at the first broken limit, so its cost is bounded by
/// the limits, not by the tag.
pub fn check_start(start: &BytesStart<'_>, depth: usize) -> Result<(), XmlLimitError> {
    if depth > MAX_DEPTH {
        return Err(XmlLimitError::TooDeep { limit: MAX_DEPTH });
    }
    let element = || String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut names: Vec<&[u8]> = Vec::new();
    let mut namespaces = 0usize;
    for attr in start.attributes().with_checks(false) {
        // quick-xml's own duplicate check is off: ours below is bounded by the attribute cap.
        let attr = attr.map_err(|e| XmlLimitError::MalformedAttribute {
            element: element(),
            reason: e.to_string(),
        })?;
        let key: &[u8] = attr.key.into_inner();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            namespaces += 1;
            if namespaces > MAX_NAMESPACE_DECLARATIONS {
                return Err(XmlLimitError::TooManyNamespaces {
                    element: element(),
                    limit: MAX_NAMESPACE_DECLARATIONS,
                });
            }
        }
        if names.len() >= MAX_ATTRIBUTES_PER_ELEMENT {
            return Err(XmlLimitError::TooManyAttributes {
                element: element(),
                limit: MAX_ATTRIBUTES_PER_ELEMENT,
            });
        }
        if names.contains(&key) {
            return Err(XmlLimitError::DuplicateAttribute {
                element: element(),
                attribute: String::from_utf8_lossy(key).into_owned(),
            });
        }
        names.push(key);
    }
    Ok(())
}

/// Hostile documents for the tests of every XML reader (one per advisory and limit).
#[cfg(test)]
pub(crate) mod hostile {
    /// A start tag `<name a0="" a1="" … a5="" a3="">`: a duplicate name among many.
    pub fn duplicate_attributes(name: &str) -> String {
        let mut tag = format!("<{name}");
        for i in 0..6 {
            tag.push_str(&format!(" a{i}=\"x\""));
        }
        tag.push_str(" a3=\"y\">");
        tag
    }

    /// A start tag with `n` distinct attribute names (the quadratic case of RUSTSEC-2026-0194).
    pub fn many_attributes(name: &str, n: usize) -> String {
        let mut tag = format!("<{name}");
        for i in 0..n {
            tag.push_str(&format!(" a{i}=\"x\""));
        }
        tag.push('>');
        tag
    }

    /// A start tag with `n` namespace declarations (RUSTSEC-2026-0195).
    pub fn many_namespaces(name: &str, n: usize) -> String {
        let mut tag = format!("<{name}");
        for i in 0..n {
            tag.push_str(&format!(" xmlns:p{i}=\"urn:x:{i}\""));
        }
        tag.push('>');
        tag
    }
}

#[cfg(test)]
mod tests {
    use quick_xml::Reader;
    use quick_xml::events::Event;

    use super::*;

    fn first_start(xml: &str) -> Result<(), XmlLimitError> {
        let mut reader = Reader::from_str(xml);
        loop {
            match reader.read_event() {
                Ok(Event::Start(s) | Event::Empty(s)) => return check_start(&s, 1),
                Ok(Event::Eof) => return Ok(()),
                Ok(_) => {}
                Err(e) => panic!("tokenizer: {e}"),
            }
        }
    }

    #[test]
    fn an_ordinary_tag_passes() {
        let xml = "<a xmlns=\"urn:a\" xmlns:xsi=\"urn:xsi\" key=\"1\" xsi:type=\"t\"/>";
        assert_eq!(first_start(xml), Ok(()));
    }

    #[test]
    fn each_hostile_tag_gets_its_own_error() {
        let dup = first_start(&format!("{}</dossier>", hostile::duplicate_attributes("dossier")));
        assert_eq!(
            dup,
            Err(XmlLimitError::DuplicateAttribute {
                element: "dossier".into(),
                attribute: "a3".into()
            })
        );
        let many = first_start(&hostile::many_attributes("x", 200_000));
        assert!(
            matches!(many, Err(XmlLimitError::TooManyAttributes { limit: 64, .. })),
            "{many:?}"
        );
        let ns = first_start(&hostile::many_namespaces("x", 200_000));
        assert!(
            matches!(ns, Err(XmlLimitError::TooManyNamespaces { limit: 32, .. })),
            "{ns:?}"
        );
    }

    #[test]
    fn size_caps() {
        assert_eq!(check_size(MAX_XML_BYTES), Ok(()));
        assert_eq!(
            check_size(MAX_XML_BYTES + 1),
            Err(XmlLimitError::TooLarge { limit: MAX_XML_BYTES })
        );
        assert_eq!(read_capped(&b"12345"[..], 5).map(|b| b.len()), Ok(5));
        assert_eq!(
            read_capped(&b"123456"[..], 5),
            Err(XmlLimitError::TooLarge { limit: 5 })
        );
    }

    #[test]
    fn depth_is_capped() {
        let s = BytesStart::new("x");
        assert_eq!(check_start(&s, MAX_DEPTH), Ok(()));
        assert_eq!(
            check_start(&s, MAX_DEPTH + 1),
            Err(XmlLimitError::TooDeep { limit: MAX_DEPTH })
        );
    }
}
