//! One REST stream of one school as the engine drives it, and why a stream ended early.

use crate::domain::{Brin, Source};
use crate::sources::error::SourceError;
use crate::sources::feed::{FeedPosition, SourcePage};
use crate::sources::leeruniek::{LeeruniekClient, LeeruniekStream, NoteCategories};
use crate::sources::oauth::TokenSource;
use crate::sources::parnassys::{ParnassysClient, ParnassysStream};
use crate::store::{RecordKind, StoreError};

/// Stream name of the GKV snapshot in the store's stream table.
pub const PUPILS_STREAM: &str = "pupils";

/// One REST stream of one school, with what it needs to read a page.
pub(crate) enum RestStream<'a> {
    Parnassys(&'a ParnassysClient, &'a TokenSource, ParnassysStream),
    Leeruniek(&'a LeeruniekClient, &'a TokenSource, LeeruniekStream),
}

impl RestStream<'_> {
    pub(crate) fn source(&self) -> Source {
        match self {
            Self::Parnassys(..) => Source::Parnassys,
            Self::Leeruniek(..) => Source::Leeruniek,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Parnassys(_, _, s) => s.name(),
            Self::Leeruniek(_, _, s) => s.name(),
        }
    }

    pub(crate) fn record_kind(&self) -> RecordKind {
        match self {
            Self::Parnassys(_, _, s) => s.record_kind(),
            Self::Leeruniek(_, _, s) => s.record_kind(),
        }
    }

    pub(crate) async fn page(
        &self,
        school: &Brin,
        at: &FeedPosition,
        limit: u32,
        categories: &mut NoteCategories,
    ) -> Result<SourcePage, SourceError> {
        match self {
            Self::Parnassys(c, t, s) => c.page(school, t, *s, at, limit).await,
            Self::Leeruniek(c, t, s) => c.page(school, t, *s, at, limit, categories).await,
        }
    }
}

/// Why a stream ended early.
pub(crate) enum StreamError {
    Source(SourceError),
    Store(StoreError),
}

impl StreamError {
    /// Whether access was refused for good (stop this source for the school).
    pub(crate) fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Source(SourceError::Revoked { .. } | SourceError::Forbidden | SourceError::Unauthorized)
        )
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Self::Source(e) => e.to_string(),
            Self::Store(e) => format!("store: {e}"),
        }
    }
}

impl From<SourceError> for StreamError {
    fn from(e: SourceError) -> Self {
        Self::Source(e)
    }
}

impl From<StoreError> for StreamError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}
