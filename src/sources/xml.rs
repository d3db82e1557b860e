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

/// One element of a document read by [`read_tree`]: local name, namespace, line, attributes
/// (by local name), text and kept children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Namespace URI, when bound.
    pub namespace: Option<String>,
    /// 1-based line of the start tag.
    pub line: usize,
    /// Attributes by local name (namespace declarations left out), values unescaped.
    pub attributes: Vec<(String, String)>,
    /// Text content (entities resolved), untrimmed.
    pub text: String,
    /// Kept child elements, in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of child `name`, `None` when absent or blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim()).filter(|t| !t.is_empty())
    }

    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why [`read_tree`] refused a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlReadError {
    /// A limit of this module was broken.
    #[error("line {line}: {limit}")]
    Limit {
        /// Line of the offending tag (1 for the size).
        line: usize,
        /// Which limit.
        limit: XmlLimitError,
    },
    /// Not well-formed XML (or not UTF-8); never echoes content.
    #[error("line {line}: invalid XML: {reason}")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Reads a whole document into a tree, keeping an element only when its parent is kept and
/// `keep(parent, name)` says so (the root is always kept): everything else is checked for
/// well-formedness and the limits, then dropped, so it never enters memory as data.
pub fn read_tree(xml: &[u8], keep: &dyn Fn(&str, &str) -> bool) -> Result<Element, XmlReadError> {
    use quick_xml::NsReader;
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;

    check_size(xml.len()).map_err(|limit| XmlReadError::Limit { line: 1, limit })?;
    let newlines: Vec<usize> = xml
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_of = |offset: usize| newlines.partition_point(|&nl| nl < offset) + 1;
    let malformed = |line: usize, reason: String| XmlReadError::Malformed { line, reason };
    let text = std::str::from_utf8(xml)
        .map_err(|e| malformed(line_of(e.valid_up_to()), "not valid UTF-8".into()))?;
    let mut reader = NsReader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    reader
        .resolver_mut()
        .set_max_declarations_per_element(MAX_NAMESPACE_DECLARATIONS);
    // (element or None when dropped, its name)
    let mut stack: Vec<(Option<Element>, String)> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let at = line_of(
            before
                + xml[before.min(xml.len())..]
                    .iter()
                    .take_while(|b| b.is_ascii_whitespace())
                    .count(),
        );
        let (ns, event) = match reader.read_resolved_event() {
            Ok(ok) => ok,
            Err(quick_xml::Error::Namespace(quick_xml::name::NamespaceError::TooManyDeclarations(_))) => {
                return Err(XmlReadError::Limit {
                    line: at,
                    limit: XmlLimitError::TooManyNamespaces {
                        element: String::new(),
                        limit: MAX_NAMESPACE_DECLARATIONS,
                    },
                });
            }
            Err(e) => {
                let pos = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(malformed(line_of(pos), e.to_string()));
            }
        };
        let namespace = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            _ => None,
        };
        match event {
            Event::Start(start) => {
                check_start(&start, stack.len() + 1)
                    .map_err(|limit| XmlReadError::Limit { line: at, limit })?;
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                if stack.is_empty() && root.is_some() {
                    return Err(malformed(at, "content after the root element".into()));
                }
                let kept = match stack.last() {
                    None => true,
                    Some((parent, parent_name)) => parent.is_some() && keep(parent_name, &name),
                };
                let element = if kept {
                    let mut attributes = Vec::new();
                    for attr in start.attributes().with_checks(false) {
                        let attr = attr.map_err(|e| malformed(at, e.to_string()))?;
                        let key = attr.key.as_ref();
                        if key == b"xmlns" || key.starts_with(b"xmlns:") {
                            continue;
                        }
                        let value = attr
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| malformed(at, e.to_string()))?
                            .into_owned();
                        let local = String::from_utf8_lossy(attr.key.local_name().as_ref()).into_owned();
                        attributes.push((local, value));
                    }
                    Some(Element {
                        name: name.clone(),
                        namespace,
                        line: at,
                        attributes,
                        ..Element::default()
                    })
                } else {
                    None
                };
                stack.push((element, name));
            }
            Event::End(_) => {
                let Some((done, _)) = stack.pop() else {
                    return Err(malformed(at, "closing tag without an opening tag".into()));
                };
                if let Some(element) = done {
                    match stack.last_mut() {
                        Some((Some(parent), _)) => parent.children.push(element),
                        Some((None, _)) => {}
                        None => root = Some(element),
                    }
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| malformed(at, e.to_string()))?;
                push_text(&mut stack, &s).map_err(|r| malformed(at, r))?;
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| malformed(at, e.to_string()))?;
                push_text(&mut stack, &s).map_err(|r| malformed(at, r))?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.decode().map_err(|e| malformed(at, e.to_string()))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| malformed(at, "unknown entity reference".into()))?
                            .to_owned()
                    }
                    Err(e) => return Err(malformed(at, e.to_string())),
                };
                push_text(&mut stack, &resolved).map_err(|r| malformed(at, r))?;
            }
            Event::DocType(_) => return Err(malformed(at, "a DOCTYPE is not accepted".into())),
            Event::Eof => {
                if let Some((_, name)) = stack.last() {
                    return Err(malformed(
                        line_of(xml.len()),
                        format!("unexpected end of file inside <{name}>"),
                    ));
                }
                break;
            }
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    root.ok_or_else(|| malformed(1, "no root element".into()))
}

fn push_text(stack: &mut [(Option<Element>, String)], s: &str) -> Result<(), String> {
    match stack.last_mut() {
        Some((Some(element), _)) => {
            element.text.push_str(s);
            Ok(())
        }
        Some((None, _)) => Ok(()),
        None if s.trim().is_empty() => Ok(()),
        None => Err("text outside the root element".into()),
    }
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
    fn read_tree_keeps_what_it_is_told_and_refuses_hostile_tags() {
        let xml = "<?xml version=\"1.0\"?>\n<r xmlns=\"urn:r\" xmlns:o=\"urn:o\">\n <a k=\"1&amp;2\">x &lt; y</a>\n <secret>Geheim</secret>\n <o:b/>\n</r>";
        let keep = |_: &str, name: &str| name != "secret";
        let root = read_tree(xml.as_bytes(), &keep).expect("well-formed");
        assert_eq!(root.namespace.as_deref(), Some("urn:r"));
        let a = root.child("a").expect("a");
        assert_eq!(
            (a.line, a.text.as_str(), a.attribute("k")),
            (3, "x < y", Some("1&2"))
        );
        assert_eq!(
            root.child("b").and_then(|b| b.namespace.as_deref()),
            Some("urn:o")
        );
        assert!(!format!("{root:?}").contains("Geheim"));
        let all = |_: &str, _: &str| true;
        let dup = format!(
            "<r>\n{}</leerling></r>",
            hostile::duplicate_attributes("leerling")
        );
        assert!(matches!(
            read_tree(dup.as_bytes(), &all),
            Err(XmlReadError::Limit {
                line: 2,
                limit: XmlLimitError::DuplicateAttribute { .. }
            })
        ));
        let ns = format!("<r>\n{}</x></r>", hostile::many_namespaces("x", 50_000));
        assert!(matches!(
            read_tree(ns.as_bytes(), &all),
            Err(XmlReadError::Limit {
                line: 2,
                limit: XmlLimitError::TooManyNamespaces { .. }
            })
        ));
        assert!(matches!(
            read_tree(b"<!DOCTYPE r [<!ENTITY e \"x\">]><r>&e;</r>", &all),
            Err(XmlReadError::Malformed { .. })
        ));
        assert!(matches!(
            read_tree(b"<r><a></r>", &all),
            Err(XmlReadError::Malformed { .. })
        ));
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
