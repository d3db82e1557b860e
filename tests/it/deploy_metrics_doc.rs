//! Every metric the code can expose on `/metrics` is explained in docs/OPERATIONS.md, and the guide
//! names no metric the code does not have. The list comes from scanning `src/`: `counter!`,
//! `gauge!` and `histogram!` calls (literal names, or `const` names resolved across the tree) and
//! every `"zorgsignaal_…"` string literal.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MACROS: [&str; 3] = ["counter!(", "gauge!(", "histogram!("];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

/// `zorgsignaal_…` metric names starting right after each `"` in `text`.
fn quoted_names(text: &str) -> impl Iterator<Item = String> + '_ {
    text.match_indices("\"zorgsignaal_")
        .map(move |(i, _)| text[i + 1..].chars().take_while(|c| is_name_char(*c)).collect())
}

/// `const NAME: &str = "zorgsignaal_…";` anywhere in the tree.
fn constants(sources: &[(PathBuf, String)]) -> BTreeMap<String, String> {
    let mut consts = BTreeMap::new();
    for (_, text) in sources {
        for line in text.lines() {
            let Some(rest) = line.trim().trim_start_matches("pub ").strip_prefix("const ") else {
                continue;
            };
            let Some((ident, value)) = rest.split_once(": &str =") else {
                continue;
            };
            if let Some(name) = quoted_names(value).next() {
                consts.insert(ident.trim().to_owned(), name);
            }
        }
    }
    consts
}

/// Names passed to the metric macros; an argument that is neither a literal nor a known constant
/// is an error (the scan must not silently miss a metric).
fn macro_names(sources: &[(PathBuf, String)], consts: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut unresolved = Vec::new();
    for (path, text) in sources {
        for mac in MACROS {
            for (i, _) in text.match_indices(mac) {
                let arg = text[i + mac.len()..].trim_start();
                if let Some(literal) = arg.strip_prefix('"') {
                    let name: String = literal.chars().take_while(|c| is_name_char(*c)).collect();
                    names.insert(name);
                    continue;
                }
                let ident: String = arg
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let last = ident.rsplit("::").next().unwrap_or_default();
                match consts.get(last) {
                    Some(name) => {
                        names.insert(name.clone());
                    }
                    None => unresolved.push(format!("{}: {mac}{ident}", path.display())),
                }
            }
        }
    }
    assert!(
        unresolved.is_empty(),
        "metric names the scan cannot resolve: {unresolved:#?}"
    );
    names
}

/// Whole-word `zorgsignaal_…` tokens in the guide.
fn doc_names(doc: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in doc.match_indices("zorgsignaal_") {
        let before = doc[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        names.insert(doc[i..].chars().take_while(|c| is_name_char(*c)).collect());
    }
    names
}

fn exposed_metrics() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|p| {
            let text = fs::read_to_string(&p).expect("read source file");
            (p, text)
        })
        .collect();
    let consts = constants(&sources);
    let mut names = macro_names(&sources, &consts);
    for (_, text) in &sources {
        names.extend(quoted_names(text));
    }
    names
}

fn operations_guide() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/OPERATIONS.md"))
        .expect("docs/OPERATIONS.md exists")
}

#[test]
fn every_metric_the_code_exposes_is_explained_in_the_operations_guide() {
    let exposed = exposed_metrics();
    // The scan itself must find the metrics known to exist, or it proves nothing.
    for known in [
        "zorgsignaal_api_requests_total",
        "zorgsignaal_http_requests_total",
    ] {
        assert!(exposed.contains(known), "scan missed {known}: {exposed:?}");
    }
    let documented = doc_names(&operations_guide());
    let missing: Vec<_> = exposed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "metrics missing from docs/OPERATIONS.md: {missing:?}"
    );
}

#[test]
fn the_operations_guide_names_no_metric_the_code_lacks() {
    let exposed = exposed_metrics();
    let documented = doc_names(&operations_guide());
    let unknown: Vec<_> = documented.difference(&exposed).collect();
    assert!(
        unknown.is_empty(),
        "docs/OPERATIONS.md names metrics no code exposes: {unknown:?}"
    );
}
