//! A pruned element tree of an OSO dossier: only the elements Zorgsignaal uses are kept, so
//! addresses, phone numbers, diagnoses and attachments never leave the XML reader.

use quick_xml::Reader;
use quick_xml::events::Event;

use super::OsoError;
use crate::sources::xml::{check_size, check_start};

/// Element names kept when their parent is kept (the root `dossier` is always kept). Everything
/// else — `adreslijst`, `communicatielijst`, `diagnose`, `document`, `verzorger`, `huisarts`,
/// `gba`, `overstapadvies`, `afgenomendoor`, … — is read for well-formedness and then dropped.
const KEPT: &[&str] = &[
    "metadata",
    "datum",
    "huidigeschool",
    "naam",
    "brincode",
    "vestigingscode",
    "leerling",
    "voornaam",
    "voorvoegsel",
    "achternaam",
    "roepnaam",
    "geboortedatum",
    "bsn",
    "onderwijsnummer",
    "leerlingid",
    "schoolloopbaanlijst",
    "schoolloopbaan",
    "schooljaar",
    "groepscode",
    "jaargroep",
    "begindatum",
    "einddatum",
    "onderwijsondersteuning",
    "handelingsplan",
    "startdatum",
    "isgerichtop",
    "opp",
    "opp_ingangdatum",
    "opp_einddatum",
    "toetslijst",
    "toets",
    "toetsidentificatie",
    "eldtoetscode",
    "leergebied",
    "toetsnaam",
    "toetsversie",
    "afname",
    "afnamedatum",
    "resultaat",
    "toetsscore",
    "aantalgoed",
    "vaardigheidsscore",
    "codevaardigheidsschaal",
    "betrouwbaarheidsinterval",
    "bivlaag",
    "bivhoog",
    "referentiescore",
    "codereferentiescore",
    "codevergelijkingsgroep",
    "waarde",
    "kwalificatie",
    "toetsonderdeel",
    "eldonderdeelcode",
    "onderdeelnaam",
];

/// One kept element: local name, the line of its start tag, its text and kept children.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub name: String,
    pub line: usize,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    /// The first child called `name`.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children called `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of child `name`, `None` when absent or blank.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim()).filter(|t| !t.is_empty())
    }
}

/// Maps byte offsets to 1-based line numbers.
pub(crate) struct Lines {
    newlines: Vec<usize>,
}

impl Lines {
    pub fn new(text: &[u8]) -> Self {
        Self {
            newlines: text
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// 1-based line of byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

struct Open {
    node: Option<Node>,
    name: String,
}

/// Reads the whole document into a pruned tree rooted at `<dossier>`.
pub(crate) fn read(xml: &[u8]) -> Result<Node, OsoError> {
    check_size(xml.len()).map_err(|limit| OsoError::Refused { line: 1, limit })?;
    let lines = Lines::new(xml);
    let text = std::str::from_utf8(xml).map_err(|e| OsoError::Xml {
        line: lines.line_of(e.valid_up_to()),
        reason: "the file is not valid UTF-8".into(),
    })?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().expand_empty_elements = true;
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader.read_event().map_err(|e| OsoError::Xml {
            line: lines.line_of(usize::try_from(reader.error_position()).unwrap_or(usize::MAX)),
            reason: e.to_string(),
        })?;
        match event {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let line = lines.line_of(before + first_non_space(&xml[before.min(xml.len())..]));
                check_start(&start, stack.len() + 1).map_err(|limit| OsoError::Refused { line, limit })?;
                if stack.is_empty() && root.is_some() {
                    return Err(OsoError::Xml {
                        line,
                        reason: "content after the root element".into(),
                    });
                }
                let keep = match stack.last() {
                    None => {
                        if name != "dossier" {
                            return Err(OsoError::Xml {
                                line,
                                reason: format!("root element is <{name}>, expected <dossier>"),
                            });
                        }
                        true
                    }
                    Some(parent) => parent.node.is_some() && KEPT.contains(&name.as_str()),
                };
                let node = keep.then(|| Node {
                    name: name.clone(),
                    line,
                    ..Node::default()
                });
                stack.push(Open { node, name });
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(OsoError::Xml {
                        line: lines.line_of(before),
                        reason: "closing tag without an opening tag".into(),
                    });
                };
                if let Some(node) = done.node {
                    match stack.last_mut() {
                        Some(parent) => {
                            if let Some(p) = parent.node.as_mut() {
                                p.children.push(node);
                            }
                        }
                        None => root = Some(node),
                    }
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| OsoError::Xml {
                    line: lines.line_of(before),
                    reason: e.to_string(),
                })?;
                push_text(&mut stack, &s, &lines, before)?;
            }
            Event::CData(t) => {
                let s = t.decode().map_err(|e| OsoError::Xml {
                    line: lines.line_of(before),
                    reason: e.to_string(),
                })?;
                push_text(&mut stack, &s, &lines, before)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => match r.decode().as_deref() {
                        Ok("amp") => "&".into(),
                        Ok("lt") => "<".into(),
                        Ok("gt") => ">".into(),
                        Ok("quot") => "\"".into(),
                        Ok("apos") => "'".into(),
                        _ => {
                            return Err(OsoError::Xml {
                                line: lines.line_of(before),
                                reason: "unknown entity reference".into(),
                            });
                        }
                    },
                    Err(e) => {
                        return Err(OsoError::Xml {
                            line: lines.line_of(before),
                            reason: e.to_string(),
                        });
                    }
                };
                push_text(&mut stack, &resolved, &lines, before)?;
            }
            Event::Eof => {
                if let Some(open) = stack.last() {
                    return Err(OsoError::Xml {
                        line: lines.line_of(xml.len()),
                        reason: format!("unexpected end of file inside <{}>", open.name),
                    });
                }
                break;
            }
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    root.ok_or(OsoError::Xml {
        line: 1,
        reason: "no <dossier> element".into(),
    })
}

fn push_text(stack: &mut [Open], s: &str, lines: &Lines, at: usize) -> Result<(), OsoError> {
    match stack.last_mut() {
        Some(open) => {
            if let Some(node) = open.node.as_mut() {
                node.text.push_str(s);
            }
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(OsoError::Xml {
            line: lines.line_of(at),
            reason: "text outside the root element".into(),
        }),
    }
}

fn first_non_space(rest: &[u8]) -> usize {
    rest.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let l = Lines::new(b"a\nb\nc");
        assert_eq!(l.line_of(0), 1);
        assert_eq!(l.line_of(1), 1);
        assert_eq!(l.line_of(2), 2);
        assert_eq!(l.line_of(4), 3);
    }

    #[test]
    fn prunes_unknown_subtrees_and_resolves_entities() {
        let xml = b"<?xml version=\"1.0\"?>\n<dossier xmlns=\"urn:x\">\n  <huidigeschool>\n    <naam>A &amp; B&#33;</naam>\n    <adreslijst><adres><straat>Geheimstraat</straat></adres></adreslijst>\n  </huidigeschool>\n</dossier>\n";
        let root = read(xml).expect("well-formed");
        let school = root.child("huidigeschool").expect("school");
        assert_eq!(school.line, 3);
        assert_eq!(school.text_of("naam"), Some("A & B!"));
        assert_eq!(school.child("naam").map(|n| n.line), Some(4));
        assert!(school.child("adreslijst").is_none());
        assert!(!format!("{root:?}").contains("Geheimstraat"));
    }

    #[test]
    fn truncated_and_mismatched_documents_name_a_line() {
        let err = read(b"<dossier>\n<metadata>\n<datum>2020-01-01</datum>\n").expect_err("truncated");
        assert!(matches!(err, OsoError::Xml { line: 4, .. }), "{err}");
        let err = read(b"<dossier>\n<a>\n</b>\n</dossier>").expect_err("mismatch");
        assert!(matches!(err, OsoError::Xml { line: 3, .. }), "{err}");
        let err = read(b"<other/>").expect_err("root");
        assert!(err.to_string().contains("expected <dossier>"));
    }

    #[test]
    fn hostile_dossiers_are_refused_with_the_limit_they_broke() {
        use crate::sources::xml::{MAX_XML_BYTES, XmlLimitError, hostile};
        let doc = |tag: String| format!("<dossier>\n<metadata>\n{tag}</leerling>\n</metadata>\n</dossier>");
        // RUSTSEC-2026-0194: a repeated attribute name.
        let err = read(doc(hostile::duplicate_attributes("leerling")).as_bytes()).expect_err("dup");
        assert!(
            matches!(&err, OsoError::Refused { line: 3, limit: XmlLimitError::DuplicateAttribute { attribute, .. } }
                if attribute == "a3"),
            "{err}"
        );
        let err = read(doc(hostile::many_attributes("leerling", 100_000)).as_bytes()).expect_err("many");
        assert!(
            matches!(
                err,
                OsoError::Refused {
                    line: 3,
                    limit: XmlLimitError::TooManyAttributes { .. }
                }
            ),
            "{err}"
        );
        // RUSTSEC-2026-0195: a flood of namespace declarations, also in a dropped subtree.
        let err = read(doc(hostile::many_namespaces("leerling", 100_000)).as_bytes()).expect_err("ns");
        assert!(
            matches!(
                err,
                OsoError::Refused {
                    line: 3,
                    limit: XmlLimitError::TooManyNamespaces { .. }
                }
            ),
            "{err}"
        );
        let deep = format!("<dossier>{}", "<a>".repeat(100));
        let err = read(deep.as_bytes()).expect_err("deep");
        assert!(
            matches!(
                err,
                OsoError::Refused {
                    limit: XmlLimitError::TooDeep { .. },
                    ..
                }
            ),
            "{err}"
        );
        let huge = vec![b' '; MAX_XML_BYTES + 1];
        let err = read(&huge).expect_err("size");
        assert!(
            matches!(
                err,
                OsoError::Refused {
                    line: 1,
                    limit: XmlLimitError::TooLarge { .. }
                }
            ),
            "{err}"
        );
    }
}
