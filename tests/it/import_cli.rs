//! `zorgsignaal import` through the real binary: the official OSO examples, broken files,
//! CSV exports, `--dry-run`, and the end-to-end path import → evaluate → signals (issue 5).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use secrecy::SecretString;
use zorgsignaal::domain::{Brin, ExternalIdHasher};
use zorgsignaal::sources::oso::parse_dossier;
use zorgsignaal::store::{self, PupilHistory};

/// `pseudonymisation.key` of config/test.toml (the binary hashes with it).
const TEST_KEY: &str = "test-pseudonymisation-key-0000";

/// Text from the official examples that must never reach the database (as in tests/it/oso_parse.rs).
const PRIVATE: &[&str] = &[
    "Hoofdstraat",
    "7311BA",
    "Adelaarslaan",
    "0235257739",
    "0701111111",
    "leerling@leerling.nl",
    "Slechthorend",
    "ADHD",
    "H91.9",
    "Alfa Ziekenhuis",
    "UEsDB",
    "HandelingsplanRekenen.pdf",
    "Zwieten",
    "NL51RABO0307495248",
    "297816238",
    "LN094837",
    "Teveel zorggegevens",
    "De leerling werkt hard",
    "Orthopedagogisch centrum",
];

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The official examples, vendored in `tests/fixtures/oso/` (origin in its README).
fn examples_dir() -> PathBuf {
    manifest("tests/fixtures/oso")
}

fn examples(suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(examples_dir())
        .expect("OSO examples directory tests/fixtures/oso")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    assert!(files.len() >= 6, "expected the official {suffix} examples");
    files
}

/// A fresh SQLite file and the test config pointed at it.
struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("zorgsignaal.db")
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.db().display())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_zorgsignaal"))
            .arg("--config")
            .arg(manifest("config/test.toml"))
            .args(args)
            .env("ZORGSIGNAAL__STORE__URL", self.url())
            .env_remove("RUST_LOG")
            .output()
            .expect("run zorgsignaal")
    }

    fn histories(&self, brin: &str) -> Vec<PupilHistory> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let store = store::open(&self.url()).await.expect("open store");
            store.migrate().await.expect("migrate");
            let h = store
                .pupil_histories(&Brin::parse(brin).expect("brin"))
                .await
                .expect("histories");
            store.close().await;
            h
        })
    }

    /// Every byte SQLite wrote (main file and WAL), as text.
    fn database_text(&self) -> String {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            let path = PathBuf::from(format!("{}{suffix}", self.db().display()));
            if let Ok(b) = std::fs::read(&path) {
                bytes.extend(b);
            }
        }
        assert!(!bytes.is_empty(), "database written");
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn official_full_examples_store_every_toets_and_reference_score_and_no_private_text() {
    let hasher = ExternalIdHasher::new(SecretString::from(TEST_KEY));
    for path in examples("_full.xml") {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        let xml = std::fs::read(&path).expect("read example");
        let mut parsed = parse_dossier(&xml, &hasher).unwrap_or_else(|e| panic!("{name}: {e}"));
        parsed.assign_to_school(&Brin::parse("11ZW").expect("brin"));
        let world = World::new();
        // The examples come from a school config/test.toml does not have: --school places them.
        let out = world.run(&[
            "import",
            "--oso",
            path.to_str().expect("utf-8 path"),
            "--school",
            "11ZW",
        ]);
        assert_exit(&out, 0);
        let stdout = text(&out.stdout);
        assert!(stdout.contains(&parsed.pupil.initials()), "{name}: {stdout}");
        let all_output = format!("{stdout}{}", text(&out.stderr));
        assert!(
            !all_output.contains(&parsed.pupil.surname),
            "{name}: surname in output"
        );

        let histories = world.histories("11ZW");
        assert_eq!(histories.len(), 1, "{name}: one pupil");
        let stored = &histories[0].results;
        assert!(!parsed.results.is_empty(), "{name}");
        for r in &parsed.results {
            let hit = stored
                .iter()
                .find(|s| s.result.content_key() == r.content_key())
                .unwrap_or_else(|| panic!("{name}: toets {} {:?} missing", r.test_code, r.part_code));
            let first = parsed
                .results
                .iter()
                .find(|p| p.content_key() == r.content_key())
                .expect("itself");
            if std::ptr::eq(first, r) {
                assert_eq!(
                    hit.result.reference_scores, r.reference_scores,
                    "{name}: {}",
                    r.test_code
                );
            }
        }
        assert_eq!(histories[0].plans.len(), parsed.plans.len(), "{name}: plans");

        let db = world.database_text();
        let source = String::from_utf8_lossy(&xml);
        assert!(
            db.contains(&parsed.pupil.surname),
            "{name}: the byte check has teeth"
        );
        let present: Vec<&&str> = PRIVATE.iter().filter(|n| source.contains(**n)).collect();
        assert!(
            present.len() >= 6,
            "{name}: only {} private strings in the file",
            present.len()
        );
        for needle in present {
            assert!(!db.contains(*needle), "{name}: {needle:?} stored");
        }
    }
}

#[test]
fn opt_out_examples_import_cleanly_with_zero_results() {
    for path in examples("_opt_out.xml") {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        let world = World::new();
        let out = world.run(&[
            "import",
            "--oso",
            path.to_str().expect("utf-8 path"),
            "--school",
            "11ZW",
        ]);
        assert_exit(&out, 0);
        let histories = world.histories("11ZW");
        assert_eq!(histories.len(), 1, "{name}: the pupil is registered");
        assert!(histories[0].results.is_empty(), "{name}: zero results");
    }
}

#[test]
fn broken_or_incomplete_xml_exits_2_naming_the_line_and_stores_nothing() {
    let fixture = std::fs::read_to_string(manifest("tests/fixtures/oso_dmt_three.xml")).expect("fixture");
    let world = World::new();
    let truncated = world.dir.path().join("truncated.xml");
    std::fs::write(&truncated, &fixture[..fixture.len() / 2]).expect("write");
    let out = world.run(&[
        "import",
        "--oso",
        truncated.to_str().expect("path"),
        "--school",
        "11ZW",
    ]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("invalid XML") && stderr.contains("line"),
        "{stderr}"
    );
    assert!(stderr.contains("niets opgeslagen"), "{stderr}");

    let incomplete = world.dir.path().join("incomplete.xml");
    std::fs::write(&incomplete, fixture.replace("<achternaam>Lezer</achternaam>", "")).expect("write");
    let out = world.run(&["import", "--oso", incomplete.to_str().expect("path")]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("<leerling>/<achternaam>"), "{stderr}");
    assert!(world.histories("11ZW").is_empty());
}

#[test]
fn a_dossier_of_an_unconfigured_school_is_refused_naming_school_and_choices() {
    let world = World::new();
    // The fixture's dossier names school 12AB; config/test.toml has 11ZW and 23QK.
    let fixture = manifest("tests/fixtures/oso_dmt_three.xml");
    let out = world.run(&["import", "--oso", fixture.to_str().expect("path")]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    for needle in [
        "12AB",
        "niet geconfigureerd",
        "--school",
        "11ZW",
        "23QK",
        "niets opgeslagen",
    ] {
        assert!(stderr.contains(needle), "{needle:?} missing: {stderr}");
    }
    assert!(world.histories("12AB").is_empty(), "nothing stored for 12AB");
    let out = world.run(&[
        "import",
        "--oso",
        fixture.to_str().expect("path"),
        "--school",
        "98XX",
    ]);
    assert_exit(&out, 2);
    assert!(world.histories("98XX").is_empty(), "nothing stored for 98XX");
}

#[test]
fn dry_run_reports_and_changes_nothing() {
    let world = World::new();
    let fixture = manifest("tests/fixtures/oso_dmt_three.xml");
    let out = world.run(&[
        "import",
        "--oso",
        fixture.to_str().expect("path"),
        "--school",
        "11ZW",
        "--dry-run",
    ]);
    assert_exit(&out, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("proefdraai") && stdout.contains("3 resultaten"),
        "{stdout}"
    );
    assert!(!stdout.contains("Lezer"), "{stdout}");
    assert!(world.histories("11ZW").is_empty(), "dry run stored something");

    let csv = manifest("tests/fixtures/csv/resultaten_voorbeeld.csv");
    let out = world.run(&[
        "import",
        "--csv",
        csv.to_str().expect("path"),
        "--school",
        "11ZW",
        "--dry-run",
    ]);
    assert_exit(&out, 0);
    assert!(world.histories("11ZW").is_empty(), "dry run stored something");
}

#[test]
fn csv_export_imports_all_rows_once_and_leaves_other_pupils_enrolled() {
    let world = World::new();
    let oso = manifest("tests/fixtures/oso_dmt_three.xml");
    assert_exit(
        &world.run(&["import", "--oso", oso.to_str().expect("path"), "--school", "11ZW"]),
        0,
    );
    let csv = manifest("tests/fixtures/csv/resultaten_voorbeeld.csv");
    for _ in 0..2 {
        let out = world.run(&["import", "--csv", csv.to_str().expect("path"), "--school", "11ZW"]);
        assert_exit(&out, 0);
        assert!(!text(&out.stdout).contains("Lezer"));
    }
    let histories = world.histories("11ZW");
    assert_eq!(histories.len(), 4, "the OSO pupil and three CSV pupils");
    assert!(
        histories.iter().all(|h| h.pupil.pupil.left_on.is_none()),
        "nobody left"
    );
    let results: usize = histories.iter().map(|h| h.results.len()).sum();
    assert_eq!(results, 3 + 6, "re-import adds nothing");
    let tom = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "1001")
        .expect("CSV pupil 1001");
    let grades: Vec<u8> = tom.memberships.iter().map(|m| m.grade.get()).collect();
    assert_eq!(
        grades,
        [4, 5],
        "groep column gives one membership per school year"
    );
}

#[test]
fn csv_with_problems_names_row_and_column_exits_2_and_stores_nothing() {
    let world = World::new();
    let csv = manifest("tests/fixtures/csv/resultaten_fout.csv");
    let out = world.run(&["import", "--csv", csv.to_str().expect("path"), "--school", "11ZW"]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("rij 3, kolom afnamedatum:"), "{stderr}");
    assert!(stderr.contains("rij 4, kolom niveau:"), "{stderr}");
    assert!(!stderr.contains("Smit"), "{stderr}");
    assert!(
        world.histories("11ZW").is_empty(),
        "row 2 was valid but nothing may be stored"
    );
}

#[test]
fn oso_import_then_evaluate_and_signals_show_three_dmt_lowest_once() {
    let world = World::new();
    let oso = manifest("tests/fixtures/oso_dmt_three.xml");
    assert_exit(
        &world.run(&["import", "--oso", oso.to_str().expect("path"), "--school", "11ZW"]),
        0,
    );
    assert_exit(&world.run(&["evaluate", "--as-of", "2026-02-01"]), 0);

    let out = world.run(&["signals", "--json"]);
    assert_exit(&out, 0);
    let signals: serde_json::Value = serde_json::from_slice(&out.stdout).expect("signals JSON");
    let dmt: Vec<&serde_json::Value> = signals
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| s["rule"] == "dmt_three_lowest")
        .collect();
    assert_eq!(dmt.len(), 1, "{signals:#}");
    let s = dmt[0];
    assert_eq!(s["school"], "11ZW");
    assert_eq!(s["pupil"]["name"], "Tom de Lezer");
    assert_eq!(s["eed_criterion"], "met");
    assert_eq!(s["evidence"].as_array().expect("evidence").len(), 3);

    let out = world.run(&["evaluate", "--as-of", "2026-02-01", "--json"]);
    assert_exit(&out, 0);
    let summaries: serde_json::Value = serde_json::from_slice(&out.stdout).expect("evaluate JSON");
    for school in summaries.as_array().expect("array") {
        assert_eq!(school["signals_created"], 0, "{school}");
        assert_eq!(school["tasks_created"], 0, "{school}");
    }
    let again: serde_json::Value =
        serde_json::from_slice(&world.run(&["signals", "--json"]).stdout).expect("signals JSON");
    assert_eq!(again.as_array().map(Vec::len), signals.as_array().map(Vec::len));
}

/// Issue 18 item 2: a CSV verzuim export is imported with `--verzuim` (re-import changes nothing),
/// the evaluation finds the unauthorised absence to report, and `signals --json` keeps its shape:
/// the same fields as every signal, `domain` null, evidence of kind `absence` without any remark.
#[test]
fn verzuim_csv_imports_once_and_the_report_duty_is_a_signal_of_the_same_json_shape() {
    let world = World::new();
    let example = manifest("tests/fixtures/csv/verzuim_voorbeeld.csv");
    for _ in 0..2 {
        let out = world.run(&[
            "import",
            "--verzuim",
            example.to_str().expect("path"),
            "--school",
            "11ZW",
        ]);
        assert_exit(&out, 0);
        let stdout = text(&out.stdout);
        assert!(stdout.contains("6 verzuimregels"), "{stdout}");
        assert!(stdout.contains("genegeerde kolommen: opmerking"), "{stdout}");
        assert!(
            !stdout.contains("Lezer") && !stdout.contains("bruiloft"),
            "{stdout}"
        );
    }
    assert!(
        !world.database_text().contains("bruiloft"),
        "a remark is never stored"
    );
    // Three more whole days for Tom: 5,5 + 2 + 3 × 5,5 = 24 hours in four weeks.
    let extra = world.dir.path().join("verzuim_extra.csv");
    std::fs::write(
        &extra,
        "leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;datum;uren;soort\n\
         1001;Tom;de;Lezer;12-04-2017;10-03-2026;5,5;ongeoorloofd\n\
         1001;Tom;de;Lezer;12-04-2017;11-03-2026;3,5;ongeoorloofd\n\
         1001;Tom;de;Lezer;12-04-2017;12-03-2026;5,5;ongeoorloofd\n",
    )
    .expect("write");
    assert_exit(
        &world.run(&[
            "import",
            "--verzuim",
            extra.to_str().expect("path"),
            "--school",
            "11ZW",
        ]),
        0,
    );
    assert_exit(&world.run(&["evaluate", "--as-of", "2026-03-20"]), 0);
    let out = world.run(&["signals", "--json"]);
    assert_exit(&out, 0);
    let signals: serde_json::Value = serde_json::from_slice(&out.stdout).expect("signals JSON");
    let all = signals.as_array().expect("array");
    let absence: Vec<&serde_json::Value> = all
        .iter()
        .filter(|s| s["rule"] == "unauthorised_absence")
        .collect();
    assert_eq!(absence.len(), 1, "{signals:#}");
    let s = absence[0];
    let mut keys: Vec<&str> = s
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "domain",
            "evidence",
            "explanation",
            "id",
            "opened_on",
            "pupil",
            "rule",
            "rule_version",
            "school",
            "severity",
            "status"
        ],
        "the fields of every signal, no more"
    );
    assert!(s["domain"].is_null());
    assert_eq!(s["severity"], "high");
    let evidence = s["evidence"].as_array().expect("evidence");
    assert_eq!(evidence.len(), 5, "{evidence:#?}");
    assert!(evidence.iter().all(|e| e["kind"] == "absence"));
    let explanation = s["explanation"].as_str().expect("explanation");
    assert!(explanation.contains("leerplichtambtenaar"), "{explanation}");
    assert!(
        all.iter().all(|x| x["rule"] != "frequent_sick_absence"),
        "one sick day is no pattern"
    );

    let bad = world.dir.path().join("verzuim_fout.csv");
    std::fs::write(
        &bad,
        "leerlingnummer;roepnaam;achternaam;datum;uren;soort\n12;Ali;Jansen;02-03-2026;30;ziek\n",
    )
    .expect("write");
    let out = world.run(&[
        "import",
        "--verzuim",
        bad.to_str().expect("path"),
        "--school",
        "11ZW",
    ]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("rij 2, kolom uren:") && !stderr.contains("Jansen"),
        "{stderr}"
    );
}

/// Issue 18 item 1: a CSV export of each instrument is imported with `--sociaal-emotioneel FILE
/// --instrument …` (a re-import changes nothing); a file with bad lines names each line and
/// column in Dutch, counts them, exits 2 and stores nothing; no name is echoed.
#[test]
fn social_emotional_csv_of_each_instrument_imports_once_and_bad_lines_are_counted() {
    let world = World::new();
    for (file, instrument, count) in [
        ("sociaal_emotioneel_zien_voorbeeld.csv", "zien", 19),
        ("sociaal_emotioneel_kanvas_voorbeeld.csv", "kanvas", 6),
        ("sociaal_emotioneel_kiva_voorbeeld.csv", "kiva", 6),
    ] {
        let example = manifest(&format!("tests/fixtures/csv/{file}"));
        for round in 0..2 {
            let out = world.run(&[
                "import",
                "--sociaal-emotioneel",
                example.to_str().expect("path"),
                "--instrument",
                instrument,
                "--school",
                "11ZW",
            ]);
            assert_exit(&out, 0);
            let stdout = text(&out.stdout);
            let changed = if round == 0 { count } else { 0 };
            assert!(
                stdout.contains(&format!(
                    "{count} sociaal-emotionele metingen ({changed} nieuw of bijgewerkt)"
                )),
                "{instrument} round {round}: {stdout}"
            );
            assert!(!stdout.contains("Lezer"), "{stdout}");
        }
    }

    // Tom's sociale autonomie is rood on 03-11-2025 and 23-03-2026 in the ZIEN! example: the
    // low signal, with the same JSON fields as every signal and its evidence of the new kind.
    assert_exit(&world.run(&["evaluate", "--as-of", "2026-04-01"]), 0);
    let out = world.run(&["signals", "--json"]);
    assert_exit(&out, 0);
    let signals: serde_json::Value = serde_json::from_slice(&out.stdout).expect("signals JSON");
    let low: Vec<&serde_json::Value> = signals
        .as_array()
        .expect("array")
        .iter()
        .filter(|s| s["rule"] == "social_emotional_low")
        .collect();
    assert_eq!(low.len(), 1, "{signals:#}");
    let mut keys: Vec<&str> = low[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "domain",
            "evidence",
            "explanation",
            "id",
            "opened_on",
            "pupil",
            "rule",
            "rule_version",
            "school",
            "severity",
            "status"
        ],
        "the fields of every signal, no more"
    );
    assert!(low[0]["domain"].is_null());
    let evidence = low[0]["evidence"].as_array().expect("evidence");
    assert!(
        evidence.len() >= 2
            && evidence
                .iter()
                .all(|e| e["kind"] == "social_emotional" && e["level"] == "rood"),
        "{evidence:#?}"
    );
    let explanation = low[0]["explanation"].as_str().expect("explanation");
    assert!(explanation.contains("ZIEN! sociale autonomie"), "{explanation}");

    let bad = world.dir.path().join("zien_fout.csv");
    std::fs::write(
        &bad,
        "leerlingnummer;roepnaam;achternaam;afnamedatum;betrokkenheid;welbevinden;sociaal initiatief;\
         sociale flexibiliteit;sociale autonomie\n\
         12;Ali;Jansen;02-11-2026;groen;groen;groen;groen;groen\n\
         13;Bo;Smit;31-11-2026;groen;groen;groen;groen;groen\n\
         14;Cas;Vos;03-11-2026;groen;paars;groen;groen;rose\n",
    )
    .expect("write");
    let out = world.run(&[
        "import",
        "--sociaal-emotioneel",
        bad.to_str().expect("path"),
        "--instrument",
        "zien",
        "--school",
        "11ZW",
    ]);
    assert_exit(&out, 2);
    let stderr = text(&out.stderr);
    for want in [
        "rij 3, kolom afnamedatum: \"31-11-2026\" is geen datum",
        "rij 4, kolom welbevinden: \"paars\" is geen categorie van ZIEN!",
        "rij 4, kolom sociale autonomie: \"rose\" is geen categorie van ZIEN!",
        "3 fout(en) in 2 regel(s) van het ZIEN!-bestand",
        "import geweigerd: niets opgeslagen",
    ] {
        assert!(stderr.contains(want), "{want} in {stderr}");
    }
    assert!(!stderr.contains("Jansen") && !stderr.contains("Smit"), "{stderr}");
    assert!(
        !world.database_text().contains("Jansen"),
        "row 2 was valid but nothing may be stored"
    );
    let out = world.run(&[
        "import",
        "--sociaal-emotioneel",
        bad.to_str().expect("path"),
        "--school",
        "11ZW",
    ]);
    assert_ne!(out.status.code(), Some(0), "--instrument is required");
}
