//! An independent reading of the planted cases: a small checker that follows the semantics in
//! `mocks/README.md` ("Planted cases") and must agree with every expectation `--emit-expected`
//! writes. It guards the hand-written histories against typos (a `V` with P9, a wrong date).

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use mocks::generate;
use mocks::model::{Plan, School, TestResult};

use crate::common::small_params;

fn domain(r: &TestResult) -> &'static str {
    match &*r.toetscode {
        "DMT" => "word_reading",
        "RW" | "IEP-RK" => "mathematics",
        "SP" | "IEP-TV" => "spelling",
        "BL" | "IEP-LV" => "reading_comprehension",
        // A tempotoets automatiseren is no level of any domain.
        "TTR" => "none",
        _ => "technical_reading",
    }
}

/// The school year (its start year) of a date.
fn school_year(d: NaiveDate) -> (i32, ()) {
    (if d.month() >= 8 { d.year() } else { d.year() - 1 }, ())
}

/// `Some(("M"|"E", school-year start))` for a main measurement, by date only.
fn main_moment(d: NaiveDate) -> Option<(&'static str, i32)> {
    let md = (d.month(), d.day());
    if md >= (12, 15) {
        Some(("M", d.year()))
    } else if md <= (3, 15) {
        Some(("M", d.year() - 1))
    } else if ((5, 1)..=(7, 15)).contains(&md) {
        Some(("E", d.year() - 1))
    } else {
        None
    }
}

struct Level<'a> {
    scale: &'a str,
    letter: &'a str,
    pct: Option<u32>,
}

fn level(r: &TestResult) -> Option<Level<'_>> {
    let find = |c: &str| {
        r.referentiescores
            .iter()
            .find(|s| &*s.code == c)
            .map(|s| &*s.waarde)
    };
    let pct = find("PC").and_then(|p| p.parse().ok());
    let (scale, letter) = match (find("IV"), find("AE")) {
        (Some(l), _) => ("IV", l),
        (None, Some(l)) => ("AE", l),
        _ => return None,
    };
    Some(Level { scale, letter, pct })
}

/// The normal score of a percentile, by bisection on the normal CDF (erf by Abramowitz–Stegun).
fn probit(pct: u32) -> f64 {
    let p = f64::from(pct.clamp(1, 99)) / 100.0;
    let cdf = |x: f64| {
        let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
        let poly = t
            * (0.254_829_592
                + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
        let erf = 1.0 - poly * (-(x * x) / 2.0).exp();
        if x >= 0.0 {
            0.5 * (1.0 + erf)
        } else {
            0.5 * (1.0 - erf)
        }
    };
    let (mut lo, mut hi) = (-5.0, 5.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

fn low(l: &Level<'_>) -> bool {
    matches!(l.letter, "V" | "V-" | "E") || l.pct.is_some_and(|p| p <= 20)
}

/// `Some(true)` lowest 10 %, `Some(false)` known not, `None` unknown. The percentile decides
/// over a letter; in the seven-level display (the pupil has an I+ somewhere) a plain V is P11-20.
fn lowest10(l: &Level<'_>, seven: bool) -> Option<bool> {
    if let Some(p) = l.pct {
        Some(p <= 10)
    } else if matches!(l.letter, "V-" | "E") {
        Some(true)
    } else if !matches!(l.letter, "V") || seven {
        Some(false)
    } else {
        None
    }
}

fn ordinal(l: &Level<'_>) -> Option<i32> {
    let order: &[&str] = if l.scale == "IV" {
        &["I", "II", "III", "IV", "V"]
    } else {
        &["A", "B", "C", "D", "E"]
    };
    let letter = if l.letter == "V-" { "V" } else { l.letter };
    order.iter().position(|x| *x == letter).map(|i| i as i32)
}

/// Main measurements per domain, oldest first, the latest sitting per test and moment.
fn mains<'a>(results: &[&'a TestResult]) -> BTreeMap<&'static str, Vec<&'a TestResult>> {
    let mut latest: BTreeMap<(&'static str, &str, (&str, i32)), &TestResult> = BTreeMap::new();
    for r in results.iter().filter(|r| domain(r) != "none") {
        if let Some(m) = main_moment(r.afnamedatum) {
            let e = latest.entry((domain(r), &*r.toetscode, m)).or_insert(r);
            if r.afnamedatum >= e.afnamedatum {
                *e = r;
            }
        }
    }
    let mut out: BTreeMap<&'static str, Vec<&TestResult>> = BTreeMap::new();
    for ((d, _, _), r) in latest {
        out.entry(d).or_default().push(r);
    }
    for v in out.values_mut() {
        v.sort_by_key(|r| r.afnamedatum);
    }
    out
}

/// The value of reference score `code`, if any.
fn score<'a>(r: &'a TestResult, code: &str) -> Option<&'a str> {
    r.referentiescores
        .iter()
        .find(|s| &*s.code == code)
        .map(|s| &*s.waarde)
}

/// AVI level as a number: M3 1, E3 2, M4 3, …
fn avi(r: &TestResult) -> Option<i32> {
    let v = score(r, "AVI")?;
    let (kind, grade) = v.split_at(1);
    let grade: i32 = grade.parse().ok()?;
    Some((grade - 3) * 2 + if kind == "M" { 1 } else { 2 })
}

/// Learning rules on one domain's main measurements: (rule, eed, firing date). `grade` gives
/// the pupil's groep on a date.
fn learning(
    rs: &[&TestResult],
    grade: &dyn Fn(NaiveDate) -> u8,
    seven: bool,
) -> Vec<(&'static str, Option<&'static str>, NaiveDate)> {
    let mut out = Vec::new();
    let lv: Vec<Option<Level<'_>>> = rs.iter().map(|r| level(r)).collect();
    let n = rs.len();
    if n >= 3 && lv[n - 3..].iter().all(|l| l.as_ref().is_some_and(low)) {
        let l10: Vec<Option<bool>> = lv[n - 3..].iter().flatten().map(|l| lowest10(l, seven)).collect();
        let eed = if l10.iter().all(|x| *x == Some(true)) {
            "met"
        } else if l10.contains(&Some(false)) {
            "not_met"
        } else {
            "unknown"
        };
        if domain(rs[n - 1]) == "word_reading" {
            out.push(("dmt_three_lowest", Some(eed), rs[n - 1].afnamedatum));
        }
    }
    if n >= 2 {
        let (a, b) = (&lv[n - 2], &lv[n - 1]);
        if a.as_ref().is_some_and(low) && b.as_ref().is_some_and(low) {
            out.push(("lowest_level_repeated", None, rs[n - 1].afnamedatum));
        }
        // A drop of two bands; with a percentile on both, more than 1 SD of the norm group
        // (measurement error, issue 17).
        if let (Some(a), Some(b)) = (a, b)
            && a.scale == b.scale
            && let (Some(x), Some(y)) = (ordinal(a), ordinal(b))
            && y - x >= 2
            && match (a.pct, b.pct) {
                (Some(p), Some(q)) => probit(p) - probit(q) >= 1.0,
                _ => true,
            }
        {
            // Whether the drop ends low (V, V-, E or P≤20) rides along: only then does it ask for
            // a plan.
            let rule = if low(b) {
                "level_drop"
            } else {
                "level_drop:not_low"
            };
            out.push((rule, None, rs[n - 1].afnamedatum));
        }
        // Like with like: the latest score against the same round a year earlier, same scale,
        // fallen by more than the 5-point margin.
        let b = rs[n - 1];
        let year_before = main_moment(b.afnamedatum).map(|(k, y)| (k, y - 1));
        if let Some(a) = rs.iter().find(|a| {
            main_moment(a.afnamedatum) == year_before && a.vaardigheidsschaal == b.vaardigheidsschaal
        }) && let (Some(x), Some(y)) = (a.vaardigheidsscore, b.vaardigheidsscore)
            && y < x - 5.0
        {
            out.push(("no_growth", None, b.afnamedatum));
        }
    }
    // IEP: the latest round below 1F from groep 6 on.
    if let Some(last) = rs.last()
        && score(last, "RNTRM") == Some("<1F")
        && grade(last.afnamedatum) >= 6
    {
        out.push(("reference_level_low", None, last.afnamedatum));
    }
    // AVI: the last three rounds, none above the first.
    let levels: Vec<i32> = rs.iter().filter_map(|r| avi(r)).collect();
    if levels.len() == rs.len()
        && let Some(start) = (0..levels.len()).find(|&s| levels[s..].iter().all(|&l| l <= levels[s]))
        && levels.len() - start >= 3
    {
        out.push(("avi_stagnation", None, rs[n - 1].afnamedatum));
    }
    out
}

fn active(p: &Plan, on: NaiveDate) -> bool {
    p.startdatum <= on && p.einddatum.is_none_or(|e| e >= on)
}

/// Due date: the explicit date, else start + the period in school weeks: `7 × weeks` days that
/// are not in one of the school's `vakanties` are counted after the start.
fn due(p: &Plan, school: &School) -> NaiveDate {
    let weeks = match (p.zorgniveau.as_deref(), &*p.soort) {
        (Some("A1" | "A2"), _) | (None, "handelingsplan") => 6,
        (Some(_), "groepsplan") | (None, "groepsplan") => 12,
        _ => 8,
    };
    if let Some(d) = p.evaluatiedatum {
        return d;
    }
    let off = |d: NaiveDate| school.vakanties.iter().any(|v| v.van <= d && d <= v.tot);
    let (mut day, mut left) = (p.startdatum, 7 * weeks);
    while left > 0 {
        day = day + Days::new(1);
        if !off(day) {
            left -= 1;
        }
    }
    day
}

/// Which rules fire for one pupil, with their domain (None for pure plan rules).
fn fired(school: &School, pupil: u64, as_of: NaiveDate) -> Vec<(String, Option<String>, Option<String>)> {
    let results: Vec<&TestResult> = school
        .resultaten
        .iter()
        .filter(|r| r.leerling_id == pupil)
        .collect();
    let plans: Vec<&Plan> = school
        .plannen
        .iter()
        .filter(|p| p.leerling_id == Some(pupil))
        .collect();
    let memberships: Vec<_> = school
        .groepsindelingen
        .iter()
        .filter(|m| m.leerling == pupil)
        .collect();
    let grade = |on: NaiveDate| {
        memberships
            .iter()
            .filter(|m| m.vanaf_datum <= on && m.tot_datum.is_none_or(|t| t >= on))
            .max_by_key(|m| m.vanaf_datum)
            .map_or(0, |m| m.leerjaar)
    };
    // Signals the data showed before the previous school year ask for nothing (issue 16).
    let (now, _) = school_year(as_of);
    let mut out = Vec::new();
    let seven = results.iter().any(|r| score(r, "IV") == Some("I+"));
    // An established dyslexieverklaring (dated by as_of, or undated): no dyslexia advice again.
    let statement = school
        .dyslexieverklaringen
        .iter()
        .any(|v| v.leerling_id == pupil && v.datum.is_none_or(|d| d <= as_of));
    let per_domain: Vec<_> = mains(&results)
        .into_iter()
        .map(|(d, rs)| (d, learning(&rs, &grade, seven)))
        .collect();
    // The DMT signal covers word reading: no plan request there (issue 17).
    let dmt = !statement
        && per_domain
            .iter()
            .any(|(_, found)| found.iter().any(|(r, _, _)| *r == "dmt_three_lowest"));
    for (d, found) in per_domain {
        for (rule, eed, date) in found {
            if statement
                && d == "word_reading"
                && matches!(rule, "dmt_three_lowest" | "lowest_level_repeated")
            {
                continue;
            }
            if rule == "level_drop:not_low" {
                out.push(("level_drop".into(), Some(d.to_string()), None));
                continue;
            }
            out.push((rule.to_string(), Some(d.to_string()), eed.map(String::from)));
            if rule == "dmt_three_lowest" && eed == Some("met") {
                out.push(("eed_check".into(), Some(d.to_string()), None));
            }
            let covered = plans
                .iter()
                .any(|p| active(p, as_of) && p.domein.as_deref() == Some(d));
            if date + Days::new(42) <= as_of
                && !covered
                && rule != "no_growth"
                && !(d == "word_reading" && dmt)
                && school_year(date).0 >= now - 1
            {
                out.push(("signal_without_plan".into(), Some(d.to_string()), None));
            }
        }
    }
    for p in plans.iter().filter(|p| active(p, as_of)) {
        // An OPP without a date of its own is evaluated at the school's frequency (below).
        if &*p.soort == "opp" && p.evaluatiedatum.is_none() {
            continue;
        }
        let d = due(p, school);
        if d >= as_of && d <= as_of + Days::new(7) {
            out.push(("plan_evaluation_due".into(), None, None));
        }
        if d < as_of && !p.evaluaties.iter().any(|e| e.datum >= d) {
            out.push(("plan_evaluation_overdue".into(), None, None));
        }
    }
    // OPPs: the school's own frequency (twice a year on the abcd, niveaus-1-6 and niveaus-1-4
    // presets: 31 January and 15 June), one evaluation per deadline, reminded from 30 days before;
    // last school year's 15 June still owed when that whole year had no evaluation.
    let ymd = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let sy = if as_of.month() >= 8 {
        as_of.year()
    } else {
        as_of.year() - 1
    };
    let twice = matches!(
        school.care_ladder.as_str(),
        "abcd" | "niveaus-1-6" | "niveaus-1-4"
    );
    let deadlines = if twice {
        vec![ymd(sy + 1, 1, 31), ymd(sy + 1, 6, 15)]
    } else {
        vec![ymd(sy + 1, 6, 15)]
    };
    for p in plans.iter().filter(|p| &*p.soort == "opp" && active(p, as_of)) {
        let mut evals: Vec<NaiveDate> = p
            .evaluaties
            .iter()
            .map(|e| e.datum)
            .filter(|d| *d >= ymd(sy, 8, 1) && *d <= as_of)
            .collect();
        evals.sort();
        let (mut from, mut used) = (ymd(sy, 8, 1), 0);
        let mut fires = false;
        for d in &deadlines {
            if p.startdatum + Days::new(56) <= *d {
                match evals.iter().skip(used).position(|e| *e >= from) {
                    Some(i) => used += i + 1,
                    None => fires |= as_of + Days::new(30) >= *d,
                }
            }
            from = *d + Days::new(1);
        }
        let last_june = ymd(sy, 6, 15);
        if p.startdatum + Days::new(56) <= last_june
            && active(p, last_june)
            && !p
                .evaluaties
                .iter()
                .any(|e| e.datum >= ymd(sy - 1, 8, 1) && e.datum <= as_of)
        {
            fires = true;
        }
        if fires {
            out.push(("opp_yearly_evaluation".into(), None, None));
        }
    }
    let mut by_domain: BTreeMap<&str, Vec<&Plan>> = BTreeMap::new();
    for p in plans.iter().filter(|p| !p.evaluaties.is_empty()) {
        by_domain
            .entry(p.domein.as_deref().unwrap_or(""))
            .or_default()
            .push(p);
    }
    for (d, mut ps) in by_domain {
        ps.sort_by_key(|p| p.startdatum);
        let failed = |p: &Plan| {
            p.evaluaties
                .last()
                .is_some_and(|e| &*e.uitkomst == "niet_behaald")
        };
        if let [.., a, b] = ps.as_slice()
            && failed(a)
            && failed(b)
            && a.zorgniveau == b.zorgniveau
        {
            out.push(("plan_ineffective".into(), Some(d.to_string()), None));
        }
    }
    out.extend(absence_rules(school, pupil, as_of));
    out.extend(gifted(&results, &plans, as_of));
    out.extend(dyscalculia(&results, as_of));
    out.extend(opp_procedure(school, &plans, as_of));
    out.extend(social_emotional_rules(school, pupil, as_of));
    // After every other rule: only while nothing else is signalled for the pupil.
    if out.is_empty() {
        out.extend(concern(school, pupil, &plans, as_of));
    }
    out
}

/// The social-emotional rules (issue 18 item 1), read plainly. Per instrument and scale, the
/// measurements up to `as_of` in date order, each category as its rank from the most concerning
/// (ZIEN! rood 0, oranje 1, groen 2; KanVAS zeer laag 0 … zeer hoog 4; KiVa zorgelijk 0, aandacht
/// 1, goed 2). Low: the last two both rank 0; drop: the last one two ranks or more below the one
/// before; both only with the last of this or last school year. Not measured: from 15 November of
/// the school year of `as_of`, one of those two fires and the pupil has no measurement in that
/// school year.
fn social_emotional_rules(
    school: &School,
    pupil: u64,
    as_of: NaiveDate,
) -> Vec<(String, Option<String>, Option<String>)> {
    let rank = |instrument: &str, category: &str| -> i32 {
        let order: &[&str] = match instrument {
            "ZIEN!" => &["rood", "oranje", "groen"],
            "KanVAS" => &["zeer laag", "laag", "gemiddeld", "hoog", "zeer hoog"],
            _ => &["zorgelijk", "aandacht", "goed"],
        };
        order.iter().position(|c| *c == category).map_or(99, |i| i as i32)
    };
    let (now, _) = school_year(as_of);
    let mut series: BTreeMap<(String, String), Vec<(NaiveDate, i32)>> = BTreeMap::new();
    for m in school
        .sociaal_emotioneel
        .iter()
        .filter(|m| m.leerling_id == pupil && m.afnamedatum <= as_of)
    {
        series
            .entry((m.instrument.clone(), m.schaal.clone()))
            .or_default()
            .push((m.afnamedatum, rank(&m.instrument, &m.categorie)));
    }
    let mut low = false;
    let mut drop = false;
    for s in series.values_mut() {
        s.sort();
        if let [.., (_, a), (day, b)] = s.as_slice()
            && school_year(*day).0 >= now - 1
        {
            low |= *a == 0 && *b == 0;
            drop |= a - b >= 2;
        }
    }
    let mut out = Vec::new();
    if low {
        out.push(("social_emotional_low".to_string(), None, None));
    }
    if drop {
        out.push(("social_emotional_drop".to_string(), None, None));
    }
    let measured_now = series.values().flatten().any(|(d, _)| school_year(*d).0 == now);
    let due = NaiveDate::from_ymd_opt(now, 11, 15).expect("date");
    if (low || drop) && !measured_now && as_of >= due {
        out.push(("social_emotional_not_measured".to_string(), None, None));
    }
    out
}

/// The OPP procedure (issue 18 item 5), read plainly: for a running OPP with a besluitdatum, not
/// drawn up by `as_of` and `as_of` past 6 school weeks after the decision; drawn up by `as_of`,
/// no parents' agreement by `as_of` and `as_of` past 4 school weeks after the drawing up. A school
/// week is 7 days that are not in one of the school's `vakanties`. Without a besluitdatum nothing.
fn opp_procedure(
    school: &School,
    plans: &[&Plan],
    as_of: NaiveDate,
) -> Vec<(String, Option<String>, Option<String>)> {
    let off = |d: NaiveDate| school.vakanties.iter().any(|v| v.van <= d && d <= v.tot);
    let weeks_after = |from: NaiveDate, weeks: u32| {
        let (mut day, mut left) = (from, 7 * weeks);
        while left > 0 {
            day = day + Days::new(1);
            if !off(day) {
                left -= 1;
            }
        }
        day
    };
    let by = |d: Option<NaiveDate>| d.is_some_and(|d| d <= as_of);
    let mut out = Vec::new();
    for p in plans.iter().filter(|p| &*p.soort == "opp" && active(p, as_of)) {
        let Some(decided) = p.besluitdatum.filter(|d| *d <= as_of) else {
            continue;
        };
        if !by(p.opgesteld_op) && as_of > weeks_after(decided, 6) {
            out.push(("opp_not_drawn_up".into(), None, None));
        }
        if let Some(drawn) = p.opgesteld_op.filter(|d| *d <= as_of)
            && !by(p.instemming_ouders)
            && as_of > weeks_after(drawn, 4)
        {
            out.push(("opp_parents_agreement".into(), None, None));
        }
    }
    out
}

/// `dyscalculia_check` (issue 18 item 3, ERWD), read plainly: the last three rekenen main
/// sittings are each in the lowest 10 % (a percentile decides, else V- or E), and the latest TTR
/// of this or last school year is too (P10 or lower, else V- or E).
fn dyscalculia(results: &[&TestResult], as_of: NaiveDate) -> Vec<(String, Option<String>, Option<String>)> {
    let (now, _) = school_year(as_of);
    let lowest = |r: &TestResult| match score(r, "PC").and_then(|p| p.parse::<u32>().ok()) {
        Some(p) => p <= 10,
        None => matches!(score(r, "IV").or(score(r, "AE")), Some("V-" | "E")),
    };
    let maths = mains(results).remove("mathematics").unwrap_or_default();
    let three = maths.len() >= 3 && maths[maths.len() - 3..].iter().all(|r| lowest(r));
    let ttr = results
        .iter()
        .filter(|r| {
            &*r.toetscode == "TTR" && r.afnamedatum <= as_of && school_year(r.afnamedatum).0 >= now - 1
        })
        .max_by_key(|r| r.afnamedatum);
    if three && ttr.is_some_and(|r| lowest(r)) {
        vec![("dyscalculia_check".into(), Some("mathematics".into()), None)]
    } else {
        Vec::new()
    }
}

/// `concern_notes` (issue 18 item 6c), read plainly: the pupil's notes (ParnasSys and Leeruniek)
/// with "zorgen", "welbevinden" or "gedrag" as a step of the category path; three of them with
/// the third within 42 days of the first, the latest such three in the current school year; silent
/// while a plan of the pupil's own runs (the caller checks that no other rule fired).
fn concern(
    school: &School,
    pupil: u64,
    plans: &[&Plan],
    as_of: NaiveDate,
) -> Vec<(String, Option<String>, Option<String>)> {
    let is_concern = |path: &[&str]| {
        path.iter().any(|s| {
            matches!(
                s.trim().to_lowercase().as_str(),
                "zorgen" | "welbevinden" | "gedrag"
            )
        })
    };
    let mut dates: Vec<NaiveDate> = school
        .notities
        .iter()
        .filter(|n| n.leerling_id == pupil && n.aangemaakt_op <= as_of)
        .filter(|n| is_concern(&n.categorie.iter().map(|c| &**c).collect::<Vec<&str>>()))
        .map(|n| n.aangemaakt_op)
        .collect();
    for n in school
        .lu_notes
        .iter()
        .filter(|n| n.pupil_id == pupil && n.date_created <= as_of)
    {
        let path = school
            .lu_note_categories
            .iter()
            .find(|c| c.id == n.category_id)
            .map(|c| c.path.iter().map(String::as_str).collect::<Vec<&str>>())
            .unwrap_or_default();
        if is_concern(&path) {
            dates.push(n.date_created);
        }
    }
    dates.sort();
    let year = school_year(as_of).0;
    let repeated = dates
        .windows(3)
        .rfind(|w| w[2] < w[0] + Days::new(42))
        .is_some_and(|w| school_year(w[2]).0 == year);
    if repeated && !plans.iter().any(|p| active(p, as_of)) {
        vec![("concern_notes".into(), None, None)]
    } else {
        Vec::new()
    }
}

/// `gifted_candidate` (issue 18 item 4), read plainly: in rekenen or begrijpend lezen the last
/// two main sittings are the M and E of one school year (this one or the last), each P90 or more
/// (a percentile decides) or else I+; silent while an own plan runs in that domain or any plan
/// titled as a plusaanbod.
fn gifted(
    results: &[&TestResult],
    plans: &[&Plan],
    as_of: NaiveDate,
) -> Vec<(String, Option<String>, Option<String>)> {
    let (now, _) = school_year(as_of);
    let top = |r: &TestResult| match score(r, "PC").and_then(|p| p.parse::<u32>().ok()) {
        Some(p) => p >= 90,
        None => score(r, "IV") == Some("I+"),
    };
    let hits: Vec<&str> = mains(results)
        .into_iter()
        .filter(|(d, _)| matches!(*d, "mathematics" | "reading_comprehension"))
        .filter_map(|(d, rs)| {
            let [.., a, b] = rs.as_slice() else {
                return None;
            };
            let (ma, mb) = (main_moment(a.afnamedatum)?, main_moment(b.afnamedatum)?);
            (ma == ("M", mb.1) && mb.0 == "E" && mb.1 >= now - 1 && top(a) && top(b)).then_some(d)
        })
        .collect();
    let plus = [
        "plusaanbod",
        "plusklas",
        "plusgroep",
        "verrijk",
        "compact",
        "meerbegaafd",
    ];
    let in_plan = plans.iter().any(|p| {
        active(p, as_of)
            && (plus.iter().any(|w| p.titel.to_lowercase().contains(w))
                || p.domein.as_deref().is_some_and(|d| hits.contains(&d)))
    });
    if hits.is_empty() || in_plan {
        Vec::new()
    } else {
        vec![("gifted_candidate".into(), None, None)]
    }
}

/// The verzuim rules (issue 18), read plainly: unauthorised hours in any 28 days from an absence
/// on reaching 16 in the current school year; four ziekmeldingen (sick weekdays in a row count
/// once) starting within 84 days, the latest such cluster reached in the current school year.
fn absence_rules(
    school: &School,
    pupil: u64,
    as_of: NaiveDate,
) -> Vec<(String, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    let mine: Vec<_> = school
        .verzuim
        .iter()
        .filter(|a| a.leerling_id == pupil && a.datum <= as_of)
        .collect();
    let year = school_year(as_of).0;
    let mut days: Vec<(NaiveDate, f64)> = mine
        .iter()
        .filter(|a| a.soort == "ongeoorloofd")
        .map(|a| (a.datum, a.uren))
        .collect();
    days.sort_by_key(|d| d.0);
    let reported = days.iter().enumerate().any(|(i, (start, _))| {
        let mut total = 0.0;
        days[i..]
            .iter()
            .take_while(|(d, _)| *d < *start + Days::new(28))
            .any(|(d, h)| {
                total += h;
                total >= 16.0 && school_year(*d).0 == year
            })
    });
    if reported {
        out.push(("unauthorised_absence".to_string(), None, None));
    }
    let mut sick: Vec<NaiveDate> = mine
        .iter()
        .filter(|a| a.soort == "ziek")
        .map(|a| a.datum)
        .collect();
    sick.sort();
    let mut starts: Vec<NaiveDate> = Vec::new();
    let mut prev: Option<NaiveDate> = None;
    for d in sick {
        let next_weekday = prev.map(|p| {
            let mut n = p + Days::new(1);
            while n.weekday().number_from_monday() > 5 {
                n = n + Days::new(1);
            }
            n
        });
        if next_weekday != Some(d) {
            starts.push(d);
        }
        prev = Some(d);
    }
    let frequent = starts
        .windows(4)
        .rfind(|w| w[3] < w[0] + Days::new(84))
        .is_some_and(|w| school_year(w[3]).0 == year);
    if frequent {
        out.push(("frequent_sick_absence".to_string(), None, None));
    }
    out
}

#[test]
fn an_independent_checker_agrees_with_every_planted_expectation() {
    for as_of in [
        "2026-11-20",
        "2027-03-01",
        "2026-07-01",
        "2027-06-20",
        "2025-10-05",
        "2026-06-01",
        "2027-05-16",
        "2026-06-15",
    ] {
        let as_of: NaiveDate = as_of.parse().expect("date");
        let (ds, expected) = generate(&mocks::GenParams {
            as_of,
            ..small_params(21)
        });
        assert!(!expected.is_empty());
        check_all(&ds, &expected);
    }
}

/// Which group-plan rules fire for a group, with the plan's domain: a Leeruniek group plan is due
/// at its own evaluation date (else its end); a ParnasSys group plan at its `evaluatiedatum`, else
/// start + 12 school weeks. Only plans running on `as_of` and not evaluated within their period.
fn fired_group(
    school: &School,
    group: u64,
    as_of: NaiveDate,
) -> Vec<(String, Option<String>, Option<String>)> {
    let mut plans: Vec<(NaiveDate, bool, String)> = Vec::new();
    for p in school.lu_group_plans.iter().filter(|p| p.group_id == group) {
        if p.start_date <= as_of && p.end_date >= as_of {
            let evaluated = p
                .evaluations
                .iter()
                .any(|e| e.date >= p.start_date && e.date <= as_of);
            plans.push((p.evaluation_date, evaluated, p.domain.to_string()));
        }
    }
    for p in school
        .plannen
        .iter()
        .filter(|p| p.leerling_id.is_none() && p.groep_id == Some(group) && active(p, as_of))
    {
        let evaluated = p
            .evaluaties
            .iter()
            .any(|e| e.datum >= p.startdatum && e.datum <= as_of);
        let domain = p.domein.as_deref().unwrap_or_default().to_string();
        plans.push((due(p, school), evaluated, domain));
    }
    let mut out = Vec::new();
    for (due, evaluated, domain) in plans {
        if evaluated {
            continue;
        }
        if due >= as_of && due <= as_of + Days::new(7) {
            out.push(("plan_evaluation_due".into(), Some(domain.clone()), None));
        }
        if due < as_of {
            out.push(("plan_evaluation_overdue".into(), Some(domain), None));
        }
    }
    out
}

fn check_all(ds: &mocks::Dataset, expected: &[mocks::Expected]) {
    for e in expected {
        let school = ds.schools.iter().find(|s| s.brin == e.school).expect("school");
        let pupil: u64 = e.pupil_id.parse().expect("id");
        let fired = match &e.group_id {
            // A group has several plans: each case names its plan's domain.
            Some(g) => fired_group(school, g.parse().expect("group id"), e.as_of)
                .into_iter()
                .filter(|(_, d, _)| *d == e.domain)
                .collect(),
            None => fired(school, pupil, e.as_of),
        };
        let hits: Vec<_> = fired.into_iter().filter(|(r, _, _)| *r == e.rule).collect();
        let matching: Vec<_> = hits
            .iter()
            .filter(|(_, d, _)| e.domain.is_none() || *d == e.domain)
            .collect();
        match e.expect.as_str() {
            "fires" => {
                assert!(!matching.is_empty(), "{} should fire: {}", e.rule, e.description);
                if e.rule == "dmt_three_lowest" {
                    assert_eq!(matching[0].2, e.eed_criterion, "eed of {}", e.description);
                }
            }
            _ => assert!(
                hits.is_empty(),
                "{} should be silent: {} ({hits:?})",
                e.rule,
                e.description
            ),
        }
    }
}
