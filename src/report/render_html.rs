//! `report.html`: one self-contained Dutch page (inline CSS, inline SVG), A4 portrait in print:
//! the board overview with charts, then one section per school. Every number comes from the
//! suppressed figures; nothing about a single pupil is ever rendered. The page is the askama
//! template `templates/report/board.html` (askama escapes every value); this module builds what
//! it reads.

use askama::Template;
use chrono::{Datelike, Months, NaiveDate};

use super::aggregate::month_key;
use super::model::{BoardReport, Unit, Value};
use super::model::{PLAN_KINDS, TIERS, tier_name};
use super::svg::{Series, bar_chart, line_chart};

/// Dutch name of a rule for the board ([`crate::rules::text::RULE_LABELS`]).
pub fn rule_label(rule: &str) -> String {
    crate::rules::text::board_label(rule).to_owned()
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

/// One figure in a table cell: its text, and whether it is suppressed (`<5`, `x`: shown grey).
struct Cell {
    text: String,
    suppressed: bool,
}

fn cell(v: Value, suffix: &str) -> Cell {
    let text = match v {
        Value::Count(_) | Value::Small(_) | Value::Hidden => v.to_string(),
        Value::Date(d) => crate::rules::text::date(d),
        Value::Percent(p) | Value::Days(p) => format!("{}{suffix}", format!("{p:.1}").replace('.', ",")),
        Value::None => "–".into(),
    };
    Cell {
        text,
        suppressed: matches!(v, Value::Small(_) | Value::Hidden),
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

/// One row of a unit's table.
struct Row {
    label: String,
    sub: bool,
    now: Cell,
    before: Cell,
    delta: String,
}

fn table(report: &BoardReport, unit: &Unit) -> Vec<Row> {
    rows(report, unit)
        .into_iter()
        .map(|(key, label, suffix, sub)| {
            let now = report.value(unit, &key, report.school_year);
            let before = report.value(unit, &key, report.previous_year);
            Row {
                label,
                sub,
                now: cell(now, suffix),
                before: cell(before, suffix),
                delta: delta(now, before),
            }
        })
        .collect()
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

/// A chart with its heading: the SVG is ours (`svg.rs`), already escaped there.
struct Chart {
    title: String,
    svg: String,
}

fn charts(report: &BoardReport) -> Vec<Chart> {
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
    let mut out = Vec::new();
    let mut figure = |title: &str, svg: String| {
        out.push(Chart {
            title: title.to_owned(),
            svg,
        });
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
    out
}

/// One source's sync state in a school's section.
struct SyncRow {
    source: &'static str,
    last: String,
    failing_streams: u32,
    quarantined: u64,
}

fn sync_rows(report: &BoardReport, brin: &crate::domain::Brin) -> Vec<SyncRow> {
    report
        .sync
        .iter()
        .filter(|(b, _)| b == brin)
        .map(|(_, h)| SyncRow {
            source: h.source.as_str(),
            last: h.last_success_at.map_or_else(
                || "nog niet volledig".to_owned(),
                |t| {
                    t.with_timezone(&chrono_tz::Europe::Amsterdam)
                        .format("%d-%m-%Y %H:%M")
                        .to_string()
                },
            ),
            failing_streams: h.failing_streams,
            quarantined: h.quarantined,
        })
        .collect()
}

/// A school's section.
struct SchoolSection {
    name: String,
    brin: String,
    rows: Vec<Row>,
    sync: Vec<SyncRow>,
}

/// What `templates/report/board.html` reads.
#[derive(Template)]
#[template(path = "report/board.html")]
struct Page<'a> {
    r: &'a BoardReport,
    as_of: String,
    previous_as_of: String,
    /// The largest count shown as `<threshold`.
    small_max: u32,
    /// How a small count reads (`<5`).
    small_example: String,
    /// When an evaluation is on time, as the end of a Dutch sentence.
    on_time: String,
    charts: Vec<Chart>,
    board: Vec<Row>,
    schools: Vec<SchoolSection>,
}

/// Renders the whole page.
pub fn render(report: &BoardReport) -> Result<String, askama::Error> {
    Page {
        r: report,
        as_of: report.as_of.format("%d-%m-%Y").to_string(),
        previous_as_of: report.previous_as_of.format("%d-%m-%Y").to_string(),
        small_max: report.threshold.saturating_sub(1),
        small_example: format!("<{}", report.threshold),
        on_time: if report.grace_days == 0 {
            "uiterlijk op de evaluatiedatum is gehouden".to_owned()
        } else {
            format!(
                "uiterlijk {} na de evaluatiedatum is gehouden",
                crate::rules::text::days(report.grace_days)
            )
        },
        charts: charts(report),
        board: table(report, &Unit::Board),
        schools: report
            .schools
            .iter()
            .map(|s| SchoolSection {
                name: s.name.clone(),
                brin: s.brin.as_str().to_owned(),
                rows: table(report, &Unit::School(s.brin.clone())),
                sync: sync_rows(report, &s.brin),
            })
            .collect(),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Brin, SchoolYear};
    use crate::report::model::SchoolHeader;

    const NAME: &str = "O'Brien <b> & \"Zonnebloem\"";
    const ESCAPED: &str = "O&#39;Brien &#60;b&#62; &#38; &#34;Zonnebloem&#34;";

    fn report() -> BoardReport {
        let day = NaiveDate::from_ymd_opt(2026, 3, 15).expect("date");
        BoardReport {
            board_name: NAME.into(),
            school_year: SchoolYear::starting(2025),
            previous_year: SchoolYear::starting(2024),
            as_of: day,
            previous_as_of: day - chrono::TimeDelta::days(365),
            threshold: 5,
            grace_days: 0,
            rules: Vec::new(),
            schools: vec![SchoolHeader {
                brin: Brin::parse("11ZW").expect("brin"),
                name: NAME.into(),
                levels: Vec::new(),
            }],
            figures: Vec::new(),
            sync: Vec::new(),
        }
    }

    /// Issue 13 item 4: a name with `'`, `<`, `&` and `"` comes out escaped in the board report,
    /// in the page's text and in a chart label alike (one escaper).
    #[test]
    fn names_are_escaped_in_the_page_and_its_charts() {
        let html = render(&report()).expect("render");
        assert!(!html.contains(NAME), "unescaped: {html}");
        assert!(html.contains(&format!("<h2>{ESCAPED} (11ZW)</h2>")), "{html}");
        assert!(html.contains(&format!("<p class=\"meta\">{ESCAPED} ·")), "{html}");
        // The bar charts label each school on the left.
        assert!(
            html.contains(&format!("text-anchor=\"end\">{ESCAPED}</text>")),
            "{html}"
        );
        assert!(html.contains("<b>&#60;5</b>"), "{html}");
    }

    #[test]
    fn suppressed_figures_are_marked_and_the_rest_plain() {
        let small = cell(Value::Small(5), "");
        assert!(small.suppressed && small.text == "<5");
        let share = cell(Value::Percent(12.5), "%");
        assert!(!share.suppressed && share.text == "12,5%");
    }
}
