//! `zorgsignaal demo` as a user runs it (the README's main command; CI runs the release build):
//! the debug binary in an empty working directory with `--data-dir`, no config file, no SMTP.
//! Exit 0, the summary adds up (3 schools, every task created was pushed and is at the mock),
//! and the digests are `.eml` files without a pupil's surname.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use mocks::GenParams;

/// The demo's defaults (`zorgsignaal demo --help`): seed 42, 3 schools, 60 pupils, 4 years.
fn demo_params() -> GenParams {
    GenParams {
        seed: 42,
        schools: 3,
        pupils_per_school: 60,
        years: 4,
        ..GenParams::default()
    }
}

#[test]
fn demo_syncs_evaluates_pushes_and_writes_digests_without_surnames() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("demo-data");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"));
    cmd.arg("demo")
        .arg("--data-dir")
        .arg(&data_dir)
        .current_dir(tmp.path())
        .env_remove("RUST_LOG");
    // Outside settings must not reach the demo (an SMTP host would send real mail).
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ZORGSIGNAAL__") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().expect("run zorgsignaal demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );

    let summary = summary(&stdout);
    let get = |label: &str| -> usize {
        *summary
            .get(label)
            .unwrap_or_else(|| panic!("summary line {label:?} missing in\n{stdout}"))
    };
    assert_eq!(get("scholen (schools)"), 3, "{stdout}");
    let created = get("taken aangemaakt (tasks)");
    let pushed = get("taken teruggezet (pushed)");
    assert!(created > 0, "the demo board has planted cases:\n{stdout}");
    assert_eq!(pushed, created, "every task pushed:\n{stdout}");
    assert_eq!(get("waarvan bij de mock"), pushed, "tasks at the mock:\n{stdout}");
    assert!(get("dmt_three_lowest") > 0, "{stdout}");
    assert!(!summary.contains_key("taken geparkeerd (parked)"), "{stdout}");
    assert!(data_dir.join("zorgsignaal.sqlite").is_file());

    // The demo leaves its configuration behind and says how to explore with it.
    let config = data_dir.join("zorgsignaal.toml");
    assert!(
        stdout.contains(&format!("--config {} signals", config.display())),
        "{stdout}"
    );
    let explore = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .current_dir(tmp.path())
            .env_remove("ZORGSIGNAAL__STORE__URL")
            .output()
            .expect("run zorgsignaal");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(explore(&["check-config"]).contains("configuration OK: 3 schools"));
    let listed: serde_json::Value =
        serde_json::from_str(&explore(&["signals", "--json"])).expect("signals --json");
    let listed = listed.as_array().map_or(0, Vec::len);
    let opened: usize = summary
        .iter()
        .filter(|(label, _)| label.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(listed, opened, "signals lists what the demo opened:\n{stdout}");

    let mails: Vec<PathBuf> = std::fs::read_dir(data_dir.join("mail"))
        .expect("mail dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(mails.len(), get("digests geschreven (mails)"), "{stdout}");
    assert!(mails.len() >= 3, "one digest per school at least: {mails:?}");

    let (dataset, _) = mocks::generate(&demo_params());
    // Notes never reach a mail (issue 18 item 6): the planted concern pupils have notes, and so
    // do many others; their signals are in the start overview.
    let mut notes: Vec<&str> = dataset
        .schools
        .iter()
        .flat_map(|s| {
            s.notities
                .iter()
                .map(|n| n.inhoud.as_str())
                .chain(s.lu_notes.iter().map(|n| n.content.as_str()))
        })
        .collect();
    notes.sort_unstable();
    notes.dedup();
    assert!(
        notes.contains(&mocks::CONCERN_NOTE_TEXT),
        "planted notes in the demo board"
    );
    assert!(get("concern_notes") > 0, "{stdout}");
    for path in &mails {
        let raw = std::fs::read_to_string(path).expect("read eml");
        let text = decode_quoted_printable(&raw);
        // The demo's first mail per IB is the school's start overview: by priority, then counts.
        assert!(
            text.contains("STAND VAN DE SCHOOL") && text.contains("Per regel:"),
            "{text}"
        );
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        for note in &notes {
            assert!(
                !text.contains(note),
                "a note's text in {}: {note:?}",
                path.display()
            );
        }
        for school in &dataset.schools {
            for p in &school.leerlingen {
                assert!(
                    !contains_word(&text, &p.achternaam),
                    "surname of pupil {} in {}",
                    p.id,
                    path.display()
                );
            }
        }
    }
}

/// `label  N` lines of the summary table (label trimmed).
fn summary(stdout: &str) -> BTreeMap<String, usize> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("Samenvatting"))
        .filter_map(|l| {
            let (label, n) = l.trim().rsplit_once(' ')?;
            Some((label.trim().to_owned(), n.parse().ok()?))
        })
        .collect()
}

/// The message with quoted-printable soft breaks removed and `=XX` decoded (headers pass as is).
fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `word` as a whole word (not inside a longer one), case-sensitive.
fn contains_word(haystack: &str, word: &str) -> bool {
    haystack.match_indices(word).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// `zorgsignaal demo` with the environment cleared of `ZORGSIGNAAL__` names, plus `extra`.
fn demo_command(tmp: &std::path::Path, data_dir: &std::path::Path, extra: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"));
    cmd.args([
        "demo",
        "--schools",
        "1",
        "--pupils-per-school",
        "8",
        "--years",
        "1",
    ])
    .arg("--data-dir")
    .arg(data_dir)
    .current_dir(tmp)
    .env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("ZORGSIGNAAL__") {
            cmd.env_remove(key);
        }
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn the_demo_ignores_a_store_url_in_the_environment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("demo-data");
    // As in the container image: the environment names the production database.
    let production = tmp.path().join("production.sqlite");
    let out = demo_command(
        tmp.path(),
        &data_dir,
        &[(
            "ZORGSIGNAAL__STORE__URL",
            format!("sqlite://{}", production.display()),
        )],
    )
    .output()
    .expect("run zorgsignaal demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !production.exists(),
        "the demo wrote into the store the environment named"
    );
    assert!(data_dir.join("zorgsignaal.sqlite").is_file(), "{stdout}");
    assert!(stdout.contains("store.url"), "the ignored key is named: {stdout}");
}

#[test]
fn the_demo_refuses_a_data_dir_holding_a_database_it_did_not_create() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("var-lib-zorgsignaal");
    std::fs::create_dir_all(&data_dir).expect("dir");
    let foreign = data_dir.join("zorgsignaal.sqlite");
    std::fs::write(&foreign, b"SQLite format 3\0 production data").expect("write");
    let out = demo_command(tmp.path(), &data_dir, &[])
        .output()
        .expect("run zorgsignaal demo");
    assert!(!out.status.success(), "the demo must refuse");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did not create") && stderr.contains("zorgsignaal.sqlite"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&foreign).expect("still there"),
        b"SQLite format 3\0 production data",
        "the foreign database is untouched"
    );

    // A folder the demo made itself is reused: the second run replaces its own database.
    let own = tmp.path().join("demo-data");
    for run in 0..2 {
        let out = demo_command(tmp.path(), &own, &[]).output().expect("run demo");
        assert!(
            out.status.success(),
            "run {run}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
