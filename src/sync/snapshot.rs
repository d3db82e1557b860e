//! GKV part of a school's sync: the current school year's snapshot every run, and on the first
//! run (or `--full`) every earlier year GKV lists too, so history (memberships, pupils who left)
//! is there before results arrive.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use secrecy::SecretString;

use super::busy::retry_busy;
use super::engine::{StreamError, SyncEngine, SyncOptions};
use super::progress::Progress;
use super::summary::{StreamOutcome, StreamState};
use crate::domain::{Brin, Pupil, SchoolYear, Source};
use crate::sources::parnassys_gkv::{GkvClient, YearSnapshot};
use crate::store::{PageBatch, QuarantineItem};

impl SyncEngine {
    pub(crate) async fn sync_gkv(
        &self,
        gkv: &GkvClient,
        school: &Brin,
        key: &SecretString,
        opts: &SyncOptions,
        progress: &dyn Progress,
    ) -> StreamOutcome {
        let source = Source::ParnassysGkv;
        progress.stream_started(source, school, super::PUPILS_STREAM);
        let mut outcome = StreamOutcome::new(source, school, super::PUPILS_STREAM);
        if let Err(e) = self.snapshot(gkv, school, key, opts, &mut outcome).await {
            let message = e.message();
            outcome.state = if e.is_refusal() {
                let reason = format!(
                    "access refused, GKV sync stopped for this school until the supplier key is restored: {message}"
                );
                tracing::error!(reason = %reason, "GKV stopped");
                StreamState::Stopped { reason }
            } else {
                tracing::warn!(error = %message, "GKV snapshot failed");
                StreamState::Failed { message }
            };
            let text = match &outcome.state {
                StreamState::Stopped { reason } => reason.clone(),
                StreamState::Failed { message } => message.clone(),
                _ => String::new(),
            };
            self.record_error(source, school, super::PUPILS_STREAM, &text)
                .await;
        }
        progress.page_applied(source, school, super::PUPILS_STREAM, outcome.records);
        progress.stream_finished(&outcome);
        outcome
    }

    async fn snapshot(
        &self,
        gkv: &GkvClient,
        school: &Brin,
        key: &SecretString,
        opts: &SyncOptions,
        outcome: &mut StreamOutcome,
    ) -> Result<(), StreamError> {
        let source = Source::ParnassysGkv;
        let current_year = SchoolYear::of_date(opts.today);
        let first_time = opts.full
            || self
                .store
                .cursor(source, school, super::PUPILS_STREAM)
                .await?
                .is_none();
        let current = gkv.snapshot(school, key, current_year).await?;
        let mut years: Vec<YearSnapshot> = Vec::new();
        if first_time {
            let mut earlier: Vec<SchoolYear> = current
                .known_years
                .iter()
                .copied()
                .filter(|y| *y < current_year)
                .collect();
            earlier.sort();
            earlier.dedup();
            for y in earlier {
                years.push(gkv.snapshot(school, key, y).await?);
            }
        }
        // Every pupil of every year read, the current year's record winning.
        let mut union: BTreeMap<String, Pupil> = BTreeMap::new();
        for p in years
            .iter()
            .chain(std::iter::once(&current))
            .flat_map(|y| &y.pupils)
        {
            union.insert(p.external_id.clone(), p.clone());
        }
        let enrolled: std::collections::HashSet<&str> =
            current.pupils.iter().map(|p| p.external_id.as_str()).collect();
        let known: HashMap<String, Option<chrono::NaiveDate>> = self
            .store
            .known_pupils(school)
            .await?
            .into_iter()
            .map(|k| (k.external_id, k.left_on))
            .collect();
        for p in union.values_mut() {
            if p.left_on.is_none() && !enrolled.contains(p.external_id.as_str()) {
                // Listed in an earlier year only: left, on the date we first noticed.
                p.left_on = Some(known.get(&p.external_id).copied().flatten().unwrap_or(opts.today));
            }
        }
        let pupils: Vec<Pupil> = union.into_values().collect();
        // "Left on" dates follow the run's notion of today (tests pin it), at the time of day now.
        let mut changed = 0;
        let now = opts.today.and_time(Utc::now().time()).and_utc();
        for y in years.iter().chain(std::iter::once(&current)) {
            let s = retry_busy(|| {
                self.store
                    .apply_snapshot(school, y.year, &pupils, &y.groups, &y.memberships, now)
            })
            .await?;
            tracing::debug!(year = %y.year, new = s.new, changed = s.changed, left = s.left, "snapshot applied");
            changed += s.new + s.changed + s.left + s.returned;
        }
        let mut batch = PageBatch::new(source, school.clone(), super::PUPILS_STREAM);
        for y in years.iter().chain(std::iter::once(&current)) {
            for r in &y.rejected {
                batch.quarantine.push(QuarantineItem {
                    source,
                    school: school.clone(),
                    stream: super::PUPILS_STREAM.to_owned(),
                    external_id: r.external_id.clone().map(|id| format!("{}:{id}", r.kind)),
                    raw: r.raw.clone(),
                    reason: r.reason.clone(),
                });
            }
        }
        batch.new_cursor = Some(format!("snapshot:{current_year}"));
        batch.finished = true;
        let applied = retry_busy(|| self.store.apply_page(&batch)).await?;
        outcome.pages = years.len() + 1;
        // Pupils that were new, changed, left or came back (an unchanged snapshot applies nothing).
        outcome.records = changed;
        outcome.quarantined = applied.quarantined;
        Ok(())
    }
}
