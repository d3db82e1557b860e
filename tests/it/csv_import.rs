//! The CSV results import: the documented example files parse; every bad file names row and
//! column and yields nothing.

use zorgsignaal::domain::{Brin, Level, Source};
use zorgsignaal::sources::csv_import::{CsvError, CsvImport, parse_results_csv};

fn school() -> Brin {
    Brin::parse("12AB").expect("brin")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/csv/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn parse(text: &str) -> Result<CsvImport, CsvError> {
    parse_results_csv(text.as_bytes(), &school())
}

const HEADER: &str = "leerlingnummer;roepnaam;tussenvoegsel;achternaam;geboortedatum;groep;toets;toetsonderdeel;afnamedatum;score;vaardigheidsscore;niveau;percentiel";

fn problems(text: &str) -> Vec<String> {
    parse(text)
        .expect_err("must be rejected")
        .problems()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn the_documented_example_parses() {
    let import = parse_results_csv(fixture("resultaten_voorbeeld.csv").as_slice(), &school()).expect("valid");
    assert_eq!(import.pupils.len(), 3);
    assert_eq!(import.results.len(), 6);
    assert!(import.ignored_columns.is_empty());
    let tom = &import.pupils[0];
    assert_eq!(
        (tom.external_id.as_str(), tom.given_name.as_str()),
        ("1001", "Tom")
    );
    assert_eq!(tom.surname_prefix.as_deref(), Some("de"));
    assert_eq!(
        tom.birth_date.map(|d| d.to_string()).as_deref(),
        Some("2017-04-12")
    );
    assert_eq!(tom.source, Source::Csv);
    assert_eq!(import.pupils[2].birth_date, None);
    let dmt: Vec<_> = import.results.iter().filter(|r| r.test_code == "DMT").collect();
    assert_eq!(dmt.len(), 3);
    for r in &dmt {
        assert_eq!(r.part_code.as_deref(), Some("kaart 1"));
        assert_eq!(
            r.reference_scores[0].level,
            Some(Level::Iv {
                ordinal: 5,
                minus: true
            })
        );
        assert!(matches!(r.reference_scores[1].level, Some(Level::Percentile(p)) if p <= 10));
    }
    assert_eq!(dmt[0].taken_on.to_string(), "2025-01-21");
    assert_eq!(dmt[0].raw_score, Some(21.0));
    assert_eq!(import.grades.get(&dmt[2].external_id).map(|g| g.get()), Some(5));
    let rekenen = &import.results[3];
    assert_eq!(rekenen.ability.as_ref().map(|a| a.value), Some(188.5));
    assert_eq!(rekenen.part_code, None);
    let spelling = &import.results[4];
    assert_eq!(spelling.reference_scores.len(), 1);
    assert_eq!(spelling.reference_scores[0].level, Some(Level::Ae { ordinal: 2 }));
    assert_eq!(import.results[5].taken_on.to_string(), "2026-01-24");
    assert!(
        import
            .results
            .iter()
            .all(|r| r.school == school() && r.source == Source::Csv)
    );
}

#[test]
fn comma_delimited_export_with_extra_column() {
    let import = parse_results_csv(fixture("resultaten_komma.csv").as_slice(), &school()).expect("valid");
    assert_eq!(import.ignored_columns, ["opmerking"]);
    assert_eq!(import.pupils.len(), 1);
    assert_eq!(import.results[0].raw_score, Some(35.0));
    assert_eq!(
        import.results[0].reference_scores[0].level,
        Some(Level::Iv {
            ordinal: 4,
            minus: false
        })
    );
    assert_eq!(
        import.results[0].reference_scores[1].level,
        Some(Level::Percentile(30))
    );
    assert_eq!(import.results[1].raw_score, Some(12.0));
}

#[test]
fn missing_required_column_is_named_on_row_one() {
    let text = "leerlingnummer;roepnaam;achternaam;toets;score\n1;A;B;DMT;3\n";
    assert_eq!(
        problems(text),
        ["row 1, column afnamedatum: verplichte kolom ontbreekt"]
    );
}

#[test]
fn bad_values_name_row_and_column() {
    let text = format!(
        "{HEADER}\n1;Tom;;Lezer;;4;DMT;;21-01-2025;21;;V-;6\n1;Tom;;Lezer;;4;DMT;;32-01-2025;21;;V-;6\n\
         2;Ali;;Jansen;;4;DMT;;21-01-2025;21;;3;\n3;Eva;;Smit;;9;DMT;;21-01-2025;-2;;F;101\n"
    );
    assert_eq!(
        problems(&text),
        [
            "row 3, column afnamedatum: \"32-01-2025\" is geen datum (dd-mm-jjjj of jjjj-mm-dd)",
            "row 4, column niveau: \"3\" is niet eenduidig: schrijf het niveau als I, II, III, IV, V, V- of A-E",
            "row 5, column groep: \"9\" is geen groep 1-8",
            "row 5, column score: \"-2\" is geen score (een getal van 0 of meer)",
            "row 5, column niveau: \"F\" is geen niveau: verwacht I, II, III, IV, V, V- of A-E",
            "row 5, column percentiel: percentile 101 is outside 0-100",
        ]
    );
}

#[test]
fn personal_values_are_not_echoed() {
    let text = format!(
        "{HEADER}\n1;Tom;;Lezer;31-02-2017;4;DMT;;21-01-2025;21;;;\n1;Tom;;Lezersma;;4;DMT;;22-01-2025;21;;;\n"
    );
    let found = problems(&text);
    // Row 2 was rejected, so row 3 introduces the pupil: no conflict is reported for it.
    assert_eq!(found, ["row 2, column geboortedatum: ongeldige waarde"]);
    let text = format!(
        "{HEADER}\n1;Tom;;Lezer;;4;DMT;;21-01-2025;21;;;\n1;Tom;;Lezersma;;4;DMT;;22-01-2025;21;;;\n"
    );
    let found = problems(&text);
    assert_eq!(
        found,
        ["row 3, column achternaam: wijkt af van rij 2 bij hetzelfde leerlingnummer"]
    );
    assert!(found.iter().all(|p| !p.contains("Lezer") && !p.contains("Tom")));
}

#[test]
fn duplicates_wrong_field_counts_and_empty_results_are_rejected() {
    let text = format!(
        "{HEADER}\n1;Tom;;Lezer;;4;DMT;;21-01-2025;21;;;\n1;Tom;;Lezer;;4;dmt;;2025-01-21;22;;;\n\
         2;Ali;;Jansen;;4;DMT\n3;Eva;;Smit;;4;DMT;;21-01-2025;;;;\n4;Bo;;;;4;DMT;;21-01-2025;3;;;\n5;Jo;;Kok;;4;DMT;;;3;;;\n"
    );
    assert_eq!(
        problems(&text),
        [
            "row 3: dubbel resultaat: zelfde leerlingnummer, toets, toetsonderdeel en afnamedatum als rij 2",
            "row 4: de rij heeft 7 velden, de kopregel 13",
            "row 5: de rij heeft geen score, vaardigheidsscore, niveau of percentiel",
            "row 6, column achternaam: waarde is verplicht",
            "row 7, column afnamedatum: waarde is verplicht",
        ]
    );
}

#[test]
fn unusable_files_are_rejected_whole() {
    assert_eq!(
        problems(""),
        ["row 1: de kopregel heeft geen scheidingsteken ';' of ','"]
    );
    let latin1 =
        b"leerlingnummer;roepnaam;achternaam;toets;afnamedatum;score\n1;Jos\xe9;B;DMT;21-01-2025;3\n";
    let err = parse_results_csv(latin1.as_slice(), &school()).expect_err("latin-1");
    assert_eq!(
        err.problems()[0].to_string(),
        "row 2, column roepnaam: geen geldige UTF-8; sla de export op als UTF-8"
    );
    let dup = "toets;toets;leerlingnummer;roepnaam;achternaam;afnamedatum\n";
    assert_eq!(
        problems(dup),
        ["row 1, column toets: kolom toets staat er twee keer in"]
    );
    let header_only = parse(&format!("{HEADER}\n")).expect("header only is an empty import");
    assert!(header_only.results.is_empty() && header_only.pupils.is_empty());
}

#[test]
fn display_lists_every_problem() {
    let text =
        format!("{HEADER}\n1;Tom;;Lezer;;4;DMT;;21-13-2025;21;;;\n2;Ali;;Jansen;;4;DMT;;21-01-2025;;;Q;\n");
    let msg = parse(&text).expect_err("bad").to_string();
    assert!(
        msg.starts_with("CSV import rejected, nothing imported; 2 problem(s): row 2, column afnamedatum"),
        "{msg}"
    );
    assert!(msg.contains("; row 3, column niveau"), "{msg}");
}
