//! The results timeline of the pupil page: levels (I–V / A–E) per learning domain across the
//! moments, as points for the JSON API and as a small inline SVG line chart.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::level::preferred_band;
use crate::domain::{DomainMapping, LearningDomain};
use crate::report::svg::escape;
use crate::store::PupilHistory;

/// One result on the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// Domain.
    pub domain: LearningDomain,
    /// Afnamedatum.
    pub date: NaiveDate,
    /// Test name.
    pub test: String,
    /// Level as written (`IV`, `E`).
    pub level: String,
    /// 1 (best) to 5 (lowest).
    pub ordinal: u8,
}

/// The pupil's results with a band level and a known domain, by date.
pub fn series(history: &PupilHistory, mapping: &DomainMapping) -> Vec<SeriesPoint> {
    let mut out: Vec<SeriesPoint> = history
        .results
        .iter()
        .filter_map(|r| {
            let r = &r.result;
            let domain = mapping.classify_result(&r.test_code, &r.test_name, r.part_code.as_deref())?;
            let level = preferred_band(&r.reference_scores)?;
            Some(SeriesPoint {
                domain,
                date: r.taken_on,
                test: r.test_name.clone(),
                level: level.to_string(),
                ordinal: level.band_ordinal()?,
            })
        })
        .collect();
    out.sort_by_key(|p| p.date);
    out
}

const COLOURS: [&str; 5] = ["#123c69", "#a4161a", "#2d6a4f", "#7b2cbf", "#b5651d"];
const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 40.0;
const TOP: f64 = 16.0;
const PLOT_W: f64 = 440.0;
const PLOT_H: f64 = 180.0;

/// An accessible inline SVG: one line per domain, y = level (I/A on top), x = date; a legend
/// on the right. Empty string when there is nothing to draw.
pub fn svg(points: &[SeriesPoint]) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return String::new();
    };
    let span = (last.date - first.date).num_days().max(1) as f64;
    let x = |d: NaiveDate| LEFT + (d - first.date).num_days() as f64 / span * PLOT_W;
    let y = |o: u8| TOP + (f64::from(o.clamp(1, 5)) - 1.0) / 4.0 * PLOT_H;
    let mut by_domain: BTreeMap<&str, (LearningDomain, Vec<&SeriesPoint>)> = BTreeMap::new();
    for p in points {
        by_domain
            .entry(p.domain.as_str())
            .or_insert_with(|| (p.domain, Vec::new()))
            .1
            .push(p);
    }
    let mut s = format!(
        "<svg role=\"img\" aria-labelledby=\"grafiek-titel\" viewBox=\"0 0 {W} {H}\" width=\"100%\" \
         class=\"chart\"><title id=\"grafiek-titel\">Niveaus per domein over de \
         toetsmomenten (I bovenaan, V onderaan)</title>"
    );
    for (o, label) in ["I", "II", "III", "IV", "V"].iter().enumerate() {
        let yy = y(o as u8 + 1);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy}\" y2=\"{yy}\" stroke=\"#c8ccd2\"/>\
             <text x=\"4\" y=\"{}\" font-size=\"12\" fill=\"#1a1a1a\">{label}</text>",
            LEFT + PLOT_W,
            yy + 4.0
        );
    }
    for (i, (domain, pts)) in by_domain.values().enumerate() {
        let colour = COLOURS.get(i % COLOURS.len()).copied().unwrap_or("#000");
        let path: Vec<String> = pts
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.date), y(p.ordinal)))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for p in pts {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"><title>{} {}: {}</title></circle>",
                x(p.date),
                y(p.ordinal),
                escape(&p.test),
                crate::rules::text::date(p.date),
                escape(&p.level)
            );
        }
        let ly = TOP + 14.0 + i as f64 * 18.0;
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"{ly}\" font-size=\"12\" fill=\"#1a1a1a\">{}</text>",
            LEFT + PLOT_W + 16.0,
            ly - 10.0,
            LEFT + PLOT_W + 32.0,
            escape(domain.dutch())
        );
    }
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"{}\" font-size=\"12\" fill=\"#1a1a1a\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" fill=\"#1a1a1a\">{}</text></svg>",
        H - 4.0,
        crate::rules::text::date(first.date),
        LEFT + PLOT_W,
        H - 4.0,
        crate::rules::text::date(last.date)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13 item 4: a test name with `'`, `<`, `&` and `"` comes out escaped in the chart's
    /// tooltips, as askama escapes it on the page around it.
    #[test]
    fn labels_in_the_chart_are_escaped() {
        let name = "O'Brien <b> & \"Zonnebloem\"";
        let point = |day| SeriesPoint {
            domain: LearningDomain::Mathematics,
            date: NaiveDate::from_ymd_opt(2026, 3, day).expect("date"),
            test: name.into(),
            level: "IV".into(),
            ordinal: 4,
        };
        let chart = svg(&[point(2), point(20)]);
        assert!(!chart.contains(name), "{chart}");
        assert!(
            chart
                .contains("<title>O&#39;Brien &#60;b&#62; &#38; &#34;Zonnebloem&#34; 02-03-2026: IV</title>"),
            "{chart}"
        );
        assert!(svg(&[]).is_empty());
    }
}
