//! Values of the working side of the store (signals, outbox, jobs, audit, mail and deletion
//! logs) where the domain has no type of its own.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Brin, Severity, Signal, SignalStatus, Task};

/// What [`super::SignalStore::upsert_signal`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SignalUpsert {
    /// A new signal with this id.
    Created(i64),
    /// The signal existed; its evidence changed and was appended as an event.
    EvidenceAppended(i64),
    /// The signal existed with the same evidence.
    Unchanged(i64),
}

impl SignalUpsert {
    /// The signal's store id.
    pub fn id(self) -> i64 {
        match self {
            Self::Created(id) | Self::EvidenceAppended(id) | Self::Unchanged(id) => id,
        }
    }
}

/// Filter for [`super::SignalStore::signals`]; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignalFilter {
    /// Only this school.
    pub school: Option<Brin>,
    /// Only this status.
    pub status: Option<SignalStatus>,
    /// Only this pupil (store id).
    pub pupil_id: Option<i64>,
    /// Only this rule.
    pub rule: Option<String>,
    /// Only this severity (the urgent check after each evaluation asks for `high` only).
    pub severity: Option<Severity>,
}

/// Active signals of one school ([`super::SignalStore::active_signal_counts`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchoolSignalCounts {
    /// School.
    pub school: Brin,
    /// Active signals of severity high.
    pub high: i64,
    /// Medium.
    pub medium: i64,
    /// Low.
    pub low: i64,
    /// Distinct pupils with an active signal.
    pub pupils: i64,
}

/// A stored signal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalRow {
    /// Store id.
    pub id: i64,
    /// Pupil store id.
    pub pupil_id: i64,
    /// The signal as it stands (status, latest evidence).
    pub signal: Signal,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// One entry of a signal's timeline (created, evidence appended, status changed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SignalEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// `created`, `evidence`, `status` or `snooze`.
    pub kind: String,
    /// Status before, for status changes.
    pub from_status: Option<SignalStatus>,
    /// Status after, for status changes.
    pub to_status: Option<SignalStatus>,
    /// Reason given.
    pub reason: Option<String>,
    /// Who did it (user or `rules`).
    pub actor: Option<String>,
}

/// State of an outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting for `next_attempt_at`.
    Pending,
    /// Claimed by a worker until its lease runs out.
    InFlight,
    /// Delivered.
    Sent,
    /// Given up after repeated failure; needs [`super::OutboxStore::retry_outbox`].
    Parked,
}

impl OutboxStatus {
    /// Stable identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Sent => "sent",
            Self::Parked => "parked",
        }
    }

    /// Parses the identifier.
    pub fn parse(input: &str) -> Option<Self> {
        [Self::Pending, Self::InFlight, Self::Sent, Self::Parked]
            .into_iter()
            .find(|s| s.as_str() == input)
    }
}

/// A task waiting to be pushed (or pushed), with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    /// Outbox id.
    pub id: i64,
    /// Task store id.
    pub task_id: i64,
    /// The task.
    pub task: Task,
    /// Delivery state.
    pub status: OutboxStatus,
    /// Claims so far.
    pub attempts: i64,
    /// Earliest next claim.
    pub next_attempt_at: DateTime<Utc>,
    /// Last failure (operator-facing).
    pub last_error: Option<String>,
    /// Id the target system gave the task.
    pub remote_id: Option<String>,
    /// The daemon instance that last claimed the row (`host:pid:random`); `None` before the first
    /// claim and after start-up released an expired lease.
    pub lease_holder: Option<String>,
    /// Until when the holder's claim runs (in flight only).
    pub lease_until: Option<DateTime<Utc>>,
}

/// Outbox rows per state ([`super::OutboxStore::outbox_counts`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    /// Waiting.
    pub pending: i64,
    /// Claimed by a daemon.
    pub in_flight: i64,
    /// Delivered.
    pub sent: i64,
    /// Given up.
    pub parked: i64,
}

impl OutboxCounts {
    /// The count of one state.
    pub fn get(&self, status: OutboxStatus) -> i64 {
        match status {
            OutboxStatus::Pending => self.pending,
            OutboxStatus::InFlight => self.in_flight,
            OutboxStatus::Sent => self.sent,
            OutboxStatus::Parked => self.parked,
        }
    }

    /// The count of one state, to set.
    pub fn get_mut(&mut self, status: OutboxStatus) -> &mut i64 {
        match status {
            OutboxStatus::Pending => &mut self.pending,
            OutboxStatus::InFlight => &mut self.in_flight,
            OutboxStatus::Sent => &mut self.sent,
            OutboxStatus::Parked => &mut self.parked,
        }
    }
}

/// A directie escalation (a task of kind `directie_escalation`, never pushed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationRow {
    /// Task store id.
    pub task_id: i64,
    /// Pupil store id.
    pub pupil_id: i64,
    /// Task key.
    pub key: String,
    /// Key of the signal it escalates.
    pub signal_key: Option<String>,
    /// Dutch title.
    pub title: String,
    /// Dutch body.
    pub body: String,
    /// Due date of the evaluation it is about, if any.
    pub due_on: Option<NaiveDate>,
    /// When the rule raised it.
    pub created_at: DateTime<Utc>,
}

/// Filter for [`super::OutboxStore::outbox`]; `None` fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    /// Only this state.
    pub status: Option<OutboxStatus>,
    /// Only this school.
    pub school: Option<Brin>,
    /// Only tasks of this pupil (store id).
    pub pupil_id: Option<i64>,
    /// At most this many rows: the newest (a page, for views that must stay bounded).
    pub limit: Option<i64>,
}

/// A claimed job run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRun {
    /// Store id.
    pub id: i64,
    /// Job name (`sync`, `digest`, …).
    pub job: String,
    /// Schedule slot it was enqueued for.
    pub scheduled_at: DateTime<Utc>,
    /// Claims so far (more than one after a crashed worker's lease ran out).
    pub attempts: i64,
}

/// A mail sent, for rate limiting and proof (no pupil data: only a hash of the subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// Recipient address (an IB or directie address).
    pub to: String,
    /// `digest`, `urgent`, `report`, …
    pub kind: String,
    /// School, when the mail is about one.
    pub school: Option<Brin>,
    /// SHA-256 (hex) of the subject.
    pub subject_hash: String,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

impl MailRecord {
    /// The [`Self::subject_hash`] of `subject`: what the mail log keeps of a subject, and what a
    /// sender compares to find a mail it sent before.
    pub fn hash_subject(subject: &str) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(subject.as_bytes()))
    }
}

/// A signal a mail named to one IB of one school (signal economy: new once, repeated weekly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailedItem {
    /// Signal store id.
    pub signal_id: i64,
    /// What the mail showed of it (its severity): a change makes the item new again.
    pub fingerprint: String,
    /// First mail that named it with its current fingerprint (a change starts the count again:
    /// the four weeks of reminders run from there).
    pub first_mailed_at: DateTime<Utc>,
    /// Latest mail that named it.
    pub last_mailed_at: DateTime<Utc>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (user name or `system`).
    pub actor: String,
    /// What (`signal.status`, `outbox.retry`, …).
    pub action: String,
    /// School, when it concerns one.
    pub school: Option<Brin>,
    /// What it was done to (`signal:12`).
    pub subject: String,
}

/// Proof that a pupil's data was deleted (bewaartermijn), without the pupil's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeletionRecord {
    /// HMAC-SHA-256 (hex) with the board key of source, school and source pupil id ([`super::pupil_hash`]).
    pub pupil_hash: String,
    /// School.
    pub school: Brin,
    /// Date the pupil left.
    pub left_on: NaiveDate,
    /// When the data was deleted.
    pub deleted_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::MailRecord;

    /// The mail log's subject hash is SHA-256 in lower-case hex (the FIPS 180-2 example "abc"),
    /// the same for every sender.
    #[test]
    fn the_subject_hash_is_sha256_hex() {
        assert_eq!(
            MailRecord::hash_subject("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
