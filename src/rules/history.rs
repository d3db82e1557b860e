//! What the engine reads: one pupil's history as the store holds it, and the school's context
//! (parameters and care ladder). Plain data, built by the caller from store rows.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::RuleParams;
use crate::domain::{
    Absence, Brin, CareLadder, DyslexiaStatement, LearningDomain, Membership, SchoolCalendar, Severity,
    SignalStatus, SocialEmotionalMeasurement, Source, SupportPlan, TestResult,
};

/// Everything the rules need about one pupil (leerling). Order of the vectors does not matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PupilHistory {
    /// Store id of the pupil; part of every signal and task key.
    pub pupil_id: i64,
    /// School.
    pub school: Brin,
    /// Source pupil id at that school.
    pub pupil_external_id: String,
    /// Groepsindelingen: give the grade for moment labels (`M4`).
    pub memberships: Vec<Membership>,
    /// Toetsresultaten with their store ids (quarantined results are never in here).
    pub results: Vec<HistoryResult>,
    /// Plans that concern the pupil: his own plans and OPPs, and the group plans of his groups.
    pub plans: Vec<HistoryPlan>,
    /// Signals already stored for this pupil (feed `signal_without_plan` and inhibition).
    pub open_signals: Vec<PriorSignal>,
    /// Geboortedatum: reimbursed ED care must start before the 13th birthday (`eed_check`).
    #[serde(default)]
    pub birth_date: Option<NaiveDate>,
    /// An established dyslexieverklaring (fact and date only): no dyslexia research is advised.
    #[serde(default)]
    pub dyslexia_statement: Option<DyslexiaStatement>,
    /// Verzuim: the pupil's registered absences (issue 18 item 2), any order.
    #[serde(default)]
    pub absences: Vec<Absence>,
    /// The pupil's own notes (notities) of the current and previous school year up to the
    /// evaluation date, any order: their category and date, never their text (issue 18 item 6).
    #[serde(default)]
    pub notes: Vec<HistoryNote>,
    /// Sociaal-emotionele metingen: the pupil's ZIEN!, KanVAS and KiVa measurements (issue 18
    /// item 1), any order.
    #[serde(default)]
    pub social_emotional: Vec<SocialEmotionalMeasurement>,
}

/// A note about the pupil as the rules see it: its store id, source, category path and the day it
/// was written (Europe/Amsterdam). The text stays in the store: no rule can quote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryNote {
    /// Store id; evidence refers to it.
    pub id: i64,
    /// Source system.
    pub source: Source,
    /// Category path from the root (`["Zorg", "Welbevinden"]`).
    pub category_path: Vec<String>,
    /// The day it was written.
    pub written_on: NaiveDate,
}

impl HistoryNote {
    /// The category path as Leeruniek shows it (`Zorg › Welbevinden`).
    pub fn category_label(&self) -> String {
        self.category_path.join(" › ")
    }
}

/// A stored test result with its store id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryResult {
    /// Store id; evidence and keys refer to it.
    pub id: i64,
    /// The result.
    pub result: TestResult,
}

/// A stored support plan with its store id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPlan {
    /// Store id; evidence and keys refer to it.
    pub id: i64,
    /// The plan.
    pub plan: SupportPlan,
}

/// A signal the store already holds for the pupil.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorSignal {
    /// Stable signal key.
    pub key: String,
    /// Rule id that raised it.
    pub rule: String,
    /// Domain, for learning signals.
    pub domain: Option<LearningDomain>,
    /// Date it was first found.
    pub opened_on: NaiveDate,
    /// Lifecycle state.
    pub status: SignalStatus,
    /// Severity as stored (a continued signal's tasks are asked again only when it rises).
    #[serde(default)]
    pub severity: Option<Severity>,
}

/// Per-school context: parameters (board values merged with the school's) and the school's ladder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchoolContext {
    /// Rule parameters.
    pub params: RuleParams,
    /// Zorgniveaus of the school.
    pub ladder: CareLadder,
    /// The school's holidays: plan and OPP deadlines and the EED weeks count school weeks.
    #[serde(default)]
    pub calendar: SchoolCalendar,
}

impl SchoolContext {
    /// Default parameters with the named preset ladder (or an empty ladder when the name is
    /// unknown) and no holidays.
    pub fn with_preset(ladder_name: &str) -> Self {
        let ladder = CareLadder::presets()
            .into_iter()
            .find(|l| l.name == ladder_name)
            .unwrap_or_else(|| CareLadder {
                name: ladder_name.to_string(),
                levels: Vec::new(),
                opp_evaluations_per_year: None,
            });
        Self {
            params: RuleParams::default(),
            ladder,
            calendar: SchoolCalendar::none(),
        }
    }
}
