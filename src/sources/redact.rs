//! Making response bodies safe to put into errors and logs: known secrets are replaced, and a
//! preview shows only the *shape* of a body, never its content.
//!
//! [`safe_preview`] is a whitelist, not a mask: it names the kind of body (`json`, `xml`, `text`,
//! `binary`), its length, and the first structural tokens. For JSON those are brackets, commas,
//! colons, object keys and the *type* of each value (`s` string, `n` number, `true`, `false`,
//! `null`); for XML/HTML the element names (`<leerling>`, `</leerling>`, `<x/>`), with text, attribute
//! values, CDATA and comments reduced to `…`. Keys and element names are shown only when they look
//! like schema names: ASCII identifiers of at most [`MAX_NAME`] characters that start with a
//! lower-case letter or `_` (`roepnaam`, `soap:Envelope`, `leerlingId`); any other key or name is
//! shown as `?`, so a capitalised name used as a key (`{"Jansje": …}`) does not show either.
//! Nothing else of the body is ever copied, so a pupil's name or a care note cannot reach a log
//! line through it.

/// Placeholder written where a secret was.
pub const REDACTED: &str = "[REDACTED]";

/// Longest preview kept in [`crate::sources::error::SourceError::Decode`], in characters.
pub const PREVIEW_CHARS: usize = 160;

/// Longest key or element name shown in a preview.
pub const MAX_NAME: usize = 40;

/// Structural tokens shown at most.
const MAX_TOKENS: usize = 40;

/// Replaces every occurrence of each non-empty secret in `text` by [`REDACTED`].
pub fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, REDACTED);
    }
    out
}

/// The shape of a body for a decode error: kind, length and the first structural tokens (see the
/// module documentation). Secrets are redacted before anything is looked at.
pub fn safe_preview(body: &[u8], secrets: &[&str]) -> String {
    let len = body.len();
    let Ok(text) = std::str::from_utf8(body) else {
        return format!("binary, {len} bytes");
    };
    let text = redact_secrets(text, secrets);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let (kind, tokens) = match trimmed.chars().next() {
        Some('{' | '[') => ("json", json_tokens(trimmed)),
        Some('<') => ("xml", xml_tokens(trimmed)),
        Some(_) => ("text", Vec::new()),
        None => ("empty", Vec::new()),
    };
    let mut out = format!("{kind}, {len} bytes");
    if !tokens.is_empty() {
        out.push_str(": ");
        for (i, t) in tokens.iter().enumerate() {
            if out.chars().count() + t.chars().count() + 1 > PREVIEW_CHARS {
                out.push('…');
                break;
            }
            if i > 0 {
                out.push(' ');
            }
            out.push_str(t);
        }
    }
    out
}

/// A key or element name as shown: itself when it looks like a schema name (an ASCII identifier
/// starting with a lower-case letter or `_`: `roepnaam`, `soap:Body`), else `?`.
fn schema_name(name: &str) -> String {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if ok { name.to_owned() } else { "?".to_owned() }
}

/// Structural JSON tokens; string values become `s`, numbers `n`.
fn json_tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() && out.len() < MAX_TOKENS {
        let c = chars[i];
        match c {
            '{' | '}' | '[' | ']' | ':' | ',' => {
                out.push(c.to_string());
                i += 1;
            }
            '"' => {
                // Find the closing quote, honouring escapes (`\\"` ends the string).
                let mut j = i + 1;
                let mut closed = false;
                while j < chars.len() {
                    match chars[j] {
                        '\\' => j += 2,
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                let next = chars
                    .get(j + 1..)
                    .and_then(|rest| rest.iter().find(|c| !c.is_whitespace()));
                if closed && next == Some(&':') {
                    let key: String = chars[i + 1..j].iter().collect();
                    out.push(format!("\"{}\"", schema_name(&key)));
                } else {
                    out.push("s".into());
                }
                i = j + 1;
            }
            c if c.is_whitespace() => i += 1,
            c if c == '-' || c.is_ascii_digit() => {
                while i < chars.len() && !matches!(chars[i], ',' | '}' | ']' | ' ' | '\n' | '\r' | '\t') {
                    i += 1;
                }
                out.push("n".into());
            }
            _ => {
                // A literal (true/false/null) or garbage: show only whitelisted literals.
                let start = i;
                while i < chars.len() && chars[i].is_ascii_alphabetic() {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if matches!(word.as_str(), "true" | "false" | "null") {
                    out.push(word);
                } else {
                    out.push("?".into());
                    if i == start {
                        i += 1;
                    }
                }
            }
        }
    }
    out
}

/// Structural XML/HTML tokens: element names only; text, attributes, CDATA and comments are `…`.
fn xml_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() && out.len() < MAX_TOKENS {
        let Some(open) = rest.find('<') else {
            if !rest.trim().is_empty() {
                out.push("…".into());
            }
            break;
        };
        if !rest[..open].trim().is_empty() && out.last().is_none_or(|l| l != "…") {
            out.push("…".into());
        }
        rest = &rest[open..];
        let (token, consumed) = if let Some(after) = rest.strip_prefix("<!--") {
            (
                "<!--…-->".to_owned(),
                after.find("-->").map_or(rest.len(), |e| 4 + e + 3),
            )
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            (
                "<![CDATA[…]]>".to_owned(),
                after.find("]]>").map_or(rest.len(), |e| 9 + e + 3),
            )
        } else if let Some(after) = rest.strip_prefix("<?") {
            let name: String = after
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '?' && *c != '>')
                .collect();
            (
                format!("<?{}?>", schema_name(&name)),
                rest.find("?>").map_or(rest.len(), |e| e + 2),
            )
        } else if rest.starts_with("<!") {
            ("<!…>".to_owned(), tag_end(rest))
        } else {
            let closing = rest.starts_with("</");
            let start = if closing { 2 } else { 1 };
            let name: String = rest[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '/' | '<'))
                .collect();
            let end = tag_end(rest);
            let self_closing = rest[..end].trim_end_matches('>').ends_with('/');
            let name = schema_name(&name);
            let token = if closing {
                format!("</{name}>")
            } else if self_closing {
                format!("<{name}/>")
            } else {
                format!("<{name}>")
            };
            (token, end)
        };
        out.push(token);
        rest = &rest[consumed.min(rest.len())..];
    }
    out
}

/// The byte index just past the `>` that ends the tag starting at `tag[0]`, skipping quoted
/// attribute values (single or double quotes); the whole input when it never ends.
fn tag_end(tag: &str) -> usize {
    let mut quote: Option<char> = None;
    for (i, c) in tag.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return i + 1,
            (None, '<') => return i,
            _ => {}
        }
    }
    tag.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secrets_are_replaced_everywhere() {
        let out = redact_secrets("key=s3cr3t and again s3cr3t", &["s3cr3t", ""]);
        assert_eq!(out, "key=[REDACTED] and again [REDACTED]");
    }

    #[test]
    fn json_preview_keeps_keys_and_shows_only_value_types() {
        let body = br#"{"roepnaam": "Jansje", "geboortedatum": "2016-03-04", "id": 42, "x": [true, null]}"#;
        let out = safe_preview(body, &[]);
        assert_eq!(
            out,
            format!(
                "json, {} bytes: {{ \"roepnaam\" : s , \"geboortedatum\" : s , \"id\" : n , \"x\" : [ true , null ] }}",
                body.len()
            )
        );
    }

    #[test]
    fn xml_preview_keeps_element_names_only() {
        let body = br#"<leerling id="7"><roepNaam>Jansje</roepNaam><x a='Piet'/></leerling>"#;
        let out = safe_preview(body, &[]);
        assert_eq!(
            out,
            format!(
                "xml, {} bytes: <leerling> <roepNaam> … </roepNaam> <x/> </leerling>",
                body.len()
            )
        );
    }

    #[test]
    fn the_leaks_of_the_review_are_closed() {
        let cases: [&[u8]; 7] = [
            b"Jansje heeft dyslexie",
            b"<html><body><p>Jansje heeft dyslexie</p></body></html>",
            "\u{feff}<leerling><naam>Jansje</naam></leerling>".as_bytes(),
            b"<leerling naam='Jansje'/>",
            b"<notitie><![CDATA[Jansje heeft dyslexie]]></notitie>",
            br#"{"tekst": "pad C:\\", "naam": "Jansje"}"#,
            br#"{"Jansje": 1}"#,
        ];
        for body in cases {
            let out = safe_preview(body, &[]);
            assert!(!out.contains("Jansje") && !out.contains("dyslexie"), "{out}");
        }
        assert_eq!(
            safe_preview(cases[0], &[]),
            format!("text, {} bytes", cases[0].len())
        );
        assert_eq!(safe_preview(&[0xff, 0xfe, 0x00], &[]), "binary, 3 bytes");
    }

    #[test]
    fn preview_redacts_secrets_and_is_bounded() {
        let body = format!("<k>{}</k>{}", "topsecret", "<y/>".repeat(400));
        let out = safe_preview(body.as_bytes(), &["topsecret"]);
        assert!(!out.contains("topsecret"));
        assert!(out.ends_with('…'), "{out}");
        assert!(out.chars().count() <= PREVIEW_CHARS + 1);
        // A secret used as a key is redacted before the key is considered.
        let out = safe_preview(br#"{"topsecret": 1}"#, &["topsecret"]);
        assert!(!out.contains("topsecret"), "{out}");
    }

    /// Bodies of every shape the review found leaking, with `name` where pupil text would be.
    fn carriers(name: &str, note: &str) -> Vec<String> {
        vec![
            format!("{name} {note}"),
            format!("<html><body><h1>{name}</h1><p>{note}</p></body></html>"),
            format!("\u{feff}<?xml version=\"1.0\"?><leerling><roepnaam>{name}</roepnaam></leerling>"),
            format!("<leerling roepnaam='{name}' notitie=\"{note}\"/>"),
            format!("<n><![CDATA[{name} <b>{note}</b>]]></n><!-- {name} -->"),
            format!(r#"{{"tekst": "{note} \\", "roepnaam": "{name}"}}"#),
            format!(r#"{{"tekst": "{note} \\\\", "roepnaam": "{name}"}}"#),
            format!(r#"[{{"roepnaam": "{name}", "notitie": "{note}"}}, "{name}"]"#),
            format!(r#"{{"{name}": {{"{note}": 1}}}}"#),
            format!("<{name}>{note}</{name}>"),
            format!(r#"{{"roepnaam": "{name}"#),
            format!("<leerling naam=\"{name}"),
        ]
    }

    proptest! {
        #[test]
        fn no_generated_name_appears_in_a_preview(
            name in "[A-Z][a-z]{3,9}( [A-Z][a-z]{2,9})?",
            note in "[A-Z][a-z]{4,9} [a-zé]{4,9}",
        ) {
            for body in carriers(&name, &note) {
                let out = safe_preview(body.as_bytes(), &[]);
                for word in name.split(' ').chain(note.split(' ')) {
                    prop_assert!(!out.contains(word), "{word:?} in {out:?} from {body:?}");
                }
            }
        }

        #[test]
        fn no_value_text_appears_whatever_its_case(text in "[a-zA-Z0-9 ]{4,20}") {
            // Lower-case words too never show from value positions (text, attributes, strings).
            let bodies = [
                format!(r#"{{"tekst": "{text}"}}"#),
                format!("<t a='{text}'>{text}</t>"),
                text.clone(),
            ];
            for body in bodies {
                let out = safe_preview(body.as_bytes(), &[]);
                for word in text.split(' ').filter(|w| w.len() >= 4) {
                    prop_assert!(!out.contains(word), "{word:?} in {out:?} from {body:?}");
                }
            }
        }
    }
}
