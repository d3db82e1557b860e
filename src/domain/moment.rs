//! Toetsmoment: main measurements M (mid-year) and E (end of year), or a tussenmeting, derived
//! from the afnamedatum with configurable windows (docs/DOMAIN.md §4).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Grade, ParseError, SchoolYear};

/// Kind of measurement moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentKind {
    /// Midden (M), hoofdmeting in winter.
    Mid,
    /// Eind (E), hoofdmeting in spring/summer.
    End,
    /// Tussenmeting: anything outside the windows.
    Between,
}

impl MomentKind {
    /// Whether this is a hoofdmeting (M or E).
    pub fn is_main_measurement(self) -> bool {
        matches!(self, Self::Mid | Self::End)
    }

    /// Parses `M`/`mid`/`midden`, `E`/`end`/`eind`, `between`/`tussen`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "m" | "mid" | "midden" => Ok(Self::Mid),
            "e" | "end" | "eind" => Ok(Self::End),
            "between" | "tussen" | "tussenmeting" | "t" => Ok(Self::Between),
            _ => Err(ParseError::new("moment", input, "expected M, E or tussen")),
        }
    }
}

/// A measurement moment within a school year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Moment {
    /// School year of the sitting.
    pub school_year: SchoolYear,
    /// M, E or in between.
    pub kind: MomentKind,
}

impl Moment {
    /// The usual Dutch label given the pupil's grade then: `M4`, `E5`, `T4` for a tussenmeting.
    pub fn label(self, grade: Option<Grade>) -> String {
        let k = match self.kind {
            MomentKind::Mid => "M",
            MomentKind::End => "E",
            MomentKind::Between => "T",
        };
        match grade {
            Some(g) => format!("{k}{g}"),
            None => format!("{k} {}", self.school_year),
        }
    }
}

/// A day of the year, `MM-DD`, used for window bounds that recur every year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    /// A month/day pair; validated against a leap year so `02-29` is allowed.
    pub fn new(month: u32, day: u32) -> Result<Self, ParseError> {
        if NaiveDate::from_ymd_opt(2024, month, day).is_none() {
            return Err(ParseError::new(
                "month-day",
                &format!("{month:02}-{day:02}"),
                "no such day",
            ));
        }
        Ok(Self { month, day })
    }

    /// Parses `MM-DD`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let (m, d) = input
            .trim()
            .split_once('-')
            .ok_or_else(|| ParseError::new("month-day", input, "expected MM-DD"))?;
        let m = m
            .parse()
            .map_err(|_| ParseError::new("month-day", input, "bad month"))?;
        let d = d
            .parse()
            .map_err(|_| ParseError::new("month-day", input, "bad day"))?;
        Self::new(m, d).map_err(|_| ParseError::new("month-day", input, "no such day"))
    }

    /// Month 1–12.
    pub fn month(self) -> u32 {
        self.month
    }

    /// Day of the month.
    pub fn day(self) -> u32 {
        self.day
    }

    /// This day within `school_year` (Aug 1 – Jul 31); `None` only for `02-29` in a non-leap year.
    pub fn in_school_year(self, school_year: SchoolYear) -> Option<NaiveDate> {
        let year = if self.month >= 8 {
            school_year.start_year()
        } else {
            school_year.start_year() + 1
        };
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }

    fn key(self) -> (u32, u32) {
        (self.month, self.day)
    }
}

impl TryFrom<String> for MonthDay {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<MonthDay> for String {
    fn from(v: MonthDay) -> Self {
        format!("{:02}-{:02}", v.month, v.day)
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// Windows for M and E; inclusive bounds. A window may wrap the new year (Dec 15 – Mar 15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MomentWindows {
    /// First day of the M window (default `12-15`).
    pub mid_from: MonthDay,
    /// Last day of the M window (default `03-15`).
    pub mid_to: MonthDay,
    /// First day of the E window (default `05-01`).
    pub end_from: MonthDay,
    /// Last day of the E window (default `07-15`).
    pub end_to: MonthDay,
}

impl Default for MomentWindows {
    fn default() -> Self {
        Self {
            mid_from: MonthDay { month: 12, day: 15 },
            mid_to: MonthDay { month: 3, day: 15 },
            end_from: MonthDay { month: 5, day: 1 },
            end_to: MonthDay { month: 7, day: 15 },
        }
    }
}

impl MomentWindows {
    /// Derives the moment of a sitting on `date`. The school year is that of the date, so a
    /// window never spans two school years (windows must lie within Aug 1 – Jul 31).
    pub fn moment_of(&self, date: NaiveDate) -> Moment {
        let key = (date.month(), date.day());
        let kind = if in_window(key, self.mid_from.key(), self.mid_to.key()) {
            MomentKind::Mid
        } else if in_window(key, self.end_from.key(), self.end_to.key()) {
            MomentKind::End
        } else {
            MomentKind::Between
        };
        Moment {
            school_year: SchoolYear::of_date(date),
            kind,
        }
    }

    /// Checks the windows do not overlap and none crosses August 1; names the offending bound.
    pub fn validate(&self) -> Result<(), String> {
        let crosses_aug1 = |from: MonthDay, to: MonthDay| {
            // Map dates to school-year order (Aug = 0) and require from <= to.
            school_order(from.key()) > school_order(to.key())
        };
        if crosses_aug1(self.mid_from, self.mid_to) {
            return Err("mid_from must come before mid_to within one school year".into());
        }
        if crosses_aug1(self.end_from, self.end_to) {
            return Err("end_from must come before end_to within one school year".into());
        }
        if school_order(self.mid_to.key()) >= school_order(self.end_from.key()) {
            return Err("the M window must end before the E window starts".into());
        }
        Ok(())
    }
}

fn school_order((m, d): (u32, u32)) -> (u32, u32) {
    ((m + 12 - 8) % 12, d)
}

fn in_window(key: (u32, u32), from: (u32, u32), to: (u32, u32)) -> bool {
    if from <= to {
        from <= key && key <= to
    } else {
        key >= from || key <= to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn mid_window_wraps_new_year_in_one_school_year() {
        let w = MomentWindows::default();
        let dec = w.moment_of(d(2025, 12, 15));
        let mar = w.moment_of(d(2026, 3, 15));
        assert_eq!(dec.kind, MomentKind::Mid);
        assert_eq!(mar.kind, MomentKind::Mid);
        assert_eq!(dec.school_year, mar.school_year);
        assert_eq!(dec.school_year, SchoolYear::starting(2025));
        assert_eq!(w.moment_of(d(2025, 12, 14)).kind, MomentKind::Between);
        assert_eq!(w.moment_of(d(2026, 3, 16)).kind, MomentKind::Between);
    }

    #[test]
    fn end_window_and_school_year_boundary() {
        let w = MomentWindows::default();
        assert_eq!(w.moment_of(d(2026, 5, 1)).kind, MomentKind::End);
        let late = w.moment_of(d(2026, 7, 15));
        assert_eq!(late.kind, MomentKind::End);
        assert_eq!(late.school_year, SchoolYear::starting(2025));
        let after = w.moment_of(d(2026, 7, 16));
        assert_eq!(after.kind, MomentKind::Between);
        let next = w.moment_of(d(2026, 8, 1));
        assert_eq!(next.kind, MomentKind::Between);
        assert_eq!(next.school_year, SchoolYear::starting(2026));
        assert_eq!(w.moment_of(d(2026, 9, 20)).kind, MomentKind::Between);
    }

    #[test]
    fn windows_are_configurable_and_validated() {
        let w = MomentWindows {
            mid_from: MonthDay::parse("01-10").expect("md"),
            mid_to: MonthDay::parse("02-28").expect("md"),
            end_from: MonthDay::parse("06-01").expect("md"),
            end_to: MonthDay::parse("06-30").expect("md"),
        };
        assert!(w.validate().is_ok());
        assert_eq!(w.moment_of(d(2026, 1, 9)).kind, MomentKind::Between);
        assert_eq!(w.moment_of(d(2026, 6, 30)).kind, MomentKind::End);
        let bad = MomentWindows {
            end_to: MonthDay::parse("08-15").expect("md"),
            ..w
        };
        assert!(bad.validate().is_err());
        assert!(MonthDay::parse("02-30").is_err());
        assert!(MomentWindows::default().validate().is_ok());
    }

    #[test]
    fn labels() {
        let m = MomentWindows::default().moment_of(d(2026, 1, 20));
        assert_eq!(m.label(Grade::new(4).ok()), "M4");
    }
}
