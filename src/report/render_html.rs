//! `report.html`: one self-contained Dutch page (inline CSS, inline SVG), A4 portrait in print:
//! the board overview with charts, then one section per school. Every number comes from the
//! suppressed figures; nothing about a single pupil is ever rendered.

use std::fmt::Write;

use chrono::{Datelike, Months, NaiveDate};

use super::aggregate::month_key;
use super::model::{BoardReport, Unit, Value};
use super::model::{PLAN_KINDS, TIERS, tier_name};
use super::svg::{Series, bar_chart, escape, line_chart};

const CSS: &str = r#"
@page { size: A4 portrait; margin: 15mm 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; color: #1a1a1a; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 18pt; color: #1f4e79; margin: 0 0 2mm; }
h2 { font-size: 13.5pt; color: #1f4e79; border-bottom: 1.5px solid #1f4e79; padding-bottom: 1mm; margin-top: 7mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
p.meta { color: #444; margin: 0 0 3mm; }
.note { background: #f2f6fa; border-left: 3px solid #1f4e79; padding: 2mm 3mm; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 3mm; font-size: 9.5pt; }
th, td { border-bottom: 1px solid #d0d7de; padding: 1.2mm 2mm; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #1f4e79; color: #fff; }
tr.sub td:first-child { padding-left: 6mm; }
td.s { color: #7a7a7a; font-style: italic; }
.charts svg { margin: 2mm 0 4mm; page-break-inside: avoid; }
section.school { page-break-before: always; }
table, tr, .charts svg { page-break-inside: avoid; }
@media print { body { max-width: none; } }
"#;

/// Dutch name of a rule for the board.
pub fn rule_label(rule: &str) -> String {
    match rule {
        "dmt_three_lowest" => "Drie keer V(E) op DMT".into(),
        "eed_check" => "ED-check dyslexiedossier".into(),
        "lowest_level_repeated" => "Twee keer laagste niveau".into(),
        "level_drop" => "Daling van twee niveaus".into(),
        "no_growth" => "Geen groei vaardigheidsscore".into(),
        "reference_level_low" => "Referentieniveau onder 1F".into(),
        "avi_stagnation" => "AVI-niveau staat stil".into(),
        "plan_evaluation_due" => "Evaluatie plan binnenkort".into(),
        "plan_evaluation_overdue" => "Evaluatie plan verlopen".into(),
        "opp_yearly_evaluation" => "OPP-evaluatie met ouders".into(),
        "plan_ineffective" => "Plan zonder effect".into(),
        "signal_without_plan" => "Signaal zonder plan".into(),
        "unauthorised_absence" => "Ongeoorloofd verzuim (leerplicht)".into(),
        "frequent_sick_absence" => "Frequent ziekteverzuim".into(),
        "gifted_candidate" => "Plusaanbod bespreken".into(),
        "dyscalculia_check" => "Rekenonderzoek ERWD (dyscalculie)".into(),
        other => other.to_owned(),
    }
}

/// Dutch name of a national tier.
fn tier_label(t: &str) -> &'static str {
    match t {
        "basis" => "Basisondersteuning",
        "extra" => "Extra ondersteuning",
        _ => "Gespecialiseerde ondersteuning",
    }
}

/// Short Dutch name of a national tier, for chart legends.
fn tier_short(t: &str) -> &'static str {
    match t {
        "basis" => "Basis",
        "extra" => "Extra",
        _ => "Gespecialiseerd",
    }
}

/// Short Dutch month names, August first.
const MONTHS: [&str; 12] = [
    "aug", "sep", "okt", "nov", "dec", "jan", "feb", "mrt", "apr", "mei", "jun", "jul",
];

fn cell(v: Value, suffix: &str) -> String {
    match v {
        Value::Count(_) => v.to_string(),
        Value::Date(d) => crate::rules::text::date(d),
        Value::Percent(p) | Value::Days(p) => format!("{}{suffix}", format!("{p:.1}").replace('.', ",")),
        Value::Small(_) | Value::Hidden => format!("<span class=\"s\">{}</span>", escape(&v.to_string())),
        Value::None => "–".into(),
    }
}

fn delta(now: Value, before: Value) -> String {
    match (now.number(), before.number(), now) {
        (Some(a), Some(b), Value::Count(_)) if a == b => "0".into(),
        (Some(a), Some(b), Value::Count(_)) => format!("{:+}", a - b),
        (Some(a), Some(b), _) => format!("{:+.1}", a - b).replace('.', ","),
        _ => "–".into(),
    }
}

/// Rows of one unit's table: (measure key, Dutch label, suffix, indented).
fn rows(report: &BoardReport, unit: &Unit) -> Vec<(String, String, &'static str, bool)> {
    let mut r = vec![("pupils".to_owned(), "Leerlingen".to_owned(), "", false)];
    if let Unit::School(b) = unit
        && let Some(s) = report.schools.iter().find(|s| &s.brin == b)
    {
        for (code, name) in &s.levels {
            r.push((
                format!("level:{code}"),
                format!("Zorgniveau {code} – {name}"),
                "",
                true,
            ));
        }
    }
    for t in TIERS {
        let n = tier_name(t);
        r.push((format!("tier:{n}"), tier_label(n).to_owned(), "", true));
    }
    r.push(("signals_new_total".into(), "Nieuwe signalen".into(), "", false));
    for rule in &report.rules {
        r.push((format!("signals_new:{rule}"), rule_label(rule), "", true));
    }
    r.push((
        "signals_open_total".into(),
        "Openstaande signalen (peildatum)".into(),
        "",
        false,
    ));
    for rule in &report.rules {
        r.push((format!("signals_open:{rule}"), rule_label(rule), "", true));
    }
    r.push(("eed_checks_opened".into(), "ED-checks geopend".into(), "", false));
    for k in PLAN_KINDS {
        let label = match k {
            crate::domain::PlanKind::ActionPlan => "Handelingsplannen actief",
            crate::domain::PlanKind::GroupPlan => "Groepsplannen actief",
            crate::domain::PlanKind::Opp => "OPP's actief",
        };
        r.push((format!("plans_active:{}", k.as_str()), label.into(), "", false));
    }
    r.push((
        "evaluations_total".into(),
        "Evaluaties die verschuldigd waren".into(),
        "",
        false,
    ));
    for (k, l) in [
        ("on_time", "op tijd"),
        ("late", "te laat"),
        ("missing", "ontbrekend"),
    ] {
        r.push((format!("evaluations:{k}"), format!("Evaluaties {l}"), "", true));
        r.push((
            format!("evaluations_pct:{k}"),
            format!("Evaluaties {l} (%)"),
            "%",
            true,
        ));
    }
    r.push((
        "evaluations_median_days_late".into(),
        "Mediaan dagen te laat".into(),
        "",
        true,
    ));
    r.push((
        "signal_plan_total".into(),
        "Leersignalen met afgelopen termijn van 6 weken".into(),
        "",
        false,
    ));
    r.push((
        "signal_plan:with".into(),
        "waarvan met plan binnen 6 weken".into(),
        "",
        true,
    ));
    r.push((
        "signal_plan_pct".into(),
        "Aandeel met plan binnen 6 weken (%)".into(),
        "%",
        true,
    ));
    r
}

fn table(out: &mut String, report: &BoardReport, unit: &Unit) {
    let _ = write!(
        out,
        "<table><thead><tr><th>Maat</th><th>{}</th><th>{}</th><th>Verschil</th></tr></thead><tbody>",
        report.school_year, report.previous_year
    );
    for (key, label, suffix, sub) in rows(report, unit) {
        let now = report.value(unit, &key, report.school_year);
        let before = report.value(unit, &key, report.previous_year);
        let _ = write!(
            out,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if sub { " class=\"sub\"" } else { "" },
            escape(&label),
            cell(now, suffix),
            cell(before, suffix),
            delta(now, before)
        );
    }
    out.push_str("</tbody></table>");
}

fn month_labels(first: NaiveDate) -> (Vec<String>, Vec<NaiveDate>) {
    let dates: Vec<NaiveDate> = (0..12)
        .filter_map(|i| first.checked_add_months(Months::new(i)))
        .collect();
    let labels = dates
        .iter()
        .map(|d| MONTHS[((d.month() + 4) % 12) as usize].to_owned())
        .collect();
    (labels, dates)
}

fn charts(out: &mut String, report: &BoardReport) {
    let names: Vec<String> = report.schools.iter().map(|s| s.name.clone()).collect();
    let per_school = |measure: &str, year| -> Vec<Value> {
        report
            .schools
            .iter()
            .map(|s| report.value(&Unit::School(s.brin.clone()), measure, year))
            .collect()
    };
    let two_years = |measure: &str| {
        vec![
            Series {
                name: format!("Schooljaar {}", report.school_year),
                values: per_school(measure, report.school_year),
            },
            Series {
                name: format!("Schooljaar {}", report.previous_year),
                values: per_school(measure, report.previous_year),
            },
        ]
    };
    out.push_str("<div class=\"charts\">");
    let mut figure = |title: &str, svg: String| {
        let _ = write!(out, "<h3>{}</h3>{svg}", escape(title));
    };
    let title = "Nieuwe signalen per school";
    figure(
        title,
        bar_chart(title, &names, &two_years("signals_new_total"), ""),
    );
    let title = "Evaluaties op tijd per school (%)";
    figure(
        title,
        bar_chart(title, &names, &two_years("evaluations_pct:on_time"), "%"),
    );
    let tiers: Vec<Series> = TIERS
        .iter()
        .map(|t| Series {
            name: tier_short(tier_name(*t)).to_owned(),
            values: per_school(&format!("tier:{}", tier_name(*t)), report.school_year),
        })
        .collect();
    let title = format!("Leerlingen per ondersteuningsniveau, {}", report.school_year);
    figure(&title, bar_chart(&title, &names, &tiers, ""));
    let (labels, _) = month_labels(report.school_year.first_day());
    let series: Vec<Series> = [report.school_year, report.previous_year]
        .iter()
        .map(|y| {
            let (_, dates) = month_labels(y.first_day());
            Series {
                name: format!("Schooljaar {y}"),
                values: dates
                    .iter()
                    .map(|d| report.value(&Unit::Board, &month_key(*d), *y))
                    .collect(),
            }
        })
        .collect();
    let title = "Nieuwe signalen per maand, hele bestuur (tot de peildatum)";
    figure(title, line_chart(title, &labels, &series));
    out.push_str("</div>");
}

fn sync_table(out: &mut String, report: &BoardReport, brin: &crate::domain::Brin) {
    let rows: Vec<_> = report.sync.iter().filter(|(b, _)| b == brin).collect();
    if rows.is_empty() {
        out.push_str("<p>Nog geen synchronisatie vastgelegd.</p>");
        return;
    }
    out.push_str("<table><thead><tr><th>Bron</th><th>Laatst volledig gesynchroniseerd</th><th>Storende stromen</th><th>In quarantaine</th></tr></thead><tbody>");
    for (_, h) in rows {
        let last = h.last_success_at.map_or_else(
            || "nog niet volledig".to_owned(),
            |t| {
                t.with_timezone(&chrono_tz::Europe::Amsterdam)
                    .format("%d-%m-%Y %H:%M")
                    .to_string()
            },
        );
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(h.source.as_str()),
            last,
            h.failing_streams,
            h.quarantined
        );
    }
    out.push_str("</tbody></table>");
}

/// Renders the whole page.
pub fn render(report: &BoardReport) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"nl\"><head><meta charset=\"utf-8\"><title>Bestuursrapportage {y} – {b}</title><style>{CSS}</style></head><body>",
        y = report.school_year,
        b = escape(&report.board_name)
    );
    let _ = write!(
        out,
        "<h1>Bestuursrapportage zorgsignalering</h1><p class=\"meta\">{} · schooljaar {} (peildatum {}) vergeleken met {} (peildatum {})</p>",
        escape(&report.board_name),
        report.school_year,
        report.as_of.format("%d-%m-%Y"),
        report.previous_year,
        report.previous_as_of.format("%d-%m-%Y"),
    );
    let _ = write!(
        out,
        "<p class=\"note\">Deze rapportage bevat alleen totalen: geen namen, geen leerlingnummers. Aantallen van 1 tot en met {} staan als <b>&lt;{}</b>; <b>x</b> betekent dat een getal is verborgen zodat een klein aantal niet uit een totaal kan worden teruggerekend. Een evaluatie is op tijd als die {}.</p>",
        report.threshold.saturating_sub(1),
        report.threshold,
        if report.grace_days == 0 {
            "uiterlijk op de evaluatiedatum is gehouden".to_owned()
        } else {
            format!(
                "uiterlijk {} na de evaluatiedatum is gehouden",
                crate::rules::text::days(report.grace_days)
            )
        }
    );
    out.push_str("<h2>Bestuur</h2>");
    charts(&mut out, report);
    table(&mut out, report, &Unit::Board);
    for s in &report.schools {
        let _ = write!(
            out,
            "<section class=\"school\"><h2>{} ({})</h2>",
            escape(&s.name),
            escape(s.brin.as_str())
        );
        table(&mut out, report, &Unit::School(s.brin.clone()));
        out.push_str("<h3>Synchronisatie</h3>");
        sync_table(&mut out, report, &s.brin);
        out.push_str("</section>");
    }
    out.push_str("</body></html>");
    out
}
