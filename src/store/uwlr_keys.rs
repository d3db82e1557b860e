//! UWLR autorisatiesleutels: the keys a results sender (test software, a school's LAS) puts in the
//! `autorisatie` header of `BrengLeerresultaten`. Each key belongs to one school; only its SHA-256
//! (hex) is stored, like an API token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::StoreError;
use super::sql::{SqlStore, on_engine};
use crate::domain::Brin;

/// A UWLR key as listed (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UwlrKeyInfo {
    /// Id for `uwlr-key revoke`.
    pub id: i64,
    /// The school whose results the key may deliver.
    pub school: Brin,
    /// Who or what the key is for (the sender).
    pub label: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Storing and checking UWLR keys.
#[async_trait]
pub trait UwlrKeyStore: Send + Sync {
    /// Stores a key for `school` by the SHA-256 (hex) of its value; returns its id.
    async fn create_uwlr_key(&self, school: &Brin, key_hash: &str, label: &str) -> Result<i64, StoreError>;

    /// The school a key hash belongs to, when the key exists (not revoked).
    async fn uwlr_key_school(&self, key_hash: &str) -> Result<Option<Brin>, StoreError>;

    /// Keys (never their value or hash), of one school or of all, by school and id.
    async fn uwlr_keys(&self, school: Option<&Brin>) -> Result<Vec<UwlrKeyInfo>, StoreError>;

    /// Revokes a key by id; [`StoreError::NotFound`] when there is none.
    async fn revoke_uwlr_key(&self, id: i64) -> Result<(), StoreError>;
}

#[async_trait]
impl<S: SqlStore> UwlrKeyStore for S {
    async fn create_uwlr_key(&self, school: &Brin, key_hash: &str, label: &str) -> Result<i64, StoreError> {
        let (id,): (i64,) = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "INSERT INTO uwlr_keys (key_hash, school, label, created_at) VALUES ($1, $2, $3, $4)
                 RETURNING id",
            )
            .bind(key_hash)
            .bind(school.as_str())
            .bind(label)
            .bind(Utc::now())
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    async fn uwlr_key_school(&self, key_hash: &str) -> Result<Option<Brin>, StoreError> {
        let row: Option<(String,)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as("SELECT school FROM uwlr_keys WHERE key_hash = $1")
                .bind(key_hash)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(s,)| Brin::parse(&s).map_err(|e| StoreError::decode("uwlr_keys.school", e)))
            .transpose()
    }

    async fn uwlr_keys(&self, school: Option<&Brin>) -> Result<Vec<UwlrKeyInfo>, StoreError> {
        let rows: Vec<(i64, String, String, DateTime<Utc>)> = on_engine!(self.pool(), |pool| {
            sqlx::query_as(
                "SELECT id, school, label, created_at FROM uwlr_keys
                 WHERE $1 IS NULL OR school = $1 ORDER BY school, id",
            )
            .bind(school.map(Brin::as_str))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, school, label, created_at)| {
                Ok(UwlrKeyInfo {
                    id,
                    school: Brin::parse(&school).map_err(|e| StoreError::decode("uwlr_keys.school", e))?,
                    label,
                    created_at,
                })
            })
            .collect()
    }

    async fn revoke_uwlr_key(&self, id: i64) -> Result<(), StoreError> {
        let gone = on_engine!(self.pool(), |pool| {
            sqlx::query("DELETE FROM uwlr_keys WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
