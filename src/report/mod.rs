//! Board report (bestuursrapportage): a pseudonymised cross-school report per school year with
//! the previous year beside it. [`collect`] reads the store, [`aggregate()`] is pure and applies
//! small-cell suppression, the renderers write `report.html`, `report.csv` and `report.json`.
//! See `docs/REPORT.md` for every measure's definition.

pub mod aggregate;
pub mod collect;
pub mod model;
mod relations;
pub mod render_csv;
pub mod render_html;
pub mod render_json;
pub mod suppress;
pub mod svg;
pub mod timeliness;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

pub use aggregate::aggregate;
pub use collect::{CollectError, collect};
pub use model::{BoardReport, Figure, ReportInput, SchoolInput, SyncHealth, Unit, Value};

use crate::domain::SchoolYear;
use crate::settings::Settings;
use crate::store::Store;

/// Errors of writing or producing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the store failed.
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// Writing a file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// File that could not be written.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Serialising the JSON failed.
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
    /// Rendering the HTML template failed.
    #[error("cannot render report.html: {0}")]
    Html(#[from] askama::Error),
}

/// The three files of a written report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenReport {
    /// `report.html`.
    pub html: PathBuf,
    /// `report.csv`.
    pub csv: PathBuf,
    /// `report.json`.
    pub json: PathBuf,
}

/// Writes `report.html`, `report.csv` and `report.json` into `dir` (created if missing).
pub fn write_report(report: &BoardReport, dir: &Path) -> Result<WrittenReport, ReportError> {
    let write = |name: &str, text: String| -> Result<PathBuf, ReportError> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    Ok(WrittenReport {
        html: write("report.html", render_html::render(report)?)?,
        csv: write("report.csv", render_csv::render(report))?,
        json: write("report.json", render_json::render(report)?)?,
    })
}

/// Collects, aggregates and writes the board report for `school_year` (default: the year of
/// `as_of`) as of `as_of` into `dir`. This is what the scheduled monthly job calls; mailing the
/// files to `board.report_emails` is the job runner's part.
pub async fn report_job(
    store: &dyn Store,
    settings: &Settings,
    school_year: Option<SchoolYear>,
    as_of: NaiveDate,
    dir: &Path,
) -> Result<(BoardReport, WrittenReport), ReportError> {
    let year = school_year.unwrap_or_else(|| SchoolYear::of_date(as_of));
    let input = collect(store, settings, year, as_of).await?;
    let report = aggregate(&input);
    let written = write_report(&report, dir)?;
    tracing::info!(
        school_year = %year,
        as_of = %as_of,
        schools = report.schools.len(),
        dir = %dir.display(),
        "board report written"
    );
    Ok((report, written))
}
