//! Reads the store into a [`ReportInput`]: the configured schools with their ladders, and per
//! school the report facts (no names, no source ids) and the sync health per source.

use chrono::NaiveDate;

use super::model::{ReportInput, SchoolInput, SyncHealth};
use crate::domain::{Brin, SchoolYear, Source};
use crate::settings::Settings;
use crate::store::{Store, StoreError};

/// Why the report's input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The store failed.
    #[error("reading the store for the board report: {0}")]
    Store(#[from] StoreError),
    /// A school names a ladder that does not exist (settings validation prevents this).
    #[error("school {school} uses unknown care ladder {ladder:?}")]
    UnknownLadder {
        /// The school.
        school: Brin,
        /// The ladder name.
        ladder: String,
    },
    /// The reference date lies before the reported school year.
    #[error("as-of date {as_of} lies before school year {year}")]
    AsOfBeforeYear {
        /// Reference date.
        as_of: NaiveDate,
        /// School year.
        year: SchoolYear,
    },
}

/// Reads everything the report counts for the configured schools, in config order.
pub async fn collect(
    store: &dyn Store,
    settings: &Settings,
    school_year: SchoolYear,
    as_of: NaiveDate,
) -> Result<ReportInput, CollectError> {
    if as_of < school_year.first_day() {
        return Err(CollectError::AsOfBeforeYear {
            as_of,
            year: school_year,
        });
    }
    let statuses = store.stream_statuses().await?;
    let quarantine = store.quarantine_counts().await?;
    let mut schools = Vec::new();
    for s in &settings.schools {
        let ladder = settings
            .care_ladder(&s.care_ladder)
            .ok_or_else(|| CollectError::UnknownLadder {
                school: s.brin.clone(),
                ladder: s.care_ladder.clone(),
            })?;
        let mut sync = Vec::new();
        for source in Source::ALL {
            let streams: Vec<_> = statuses
                .iter()
                .filter(|st| st.school == s.brin && st.source == source)
                .collect();
            let quarantined: i64 = quarantine
                .iter()
                .filter(|q| q.school == s.brin && q.source == source)
                .map(|q| q.count)
                .sum();
            if streams.is_empty() && quarantined == 0 {
                continue;
            }
            let last_success_at = if streams.iter().any(|st| st.last_success_at.is_none()) {
                None
            } else {
                streams.iter().filter_map(|st| st.last_success_at).min()
            };
            sync.push(SyncHealth {
                source,
                last_success_at,
                failing_streams: u32::try_from(
                    streams.iter().filter(|st| st.consecutive_failures > 0).count(),
                )
                .unwrap_or(u32::MAX),
                quarantined: u64::try_from(quarantined).unwrap_or(0),
            });
        }
        schools.push(SchoolInput {
            brin: s.brin.clone(),
            name: s.name.clone(),
            ladder,
            params: settings.rules_for(&s.brin),
            pupils: store.report_pupils(&s.brin).await?,
            plans: store.report_plans(&s.brin).await?,
            signals: store.report_signals(&s.brin).await?,
            sync,
        });
    }
    Ok(ReportInput {
        board_name: settings.board.name.clone(),
        school_year,
        as_of,
        threshold: settings.report.small_count_threshold,
        grace_days: settings.report.evaluation_grace_days,
        rules: crate::rules::RULES
            .iter()
            .map(|rule| rule.id.to_owned())
            .collect(),
        schools,
    })
}
