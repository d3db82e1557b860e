//! Cron expressions evaluated on the Europe/Amsterdam wall clock and answered in UTC: the pure
//! part of scheduling (no I/O, no clock). DST follows croner: see `docs/SCHEDULES.md`.

use std::collections::VecDeque;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::errors::CronError;

use crate::settings::ScheduleSettings;

/// The time zone every schedule is read in (Europe/Amsterdam).
pub const TIMEZONE: Tz = ScheduleSettings::TIMEZONE;

/// At most this many fire times come out of one [`CronSchedule::due_ticks`] call; a window that
/// holds more is cut at its oldest ticks (the newest are kept, see the function).
pub const MAX_DUE_TICKS: usize = 1024;

/// A parsed cron expression (5 fields, or 6 with seconds first) read in [`TIMEZONE`].
///
/// DST, as croner documents it (OCPS / Vixie cron):
/// - spring forward (02:00 → 03:00): a fixed-time job (single second, minute and hour, such as
///   `30 2 * * *`) whose time falls in the gap runs once, at the first instant after it (03:00);
///   an interval job (`*/30 * * * *`, `0 * * * *`) skips the times that do not exist;
/// - fall back (03:00 → 02:00): a fixed-time job runs once, at the first of the two instants;
///   an interval job runs at both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronSchedule {
    expression: String,
    cron: Cron,
}

impl CronSchedule {
    /// Parses `expression` (the syntax of `[schedule]` in the config).
    pub fn parse(expression: &str) -> Result<Self, CronError> {
        Ok(Self {
            expression: expression.trim().to_owned(),
            cron: expression.parse::<Cron>()?,
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first fire time strictly after `after`; `None` when the expression never fires again
    /// (such as `0 0 30 2 *`).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // croner counts whole seconds; flooring keeps "strictly after" exact for sub-second input.
        let start = after
            .duration_trunc(TimeDelta::seconds(1))
            .unwrap_or(after)
            .with_timezone(&TIMEZONE);
        self.cron
            .find_next_occurrence(&start, false)
            .ok()
            .map(|local| local.with_timezone(&Utc))
    }

    /// Every fire time `t` with `after < t <= up_to`, oldest first. Windows are half-open so
    /// that consecutive windows (`(a, b]`, `(b, c]`) together yield each fire time exactly once.
    /// At most [`MAX_DUE_TICKS`] are returned: when the window holds more, the newest ones are
    /// kept, the oldest dropped (callers bound their windows well below that).
    pub fn due_ticks(&self, after: DateTime<Utc>, up_to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut ticks = VecDeque::new();
        let mut cursor = after;
        while let Some(next) = self.next_after(cursor) {
            if next > up_to {
                break;
            }
            if ticks.len() == MAX_DUE_TICKS {
                ticks.pop_front();
            }
            ticks.push_back(next);
            cursor = next;
        }
        ticks.into()
    }
}

/// Parses `expression` and returns its fire times in `(after, up_to]`, oldest first, in UTC;
/// see [`CronSchedule::due_ticks`].
pub fn due_ticks(
    expression: &str,
    after: DateTime<Utc>,
    up_to: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, CronError> {
    Ok(CronSchedule::parse(expression)?.due_ticks(after, up_to))
}

#[cfg(test)]
#[path = "cron_tests.rs"]
mod tests;
