//! Leeruniek REST wire types (reference contract `mocks/openapi/leeruniek.yaml`, camelCase).
//! Fields are optional so a missing one becomes a specific quarantine reason.

use serde::{Deserialize, Serialize};

/// A note-category tree node.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireCategory {
    pub id: String,
    #[serde(default)]
    pub path: Vec<String>,
}

/// A group-plan evaluation.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvaluation {
    pub date: Option<String>,
    pub outcome: Option<String>,
}

/// A group plan item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireGroupPlan {
    pub id: Option<String>,
    pub group_id: Option<String>,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub owner: Option<String>,
    pub care_level: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub evaluation_date: Option<String>,
    #[serde(default)]
    pub evaluations: Vec<WireEvaluation>,
}

/// A note item.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireNote {
    pub id: Option<String>,
    pub pupil_id: Option<String>,
    pub group_id: Option<String>,
    pub category_id: Option<String>,
    pub date_created: Option<String>,
    pub content: Option<String>,
}

/// `POST /tasks` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireTaskRequest<'a> {
    pub pupil_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub kind: &'static str,
    pub due_date: Option<chrono::NaiveDate>,
}

/// `POST /tasks` answer (only what we read).
#[derive(Debug, Deserialize)]
pub(crate) struct WireTask {
    pub id: String,
}
