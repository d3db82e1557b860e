//! What the REST adapters hand the sync engine: a stream position that knows whether it is a
//! full listing or a change feed, and one page of normalised records (with the raw record kept
//! for quarantine). No wire type leaves an adapter.

use serde::Deserialize;

use crate::domain::{
    Absence, DyslexiaStatementRecord, Note, SocialEmotionalMeasurement, SupportPlan, TestResult,
};
use crate::sources::request::RequestSpec;

/// Where a stream stands (opgeslagen positie), stored as text by the sync engine.
///
/// The mode is part of the stored text so that a crash in the middle of the initial full listing
/// resumes that listing (`cursor=`) instead of treating its cursor as a change-feed position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FeedPosition {
    /// Nothing read yet (or `--full`): start a full listing.
    Start,
    /// In the middle of a full listing: pass the source's cursor back as `cursor`.
    Paging(String),
    /// The full listing finished: ask for changes after this cursor with `since`.
    Since(String),
}

impl FeedPosition {
    /// Reads a stored cursor (`page:<c>` or `since:<c>`); anything else starts over.
    pub fn from_stored(stored: Option<&str>) -> Self {
        match stored {
            Some(s) if s.starts_with("page:") => Self::Paging(s["page:".len()..].to_owned()),
            Some(s) if s.starts_with("since:") => Self::Since(s["since:".len()..].to_owned()),
            _ => Self::Start,
        }
    }

    /// The text to store; `None` for [`FeedPosition::Start`].
    pub fn to_stored(&self) -> Option<String> {
        match self {
            Self::Start => None,
            Self::Paging(c) => Some(format!("page:{c}")),
            Self::Since(c) => Some(format!("since:{c}")),
        }
    }

    /// Whether this position belongs to a full listing (not the change feed).
    pub fn is_full_listing(&self) -> bool {
        !matches!(self, Self::Since(_))
    }

    /// The position after a page answered with `next_cursor` and `has_more`.
    pub fn advance(&self, next_cursor: String, has_more: bool) -> Self {
        match self {
            Self::Since(_) => Self::Since(next_cursor),
            Self::Start | Self::Paging(_) if has_more => Self::Paging(next_cursor),
            Self::Start | Self::Paging(_) => Self::Since(next_cursor),
        }
    }

    /// Adds the paging parameters to a request.
    pub(crate) fn apply<'a>(&self, req: RequestSpec<'a>) -> RequestSpec<'a> {
        match self {
            Self::Start => req,
            Self::Paging(c) => req.query("cursor", c.clone()),
            Self::Since(c) => req.query("since", c.clone()),
        }
    }
}

/// A record normalised into the domain.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// Toetsresultaat.
    Result(TestResult),
    /// Notitie.
    Note(Note),
    /// Plan (handelingsplan, groepsplan, OPP).
    Plan(SupportPlan),
    /// Dyslexieverklaring (fact and date only).
    DyslexiaStatement(DyslexiaStatementRecord),
    /// Verzuim: one absence.
    Absence(Absence),
    /// Sociaal-emotionele meting.
    SocialEmotional(SocialEmotionalMeasurement),
}

impl Record {
    /// The source pupil id the record names, if any (checked against the store before a page).
    pub fn pupil_external_id(&self) -> Option<&str> {
        match self {
            Self::Result(r) => Some(&r.pupil_external_id),
            Self::Note(n) => n.pupil_external_id.as_deref(),
            Self::Plan(p) => p.pupil_external_id.as_deref(),
            Self::DyslexiaStatement(d) => Some(&d.pupil_external_id),
            Self::Absence(a) => Some(&a.pupil_external_id),
            Self::SocialEmotional(m) => Some(&m.pupil_external_id),
        }
    }

    /// The record's source id.
    pub fn external_id(&self) -> &str {
        match self {
            Self::Result(r) => &r.external_id,
            Self::Note(n) => &n.external_id,
            Self::Plan(p) => &p.external_id,
            Self::DyslexiaStatement(d) => &d.external_id,
            Self::Absence(a) => &a.external_id,
            Self::SocialEmotional(m) => &m.external_id,
        }
    }
}

/// One item of a page: the raw JSON (for quarantine) and the normalised record or why not.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// Source id when the item had a readable `id`.
    pub external_id: Option<String>,
    /// The item as received.
    pub raw: serde_json::Value,
    /// The domain record, or a specific reason (English, without pupil data) to quarantine it.
    pub parsed: Result<Record, String>,
}

/// One page of a stream, normalised.
#[derive(Debug, Clone)]
pub struct SourcePage {
    /// Items in feed order.
    pub records: Vec<SourceRecord>,
    /// Source ids deleted at the source.
    pub tombstones: Vec<String>,
    /// Position after this page.
    pub next: FeedPosition,
    /// Whether more pages follow.
    pub has_more: bool,
}

/// The page envelope shared by both REST contracts (kept snake_case in both).
#[derive(Debug, Deserialize)]
pub(crate) struct WirePage {
    pub items: Vec<serde_json::Value>,
    #[serde(default)]
    pub tombstones: Vec<WireTombstone>,
    pub next_cursor: String,
    pub has_more: bool,
}

/// A tombstone on the wire.
#[derive(Debug, Deserialize)]
pub(crate) struct WireTombstone {
    pub id: String,
}

impl WirePage {
    /// Normalises every item with `parse`, keeping the raw JSON.
    pub(crate) fn normalise(
        self,
        at: &FeedPosition,
        mut parse: impl FnMut(&serde_json::Value) -> Result<Record, String>,
    ) -> SourcePage {
        let records = self
            .items
            .into_iter()
            .map(|raw| SourceRecord {
                external_id: raw.get("id").and_then(|v| v.as_str()).map(str::to_owned),
                parsed: parse(&raw),
                raw,
            })
            .collect();
        SourcePage {
            records,
            tombstones: self.tombstones.into_iter().map(|t| t.id).collect(),
            next: at.advance(self.next_cursor, self.has_more),
            has_more: self.has_more,
        }
    }
}

/// A task as the source stored it after a push (terugschrijven).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedTask {
    /// Id the source gave the task.
    pub remote_id: String,
    /// Whether the source already had this idempotency key (200 instead of 201).
    pub replayed: bool,
}

/// A serde error as a short reason: the message names field and expected type; values that
/// serde quotes (which could be note text) are cut off.
pub(crate) fn decode_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = text.split(" at line").next().unwrap_or(&text);
    let text = text.split(": \"").next().unwrap_or(text);
    short(text)
}

/// Parses a required ISO date field: `afnamedatum "2025-13-01" is not a date`.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<chrono::NaiveDate, String> {
    let value = value.ok_or_else(|| format!("missing {field}"))?;
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| format!("{field} {:?} is not a date", short(value)))
}

/// Parses an optional ISO date field.
pub(crate) fn opt_date(field: &str, value: Option<&str>) -> Result<Option<chrono::NaiveDate>, String> {
    value.map(|v| date(field, Some(v))).transpose()
}

/// A required, non-empty text field.
pub(crate) fn required(field: &str, value: Option<&str>) -> Result<String, String> {
    match value.map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_owned()),
        _ => Err(format!("missing {field}")),
    }
}

/// At most 40 characters of a value for a quarantine reason.
pub(crate) fn short(value: &str) -> String {
    value.chars().take(40).collect()
}

/// Decodes an item into its wire type; a shape error becomes a reason.
pub(crate) fn wire<T: serde::de::DeserializeOwned>(raw: &serde_json::Value) -> Result<T, String> {
    T::deserialize(raw).map_err(|e| format!("record does not match the contract: {}", decode_reason(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_positions_round_trip_and_keep_their_mode() {
        for p in [
            FeedPosition::Paging("ab".into()),
            FeedPosition::Since("cd".into()),
        ] {
            assert_eq!(FeedPosition::from_stored(p.to_stored().as_deref()), p);
        }
        assert_eq!(FeedPosition::from_stored(None), FeedPosition::Start);
        assert_eq!(FeedPosition::from_stored(Some("garbage")), FeedPosition::Start);
    }

    #[test]
    fn a_full_listing_turns_into_a_feed_on_its_last_page() {
        let p = FeedPosition::Start.advance("c1".into(), true);
        assert_eq!(p, FeedPosition::Paging("c1".into()));
        assert_eq!(p.advance("c2".into(), false), FeedPosition::Since("c2".into()));
        let s = FeedPosition::Since("c3".into());
        assert_eq!(s.advance("c4".into(), true), FeedPosition::Since("c4".into()));
    }
}
