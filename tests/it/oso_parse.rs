//! The OSO parser against the official Edustandaard example dossiers and the hand-written DMT
//! fixture: every toets and referentiescore arrives, nothing private does.

use std::path::PathBuf;

use secrecy::SecretString;
use zorgsignaal::domain::{ExternalIdHasher, Level, PlanKind, Source};
use zorgsignaal::sources::oso::{OsoError, parse_dossier};

/// The official examples, vendored in `tests/fixtures/oso/` (origin in its README).
fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oso")
}

fn examples(suffix: &str) -> Vec<(String, Vec<u8>)> {
    let dir = examples_dir();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("OSO examples not found in {} ({e})", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read example"))
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 6,
        "expected the six official {suffix} examples, found {}",
        files.len()
    );
    files
}

fn hasher() -> ExternalIdHasher {
    ExternalIdHasher::new(SecretString::from("test-board-key"))
}

fn count(text: &str, tag: &str) -> usize {
    text.matches(tag).count()
}

#[test]
fn every_full_example_yields_every_toets_and_referentiescore() {
    for (name, xml) in examples("_full.xml") {
        let text = String::from_utf8(xml.clone()).expect("utf-8");
        let dossier = parse_dossier(&xml, &hasher()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let toetsen = count(&text, "<toets>");
        let parts = count(&text, "<toetsonderdeel>");
        assert!(toetsen > 0, "{name} has toetsen");
        assert_eq!(
            dossier.results.len(),
            toetsen + parts,
            "{name}: one result per toets and part"
        );
        let refs: usize = dossier.results.iter().map(|r| r.reference_scores.len()).sum();
        assert_eq!(
            refs,
            count(&text, "<referentiescore>"),
            "{name}: every referentiescore"
        );
        for code in text
            .split("<eldtoetscode>")
            .skip(1)
            .filter_map(|s| s.split('<').next())
        {
            assert!(
                dossier.results.iter().any(|r| r.test_code == code),
                "{name}: toets {code}"
            );
        }
        assert_eq!(
            dossier
                .plans
                .iter()
                .filter(|p| p.kind == PlanKind::ActionPlan)
                .count(),
            count(&text, "<handelingsplan>")
        );
        assert_eq!(
            dossier.plans.iter().filter(|p| p.kind == PlanKind::Opp).count(),
            count(&text, "<opp>")
        );
        assert_eq!(
            dossier.school_history.len(),
            count(&text, "<schoolloopbaan>"),
            "{name}"
        );
        assert_eq!(dossier.school.brin.as_str(), "00YY");
        assert_eq!(dossier.pupil.source, Source::Oso);
        assert!(
            dossier
                .results
                .iter()
                .all(|r| r.pupil_external_id == dossier.pupil.external_id)
        );
        let ids: std::collections::BTreeSet<_> = dossier.results.iter().map(|r| &r.external_id).collect();
        assert_eq!(ids.len(), dossier.results.len(), "{name}: result ids unique");
    }
}

#[test]
fn the_popo_example_maps_fields_as_documented() {
    let xml = std::fs::read(examples_dir().join("Voorbeelddossier_OV_POPO_full.xml")).expect("POPO example");
    let d = parse_dossier(&xml, &hasher()).expect("parses");
    assert_eq!(d.pupil.given_name, "Daan");
    assert_eq!(d.pupil.surname, "Berg");
    assert_eq!(d.pupil.surname_prefix.as_deref(), Some("van de"));
    assert_eq!(
        d.pupil.birth_date.map(|b| b.to_string()).as_deref(),
        Some("2003-03-17")
    );
    let hash = hasher().hash("bsn", "297816238");
    assert_eq!(d.pupil.national_id_hash.as_deref(), Some(hash.as_str()));
    assert_eq!(d.pupil.external_id, format!("oso:{}", &hash[..16]));
    let rw = d
        .results
        .iter()
        .find(|r| r.test_code == "RW2006-12-155")
        .expect("rekenen");
    assert_eq!(rw.taken_on.to_string(), "2015-10-23");
    assert_eq!(rw.raw_score, Some(51.0));
    assert_eq!(
        rw.ability.as_ref().map(|a| (a.value, a.scale.as_str())),
        Some((90.0, "oso:110"))
    );
    let iv = rw.reference_scores.iter().find(|s| s.code == "IV").expect("IV");
    assert_eq!(
        iv.level,
        Some(Level::Iv {
            ordinal: 3,
            minus: false
        })
    );
    let dle = rw
        .reference_scores
        .iter()
        .find(|s| s.code == "DLE")
        .expect("DLE kept");
    assert_eq!((dle.value.as_str(), dle.level), ("40", None));
    let parts: Vec<_> = d.results.iter().filter_map(|r| r.part_code.as_deref()).collect();
    assert_eq!(parts, ["WISC3NL2005V", "WISC3NL2005P"]);
    let period = d
        .school_history
        .iter()
        .find(|p| p.school.as_str() == "14AI")
        .expect("14AI period");
    assert_eq!(period.grade.map(|g| g.get()), Some(3));
    assert_eq!(period.school_year.to_string(), "2009-2010");
    let hp = d
        .plans
        .iter()
        .find(|p| p.kind == PlanKind::ActionPlan)
        .expect("handelingsplan");
    assert_eq!(
        (hp.start.to_string(), hp.end.map(|e| e.to_string())),
        ("2014-01-01".into(), Some("2016-01-01".into()))
    );
    assert_eq!(hp.title, "rekenvaardigheid");
}

/// Text from the examples that must never reach the parsed dossier (addresses, phone numbers,
/// e-mail, diagnoses, attachments, parents, GP, BSN itself, IBAN, the sending school's own pupil id).
const PRIVATE: &[&str] = &[
    "Hoofdstraat",
    "7311BA",
    "Adelaarslaan",
    "Downing",
    "0235257739",
    "0701111111",
    "leerling@leerling.nl",
    "Slechthorend",
    "ADHD",
    "H91.9",
    "Alfa Ziekenhuis",
    "Mevr. Pieters",
    "UEsDB",
    "HandelingsplanRekenen.pdf",
    "Pieter",
    "Tanja",
    "Zwieten",
    "NL51RABO0307495248",
    "297816238",
    "LN094837",
    "Björn",
    "Teveel zorggegevens",
    "De leerling werkt hard",
    "Mevr. de Graaf",
    "Orthopedagogisch centrum",
];

#[test]
fn no_address_phone_diagnosis_or_attachment_text_is_kept() {
    for (name, xml) in examples("_full.xml").into_iter().chain(examples("_opt_out.xml")) {
        let text = String::from_utf8_lossy(&xml).into_owned();
        let d = parse_dossier(&xml, &hasher()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let debug = format!("{d:?}");
        let json = serde_json::to_string(&d).expect("json");
        for needle in PRIVATE.iter().filter(|n| text.contains(*n)) {
            assert!(!debug.contains(needle), "{name}: {needle:?} in Debug");
            assert!(!json.contains(needle), "{name}: {needle:?} in JSON");
        }
        let present = PRIVATE.iter().filter(|n| text.contains(*n)).count();
        assert!(
            present >= 8,
            "{name}: only {present} private strings present, the check has no teeth"
        );
        if name.ends_with("_full.xml") {
            assert!(
                text.contains("Slechthorend") && text.contains("UEsDB"),
                "{name}: diagnosis and attachment"
            );
        }
    }
}

#[test]
fn opt_out_examples_parse_with_zero_results() {
    for (name, xml) in examples("_opt_out.xml") {
        let d = parse_dossier(&xml, &hasher()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(d.results.is_empty(), "{name}");
        assert!(!d.pupil.surname.is_empty(), "{name}");
    }
}

#[test]
fn pao_examples_without_bsn_fall_back_to_the_hashed_leerlingid() {
    let xml = std::fs::read(examples_dir().join("Voorbeelddossier_PaO_POSWV_full.xml")).expect("PaO example");
    let d = parse_dossier(&xml, &hasher()).expect("parses");
    assert_eq!(d.pupil.national_id_hash, None);
    let local = hasher().hash("oso-leerlingid", "00YY:LN094837");
    assert_eq!(d.pupil.external_id, format!("oso:{}", &local[..16]));
}

#[test]
fn truncated_example_names_a_line() {
    let xml = std::fs::read(examples_dir().join("Voorbeelddossier_OV_POPO_full.xml")).expect("POPO example");
    let cut = &xml[..xml.len() / 2];
    let err = parse_dossier(cut, &hasher()).expect_err("truncated");
    assert!(matches!(err, OsoError::Xml { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with("OSO dossier line "), "{msg}");
    let text = String::from_utf8_lossy(cut);
    let last_line = text.lines().count();
    assert!(
        msg.contains(&format!("line {last_line}:")),
        "{msg} (file has {last_line} lines)"
    );
}

#[test]
fn removing_the_surname_names_element_and_line() {
    let xml = std::fs::read(examples_dir().join("Voorbeelddossier_OV_POPO_full.xml")).expect("POPO example");
    let text = String::from_utf8(xml).expect("utf-8");
    let leerling_line = text
        .lines()
        .position(|l| l.trim() == "<leerling>")
        .expect("leerling")
        + 1;
    let broken = text.replacen("<achternaam>Berg</achternaam>", "", 1);
    let err = parse_dossier(broken.as_bytes(), &hasher()).expect_err("missing achternaam");
    assert_eq!(
        err.to_string(),
        format!("OSO dossier line {leerling_line}: missing required element <leerling>/<achternaam>")
    );
    assert!(!err.to_string().contains("Daan"));
}

#[test]
fn dmt_fixture_has_three_v_minus_main_measurements() {
    let xml = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/oso_dmt_three.xml"
    ))
    .expect("fixture");
    let d = parse_dossier(&xml, &hasher()).expect("fixture parses");
    assert_eq!(d.school.brin.as_str(), "12AB");
    assert_eq!(d.pupil.given_name, "Tom");
    let dates: Vec<String> = d.results.iter().map(|r| r.taken_on.to_string()).collect();
    assert_eq!(dates, ["2025-01-21", "2025-06-10", "2026-01-20"]);
    let windows = zorgsignaal::domain::MomentWindows::default();
    let labels: Vec<String> = d
        .results
        .iter()
        .map(|r| {
            let grade = d.school_history.iter().find_map(|p| {
                let m = p.to_membership(&d.pupil.external_id)?;
                m.covers(r.taken_on).then_some(m.grade)
            });
            windows.moment_of(r.taken_on).label(grade)
        })
        .collect();
    assert_eq!(labels, ["M4", "E4", "M5"]);
    for r in &d.results {
        assert_eq!(r.test_code, "DMT");
        let band = zorgsignaal::domain::level::preferred_band(&r.reference_scores).expect("band");
        assert_eq!(
            band,
            Level::Iv {
                ordinal: 5,
                minus: true
            }
        );
        assert!(zorgsignaal::domain::level::percentile(&r.reference_scores).is_some_and(|p| p <= 10));
    }
    let plan = d.plans.first().expect("handelingsplan");
    assert_eq!(
        plan.domain,
        Some(zorgsignaal::domain::LearningDomain::TechnicalReading)
    );
    let debug = format!("{d:?}");
    for private in ["Kastanjelaan", "0612345678", "Vermoeden", "123456782", "WIL-0042"] {
        assert!(!debug.contains(private), "{private}");
    }
}

#[test]
fn an_impossible_level_in_an_official_example_rejects_it_with_the_line() {
    let xml = std::fs::read(examples_dir().join("Voorbeelddossier_OV_POPO_full.xml")).expect("POPO example");
    let text = String::from_utf8(xml).expect("utf-8");
    let line = text
        .lines()
        .position(|l| l.trim() == "<waarde>III</waarde>")
        .expect("III")
        + 1;
    let broken = text.replacen("<waarde>III</waarde>", "<waarde>VII</waarde>", 1);
    let err = parse_dossier(broken.as_bytes(), &hasher()).expect_err("VII");
    assert_eq!(
        err.to_string(),
        format!(
            "OSO dossier line {line}: invalid value in <referentiescore/waarde>: \"VII\" is not a level on scale IV"
        )
    );
}

/// Issue 16, item 9: the betrouwbaarheidsinterval (`bivlaag`/`bivhoog`) of a vaardigheidsscore is
/// kept as the score's interval, the margin `no_growth` allows for measurement error.
#[test]
fn the_betrouwbaarheidsinterval_is_kept_with_the_ability_score() {
    let xml = std::fs::read(examples_dir().join("Voorbeelddossier_OV_BB_full.xml")).expect("example");
    let text = String::from_utf8(xml.clone()).expect("utf-8");
    let dossier = parse_dossier(&xml, &hasher()).expect("example parses");
    let with_interval: Vec<_> = dossier
        .results
        .iter()
        .filter_map(|r| r.ability.as_ref())
        .filter_map(|a| a.interval.map(|i| (a.value, i.low, i.high)))
        .collect();
    assert_eq!(with_interval.len(), count(&text, "<betrouwbaarheidsinterval>"));
    assert!(with_interval.contains(&(2.0, 60.0, 140.0)), "{with_interval:?}");
    let without = dossier
        .results
        .iter()
        .filter_map(|r| r.ability.as_ref())
        .filter(|a| a.interval.is_none())
        .count();
    assert!(without > 0, "scores without an interval stay without one");
}
