//! `report.csv`: one row per school × measure × school year, machine-friendly: `school` is the
//! BRIN or `BESTUUR`, `value` a plain number, `<5` (primary suppression), `x` (hidden against
//! subtraction) or empty (not published).

use super::model::{BoardReport, Value};

/// Renders the CSV (header `school,school_name,measure,school_year,value`).
pub fn render(report: &BoardReport) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail; a failed record is skipped rather than aborting the report.
    let _ = w.write_record(["school", "school_name", "measure", "school_year", "value"]);
    for f in &report.figures {
        let name = match &f.unit {
            super::Unit::School(b) => report
                .schools
                .iter()
                .find(|s| &s.brin == b)
                .map_or("", |s| s.name.as_str()),
            super::Unit::Board => report.board_name.as_str(),
        };
        let value = match f.value {
            Value::None => String::new(),
            v => v.to_string(),
        };
        let _ = w.write_record([
            f.unit.code(),
            name,
            &f.measure,
            &f.school_year.to_string(),
            &value,
        ]);
    }
    for (brin, h) in &report.sync {
        let name = report
            .schools
            .iter()
            .find(|s| &s.brin == brin)
            .map_or("", |s| s.name.as_str());
        let year = report.school_year.to_string();
        let last = h.last_success_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        let src = h.source.as_str();
        let _ = w.write_record([
            brin.as_str(),
            name,
            &format!("sync_last_success:{src}"),
            &year,
            &last,
        ]);
        let q = h.quarantined.to_string();
        let _ = w.write_record([brin.as_str(), name, &format!("sync_quarantined:{src}"), &year, &q]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
