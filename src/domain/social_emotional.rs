//! Sociaal-emotionele metingen (social-emotional measurements, issue 18 item 1): one pupil's
//! category on one scale of a social-emotional instrument at one date. Three instruments: ZIEN!
//! (five indicators with a colour per signaleringsgrens), KanVAS (Kanjertraining; norm categories
//! per scale) and the KiVa monitor (KiVa; categories per scale). Only the instrument, the scale,
//! the date and the category are kept: no item answers, no raw scores, no remarks (data
//! minimisation). Categories are ordered from the most concerning (rank 0) upwards; the signal
//! boundary of each instrument is documented in docs/RULES.md §3c (our own reading where the
//! publisher's percentile limits are not public).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Brin, ParseError, Source};

/// A social-emotional instrument (sociaal-emotioneel volginstrument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeInstrument {
    /// ZIEN! (ParnasSys): five indicators, coloured by signaleringsgrenzen.
    Zien,
    /// KanVAS (Kanjertraining): norm categories per scale.
    Kanvas,
    /// KiVa monitor (KiVa): categories per scale.
    Kiva,
}

/// The five ZIEN! indicators (indicatoren), as stored.
pub const ZIEN_INDICATORS: [&str; 5] = [
    "betrokkenheid",
    "welbevinden",
    "sociaal initiatief",
    "sociale flexibiliteit",
    "sociale autonomie",
];

const ZIEN_CATEGORIES: [&str; 3] = ["rood", "oranje", "groen"];
const KANVAS_CATEGORIES: [&str; 5] = ["zeer laag", "laag", "gemiddeld", "hoog", "zeer hoog"];
const KIVA_CATEGORIES: [&str; 3] = ["zorgelijk", "aandacht", "goed"];

/// Longest scale name kept (a KanVAS or KiVa scale is free text from the source).
pub const MAX_SCALE_LEN: usize = 60;

impl SeInstrument {
    /// Every instrument, in a stable order.
    pub const ALL: [SeInstrument; 3] = [Self::Zien, Self::Kanvas, Self::Kiva];

    /// Stable identifier as stored and on the command line (`zien`, `kanvas`, `kiva`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zien => "zien",
            Self::Kanvas => "kanvas",
            Self::Kiva => "kiva",
        }
    }

    /// Parses the stored identifier.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == input.trim())
            .ok_or_else(|| ParseError::new("instrument", input, "expected zien, kanvas or kiva"))
    }

    /// Parses the instrument as a source writes it (`ZIEN!`, `zien`, `KanVAS`, `KiVa`,
    /// `KiVa monitor`), case-insensitively.
    pub fn parse_dutch(input: &str) -> Option<Self> {
        let key: String = input
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-' | '!'))
            .collect();
        match key.as_str() {
            "zien" => Some(Self::Zien),
            "kanvas" => Some(Self::Kanvas),
            "kiva" | "kivamonitor" => Some(Self::Kiva),
            _ => None,
        }
    }

    /// The instrument's name as a school writes it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Zien => "ZIEN!",
            Self::Kanvas => "KanVAS",
            Self::Kiva => "KiVa-monitor",
        }
    }

    /// The categories, from the most concerning (rank 0) upwards.
    pub fn categories(self) -> &'static [&'static str] {
        match self {
            Self::Zien => &ZIEN_CATEGORIES,
            Self::Kanvas => &KANVAS_CATEGORIES,
            Self::Kiva => &KIVA_CATEGORIES,
        }
    }

    /// The highest rank that lies below the instrument's signal boundary (signaleringsgrens):
    /// ZIEN! `rood`, KanVAS `zeer laag`, KiVa `zorgelijk`.
    pub fn signal_rank(self) -> u8 {
        0
    }

    /// The rank of a category name (case-insensitive, `_` read as a space).
    pub fn category_rank(self, input: &str) -> Option<u8> {
        let key = normalise_words(input);
        self.categories()
            .iter()
            .position(|c| *c == key)
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The category name of a rank (`?` for a rank the instrument does not have).
    pub fn category_name(self, rank: u8) -> &'static str {
        self.categories().get(usize::from(rank)).copied().unwrap_or("?")
    }

    /// The scale as stored: for ZIEN! one of the five indicators ([`ZIEN_INDICATORS`]); for
    /// KanVAS and the KiVa monitor the source's scale name, lower case, at most
    /// [`MAX_SCALE_LEN`] characters. `None` when it is empty, too long or no ZIEN! indicator.
    pub fn scale(self, input: &str) -> Option<String> {
        let key = normalise_words(input);
        if key.is_empty() || key.chars().count() > MAX_SCALE_LEN {
            return None;
        }
        match self {
            Self::Zien => ZIEN_INDICATORS.iter().find(|i| **i == key).map(|i| i.to_string()),
            Self::Kanvas | Self::Kiva => Some(key),
        }
    }
}

/// Lower case, `_` as a space, runs of white space as one space.
fn normalise_words(input: &str) -> String {
    input
        .to_lowercase()
        .replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// One social-emotional measurement (sociaal-emotionele meting): a pupil's category on one scale
/// of one instrument at one date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialEmotionalMeasurement {
    /// Source system.
    pub source: Source,
    /// School.
    pub school: Brin,
    /// Source id of the measurement.
    pub external_id: String,
    /// Source pupil id.
    pub pupil_external_id: String,
    /// ZIEN!, KanVAS or KiVa monitor.
    pub instrument: SeInstrument,
    /// Indicator or scale (schaal), as [`SeInstrument::scale`] stores it.
    pub scale: String,
    /// Afnamedatum.
    pub measured_on: NaiveDate,
    /// Category rank within the instrument's [`SeInstrument::categories`] (0 = most concerning).
    pub category: u8,
}

impl SocialEmotionalMeasurement {
    /// The category's name (`rood`, `zeer laag`, …).
    pub fn category_name(&self) -> &'static str {
        self.instrument.category_name(self.category)
    }

    /// Whether the category lies below the instrument's signal boundary.
    pub fn below_signal_boundary(&self) -> bool {
        self.category <= self.instrument.signal_rank()
    }

    /// Whether the rank exists for the instrument and the scale is one it stores.
    pub fn is_valid(&self) -> bool {
        usize::from(self.category) < self.instrument.categories().len()
            && self.instrument.scale(&self.scale).as_deref() == Some(self.scale.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instruments_round_trip_and_read_the_school_spelling() {
        for i in SeInstrument::ALL {
            assert_eq!(SeInstrument::parse(i.as_str()), Ok(i));
            assert_eq!(SeInstrument::parse_dutch(i.label()), Some(i));
        }
        assert_eq!(SeInstrument::parse_dutch("ZIEN!"), Some(SeInstrument::Zien));
        assert_eq!(
            SeInstrument::parse_dutch("KiVa monitor"),
            Some(SeInstrument::Kiva)
        );
        assert_eq!(SeInstrument::parse_dutch("SCOL"), None);
        assert!(SeInstrument::parse("ZIEN!").is_err());
    }

    #[test]
    fn categories_are_ranked_from_the_most_concerning() {
        assert_eq!(SeInstrument::Zien.category_rank(" Rood "), Some(0));
        assert_eq!(SeInstrument::Zien.category_rank("groen"), Some(2));
        assert_eq!(SeInstrument::Kanvas.category_rank("Zeer_laag"), Some(0));
        assert_eq!(SeInstrument::Kanvas.category_rank("zeer  hoog"), Some(4));
        assert_eq!(SeInstrument::Kiva.category_rank("zorgelijk"), Some(0));
        assert_eq!(SeInstrument::Zien.category_rank("zeer laag"), None);
        assert_eq!(SeInstrument::Kiva.category_name(2), "goed");
        assert_eq!(SeInstrument::Kiva.category_name(9), "?");
        for i in SeInstrument::ALL {
            for (rank, name) in i.categories().iter().enumerate() {
                assert_eq!(i.category_rank(name), u8::try_from(rank).ok());
            }
        }
    }

    #[test]
    fn zien_takes_its_five_indicators_and_the_others_a_named_scale() {
        assert_eq!(
            SeInstrument::Zien.scale("Sociaal_Initiatief").as_deref(),
            Some("sociaal initiatief")
        );
        assert_eq!(SeInstrument::Zien.scale("impulsbeheersing"), None);
        assert_eq!(
            SeInstrument::Kanvas.scale("  Sociale   vaardigheden ").as_deref(),
            Some("sociale vaardigheden")
        );
        assert_eq!(SeInstrument::Kiva.scale(" "), None);
        assert_eq!(SeInstrument::Kiva.scale(&"x".repeat(61)), None);
    }

    #[test]
    fn the_signal_boundary_and_validity() {
        let m = SocialEmotionalMeasurement {
            source: Source::Parnassys,
            school: Brin::parse("00AA").expect("brin"),
            external_id: "se1".into(),
            pupil_external_id: "p1".into(),
            instrument: SeInstrument::Zien,
            scale: "welbevinden".into(),
            measured_on: NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
            category: 0,
        };
        assert!(m.below_signal_boundary() && m.is_valid());
        assert_eq!(m.category_name(), "rood");
        let oranje = SocialEmotionalMeasurement {
            category: 1,
            ..m.clone()
        };
        assert!(!oranje.below_signal_boundary());
        assert!(
            !SocialEmotionalMeasurement {
                category: 3,
                ..m.clone()
            }
            .is_valid()
        );
        assert!(
            !SocialEmotionalMeasurement {
                scale: "Welbevinden".into(),
                ..m
            }
            .is_valid()
        );
    }
}
