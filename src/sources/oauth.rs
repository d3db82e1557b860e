//! OAuth2 client-credentials token source (toegangstoken) over the `oauth2` crate, sent through
//! our own reqwest client: tokens are cached until expiry minus a skew, and refreshed once.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AsyncHttpClient, AuthType, ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::sources::error::SourceError;
use crate::sources::retry::classify_status;

/// Counter of token fetches, by `source` and `outcome` (`ok` or the error label).
pub const TOKEN_REFRESHES: &str = "zorgsignaal_http_token_refreshes_total";

/// Lifetime assumed when the token endpoint sends no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    /// HTTP Basic with id and secret (RFC 6749 §2.3.1, the recommended way).
    #[default]
    BasicHeader,
    /// `client_id` and `client_secret` as form fields.
    RequestBody,
}

/// Settings of one OAuth2 client (per source and, where credentials differ, per school). `Debug`
/// shows the secret as `[REDACTED]`.
#[derive(Debug)]
pub struct OAuthConfig {
    /// Token endpoint URL.
    pub token_url: String,
    /// Client id (not secret).
    pub client_id: String,
    /// Client secret; exposed only while the token request is built.
    pub client_secret: SecretString,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// Refresh this long before the token expires.
    pub skew: Duration,
    /// How to send the client credentials.
    pub auth: ClientAuth,
}

/// A bearer token handed to a request. No `Debug`/`Display`: the value only leaves through
/// [`BearerToken::expose`] where the `Authorization` header is built.
#[derive(Clone)]
pub struct BearerToken {
    value: SecretString,
    generation: u64,
}

impl BearerToken {
    /// The token text, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        self.value.expose_secret()
    }
}

struct Cached {
    token: BearerToken,
    refresh_at: Instant,
}

/// Client-credentials tokens for one client: cached, shared by concurrent callers (one refresh
/// at a time under a `tokio::sync::Mutex`), refreshed `skew` before expiry.
pub struct TokenSource {
    source: &'static str,
    config: OAuthConfig,
    http: reqwest::Client,
    state: Mutex<(Option<Cached>, u64)>,
}

impl TokenSource {
    /// A token source using `http` (normally [`crate::sources::http::HttpClient::reqwest`]);
    /// `source` labels metrics. Fails on an invalid token URL.
    pub fn new(
        source: &'static str,
        http: reqwest::Client,
        config: OAuthConfig,
    ) -> Result<Self, SourceError> {
        TokenUrl::new(config.token_url.clone())
            .map_err(|e| SourceError::Permanent(format!("invalid token URL: {e}")))?;
        Ok(Self {
            source,
            config,
            http,
            state: Mutex::new((None, 0)),
        })
    }

    /// The scopes this client asks for (empty: every scope the client has).
    pub fn scopes(&self) -> &[String] {
        &self.config.scopes
    }

    /// A valid token: the cached one, or a fresh one when it is (nearly) expired.
    pub async fn token(&self) -> Result<BearerToken, SourceError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.0
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        self.refresh_locked(&mut state).await
    }

    /// After the source rejected `rejected` with 401: a fresh token, unless another caller
    /// already refreshed since (then that newer token), so concurrent 401s cause one refresh.
    pub async fn refresh_after_rejection(&self, rejected: &BearerToken) -> Result<BearerToken, SourceError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.0
            && cached.token.generation != rejected.generation
        {
            return Ok(cached.token.clone());
        }
        self.refresh_locked(&mut state).await
    }

    /// Forgets the cached token; the next call fetches a new one.
    pub async fn invalidate(&self) {
        self.state.lock().await.0 = None;
    }

    async fn refresh_locked(&self, state: &mut (Option<Cached>, u64)) -> Result<BearerToken, SourceError> {
        state.0 = None;
        let started = Instant::now();
        let result = self.fetch().await;
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.label(),
        };
        metrics::counter!(TOKEN_REFRESHES, "source" => self.source, "outcome" => outcome).increment(1);
        let (value, lifetime) = result?;
        state.1 += 1;
        let token = BearerToken {
            value,
            generation: state.1,
        };
        let refresh_at = started + lifetime.saturating_sub(self.config.skew);
        state.0 = Some(Cached {
            token: token.clone(),
            refresh_at,
        });
        tracing::debug!(
            source = self.source,
            lifetime_s = lifetime.as_secs(),
            "fetched an access token"
        );
        Ok(token)
    }

    async fn fetch(&self) -> Result<(SecretString, Duration), SourceError> {
        let token_url = TokenUrl::new(self.config.token_url.clone())
            .map_err(|e| SourceError::Permanent(format!("invalid token URL: {e}")))?;
        let auth_type = match self.config.auth {
            ClientAuth::BasicHeader => AuthType::BasicAuth,
            ClientAuth::RequestBody => AuthType::RequestBody,
        };
        // The secret leaves its SecretString only here, for the request the crate builds now.
        let client = BasicClient::new(ClientId::new(self.config.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                self.config.client_secret.expose_secret().to_owned(),
            ))
            .set_token_uri(token_url)
            .set_auth_type(auth_type);
        let request = self
            .config
            .scopes
            .iter()
            .fold(client.exchange_client_credentials(), |req, s| {
                req.add_scope(Scope::new(s.clone()))
            });
        let adapter = ReqwestAdapter(&self.http);
        let response = request.request_async(&adapter).await.map_err(token_error)?;
        let value = SecretString::from(response.access_token().secret().to_owned());
        Ok((value, response.expires_in().unwrap_or(DEFAULT_LIFETIME)))
    }
}

/// Maps a token-endpoint failure; never includes the response body (it may hold a token).
fn token_error(err: RequestTokenError<AdapterError, oauth2::basic::BasicErrorResponse>) -> SourceError {
    match err {
        RequestTokenError::ServerResponse(response) => match response.error() {
            BasicErrorResponseType::InvalidClient => SourceError::Revoked {
                reason: "token endpoint: invalid_client".to_owned(),
            },
            BasicErrorResponseType::UnauthorizedClient => SourceError::Revoked {
                reason: "token endpoint: unauthorized_client".to_owned(),
            },
            other => SourceError::Permanent(format!("token endpoint refused: {other}")),
        },
        RequestTokenError::Request(AdapterError::Source(e)) => e,
        RequestTokenError::Parse(e, _body) => SourceError::Decode {
            reason: format!("token response at {}", e.path()),
            body_preview: "(token response not shown)".to_owned(),
        },
        RequestTokenError::Other(text) => SourceError::Permanent(format!("token endpoint: {text}")),
    }
}

/// Error of the adapter: already classified.
#[derive(Debug, thiserror::Error)]
enum AdapterError {
    #[error("{0}")]
    Source(SourceError),
}

/// `oauth2`'s async HTTP client trait over our reqwest 0.13 client. 429 and 5xx answers are
/// turned into classified errors here, because the crate would only see "not 200".
struct ReqwestAdapter<'a>(&'a reqwest::Client);

impl<'c> AsyncHttpClient<'c> for ReqwestAdapter<'_> {
    type Error = AdapterError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, AdapterError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| AdapterError::Source(SourceError::from_reqwest(e)))?;
            let response = self
                .0
                .execute(request)
                .await
                .map_err(|e| AdapterError::Source(SourceError::from_reqwest(e)))?;
            let status = response.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                let err = classify_status(status, response.headers(), chrono::Utc::now());
                return Err(AdapterError::Source(err));
            }
            let mut builder = oauth2::http::Response::builder().status(status);
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| AdapterError::Source(SourceError::from_reqwest(e)))?;
            builder
                .body(body.to_vec())
                .map_err(|e| AdapterError::Source(SourceError::Transport(format!("token response: {e}"))))
        })
    }
}

#[cfg(test)]
#[path = "oauth_tests.rs"]
mod tests;
