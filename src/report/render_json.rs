//! `report.json`: the same figures as the CSV, with the report's header (years, reference dates,
//! threshold, schools and their ladders) and the sync health.

use super::model::BoardReport;

/// Renders the report as pretty JSON.
pub fn render(report: &BoardReport) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report)
}
