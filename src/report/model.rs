//! The report's plain data: what aggregation takes (per school: ladder, pupils, plans, signals,
//! sync health) and what it gives (a flat list of figures, already suppressed).

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};

use crate::domain::{Brin, CareLadder, NationalTier, PlanKind, SchoolYear, Source};
use crate::rules::RuleParams;
use crate::store::{ReportPlan, ReportPupil, ReportSignal};

/// Health of one source at one school (synchronisatie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncHealth {
    /// Source system.
    pub source: Source,
    /// Oldest `last_success_at` over the source's streams: everything is synced up to here;
    /// `None` when a stream never completed.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Streams whose last run failed.
    pub failing_streams: u32,
    /// Records in quarantine.
    pub quarantined: u64,
}

/// Everything the report knows about one school.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolInput {
    /// BRIN.
    pub brin: Brin,
    /// Display name of the school.
    pub name: String,
    /// The school's own ladder (zorgniveaus).
    pub ladder: CareLadder,
    /// The school's rule parameters: the report reads plans and signals as the rules do (OPP
    /// frequency, the weeks a signal may stay without a plan).
    pub params: RuleParams,
    /// Pupils (store ids and enrolment only).
    pub pupils: Vec<ReportPupil>,
    /// Plans with evaluation dates.
    pub plans: Vec<ReportPlan>,
    /// Signals with the date they closed.
    pub signals: Vec<ReportSignal>,
    /// Sync health per source.
    pub sync: Vec<SyncHealth>,
}

/// Input of [`super::aggregate`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInput {
    /// Name of the board (bestuur).
    pub board_name: String,
    /// The school year reported on; the previous one is compared against it.
    pub school_year: SchoolYear,
    /// Peildatum: figures are as known at the end of this day (capped to the year's last day).
    pub as_of: NaiveDate,
    /// Counts from 1 up to this number minus one are suppressed (`report.small_count_threshold`).
    pub threshold: u32,
    /// Days after the due date an evaluation still counts as on time (`report.evaluation_grace_days`).
    pub grace_days: u32,
    /// Rule ids to list, in order.
    pub rules: Vec<String>,
    /// The schools, in report order.
    pub schools: Vec<SchoolInput>,
}

/// Whom a figure is about: one school or the whole board.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// One school.
    School(Brin),
    /// The board total (bestuur).
    Board,
}

impl Unit {
    /// `11ZW`, or `BESTUUR` for the board.
    pub fn code(&self) -> &str {
        match self {
            Self::School(b) => b.as_str(),
            Self::Board => "BESTUUR",
        }
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A published value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// An exact count.
    Count(u64),
    /// A count from 1 to threshold − 1, shown as `<5` (primary suppression).
    Small(u32),
    /// A count hidden so a suppressed cell cannot be recovered by subtraction (secondary
    /// suppression), shown as `x`.
    Hidden,
    /// A percentage (0–100), one decimal.
    Percent(f64),
    /// A number of days (median), one decimal.
    Days(f64),
    /// A date.
    Date(NaiveDate),
    /// Not published: nothing to compute, or it would reveal a suppressed count; shown as `-`.
    None,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Count(n) => write!(f, "{n}"),
            Self::Small(t) => write!(f, "<{t}"),
            Self::Hidden => f.write_str("x"),
            Self::Percent(p) | Self::Days(p) => write!(f, "{p:.1}"),
            Self::Date(d) => write!(f, "{d}"),
            Self::None => f.write_str("-"),
        }
    }
}

impl Value {
    /// The exact count, when published.
    pub fn count(&self) -> Option<u64> {
        match self {
            Self::Count(n) => Some(*n),
            _ => None,
        }
    }

    /// The number, when published (count, percentage or days).
    pub fn number(&self) -> Option<f64> {
        match self {
            // Counts in a report stay far below 2^52.
            Self::Count(n) => Some(*n as f64),
            Self::Percent(p) | Self::Days(p) => Some(*p),
            _ => None,
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Count(n) => s.serialize_u64(*n),
            Self::Percent(p) | Self::Days(p) => s.serialize_f64((p * 10.0).round() / 10.0),
            Self::None => s.serialize_none(),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

/// One number of the report: unit × measure × school year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// School or board.
    #[serde(rename = "school")]
    pub unit: Unit,
    /// Machine name of the measure (`pupils`, `level:A2`, `signals_new:no_growth`, …).
    pub measure: String,
    /// School year.
    pub school_year: SchoolYear,
    /// The value as published.
    pub value: Value,
}

/// A school as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchoolHeader {
    /// BRIN.
    pub brin: Brin,
    /// Display name.
    pub name: String,
    /// Level codes of its ladder with their Dutch names, lowest first.
    pub levels: Vec<(String, String)>,
}

/// The finished board report (bestuursrapportage): every number already suppressed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardReport {
    /// Name of the board.
    pub board_name: String,
    /// School year reported on.
    pub school_year: SchoolYear,
    /// The year compared against.
    pub previous_year: SchoolYear,
    /// Peildatum of the reported year.
    pub as_of: NaiveDate,
    /// Peildatum of the previous year (same day one year earlier, capped to its last day).
    pub previous_as_of: NaiveDate,
    /// Suppression threshold used.
    pub threshold: u32,
    /// Grace in days for on-time evaluations.
    pub grace_days: u32,
    /// Rule ids, in order.
    pub rules: Vec<String>,
    /// Schools, in order.
    pub schools: Vec<SchoolHeader>,
    /// Every figure.
    pub figures: Vec<Figure>,
    /// Sync health per school and source (operational, about records not pupils: not suppressed).
    pub sync: Vec<(Brin, SyncHealth)>,
}

impl BoardReport {
    /// The value of one figure, `Value::None` when absent.
    pub fn value(&self, unit: &Unit, measure: &str, year: SchoolYear) -> Value {
        self.figures
            .iter()
            .find(|f| &f.unit == unit && f.measure == measure && f.school_year == year)
            .map_or(Value::None, |f| f.value)
    }
}

/// The national tiers in report order.
pub const TIERS: [NationalTier; 3] = [
    NationalTier::Basis,
    NationalTier::Extra,
    NationalTier::Specialised,
];

/// Plan kinds in report order.
pub const PLAN_KINDS: [PlanKind; 3] = [PlanKind::ActionPlan, PlanKind::GroupPlan, PlanKind::Opp];

/// Machine name of a tier (`basis`, `extra`, `specialised`).
pub fn tier_name(t: NationalTier) -> &'static str {
    match t {
        NationalTier::Basis => "basis",
        NationalTier::Extra => "extra",
        NationalTier::Specialised => "specialised",
    }
}
