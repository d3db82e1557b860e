//! Groepsnotitie / notitie with its category path (Leeruniek: Rekenen › Tafels).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Brin, Source};

/// A note about a pupil or a group. The text is shown to the IB only; never logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// Source system.
    pub source: Source,
    /// Source id.
    pub external_id: String,
    /// School.
    pub school: Brin,
    /// Pupil the note is about, if any.
    pub pupil_external_id: Option<String>,
    /// Group the note is about, if any.
    pub group_external_id: Option<String>,
    /// Category path from the root, e.g. `["Taal", "Spelling"]`.
    pub category_path: Vec<String>,
    /// When the note was written (UTC).
    pub created_at: DateTime<Utc>,
    /// Text.
    pub content: String,
}

impl Note {
    /// The category path joined the way Leeruniek shows it (`Taal › Spelling`).
    pub fn category_label(&self) -> String {
        self.category_path.join(" › ")
    }
}
