//! Transports: SMTP (STARTTLS, TLS or plain, with optional authentication), `.eml` files in a
//! directory (the demo), and memory (tests of the sending policy only).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sha2::{Digest as _, Sha256};

use super::MailError;
use super::digest::Digest;
use crate::settings::{MailSettings, MailTls};

/// How long one SMTP conversation may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// A mail the memory transport kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    /// Envelope recipient.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// The full message as it would go over the wire (RFC 5322).
    pub raw: String,
}

/// Where mail goes.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP server (relay).
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per mail in this directory (created when missing); for the demo.
    File(PathBuf),
    /// Kept in memory; for tests of the sending policy, never for delivery.
    Memory(Arc<Mutex<Vec<SentMail>>>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Smtp(_) => f.write_str("Mailer::Smtp"),
            Self::File(dir) => write!(f, "Mailer::File({})", dir.display()),
            Self::Memory(_) => f.write_str("Mailer::Memory"),
        }
    }
}

impl Mailer {
    /// Deletes the `.eml` files of the file transport last modified before `before` (retention
    /// of `retention.mail_files_after`); returns how many went. Other transports keep nothing.
    pub fn prune_files(&self, before: std::time::SystemTime) -> std::io::Result<usize> {
        let Self::File(dir) = self else { return Ok(0) };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let mut gone = 0;
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "eml") {
                continue;
            }
            if entry.metadata()?.modified()? < before {
                std::fs::remove_file(&path)?;
                gone += 1;
            }
        }
        Ok(gone)
    }

    /// The SMTP transport `[mail]` describes: `tls = "starttls"` (upgrade, required), `"tls"`
    /// (TLS from the first byte) or `"none"` (plain, for a local relay or test sink); with
    /// `username` set, authenticates with the secret `password`.
    pub fn from_settings(mail: &MailSettings) -> Result<Self, MailError> {
        let host = mail.host.trim();
        if host.is_empty() {
            return Err(MailError::Config("mail.host is empty".into()));
        }
        let builder = match mail.tls {
            MailTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
                .map_err(|e| MailError::Config(format!("mail.tls = starttls: {e}")))?,
            MailTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
                .map_err(|e| MailError::Config(format!("mail.tls = tls: {e}")))?,
            MailTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        };
        let mut builder = builder.port(mail.port).timeout(Some(SMTP_TIMEOUT));
        if !mail.username.trim().is_empty() {
            builder = builder.credentials(Credentials::new(
                mail.username.trim().to_owned(),
                mail.password.expose_secret().to_owned(),
            ));
        }
        Ok(Self::Smtp(builder.build()))
    }

    /// A memory transport and the list it fills.
    pub fn memory() -> (Self, Arc<Mutex<Vec<SentMail>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        (Self::Memory(Arc::clone(&sent)), sent)
    }

    /// Sends `digest` from `from`, dated `now`. Returns only once the mail is accepted (SMTP: the
    /// server's reply to DATA; file: written and renamed into place).
    pub async fn send(&self, from: &str, digest: &Digest, now: DateTime<Utc>) -> Result<(), MailError> {
        let headers = AutoHeaders {
            list: ListId::School(digest.school.as_str()),
            kind: digest.kind.as_str(),
            to: &digest.to,
            subject: &digest.subject,
            sent_at: now,
        };
        let message = build_message(from, digest, &headers)?;
        let stem = headers.file_stem(digest.school.as_str());
        self.deliver(&digest.to, &digest.subject, &stem, message).await
    }

    /// Delivers a built `message` to `to` (the envelope recipient, for errors and the memory
    /// transport); `file_stem` starts the `.eml` name of the file transport.
    pub(super) async fn deliver(
        &self,
        to: &str,
        subject: &str,
        file_stem: &str,
        message: Message,
    ) -> Result<(), MailError> {
        match self {
            Self::Smtp(transport) => {
                transport.send(message).await.map_err(|source| MailError::Smtp {
                    to: to.to_owned(),
                    source,
                })?;
            }
            Self::File(dir) => write_eml(dir, file_stem, &message.formatted()).await?,
            Self::Memory(sent) => {
                let mut sent = sent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                sent.push(SentMail {
                    to: to.to_owned(),
                    subject: subject.to_owned(),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                });
            }
        }
        Ok(())
    }
}

/// Which list a mail belongs to (`List-Id`, RFC 2919): one per school, one for the board.
#[derive(Debug, Clone, Copy)]
pub(super) enum ListId<'a> {
    /// The IB mails of one school (BRIN).
    School(&'a str),
    /// The board report.
    Board,
}

/// The headers of a well-formed automatic mail: `Message-ID`, `Date`, `Auto-Submitted:
/// auto-generated` (RFC 3834: no out-of-office replies) and a stable `List-Id`.
#[derive(Debug, Clone)]
pub(super) struct AutoHeaders<'a> {
    /// Its list.
    pub list: ListId<'a>,
    /// Mail kind (`digest`, `start_overview`, `board_report`).
    pub kind: &'a str,
    /// Recipient.
    pub to: &'a str,
    /// Subject.
    pub subject: &'a str,
    /// The `Date`.
    pub sent_at: DateTime<Utc>,
}

impl AutoHeaders<'_> {
    /// Hex digest of recipient, list, kind, time and subject: the same mail gets the same id
    /// (a re-sent copy after a crash is recognisable), two mails never share one.
    fn hash(&self) -> String {
        let list = match self.list {
            ListId::School(brin) => brin,
            ListId::Board => "bestuur",
        };
        let text = format!(
            "{}|{list}|{}|{}|{}",
            self.to,
            self.kind,
            self.sent_at.to_rfc3339(),
            self.subject
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }

    /// `.eml` name (without extension) of the file transport: `<stem>-<time>-<kind>-<hash>`, so a
    /// replay with the same seed writes the same files.
    pub(super) fn file_stem(&self, stem: &str) -> String {
        format!(
            "{stem}-{}-{}-{}",
            self.sent_at.format("%Y%m%dT%H%M%SZ"),
            self.kind,
            self.hash().get(..12).unwrap_or_default()
        )
    }

    /// Adds the headers to `builder`; the id's domain is `from`'s.
    pub(super) fn apply(&self, builder: MessageBuilder, from: &str) -> MessageBuilder {
        let domain = from
            .rsplit_once('@')
            .map(|(_, d)| d.trim().trim_end_matches('>').to_ascii_lowercase())
            .filter(|d| {
                !d.is_empty()
                    && d.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            })
            .unwrap_or_else(|| "zorgsignaal.invalid".to_owned());
        let hash = self.hash();
        let list_id = match self.list {
            ListId::School(brin) => format!(
                "Zorgsignaal {brin} <{}.scholen.zorgsignaal.{domain}>",
                brin.to_ascii_lowercase()
            ),
            ListId::Board => format!("Zorgsignaal bestuur <bestuur.zorgsignaal.{domain}>"),
        };
        let raw =
            |name: &'static str, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
        builder
            .message_id(Some(format!(
                "<{}.{}@{domain}>",
                hash.get(..32).unwrap_or_default(),
                self.kind
            )))
            .date(std::time::SystemTime::from(self.sent_at))
            .raw_header(raw("Auto-Submitted", "auto-generated".to_owned()))
            .raw_header(raw("X-Auto-Response-Suppress", "All".to_owned()))
            .raw_header(raw("List-Id", list_id))
    }
}

/// The MIME message: multipart/alternative with the plain text and the HTML.
fn build_message(from: &str, digest: &Digest, headers: &AutoHeaders<'_>) -> Result<Message, MailError> {
    let from: Mailbox =
        from.trim()
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Address {
                field: "mail.from",
                reason: e.to_string(),
            })?;
    let to: Mailbox = digest
        .to
        .trim()
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address {
            field: "schools.ib_emails",
            reason: e.to_string(),
        })?;
    headers
        .apply(Message::builder(), from.email.as_ref())
        .from(from)
        .to(to)
        .subject(digest.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            digest.text.clone(),
            digest.html.clone(),
        ))
        .map_err(|e| MailError::Build(e.to_string()))
}

/// Writes `<file_stem>.eml` via a temporary file and a rename, so a reader never sees half a mail.
async fn write_eml(dir: &std::path::Path, file_stem: &str, raw: &[u8]) -> Result<(), MailError> {
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| MailError::File { path, source }
    };
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let name = format!("{file_stem}.eml");
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    tokio::fs::write(&tmp, raw).await.map_err(io(&tmp))?;
    tokio::fs::rename(&tmp, &path).await.map_err(io(&path))?;
    Ok(())
}
