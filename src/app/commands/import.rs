//! `zorgsignaal import`: an OSO overstapdossier or a CSV results export into the store, in one
//! transaction (all or nothing), or only checked with `--dry-run`. Output for the school is Dutch;
//! the pupil is shown by initials only and logs carry only the BRIN and counts.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::app::open_store;
use crate::domain::{
    Brin, Grade, Group, Membership, Pupil, School, SchoolYear, SeInstrument, Source, TestResult,
};
use crate::settings::Settings;
use crate::sources::csv_import::{
    CsvError, parse_absences_csv, parse_results_csv, parse_social_emotional_csv,
};
use crate::sources::edexml::parse_edexml;
use crate::sources::oso::parse_dossier;
use crate::store::{ImportBatch, ImportSummary};

/// Exit code for a file that cannot be imported (invalid XML/CSV, missing element).
pub const EXIT_INVALID_FILE: u8 = 2;

/// What to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFile<'a> {
    /// An OSO overstapdossier (XML).
    Oso(&'a Path),
    /// A CSV results export.
    Csv(&'a Path),
    /// An EDEXML 2.1 export (pupils, groups, memberships).
    Edexml(&'a Path),
    /// A UWLR 2.2 `leerresultaten_verzoek` (results).
    Uwlr(&'a Path),
    /// A CSV verzuim (absence) export (issue 18).
    Verzuim(&'a Path),
    /// A CSV export of social-emotional measurements of one instrument (issue 18 item 1).
    SocialEmotional(&'a Path, SeInstrument),
}

/// Whether to store or only check and report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Store everything in one transaction.
    Apply,
    /// Parse and validate, report what would be stored, change nothing.
    DryRun,
}

/// The configured school record for `brin`, or the Dutch lines refusing the import: data of a
/// school that is not configured would be stored and then never evaluated (no rule, digest or
/// dashboard sees an unconfigured school), so it is not stored at all.
fn configured_school(settings: &Settings, brin: &Brin, from_file: bool) -> Result<School, Vec<String>> {
    if let Some(s) = settings.school(brin) {
        return Ok(s.school());
    }
    let configured = settings
        .schools
        .iter()
        .map(|s| format!("{} ({})", s.brin, s.name))
        .collect::<Vec<_>>()
        .join(", ");
    let whose = if from_file {
        format!("school {brin} uit het bestand")
    } else {
        format!("school {brin} (--school)")
    };
    Err(vec![
        format!("{whose} is niet geconfigureerd: gegevens van die school zou geen enkele regel zien"),
        format!(
            "geef met --school BRIN de geconfigureerde school waar de leerling nu staat, of voeg de school toe aan [[schools]]; geconfigureerde scholen: {}",
            if configured.is_empty() {
                "geen".to_owned()
            } else {
                configured
            }
        ),
    ])
}

/// Reads and parses the file into an import batch; `Err` holds the Dutch/operator lines to print
/// (the file is invalid: exit 2).
pub fn prepare(
    settings: &Settings,
    file: ImportFile<'_>,
    school: Option<&Brin>,
) -> anyhow::Result<Result<ImportBatch, Vec<String>>> {
    match file {
        ImportFile::Oso(path) => {
            let bytes = match read_xml(path, "OSO dossier")? {
                Ok(b) => b,
                Err(lines) => return Ok(Err(lines)),
            };
            let mut dossier = match parse_dossier(&bytes, &settings.id_hasher()) {
                Ok(d) => d,
                Err(e) => return Ok(Err(vec![e.to_string()])),
            };
            let target = match school {
                Some(b) => configured_school(settings, b, false).inspect(|_| dossier.assign_to_school(b)),
                None => configured_school(settings, &dossier.school.brin, true),
            };
            let target = match target {
                Ok(t) => t,
                Err(lines) => return Ok(Err(lines)),
            };
            let mut batch = ImportBatch::new(Source::Oso, target);
            let pupil_id = dossier.pupil.external_id.clone();
            for period in &dossier.school_history {
                if let Some(m) = period.to_membership(&pupil_id) {
                    if !batch
                        .groups
                        .iter()
                        .any(|g| g.school == m.school && g.external_id == m.group_external_id)
                    {
                        batch.groups.push(Group {
                            school: m.school.clone(),
                            external_id: m.group_external_id.clone(),
                            name: format!("Groep {}", period.group_code),
                            school_year: period.school_year,
                        });
                    }
                    batch.memberships.push(m);
                }
            }
            batch.pupils.push(dossier.pupil);
            batch.results = dossier.results;
            batch.plans = dossier.plans;
            Ok(Ok(batch))
        }
        ImportFile::Edexml(path) => {
            let brin = school.context("--edexml needs --school BRIN")?;
            let target = match configured_school(settings, brin, false) {
                Ok(t) => t,
                Err(lines) => return Ok(Err(lines)),
            };
            let bytes = match read_xml(path, "EDEXML")? {
                Ok(b) => b,
                Err(lines) => return Ok(Err(lines)),
            };
            let roster = match parse_edexml(&bytes, brin, &settings.id_hasher()) {
                Ok(r) => r,
                Err(e) => return Ok(Err(vec![e.to_string()])),
            };
            if let Some(file_brin) = roster.brin.as_ref().filter(|b| *b != brin) {
                println!(
                    "let op: het bestand noemt brincode {file_brin}; ingelezen voor school {brin} (--school)"
                );
            }
            let mut batch = ImportBatch::new(Source::Edexml, target);
            batch.pupils = roster.pupils;
            batch.groups = roster.groups;
            batch.memberships = roster.memberships;
            println!(
                "{} leerkracht(en) in het bestand: niet opgeslagen; {} leerling(en) zonder jaargroep 1-8: \
                 zonder groepsindeling",
                roster.teachers.len(),
                roster.pupils_without_grade
            );
            Ok(Ok(batch))
        }
        ImportFile::Uwlr(path) => {
            let brin = school.context("--uwlr needs --school BRIN")?;
            let bytes = match read_xml(path, "UWLR")? {
                Ok(b) => b,
                Err(lines) => return Ok(Err(lines)),
            };
            let message = match crate::sources::uwlr::model::parse_leerresultaten(&bytes) {
                Ok(m) => m,
                Err(e) => return Ok(Err(vec![e.to_string()])),
            };
            if message.brin.as_ref() != Some(brin) {
                return Ok(Err(vec![format!(
                    "UWLR-bericht is voor school {}, niet voor {brin} (--school)",
                    message.brin.as_ref().map_or("(geen brincode)", |b| b.as_str())
                )]));
            }
            let target = match configured_school(settings, brin, false) {
                Ok(t) => t,
                Err(lines) => return Ok(Err(lines)),
            };
            let converted = message.to_results(brin);
            if converted.without_level > 0 {
                println!(
                    "{} resultaat/resultaten zonder niveau (score of anderresultaat): opgeslagen en geteld, \
                     tellen niet mee voor de niveauregels",
                    converted.without_level
                );
            }
            let mut batch = ImportBatch::new(Source::Uwlr, target);
            batch.results = converted.results;
            Ok(Ok(batch))
        }
        ImportFile::Verzuim(path) => {
            let brin = school.context("--verzuim needs --school BRIN")?;
            let parsed = match parse_csv_export(path, |f| parse_absences_csv(f, brin))? {
                Ok(p) => p,
                Err(lines) => return Ok(Err(lines)),
            };
            print_ignored(&parsed.ignored_columns);
            let target = match configured_school(settings, brin, false) {
                Ok(t) => t,
                Err(lines) => return Ok(Err(lines)),
            };
            let mut batch = ImportBatch::new(Source::Csv, target);
            batch.pupils = parsed.pupils;
            batch.absences = parsed.absences;
            Ok(Ok(batch))
        }
        ImportFile::SocialEmotional(path, instrument) => {
            let brin = school.context("--sociaal-emotioneel needs --school BRIN")?;
            let parsed = match parse_csv_export(path, |f| parse_social_emotional_csv(f, instrument, brin))? {
                Ok(p) => p,
                Err(mut lines) => {
                    // The rows with a problem, counted (the header is row 1).
                    let mut rows: Vec<&str> = lines
                        .iter()
                        .filter_map(|l| l.strip_prefix("rij ")?.split([',', ':']).next())
                        .filter(|r| *r != "1")
                        .collect();
                    rows.sort_unstable();
                    rows.dedup();
                    let count = format!(
                        "{} fout(en) in {} regel(s) van het {}-bestand",
                        lines.len(),
                        rows.len(),
                        instrument.label()
                    );
                    lines.push(count);
                    return Ok(Err(lines));
                }
            };
            print_ignored(&parsed.ignored_columns);
            let target = match configured_school(settings, brin, false) {
                Ok(t) => t,
                Err(lines) => return Ok(Err(lines)),
            };
            let mut batch = ImportBatch::new(Source::Csv, target);
            batch.pupils = parsed.pupils;
            batch.social_emotional = parsed.measurements;
            Ok(Ok(batch))
        }
        ImportFile::Csv(path) => {
            let brin = school.context("--csv needs --school BRIN")?;
            let parsed = match parse_csv_export(path, |f| parse_results_csv(f, brin))? {
                Ok(p) => p,
                Err(lines) => return Ok(Err(lines)),
            };
            print_ignored(&parsed.ignored_columns);
            let target = match configured_school(settings, brin, false) {
                Ok(t) => t,
                Err(lines) => return Ok(Err(lines)),
            };
            let mut batch = ImportBatch::new(Source::Csv, target);
            csv_memberships(&mut batch, &parsed.results, &parsed.grades);
            batch.pupils = parsed.pupils;
            batch.results = parsed.results;
            Ok(Ok(batch))
        }
    }
}

/// Opens a CSV export and parses it with `parse`; a rejected file becomes its problems as Dutch
/// lines (row, column, reason; personal values are never echoed). Every CSV kind goes this way.
fn parse_csv_export<T>(
    path: &Path,
    parse: impl FnOnce(std::fs::File) -> Result<T, CsvError>,
) -> anyhow::Result<Result<T, Vec<String>>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(parse(file).map_err(|e| {
        if e.problems().is_empty() {
            vec![e.to_string()]
        } else {
            e.problems().iter().map(dutch_problem).collect()
        }
    }))
}

/// Tells the user which columns of the export were not read.
fn print_ignored(columns: &[String]) {
    if !columns.is_empty() {
        println!("genegeerde kolommen: {}", columns.join(", "));
    }
}

/// The `groep` column as groepsindelingen: per pupil and school year one membership of group
/// `csv:<schooljaar>:<groep>` for the whole year, so the rules can label moments (`M4`).
fn csv_memberships(batch: &mut ImportBatch, results: &[TestResult], grades: &HashMap<String, Grade>) {
    for r in results {
        let Some(grade) = grades.get(&r.external_id).copied() else {
            continue;
        };
        let year = SchoolYear::of_date(r.taken_on);
        let group_id = format!("csv:{year}:{grade}");
        let membership = Membership {
            school: r.school.clone(),
            pupil_external_id: r.pupil_external_id.clone(),
            group_external_id: group_id.clone(),
            grade,
            from: year.first_day(),
            to: Some(year.last_day()),
        };
        if batch.memberships.contains(&membership) {
            continue;
        }
        if !batch.groups.iter().any(|g| g.external_id == group_id) {
            batch.groups.push(Group {
                school: r.school.clone(),
                external_id: group_id,
                name: format!("Groep {grade}"),
                school_year: year,
            });
        }
        batch.memberships.push(membership);
    }
}

/// Reads an XML file of at most [`crate::sources::xml::MAX_XML_BYTES`]; a larger one is a file
/// error (exit 2), never read whole.
fn read_xml(path: &Path, what: &str) -> anyhow::Result<Result<Vec<u8>, Vec<String>>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(
        crate::sources::xml::read_capped(file, crate::sources::xml::MAX_XML_BYTES)
            .map_err(|e| vec![format!("{what} refused: {e}")]),
    )
}

/// `rij N, kolom X: …` for one CSV problem.
fn dutch_problem(p: &crate::sources::csv_import::CsvProblem) -> String {
    match &p.column {
        Some(c) => format!("rij {}, kolom {c}: {}", p.row, p.reason),
        None => format!("rij {}: {}", p.row, p.reason),
    }
}

/// Pupils as initials (`D.B.`), the only way an import shows a pupil.
fn initials(pupils: &[Pupil]) -> String {
    pupils.iter().map(Pupil::initials).collect::<Vec<_>>().join(", ")
}

/// `zorgsignaal import`: parses the file, then stores it in one transaction (or, with
/// [`ImportMode::DryRun`], reports what would be stored). Exit 2 for an invalid file, with
/// nothing stored.
pub async fn import(
    settings: &Settings,
    file: ImportFile<'_>,
    school: Option<&Brin>,
    mode: ImportMode,
) -> anyhow::Result<ExitCode> {
    let batch = match prepare(settings, file, school)? {
        Ok(b) => b,
        Err(lines) => {
            for line in &lines {
                eprintln!("{line}");
            }
            eprintln!("import geweigerd: niets opgeslagen");
            return Ok(ExitCode::from(EXIT_INVALID_FILE));
        }
    };
    let what = match file {
        ImportFile::Oso(_) => "OSO-dossier",
        ImportFile::Csv(_) => "CSV-bestand",
        ImportFile::Verzuim(_) => "verzuimbestand",
        ImportFile::SocialEmotional(_, _) => "bestand sociaal-emotioneel",
        ImportFile::Edexml(_) => "EDEXML-bestand",
        ImportFile::Uwlr(_) => "UWLR-bericht",
    };
    let brin = batch.school.brin.clone();
    if mode == ImportMode::DryRun {
        println!(
            "{what} gecontroleerd (proefdraai, niets opgeslagen): school {brin}, {} leerling(en) ({}), \
             {} resultaten, {} plannen, {} groepsindelingen, {} verzuimregels, {} sociaal-emotionele metingen",
            batch.pupils.len(),
            initials(&batch.pupils),
            batch.results.len(),
            batch.plans.len(),
            batch.memberships.len(),
            batch.absences.len(),
            batch.social_emotional.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = open_store(settings).await.context("opening the store")?;
    let outcome = store.apply_import(&batch).await;
    store.close().await;
    let summary: ImportSummary = outcome.context("storing the import (nothing was stored)")?;
    tracing::info!(
        school = %brin,
        pupils = batch.pupils.len(),
        results = batch.results.len(),
        plans = batch.plans.len(),
        "import stored"
    );
    let r = &summary.records;
    println!(
        "{what} ingelezen voor school {brin}{}: {} leerling(en) ({}; {} nieuw, {} herkend, {} bijgewerkt), \
         {} resultaten ({} nieuw, {} al bekend uit een andere bron, {} bijgewerkt), {} plannen, \
         {} groepsindelingen, {} verzuimregels ({} nieuw of bijgewerkt), {} sociaal-emotionele metingen \
         ({} nieuw of bijgewerkt), {} ongewijzigd",
        if summary.school_added {
            " (school toegevoegd)"
        } else {
            ""
        },
        batch.pupils.len(),
        initials(&batch.pupils),
        summary.pupils_new,
        summary.pupils_matched,
        summary.pupils_updated,
        batch.results.len(),
        r.results_inserted,
        r.results_deduplicated,
        r.results_updated,
        r.plans,
        summary.memberships,
        batch.absences.len(),
        r.absences,
        batch.social_emotional.len(),
        r.social_emotional,
        r.unchanged
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_toml_str(include_str!("../../../config/test.toml")).expect("test config")
    }

    #[test]
    fn a_configured_school_keeps_its_ladder_and_an_unknown_one_is_refused_naming_the_choices() {
        let s = settings();
        let configured = Brin::parse("23QK").expect("brin");
        let school = configured_school(&s, &configured, true).expect("configured");
        assert_eq!(
            (school.name.as_str(), school.care_ladder.as_str()),
            ("Testschool De Regenboog", "niveaus-1-6")
        );
        let unknown = Brin::parse("00YY").expect("brin");
        let lines = configured_school(&s, &unknown, true).expect_err("not configured");
        let text = lines.join("\n");
        assert!(
            text.contains("00YY") && text.contains("niet geconfigureerd"),
            "{text}"
        );
        assert!(text.contains("--school"), "{text}");
        assert!(text.contains("11ZW") && text.contains("23QK"), "{text}");
    }

    #[test]
    fn an_oso_dossier_of_an_unconfigured_school_is_refused_and_a_school_flag_redirects_it() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oso_dmt_three.xml");
        // The fixture's dossier comes from school 12AB, which config/test.toml does not have.
        let foreign = path;
        let refused = prepare(&settings(), ImportFile::Oso(&foreign), None)
            .expect("readable")
            .expect_err("refused");
        assert!(refused.join(" ").contains("12AB"), "{refused:?}");
        let target = Brin::parse("11ZW").expect("brin");
        let batch = prepare(&settings(), ImportFile::Oso(&foreign), Some(&target))
            .expect("readable")
            .expect("accepted for a configured school");
        assert_eq!(batch.school.brin, target);
        let other = Brin::parse("98XX").expect("brin");
        assert!(
            prepare(&settings(), ImportFile::Oso(&foreign), Some(&other))
                .expect("readable")
                .is_err(),
            "--school must name a configured school too"
        );
    }

    #[test]
    fn csv_without_school_is_an_operator_error_not_a_file_error() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv/resultaten_voorbeeld.csv");
        let err = prepare(&settings(), ImportFile::Csv(&path), None).expect_err("needs --school");
        assert!(err.to_string().contains("--school"), "{err}");
    }

    #[test]
    fn csv_problems_are_printed_in_dutch_with_row_and_column() {
        let p = crate::sources::csv_import::CsvProblem {
            row: 3,
            column: Some("afnamedatum".into()),
            reason: "not a date".into(),
        };
        assert_eq!(dutch_problem(&p), "rij 3, kolom afnamedatum: not a date");
    }

    #[test]
    fn an_oversized_oso_file_is_refused_as_a_file_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("groot.xml");
        let file = std::fs::File::create(&path).expect("create");
        let too_big = u64::try_from(crate::sources::xml::MAX_XML_BYTES).expect("fits") + 1;
        file.set_len(too_big).expect("sparse file");
        let lines = prepare(&settings(), ImportFile::Oso(&path), None)
            .expect("no operator error")
            .expect_err("refused");
        assert!(lines[0].contains("too large"), "{lines:?}");
    }
}
