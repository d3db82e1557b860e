//! Errors of the API, shown as JSON (`ApiError`) or as a Dutch page (`PageError`). Store
//! details are logged, never shown.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::html::Frame;
use crate::store::StoreError;

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Not logged in.
    #[error("niet ingelogd")]
    Unauthorized,
    /// Logged in, but this is not for this role.
    #[error("geen toegang")]
    Forbidden,
    /// Not there, or not visible to this user (ids of other schools look the same).
    #[error("niet gevonden")]
    NotFound,
    /// A bad request, with a Dutch message.
    #[error("{0}")]
    BadRequest(String),
    /// The change conflicts with the current state (Dutch message).
    #[error("{0}")]
    Conflict(String),
    /// Missing or wrong CSRF token.
    #[error("ongeldig formulier: vernieuw de pagina en probeer opnieuw")]
    Csrf,
    /// Too many failed logins.
    #[error("te veel mislukte pogingen: probeer het later opnieuw")]
    TooManyAttempts,
    /// Something broke on our side (details are logged).
    #[error("er ging iets mis")]
    Internal,
}

impl ApiError {
    /// HTTP status of the error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(_) => Self::Conflict("deze actie past niet bij de huidige status".into()),
            StoreError::InvalidData(_) => Self::BadRequest("ongeldige invoer".into()),
            other => {
                tracing::error!(error = %other, "store failed while serving a request");
                Self::Internal
            }
        }
    }
}

/// A page template that fails to render: our templates print only strings and numbers, so this
/// is a bug; logged, and answered as an internal error.
impl From<askama::Error> for ApiError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "a page template failed");
        Self::Internal
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), Json(body)).into_response()
    }
}

/// An error on a dashboard page: a login redirect or a small Dutch error page.
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        Self(e.into())
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if matches!(self.0, ApiError::Unauthorized) {
            return Redirect::to("/login").into_response();
        }
        let title = match self.0 {
            ApiError::NotFound => "Niet gevonden",
            ApiError::Forbidden => "Geen toegang",
            _ => "Dat lukte niet",
        };
        let page = ErrorPage {
            frame: Frame { title, nav: None },
            message: self.0.to_string(),
        };
        match page.render() {
            Ok(html) => (self.0.status(), Html(html)).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    }
}

/// The Dutch error page: what went wrong and a way back.
#[derive(Template)]
#[template(path = "dashboard/error.html")]
struct ErrorPage<'a> {
    frame: Frame<'a>,
    message: String,
}
