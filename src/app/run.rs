//! `zorgsignaal run`: the daemon. One store, one sync engine, one mailer, built once; the
//! scheduler (cron ticks only enqueue), the job runner, the outbox drainer, a metrics refresher
//! and the HTTP API run under one cancellation token. SIGTERM/SIGINT cancel it; each loop finishes
//! its unit of work and the process stops within the shutdown deadline. Crash safety does not
//! depend on that: every unit of work is a transaction, so `kill -9` loses nothing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::evaluate::{HistoryCache, Scope, evaluate_schools_cached};
use super::open_store;
use crate::actions::mail::{
    Mailer, SentInfo, send_board_report, send_digests, send_directie_escalations, send_urgent_for,
};
use crate::actions::outbox::{OutboxPolicy, OutboxWorker};
use crate::api::{AppState, serve};
use crate::domain::{Brin, Source};
use crate::schedule::{
    Clock, JOB_BOARD_REPORT, JOB_DIGEST, JOB_EVALUATE, JOB_FULL_RECONCILE, JOB_GKV_SNAPSHOT, JOB_RETENTION,
    JOB_SYNC, JobFailure, RetryPolicy, Runner, Scheduler, SchedulerOptions, interval_slot, job_part,
};
use crate::settings::Settings;
use crate::store::{OutboxStatus, SchoolLock, Store, lease_holder_is_gone, new_lease_holder};
use crate::sync::{NoProgress, SyncEngine, SyncOptions};

/// How long a graceful stop may take before the remaining work is abandoned (it is crash-safe).
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(20);

/// Everything the daemon's loops share, built once. `zorgsignaal simulate` builds the same with a
/// manual clock.
pub(crate) struct Daemon {
    pub(crate) settings: Arc<Settings>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) engine: Arc<SyncEngine>,
    pub(crate) mailer: Option<Arc<Mailer>>,
    /// Where the jobs read "now" and "today" (the scheduler's clock).
    pub(crate) clock: Clock,
    /// Per school (BRIN): day of this daemon's last evaluation of every pupil, and start of its
    /// last evaluation run. Per school because schools are evaluated in runs of their own, by
    /// whichever daemon claims them; a school this daemon has not evaluated today is evaluated
    /// whole. The inner lock keeps two runs of one school in this process one after the other.
    evaluated: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<EvaluatedState>>>>,
    /// Held while mail goes out: the digest (all schools) and a school's urgent mail never
    /// check-and-send at the same time in this process, now that job runs run side by side.
    mailing: tokio::sync::Mutex<()>,
    /// One lock per school (BRIN): this daemon's runs of one school (its sync, full reconcile,
    /// snapshot and evaluation, of any slot) go one after another, as they did when the runner
    /// ran one job at a time. Not across daemons: see docs/OPERATIONS.md §8.4.
    school_locks: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Every mail the jobs sent, when someone listens (the simulation's figures).
    pub(crate) sent: Option<Arc<std::sync::Mutex<Vec<SentInfo>>>>,
    /// This instance's lease-holder id (`host:pid:random`, made once at start): job runs and
    /// outbox rows it claims carry it, and only it may finish them.
    pub(crate) holder: String,
}

impl Daemon {
    /// The daemon's shared parts.
    pub(crate) fn new(
        settings: Arc<Settings>,
        store: Arc<dyn Store>,
        engine: Arc<SyncEngine>,
        mailer: Option<Arc<Mailer>>,
        clock: Clock,
    ) -> Self {
        Self {
            settings,
            store,
            engine,
            mailer,
            clock,
            evaluated: std::sync::Mutex::new(std::collections::HashMap::new()),
            mailing: tokio::sync::Mutex::new(()),
            school_locks: std::sync::Mutex::new(std::collections::HashMap::new()),
            sent: None,
            holder: new_lease_holder(),
        }
    }

    fn observe(&self, summary: &crate::actions::mail::SendSummary) {
        if let Some(sent) = &self.sent {
            sent.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(summary.mails.iter().cloned());
        }
    }

    /// Evaluates one school. The first evaluation of a day (by this daemon) covers every pupil
    /// (date-based rules move with the date); later ones only pupils whose data changed since
    /// this daemon's previous run for the school started. A run of another daemon in between
    /// does not matter: the changes since this daemon's last start are evaluated again, which is
    /// idempotent.
    async fn evaluate(
        &self,
        school: &Brin,
    ) -> Result<Vec<super::evaluate::SchoolEvaluationSummary>, JobFailure> {
        let state = self
            .evaluated
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(school.to_string())
            .or_default()
            .clone();
        let mut evaluated = state.lock().await;
        // "Started" is compared with the store's change stamps, which follow the system clock.
        let (today, started) = (self.clock.today_amsterdam(), Utc::now());
        let scope = match (evaluated.day, evaluated.started) {
            (Some(day), Some(last)) if day == today => Scope::ChangedSince(last),
            _ => Scope::AllPupils,
        };
        let at = super::evaluate::Moment {
            as_of: today,
            now: self.clock.now(),
        };
        let summaries = evaluate_schools_cached(
            self.store.as_ref(),
            &self.settings,
            Some(school),
            at,
            scope,
            &mut evaluated.histories,
        )
        .await
        .map_err(|e| JobFailure(format!("evaluate: {e}")))?;
        if scope == Scope::AllPupils {
            evaluated.day = Some(today);
        }
        evaluated.started = Some(started);
        Ok(summaries)
    }

    /// Forgets the histories read so far (after retention deleted rows without a change stamp).
    async fn forget_histories(&self) {
        let states: Vec<Arc<tokio::sync::Mutex<EvaluatedState>>> = self
            .evaluated
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for state in states {
            state.lock().await.histories.clear();
        }
    }
}

/// What the daemon remembers of its evaluations of one school.
#[derive(Debug, Default)]
struct EvaluatedState {
    /// Day of the last evaluation of every pupil.
    day: Option<chrono::NaiveDate>,
    /// Start of the last evaluation run.
    started: Option<chrono::DateTime<Utc>>,
    /// The histories as last read.
    histories: HistoryCache,
}

/// Runs the daemon until `shutdown` is cancelled. `listener` is the API's (port 0 in tests).
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    metrics: Option<PrometheusHandle>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let settings = Arc::new(settings);
    let store = open_store(&settings).await.context("opening the store")?;
    let engine =
        Arc::new(SyncEngine::from_settings(&settings, store.clone()).context("building the sync engine")?);
    let mailer = if settings.mail.enabled {
        Some(Arc::new(
            Mailer::from_settings(&settings.mail).context("building the mailer")?,
        ))
    } else {
        None
    };
    let daemon = Arc::new(Daemon::new(
        settings.clone(),
        store.clone(),
        engine,
        mailer,
        Clock::System,
    ));
    let scheduler = Scheduler::from_settings(&settings.schedule, SchedulerOptions::default())
        .context("reading the schedules")?;
    let runner = runner(&daemon);
    let state = AppState::from_settings(store.clone(), &settings, metrics);

    let tracker = TaskTracker::new();
    {
        let (store, token) = (store.clone(), shutdown.clone());
        tracker.spawn(async move { scheduler.run(store.as_ref(), Clock::System, token).await });
    }
    {
        let (store, token) = (store.clone(), shutdown.clone());
        tracker.spawn(async move { runner.run(store.as_ref(), Clock::System, token).await });
    }
    {
        let (d, token) = (daemon.clone(), shutdown.clone());
        tracker.spawn(async move { outbox_loop(&d, token).await });
    }
    {
        let (d, token) = (daemon.clone(), shutdown.clone());
        tracker.spawn(async move { metrics_loop(&d, token).await });
    }
    let api_token = shutdown.clone();
    tracker.spawn(async move {
        if let Err(e) = serve(listener, state, api_token.clone()).await {
            tracing::error!(error = %e, "API server stopped");
            api_token.cancel();
        }
    });
    tracker.close();
    tracing::info!(schools = settings.schools.len(), "daemon running");
    shutdown.cancelled().await;
    tracing::info!(deadline_s = SHUTDOWN_DEADLINE.as_secs(), "shutting down");
    if tokio::time::timeout(SHUTDOWN_DEADLINE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("shutdown deadline passed; abandoning running work (it is crash-safe)");
    }
    store.close().await;
    Ok(())
}

/// The job handlers: sync (REST streams), full reconcile, roll snapshot, evaluate (after each),
/// digest, retention, board report. Each is one function below; this only registers them.
///
/// Sync, full reconcile, roll snapshot and evaluate are fanned out per school: the scheduled run
/// enqueues `sync:<BRIN>` for every configured school at its slot, and each school's sync enqueues
/// that school's `evaluate:<BRIN>`. Every daemon on the database claims school runs, up to
/// `sync.concurrency` at once, so several daemons share a sync (docs/OPERATIONS.md §8.4).
pub(crate) fn runner(d: &Arc<Daemon>) -> Runner {
    const REST: &[Source] = &[Source::Parnassys, Source::Leeruniek];
    // The weekday roll snapshot: GKV and, for schools on UWLR (issue 12), the LAS's
    // `HaalLeerlinggegevens`.
    const ROLL: &[Source] = &[Source::ParnassysGkv, Source::Uwlr];
    let schools: Vec<String> = d.settings.schools.iter().map(|s| s.brin.to_string()).collect();
    Runner::new(d.holder.clone())
        .with_lease(d.settings.schedule.job_lease)
        .with_parallel(usize::from(d.settings.sync.concurrency_for(d.store.engine())))
        .with_default_follow_ups()
        .with_fan_out(JOB_SYNC, schools.clone())
        .with_fan_out(JOB_FULL_RECONCILE, schools.clone())
        .with_fan_out(JOB_GKV_SNAPSHOT, schools.clone())
        .with_fan_out(JOB_EVALUATE, schools)
        .with_handler(JOB_SYNC, per_school(d, |d, b| sync_job(d, b, REST, false)))
        .with_handler(
            JOB_FULL_RECONCILE,
            per_school(d, |d, b| sync_job(d, b, REST, true)),
        )
        .with_handler(
            JOB_GKV_SNAPSHOT,
            per_school(d, |d, b| sync_job(d, b, ROLL, false)),
        )
        .with_handler(JOB_EVALUATE, per_school(d, evaluate_job))
        .with_handler(JOB_DIGEST, on(d, digest_job))
        .with_handler(JOB_RETENTION, on(d, retention_job))
        .with_handler(JOB_BOARD_REPORT, on(d, board_report_job))
        // What does not come back within the hour is tried again: a failed weekly full
        // reconcile would otherwise wait a week, a daily roll or digest a day, the board report
        // a month.
        .with_retries(
            &[
                JOB_FULL_RECONCILE,
                JOB_GKV_SNAPSHOT,
                JOB_RETENTION,
                JOB_DIGEST,
                JOB_BOARD_REPORT,
            ],
            RetryPolicy {
                retries: d.settings.schedule.job_retries,
                delay: d.settings.schedule.job_retry_delay,
            },
        )
}

/// A handler that runs `job` on the daemon's shared parts (the job run itself carries nothing the
/// jobs need: each works as of the clock's today).
fn on<R, F, Fut>(d: &Arc<Daemon>, job: F) -> impl Fn(R) -> Fut + Send + Sync + 'static
where
    F: Fn(Arc<Daemon>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobFailure>> + Send + 'static,
{
    let d = d.clone();
    move |_run| job(d.clone())
}

/// A handler of a school's part of a fanned-out job (`sync:11ZW`): runs `job` for that school.
/// A part that names no configured school (the configuration changed since it was enqueued)
/// fails with a message instead of touching anything.
fn per_school<F, Fut>(
    d: &Arc<Daemon>,
    job: F,
) -> impl Fn(crate::store::JobRun) -> std::pin::Pin<Box<dyn Future<Output = Result<(), JobFailure>> + Send>>
+ Send
+ Sync
+ 'static
where
    F: Fn(Arc<Daemon>, Brin) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobFailure>> + Send + 'static,
{
    let d = d.clone();
    move |run| {
        let school = job_part(&run.job)
            .1
            .and_then(|part| Brin::parse(part).ok())
            .filter(|b| d.settings.school(b).is_some());
        match school {
            Some(school) => {
                let lock = d
                    .school_locks
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(school.to_string())
                    .or_default()
                    .clone();
                let work = job(d.clone(), school.clone());
                let url = d.settings.store.url.clone();
                Box::pin(async move {
                    let _school = lock.lock().await;
                    // Across daemons too: two runs of one school (the evaluations after a sync
                    // and after the full reconcile) on two daemons would both mail its IBs.
                    let shared = SchoolLock::acquire(url.expose(), &school)
                        .await
                        .map_err(|e| JobFailure(format!("locking school {school}: {e}")))?;
                    let outcome = work.await;
                    shared.release().await;
                    outcome
                })
            }
            None => {
                let job = run.job.clone();
                Box::pin(async move { Err(JobFailure(format!("{job}: not a configured school's run"))) })
            }
        }
    }
}

/// Sync of one school: reads `sources` one after another (the half-hourly sync the REST
/// streams, the weekday roll snapshot GKV and UWLR; `full` reads them whole to notice deletions);
/// after a REST sync the full reconcile of the current `sync.full_reconcile_interval` is
/// enqueued.
async fn sync_job(
    d: Arc<Daemon>,
    school: Brin,
    sources: &'static [Source],
    full: bool,
) -> Result<(), JobFailure> {
    let mut failed = 0;
    for source in sources {
        let opts = SyncOptions {
            source: Some(*source),
            school: Some(school.clone()),
            full,
            group_records_before: crate::app::retention::group_records_before(
                &d.settings,
                d.clock.today_amsterdam(),
            ),
            ..SyncOptions::from_settings(&d.settings.sync, d.store.engine(), d.clock.today_amsterdam())
        };
        let summary = d.engine.run_once(&opts, &NoProgress).await;
        metrics::counter!("zorgsignaal_sync_records_total", "source" => source.as_str())
            .increment(summary.records() as u64);
        failed += summary.streams.iter().filter(|s| s.is_failure()).count();
    }
    if failed > 0 {
        return Err(JobFailure(format!("sync of {school}: {failed} stream(s) failed")));
    }
    if !full && sources.contains(&Source::Parnassys) {
        enqueue_full_reconcile(d.store.as_ref(), &d.settings, d.clock.now()).await;
    }
    Ok(())
}

/// Evaluate one school: runs the rules (findings per rule as gauges), then mails what is urgent
/// about that school.
async fn evaluate_job(d: Arc<Daemon>, school: Brin) -> Result<(), JobFailure> {
    let summaries = d.evaluate(&school).await?;
    for s in &summaries {
        for (rule, n) in &s.findings_per_rule {
            metrics::gauge!("zorgsignaal_rule_findings", "rule" => rule.clone(), "school" => s.school.clone())
                .set(*n as f64);
        }
    }
    if let Some(mailer) = &d.mailer {
        let _mailing = d.mailing.lock().await;
        let sent = send_urgent_for(d.store.as_ref(), &d.settings, &school, mailer, d.clock.now())
            .await
            .map_err(|e| JobFailure(format!("urgent mail: {e}")))?;
        d.observe(&sent);
        metrics::counter!("zorgsignaal_mails_sent_total", "kind" => "urgent").increment(sent.sent as u64);
    }
    Ok(())
}

/// Digest: the IB digests, then the escalations to the directie (by mail, never into the
/// pupil's file). Nothing without a mailer.
async fn digest_job(d: Arc<Daemon>) -> Result<(), JobFailure> {
    let Some(mailer) = &d.mailer else { return Ok(()) };
    let _mailing = d.mailing.lock().await;
    let sent = send_digests(d.store.as_ref(), &d.settings, mailer, d.clock.now())
        .await
        .map_err(|e| {
            metrics::counter!("zorgsignaal_mail_failures_total").increment(1);
            JobFailure(format!("digest: {e}"))
        })?;
    d.observe(&sent);
    metrics::counter!("zorgsignaal_mails_sent_total", "kind" => "digest").increment(sent.sent as u64);
    let directie = send_directie_escalations(d.store.as_ref(), &d.settings, mailer, d.clock.now())
        .await
        .map_err(|e| {
            metrics::counter!("zorgsignaal_mail_failures_total").increment(1);
            JobFailure(format!("directie mail: {e}"))
        })?;
    metrics::counter!("zorgsignaal_mails_sent_total", "kind" => "directie").increment(directie.sent as u64);
    Ok(())
}

/// Retention: deletes what has passed its term and logs the counts (never names).
async fn retention_job(d: Arc<Daemon>) -> Result<(), JobFailure> {
    let outcome = crate::app::retention::run_retention(
        d.store.as_ref(),
        &d.settings,
        d.mailer.as_deref(),
        d.clock.today_amsterdam(),
        d.clock.now(),
    )
    .await;
    // Retention deletes pupils and group records outright (no change stamp): after it did (or
    // failed half-way) the next evaluation reads the histories whole.
    if outcome
        .as_ref()
        .map_or(true, |o| o.pupils > 0 || o.group_records > 0)
    {
        d.forget_histories().await;
    }
    let outcome = outcome.map_err(|e| JobFailure(format!("retention: {e}")))?;
    let deleted = outcome.pupils;
    metrics::counter!("zorgsignaal_retention_deleted_pupils_total").increment(deleted as u64);
    tracing::info!(
        deleted,
        group_records = outcome.group_records,
        quarantine = outcome.pruned.quarantine,
        held = outcome.pruned.held,
        audit = outcome.pruned.audit,
        jobs = outcome.pruned.jobs,
        mail_log = outcome.pruned.mail_log,
        mail_files = outcome.mail_files,
        "retention run"
    );
    Ok(())
}

/// Board report: writes it into a directory per day, then mails it when a mailer is configured.
async fn board_report_job(d: Arc<Daemon>) -> Result<(), JobFailure> {
    let today = d.clock.today_amsterdam();
    let dir = d.settings.report.output_dir.join(today.to_string());
    let (report, written) = crate::report::report_job(d.store.as_ref(), &d.settings, None, today, &dir)
        .await
        .map_err(|e| JobFailure(format!("board report: {e}")))?;
    let Some(mailer) = &d.mailer else { return Ok(()) };
    let sent = send_board_report(
        d.store.as_ref(),
        mailer,
        &d.settings,
        &report,
        &written,
        d.clock.now(),
    )
    .await
    .map_err(|e| {
        metrics::counter!("zorgsignaal_mail_failures_total").increment(1);
        JobFailure(format!("board report mail: {e}"))
    })?;
    metrics::counter!("zorgsignaal_mails_sent_total", "kind" => "board_report").increment(sent as u64);
    Ok(())
}

/// Enqueues the full reconcile of the current `sync.full_reconcile_interval` slot; the job table
/// keeps one per slot, so this is a no-op after the first sync of each interval.
pub(crate) async fn enqueue_full_reconcile(
    store: &dyn Store,
    settings: &Settings,
    now: chrono::DateTime<Utc>,
) -> bool {
    let slot = interval_slot(now, settings.sync.full_reconcile_interval);
    match store.enqueue_job(JOB_FULL_RECONCILE, slot).await {
        Ok(true) => {
            tracing::info!(slot = %slot, "full reconcile of the REST sources enqueued");
            true
        }
        Ok(false) => false,
        Err(e) => {
            tracing::warn!(error = %e, "enqueueing the full reconcile failed; the next sync tries again");
            false
        }
    }
}

/// Drains the outbox continuously: every few seconds, and at once again while work is found.
async fn outbox_loop(d: &Daemon, shutdown: CancellationToken) {
    // Rows whose lease ran out, or whose holder is provably dead (a predecessor killed on this
    // machine), go back to the queue at once. A live lease is another running daemon's: it stays.
    let me = d.holder.clone();
    match d
        .store
        .release_outbox_leases(Utc::now(), &|holder| lease_holder_is_gone(holder, &me))
        .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            released = n,
            "outbox rows of a dead or expired lease back in the queue"
        ),
        Err(e) => tracing::warn!(error = %e, "releasing outbox leases failed"),
    }
    tracing::info!(holder = %d.holder, "outbox worker started");
    let policy = OutboxPolicy::from_settings(&d.settings.outbox);
    let worker = OutboxWorker::new(d.store.clone(), d.engine.clone(), policy)
        .with_holder(d.holder.clone())
        .with_stop(shutdown.clone());
    while !shutdown.is_cancelled() {
        let pause = match worker.drain_once(Utc::now()).await {
            Ok(s) if s.sent + s.retried + s.parked > 0 => Duration::ZERO,
            Ok(_) => Duration::from_secs(5),
            Err(e) => {
                tracing::warn!(error = %e, "outbox drain failed; retrying");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// Refreshes the gauges that describe the store (sync lag, quarantine, outbox, what this
/// instance holds) every 30 s.
async fn metrics_loop(d: &Daemon, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(e) = refresh_gauges(d.store.as_ref(), &d.holder).await {
            tracing::warn!(error = %e, "metrics refresh failed");
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
    }
}

async fn refresh_gauges(store: &dyn Store, holder: &str) -> Result<(), crate::store::StoreError> {
    let now = Utc::now();
    for s in store.stream_statuses().await? {
        let labels = [
            ("source", s.source.as_str().to_owned()),
            ("school", s.school.to_string()),
            ("stream", s.stream.clone()),
        ];
        if let Some(ok) = s.last_success_at {
            metrics::gauge!("zorgsignaal_sync_lag_seconds", &labels).set((now - ok).num_seconds() as f64);
        }
        metrics::gauge!("zorgsignaal_sync_stream_records", &labels).set(s.records as f64);
        metrics::gauge!("zorgsignaal_quarantine_records", &labels).set(s.quarantined as f64);
        metrics::gauge!("zorgsignaal_sync_consecutive_failures", &labels).set(s.consecutive_failures as f64);
    }
    // Counted by the store: a tick never loads the outbox rows themselves.
    let counts = store.outbox_counts().await?;
    for status in [
        OutboxStatus::Pending,
        OutboxStatus::InFlight,
        OutboxStatus::Parked,
    ] {
        metrics::gauge!("zorgsignaal_outbox_items", "status" => status.as_str())
            .set(counts.get(status) as f64);
    }
    // What this instance holds (several daemons on one database: each shows its own share).
    let held = store.held_leases(holder).await?;
    metrics::gauge!("zorgsignaal_job_runs_held", "holder" => holder.to_owned()).set(held.job_runs as f64);
    metrics::gauge!("zorgsignaal_outbox_rows_held", "holder" => holder.to_owned())
        .set(held.outbox_rows as f64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn settings(interval: &str) -> Settings {
        Settings::from_toml_str(&format!(
            "[board]\nname = \"B\"\n[pseudonymisation]\nkey = \"0123456789abcdef-test\"\n\
             [[schools]]\nbrin = \"11ZW\"\nname = \"A\"\ncare_ladder = \"abcd\"\nib_emails = [\"ib@a.nl\"]\n\
             [sync]\nfull_reconcile_interval = \"{interval}\"\npage_size = 50\nconcurrency = 3\n"
        ))
        .expect("settings")
    }

    #[tokio::test]
    async fn the_full_reconcile_is_enqueued_once_per_configured_interval() {
        let store = crate::store::open("sqlite::memory:").await.expect("store");
        store.migrate().await.expect("migrate");
        let s = settings("7days");
        let at = |d: u32, h: u32| Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).single().expect("time");
        // The first sync of an interval enqueues it; every later sync of that interval, on this
        // daemon or another sharing the store, finds it there.
        assert!(enqueue_full_reconcile(store.as_ref(), &s, at(2, 8)).await);
        assert!(!enqueue_full_reconcile(store.as_ref(), &s, at(2, 9)).await);
        assert!(!enqueue_full_reconcile(store.as_ref(), &s, at(4, 9)).await);
        // Seven days later the next interval has begun.
        assert!(enqueue_full_reconcile(store.as_ref(), &s, at(9, 9)).await);
        let run = store
            .claim_job(at(9, 10), "w")
            .await
            .expect("claim")
            .expect("due");
        assert_eq!(run.job, JOB_FULL_RECONCILE);
        // A daily interval: a new run each day.
        let daily = settings("1day");
        assert!(enqueue_full_reconcile(store.as_ref(), &daily, at(20, 8)).await);
        assert!(enqueue_full_reconcile(store.as_ref(), &daily, at(21, 8)).await);
    }

    #[test]
    fn sync_options_come_from_the_settings() {
        let s = settings("7days");
        let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let opts = SyncOptions::from_settings(&s.sync, crate::store::Engine::Sqlite, today);
        assert_eq!((opts.page_size, opts.concurrency, opts.full), (50, 3, false));
        assert_eq!(opts.today, today);
        // Unset, the engine decides: SQLite has one writer.
        let unset = crate::settings::SyncSettings::default();
        let on = |engine| SyncOptions::from_settings(&unset, engine, today).concurrency;
        assert_eq!(
            (
                on(crate::store::Engine::Sqlite),
                on(crate::store::Engine::Postgres)
            ),
            (1, 4)
        );
    }
}
