//! The outcome of a sync run per (source, school, stream), and its report in Dutch and English.

use serde::Serialize;

use crate::domain::{Brin, Source};

/// How one stream's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum StreamState {
    /// Read to the end; the cursor is current.
    Ok,
    /// A transient error (network, 5xx, 429, timeout): recorded, tried again next run.
    Failed {
        /// Operator-facing message (English, no pupil data, no secrets).
        message: String,
    },
    /// Access was refused (key or consent revoked, 401/403): this source stops for the school.
    Stopped {
        /// Why.
        reason: String,
    },
    /// Not run (e.g. the pupil snapshot failed, so results could not be checked).
    Skipped {
        /// Why.
        reason: String,
    },
}

/// One stream of one school in one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamOutcome {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Stream (`pupils`, `results`, `notes`, `plans`, `group_plans`).
    pub stream: String,
    /// Pages applied.
    pub pages: usize,
    /// Records applied (upserts and tombstones; for `pupils`: new, changed, left or returned).
    pub records: usize,
    /// Records quarantined.
    pub quarantined: usize,
    /// Records held because their pupil is not in the store yet (applied once it is).
    pub held: usize,
    /// How it ended.
    #[serde(flatten)]
    pub state: StreamState,
}

impl StreamOutcome {
    /// A fresh outcome for a stream about to run.
    pub fn new(source: Source, school: &Brin, stream: &str) -> Self {
        Self {
            source,
            school: school.clone(),
            stream: stream.to_owned(),
            pages: 0,
            records: 0,
            quarantined: 0,
            held: 0,
            state: StreamState::Ok,
        }
    }

    /// Whether this stream failed or stopped (skipped streams count via their cause).
    pub fn is_failure(&self) -> bool {
        matches!(
            self.state,
            StreamState::Failed { .. } | StreamState::Stopped { .. }
        )
    }
}

/// Everything a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    /// Per stream, by school then source then stream order.
    pub streams: Vec<StreamOutcome>,
}

impl SyncSummary {
    /// Whether any school had a failed or stopped stream (the CLI exits non-zero).
    pub fn any_failed(&self) -> bool {
        self.streams.iter().any(StreamOutcome::is_failure)
    }

    /// Records applied over all streams.
    pub fn records(&self) -> usize {
        self.streams.iter().map(|s| s.records).sum()
    }

    /// Records quarantined over all streams.
    pub fn quarantined(&self) -> usize {
        self.streams.iter().map(|s| s.quarantined).sum()
    }

    /// Records held for pupils not in the store yet, over all streams.
    pub fn held(&self) -> usize {
        self.streams.iter().map(|s| s.held).sum()
    }

    /// The human report: one line per stream, then a total, in Dutch with English in brackets.
    pub fn render(&self) -> String {
        let mut out = String::from("Synchronisatie (sync) klaar:\n");
        for s in &self.streams {
            let state = match &s.state {
                StreamState::Ok => "ok".to_owned(),
                StreamState::Failed { message } => format!("fout (error): {message}"),
                StreamState::Stopped { reason } => format!("gestopt (stopped): {reason}"),
                StreamState::Skipped { reason } => format!("overgeslagen (skipped): {reason}"),
            };
            let held = if s.held > 0 {
                format!(", {} wachtend op leerling (held)", s.held)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "  {:<6} {:<13} {:<11} {:>7} records, {:>4} in quarantaine{held}  {}\n",
                s.school.as_str(),
                s.source.as_str(),
                s.stream,
                s.records,
                s.quarantined,
                state
            ));
        }
        let failed: std::collections::BTreeSet<&str> = self
            .streams
            .iter()
            .filter(|s| s.is_failure())
            .map(|s| s.school.as_str())
            .collect();
        out.push_str(&format!(
            "Totaal (total): {} records, {} in quarantaine (quarantined), {} school(en) met fouten (schools with errors)",
            self.records(),
            self.quarantined(),
            failed.len()
        ));
        if !failed.is_empty() {
            out.push_str(&format!(
                ": {}",
                failed.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        out
    }
}
