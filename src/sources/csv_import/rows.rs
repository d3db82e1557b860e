//! Row-by-row validation of a results CSV: header mapping, field parsing, cross-row checks
//! (one pupil per leerlingnummer, one result per pupil/toets/onderdeel/date).

use std::collections::HashMap;

use chrono::NaiveDate;
use csv::ByteRecord;

use super::{
    Col, CsvError, CsvImport, CsvProblem, MAX_PROBLEMS, clip, parse_date, parse_decimal,
    parse_dyslexia_statement, parse_niveau, pupil_of, result_of,
};
use crate::domain::{Brin, DyslexiaStatement, Grade, Pupil, ReferenceScore};

/// The parsed fields of one data row.
pub(super) struct Fields {
    pub roepnaam: String,
    pub tussenvoegsel: Option<String>,
    pub achternaam: String,
    pub geboortedatum: Option<NaiveDate>,
    pub groep: Option<Grade>,
    pub toets: String,
    pub toetsonderdeel: Option<String>,
    pub afnamedatum: NaiveDate,
    pub score: Option<f64>,
    pub vaardigheidsscore: Option<f64>,
    pub niveau: Option<ReferenceScore>,
    pub percentiel: Option<ReferenceScore>,
    pub dyslexieverklaring: Option<DyslexiaStatement>,
}

/// Accumulates records and problems over the file.
pub(super) struct RowParser {
    school: Brin,
    /// Column index → (column, header text as written).
    columns: Vec<Option<Col>>,
    headers: Vec<String>,
    ignored: Vec<String>,
    pupils: Vec<(usize, Pupil)>,
    pupil_index: HashMap<String, usize>,
    results: Vec<super::TestResult>,
    result_rows: HashMap<String, usize>,
    grades: HashMap<String, Grade>,
    pub problems: Vec<CsvProblem>,
}

impl RowParser {
    pub fn new(school: Brin) -> Self {
        Self {
            school,
            columns: Vec::new(),
            headers: Vec::new(),
            ignored: Vec::new(),
            pupils: Vec::new(),
            pupil_index: HashMap::new(),
            results: Vec::new(),
            result_rows: HashMap::new(),
            grades: HashMap::new(),
            problems: Vec::new(),
        }
    }

    pub fn problem(&mut self, row: usize, column: Option<&str>, reason: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(CsvProblem {
                row,
                column: column.map(str::to_string),
                reason,
            });
        }
    }

    /// Maps the header row; unknown headers are ignored, duplicates and missing required ones are problems.
    pub fn header(&mut self, record: &ByteRecord) {
        for field in record.iter() {
            let Ok(text) = std::str::from_utf8(field) else {
                self.problem(
                    1,
                    None,
                    "de kopregel is geen geldige UTF-8; sla de export op als UTF-8".into(),
                );
                return;
            };
            let text = text.trim().to_string();
            let col = Col::from_header(&text);
            if let Some(c) = col {
                if self.columns.contains(&Some(c)) {
                    self.problem(
                        1,
                        Some(&text),
                        format!("kolom {} staat er twee keer in", c.name()),
                    );
                }
            } else if !text.is_empty() {
                self.ignored.push(text.clone());
            }
            self.columns.push(col);
            self.headers.push(text);
        }
        for required in Col::REQUIRED {
            if !self.columns.contains(&Some(required)) {
                self.problem(1, Some(required.name()), "verplichte kolom ontbreekt".into());
            }
        }
    }

    /// Validates one data row and, when it is clean, adds its pupil and result.
    pub fn data(&mut self, row: usize, record: &ByteRecord) {
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            return; // blank line or a row of only delimiters, as spreadsheets write them
        }
        if record.len() != self.columns.len() {
            self.problem(
                row,
                None,
                format!(
                    "de rij heeft {} velden, de kopregel {}",
                    record.len(),
                    self.columns.len()
                ),
            );
            return;
        }
        let mut raw: HashMap<Col, (String, &str)> = HashMap::new();
        let before = self.problems.len();
        for (i, field) in record.iter().enumerate() {
            let Some(col) = self.columns.get(i).copied().flatten() else {
                continue;
            };
            let header = self
                .headers
                .get(i)
                .map(String::as_str)
                .unwrap_or(col.name())
                .to_string();
            match std::str::from_utf8(field) {
                Ok(v) => {
                    raw.insert(col, (header, v.trim()));
                }
                Err(_) => self.problem(
                    row,
                    Some(&header),
                    "geen geldige UTF-8; sla de export op als UTF-8".into(),
                ),
            }
        }
        if self.problems.len() > before {
            return;
        }
        let Some(fields) = self.fields(row, &raw) else {
            return;
        };
        let number = raw
            .get(&Col::Leerlingnummer)
            .map(|(_, v)| *v)
            .unwrap_or_default()
            .to_string();
        self.add(row, &number, &raw, fields);
    }

    fn fields(&mut self, row: usize, raw: &HashMap<Col, (String, &str)>) -> Option<Fields> {
        let before = self.problems.len();
        let text = |p: &mut Self, col: Col, required: bool| -> Option<String> {
            match raw.get(&col) {
                Some((_, v)) if !v.is_empty() => Some((*v).to_string()),
                Some((h, _)) if required => {
                    p.problem(row, Some(h), "waarde is verplicht".into());
                    None
                }
                _ => None,
            }
        };
        let number = text(self, Col::Leerlingnummer, true);
        let roepnaam = text(self, Col::Roepnaam, true);
        let achternaam = text(self, Col::Achternaam, true);
        let tussenvoegsel = text(self, Col::Tussenvoegsel, false);
        let toets = text(self, Col::Toets, true);
        let toetsonderdeel = text(self, Col::Toetsonderdeel, false);
        let geboortedatum = self.parsed(row, raw, Col::Geboortedatum, |v| {
            parse_date(v).ok_or_else(|| "geen datum (dd-mm-jjjj of jjjj-mm-dd)".to_string())
        });
        let before_date = self.problems.len();
        let afnamedatum = self.parsed(row, raw, Col::Afnamedatum, |v| {
            parse_date(v).ok_or_else(|| format!("{:?} is geen datum (dd-mm-jjjj of jjjj-mm-dd)", clip(v)))
        });
        if afnamedatum.is_none()
            && self.problems.len() == before_date
            && let Some((h, _)) = raw.get(&Col::Afnamedatum)
        {
            self.problem(row, Some(h), "waarde is verplicht".into());
        }
        let groep = self.parsed(row, raw, Col::Groep, |v| {
            Grade::parse(v).map_err(|_| format!("{:?} is geen groep 1-8", clip(v)))
        });
        let score = self.parsed(row, raw, Col::Score, |v| match parse_decimal(v) {
            Some(x) if x >= 0.0 => Ok(x),
            _ => Err(format!("{:?} is geen score (een getal van 0 of meer)", clip(v))),
        });
        let vaardigheidsscore = self.parsed(row, raw, Col::Vaardigheidsscore, |v| {
            parse_decimal(v).ok_or_else(|| format!("{:?} is geen getal", clip(v)))
        });
        let niveau = self.parsed(row, raw, Col::Niveau, parse_niveau);
        let percentiel = self.parsed(row, raw, Col::Percentiel, |v| {
            ReferenceScore::parse("PC", v).map_err(|e| e.to_string())
        });
        let dyslexieverklaring = self
            .parsed(row, raw, Col::Dyslexieverklaring, parse_dyslexia_statement)
            .flatten();
        if self.problems.len() > before {
            return None;
        }
        if score.is_none() && vaardigheidsscore.is_none() && niveau.is_none() && percentiel.is_none() {
            self.problem(
                row,
                None,
                "de rij heeft geen score, vaardigheidsscore, niveau of percentiel".into(),
            );
            return None;
        }
        number?;
        Some(Fields {
            roepnaam: roepnaam?,
            tussenvoegsel,
            achternaam: achternaam?,
            geboortedatum,
            groep,
            toets: toets?,
            toetsonderdeel,
            afnamedatum: afnamedatum?,
            score,
            vaardigheidsscore,
            niveau,
            percentiel,
            dyslexieverklaring,
        })
    }

    /// Parses an optional column; a problem names the column (and only echoes non-personal values).
    fn parsed<T>(
        &mut self,
        row: usize,
        raw: &HashMap<Col, (String, &str)>,
        col: Col,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let (header, value) = raw.get(&col)?;
        if value.is_empty() {
            return None;
        }
        match parse(value) {
            Ok(v) => Some(v),
            Err(reason) => {
                let reason = if col.personal() {
                    "ongeldige waarde".to_string()
                } else {
                    reason
                };
                self.problem(row, Some(header), reason);
                None
            }
        }
    }

    fn add(&mut self, row: usize, number: &str, raw: &HashMap<Col, (String, &str)>, f: Fields) {
        let pupil = pupil_of(&self.school, number, &f);
        match self.pupil_index.get(number) {
            Some(&i) => {
                let (first_row, known) = &self.pupils[i];
                let first_row = *first_row;
                let diffs: Vec<Col> = [
                    (Col::Roepnaam, known.given_name != pupil.given_name),
                    (Col::Tussenvoegsel, known.surname_prefix != pupil.surname_prefix),
                    (Col::Achternaam, known.surname != pupil.surname),
                    (Col::Geboortedatum, known.birth_date != pupil.birth_date),
                ]
                .into_iter()
                .filter_map(|(c, differs)| differs.then_some(c))
                .collect();
                for c in diffs {
                    let header = raw
                        .get(&c)
                        .map(|(h, _)| h.as_str())
                        .unwrap_or(c.name())
                        .to_string();
                    self.problem(
                        row,
                        Some(&header),
                        format!("wijkt af van rij {first_row} bij hetzelfde leerlingnummer"),
                    );
                }
            }
            None => {
                self.pupil_index.insert(number.to_string(), self.pupils.len());
                self.pupils.push((row, pupil.clone()));
            }
        }
        // A dyslexieverklaring on any row of the pupil counts (rows may leave the column empty).
        if let Some(&i) = self.pupil_index.get(number)
            && let Some((_, known)) = self.pupils.get_mut(i)
            && known.dyslexia_statement.is_none()
        {
            known.dyslexia_statement = pupil.dyslexia_statement;
        }
        let result = result_of(&self.school, number, &f);
        if let Some(&first) = self.result_rows.get(&result.external_id) {
            self.problem(
                row,
                None,
                format!("dubbel resultaat: zelfde leerlingnummer, toets, toetsonderdeel en afnamedatum als rij {first}"),
            );
            return;
        }
        self.result_rows.insert(result.external_id.clone(), row);
        if let Some(g) = f.groep {
            self.grades.insert(result.external_id.clone(), g);
        }
        self.results.push(result);
    }

    pub fn finish(self) -> Result<CsvImport, CsvError> {
        if !self.problems.is_empty() {
            return Err(CsvError::Rejected(self.problems));
        }
        if self.columns.is_empty() {
            return Err(CsvError::Rejected(vec![CsvProblem {
                row: 1,
                column: None,
                reason: "the file is empty".into(),
            }]));
        }
        Ok(CsvImport {
            pupils: self.pupils.into_iter().map(|(_, p)| p).collect(),
            results: self.results,
            grades: self.grades,
            ignored_columns: self.ignored,
        })
    }
}
