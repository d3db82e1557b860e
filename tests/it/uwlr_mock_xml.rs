//! Every UWLR message the mocks produce validates against the official schemas (issue 12): the
//! mock LAS's `HaalLeerlinggegevens` answers (both school years, and a fault) to the requests
//! Zorgsignaal's own UWLR client sends, and every `leerresultaten_verzoek` of the mock test
//! publisher, as a document and as the SOAP request it posts. They go into a folder that
//! `tests/fixtures/validate-xml.sh` checks with `xmllint --schema`. Zorgsignaal's client reads
//! the answers (pupils and groups of the ESIS-like school) and its parser reads every message.
//!
//! One exception, checked to be the only one: the EDEXML types inside UWLR 2.2
//! (`EDEXML.types.variabel.xsd`, version 2017-05-15, the "variable" types Edustandaard extends
//! every year) enumerate school years up to 2024-2025, so a `leerlinggegevens_antwoord` of the
//! mock's school years (2025-2026 on) breaks only that facet. The answers are validated against
//! the official schemas, every error must be that `schooljaar` enumeration, and they must be fully
//! valid against a copy of the official schemas whose `EDEXSchooljaarType` lists the school years
//! up to 2030-2031 (nothing else changed).
//!
//! Needs xmllint (libxml2-utils): without it the test fails when `CI` is set and prints
//! "skipped: xmllint not installed" otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use mocks::publisher::{messages, soap_request};
use mocks::{GenParams, MockBoard, MockConfig};
use secrecy::{ExposeSecret, SecretString};
use zorgsignaal::domain::{Brin, ExternalIdHasher, SchoolYear};
use zorgsignaal::sources::http::{HttpClient, HttpConfig};
use zorgsignaal::sources::uwlr::{UwlrClient, parse_leerresultaten};

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn xmllint_available() -> bool {
    let found = Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "xmllint not installed: this test needs libxml2-utils"
        );
        eprintln!("skipped: xmllint not installed");
    }
    found
}

#[tokio::test]
async fn every_uwlr_message_of_the_mocks_validates_against_the_official_schemas() {
    if !xmllint_available() {
        return;
    }
    let params = GenParams {
        seed: 5,
        schools: 2,
        pupils_per_school: 30,
        years: 2,
        uwlr_schools: 1,
        ..GenParams::default()
    };
    let (dataset, _) = mocks::generate(&params);
    let board = MockBoard::start(MockConfig::fixture(dataset.clone()))
        .await
        .expect("mock board");
    let brin_text = board.schools().last().cloned().expect("school");
    let brin = Brin::parse(&brin_text).expect("brin");
    let creds = board.uwlr_credentials(&brin_text).expect("ESIS-like school");
    let dir = tempfile::tempdir().expect("tempdir");
    let keep = |name: &str, xml: &str| std::fs::write(dir.path().join(name), xml).expect("write");
    let answers = tempfile::tempdir().expect("tempdir");

    let hasher = ExternalIdHasher::new(SecretString::from(
        "een sleutel van minstens tweeëndertig tekens lang",
    ));
    let client = |key: &str| {
        UwlrClient::new(
            HttpClient::new("uwlr", HttpConfig::default()).expect("http"),
            &creds.url,
            SecretString::from(key.to_owned()),
            (&creds.access.klantcode, "Zorgsignaal"),
            hasher.clone(),
        )
    };
    let good = client(&creds.access.autorisatiesleutel);
    let http = reqwest::Client::new();
    for (n, year) in [SchoolYear::starting(2025), SchoolYear::starting(2026)]
        .into_iter()
        .enumerate()
    {
        let request = good.request(&brin, year);
        keep(&format!("soap_{n}_verzoek.xml"), request.expose_secret());
        let answer = http
            .post(&creds.url)
            .header("SOAPAction", "\"HaalLeerlinggegevens\"")
            .body(request.expose_secret().to_owned())
            .send()
            .await
            .expect("post")
            .text()
            .await
            .expect("answer");
        std::fs::write(answers.path().join(format!("soap_{n}_antwoord.xml")), &answer).expect("write");
        let roster = good
            .leerlinggegevens(&brin, year)
            .await
            .expect("the client reads the answer");
        assert!(
            roster.pupils.len() >= 30,
            "{year}: {} pupils",
            roster.pupils.len()
        );
        assert!(!roster.groups.is_empty() && !roster.memberships.is_empty());
        assert!(roster.teachers.iter().any(|t| !t.groups.is_empty()));
    }
    let wrong = client("een-verkeerde-sleutel");
    let refused = http
        .post(&creds.url)
        .body(
            wrong
                .request(&brin, SchoolYear::starting(2026))
                .expose_secret()
                .to_owned(),
        )
        .send()
        .await
        .expect("post")
        .text()
        .await
        .expect("fault");
    assert!(refused.contains("Autorisatie"), "{refused}");
    keep("soap_fout.xml", &refused);

    let school = dataset
        .schools
        .iter()
        .find(|s| s.brin == brin_text)
        .expect("school");
    let all = messages(school, None, dataset.as_of);
    assert!(all.len() > 5, "{} test dates", all.len());
    assert_eq!(
        all.iter().map(|m| m.results).sum::<usize>(),
        school.resultaten.len()
    );
    for (i, m) in all.iter().enumerate() {
        let doc = m.document();
        let parsed = parse_leerresultaten(doc.as_bytes()).expect("Zorgsignaal reads the message");
        assert_eq!(parsed.sittings.len(), m.results);
        keep(&format!("leerresultaten_{i:03}.xml"), &doc);
        keep(&format!("soap_lr_{i:03}.xml"), &soap_request("sleutel", &m.body));
    }
    board.shutdown().await;

    check_answers(answers.path());
    let out = Command::new("bash")
        .arg(manifest("tests/fixtures/validate-xml.sh"))
        .arg(dir.path())
        .output()
        .expect("run validate-xml.sh");
    assert!(
        out.status.success(),
        "mock messages not valid against the official schemas:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn xmllint(schema: &Path, file: &Path) -> std::process::Output {
    Command::new("xmllint")
        .args(["--noout", "--nonet", "--schema"])
        .arg(schema)
        .arg(file)
        .output()
        .expect("run xmllint")
}

/// The `leerlinggegevens_antwoord` envelopes in `dir`: against the official schemas nothing but
/// the school-year enumeration fails, and against the copy with the current school years
/// everything validates.
fn check_answers(dir: &Path) {
    let official = manifest("tests/fixtures/uwlr/soap-uwlr.xsd");
    let current = tempfile::tempdir().expect("tempdir");
    let schemas = current.path().join("Schemas");
    std::fs::create_dir_all(&schemas).expect("dir");
    for entry in std::fs::read_dir(manifest("tests/fixtures/uwlr/Schemas")).expect("schemas") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, schemas.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let variabel = schemas.join("EDEXML.types.variabel.xsd");
    let text = std::fs::read_to_string(&variabel).expect("types");
    let last = "<xs:enumeration value=\"2024-2025\"/>";
    assert_eq!(
        text.matches(last).count(),
        1,
        "the vendored school-year list changed"
    );
    let more: String = (2025..=2030)
        .map(|y| format!("\n\t\t\t<xs:enumeration value=\"{y}-{}\"/>", y + 1))
        .collect();
    std::fs::write(&variabel, text.replace(last, &format!("{last}{more}"))).expect("write");
    let patched = current.path().join("soap-uwlr.xsd");
    std::fs::copy(&official, &patched).expect("copy");

    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("answers") {
        let file = entry.expect("entry").path();
        let out = xmllint(&official, &file);
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines().filter(|l| l.contains("validity error")) {
            assert!(
                line.contains("schooljaar") && line.contains("[facet 'enumeration']"),
                "{}: an error other than the school-year list: {line}",
                file.display()
            );
        }
        let out = xmllint(&patched, &file);
        assert!(
            out.status.success(),
            "{} not valid with the current school years:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert_eq!(checked, 2, "both school years' answers checked");
}
