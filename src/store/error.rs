//! Errors of the store, classified for the caller, and a database URL that never shows its
//! password.

use std::fmt;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// The change conflicts with the current state (duplicate key, forbidden status change).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The caller no longer holds the lease of a claimed row (outbox row, job run): another
    /// daemon took it over after the lease ran out, or start-up released it. Nothing changed.
    #[error("lease lost: {0}")]
    LeaseLost(String),
    /// The data breaks a rule of the store (unknown pupil, unsupported URL, undecodable column).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// The database failed (connection, SQL, I/O).
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Running the migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(ref db) => match db.kind() {
                // Constraint names are safe to show; the values (which might name a pupil) are not.
                ErrorKind::UniqueViolation => Self::Conflict(format!(
                    "unique constraint {} violated",
                    db.constraint().unwrap_or("(unnamed)")
                )),
                ErrorKind::ForeignKeyViolation => Self::InvalidData("foreign key violated".into()),
                ErrorKind::NotNullViolation | ErrorKind::CheckViolation => {
                    Self::InvalidData("constraint violated".into())
                }
                _ => Self::Database(err),
            },
            other => Self::Database(other),
        }
    }
}

impl StoreError {
    /// An [`StoreError::InvalidData`] for a stored value that no longer parses.
    pub(crate) fn decode(column: &str, err: impl fmt::Display) -> Self {
        Self::InvalidData(format!("column {column}: {err}"))
    }
}

/// A database URL (`sqlite://…`, `postgres://user:password@host/db`) whose `Debug` and `Display`
/// hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL, password included: only for handing to the driver.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with the password replaced by `***`.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://") else {
            return url.clone();
        };
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else {
            return url.clone();
        };
        let userinfo = &rest[..at];
        match userinfo.find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &url[..scheme_end + 3],
                &userinfo[..colon],
                &rest[at..]
            ),
            None => url.clone(),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_password() {
        let url = DatabaseUrl::new("postgres://zorg:s3cr3t@db.example:5432/zorg?sslmode=require");
        let shown = format!("{url:?} {url}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(
            shown.contains("postgres://zorg:***@db.example:5432/zorg"),
            "{shown}"
        );
        assert_eq!(
            url.expose(),
            "postgres://zorg:s3cr3t@db.example:5432/zorg?sslmode=require"
        );
    }

    #[test]
    fn urls_without_password_are_shown_as_is() {
        for u in [
            "postgres://postgres@127.0.0.1/x",
            "sqlite://data/z.db",
            "sqlite::memory:",
        ] {
            assert_eq!(DatabaseUrl::new(u).redacted(), u);
        }
    }
}
