//! Making response bodies safe to put into errors and logs: known secrets are replaced, and in a
//! preview every value (JSON string value, XML text or attribute) is masked so no pupil data leaks.

/// Placeholder written where a secret was.
pub const REDACTED: &str = "[REDACTED]";

/// Longest preview kept in [`crate::sources::error::SourceError::Decode`], in characters.
pub const PREVIEW_CHARS: usize = 160;

/// Replaces every occurrence of each non-empty secret in `text` by [`REDACTED`].
pub fn redact_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(secret, REDACTED);
    }
    out
}

/// A short, safe start of a body for a decode error: secrets redacted, then truncated to
/// [`PREVIEW_CHARS`], with letters and digits inside JSON string values, XML text and quoted
/// attribute values replaced by `x`/`0`. JSON keys and markup stay readable for the operator.
pub fn safe_preview(body: &[u8], secrets: &[&str]) -> String {
    let text = redact_secrets(&String::from_utf8_lossy(body), secrets);
    let head: Vec<char> = text.chars().take(PREVIEW_CHARS).collect();
    let mut out = String::with_capacity(head.len() + 3);
    let mut i = 0;
    let mut in_markup = false;
    while i < head.len() {
        let c = head[i];
        if c == '"' {
            // A quoted string: keep it if it is a JSON key (followed by ':'), else mask it.
            let end = (i + 1..head.len()).find(|&j| head[j] == '"' && head[j - 1] != '\\');
            let stop = end.unwrap_or(head.len() - 1);
            let is_key = end
                .and_then(|e| head[e + 1..].iter().find(|c| !c.is_whitespace()))
                .is_some_and(|&next| next == ':');
            let inner: String = head[i + 1..=stop.max(i)].iter().collect();
            out.push('"');
            if is_key {
                out.push_str(&inner);
            } else {
                out.push_str(&mask(&inner));
            }
            i = stop + 1;
            continue;
        }
        match c {
            '<' => in_markup = true,
            '>' => in_markup = false,
            _ => {}
        }
        // Outside markup in XML means text content; in JSON it is numbers/literals: mask both.
        if !in_markup && c != '>' && c.is_alphanumeric() && looks_like_xml(&head) {
            out.push(mask_char(c));
        } else if !looks_like_xml(&head) && c.is_ascii_digit() {
            out.push('0');
        } else {
            out.push(c);
        }
        i += 1;
    }
    if text.chars().count() > PREVIEW_CHARS {
        out.push('…');
    }
    out
}

fn looks_like_xml(head: &[char]) -> bool {
    head.iter().find(|c| !c.is_whitespace()) == Some(&'<')
}

fn mask(text: &str) -> String {
    text.chars().map(mask_char).collect()
}

fn mask_char(c: char) -> char {
    if c.is_numeric() {
        '0'
    } else if c.is_alphabetic() {
        'x'
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_replaced_everywhere() {
        let out = redact_secrets("key=s3cr3t and again s3cr3t", &["s3cr3t", ""]);
        assert_eq!(out, "key=[REDACTED] and again [REDACTED]");
    }

    #[test]
    fn json_preview_keeps_keys_and_masks_values() {
        let body = br#"{"roepnaam": "Jansje", "geboortedatum": "2016-03-04", "id": 42}"#;
        let out = safe_preview(body, &[]);
        assert_eq!(
            out,
            r#"{"roepnaam": "xxxxxx", "geboortedatum": "0000-00-00", "id": 00}"#
        );
    }

    #[test]
    fn xml_preview_masks_text_and_attributes_but_keeps_tags() {
        let body = br#"<leerling id="7"><roepNaam>Jansje</roepNaam></leerling>"#;
        let out = safe_preview(body, &[]);
        assert_eq!(out, r#"<leerling id="0"><roepNaam>xxxxxx</roepNaam></leerling>"#);
    }

    #[test]
    fn preview_redacts_secrets_before_masking_and_truncates() {
        let body = format!("<k>{}</k>{}", "topsecret", "y".repeat(400));
        let out = safe_preview(body.as_bytes(), &["topsecret"]);
        assert!(!out.contains("topsecret"));
        assert!(out.ends_with('…'));
        assert!(out.chars().count() <= PREVIEW_CHARS + 1);
    }
}
