//! When a digest goes out (verzendbeleid): only with news, at most `max_per_ib_per_hour` mails
//! per IB per hour, never on weekends or configured holidays (Europe/Amsterdam), immediate mails
//! only for new `high` items; every mail recorded after the transport accepted it.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::MailError;
use super::collect::collect_digest_input;
use super::digest::{DigestPolicy, build_digest};
use super::mailer::Mailer;
use crate::settings::{MailSettings, Settings};
use crate::store::{MailRecord, Store, StoreError};

/// News older than this is never "new": the window of the first digest to an IB.
pub const DIGEST_LOOKBACK_DAYS: i64 = 14;

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

/// What one run of the policy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SendSummary {
    /// Set when the run sent nothing on purpose.
    pub quiet: Option<Quiet>,
    /// Mails sent (and recorded).
    pub sent: usize,
    /// School × IB pairs without news.
    pub no_news: usize,
    /// School × IB pairs with news held back by the hourly limit (sent on a later run).
    pub rate_limited: usize,
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

/// The scheduled digest: for every configured school and each of its IB addresses, a digest of
/// what is new since the last mail to that address, when there is news and the hourly limit
/// allows. The first failed send ends the run with its error; mails sent before it are
/// recorded, so a rerun sends only what is still owed.
pub async fn send_digests(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<SendSummary, MailError> {
    run(store, settings, mailer, now, Kind::Digest).await
}

/// The immediate mail for `high` severity: like [`send_digests`], but only where a new item
/// has `high` severity (e.g. three times V(E) on the DMT). The mail is the full digest, so the
/// next scheduled digest starts after it; same hourly limit and quiet times.
pub async fn send_urgent(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<SendSummary, MailError> {
    run(store, settings, mailer, now, Kind::Urgent).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Digest,
    Urgent,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Urgent => "urgent",
        }
    }
}

async fn run(
    store: &dyn Store,
    settings: &Settings,
    mailer: &Mailer,
    now: DateTime<Utc>,
    kind: Kind,
) -> Result<SendSummary, MailError> {
    let mail = &settings.mail;
    if let Some(quiet) = quiet_reason(mail, now) {
        tracing::info!(kind = kind.as_str(), reason = ?quiet, "mail quiet: nothing sent");
        return Ok(SendSummary {
            quiet: Some(quiet),
            ..SendSummary::default()
        });
    }
    let policy = DigestPolicy::from_settings(mail);
    let as_of = now.with_timezone(&Amsterdam).date_naive();
    let mut summary = SendSummary::default();
    for school_settings in &settings.schools {
        let school = school_settings.school();
        let mut seen: Vec<&str> = Vec::new();
        for to in school_settings.ib_emails.iter().map(|e| e.trim()) {
            if to.is_empty() || seen.contains(&to) {
                continue;
            }
            seen.push(to);
            let since = last_mail_at(store, to, now)
                .await?
                .unwrap_or(now - TimeDelta::days(DIGEST_LOOKBACK_DAYS));
            let input = collect_digest_input(store, &school.brin, since, as_of).await?;
            let wanted = match kind {
                Kind::Digest => input.has_news(),
                Kind::Urgent => input.has_new_high(),
            };
            let built = if wanted {
                build_digest(&school, to, &input, as_of, &policy)?
            } else {
                None
            };
            let digest = match built {
                Some(d) => d,
                None => {
                    summary.no_news += 1;
                    continue;
                }
            };
            let recent = store.mails_sent_since(to, now - TimeDelta::hours(1)).await?;
            if recent >= i64::from(mail.max_per_ib_per_hour) {
                tracing::info!(school = %school.brin, kind = kind.as_str(), "mail held back by the hourly limit");
                summary.rate_limited += 1;
                continue;
            }
            mailer.send(&mail.from, &digest).await?;
            // Recorded only after the transport accepted the mail: a crash between the two
            // sends it once more on the next run (at-least-once), never loses it.
            store
                .record_mail(&MailRecord {
                    to: to.to_owned(),
                    kind: kind.as_str().to_owned(),
                    school: Some(school.brin.clone()),
                    subject_hash: hex::encode(Sha256::digest(digest.subject.as_bytes())),
                    sent_at: now,
                })
                .await?;
            tracing::info!(school = %school.brin, kind = kind.as_str(), items = digest.new_items, "mail sent");
            summary.sent += 1;
        }
    }
    Ok(summary)
}

/// When the last mail to `to` within [`DIGEST_LOOKBACK_DAYS`] was sent, to one second (the mail
/// log answers "how many since t", which falls as t grows, so the last time is found by
/// bisection: about 21 counts). `now` when a mail is logged at or after `now`.
pub(super) async fn last_mail_at(
    store: &dyn Store,
    to: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let mut lo = now - TimeDelta::days(DIGEST_LOOKBACK_DAYS);
    if store.mails_sent_since(to, lo).await? == 0 {
        return Ok(None);
    }
    let mut hi = now;
    if store.mails_sent_since(to, hi).await? > 0 {
        return Ok(Some(now));
    }
    // Invariant: a mail at or after `lo`, none at or after `hi`.
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        if store.mails_sent_since(to, mid).await? > 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(Some(lo))
}
