//! Tasks and reminders pushed back by a client (write-back), as stored and read back.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::model::id_str;

/// Body of `POST /api/v1/scholen/{brin}/taken` (ParnasSys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsTaskRequest {
    /// Pupil id (GKV `leerling.id`).
    pub leerling_id: String,
    /// Title.
    pub titel: String,
    /// Description.
    pub omschrijving: String,
    /// `taak` or `herinnering`.
    pub soort: String,
    /// Due date.
    pub vervaldatum: Option<NaiveDate>,
}

/// A ParnasSys task as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PsTask {
    /// Task id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id.
    pub leerling_id: String,
    /// Title.
    pub titel: String,
    /// Description.
    pub omschrijving: String,
    /// `taak` or `herinnering`.
    pub soort: String,
    /// Due date.
    pub vervaldatum: Option<NaiveDate>,
    /// Always `open` in the mock.
    pub status: String,
    /// The `Idempotency-Key` it was created with.
    pub idempotency_key: String,
}

/// Body of `POST /api/v1/schools/{brin}/tasks` (Leeruniek).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LuTaskRequest {
    /// Pupil id (GKV `leerling.id`).
    pub pupil_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `task` or `reminder`.
    pub kind: String,
    /// Due date.
    pub due_date: Option<NaiveDate>,
}

/// A Leeruniek task as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LuTask {
    /// Task id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id.
    pub pupil_id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// `task` or `reminder`.
    pub kind: String,
    /// Due date.
    pub due_date: Option<NaiveDate>,
    /// Always `open` in the mock.
    pub status: String,
    /// The `Idempotency-Key` it was created with.
    pub idempotency_key: String,
}
