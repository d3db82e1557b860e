//! Composing the IB mails: the daily digest and the start overview from their plain data
//! ([`super::digest`]) through their templates ([`super::render`]). Pure: no store, no clock, no
//! I/O.

use chrono::NaiveDate;

use super::MailError;
use super::digest::{
    Digest, DigestInput, DigestItem, DigestPolicy, ItemKind, MAX_NEW_LINES, MAX_OVERVIEW_LINES,
    MAX_REPEAT_LINES, MailKind, news_lines, pupil_lines,
};
use super::render;
use crate::domain::{School, Severity};

/// Builds the daily digest of `input` for `ib_email` at `school` on `as_of`; `Ok(None)` when
/// nothing is new (then nothing is sent). At most [`MAX_NEW_LINES`] lines in all (one per pupil,
/// the bespreekpunten one per group): news first, then at most [`MAX_REPEAT_LINES`] of "nog
/// open" as far as there is room; the rest counted.
pub fn build_digest(
    school: &School,
    ib_email: &str,
    input: &DigestInput,
    as_of: NaiveDate,
    policy: &DigestPolicy,
    kind: MailKind,
) -> Result<Option<Digest>, MailError> {
    if !input.has_news() {
        return Ok(None);
    }
    let new: Vec<&DigestItem> = input.items.iter().filter(|i| i.is_new).collect();
    let count = |kinds: &[ItemKind]| new.iter().filter(|i| kinds.contains(&i.kind)).count();
    let new_signals = count(&[ItemKind::NewSignal]);
    let new_evaluations = count(&[ItemKind::EvaluationDue, ItemKind::EvaluationOverdue]);
    let new_eed = count(&[ItemKind::EedCheck]);
    let new_points = count(&[ItemKind::DiscussionPoint]);
    let headline = render::headline(new_signals, new_points, new_evaluations, new_eed);
    let subject = format!(
        "Zorgsignaal: {headline} voor {} ({})",
        school.name.trim(),
        render::short_date(as_of)
    );
    let new_lines = news_lines(new.iter().copied());
    let repeat_lines = pupil_lines(input.items.iter().filter(|i| i.repeat && !i.is_new));
    let (shown_new, rest_new) = new_lines.split_at(new_lines.len().min(MAX_NEW_LINES));
    let room = MAX_REPEAT_LINES.min(MAX_NEW_LINES - shown_new.len());
    let (shown_rep, rest_rep) = repeat_lines.split_at(repeat_lines.len().min(room));
    let named: Vec<(i64, String)> = shown_new
        .iter()
        .chain(shown_rep)
        .flat_map(|l| l.items.iter().map(|i| (i.signal_id, i.fingerprint())))
        .collect();
    let long_open = input.items.iter().filter(|i| i.long_open).count();
    let view = render::MailView::digest(
        school,
        as_of,
        policy,
        &headline,
        (shown_new, rest_new),
        (shown_rep, rest_rep),
        long_open,
    );
    Ok(Some(Digest {
        to: ib_email.to_owned(),
        school: school.brin.clone(),
        kind,
        subject,
        text: view.text()?,
        html: view.html()?,
        new_items: new.len(),
        has_new_high: input.has_new_high(),
        lines: shown_new.len() + shown_rep.len(),
        repeat_lines: shown_rep.len(),
        discussion_groups: shown_new
            .iter()
            .filter(|l| l.discussion)
            .map(|l| l.items.iter().map(|i| i.signal_id).collect())
            .collect(),
        named,
    }))
}

/// Builds the start overview (startoverzicht): every active signal of the school, one line per
/// pupil, high first, at most [`MAX_OVERVIEW_LINES`] lines, then counts per rule and per group and
/// the dashboard link. Every active signal counts as mailed afterwards (none is "new" later).
pub fn build_start_overview(
    school: &School,
    ib_email: &str,
    input: &DigestInput,
    as_of: NaiveDate,
    policy: &DigestPolicy,
) -> Result<Digest, MailError> {
    let lines = pupil_lines(input.items.iter());
    let (shown, rest) = lines.split_at(lines.len().min(MAX_OVERVIEW_LINES));
    let subject = format!(
        "Zorgsignaal: startoverzicht voor {} ({})",
        school.name.trim(),
        render::short_date(as_of)
    );
    let view = render::MailView::start_overview(school, input, as_of, policy, shown, rest.len());
    Ok(Digest {
        to: ib_email.to_owned(),
        school: school.brin.clone(),
        kind: MailKind::StartOverview,
        subject,
        text: view.text()?,
        html: view.html()?,
        new_items: input.items.len(),
        has_new_high: input.items.iter().any(|i| i.severity == Severity::High),
        lines: shown.len(),
        repeat_lines: 0,
        discussion_groups: Vec::new(),
        named: input
            .items
            .iter()
            .map(|i| (i.signal_id, i.fingerprint()))
            .collect(),
    })
}
