//! CSV import of verzuim (absences) exported from the LAS (issue 18 item 2): one row per absence of
//! a pupil on one day. Pure: bytes in, domain records out; all-or-nothing per file. The column set
//! is documented in docs/IMPORT.md ("CSV verzuim export").

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use chrono::NaiveDate;

use super::{CsvError, CsvProblem, MAX_PROBLEMS, clip, header_key, open_export, parse_date, parse_decimal};
use crate::domain::{Absence, AbsenceKind, Brin, Pupil, Source};

/// The result of a successful verzuim import.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvAbsenceImport {
    /// Pupils (by `leerlingnummer`), in order of first appearance.
    pub pupils: Vec<Pupil>,
    /// One absence per pupil, day and kind (rows for the same three are added up), in file order.
    pub absences: Vec<Absence>,
    /// Header names that are not part of the column set and were ignored.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Col {
    Leerlingnummer,
    Roepnaam,
    Tussenvoegsel,
    Achternaam,
    Geboortedatum,
    Datum,
    Uren,
    Soort,
}

impl Col {
    const ALL: [Col; 8] = [
        Col::Leerlingnummer,
        Col::Roepnaam,
        Col::Tussenvoegsel,
        Col::Achternaam,
        Col::Geboortedatum,
        Col::Datum,
        Col::Uren,
        Col::Soort,
    ];
    const REQUIRED: [Col; 6] = [
        Col::Leerlingnummer,
        Col::Roepnaam,
        Col::Achternaam,
        Col::Datum,
        Col::Uren,
        Col::Soort,
    ];

    fn name(self) -> &'static str {
        match self {
            Col::Leerlingnummer => "leerlingnummer",
            Col::Roepnaam => "roepnaam",
            Col::Tussenvoegsel => "tussenvoegsel",
            Col::Achternaam => "achternaam",
            Col::Geboortedatum => "geboortedatum",
            Col::Datum => "datum",
            Col::Uren => "uren",
            Col::Soort => "soort",
        }
    }

    /// Matches a header case-insensitively, ignoring spaces, `_` and `-`, with a few aliases.
    fn from_header(header: &str) -> Option<Col> {
        let key = header_key(header);
        let alias = match key.as_str() {
            "voorvoegsel" => "tussenvoegsel",
            "verzuimdatum" | "afwezigheidsdatum" => "datum",
            "aantaluren" | "lesuren" | "verzuimuren" => "uren",
            "verzuimsoort" | "soortverzuim" => "soort",
            other => other,
        };
        Col::ALL.into_iter().find(|c| c.name() == alias)
    }
}

/// Parses a verzuim export of `school`. Every problem (up to [`MAX_PROBLEMS`]) is reported; then
/// the whole file is rejected. Values of personal columns are never echoed.
pub fn parse_absences_csv<R: Read>(reader: R, school: &Brin) -> Result<CsvAbsenceImport, CsvError> {
    let mut csv = open_export(reader)?;
    let reject = |row: usize, column: Option<&str>, reason: String| CsvProblem {
        row,
        column: column.map(str::to_string),
        reason,
    };
    let mut problems: Vec<CsvProblem> = Vec::new();
    let mut columns: HashMap<Col, (usize, String)> = HashMap::new();
    let mut ignored = Vec::new();
    let mut pupils: Vec<Pupil> = Vec::new();
    let mut pupil_rows: HashMap<String, usize> = HashMap::new();
    // (pupil, day, kind) → index into `absences`: rows of the same three are added up.
    let mut keyed: BTreeMap<(String, NaiveDate, AbsenceKind), usize> = BTreeMap::new();
    let mut absences: Vec<Absence> = Vec::new();
    for (index, record) in csv.byte_records().enumerate() {
        let row = index + 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(reject(row, None, format!("onleesbare CSV-regel: {e}")));
                continue;
            }
        };
        let fields: Vec<String> = record
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        if row == 1 {
            for (i, h) in fields.iter().enumerate() {
                match Col::from_header(h) {
                    Some(c) if columns.contains_key(&c) => {
                        problems.push(reject(1, Some(h), "kolom staat er twee keer in".into()));
                    }
                    Some(c) => {
                        columns.insert(c, (i, h.clone()));
                    }
                    None if h.is_empty() => {}
                    None => ignored.push(h.clone()),
                }
            }
            for c in Col::REQUIRED {
                if !columns.contains_key(&c) {
                    problems.push(reject(1, Some(c.name()), "verplichte kolom ontbreekt".into()));
                }
            }
            if !problems.is_empty() {
                break;
            }
            continue;
        }
        if fields.iter().all(String::is_empty) {
            continue;
        }
        let get = |c: Col| {
            columns
                .get(&c)
                .and_then(|(i, _)| fields.get(*i))
                .map_or("", |v| v.as_str())
        };
        let header = |c: Col| columns.get(&c).map_or(c.name(), |(_, h)| h.as_str()).to_string();
        let before = problems.len();
        for c in Col::REQUIRED {
            if get(c).is_empty() {
                problems.push(reject(row, Some(&header(c)), "leeg".into()));
            }
        }
        let datum = parse_date(get(Col::Datum));
        if datum.is_none() && !get(Col::Datum).is_empty() {
            problems.push(reject(
                row,
                Some(&header(Col::Datum)),
                format!(
                    "{:?} is geen datum (dd-mm-jjjj of jjjj-mm-dd)",
                    clip(get(Col::Datum))
                ),
            ));
        }
        let uren = parse_decimal(get(Col::Uren)).filter(|h| Absence::valid_hours(*h));
        if uren.is_none() && !get(Col::Uren).is_empty() {
            problems.push(reject(
                row,
                Some(&header(Col::Uren)),
                format!(
                    "{:?} is geen aantal uren boven 0 en hoogstens 24",
                    clip(get(Col::Uren))
                ),
            ));
        }
        let soort = AbsenceKind::parse_dutch(get(Col::Soort));
        if soort.is_none() && !get(Col::Soort).is_empty() {
            problems.push(reject(
                row,
                Some(&header(Col::Soort)),
                format!(
                    "{:?} is niet ziek, geoorloofd of ongeoorloofd",
                    clip(get(Col::Soort))
                ),
            ));
        }
        let born = match get(Col::Geboortedatum) {
            "" => None,
            v => {
                let d = parse_date(v);
                if d.is_none() {
                    problems.push(reject(
                        row,
                        Some(&header(Col::Geboortedatum)),
                        "geen datum (dd-mm-jjjj of jjjj-mm-dd)".into(),
                    ));
                }
                d
            }
        };
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        let number = get(Col::Leerlingnummer).to_string();
        let pupil = Pupil {
            school: school.clone(),
            source: Source::Csv,
            external_id: number.clone(),
            national_id_hash: None,
            given_name: get(Col::Roepnaam).to_string(),
            surname_prefix: Some(get(Col::Tussenvoegsel).to_string()).filter(|s| !s.is_empty()),
            surname: get(Col::Achternaam).to_string(),
            birth_date: born,
            left_on: None,
            dyslexia_statement: None,
        };
        // Every row of a leerlingnummer must name the same pupil (checked even on a row with
        // other problems, so that all of them are reported at once).
        let named = !number.is_empty() && !get(Col::Roepnaam).is_empty() && !get(Col::Achternaam).is_empty();
        match pupil_rows.get(&number).filter(|_| named) {
            Some(&i) if pupils[i] != pupil => {
                problems.push(reject(
                    row,
                    Some(&header(Col::Leerlingnummer)),
                    "hetzelfde leerlingnummer met een andere naam of geboortedatum dan op een eerdere rij"
                        .into(),
                ));
                continue;
            }
            Some(_) => {}
            None if named => {
                pupil_rows.insert(number.clone(), pupils.len());
                pupils.push(pupil);
            }
            None => {}
        }
        let (Some(on), Some(hours), Some(kind)) = (datum, uren, soort) else {
            continue;
        };
        if problems.len() > before {
            continue;
        }
        match keyed.get(&(number.clone(), on, kind)) {
            Some(&i) => {
                let a = &mut absences[i];
                a.hours = (a.hours + hours).min(24.0);
            }
            None => {
                keyed.insert((number.clone(), on, kind), absences.len());
                absences.push(Absence {
                    source: Source::Csv,
                    school: school.clone(),
                    external_id: format!("csv:verzuim:{number}:{on}:{}", kind.as_str()),
                    pupil_external_id: number,
                    on,
                    hours,
                    kind,
                });
            }
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(CsvError::Rejected(problems));
    }
    Ok(CsvAbsenceImport {
        pupils,
        absences,
        ignored_columns: ignored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school() -> Brin {
        Brin::parse("12AB").expect("brin")
    }

    #[test]
    fn the_example_file_reads_and_rows_of_one_day_add_up() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csv/verzuim_voorbeeld.csv");
        let file = std::fs::File::open(path).expect("example file");
        let import = parse_absences_csv(file, &school()).expect("valid");
        assert_eq!(import.pupils.len(), 2);
        assert_eq!(import.absences.len(), 6, "{:?}", import.absences);
        let late = import
            .absences
            .iter()
            .find(|a| {
                a.on == NaiveDate::from_ymd_opt(2026, 3, 9).expect("date") && a.pupil_external_id == "1001"
            })
            .expect("9 March");
        assert_eq!(
            (late.hours, late.kind),
            (2.0, AbsenceKind::Unauthorised),
            "two late arrivals added up"
        );
        assert_eq!(late.external_id, "csv:verzuim:1001:2026-03-09:unauthorised");
        assert!(import.ignored_columns.contains(&"opmerking".to_string()));
        assert!(
            !format!("{:?}", import.absences).contains("bruiloft"),
            "a remark is never read"
        );
    }

    #[test]
    fn problems_name_row_and_column_and_echo_no_personal_value() {
        let csv = "leerlingnummer;roepnaam;achternaam;geboortedatum;datum;uren;soort\n\
                   12;Ali;Jansen;01-02-2016;32-01-2026;5,5;ziek\n\
                   12;Ali;Jansen;01-02-2016;02-02-2026;0;ziek\n\
                   12;Ali;Jansen;01-02-2016;03-02-2026;5,5;vakantie\n\
                   12;Alie;Jansen;01-02-2016;04-02-2026;5,5;ziek\n\
                   13;Bo;Smit;geheim-datum;04-02-2026;5,5;ziek\n";
        let err = parse_absences_csv(csv.as_bytes(), &school()).expect_err("rejected");
        let text = err.to_string();
        for want in [
            "row 2, column datum: \"32-01-2026\" is geen datum",
            "row 3, column uren: \"0\" is geen aantal uren",
            "row 4, column soort: \"vakantie\" is niet ziek, geoorloofd of ongeoorloofd",
            "row 5, column leerlingnummer: hetzelfde leerlingnummer met een andere naam",
            "row 6, column geboortedatum: geen datum",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains("geheim") && !text.contains("Alie"), "{text}");
        let missing = parse_absences_csv("leerlingnummer;roepnaam;achternaam;datum\n".as_bytes(), &school())
            .expect_err("missing columns");
        assert!(
            missing
                .to_string()
                .contains("row 1, column uren: verplichte kolom ontbreekt"),
            "{missing}"
        );
    }
}
