//! UWLR part of a school's sync (`[schools.uwlr]`): the LAS's `HaalLeerlinggegevens` for the
//! current school year, applied like a GKV snapshot (diff in the store, pupils of this source
//! missing from the answer marked left, nothing deleted). For a school whose LAS speaks UWLR but
//! has no GKV (ESIS, Dotcom, …).

use chrono::Utc;

use super::busy::retry_busy;
use super::engine::{StreamError, SyncEngine, SyncOptions};
use super::progress::Progress;
use super::stream::PUPILS_STREAM;
use super::summary::{StreamOutcome, StreamState};
use crate::domain::{Brin, SchoolYear, Source};
use crate::sources::uwlr::UwlrClient;
use crate::store::PageBatch;

impl SyncEngine {
    pub(crate) async fn sync_uwlr(
        &self,
        client: &UwlrClient,
        school: &Brin,
        opts: &SyncOptions,
        progress: &dyn Progress,
    ) -> StreamOutcome {
        let source = Source::Uwlr;
        progress.stream_started(source, school, PUPILS_STREAM);
        let mut outcome = StreamOutcome::new(source, school, PUPILS_STREAM);
        if let Err(e) = self.uwlr_snapshot(client, school, opts, &mut outcome).await {
            let message = e.message();
            outcome.state = if e.is_refusal() {
                let reason = format!(
                    "access refused, UWLR pupil sync stopped for this school until the key is restored: {message}"
                );
                tracing::error!(reason = %reason, "UWLR stopped");
                StreamState::Stopped { reason }
            } else {
                tracing::warn!(error = %message, "UWLR pupil data failed");
                StreamState::Failed { message }
            };
            let text = match &outcome.state {
                StreamState::Stopped { reason } => reason.clone(),
                StreamState::Failed { message } => message.clone(),
                _ => String::new(),
            };
            self.record_error(source, school, PUPILS_STREAM, &text).await;
        }
        progress.page_applied(source, school, PUPILS_STREAM, outcome.records);
        progress.stream_finished(&outcome);
        outcome
    }

    async fn uwlr_snapshot(
        &self,
        client: &UwlrClient,
        school: &Brin,
        opts: &SyncOptions,
        outcome: &mut StreamOutcome,
    ) -> Result<(), StreamError> {
        let year = SchoolYear::of_date(opts.today);
        let roster = client.leerlinggegevens(school, year).await?;
        if roster.school_year != year && !roster.pupils.is_empty() {
            return Err(StreamError::from(crate::sources::error::SourceError::Permanent(
                format!(
                    "the LAS answered for school year {}, asked for {year}",
                    roster.school_year
                ),
            )));
        }
        let now = opts.today.and_time(Utc::now().time()).and_utc();
        let s = retry_busy(|| {
            self.store.apply_snapshot(
                school,
                year,
                &roster.pupils,
                &roster.groups,
                &roster.memberships,
                now,
            )
        })
        .await?;
        tracing::info!(
            pupils = roster.pupils.len(),
            groups = roster.groups.len(),
            teachers = roster.teachers.len(),
            new = s.new,
            changed = s.changed,
            left = s.left,
            "UWLR pupil data applied"
        );
        let mut batch = PageBatch::new(Source::Uwlr, school.clone(), PUPILS_STREAM);
        batch.new_cursor = Some(format!("snapshot:{year}"));
        batch.finished = true;
        retry_busy(|| self.store.apply_page(&batch)).await?;
        outcome.pages = 1;
        outcome.records = s.new + s.changed + s.left + s.returned;
        Ok(())
    }
}
