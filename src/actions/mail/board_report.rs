//! Mailing the board report (bestuursrapportage) to `board.report_emails`: one Dutch mail per
//! address with the HTML report and the CSV attached. The subject and body name the board, the
//! school year and the reference date only; the attachments are the pseudonymised report files.

use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use super::mailer::{AutoHeaders, ListId};
use super::{MailError, Mailer};
use crate::report::{BoardReport, WrittenReport};
use crate::rules::text;
use crate::settings::Settings;
use crate::store::{MailRecord, Store};

/// `kind` of a board report mail in the mail log.
pub const BOARD_REPORT_MAIL_KIND: &str = "board_report";

/// The subject: board, school year and reference date; never pupil data.
pub fn board_report_subject(report: &BoardReport) -> String {
    format!(
        "Zorgsignaal: bestuursrapportage {}, schooljaar {}, peildatum {}",
        report.board_name,
        report.school_year,
        text::date(report.as_of)
    )
}

/// The same report (same subject: board, school year and peildatum) is not mailed to the same
/// address again within this time: a retried run goes on where the failed one stopped.
const RESEND_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Sends `written` (the files of `report`) to every address of `board.report_emails`, one mail
/// each, and records each in the mail log (kind `board_report`) once the transport accepted it.
/// Returns how many mails went out (0 when no address is configured). A failure stops at that
/// address: the ones before it were sent and recorded, and a re-run within [`RESEND_AFTER`]
/// sends only to the others (the job's retry, `schedule.job_retries`).
pub async fn send_board_report(
    store: &dyn Store,
    mailer: &Mailer,
    settings: &Settings,
    report: &BoardReport,
    written: &WrittenReport,
    now: DateTime<Utc>,
) -> Result<usize, MailError> {
    let recipients = &settings.board.report_emails;
    if recipients.is_empty() {
        tracing::info!("board report not mailed: board.report_emails is empty");
        return Ok(0);
    }
    let from = parse_mailbox(&settings.mail.from, "mail.from")?;
    let read = |path: &std::path::Path| {
        let path = path.to_owned();
        async move {
            tokio::fs::read(&path)
                .await
                .map_err(|source| MailError::Attachment {
                    path: path.display().to_string(),
                    source,
                })
        }
    };
    let html = read(&written.html).await?;
    let csv = read(&written.csv).await?;
    let subject = board_report_subject(report);
    let stem = format!("bestuursrapportage-{}", report.as_of);
    let text = body_text(report, &stem);
    let subject_hash = MailRecord::hash_subject(&subject);
    let mut sent = 0;
    for to in recipients {
        // A retried run (schedule.job_retries) mails only who does not have this report yet.
        if store
            .mail_already_sent(to, BOARD_REPORT_MAIL_KIND, &subject_hash, now - RESEND_AFTER)
            .await?
        {
            tracing::info!("board report not mailed again to a recipient who has it");
            continue;
        }
        let headers = AutoHeaders {
            list: ListId::Board,
            kind: BOARD_REPORT_MAIL_KIND,
            to,
            subject: &subject,
            sent_at: now,
        };
        let message = headers
            .apply(Message::builder(), from.email.as_ref())
            .from(from.clone())
            .to(parse_mailbox(to, "board.report_emails")?)
            .subject(subject.clone())
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(text.clone()))
                    .singlepart(
                        Attachment::new(format!("{stem}.html")).body(html.clone(), ContentType::TEXT_HTML),
                    )
                    .singlepart(Attachment::new(format!("{stem}.csv")).body(csv.clone(), csv_type()?)),
            )
            .map_err(|e| MailError::Build(e.to_string()))?;
        let file_stem = headers.file_stem("bestuur");
        mailer.deliver(to, &subject, &file_stem, message).await?;
        store
            .record_mail(&MailRecord {
                to: to.clone(),
                kind: BOARD_REPORT_MAIL_KIND.to_owned(),
                school: None,
                subject_hash: subject_hash.clone(),
                sent_at: now,
            })
            .await?;
        sent += 1;
    }
    tracing::info!(sent, school_year = %report.school_year, "board report mailed");
    Ok(sent)
}

fn parse_mailbox(address: &str, field: &'static str) -> Result<Mailbox, MailError> {
    address
        .trim()
        .parse()
        .map_err(|e: lettre::address::AddressError| MailError::Address {
            field,
            reason: e.to_string(),
        })
}

fn csv_type() -> Result<ContentType, MailError> {
    ContentType::parse("text/csv; charset=utf-8").map_err(|e| MailError::Build(e.to_string()))
}

/// The Dutch body: what is attached and how small numbers are shown.
fn body_text(report: &BoardReport, stem: &str) -> String {
    let mut text = format!(
        "Beste bestuur,\n\n\
         In de bijlagen staat de bestuursrapportage van {board} voor schooljaar {year}, \
         peildatum {as_of}, naast schooljaar {prev} tot en met {prev_as_of}.\n\n\
         - {stem}.html: het rapport, om te lezen of af te drukken (A4).\n\
         - {stem}.csv: dezelfde cijfers als tabel, één regel per school, maat en schooljaar.\n\n\
         Het rapport bevat alleen aantallen: geen namen, geen leerlingnummers en geen BSN.",
        board = report.board_name,
        year = report.school_year,
        as_of = text::date(report.as_of),
        prev = report.previous_year,
        prev_as_of = text::date(report.previous_as_of),
    );
    if report.threshold > 1 {
        text.push_str(&format!(
            " Aantallen van 1 tot en met {} staan er als \"<{}\"; waar nodig is nog een cel \
             verborgen (\"x\"), zodat een klein aantal niet uit de totalen terug te rekenen is.",
            report.threshold - 1,
            report.threshold
        ));
    }
    text.push_str("\n\nDeze mail is automatisch verstuurd door Zorgsignaal.\n");
    text
}

#[cfg(test)]
#[path = "board_report_tests.rs"]
mod tests;
