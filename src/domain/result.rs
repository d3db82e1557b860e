//! Toetsresultaten: a sitting of a test by a pupil, with every reference score it carries, and
//! the learning domain (leerdomein) a test feeds.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Brin, MomentKind, ParseError, ReferenceScore, Source};

/// Leerdomein a test measures; the rules reason per domain, never per test brand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LearningDomain {
    /// Woordlezen / DMT (Drie-Minuten-Toets).
    WordReading,
    /// Technisch lezen other than DMT (AVI, drempeltoets).
    TechnicalReading,
    /// Spelling.
    Spelling,
    /// Begrijpend lezen.
    ReadingComprehension,
    /// Rekenen-wiskunde.
    Mathematics,
}

impl LearningDomain {
    /// Every domain, in a stable order.
    pub const ALL: [LearningDomain; 5] = [
        Self::WordReading,
        Self::TechnicalReading,
        Self::Spelling,
        Self::ReadingComprehension,
        Self::Mathematics,
    ];

    /// Stable identifier (`word_reading`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WordReading => "word_reading",
            Self::TechnicalReading => "technical_reading",
            Self::Spelling => "spelling",
            Self::ReadingComprehension => "reading_comprehension",
            Self::Mathematics => "mathematics",
        }
    }

    /// Parses the identifier of [`LearningDomain::as_str`].
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == input.trim())
            .ok_or_else(|| ParseError::new("learning domain", input, "unknown domain"))
    }

    /// Dutch name for mails, dashboard and report.
    pub fn dutch(self) -> &'static str {
        match self {
            Self::WordReading => "woordlezen (DMT)",
            Self::TechnicalReading => "technisch lezen",
            Self::Spelling => "spelling",
            Self::ReadingComprehension => "begrijpend lezen",
            Self::Mathematics => "rekenen-wiskunde",
        }
    }

    /// Both kinds of technisch lezen: a plan for one covers the other (EED, plan coverage).
    pub fn is_reading(self) -> bool {
        matches!(self, Self::WordReading | Self::TechnicalReading)
    }
}

impl fmt::Display for LearningDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One mapping rule: a test whose code or name contains `pattern` (case-insensitive) feeds `domain`.
/// A pattern without a domain marks tests that are no level of any domain (tempotoetsen such as the
/// TTR, kleutertoetsen): they are kept in the store and fed to no rule (issue 16, item 13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainPattern {
    /// Case-insensitive substring of toetscode or toetsnaam.
    pub pattern: String,
    /// Domain it maps to; `None` (key left out): the test feeds no domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<LearningDomain>,
}

/// Test → domain mapping; first matching pattern wins. Unknown tests map to `None`: kept, counted,
/// but fed to no rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DomainMapping(pub Vec<DomainPattern>);

impl Default for DomainMapping {
    fn default() -> Self {
        use LearningDomain::*;
        let p = |pattern: &str, domain: LearningDomain| DomainPattern {
            pattern: pattern.into(),
            domain: Some(domain),
        };
        let none = |pattern: &str| DomainPattern {
            pattern: pattern.into(),
            domain: None,
        };
        // Order matters: the first match wins, so the tests that are no level come first.
        Self(vec![
            none("tempotoets"),
            none("tempo-toets"),
            none("tempo toets"),
            none("ttr"),
            none("kleuter"),
            p("dmt", WordReading),
            p("drie-minuten", WordReading),
            p("drieminuten", WordReading),
            p("drie minuten", WordReading),
            p("woordlezen", WordReading),
            p("een-minuut", WordReading),
            p("een minuut", WordReading),
            p("emt", WordReading),
            p("klepel", WordReading),
            p("avi", TechnicalReading),
            p("technisch lezen", TechnicalReading),
            p("begrijpend", ReadingComprehension),
            p("lezen met begrip", ReadingComprehension),
            p("taalverzorging", Spelling),
            p("spelling", Spelling),
            p("pi-dictee", Spelling),
            p("pi dictee", Spelling),
            p("pidictee", Spelling),
            p("rekenen", Mathematics),
            p("wiskunde", Mathematics),
            p("getallen", Mathematics),
        ])
    }
}

impl DomainMapping {
    /// Classifies a test by its code and name (first matching pattern; a pattern without domain
    /// says "no domain").
    pub fn classify(&self, test_code: &str, test_name: &str) -> Option<LearningDomain> {
        let hay = format!("{} {}", test_code, test_name).to_lowercase();
        self.0
            .iter()
            .find(|p| hay.contains(&p.pattern.to_lowercase()))
            .and_then(|p| p.domain)
    }

    /// Classifies one result: like [`DomainMapping::classify`], except that a Drempelonderzoek
    /// (`drempel` in code or name) is classified by its onderdeel (part code and the rest of the
    /// name): its rekenen part is rekenen, not technisch lezen; without a known onderdeel it feeds
    /// no domain.
    pub fn classify_result(
        &self,
        test_code: &str,
        test_name: &str,
        part_code: Option<&str>,
    ) -> Option<LearningDomain> {
        let Some(part) = part_text(test_code, test_name, part_code) else {
            return self.classify(test_code, test_name);
        };
        self.0
            .iter()
            .find(|p| part.contains(&p.pattern.to_lowercase()))
            .map(|p| p.domain)
            .unwrap_or_else(|| part_fallback(&part))
    }
}

/// Tests with onderdelen in several domains (Drempelonderzoek, the groep 8 doorstroomtoets or
/// eindtoets) are classified by their onderdeel: the lower-cased part code and name without the
/// test's own name. `None` for every other test.
pub fn part_text(test_code: &str, test_name: &str, part_code: Option<&str>) -> Option<String> {
    let hay = format!("{test_code} {test_name}").to_lowercase();
    let by_part = ["drempel", "doorstroom", "eindtoets"]
        .iter()
        .any(|w| hay.contains(w));
    by_part.then(|| {
        let mut t = format!("{} {}", part_code.unwrap_or(""), test_name).to_lowercase();
        for w in [
            "drempelonderzoek",
            "drempeltoets",
            "drempel",
            "doorstroomtoets",
            "doorstroom",
            "eindtoets",
        ] {
            t = t.replace(w, " ");
        }
        t
    })
}

/// The onderdeel "Lezen" of a doorstroomtoets is begrijpend lezen; anything else unknown.
pub fn part_fallback(part: &str) -> Option<LearningDomain> {
    part.split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "lezen")
        .then_some(LearningDomain::ReadingComprehension)
}

impl DomainMapping {}

/// Vaardigheidsscore with the scale it is on (only comparable within one scale code).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AbilityScore {
    /// The score.
    pub value: f64,
    /// Scale code, e.g. `cito-dmt-2018`, `iep-ontwikkelscore`.
    pub scale: String,
    /// Betrouwbaarheidsinterval (OSO/UWLR `bivlaag`/`bivhoog`), when the source gives one: the
    /// margin `no_growth` allows for measurement error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<ConfidenceInterval>,
}

/// A betrouwbaarheidsinterval around a vaardigheidsscore.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceInterval {
    /// `bivlaag`.
    pub low: f64,
    /// `bivhoog`.
    pub high: f64,
}

impl ConfidenceInterval {
    /// An interval from `bivlaag`/`bivhoog`; `None` unless both are finite and `low <= high`.
    pub fn new(low: f64, high: f64) -> Option<Self> {
        (low.is_finite() && high.is_finite() && low <= high).then_some(Self { low, high })
    }

    /// Half the width: the margin either side of the score.
    pub fn half_width(self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// A test result (toetsresultaat) as the store holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// System the result came from.
    pub source: Source,
    /// Source id of the result.
    pub external_id: String,
    /// School.
    pub school: Brin,
    /// Source pupil id.
    pub pupil_external_id: String,
    /// toetscode (e.g. `DMT`, `CITO-SP`).
    pub test_code: String,
    /// toetsonderdeelcode (card, part), if any.
    pub part_code: Option<String>,
    /// Test display name.
    pub test_name: String,
    /// Provider (`Cito`, `IEP`, …), if known.
    pub provider: Option<String>,
    /// afnamedatum.
    pub taken_on: NaiveDate,
    /// Moment as the source stated it; otherwise derived from `taken_on`.
    pub stated_moment: Option<MomentKind>,
    /// Raw score (e.g. words per minute for DMT).
    pub raw_score: Option<f64>,
    /// Vaardigheidsscore.
    pub ability: Option<AbilityScore>,
    /// Every reference score the result carries.
    pub reference_scores: Vec<ReferenceScore>,
}

impl TestResult {
    /// The identity used to store a result once when it arrives from two sources: the same pupil,
    /// test, part and date is the same sitting (docs/ARCHITECTURE.md, "result identity").
    pub fn content_key(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}",
            self.school,
            self.pupil_external_id,
            self.test_code.trim().to_ascii_uppercase(),
            self.part_code
                .as_deref()
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase(),
            self.taken_on
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_mapping_works_on_real_names() {
        let m = DomainMapping::default();
        assert_eq!(
            m.classify("DMT", "Drie-Minuten-Toets"),
            Some(LearningDomain::WordReading)
        );
        assert_eq!(
            m.classify("X1", "Drie Minuten Toets 2018"),
            Some(LearningDomain::WordReading)
        );
        assert_eq!(
            m.classify("AVI", "AVI-lezen"),
            Some(LearningDomain::TechnicalReading)
        );
        assert_eq!(
            m.classify("CSP", "Cito Spelling 3.0"),
            Some(LearningDomain::Spelling)
        );
        assert_eq!(
            m.classify("BL", "Begrijpend lezen"),
            Some(LearningDomain::ReadingComprehension)
        );
        assert_eq!(
            m.classify("RW", "Rekenen-Wiskunde"),
            Some(LearningDomain::Mathematics)
        );
        assert_eq!(
            m.classify("IEP-LV", "IEP Lezen met begrip"),
            Some(LearningDomain::ReadingComprehension)
        );
        assert_eq!(m.classify("SEO", "Sociaal-emotioneel"), None);
    }

    #[test]
    fn issue_16_tests_and_domains() {
        use LearningDomain::*;
        let m = DomainMapping::default();
        // (code, name, part, domain)
        let cases: &[(&str, &str, Option<&str>, Option<LearningDomain>)] = &[
            ("TTR", "Tempo Test Rekenen", None, None),
            ("TTA", "Tempotoets automatiseren rekenen", None, None),
            ("RVK", "Rekenen voor kleuters", None, None),
            ("TVK", "Taal voor kleuters", None, None),
            ("EMT", "Een-Minuut-Test", None, Some(WordReading)),
            ("KLEP", "De Klepel", None, Some(WordReading)),
            ("PI", "PI-dictee", None, Some(Spelling)),
            ("SPW", "Spelling werkwoorden", None, Some(Spelling)),
            (
                "DO",
                "Drempelonderzoek",
                Some("Technisch lezen"),
                Some(TechnicalReading),
            ),
            ("DO", "Drempelonderzoek", Some("Rekenen"), Some(Mathematics)),
            ("DO", "Drempelonderzoek rekenen", None, Some(Mathematics)),
            (
                "DO",
                "Drempelonderzoek",
                Some("Begrijpend lezen"),
                Some(ReadingComprehension),
            ),
            ("DO", "Drempelonderzoek", None, None),
            (
                "IEP-DT",
                "IEP Doorstroomtoets",
                Some("Taalverzorging"),
                Some(Spelling),
            ),
            (
                "IEP-DT",
                "IEP Doorstroomtoets",
                Some("Lezen"),
                Some(ReadingComprehension),
            ),
            ("ET", "Eindtoets rekenen", None, Some(Mathematics)),
            ("DMT", "Drie-Minuten-Toets", Some("KAART-1"), Some(WordReading)),
        ];
        for (code, name, part, want) in cases {
            assert_eq!(
                m.classify_result(code, name, *part),
                *want,
                "{code} {name} {part:?}"
            );
        }
    }

    #[test]
    fn domain_round_trips() {
        for d in LearningDomain::ALL {
            assert_eq!(LearningDomain::parse(d.as_str()), Ok(d));
        }
    }
}
