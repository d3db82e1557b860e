//! Errors of the source adapters (bronfouten), classified for the caller: transient errors are
//! retried (here a few times, later by the job layer), permanent ones never are.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

/// What went wrong talking to a source system (ParnasSys, Leeruniek, GKV).
///
/// No variant ever carries a bearer token, client secret or supplier key (leveranciersleutel):
/// bodies are redacted and masked before they are stored here (see [`crate::sources::redact`]),
/// and `Debug` prints the same text as `Display`, so a SOAP fault body is never echoed by `{:?}`.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// HTTP 401 that persisted after one token refresh.
    #[error("unauthorized (HTTP 401) after one token refresh")]
    Unauthorized,
    /// HTTP 403: the school withdrew access (toestemming ingetrokken); permanent.
    #[error("forbidden (HTTP 403): access for this school is refused")]
    Forbidden,
    /// HTTP 429 (too many requests), with the server's `Retry-After` if it sent one.
    #[error("rate limited by the source (HTTP 429){}", fmt_retry_after(*.retry_after))]
    RateLimited {
        /// How long the server asked us to wait.
        retry_after: Option<Duration>,
    },
    /// A 5xx (or 408) answer; `retry_after` is set when a 503 carried `Retry-After`.
    #[error("server error (HTTP {status}){}", fmt_retry_after(*.retry_after))]
    Server {
        /// The HTTP status.
        status: StatusCode,
        /// How long the server asked us to wait.
        retry_after: Option<Duration>,
    },
    /// The request or the connection attempt timed out.
    #[error("request timed out")]
    Timeout,
    /// Connection refused/reset, TLS or protocol failure.
    #[error("transport error: {0}")]
    Transport(String),
    /// The body did not decode; the preview is truncated, secret-redacted and value-masked.
    #[error("response did not decode ({reason}); body starts with: {body_preview}")]
    Decode {
        /// Why decoding failed (serde category and position, no values).
        reason: String,
        /// Safe start of the body: structure kept, string values masked.
        body_preview: String,
    },
    /// The per-school circuit breaker is open: the source failed too often, try again later.
    #[error("circuit open for this school: the source failed repeatedly, waiting for the cooldown")]
    CircuitOpen,
    /// The credential or consent was revoked (sleutel/toestemming ingetrokken): stop this school.
    #[error("credential revoked: {reason}")]
    Revoked {
        /// Why (e.g. `invalid_client` from the token endpoint); never the credential itself.
        reason: String,
    },
    /// A SOAP 1.1 fault (HTTP 500 with a `Fault` body). The adapter inspects `body` (redacted of
    /// the secrets passed with the request) to decide e.g. between `Revoked` and `Permanent`.
    #[error("SOAP fault (HTTP {status}, {} bytes)", .body.len())]
    SoapFault {
        /// The HTTP status (normally 500).
        status: StatusCode,
        /// The full fault envelope, secrets redacted.
        body: String,
    },
    /// The response body was longer than the configured cap (`max_response_bytes`); not retried,
    /// the same request would bring the same body.
    #[error("response body exceeds the limit of {limit} bytes (sources.*.max_response_bytes)")]
    TooLarge {
        /// The cap in bytes.
        limit: u64,
    },
    /// The source answered `has_more` with a cursor it had already returned in this run: paging
    /// would never end, so the stream stops.
    #[error("paging made no progress: the source repeated cursor {cursor} with more pages announced")]
    NoProgress {
        /// The repeated cursor (opaque source text, no pupil data).
        cursor: String,
    },
    /// Any other non-retryable failure (4xx, invalid URL, invalid configuration).
    #[error("permanent error: {0}")]
    Permanent(String),
    /// An XML answer broke a limit of [`crate::sources::xml`] (too large, duplicate attributes,
    /// too many namespace declarations, …); permanent: the same answer would be refused again.
    #[error("XML answer refused: {0}")]
    XmlRefused(crate::sources::xml::XmlLimitError),
}

fn fmt_retry_after(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {}s", d.as_secs()))
        .unwrap_or_default()
}

impl fmt::Debug for SourceError {
    // Same text as Display: keeps fault bodies and previews out of `{:?}` beyond what Display shows.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceError({self})")
    }
}

impl SourceError {
    /// True when trying again later can succeed (429, 5xx, timeouts, transport, open circuit).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. }
                | Self::Server { .. }
                | Self::Timeout
                | Self::Transport(_)
                | Self::CircuitOpen
        )
    }

    /// The wait the server asked for, if any (429 or 503 with `Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } | Self::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Short label for metrics and logs (`429`, `timeout`, …); never contains data.
    pub fn label(&self) -> String {
        match self {
            Self::Unauthorized => "401".to_owned(),
            Self::Forbidden => "403".to_owned(),
            Self::RateLimited { .. } => "429".to_owned(),
            Self::Server { status, .. } | Self::SoapFault { status, .. } => status.as_u16().to_string(),
            Self::Timeout => "timeout".to_owned(),
            Self::Transport(_) => "transport".to_owned(),
            Self::Decode { .. } => "decode".to_owned(),
            Self::CircuitOpen => "circuit_open".to_owned(),
            Self::Revoked { .. } => "revoked".to_owned(),
            Self::TooLarge { .. } => "too_large".to_owned(),
            Self::NoProgress { .. } => "no_progress".to_owned(),
            Self::Permanent(_) => "permanent".to_owned(),
            Self::XmlRefused(_) => "xml_refused".to_owned(),
        }
    }

    /// Maps a reqwest failure; the URL is dropped (it may carry query parameters).
    pub fn from_reqwest(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            return Self::Timeout;
        }
        let err = err.without_url();
        if err.is_builder() {
            return Self::Permanent(format!("invalid request: {}", error_chain(&err)));
        }
        Self::Transport(error_chain(&err))
    }
}

/// `err: cause: cause` on one line.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_and_permanent_are_told_apart() {
        assert!(SourceError::RateLimited { retry_after: None }.is_transient());
        assert!(
            SourceError::Server {
                status: StatusCode::BAD_GATEWAY,
                retry_after: None
            }
            .is_transient()
        );
        assert!(SourceError::Timeout.is_transient());
        assert!(SourceError::CircuitOpen.is_transient());
        assert!(!SourceError::Unauthorized.is_transient());
        assert!(!SourceError::Forbidden.is_transient());
        assert!(
            !SourceError::Revoked {
                reason: "invalid_client".into()
            }
            .is_transient()
        );
        assert!(!SourceError::Permanent("HTTP 400".into()).is_transient());
        assert!(
            !SourceError::SoapFault {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                body: String::new()
            }
            .is_transient()
        );
    }

    #[test]
    fn debug_of_a_soap_fault_does_not_print_the_body() {
        let err = SourceError::SoapFault {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            body: "<faultstring>Leerling Jansen</faultstring>".into(),
        };
        assert!(!format!("{err:?}").contains("Jansen"));
        assert!(!format!("{err}").contains("Jansen"));
    }
}
