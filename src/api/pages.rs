//! The dashboard pages (Dutch, server-rendered): start page per role, school overview, pupil
//! page with the signal actions, operator page and board page. Data comes from `views.rs` and
//! `admin.rs`; each page is an askama template under `templates/dashboard/` (askama escapes every
//! value), and this module builds what the template reads.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::AppState;
use super::admin;
use super::auth::{PageUser, Viewer};
use super::chart::svg;
use super::error::{ApiError, PageError};
use super::html::{Frame, Nav};
use super::views::{self, SignalAction, SignalLine, SignalView};
use crate::domain::{Brin, Severity};
use crate::rules::json::SignalJson;
use crate::store::Role;

fn frame<'a>(v: &'a Viewer, title: &'a str) -> Frame<'a> {
    Frame {
        title,
        nav: Some(Nav {
            username: &v.user.username,
            role: v.user.role.dutch(),
            csrf: v.csrf(),
        }),
    }
}

/// An IB or directie of several schools: the list to choose from.
#[derive(Template)]
#[template(path = "dashboard/schools.html")]
struct SchoolsPage<'a> {
    frame: Frame<'a>,
    schools: &'a [Brin],
}

/// `GET /`: where each role starts.
pub async fn home(PageUser(v): PageUser) -> Result<Response, PageError> {
    let to = match v.user.role {
        Role::Board => "/bestuur".to_string(),
        Role::Operator => "/beheer".to_string(),
        Role::Ib | Role::Directie => {
            if let [only] = v.user.schools.as_slice() {
                format!("/scholen/{only}")
            } else {
                let page = SchoolsPage {
                    frame: frame(&v, "Mijn scholen"),
                    schools: &v.user.schools,
                };
                return Ok(Html(page.render()?).into_response());
            }
        }
    };
    Ok(Redirect::to(&to).into_response())
}

/// The IB's previous visit to the school page, in Europe/Amsterdam.
struct Visit {
    date: String,
    time: String,
}

/// The open signals of one priority.
struct Priority<'a> {
    severity: Severity,
    lines: Vec<&'a SignalLine>,
    caption: String,
}

/// The school overview: what is new since the previous visit, open signals by priority, group
/// plans, then the groups, the pupils and the escalations.
#[derive(Template)]
#[template(path = "dashboard/school.html")]
struct SchoolPage<'a> {
    frame: Frame<'a>,
    o: &'a views::SchoolOverview,
    previous: Option<Visit>,
    /// Signals found after the previous visit (empty without one).
    new: Vec<&'a SignalLine>,
    /// `1 nieuw signaal`, `3 nieuwe signalen`.
    new_count: String,
    priorities: Vec<Priority<'a>>,
    /// Open bespreekpunten per group, for the groepsbespreking (issue 17).
    discussion: Vec<DiscussionGroup<'a>>,
}

/// A group's open bespreekpunten (`rules::engine::DISCUSSION_RULES`): the agenda of its
/// groepsbespreking, as the digest names them (one line per group).
struct DiscussionGroup<'a> {
    group: String,
    lines: Vec<&'a SignalLine>,
    caption: String,
}

impl<'a> SchoolPage<'a> {
    /// The page (issue 17 item 4): Dutch labels only, never a rule id or an English state.
    fn new(
        frame: Frame<'a>,
        o: &'a views::SchoolOverview,
        previous: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Self {
        let new: Vec<&SignalLine> = match previous {
            Some(_) => o.signals.iter().filter(|s| s.is_new_since(previous)).collect(),
            None => Vec::new(),
        };
        let discussion_point = |s: &SignalLine| crate::rules::engine::is_discussion_point(&s.rule);
        let mut by_group: std::collections::BTreeMap<&str, Vec<&SignalLine>> =
            std::collections::BTreeMap::new();
        for s in o.signals.iter().filter(|s| discussion_point(s)) {
            by_group.entry(s.group.as_str()).or_default().push(s);
        }
        let discussion = by_group
            .into_iter()
            .map(|(group, lines)| DiscussionGroup {
                group: group.to_owned(),
                caption: format!(
                    "{}: {} voor de groeps- of leerlingbespreking, hoogste prioriteit eerst",
                    group,
                    count_noun(lines.len(), "bespreekpunt", "bespreekpunten")
                ),
                lines,
            })
            .collect();
        let priorities = [Severity::High, Severity::Medium, Severity::Low]
            .into_iter()
            .map(|severity| Priority {
                severity,
                lines: o
                    .signals
                    .iter()
                    .filter(|s| s.severity == severity && !discussion_point(s))
                    .collect(),
                caption: format!("Open signalen met prioriteit {}, oudste eerst", severity.dutch()),
            })
            .filter(|p| !p.lines.is_empty())
            .collect();
        Self {
            frame,
            o,
            previous: previous.map(|t| {
                let local = t.with_timezone(&chrono_tz::Europe::Amsterdam);
                Visit {
                    date: local.format("%d-%m-%Y").to_string(),
                    time: local.format("%H:%M").to_string(),
                }
            }),
            new_count: count_noun(new.len(), "nieuw signaal", "nieuwe signalen"),
            new,
            priorities,
            discussion,
        }
    }
}

/// `GET /scholen/{brin}`: overview by groep and the pupils with open signals.
pub async fn school_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
    Path(brin): Path<String>,
) -> Result<Html<String>, PageError> {
    let o = views::school_overview(&state, &v.user, &brin).await?;
    let school = Brin::parse(&o.school).map_err(|_| ApiError::NotFound)?;
    let previous = state
        .store
        .record_visit(v.user.id, &school, chrono::Utc::now())
        .await
        .map_err(ApiError::from)?;
    Ok(Html(SchoolPage::new(frame(&v, &o.name), &o, previous).render()?))
}

/// `1 nieuw signaal`, `3 nieuwe signalen`.
fn count_noun(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// One line of a signal's evidence (onderbouwing).
struct EvidenceRow<'a> {
    date: String,
    kind: &'a str,
    test: &'a str,
    moment: &'a str,
    level: &'a str,
    percentile: String,
    note: &'a str,
}

/// One event on a signal's timeline.
struct EventRow<'a> {
    at: String,
    what: String,
    actor: &'a str,
    reason: &'a str,
}

/// A signal on the pupil page: its line in the list and its card with evidence and actions.
struct Card<'a> {
    j: &'a SignalJson,
    /// Dutch name of the rule.
    rule: &'a str,
    /// Dutch domain, or `geen domein`.
    domain: &'a str,
    /// Shown while the snooze lasts.
    snoozed_until: Option<String>,
    dismissed_reason: Option<&'a str>,
    evidence: Vec<EvidenceRow<'a>>,
    /// Open (not yet acknowledged): the "Gezien" action applies.
    open: bool,
    events: Vec<EventRow<'a>>,
    /// The notes of the signal's period (its first evidence to its latest evidence or opening).
    notes: Vec<NoteRow<'a>>,
}

/// A note on the pupil page (issue 18 item 6).
struct NoteRow<'a> {
    date: String,
    category: &'a str,
    /// `leerling` or `groep`.
    whose: &'static str,
    text: &'a str,
}

impl<'a> NoteRow<'a> {
    fn new(n: &'a views::NoteView) -> Self {
        Self {
            date: crate::rules::text::date(n.written_on),
            category: &n.category,
            whose: if n.group_note { "groep" } else { "leerling" },
            text: &n.text,
        }
    }
}

impl<'a> Card<'a> {
    fn new(s: &'a SignalView, today: NaiveDate, notes: &'a [views::NoteView]) -> Self {
        let j = &s.signal;
        let from = j.evidence.iter().map(|e| e.date).min().unwrap_or(j.opened_on);
        let to = j
            .evidence
            .iter()
            .map(|e| e.date)
            .max()
            .unwrap_or(j.opened_on)
            .max(j.opened_on);
        Self {
            notes: notes
                .iter()
                .filter(|n| n.written_on >= from && n.written_on <= to)
                .map(NoteRow::new)
                .collect(),
            j,
            rule: crate::rules::text::rule_label(&j.rule),
            domain: j.domain.map_or("geen domein", |d| d.dutch()),
            snoozed_until: s
                .snoozed_until
                .filter(|d| *d > today)
                .map(crate::rules::text::date),
            dismissed_reason: s.dismissed_reason.as_deref(),
            evidence: j
                .evidence
                .iter()
                .map(|e| EvidenceRow {
                    date: crate::rules::text::date(e.date),
                    kind: evidence_kind(&e.kind),
                    test: e.test.as_deref().unwrap_or(""),
                    moment: e.moment.as_deref().unwrap_or(""),
                    level: e.level.as_deref().unwrap_or(""),
                    percentile: e.percentile.map(|p| p.to_string()).unwrap_or_default(),
                    note: e.note.as_deref().unwrap_or(""),
                })
                .collect(),
            open: j.status == crate::domain::SignalStatus::Open,
            events: s
                .events
                .iter()
                .map(|e| EventRow {
                    at: e
                        .at
                        .with_timezone(&chrono_tz::Europe::Amsterdam)
                        .format("%d-%m-%Y %H:%M")
                        .to_string(),
                    what: event_dutch(e),
                    actor: match e.actor.as_deref() {
                        Some("rules") => "(Zorgsignaal)",
                        Some(a) => a,
                        None => "",
                    },
                    reason: e.reason.as_deref().unwrap_or(""),
                })
                .collect(),
        }
    }
}

/// A task pushed for the pupil.
struct TaskRow<'a> {
    title: &'a str,
    target: &'a str,
    due: String,
    status: &'static str,
    attempts: i64,
}

/// The pupil page: results chart, every signal (list and cards), tasks.
#[derive(Template)]
#[template(path = "dashboard/pupil.html")]
struct PupilPage<'a> {
    frame: Frame<'a>,
    d: &'a views::PupilDetail,
    /// Inline SVG (`chart.rs`, escaped there), empty without results.
    chart: String,
    /// Open ones first by priority, then the handled ones, newest first.
    cards: Vec<Card<'a>>,
    tasks: Vec<TaskRow<'a>>,
    /// The pupil's and his groups' recent notes, newest first.
    notes: Vec<NoteRow<'a>>,
    csrf: &'a str,
    max_reason: usize,
}

/// `GET /leerlingen/{id}`: timeline chart, signals with evidence and actions, tasks.
pub async fn pupil_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let d = views::pupil_detail(&state, &v.user, id).await?;
    let today = crate::schedule::today_amsterdam();
    Ok(Html(pupil(frame(&v, &d.name), &d, v.csrf(), today).render()?))
}

fn pupil<'a>(frame: Frame<'a>, d: &'a views::PupilDetail, csrf: &'a str, today: NaiveDate) -> PupilPage<'a> {
    // Every signal of the pupil, open ones first by priority, then the handled ones, newest first.
    let mut signals: Vec<&SignalView> = d.signals.iter().collect();
    signals.sort_by(|a, b| {
        let (a, b) = (&a.signal, &b.signal);
        b.status
            .is_active()
            .cmp(&a.status.is_active())
            .then(b.severity.cmp(&a.severity))
            .then(b.opened_on.cmp(&a.opened_on))
            .then(b.id.cmp(&a.id))
    });
    PupilPage {
        frame,
        d,
        chart: svg(&d.series),
        cards: signals
            .into_iter()
            .map(|s| Card::new(s, today, &d.notes))
            .collect(),
        notes: d.notes.iter().map(NoteRow::new).collect(),
        tasks: d
            .tasks
            .iter()
            .map(|t| TaskRow {
                title: &t.title,
                target: target_dutch(&t.target),
                due: t.due_on.map(crate::rules::text::date).unwrap_or_default(),
                status: outbox_dutch(t.status),
                attempts: t.attempts,
            })
            .collect(),
        csrf,
        max_reason: views::MAX_REASON_CHARS,
    }
}

/// A timeline event in Dutch: never the stored English event name (issue 16 item 14).
fn event_dutch(e: &crate::store::SignalEvent) -> String {
    match e.kind.as_str() {
        "created" => "signaal aangemaakt".to_string(),
        "evidence" => "nieuwe onderbouwing".to_string(),
        "snooze" => "uitgesteld".to_string(),
        "status" => match e.to_status {
            Some(to) => format!("status: {}", to.dutch()),
            None => "status gewijzigd".to_string(),
        },
        _ => "wijziging".to_string(),
    }
}

/// Dutch word for an evidence kind.
fn evidence_kind(kind: &str) -> &str {
    match kind {
        "result" => "toetsresultaat",
        "plan" => "plan",
        "evaluation" => "evaluatie",
        "signal" => "signaal",
        "absence" => "verzuim",
        "social_emotional" => "sociaal-emotioneel",
        other => other,
    }
}

/// The system a task goes to, as a school names it.
fn target_dutch(target: &str) -> &str {
    match target {
        "parnassys" | "parnassys_gkv" => "ParnasSys",
        "leeruniek" => "Leeruniek",
        "oso" => "OSO-dossier",
        "csv" => "CSV-import",
        other => other,
    }
}

fn outbox_dutch(s: crate::store::OutboxStatus) -> &'static str {
    use crate::store::OutboxStatus::*;
    match s {
        Pending => "wacht op verzending",
        InFlight => "wordt verstuurd",
        Sent => "verstuurd",
        Parked => "mislukt (geparkeerd)",
    }
}

/// Fields of the action forms.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /signalen/{id}/{action}`: acknowledge, snooze, dismiss or resolve (CSRF-checked).
pub async fn signal_action(
    State(state): State<AppState>,
    PageUser(v): PageUser,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<ActionForm>,
) -> Result<Response, PageError> {
    v.check_csrf(Some(&form.csrf))?;
    let action = SignalAction::parse(&action).ok_or(ApiError::NotFound)?;
    let until = match form.until.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| ApiError::BadRequest("ongeldige datum".into()))?,
        ),
        None => None,
    };
    let row = views::apply_action(&state, &v.user, id, action, until, form.reason.as_deref()).await?;
    Ok(Redirect::to(&format!("/leerlingen/{}#signaal-{id}", row.pupil_id)).into_response())
}

/// One stream on the operator page.
struct StreamRow<'a> {
    source: String,
    school: &'a str,
    stream: &'a str,
    last_success: String,
    failures: i64,
    last_error: &'a str,
    records: i64,
    quarantined: i64,
}

/// One outbox row on the operator page.
struct OutboxRow<'a> {
    id: i64,
    school: &'a str,
    target: &'a str,
    status: &'static str,
    attempts: i64,
    last_error: &'a str,
}

/// The operator page: sync state and outbox, no pupil data.
#[derive(Template)]
#[template(path = "dashboard/operator.html")]
struct OperatorPage<'a> {
    frame: Frame<'a>,
    streams: Vec<StreamRow<'a>>,
    outbox: Vec<OutboxRow<'a>>,
}

/// `GET /beheer`: sync status per source and the outbox (operator; no pupil data).
pub async fn operator_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
) -> Result<Html<String>, PageError> {
    let streams = admin::sync_status(&state, &v.user).await?;
    let outbox = admin::outbox(&state, &v.user).await?;
    let page = OperatorPage {
        frame: frame(&v, "Beheer"),
        streams: streams
            .iter()
            .map(|s| StreamRow {
                source: s.source.to_string(),
                school: s.school.as_str(),
                stream: &s.stream,
                last_success: s.last_success_at.map_or_else(
                    || "nooit".into(),
                    |t| {
                        t.with_timezone(&chrono_tz::Europe::Amsterdam)
                            .format("%d-%m-%Y %H:%M")
                            .to_string()
                    },
                ),
                failures: s.consecutive_failures,
                last_error: s.last_error.as_deref().unwrap_or(""),
                records: s.records,
                quarantined: s.quarantined,
            })
            .collect(),
        outbox: outbox
            .iter()
            .map(|o| OutboxRow {
                id: o.id,
                school: &o.school,
                target: &o.target,
                status: outbox_dutch(o.status),
                attempts: o.attempts,
                last_error: o.last_error.as_deref().unwrap_or(""),
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

/// A board figure as the page shows it: a count, `<5` or `x` (suppressed as in the board
/// report), a share with a decimal comma, `-` when not published.
fn board_cell(v: &crate::report::Value) -> String {
    use crate::report::Value;
    match v {
        Value::Percent(p) => format!("{}%", format!("{p:.1}").replace('.', ",")),
        other => other.to_string(),
    }
}

/// One school (or the total) on the board page.
struct BoardRow<'a> {
    total: bool,
    name: &'a str,
    /// Empty on the total.
    brin: &'a str,
    /// High, medium, low, pupils with a signal, plan term passed, plan in time, share.
    cells: [String; 7],
}

/// The board page: aggregates per school and their total, small counts suppressed.
#[derive(Template)]
#[template(path = "dashboard/board.html")]
struct BoardPage<'a> {
    frame: Frame<'a>,
    rows: Vec<BoardRow<'a>>,
    /// The largest count shown as `<threshold`.
    small_max: u32,
    /// How a small count reads (`<5`).
    small_example: String,
}

/// `GET /bestuur`: aggregates per school and their total (board; no pupil data), small counts
/// suppressed as in the board report.
pub async fn board_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
) -> Result<Html<String>, PageError> {
    let schools = admin::board(&state, &v.user).await?;
    let page = BoardPage {
        frame: frame(&v, "Bestuursoverzicht"),
        rows: schools
            .iter()
            .map(|s| {
                let total = s.school == "TOTAAL";
                BoardRow {
                    total,
                    name: &s.name,
                    brin: if total { "" } else { &s.school },
                    cells: [
                        &s.high,
                        &s.medium,
                        &s.low,
                        &s.pupils_with_signals,
                        &s.plan_term_passed,
                        &s.plan_in_time,
                        &s.plan_in_time_pct,
                    ]
                    .map(board_cell),
                }
            })
            .collect(),
        small_max: state.board.threshold.saturating_sub(1),
        small_example: format!("<{}", state.board.threshold),
    };
    Ok(Html(page.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SignalStatus;

    const NAME: &str = "O'Brien <b> & \"Zonnebloem\"";
    const ESCAPED: &str = "O&#39;Brien &#60;b&#62; &#38; &#34;Zonnebloem&#34;";

    fn frame(title: &str) -> Frame<'_> {
        Frame {
            title,
            nav: Some(Nav {
                username: NAME,
                role: "IB'er",
                csrf: "t\"k",
            }),
        }
    }

    fn overview() -> views::SchoolOverview {
        let opened = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        views::SchoolOverview {
            school: "11ZW".into(),
            name: NAME.into(),
            groups: Vec::new(),
            pupils: vec![views::PupilSummary {
                id: 7,
                name: NAME.into(),
                group: "groep 5".into(),
                signals: 1,
                max_severity: Severity::High,
            }],
            escalations: Vec::new(),
            signals: vec![SignalLine {
                id: 3,
                pupil_id: 7,
                name: NAME.into(),
                group: "groep 5".into(),
                rule: "dmt_three_lowest".into(),
                label: "drie keer V(E) op DMT".into(),
                domain: None,
                severity: Severity::High,
                status: SignalStatus::Open,
                opened_on: opened,
                created_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
                explanation: NAME.into(),
            }],
            group_signals: Vec::new(),
        }
    }

    /// Issue 13 item 4: a name with `'`, `<`, `&` and `"` comes out escaped on a dashboard page,
    /// in text, in the navigation and in an attribute.
    #[test]
    fn names_are_escaped_on_the_school_page() {
        let o = overview();
        let html = SchoolPage::new(frame(&o.name), &o, None)
            .render()
            .expect("render");
        assert!(!html.contains(NAME), "unescaped: {html}");
        assert!(
            html.contains(&format!("<title>{ESCAPED} · Zorgsignaal</title>")),
            "{html}"
        );
        assert!(html.contains(&format!("<h1>{ESCAPED} <span")), "{html}");
        assert!(
            html.contains(&format!("<a href=\"/leerlingen/7\">{ESCAPED}</a>")),
            "{html}"
        );
        assert!(html.contains(&format!("<div>{ESCAPED} (IB&#39;er)")), "{html}");
        assert!(html.contains("name=\"csrf\" value=\"t&#34;k\""), "{html}");
        assert!(html.contains("<html lang=\"nl\">"), "pages declare Dutch");
    }

    /// The school page keeps its sections and their Dutch labels: first visit, the open signals
    /// by priority with the status as data, the pupils.
    #[test]
    fn the_school_page_has_its_sections_in_order() {
        let o = overview();
        let html = SchoolPage::new(frame("School"), &o, None)
            .render()
            .expect("render");
        let order = [
            "<h2 id=\"nieuw\">Nieuw sinds uw vorige bezoek</h2>",
            "Dit is uw eerste bezoek aan deze pagina",
            "<h2 id=\"open\">Open signalen op prioriteit</h2>",
            "<h3>Prioriteit hoog (1)</h3>",
            "<td data-status=\"open\">open</td><td>02-03-2026</td>",
            "<h2>Per groep</h2>",
            "<h2>Leerlingen met open signalen</h2>",
            "<span class=\"sev-high\">hoog</span>",
        ];
        let mut at = 0;
        for part in order {
            let found = html[at..]
                .find(part)
                .unwrap_or_else(|| panic!("{part} after {at}: {html}"));
            at += found;
        }
        assert!(!html.contains("Groepsplannen") && !html.contains("Escalaties"));
    }
}
