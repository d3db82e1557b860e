//! Inline SVG charts drawn from the report's figures: grouped horizontal bars per school and a
//! line per school year. A suppressed value draws no bar or point, only its label (`<5`, `x`).
//! The charts are written by hand, not through a template (docs/ARCHITECTURE.md says why), so
//! every text in them goes through [`escape`]: askama's HTML escaper, the one the templates use.

use std::fmt::Write;

use askama::filters::Escaper;

use super::model::Value;

/// Series colours (current year dark, previous year light; readable in greyscale print).
const COLOURS: [&str; 4] = ["#1f4e79", "#9dc3e6", "#c55a11", "#a9d18e"];

/// Escapes text for HTML and SVG (content and quoted attributes): `&`, `<`, `>`, `"` and `'`
/// become character references. This is askama's own HTML escaper, so the hand-written charts
/// (here and the dashboard's `api/chart.rs`) escape exactly as the templates do; it is the only
/// escaper in the program.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Writing into a String cannot fail.
    let _ = askama::filters::Html.write_escaped_str(&mut out, s);
    out
}

/// One named series of values.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// One value per category or x position.
    pub values: Vec<Value>,
}

fn legend(out: &mut String, series: &[Series], x: f64, y: f64) {
    let mut lx = x;
    for (i, s) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let _ = write!(
            out,
            r#"<rect x="{lx}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}" font-size="12">{}</text>"#,
            y - 10.0,
            lx + 16.0,
            y,
            escape(&s.name)
        );
        // About 7 px per character at 12 px, plus the swatch and a gap.
        lx += 40.0 + 7.0 * s.name.chars().count() as f64;
    }
}

/// Horizontal grouped bars: one group per category, one bar per series; `suffix` follows each
/// label (`%`).
pub fn bar_chart(title: &str, categories: &[String], series: &[Series], suffix: &str) -> String {
    let bar_h = 14.0;
    let group_h = bar_h * series.len() as f64 + 10.0;
    let (left, width) = (190.0, 640.0);
    let plot_w = width - left - 60.0;
    let height = 50.0 + group_h * categories.len() as f64 + 10.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().filter_map(Value::number))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="100%" font-family="sans-serif"><title>{t}</title>"#,
        t = escape(title)
    );
    legend(&mut out, series, left, 20.0);
    for (c, cat) in categories.iter().enumerate() {
        let gy = 36.0 + c as f64 * group_h;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-size="12" text-anchor="end">{}</text>"#,
            left - 8.0,
            gy + group_h / 2.0,
            escape(cat)
        );
        for (i, s) in series.iter().enumerate() {
            let y = gy + i as f64 * bar_h;
            let v = s.values.get(c).copied().unwrap_or(Value::None);
            let w = v.number().map_or(0.0, |n| n / max * plot_w);
            let colour = COLOURS[i % COLOURS.len()];
            let label = match v {
                Value::Count(_) | Value::Percent(_) | Value::Days(_) => {
                    let n = v.number().unwrap_or(0.0);
                    if suffix.is_empty() {
                        format!("{n:.0}")
                    } else {
                        format!("{n:.0}{suffix}")
                    }
                }
                other => other.to_string(),
            };
            let _ = write!(
                out,
                r#"<rect x="{left}" y="{y}" width="{w:.1}" height="{}" fill="{colour}"/><text x="{:.1}" y="{}" font-size="11">{}</text>"#,
                bar_h - 2.0,
                left + w + 4.0,
                y + bar_h - 4.0,
                escape(&label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A line chart: `x_labels` along the bottom, one polyline per series; a value that is not
/// published breaks the line and is labelled instead of plotted.
pub fn line_chart(title: &str, x_labels: &[String], series: &[Series]) -> String {
    let (left, top, width, height) = (50.0, 40.0, 640.0, 260.0);
    let plot_w = width - left - 20.0;
    let plot_h = height - top - 40.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().filter_map(Value::number))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let step = if x_labels.len() > 1 {
        plot_w / (x_labels.len() - 1) as f64
    } else {
        plot_w
    };
    let x_at = |i: usize| left + i as f64 * step;
    let y_at = |v: f64| top + plot_h - v / max * plot_h;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="100%" font-family="sans-serif"><title>{t}</title>"#,
        t = escape(title)
    );
    legend(&mut out, series, left, 20.0);
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" stroke="#888"/><line x1="{left}" y1="{top}" x2="{left}" y2="{b}" stroke="#888"/><text x="{tx}" y="{ty}" font-size="10" text-anchor="end">{max:.0}</text><text x="{tx}" y="{b}" font-size="10" text-anchor="end">0</text>"##,
        b = top + plot_h,
        r = left + plot_w,
        tx = left - 4.0,
        ty = top + 4.0,
    );
    for (i, l) in x_labels.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" font-size="10" text-anchor="middle">{}</text>"#,
            x_at(i),
            top + plot_h + 16.0,
            escape(l)
        );
    }
    for (si, s) in series.iter().enumerate() {
        let colour = COLOURS[si % COLOURS.len()];
        let mut segment: Vec<String> = Vec::new();
        let flush = |segment: &mut Vec<String>, out: &mut String| {
            if !segment.is_empty() {
                let _ = write!(
                    out,
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{}"/>"#,
                    segment.join(" ")
                );
                segment.clear();
            }
        };
        for (i, v) in s.values.iter().enumerate() {
            match v.number() {
                Some(n) => {
                    segment.push(format!("{:.1},{:.1}", x_at(i), y_at(n)));
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                        x_at(i),
                        y_at(n)
                    );
                }
                None => {
                    flush(&mut segment, &mut out);
                    if !matches!(v, Value::None) {
                        let _ = write!(
                            out,
                            r#"<text x="{:.1}" y="{:.1}" font-size="10" fill="{colour}" text-anchor="middle">{}</text>"#,
                            x_at(i),
                            top + plot_h - 6.0 - si as f64 * 12.0,
                            escape(&v.to_string())
                        );
                    }
                }
            }
        }
        flush(&mut segment, &mut out);
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13 item 4: one escaping rule, askama's: `'` too, which the old escaper left alone.
    #[test]
    fn chart_labels_are_escaped_as_askama_escapes() {
        let name = "O'Brien <b> & \"Zonnebloem\"";
        let escaped = "O&#39;Brien &#60;b&#62; &#38; &#34;Zonnebloem&#34;";
        assert_eq!(escape(name), escaped);
        let series = [Series {
            name: name.into(),
            values: vec![Value::Count(3)],
        }];
        let bars = bar_chart(name, &[name.to_owned()], &series, "");
        let line = line_chart(name, &[name.to_owned()], &series);
        for svg in [bars, line] {
            assert!(!svg.contains(name), "{svg}");
            assert!(svg.contains(&format!("aria-label=\"{escaped}\"")), "{svg}");
            assert!(svg.contains(&format!("<title>{escaped}</title>")), "{svg}");
            assert!(svg.contains(&format!(">{escaped}</text>")), "{svg}");
        }
    }
}
