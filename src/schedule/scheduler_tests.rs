//! Scheduler planning against an in-memory queue with the job table's uniqueness; the tests
//! against the real store (both engines, two schedulers at once) are in the store contract suite
//! (`tests/store/schedule.rs`).

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::TimeZone;

use super::*;
use crate::schedule::{JOB_DIGEST, JOB_GKV_SNAPSHOT, JOB_SYNC, TIMEZONE};

/// A queue that keeps `(job, scheduled_at)` unique, like the job table, and can be made to fail.
#[derive(Default)]
struct MemoryQueue {
    slots: Mutex<HashSet<Slot>>,
    failing: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[error("queue unavailable")]
struct Unavailable;

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn enqueue(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, ScheduleError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(ScheduleError::Queue(Box::new(Unavailable)));
        }
        let slot = Slot {
            job: job.to_owned(),
            scheduled_at,
        };
        Ok(self.slots.lock().expect("queue lock").insert(slot))
    }
}

/// Amsterdam wall clock time as UTC (never ambiguous on the days used here).
fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    TIMEZONE
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("unambiguous local time")
        .with_timezone(&Utc)
}

fn slot(job: &str, scheduled_at: DateTime<Utc>) -> Slot {
    Slot {
        job: job.to_owned(),
        scheduled_at,
    }
}

fn default_scheduler() -> Scheduler {
    Scheduler::from_settings(&ScheduleSettings::default(), SchedulerOptions::default())
        .expect("defaults parse")
}

#[test]
fn from_settings_has_every_entry_and_names_a_bad_one() {
    let scheduler = default_scheduler();
    let names: Vec<&str> = scheduler.jobs().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        ["sync", "gkv_snapshot", "digest", "retention", "board_report"]
    );
    let bad = ScheduleSettings {
        digest: "30 25 * * *".into(),
        ..ScheduleSettings::default()
    };
    match Scheduler::from_settings(&bad, SchedulerOptions::default()) {
        Err(ScheduleError::InvalidCron { job, .. }) => assert_eq!(job, "digest"),
        other => panic!("expected InvalidCron, got {other:?}"),
    }
}

#[test]
fn catch_up_is_capped() {
    let options = SchedulerOptions {
        catch_up: Duration::from_secs(90 * 24 * 3600),
        ..SchedulerOptions::default()
    };
    assert_eq!(Scheduler::new([], options).options().catch_up, MAX_CATCH_UP);
}

#[tokio::test]
async fn first_tick_after_start_runs_each_missed_job_once_within_the_catch_up_window() {
    let queue = MemoryQueue::default();
    let mut scheduler = default_scheduler();
    // Started Monday 09:10 with a 3-hour window (from 06:10): the 06:00 snapshot is before it.
    let now = local(2026, 1, 12, 9, 10);
    let report = scheduler.tick(&queue, now).await.expect("tick");
    assert_eq!(
        report.enqueued,
        [
            slot(JOB_SYNC, local(2026, 1, 12, 9, 0)),
            slot(JOB_DIGEST, local(2026, 1, 12, 7, 30))
        ]
    );
    assert_eq!(
        report.collapsed, 4,
        "sync 07:00, 07:30, 08:00 and 08:30 fold into 09:00"
    );
    assert_eq!(scheduler.last_tick(), Some(now));
}

#[tokio::test]
async fn downtime_longer_than_the_window_runs_once_and_drops_older_slots() {
    let queue = MemoryQueue::default();
    let mut scheduler = default_scheduler();
    scheduler
        .tick(&queue, local(2026, 1, 12, 7, 0))
        .await
        .expect("tick");
    // Down from 07:00 until 12:10: the window is 09:10–12:10; the digest (07:30) is not sent late.
    let report = scheduler
        .tick(&queue, local(2026, 1, 12, 12, 10))
        .await
        .expect("tick");
    assert_eq!(report.enqueued, [slot(JOB_SYNC, local(2026, 1, 12, 12, 0))]);
    assert_eq!(report.collapsed, 5, "09:30 … 11:30 fold into 12:00");
}

#[tokio::test]
async fn ticking_through_a_day_enqueues_every_slot_once() {
    let queue = MemoryQueue::default();
    let mut scheduler = default_scheduler();
    let start = local(2026, 1, 11, 23, 0);
    let end = local(2026, 1, 13, 0, 0);
    scheduler.tick(&queue, start).await.expect("first tick");
    let mut now = start;
    let mut enqueued = Vec::new();
    while now < end {
        now += TimeDelta::from_std(scheduler.sleep_after(now)).expect("small");
        let report = scheduler.tick(&queue, now).await.expect("tick");
        assert_eq!(report.collapsed, 0);
        assert!(report.already_queued.is_empty());
        enqueued.extend(report.enqueued);
    }
    let count = |job: &str| enqueued.iter().filter(|s| s.job == job).count();
    assert_eq!(count(JOB_SYNC), 22);
    assert_eq!(count(JOB_DIGEST), 1);
    assert_eq!(count(JOB_GKV_SNAPSHOT), 1);
    assert_eq!(count("retention"), 1);
    assert_eq!(count("board_report"), 0);
    assert_eq!(enqueued.len(), 25);
}

#[tokio::test]
async fn a_second_scheduler_finds_its_slots_already_queued() {
    let queue = MemoryQueue::default();
    let (mut a, mut b) = (default_scheduler(), default_scheduler());
    let now = local(2026, 1, 12, 7, 31);
    let first = a.tick(&queue, now).await.expect("tick a");
    let second = b.tick(&queue, now).await.expect("tick b");
    assert_eq!(first.enqueued.len(), 3, "sync 07:30, digest, snapshot 06:00");
    assert!(second.enqueued.is_empty());
    assert_eq!(second.already_queued, first.enqueued);
}

#[tokio::test]
async fn a_failed_tick_forgets_nothing() {
    let queue = MemoryQueue::default();
    let mut scheduler = default_scheduler();
    scheduler
        .tick(&queue, local(2026, 1, 12, 7, 20))
        .await
        .expect("tick");
    queue.failing.store(true, Ordering::SeqCst);
    assert!(scheduler.tick(&queue, local(2026, 1, 12, 7, 30)).await.is_err());
    assert_eq!(scheduler.last_tick(), Some(local(2026, 1, 12, 7, 20)));
    queue.failing.store(false, Ordering::SeqCst);
    let report = scheduler
        .tick(&queue, local(2026, 1, 12, 7, 31))
        .await
        .expect("tick");
    assert_eq!(
        report.enqueued,
        [
            slot(JOB_SYNC, local(2026, 1, 12, 7, 30)),
            slot(JOB_DIGEST, local(2026, 1, 12, 7, 30))
        ]
    );
}

#[tokio::test]
async fn a_clock_stepping_back_never_replans_old_slots() {
    let queue = MemoryQueue::default();
    let mut scheduler = default_scheduler();
    let now = local(2026, 1, 12, 7, 45);
    scheduler.tick(&queue, now).await.expect("tick");
    let report = scheduler
        .tick(&queue, local(2026, 1, 12, 7, 10))
        .await
        .expect("tick");
    assert_eq!(report, TickReport::default());
    assert_eq!(scheduler.last_tick(), Some(now));
}

#[test]
fn sleeps_until_the_next_fire_time_but_not_longer_than_max_sleep() {
    let scheduler = default_scheduler();
    let just_before = local(2026, 1, 12, 6, 59) + TimeDelta::seconds(30);
    assert_eq!(scheduler.sleep_after(just_before), Duration::from_secs(30));
    assert_eq!(
        scheduler.sleep_after(local(2026, 1, 12, 6, 30)),
        Duration::from_secs(60)
    );
    assert_eq!(
        Scheduler::new([], SchedulerOptions::default()).sleep_after(just_before),
        Duration::from_secs(60)
    );
}

#[tokio::test]
async fn dst_weekends_neither_skip_nor_double_through_the_scheduler() {
    let jobs = [
        ("night", "30 2 * * *"),
        ("digest", "30 7 * * *"),
        ("sync", "0,30 7-17 * * 1-5"),
    ]
    .map(|(name, expr)| (name.to_owned(), CronSchedule::parse(expr).expect("valid")));
    // Friday noon to Monday noon around spring forward (March 29) and fall back (October 25).
    for (start, end, night_sunday) in [
        (
            local(2026, 3, 27, 12, 0),
            local(2026, 3, 30, 12, 0),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0),
        ),
        (
            local(2026, 10, 23, 12, 0),
            local(2026, 10, 26, 12, 0),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0),
        ),
    ] {
        let night_sunday = night_sunday.single().expect("valid");
        let queue = MemoryQueue::default();
        let mut scheduler = Scheduler::new(jobs.clone(), SchedulerOptions::default());
        let mut now = start;
        scheduler.tick(&queue, now).await.expect("first tick");
        while now < end {
            now += TimeDelta::from_std(scheduler.sleep_after(now)).expect("small");
            let report = scheduler.tick(&queue, now).await.expect("tick");
            assert_eq!(report.collapsed, 0);
        }
        let slots = queue.slots.lock().expect("queue lock").clone();
        let of = |job: &str| {
            let mut at: Vec<DateTime<Utc>> = slots
                .iter()
                .filter(|s| s.job == job)
                .map(|s| s.scheduled_at)
                .collect();
            at.sort();
            at
        };
        // Three nights (Saturday, Sunday, Monday), the Sunday one moved or de-doubled by DST.
        let night = of("night");
        assert_eq!(night.len(), 3, "{night:?}");
        assert_eq!(night[1], night_sunday);
        // Three mornings (Saturday, Sunday, Monday), each at 07:30 local.
        let digest = of("digest");
        assert_eq!(digest.len(), 3, "{digest:?}");
        assert!(
            digest
                .iter()
                .all(|t| t.with_timezone(&TIMEZONE).format("%H:%M").to_string() == "07:30")
        );
        // Friday 12:00 (caught up by the first tick) to 17:30 (12) and Monday 07:00–12:00 (11).
        assert_eq!(of("sync").len(), 23);
    }
}
