//! The wall clock the scheduler and runner read: the system clock, or one anchored to tokio's
//! clock so tests drive whole days with paused time.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// Today in Europe/Amsterdam on the system clock: the school's calendar day, whatever the
/// server's time zone. Every command and page that needs "today" reads it here, the daemon
/// through its [`Clock`], so the CLI, the dashboard and the daemon agree.
pub fn today_amsterdam() -> chrono::NaiveDate {
    Clock::System.today_amsterdam()
}

/// Where "now" comes from.
#[derive(Debug, Clone)]
pub enum Clock {
    /// [`Utc::now`]: production.
    System,
    /// `utc` at `instant`, moving with tokio's clock: under `tokio::time::pause` (or
    /// `#[tokio::test(start_paused = true)]`) sleeping advances it exactly.
    Anchored {
        /// The UTC time at `instant`.
        utc: DateTime<Utc>,
        /// The tokio instant the anchor was taken at.
        instant: Instant,
    },
    /// Set by hand ([`Clock::set`]): `zorgsignaal simulate` steps it from schedule slot to slot,
    /// so a school year replays without waiting. Clones share the time.
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A clock that reads `utc` now and moves with tokio's clock from here on.
    pub fn anchored_at(utc: DateTime<Utc>) -> Self {
        Self::Anchored {
            utc,
            instant: Instant::now(),
        }
    }

    /// A hand-set clock reading `utc` until [`Clock::set`] moves it.
    pub fn manual(utc: DateTime<Utc>) -> Self {
        Self::Manual(Arc::new(Mutex::new(utc)))
    }

    /// Moves a manual clock (and every clone of it) to `utc`; other clocks ignore it.
    pub fn set(&self, utc: DateTime<Utc>) {
        if let Self::Manual(t) = self {
            *t.lock().unwrap_or_else(PoisonError::into_inner) = utc;
        }
    }

    /// Today in Europe/Amsterdam on this clock: the school's calendar day.
    pub fn today_amsterdam(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&chrono_tz::Europe::Amsterdam)
            .date_naive()
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Manual(t) => *t.lock().unwrap_or_else(PoisonError::into_inner),
            Self::Anchored { utc, instant } => {
                let elapsed = TimeDelta::from_std(instant.elapsed()).unwrap_or(TimeDelta::MAX);
                utc.checked_add_signed(elapsed)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn anchored_clock_moves_with_paused_tokio_time() {
        let start = Utc
            .with_ymd_and_hms(2026, 3, 29, 0, 0, 0)
            .single()
            .expect("valid");
        let clock = Clock::anchored_at(start);
        assert_eq!(clock.now(), start);
        tokio::time::sleep(Duration::from_secs(5400)).await;
        assert_eq!(clock.now(), start + TimeDelta::minutes(90));
    }

    #[test]
    fn manual_clock_moves_only_when_set_and_clones_share_it() {
        let start = Utc
            .with_ymd_and_hms(2025, 10, 26, 0, 30, 0)
            .single()
            .expect("valid");
        let clock = Clock::manual(start);
        let other = clock.clone();
        assert_eq!(other.now(), start);
        clock.set(start + TimeDelta::hours(23));
        assert_eq!(other.now(), start + TimeDelta::hours(23));
        // 23:30 UTC on the fall-back day is already Monday in Amsterdam.
        assert_eq!(other.today_amsterdam().to_string(), "2025-10-27");
    }
}
