//! `social_emotional_not_measured`: sociaal-emotionele meting ontbreekt. A pupil with an open
//! social-emotional signal (`social_emotional_low` or `social_emotional_drop`, found now or stored
//! and still active) has no measurement of ZIEN!, KanVAS or the KiVa monitor in the current school
//! year, once the year's first measurement is due (`due_after`, by default 15 November: after the
//! autumn sitting). A follow-up rule (issue 18 item 1): it reads what the data rules found. An IB
//! task to have the pupil measured, so the signal can be weighed against how the pupil is now.

use super::finding::{Finding, SignalDraft, TaskDraft, signal_key, task_key, task_target};
use super::input::{Evaluate, Rule, RuleInput};
use super::signal_without_plan::is_recent;
use super::social_emotional::{evidence, scale_label, series, short};
use super::{PriorSignal, social_emotional_drop, social_emotional_low, text};
use crate::domain::{Evidence, SchoolYear, Severity, SignalStatus, Source, TaskKind};

/// The rules whose signal is a social-emotional concern (what this rule follows up).
pub const CONCERN_RULES: [&str; 2] = [social_emotional_low::RULE_ID, social_emotional_drop::RULE_ID];

/// Rule id.
pub const RULE_ID: &str = "social_emotional_not_measured";
/// Rule version.
pub const RULE_VERSION: u32 = 1;

/// This rule in the engine's table ([`super::RULES`]).
pub const RULE: Rule = Rule {
    id: RULE_ID,
    version: RULE_VERSION,
    evaluate: Evaluate::FollowUp(evaluate),
};

/// The pupil's open social-emotional signals: those this run found (with the stored opening date
/// when the store holds them, else `as_of`, the day the store will open them: [`super::opened_on`])
/// and the stored active ones of the current or previous school year; oldest first.
pub fn open_concerns(input: &RuleInput<'_>, found: &[Finding]) -> Vec<PriorSignal> {
    let stored = &input.history.open_signals;
    let mut out: Vec<PriorSignal> = Vec::new();
    for f in found
        .iter()
        .filter(|f| CONCERN_RULES.contains(&f.signal.rule.as_str()))
    {
        let kept = stored.iter().find(|s| s.key == f.signal.key);
        out.push(PriorSignal {
            key: f.signal.key.clone(),
            rule: f.signal.rule.clone(),
            domain: None,
            opened_on: kept.map_or_else(|| super::opened_on(f, input.as_of), |s| s.opened_on),
            status: kept.map_or(SignalStatus::Open, |s| s.status),
            severity: Some(f.signal.severity),
        });
    }
    for s in stored {
        if CONCERN_RULES.contains(&s.rule.as_str())
            && s.status.is_active()
            && is_recent(s.opened_on, input.as_of)
            && !out.iter().any(|o| o.key == s.key)
        {
            out.push(s.clone());
        }
    }
    out.sort_by(|a, b| (a.opened_on, &a.key).cmp(&(b.opened_on, &b.key)));
    out
}

/// Runs the rule (see the module docs).
pub fn evaluate(input: &RuleInput<'_>, found: &[Finding]) -> Vec<Finding> {
    let p = &input.ctx.params.social_emotional_not_measured;
    if !p.enabled {
        return Vec::new();
    }
    let year = SchoolYear::of_date(input.as_of);
    if p.due_after
        .in_school_year(year)
        .is_none_or(|due| input.as_of < due)
    {
        return Vec::new();
    }
    let measured = input
        .history
        .social_emotional
        .iter()
        .any(|m| m.measured_on <= input.as_of && year.contains(m.measured_on));
    if measured {
        return Vec::new();
    }
    let open = open_concerns(input, found);
    if open.is_empty() {
        return Vec::new();
    }
    let pupil = input.history.pupil_id;
    let anchor = format!("sj{}", year.start_year());
    // The newest earlier measurement of each scale, as context.
    let latest: Vec<_> = series(&input.history.social_emotional, input.as_of)
        .into_values()
        .filter_map(|s| s.last().copied())
        .collect();
    let last_day = latest.iter().map(|m| m.measured_on).max();
    // The signals by name only: their opening date is the store's (the day they were first found,
    // in the evidence), so the text stays the same from the first run on.
    let mut names: Vec<String> = open
        .iter()
        .map(|s| text::rule_label(&s.rule).to_owned())
        .collect();
    names.sort();
    names.dedup();
    let signals = text::join_and(&names);
    let last = match last_day {
        Some(day) => format!(" De laatste meting was op {}.", text::date(day)),
        None => String::new(),
    };
    let explanation = format!(
        "Er loopt een sociaal-emotioneel signaal ({signals}), maar in schooljaar {year} is nog geen \
         sociaal-emotionele meting (ZIEN!, KanVAS of KiVa-monitor) vastgelegd.{last} Neem de meting af om te \
         zien hoe het nu met de leerling gaat."
    );
    let mut evidence_list: Vec<Evidence> = open
        .iter()
        .map(|s| Evidence {
            kind: "signal".into(),
            id: s.key.clone(),
            date: s.opened_on,
            test: None,
            moment: None,
            level: None,
            scale: None,
            percentile: None,
            ability_score: None,
            source: None,
            note: None,
        })
        .collect();
    evidence_list.extend(
        latest
            .iter()
            .filter(|m| Some(m.measured_on) == last_day)
            .map(|m| evidence(m)),
    );
    let context = latest
        .iter()
        .filter(|m| Some(m.measured_on) == last_day)
        .map(|m| format!("{} {}", scale_label(m), short(m)))
        .collect::<Vec<_>>();
    let sources: Vec<Source> = latest.iter().map(|m| m.source).collect();
    vec![Finding {
        signal: SignalDraft {
            key: signal_key(RULE_ID, pupil, None, &anchor),
            rule: RULE_ID.into(),
            rule_version: RULE_VERSION,
            domain: None,
            severity: Severity::Medium,
            explanation,
            evidence: evidence_list,
            eed_criterion: None,
        },
        tasks: vec![TaskDraft {
            key: task_key(RULE_ID, pupil, None, &anchor),
            kind: TaskKind::IbTask,
            target: task_target(sources),
            title: "Sociaal-emotionele meting afnemen".into(),
            body: if context.is_empty() {
                format!(
                    "Sociaal-emotioneel signaal ({signals}), nog geen meting in schooljaar {year}. Meting afnemen."
                )
            } else {
                format!(
                    "Sociaal-emotioneel signaal ({signals}), nog geen meting in schooljaar {year} (laatst: {}). \
                     Meting afnemen.",
                    context.join("; ")
                )
            },
            due_on: None,
        }],
    }]
}

#[cfg(test)]
mod tests {
    use super::super::evaluate as engine_evaluate;
    use super::super::testkit::{Pupil, ctx, d};
    use super::*;
    use crate::domain::SeInstrument::{Kanvas, Zien};

    fn fired(p: Pupil, as_of: chrono::NaiveDate, ctx: &crate::rules::SchoolContext) -> Vec<Finding> {
        engine_evaluate(&p.build(), as_of, ctx)
            .into_iter()
            .filter(|f| f.signal.rule == RULE_ID)
            .collect()
    }

    /// ZIEN! welbevinden rood in November and March of 2025-2026.
    fn low_last_year() -> Pupil {
        Pupil::new(9).se(Zien, "welbevinden", d(2025, 11, 3), "rood").se(
            Zien,
            "welbevinden",
            d(2026, 3, 23),
            "rood",
        )
    }

    #[test]
    fn table() {
        let cases: Vec<(&str, Pupil, chrono::NaiveDate, bool)> = vec![
            (
                "low signal, no measurement this school year, after 15 November",
                low_last_year(),
                d(2026, 11, 20),
                true,
            ),
            (
                "the same before 15 November: the autumn sitting may still come",
                low_last_year(),
                d(2026, 11, 10),
                false,
            ),
            (
                "measured this school year (groen): no reminder",
                low_last_year().se(Zien, "welbevinden", d(2026, 11, 2), "groen"),
                d(2026, 11, 20),
                false,
            ),
            (
                "measured this school year on another instrument counts too",
                low_last_year().se(Kanvas, "welbevinden", d(2026, 10, 1), "laag"),
                d(2026, 11, 20),
                false,
            ),
            (
                "no social-emotional signal: nothing to follow up",
                Pupil::new(9)
                    .se(Zien, "welbevinden", d(2025, 11, 3), "oranje")
                    .se(Zien, "welbevinden", d(2026, 3, 23), "rood"),
                d(2026, 11, 20),
                false,
            ),
            (
                "a drop is followed up too",
                Pupil::new(9)
                    .se(Zien, "betrokkenheid", d(2025, 11, 3), "groen")
                    .se(Zien, "betrokkenheid", d(2026, 3, 23), "rood"),
                d(2027, 1, 10),
                true,
            ),
            (
                "a stored acknowledged signal whose data is history still asks",
                Pupil::new(9)
                    .se(Zien, "welbevinden", d(2024, 11, 3), "rood")
                    .se(Zien, "welbevinden", d(2025, 3, 23), "rood")
                    .prior(
                        "social_emotional_low/p9/none/a2024-11-03",
                        "social_emotional_low",
                        None,
                        d(2025, 9, 1),
                        SignalStatus::Acknowledged,
                    ),
                d(2026, 12, 1),
                true,
            ),
            (
                "a stored signal the IB resolved asks nothing",
                Pupil::new(9)
                    .se(Zien, "welbevinden", d(2024, 11, 3), "rood")
                    .se(Zien, "welbevinden", d(2025, 3, 23), "rood")
                    .prior(
                        "social_emotional_low/p9/none/a2024-11-03",
                        "social_emotional_low",
                        None,
                        d(2025, 9, 1),
                        SignalStatus::Resolved,
                    ),
                d(2026, 12, 1),
                false,
            ),
        ];
        for (name, p, as_of, fires) in cases {
            let got = fired(p, as_of, &ctx());
            assert_eq!(got.len(), usize::from(fires), "{name}: {got:#?}");
            if let Some(f) = got.first() {
                assert_eq!(f.tasks.len(), 1, "{name}");
                assert!(f.signal.evidence.iter().any(|e| e.kind == "signal"), "{name}");
                assert!(
                    crate::rules::text::dutch_text_problems(&f.signal.explanation).is_empty(),
                    "{name}: {}",
                    f.signal.explanation
                );
            }
        }
    }

    #[test]
    fn the_explanation_names_the_signal_the_school_year_and_the_last_measurement() {
        let got = fired(low_last_year(), d(2026, 11, 20), &ctx());
        assert_eq!(got.len(), 1);
        let f = &got[0];
        assert_eq!(f.signal.key, "social_emotional_not_measured/p9/none/sj2026");
        assert_eq!(
            f.signal.explanation,
            "Er loopt een sociaal-emotioneel signaal (sociaal-emotioneel onder de signaleringsgrens), maar in \
             schooljaar 2026-2027 is nog geen sociaal-emotionele meting (ZIEN!, KanVAS of KiVa-monitor) \
             vastgelegd. De laatste meting was op 23-03-2026. Neem de meting af om te zien hoe het nu met de \
             leerling gaat."
        );
        assert_eq!(
            f.tasks[0].body,
            "Sociaal-emotioneel signaal (sociaal-emotioneel onder de signaleringsgrens), nog geen meting in \
             schooljaar 2026-2027 (laatst: ZIEN! welbevinden rood (23-03-2026)). Meting afnemen."
        );
        // A second run, with the low signal stored as the first run opened it (on `as_of`), says
        // the same: nothing to update (the daily run writes only what changed).
        let first = engine_evaluate(&low_last_year().build(), d(2026, 11, 20), &ctx());
        let low = first
            .iter()
            .find(|f| f.signal.rule == crate::rules::social_emotional_low::RULE_ID)
            .expect("low signal");
        let stored = low_last_year().prior(
            &low.signal.key,
            crate::rules::social_emotional_low::RULE_ID,
            None,
            d(2026, 11, 20),
            SignalStatus::Open,
        );
        let again = fired(stored, d(2026, 11, 20), &ctx());
        assert_eq!(again, got, "the same finding on a second run");
        // The school expects the first measurement later.
        let mut late = ctx();
        late.params.social_emotional_not_measured.due_after =
            crate::domain::MonthDay::new(1, 15).expect("month-day");
        assert!(fired(low_last_year(), d(2026, 11, 20), &late).is_empty());
        assert_eq!(fired(low_last_year(), d(2027, 1, 20), &late).len(), 1);
        late.params.social_emotional_not_measured.enabled = false;
        assert!(fired(low_last_year(), d(2027, 1, 20), &late).is_empty());
    }
}
