//! Mail to the IB (docs/DOMAIN.md §7, docs/MAIL.md): a pure digest model ([`build_digest`]), the
//! collector that fills it from the store ([`collect_digest_input`]), the transports
//! ([`Mailer`]), the sending policy ([`send_digests`], [`send_urgent`]) and the board report
//! mail ([`send_board_report`]).

mod board_report;
mod collect;
mod compose;
mod digest;
mod directie;
mod mailer;
mod policy;
mod render;
#[cfg(test)]
mod tests;

pub use board_report::{BOARD_REPORT_MAIL_KIND, board_report_subject, send_board_report};
pub use collect::collect_digest_input;
pub use compose::{build_digest, build_start_overview};
pub use digest::{
    Digest, DigestInput, DigestItem, DigestPolicy, ItemKind, MAX_NEW_LINES, MAX_OVERVIEW_LINES,
    MAX_REPEAT_LINES, MailKind, REPEAT_AFTER_DAYS,
};
pub use directie::{
    DIRECTIE_LOOKBACK_DAYS, DIRECTIE_MAIL_KIND, build_directie_mail, send_directie_escalations,
};
pub use mailer::{Mailer, SentMail};
pub use policy::{
    Quiet, SendSummary, SentInfo, quiet_reason, school_quiet_reason, send_digests, send_urgent,
    send_urgent_for,
};

use crate::store::StoreError;

/// Errors of building, sending and recording mail. Never carries a pupil name or a secret.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The `[mail]` settings cannot make a transport.
    #[error("mail settings: {0}")]
    Config(String),
    /// A sender or recipient address does not parse.
    #[error("invalid mail address in {field}: {reason}")]
    Address {
        /// `mail.from` or `schools.ib_emails`.
        field: &'static str,
        /// Parser message (names no pupil).
        reason: String,
    },
    /// The MIME message could not be built.
    #[error("building the message failed: {0}")]
    Build(String),
    /// The SMTP server refused the message or could not be reached.
    #[error("SMTP delivery to {to} failed: {source}")]
    Smtp {
        /// Recipient address.
        to: String,
        /// lettre's error (server reply or connection error; no credentials).
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// Writing an `.eml` file failed.
    #[error("writing mail file {path}: {source}")]
    File {
        /// File written.
        path: String,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a file to attach failed.
    #[error("reading attachment {path}: {source}")]
    Attachment {
        /// File read.
        path: String,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A template failed to render.
    #[error("rendering the digest template failed: {0}")]
    Render(#[from] askama::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Some mails of a run could not be delivered; the others were sent and recorded. A retry
    /// sends only the failed ones (the rest already had their mail of the day).
    #[error("{failed} of {attempted} mails could not be delivered; first: {first}")]
    Partial {
        /// Mails whose delivery failed.
        failed: usize,
        /// Mails the run tried to deliver.
        attempted: usize,
        /// The first delivery error.
        first: Box<MailError>,
    },
}

impl MailError {
    /// A failure of one mail's delivery (the SMTP server or the `.eml` file), after which the
    /// run goes on with the next IB and school.
    pub fn is_delivery(&self) -> bool {
        matches!(self, Self::Smtp { .. } | Self::File { .. })
    }
}
