//! Notes (notities, groepsnotities; issue 18 item 6): the most sensitive text Zorgsignaal holds.
//! Two reads, both per school: [`NoteStore::note_marks`] for the rule engine gives a pupil's
//! notes of a bounded window without their text (category and time only), and
//! [`NoteStore::pupil_notes`] for the pupil page and a signal's evidence gives the text too, to an
//! audited view of the pupil's own school. The text never goes to mails, logs or the board report.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use sqlx::QueryBuilder;

use super::error::StoreError;
use super::rows;
use super::sql::{SqlStore, on_engine, restrict};
use crate::domain::{Brin, Note, Source};

/// A note as the rules read it: whose, which category, when — never its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteMark {
    /// Store id of the pupil.
    pub pupil_id: i64,
    /// Store id of the note.
    pub id: i64,
    /// Source system.
    pub source: Source,
    /// Category path from the root.
    pub category_path: Vec<String>,
    /// When it was written (UTC).
    pub written_at: DateTime<Utc>,
}

/// A stored note with its text, for an audited view of the pupil's own school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredNote {
    /// Store id.
    pub id: i64,
    /// Store id of the pupil it is about; `None` for a group note.
    pub pupil_id: Option<i64>,
    /// The note.
    pub note: Note,
}

/// Reading notes.
#[async_trait]
pub trait NoteStore: Send + Sync {
    /// The live notes about live pupils of `school` (all pupils, or the given ids) written at or
    /// after `since`, without their text, by pupil id, time and store id.
    async fn note_marks(
        &self,
        school: &Brin,
        pupil_ids: Option<&[i64]>,
        since: DateTime<Utc>,
    ) -> Result<Vec<NoteMark>, StoreError>;

    /// The live notes about pupil `pupil_id` of `school` and the live group notes of `school`'s
    /// groups `group_external_ids`, written at or after `since`, newest first (then by store id,
    /// highest first). A pupil of another school gives no notes.
    async fn pupil_notes(
        &self,
        school: &Brin,
        pupil_id: i64,
        group_external_ids: &[String],
        since: DateTime<Utc>,
    ) -> Result<Vec<StoredNote>, StoreError>;
}

/// A note row with its text: id, pupil id, pupil external id, source, external id,
/// group, category path, written at, content.
type NoteRow = (
    i64,
    Option<i64>,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
    DateTime<Utc>,
    String,
);

#[async_trait]
impl<S: SqlStore> NoteStore for S {
    async fn note_marks(
        &self,
        school: &Brin,
        pupil_ids: Option<&[i64]>,
        since: DateTime<Utc>,
    ) -> Result<Vec<NoteMark>, StoreError> {
        if pupil_ids.is_some_and(<[i64]>::is_empty) {
            return Ok(Vec::new());
        }
        let chunks: Vec<Option<&[i64]>> = match pupil_ids {
            None => vec![None],
            Some(ids) => ids.chunks(500).map(Some).collect(),
        };
        let mut out = Vec::new();
        for chunk in chunks {
            let rows: Vec<(i64, i64, String, String, DateTime<Utc>)> = on_engine!(self.pool(), |pool| {
                let mut q = QueryBuilder::new(
                    "SELECT n.pupil_id, n.id, n.source, n.category_path, n.written_at
                     FROM notes n JOIN pupils p ON p.id = n.pupil_id
                     WHERE n.deleted_at IS NULL AND p.deleted_at IS NULL AND n.school = ",
                );
                q.push_bind(school.as_str());
                q.push(" AND p.school = ");
                q.push_bind(school.as_str());
                q.push(" AND n.written_at >= ");
                q.push_bind(since);
                restrict(&mut q, "n.pupil_id", chunk);
                q.push(" ORDER BY n.pupil_id, n.written_at, n.id");
                q.build_query_as().fetch_all(pool).await?
            });
            for (pupil_id, id, source, path, written_at) in rows {
                out.push(NoteMark {
                    pupil_id,
                    id,
                    source: rows::source(&source)?,
                    category_path: rows::from_json("category_path", &path)?,
                    written_at,
                });
            }
        }
        Ok(out)
    }

    async fn pupil_notes(
        &self,
        school: &Brin,
        pupil_id: i64,
        group_external_ids: &[String],
        since: DateTime<Utc>,
    ) -> Result<Vec<StoredNote>, StoreError> {
        let rows: Vec<NoteRow> = on_engine!(self.pool(), |pool| {
            let mut q = QueryBuilder::new(
                "SELECT n.id, n.pupil_id, p.external_id, n.source, n.external_id, n.group_external_id,
                        n.category_path, n.written_at, n.content
                 FROM notes n LEFT JOIN pupils p ON p.id = n.pupil_id
                 WHERE n.deleted_at IS NULL AND n.school = ",
            );
            q.push_bind(school.as_str());
            q.push(" AND n.written_at >= ");
            q.push_bind(since);
            q.push(" AND ((n.pupil_id = ");
            q.push_bind(pupil_id);
            q.push(" AND p.deleted_at IS NULL AND p.school = ");
            q.push_bind(school.as_str());
            q.push(")");
            if !group_external_ids.is_empty() {
                q.push(" OR (n.pupil_id IS NULL AND n.group_external_id IN (");
                let mut list = q.separated(", ");
                for g in group_external_ids {
                    list.push_bind(g.as_str());
                }
                list.push_unseparated("))");
            }
            q.push(") ORDER BY n.written_at DESC, n.id DESC");
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(id, pupil_id, pupil_external_id, source, external_id, group, path, written_at, content)| {
                    Ok(StoredNote {
                        id,
                        pupil_id,
                        note: Note {
                            source: rows::source(&source)?,
                            external_id,
                            school: school.clone(),
                            pupil_external_id,
                            group_external_id: group,
                            category_path: rows::from_json("category_path", &path)?,
                            created_at: written_at,
                            content,
                        },
                    })
                },
            )
            .collect()
    }
}
