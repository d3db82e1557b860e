//! Rendering the IB mails (digest, start overview): the view model the templates
//! (`templates/mail/digest.{txt,html}`) read, Dutch labels, counts and dates.

use std::collections::BTreeMap;

use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::digest::{DigestInput, DigestPolicy, PupilLine, UNKNOWN_GROUP, group_label};
use crate::domain::{Pupil, School, Severity};

const WEEKDAYS_SHORT: [&str; 7] = ["ma", "di", "wo", "do", "vr", "za", "zo"];
const WEEKDAYS: [&str; 7] = [
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
];
const MONTHS_SHORT: [&str; 12] = [
    "jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec",
];
const MONTHS: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];

/// `ma 30 nov`.
pub(super) fn short_date(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        WEEKDAYS_SHORT[date.weekday().num_days_from_monday() as usize],
        date.day(),
        MONTHS_SHORT[date.month0() as usize]
    )
}

/// `maandag 30 november 2026`.
pub(super) fn long_date(date: NaiveDate) -> String {
    format!(
        "{} {} {} {}",
        WEEKDAYS[date.weekday().num_days_from_monday() as usize],
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// `3 nieuwe signalen, 4 bespreekpunten, 1 evaluatie en 1 ED-check`: the new counts, zero parts
/// left out.
pub(super) fn headline(signals: usize, points: usize, evaluations: usize, eed: usize) -> String {
    let mut parts = Vec::new();
    if signals > 0 {
        parts.push(plural(signals, "nieuw signaal", "nieuwe signalen"));
    }
    if points > 0 {
        parts.push(plural(points, "bespreekpunt", "bespreekpunten"));
    }
    if evaluations > 0 {
        parts.push(plural(evaluations, "evaluatie", "evaluaties"));
    }
    if eed > 0 {
        parts.push(plural(eed, "ED-check", "ED-checks"));
    }
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} en {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => "geen nieuws".into(),
    }
}

pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Dutch label of a rule for the IB ([`crate::rules::text::RULE_LABELS`]).
pub(crate) fn rule_label(rule: &str) -> &str {
    crate::rules::text::mail_label(rule)
}

/// One line: a pupil and all of his items, worst first.
#[derive(Debug, Clone)]
pub(super) struct LineView {
    /// The pupil as shown (`Sanne V.` or `S.V.`).
    pub pupil: String,
    /// The items: rule label, domain and priority, `;`-separated, worst first.
    pub what: String,
    /// The worst item's explanation, names shortened.
    pub explanation: String,
}

/// Lines of one group.
#[derive(Debug, Clone)]
pub(super) struct GroupView {
    /// `Groep 4b`.
    pub label: String,
    /// Its lines.
    pub lines: Vec<LineView>,
}

/// A part of a mail (nieuw, nog open, stand van de school).
#[derive(Debug, Clone)]
pub(super) struct SectionView {
    /// Heading.
    pub title: &'static str,
    /// Its groups.
    pub groups: Vec<GroupView>,
    /// Counts of what did not get a line.
    pub notes: Vec<String>,
}

/// Everything the templates show.
#[derive(Debug, Clone)]
pub(super) struct MailView {
    /// School name.
    pub school: String,
    /// `maandag 30 november 2026`.
    pub date: String,
    /// The opening sentence.
    pub intro: String,
    /// Non-empty parts.
    pub sections: Vec<SectionView>,
    /// Dashboard page of the school.
    pub link: Option<String>,
    /// The closing note.
    pub footer: &'static str,
}

/// The plain-text template.
#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct TextTemplate<'a> {
    v: &'a MailView,
}

/// The HTML template (askama escapes every value).
#[derive(Template)]
#[template(path = "mail/digest.html")]
struct HtmlTemplate<'a> {
    v: &'a MailView,
}

const DIGEST_FOOTER: &str = "Deze mail komt van Zorgsignaal en gaat alleen naar de IB van de school. Leerlingen staan er \
verkort in; volledige namen en gegevens staan in het dashboard. Je krijgt hooguit één mail per schooldag, alleen als er \
iets nieuws is; wat open blijft, noemen we hooguit eens per week opnieuw.";

impl MailView {
    /// The daily digest: news (at most the given lines, the rest counted) and "nog open".
    pub(super) fn digest(
        school: &School,
        as_of: NaiveDate,
        policy: &DigestPolicy,
        headline: &str,
        (new, new_rest): (&[PupilLine<'_>], &[PupilLine<'_>]),
        (repeat, repeat_rest): (&[PupilLine<'_>], &[PupilLine<'_>]),
        long_open: usize,
    ) -> Self {
        let mut sections = vec![SectionView {
            title: "Nieuw",
            groups: group(new, policy),
            notes: rest_note(new_rest, ("nieuw signaal", "nieuwe signalen")),
        }];
        let mut open_notes = rest_note(repeat_rest, ("open signaal", "open signalen"));
        if long_open > 0 {
            // Reminded four times already: counted, so nothing drops out of view.
            open_notes.push(format!(
                "{} al langer dan vier weken open; we noemen {} niet meer apart. Ze staan in het dashboard.",
                plural(long_open, "signaal staat", "signalen staan"),
                if long_open == 1 { "het" } else { "ze" }
            ));
        }
        if !repeat.is_empty() || !open_notes.is_empty() {
            sections.push(SectionView {
                title: "Nog open",
                groups: group(repeat, policy),
                notes: open_notes,
            });
        }
        Self {
            school: school.name.trim().to_owned(),
            date: long_date(as_of),
            intro: format!("Nieuw sinds de vorige mail: {headline}."),
            sections,
            link: policy.school_link(&school.brin),
            footer: DIGEST_FOOTER,
        }
    }

    /// The start overview: the first lines by priority, then counts per rule and per group.
    pub(super) fn start_overview(
        school: &School,
        input: &DigestInput,
        as_of: NaiveDate,
        policy: &DigestPolicy,
        shown: &[PupilLine<'_>],
        rest_lines: usize,
    ) -> Self {
        let pupils: std::collections::BTreeSet<&str> =
            input.items.iter().map(|i| i.pupil.external_id.as_str()).collect();
        let intro = if input.items.is_empty() {
            "Startoverzicht: Zorgsignaal heeft de school voor het eerst nagekeken en vond geen open signalen."
                .to_owned()
        } else {
            format!(
                "Startoverzicht: Zorgsignaal heeft de school voor het eerst nagekeken. Open zijn nu {} bij {}. \
                 Hieronder de belangrijkste, hoogste prioriteit eerst; de rest staat in de tellingen en in het dashboard.",
                plural(input.items.len(), "signaal", "signalen"),
                plural(pupils.len(), "leerling", "leerlingen"),
            )
        };
        let mut notes = Vec::new();
        if rest_lines > 0 {
            notes.push(format!(
                "En nog {} met open signalen (zie de tellingen en het dashboard).",
                plural(rest_lines, "leerling", "leerlingen")
            ));
        }
        let mut sections = vec![SectionView {
            title: "Stand van de school",
            groups: group(shown, policy),
            notes,
        }];
        if !input.items.is_empty() {
            let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
            let mut per_group: BTreeMap<(bool, String), usize> = BTreeMap::new();
            for i in &input.items {
                *per_rule.entry(rule_label(&i.rule)).or_default() += 1;
                let label = group_label(i);
                *per_group.entry((label == UNKNOWN_GROUP, label)).or_default() += 1;
            }
            let mut notes: Vec<String> = vec![format!(
                "Per regel: {}.",
                per_rule
                    .iter()
                    .map(|(rule, n)| format!("{rule} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )];
            notes.push(format!(
                "Per groep: {}.",
                per_group
                    .iter()
                    .map(|((_, g), n)| format!("{g} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            sections.push(SectionView {
                title: "Tellingen",
                groups: Vec::new(),
                notes,
            });
        }
        Self {
            school: school.name.trim().to_owned(),
            date: long_date(as_of),
            intro,
            sections,
            link: policy.school_link(&school.brin),
            footer: "Dit startoverzicht komt één keer. Daarna krijg je van Zorgsignaal hooguit één mail per \
                     schooldag, alleen als er iets nieuws is. Leerlingen staan er verkort in; volledige namen en \
                     gegevens staan in het dashboard.",
        }
    }

    /// The plain-text body.
    pub(super) fn text(&self) -> Result<String, askama::Error> {
        TextTemplate { v: self }.render()
    }

    /// The HTML body.
    pub(super) fn html(&self) -> Result<String, askama::Error> {
        HtmlTemplate { v: self }.render()
    }
}

/// `Nog 7 nieuwe signalen bij 5 leerlingen: …` for lines that did not fit.
fn rest_note(rest: &[PupilLine<'_>], (one, many): (&str, &str)) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for line in rest {
        for i in &line.items {
            *per_rule.entry(rule_label(&i.rule)).or_default() += 1;
        }
    }
    let n: usize = per_rule.values().sum();
    vec![format!(
        "Nog {} bij {} in het dashboard: {}.",
        plural(n, one, many),
        plural(rest.len(), "leerling", "leerlingen"),
        per_rule
            .iter()
            .map(|(rule, n)| format!("{rule} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )]
}

/// Lines by group (each group keeps the lines' order: severity, then age); groups in the order
/// of their first line, so the most urgent group comes first. 4a and 4b are separate groups, a
/// combination group (`5/6`) is one.
fn group(lines: &[PupilLine<'_>], policy: &DigestPolicy) -> Vec<GroupView> {
    let mut out: Vec<GroupView> = Vec::new();
    for l in lines {
        let worst = l.items[0];
        let label = group_label(worst);
        let view = if l.discussion {
            discussion_line(l, policy)
        } else {
            line(policy.display(&worst.pupil), l)
        };
        match out.iter_mut().find(|g| g.label == label) {
            Some(g) => g.lines.push(view),
            None => out.push(GroupView {
                label,
                lines: vec![view],
            }),
        }
    }
    out
}

/// Takes the pupil's names out of an explanation. Rules write none, but an explanation may quote a
/// plan title typed at school ("Handelingsplan Sanne de Vries"): the full name becomes the shown
/// form, the surname (with tussenvoegsel) its initial, and with initials only the roepnaam too.
fn scrub(text: &str, pupil: &Pupil, shown: &str) -> String {
    let mut out = text.replace(&pupil.full_name(), shown);
    let initial = |name: &str| {
        name.chars()
            .next()
            .map(|c| format!("{}.", c.to_uppercase()))
            .unwrap_or_default()
    };
    let surname = pupil.surname.trim();
    let mut names: Vec<String> = Vec::new();
    if let Some(prefix) = pupil
        .surname_prefix
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        names.push(format!("{prefix} {surname}"));
    }
    names.push(surname.to_owned());
    if shown == pupil.initials() {
        names.push(pupil.given_name.trim().to_owned());
    }
    for name in names.iter().filter(|n| n.chars().count() >= 2) {
        let last = name.rsplit(' ').next().unwrap_or(name);
        out = out.replace(name.as_str(), &initial(last));
    }
    out
}

/// A group's new bespreekpunten on one line: `Groepsbespreking: Anna B. (twee keer het laagste
/// niveau, spelling); Bram K. (…)`, pupils in the order of their worst item, each with the labels
/// of his items; the explanations stay in the dashboard.
fn discussion_line(l: &PupilLine<'_>, policy: &DigestPolicy) -> LineView {
    // Per pupil (in the order of his worst item): his id, his shown name and his items.
    let mut pupils: Vec<(&str, String, Vec<String>)> = Vec::new();
    for item in &l.items {
        let id = item.pupil.external_id.as_str();
        let mut what = rule_label(&item.rule).to_owned();
        if let Some(domain) = item.domain {
            what.push_str(&format!(", {}", domain.dutch()));
        }
        match pupils.iter_mut().find(|(p, _, _)| *p == id) {
            Some((_, _, items)) if !items.contains(&what) => items.push(what),
            Some(_) => {}
            None => pupils.push((id, policy.display(&item.pupil), vec![what])),
        }
    }
    let what: Vec<String> = pupils
        .iter()
        .map(|(_, name, items)| format!("{name} ({})", items.join("; ")))
        .collect();
    LineView {
        pupil: "Groepsbespreking".into(),
        what: what.join("; "),
        explanation: format!(
            "{} om te bespreken in de groeps- of leerlingbespreking; de uitleg per leerling staat in het dashboard.",
            plural(pupils.len(), "leerling", "leerlingen")
        ),
    }
}

fn line(pupil: String, l: &PupilLine<'_>) -> LineView {
    let what: Vec<String> = l
        .items
        .iter()
        .map(|item| {
            let mut what = rule_label(&item.rule).to_owned();
            let mut extra: Vec<&str> = Vec::new();
            if let Some(domain) = item.domain {
                extra.push(domain.dutch());
            }
            if item.severity == Severity::High {
                extra.push("prioriteit hoog");
            }
            if !extra.is_empty() {
                what.push_str(&format!(" ({})", extra.join(", ")));
            }
            what
        })
        .collect();
    let worst = l.items[0];
    let explanation = scrub(worst.explanation.trim(), &worst.pupil, &pupil);
    LineView {
        pupil,
        what: what.join("; "),
        explanation,
    }
}
