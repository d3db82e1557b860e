//! Schoolkalender: the holidays of one school and the school-week arithmetic built on them.
//! Deadlines count school weeks: a holiday pauses them (DOMAIN.md §6 "Calendar"). Pure: no clock,
//! no I/O. The rules (plan and OPP deadlines, the EED weeks) and the actions (whether a day is a
//! school day, for quiet mail) both read it, so it lives here in the domain layer.

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::ParseError;

/// Vakantieregio: the national school holidays of the Netherlands are set per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HolidayRegion {
    /// Regio noord.
    Noord,
    /// Regio midden.
    Midden,
    /// Regio zuid.
    Zuid,
}

impl HolidayRegion {
    /// Parses `noord`, `midden`, `zuid` (case-insensitive).
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        match input.trim().to_ascii_lowercase().as_str() {
            "noord" => Ok(Self::Noord),
            "midden" => Ok(Self::Midden),
            "zuid" => Ok(Self::Zuid),
            _ => Err(ParseError::new(
                "holiday region",
                input,
                "expected noord, midden or zuid",
            )),
        }
    }

    /// `noord`, `midden`, `zuid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Noord => "noord",
            Self::Midden => "midden",
            Self::Zuid => "zuid",
        }
    }
}

impl fmt::Display for HolidayRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A school holiday (vakantie): inclusive dates and a name (`herfstvakantie`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchoolHoliday {
    /// First day off.
    pub from: NaiveDate,
    /// Last day off.
    pub to: NaiveDate,
    /// Dutch name.
    pub name: String,
}

impl SchoolHoliday {
    /// A holiday from `from` to `to` inclusive.
    pub fn new(from: NaiveDate, to: NaiveDate, name: impl Into<String>) -> Self {
        Self {
            from,
            to,
            name: name.into(),
        }
    }

    /// Whether `date` falls in it.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// The holidays of one school. Empty means "no holidays known": every weekday is a school day and a
/// school week is a calendar week (the behaviour before calendars existed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchoolCalendar {
    /// Holidays sorted by start; they may overlap (a region's and an explicit one).
    holidays: Vec<SchoolHoliday>,
}

impl SchoolCalendar {
    /// No holidays.
    pub fn none() -> Self {
        Self::default()
    }

    /// The region's national holidays (OCW, see [`national_holidays`]) plus `explicit` ones.
    /// Without a region only the explicit dates count.
    pub fn new(region: Option<HolidayRegion>, explicit: &[SchoolHoliday]) -> Self {
        let mut holidays: Vec<SchoolHoliday> = region.map(national_holidays).unwrap_or_default();
        holidays.extend(explicit.iter().cloned());
        holidays.sort();
        holidays.dedup();
        Self { holidays }
    }

    /// Every holiday, sorted by start.
    pub fn holidays(&self) -> &[SchoolHoliday] {
        &self.holidays
    }

    /// Whether the calendar knows no holiday at all.
    pub fn is_empty(&self) -> bool {
        self.holidays.is_empty()
    }

    /// The holiday `date` falls in, if any (the first by start when holidays overlap).
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&SchoolHoliday> {
        self.holidays.iter().find(|h| h.contains(date))
    }

    /// Whether `date` is in a holiday.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holiday_on(date).is_some()
    }

    /// Whether `date` is a school day: Monday to Friday and not in a holiday. The function the
    /// mail policy asks before sending to a school (dates in Europe/Amsterdam).
    pub fn is_school_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.is_holiday(date)
    }

    /// `start` plus `weeks` school weeks: `7 × weeks` days that are not holiday days are counted
    /// after `start` (weekends count, holidays do not), so a holiday pauses the deadline and the
    /// result never falls in a holiday. Without holidays this is `start + weeks`.
    pub fn add_school_weeks(&self, start: NaiveDate, weeks: u32) -> NaiveDate {
        self.add_school_days(start, i64::from(weeks) * 7)
    }

    /// `start` plus `days` counted days that are not holiday days (see [`Self::add_school_weeks`]).
    pub fn add_school_days(&self, start: NaiveDate, days: i64) -> NaiveDate {
        let mut date = start;
        let mut left = days;
        while left > 0 {
            // Jump over a whole holiday at once: calendars span years, periods are weeks.
            let next = date + Duration::days(1);
            match self.holiday_on(next) {
                Some(h) => date = self.end_of_run(h.to),
                None => {
                    date = next;
                    left -= 1;
                }
            }
        }
        date
    }

    /// The latest date `x` on or before `end` from which [`Self::add_school_weeks`] of `weeks`
    /// reaches `end` or later: `end` minus `weeks` school weeks, counted backwards.
    pub fn sub_school_weeks(&self, end: NaiveDate, weeks: u32) -> NaiveDate {
        let mut date = end;
        let mut left = i64::from(weeks) * 7;
        while left > 0 {
            if !self.is_holiday(date) {
                left -= 1;
            }
            date -= Duration::days(1);
        }
        date
    }

    /// The number of non-holiday days from `from` to `to` inclusive (0 when `to < from`).
    pub fn school_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return 0;
        }
        let total = (to - from).num_days() + 1;
        let off: i64 = merged(&self.holidays)
            .iter()
            .map(|(a, b)| {
                let (a, b) = ((*a).max(from), (*b).min(to));
                if b < a { 0 } else { (b - a).num_days() + 1 }
            })
            .sum();
        total - off
    }

    /// Last day of the holiday run that includes a holiday ending on `to` (overlapping or
    /// back-to-back holidays form one run).
    fn end_of_run(&self, mut to: NaiveDate) -> NaiveDate {
        while let Some(h) = self.holiday_on(to + Duration::days(1)) {
            to = to.max(h.to);
        }
        to
    }
}

/// Holidays merged into disjoint inclusive ranges.
fn merged(holidays: &[SchoolHoliday]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for h in holidays {
        match out.last_mut() {
            Some((_, end)) if h.from <= *end + Duration::days(1) => *end = (*end).max(h.to),
            _ => out.push((h.from, h.to)),
        }
    }
    out
}

/// School years (by the calendar year of August 1) the built-in national table covers.
pub const NATIONAL_YEARS: std::ops::RangeInclusive<i32> = 2024..=2027;

/// The national school holidays of `region` (OCW: herfst-, kerst-, voorjaars-, mei- and
/// zomervakantie) for the school years in [`NATIONAL_YEARS`], from rijksoverheid.nl "Overzicht
/// schoolvakanties per schooljaar". The herfst- and voorjaarsvakantie are advice dates and the
/// meivakantie is the one national week; a school that deviates (a second meiweek, studiedagen,
/// carnaval) lists its own dates in the configuration (`[schools.calendar] holidays`). Outside the
/// covered years only explicit dates count (docs/RULES.md §1a).
pub fn national_holidays(region: HolidayRegion) -> Vec<SchoolHoliday> {
    use HolidayRegion::*;
    // (name, noord, midden, zuid) as (from, to) in YYYY-MM-DD.
    type Row = (&'static str, [(&'static str, &'static str); 3]);
    const TABLE: &[Row] = &[
        // 2024-2025
        (
            "herfstvakantie",
            [
                ("2024-10-19", "2024-10-27"),
                ("2024-10-26", "2024-11-03"),
                ("2024-10-19", "2024-10-27"),
            ],
        ),
        (
            "kerstvakantie",
            [
                ("2024-12-21", "2025-01-05"),
                ("2024-12-21", "2025-01-05"),
                ("2024-12-21", "2025-01-05"),
            ],
        ),
        (
            "voorjaarsvakantie",
            [
                ("2025-02-15", "2025-02-23"),
                ("2025-02-22", "2025-03-02"),
                ("2025-02-22", "2025-03-02"),
            ],
        ),
        (
            "meivakantie",
            [
                ("2025-04-26", "2025-05-04"),
                ("2025-04-26", "2025-05-04"),
                ("2025-04-26", "2025-05-04"),
            ],
        ),
        (
            "zomervakantie",
            [
                ("2025-07-12", "2025-08-24"),
                ("2025-07-19", "2025-08-31"),
                ("2025-07-05", "2025-08-17"),
            ],
        ),
        // 2025-2026
        (
            "herfstvakantie",
            [
                ("2025-10-18", "2025-10-26"),
                ("2025-10-18", "2025-10-26"),
                ("2025-10-11", "2025-10-19"),
            ],
        ),
        (
            "kerstvakantie",
            [
                ("2025-12-20", "2026-01-04"),
                ("2025-12-20", "2026-01-04"),
                ("2025-12-20", "2026-01-04"),
            ],
        ),
        (
            "voorjaarsvakantie",
            [
                ("2026-02-21", "2026-03-01"),
                ("2026-02-14", "2026-02-22"),
                ("2026-02-14", "2026-02-22"),
            ],
        ),
        (
            "meivakantie",
            [
                ("2026-04-25", "2026-05-03"),
                ("2026-04-25", "2026-05-03"),
                ("2026-04-25", "2026-05-03"),
            ],
        ),
        (
            "zomervakantie",
            [
                ("2026-07-04", "2026-08-16"),
                ("2026-07-18", "2026-08-30"),
                ("2026-07-11", "2026-08-23"),
            ],
        ),
        // 2026-2027
        (
            "herfstvakantie",
            [
                ("2026-10-10", "2026-10-18"),
                ("2026-10-17", "2026-10-25"),
                ("2026-10-17", "2026-10-25"),
            ],
        ),
        (
            "kerstvakantie",
            [
                ("2026-12-19", "2027-01-03"),
                ("2026-12-19", "2027-01-03"),
                ("2026-12-19", "2027-01-03"),
            ],
        ),
        (
            "voorjaarsvakantie",
            [
                ("2027-02-13", "2027-02-21"),
                ("2027-02-20", "2027-02-28"),
                ("2027-02-06", "2027-02-14"),
            ],
        ),
        (
            "meivakantie",
            [
                ("2027-04-24", "2027-05-02"),
                ("2027-04-24", "2027-05-02"),
                ("2027-04-24", "2027-05-02"),
            ],
        ),
        (
            "zomervakantie",
            [
                ("2027-07-10", "2027-08-22"),
                ("2027-07-17", "2027-08-29"),
                ("2027-07-03", "2027-08-15"),
            ],
        ),
        // 2027-2028
        (
            "herfstvakantie",
            [
                ("2027-10-16", "2027-10-24"),
                ("2027-10-16", "2027-10-24"),
                ("2027-10-23", "2027-10-31"),
            ],
        ),
        (
            "kerstvakantie",
            [
                ("2027-12-25", "2028-01-09"),
                ("2027-12-25", "2028-01-09"),
                ("2027-12-25", "2028-01-09"),
            ],
        ),
        (
            "voorjaarsvakantie",
            [
                ("2028-02-19", "2028-02-27"),
                ("2028-02-26", "2028-03-05"),
                ("2028-02-26", "2028-03-05"),
            ],
        ),
        (
            "meivakantie",
            [
                ("2028-04-29", "2028-05-07"),
                ("2028-04-29", "2028-05-07"),
                ("2028-04-29", "2028-05-07"),
            ],
        ),
        (
            "zomervakantie",
            [
                ("2028-07-15", "2028-08-27"),
                ("2028-07-08", "2028-08-20"),
                ("2028-07-22", "2028-09-03"),
            ],
        ),
    ];
    let column = match region {
        Noord => 0,
        Midden => 1,
        Zuid => 2,
    };
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN);
    TABLE
        .iter()
        .map(|(name, cols)| {
            let (from, to) = cols[column];
            SchoolHoliday::new(date(from), date(to), *name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn autumn() -> SchoolCalendar {
        SchoolCalendar::new(
            None,
            &[SchoolHoliday::new(
                d(2026, 10, 17),
                d(2026, 10, 25),
                "herfstvakantie",
            )],
        )
    }

    #[test]
    fn table_school_weeks() {
        let c = autumn();
        // (name, start, weeks, want)
        let cases = [
            ("no holiday in between", d(2026, 9, 1), 6, d(2026, 10, 13)),
            (
                "a week of holiday adds nine days",
                d(2026, 9, 14),
                6,
                d(2026, 11, 4),
            ),
            (
                "ends the day before the holiday",
                d(2026, 9, 5),
                6,
                d(2026, 10, 17 + 9),
            ),
            (
                "starting inside the holiday counts from its end",
                d(2026, 10, 20),
                1,
                d(2026, 11, 1),
            ),
            ("zero weeks is the start", d(2026, 10, 20), 0, d(2026, 10, 20)),
        ];
        for (name, start, weeks, want) in cases {
            let got = c.add_school_weeks(start, weeks);
            assert_eq!(got, want, "{name}");
            assert!(
                !c.is_holiday(got) || weeks == 0,
                "{name}: a deadline never falls in a holiday"
            );
        }
        assert_eq!(
            SchoolCalendar::none().add_school_weeks(d(2026, 9, 14), 6),
            d(2026, 10, 26)
        );
    }

    #[test]
    fn subtracting_inverts_adding() {
        let c = SchoolCalendar::new(Some(HolidayRegion::Midden), &[]);
        let mut start = d(2025, 8, 1);
        while start < d(2027, 8, 1) {
            for weeks in [1, 6, 8, 12] {
                let end = c.add_school_weeks(start, weeks);
                let back = c.sub_school_weeks(end, weeks);
                assert!(back >= start, "{start} {weeks}: {back}");
                assert_eq!(c.add_school_weeks(back, weeks), end, "{start} {weeks}");
            }
            start += Duration::days(3);
        }
    }

    #[test]
    fn school_days_and_counting() {
        let c = autumn();
        assert!(c.is_school_day(d(2026, 10, 16)), "a Friday before the holiday");
        assert!(!c.is_school_day(d(2026, 10, 19)), "a Monday in the holiday");
        assert!(!c.is_school_day(d(2026, 10, 10)), "a Saturday");
        assert_eq!(
            c.holiday_on(d(2026, 10, 20)).map(|h| h.name.as_str()),
            Some("herfstvakantie")
        );
        assert_eq!(c.school_days_between(d(2026, 10, 1), d(2026, 10, 31)), 31 - 9);
        assert_eq!(c.school_days_between(d(2026, 10, 31), d(2026, 10, 1)), 0);
    }

    #[test]
    fn national_table_is_ordered_and_regional() {
        for region in [HolidayRegion::Noord, HolidayRegion::Midden, HolidayRegion::Zuid] {
            let hs = national_holidays(region);
            assert_eq!(hs.len(), 5 * NATIONAL_YEARS.count());
            for h in &hs {
                assert!(h.from <= h.to && h.from > NaiveDate::MIN, "{region} {h:?}");
                assert!((h.to - h.from).num_days() <= 50, "{region} {h:?}");
            }
            for pair in hs.windows(2) {
                assert!(
                    pair[0].to < pair[1].from,
                    "{region}: {:?} overlaps {:?}",
                    pair[0],
                    pair[1]
                );
            }
            let summer = hs.iter().filter(|h| h.name == "zomervakantie").count();
            assert_eq!(summer, NATIONAL_YEARS.count());
        }
        let midden = SchoolCalendar::new(Some(HolidayRegion::Midden), &[]);
        assert!(midden.is_holiday(d(2026, 8, 30)));
        assert!(SchoolCalendar::new(Some(HolidayRegion::Noord), &[]).is_school_day(d(2026, 8, 17)));
        assert_eq!(HolidayRegion::parse(" Zuid "), Ok(HolidayRegion::Zuid));
        assert!(HolidayRegion::parse("oost").is_err());
    }
}
