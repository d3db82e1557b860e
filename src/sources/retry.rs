//! The quick, in-request retry layer (ARCHITECTURE habit 6, first layer): which answers are
//! retried, how long to wait (exponential backoff with jitter, at least `Retry-After`), and the
//! total retry-time budget. Everything here is pure; `http.rs` drives it through `backon`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::sources::error::SourceError;

/// May a request be repeated without changing the outcome? (`Idempotent` for GET, SOAP reads and
/// POSTs carrying an `Idempotency-Key`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Safe to retry.
    Idempotent,
    /// Sent at most once.
    NotIdempotent,
}

/// The delay before the next attempt, or `None` to stop retrying.
///
/// * `proposed`: the backoff's next delay (`None` once the attempts are used up);
/// * `err`: the failure of the last attempt: only transient errors are retried, and a
///   `Retry-After` it carries is a lower bound for the wait;
/// * `spent`: time since the first attempt started; `budget`: the total retry time allowed: a
///   wait that would end past the budget is not started (the caller gets the error, and the job
///   layer schedules the next try, using `retry_after` if present).
pub fn next_delay(
    err: &SourceError,
    proposed: Option<Duration>,
    spent: Duration,
    budget: Duration,
) -> Option<Duration> {
    if !err.is_transient() || matches!(err, SourceError::CircuitOpen) {
        return None;
    }
    let backoff = proposed?;
    let delay = err.retry_after().map_or(backoff, |wait| wait.max(backoff));
    (spent.saturating_add(delay) <= budget).then_some(delay)
}

/// Parses `Retry-After` (delta-seconds or an HTTP-date relative to `now`); a date in the past
/// means "now" (zero).
pub fn parse_retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Classifies a non-success HTTP status (the body is the caller's business).
pub fn classify_status(status: StatusCode, headers: &HeaderMap, now: DateTime<Utc>) -> SourceError {
    match status {
        StatusCode::UNAUTHORIZED => SourceError::Unauthorized,
        StatusCode::FORBIDDEN => SourceError::Forbidden,
        StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited {
            retry_after: parse_retry_after(headers, now),
        },
        StatusCode::REQUEST_TIMEOUT => SourceError::Timeout,
        StatusCode::INTERNAL_SERVER_ERROR
        | StatusCode::BAD_GATEWAY
        | StatusCode::SERVICE_UNAVAILABLE
        | StatusCode::GATEWAY_TIMEOUT => SourceError::Server {
            status,
            retry_after: parse_retry_after(headers, now),
        },
        other => SourceError::Permanent(format!("HTTP {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
    use reqwest::header::HeaderValue;
    use std::sync::atomic::{AtomicU32, Ordering};

    const BUDGET: Duration = Duration::from_secs(60);

    fn server(retry_after: Option<u64>) -> SourceError {
        SourceError::Server {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn retry_after_is_a_lower_bound_and_backoff_wins_when_longer() {
        let ms = Duration::from_millis;
        assert_eq!(
            next_delay(&server(Some(3)), Some(ms(200)), ms(0), BUDGET),
            Some(ms(3000))
        );
        assert_eq!(
            next_delay(&server(Some(1)), Some(ms(1500)), ms(0), BUDGET),
            Some(ms(1500))
        );
        assert_eq!(
            next_delay(&server(None), Some(ms(200)), ms(0), BUDGET),
            Some(ms(200))
        );
    }

    #[test]
    fn permanent_errors_exhausted_attempts_and_the_budget_stop_retrying() {
        let ms = Duration::from_millis;
        assert_eq!(
            next_delay(
                &SourceError::Permanent("HTTP 400".into()),
                Some(ms(1)),
                ms(0),
                BUDGET
            ),
            None
        );
        assert_eq!(
            next_delay(&SourceError::Unauthorized, Some(ms(1)), ms(0), BUDGET),
            None
        );
        assert_eq!(next_delay(&server(None), None, ms(0), BUDGET), None);
        assert_eq!(
            next_delay(&server(Some(30)), Some(ms(1)), Duration::from_secs(31), BUDGET),
            None
        );
        assert_eq!(
            next_delay(&SourceError::CircuitOpen, Some(ms(1)), ms(0), BUDGET),
            None
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T06:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 29 Nov 2026 06:00:42 GMT"),
        );
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::from_secs(42)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Sun, 29 Nov 2026 05:00:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers, now), None);
    }

    #[test]
    fn statuses_are_classified() {
        let now = Utc::now();
        let none = HeaderMap::new();
        assert_eq!(
            classify_status(StatusCode::UNAUTHORIZED, &none, now),
            SourceError::Unauthorized
        );
        assert_eq!(
            classify_status(StatusCode::FORBIDDEN, &none, now),
            SourceError::Forbidden
        );
        assert!(classify_status(StatusCode::BAD_GATEWAY, &none, now).is_transient());
        assert!(!classify_status(StatusCode::BAD_REQUEST, &none, now).is_transient());
        assert!(!classify_status(StatusCode::NOT_FOUND, &none, now).is_transient());
    }

    /// The delay function driven by backon on paused time: the waits are exactly what
    /// `next_delay` decided, and the budget ends the retries.
    #[tokio::test(start_paused = true)]
    async fn backon_sleeps_what_next_delay_decides_within_the_budget() {
        let calls = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(100))
            .with_max_times(10)
            .build();
        let result: Result<(), SourceError> = (|| async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(server(Some(4)))
        })
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .adjust(|err, proposed| next_delay(err, proposed, start.elapsed(), Duration::from_secs(10)))
        .await;
        assert_eq!(result, Err(server(Some(4))));
        // Waits of 4 s (Retry-After beats 100/200 ms) twice; a third would pass the 10 s budget.
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(start.elapsed(), Duration::from_secs(8));
    }
}
