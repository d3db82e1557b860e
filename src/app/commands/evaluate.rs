//! `zorgsignaal evaluate`: runs every rule for the configured schools as of a date.

use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;

use crate::app::evaluate::{SchoolEvaluationSummary, evaluate_schools};
use crate::app::{open_store, today_amsterdam};
use crate::domain::Brin;
use crate::rules::text;
use crate::settings::Settings;

/// `zorgsignaal evaluate`: runs every rule for the configured schools as of a date and prints
/// the counts per rule.
pub async fn evaluate(
    settings: &Settings,
    as_of: Option<NaiveDate>,
    school: Option<&Brin>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let as_of = as_of.unwrap_or_else(today_amsterdam);
    let store = open_store(settings).await.context("opening the store")?;
    let summaries = evaluate_schools(store.as_ref(), settings, school, as_of).await?;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
        return Ok(ExitCode::SUCCESS);
    }
    for line in evaluation_lines(&summaries, as_of) {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The Dutch lines `evaluate` prints: the date, per school the counts (singular and plural right)
/// and the findings per rule by their Dutch name.
pub fn evaluation_lines(summaries: &[SchoolEvaluationSummary], as_of: NaiveDate) -> Vec<String> {
    let mut out = vec![format!("Evaluatie per {}", text::date(as_of))];
    for s in summaries {
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        out.push(format!(
            "{}: {}, {}, {} bijgewerkt, {} ongewijzigd, {}",
            s.school,
            text::plural(n(s.pupils), "leerling", "leerlingen"),
            text::plural(n(s.signals_created), "nieuw signaal", "nieuwe signalen"),
            s.signals_updated,
            s.signals_unchanged,
            text::plural(n(s.tasks_created), "nieuwe taak", "nieuwe taken"),
        ));
        for (rule, count) in &s.findings_per_rule {
            out.push(format!("  {:<34} {count}", text::rule_label(rule)));
        }
        if s.owner_reminders > 0 {
            out.push(format!(
                "  ({} aan de planeigenaar: alleen een taak, geen signaal)",
                text::plural(
                    n(s.owner_reminders),
                    "evaluatieherinnering",
                    "evaluatieherinneringen"
                )
            ));
        }
        if s.signals_resolved > 0 {
            out.push(format!(
                "  ({} opgelost: wat ontbrak is vastgelegd)",
                text::plural(n(s.signals_resolved), "herinnering", "herinneringen")
            ));
        }
        if s.unknown_tests > 0 {
            out.push(format!(
                "  ({} van toetsen zonder leerdomein genegeerd)",
                text::plural(n(s.unknown_tests), "resultaat", "resultaten")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16 item 14: what `evaluate` prints reads Dutch for every count, with a Dutch date
    /// and the rules by their Dutch name.
    #[test]
    fn evaluation_lines_are_dutch_for_every_count() {
        for n in [0, 1, 2, 17] {
            let s = SchoolEvaluationSummary {
                school: "11ZW".into(),
                pupils: n,
                findings_per_rule: [("dmt_three_lowest".to_owned(), n)].into_iter().collect(),
                signals_created: n,
                signals_updated: n,
                signals_unchanged: n,
                tasks_created: n,
                escalations_created: n,
                unknown_tests: n,
                signals_resolved: n,
                owner_reminders: n,
                ..SchoolEvaluationSummary::default()
            };
            let lines = evaluation_lines(&[s], NaiveDate::from_ymd_opt(2026, 3, 12).expect("date"));
            assert_eq!(lines[0], "Evaluatie per 12-03-2026");
            for l in &lines {
                assert_eq!(text::dutch_text_problems(l), Vec::<String>::new(), "{l}");
                assert!(!l.contains("dmt_three_lowest"), "{l}");
            }
            if n == 1 {
                assert!(lines[1].contains("1 leerling, 1 nieuw signaal"), "{}", lines[1]);
            }
        }
    }
}
