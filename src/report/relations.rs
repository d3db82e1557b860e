//! The public sum relations of a report (parts → total within a unit, schools → board, months →
//! the board's new signals): the lines along which an attacker could subtract, and therefore
//! what secondary suppression has to cover.

use std::collections::BTreeMap;

use super::model::{ReportInput, SchoolInput, Unit};
use super::model::{TIERS, tier_name};
use crate::domain::{NationalTier, SchoolYear};

/// Every public sum relation between cells: within a unit (parts → total) and across schools
/// (schools → board), per year.
pub(crate) fn relations(
    input: &ReportInput,
    rules: &[String],
    years: &[SchoolYear],
    cells: &[(Unit, SchoolYear, String, u64)],
    index: &BTreeMap<(Unit, SchoolYear, String), usize>,
) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for &y in years {
        let at = |unit: &Unit, key: &str| index.get(&(unit.clone(), y, key.to_owned())).copied();
        let mut units: Vec<(Unit, Option<&SchoolInput>)> = input
            .schools
            .iter()
            .map(|s| (Unit::School(s.brin.clone()), Some(s)))
            .collect();
        units.push((Unit::Board, None));
        for (unit, school) in &units {
            let rel = |keys: Vec<String>, total: &str| -> Vec<usize> {
                keys.iter()
                    .filter_map(|k| at(unit, k))
                    .chain(at(unit, total))
                    .collect()
            };
            let tiers: Vec<String> = TIERS.iter().map(|t| format!("tier:{}", tier_name(*t))).collect();
            out.push(rel(tiers, "pupils"));
            if let Some(s) = school {
                let levels = |tier: Option<NationalTier>| -> Vec<String> {
                    s.ladder
                        .levels
                        .iter()
                        .filter(|l| tier.is_none_or(|t| l.tier == t))
                        .map(|l| format!("level:{}", l.code))
                        .collect()
                };
                out.push(rel(levels(None), "pupils"));
                for t in TIERS {
                    out.push(rel(levels(Some(t)), &format!("tier:{}", tier_name(t))));
                }
            }
            out.push(rel(
                rules.iter().map(|r| format!("signals_new:{r}")).collect(),
                "signals_new_total",
            ));
            out.push(rel(
                rules.iter().map(|r| format!("signals_open:{r}")).collect(),
                "signals_open_total",
            ));
            // `eed_checks_opened` is no sum of published cells since the ED check is the DMT
            // signal's task (`dmt_three_lowest` version 4): it counts DMT signals with the
            // criterion met, which the report does not publish apart.
            let ev = ["on_time", "late", "missing"]
                .map(|k| format!("evaluations:{k}"))
                .to_vec();
            out.push(rel(ev, "evaluations_total"));
            let sp = ["with", "without"].map(|k| format!("signal_plan:{k}")).to_vec();
            out.push(rel(sp, "signal_plan_total"));
        }
        // Schools add up to the board, measure by measure.
        for (i, (unit, cy, key, _)) in cells.iter().enumerate() {
            if *unit != Unit::Board || *cy != y || key.starts_with("month:") {
                continue;
            }
            let mut rel: Vec<usize> = input
                .schools
                .iter()
                .filter_map(|s| at(&Unit::School(s.brin.clone()), key))
                .collect();
            rel.push(i);
            out.push(rel);
        }
        // Months add up to the board's new signals.
        let mut months: Vec<usize> = cells
            .iter()
            .enumerate()
            .filter(|(_, (u, cy, k, _))| *u == Unit::Board && *cy == y && k.starts_with("month:"))
            .map(|(i, _)| i)
            .collect();
        months.extend(at(&Unit::Board, "signals_new_total"));
        out.push(months);
    }
    out.retain(|r| r.len() > 1);
    out
}
