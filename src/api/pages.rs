//! The dashboard pages (Dutch, server-rendered): start page per role, school overview, pupil
//! page with the signal actions, operator page and board page. Data comes from `views.rs`.

use std::fmt::Write;

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
use super::html::{Nav, csrf_field, esc, page, severity_badge};
use super::views::{self, SignalAction, SignalView};
use crate::domain::Severity;
use crate::store::Role;

fn nav(v: &Viewer) -> Nav<'_> {
    Nav {
        username: &v.user.username,
        role: v.user.role.dutch(),
        csrf: v.csrf(),
    }
}

fn render(v: &Viewer, title: &str, body: &str) -> Html<String> {
    page(title, Some(&nav(v)), body)
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
                let mut body = String::from("<h1>Mijn scholen</h1><ul>");
                for s in &v.user.schools {
                    let _ = write!(body, "<li><a href=\"/scholen/{0}\">{0}</a></li>", esc(s.as_str()));
                }
                body.push_str("</ul>");
                return Ok(render(&v, "Mijn scholen", &body).into_response());
            }
        }
    };
    Ok(Redirect::to(&to).into_response())
}

/// `GET /scholen/{brin}`: overview by groep and the pupils with open signals.
pub async fn school_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
    Path(brin): Path<String>,
) -> Result<Html<String>, PageError> {
    let o = views::school_overview(&state, &v.user, &brin).await?;
    let school = crate::domain::Brin::parse(&o.school).map_err(|_| ApiError::NotFound)?;
    let previous = state
        .store
        .record_visit(v.user.id, &school, chrono::Utc::now())
        .await
        .map_err(ApiError::from)?;
    let mut b = format!(
        "<h1>{} <span class=\"muted\">({})</span></h1>",
        esc(&o.name),
        esc(&o.school)
    );
    b.push_str(&start_sections(&o, previous));
    b.push_str(
        "<h2>Per groep</h2><div class=\"scroll\"><table>\
         <caption class=\"muted\">Actieve signalen per ernst en evaluaties van plannen</caption>\
         <thead><tr><th scope=\"col\">Groep</th><th scope=\"col\">Leerlingen</th><th scope=\"col\">Hoog</th>\
         <th scope=\"col\">Middel</th><th scope=\"col\">Laag</th><th scope=\"col\">Evaluatie binnenkort</th>\
         <th scope=\"col\">Evaluatie te laat</th></tr></thead><tbody>",
    );
    for g in &o.groups {
        let _ = write!(
            b,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&g.group),
            g.pupils,
            g.high,
            g.medium,
            g.low,
            g.evaluations_due,
            g.evaluations_overdue
        );
    }
    b.push_str("</tbody></table></div><h2>Leerlingen met open signalen</h2>");
    if o.pupils.is_empty() {
        b.push_str("<p>Geen open signalen.</p>");
    } else {
        b.push_str(
            "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">Leerling</th><th scope=\"col\">Groep</th>\
             <th scope=\"col\">Signalen</th><th scope=\"col\">Hoogste ernst</th></tr></thead><tbody>",
        );
        for p in &o.pupils {
            let _ = write!(
                b,
                "<tr><td><a href=\"/leerlingen/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.id,
                esc(&p.name),
                esc(&p.group),
                p.signals,
                severity_badge(p.max_severity)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    if !o.escalations.is_empty() {
        // Escalations stay inside Zorgsignaal: never written into the pupil's file (parents may
        // read it there).
        b.push_str(
            "<h2>Escalaties naar de directie</h2><div class=\"scroll\"><table><thead><tr>\
             <th scope=\"col\">Leerling</th><th scope=\"col\">Groep</th><th scope=\"col\">Escalatie</th>\
             <th scope=\"col\">Sinds</th></tr></thead><tbody>",
        );
        for e in &o.escalations {
            let _ = write!(
                b,
                "<tr><td><a href=\"/leerlingen/{}\">{}</a></td><td>{}</td><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td></tr>",
                e.pupil_id,
                esc(&e.name),
                esc(&e.group),
                esc(&e.title),
                esc(&e.body),
                crate::rules::text::date(e.raised_on)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    Ok(render(&v, &o.name, &b))
}

/// The start of the IB's school page (issue 17 item 4): what is new since her previous visit,
/// then every open signal by priority, then the group-plan reminders. Dutch labels only: never
/// a rule id or an English state.
fn start_sections(o: &views::SchoolOverview, previous: Option<chrono::DateTime<chrono::Utc>>) -> String {
    let mut b = String::from("<h2 id=\"nieuw\">Nieuw sinds uw vorige bezoek</h2>");
    match previous {
        None => b.push_str(
            "<p>Dit is uw eerste bezoek aan deze pagina: alle open signalen hieronder zijn nieuw voor u.</p>",
        ),
        Some(t) => {
            let local = t.with_timezone(&chrono_tz::Europe::Amsterdam);
            let _ = write!(
                b,
                "<p class=\"muted\">Uw vorige bezoek: {} om {}.</p>",
                local.format("%d-%m-%Y"),
                local.format("%H:%M")
            );
            let new: Vec<&views::SignalLine> =
                o.signals.iter().filter(|s| s.is_new_since(previous)).collect();
            if new.is_empty() {
                b.push_str("<p>Niets nieuw sinds uw vorige bezoek.</p>");
            } else {
                let _ = write!(
                    b,
                    "<p>{} sinds uw vorige bezoek.</p>",
                    count_noun(new.len(), "nieuw signaal", "nieuwe signalen")
                );
                b.push_str(&signal_table(&new, "Nieuwe signalen, hoogste prioriteit eerst"));
            }
        }
    }
    b.push_str("<h2 id=\"open\">Open signalen op prioriteit</h2>");
    if o.signals.is_empty() {
        b.push_str("<p>Geen open signalen.</p>");
    }
    for severity in [Severity::High, Severity::Medium, Severity::Low] {
        let lines: Vec<&views::SignalLine> = o.signals.iter().filter(|s| s.severity == severity).collect();
        if lines.is_empty() {
            continue;
        }
        let _ = write!(
            b,
            "<h3>Prioriteit {} ({})</h3>",
            esc(severity.dutch()),
            lines.len()
        );
        b.push_str(&signal_table(
            &lines,
            &format!("Open signalen met prioriteit {}, oudste eerst", severity.dutch()),
        ));
    }
    if !o.group_signals.is_empty() {
        b.push_str(
            "<h2 id=\"groepsplannen\">Groepsplannen</h2><div class=\"scroll\"><table>\
             <caption class=\"muted\">Evaluaties van groepsplannen die binnenkort of te laat zijn</caption>\
             <thead><tr><th scope=\"col\">Groep</th><th scope=\"col\">Signaal</th><th scope=\"col\">Prioriteit</th>\
             <th scope=\"col\">Uitleg</th></tr></thead><tbody>",
        );
        for g in &o.group_signals {
            let _ = write!(
                b,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&g.group),
                esc(&g.label),
                severity_badge(g.severity),
                esc(&g.explanation)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    b
}

/// `1 nieuw signaal`, `3 nieuwe signalen`.
fn count_noun(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A table of signal lines: pupil (link to the pupil page), group, signal, domain, status, since.
fn signal_table(lines: &[&views::SignalLine], caption: &str) -> String {
    let mut b = format!(
        "<div class=\"scroll\"><table><caption class=\"muted\">{}</caption><thead><tr>\
         <th scope=\"col\">Leerling</th><th scope=\"col\">Groep</th><th scope=\"col\">Signaal</th>\
         <th scope=\"col\">Domein</th><th scope=\"col\">Prioriteit</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Sinds</th></tr></thead><tbody>",
        esc(caption)
    );
    for s in lines {
        let _ = write!(
            b,
            "<tr><td><a href=\"/leerlingen/{}#signaal-{}\">{}</a></td><td>{}</td><td>{}<br><span class=\"muted\">{}</span></td>\
             <td>{}</td><td>{}</td><td data-status=\"{}\">{}</td><td>{}</td></tr>",
            s.pupil_id,
            s.id,
            esc(&s.name),
            esc(&s.group),
            esc(&s.label),
            esc(&s.explanation),
            esc(s.domain.as_deref().unwrap_or("geen domein")),
            severity_badge(s.severity),
            s.status.as_str(),
            esc(s.status.dutch()),
            crate::rules::text::date(s.opened_on)
        );
    }
    b.push_str("</tbody></table></div>");
    b
}

fn signal_card(s: &SignalView, csrf: &str, today: NaiveDate) -> String {
    let j = &s.signal;
    let mut b = format!(
        "<section class=\"card\" aria-labelledby=\"signaal-{id}\"><h3 id=\"signaal-{id}\">{} {} \
         <span class=\"muted\">({}, sinds {})</span></h3><p>Status: <strong data-status=\"{}\">{}</strong>",
        severity_badge(j.severity),
        esc(crate::rules::text::rule_label(&j.rule)),
        esc(j.domain.map_or("geen domein", |d| d.dutch())),
        crate::rules::text::date(j.opened_on),
        j.status.as_str(),
        esc(j.status.dutch()),
        id = j.id
    );
    if let Some(d) = s.snoozed_until.filter(|d| *d > today) {
        let _ = write!(b, " · uitgesteld tot {}", crate::rules::text::date(d));
    }
    if let Some(r) = &s.dismissed_reason {
        let _ = write!(b, " · reden: {}", esc(r));
    }
    let _ = write!(b, "</p><p>{}</p>", esc(&j.explanation));
    if !j.evidence.is_empty() {
        b.push_str(
            "<div class=\"scroll\"><table><caption class=\"muted\">Onderbouwing</caption><thead><tr><th scope=\"col\">Datum</th>\
             <th scope=\"col\">Soort</th><th scope=\"col\">Toets</th><th scope=\"col\">Moment</th>\
             <th scope=\"col\">Niveau</th><th scope=\"col\">Percentiel</th><th scope=\"col\">Toelichting</th></tr></thead><tbody>",
        );
        for e in &j.evidence {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                crate::rules::text::date(e.date),
                esc(evidence_kind(&e.kind)),
                esc(e.test.as_deref().unwrap_or("")),
                esc(e.moment.as_deref().unwrap_or("")),
                esc(e.level.as_deref().unwrap_or("")),
                e.percentile.map(|p| p.to_string()).unwrap_or_default(),
                esc(e.note.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</tbody></table></div>");
    }
    if j.status.is_active() {
        let id = j.id;
        let csrf = csrf_field(csrf);
        b.push_str("<div class=\"actions\">");
        if j.status == crate::domain::SignalStatus::Open {
            let _ = write!(
                b,
                "<form method=\"post\" action=\"/signalen/{id}/acknowledge\">{csrf}<button type=\"submit\">Gezien</button></form>"
            );
        }
        let _ = write!(
            b,
            "<form method=\"post\" action=\"/signalen/{id}/snooze\">{csrf}<label for=\"tot-{id}\">Uitstellen tot\
             <input type=\"date\" id=\"tot-{id}\" name=\"until\" required></label><button type=\"submit\">Uitstellen</button></form>\
             <form method=\"post\" action=\"/signalen/{id}/dismiss\">{csrf}<label for=\"reden-{id}\">Reden\
             <input id=\"reden-{id}\" name=\"reason\" maxlength=\"{max}\" required></label><button type=\"submit\">Terzijde leggen</button></form>\
             <form method=\"post\" action=\"/signalen/{id}/resolve\">{csrf}<button type=\"submit\">Afhandelen</button></form></div>",
            max = views::MAX_REASON_CHARS
        );
    }
    if !s.events.is_empty() {
        b.push_str("<details><summary>Tijdlijn</summary><ul>");
        for e in &s.events {
            let _ = write!(
                b,
                "<li>{} — {} {} {}</li>",
                e.at.with_timezone(&chrono_tz::Europe::Amsterdam)
                    .format("%d-%m-%Y %H:%M"),
                esc(&event_dutch(e)),
                esc(match e.actor.as_deref() {
                    Some("rules") => "(Zorgsignaal)",
                    Some(a) => a,
                    None => "",
                }),
                esc(e.reason.as_deref().unwrap_or(""))
            );
        }
        b.push_str("</ul></details>");
    }
    b.push_str("</section>");
    b
}

/// `GET /leerlingen/{id}`: timeline chart, signals with evidence and actions, tasks.
pub async fn pupil_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, PageError> {
    let d = views::pupil_detail(&state, &v.user, id).await?;
    let today = crate::schedule::today_amsterdam();
    let mut b = format!(
        "<p><a href=\"/scholen/{}\">← Terug naar het schooloverzicht</a></p><h1>{} <span class=\"muted\">({})</span></h1>\
         <h2>Resultaten</h2>",
        esc(&d.school),
        esc(&d.name),
        esc(&d.group)
    );
    let chart = svg(&d.series);
    if chart.is_empty() {
        b.push_str("<p>Geen resultaten met een niveau.</p>");
    } else {
        b.push_str(&chart);
    }
    let _ = write!(b, "<h2>Signalen ({})</h2>", d.signals.len());
    if d.signals.is_empty() {
        b.push_str("<p>Geen signalen.</p>");
    }
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
    if !signals.is_empty() {
        b.push_str(
            "<div class=\"scroll\"><table><caption class=\"muted\">Alle signalen van deze leerling: open signalen eerst, \
             hoogste prioriteit eerst</caption><thead><tr><th scope=\"col\">Signaal</th><th scope=\"col\">Domein</th>\
             <th scope=\"col\">Prioriteit</th><th scope=\"col\">Status</th><th scope=\"col\">Sinds</th></tr></thead><tbody>",
        );
        for s in &signals {
            let j = &s.signal;
            let _ = write!(
                b,
                "<tr><td><a href=\"#signaal-{}\">{}</a></td><td>{}</td><td>{}</td><td data-status=\"{}\">{}</td><td>{}</td></tr>",
                j.id,
                esc(crate::rules::text::rule_label(&j.rule)),
                esc(j.domain.map_or("geen domein", |d| d.dutch())),
                severity_badge(j.severity),
                j.status.as_str(),
                esc(j.status.dutch()),
                crate::rules::text::date(j.opened_on)
            );
        }
        b.push_str("</tbody></table></div>");
    }
    for s in signals {
        b.push_str(&signal_card(s, v.csrf(), today));
    }
    b.push_str("<h2>Taken</h2>");
    if d.tasks.is_empty() {
        b.push_str("<p>Geen taken verstuurd.</p>");
    } else {
        b.push_str(
            "<table><thead><tr><th scope=\"col\">Taak</th><th scope=\"col\">Naar</th><th scope=\"col\">Uiterlijk</th>\
             <th scope=\"col\">Status</th><th scope=\"col\">Pogingen</th></tr></thead><tbody>",
        );
        for t in &d.tasks {
            let _ = write!(
                b,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&t.title),
                esc(target_dutch(&t.target)),
                t.due_on.map(crate::rules::text::date).unwrap_or_default(),
                outbox_dutch(t.status),
                t.attempts
            );
        }
        b.push_str("</tbody></table>");
    }
    Ok(render(&v, &d.name, &b))
}

/// Dutch word for an evidence kind.
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

fn evidence_kind(kind: &str) -> &str {
    match kind {
        "result" => "toetsresultaat",
        "plan" => "plan",
        "evaluation" => "evaluatie",
        "signal" => "signaal",
        "absence" => "verzuim",
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

/// `GET /beheer`: sync status per source and the outbox (operator; no pupil data).
pub async fn operator_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
) -> Result<Html<String>, PageError> {
    let streams = admin::sync_status(&state, &v.user).await?;
    let outbox = admin::outbox(&state, &v.user).await?;
    let mut b = String::from(
        "<h1>Beheer</h1><h2>Synchronisatie per bron</h2><div class=\"scroll\"><table><thead><tr>\
         <th scope=\"col\">Bron</th><th scope=\"col\">School</th><th scope=\"col\">Stroom</th>\
         <th scope=\"col\">Laatst gelukt</th><th scope=\"col\">Fouten op rij</th><th scope=\"col\">Laatste fout</th>\
         <th scope=\"col\">Records</th><th scope=\"col\">Quarantaine</th></tr></thead><tbody>",
    );
    for s in &streams {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.source.to_string()),
            esc(s.school.as_str()),
            esc(&s.stream),
            s.last_success_at
                .map(|t| {
                    t.with_timezone(&chrono_tz::Europe::Amsterdam)
                        .format("%d-%m-%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_else(|| "nooit".into()),
            s.consecutive_failures,
            esc(s.last_error.as_deref().unwrap_or("")),
            s.records,
            s.quarantined
        );
    }
    b.push_str(
        "</tbody></table></div><h2>Uitgaande taken</h2><div class=\"scroll\"><table><thead><tr>\
         <th scope=\"col\">Nr</th><th scope=\"col\">School</th><th scope=\"col\">Naar</th><th scope=\"col\">Status</th>\
         <th scope=\"col\">Pogingen</th><th scope=\"col\">Laatste fout</th></tr></thead><tbody>",
    );
    for o in &outbox {
        let _ = write!(
            b,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            o.id,
            esc(&o.school),
            esc(&o.target),
            outbox_dutch(o.status),
            o.attempts,
            esc(o.last_error.as_deref().unwrap_or(""))
        );
    }
    b.push_str("</tbody></table></div>");
    Ok(render(&v, "Beheer", &b))
}

/// A board figure as the page shows it: a count, `<5` or `x` (suppressed as in the board
/// report), a share with a decimal comma, `-` when not published.
fn board_cell(v: &crate::report::Value) -> String {
    use crate::report::Value;
    match v {
        Value::Percent(p) => format!("{}%", format!("{p:.1}").replace('.', ",")),
        other => esc(&other.to_string()),
    }
}

/// `GET /bestuur`: aggregates per school and their total (board; no pupil data), small counts
/// suppressed as in the board report.
pub async fn board_page(
    State(state): State<AppState>,
    PageUser(v): PageUser,
) -> Result<Html<String>, PageError> {
    let schools = admin::board(&state, &v.user).await?;
    let mut b = String::from(
        "<h1>Bestuursoverzicht</h1><div class=\"scroll\"><table><thead><tr><th scope=\"col\">School</th>\
         <th scope=\"col\">BRIN</th><th scope=\"col\">Hoog</th><th scope=\"col\">Middel</th><th scope=\"col\">Laag</th>\
         <th scope=\"col\">Leerlingen met signaal</th>\
         <th scope=\"col\">Leersignalen dit schooljaar, termijn van 6 weken voorbij</th>\
         <th scope=\"col\">waarvan met plan binnen 6 weken</th><th scope=\"col\">Aandeel</th></tr></thead><tbody>",
    );
    for s in &schools {
        let total = s.school == "TOTAAL";
        let _ = write!(
            b,
            "<tr{}><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if total { " class=\"total\"" } else { "" },
            esc(&s.name),
            if total { String::new() } else { esc(&s.school) },
            board_cell(&s.high),
            board_cell(&s.medium),
            board_cell(&s.low),
            board_cell(&s.pupils_with_signals),
            board_cell(&s.plan_term_passed),
            board_cell(&s.plan_in_time),
            board_cell(&s.plan_in_time_pct),
        );
    }
    let _ = write!(
        b,
        "</tbody></table></div><p class=\"note\">Alleen totalen, geen leerlinggegevens. Aantallen van 1 tot en met {} staan als \
         <b>&lt;{}</b>; <b>x</b> betekent dat een getal is verborgen zodat een klein aantal niet uit een totaal kan worden \
         teruggerekend (zoals in de bestuursrapportage). Hoog, middel en laag tellen de openstaande signalen. \
         <i>Met plan binnen 6 weken</i>: op de dag dat een leersignaal 6 weken openstond, liep er een plan voor dat \
         domein (een eigen plan of een groepsplan van de groep van de leerling), zoals de regel 'signaal zonder plan' \
         het ziet; signalen met lage ernst vragen geen plan en tellen niet mee.</p>",
        state.board.threshold.saturating_sub(1),
        state.board.threshold
    );
    Ok(render(&v, "Bestuursoverzicht", &b))
}
