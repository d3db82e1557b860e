//! The layering of `src/`: data flows one way (sources → sync → store → rules ← domain; app, api
//! and cli on top), so a folder may only name folders below it. This reads every source file and
//! fails on a `crate::<folder>` path (code, not comments) that points up or sideways, which is
//! also how `docs/ARCHITECTURE.md` says import circles between the folders are ruled out.

use std::collections::BTreeSet;
use std::path::Path;

/// The folders (and top-level files) of `src/`, lowest first: each may use only those before it.
const LAYERS: &[&str] = &[
    "domain",
    "rules",
    "store",
    "telemetry",
    "settings",
    "sources",
    "sync",
    "schedule",
    "report",
    "actions",
    "api",
    "app",
    "cli",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level folders a file's code names through `crate::…`, comments left out.
fn named_folders(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            rest = after;
        }
    }
    out
}

#[test]
fn every_folder_names_only_folders_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("component");
        let folder = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let Some(level) = LAYERS.iter().position(|l| *l == folder) else {
            // lib.rs and main.rs declare and start everything.
            assert!(
                ["lib", "main"].contains(&folder.as_str()),
                "{} is in no layer: add its folder to LAYERS",
                rel.display()
            );
            continue;
        };
        let code = std::fs::read_to_string(file).expect("read");
        for named in named_folders(&code) {
            if named == folder {
                continue;
            }
            match LAYERS.iter().position(|l| *l == named) {
                Some(target) if target < level => {}
                Some(_) => wrong.push(format!("{} names crate::{named}", rel.display())),
                None => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that run up or sideways (layers, lowest first: {LAYERS:?}):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_sees_paths_in_code_and_not_in_comments() {
    let found = named_folders(
        "use crate::store::Store; // crate::app in a comment\nlet x = crate::rules::RULES;\n/// crate::api\n",
    );
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["rules".to_owned(), "store".to_owned()]
    );
}

/// The code of a file that counts for its imports: comments removed, `#[cfg(test)]` module
/// declarations skipped and everything from a `#[cfg(test)]` module block on left out (test
/// modules may use anything of their own folder).
fn production_code(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut lines = code.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.split("//").next().unwrap_or_default();
        if line.trim() == "#[cfg(test)]" {
            match lines.peek() {
                Some(next) if next.trim_end().ends_with(';') => {
                    lines.next();
                    continue;
                }
                _ => break,
            }
        }
        out.push(line.to_owned());
    }
    out
}

/// The first path segments after `prefix` in `code` (`super::{a, b::C}` gives `a` and `b`).
fn segments_after(code: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let after = &rest[i + prefix.len()..];
        if let Some(inner) = after.strip_prefix('{') {
            let mut depth = 1;
            let mut part = String::new();
            for c in inner.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => break,
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        out.push(first_ident(&part));
                        part.clear();
                        continue;
                    }
                    _ => {}
                }
                part.push(c);
            }
            out.push(first_ident(&part));
        } else {
            out.push(first_ident(after));
        }
        rest = after;
    }
    out.retain(|s| !s.is_empty());
    out
}

fn first_ident(s: &str) -> String {
    s.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Import edges between the files of one folder: file → sibling module it names through
/// `super::` or `crate::<folder path>::`, with names re-exported by the folder's `mod.rs`
/// (`pub use x::{Item}`) resolved to the module that defines them.
fn folder_edges(dir: &Path, crate_path: &str) -> Vec<(String, String)> {
    let mut modules = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().expect("stem").to_string_lossy().into_owned();
        if path.is_dir() || path.extension().is_some_and(|e| e == "rs") {
            modules.insert(name);
        }
    }
    let mut reexported = std::collections::BTreeMap::new();
    if let Ok(code) = std::fs::read_to_string(dir.join("mod.rs")) {
        let code = production_code(&code).join("\n");
        for stmt in code.split(';') {
            let stmt = stmt.trim();
            let Some(path) = stmt.strip_prefix("pub use ") else {
                continue;
            };
            let module = first_ident(path);
            if !modules.contains(&module) {
                continue;
            }
            for item in segments_after(path, &format!("{module}::")) {
                reexported.insert(item, module.clone());
            }
        }
    }
    let mut edges = Vec::new();
    for module in &modules {
        let file = dir.join(format!("{module}.rs"));
        let Ok(code) = std::fs::read_to_string(&file) else {
            continue;
        };
        let code: Vec<String> = production_code(&code)
            .into_iter()
            .filter(|l| !(module == "mod" && is_declaration(l)))
            .collect();
        let code = code.join("\n");
        let mut named = if module == "mod" {
            Vec::new()
        } else {
            segments_after(&code, "super::")
        };
        named.extend(segments_after(&code, &format!("{crate_path}::")));
        if module == "mod" {
            // mod.rs names its children directly (`dmt_three_lowest::RULE`).
            for m in &modules {
                let pattern = format!("{m}::");
                let named_here = code.match_indices(&pattern).any(|(i, _)| {
                    !code[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c == ':' || c == '_' || c.is_ascii_alphanumeric())
                });
                if m != "mod" && named_here {
                    named.push(m.clone());
                }
            }
        }
        for name in named {
            let target = if modules.contains(&name) {
                name
            } else if let Some(m) = reexported.get(&name) {
                m.clone()
            } else {
                "mod".to_owned()
            };
            if target != *module {
                edges.push((module.clone(), target));
            }
        }
    }
    edges.sort();
    edges.dedup();
    edges
}

/// A `mod.rs` line that declares or re-exports a child rather than using it.
fn is_declaration(line: &str) -> bool {
    let l = line.trim_start();
    [
        "pub use ",
        "pub(crate) use ",
        "pub(super) use ",
        "pub mod ",
        "mod ",
    ]
    .iter()
    .any(|p| l.starts_with(p))
}

/// A circle in `edges`, if there is one (as the list of modules on it).
fn find_circle(edges: &[(String, String)]) -> Option<Vec<String>> {
    fn visit<'a>(
        node: &'a str,
        edges: &'a [(String, String)],
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| *n == node) {
            let mut circle: Vec<String> = path[i..].iter().map(|s| (*s).to_owned()).collect();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for (from, to) in edges {
            if from == node
                && let Some(c) = visit(to, edges, path, done)
            {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    for (from, _) in edges {
        if let Some(c) = visit(from, edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_import_circles_between_the_files_of_a_folder() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src.clone()];
    let mut circles = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            }
        }
        if dir == src {
            continue;
        }
        let rel = dir.strip_prefix(&src).expect("under src");
        let crate_path = std::iter::once("crate".to_owned())
            .chain(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned()),
            )
            .collect::<Vec<_>>()
            .join("::");
        if let Some(circle) = find_circle(&folder_edges(&dir, &crate_path)) {
            circles.push(format!("{}: {}", rel.display(), circle.join(" → ")));
        }
    }
    assert!(
        circles.is_empty(),
        "import circles between files:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_circle_check_sees_a_circle_through_a_reexport() {
    let edges = vec![
        ("engine".to_owned(), "dmt".to_owned()),
        ("dmt".to_owned(), "input".to_owned()),
        ("input".to_owned(), "engine".to_owned()),
    ];
    assert_eq!(
        find_circle(&edges),
        Some(vec![
            "engine".into(),
            "dmt".into(),
            "input".into(),
            "engine".into()
        ])
    );
    assert_eq!(find_circle(&edges[..2]), None);
    assert_eq!(
        segments_after("use super::{a, b::{C, D}, e};", "super::"),
        ["a", "b", "e"]
    );
}
