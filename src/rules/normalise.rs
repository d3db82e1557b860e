//! The one place where raw results become measurements the rules reason about: domain, moment,
//! level across scales, de-duplication and order (issue 5, "levels across scales").

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{HistoryResult, PupilHistory, RuleParams};
use crate::domain::level::{percentile, preferred_band};
use crate::domain::result::{part_fallback, part_text};
use crate::domain::{
    AbilityScore, DomainMapping, Evidence, Grade, LearningDomain, Level, Membership, Moment, Scale, Source,
};

/// Counts of what normalisation set aside; summed over pupils for `evaluate` and `status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormaliseStats {
    /// Results seen.
    pub results: usize,
    /// Results of a test no mapping pattern knows (kept in the store, fed to no rule).
    pub unknown_tests: usize,
    /// Tempotoetsen automatiseren (TTR): no level of a domain, read by `dyscalculia_check` only.
    #[serde(default)]
    pub tempo_tests: usize,
    /// Results dated after `as_of`.
    pub after_as_of: usize,
    /// Tussenmetingen (outside the M/E windows, unless the source stated M or E).
    pub between_measurements: usize,
    /// Second copies of one sitting (same pupil, test, part, date) from another source.
    pub duplicates: usize,
    /// Earlier results of one test at one moment, replaced by the latest.
    pub superseded: usize,
    /// Results taken before groep 3 (kleutertoetsen): the LVS rules start in groep 3.
    #[serde(default)]
    pub before_grade_3: usize,
}

impl NormaliseStats {
    /// Adds `other` to `self`.
    pub fn add(&mut self, other: &NormaliseStats) {
        self.results += other.results;
        self.unknown_tests += other.unknown_tests;
        self.tempo_tests += other.tempo_tests;
        self.after_as_of += other.after_as_of;
        self.between_measurements += other.between_measurements;
        self.duplicates += other.duplicates;
        self.superseded += other.superseded;
        self.before_grade_3 += other.before_grade_3;
    }
}

/// A main measurement (hoofdmeting) in one domain, ready for the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Store id of the result.
    pub result_id: i64,
    /// Source of the result.
    pub source: Source,
    /// Leerdomein.
    pub domain: LearningDomain,
    /// Test display name.
    pub test_name: String,
    /// The test series within the domain ([`series_key`]): levels are only followed within one
    /// test (DMT 2009 and 2018 norms are one series; Cito and IEP are two).
    pub series: String,
    /// The pupil's grade on the afnamedatum, when known.
    pub grade: Option<Grade>,
    /// afnamedatum.
    pub taken_on: NaiveDate,
    /// Toetsmoment (M or E).
    pub moment: Moment,
    /// Dutch label with the grade of the day (`M4`), or the school year when the grade is unknown.
    pub label: String,
    /// Level for the level rules: I–V first, then A–E, then a percentile; `None` when the result
    /// carries no band (IEP referentieniveau only).
    pub band: Option<Level>,
    /// Percentile, when any score carries one.
    pub percentile: Option<u8>,
    /// Lowest 10 % from any carried score: `Some(true)` when one says so, `Some(false)` when one
    /// rules it out, `None` for a plain V alone.
    pub lowest_ten: Option<bool>,
    /// A non-band level to show (referentieniveau), when there is no band.
    pub other_level: Option<Level>,
    /// Referentieniveau (1F/2F/1S, or below 1F), when the result carries one.
    pub reference: Option<Level>,
    /// AVI level on its own scale ([`avi_ordinal`]), when the result carries one.
    pub avi: Option<u8>,
    /// Vaardigheidsscore on its own scale.
    pub ability: Option<AbilityScore>,
    /// Dutch note when two scores of this sitting disagree (a 2009-norm E beside a 2018-norm P14)
    /// and which one decided; shown in the evidence.
    pub conflict: Option<String>,
}

impl Measurement {
    /// "Niveau V of lager" (V, V-, E, P≤20).
    pub fn is_v_or_lower(&self) -> bool {
        self.band.and_then(Level::is_v_or_lower) == Some(true)
    }

    /// Short Dutch text for explanations: `M4 V-`.
    pub fn short(&self) -> String {
        match self.band.or(self.other_level) {
            Some(l) => format!("{} {l}", self.label),
            None => self.label.clone(),
        }
    }

    /// The evidence record for this measurement.
    pub fn evidence(&self) -> Evidence {
        let shown = self.band.or(self.other_level);
        Evidence {
            kind: "result".into(),
            id: self.result_id.to_string(),
            date: self.taken_on,
            test: Some(self.test_name.clone()),
            moment: Some(self.label.clone()),
            level: shown.map(|l| l.to_string()),
            scale: shown.map(|l| l.scale().code().to_string()),
            percentile: self.percentile,
            ability_score: self.ability.as_ref().map(|a| a.value),
            source: Some(self.source),
            note: self.conflict.clone(),
        }
    }
}

/// Test → domain classification with the patterns lower-cased once.
#[derive(Debug, Clone)]
pub struct Classifier {
    patterns: Vec<(String, Option<LearningDomain>)>,
}

impl Classifier {
    /// Prepares `mapping`.
    pub fn new(mapping: &DomainMapping) -> Self {
        Self {
            patterns: mapping
                .0
                .iter()
                .map(|p| (p.pattern.to_lowercase(), p.domain))
                .collect(),
        }
    }

    /// Same answer as [`DomainMapping::classify_result`]: first matching pattern wins, a pattern
    /// without domain says "no level of any domain", a Drempelonderzoek goes by its onderdeel.
    pub fn classify(
        &self,
        test_code: &str,
        test_name: &str,
        part_code: Option<&str>,
    ) -> Option<LearningDomain> {
        match part_text(test_code, test_name, part_code) {
            Some(part) => self
                .patterns
                .iter()
                .find(|(p, _)| part.contains(p.as_str()))
                .map(|(_, d)| *d)
                .unwrap_or_else(|| part_fallback(&part)),
            None => {
                let hay = format!("{test_code} {test_name}").to_lowercase();
                self.patterns
                    .iter()
                    .find(|(p, _)| hay.contains(p.as_str()))
                    .and_then(|(_, d)| *d)
            }
        }
    }
}

/// A pupil's main measurements per domain, each list ordered by afnamedatum (then id).
#[derive(Debug, Clone, Default)]
pub struct Normalised {
    domains: BTreeMap<LearningDomain, Vec<Measurement>>,
    /// What was set aside.
    pub stats: NormaliseStats,
}

impl Normalised {
    /// Every main measurement in `domain` (one per test and moment).
    pub fn main(&self, domain: LearningDomain) -> &[Measurement] {
        self.domains.get(&domain).map_or(&[], Vec::as_slice)
    }

    /// Domains with at least one main measurement, in stable order.
    pub fn domains(&self) -> impl Iterator<Item = LearningDomain> + '_ {
        self.domains.keys().copied()
    }

    /// Every level series of `domain`, one per test ([`Measurement::series`]): the measurements
    /// with a band, one per moment, ordered by date; series in key order.
    pub fn test_series(&self, domain: LearningDomain) -> Vec<Vec<&Measurement>> {
        let mut per_series: BTreeMap<&str, BTreeMap<Moment, &Measurement>> = BTreeMap::new();
        for m in self.main(domain).iter().filter(|m| m.band.is_some()) {
            let slot = per_series
                .entry(m.series.as_str())
                .or_default()
                .entry(m.moment)
                .or_insert(m);
            if (m.taken_on, m.result_id) > (slot.taken_on, slot.result_id) {
                *slot = m;
            }
        }
        per_series
            .into_values()
            .map(|by_moment| {
                let mut series: Vec<&Measurement> = by_moment.into_values().collect();
                series.sort_by_key(|m| (m.taken_on, m.result_id));
                series
            })
            .collect()
    }

    /// The domain's latest main round: the latest moment of any main measurement in the domain,
    /// with or without a band (an IEP round with only a referentieniveau counts). Word reading is
    /// the exception: only rounds of a test with a band count there, so the DMT stays the DMT.
    pub fn latest_round(&self, domain: LearningDomain) -> Option<Moment> {
        self.main(domain)
            .iter()
            .filter(|m| domain != LearningDomain::WordReading || m.band.is_some())
            .map(|m| m.moment)
            .max()
    }

    /// The *current* level series of `domain`: those that end at the domain's latest main round
    /// ([`Normalised::latest_round`]). After a later IEP round an older Cito series is history.
    pub fn current_series(&self, domain: LearningDomain) -> Vec<Vec<&Measurement>> {
        let Some(latest) = self.latest_round(domain) else {
            return Vec::new();
        };
        self.test_series(domain)
            .into_iter()
            .filter(|s| s.last().is_some_and(|m| m.moment == latest))
            .collect()
    }

    /// The one current level series the single-series rules judge (`dmt_three_lowest`): of the
    /// current series, the one with the longest trailing low run, then the first by key. Empty
    /// when no series is current.
    pub fn level_series(&self, domain: LearningDomain) -> Vec<&Measurement> {
        let mut best: Vec<&Measurement> = Vec::new();
        let mut best_run = 0;
        for s in self.current_series(domain) {
            let run = trailing_low_run(&s).len();
            if best.is_empty() || run > best_run {
                best_run = run;
                best = s;
            }
        }
        best
    }
}

/// The series key of a result within its domain: the toetscode, plus the onderdeel for a
/// Drempelonderzoek and a `/WERKWOORDEN` suffix for Spelling werkwoorden (its own series even
/// under the spelling toetscode); every DMT (any code, norm or provider) is the one series `DMT`.
pub fn series_key(test_code: &str, test_name: &str, part_code: Option<&str>) -> String {
    let code = test_code.trim().to_ascii_uppercase();
    let hay = format!("{test_code} {test_name}").to_lowercase();
    if hay.contains("drempel") {
        return format!(
            "{code}/{}/{}",
            part_code.unwrap_or("").trim().to_ascii_uppercase(),
            test_name.trim().to_ascii_uppercase()
        );
    }
    if hay.contains("werkwoord") {
        return format!("{code}/WERKWOORDEN");
    }
    // The DMT stays the DMT, whatever its code, norm edition or provider.
    if ["dmt", "drie-minuten", "drieminuten", "drie minuten"]
        .iter()
        .any(|p| hay.contains(p))
    {
        return "DMT".into();
    }
    code
}

/// AVI level on its own ordinal scale: AVI-Start 0, M3 1, E3 2, M4 3, … E7 10, AVI-Plus 11.
/// `None` for anything else (the old AVI 1–9 levels are not compared with the new ones).
pub fn avi_ordinal(value: &str) -> Option<u8> {
    let v = value.trim().to_ascii_uppercase().replace(['-', ' '], "");
    let v = v.strip_prefix("AVI").unwrap_or(&v);
    match v {
        "START" => Some(0),
        "PLUS" | "+" => Some(11),
        _ => {
            let (kind, grade) = v.split_at_checked(1)?;
            let grade: u8 = grade.parse().ok()?;
            if !(3..=7).contains(&grade) {
                return None;
            }
            let base = (grade - 3) * 2 + 1;
            match kind {
                "M" => Some(base),
                "E" => Some(base + 1),
                _ => None,
            }
        }
    }
}

/// Dutch display of an AVI ordinal (`E4`, `AVI-Start`, `AVI-Plus`).
pub fn avi_label(ordinal: u8) -> String {
    match ordinal {
        0 => "AVI-Start".into(),
        11.. => "AVI-Plus".into(),
        n => {
            let grade = (n - 1) / 2 + 3;
            let kind = if n % 2 == 1 { "M" } else { "E" };
            format!("{kind}{grade}")
        }
    }
}

/// Normalises a pupil's results as of `as_of` (see docs/RULES.md, "Normalisation").
pub fn normalise(
    history: &PupilHistory,
    as_of: NaiveDate,
    params: &RuleParams,
    cls: &Classifier,
) -> Normalised {
    let mut stats = NormaliseStats {
        results: history.results.len(),
        ..NormaliseStats::default()
    };
    let mut domain_cache: HashMap<(&str, &str, Option<&str>), Option<LearningDomain>> = HashMap::new();

    // 1. Domain, date and moment filters.
    let mut kept: Vec<(&HistoryResult, LearningDomain, Moment)> = Vec::new();
    for hr in &history.results {
        let r = &hr.result;
        let domain = *domain_cache
            .entry((r.test_code.as_str(), r.test_name.as_str(), r.part_code.as_deref()))
            .or_insert_with(|| cls.classify(&r.test_code, &r.test_name, r.part_code.as_deref()));
        let Some(domain) = domain else {
            if params.dyscalculia_check.is_tempo_test(&r.test_code, &r.test_name) {
                stats.tempo_tests += 1;
            } else {
                stats.unknown_tests += 1;
            }
            continue;
        };
        if r.taken_on > as_of {
            stats.after_as_of += 1;
            continue;
        }
        let mut moment = params.moment_windows.moment_of(r.taken_on);
        if let Some(stated) = r.stated_moment {
            moment.kind = stated;
        }
        if !moment.kind.is_main_measurement() {
            stats.between_measurements += 1;
            continue;
        }
        // The LVS rules start in groep 3 (kleutertoetsen are no levels of these domains).
        if grade_on(&history.memberships, r.taken_on).is_some_and(|g| g.get() < 3) {
            stats.before_grade_3 += 1;
            continue;
        }
        kept.push((hr, domain, moment));
    }

    // 2. One sitting from two sources counts once: prefer the copy with a band, then the lowest id
    //    (the first stored), so a late duplicate never moves a signal's anchor.
    let mut sittings: HashMap<String, (&HistoryResult, LearningDomain, Moment)> = HashMap::new();
    for item in kept {
        match sittings.entry(item.0.result.content_key()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(item);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                stats.duplicates += 1;
                let rank =
                    |hr: &HistoryResult| (preferred_band(&hr.result.reference_scores).is_none(), hr.id);
                if rank(item.0) < rank(o.get().0) {
                    o.insert(item);
                }
            }
        }
    }

    // 3. Several results of one test (series) at one moment: the latest afnamedatum wins; on the
    //    same day a total (no part code) beats a card, then the highest id.
    let mut per_test: HashMap<(LearningDomain, String, Moment), &HistoryResult> = HashMap::new();
    for (hr, domain, moment) in sittings.into_values() {
        let r = &hr.result;
        let key = (
            domain,
            series_key(&r.test_code, &r.test_name, r.part_code.as_deref()),
            moment,
        );
        let rank = |h: &HistoryResult| (h.result.taken_on, h.result.part_code.is_none(), h.id);
        match per_test.entry(key) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(hr);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                stats.superseded += 1;
                if rank(hr) > rank(o.get()) {
                    o.insert(hr);
                }
            }
        }
    }

    // 4. Measurements per domain, ordered by date (doublures: never by grade). A source that
    //    writes I+ anywhere for this pupil shows the seven-level display (plain V = P11–20).
    let seven_level: Vec<Source> = history
        .results
        .iter()
        .filter(|hr| {
            params.seven_level_display
                || hr
                    .result
                    .reference_scores
                    .iter()
                    .any(|s| s.level.is_some_and(Level::is_seven_level))
        })
        .map(|hr| hr.result.source)
        .collect();
    let mut domains: BTreeMap<LearningDomain, Vec<Measurement>> = BTreeMap::new();
    for ((domain, series, moment), hr) in per_test {
        let seven = params.seven_level_display || seven_level.contains(&hr.result.source);
        domains.entry(domain).or_default().push(measurement(
            hr,
            domain,
            series,
            moment,
            &history.memberships,
            seven,
        ));
    }
    for list in domains.values_mut() {
        list.sort_by_key(|m| (m.taken_on, m.result_id));
    }
    Normalised { domains, stats }
}

/// "Lowest 10 %" of one score; with the seven-level display a plain V is P11–20.
fn lowest_ten_of(level: Level, seven_level: bool) -> Option<bool> {
    match level {
        Level::Iv {
            ordinal: 5,
            minus: false,
        } if seven_level => Some(false),
        other => other.is_lowest_ten_percent(),
    }
}

/// Dutch name of the norm a score belongs to, for the conflict note.
fn norm_name(level: Level) -> &'static str {
    match level {
        Level::Ae { .. } => "A–E, DMT-norm 2009",
        Level::Iv { .. } => "I–V, norm 2018",
        Level::Percentile(_) => "percentiel",
        Level::Reference { .. } => "referentieniveau",
    }
}

/// Lowest 10 % of a sitting and, when its scores disagree, the note naming the conflict. The
/// percentile decides, else the newest norm (I–V before A–E) — issue 16 item 5.
fn lowest_ten_of_sitting(levels: &[Level], seven_level: bool) -> (Option<bool>, Option<String>) {
    let known: Vec<(Level, bool)> = levels
        .iter()
        .filter_map(|&l| lowest_ten_of(l, seven_level).map(|v| (l, v)))
        .collect();
    let pick = |scale: Scale| known.iter().find(|(l, _)| l.scale() == scale).copied();
    let decider = pick(Scale::Percentile)
        .or_else(|| pick(Scale::Iv))
        .or_else(|| pick(Scale::Ae));
    let Some((decided_by, value)) = decider else {
        return (None, None);
    };
    let conflict = known
        .iter()
        .find(|(_, v)| *v != value)
        .map(|(other, _)| {
            format!(
                "Twee scores van deze afname spreken elkaar tegen: {other} ({}) en {decided_by} ({}); {decided_by} telt.",
                norm_name(*other),
                norm_name(decided_by)
            )
        });
    (Some(value), conflict)
}

fn measurement(
    hr: &HistoryResult,
    domain: LearningDomain,
    series: String,
    moment: Moment,
    memberships: &[Membership],
    seven_level: bool,
) -> Measurement {
    let r = &hr.result;
    let scores = &r.reference_scores;
    let levels = || scores.iter().filter_map(|s| s.level);
    let all: Vec<Level> = levels().collect();
    let (lowest_ten, conflict) = lowest_ten_of_sitting(&all, seven_level);
    let grade = grade_on(memberships, r.taken_on);
    Measurement {
        result_id: hr.id,
        source: r.source,
        domain,
        series,
        grade,
        test_name: if r.test_name.trim().is_empty() {
            r.test_code.clone()
        } else {
            r.test_name.clone()
        },
        taken_on: r.taken_on,
        moment,
        label: moment.label(grade),
        band: preferred_band(scores),
        percentile: percentile(scores),
        lowest_ten,
        other_level: levels().find(|l| l.band_ordinal().is_none() && !matches!(l, Level::Percentile(_))),
        reference: levels().find(|l| matches!(l, Level::Reference { .. })),
        avi: scores
            .iter()
            .filter(|s| s.code.trim().eq_ignore_ascii_case("AVI"))
            .find_map(|s| avi_ordinal(&s.value)),
        ability: r.ability.clone(),
        conflict,
    }
}

/// The grade (leerjaar) of the membership covering `date`; the latest-starting one if several do.
pub fn grade_on(memberships: &[Membership], date: NaiveDate) -> Option<Grade> {
    memberships
        .iter()
        .filter(|m| m.covers(date))
        .max_by_key(|m| (m.from, m.grade))
        .map(|m| m.grade)
}

/// The unbroken run of "niveau V of lager" at the end of `series` (empty when the latest is
/// above V). Its first element is the anchor of the run's signals.
pub fn trailing_low_run<'s, 'm>(series: &'s [&'m Measurement]) -> &'s [&'m Measurement] {
    let start = series
        .iter()
        .rposition(|m| !m.is_v_or_lower())
        .map_or(0, |i| i + 1);
    series.get(start..).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, d};
    use super::*;
    use crate::domain::MomentKind;

    fn norm(p: Pupil, as_of: NaiveDate) -> Normalised {
        let params = RuleParams::default();
        normalise(
            &p.build(),
            as_of,
            &params,
            &Classifier::new(&params.domain_mapping),
        )
    }

    fn rw(p: Pupil, on: NaiveDate, scores: &[(&str, &str)]) -> Pupil {
        p.result("RW", "Cito Rekenen-Wiskunde", on, scores)
    }

    fn iep(p: Pupil, on: NaiveDate, scores: &[(&str, &str)]) -> Pupil {
        p.result("IEP-RK", "IEP Rekenen", on, scores)
    }

    /// Issue 16, item 2: a run is current only when it ends at the domain's latest main round.
    #[test]
    fn only_series_ending_at_the_latest_round_are_current() {
        type Build = fn() -> Pupil;
        // (name, pupil, domain, current series lengths)
        let cases: &[(&str, Build, LearningDomain, &[usize])] = &[
            (
                "Cito run ending at the latest round is current",
                || {
                    rw(
                        rw(Pupil::new(1), d(2024, 1, 20), &[("IV", "V")]),
                        d(2024, 6, 10),
                        &[("IV", "V")],
                    )
                },
                LearningDomain::Mathematics,
                &[2],
            ),
            (
                "a later IEP round without a band ends the Cito run",
                || {
                    iep(
                        rw(
                            rw(Pupil::new(1), d(2024, 1, 20), &[("IV", "V")]),
                            d(2024, 6, 10),
                            &[("IV", "V")],
                        ),
                        d(2025, 1, 20),
                        &[("RNTRM", "1F")],
                    )
                },
                LearningDomain::Mathematics,
                &[],
            ),
            (
                "a later IEP round with a percentile is its own series",
                || {
                    iep(
                        rw(
                            rw(Pupil::new(1), d(2024, 1, 20), &[("IV", "V")]),
                            d(2024, 6, 10),
                            &[("IV", "V")],
                        ),
                        d(2025, 1, 20),
                        &[("PC", "15")],
                    )
                },
                LearningDomain::Mathematics,
                &[1],
            ),
            (
                "the DMT stays the DMT: a bandless word-reading result does not end it",
                || {
                    Pupil::new(1)
                        .dmt(d(2024, 1, 20), "V")
                        .dmt(d(2024, 6, 10), "V")
                        .result("IEP-TL", "IEP Woordlezen", d(2025, 1, 20), &[("RNTRM", "1F")])
                },
                LearningDomain::WordReading,
                &[2],
            ),
            (
                "DMT 2009 (A-E) and 2018 (I-V) norms are one series",
                || {
                    Pupil::new(1)
                        .result("DMT", "Drie-Minuten-Toets 2009", d(2024, 1, 20), &[("AE", "E")])
                        .dmt(d(2024, 6, 10), "V")
                },
                LearningDomain::WordReading,
                &[2],
            ),
            (
                "spelling werkwoorden is its own series",
                || {
                    Pupil::new(1)
                        .result("SP", "Spelling", d(2024, 1, 20), &[("IV", "V")])
                        .result("SP", "Spelling werkwoorden", d(2024, 1, 20), &[("IV", "II")])
                        .with(|r| r.part_code = Some("WW".into()))
                        .result("SP", "Spelling", d(2024, 6, 10), &[("IV", "V")])
                        .result("SP", "Spelling werkwoorden", d(2024, 6, 10), &[("IV", "II")])
                        .with(|r| r.part_code = Some("WW".into()))
                },
                LearningDomain::Spelling,
                &[2, 2],
            ),
        ];
        for (name, build, domain, want) in cases {
            let n = norm(build(), d(2025, 12, 31));
            let got: Vec<usize> = n.current_series(*domain).iter().map(Vec::len).collect();
            assert_eq!(got, *want, "{name}");
        }
    }

    /// Issue 16, item 13: the LVS rules start in groep 3; Drempelonderzoek goes by its onderdeel.
    #[test]
    fn kleuter_results_and_drempel_parts() {
        let n = norm(
            Pupil::new(1)
                .grade(2, 2022)
                .result("RW", "Rekenen", d(2023, 1, 20), &[("IV", "V")])
                .result("DO", "Drempelonderzoek", d(2025, 1, 20), &[("PC", "5")])
                .with(|r| r.part_code = Some("Rekenen".into()))
                .result("DO", "Drempelonderzoek", d(2025, 1, 20), &[("PC", "50")])
                .with(|r| r.part_code = Some("Technisch lezen".into())),
            d(2025, 12, 31),
        );
        assert_eq!(n.stats.before_grade_3, 1);
        assert_eq!(n.main(LearningDomain::Mathematics).len(), 1);
        assert_eq!(n.main(LearningDomain::Mathematics)[0].percentile, Some(5));
        assert_eq!(n.main(LearningDomain::TechnicalReading)[0].percentile, Some(50));
    }

    #[test]
    fn avi_levels_have_their_own_scale() {
        let cases = [
            ("AVI-Start", Some(0)),
            ("M3", Some(1)),
            ("E3", Some(2)),
            ("avi m4", Some(3)),
            ("E7", Some(10)),
            ("AVI-Plus", Some(11)),
            ("E8", None),
            ("9", None),
        ];
        for (text, want) in cases {
            assert_eq!(avi_ordinal(text), want, "{text}");
            if let Some(o) = want {
                assert_eq!(avi_ordinal(&avi_label(o)), Some(o));
            }
        }
    }

    #[test]
    fn counts_what_it_sets_aside() {
        let n = norm(
            Pupil::new(1)
                .result("SEO", "Sociaal-emotioneel", d(2025, 1, 20), &[])
                .result("TTR", "Tempo Test Rekenen", d(2025, 1, 27), &[("IV", "V")])
                .dmt(d(2025, 1, 20), "V")
                .dmt(d(2025, 1, 20), "V")
                .with(|r| r.source = Source::Oso)
                .dmt(d(2025, 2, 3), "IV")
                .dmt(d(2025, 10, 1), "III")
                .dmt(d(2026, 1, 20), "I"),
            d(2025, 12, 31),
        );
        assert_eq!(
            n.stats,
            NormaliseStats {
                results: 7,
                unknown_tests: 1,
                tempo_tests: 1,
                after_as_of: 1,
                between_measurements: 1,
                duplicates: 1,
                superseded: 1,
                before_grade_3: 0,
            }
        );
        let series = n.level_series(LearningDomain::WordReading);
        assert_eq!(series.len(), 1);
        assert_eq!(
            series[0].short(),
            "M4 IV",
            "the latest sitting of the moment wins"
        );
    }

    #[test]
    fn stated_moment_wins_and_missing_grade_shows_the_year() {
        let n = norm(
            Pupil::new(1)
                .no_grades()
                .dmt(d(2025, 4, 10), "V")
                .with(|r| r.stated_moment = Some(MomentKind::End)),
            d(2025, 12, 31),
        );
        let m = n.main(LearningDomain::WordReading);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].label, "E 2024-2025");
    }

    #[test]
    fn lowest_ten_uses_any_carried_score() {
        let n = norm(
            Pupil::new(1)
                .result("DMT", "DMT", d(2024, 1, 20), &[("IV", "V"), ("PC", "9")])
                .result("DMT", "DMT", d(2024, 6, 10), &[("IV", "V"), ("PC", "15")])
                .result("DMT", "DMT", d(2025, 1, 20), &[("IV", "V")]),
            d(2025, 12, 31),
        );
        let got: Vec<_> = n
            .main(LearningDomain::WordReading)
            .iter()
            .map(|m| m.lowest_ten)
            .collect();
        assert_eq!(got, [Some(true), Some(false), None]);
    }

    /// Issue 16 item 5: two norms of one sitting that disagree — the percentile decides, else
    /// I–V (2018) over A–E (2009) — and the conflict is named; I+ marks the seven-level display.
    #[test]
    fn norm_conflicts_and_the_seven_level_display() {
        type Case<'s> = (&'s str, &'s [(&'s str, &'s str)], Option<bool>, bool);
        let table: &[Case<'_>] = &[
            (
                "E beside P14: the percentile decides",
                &[("AE", "E"), ("PC", "14")],
                Some(false),
                true,
            ),
            ("V- beside P14", &[("IV", "V-"), ("PC", "14")], Some(false), true),
            (
                "E beside IV: the newest norm decides",
                &[("AE", "E"), ("IV", "IV")],
                Some(false),
                true,
            ),
            (
                "E beside V-: agree",
                &[("AE", "E"), ("IV", "V-")],
                Some(true),
                false,
            ),
            ("V beside P8", &[("IV", "V"), ("PC", "8")], Some(true), false),
            ("plain V alone", &[("IV", "V")], None, false),
            (
                "E beside a plain V",
                &[("AE", "E"), ("IV", "V")],
                Some(true),
                false,
            ),
        ];
        for (name, scores, want, conflict) in table {
            let n = norm(
                Pupil::new(1).result("DMT", "DMT", d(2025, 1, 20), scores),
                d(2025, 12, 31),
            );
            let m = &n.main(LearningDomain::WordReading)[0];
            assert_eq!(m.lowest_ten, *want, "{name}");
            assert_eq!(m.conflict.is_some(), *conflict, "{name}: {:?}", m.conflict);
        }
        let n = norm(
            Pupil::new(1).result("DMT", "DMT", d(2024, 1, 20), &[("AE", "E"), ("PC", "14")]),
            d(2025, 12, 31),
        );
        let note = n.main(LearningDomain::WordReading)[0]
            .evidence()
            .note
            .unwrap_or_default();
        assert_eq!(
            note,
            "Twee scores van deze afname spreken elkaar tegen: E (A–E, DMT-norm 2009) en P14 (percentiel); P14 telt."
        );

        // I+ anywhere from the same source: that source shows seven levels, a plain V is P11–20.
        let seven = norm(
            Pupil::new(1)
                .result("REK", "Rekenen-Wiskunde", d(2024, 1, 22), &[("IV", "I+")])
                .result("DMT", "DMT", d(2025, 1, 20), &[("IV", "V")]),
            d(2025, 12, 31),
        );
        assert_eq!(seven.main(LearningDomain::WordReading)[0].lowest_ten, Some(false));
        let params = RuleParams {
            seven_level_display: true,
            ..RuleParams::default()
        };
        let configured = normalise(
            &Pupil::new(1)
                .result("DMT", "DMT", d(2025, 1, 20), &[("IV", "V")])
                .build(),
            d(2025, 12, 31),
            &params,
            &Classifier::new(&params.domain_mapping),
        );
        assert_eq!(
            configured.main(LearningDomain::WordReading)[0].lowest_ten,
            Some(false)
        );
    }
}
