//! CSV import of sociaal-emotionele metingen (issue 18 item 1) exported from ZIEN!, KanVAS or the
//! KiVa monitor. Pure: bytes in, domain records out; all-or-nothing per file. The instrument is
//! named on the command line (`--instrument zien|kanvas|kiva`); its column set is documented in
//! docs/IMPORT.md ("CSV sociaal-emotioneel"):
//!
//! - ZIEN!: one row per pupil and sitting, a column per indicator (`betrokkenheid`, `welbevinden`,
//!   `sociaal initiatief`, `sociale flexibiliteit`, `sociale autonomie`) holding its colour
//!   (`rood`, `oranje`, `groen`; empty when that indicator was not scored);
//! - KanVAS and KiVa monitor: one row per pupil, sitting and scale, with `schaal` and `categorie`.
//!
//! Every problem names its row and column in Dutch and never echoes a personal value.

use std::collections::HashMap;
use std::io::Read;

use super::{CsvError, CsvProblem, MAX_PROBLEMS, clip, detect_delimiter, parse_date};
use crate::domain::social_emotional::ZIEN_INDICATORS;
use crate::domain::{Brin, Pupil, SeInstrument, SocialEmotionalMeasurement, Source};

/// The result of a successful social-emotional import.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvSocialEmotionalImport {
    /// Pupils (by `leerlingnummer`), in order of first appearance.
    pub pupils: Vec<Pupil>,
    /// One measurement per pupil, date and scale, in file order.
    pub measurements: Vec<SocialEmotionalMeasurement>,
    /// Header names that are not part of the instrument's column set and were ignored.
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Col {
    Leerlingnummer,
    Roepnaam,
    Tussenvoegsel,
    Achternaam,
    Geboortedatum,
    Afnamedatum,
    /// KanVAS and KiVa: the scale.
    Schaal,
    /// KanVAS and KiVa: the category.
    Categorie,
    /// ZIEN!: the colour of indicator `n` of [`ZIEN_INDICATORS`].
    Indicator(usize),
}

impl Col {
    fn name(self) -> &'static str {
        match self {
            Col::Leerlingnummer => "leerlingnummer",
            Col::Roepnaam => "roepnaam",
            Col::Tussenvoegsel => "tussenvoegsel",
            Col::Achternaam => "achternaam",
            Col::Geboortedatum => "geboortedatum",
            Col::Afnamedatum => "afnamedatum",
            Col::Schaal => "schaal",
            Col::Categorie => "categorie",
            Col::Indicator(i) => ZIEN_INDICATORS.get(i).copied().unwrap_or("?"),
        }
    }

    /// The instrument's columns.
    fn all(instrument: SeInstrument) -> Vec<Col> {
        let mut cols = vec![
            Col::Leerlingnummer,
            Col::Roepnaam,
            Col::Tussenvoegsel,
            Col::Achternaam,
            Col::Geboortedatum,
            Col::Afnamedatum,
        ];
        match instrument {
            SeInstrument::Zien => cols.extend((0..ZIEN_INDICATORS.len()).map(Col::Indicator)),
            SeInstrument::Kanvas | SeInstrument::Kiva => cols.extend([Col::Schaal, Col::Categorie]),
        }
        cols
    }

    /// The columns a file must have (ZIEN!: every indicator column, possibly empty per row).
    fn required(instrument: SeInstrument) -> Vec<Col> {
        Col::all(instrument)
            .into_iter()
            .filter(|c| !matches!(c, Col::Tussenvoegsel | Col::Geboortedatum))
            .collect()
    }

    /// Columns that must be filled on every data row.
    fn filled(self) -> bool {
        matches!(
            self,
            Col::Leerlingnummer
                | Col::Roepnaam
                | Col::Achternaam
                | Col::Afnamedatum
                | Col::Schaal
                | Col::Categorie
        )
    }

    /// Matches a header case-insensitively, ignoring spaces, `_` and `-`, with a few aliases.
    fn from_header(header: &str, instrument: SeInstrument) -> Option<Col> {
        let key = compact(header);
        let alias = match key.as_str() {
            "voorvoegsel" => "tussenvoegsel".to_string(),
            "datum" | "afname" | "meetdatum" => "afnamedatum".to_string(),
            "indicator" | "schaalnaam" => "schaal".to_string(),
            "normcategorie" | "kleur" | "niveau" => "categorie".to_string(),
            other => other.to_string(),
        };
        Col::all(instrument)
            .into_iter()
            .find(|c| compact(c.name()) == alias)
    }
}

fn compact(s: &str) -> String {
    s.trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .collect()
}

/// Parses a social-emotional export of `instrument` for `school`. Every problem (up to
/// [`MAX_PROBLEMS`]) is reported, in Dutch with its row; then the whole file is rejected.
pub fn parse_social_emotional_csv<R: Read>(
    mut reader: R,
    instrument: SeInstrument,
    school: &Brin,
) -> Result<CsvSocialEmotionalImport, CsvError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| CsvError::Io(e.to_string()))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let reject = |row: usize, column: Option<&str>, reason: String| CsvProblem {
        row,
        column: column.map(str::to_string),
        reason,
    };
    let delimiter = detect_delimiter(body).ok_or_else(|| {
        CsvError::Rejected(vec![reject(
            1,
            None,
            "de kopregel heeft geen scheidingsteken ';' of ','".into(),
        )])
    })?;
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let categories = instrument.categories().join(", ");
    let mut problems: Vec<CsvProblem> = Vec::new();
    let mut columns: HashMap<Col, (usize, String)> = HashMap::new();
    let mut ignored = Vec::new();
    let mut pupils: Vec<Pupil> = Vec::new();
    let mut pupil_rows: HashMap<String, usize> = HashMap::new();
    // external id → row of the first measurement with it.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut measurements: Vec<SocialEmotionalMeasurement> = Vec::new();
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
                match Col::from_header(h, instrument) {
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
            for c in Col::required(instrument) {
                if !columns.contains_key(&c) {
                    problems.push(reject(
                        1,
                        Some(c.name()),
                        format!("verplichte kolom voor {} ontbreekt", instrument.label()),
                    ));
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
        for c in Col::required(instrument).into_iter().filter(|c| c.filled()) {
            if get(c).is_empty() {
                problems.push(reject(row, Some(&header(c)), "leeg".into()));
            }
        }
        let measured_on = parse_date(get(Col::Afnamedatum));
        if measured_on.is_none() && !get(Col::Afnamedatum).is_empty() {
            problems.push(reject(
                row,
                Some(&header(Col::Afnamedatum)),
                format!(
                    "{:?} is geen datum (dd-mm-jjjj of jjjj-mm-dd)",
                    clip(get(Col::Afnamedatum))
                ),
            ));
        }
        // (scale, category rank) of this row.
        let mut scored: Vec<(String, u8)> = Vec::new();
        let category = |col: Col, value: &str, problems: &mut Vec<CsvProblem>| {
            let rank = instrument.category_rank(value);
            if rank.is_none() {
                problems.push(reject(
                    row,
                    Some(&header(col)),
                    format!(
                        "{:?} is geen categorie van {} (verwacht: {categories})",
                        clip(value),
                        instrument.label()
                    ),
                ));
            }
            rank
        };
        match instrument {
            SeInstrument::Zien => {
                for (i, indicator) in ZIEN_INDICATORS.iter().enumerate() {
                    let v = get(Col::Indicator(i));
                    if v.is_empty() {
                        continue;
                    }
                    if let Some(rank) = category(Col::Indicator(i), v, &mut problems) {
                        scored.push(((*indicator).to_string(), rank));
                    }
                }
                if scored.is_empty() && problems.len() == before {
                    problems.push(reject(
                        row,
                        None,
                        "geen enkele ZIEN!-indicator ingevuld (betrokkenheid, welbevinden, sociaal \
                         initiatief, sociale flexibiliteit, sociale autonomie)"
                            .into(),
                    ));
                }
            }
            SeInstrument::Kanvas | SeInstrument::Kiva => {
                let schaal = get(Col::Schaal);
                let scale = instrument.scale(schaal);
                if scale.is_none() && !schaal.is_empty() {
                    problems.push(reject(
                        row,
                        Some(&header(Col::Schaal)),
                        format!(
                            "schaalnaam is langer dan {} tekens",
                            crate::domain::social_emotional::MAX_SCALE_LEN
                        ),
                    ));
                }
                let rank = match get(Col::Categorie) {
                    "" => None,
                    v => category(Col::Categorie, v, &mut problems),
                };
                if let (Some(scale), Some(rank)) = (scale, rank) {
                    scored.push((scale, rank));
                }
            }
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
        // Every row of a leerlingnummer must name the same pupil.
        let named = !number.is_empty() && !get(Col::Roepnaam).is_empty() && !get(Col::Achternaam).is_empty();
        match pupil_rows.get(&number).filter(|_| named) {
            Some(&i) if pupils[i] != pupil => {
                problems.push(reject(
                    row,
                    Some(&header(Col::Leerlingnummer)),
                    "hetzelfde leerlingnummer met een andere naam of geboortedatum dan op een eerdere regel"
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
        let Some(measured_on) = measured_on else {
            continue;
        };
        if problems.len() > before {
            continue;
        }
        for (scale, category) in scored {
            let external_id = format!(
                "csv:se:{}:{number}:{measured_on}:{}",
                instrument.as_str(),
                scale.replace(' ', "_")
            );
            if let Some(first) = seen.get(&external_id) {
                problems.push(reject(
                    row,
                    None,
                    format!(
                        "deze leerling heeft op {} al een meting van {scale} (regel {first})",
                        measured_on.format("%d-%m-%Y")
                    ),
                ));
                continue;
            }
            seen.insert(external_id.clone(), row);
            measurements.push(SocialEmotionalMeasurement {
                source: Source::Csv,
                school: school.clone(),
                external_id,
                pupil_external_id: number.clone(),
                instrument,
                scale,
                measured_on,
                category,
            });
        }
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(CsvError::Rejected(problems));
    }
    Ok(CsvSocialEmotionalImport {
        pupils,
        measurements,
        ignored_columns: ignored,
    })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn school() -> Brin {
        Brin::parse("12AB").expect("brin")
    }

    fn example(name: &str, instrument: SeInstrument) -> CsvSocialEmotionalImport {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/csv")
            .join(name);
        let file = std::fs::File::open(path).expect("example file");
        parse_social_emotional_csv(file, instrument, &school()).expect("valid")
    }

    #[test]
    fn the_zien_example_has_a_measurement_per_filled_indicator() {
        let import = example("sociaal_emotioneel_zien_voorbeeld.csv", SeInstrument::Zien);
        assert_eq!(import.pupils.len(), 2);
        // Two pupils, two sittings, five indicators; one indicator left empty.
        assert_eq!(import.measurements.len(), 19, "{:?}", import.measurements);
        let m = import
            .measurements
            .iter()
            .find(|m| {
                m.pupil_external_id == "1001"
                    && m.scale == "sociale autonomie"
                    && m.measured_on == NaiveDate::from_ymd_opt(2026, 3, 23).expect("date")
            })
            .expect("March sitting");
        assert_eq!((m.instrument, m.category_name()), (SeInstrument::Zien, "rood"));
        assert_eq!(m.external_id, "csv:se:zien:1001:2026-03-23:sociale_autonomie");
        assert!(import.ignored_columns.contains(&"groep".to_string()));
    }

    #[test]
    fn the_kanvas_and_kiva_examples_read_scale_and_category() {
        let kanvas = example("sociaal_emotioneel_kanvas_voorbeeld.csv", SeInstrument::Kanvas);
        assert_eq!(kanvas.measurements.len(), 6);
        assert!(
            kanvas
                .measurements
                .iter()
                .any(|m| m.scale == "sociale vaardigheden" && m.category_name() == "zeer laag")
        );
        let kiva = example("sociaal_emotioneel_kiva_voorbeeld.csv", SeInstrument::Kiva);
        assert_eq!(kiva.measurements.len(), 6);
        assert!(
            kiva.measurements
                .iter()
                .all(|m| m.instrument == SeInstrument::Kiva && m.is_valid())
        );
        // A ZIEN! file is no KanVAS file: its indicator columns are not read, and it lacks
        // schaal and categorie.
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/csv/sociaal_emotioneel_zien_voorbeeld.csv");
        let err = parse_social_emotional_csv(
            std::fs::File::open(path).expect("file"),
            SeInstrument::Kanvas,
            &school(),
        )
        .expect_err("wrong instrument");
        assert!(
            err.to_string()
                .contains("row 1, column schaal: verplichte kolom voor KanVAS ontbreekt"),
            "{err}"
        );
    }

    #[test]
    fn bad_rows_are_named_in_dutch_with_row_and_column_and_echo_no_personal_value() {
        let csv = "leerlingnummer;roepnaam;achternaam;geboortedatum;afnamedatum;betrokkenheid;welbevinden;\
                   sociaal initiatief;sociale flexibiliteit;sociale autonomie\n\
                   12;Ali;Jansen;01-02-2016;31-11-2026;groen;groen;groen;groen;groen\n\
                   12;Ali;Jansen;01-02-2016;02-11-2026;paars;groen;groen;groen;groen\n\
                   12;Alie;Jansen;01-02-2016;03-11-2026;groen;groen;groen;groen;groen\n\
                   13;Bo;Smit;geheim-datum;04-11-2026;groen;groen;groen;groen;groen\n\
                   14;Cas;Vos;;04-11-2026;;;;;\n\
                   15;Do;Ruis;;05-11-2026;rood;;;;\n\
                   15;Do;Ruis;;05-11-2026;oranje;;;;\n";
        let err =
            parse_social_emotional_csv(csv.as_bytes(), SeInstrument::Zien, &school()).expect_err("rejected");
        assert_eq!(err.problems().len(), 6, "{err}");
        let text = err.to_string();
        for want in [
            "row 2, column afnamedatum: \"31-11-2026\" is geen datum",
            "row 3, column betrokkenheid: \"paars\" is geen categorie van ZIEN! (verwacht: rood, oranje, groen)",
            "row 4, column leerlingnummer: hetzelfde leerlingnummer met een andere naam",
            "row 5, column geboortedatum: geen datum",
            "row 6: geen enkele ZIEN!-indicator ingevuld",
            "row 8: deze leerling heeft op 05-11-2026 al een meting van betrokkenheid (regel 7)",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        assert!(!text.contains("geheim") && !text.contains("Alie"), "{text}");
        let kiva = "leerlingnummer;roepnaam;achternaam;afnamedatum;schaal;categorie\n\
                    20;Eva;Smit;02-03-2026;gepest worden;rood\n\
                    20;Eva;Smit;02-03-2026;;goed\n";
        let err =
            parse_social_emotional_csv(kiva.as_bytes(), SeInstrument::Kiva, &school()).expect_err("kiva");
        let text = err.to_string();
        assert!(
            text.contains("row 2, column categorie: \"rood\" is geen categorie van KiVa-monitor (verwacht: zorgelijk, aandacht, goed)"),
            "{text}"
        );
        assert!(text.contains("row 3, column schaal: leeg"), "{text}");
        let missing = parse_social_emotional_csv(
            "leerlingnummer;roepnaam;achternaam;afnamedatum;betrokkenheid\n".as_bytes(),
            SeInstrument::Zien,
            &school(),
        )
        .expect_err("missing columns");
        assert!(
            missing
                .to_string()
                .contains("row 1, column welbevinden: verplichte kolom voor ZIEN! ontbreekt"),
            "{missing}"
        );
    }
}
