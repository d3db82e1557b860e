//! HTTP side of the Leeruniek adapter: one page of a stream (loading the note-category tree when
//! a note names a category not known yet), and pushing a task.

use std::collections::{HashMap, HashSet};

use reqwest::StatusCode;

use super::LeeruniekStream;
use super::model::{WireCategory, WireTask, WireTaskRequest};
use crate::domain::{Brin, Task, TaskKind};
use crate::sources::error::SourceError;
use crate::sources::feed::{FeedPosition, PushedTask, SourcePage, WirePage};
use crate::sources::http::{HttpClient, RequestSpec, decode_json};
use crate::sources::oauth::TokenSource;

/// The note-category tree of one school (notitiecategorieën): id → path from the root.
#[derive(Debug, Clone, Default)]
pub struct NoteCategories {
    paths: HashMap<String, Vec<String>>,
    loaded: bool,
}

impl NoteCategories {
    /// A tree from `(id, path)` pairs (tests, fixtures).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, Vec<String>)>) -> Self {
        Self {
            paths: pairs.into_iter().collect(),
            loaded: true,
        }
    }

    /// The path of a category.
    pub fn path(&self, id: &str) -> Option<&[String]> {
        self.paths.get(id).map(Vec::as_slice)
    }
}

/// Client of the Leeruniek REST API; one per board, tokens per school.
#[derive(Debug)]
pub struct LeeruniekClient {
    http: HttpClient,
    base_url: String,
}

impl LeeruniekClient {
    /// A client for the API at `base_url` (without `/api/v1`).
    pub fn new(http: HttpClient, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The shared HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn url(&self, school: &Brin, path: &str) -> String {
        format!("{}/api/v1/schools/{}/{}", self.base_url, school, path)
    }

    /// Reads one page of `stream` at `at`. For notes, the category tree is read (once per
    /// `categories`) as soon as a note names a category it does not hold.
    #[tracing::instrument(skip_all, fields(source = "leeruniek", school = %school, stream = stream.name()), err)]
    pub async fn page(
        &self,
        school: &Brin,
        tokens: &TokenSource,
        stream: LeeruniekStream,
        at: &FeedPosition,
        limit: u32,
        categories: &mut NoteCategories,
    ) -> Result<SourcePage, SourceError> {
        let req = RequestSpec::new(self.url(school, stream.path()))
            .query("limit", limit.to_string())
            .bearer(tokens);
        let page: WirePage = self.http.get_json(school.as_str(), at.apply(req)).await?;
        if stream == LeeruniekStream::Notes && !categories.loaded {
            let unknown = page.items.iter().any(|i| {
                i.get("categoryId")
                    .and_then(|c| c.as_str())
                    .is_some_and(|c| categories.path(c).is_none())
            });
            if unknown {
                *categories = self.categories(school, tokens).await?;
            }
        }
        Ok(page.normalise(at, |raw| stream.normalise(school, categories, raw)))
    }

    /// The whole note-category tree of a school (a full listing, every page).
    pub async fn categories(
        &self,
        school: &Brin,
        tokens: &TokenSource,
    ) -> Result<NoteCategories, SourceError> {
        let mut at = FeedPosition::Start;
        let mut visited = HashSet::from([at.clone()]);
        let mut paths = HashMap::new();
        loop {
            let req = RequestSpec::new(self.url(school, "note-categories"))
                .query("limit", "1000")
                .bearer(tokens);
            let page: WirePage = self.http.get_json(school.as_str(), at.apply(req)).await?;
            for item in page.items {
                if let Ok(c) = serde_json::from_value::<WireCategory>(item) {
                    paths.insert(c.id, c.path);
                }
            }
            if !page.has_more {
                break;
            }
            let next = at.advance(page.next_cursor, true);
            if !visited.insert(next.clone()) {
                let cursor = next.to_stored().unwrap_or_default();
                return Err(SourceError::NoProgress { cursor });
            }
            at = next;
        }
        Ok(NoteCategories { paths, loaded: true })
    }

    /// Creates a task or reminder for a pupil, idempotent per `task.key`.
    #[tracing::instrument(skip_all, fields(source = "leeruniek", school = %task.school), err)]
    pub async fn push_task(&self, tokens: &TokenSource, task: &Task) -> Result<PushedTask, SourceError> {
        let body = WireTaskRequest {
            pupil_id: &task.pupil_external_id,
            title: &task.title,
            description: &task.body,
            kind: match task.kind {
                TaskKind::OwnerReminder => "reminder",
                _ => "task",
            },
            due_date: task.due_on,
        };
        let req = RequestSpec::new(self.url(&task.school, "tasks"))
            .bearer(tokens)
            .idempotency_key(&task.key)?;
        let raw = self.http.post_json_raw(task.school.as_str(), req, &body).await?;
        let created: WireTask = decode_json(&raw.body, &[])?;
        Ok(PushedTask {
            remote_id: created.id,
            replayed: raw.status == StatusCode::OK,
        })
    }
}
