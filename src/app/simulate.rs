//! `zorgsignaal simulate`: replays a period day by day on a generated board, with no waiting, and
//! measures the signal economy (issue 17). The board is generated once up to the last day; the
//! mock servers run in-process on loopback and their reference date moves with the simulated day
//! (`mocks::Timeline`: results appear on their date, plans and evaluations on theirs, pupils
//! arrive and leave). The daemon's own jobs — sync, GKV snapshot, evaluate, digests, retention,
//! board report — and the outbox drain run on their schedules, read by the scheduler on a manual
//! clock that steps from one fire time to the next; the mock test publisher delivers the
//! ESIS-like school's results to the UWLR endpoint at midnight of their test date (issue 12).
//! Mails go to `.eml` files in the data dir.
//! The same arguments give the same mails and the same figures.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::Amsterdam;
use mocks::{Expected, GenParams, MockBoard, MockConfig, Timeline};
use serde_json::{Value, json};

use super::demo::demo_config_toml;
use super::open_store;
use super::publisher::MockPublishers;
use super::run::{Daemon, runner};
use crate::actions::mail::{MailKind, Mailer, SentInfo, school_quiet_reason};
use crate::actions::outbox::{OutboxPolicy, OutboxWorker};
use crate::domain::HolidayRegion;
use crate::rules::engine::{TASKS_NOT_SIGNALS, is_discussion_point};
use crate::rules::finding::origin_rule;
use crate::schedule::{Clock, Scheduler, SchedulerOptions};
use crate::settings::{CalendarSettings, Holiday, SchoolSettings, Settings};
use crate::store::{OutboxFilter, OutboxStatus, SignalFilter};
use crate::sync::SyncEngine;

/// The simulation's sync schedule: the mock's data changes once a day (at midnight, when the
/// reference date moves), so the daemon's 22 half-hourly runs would fetch nothing new after the
/// first; three runs a school day keep the year within minutes and still pick up pushed tasks.
pub const SIM_SYNC_SCHEDULE: &str = "0 7,12,16 * * 1-5";

/// The board address the simulated board report goes to.
const BOARD_ADDRESS: &str = "bestuur@demo.example.nl";

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
    /// Generator seed.
    pub seed: u64,
    /// Schools of the generated board.
    pub schools: usize,
    /// Pupils per school.
    pub pupils_per_school: usize,
    /// Folder for the database, the mails (`mail/`) and the board reports (`reports/`).
    pub data_dir: PathBuf,
    /// Schools whose due jobs run side by side (`Runner::run_due_side_by_side`); at least 1.
    pub parallel: usize,
}

/// A signal as first seen by the simulation.
#[derive(Debug, Clone)]
struct Seen {
    day: NaiveDate,
    school: String,
    pupil: String,
    /// The rule it was found by first (counted under it).
    rule: String,
    /// Every rule it has had: a reminder that escalates ("evaluatie binnenkort" → "te laat")
    /// keeps its signal and takes the new rule.
    rules: BTreeSet<String>,
    opened_on: NaiveDate,
}

/// A task of a rule that reaches the school as a task, not a signal of its own
/// (`rules::engine::TASKS_NOT_SIGNALS`: the owner's evaluation reminder, the teacher's plan
/// request), as the simulation saw it: created on the day the evaluation first found it, sent
/// when the LAS took it. Its planted cases are measured by the task.
#[derive(Debug, Clone)]
struct Reminder {
    school: String,
    pupil: String,
    rule: String,
    created: NaiveDate,
    sent: Option<NaiveDate>,
}

/// Runs the simulation and returns the figures (the `--json` object).
pub async fn simulate(opts: &SimulateOptions) -> anyhow::Result<Value> {
    anyhow::ensure!(opts.from <= opts.to, "--from must not be after --to");
    let params = GenParams {
        seed: opts.seed,
        schools: opts.schools,
        pupils_per_school: opts.pupils_per_school,
        years: 4,
        as_of: opts.to,
        planted: true,
        // The last school is ESIS-like (issue 12): pupils through UWLR, results through the
        // mock test publisher and Zorgsignaal's UWLR endpoint.
        uwlr_schools: usize::from(opts.schools >= 2),
    };
    // The planted cases (in school 0) come due on a school day inside the period: the last one
    // with three holiday-free weeks after it, because the plan cases look up to two weeks ahead
    // and bring their own holiday a week after that day; a real holiday in that window (the
    // summer holiday right after the last school day) would move their computed deadlines.
    let planted_as_of = planted_day(opts.from, opts.to, &sim_calendar(0));
    let (full, expected) =
        tokio::task::spawn_blocking(move || mocks::generate_with_planted_as_of(&params, planted_as_of))
            .await
            .context("generating the board")?;
    let timeline = Timeline::new(full);
    let start_view = timeline.view_at(opts.from.pred_opt().unwrap_or(opts.from));
    let board = MockBoard::start(MockConfig::fixture(start_view))
        .await
        .context("starting the mock servers")?;
    let mut result = run(opts, &timeline, &board, &expected).await;
    if let Ok(Value::Object(map)) = &mut result
        && let Some(Value::Object(planted)) = map.get_mut("planted")
    {
        planted.insert("as_of".into(), json!(planted_as_of.to_string()));
    }
    board.shutdown().await;
    result
}

/// The public holidays of 2025-2026 on which schools are closed and that fall outside the national
/// school holidays: the simulation adds them to every school's calendar as its own dates.
pub fn public_holidays() -> Vec<Holiday> {
    let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
    [
        (d(2026, 4, 3), d(2026, 4, 3), "Goede Vrijdag"),
        (d(2026, 4, 6), d(2026, 4, 6), "Tweede Paasdag"),
        (d(2026, 5, 14), d(2026, 5, 15), "Hemelvaart"),
        (d(2026, 5, 25), d(2026, 5, 25), "Tweede Pinksterdag"),
    ]
    .into_iter()
    .map(|(from, to, name)| Holiday {
        from,
        to,
        name: name.to_owned(),
    })
    .collect()
}

/// The calendar of the simulated school `index`: the vakantieregio's national holidays (midden,
/// noord, zuid in turn, so holidays differ between schools) plus [`public_holidays`].
pub fn sim_calendar(index: usize) -> CalendarSettings {
    let region = [HolidayRegion::Midden, HolidayRegion::Noord, HolidayRegion::Zuid][index % 3];
    CalendarSettings {
        region: Some(region),
        holidays: public_holidays(),
    }
}

/// The day the planted cases are anchored on: the last school day of the period followed by
/// [`PLANTED_CLEAR_DAYS`] days without a holiday (else the last school day).
fn planted_day(from: NaiveDate, to: NaiveDate, calendar: &CalendarSettings) -> NaiveDate {
    let cal = calendar.to_calendar();
    let clear =
        |d: NaiveDate| (0..=PLANTED_CLEAR_DAYS).all(|i| cal.holiday_on(d + TimeDelta::days(i)).is_none());
    let mut d = last_school_day(from, to, calendar);
    while d > from {
        if cal.is_school_day(d) && clear(d) {
            return d;
        }
        d = d.pred_opt().unwrap_or(from);
    }
    last_school_day(from, to, calendar)
}

/// Days after the planted day that must be free of holidays (see [`planted_day`]).
const PLANTED_CLEAR_DAYS: i64 = 21;

fn last_school_day(from: NaiveDate, to: NaiveDate, calendar: &CalendarSettings) -> NaiveDate {
    let calendar = calendar.to_calendar();
    let mut d = to;
    while d > from && !calendar.is_school_day(d) {
        d = d.pred_opt().unwrap_or(from);
    }
    d
}

/// Midnight (00:00 Europe/Amsterdam) at the start of `day`, in UTC.
fn midnight(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Amsterdam
        .from_local_datetime(&naive)
        .earliest()
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

/// Claims `dir` like the demo does (a folder with someone else's database is refused) and
/// clears the previous run's database, mails and reports.
fn prepare_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let db = super::demo::claim_data_dir(dir)?;
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", db.display()));
        if f.exists() {
            std::fs::remove_file(&f).with_context(|| format!("removing {}", f.display()))?;
        }
    }
    for sub in ["mail", "reports"] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    Ok(db)
}

async fn run(
    opts: &SimulateOptions,
    timeline: &Timeline,
    board: &MockBoard,
    expected: &[Expected],
) -> anyhow::Result<Value> {
    let db = prepare_dir(&opts.data_dir)?;
    let mail_dir = opts.data_dir.join("mail");
    let toml = demo_config_toml(timeline.full(), board, &db, false);
    let mut settings = Settings::from_toml_str(&toml)
        .map_err(|e| anyhow::anyhow!("simulation configuration invalid: {e}"))?;
    settings.schedule.sync = SIM_SYNC_SCHEDULE.to_owned();
    for (i, school) in settings.schools.iter_mut().enumerate() {
        // The region's and the public holidays, plus the school's own (the demo configuration
        // writes the mock's `vakanties`, among them the planted cases' holiday).
        let own = std::mem::take(&mut school.calendar.holidays);
        school.calendar = sim_calendar(i);
        school.calendar.holidays.extend(own);
    }
    settings.board.report_emails = vec![BOARD_ADDRESS.to_owned()];
    settings.report.output_dir = opts.data_dir.join("reports");
    // The mocks are in-process on loopback: no need to be polite to them.
    settings.sources.parnassys.rate_limit_per_second = 10_000;
    settings.sources.leeruniek.rate_limit_per_second = 10_000;
    let settings = Arc::new(settings);
    let store = open_store(&settings)
        .await
        .context("opening the simulation database")?;
    let engine =
        Arc::new(SyncEngine::from_settings(&settings, store.clone()).context("building the sync engine")?);
    // The mock test publisher of the ESIS-like school delivers each test date's results to the
    // UWLR endpoint when the simulated day reaches it.
    let mut publishers = MockPublishers::start(&settings, store.clone(), timeline.full()).await?;
    let clock = Clock::manual(midnight(opts.from));
    let mut daemon = Daemon::new(
        settings.clone(),
        store.clone(),
        engine.clone(),
        Some(Arc::new(Mailer::File(mail_dir))),
        clock.clone(),
    );
    let sent = Arc::new(std::sync::Mutex::new(Vec::<SentInfo>::new()));
    daemon.sent = Some(sent.clone());
    let daemon = Arc::new(daemon);
    // The schools' runs side by side, `parallel` at once (the daemon's bound on SQLite is 1).
    let runner = runner(&daemon).with_parallel(opts.parallel);
    let mut scheduler = Scheduler::from_settings(&settings.schedule, SchedulerOptions::default())
        .context("reading the schedules")?;
    let outbox = OutboxWorker::new(
        store.clone(),
        engine,
        OutboxPolicy::from_settings(&settings.outbox),
    );

    let mut seen: HashMap<i64, Seen> = HashMap::new();
    let mut reminders: HashMap<String, Reminder> = HashMap::new();
    let mut job_failures: BTreeMap<String, usize> = BTreeMap::new();
    let mut jobs_run: BTreeMap<String, usize> = BTreeMap::new();
    let mut pushed = 0;
    let mut times = JobTimes::default();
    let mut day = opts.from;
    while day <= opts.to {
        let start = midnight(day);
        let next_day = day.succ_opt().context("date overflow")?;
        let end = midnight(next_day);
        clock.set(start);
        let mark = times.mark();
        let released = board.advance_to(timeline, day);
        tracing::debug!(%day, released, "reference date moved");
        if let Some(p) = publishers.as_mut() {
            let delivered = p.deliver_until(day).await?;
            tracing::debug!(%day, results = delivered.results, "UWLR results delivered");
        }
        times.add("(mock day)", mark);
        let mut cursor = start;
        loop {
            let next = scheduler.jobs().filter_map(|(_, s)| s.next_after(cursor)).min();
            let Some(t) = next.filter(|t| *t < end) else {
                break;
            };
            cursor = t;
            clock.set(t);
            scheduler
                .tick(store.as_ref(), t)
                .await
                .context("scheduler tick")?;
            // The due runs, the schools' parts side by side (a school's own runs in their
            // order, anything else alone): the figures do not depend on `parallel`.
            let mut carried = None;
            loop {
                let mark = times.mark();
                let outcomes = runner
                    .run_due_side_by_side(store.as_ref(), t, &mut carried)
                    .await
                    .context("job runner")?;
                if outcomes.is_empty() {
                    break;
                }
                // Counted per job, not per school part (`sync:11ZW` counts as `sync`); the
                // scheduled run that fans out into the schools' runs is not counted itself.
                let jobs: Vec<&str> = outcomes
                    .iter()
                    .map(|o| crate::schedule::job_part(&o.run.job).0)
                    .collect();
                times.add_shared(&jobs, mark);
                for outcome in &outcomes {
                    let (job, part) = crate::schedule::job_part(&outcome.run.job);
                    if !(outcome.fan_out && part.is_none()) {
                        *jobs_run.entry(job.to_owned()).or_default() += 1;
                    }
                    if let Err(failure) = &outcome.result {
                        tracing::warn!(job = %outcome.run.job, %failure, "simulated job failed");
                        *job_failures.entry(job.to_owned()).or_default() += 1;
                    }
                }
            }
            let mark = times.mark();
            loop {
                let s = outbox.drain_once(t).await.context("outbox drain")?;
                pushed += s.sent;
                if s.sent + s.retried + s.parked == 0 {
                    break;
                }
            }
            times.add("(outbox drain)", mark);
        }
        let mark = times.mark();
        // Signals first seen today (the evaluations ran at today's fire times).
        for row in store.signals(&SignalFilter::default()).await? {
            seen.entry(row.id)
                .or_insert_with(|| Seen {
                    day,
                    school: row.signal.school.to_string(),
                    pupil: row.signal.pupil_external_id.clone(),
                    rule: row.signal.rule.clone(),
                    rules: BTreeSet::new(),
                    opened_on: row.signal.opened_on,
                })
                .rules
                .insert(row.signal.rule.clone());
        }
        // Owner reminders first seen today, and the day the LAS took them.
        for item in store.outbox(&OutboxFilter::default()).await? {
            let rule = origin_rule(&item.task.key);
            if !TASKS_NOT_SIGNALS.contains(&rule) {
                continue;
            }
            let r = reminders
                .entry(item.task.key.clone())
                .or_insert_with(|| Reminder {
                    school: item.task.school.to_string(),
                    pupil: item.task.pupil_external_id.clone(),
                    rule: rule.to_owned(),
                    created: day,
                    sent: None,
                });
            if item.status == OutboxStatus::Sent && r.sent.is_none() {
                r.sent = Some(day);
            }
        }
        times.add("(simulation's own reads)", mark);
        day = next_day;
    }
    times.log();
    if let Some(p) = publishers {
        p.stop().await;
    }
    let board_mails = store.mails_sent_since(BOARD_ADDRESS, midnight(opts.from)).await?;
    // Tasks: what the outbox holds and what the mock LAS received (written back on the
    // simulated day: the tasks carry the simulation's clock).
    let outbox_counts = store.outbox_counts().await?;
    let received: usize = settings
        .schools
        .iter()
        .map(|s| {
            board.pushed_parnassys_tasks(s.brin.as_str()).len()
                + board.pushed_leeruniek_tasks(s.brin.as_str()).len()
        })
        .sum();
    store.close().await;
    let mails = sent
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let mut figures = figures(opts, &settings, timeline, expected, &mails, &seen, &reminders);
    if let Value::Object(map) = &mut figures {
        map.insert("board_report_mails".into(), json!(board_mails));
        map.insert(
            "tasks".into(),
            json!({
                "pushed": pushed,
                "received_by_las": received,
                "outbox": {
                    "pending": outbox_counts.pending,
                    "in_flight": outbox_counts.in_flight,
                    "sent": outbox_counts.sent,
                    "parked": outbox_counts.parked,
                },
            }),
        );
        map.insert("jobs_run".into(), json!(jobs_run));
        map.insert("job_failures".into(), json!(job_failures));
        map.insert("data_dir".into(), json!(opts.data_dir.display().to_string()));
        map.insert("sync_schedule".into(), json!(SIM_SYNC_SCHEDULE));
    }
    Ok(figures)
}

/// The key under `signals.by_rule` for the digests' group lines of bespreekpunten (one per
/// group and digest; `rules::engine::DISCUSSION_RULES`).
pub const GROUP_DISCUSSION: &str = "groepsbespreking";

/// Where a replay's time goes, per job (a school's part counted under its job) and per step of
/// the simulation itself: runs, CPU seconds of the whole process (user + system, read from
/// `/proc/self/stat`, so other threads' work in the same span counts too) and wall seconds.
/// Logged at the end (stderr), never in the figures: they must not depend on the machine.
#[derive(Debug, Default)]
struct JobTimes {
    by_job: BTreeMap<String, (usize, f64, f64)>,
}

/// A point to measure from: (process CPU seconds, wall clock).
type Mark = (Option<f64>, std::time::Instant);

impl JobTimes {
    fn mark(&self) -> Mark {
        (process_cpu_seconds(), std::time::Instant::now())
    }

    /// Counts the span from `since` to now under `job`.
    fn add(&mut self, job: &str, since: Mark) {
        self.add_shared(&[job], since);
    }

    /// Counts the span from `since` to now as one run of each of `jobs`, which ran side by
    /// side: each gets an equal share.
    fn add_shared(&mut self, jobs: &[&str], since: Mark) {
        let cpu = match (since.0, process_cpu_seconds()) {
            (Some(a), Some(b)) => b - a,
            _ => 0.0,
        };
        let wall = since.1.elapsed().as_secs_f64();
        let share = 1.0 / jobs.len().max(1) as f64;
        for job in jobs {
            let e = self.by_job.entry((*job).to_owned()).or_default();
            e.0 += 1;
            e.1 += cpu * share;
            e.2 += wall * share;
        }
    }

    fn log(&self) {
        for (job, (runs, cpu, wall)) in &self.by_job {
            tracing::info!(
                job = %job,
                runs,
                cpu_s = format!("{cpu:.1}"),
                wall_s = format!("{wall:.1}"),
                cpu_ms_per_run = format!("{:.1}", cpu * 1000.0 / (*runs).max(1) as f64),
                "simulated job time"
            );
        }
    }
}

/// User + system CPU seconds of this process so far (Linux; `None` elsewhere). `/proc/self/stat`
/// counts in clock ticks of 1/100 s: coarse per job, fine summed over a period's runs.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) end with ')': state is field 3,
    // utime 14, stime 15.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// Whether `date` is a school day of `school` (not its weekend or holiday): the mail policy's own
/// test, at noon.
pub fn school_day(settings: &Settings, school: &SchoolSettings, date: NaiveDate) -> bool {
    let noon = Amsterdam
        .from_local_datetime(&date.and_hms_opt(12, 0, 0).unwrap_or_default())
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    school_quiet_reason(settings, school, noon).is_none()
}

fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Amsterdam).date_naive()
}

/// School days of `school` in `(after, until]`.
fn school_days_between(
    settings: &Settings,
    school: &SchoolSettings,
    after: NaiveDate,
    until: NaiveDate,
) -> usize {
    let mut n = 0;
    let mut d = after;
    while d < until {
        d = d.succ_opt().unwrap_or(until);
        if school_day(settings, school, d) {
            n += 1;
        }
    }
    n
}

/// Whether school year `label` (`2025-2026`: 1 August 2025 – 31 July 2026) overlaps `from..=to`.
fn school_year_overlaps(label: &str, from: NaiveDate, to: NaiveDate) -> bool {
    let Some(year) = label.get(..4).and_then(|y| y.parse::<i32>().ok()) else {
        return true;
    };
    match (
        NaiveDate::from_ymd_opt(year, 8, 1),
        NaiveDate::from_ymd_opt(year + 1, 7, 31),
    ) {
        (Some(start), Some(end)) => start <= to && end >= from,
        _ => true,
    }
}

/// Nearest-rank percentile of sorted `v`.
fn percentile(v: &[usize], p: f64) -> usize {
    if v.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn figures(
    opts: &SimulateOptions,
    settings: &Settings,
    timeline: &Timeline,
    expected: &[Expected],
    mails: &[SentInfo],
    seen: &HashMap<i64, Seen>,
    reminders: &HashMap<String, Reminder>,
) -> Value {
    let schools: HashMap<&str, &SchoolSettings> =
        settings.schools.iter().map(|s| (s.brin.as_str(), s)).collect();
    // School days of the period in the first school's vakantieregio with the public holidays
    // (a school's own extra days off, such as the planted cases' holiday, are its own).
    let region = sim_calendar(0).to_calendar();
    let mut school_days = 0;
    let mut d = opts.from;
    while d <= opts.to {
        school_days += usize::from(region.is_school_day(d));
        d = d.succ_opt().unwrap_or(opts.to + TimeDelta::days(1));
    }
    // Pupils enrolled at some time in the period: a groepsindeling in a group of a school year
    // that overlaps the period, and not left before it. (A groepsindeling of an earlier school
    // year has no end date of its own: its group's school year ends it.)
    // The generator's planted pupils (every pupil of a planted case, firing or silent): the
    // figures are given without them too, since most planted cases are built to fire.
    let planted_pupils: BTreeSet<(&str, &str)> = expected
        .iter()
        .map(|e| (e.school.as_str(), e.pupil_id.as_str()))
        .collect();
    let is_planted = |school: &str, pupil: &str| planted_pupils.contains(&(school, pupil));
    let mut planted_enrolled = 0;
    let pupils: usize = timeline
        .full()
        .schools
        .iter()
        .map(|s| {
            let left: HashMap<u64, NaiveDate> = s
                .leerlingen
                .iter()
                .filter_map(|p| p.uitstroom.map(|d| (p.id, d)))
                .collect();
            let groups_in_period: BTreeSet<u64> = s
                .groepen
                .iter()
                .filter(|g| school_year_overlaps(&g.schooljaar, opts.from, opts.to))
                .map(|g| g.id)
                .collect();
            let enrolled = s
                .groepsindelingen
                .iter()
                .filter(|m| groups_in_period.contains(&m.groep))
                .filter(|m| m.vanaf_datum <= opts.to && m.tot_datum.is_none_or(|t| t >= opts.from))
                .filter(|m| left.get(&m.leerling).is_none_or(|d| *d >= opts.from))
                .map(|m| m.leerling)
                .collect::<BTreeSet<_>>();
            planted_enrolled += enrolled
                .iter()
                .filter(|id| is_planted(&s.brin, &id.to_string()))
                .count();
            enrolled.len()
        })
        .sum();
    let ibs: BTreeSet<&str> = settings
        .schools
        .iter()
        .flat_map(|s| s.ib_emails.iter().map(|e| e.trim()))
        .filter(|e| !e.is_empty())
        .collect();

    let overviews: Vec<&SentInfo> = mails
        .iter()
        .filter(|m| m.kind == MailKind::StartOverview)
        .collect();
    let digests: Vec<&SentInfo> = mails
        .iter()
        .filter(|m| m.kind != MailKind::StartOverview)
        .collect();
    let mut per_day: HashMap<(&str, &str, NaiveDate), usize> = HashMap::new();
    let mut per_address_day: HashMap<(&str, NaiveDate), usize> = HashMap::new();
    let mut off_days = 0;
    for m in mails {
        let date = local_date(m.sent_at);
        *per_day
            .entry((m.to.as_str(), m.school.as_str(), date))
            .or_default() += 1;
        *per_address_day.entry((m.to.as_str(), date)).or_default() += 1;
        if schools
            .get(m.school.as_str())
            .is_none_or(|s| !school_day(settings, s, date))
        {
            off_days += 1;
        }
    }
    let mut items: Vec<usize> = digests.iter().map(|m| m.lines).collect();
    items.sort_unstable();

    // Repeats: mails naming one unchanged item (same signal, same fingerprint) to one IB within
    // any 7 days. A reminder that escalates ("binnenkort" → "te laat") is a changed item.
    let mut naming: HashMap<(&str, &str, i64, &str), Vec<NaiveDate>> = HashMap::new();
    for m in mails {
        for (id, fingerprint) in &m.named_items {
            naming
                .entry((m.to.as_str(), m.school.as_str(), *id, fingerprint.as_str()))
                .or_default()
                .push(local_date(m.sent_at));
        }
    }
    let max_per_week = naming
        .values()
        .map(|dates| {
            dates
                .iter()
                .map(|d| {
                    dates
                        .iter()
                        .filter(|e| **e >= *d && **e < *d + TimeDelta::days(7))
                        .count()
                })
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);

    // Signals after the start overview: not accounted for by the school's overview, first seen
    // on or after its day.
    let mut overview_of: HashMap<&str, (NaiveDate, BTreeSet<i64>)> = HashMap::new();
    for o in &overviews {
        let e = overview_of
            .entry(o.school.as_str())
            .or_insert_with(|| (local_date(o.sent_at), BTreeSet::new()));
        e.1.extend(o.named.iter().copied());
    }
    // What reaches the IB as news (issue 17, "count what a school receives"): every signal of
    // its own, and each group line of bespreekpunten in a digest (one line per group, however
    // many pupils are on it, `rules::engine::DISCUSSION_RULES`); the pupils' bespreekpunten
    // behind those lines are counted apart, per rule.
    // The same without the planted pupils ("background"): a signal of a planted pupil is left
    // out, a group line only when every pupil on it is planted.
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut background_by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut points_by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let background = |id: &i64| seen.get(id).is_some_and(|s| !is_planted(&s.school, &s.pupil));
    for (id, s) in seen {
        let after = overview_of
            .get(s.school.as_str())
            .is_some_and(|(day, named)| !named.contains(id) && s.day >= *day);
        if after {
            if is_discussion_point(&s.rule) {
                *points_by_rule.entry(s.rule.as_str()).or_default() += 1;
            } else {
                *by_rule.entry(s.rule.as_str()).or_default() += 1;
                if background(id) {
                    *background_by_rule.entry(s.rule.as_str()).or_default() += 1;
                }
            }
        }
    }
    let group_lines: usize = digests.iter().map(|m| m.discussion_groups.len()).sum();
    by_rule.insert(GROUP_DISCUSSION, group_lines);
    let background_group_lines = digests
        .iter()
        .flat_map(|m| &m.discussion_groups)
        .filter(|line| line.iter().any(background))
        .count();
    background_by_rule.insert(GROUP_DISCUSSION, background_group_lines);
    let opened: usize = by_rule.values().sum();
    let background_opened: usize = background_by_rule.values().sum();
    let points: usize = points_by_rule.values().sum();
    let years = ((opts.to - opts.from).num_days() + 1) as f64 / 365.0;
    let per_100_of = |n: usize, of: usize| {
        if of == 0 || years <= 0.0 {
            0.0
        } else {
            round1(n as f64 * 100.0 / of as f64 / years)
        }
    };
    let per_100 = |n: usize| per_100_of(n, pupils);
    let background_pupils = pupils - planted_enrolled;
    let by_rule_per_100: BTreeMap<&str, f64> = by_rule.iter().map(|(r, n)| (*r, per_100(*n))).collect();

    // Planted cases: found = signalled; latency = school days from the day the finding's data is
    // in the source (the signal's `opened_on`) to the first mail naming it.
    let mut first_mail: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for m in mails {
        for id in &m.named {
            first_mail
                .entry(*id)
                .and_modify(|t| *t = (*t).min(m.sent_at))
                .or_insert(m.sent_at);
        }
    }
    let mut planted_expected = 0;
    let mut found = 0;
    let mut not_mailed = 0;
    let mut latency_max: Option<usize> = None;
    let mut cases = Vec::new();
    for e in expected.iter().filter(|e| e.expect == "fires") {
        // The first signal of the case — or, for a rule that reaches the school as a task, its
        // first task — as (the day it was found, the day it reached the school): the first mail
        // naming the signal, the day the LAS took the task.
        let by_task = TASKS_NOT_SIGNALS.contains(&e.rule.as_str());
        let first: Option<(NaiveDate, Option<NaiveDate>)> = if by_task {
            reminders
                .values()
                .filter(|r| r.rule == e.rule && r.pupil == e.pupil_id && r.school == e.school)
                .min_by_key(|r| (r.created, r.sent))
                .map(|r| (r.created, r.sent))
        } else {
            seen.iter()
                .filter(|(_, s)| s.rules.contains(&e.rule) && s.pupil == e.pupil_id && s.school == e.school)
                .min_by_key(|(id, s)| (s.day, **id))
                .map(|(id, s)| (s.opened_on, first_mail.get(id).map(|t| local_date(*t))))
        };
        let trigger = first.map_or_else(|| last_record_day(timeline, e), |(day, _)| Some(day));
        let Some(trigger) = trigger.filter(|d| *d >= opts.from && *d <= opts.to) else {
            continue;
        };
        planted_expected += 1;
        let mut latency = None;
        if let Some((_, reached)) = first {
            found += 1;
            match (reached, schools.get(e.school.as_str())) {
                (Some(reached), Some(school)) => {
                    let l = school_days_between(settings, school, trigger, reached);
                    latency_max = Some(latency_max.map_or(l, |m: usize| m.max(l)));
                    latency = Some(l);
                }
                _ => not_mailed += 1,
            }
        }
        let mut case = json!({
            "rule": e.rule,
            "pupil_id": e.pupil_id,
            "source_day": trigger.to_string(),
            "found": first.is_some(),
            "latency_school_days": latency,
        });
        if by_task {
            case["by"] = json!("task");
        }
        cases.push(case);
    }

    json!({
        "from": opts.from.to_string(),
        "to": opts.to.to_string(),
        "seed": opts.seed,
        "school_days": school_days,
        "schools": settings.schools.len(),
        "pupils": pupils,
        "ibs": ibs.len(),
        "start_overview": {
            "mails": overviews.len(),
            "lines_max": overviews.iter().map(|m| m.lines).max().unwrap_or(0),
        },
        "mails": {
            "count": digests.len(),
            "per_ib_per_school_day_max": per_day.values().max().copied().unwrap_or(0),
            "per_address_per_day_max": per_address_day.values().max().copied().unwrap_or(0),
            "on_weekend_or_holiday": off_days,
            "urgent": digests.iter().filter(|m| m.kind == MailKind::Urgent).count(),
            "items_per_mail": {
                "median": percentile(&items, 50.0),
                "p95": percentile(&items, 95.0),
                "max": items.last().copied().unwrap_or(0),
            },
            // What the IBs read in the period: every pupil line of every digest (news and "nog
            // open"), "count what a school receives".
            "lines_total": items.iter().sum::<usize>(),
        },
        "repeats": {
            "max_mails_per_unchanged_item_per_week": max_per_week,
            "mails_with_nog_open": digests.iter().filter(|m| m.repeat_lines > 0).count(),
        },
        "reminders": {
            "tasks": reminders.len(),
            "sent": reminders.values().filter(|r| r.sent.is_some()).count(),
        },
        "signals": {
            "opened": opened,
            "per_100_pupils_per_year": per_100(opened),
            "by_rule": by_rule,
            "by_rule_per_100_pupils_per_year": by_rule_per_100,
            // Without the generator's planted pupils (most of their cases are built to fire).
            "without_planted": {
                "pupils": background_pupils,
                "opened": background_opened,
                "per_100_pupils_per_year": per_100_of(background_opened, background_pupils),
                "by_rule": background_by_rule,
            },
        },
        "discussion_points": {
            "pupil_signals": points,
            "per_100_pupils_per_year": per_100(points),
            "group_lines": group_lines,
            "by_rule": points_by_rule,
        },
        "planted": {
            "expected": planted_expected,
            "found": found,
            "latency_school_days_max": latency_max,
            "not_mailed": not_mailed,
            "cases": cases,
        },
    })
}

/// The last day a planted pupil's data changes in the source (results, plans, evaluations,
/// verzuim, social-emotional measurements).
fn last_record_day(timeline: &Timeline, e: &Expected) -> Option<NaiveDate> {
    let school = timeline.full().schools.iter().find(|s| s.brin == e.school)?;
    let id: u64 = e.pupil_id.parse().ok()?;
    let results = school
        .resultaten
        .iter()
        .filter(|r| r.leerling_id == id)
        .map(|r| r.afnamedatum);
    let plans = school
        .plannen
        .iter()
        .filter(|p| p.leerling_id == Some(id))
        .flat_map(|p| std::iter::once(p.startdatum).chain(p.evaluaties.iter().map(|v| v.datum)));
    let absences = school
        .verzuim
        .iter()
        .filter(|a| a.leerling_id == id)
        .map(|a| a.datum);
    let social_emotional = school
        .sociaal_emotioneel
        .iter()
        .filter(|m| m.leerling_id == id)
        .map(|m| m.afnamedatum);
    results.chain(plans).chain(absences).chain(social_emotional).max()
}

/// The human summary of [`simulate`]'s figures.
pub fn render_summary(v: &Value) -> String {
    let g = |path: &[&str]| {
        let mut cur = v;
        for p in path {
            cur = &cur[*p];
        }
        match cur {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let rows = [
        ("schooldagen (school days)", g(&["school_days"])),
        ("scholen (schools)", g(&["schools"])),
        ("leerlingen (pupils)", g(&["pupils"])),
        ("IB-adressen (IBs)", g(&["ibs"])),
        (
            "startoverzichten (start overviews)",
            format!(
                "{} (max {} regels)",
                g(&["start_overview", "mails"]),
                g(&["start_overview", "lines_max"])
            ),
        ),
        ("digests (mails)", g(&["mails", "count"])),
        (
            "max per IB per school per schooldag",
            g(&["mails", "per_ib_per_school_day_max"]),
        ),
        ("in weekend of vakantie", g(&["mails", "on_weekend_or_holiday"])),
        (
            "regels per digest",
            format!(
                "mediaan {}, p95 {}, max {}",
                g(&["mails", "items_per_mail", "median"]),
                g(&["mails", "items_per_mail", "p95"]),
                g(&["mails", "items_per_mail", "max"])
            ),
        ),
        (
            "max mails per ongewijzigd item per week",
            g(&["repeats", "max_mails_per_unchanged_item_per_week"]),
        ),
        (
            "nieuwe signalen na het startoverzicht",
            format!(
                "{} ({} per 100 leerlingen per jaar; bespreekpunten als één regel per groep)",
                g(&["signals", "opened"]),
                g(&["signals", "per_100_pupils_per_year"])
            ),
        ),
        (
            "bespreekpunten (per leerling)",
            format!(
                "{} ({} per 100 leerlingen per jaar) in {} groepsregels",
                g(&["discussion_points", "pupil_signals"]),
                g(&["discussion_points", "per_100_pupils_per_year"]),
                g(&["discussion_points", "group_lines"])
            ),
        ),
        (
            "geplante gevallen (planted)",
            format!(
                "{} van {} gevonden, vertraging max {} schooldagen",
                g(&["planted", "found"]),
                g(&["planted", "expected"]),
                g(&["planted", "latency_school_days_max"])
            ),
        ),
    ];
    let mut out = format!(
        "Zorgsignaal simulatie {} t/m {} (seed {})\n",
        g(&["from"]),
        g(&["to"]),
        g(&["seed"])
    );
    for (label, value) in rows {
        out.push_str(&format!("  {label:<42} {value}\n"));
    }
    out.push_str(&format!("Mails (.eml-bestanden): {}/mail\n", g(&["data_dir"])));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_years_overlap_a_period_by_their_dates() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert!(school_year_overlaps("2025-2026", d(2025, 8, 1), d(2026, 7, 31)));
        assert!(school_year_overlaps("2024-2025", d(2025, 7, 1), d(2025, 9, 1)));
        assert!(!school_year_overlaps("2024-2025", d(2025, 8, 1), d(2026, 7, 31)));
        assert!(!school_year_overlaps("2026-2027", d(2025, 8, 1), d(2026, 7, 31)));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(percentile(&v, 50.0), 5);
        assert_eq!(percentile(&v, 95.0), 10);
        assert_eq!(percentile(&[], 95.0), 0);
        assert_eq!(percentile(&[4], 95.0), 4);
    }

    #[test]
    fn the_simulated_schools_have_their_regions_holidays_and_the_public_ones() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        let midden = sim_calendar(0).to_calendar();
        let noord = sim_calendar(1).to_calendar();
        assert!(!midden.is_school_day(d(2025, 12, 24)), "kerstvakantie");
        assert!(!midden.is_school_day(d(2026, 5, 14)), "Hemelvaart");
        assert!(midden.is_school_day(d(2026, 1, 28)));
        // Voorjaarsvakantie 2026: midden 14-22 Feb, noord 21 Feb - 1 Mar.
        assert!(!midden.is_school_day(d(2026, 2, 16)) && noord.is_school_day(d(2026, 2, 16)));
        assert_eq!(
            last_school_day(d(2025, 8, 1), d(2026, 7, 31), &sim_calendar(0)),
            d(2026, 7, 17)
        );
        // The planted cases come due three holiday-free weeks before the summer holiday.
        assert_eq!(
            planted_day(d(2025, 8, 1), d(2026, 7, 31), &sim_calendar(0)),
            d(2026, 6, 26)
        );
        // Midnight in Amsterdam: 22:00 UTC in summer, 23:00 in winter.
        assert_eq!(midnight(d(2026, 7, 1)).to_rfc3339(), "2026-06-30T22:00:00+00:00");
        assert_eq!(midnight(d(2026, 1, 1)).to_rfc3339(), "2025-12-31T23:00:00+00:00");
    }
}
