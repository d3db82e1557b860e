//! Rendering the digest: the view model the templates (`templates/mail/digest.{txt,html}`) read,
//! Dutch labels, counts and dates.

use std::collections::BTreeMap;

use askama::Template;
use chrono::{Datelike, NaiveDate};

use super::digest::{DigestInput, DigestItem, DigestPolicy, ItemKind};
use crate::domain::{Grade, Pupil, School, Severity};

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

/// `3 nieuwe signalen, 1 evaluatie en 1 EED-check`: the new counts, zero parts left out.
pub(super) fn headline(signals: usize, evaluations: usize, eed: usize) -> String {
    let mut parts = Vec::new();
    if signals > 0 {
        parts.push(plural(signals, "nieuw signaal", "nieuwe signalen"));
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

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Dutch label of a rule for the IB.
fn rule_label(rule: &str) -> &str {
    match rule {
        "dmt_three_lowest" => "drie keer V(E) op de DMT",
        "eed_check" => "ED-dossier nakijken",
        "lowest_level_repeated" => "twee keer het laagste niveau",
        "level_drop" => "daling van twee niveaus of meer",
        "no_growth" => "geen groei",
        "reference_level_low" => "referentieniveau onder 1F",
        "avi_stagnation" => "AVI-niveau staat stil",
        "plan_evaluation_due" => "evaluatie binnenkort",
        "plan_evaluation_overdue" => "evaluatie te laat",
        "opp_yearly_evaluation" => "jaarlijkse OPP-evaluatie",
        "plan_ineffective" => "plannen zonder effect",
        "signal_without_plan" => "signaal zonder plan",
        other => other,
    }
}

/// One line: a pupil and what is going on.
#[derive(Debug, Clone)]
pub(super) struct LineView {
    /// The pupil as shown (`Sanne V.` or `S.V.`).
    pub pupil: String,
    /// Rule label, domain and priority.
    pub what: String,
    /// The rule's explanation, names shortened.
    pub explanation: String,
    /// Whether to mark the line `(nieuw)`.
    pub new: bool,
}

/// Lines of one groep.
#[derive(Debug, Clone)]
pub(super) struct GroupView {
    /// `Groep 4`.
    pub label: String,
    /// Its lines.
    pub lines: Vec<LineView>,
}

/// A part of the digest (nieuwe signalen, evaluaties, EED-checks).
#[derive(Debug, Clone)]
pub(super) struct SectionView {
    /// Heading.
    pub title: &'static str,
    /// Its groepen.
    pub groups: Vec<GroupView>,
}

/// Everything the templates show.
#[derive(Debug, Clone)]
pub(super) struct DigestView {
    /// School name.
    pub school: String,
    /// `maandag 30 november 2026`.
    pub date: String,
    /// The new counts in words.
    pub headline: String,
    /// Non-empty parts.
    pub sections: Vec<SectionView>,
    /// Dashboard page of the school.
    pub link: Option<String>,
}

/// The plain-text template.
#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct TextTemplate<'a> {
    v: &'a DigestView,
}

/// The HTML template (askama escapes every value).
#[derive(Template)]
#[template(path = "mail/digest.html")]
struct HtmlTemplate<'a> {
    v: &'a DigestView,
}

impl DigestView {
    /// The view of `input`: three sections, each grouped by groep; empty sections left out.
    pub(super) fn new(
        school: &School,
        input: &DigestInput,
        as_of: NaiveDate,
        policy: &DigestPolicy,
        headline: &str,
    ) -> Self {
        let parts: [(&'static str, &[ItemKind]); 3] = [
            ("Nieuwe signalen", &[ItemKind::NewSignal]),
            (
                "Evaluaties van plannen",
                &[ItemKind::EvaluationOverdue, ItemKind::EvaluationDue],
            ),
            ("Open ED-checks", &[ItemKind::EedCheck]),
        ];
        let sections = parts
            .into_iter()
            .filter_map(|(title, kinds)| {
                let items: Vec<&DigestItem> =
                    input.items.iter().filter(|i| kinds.contains(&i.kind)).collect();
                (!items.is_empty()).then(|| SectionView {
                    title,
                    groups: group(&items, policy),
                })
            })
            .collect();
        Self {
            school: school.name.trim().to_owned(),
            date: long_date(as_of),
            headline: headline.to_owned(),
            sections,
            link: policy.school_link(&school.brin),
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

/// Groups items by jaargroep (unknown last), lines sorted by shown name, rule and id.
fn group(items: &[&DigestItem], policy: &DigestPolicy) -> Vec<GroupView> {
    // Key (unknown?, grade) puts "Groep onbekend" last.
    type Lines<'a> = Vec<(String, &'a DigestItem)>;
    let mut by_grade: BTreeMap<(bool, Option<Grade>), Lines<'_>> = BTreeMap::new();
    for item in items {
        by_grade
            .entry((item.grade.is_none(), item.grade))
            .or_default()
            .push((policy.display(&item.pupil), item));
    }
    by_grade
        .into_iter()
        .map(|((_, grade), mut lines)| {
            lines.sort_by(|a, b| (&a.0, &a.1.rule, a.1.signal_id).cmp(&(&b.0, &b.1.rule, b.1.signal_id)));
            GroupView {
                label: grade.map_or_else(|| "Groep onbekend".to_owned(), |g| format!("Groep {g}")),
                lines: lines.into_iter().map(|(name, item)| line(name, item)).collect(),
            }
        })
        .collect()
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

fn line(pupil: String, item: &DigestItem) -> LineView {
    let mut what = rule_label(&item.rule).to_owned();
    if let Some(domain) = item.domain {
        what.push_str(", ");
        what.push_str(domain.dutch());
    }
    if item.severity == Severity::High {
        what.push_str(", prioriteit hoog");
    }
    let explanation = scrub(item.explanation.trim(), &item.pupil, &pupil);
    LineView {
        pupil,
        what,
        explanation,
        // In the part of new signals every line is new: the mark is for re-mentioned parts only.
        new: item.is_new && item.kind != ItemKind::NewSignal,
    }
}
