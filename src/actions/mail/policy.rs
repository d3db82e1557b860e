//! When a mail to an IB goes out (verzendbeleid, signal economy): first a start overview, then
//! only with news, at most one mail per IB per school per school day, never on that school's
//! weekends or holidays (Europe/Amsterdam), same-day mails only for new `high` items; every mail
//! recorded with the signals it named after the transport accepted it.

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use serde::Serialize;

use super::MailError;
use super::collect::collect_digest_input;
use super::compose::{build_digest, build_start_overview};
use super::digest::{DigestPolicy, MailKind};
use super::mailer::Mailer;
use crate::domain::{Severity, SignalStatus, Source};
use crate::settings::{MailSettings, SchoolSettings, Settings};
use crate::store::{MailRecord, SignalFilter, Store};

/// Why no mail goes out at all right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Quiet {
    /// Saturday or Sunday in Europe/Amsterdam.
    Weekend,
    /// A configured school holiday (its name).
    Holiday(String),
    /// `mail.enabled = false`.
    Disabled,
}

/// One mail a run sent (for the simulation's figures and the logs; no pupil data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SentInfo {
    /// Recipient.
    pub to: String,
    /// School.
    pub school: String,
    /// Digest, urgent digest or start overview.
    pub kind: MailKind,
    /// When.
    pub sent_at: DateTime<Utc>,
    /// Pupil lines in it (news and "nog open"; the start overview's lines).
    pub lines: usize,
    /// Pupil lines in its "nog open" part.
    pub repeat_lines: usize,
    /// Group lines of new bespreekpunten in it (one per group, among `lines`): the signal ids
    /// on each.
    pub discussion_groups: Vec<Vec<i64>>,
    /// Signal ids named on a line (for a start overview: every active signal it accounts for).
    pub named: Vec<i64>,
    /// The same with the fingerprint each was named with: an item named again with another
    /// fingerprint (its severity rose) is a changed item, not a repeat.
    pub named_items: Vec<(i64, String)>,
}

/// What one run of the policy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendSummary {
    /// Set when the run sent nothing on purpose (mail disabled, or every school quiet).
    pub quiet: Option<Quiet>,
    /// Mails sent (and recorded).
    pub sent: usize,
    /// School × IB pairs without news.
    pub no_news: usize,
    /// School × IB pairs with news held back because that IB already had this school's mail of
    /// the day (sent on the next school day).
    pub rate_limited: usize,
    /// School × IB pairs skipped because the school has a holiday or weekend.
    pub quiet_schools: usize,
    /// The mails sent.
    pub mails: Vec<SentInfo>,
}

/// Whether mail is held back at `now`: disabled, weekend or holiday in Europe/Amsterdam.
pub fn quiet_reason(mail: &MailSettings, now: DateTime<Utc>) -> Option<Quiet> {
    if !mail.enabled {
        return Some(Quiet::Disabled);
    }
    let date: NaiveDate = now.with_timezone(&Amsterdam).date_naive();
    if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        return Some(Quiet::Weekend);
    }
    mail.holidays
        .iter()
        .find(|h| h.from <= date && date <= h.to)
        .map(|h| Quiet::Holiday(h.name.clone()))
}

/// Whether mail about `school` is held back at `now`: disabled, weekend, a board-wide
/// `mail.holidays` day, or a holiday of the school's own calendar (`[schools.calendar]`: its
/// vakantieregio and its own dates), all in Europe/Amsterdam.
pub fn school_quiet_reason(
    settings: &Settings,
    school: &SchoolSettings,
    now: DateTime<Utc>,
) -> Option<Quiet> {
    if let Some(quiet) = quiet_reason(&settings.mail, now) {
        return Some(quiet);
    }
    let date: NaiveDate = now.with_timezone(&Amsterdam).date_naive();
    school
        .school_calendar()
        .holiday_on(date)
        .map(|h| Quiet::Holiday(h.name.clone()))
}

/// The scheduled digest: for every configured school and each of its IB addresses, the start
/// overview if that IB never had one for the school, else a digest of what is new, at most one
/// mail per IB per school per school day. The first failed send ends the run with its error;
/// mails sent before it are recorded, so a rerun sends only what is still owed.
pub async fn send_digests(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<SendSummary, MailError> {
    run(store, settings, mailer, now, MailKind::Digest, None).await
}

/// The same-day mail for `high` severity (after an evaluation): like [`send_digests`], but a
/// digest only where a new item has `high` severity (e.g. three times V(E) on the DMT), and a
/// start overview where an IB has none yet (the first evaluation of a school). Still one mail
/// per IB per school per school day: the next day's digest starts after it.
pub async fn send_urgent(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<SendSummary, MailError> {
    run(store, settings, mailer, now, MailKind::Urgent, None).await
}

/// [`send_urgent`] for one school only: the daemon's evaluation of a school (a run of its own,
/// on whichever daemon claimed it) mails what is urgent about that school and nothing else, so
/// two daemons evaluating two schools never check and send the same IB's mail at once.
pub async fn send_urgent_for(
    store: &dyn Store,
    settings: &Settings,
    school: &crate::domain::Brin,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<SendSummary, MailError> {
    run(store, settings, mailer, now, MailKind::Urgent, Some(school)).await
}

/// Whether a school's state is worth a start overview: it has pupils and, when REST sources
/// (ParnasSys, Leeruniek) are configured for it, one of their streams synced successfully — the
/// 06:00 GKV snapshot alone brings pupils without results, and an overview of that would be
/// empty and followed by a flood of "new" signals.
async fn school_ready(store: &dyn Store, school: &SchoolSettings) -> Result<bool, MailError> {
    if store.known_pupils(&school.brin).await?.is_empty() {
        return Ok(false);
    }
    if school.parnassys.is_none() && school.leeruniek.is_none() {
        return Ok(true);
    }
    Ok(store.stream_statuses().await?.iter().any(|s| {
        s.school == school.brin
            && matches!(s.source, Source::Parnassys | Source::Leeruniek)
            && s.last_success_at.is_some()
    }))
}

/// Whether [`collect_digest_input`] could find a new `high` item of `school` for `to` on `as_of`
/// (`DigestInput::has_new_high`): an open, not snoozed `high` signal that was never named to `to`
/// or named with another fingerprint. `false` means it cannot; `true` that it may (the collector
/// decides, e.g. it leaves out signals of pupils no longer in the store).
async fn may_have_new_high(
    store: &dyn Store,
    school: &crate::domain::Brin,
    to: &str,
    as_of: NaiveDate,
) -> Result<bool, MailError> {
    let high: Vec<i64> = store
        .signals(&SignalFilter {
            school: Some(school.clone()),
            status: Some(SignalStatus::Open),
            severity: Some(Severity::High),
            ..SignalFilter::default()
        })
        .await?
        .into_iter()
        .filter(|r| r.signal.snoozed_until.is_none_or(|until| until < as_of))
        .map(|r| r.id)
        .collect();
    if high.is_empty() {
        return Ok(false);
    }
    let named_high: std::collections::HashSet<i64> = store
        .mailed_items(to, school)
        .await?
        .into_iter()
        .filter(|m| m.fingerprint == Severity::High.as_str())
        .map(|m| m.signal_id)
        .collect();
    Ok(high.iter().any(|id| !named_high.contains(id)))
}

async fn run(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
    kind: MailKind,
    only: Option<&crate::domain::Brin>,
) -> Result<SendSummary, MailError> {
    let mail = &settings.mail;
    if !mail.enabled {
        return Ok(SendSummary {
            quiet: Some(Quiet::Disabled),
            ..SendSummary::default()
        });
    }
    let policy = DigestPolicy::from_settings(mail);
    let as_of = now.with_timezone(&Amsterdam).date_naive();
    let mut summary = SendSummary::default();
    let mut quiet_all: Option<Option<Quiet>> = None;
    let mut attempted = 0usize;
    let mut failed: Vec<MailError> = Vec::new();
    for school_settings in settings
        .schools
        .iter()
        .filter(|s| only.is_none_or(|b| *b == s.brin))
    {
        let school = school_settings.school();
        let quiet = school_quiet_reason(settings, school_settings, now);
        quiet_all = Some(match quiet_all {
            None => quiet.clone(),
            Some(q) if q == quiet => q,
            Some(_) => None,
        });
        if let Some(quiet) = quiet {
            tracing::debug!(school = %school.brin, kind = kind.as_str(), reason = ?quiet, "mail quiet for this school");
            summary.quiet_schools += 1;
            continue;
        }
        let mut seen: Vec<&str> = Vec::new();
        for to in school_settings.ib_emails.iter().map(|e| e.trim()) {
            if to.is_empty() || seen.contains(&to) {
                continue;
            }
            seen.push(to);
            // One mail per IB per school per school day, counted per school: an IB of two
            // schools gets each school's mail.
            let last = store.last_school_mail(to, &school.brin, None).await?;
            if last.is_some_and(|t| t.with_timezone(&Amsterdam).date_naive() >= as_of) {
                summary.rate_limited += 1;
                continue;
            }
            let overview_sent = store
                .last_school_mail(to, &school.brin, Some(MailKind::StartOverview.as_str()))
                .await?
                .is_some();
            // An urgent run mails only a new `high` item: when the school has no open `high`
            // signal this IB has not had as `high`, there is none, and the digest input (every
            // active signal with the school's roster) is not built (issue 17: this check runs
            // after every evaluation).
            if kind == MailKind::Urgent
                && overview_sent
                && !may_have_new_high(store, &school.brin, to, as_of).await?
            {
                summary.no_news += 1;
                continue;
            }
            let input = collect_digest_input(store, &school.brin, to, as_of, now).await?;
            let built = if !overview_sent {
                // The first mail about a school is its start overview, once its first complete
                // sync was evaluated.
                if school_ready(store, school_settings).await? {
                    Some(build_start_overview(&school, to, &input, as_of, &policy)?)
                } else {
                    None
                }
            } else {
                let wanted = match kind {
                    MailKind::Urgent => input.has_new_high(),
                    _ => input.has_news(),
                };
                if wanted {
                    build_digest(&school, to, &input, as_of, &policy, kind)?
                } else {
                    None
                }
            };
            let Some(digest) = built else {
                summary.no_news += 1;
                continue;
            };
            attempted += 1;
            if let Err(e) = mailer.send(&mail.from, &digest, now).await {
                if !e.is_delivery() {
                    return Err(e);
                }
                // One refused address or school must not cost the other schools their mail.
                tracing::warn!(school = %school.brin, kind = digest.kind.as_str(), error = %e,
                    "mail not delivered; going on with the next");
                failed.push(e);
                continue;
            }
            // Recorded only after the transport accepted the mail: a crash between the two
            // sends it once more on the next run (at-least-once), never loses it.
            store
                .record_mail_items(
                    &MailRecord {
                        to: to.to_owned(),
                        kind: digest.kind.as_str().to_owned(),
                        school: Some(school.brin.clone()),
                        subject_hash: MailRecord::hash_subject(&digest.subject),
                        sent_at: now,
                    },
                    &digest.named,
                )
                .await?;
            tracing::info!(school = %school.brin, kind = digest.kind.as_str(), items = digest.new_items,
                lines = digest.lines, "mail sent");
            summary.sent += 1;
            summary.mails.push(SentInfo {
                to: to.to_owned(),
                school: school.brin.to_string(),
                kind: digest.kind,
                sent_at: now,
                lines: digest.lines,
                repeat_lines: digest.repeat_lines,
                discussion_groups: digest.discussion_groups.clone(),
                named: digest.named.iter().map(|(id, _)| *id).collect(),
                named_items: digest.named.clone(),
            });
        }
    }
    if !failed.is_empty() {
        return Err(MailError::Partial {
            failed: failed.len(),
            attempted,
            first: Box::new(failed.swap_remove(0)),
        });
    }
    if summary.sent == 0 {
        summary.quiet = quiet_all.flatten();
    }
    Ok(summary)
}
