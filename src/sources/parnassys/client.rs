//! HTTP side of the ParnasSys REST adapter: one page of a stream, and pushing a task.

use reqwest::StatusCode;

use super::ParnassysStream;
use super::model::{WireTask, WireTaskRequest};
use crate::domain::{Brin, Task, TaskKind};
use crate::sources::error::SourceError;
use crate::sources::feed::{FeedPosition, PushedTask, SourcePage, WirePage};
use crate::sources::http::{HttpClient, RequestSpec, decode_json};
use crate::sources::oauth::TokenSource;

/// Client of the ParnasSys REST API; one per board, tokens per school.
#[derive(Debug)]
pub struct ParnassysClient {
    http: HttpClient,
    base_url: String,
}

impl ParnassysClient {
    /// A client for the API at `base_url` (without `/api/v1`).
    pub fn new(http: HttpClient, base_url: impl Into<String>) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
        }
    }

    /// The shared HTTP client (its reqwest client feeds the token sources).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    fn url(&self, school: &Brin, path: &str) -> String {
        format!("{}/api/v1/scholen/{}/{}", self.base_url, school, path)
    }

    /// Reads one page of `stream` at `at`, normalising every item.
    #[tracing::instrument(skip_all, fields(source = "parnassys", school = %school, stream = stream.name()), err)]
    pub async fn page(
        &self,
        school: &Brin,
        tokens: &TokenSource,
        stream: ParnassysStream,
        at: &FeedPosition,
        limit: u32,
    ) -> Result<SourcePage, SourceError> {
        let req = RequestSpec::new(self.url(school, stream.path()))
            .query("limit", limit.to_string())
            .bearer(tokens);
        let page: WirePage = self.http.get_json(school.as_str(), at.apply(req)).await?;
        Ok(page.normalise(at, |raw| stream.normalise(school, raw)))
    }

    /// Creates a task (taak) or reminder (herinnering) for a pupil, idempotent per `task.key`.
    #[tracing::instrument(skip_all, fields(source = "parnassys", school = %task.school), err)]
    pub async fn push_task(&self, tokens: &TokenSource, task: &Task) -> Result<PushedTask, SourceError> {
        let body = WireTaskRequest {
            leerling_id: &task.pupil_external_id,
            titel: &task.title,
            omschrijving: &task.body,
            soort: match task.kind {
                TaskKind::OwnerReminder => "herinnering",
                _ => "taak",
            },
            vervaldatum: task.due_on,
        };
        let req = RequestSpec::new(self.url(&task.school, "taken"))
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
