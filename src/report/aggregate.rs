//! The pure aggregation: [`ReportInput`] → [`BoardReport`]. Counts per school and for the board
//! over the reported school year and the previous one, then small-cell suppression over every
//! published relation (parts and totals, schools and the board), then the percentages and medians
//! that the suppressed counts still allow.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};

use super::model::{
    BoardReport, Figure, PLAN_KINDS, ReportInput, SchoolHeader, SchoolInput, TIERS, Unit, Value, tier_name,
};
use super::suppress::{Mark, suppress};
use super::timeliness::{Timeliness, classify, due_date, median};
use crate::domain::{PlanKind, SchoolYear};
use crate::rules::signal_without_plan::{PlanSpan, asks_for_plan, plan_in_time, plan_term_end};
use crate::store::{ReportPlan, ReportSignal};

/// The plans covering a pupil (his own and the group plans of his groups), as the rules see them.
pub fn plan_spans(plans: &[ReportPlan], pupil_id: i64) -> impl Iterator<Item = PlanSpan> + '_ {
    plans
        .iter()
        .filter(move |pl| pl.covers_pupil(pupil_id))
        .map(|pl| PlanSpan {
            domain: pl.domain,
            start: pl.start,
            end: pl.end,
        })
}

/// Peildatum of the reported year: `as_of`, capped to the year's last day.
pub fn reference_date(year: SchoolYear, as_of: NaiveDate) -> NaiveDate {
    as_of.min(year.last_day())
}

/// Peildatum of the previous year: the same day one year earlier, capped to that year's last day.
pub fn previous_reference_date(year: SchoolYear, as_of: NaiveDate) -> NaiveDate {
    let current = reference_date(year, as_of);
    current
        .checked_sub_months(Months::new(12))
        .unwrap_or(current)
        .min(year.previous().last_day())
}

/// Raw counts of one unit in one year, plus the late-day list for the median.
#[derive(Debug, Default)]
struct Tally {
    counts: BTreeMap<String, u64>,
    late_days: Vec<u32>,
}

impl Tally {
    fn add(&mut self, key: impl Into<String>, n: u64) {
        *self.counts.entry(key.into()).or_default() += n;
    }
}

/// Every count key of a unit, in report order (levels only for a school's own ladder).
pub(crate) fn count_keys(school: Option<&SchoolInput>, rules: &[String]) -> Vec<String> {
    let mut keys = vec!["pupils".to_owned()];
    if let Some(s) = school {
        keys.extend(s.ladder.levels.iter().map(|l| format!("level:{}", l.code)));
    }
    keys.extend(TIERS.iter().map(|t| format!("tier:{}", tier_name(*t))));
    keys.extend(rules.iter().map(|r| format!("signals_new:{r}")));
    keys.push("signals_new_total".into());
    keys.extend(rules.iter().map(|r| format!("signals_open:{r}")));
    keys.push("signals_open_total".into());
    keys.push("eed_checks_opened".into());
    keys.extend(PLAN_KINDS.iter().map(|k| format!("plans_active:{}", k.as_str())));
    for k in ["on_time", "late", "missing"] {
        keys.push(format!("evaluations:{k}"));
    }
    keys.push("evaluations_total".into());
    for k in ["with", "without"] {
        keys.push(format!("signal_plan:{k}"));
    }
    keys.push("signal_plan_total".into());
    keys
}

/// Counts one school in one year, known at the end of `reference`.
fn tally_school(
    s: &SchoolInput,
    year: SchoolYear,
    reference: NaiveDate,
    grace: u32,
    rules: &[String],
) -> Tally {
    let mut t = Tally::default();
    for key in count_keys(Some(s), rules) {
        t.add(key, 0);
    }
    let in_year = |d: NaiveDate| year.first_day() <= d && d <= reference;
    let active =
        |start: NaiveDate, end: Option<NaiveDate>| start <= reference && end.is_none_or(|e| reference <= e);

    for p in s.pupils.iter().filter(|p| p.enrolled_on(reference)) {
        t.add("pupils", 1);
        let position = s
            .plans
            .iter()
            .filter(|pl| pl.pupil_id == Some(p.id) && pl.kind != PlanKind::GroupPlan)
            .filter(|pl| active(pl.start, pl.end))
            .filter_map(|pl| pl.care_level.as_deref().and_then(|c| s.ladder.position(c)))
            .max()
            .unwrap_or(0);
        if let Some(level) = s.ladder.levels.get(position) {
            t.add(format!("level:{}", level.code), 1);
            t.add(format!("tier:{}", tier_name(level.tier)), 1);
        }
    }
    for sig in &s.signals {
        if in_year(sig.opened_on) {
            t.add(format!("signals_new:{}", sig.rule), 1);
            t.add("signals_new_total", 1);
            if is_ed_check(sig) {
                t.add("eed_checks_opened", 1);
            }
        }
        if sig.open_on(reference) {
            t.add(format!("signals_open:{}", sig.rule), 1);
            t.add("signals_open_total", 1);
        }
        // "Plan binnen 6 weken", one definition with the rule and the /bestuur page.
        let weeks = s.params.signal_without_plan.weeks;
        if let (true, Some(domain)) = (asks_for_plan(&sig.rule), sig.domain)
            && in_year(sig.opened_on)
            && plan_term_end(sig.opened_on, weeks) <= reference
        {
            let got_plan = plan_in_time(sig.opened_on, weeks, domain, plan_spans(&s.plans, sig.pupil_id));
            t.add(
                if got_plan {
                    "signal_plan:with"
                } else {
                    "signal_plan:without"
                },
                1,
            );
            t.add("signal_plan_total", 1);
        }
    }
    for pl in &s.plans {
        if active(pl.start, pl.end) {
            t.add(format!("plans_active:{}", pl.kind.as_str()), 1);
        }
        let due = due_date(pl, &s.ladder, &s.params);
        if !in_year(due) {
            continue;
        }
        let key = match classify(pl, due, grace, reference) {
            Timeliness::OnTime => "on_time",
            Timeliness::Late(days) => {
                t.late_days.push(days);
                "late"
            }
            Timeliness::Missing => "missing",
            Timeliness::Pending => continue,
        };
        t.add(format!("evaluations:{key}"), 1);
        t.add("evaluations_total", 1);
    }
    t
}

/// New signals per calendar month of the board, `month:YYYY-MM`, from August up to `reference`.
fn tally_months(input: &ReportInput, year: SchoolYear, reference: NaiveDate) -> BTreeMap<String, u64> {
    let mut months = BTreeMap::new();
    let mut m = year.first_day();
    while m <= reference {
        months.insert(month_key(m), 0);
        m = m.checked_add_months(Months::new(1)).unwrap_or(NaiveDate::MAX);
    }
    for s in &input.schools {
        for sig in s
            .signals
            .iter()
            .filter(|x| year.first_day() <= x.opened_on && x.opened_on <= reference)
        {
            *months.entry(month_key(sig.opened_on)).or_default() += 1;
        }
    }
    months
}

/// `month:2025-09`.
pub fn month_key(d: NaiveDate) -> String {
    format!("month:{:04}-{:02}", d.year(), d.month())
}

/// Builds the report: counts, suppression, percentages and medians.
pub fn aggregate(input: &ReportInput) -> BoardReport {
    let mut rules = input.rules.clone();
    for s in &input.schools {
        for sig in &s.signals {
            if !rules.contains(&sig.rule) {
                rules.push(sig.rule.clone());
            }
        }
    }
    let year = input.school_year;
    let years = [
        (year, reference_date(year, input.as_of)),
        (year.previous(), previous_reference_date(year, input.as_of)),
    ];

    // Cells in publication order, with the relations an attacker could subtract along.
    let mut cells: Vec<(Unit, SchoolYear, String, u64)> = Vec::new();
    let mut index: BTreeMap<(Unit, SchoolYear, String), usize> = BTreeMap::new();
    let mut late: BTreeMap<(Unit, SchoolYear), Vec<u32>> = BTreeMap::new();
    let mut push = |cells: &mut Vec<_>, unit: &Unit, y: SchoolYear, key: &str, v: u64| {
        index.insert((unit.clone(), y, key.to_owned()), cells.len());
        cells.push((unit.clone(), y, key.to_owned(), v));
    };
    for (y, reference) in years {
        let mut board = Tally::default();
        for s in &input.schools {
            let t = tally_school(s, y, reference, input.grace_days, &rules);
            let unit = Unit::School(s.brin.clone());
            for key in count_keys(Some(s), &rules) {
                let v = t.counts.get(&key).copied().unwrap_or(0);
                push(&mut cells, &unit, y, &key, v);
                if !key.starts_with("level:") {
                    board.add(key, v);
                }
            }
            board.late_days.extend(&t.late_days);
            late.insert((unit, y), t.late_days);
        }
        for key in count_keys(None, &rules) {
            push(
                &mut cells,
                &Unit::Board,
                y,
                &key,
                board.counts.get(&key).copied().unwrap_or(0),
            );
        }
        for (key, v) in tally_months(input, y, reference) {
            push(&mut cells, &Unit::Board, y, &key, v);
        }
        late.insert((Unit::Board, y), board.late_days);
    }
    let relations = super::relations::relations(input, &rules, &years.map(|(y, _)| y), &cells, &index);
    let values: Vec<u64> = cells.iter().map(|c| c.3).collect();
    let marks = suppress(&values, &relations, input.threshold);

    let mut figures: Vec<Figure> = cells
        .iter()
        .zip(&marks)
        .map(|((unit, y, key, v), mark)| Figure {
            unit: unit.clone(),
            measure: key.clone(),
            school_year: *y,
            value: match mark {
                Mark::Shown => Value::Count(*v),
                Mark::Small => Value::Small(input.threshold),
                Mark::Hidden => Value::Hidden,
            },
        })
        .collect();
    let derived = derived_figures(&figures, &late);
    figures.extend(derived);

    BoardReport {
        board_name: input.board_name.clone(),
        school_year: year,
        previous_year: year.previous(),
        as_of: years[0].1,
        previous_as_of: years[1].1,
        threshold: input.threshold,
        grace_days: input.grace_days,
        rules,
        schools: input
            .schools
            .iter()
            .map(|s| SchoolHeader {
                brin: s.brin.clone(),
                name: s.name.clone(),
                levels: s
                    .ladder
                    .levels
                    .iter()
                    .map(|l| (l.code.clone(), l.name.clone()))
                    .collect(),
            })
            .collect(),
        figures,
        sync: input
            .schools
            .iter()
            .flat_map(|s| s.sync.iter().map(|h| (s.brin.clone(), h.clone())))
            .collect(),
    }
}

/// Percentages and medians that the published counts allow: a share only when its part and its
/// total are both shown exactly; a median of days late only when the late count is shown.
fn derived_figures(figures: &[Figure], late: &BTreeMap<(Unit, SchoolYear), Vec<u32>>) -> Vec<Figure> {
    let get = |u: &Unit, y: SchoolYear, m: &str| {
        figures
            .iter()
            .find(|f| &f.unit == u && f.school_year == y && f.measure == m)
            .map_or(Value::None, |f| f.value)
    };
    let share = |part: Value, total: Value| match (part.count(), total.count()) {
        (Some(p), Some(t)) if t > 0 => Value::Percent(p as f64 * 100.0 / t as f64),
        _ => Value::None,
    };
    let mut out = Vec::new();
    for (unit, y) in late.keys() {
        let y = *y;
        let mut add = |measure: String, value: Value| {
            out.push(Figure {
                unit: unit.clone(),
                measure,
                school_year: y,
                value,
            });
        };
        let total = get(unit, y, "evaluations_total");
        for k in ["on_time", "late", "missing"] {
            add(
                format!("evaluations_pct:{k}"),
                share(get(unit, y, &format!("evaluations:{k}")), total),
            );
        }
        let median_days = match get(unit, y, "evaluations:late").count() {
            Some(n) if n > 0 => late
                .get(&(unit.clone(), y))
                .and_then(|d| median(d))
                .map_or(Value::None, Value::Days),
            _ => Value::None,
        };
        add("evaluations_median_days_late".into(), median_days);
        add(
            "signal_plan_pct".into(),
            share(
                get(unit, y, "signal_plan:with"),
                get(unit, y, "signal_plan_total"),
            ),
        );
    }
    out
}

/// Whether a signal is an ED dossier check (`eed_checks_opened`): an `eed_check` signal, or a
/// DMT signal with the criterion met of a version that carries the check as its task.
fn is_ed_check(sig: &ReportSignal) -> bool {
    use crate::rules::{dmt_three_lowest, eed_check};
    sig.rule == eed_check::RULE_ID
        || (sig.rule == dmt_three_lowest::RULE_ID
            && sig.eed_criterion == Some(crate::domain::EedCriterion::Met)
            && sig.rule_version >= dmt_three_lowest::CARRIES_ED_CHECK_SINCE)
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
