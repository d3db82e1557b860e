//! `FromRow` structs of the working side (signals, outbox, audit and deletion logs), shared by
//! both engines, and their conversion to store values.

use chrono::{DateTime, NaiveDate, Utc};

use super::error::StoreError;
use super::rows::{brin, domain, enum_parse, from_json, source};
use super::work_model::{AuditEntry, DeletionRecord, OutboxItem, OutboxStatus, SignalEvent, SignalRow};
use crate::domain::{Severity, Signal, SignalStatus, Task, TaskKind};

fn status(s: &str) -> Result<SignalStatus, StoreError> {
    SignalStatus::parse(s).map_err(|e| StoreError::decode("status", e))
}

/// `signals` joined with the pupil's source id.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SignalDbRow {
    pub id: i64,
    pub pupil_id: i64,
    pub pupil_external_id: String,
    pub key: String,
    pub rule: String,
    pub rule_version: i64,
    pub school: String,
    pub domain: Option<String>,
    pub severity: String,
    pub status: String,
    pub opened_on: NaiveDate,
    pub explanation: String,
    pub evidence: String,
    pub eed_criterion: Option<String>,
    pub snoozed_until: Option<NaiveDate>,
    pub dismissed_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl SignalDbRow {
    pub fn into_row(self) -> Result<SignalRow, StoreError> {
        Ok(SignalRow {
            id: self.id,
            pupil_id: self.pupil_id,
            signal: Signal {
                key: self.key,
                rule: self.rule,
                rule_version: u32::try_from(self.rule_version)
                    .map_err(|e| StoreError::decode("rule_version", e))?,
                school: brin(&self.school)?,
                pupil_external_id: self.pupil_external_id,
                domain: domain(self.domain.as_deref())?,
                severity: Severity::parse(&self.severity).map_err(|e| StoreError::decode("severity", e))?,
                status: status(&self.status)?,
                opened_on: self.opened_on,
                explanation: self.explanation,
                evidence: from_json("evidence", &self.evidence)?,
                eed_criterion: self
                    .eed_criterion
                    .map(|c| enum_parse("eed_criterion", &c))
                    .transpose()?,
                snoozed_until: self.snoozed_until,
                dismissed_reason: self.dismissed_reason,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// `signal_events` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SignalEventRow {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub actor: Option<String>,
}

impl SignalEventRow {
    pub fn into_event(self) -> Result<SignalEvent, StoreError> {
        Ok(SignalEvent {
            at: self.at,
            kind: self.kind,
            from_status: self.from_status.as_deref().map(status).transpose()?,
            to_status: self.to_status.as_deref().map(status).transpose()?,
            reason: self.reason,
            actor: self.actor,
        })
    }
}

/// `outbox` joined with its task and the pupil's source id.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub id: i64,
    pub task_id: i64,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub remote_id: Option<String>,
    pub lease_holder: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub key: String,
    pub signal_key: Option<String>,
    pub kind: String,
    pub school: String,
    pub pupil_external_id: String,
    pub target: String,
    pub title: String,
    pub body: String,
    pub due_on: Option<NaiveDate>,
}

impl OutboxRow {
    pub fn into_item(self) -> Result<OutboxItem, StoreError> {
        Ok(OutboxItem {
            id: self.id,
            task_id: self.task_id,
            status: OutboxStatus::parse(&self.status)
                .ok_or_else(|| StoreError::decode("status", &self.status))?,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            remote_id: self.remote_id,
            lease_holder: self.lease_holder,
            lease_until: self.lease_until,
            task: Task {
                key: self.key,
                signal_key: self.signal_key,
                kind: TaskKind::parse(&self.kind).map_err(|e| StoreError::decode("kind", e))?,
                school: brin(&self.school)?,
                pupil_external_id: self.pupil_external_id,
                target: source(&self.target)?,
                title: self.title,
                body: self.body,
                due_on: self.due_on,
            },
        })
    }
}

/// `audit_log` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub school: Option<String>,
    pub subject: String,
}

impl AuditRow {
    pub fn into_entry(self) -> Result<AuditEntry, StoreError> {
        Ok(AuditEntry {
            at: self.at,
            actor: self.actor,
            action: self.action,
            school: self.school.as_deref().map(brin).transpose()?,
            subject: self.subject,
        })
    }
}

/// `deletion_log` row.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeletionRow {
    pub pupil_hash: String,
    pub school: String,
    pub left_on: NaiveDate,
    pub deleted_at: DateTime<Utc>,
}

impl DeletionRow {
    pub fn into_record(self) -> Result<DeletionRecord, StoreError> {
        Ok(DeletionRecord {
            pupil_hash: self.pupil_hash,
            school: brin(&self.school)?,
            left_on: self.left_on,
            deleted_at: self.deleted_at,
        })
    }
}
