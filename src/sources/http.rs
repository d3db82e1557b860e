//! The shared HTTP client of the source adapters (gedeelde HTTP-laag): timeouts, a per-school
//! rate limit, quick retries with backoff that honour `Retry-After`, a per-school circuit
//! breaker, bearer tokens with one refresh on 401, and classified errors. One per source.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::sources::breaker::{CircuitBreaker, Transition};
use crate::sources::error::SourceError;
use crate::sources::oauth::BearerToken;
use crate::sources::ratelimit::SchoolRateLimiter;
use crate::sources::redact::{redact_secrets, safe_preview};
pub use crate::sources::request::{RawResponse, RequestSpec};
pub use crate::sources::retry::Idempotency;
use crate::sources::retry::{classify_status, next_delay};

/// Counter of requests sent, by `source`, `method` and `status` (HTTP code or error label).
pub const REQUESTS: &str = "zorgsignaal_http_requests_total";
/// Counter of retries, by `source` and `reason` (the failed attempt's status or error label).
pub const RETRIES: &str = "zorgsignaal_http_retries_total";
/// Histogram of request durations in seconds, by `source`.
pub const REQUEST_DURATION: &str = "zorgsignaal_http_request_duration_seconds";
/// Histogram of time spent waiting for the per-school rate limit, in seconds, by `source`.
pub const RATE_LIMIT_WAIT: &str = "zorgsignaal_http_rate_limit_wait_seconds";
/// Counter of circuits that opened, by `source`.
pub const CIRCUIT_OPENED: &str = "zorgsignaal_http_circuit_opened_total";
/// Counter of requests refused because the school's circuit was open, by `source`.
pub const CIRCUIT_REJECTED: &str = "zorgsignaal_http_circuit_rejected_total";

/// Settings of one source's HTTP client (plain values, filled from the settings by the caller).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Whole-request timeout (connect + send + body).
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Requests per second per school (default 5).
    pub rate_limit_per_second: u32,
    /// Attempts per idempotent request, first one included (1 = no retries).
    pub max_attempts: u32,
    /// Total time a request may spend retrying; a wait past it is not started.
    pub max_retry_time: Duration,
    /// First backoff delay (doubled each retry, with jitter).
    pub retry_min_delay: Duration,
    /// Largest backoff delay (a `Retry-After` may ask for more).
    pub retry_max_delay: Duration,
    /// Consecutive transient failures of one school before its circuit opens.
    pub breaker_threshold: u32,
    /// How long an open circuit stays open before one probe.
    pub breaker_cooldown: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Largest response body read (bytes); a longer one fails with [`SourceError::TooLarge`].
    pub max_response_bytes: u64,
}

/// Default cap on a response body: 32 MiB, far above a page of 200 records or a GKV snapshot
/// of a large school, far below what would hurt the daemon.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            rate_limit_per_second: 5,
            max_attempts: 4,
            max_retry_time: Duration::from_secs(60),
            retry_min_delay: Duration::from_millis(250),
            retry_max_delay: Duration::from_secs(10),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(60),
            user_agent: concat!("zorgsignaal/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// How a non-2xx answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Rest,
    Soap,
}

/// The HTTP client of one source; build once, share by reference.
#[derive(Debug)]
pub struct HttpClient {
    source: &'static str,
    config: HttpConfig,
    inner: reqwest::Client,
    limiter: SchoolRateLimiter,
    breaker: CircuitBreaker,
}

impl HttpClient {
    /// A client for `source` (the metrics label, e.g. `parnassys`).
    pub fn new(source: &'static str, config: HttpConfig) -> Result<Self, SourceError> {
        Self::with_client_certificate(source, config, None)
    }

    /// Like [`HttpClient::new`], presenting a client certificate (PEM: the certificate chain and
    /// its private key) on every TLS connection, for a server that requires one (UWLR at ESIS).
    pub fn with_client_certificate(
        source: &'static str,
        config: HttpConfig,
        identity_pem: Option<&[u8]>,
    ) -> Result<Self, SourceError> {
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .user_agent(config.user_agent.clone());
        if let Some(pem) = identity_pem {
            let identity = reqwest::Identity::from_pem(pem).map_err(|e| {
                SourceError::Permanent(format!(
                    "client certificate is not a usable PEM certificate and key: {e}"
                ))
            })?;
            builder = builder.identity(identity);
        }
        let inner = builder.build().map_err(SourceError::from_reqwest)?;
        Ok(Self {
            source,
            limiter: SchoolRateLimiter::new(config.rate_limit_per_second),
            breaker: CircuitBreaker::new(config.breaker_threshold, config.breaker_cooldown),
            config,
            inner,
        })
    }

    /// The underlying reqwest client, for [`crate::sources::oauth::TokenSource::new`]; clones
    /// share the connection pool.
    pub fn reqwest(&self) -> reqwest::Client {
        self.inner.clone()
    }

    /// True while `school`'s circuit is open (for status output).
    pub fn is_circuit_open(&self, school: &str) -> bool {
        self.breaker.is_open(school)
    }

    /// GET a JSON document (retried when transient).
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        school: &str,
        req: RequestSpec<'_>,
    ) -> Result<T, SourceError> {
        let secrets = secret_strs(&req);
        let raw = self
            .execute(school, Method::GET, &req, None, Idempotency::Idempotent)
            .await?;
        decode_json(&raw.body, &secrets)
    }

    /// POST a JSON body and decode a JSON answer. Retried only with an `Idempotency-Key`.
    pub async fn post_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        school: &str,
        req: RequestSpec<'_>,
        body: &B,
    ) -> Result<T, SourceError> {
        let secrets: Vec<SecretString> = req.secrets.iter().map(|s| (*s).clone()).collect();
        let raw = self.post_json_raw(school, req, body).await?;
        let exposed: Vec<&str> = secrets.iter().map(|s| s.expose_secret()).collect();
        decode_json(&raw.body, &exposed)
    }

    /// POST a JSON body and return the raw 2xx answer (for 201/204 without a body).
    pub async fn post_json_raw<B: Serialize + ?Sized>(
        &self,
        school: &str,
        req: RequestSpec<'_>,
        body: &B,
    ) -> Result<RawResponse, SourceError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| SourceError::Permanent(format!("request body does not serialise: {e}")))?;
        let req = req.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let idempotency = if req.idempotent_post {
            Idempotency::Idempotent
        } else {
            Idempotency::NotIdempotent
        };
        self.execute(school, Method::POST, &req, Some(bytes), idempotency)
            .await
    }

    /// POST a SOAP 1.1 envelope (a read such as GKV `getLeerlingen`, so retried when transient)
    /// and return the response envelope. A non-2xx answer whose body holds a SOAP `Fault` comes
    /// back as [`SourceError::SoapFault`] with the (redacted) body, for the adapter to inspect;
    /// it is not retried. Register the supplier key with [`RequestSpec::redact`].
    pub async fn post_soap(
        &self,
        school: &str,
        req: RequestSpec<'_>,
        soap_action: &str,
        body: SecretString,
    ) -> Result<String, SourceError> {
        let action = HeaderValue::from_str(&format!("\"{soap_action}\""))
            .map_err(|_| SourceError::Permanent("SOAPAction is not a valid header value".into()))?;
        let req = req
            .header(CONTENT_TYPE, HeaderValue::from_static("text/xml; charset=utf-8"))
            .header(HeaderName::from_static("soapaction"), action);
        let bytes = body.expose_secret().as_bytes().to_vec();
        let raw = self
            .execute_as(
                school,
                Method::POST,
                &req,
                Some(bytes),
                Idempotency::Idempotent,
                Expect::Soap,
            )
            .await?;
        String::from_utf8(raw.body).map_err(|e| SourceError::Decode {
            reason: format!(
                "SOAP response is not UTF-8 at byte {}",
                e.utf8_error().valid_up_to()
            ),
            body_preview: String::new(),
        })
    }

    /// Sends a request through rate limit, breaker and retries; returns any 2xx answer.
    pub async fn execute(
        &self,
        school: &str,
        method: Method,
        req: &RequestSpec<'_>,
        body: Option<Vec<u8>>,
        idempotency: Idempotency,
    ) -> Result<RawResponse, SourceError> {
        self.execute_as(school, method, req, body, idempotency, Expect::Rest)
            .await
    }

    #[tracing::instrument(skip_all, fields(source = self.source, school = %school, method = %method))]
    async fn execute_as(
        &self,
        school: &str,
        method: Method,
        req: &RequestSpec<'_>,
        body: Option<Vec<u8>>,
        idempotency: Idempotency,
        expect: Expect,
    ) -> Result<RawResponse, SourceError> {
        let url = build_url(req)?;
        if !self.breaker.try_acquire(school) {
            metrics::counter!(CIRCUIT_REJECTED, "source" => self.source).increment(1);
            return Err(SourceError::CircuitOpen);
        }
        let attempt = || self.attempt(school, &method, &url, req, body.as_deref(), expect);
        let result = match idempotency {
            Idempotency::NotIdempotent => attempt().await,
            Idempotency::Idempotent => {
                let start = Instant::now();
                let budget = self.config.max_retry_time;
                let backoff = ExponentialBuilder::default()
                    .with_min_delay(self.config.retry_min_delay)
                    .with_max_delay(self.config.retry_max_delay)
                    .with_max_times(self.config.max_attempts.saturating_sub(1) as usize)
                    .with_jitter();
                attempt
                    .retry(backoff)
                    .sleep(tokio::time::sleep)
                    .adjust(|err, proposed| next_delay(err, proposed, start.elapsed(), budget))
                    .notify(|err, wait| {
                        let reason = err.label();
                        metrics::counter!(RETRIES, "source" => self.source, "reason" => reason).increment(1);
                        tracing::warn!(error = %err, wait_ms = wait.as_millis() as u64, "retrying request");
                    })
                    .await
            }
        };
        let transition = match &result {
            Err(err) if err.is_transient() => self.breaker.record_failure(school),
            _ => self.breaker.record_success(school),
        };
        match transition {
            Transition::Opened => {
                metrics::counter!(CIRCUIT_OPENED, "source" => self.source).increment(1);
                tracing::warn!("circuit opened for this school after repeated failures");
            }
            Transition::Closed => tracing::info!("circuit closed again"),
            Transition::None => {}
        }
        result
    }

    /// One attempt: wait for the rate limit, send, and on a 401 refresh the token once and resend.
    async fn attempt(
        &self,
        school: &str,
        method: &Method,
        url: &Url,
        req: &RequestSpec<'_>,
        body: Option<&[u8]>,
        expect: Expect,
    ) -> Result<RawResponse, SourceError> {
        let mut token = match req.tokens {
            Some(tokens) => Some(tokens.token().await?),
            None => None,
        };
        let mut refreshed = false;
        loop {
            let raw = self
                .send_once(school, method, url, req, body, token.as_ref())
                .await?;
            if raw.status == StatusCode::UNAUTHORIZED
                && !refreshed
                && let (Some(tokens), Some(rejected)) = (req.tokens, token.as_ref())
            {
                token = Some(tokens.refresh_after_rejection(rejected).await?);
                refreshed = true;
                continue;
            }
            return self.check(raw, req, token.as_ref(), expect);
        }
    }

    async fn send_once(
        &self,
        school: &str,
        method: &Method,
        url: &Url,
        req: &RequestSpec<'_>,
        body: Option<&[u8]>,
        token: Option<&BearerToken>,
    ) -> Result<RawResponse, SourceError> {
        let waited = self.limiter.until_ready(school).await;
        metrics::histogram!(RATE_LIMIT_WAIT, "source" => self.source).record(waited.as_secs_f64());
        let mut builder = self
            .inner
            .request(method.clone(), url.clone())
            .headers(req.headers.clone());
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| SourceError::Permanent("access token is not a valid header value".into()))?;
            value.set_sensitive(true);
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(body) = body {
            builder = builder.body(body.to_vec());
        }
        let started = Instant::now();
        let result: Result<RawResponse, SourceError> = async {
            let response = builder.send().await.map_err(SourceError::from_reqwest)?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = read_capped(response, self.config.max_response_bytes).await?;
            Ok(RawResponse {
                status,
                headers,
                body,
            })
        }
        .await;
        let status = match &result {
            Ok(raw) => raw.status.as_u16().to_string(),
            Err(err) => err.label(),
        };
        let method = method.to_string();
        metrics::counter!(REQUESTS, "source" => self.source, "method" => method, "status" => status)
            .increment(1);
        metrics::histogram!(REQUEST_DURATION, "source" => self.source)
            .record(started.elapsed().as_secs_f64());
        result
    }

    /// Turns a non-2xx answer into a classified error.
    fn check(
        &self,
        raw: RawResponse,
        req: &RequestSpec<'_>,
        token: Option<&BearerToken>,
        expect: Expect,
    ) -> Result<RawResponse, SourceError> {
        if raw.status.is_success() {
            return Ok(raw);
        }
        if expect == Expect::Soap && is_soap_fault(&raw.body) {
            let mut secrets = secret_strs(req);
            secrets.extend(token.map(BearerToken::expose));
            let body = redact_secrets(&String::from_utf8_lossy(&raw.body), &secrets);
            return Err(SourceError::SoapFault {
                status: raw.status,
                body,
            });
        }
        Err(classify_status(raw.status, &raw.headers, chrono::Utc::now()))
    }
}

/// Reads a body chunk by chunk and stops as soon as it passes `limit` bytes (a declared
/// `Content-Length` above the limit stops before reading anything), so a runaway or hostile
/// source cannot make us buffer an unbounded answer.
async fn read_capped(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>, SourceError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(SourceError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(SourceError::from_reqwest)? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(SourceError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn secret_strs<'a>(req: &'a RequestSpec<'_>) -> Vec<&'a str> {
    req.secrets.iter().map(|s| s.expose_secret()).collect()
}

fn build_url(req: &RequestSpec<'_>) -> Result<Url, SourceError> {
    let mut url = Url::parse(&req.url).map_err(|e| SourceError::Permanent(format!("invalid URL: {e}")))?;
    if !req.query.is_empty() {
        url.query_pairs_mut().extend_pairs(req.query.iter());
    }
    Ok(url)
}

fn is_soap_fault(body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(body);
    text.contains(":Fault>")
        || text.contains("<Fault>")
        || text.contains(":Fault ")
        || text.contains("<Fault ")
}

/// Decodes JSON; on failure the error names the serde category and position, with a safe preview.
pub fn decode_json<T: DeserializeOwned>(body: &[u8], secrets: &[&str]) -> Result<T, SourceError> {
    serde_json::from_slice(body).map_err(|e| SourceError::Decode {
        reason: format!(
            "{:?} JSON error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ),
        body_preview: safe_preview(body, secrets),
    })
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
