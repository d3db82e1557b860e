//! Login, sessions, bearer tokens and CSRF. Passwords are argon2 hashes; session ids and API
//! tokens are random and stored as SHA-256; each session carries its own CSRF token that every
//! state-changing request must echo (form field `csrf` or header `X-CSRF-Token`). The login form
//! itself uses a double-submit cookie. Failed logins are limited per account (from every
//! address) and per address (for every account) with an atomic check; argon2 runs on a blocking
//! thread and costs the same for unknown names.

use std::net::SocketAddr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{TimeDelta, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::{ApiError, PageError};
use super::html::Frame;
use crate::store::User;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "zs_session";
/// Name of the login form's double-submit CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "zs_login_csrf";
/// Header carrying the CSRF token on JSON requests made with a session cookie.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hashes a password with argon2 (random salt) into a PHC string.
pub fn hash_password(password: &SecretString) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC string.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a random password with the default parameters, verified against for names that do
/// not exist, so an unknown name costs the same argon2 time as a known one.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&SecretString::from(random_token())).unwrap_or_default());

/// Checks a login on a blocking thread (argon2 takes tens of milliseconds of CPU): the user when
/// `password` matches his hash. Unknown names are verified against [`DUMMY_HASH`] and fail.
pub async fn check_login(password: String, found: Option<(User, String)>) -> Option<User> {
    tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) => verify_password(&password, &hash).then_some(user),
        None => {
            let _ = verify_password(&password, &DUMMY_HASH);
            None
        }
    })
    .await
    .ok()
    .flatten()
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 (hex) of a session id or token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two tokens without an early exit.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a request was authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A session cookie, with the session's CSRF token.
    Session {
        /// CSRF token of the session.
        csrf: String,
    },
    /// A bearer token (no CSRF needed: browsers do not send it on their own).
    Bearer,
}

/// The logged-in user of a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who.
    pub user: User,
    /// How.
    pub credential: Credential,
}

impl Viewer {
    /// The session's CSRF token (empty for bearer tokens, which have no forms).
    pub fn csrf(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf } => csrf,
            Credential::Bearer => "",
        }
    }

    /// Checks the CSRF token sent with a state-changing request.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), ApiError> {
        match &self.credential {
            Credential::Bearer => Ok(()),
            Credential::Session { csrf } => match sent {
                Some(s) if same_token(s, csrf) => Ok(()),
                _ => Err(ApiError::Csrf),
            },
        }
    }
}

/// Finds the user of a request by bearer token or session cookie.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, ApiError> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        let user = state
            .store
            .user_by_token(&token_hash(token.trim()), Utc::now())
            .await?;
        return Ok(user.map(|user| Viewer {
            user,
            credential: Credential::Bearer,
        }));
    }
    let jar = CookieJar::from_headers(headers);
    let Some(cookie) = jar.get(SESSION_COOKIE) else {
        return Ok(None);
    };
    let found = state
        .store
        .session(&token_hash(cookie.value()), Utc::now())
        .await?;
    Ok(found.map(|s| Viewer {
        user: s.user,
        credential: Credential::Session { csrf: s.csrf_token },
    }))
}

/// A logged-in user for the JSON API (401 otherwise).
#[derive(Debug, Clone)]
pub struct ApiUser(pub Viewer);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers)
            .await?
            .map(ApiUser)
            .ok_or(ApiError::Unauthorized)
    }
}

/// A logged-in user for a dashboard page (redirect to the login page otherwise).
#[derive(Debug, Clone)]
pub struct PageUser(pub Viewer);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers)
            .await?
            .map(PageUser)
            .ok_or(PageError(ApiError::Unauthorized))
    }
}

/// A browser-session cookie: HttpOnly, SameSite=Strict, Secure over https. The server ends
/// sessions itself (`expires_at`), so no max-age is needed.
fn cookie<'c>(state: &AppState, name: &'c str, value: String) -> Cookie<'c> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.cookies_secure())
        .build()
}

/// The login page, with the message of a failed attempt.
#[derive(Template)]
#[template(path = "dashboard/login.html")]
struct LoginPage<'a> {
    frame: Frame<'a>,
    csrf: &'a str,
    message: Option<&'a str>,
}

fn login_page_html(csrf: &str, message: Option<&str>) -> Result<Html<String>, ApiError> {
    let page = LoginPage {
        frame: Frame {
            title: "Inloggen",
            nav: None,
        },
        csrf,
        message,
    };
    Ok(Html(page.render()?))
}

/// `GET /login`: the login form with a fresh double-submit token.
pub async fn login_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    let csrf = random_token();
    let jar = jar.add(cookie(&state, LOGIN_CSRF_COOKIE, csrf.clone()));
    match login_page_html(&csrf, None) {
        Ok(html) => (jar, html).into_response(),
        Err(e) => PageError(e).into_response(),
    }
}

/// The login form's fields.
#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /login`: checks the double-submit token, the rate limit and the password, then starts
/// a session.
pub async fn login_submit(
    State(state): State<AppState>,
    jar: CookieJar,
    parts: ConnectInfoOpt,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string());
    if expected.is_none_or(|e| !same_token(&e, &form.csrf)) {
        return Err(ApiError::Csrf.into());
    }
    let ip = parts
        .0
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string());
    let now = Utc::now();
    let username = form.username.trim().to_string();
    let window = TimeDelta::from_std(state.settings.login_window).unwrap_or(TimeDelta::minutes(15));
    // Registered before anything is checked, so parallel attempts cannot all pass the limit.
    let gate = state
        .store
        .begin_login_attempt(&username, &ip, now, now - window)
        .await?;
    let retry = |msg: &str| {
        let csrf = random_token();
        let jar = jar.clone().add(cookie(&state, LOGIN_CSRF_COOKIE, csrf.clone()));
        login_page_html(&csrf, Some(msg)).map(|html| (jar, html))
    };
    let found = state.store.user_with_hash(&username).await?;
    // The audit log names known accounts only: a typed unknown name may be a mistyped password.
    let (actor, subject) = found.as_ref().map_or_else(
        || ("-".to_string(), "user:unknown".to_string()),
        |(u, _)| (u.username.clone(), format!("user:{}", u.id)),
    );
    if gate.account_failures > i64::from(state.settings.login_max_failures)
        || gate.ip_failures > i64::from(state.settings.login_max_failures_per_ip)
    {
        tracing::warn!(%ip, "login refused: too many failed attempts");
        state.store.audit(&actor, "login.refused", None, &subject).await?;
        let (jar, html) = retry(&ApiError::TooManyAttempts.to_string())?;
        return Ok((ApiError::TooManyAttempts.status(), jar, html).into_response());
    }
    let user = check_login(form.password, found).await;
    // Expired sessions and tokens, and attempts past the window (they hold IP addresses), go.
    if let Err(e) = state.store.prune_auth(now, now - window).await {
        tracing::warn!(error = %e, "pruning sessions and login attempts failed");
    }
    let Some(user) = user else {
        state.store.audit(&actor, "login.failed", None, &subject).await?;
        let (jar, html) = retry("Gebruikersnaam of wachtwoord klopt niet.")?;
        return Ok((axum::http::StatusCode::UNAUTHORIZED, jar, html).into_response());
    };
    state.store.login_succeeded(gate.attempt_id).await?;
    let session = random_token();
    let ttl = TimeDelta::from_std(state.settings.session_ttl).unwrap_or(TimeDelta::hours(8));
    state
        .store
        .create_session(&token_hash(&session), user.id, &random_token(), now + ttl)
        .await?;
    state
        .store
        .audit(&user.username, "login", None, &format!("user:{}", user.id))
        .await?;
    let jar =
        jar.remove(Cookie::build(LOGIN_CSRF_COOKIE).path("/"))
            .add(cookie(&state, SESSION_COOKIE, session));
    Ok((jar, Redirect::to("/")).into_response())
}

/// The logout form's field.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`: ends the session (CSRF-checked).
pub async fn logout(
    State(state): State<AppState>,
    PageUser(viewer): PageUser,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    viewer.check_csrf(Some(&form.csrf))?;
    if let Some(c) = jar.get(SESSION_COOKIE) {
        state.store.delete_session(&token_hash(c.value())).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

/// The peer address when the server was started with connect info (absent in router tests).
#[derive(Debug, Clone, Copy)]
pub struct ConnectInfoOpt(pub Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ConnectInfoOpt {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password(&SecretString::from("correct horse")).expect("hash");
        assert!(hash.starts_with("$argon2"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[tokio::test]
    async fn unknown_names_cost_a_verification_with_the_same_parameters() {
        // The dummy hash is a real argon2id hash with the parameters of every stored hash, so
        // verifying against it takes as long as a real check.
        let real = hash_password(&SecretString::from("correct horse")).expect("hash");
        let (real, dummy) = (
            PasswordHash::new(&real).expect("real"),
            PasswordHash::new(&DUMMY_HASH).expect("dummy"),
        );
        assert_eq!(real.algorithm, dummy.algorithm);
        assert_eq!(real.params, dummy.params);
        assert_eq!(check_login("correct horse".into(), None).await, None);
        let user = User {
            id: 1,
            username: "ib".into(),
            role: crate::store::Role::Ib,
            schools: Vec::new(),
        };
        let hash = hash_password(&SecretString::from("correct horse")).expect("hash");
        assert_eq!(
            check_login("correct horse".into(), Some((user.clone(), hash.clone()))).await,
            Some(user.clone())
        );
        assert_eq!(check_login("wrong".into(), Some((user, hash))).await, None);
    }

    #[test]
    fn token_comparison_needs_equal_tokens() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
