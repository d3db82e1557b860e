//! Errors of the API, shown as JSON (`ApiError`) or as a Dutch page (`PageError`). Store
//! details are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

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
        let body = format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/\">Naar de startpagina</a></p>",
            super::html::esc(title),
            super::html::esc(&self.0.to_string())
        );
        (self.0.status(), super::html::page(title, None, &body)).into_response()
    }
}
