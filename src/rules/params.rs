//! Rule parameters (docs/DOMAIN.md §6). Every number is configurable per board (`[rules]`) and per
//! school (`[rules.schools.BRIN]`, merged over the board's values). Defaults follow docs/DOMAIN.md.

use serde::{Deserialize, Serialize};

use crate::domain::{DomainMapping, LearningDomain, MomentWindows, MonthDay};

/// All rule parameters for one school.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RuleParams {
    /// M/E windows used to derive toetsmomenten.
    pub moment_windows: MomentWindows,
    /// Test → domain mapping; first matching pattern wins.
    pub domain_mapping: DomainMapping,
    /// The school's LVS shows the seven-level display (I+ … V-) for I–V levels, so a plain V
    /// means P11–20 (not the lowest 10 %). Also assumed per source when a result shows I+.
    pub seven_level_display: bool,
    /// `dmt_three_lowest`.
    pub dmt_three_lowest: DmtThreeLowest,
    /// `eed_check`.
    pub eed_check: EedCheck,
    /// `lowest_level_repeated`.
    pub lowest_level_repeated: LowestLevelRepeated,
    /// `level_drop`.
    pub level_drop: LevelDrop,
    /// `no_growth`.
    pub no_growth: NoGrowth,
    /// `reference_level_low`.
    pub reference_level_low: ReferenceLevelLow,
    /// `avi_stagnation`.
    pub avi_stagnation: AviStagnation,
    /// `plan_evaluation_due`.
    pub plan_evaluation_due: PlanEvaluationDue,
    /// `plan_evaluation_overdue`.
    pub plan_evaluation_overdue: PlanEvaluationOverdue,
    /// `opp_yearly_evaluation`.
    pub opp_yearly_evaluation: OppYearlyEvaluation,
    /// `plan_ineffective`.
    pub plan_ineffective: PlanIneffective,
    /// `signal_without_plan`.
    pub signal_without_plan: SignalWithoutPlan,
    /// `unauthorised_absence`.
    pub unauthorised_absence: UnauthorisedAbsence,
    /// `frequent_sick_absence`.
    pub frequent_sick_absence: FrequentSickAbsence,
    /// `gifted_candidate`.
    pub gifted_candidate: GiftedCandidate,
    /// `dyscalculia_check`.
    pub dyscalculia_check: DyscalculiaCheck,
    /// The school's note categories (notitiecategorieën): which mean an intervention, which a
    /// concern (`eed_check`, `dyscalculia_check`, `concern_notes`).
    pub note_categories: NoteCategories,
    /// `concern_notes`.
    pub concern_notes: ConcernNotes,
    /// `opp_not_drawn_up`.
    pub opp_not_drawn_up: OppNotDrawnUp,
    /// `opp_parents_agreement`.
    pub opp_parents_agreement: OppParentsAgreement,
    /// `social_emotional_low`.
    pub social_emotional_low: SocialEmotionalLow,
    /// `social_emotional_drop`.
    pub social_emotional_drop: SocialEmotionalDrop,
    /// `social_emotional_not_measured`.
    pub social_emotional_not_measured: SocialEmotionalNotMeasured,
}

/// Sociaal-emotioneel onder de signaleringsgrens: consecutive measurements of one indicator or
/// scale below the instrument's signal boundary (issue 18 item 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialEmotionalLow {
    /// Rule on/off.
    pub enabled: bool,
    /// How many consecutive measurements of the same scale (default 2).
    pub consecutive: usize,
}

impl Default for SocialEmotionalLow {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive: 2,
        }
    }
}

/// Sociaal-emotionele terugval: a drop of categories between two consecutive measurements of one
/// indicator or scale (issue 18 item 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialEmotionalDrop {
    /// Rule on/off.
    pub enabled: bool,
    /// Categories the later measurement lies below the earlier one (default 2: ZIEN! groen to
    /// rood, KanVAS gemiddeld to zeer laag).
    pub categories: u8,
}

impl Default for SocialEmotionalDrop {
    fn default() -> Self {
        Self {
            enabled: true,
            categories: 2,
        }
    }
}

/// Sociaal-emotionele meting ontbreekt: a pupil with an open social-emotional signal has no
/// measurement this school year (issue 18 item 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialEmotionalNotMeasured {
    /// Rule on/off.
    pub enabled: bool,
    /// From this day of the school year (`MM-DD`) the year's first measurement is expected
    /// (default `11-15`: after the autumn sitting of ZIEN!, October to early November).
    pub due_after: MonthDay,
}

impl Default for SocialEmotionalNotMeasured {
    fn default() -> Self {
        Self {
            enabled: true,
            due_after: MonthDay::new(11, 15).unwrap_or_else(|_| MomentWindows::default().mid_from),
        }
    }
}

/// Three consecutive DMT main measurements at level V or lower.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DmtThreeLowest {
    /// Rule on/off.
    pub enabled: bool,
    /// How many consecutive main measurements (default 3).
    pub consecutive: usize,
}

impl Default for DmtThreeLowest {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive: 3,
        }
    }
}

/// What the ED dossier needs (ED-regeling, Protocol Dyslexie Diagnostiek en Behandeling 3.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EedCheck {
    /// Rule on/off.
    pub enabled: bool,
    /// Total weeks of intensive reading intervention required between the measurements (default 20).
    pub min_intervention_weeks: u32,
    /// Minimum intensity in minutes per week (default 60).
    pub min_minutes_per_week: u32,
    /// Protocol level (a ladder step's `protocol_level`) from which a reading plan counts (default
    /// 2, extra begeleiding in de groep).
    pub min_protocol_level: u8,
    /// Protocol level of the intensive intervention the dossier needs (default 3, specifieke
    /// interventie). A reading plan one level lower with at least `min_minutes_per_week` counts
    /// as intensive too (seed 000's A2 with an IHP, seed 002's niveau 2 with extra leestijd).
    pub intensive_protocol_level: u8,
    /// Reimbursed ED care must start before this birthday (default 13); flagged from groep 8.
    pub start_before_age: u32,
}

impl Default for EedCheck {
    fn default() -> Self {
        Self {
            enabled: true,
            min_intervention_weeks: 20,
            min_minutes_per_week: 60,
            min_protocol_level: 2,
            intensive_protocol_level: 3,
            start_before_age: 13,
        }
    }
}

/// The numbers of an intervention dossier check (`intervention_dossier`), taken from the rule
/// that checks it (`eed_check`, `dyscalculia_check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierParams {
    /// Weeks of intensive intervention required between the measurements.
    pub min_intervention_weeks: u32,
    /// Minimum intensity in minutes per week.
    pub min_minutes_per_week: u32,
    /// Protocol level from which a plan counts.
    pub min_protocol_level: u8,
    /// Protocol level of the intensive intervention (one level lower with enough minutes counts).
    pub intensive_protocol_level: u8,
}

impl EedCheck {
    /// The numbers of the leesdossier's intervention check.
    pub fn dossier(&self) -> DossierParams {
        DossierParams {
            min_intervention_weeks: self.min_intervention_weeks,
            min_minutes_per_week: self.min_minutes_per_week,
            min_protocol_level: self.min_protocol_level,
            intensive_protocol_level: self.intensive_protocol_level,
        }
    }
}

impl DyscalculiaCheck {
    /// Whether a test is a tempotoets automatiseren (TTR): its code or name contains one of
    /// `tempo_test_patterns` (case-insensitive). Such a result is no level of a domain, but the
    /// rule reads it, so normalisation does not count it as an unknown test.
    pub fn is_tempo_test(&self, test_code: &str, test_name: &str) -> bool {
        let hay = format!("{test_code} {test_name}").to_lowercase();
        self.tempo_test_patterns
            .iter()
            .map(|p| p.to_lowercase())
            .any(|p| !p.is_empty() && hay.contains(p.as_str()))
    }

    /// The numbers of the rekendossier's intervention check.
    pub fn dossier(&self) -> DossierParams {
        DossierParams {
            min_intervention_weeks: self.min_intervention_weeks,
            min_minutes_per_week: self.min_minutes_per_week,
            min_protocol_level: self.min_protocol_level,
            intensive_protocol_level: self.intensive_protocol_level,
        }
    }
}

/// Consecutive main measurements at level V or lower in one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LowestLevelRepeated {
    /// Rule on/off.
    pub enabled: bool,
    /// How many consecutive main measurements (default 2).
    pub consecutive: usize,
}

impl Default for LowestLevelRepeated {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive: 2,
        }
    }
}

/// Drop in level between consecutive main measurements.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LevelDrop {
    /// Rule on/off.
    pub enabled: bool,
    /// Minimum drop in bands (default 2).
    pub min_drop: u8,
    /// When both results carry a percentile: the least drop, in standard deviations of the norm
    /// group (the percentiles' normal scores), that is more than measurement error (default 1.0:
    /// about twice the standard error of a difference for a test of reliability 0.87–0.9).
    pub min_percentile_drop_sd: f64,
}

impl Default for LevelDrop {
    fn default() -> Self {
        Self {
            enabled: true,
            min_drop: 2,
            min_percentile_drop_sd: 1.0,
        }
    }
}

/// Ability score did not grow from a main round to the same round a year later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoGrowth {
    /// Rule on/off.
    pub enabled: bool,
    /// Rise that counts as growth (default 0); the rule fires when the rise stays below it by more
    /// than the margin for measurement error.
    pub min_rise: f64,
    /// Margin for measurement error in ability points when the source gives no
    /// betrouwbaarheidsinterval (default 5).
    pub margin_points: f64,
}

impl Default for NoGrowth {
    fn default() -> Self {
        Self {
            enabled: true,
            min_rise: 0.0,
            margin_points: 5.0,
        }
    }
}

/// Referentieniveau below 1F (IEP), or 1F not reached on the doorstroomtoets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferenceLevelLow {
    /// Rule on/off.
    pub enabled: bool,
    /// First groep in which a referentieniveau below 1F is a signal (default 6).
    pub from_grade: u8,
}

impl Default for ReferenceLevelLow {
    fn default() -> Self {
        Self {
            enabled: true,
            from_grade: 6,
        }
    }
}

/// AVI level not risen over a number of main rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AviStagnation {
    /// Rule on/off.
    pub enabled: bool,
    /// Main rounds without a rise (default 2).
    pub rounds: u8,
}

impl Default for AviStagnation {
    fn default() -> Self {
        Self {
            enabled: true,
            rounds: 2,
        }
    }
}

/// A plan's evaluation is due soon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanEvaluationDue {
    /// Rule on/off.
    pub enabled: bool,
    /// Remind when the date is within this many days (default 7).
    pub within_days: u32,
    /// Period of a handelingsplan when no date is set (default 6 weeks).
    pub action_plan_weeks: u32,
    /// Period of an OPP handelingsdeel (default 8 weeks), only to read an evaluation date the
    /// school set: an OPP without one is evaluated at the school's own frequency
    /// (`opp_yearly_evaluation`).
    pub opp_weeks: u32,
    /// Period of a groepsplan (default 12 weeks).
    pub group_plan_weeks: u32,
}

impl Default for PlanEvaluationDue {
    fn default() -> Self {
        Self {
            enabled: true,
            within_days: 7,
            action_plan_weeks: 6,
            opp_weeks: 8,
            group_plan_weeks: 12,
        }
    }
}

/// A plan's evaluation date has passed without an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanEvaluationOverdue {
    /// Rule on/off.
    pub enabled: bool,
    /// The IB hears of a missing evaluation only when the date is more than this many days past,
    /// holiday days not counted (default 7: a week). An evaluation recorded in the days after the
    /// planned date is on time for a school (a handelingsplan runs 6–8 weeks); 0 = the day after.
    pub grace_days: u32,
    /// Escalate to directie when the date is more than this many days past (default 14).
    pub escalate_after_days: u32,
}

impl Default for PlanEvaluationOverdue {
    fn default() -> Self {
        Self {
            enabled: true,
            grace_days: 7,
            escalate_after_days: 14,
        }
    }
}

/// An active OPP needs an evaluation every school year (WPO art. 40a).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OppYearlyEvaluation {
    /// Rule on/off.
    pub enabled: bool,
    /// Day of the school year by which the evaluation must exist (default `06-15`).
    pub deadline: MonthDay,
    /// Remind this many days before the deadline (default 30).
    pub remind_days_before: u32,
    /// School cadence: also after each M and E round (seed 004).
    pub after_each_round: bool,
    /// Weeks after the end of an M or E window by which that round's evaluation is expected
    /// (default 6; only with `after_each_round`).
    pub round_grace_weeks: u32,
    /// An OPP that started fewer than this many weeks before the deadline is not yet due (default 8).
    pub min_weeks_active: u32,
    /// How often per school year the school evaluates an OPP with the parents (1–6). Unset: the
    /// care ladder's `opp_evaluations_per_year` (seed 002's preset: twice), else once, the legal
    /// minimum. With N > 1 the year gets N deadlines, the last one `deadline` (see
    /// [`OppYearlyEvaluation::deadlines`]).
    pub per_year: Option<u32>,
}

impl Default for OppYearlyEvaluation {
    fn default() -> Self {
        Self {
            enabled: true,
            deadline: MonthDay::new(6, 15).unwrap_or_else(|_| MomentWindows::default().end_to),
            remind_days_before: 30,
            after_each_round: false,
            round_grace_weeks: 6,
            min_weeks_active: 8,
            per_year: None,
        }
    }
}

impl OppYearlyEvaluation {
    /// Largest `per_year` accepted.
    pub const MAX_PER_YEAR: u32 = 6;

    /// The OPP evaluation deadlines of `year` for `per_year` evaluations, oldest first. The last
    /// is `deadline` (15 June); with N > 1 the time from 1 August to it is split into N equal
    /// parts, and each earlier deadline is the last day of the month in which its part ends
    /// (twice a year: 31 January and 15 June; three times: 30 November, 31 March, 15 June).
    pub fn deadlines(&self, year: crate::domain::SchoolYear, per_year: u32) -> Vec<chrono::NaiveDate> {
        use chrono::{Datelike, Days, Months, NaiveDate};
        let Some(last) = self.deadline.in_school_year(year) else {
            return Vec::new();
        };
        let n = per_year.clamp(1, Self::MAX_PER_YEAR);
        let start = year.first_day();
        let span = (last - start).num_days().max(0);
        let mut out: Vec<NaiveDate> = (1..n)
            .filter_map(|k| {
                let point = start + Days::new(u64::try_from(span * i64::from(k) / i64::from(n)).ok()?);
                let month_end = NaiveDate::from_ymd_opt(point.year(), point.month(), 1)?
                    .checked_add_months(Months::new(1))?
                    .pred_opt()?;
                Some(month_end.min(last.pred_opt()?))
            })
            .collect();
        out.push(last);
        out.dedup();
        out
    }
}

/// Consecutive evaluated plans with "doel niet behaald" at the same zorgniveau.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanIneffective {
    /// Rule on/off.
    pub enabled: bool,
    /// How many consecutive failed plans (default 2).
    pub consecutive: usize,
}

impl Default for PlanIneffective {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive: 2,
        }
    }
}

/// A learning signal stays open without a plan covering its domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalWithoutPlan {
    /// Rule on/off.
    pub enabled: bool,
    /// Weeks a signal may be open without a plan (default 6).
    pub weeks: u32,
}

impl Default for SignalWithoutPlan {
    fn default() -> Self {
        Self {
            enabled: true,
            weeks: 6,
        }
    }
}

/// Ongeoorloofd verzuim to report to the leerplichtambtenaar (Leerplichtwet 1969, art. 21a).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UnauthorisedAbsence {
    /// Rule on/off.
    pub enabled: bool,
    /// Hours of unauthorised absence that must be reported (default 16, the law's figure).
    pub hours: f64,
    /// Within this many consecutive school weeks (default 4, the law's figure).
    pub weeks: u32,
}

impl Default for UnauthorisedAbsence {
    fn default() -> Self {
        Self {
            enabled: true,
            hours: 16.0,
            weeks: 4,
        }
    }
}

/// The OPP drawn up within a term after the decision (besluit OPP; issue 18 item 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OppNotDrawnUp {
    /// Rule on/off.
    pub enabled: bool,
    /// School weeks after the besluitdatum within which leerkracht and IB draw the OPP up
    /// (default 6; holidays pause the count).
    pub weeks: u32,
}

impl Default for OppNotDrawnUp {
    fn default() -> Self {
        Self {
            enabled: true,
            weeks: 6,
        }
    }
}

/// The parents' agreement on the OPP's handelingsdeel (instemming ouders) recorded within a term
/// after the OPP was drawn up (issue 18 item 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OppParentsAgreement {
    /// Rule on/off.
    pub enabled: bool,
    /// School weeks after the OPP was drawn up within which the agreement is recorded (default
    /// 4: before the first evaluation after 6–10 weeks, seed 000; holidays pause the count).
    pub weeks: u32,
}

impl Default for OppParentsAgreement {
    fn default() -> Self {
        Self {
            enabled: true,
            weeks: 4,
        }
    }
}

/// Frequent ziekmeldingen: a reason for the JGZ conversation (M@ZL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrequentSickAbsence {
    /// Rule on/off.
    pub enabled: bool,
    /// Ziekmeldingen (consecutive sick school days count once) that make the signal (default 4).
    pub times: usize,
    /// Within this many school weeks (default 12).
    pub weeks: u32,
}

impl Default for FrequentSickAbsence {
    fn default() -> Self {
        Self {
            enabled: true,
            times: 4,
            weeks: 12,
        }
    }
}

/// Rekenonderzoek per the protocol ERWD: lowest 10 % on rekenen repeatedly and a low tempotoets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DyscalculiaCheck {
    /// Rule on/off.
    pub enabled: bool,
    /// Consecutive rekenen main measurements in the lowest 10 % (default 3: the protocol's
    /// hardnekkigheid, as for dyslexia).
    pub consecutive: usize,
    /// Tests that are a tempotoets automatiseren (case-insensitive substrings of toetscode or
    /// toetsnaam; default the TTR, Tempo Test Rekenen).
    pub tempo_test_patterns: Vec<String>,
    /// A tempotoets is low at or below this percentile (default 10; with 20 or more a plain V
    /// counts as low too).
    pub ttr_max_percentile: u8,
    /// Fire only with a low tempotoets of this or the previous school year (default). Off: fire
    /// without one and list the missing tempotoets in the dossier.
    pub require_ttr: bool,
    /// Weeks of intensive rekenen intervention between the measurements (default 24: about half
    /// a school year, two periods of about three months).
    pub min_intervention_weeks: u32,
    /// Minimum intensity in minutes per week (default 60).
    pub min_minutes_per_week: u32,
    /// Protocol level from which a rekenen plan counts (default 2).
    pub min_protocol_level: u8,
    /// Protocol level of the intensive intervention (default 3; level 2 with enough minutes
    /// counts too).
    pub intensive_protocol_level: u8,
}

impl Default for DyscalculiaCheck {
    fn default() -> Self {
        Self {
            enabled: true,
            consecutive: 3,
            tempo_test_patterns: [
                "ttr",
                "tempo test rekenen",
                "tempotoets",
                "tempo-toets",
                "tempo toets",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            ttr_max_percentile: 10,
            require_ttr: true,
            min_intervention_weeks: 24,
            min_minutes_per_week: 60,
            min_protocol_level: 2,
            intensive_protocol_level: 3,
        }
    }
}

/// Top 10 % at both main rounds of a school year: a pupil for the plusaanbod conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GiftedCandidate {
    /// Rule on/off.
    pub enabled: bool,
    /// Percentile from which a result is in the top (default 90: I+ of the seven-level display,
    /// P91–100, or a percentile of at least 90; a plain I, P81–100, is not enough).
    pub min_percentile: u8,
    /// Domains where a plusaanbod is organised (default rekenen-wiskunde and begrijpend lezen).
    pub domains: Vec<LearningDomain>,
    /// A running plan whose title contains one of these (case-insensitive) is a plusaanbod: the
    /// pupil has one already.
    pub plan_patterns: Vec<String>,
    /// Signal a pupil once (default): after a signal of this rule in one school year (any
    /// status) no new one in a later year. Off: once per school year.
    pub once_per_pupil: bool,
    /// Also an IB task "Plusaanbod bespreken" (default off: the signal is for the bespreking).
    pub ib_task: bool,
}

impl Default for GiftedCandidate {
    fn default() -> Self {
        Self {
            enabled: true,
            min_percentile: 90,
            domains: vec![LearningDomain::Mathematics, LearningDomain::ReadingComprehension],
            plan_patterns: [
                "plusaanbod",
                "plusklas",
                "plusgroep",
                "pluswerk",
                "verrijk",
                "compact",
                "versnel",
                "meerbegaafd",
                "hoogbegaafd",
                "topklas",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            once_per_pupil: true,
            ib_task: false,
        }
    }
}

/// Per school, what its note categories (notitiecategorieën, e.g. Leeruniek's) mean. A note is in
/// a listed category when one of the steps of its category path (`Zorg › Welbevinden`) equals a
/// listed name, ignoring case and surrounding spaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoteCategories {
    /// Categories whose notes record reading help (leesbegeleiding): evidence of intervention in
    /// the ED dossier where plans are missing.
    pub reading_intervention: Vec<String>,
    /// Categories whose notes record rekenen help (rekenbegeleiding): evidence of intervention in
    /// the ERWD rekendossier where plans are missing.
    pub mathematics_intervention: Vec<String>,
    /// Categories whose notes record a concern about the pupil (zorgen, welbevinden, gedrag):
    /// `concern_notes` counts them.
    pub concern: Vec<String>,
}

impl Default for NoteCategories {
    fn default() -> Self {
        let list = |names: &[&str]| names.iter().map(|s| (*s).to_string()).collect();
        Self {
            reading_intervention: list(&["Leesbegeleiding", "Leesinterventie", "RT lezen"]),
            mathematics_intervention: list(&["Rekenbegeleiding", "Rekeninterventie", "RT rekenen"]),
            concern: list(&["Zorgen", "Welbevinden", "Gedrag"]),
        }
    }
}

impl NoteCategories {
    /// Whether a category path is in one of `names`.
    pub fn matches(names: &[String], path: &[String]) -> bool {
        path.iter().any(|step| {
            let step = step.trim().to_lowercase();
            names
                .iter()
                .any(|n| !n.trim().is_empty() && n.trim().to_lowercase() == step)
        })
    }
}

/// Repeated notes in a concern category (zorgnotities) while nothing runs for the pupil.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConcernNotes {
    /// Rule on/off.
    pub enabled: bool,
    /// Notes in a concern category that make the signal (default 3).
    pub times: usize,
    /// Within this many school weeks (default 6).
    pub weeks: u32,
}

impl Default for ConcernNotes {
    fn default() -> Self {
        Self {
            enabled: true,
            times: 3,
            weeks: 6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_domain_md() {
        let p = RuleParams::default();
        assert_eq!(p.dmt_three_lowest.consecutive, 3);
        assert_eq!(p.plan_evaluation_due.within_days, 7);
        assert_eq!(p.opp_yearly_evaluation.deadline.to_string(), "06-15");
        assert_eq!(p.signal_without_plan.weeks, 6);
    }

    #[test]
    fn partial_toml_keeps_defaults_and_rejects_unknown_keys() {
        let p: RuleParams = toml::from_str("[level_drop]\nmin_drop = 3\n").expect("parse");
        assert_eq!(p.level_drop.min_drop, 3);
        assert!(p.level_drop.enabled);
        assert!(toml::from_str::<RuleParams>("[level_drop]\nmin_dorp = 3\n").is_err());
    }
}
