//! The wall clock the scheduler and runner read: the system clock, or one anchored to tokio's
//! clock so tests drive whole days with paused time.

use chrono::{DateTime, TimeDelta, Utc};
use tokio::time::Instant;

/// Where "now" comes from.
#[derive(Debug, Clone, Copy)]
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
}

impl Clock {
    /// A clock that reads `utc` now and moves with tokio's clock from here on.
    pub fn anchored_at(utc: DateTime<Utc>) -> Self {
        Self::Anchored {
            utc,
            instant: Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
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
}
