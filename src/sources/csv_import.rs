//! CSV import of test results exported from ParnasSys (one row per result, Dutch headers), for
//! schools without API access. Pure: bytes in, domain records out; all-or-nothing per file.
//! The column set is documented in docs/IMPORT.md.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use chrono::{Datelike, NaiveDate};

use crate::domain::{
    AbilityScore, Brin, DyslexiaStatement, Grade, Pupil, ReferenceScore, Source, TestResult,
};

/// At most this many problems are collected before the importer stops looking.
pub const MAX_PROBLEMS: usize = 100;

/// The result of a successful import: every pupil once, every row as a result.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvImport {
    /// Pupils (by `leerlingnummer`), in order of first appearance.
    pub pupils: Vec<Pupil>,
    /// One result per data row, in file order.
    pub results: Vec<TestResult>,
    /// Groep at the sitting, by result `external_id`, for rows that fill the `groep` column.
    pub grades: HashMap<String, Grade>,
    /// Header names that are not part of the column set and were ignored.
    pub ignored_columns: Vec<String>,
}

/// One problem in the file: 1-based row (the header is row 1) and the column, when it is about one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvProblem {
    /// Record number, header = 1 (equals the line number unless a quoted field spans lines).
    pub row: usize,
    /// Column header as the file spells it (or the missing column's name).
    pub column: Option<String>,
    /// What is wrong; never echoes a name, birth date or leerlingnummer.
    pub reason: String,
}

impl fmt::Display for CsvProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {c}: {}", self.row, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

/// Why a file was rejected. Nothing from a rejected file may be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read at all.
    #[error("CSV file could not be read: {0}")]
    Io(String),
    /// The file has problems; all of them (up to [`MAX_PROBLEMS`]) are listed.
    #[error("CSV import rejected, nothing imported; {}", list(.0))]
    Rejected(Vec<CsvProblem>),
}

impl CsvError {
    /// The problems found (empty for [`CsvError::Io`]).
    pub fn problems(&self) -> &[CsvProblem] {
        match self {
            Self::Io(_) => &[],
            Self::Rejected(p) => p,
        }
    }
}

fn list(problems: &[CsvProblem]) -> String {
    let more = if problems.len() >= MAX_PROBLEMS {
        " (stopped counting)"
    } else {
        ""
    };
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    format!("{} problem(s){more}: {}", problems.len(), lines.join("; "))
}

/// The documented columns (Dutch headers, as a ParnasSys export names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Leerlingnummer,
    Roepnaam,
    Tussenvoegsel,
    Achternaam,
    Geboortedatum,
    Groep,
    Toets,
    Toetsonderdeel,
    Afnamedatum,
    Score,
    Vaardigheidsscore,
    Niveau,
    Percentiel,
    Dyslexieverklaring,
}

impl Col {
    const ALL: [Col; 14] = [
        Col::Leerlingnummer,
        Col::Roepnaam,
        Col::Tussenvoegsel,
        Col::Achternaam,
        Col::Geboortedatum,
        Col::Groep,
        Col::Toets,
        Col::Toetsonderdeel,
        Col::Afnamedatum,
        Col::Score,
        Col::Vaardigheidsscore,
        Col::Niveau,
        Col::Percentiel,
        Col::Dyslexieverklaring,
    ];
    const REQUIRED: [Col; 5] = [
        Col::Leerlingnummer,
        Col::Roepnaam,
        Col::Achternaam,
        Col::Toets,
        Col::Afnamedatum,
    ];

    fn name(self) -> &'static str {
        match self {
            Col::Leerlingnummer => "leerlingnummer",
            Col::Roepnaam => "roepnaam",
            Col::Tussenvoegsel => "tussenvoegsel",
            Col::Achternaam => "achternaam",
            Col::Geboortedatum => "geboortedatum",
            Col::Groep => "groep",
            Col::Toets => "toets",
            Col::Toetsonderdeel => "toetsonderdeel",
            Col::Afnamedatum => "afnamedatum",
            Col::Score => "score",
            Col::Vaardigheidsscore => "vaardigheidsscore",
            Col::Niveau => "niveau",
            Col::Percentiel => "percentiel",
            Col::Dyslexieverklaring => "dyslexieverklaring",
        }
    }

    /// Matches a header case-insensitively, ignoring spaces, `_` and `-`; a few export aliases.
    fn from_header(header: &str) -> Option<Col> {
        let key = header_key(header);
        let alias = match key.as_str() {
            "toetsnaam" => "toets",
            "onderdeel" => "toetsonderdeel",
            "datum" | "afname" => "afnamedatum",
            "percentielscore" => "percentiel",
            "voorvoegsel" => "tussenvoegsel",
            "dyslexie" => "dyslexieverklaring",
            other => other,
        };
        Col::ALL.into_iter().find(|c| c.name() == alias)
    }

    /// Whether values of this column are personal and must not be echoed in problems.
    fn personal(self) -> bool {
        matches!(
            self,
            Col::Leerlingnummer
                | Col::Roepnaam
                | Col::Tussenvoegsel
                | Col::Achternaam
                | Col::Geboortedatum
                | Col::Dyslexieverklaring
        )
    }
}

/// Parses a results export for `school`. The delimiter (`;` or `,`) is taken from the header
/// row; dates are `dd-mm-yyyy` (or `/`) or ISO `yyyy-mm-dd`; `niveau` is I–V (with V-) or A–E,
/// never a digit. All problems are collected (up to [`MAX_PROBLEMS`]); any problem rejects the file.
pub fn parse_results_csv<R: Read>(reader: R, school: &Brin) -> Result<CsvImport, CsvError> {
    let mut csv = open_export(reader)?;
    let mut parser = RowParser::new(school.clone());
    for (index, record) in csv.byte_records().enumerate() {
        let row = index + 1;
        match record {
            Ok(record) if row == 1 => parser.header(&record),
            Ok(record) => parser.data(row, &record),
            Err(e) => parser.problem(row, None, format!("malformed CSV: {e}")),
        }
        if parser.problems.len() >= MAX_PROBLEMS || (row == 1 && !parser.problems.is_empty()) {
            break;
        }
    }
    parser.finish()
}

/// Reads a whole export and opens it as CSV: a UTF-8 byte-order mark is dropped and the delimiter
/// (`;` or `,`) is taken from the header row. Rows are read without header handling and may
/// differ in length: each parser checks its own header and rows. The one way every CSV export
/// (results, verzuim, …) is opened.
pub(crate) fn open_export<R: Read>(mut reader: R) -> Result<csv::Reader<std::io::Cursor<Vec<u8>>>, CsvError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| CsvError::Io(e.to_string()))?;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    let delimiter = detect_delimiter(&bytes).ok_or_else(|| {
        CsvError::Rejected(vec![CsvProblem {
            row: 1,
            column: None,
            reason: "header row has no ';' or ',' delimiter".into(),
        }])
    })?;
    Ok(csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(std::io::Cursor::new(bytes)))
}

/// A column header as every export parser matches it: trimmed, lower case, without spaces, `_`
/// and `-` (`Aantal uren`, `aantal_uren` and `AantalUren` are one column).
pub(crate) fn header_key(header: &str) -> String {
    header
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect()
}

/// Picks `;` or `,`, whichever occurs more often outside quotes in the first line.
fn detect_delimiter(body: &[u8]) -> Option<u8> {
    let (mut semi, mut comma, mut quoted) = (0usize, 0usize, false);
    for &b in body.iter().take_while(|&&b| b != b'\n') {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => semi += 1,
            b',' if !quoted => comma += 1,
            _ => {}
        }
    }
    match (semi, comma) {
        (0, 0) => None,
        (s, c) if s >= c => Some(b';'),
        _ => Some(b','),
    }
}

pub mod absences;
mod rows;
pub mod social_emotional;
pub use absences::{CsvAbsenceImport, parse_absences_csv};
use rows::RowParser;
pub use social_emotional::{CsvSocialEmotionalImport, parse_social_emotional_csv};

/// Parses `dd-mm-yyyy`, `d-m-yyyy`, `dd/mm/yyyy` or ISO `yyyy-mm-dd`; years 1950–2100.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let t = input.trim();
    let parts: Vec<&str> = t.split(['-', '/']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let num = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, m, d) = if a.len() == 4 {
        (num(a)?, num(b)?, num(c)?)
    } else if c.len() == 4 && a.len() <= 2 && b.len() <= 2 {
        (num(c)?, num(b)?, num(a)?)
    } else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    (1950..=2100).contains(&date.year()).then_some(date)
}

/// Infers the scale of a `niveau` value: I–V (and V-) or A–E. `E` is only A–E and `V` only I–V;
/// digits are refused because `3` could be III, a percentile or a raw score.
pub fn parse_niveau(input: &str) -> Result<ReferenceScore, String> {
    let compact: String = input
        .trim()
        .to_uppercase()
        .replace(['–', '−'], "-")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let code = match compact.as_str() {
        "I" | "II" | "III" | "IV" | "V" | "V-" | "VMIN" => "IV",
        "A" | "B" | "C" | "D" | "E" => "AE",
        s if s.chars().any(|c| c.is_ascii_digit()) => {
            return Err(format!(
                "{:?} is ambiguous: write the level as I, II, III, IV, V, V- or A-E",
                clip(input)
            ));
        }
        _ => {
            return Err(format!(
                "{:?} is not a level: expected I, II, III, IV, V, V- or A-E",
                clip(input)
            ));
        }
    };
    ReferenceScore::parse(code, input).map_err(|e| e.to_string())
}

/// Parses a decimal with `.` or `,` as separator.
fn parse_decimal(input: &str) -> Option<f64> {
    let v: f64 = input.trim().replace(',', ".").parse().ok()?;
    v.is_finite().then_some(v)
}

fn clip(s: &str) -> String {
    s.trim().chars().take(32).collect()
}

/// The pupil-level fields of a row, compared across rows of one leerlingnummer.
fn pupil_of(school: &Brin, number: &str, f: &rows::Fields) -> Pupil {
    Pupil {
        school: school.clone(),
        source: Source::Csv,
        external_id: number.to_string(),
        national_id_hash: None,
        given_name: f.roepnaam.clone(),
        surname_prefix: f.tussenvoegsel.clone(),
        surname: f.achternaam.clone(),
        birth_date: f.geboortedatum,
        left_on: None,
        dyslexia_statement: f.dyslexieverklaring,
    }
}

/// `dyslexieverklaring`: a date (the statement's date), `ja` (undated) or `nee`/empty (none).
/// Only the fact and the date are kept (data minimisation).
fn parse_dyslexia_statement(v: &str) -> Result<Option<DyslexiaStatement>, String> {
    match v.trim().to_lowercase().as_str() {
        "" | "nee" | "n" | "0" | "false" | "-" => Ok(None),
        "ja" | "j" | "x" | "1" | "true" => Ok(Some(DyslexiaStatement { on: None })),
        _ => parse_date(v)
            .map(|on| Some(DyslexiaStatement { on: Some(on) }))
            .ok_or_else(|| "expected a date (dd-mm-jjjj), ja or nee".to_string()),
    }
}

fn result_of(school: &Brin, number: &str, f: &rows::Fields) -> TestResult {
    let mut reference_scores = Vec::new();
    reference_scores.extend(f.niveau.clone());
    reference_scores.extend(f.percentiel.clone());
    TestResult {
        source: Source::Csv,
        external_id: format!(
            "csv:{number}:{}:{}:{}",
            f.toets.to_uppercase(),
            f.toetsonderdeel.as_deref().unwrap_or("").to_uppercase(),
            f.afnamedatum
        ),
        school: school.clone(),
        pupil_external_id: number.to_string(),
        test_code: f.toets.clone(),
        part_code: f.toetsonderdeel.clone(),
        test_name: f.toets.clone(),
        provider: None,
        taken_on: f.afnamedatum,
        stated_moment: None,
        raw_score: f.score,
        ability: f.vaardigheidsscore.map(|value| AbilityScore {
            value,
            scale: format!("csv:{}", f.toets.to_lowercase()),
            interval: None,
        }),
        reference_scores,
    }
}

#[cfg(test)]
mod tests {

    /// Issue 16 item 4: the `dyslexieverklaring` column: a date, ja or nee; only the fact and the
    /// date are kept, and a value on any row of the pupil counts.
    #[test]
    fn dyslexieverklaring_column() {
        for (value, want) in [
            ("", None),
            ("nee", None),
            ("ja", Some(None)),
            ("12-03-2024", Some(Some("2024-03-12"))),
            ("2024-03-12", Some(Some("2024-03-12"))),
        ] {
            let got = parse_dyslexia_statement(value).expect(value);
            assert_eq!(
                got.map(|s| s.on.map(|d| d.to_string())),
                want.map(|o| o.map(str::to_string)),
                "{value}"
            );
        }
        assert!(parse_dyslexia_statement("misschien").is_err());
        let csv = "leerlingnummer;roepnaam;achternaam;toets;afnamedatum;niveau;dyslexie\n\
                   12;Ali;Jansen;DMT;20-01-2026;V-;\n\
                   12;Ali;Jansen;DMT;10-06-2026;V-;01-05-2026\n\
                   13;Bo;Smit;DMT;20-01-2026;IV;nee\n";
        let school = Brin::parse("12AB").expect("brin");
        let import = parse_results_csv(csv.as_bytes(), &school).expect("valid");
        let statement = |n: &str| {
            import
                .pupils
                .iter()
                .find(|p| p.external_id == n)
                .and_then(|p| p.dyslexia_statement)
                .map(|s| s.on.map(|d| d.to_string()))
        };
        assert_eq!(statement("12"), Some(Some("2026-05-01".to_string())));
        assert_eq!(statement("13"), None);
        let bad = "leerlingnummer;roepnaam;achternaam;toets;afnamedatum;niveau;dyslexieverklaring\n\
                   12;Ali;Jansen;DMT;20-01-2026;V-;geheim-detail\n";
        let err = parse_results_csv(bad.as_bytes(), &school).expect_err("bad value");
        assert!(!err.to_string().contains("geheim"), "{err}");
    }

    use super::*;
    use crate::domain::Level;

    #[test]
    fn dates_in_dutch_and_iso_form() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("21-01-2025"), d(2025, 1, 21));
        assert_eq!(parse_date("1-2-2025"), d(2025, 2, 1));
        assert_eq!(parse_date("21/01/2025"), d(2025, 1, 21));
        assert_eq!(parse_date("2025-01-21"), d(2025, 1, 21));
        for bad in [
            "21-01-25",
            "2025-13-01",
            "31-02-2025",
            "01-21-2025x",
            "",
            "1850-01-01",
            "2025-1",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn niveau_scale_is_inferred_without_guessing() {
        let level = |s| parse_niveau(s).map(|r| (r.code, r.level));
        assert_eq!(
            level("V-"),
            Ok((
                "IV".into(),
                Some(Level::Iv {
                    ordinal: 5,
                    minus: true
                })
            ))
        );
        assert_eq!(
            level("v"),
            Ok((
                "IV".into(),
                Some(Level::Iv {
                    ordinal: 5,
                    minus: false
                })
            ))
        );
        assert_eq!(level("E"), Ok(("AE".into(), Some(Level::Ae { ordinal: 5 }))));
        assert_eq!(
            level("IV"),
            Ok((
                "IV".into(),
                Some(Level::Iv {
                    ordinal: 4,
                    minus: false
                })
            ))
        );
        assert!(parse_niveau("3").is_err_and(|e| e.contains("ambiguous")));
        assert!(parse_niveau("E-").is_err());
        assert!(parse_niveau("IV-").is_err());
        assert!(parse_niveau("F").is_err());
    }

    #[test]
    fn delimiter_is_detected_outside_quotes() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2;3"), Some(b';'));
        assert_eq!(detect_delimiter(b"a,b,\"c;d\"\n"), Some(b','));
        assert_eq!(detect_delimiter(b"abc\n"), None);
    }
}
