//! Sociaal-emotionele metingen (social-emotional measurements, issue 18 item 1): stored per source
//! record like results and absences, read per school for the social-emotional rules. Written
//! through a page (REST stream `sociaal-emotioneel`) or a CSV import; deleted with the pupil
//! (retention), never shown per pupil outside the pupil's own school.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;

use super::error::StoreError;
use super::sql::{SqlStore, Tx, on_engine, restrict};
use crate::domain::{Brin, SeInstrument, SocialEmotionalMeasurement, Source};

/// A stored social-emotional measurement with the store id of its pupil.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSocialEmotional {
    /// Store id of the pupil.
    pub pupil_id: i64,
    /// The measurement.
    pub measurement: SocialEmotionalMeasurement,
}

/// Reading social-emotional measurements for the rule engine.
#[async_trait]
pub trait SocialEmotionalStore: Send + Sync {
    /// Live measurements of live pupils of a school (all pupils, or the given ids), by pupil id,
    /// date and store id.
    async fn social_emotional(
        &self,
        school: &Brin,
        pupil_ids: Option<&[i64]>,
    ) -> Result<Vec<StoredSocialEmotional>, StoreError>;
}

/// Stores a measurement in a page's transaction; false when it was stored, live and identical.
pub(crate) async fn upsert_social_emotional(
    tx: Tx<'_>,
    m: &SocialEmotionalMeasurement,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if !m.is_valid() {
        return Err(StoreError::InvalidData(format!(
            "social-emotional measurement {} has no valid {} scale and category",
            m.external_id,
            m.instrument.as_str()
        )));
    }
    on_engine!(tx, |tx| {
        let pupil_id: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM pupils WHERE school = $1 AND external_id = $2 AND deleted_at IS NULL",
        )
        .bind(m.school.as_str())
        .bind(&m.pupil_external_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((pupil_id,)) = pupil_id else {
            return Err(StoreError::InvalidData(format!(
                "social-emotional measurement {} names a pupil that is not in the store",
                m.external_id
            )));
        };
        let written = sqlx::query(
            "INSERT INTO social_emotional (source, school, external_id, pupil_id, instrument, scale,
               measured_on, category, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (source, school, external_id) DO UPDATE SET pupil_id = excluded.pupil_id,
               instrument = excluded.instrument, scale = excluded.scale,
               measured_on = excluded.measured_on, category = excluded.category,
               updated_at = excluded.updated_at, deleted_at = NULL
             WHERE social_emotional.deleted_at IS NOT NULL
                OR social_emotional.pupil_id <> excluded.pupil_id
                OR social_emotional.instrument <> excluded.instrument
                OR social_emotional.scale <> excluded.scale
                OR social_emotional.measured_on <> excluded.measured_on
                OR social_emotional.category <> excluded.category",
        )
        .bind(m.source.as_str())
        .bind(m.school.as_str())
        .bind(&m.external_id)
        .bind(pupil_id)
        .bind(m.instrument.as_str())
        .bind(&m.scale)
        .bind(m.measured_on)
        .bind(i16::from(m.category))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(written.rows_affected() > 0)
    })
}

/// A measurement row: pupil id, source, external id, pupil external id, instrument, scale,
/// measured on, category.
type Row = (i64, String, String, String, String, String, NaiveDate, i16);

#[async_trait]
impl<S: SqlStore> SocialEmotionalStore for S {
    async fn social_emotional(
        &self,
        school: &Brin,
        pupil_ids: Option<&[i64]>,
    ) -> Result<Vec<StoredSocialEmotional>, StoreError> {
        if pupil_ids.is_some_and(<[i64]>::is_empty) {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let chunks: Vec<Option<&[i64]>> = match pupil_ids {
            None => vec![None],
            Some(ids) => ids.chunks(500).map(Some).collect(),
        };
        for chunk in chunks {
            let rows: Vec<Row> = on_engine!(self.pool(), |pool| {
                let mut q = QueryBuilder::new(
                    "SELECT s.pupil_id, s.source, s.external_id, p.external_id, s.instrument, s.scale,
                       s.measured_on, s.category
                     FROM social_emotional s JOIN pupils p ON p.id = s.pupil_id
                     WHERE s.deleted_at IS NULL AND p.deleted_at IS NULL AND p.school = ",
                );
                q.push_bind(school.as_str());
                restrict(&mut q, "s.pupil_id", chunk);
                q.push(" ORDER BY s.pupil_id, s.measured_on, s.id");
                q.build_query_as().fetch_all(pool).await?
            });
            for (
                pupil_id,
                source,
                external_id,
                pupil_external_id,
                instrument,
                scale,
                measured_on,
                category,
            ) in rows
            {
                let invalid = |e: String| StoreError::InvalidData(e);
                let source = Source::parse(&source).map_err(|e| invalid(e.to_string()))?;
                let instrument = SeInstrument::parse(&instrument).map_err(|e| invalid(e.to_string()))?;
                let category = u8::try_from(category)
                    .map_err(|_| invalid(format!("social-emotional category {category}")))?;
                out.push(StoredSocialEmotional {
                    pupil_id,
                    measurement: SocialEmotionalMeasurement {
                        source,
                        school: school.clone(),
                        external_id,
                        pupil_external_id,
                        instrument,
                        scale,
                        measured_on,
                        category,
                    },
                });
            }
        }
        Ok(out)
    }
}
