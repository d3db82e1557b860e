//! The IB digest (samenvatting voor de IB) as plain data: what is new for one school, grouped by
//! groep, turned into a Dutch subject, plain text and HTML. Pure: no store, no clock, no I/O.

use chrono::NaiveDate;
use serde::Serialize;

use super::MailError;
use super::render;
use crate::domain::{Brin, Grade, LearningDomain, Pupil, School, Severity};
use crate::settings::{MailSettings, PupilNames};

/// Which part of the digest an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ItemKind {
    /// Nieuw signaal (learning signals, plan and OPP signals other than the two below).
    NewSignal,
    /// Evaluatie binnenkort (`plan_evaluation_due`).
    EvaluationDue,
    /// Evaluatie te laat (`plan_evaluation_overdue`).
    EvaluationOverdue,
    /// Open EED-check (`eed_check`).
    EedCheck,
}

/// One line of the digest: a stored signal with the pupil's display data and groep.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestItem {
    /// Signal store id.
    pub signal_id: i64,
    /// Part of the digest.
    pub kind: ItemKind,
    /// The pupil; only the configured short form ever reaches the mail.
    pub pupil: Pupil,
    /// Jaargroep the pupil is in on the digest date (`None` when unknown).
    pub grade: Option<Grade>,
    /// Rule id.
    pub rule: String,
    /// Leerdomein, when the signal has one.
    pub domain: Option<LearningDomain>,
    /// Severity.
    pub severity: Severity,
    /// The rule's Dutch explanation (uitleg); rules never put names in it.
    pub explanation: String,
    /// Whether the item is news since the last mail to this IB. Evaluations and EED checks that
    /// are still open are re-mentioned (not new) only when a digest goes out anyway.
    pub is_new: bool,
}

/// What the collector found for one school.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigestInput {
    /// Items in any order; [`build_digest`] groups and sorts them.
    pub items: Vec<DigestItem>,
}

impl DigestInput {
    /// Whether anything is new (a digest without news is never sent).
    pub fn has_news(&self) -> bool {
        self.items.iter().any(|i| i.is_new)
    }

    /// Whether a new item has `high` severity (the only reason for an immediate mail).
    pub fn has_new_high(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.is_new && i.severity == Severity::High)
    }
}

/// How the digest names pupils and where it links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPolicy {
    /// `roepnaam_initial` (default) or `initials`.
    pub pupil_names: PupilNames,
    /// Dashboard base URL; the digest links to `{dashboard_url}/scholen/{brin}`. Empty: no link.
    pub dashboard_url: String,
}

impl DigestPolicy {
    /// The policy the `[mail]` settings ask for.
    pub fn from_settings(mail: &MailSettings) -> Self {
        Self {
            pupil_names: mail.pupil_names,
            dashboard_url: mail.dashboard_url.clone(),
        }
    }

    /// The pupil as the mail shows him: roepnaam + initial, or initials; never the surname.
    pub fn display(&self, pupil: &Pupil) -> String {
        match self.pupil_names {
            PupilNames::RoepnaamInitial => pupil.given_name_and_initial(),
            PupilNames::Initials => pupil.initials(),
        }
    }

    /// The school's dashboard page, if a dashboard URL is configured.
    pub fn school_link(&self, brin: &Brin) -> Option<String> {
        let base = self.dashboard_url.trim().trim_end_matches('/');
        (!base.is_empty()).then(|| format!("{base}/scholen/{brin}"))
    }
}

/// A rendered digest for one IB of one school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Recipient (IB address).
    pub to: String,
    /// School.
    pub school: Brin,
    /// Subject: counts, school name and date; never a pupil name.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// New items in it.
    pub new_items: usize,
    /// Whether a new item has `high` severity.
    pub has_new_high: bool,
}

/// Builds the digest of `items` for `ib_email` at `school` on `as_of`; `Ok(None)` when nothing is
/// new (then nothing is sent). Items are grouped by groep (jaargroep), then sorted by the name
/// as shown and rule, so the same input always renders the same mail.
pub fn build_digest(
    school: &School,
    ib_email: &str,
    items: &DigestInput,
    as_of: NaiveDate,
    policy: &DigestPolicy,
) -> Result<Option<Digest>, MailError> {
    if !items.has_news() {
        return Ok(None);
    }
    let count_new = |kinds: &[ItemKind]| {
        items
            .items
            .iter()
            .filter(|i| i.is_new && kinds.contains(&i.kind))
            .count()
    };
    let new_signals = count_new(&[ItemKind::NewSignal]);
    let new_evaluations = count_new(&[ItemKind::EvaluationDue, ItemKind::EvaluationOverdue]);
    let new_eed = count_new(&[ItemKind::EedCheck]);
    let headline = render::headline(new_signals, new_evaluations, new_eed);
    let subject = format!(
        "Zorgsignaal: {headline} voor {} ({})",
        school.name.trim(),
        render::short_date(as_of)
    );
    let view = render::DigestView::new(school, items, as_of, policy, &headline);
    Ok(Some(Digest {
        to: ib_email.to_owned(),
        school: school.brin.clone(),
        subject,
        text: view.text()?,
        html: view.html()?,
        new_items: new_signals + new_evaluations + new_eed,
        has_new_high: items.has_new_high(),
    }))
}
