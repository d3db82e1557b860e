//! School identity (BRIN), school year and grade (jaargroep).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::ParseError;

/// BRIN number of a school, optionally with a two-digit vestiging suffix (`11ZW`, `11ZW00`).
/// Four characters: two digits then two letters/digits, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Brin(String);

impl Brin {
    /// Parses a BRIN (`11ZW`) or BRIN+vestiging (`11ZW00`); case-insensitive, trimmed.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let ok_len = b.len() == 4 || b.len() == 6;
        if !ok_len {
            return Err(ParseError::new(
                "BRIN",
                input,
                "expected 4 characters (or 6 with vestiging)",
            ));
        }
        if !(b[0].is_ascii_digit() && b[1].is_ascii_digit()) {
            return Err(ParseError::new("BRIN", input, "must start with two digits"));
        }
        if !(b[2].is_ascii_alphanumeric() && b[3].is_ascii_alphanumeric()) {
            return Err(ParseError::new(
                "BRIN",
                input,
                "characters 3-4 must be letters or digits",
            ));
        }
        if b.len() == 6 && !(b[4].is_ascii_digit() && b[5].is_ascii_digit()) {
            return Err(ParseError::new("BRIN", input, "vestiging must be two digits"));
        }
        Ok(Self(s))
    }

    /// The BRIN as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Brin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Brin {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Brin> for String {
    fn from(value: Brin) -> Self {
        value.0
    }
}

/// A school (school) of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct School {
    /// National id.
    pub brin: Brin,
    /// Display name.
    pub name: String,
    /// Name of the care ladder (zorgniveaus) this school uses, see [`super::CareLadder`].
    pub care_ladder: String,
}

/// Schooljaar: August 1 up to and including July 31. Identified by the calendar year it starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchoolYear {
    start: i32,
}

impl SchoolYear {
    /// The school year starting on August 1 of `start_year`.
    pub fn starting(start_year: i32) -> Self {
        Self { start: start_year }
    }

    /// Parses `2025-2026`, `2025/2026` and the GKV form `2025 / 2026`; the second year must follow the first.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let (a, b) = s
            .split_once('-')
            .or_else(|| s.split_once('/'))
            .ok_or_else(|| ParseError::new("school year", input, "expected YYYY-YYYY"))?;
        let parse_year = |t: &str| -> Result<i32, ParseError> {
            let t = t.trim();
            if t.len() != 4 || !t.bytes().all(|c| c.is_ascii_digit()) {
                return Err(ParseError::new(
                    "school year",
                    input,
                    "years must have four digits",
                ));
            }
            t.parse::<i32>()
                .map_err(|_| ParseError::new("school year", input, "not a number"))
        };
        let (a, b) = (parse_year(a)?, parse_year(b)?);
        if b != a + 1 {
            return Err(ParseError::new(
                "school year",
                input,
                "second year must follow the first",
            ));
        }
        if !(1950..=2200).contains(&a) {
            return Err(ParseError::new("school year", input, "year out of range"));
        }
        Ok(Self { start: a })
    }

    /// The school year a date falls in (Aug 1 starts a new one).
    pub fn of_date(date: NaiveDate) -> Self {
        if date.month() >= 8 {
            Self { start: date.year() }
        } else {
            Self {
                start: date.year() - 1,
            }
        }
    }

    /// Calendar year of August 1.
    pub fn start_year(self) -> i32 {
        self.start
    }

    /// August 1.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start, 8, 1).unwrap_or(NaiveDate::MIN)
    }

    /// July 31 of the next calendar year.
    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.start + 1, 7, 31).unwrap_or(NaiveDate::MAX)
    }

    /// Whether `date` falls in this school year.
    pub fn contains(self, date: NaiveDate) -> bool {
        Self::of_date(date) == self
    }

    /// The previous school year.
    pub fn previous(self) -> Self {
        Self {
            start: self.start - 1,
        }
    }

    /// The next school year.
    pub fn next(self) -> Self {
        Self {
            start: self.start + 1,
        }
    }

    /// The ParnasSys GKV spelling, `2025 / 2026`.
    pub fn gkv(self) -> String {
        format!("{} / {}", self.start, self.start + 1)
    }
}

impl fmt::Display for SchoolYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.start + 1)
    }
}

impl TryFrom<String> for SchoolYear {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SchoolYear> for String {
    fn from(value: SchoolYear) -> Self {
        value.to_string()
    }
}

/// Jaargroep 1–8 (groep 3 is the first reading year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Grade(u8);

impl Grade {
    /// A grade from 1 to 8.
    pub fn new(n: u8) -> Result<Self, ParseError> {
        if (1..=8).contains(&n) {
            Ok(Self(n))
        } else {
            Err(ParseError::new("grade", &n.to_string(), "expected 1 to 8"))
        }
    }

    /// Parses `4`, `groep 4`, `Groep 4b` style text (the digit is the grade).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let digits: String = input
            .trim()
            .trim_start_matches(|c: char| c.is_alphabetic() || c.is_whitespace())
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let n = digits
            .parse::<u8>()
            .map_err(|_| ParseError::new("grade", input, "no grade number"))?;
        Self::new(n).map_err(|_| ParseError::new("grade", input, "expected 1 to 8"))
    }

    /// The number 1–8.
    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Grade {
    type Error = ParseError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Grade> for u8 {
    fn from(value: Grade) -> Self {
        value.0
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brin_accepts_plain_and_vestiging() {
        assert_eq!(Brin::parse("11zw").map(|b| b.to_string()), Ok("11ZW".into()));
        assert!(Brin::parse("11ZW00").is_ok());
        assert!(Brin::parse(" 04AB ").is_ok());
    }

    #[test]
    fn brin_rejects_garbage() {
        for bad in ["", "1ZW", "ZZ11", "11ZW0", "11ZW0A", "11-W", "11ZWXYZ"] {
            assert!(Brin::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn school_year_parses_both_spellings() {
        let y = SchoolYear::parse("2025-2026").expect("dash");
        assert_eq!(SchoolYear::parse("2025 / 2026"), Ok(y));
        assert_eq!(SchoolYear::parse("2025/2026"), Ok(y));
        assert_eq!(y.to_string(), "2025-2026");
        assert_eq!(y.gkv(), "2025 / 2026");
    }

    #[test]
    fn school_year_rejects_garbage() {
        for bad in [
            "2025-2027",
            "2025",
            "25-26",
            "abcd-efgh",
            "2026-2025",
            "",
            "2025 - 2026 - 2027",
        ] {
            assert!(SchoolYear::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn school_year_boundary_is_august_first() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(SchoolYear::of_date(d(2026, 7, 31)), SchoolYear::starting(2025));
        assert_eq!(SchoolYear::of_date(d(2026, 8, 1)), SchoolYear::starting(2026));
        assert_eq!(SchoolYear::starting(2025).first_day(), d(2025, 8, 1));
        assert_eq!(SchoolYear::starting(2025).last_day(), d(2026, 7, 31));
    }

    #[test]
    fn grade_parses_group_names() {
        assert_eq!(Grade::parse("groep 4b").map(Grade::get), Ok(4));
        assert_eq!(Grade::parse("8").map(Grade::get), Ok(8));
        assert!(Grade::parse("groep 9").is_err());
        assert!(Grade::parse("kleuters").is_err());
    }
}
