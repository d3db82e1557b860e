//! Progress of a sync run: a bar per school/stream on a terminal, plain lines otherwise, nothing
//! in JSON mode. Tests hook in here too (e.g. to expire tokens after a page).

use std::collections::HashMap;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::summary::{StreamOutcome, StreamState};
use crate::domain::{Brin, Source};

/// Receives progress events; implementations must be cheap and never block.
pub trait Progress: Send + Sync {
    /// A stream starts.
    fn stream_started(&self, _source: Source, _school: &Brin, _stream: &str) {}
    /// A page was applied (committed) with `records` records.
    fn page_applied(&self, _source: Source, _school: &Brin, _stream: &str, _records: usize) {}
    /// A stream ended.
    fn stream_finished(&self, _outcome: &StreamOutcome) {}
}

/// No output.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// One plain line per finished stream on stderr (not a terminal, or `--json` off).
#[derive(Debug, Default)]
pub struct LineProgress;

impl Progress for LineProgress {
    fn stream_finished(&self, o: &StreamOutcome) {
        let state = match &o.state {
            StreamState::Ok => "ok",
            StreamState::Failed { .. } => "fout",
            StreamState::Stopped { .. } => "gestopt",
            StreamState::Skipped { .. } => "overgeslagen",
        };
        eprintln!(
            "{} {} {}: {} records, {} in quarantaine, {}",
            o.school, o.source, o.stream, o.records, o.quarantined, state
        );
    }
}

/// A spinner per school/stream (indicatif), for terminals.
pub struct BarProgress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, (ProgressBar, usize)>>,
}

impl std::fmt::Debug for BarProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BarProgress")
    }
}

impl Default for BarProgress {
    fn default() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

fn key(source: Source, school: &Brin, stream: &str) -> String {
    format!("{school} {source} {stream}")
}

impl Progress for BarProgress {
    fn stream_started(&self, source: Source, school: &Brin, stream: &str) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:<32} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(key(source, school, stream));
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(key(source, school, stream), (bar, 0));
        }
    }

    fn page_applied(&self, source: Source, school: &Brin, stream: &str, records: usize) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some((bar, total)) = bars.get_mut(&key(source, school, stream))
        {
            *total += records;
            bar.set_message(format!("{total} records"));
        }
    }

    fn stream_finished(&self, o: &StreamOutcome) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some((bar, _)) = bars.remove(&key(o.source, &o.school, &o.stream))
        {
            let state = match &o.state {
                StreamState::Ok => "ok".to_owned(),
                StreamState::Failed { .. } => "fout".to_owned(),
                StreamState::Stopped { .. } => "gestopt".to_owned(),
                StreamState::Skipped { .. } => "overgeslagen".to_owned(),
            };
            bar.finish_with_message(format!(
                "{} records, {} in quarantaine, {state}",
                o.records, o.quarantined
            ));
        }
    }
}
