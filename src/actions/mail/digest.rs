//! The IB mails as plain data (signal economy, issue 17): the daily digest (samenvatting) and the
//! start overview (startoverzicht), each one line per pupil, worst first, with a hard cap on the
//! lines and the rest as counts. Pure: no store, no clock, no I/O.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Brin, Grade, LearningDomain, Pupil, Severity};
use crate::settings::{MailSettings, PupilNames};

/// At most this many pupil lines in a daily digest, news and "nog open" together (issue 17: "at
/// most 15 lines"); the rest is counted. News comes first.
pub const MAX_NEW_LINES: usize = 15;
/// At most this many pupil lines in the short "nog open" part of a digest, and only as far as
/// the news leaves room under [`MAX_NEW_LINES`]; the rest is counted and named on a later day
/// (still at most once a week each).
pub const MAX_REPEAT_LINES: usize = 5;
/// At most this many pupil lines in a start overview; the rest is counted per rule and group.
pub const MAX_OVERVIEW_LINES: usize = 25;
/// An unchanged open item is named again at most once per this many days ("nog open").
pub const REPEAT_AFTER_DAYS: i64 = 7;
/// ... and only for this many days after it was first named (four weekly reminders); after that
/// it stays on the dashboard and the digest counts it ("langer dan vier weken open"), until it
/// changes (its severity rises: news again) or the IB handles it.
pub const REMIND_FOR_DAYS: i64 = 28;

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
    /// Bespreekpunt for the groepsbespreking (`rules::engine::DISCUSSION_RULES`): in a digest one
    /// line per group, not per pupil.
    DiscussionPoint,
}

/// What kind of mail to an IB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MailKind {
    /// The scheduled daily digest (07:30 on school days).
    Digest,
    /// The same digest sent right after an evaluation because of a new `high` item.
    Urgent,
    /// The first mail about a school: its state by priority (startoverzicht).
    StartOverview,
    /// Escalations to the directie (evaluations long overdue), never pushed into the pupil's file.
    Directie,
}

impl MailKind {
    /// `digest`, `urgent`, `start_overview` (the mail log's kind).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digest => "digest",
            Self::Urgent => "urgent",
            Self::StartOverview => "start_overview",
            Self::Directie => "directie",
        }
    }
}

/// One active signal with the pupil's display data and group.
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
    /// Name of the pupil's group on the digest date (`4b`, `5/6`), when known.
    pub group: Option<String>,
    /// Rule id.
    pub rule: String,
    /// Leerdomein, when the signal has one.
    pub domain: Option<LearningDomain>,
    /// Severity.
    pub severity: Severity,
    /// The rule's Dutch explanation (uitleg); rules never put names in it.
    pub explanation: String,
    /// Day the signal was opened (its age orders lines of equal severity: oldest first).
    pub opened_on: NaiveDate,
    /// Open (not acknowledged); only open items are news or repeated.
    pub open: bool,
    /// Never named to this IB, or named with another severity: news.
    pub is_new: bool,
    /// Named before, unchanged, still open, last named [`REPEAT_AFTER_DAYS`] or more ago, and of
    /// a kind worth a reminder: goes into "nog open".
    pub repeat: bool,
    /// Open, worth a reminder and unchanged, but first named more than [`REMIND_FOR_DAYS`] ago:
    /// no longer repeated, only counted.
    pub long_open: bool,
}

impl DigestItem {
    /// What a mail shows of the item; a change makes it news again (its severity).
    pub fn fingerprint(&self) -> String {
        self.severity.as_str().to_owned()
    }
}

/// What the collector found for one school: every active (not snoozed) signal.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigestInput {
    /// Items in any order; the builders group and sort them.
    pub items: Vec<DigestItem>,
}

impl DigestInput {
    /// Whether anything is new (a digest without news is never sent).
    pub fn has_news(&self) -> bool {
        self.items.iter().any(|i| i.is_new)
    }

    /// Whether a new item has `high` severity (the only reason for a same-day mail).
    pub fn has_new_high(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.is_new && i.severity == Severity::High)
    }
}

/// How the mails name pupils and where they link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPolicy {
    /// `roepnaam_initial` (default) or `initials`.
    pub pupil_names: PupilNames,
    /// Dashboard base URL; the mail links to `{dashboard_url}/scholen/{brin}`. Empty: no link.
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

/// A rendered mail for one IB of one school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    /// Recipient (IB address).
    pub to: String,
    /// School.
    pub school: Brin,
    /// Digest, urgent digest or start overview.
    pub kind: MailKind,
    /// Subject: counts, school name and date; never a pupil name.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
    /// New items (signals) in it, named on a line or counted.
    pub new_items: usize,
    /// Whether a new item has `high` severity.
    pub has_new_high: bool,
    /// Pupil lines in the mail (news and "nog open"; for a start overview its lines).
    pub lines: usize,
    /// Pupil lines in the "nog open" part.
    pub repeat_lines: usize,
    /// Group lines of new bespreekpunten ("Groepsbespreking: …") among [`Self::lines`]: the
    /// signal ids on each.
    pub discussion_groups: Vec<Vec<i64>>,
    /// Signals the mail accounts for, with their fingerprint: those named on a line (for a
    /// start overview every active signal, the counted ones included). Recorded as mailed.
    pub named: Vec<(i64, String)>,
}

/// One line of a mail: one pupil's items, worst first, or (in a digest) the new bespreekpunten
/// of one group, one or more pupils.
pub(super) struct PupilLine<'a> {
    pub items: Vec<&'a DigestItem>,
    /// A group line of bespreekpunten ([`ItemKind::DiscussionPoint`]).
    pub discussion: bool,
}

impl PupilLine<'_> {
    fn worst(&self) -> &DigestItem {
        self.items[0]
    }

    /// Sort key: severity (high first), a group's bespreekpunten before single pupils of the
    /// same severity (the round's news of a whole group), then age (oldest first), then the
    /// pupil and the id.
    fn key(&self) -> (std::cmp::Reverse<Severity>, bool, NaiveDate, &str, i64) {
        let w = self.worst();
        let oldest = self
            .items
            .iter()
            .map(|i| i.opened_on)
            .min()
            .unwrap_or(w.opened_on);
        (
            std::cmp::Reverse(w.severity),
            !self.discussion,
            oldest,
            w.pupil.external_id.as_str(),
            w.signal_id,
        )
    }
}

fn worst_first(a: &DigestItem, b: &DigestItem) -> std::cmp::Ordering {
    (std::cmp::Reverse(a.severity), a.opened_on, &a.rule, a.signal_id).cmp(&(
        std::cmp::Reverse(b.severity),
        b.opened_on,
        &b.rule,
        b.signal_id,
    ))
}

/// Groups `items` into one line per pupil, each line's items worst first, the lines sorted by
/// severity then age (the start overview and "nog open").
pub(super) fn pupil_lines<'a>(items: impl IntoIterator<Item = &'a DigestItem>) -> Vec<PupilLine<'a>> {
    let mut by_pupil: BTreeMap<&str, Vec<&DigestItem>> = BTreeMap::new();
    for item in items {
        by_pupil
            .entry(item.pupil.external_id.as_str())
            .or_default()
            .push(item);
    }
    let mut lines: Vec<PupilLine<'a>> = by_pupil
        .into_values()
        .map(|mut items| {
            items.sort_by(|a, b| worst_first(a, b));
            PupilLine {
                items,
                discussion: false,
            }
        })
        .collect();
    lines.sort_by(|a, b| a.key().cmp(&b.key()));
    lines
}

/// The news of a digest as lines: the bespreekpunten ([`ItemKind::DiscussionPoint`]) of each group
/// on one line, every other item on its pupil's line (a pupil with both has both lines); sorted
/// by severity, group lines first among equals, then age.
pub(super) fn news_lines<'a>(items: impl IntoIterator<Item = &'a DigestItem>) -> Vec<PupilLine<'a>> {
    let mut single: Vec<&DigestItem> = Vec::new();
    let mut by_group: BTreeMap<String, Vec<&DigestItem>> = BTreeMap::new();
    for item in items {
        if item.kind == ItemKind::DiscussionPoint {
            by_group.entry(group_label(item)).or_default().push(item);
        } else {
            single.push(item);
        }
    }
    let mut lines = pupil_lines(single);
    lines.extend(by_group.into_values().map(|mut items| {
        items.sort_by(|a, b| worst_first(a, b));
        PupilLine {
            items,
            discussion: true,
        }
    }));
    lines.sort_by(|a, b| a.key().cmp(&b.key()));
    lines
}

pub(super) const UNKNOWN_GROUP: &str = "Groep onbekend";

/// `Groep 4b` from the group's name (`4b`, `Groep 4b`), else `Groep 4` from the jaargroep.
pub(super) fn group_label(item: &DigestItem) -> String {
    match item.group.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
        Some(name) if name.to_lowercase().starts_with("groep") => name.to_owned(),
        Some(name) => format!("Groep {name}"),
        None => item
            .grade
            .map_or_else(|| UNKNOWN_GROUP.to_owned(), |g| format!("Groep {g}")),
    }
}
