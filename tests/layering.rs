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
