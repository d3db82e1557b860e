//! Per-school request rate limit (verzoeken per seconde per school) over `governor`, on tokio's
//! clock so waits are tokio sleeps (and tests measure spacing with paused time).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};

/// `governor` clock reading tokio's (pausable) time as an offset from a fixed origin.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock whose zero is now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        tokio::time::Instant::now().saturating_duration_since(self.origin)
    }
}

/// Spaces requests per school evenly: `per_second` requests a second, no bursts.
#[derive(Debug)]
pub struct SchoolRateLimiter {
    clock: TokioClock,
    limiter: RateLimiter<String, HashMapStateStore<String>, TokioClock, NoOpMiddleware<Duration>>,
}

impl SchoolRateLimiter {
    /// A limiter allowing `per_second` requests a second per school (0 is treated as 1).
    pub fn new(per_second: u32) -> Self {
        let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
        // Burst of one: politeness towards the school's system matters more than latency.
        let quota = Quota::per_second(rate).allow_burst(NonZeroU32::MIN);
        let clock = TokioClock::new();
        Self {
            clock,
            limiter: RateLimiter::hashmap_with_clock(quota, clock),
        }
    }

    /// Waits until `school` may send its next request; returns how long it waited.
    pub async fn until_ready(&self, school: &str) -> Duration {
        let key = school.to_owned();
        let mut waited = Duration::ZERO;
        loop {
            match self.limiter.check_key(&key) {
                Ok(()) => return waited,
                Err(not_until) => {
                    let wait = not_until.wait_time_from(self.clock.now());
                    waited += wait;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_of_one_school_are_spaced_and_other_schools_are_not_delayed() {
        let limiter = SchoolRateLimiter::new(5);
        let start = tokio::time::Instant::now();
        for _ in 0..6 {
            limiter.until_ready("11ZW").await;
        }
        // Six requests at 5/s with no burst: five gaps of 200 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
        let other = tokio::time::Instant::now();
        assert_eq!(limiter.until_ready("22AB").await, Duration::ZERO);
        assert_eq!(other.elapsed(), Duration::ZERO);
    }
}
