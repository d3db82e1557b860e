//! Per-school circuit breaker (stroomonderbreker per school): after N consecutive transient
//! failures the school's calls fail fast with `CircuitOpen`; after a cooldown one probe may pass.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// State of one school's circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Calls pass; counts consecutive transient failures.
    Closed { failures: u32 },
    /// Calls fail fast until `until`.
    Open { until: Instant },
    /// One probe is in flight; others fail fast until `deadline` (then a new probe may go).
    HalfOpen { deadline: Instant },
}

/// What the breaker decided after recording an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing changed worth reporting.
    None,
    /// The circuit just opened (metric and warning worthy).
    Opened,
    /// The circuit closed again after a successful probe.
    Closed,
}

/// Circuit breakers keyed by school (BRIN or other school key). Uses tokio's clock, so tests
/// drive it with paused time.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    states: Mutex<HashMap<String, State>>,
}

impl CircuitBreaker {
    /// A breaker opening after `threshold` consecutive failures (at least 1), cooling down for
    /// `cooldown` before a probe.
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn with_states<R>(&self, f: impl FnOnce(&mut HashMap<String, State>) -> R) -> R {
        // A poisoned lock only means another thread panicked mid-update of plain data: keep going.
        let mut guard = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// May a call for `school` go out now? `false` means fail fast with `CircuitOpen`.
    pub fn try_acquire(&self, school: &str) -> bool {
        let now = Instant::now();
        let cooldown = self.cooldown;
        self.with_states(|states| {
            let state = states
                .entry(school.to_owned())
                .or_insert(State::Closed { failures: 0 });
            match *state {
                State::Closed { .. } => true,
                State::Open { until } | State::HalfOpen { deadline: until } if now >= until => {
                    *state = State::HalfOpen {
                        deadline: now + cooldown,
                    };
                    true
                }
                State::Open { .. } | State::HalfOpen { .. } => false,
            }
        })
    }

    /// Records that the source answered (success or a permanent, non-transient error).
    pub fn record_success(&self, school: &str) -> Transition {
        self.with_states(|states| {
            let previous = states.insert(school.to_owned(), State::Closed { failures: 0 });
            match previous {
                Some(State::HalfOpen { .. } | State::Open { .. }) => Transition::Closed,
                _ => Transition::None,
            }
        })
    }

    /// Records a transient failure (after the request's own retries).
    pub fn record_failure(&self, school: &str) -> Transition {
        let now = Instant::now();
        let (threshold, cooldown) = (self.threshold, self.cooldown);
        self.with_states(|states| {
            let state = states
                .entry(school.to_owned())
                .or_insert(State::Closed { failures: 0 });
            match *state {
                State::Closed { failures } if failures + 1 >= threshold => {
                    *state = State::Open {
                        until: now + cooldown,
                    };
                    Transition::Opened
                }
                State::Closed { failures } => {
                    *state = State::Closed {
                        failures: failures + 1,
                    };
                    Transition::None
                }
                State::HalfOpen { .. } => {
                    *state = State::Open {
                        until: now + cooldown,
                    };
                    Transition::Opened
                }
                State::Open { .. } => Transition::None,
            }
        })
    }

    /// True while `school`'s circuit is open or probing (for status output).
    pub fn is_open(&self, school: &str) -> bool {
        self.with_states(|states| {
            matches!(
                states.get(school),
                Some(State::Open { .. } | State::HalfOpen { .. })
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn opens_after_threshold_and_probes_after_cooldown() {
        let breaker = CircuitBreaker::new(3, Duration::from_secs(30));
        for _ in 0..2 {
            assert!(breaker.try_acquire("11ZW"));
            assert_eq!(breaker.record_failure("11ZW"), Transition::None);
        }
        assert!(breaker.try_acquire("11ZW"));
        assert_eq!(breaker.record_failure("11ZW"), Transition::Opened);
        assert!(!breaker.try_acquire("11ZW"), "open circuit fails fast");
        assert!(breaker.try_acquire("22AB"), "other schools are not affected");

        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(breaker.try_acquire("11ZW"), "one probe after the cooldown");
        assert!(!breaker.try_acquire("11ZW"), "only one probe at a time");
        assert_eq!(
            breaker.record_failure("11ZW"),
            Transition::Opened,
            "failed probe reopens"
        );
        assert!(!breaker.try_acquire("11ZW"));

        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(breaker.try_acquire("11ZW"));
        assert_eq!(breaker.record_success("11ZW"), Transition::Closed);
        assert!(breaker.try_acquire("11ZW") && !breaker.is_open("11ZW"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_success_resets_the_failure_count() {
        let breaker = CircuitBreaker::new(2, Duration::from_secs(5));
        breaker.record_failure("11ZW");
        breaker.record_success("11ZW");
        assert_eq!(breaker.record_failure("11ZW"), Transition::None);
        assert!(breaker.try_acquire("11ZW"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_probe_lets_another_probe_through_after_the_cooldown() {
        let breaker = CircuitBreaker::new(1, Duration::from_secs(5));
        breaker.record_failure("11ZW");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(breaker.try_acquire("11ZW"));
        // The probe's future was dropped: nothing recorded.
        assert!(!breaker.try_acquire("11ZW"));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(breaker.try_acquire("11ZW"));
    }
}
