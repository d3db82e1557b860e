//! Body of `zorgsignaal report board`: writes the board report (HTML, CSV, JSON) for a school
//! year as of a date into a directory.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::app::{open_store, today_amsterdam};
use crate::domain::SchoolYear;
use crate::report::report_job;
use crate::settings::Settings;

/// `zorgsignaal report board`: the year defaults to the one `as_of` (default today) falls in, the
/// directory to `report.output_dir`.
pub async fn report_board(
    settings: &Settings,
    school_year: Option<SchoolYear>,
    as_of: Option<NaiveDate>,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let as_of = match (as_of, school_year) {
        (Some(d), _) => d,
        // A past year is reported as it stood at its end.
        (None, Some(y)) => today_amsterdam().min(y.last_day()),
        (None, None) => today_amsterdam(),
    };
    let dir = out.unwrap_or(&settings.report.output_dir);
    let store = open_store(settings).await.context("opening the store")?;
    let outcome = report_job(store.as_ref(), settings, school_year, as_of, dir).await;
    store.close().await;
    let (report, written) = outcome.context("writing the board report")?;
    println!(
        "Bestuursrapportage {} (peildatum {}) geschreven: {}, {}, {}",
        report.school_year,
        report.as_of,
        written.html.display(),
        written.csv.display(),
        written.json.display()
    );
    Ok(ExitCode::SUCCESS)
}
