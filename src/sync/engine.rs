//! The sync engine: per school (bounded concurrency), GKV snapshot first, then every REST stream
//! in turn; per stream page → normalise → check → apply page and cursor in one transaction.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use futures::StreamExt;
use secrecy::SecretString;

use super::progress::Progress;
pub(crate) use super::stream::{RestStream, StreamError};
use super::summary::{StreamOutcome, StreamState, SyncSummary};
use crate::domain::{Brin, Source, Task};
use crate::sources::error::SourceError;
use crate::sources::feed::{FeedPosition, PushedTask, SourcePage};
use crate::sources::leeruniek::{LeeruniekClient, LeeruniekStream, NoteCategories};
use crate::sources::oauth::TokenSource;
use crate::sources::parnassys::{ParnassysClient, ParnassysStream};
use crate::sources::parnassys_gkv::GkvClient;
use crate::store::{PageBatch, PageSummary, RecordKind, Store, StoreError, Tombstone};

/// Drops the group notes and group plans of `batch` that retention would delete as of `before`
/// (the same rule as `OpsStore::delete_group_records_before`).
fn drop_expired_group_records(batch: &mut PageBatch, before: NaiveDate) {
    let year_start = crate::domain::SchoolYear::of_date(before).first_day();
    let start_utc = year_start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    batch
        .notes
        .retain(|n| n.pupil_external_id.is_some() || n.created_at >= start_utc);
    batch
        .plans
        .retain(|p| p.pupil_external_id.is_some() || p.end.unwrap_or(p.start) >= year_start);
}

/// Attempts for a page whose body did not decode (e.g. cut off): the HTTP layer does not retry those.
const DECODE_ATTEMPTS: u32 = 3;

/// What to sync and how.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Reset every selected cursor first and read everything (full reconcile).
    pub full: bool,
    /// Only this school.
    pub school: Option<Brin>,
    /// Only this source.
    pub source: Option<Source>,
    /// Schools synced at the same time (streams of one school run one after another).
    pub concurrency: usize,
    /// Records per page asked of the REST sources.
    pub page_size: u32,
    /// Today, for the current school year and "left on" dates.
    pub today: NaiveDate,
    /// Group notes and group plans of school years that ended before the school year of this
    /// day are not taken in: retention deletes them (`pupil_data_after_leaving`), and taking them
    /// in again from every full listing gave them new ids each week, so signals citing them
    /// changed evidence and every member of those groups counted as changed (issue 17).
    pub group_records_before: Option<NaiveDate>,
}

impl SyncOptions {
    /// Defaults: everything, incremental, 4 schools at a time, 200 per page, today.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            full: false,
            school: None,
            source: None,
            concurrency: 4,
            page_size: 200,
            today,
            group_records_before: None,
        }
    }

    /// The options every caller starts from: incremental, everything, with the configured page
    /// size (clamped to 1..=1000) and concurrency (or the default of the store's `engine`). The
    /// CLI and the daemon both build theirs here.
    pub fn from_settings(
        sync: &crate::settings::SyncSettings,
        engine: crate::store::Engine,
        today: NaiveDate,
    ) -> Self {
        Self {
            concurrency: usize::from(sync.concurrency_for(engine).max(1)),
            page_size: sync.page_size.clamp(1, 1000),
            ..Self::new(today)
        }
    }

    fn wants(&self, source: Source) -> bool {
        self.source.is_none_or(|s| s == source)
    }
}

/// Credentials of one school, per source (absent = the school does not use that source).
pub struct SchoolSources {
    /// School.
    pub brin: Brin,
    /// GKV leveranciersleutel.
    pub gkv_key: Option<SecretString>,
    /// ParnasSys REST tokens.
    pub parnassys: Option<TokenSource>,
    /// Leeruniek REST tokens.
    pub leeruniek: Option<TokenSource>,
    /// The LAS's UWLR `LeerlinggegevensService` (pupils, groups, memberships), per school.
    pub uwlr: Option<crate::sources::uwlr::UwlrClient>,
}

impl std::fmt::Debug for SchoolSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchoolSources")
            .field("brin", &self.brin)
            .field("gkv", &self.gkv_key.is_some())
            .field("parnassys", &self.parnassys.is_some())
            .field("leeruniek", &self.leeruniek.is_some())
            .field("uwlr", &self.uwlr.is_some())
            .finish()
    }
}

/// The sync engine: the store, one client per enabled source, the schools' credentials.
#[derive(Debug)]
pub struct SyncEngine {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) gkv: Option<GkvClient>,
    pub(crate) parnassys: Option<ParnassysClient>,
    pub(crate) leeruniek: Option<LeeruniekClient>,
    pub(crate) schools: Vec<SchoolSources>,
}

impl SyncEngine {
    /// An engine over explicit parts (see `from_settings` for the configured one).
    pub fn new(
        store: Arc<dyn Store>,
        gkv: Option<GkvClient>,
        parnassys: Option<ParnassysClient>,
        leeruniek: Option<LeeruniekClient>,
        schools: Vec<SchoolSources>,
    ) -> Self {
        Self {
            store,
            gkv,
            parnassys,
            leeruniek,
            schools,
        }
    }

    /// The store the engine writes to.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The ParnasSys client, if that source is enabled (task write-back uses it too).
    pub fn parnassys(&self) -> Option<&ParnassysClient> {
        self.parnassys.as_ref()
    }

    /// The Leeruniek client, if enabled.
    pub fn leeruniek(&self) -> Option<&LeeruniekClient> {
        self.leeruniek.as_ref()
    }

    /// The token source of a school for a REST source, if configured.
    pub fn tokens(&self, source: Source, school: &Brin) -> Option<&TokenSource> {
        let s = self.schools.iter().find(|s| &s.brin == school)?;
        match source {
            Source::Parnassys => s.parnassys.as_ref(),
            Source::Leeruniek => s.leeruniek.as_ref(),
            _ => None,
        }
    }

    /// Pushes a task to the system `task.target` names, with the school's own credentials;
    /// idempotent per `task.key` (a repeat returns the original task, `replayed: true`).
    pub async fn push_task(&self, task: &Task) -> Result<PushedTask, SourceError> {
        let missing = || {
            SourceError::Permanent(format!(
                "{} is not enabled or not configured for school {}",
                task.target, task.school
            ))
        };
        let tokens = self.tokens(task.target, &task.school).ok_or_else(missing)?;
        match task.target {
            Source::Parnassys => {
                self.parnassys
                    .as_ref()
                    .ok_or_else(missing)?
                    .push_task(tokens, task)
                    .await
            }
            Source::Leeruniek => {
                self.leeruniek
                    .as_ref()
                    .ok_or_else(missing)?
                    .push_task(tokens, task)
                    .await
            }
            _ => Err(missing()),
        }
    }

    /// One pass over the selected schools and sources. Never fails as a whole: every problem is
    /// in the summary and recorded on its stream.
    #[tracing::instrument(skip_all, fields(full = opts.full))]
    pub async fn run_once(&self, opts: &SyncOptions, progress: &dyn Progress) -> SyncSummary {
        // Indices, not references, as stream items: a closure over `&SchoolSources` arguments is
        // not general enough over lifetimes for the future to be `Send` in a spawned job.
        let selected: Vec<usize> = (0..self.schools.len())
            .filter(|&i| opts.school.as_ref().is_none_or(|b| *b == self.schools[i].brin))
            .collect();
        let mut per_school: Vec<(usize, Vec<StreamOutcome>)> = futures::stream::iter(selected)
            .map(|i| async move { (i, self.sync_school(&self.schools[i], opts, progress).await) })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
        per_school.sort_by_key(|(i, _)| *i);
        SyncSummary {
            streams: per_school.into_iter().flat_map(|(_, s)| s).collect(),
        }
    }

    #[tracing::instrument(skip_all, fields(school = %school.brin))]
    async fn sync_school(
        &self,
        school: &SchoolSources,
        opts: &SyncOptions,
        progress: &dyn Progress,
    ) -> Vec<StreamOutcome> {
        let mut out = Vec::new();
        let mut pupils_ok = true;
        if let (Some(gkv), Some(key)) = (&self.gkv, &school.gkv_key) {
            if opts.wants(Source::ParnassysGkv) {
                let outcome = self.sync_gkv(gkv, &school.brin, key, opts, progress).await;
                pupils_ok = outcome.state == StreamState::Ok;
                out.push(outcome);
            } else {
                // `--source parnassys` before any snapshot: every record would name an unknown pupil.
                let snapshot = self
                    .store
                    .cursor(Source::ParnassysGkv, &school.brin, super::PUPILS_STREAM)
                    .await;
                pupils_ok = matches!(snapshot, Ok(Some(_)));
            }
        }
        if let Some(client) = &school.uwlr {
            if opts.wants(Source::Uwlr) {
                let outcome = self.sync_uwlr(client, &school.brin, opts, progress).await;
                pupils_ok = pupils_ok && outcome.state == StreamState::Ok;
                out.push(outcome);
            } else {
                let snapshot = self
                    .store
                    .cursor(Source::Uwlr, &school.brin, super::PUPILS_STREAM)
                    .await;
                pupils_ok = pupils_ok && matches!(snapshot, Ok(Some(_)));
            }
        }
        if pupils_ok {
            // Records held for pupils that were unknown until now (the snapshot above, or an
            // import, added them) are applied before the streams read on.
            match super::busy::retry_busy(|| self.store.release_held(&school.brin)).await {
                Ok(r) if r.released > 0 => {
                    tracing::info!(
                        released = r.released,
                        still_held = r.still_held,
                        "held records of new pupils applied"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot apply held records"),
            }
        }
        let known: HashSet<String> = match self.store.known_pupils(&school.brin).await {
            Ok(p) => p.into_iter().map(|p| p.external_id).collect(),
            Err(e) => {
                tracing::error!(error = %e, "cannot read known pupils");
                pupils_ok = false;
                HashSet::new()
            }
        };
        let mut streams: Vec<RestStream<'_>> = Vec::new();
        if let (Some(c), Some(t)) = (&self.parnassys, &school.parnassys)
            && opts.wants(Source::Parnassys)
        {
            streams.extend(
                ParnassysStream::ALL
                    .into_iter()
                    .filter(|s| s.is_granted(t.scopes()))
                    .map(|s| RestStream::Parnassys(c, t, s)),
            );
        }
        if let (Some(c), Some(t)) = (&self.leeruniek, &school.leeruniek)
            && opts.wants(Source::Leeruniek)
        {
            streams.extend(LeeruniekStream::ALL.map(|s| RestStream::Leeruniek(c, t, s)));
        }
        let mut stopped: Option<(Source, String)> = None;
        let mut categories = NoteCategories::default();
        for stream in &streams {
            let mut outcome = StreamOutcome::new(stream.source(), &school.brin, stream.name());
            if !pupils_ok {
                outcome.state = StreamState::Skipped {
                    reason:
                        "no current pupil snapshot (GKV failed or never ran); records need their pupils first"
                            .into(),
                };
            } else if let Some((_, reason)) = stopped.as_ref().filter(|(s, _)| *s == stream.source()) {
                outcome.state = StreamState::Stopped {
                    reason: reason.clone(),
                };
                self.record_error(stream.source(), &school.brin, stream.name(), reason)
                    .await;
            } else {
                progress.stream_started(stream.source(), &school.brin, stream.name());
                let result = self
                    .sync_stream(
                        stream,
                        &school.brin,
                        &known,
                        opts,
                        &mut categories,
                        &mut outcome,
                        progress,
                    )
                    .await;
                if let Err(e) = result {
                    let message = e.message();
                    if e.is_refusal() {
                        let reason = format!(
                            "access refused, {} sync stopped for this school until credentials or consent are restored: {message}",
                            stream.source()
                        );
                        tracing::error!(source = %stream.source(), stream = stream.name(), reason = %reason, "stream stopped");
                        stopped = Some((stream.source(), reason.clone()));
                        outcome.state = StreamState::Stopped {
                            reason: reason.clone(),
                        };
                        self.record_error(stream.source(), &school.brin, stream.name(), &reason)
                            .await;
                    } else {
                        tracing::warn!(source = %stream.source(), stream = stream.name(), error = %message, "stream failed");
                        outcome.state = StreamState::Failed {
                            message: message.clone(),
                        };
                        self.record_error(stream.source(), &school.brin, stream.name(), &message)
                            .await;
                    }
                }
            }
            progress.stream_finished(&outcome);
            out.push(outcome);
        }
        out
    }

    pub(crate) async fn record_error(&self, source: Source, school: &Brin, stream: &str, message: &str) {
        if let Err(e) = self
            .store
            .record_stream_error(source, school, stream, message)
            .await
        {
            tracing::error!(error = %e, %source, stream, "cannot record the stream error");
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn sync_stream(
        &self,
        stream: &RestStream<'_>,
        school: &Brin,
        known: &HashSet<String>,
        opts: &SyncOptions,
        categories: &mut NoteCategories,
        outcome: &mut StreamOutcome,
        progress: &dyn Progress,
    ) -> Result<(), StreamError> {
        let (source, name) = (stream.source(), stream.name());
        let previous = self.store.cursor(source, school, name).await?;
        if opts.full {
            self.store.reset_cursor(source, school, name).await?;
        }
        // A stream read before may hold pages stored as they are (see `may_pass` below); on a
        // first read nothing is stored, and comparing would only cost a read per page.
        let read_before = previous.is_some();
        let stored = if opts.full { None } else { previous };
        let mut at = FeedPosition::from_stored(stored.as_deref());
        let mut checker = super::batch::PageChecker::new(known);
        // A listing from the start sees every live record: what the store holds beyond it was
        // deleted at the source without a tombstone. (A listing resumed after a crash saw only
        // part, so it reconciles nothing; the next `--full` does.)
        let mut listed: Option<HashSet<String>> = (at == FeedPosition::Start).then(HashSet::new);
        // Positions read in this run: a source that announces more pages but hands back a cursor
        // we already read from would keep us paging forever.
        let mut visited: HashSet<FeedPosition> = HashSet::from([at.clone()]);
        // Records of pages passed over as stored already, not yet counted by a written page.
        let mut unwritten = 0;
        let mut page = self
            .fetch(stream, school, &at, opts.page_size, categories)
            .await?;
        loop {
            let has_more = page.has_more;
            let next = page.next.clone();
            if let Some(listed) = listed.as_mut() {
                listed.extend(page.records.iter().filter_map(|r| r.external_id.clone()));
            }
            // After a reconciling listing, one catch-up read of the change feed: records changed
            // during the listing are listed there, so they are not taken for deleted.
            let last = !has_more && (listed.is_none() || !at.is_full_listing());
            let mut batch = checker.batch(source, school, name, stream.record_kind(), &at, page);
            batch.finished = last;
            if let Some(before) = opts.group_records_before {
                drop_expired_group_records(&mut batch, before);
            }
            if last && let Some(listed) = listed.as_ref() {
                let gone = self
                    .unlisted(source, school, stream.record_kind(), listed, &batch)
                    .await?;
                if !gone.is_empty() {
                    tracing::info!(source = %source, stream = name, count = gone.len(), "records missing from the full listing tombstoned");
                }
                batch.tombstones.extend(gone);
            }
            // A source that announces more pages but hands back a cursor we already read from.
            let no_progress = !last && has_more && !visited.insert(next.clone());
            // A full listing reads every record again, and nearly every page of it is stored as
            // it is (issue 17: the weekly reconcile was a third of a replayed year). Such a page
            // is passed over with reads only: no write lock, no cursor. The last page is always
            // written (cursor, success time, tombstones of what the listing missed), and counts
            // the passed pages' records with its own.
            let may_pass = read_before && listed.is_some() && !last;
            batch.unwritten_records = unwritten;
            let apply = async {
                if may_pass && self.store.page_is_stored(&batch).await? {
                    tracing::debug!(source = %source, stream = name, "page stored already, not written");
                    return Ok(None);
                }
                super::busy::retry_busy(|| self.store.apply_page(&batch))
                    .await
                    .map(Some)
            };
            // The next page is read while this one is written (the cursor to read from is known
            // already): the source's latency and the decoding overlap the store's write. A page
            // read ahead of a failed write is dropped; the next run reads it again.
            let (written, fetched) = if last || no_progress {
                (apply.await?, None)
            } else {
                let (written, fetched) = tokio::join!(
                    apply,
                    self.fetch(stream, school, &next, opts.page_size, categories)
                );
                (written?, Some(fetched))
            };
            // Every kind counts (the verzuim, ZIEN! and dyslexieverklaring streams counted 0).
            let records = batch.results.len()
                + batch.notes.len()
                + batch.plans.len()
                + batch.dyslexia_statements.len()
                + batch.absences.len()
                + batch.social_emotional.len()
                + batch.tombstones.len();
            let summary = match written {
                Some(summary) => {
                    unwritten = 0;
                    summary
                }
                None => {
                    unwritten += records;
                    PageSummary {
                        unchanged: records,
                        ..PageSummary::default()
                    }
                }
            };
            outcome.pages += 1;
            outcome.records += records;
            outcome.quarantined += summary.quarantined;
            outcome.held += summary.held;
            progress.page_applied(source, school, name, records);
            match fetched {
                None if no_progress => {
                    let cursor = next.to_stored().unwrap_or_default();
                    tracing::error!(source = %source, stream = name, %cursor, "paging made no progress, stream stopped");
                    return Err(SourceError::NoProgress { cursor }.into());
                }
                None => return Ok(()),
                Some(fetched) => page = fetched?,
            }
            at = next;
        }
    }

    /// Tombstones for live records of the stream that a complete listing did not return.
    async fn unlisted(
        &self,
        source: Source,
        school: &Brin,
        kind: RecordKind,
        listed: &HashSet<String>,
        batch: &PageBatch,
    ) -> Result<Vec<Tombstone>, StoreError> {
        let live = self.store.live_external_ids(source, school, kind).await?;
        Ok(live
            .into_iter()
            .filter(|id| !listed.contains(id) && !batch.tombstones.iter().any(|t| &t.external_id == id))
            .map(|external_id| Tombstone { kind, external_id })
            .collect())
    }

    async fn fetch(
        &self,
        stream: &RestStream<'_>,
        school: &Brin,
        at: &FeedPosition,
        limit: u32,
        categories: &mut NoteCategories,
    ) -> Result<SourcePage, SourceError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match stream.page(school, at, limit, categories).await {
                Err(SourceError::Decode { reason, .. }) if attempt < DECODE_ATTEMPTS => {
                    tracing::warn!(%reason, attempt, "page did not decode, reading it again");
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use secrecy::SecretString;

    use super::*;
    use crate::sources::http::{HttpClient, HttpConfig};
    use crate::sources::oauth::{ClientAuth, OAuthConfig};
    use crate::sources::test_support::{Reply, Script, serve, token_reply};
    use crate::sync::NoProgress;

    /// An engine with ParnasSys REST only (no GKV, so no snapshot is needed), whose API answers
    /// from `api` and whose token endpoint always hands out a token.
    async fn engine_against(api: Arc<Script>, config: HttpConfig) -> (SyncEngine, Brin) {
        let brin = Brin::parse("11ZW").expect("brin");
        let api_base = serve(api).await;
        let token_base = serve(Script::new([token_reply("t", 3600)])).await;
        let http = HttpClient::new("parnassys", config).expect("client");
        let tokens = TokenSource::new(
            "parnassys",
            http.reqwest(),
            OAuthConfig {
                token_url: format!("{token_base}/oauth/token"),
                client_id: "zs".into(),
                client_secret: SecretString::from("s"),
                scopes: vec![],
                skew: Duration::from_secs(10),
                auth: ClientAuth::BasicHeader,
            },
        )
        .expect("tokens");
        let store = crate::store::open("sqlite::memory:").await.expect("store");
        store.migrate().await.expect("migrate");
        let engine = SyncEngine::new(
            store,
            None,
            Some(ParnassysClient::new(http, api_base)),
            None,
            vec![SchoolSources {
                brin: brin.clone(),
                gkv_key: None,
                parnassys: Some(tokens),
                leeruniek: None,
                uwlr: None,
            }],
        );
        (engine, brin)
    }

    fn page(cursor: &str, has_more: bool) -> Reply {
        Reply::new(
            200,
            format!(r#"{{"items":[],"tombstones":[],"next_cursor":"{cursor}","has_more":{has_more}}}"#),
        )
        .header("content-type", "application/json")
    }

    #[tokio::test]
    async fn a_source_repeating_its_cursor_with_more_pages_stops_the_stream() {
        // Two good pages, then the same cursor over and over while announcing more pages.
        let api = Script::new([page("a", true), page("b", true), page("b", true)]);
        let (engine, _) = engine_against(api.clone(), HttpConfig::default()).await;
        let mut opts = SyncOptions::new(NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"));
        opts.source = Some(Source::Parnassys);
        let summary = tokio::time::timeout(Duration::from_secs(60), engine.run_once(&opts, &NoProgress))
            .await
            .expect("the sync ends instead of paging forever");
        let results = summary
            .streams
            .iter()
            .find(|s| s.stream == "results")
            .expect("results stream");
        let StreamState::Failed { message } = &results.state else {
            panic!("expected a failed stream, got {:?}", results.state)
        };
        assert!(message.contains("paging made no progress"), "{message}");
        assert!(message.contains("page:b"), "{message}");
    }

    #[tokio::test]
    async fn a_body_over_the_cap_fails_the_page_with_a_specific_error() {
        let big = format!(
            r#"{{"items":[],"tombstones":[],"next_cursor":"{}","has_more":false}}"#,
            "x".repeat(4096)
        );
        let api = Script::new([Reply::new(200, big).header("content-type", "application/json")]);
        let config = HttpConfig {
            max_response_bytes: 1024,
            ..HttpConfig::default()
        };
        let (engine, _) = engine_against(api, config).await;
        let mut opts = SyncOptions::new(NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"));
        opts.source = Some(Source::Parnassys);
        let summary = engine.run_once(&opts, &NoProgress).await;
        let results = summary
            .streams
            .iter()
            .find(|s| s.stream == "results")
            .expect("results stream");
        let StreamState::Failed { message } = &results.state else {
            panic!("expected a failed stream, got {:?}", results.state)
        };
        assert!(message.contains("exceeds the limit of 1024 bytes"), "{message}");
    }

    /// Retention deletes group notes and group plans of school years past its term; the sync
    /// must not take them in again from the next full listing (issue 17: they came back weekly
    /// with new ids, re-citing signals and marking every member of the group as changed).
    #[test]
    fn group_records_retention_would_delete_are_not_taken_in() {
        use crate::domain::{Note, PlanKind, SupportPlan};
        let brin = Brin::parse("11ZW").expect("brin");
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let plan = |id: &str, pupil: Option<&str>, start, end| SupportPlan {
            source: Source::Leeruniek,
            external_id: id.into(),
            school: brin.clone(),
            pupil_external_id: pupil.map(Into::into),
            group_external_id: pupil.is_none().then(|| "g1".into()),
            kind: PlanKind::GroupPlan,
            domain: None,
            title: "Groepsplan".into(),
            owner: None,
            care_level: None,
            start,
            end,
            evaluation_due: None,
            minutes_per_week: None,
            evaluations: vec![],
            decided_on: None,
            drawn_up_on: None,
            parents_agreed_on: None,
        };
        let note = |id: &str, pupil: Option<&str>, on: NaiveDate| Note {
            source: Source::Leeruniek,
            external_id: id.into(),
            school: brin.clone(),
            pupil_external_id: pupil.map(Into::into),
            group_external_id: pupil.is_none().then(|| "g1".into()),
            category_path: vec![],
            created_at: on.and_hms_opt(12, 0, 0).expect("time").and_utc(),
            content: "x".into(),
        };
        let mut batch = PageBatch::new(Source::Leeruniek, brin.clone(), "plans");
        batch.plans = vec![
            plan("old-group", None, d(2021, 9, 1), Some(d(2022, 7, 1))),
            plan("group-ended-this-year", None, d(2023, 9, 1), Some(d(2024, 8, 5))),
            plan("group-open", None, d(2024, 9, 1), None),
            plan("old-group-no-end", None, d(2024, 7, 1), None),
            plan("pupil", Some("p1"), d(2020, 9, 1), Some(d(2021, 1, 1))),
        ];
        batch.plans[3].start = d(2023, 10, 1);
        batch.notes = vec![
            note("old-group-note", None, d(2023, 3, 1)),
            note("group-note", None, d(2024, 8, 1)),
            note("pupil-note", Some("p1"), d(2020, 3, 1)),
        ];
        // As of 2026-10-01 with a two-year term: school year 2024-2025 and later stay.
        drop_expired_group_records(&mut batch, d(2024, 10, 1));
        let plans: Vec<&str> = batch.plans.iter().map(|p| p.external_id.as_str()).collect();
        assert_eq!(plans, ["group-ended-this-year", "group-open", "pupil"]);
        let notes: Vec<&str> = batch.notes.iter().map(|n| n.external_id.as_str()).collect();
        assert_eq!(notes, ["group-note", "pupil-note"]);
    }
}
