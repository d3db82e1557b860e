//! Fire times around both DST transitions of Europe/Amsterdam (2026: spring forward on Sunday
//! March 29, 02:00 → 03:00; fall back on Sunday October 25, 03:00 → 02:00).

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};

use super::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid UTC time")
}

/// The UTC instants of Amsterdam midnight at the start and end of local day `y-m-d`.
fn local_day(y: i32, m: u32, d: u32) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = TIMEZONE
        .with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .expect("midnight exists");
    let end = start.date_naive().succ_opt().expect("next day");
    let end = TIMEZONE
        .from_local_datetime(&end.and_time(NaiveTime::MIN))
        .single()
        .expect("midnight exists");
    (start.with_timezone(&Utc), end.with_timezone(&Utc))
}

/// Fire times on local day `y-m-d` (from midnight, inclusive, to the next midnight, exclusive).
fn fires_on(expr: &str, y: i32, m: u32, d: u32) -> Vec<DateTime<Utc>> {
    let (start, end) = local_day(y, m, d);
    due_ticks(expr, start - TimeDelta::seconds(1), end - TimeDelta::seconds(1)).expect("valid expression")
}

fn local_hm(t: DateTime<Utc>) -> (u32, u32) {
    let local = t.with_timezone(&TIMEZONE);
    (local.hour(), local.minute())
}

#[test]
fn local_days_around_dst_are_23_and_25_hours_long() {
    let (start, end) = local_day(2026, 3, 29);
    assert_eq!(end - start, TimeDelta::hours(23));
    let (start, end) = local_day(2026, 10, 25);
    assert_eq!(end - start, TimeDelta::hours(25));
}

#[test]
fn daily_0730_digest_fires_once_at_0730_local_on_both_dst_days() {
    assert_eq!(fires_on("30 7 * * *", 2026, 3, 29), [utc(2026, 3, 29, 5, 30)]);
    assert_eq!(fires_on("30 7 * * *", 2026, 10, 25), [utc(2026, 10, 25, 6, 30)]);
    // The day before each transition for contrast: the other UTC offset.
    assert_eq!(fires_on("30 7 * * *", 2026, 3, 28), [utc(2026, 3, 28, 6, 30)]);
    assert_eq!(fires_on("30 7 * * *", 2026, 10, 24), [utc(2026, 10, 24, 5, 30)]);
}

#[test]
fn default_weekday_digest_fires_once_each_school_day_of_both_dst_weeks() {
    let digest = ScheduleSettings::default().digest;
    for (y, m, first_day, offset_before, offset_after) in [(2026, 3, 23, 1, 2), (2026, 10, 19, 2, 1)] {
        // Monday of the DST week through Monday after it.
        let (start, _) = local_day(y, m, first_day);
        let (_, end) = local_day(y, m, first_day + 7);
        let fires = due_ticks(&digest, start, end).expect("valid");
        assert_eq!(fires.len(), 6, "five weekdays and the next Monday: {fires:?}");
        for t in &fires {
            assert_eq!(local_hm(*t), (7, 30));
        }
        // Offsets: 07:30 local is 06:30 UTC in winter (+1) and 05:30 UTC in summer (+2).
        assert_eq!(fires[0].hour(), 7 - offset_before);
        assert_eq!(fires[5].hour(), 7 - offset_after);
        assert!(
            fires_on(&digest, y, m, first_day + 6).is_empty(),
            "no digest on the DST Sunday"
        );
    }
}

#[test]
fn daily_0230_job_runs_once_on_both_dst_days_never_skipped() {
    // Spring forward: 02:30 does not exist; croner runs a fixed-time job at the first instant
    // after the gap, 03:00 CEST = 01:00 UTC. It is not skipped.
    let spring = fires_on("30 2 * * *", 2026, 3, 29);
    assert_eq!(spring, [utc(2026, 3, 29, 1, 0)]);
    assert_eq!(local_hm(spring[0]), (3, 0));
    // Fall back: 02:30 happens twice; a fixed-time job runs at the first, 02:30 CEST = 00:30 UTC.
    assert_eq!(fires_on("30 2 * * *", 2026, 10, 25), [utc(2026, 10, 25, 0, 30)]);
    // Ordinary days around them: exactly once as well.
    assert_eq!(fires_on("30 2 * * *", 2026, 3, 30), [utc(2026, 3, 30, 0, 30)]);
    assert_eq!(fires_on("30 2 * * *", 2026, 10, 26), [utc(2026, 10, 26, 1, 30)]);
}

#[test]
fn default_jobs_at_night_are_not_doubled_or_skipped_by_dst() {
    let s = ScheduleSettings::default();
    for (y, m, d) in [(2026, 3, 29), (2026, 10, 25)] {
        assert_eq!(fires_on(&s.retention, y, m, d).len(), 1, "retention {y}-{m}-{d}");
        // Both changes fall on a Sunday, when the roll snapshot does not run at all.
        assert!(
            fires_on(&s.gkv_snapshot, y, m, d).is_empty(),
            "gkv snapshot {y}-{m}-{d}"
        );
    }
    // The snapshot runs once on each school day around the changes, at 06:00 local time.
    for (y, m, d) in [(2026, 3, 27), (2026, 3, 30), (2026, 10, 23), (2026, 10, 26)] {
        let runs = fires_on(&s.gkv_snapshot, y, m, d);
        assert_eq!(runs.len(), 1, "gkv snapshot {y}-{m}-{d}");
        assert_eq!(local_hm(runs[0]), (6, 0));
    }
    assert!(fires_on(&s.gkv_snapshot, 2026, 3, 28).is_empty(), "Saturday");
}

#[test]
fn school_day_sync_yields_22_runs_on_normal_and_dst_weeks() {
    let sync = ScheduleSettings::default().sync;
    // Normal Monday, and the Fridays and Mondays around both transitions.
    for (y, m, d) in [
        (2026, 1, 12),
        (2026, 3, 27),
        (2026, 3, 30),
        (2026, 10, 23),
        (2026, 10, 26),
    ] {
        let fires = fires_on(&sync, y, m, d);
        assert_eq!(fires.len(), 22, "{y}-{m}-{d}: 07:00 to 17:30 every half hour");
        assert_eq!(local_hm(fires[0]), (7, 0));
        assert_eq!(local_hm(fires[21]), (17, 30));
    }
    // The transitions fall on Sundays: no school-day sync at all.
    assert!(fires_on(&sync, 2026, 3, 29).is_empty());
    assert!(fires_on(&sync, 2026, 10, 25).is_empty());
    // The same hours on every day of the week are untouched by DST (it happens at night).
    assert_eq!(fires_on("0,30 7-17 * * *", 2026, 3, 29).len(), 22);
    assert_eq!(fires_on("0,30 7-17 * * *", 2026, 10, 25).len(), 22);
}

#[test]
fn round_the_clock_interval_follows_the_real_length_of_dst_days() {
    // Interval jobs skip the times that do not exist and run in both repeated hours.
    assert_eq!(fires_on("*/30 * * * *", 2026, 3, 29).len(), 46);
    assert_eq!(fires_on("*/30 * * * *", 2026, 10, 25).len(), 50);
    assert_eq!(fires_on("*/30 * * * *", 2026, 1, 12).len(), 48);
}

#[test]
fn ticking_in_small_windows_yields_the_same_fire_times_as_one_big_window() {
    let expressions = [
        "30 2 * * *",
        "0 2 * * *",
        "0 3 * * *",
        "*/30 * * * *",
        "30 7 * * 1-5",
        "0,30 7-17 * * 1-5",
    ];
    for (y, m, d) in [(2026, 3, 28), (2026, 10, 24)] {
        // From Saturday 22:00 local through Monday 08:00: the DST night and the next school morning.
        let (saturday, _) = local_day(y, m, d);
        let start = saturday + TimeDelta::hours(22);
        let end = start + TimeDelta::hours(35);
        for expr in expressions {
            let whole = due_ticks(expr, start, end).expect("valid");
            for step in [
                TimeDelta::seconds(59),
                TimeDelta::minutes(7),
                TimeDelta::minutes(61),
            ] {
                let schedule = CronSchedule::parse(expr).expect("valid");
                let mut pieces = Vec::new();
                let mut from = start;
                while from < end {
                    let to = (from + step).min(end);
                    pieces.extend(schedule.due_ticks(from, to));
                    from = to;
                }
                assert_eq!(pieces, whole, "{expr} in steps of {step}");
            }
        }
    }
}

#[test]
fn windows_are_half_open_and_sub_second_safe() {
    let schedule = CronSchedule::parse("30 7 * * *").expect("valid");
    let fire = utc(2026, 1, 12, 6, 30);
    assert_eq!(schedule.due_ticks(fire - TimeDelta::minutes(1), fire), [fire]);
    assert!(schedule.due_ticks(fire, fire + TimeDelta::minutes(1)).is_empty());
    assert_eq!(
        schedule.next_after(fire - TimeDelta::milliseconds(500)),
        Some(fire)
    );
    assert_eq!(
        schedule.next_after(fire + TimeDelta::milliseconds(500)),
        Some(fire + TimeDelta::days(1))
    );
    assert!(
        schedule.due_ticks(fire, fire - TimeDelta::hours(1)).is_empty(),
        "empty window"
    );
}

#[test]
fn due_ticks_keep_only_the_newest_when_a_window_holds_too_many() {
    let up_to = utc(2026, 1, 12, 12, 0);
    let ticks = due_ticks("* * * * * *", up_to - TimeDelta::hours(2), up_to).expect("valid");
    assert_eq!(ticks.len(), MAX_DUE_TICKS);
    assert_eq!(ticks.last(), Some(&up_to));
    assert_eq!(
        ticks.first(),
        Some(&(up_to - TimeDelta::seconds(MAX_DUE_TICKS as i64 - 1)))
    );
}

#[test]
fn six_field_expressions_carry_seconds() {
    let schedule = CronSchedule::parse("15 30 7 * * *").expect("valid");
    assert_eq!(
        schedule.next_after(utc(2026, 1, 12, 0, 0)),
        Some(utc(2026, 1, 12, 6, 30) + TimeDelta::seconds(15))
    );
    assert_eq!(schedule.expression(), "15 30 7 * * *");
}

#[test]
fn invalid_and_never_firing_expressions() {
    assert!(CronSchedule::parse("61 * * * *").is_err());
    assert!(due_ticks("not cron", utc(2026, 1, 1, 0, 0), utc(2026, 1, 2, 0, 0)).is_err());
    let never = CronSchedule::parse("0 0 30 2 *").expect("valid syntax");
    assert_eq!(never.next_after(utc(2026, 1, 1, 0, 0)), None);
}

#[test]
fn interval_slots_are_aligned_to_the_epoch_and_equal_within_an_interval() {
    use chrono::TimeZone;
    let week = std::time::Duration::from_secs(7 * 24 * 3600);
    let t = |d, h| {
        chrono::Utc
            .with_ymd_and_hms(2026, 3, d, h, 0, 0)
            .single()
            .expect("time")
    };
    // 1970-01-01 was a Thursday: weekly slots start on Thursdays 00:00 UTC.
    let thursday = chrono::Utc
        .with_ymd_and_hms(2026, 2, 26, 0, 0, 0)
        .single()
        .expect("time");
    assert_eq!(crate::schedule::interval_slot(t(2, 8), week), thursday);
    assert_eq!(
        crate::schedule::interval_slot(t(5, 0), week),
        crate::schedule::interval_slot(t(11, 23), week)
    );
    assert_ne!(
        crate::schedule::interval_slot(t(11, 23), week),
        crate::schedule::interval_slot(t(12, 0), week)
    );
    // A zero interval cannot divide by zero (check-config refuses it anyway).
    assert_eq!(
        crate::schedule::interval_slot(t(2, 8), std::time::Duration::ZERO),
        t(2, 8)
    );
}
