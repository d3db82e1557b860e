//! `zorgsignaal import --edexml` through the real binary with the official EDEXML 2.1 example
//! (issue 12): pupils, groups and memberships stored under `--school`, nothing else of the file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use zorgsignaal::domain::Brin;
use zorgsignaal::store::{self, PupilHistory};

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn example() -> PathBuf {
    manifest("tests/fixtures/edexml/EDEXML.Voorbeeld.2.1.xml")
}

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

    fn database_text(&self) -> String {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            if let Ok(b) = std::fs::read(format!("{}{suffix}", self.db().display())) {
                bytes.extend(b);
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_official_example_imports_pupils_groups_and_memberships_and_nothing_else() {
    let world = World::new();
    let path = example();
    let file = path.to_str().expect("utf-8 path");

    let dry = world.run(&["import", "--edexml", file, "--school", "23QK", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(text(&dry).contains("3 leerling(en)"), "{}", text(&dry));
    assert!(
        !world.db().exists() || world.histories("23QK").is_empty(),
        "dry run stores nothing"
    );

    let out = world.run(&["import", "--edexml", file, "--school", "23QK"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("EDEXML-bestand ingelezen voor school 23QK"),
        "{shown}"
    );
    assert!(
        shown.contains("brincode 99ZZ"),
        "the file's own BRIN is named: {shown}"
    );
    assert!(shown.contains("3 leerkracht(en)"), "{shown}");
    for name in ["Wimpie", "Assati", "Gradje"] {
        assert!(!shown.contains(name), "{name} printed");
    }

    let histories = world.histories("23QK");
    assert_eq!(histories.len(), 3, "three pupils");
    let wimpie = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "00001")
        .expect("pupil 00001");
    let groups: Vec<&str> = wimpie
        .memberships
        .iter()
        .map(|m| m.group_external_id.as_str())
        .collect();
    assert_eq!(groups.len(), 3, "GRP4B and two samengestelde groepen: {groups:?}");
    assert!(wimpie.memberships.iter().all(|m| m.grade.get() == 4));

    let db = world.database_text();
    assert!(
        db.contains("Kabouters") && db.contains("Samgroep 3"),
        "groups stored"
    );
    assert!(db.contains("Assati"), "the byte check has teeth");
    for private in [
        "6971VB",
        "133456785",
        "Opmerking X",
        "Vestiging Huissen",
        "Veldman",
        "Manusje",
        "0,3",
        "id.school",
    ] {
        assert!(!db.contains(private), "{private:?} stored");
    }

    // A second import of the same file changes nothing and adds nobody.
    let again = world.run(&["import", "--edexml", file, "--school", "23QK"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("0 nieuw"), "{}", text(&again));
    assert_eq!(world.histories("23QK").len(), 3);
}

#[test]
fn edexml_needs_a_school_and_a_broken_file_stores_nothing() {
    let world = World::new();
    let path = example();
    let out = world.run(&["import", "--edexml", path.to_str().expect("utf-8")]);
    assert_ne!(out.status.code(), Some(0), "--school is required");
    let out = world.run(&[
        "import",
        "--edexml",
        path.to_str().expect("utf-8"),
        "--school",
        "00YY",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unconfigured school is refused: {}",
        text(&out)
    );
    assert!(text(&out).contains("niet geconfigureerd"), "{}", text(&out));

    let broken = world.dir.path().join("kapot.xml");
    std::fs::write(&broken, "<EDEX><school><schooljaar>2025-2026</schooljaar></school>\n<leerlingen><leerling key=\"1\"><roepnaam>Xander</roepnaam><geboortedatum>21-06-2016</geboortedatum></leerling></leerlingen></EDEX>").expect("write");
    let out = world.run(&[
        "import",
        "--edexml",
        broken.to_str().expect("utf-8"),
        "--school",
        "23QK",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("line 2"), "{}", text(&out));
    assert!(!text(&out).contains("Xander"));
}

/// EDEXML for the roll, then a saved UWLR `leerresultaten_verzoek` for the results (issue 12):
/// the reference scores and the betrouwbaarheidsinterval are stored, plain scores are stored and
/// counted, and a second import of the same message adds nothing.
#[test]
fn a_uwlr_results_file_lands_on_the_edexml_pupils() {
    let world = World::new();
    let roll = example();
    let message = manifest("tests/fixtures/uwlr/messages/leerresultaten_dmt.xml");
    let message = message.to_str().expect("utf-8");
    let out = world.run(&[
        "import",
        "--edexml",
        roll.to_str().expect("utf-8"),
        "--school",
        "23QK",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let dry = world.run(&["import", "--uwlr", message, "--school", "23QK", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(text(&dry).contains("4 resultaten"), "{}", text(&dry));

    let wrong = world.run(&["import", "--uwlr", message, "--school", "11ZW"]);
    assert_eq!(
        wrong.status.code(),
        Some(2),
        "another school's message: {}",
        text(&wrong)
    );

    let out = world.run(&["import", "--uwlr", message, "--school", "23QK"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("2 resultaat/resultaten zonder niveau"),
        "{}",
        text(&out)
    );
    let histories = world.histories("23QK");
    let wimpie = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "00001")
        .expect("pupil 00001");
    assert_eq!(wimpie.results.len(), 3);
    let dmt = wimpie
        .results
        .iter()
        .find(|r| r.result.external_id == "r-1")
        .expect("r-1");
    let ability = dmt.result.ability.as_ref().expect("ability");
    let interval = ability.interval.expect("interval kept");
    assert_eq!((interval.low, interval.high), (28.5, 35.5));
    assert_eq!(dmt.result.reference_scores[0].value, "V-");

    let again = world.run(&["import", "--uwlr", message, "--school", "23QK"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("(0 nieuw"), "{}", text(&again));

    // `status` names the results without a level (the two plain scores), per source and school.
    let status = world.run(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert!(
        text(&status).contains("uwlr          23QK   2 resultaten zonder niveau"),
        "{}",
        text(&status)
    );
}
