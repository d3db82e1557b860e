//! Dashboard users (gebruikers) with their role and schools, login sessions with a CSRF token,
//! API bearer tokens (with an expiry) and login attempts for rate limiting. Secrets are stored
//! only as hashes: argon2 for passwords (computed by the caller), SHA-256 for session ids and
//! tokens.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::StoreError;
use super::sql::{BeginWrite, SqlStore, on_engine};
use crate::domain::{Brin, ParseError};

/// What a user may see and do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Intern begeleider: works the signals of his schools.
    Ib,
    /// Directie: sees and works the signals of his schools.
    Directie,
    /// Bestuur: aggregates of every school, never a pupil.
    Board,
    /// Beheerder: sync status and outbox, no pupil data.
    Operator,
}

impl Role {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ib => "ib",
            Self::Directie => "directie",
            Self::Board => "board",
            Self::Operator => "operator",
        }
    }

    /// Parses the identifier.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim() {
            "ib" => Ok(Self::Ib),
            "directie" => Ok(Self::Directie),
            "board" => Ok(Self::Board),
            "operator" => Ok(Self::Operator),
            _ => Err(ParseError::new(
                "role",
                input,
                "expected ib, directie, board or operator",
            )),
        }
    }

    /// Whether this role may see pupil-level data (of its own schools).
    pub fn sees_pupils(self) -> bool {
        matches!(self, Self::Ib | Self::Directie)
    }

    /// Dutch label.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::Ib => "intern begeleider",
            Self::Directie => "directie",
            Self::Board => "bestuur",
            Self::Operator => "beheerder",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored user (without the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Store id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Schools an `ib` or `directie` works for (empty for `board` and `operator`).
    pub schools: Vec<Brin>,
}

impl User {
    /// Whether the user may see pupil-level data of `school`.
    pub fn may_see_pupils_of(&self, school: &Brin) -> bool {
        self.role.sees_pupils() && self.schools.contains(school)
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Schools (for `ib` and `directie`).
    pub schools: Vec<Brin>,
    /// argon2 PHC string.
    pub password_hash: String,
}

/// A live session as found by its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// Whose session.
    pub user: User,
    /// The session's CSRF token (sent with every form).
    pub csrf_token: String,
    /// When it ends.
    pub expires_at: DateTime<Utc>,
}

/// Users, sessions, tokens and login attempts.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user; [`StoreError::Conflict`] when the name is taken.
    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError>;

    /// A user with his password hash, or `None`.
    async fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>, StoreError>;

    /// Every user, by name.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Replaces a password hash and ends the user's sessions; [`StoreError::NotFound`] if unknown.
    async fn set_password(&self, username: &str, password_hash: &str) -> Result<(), StoreError>;

    /// Removes a user with his sessions and tokens; [`StoreError::NotFound`] if unknown.
    async fn remove_user(&self, username: &str) -> Result<(), StoreError>;

    /// Stores a session by the SHA-256 (hex) of its id.
    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The live (not expired at `now`) session with this id hash.
    async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>, StoreError>;

    /// Ends a session (no error when it is gone already).
    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Stores an API token by the SHA-256 (hex) of its value, valid until `expires_at`; returns
    /// its id (for listing and revoking). [`StoreError::NotFound`] when the user is unknown.
    async fn create_api_token(
        &self,
        username: &str,
        token_hash: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<i64, StoreError>;

    /// The user an API token hash belongs to, when the token has not expired at `now`.
    async fn user_by_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError>;

    /// API tokens (never their value or hash), of one user or of everybody, by user and id.
    async fn api_tokens(&self, username: Option<&str>) -> Result<Vec<ApiTokenInfo>, StoreError>;

    /// Revokes one API token by id; [`StoreError::NotFound`] when there is none.
    async fn revoke_api_token(&self, id: i64) -> Result<(), StoreError>;

    /// Registers a login attempt *before* the password is checked and counts, in the same
    /// step, the failed attempts at or after `since` of this account (from every address) and
    /// of this address (for every account), this attempt included. The attempt is stored as
    /// failed; [`UserStore::login_succeeded`] turns it into a success. Because each attempt is
    /// written before it is counted, N parallel attempts see N distinct counts: at most the
    /// limit of them get through (an atomic limiter).
    async fn begin_login_attempt(
        &self,
        username: &str,
        ip: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<LoginGate, StoreError>;

    /// Marks an attempt of [`UserStore::begin_login_attempt`] as successful.
    async fn login_succeeded(&self, attempt_id: i64) -> Result<(), StoreError>;

    /// Deletes sessions expired at `now`, API tokens expired at `now` and login attempts (which
    /// hold IP addresses) older than `attempts_before`; returns how many rows went.
    async fn prune_auth(&self, now: DateTime<Utc>, attempts_before: DateTime<Utc>)
    -> Result<u64, StoreError>;
}

/// What [`UserStore::begin_login_attempt`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginGate {
    /// The stored attempt.
    pub attempt_id: i64,
    /// Failed attempts of the account (any address) in the window, this one included.
    pub account_failures: i64,
    /// Failed attempts from the address (any account) in the window, this one included.
    pub ip_failures: i64,
}

/// An API token as listed (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiTokenInfo {
    /// Id for `user token revoke`.
    pub id: i64,
    /// Whose token.
    pub username: String,
    /// What it is for.
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Decodes the stored comma-separated school list.
pub(crate) fn decode_user(id: i64, username: String, role: &str, schools: &str) -> Result<User, StoreError> {
    let role = Role::parse(role).map_err(|e| StoreError::decode("role", e))?;
    let schools = schools
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| Brin::parse(s).map_err(|e| StoreError::decode("schools", e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(User {
        id,
        username,
        role,
        schools,
    })
}

type UserRow = (i64, String, String, String);

fn to_user((id, username, role, schools): UserRow) -> Result<User, StoreError> {
    decode_user(id, username, &role, &schools)
}

#[async_trait]
impl<S: SqlStore> UserStore for S {
    async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        on_engine!(self.pool(), |pool| {
            let schools: Vec<&str> = user.schools.iter().map(|b| b.as_str()).collect();
            let now = Utc::now();
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO users (username, role, schools, password_hash, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(&user.username)
            .bind(user.role.as_str())
            .bind(schools.join(","))
            .bind(&user.password_hash)
            .bind(now)
            .fetch_one(pool)
            .await?;
            Ok(User {
                id,
                username: user.username.clone(),
                role: user.role,
                schools: user.schools.clone(),
            })
        })
    }

    async fn user_with_hash(&self, username: &str) -> Result<Option<(User, String)>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: Option<(i64, String, String, String, String)> = sqlx::query_as(
                "SELECT id, username, role, schools, password_hash FROM users WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(pool)
            .await?;
            row.map(|(id, name, role, schools, hash)| Ok((to_user((id, name, role, schools))?, hash)))
                .transpose()
        })
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<UserRow> =
                sqlx::query_as("SELECT id, username, role, schools FROM users ORDER BY username")
                    .fetch_all(pool)
                    .await?;
            rows.into_iter().map(to_user).collect()
        })
    }

    async fn set_password(&self, username: &str, password_hash: &str) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let mut tx = pool.begin_write().await?;
            let (id,): (i64,) = sqlx::query_as(
                "UPDATE users SET password_hash = $1, updated_at = $2 WHERE username = $3 RETURNING id",
            )
            .bind(password_hash)
            .bind(Utc::now())
            .bind(username)
            .fetch_one(&mut *tx)
            .await?;
            // A new password ends every way in: sessions and API tokens.
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    async fn remove_user(&self, username: &str) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let gone = sqlx::query("DELETE FROM users WHERE username = $1")
                .bind(username)
                .execute(pool)
                .await?
                .rows_affected();
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(Utc::now())
            .bind(expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    async fn session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: Option<(i64, String, String, String, String, DateTime<Utc>)> = sqlx::query_as(
                "SELECT u.id, u.username, u.role, u.schools, s.csrf_token, s.expires_at
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.id_hash = $1 AND s.expires_at > $2",
            )
            .bind(id_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            row.map(|(id, name, role, schools, csrf_token, expires_at)| {
                Ok(SessionRecord {
                    user: to_user((id, name, role, schools))?,
                    csrf_token,
                    expires_at,
                })
            })
            .transpose()
        })
    }

    async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(id_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    async fn create_api_token(
        &self,
        username: &str,
        token_hash: &str,
        label: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        on_engine!(self.pool(), |pool| {
            let user: Option<(i64,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(pool)
                .await?;
            let (user_id,) = user.ok_or(StoreError::NotFound)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO api_tokens (token_hash, user_id, label, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(token_hash)
            .bind(user_id)
            .bind(label)
            .bind(Utc::now())
            .bind(expires_at)
            .fetch_one(pool)
            .await?;
            Ok(id)
        })
    }

    async fn user_by_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let row: Option<UserRow> = sqlx::query_as(
                "SELECT u.id, u.username, u.role, u.schools FROM api_tokens t
                 JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            row.map(to_user).transpose()
        })
    }

    async fn api_tokens(&self, username: Option<&str>) -> Result<Vec<ApiTokenInfo>, StoreError> {
        on_engine!(self.pool(), |pool| {
            let rows: Vec<(i64, String, String, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
                "SELECT t.id, u.username, t.label, t.created_at, t.expires_at FROM api_tokens t
                 JOIN users u ON u.id = t.user_id
                 WHERE $1 IS NULL OR u.username = $1 ORDER BY u.username, t.id",
            )
            .bind(username)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, username, label, created_at, expires_at)| ApiTokenInfo {
                    id,
                    username,
                    label,
                    created_at,
                    expires_at,
                })
                .collect())
        })
    }

    async fn revoke_api_token(&self, id: i64) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            let gone = sqlx::query("DELETE FROM api_tokens WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected();
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }

    async fn begin_login_attempt(
        &self,
        username: &str,
        ip: &str,
        at: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Result<LoginGate, StoreError> {
        on_engine!(self.pool(), |pool| {
            // The insert commits on its own before the count: of N concurrent attempts the
            // k-th to commit counts at least k rows, on both engines and across instances.
            let (attempt_id,): (i64,) = sqlx::query_as(
                "INSERT INTO login_attempts (username, ip, at, success) VALUES ($1, $2, $3, FALSE)
                 RETURNING id",
            )
            .bind(username)
            .bind(ip)
            .bind(at)
            .fetch_one(pool)
            .await?;
            let (account_failures, ip_failures): (i64, i64) = sqlx::query_as(
                "SELECT
                   (SELECT COUNT(*) FROM login_attempts
                     WHERE username = $1 AND at >= $3 AND success = FALSE),
                   (SELECT COUNT(*) FROM login_attempts
                     WHERE ip = $2 AND at >= $3 AND success = FALSE)",
            )
            .bind(username)
            .bind(ip)
            .bind(since)
            .fetch_one(pool)
            .await?;
            Ok(LoginGate {
                attempt_id,
                account_failures,
                ip_failures,
            })
        })
    }

    async fn login_succeeded(&self, attempt_id: i64) -> Result<(), StoreError> {
        on_engine!(self.pool(), |pool| {
            sqlx::query("UPDATE login_attempts SET success = TRUE WHERE id = $1")
                .bind(attempt_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    async fn prune_auth(
        &self,
        now: DateTime<Utc>,
        attempts_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        on_engine!(self.pool(), |pool| {
            let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let tokens = sqlx::query("DELETE FROM api_tokens WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let attempts = sqlx::query("DELETE FROM login_attempts WHERE at < $1")
                .bind(attempts_before)
                .execute(pool)
                .await?
                .rows_affected();
            Ok(sessions + tokens + attempts)
        })
    }
}
