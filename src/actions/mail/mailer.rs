//! Transports: SMTP (STARTTLS, TLS or plain, with optional authentication), `.eml` files in a
//! directory (the demo), and memory (tests of the sending policy only).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

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

    /// Sends `digest` from `from`. Returns only once the mail is accepted (SMTP: the server's
    /// reply to DATA; file: written and renamed into place).
    pub async fn send(&self, from: &str, digest: &Digest) -> Result<(), MailError> {
        let message = build_message(from, digest)?;
        self.deliver(&digest.to, &digest.subject, digest.school.as_str(), message)
            .await
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

/// The MIME message: multipart/alternative with the plain text and the HTML.
fn build_message(from: &str, digest: &Digest) -> Result<Message, MailError> {
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
    Message::builder()
        .from(from)
        .to(to)
        .subject(digest.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            digest.text.clone(),
            digest.html.clone(),
        ))
        .map_err(|e| MailError::Build(e.to_string()))
}

/// Writes `<file_stem>-<uuid>.eml` via a temporary file and a rename, so a reader never sees half a mail.
async fn write_eml(dir: &std::path::Path, file_stem: &str, raw: &[u8]) -> Result<(), MailError> {
    let io = |path: &std::path::Path| {
        let path = path.display().to_string();
        move |source| MailError::File { path, source }
    };
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    let name = format!("{file_stem}-{}.eml", uuid::Uuid::new_v4());
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    tokio::fs::write(&tmp, raw).await.map_err(io(&tmp))?;
    tokio::fs::rename(&tmp, &path).await.map_err(io(&path))?;
    Ok(())
}
