//! One request to a source as the adapters describe it (URL, query, headers, bearer token source,
//! secrets to redact), and the raw 2xx answer the HTTP client hands back.

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;

use crate::sources::error::SourceError;
use crate::sources::oauth::TokenSource;

/// One request: URL, query, headers, optional bearer token source and the secrets to redact
/// from any response text kept in an error.
pub struct RequestSpec<'a> {
    pub(super) url: String,
    pub(super) query: Vec<(String, String)>,
    pub(super) headers: HeaderMap,
    pub(super) tokens: Option<&'a TokenSource>,
    pub(super) secrets: Vec<&'a SecretString>,
    pub(super) idempotent_post: bool,
}

impl<'a> RequestSpec<'a> {
    /// A request to `url` (absolute).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            tokens: None,
            secrets: Vec::new(),
            idempotent_post: false,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets `Idempotency-Key`, which makes a POST safe to retry.
    pub fn idempotency_key(mut self, key: &str) -> Result<Self, SourceError> {
        let value = HeaderValue::from_str(key)
            .map_err(|_| SourceError::Permanent("idempotency key is not a valid header value".into()))?;
        self.headers
            .insert(HeaderName::from_static("idempotency-key"), value);
        self.idempotent_post = true;
        Ok(self)
    }

    /// Sends `Authorization: Bearer …` from `tokens`, refreshing once on a 401.
    pub fn bearer(mut self, tokens: &'a TokenSource) -> Self {
        self.tokens = Some(tokens);
        self
    }

    /// A secret sent in this request (e.g. the supplier key in a SOAP body): removed from any
    /// response text kept in an error.
    pub fn redact(mut self, secret: &'a SecretString) -> Self {
        self.secrets.push(secret);
        self
    }
}

/// A successful (2xx) answer.
#[derive(Debug)]
pub struct RawResponse {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response body.
    pub body: Vec<u8>,
}
