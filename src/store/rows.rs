//! `FromRow` structs shared by both engines, and their conversion to domain values. Stored text
//! that no longer parses becomes [`StoreError::InvalidData`], never a panic.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, de::DeserializeOwned};

use super::error::StoreError;
use super::model::{
    QuarantineCount, QuarantineItem, QuarantineRow, StoredPlan, StoredPupil, StoredResult, StreamStatus,
    TestSeen,
};
use crate::domain::{
    AbilityScore, Brin, Evaluation, EvaluationOutcome, Grade, LearningDomain, Membership, PlanKind, Pupil,
    ReferenceScore, Source, SupportPlan, TestResult,
};

pub(crate) fn brin(s: &str) -> Result<Brin, StoreError> {
    Brin::parse(s).map_err(|e| StoreError::decode("school", e))
}

pub(crate) fn source(s: &str) -> Result<Source, StoreError> {
    Source::parse(s).map_err(|e| StoreError::decode("source", e))
}

pub(crate) fn domain(s: Option<&str>) -> Result<Option<LearningDomain>, StoreError> {
    s.map(|d| LearningDomain::parse(d).map_err(|e| StoreError::decode("domain", e)))
        .transpose()
}

/// The serde name of a unit enum variant (`MomentKind::Mid` → `mid`).
pub(crate) fn enum_name<T: Serialize>(value: &T) -> Result<String, StoreError> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::InvalidData("value is not a unit enum".into())),
    }
}

pub(crate) fn enum_parse<T: DeserializeOwned>(column: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|e| StoreError::decode(column, e))
}

/// Serialises a value for a JSON text column.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::InvalidData(format!("cannot serialise: {e}")))
}

/// What the store keeps of a quarantined record: its shape, never its content. Objects keep their
/// keys when they look like schema names (ASCII identifiers starting with a lower-case letter or
/// `_`, at most 40 characters; others become `"?"`); strings become `"string(N)"` (N characters),
/// numbers `"number"`; booleans and null stay; arrays keep the shape of their first three
/// elements and `"…(N items)"` when longer; nesting deeper than 6 levels becomes `"…"`.
pub fn record_shape(value: &serde_json::Value) -> serde_json::Value {
    fn schema_key(key: &str) -> bool {
        !key.is_empty()
            && key.len() <= 40
            && key.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    }
    fn shape(value: &serde_json::Value, depth: usize) -> serde_json::Value {
        use serde_json::Value;
        if depth > 6 {
            return Value::String("…".into());
        }
        match value {
            Value::Null | Value::Bool(_) => value.clone(),
            Value::Number(_) => Value::String("number".into()),
            Value::String(s) => Value::String(format!("string({})", s.chars().count())),
            Value::Array(items) => {
                let mut out: Vec<Value> = items.iter().take(3).map(|v| shape(v, depth + 1)).collect();
                if items.len() > 3 {
                    out.push(Value::String(format!("…({} items)", items.len())));
                }
                Value::Array(out)
            }
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                let mut unnamed = 0;
                for (k, v) in map {
                    let key = if schema_key(k) {
                        k.clone()
                    } else {
                        unnamed += 1;
                        format!("?{unnamed}")
                    };
                    out.insert(key, shape(v, depth + 1));
                }
                Value::Object(out)
            }
        }
    }
    shape(value, 0)
}

pub(crate) fn from_json<T: DeserializeOwned>(column: &str, s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::decode(column, e))
}

/// `pupils` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PupilRow {
    pub id: i64,
    pub source: String,
    pub school: String,
    pub external_id: String,
    pub national_id_hash: Option<String>,
    pub given_name: String,
    pub surname_prefix: Option<String>,
    pub surname: String,
    pub birth_date: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl PupilRow {
    pub fn into_stored(self) -> Result<StoredPupil, StoreError> {
        Ok(StoredPupil {
            id: self.id,
            pupil: Pupil {
                school: brin(&self.school)?,
                source: source(&self.source)?,
                external_id: self.external_id,
                national_id_hash: self.national_id_hash,
                given_name: self.given_name,
                surname_prefix: self.surname_prefix,
                surname: self.surname,
                birth_date: self.birth_date,
                left_on: self.left_on,
                dyslexia_statement: None,
            },
        })
    }
}

/// `memberships` joined with pupil and group ids.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct MembershipRow {
    pub pupil_id: i64,
    pub school: String,
    pub pupil_external_id: String,
    pub group_external_id: String,
    pub grade: i64,
    pub from_on: NaiveDate,
    pub to_on: Option<NaiveDate>,
}

impl MembershipRow {
    pub fn into_domain(self) -> Result<Membership, StoreError> {
        let grade = u8::try_from(self.grade)
            .ok()
            .and_then(|g| Grade::new(g).ok())
            .ok_or_else(|| StoreError::decode("grade", self.grade))?;
        Ok(Membership {
            school: brin(&self.school)?,
            pupil_external_id: self.pupil_external_id,
            group_external_id: self.group_external_id,
            grade,
            from: self.from_on,
            to: self.to_on,
        })
    }
}

/// `results` joined with the pupil's source id.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ResultRow {
    pub id: i64,
    pub pupil_id: i64,
    pub source: String,
    pub school: String,
    pub external_id: String,
    pub pupil_external_id: String,
    pub test_code: String,
    pub part_code: Option<String>,
    pub test_name: String,
    pub provider: Option<String>,
    pub taken_on: NaiveDate,
    pub stated_moment: Option<String>,
    pub raw_score: Option<f64>,
    pub ability_value: Option<f64>,
    pub ability_scale: Option<String>,
    pub ability_low: Option<f64>,
    pub ability_high: Option<f64>,
    pub reference_scores: String,
}

impl ResultRow {
    pub fn into_stored(self) -> Result<StoredResult, StoreError> {
        let ability = match (self.ability_value, self.ability_scale) {
            (Some(value), Some(scale)) => Some(AbilityScore {
                value,
                scale,
                interval: match (self.ability_low, self.ability_high) {
                    (Some(low), Some(high)) => crate::domain::ConfidenceInterval::new(low, high),
                    _ => None,
                },
            }),
            _ => None,
        };
        let reference_scores: Vec<ReferenceScore> = from_json("reference_scores", &self.reference_scores)?;
        Ok(StoredResult {
            id: self.id,
            result: TestResult {
                source: source(&self.source)?,
                external_id: self.external_id,
                school: brin(&self.school)?,
                pupil_external_id: self.pupil_external_id,
                test_code: self.test_code,
                part_code: self.part_code,
                test_name: self.test_name,
                provider: self.provider,
                taken_on: self.taken_on,
                stated_moment: self
                    .stated_moment
                    .map(|m| enum_parse("stated_moment", &m))
                    .transpose()?,
                raw_score: self.raw_score,
                ability,
                reference_scores,
            },
        })
    }
}

/// A `result_sources` row a page names, with the sitting it points at (set-based page writes).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct KnownResultRow {
    pub alias_external_id: String,
    pub alias_deleted: bool,
    pub result_deleted: bool,
    pub content_key: String,
    #[sqlx(flatten)]
    pub row: ResultRow,
}

/// `plans` joined with the pupil's source id.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PlanRow {
    pub id: i64,
    pub pupil_id: Option<i64>,
    pub source: String,
    pub school: String,
    pub external_id: String,
    pub pupil_external_id: Option<String>,
    pub group_external_id: Option<String>,
    pub kind: String,
    pub domain: Option<String>,
    pub title: String,
    pub owner: Option<String>,
    pub care_level: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: Option<NaiveDate>,
    pub evaluation_due: Option<NaiveDate>,
    pub minutes_per_week: Option<i64>,
    pub decided_on: Option<NaiveDate>,
    pub drawn_up_on: Option<NaiveDate>,
    pub parents_agreed_on: Option<NaiveDate>,
}

/// `evaluations` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EvaluationRow {
    pub plan_id: i64,
    pub evaluated_on: NaiveDate,
    pub outcome: String,
}

impl EvaluationRow {
    pub fn into_domain(self) -> Result<Evaluation, StoreError> {
        Ok(Evaluation {
            date: self.evaluated_on,
            outcome: EvaluationOutcome::parse(&self.outcome).map_err(|e| StoreError::decode("outcome", e))?,
        })
    }
}

impl PlanRow {
    pub fn into_stored(self, evaluations: Vec<Evaluation>) -> Result<StoredPlan, StoreError> {
        Ok(StoredPlan {
            id: self.id,
            plan: SupportPlan {
                source: source(&self.source)?,
                external_id: self.external_id,
                school: brin(&self.school)?,
                pupil_external_id: self.pupil_external_id,
                group_external_id: self.group_external_id,
                kind: PlanKind::parse(&self.kind).map_err(|e| StoreError::decode("kind", e))?,
                domain: domain(self.domain.as_deref())?,
                title: self.title,
                owner: self.owner,
                care_level: self.care_level,
                start: self.start_on,
                end: self.end_on,
                evaluation_due: self.evaluation_due,
                minutes_per_week: self
                    .minutes_per_week
                    .map(|m| u32::try_from(m).map_err(|e| StoreError::decode("minutes_per_week", e)))
                    .transpose()?,
                evaluations,
                decided_on: self.decided_on,
                drawn_up_on: self.drawn_up_on,
                parents_agreed_on: self.parents_agreed_on,
            },
        })
    }
}

/// `sync_cursors` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StreamRow {
    pub source: String,
    pub school: String,
    pub stream: String,
    pub cursor: Option<String>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i64,
    pub records: i64,
    pub quarantined: i64,
}

impl StreamRow {
    pub fn into_status(self) -> Result<StreamStatus, StoreError> {
        Ok(StreamStatus {
            source: source(&self.source)?,
            school: brin(&self.school)?,
            stream: self.stream,
            cursor: self.cursor,
            last_success_at: self.last_success_at,
            last_error: self.last_error,
            last_error_at: self.last_error_at,
            consecutive_failures: self.consecutive_failures,
            records: self.records,
            quarantined: self.quarantined,
        })
    }
}

/// `quarantine` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct QuarantineDbRow {
    pub id: i64,
    pub source: String,
    pub school: String,
    pub stream: String,
    pub external_id: Option<String>,
    pub raw: String,
    pub reason: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub seen_count: i64,
}

impl QuarantineDbRow {
    pub fn into_row(self) -> Result<QuarantineRow, StoreError> {
        Ok(QuarantineRow {
            id: self.id,
            item: QuarantineItem {
                source: source(&self.source)?,
                school: brin(&self.school)?,
                stream: self.stream,
                external_id: self.external_id,
                raw: from_json("raw", &self.raw)?,
                reason: self.reason,
            },
            first_seen_at: self.first_seen_at,
            last_seen_at: self.last_seen_at,
            seen_count: self.seen_count,
        })
    }
}

/// Quarantine count per stream.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct QuarantineCountRow {
    pub source: String,
    pub school: String,
    pub stream: String,
    pub count: i64,
}

impl QuarantineCountRow {
    pub fn into_count(self) -> Result<QuarantineCount, StoreError> {
        Ok(QuarantineCount {
            source: source(&self.source)?,
            school: brin(&self.school)?,
            stream: self.stream,
            count: self.count,
        })
    }
}

/// `tests` row with its live result count.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TestSeenRow {
    pub code: String,
    pub name: String,
    pub provider: Option<String>,
    pub results: i64,
}

impl From<TestSeenRow> for TestSeen {
    fn from(r: TestSeenRow) -> Self {
        Self {
            code: r.code,
            name: r.name,
            provider: r.provider,
            results: r.results,
        }
    }
}
