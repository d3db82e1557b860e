//! Niveaus: the level scales of Dutch pupil monitoring (docs/DOMAIN.md §4). A level always keeps its
//! scale; letters are never compared across scales.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The scale a level is written on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// I–V in 20 % bands, with V- (vijf min) for P0–10; also the seven-level display I+ … V-
    /// (I+ = P90–100, V = P11–20, V- = P0–10). OSO code `IV`.
    Iv,
    /// A–E (old, unequal bands; E = P0–10). OSO code `AE`.
    Ae,
    /// Percentile 0–100.
    Percentile,
    /// Referentieniveau (1F, 2F, 1S) as IEP reports it. OSO code `RNTRM`.
    Reference,
}

impl Scale {
    /// Maps an OSO `codereferentiescore` (or the REST contract's `referentiescores[].code`) to a scale
    /// Zorgsignaal understands; `CIV`/`CAE` are the Cito spellings of the same bands. `None` for
    /// codes that are kept as-is but feed no level rule (DLE, FN, DQ, IQ, …).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_uppercase().as_str() {
            "IV" | "CIV" | "I-V" => Some(Self::Iv),
            "AE" | "CAE" | "A-E" => Some(Self::Ae),
            "PC" | "PERC" | "PERCENTIEL" | "PERCENTILE" | "P" => Some(Self::Percentile),
            "RNTRM" | "RN" | "REFERENTIENIVEAU" => Some(Self::Reference),
            _ => None,
        }
    }

    /// The canonical code written to the store and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Iv => "IV",
            Self::Ae => "AE",
            Self::Percentile => "PC",
            Self::Reference => "RNTRM",
        }
    }
}

/// A level on its scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scale", content = "value", rename_all = "snake_case")]
pub enum Level {
    /// I–V; `ordinal` 1 (I, best) to 5 (V); `minus` marks V- (P0–10); `ordinal` 0 is I+ (the
    /// top 10 % of the seven-level display).
    Iv {
        /// 0 = I+, 1 = I … 5 = V.
        ordinal: u8,
        /// V- (only with ordinal 5).
        minus: bool,
    },
    /// A–E; `ordinal` 1 (A) to 5 (E).
    Ae {
        /// 1 = A … 5 = E.
        ordinal: u8,
    },
    /// Percentile 0–100.
    Percentile(u8),
    /// Referentieniveau: `1` = 1F, `2` = 2F/1S, with `signal` for 1S.
    Reference {
        /// 1 or 2 (1F, 2F); 1S is stored as 2 with `signal = true`.
        level: u8,
        /// 1S (streefniveau).
        signal: bool,
    },
}

/// Why a level text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    /// The text is no level on that scale.
    #[error("{input:?} is not a level on scale {scale}")]
    NotOnScale {
        /// Rejected text (truncated).
        input: String,
        /// The scale code.
        scale: &'static str,
    },
    /// A percentile outside 0–100.
    #[error("percentile {0} is outside 0-100")]
    PercentileOutOfRange(String),
}

impl Level {
    /// Parses a level written on `scale`: `I+`, `I`…`V`, `V-`/`V–`/`Vmin` (also Arabic `1`…`5`) on I–V;
    /// `A`…`E` on A–E; `0`…`100` (optionally `P23`) as percentile; `1F`, `2F`, `1S` as reference level.
    pub fn parse(input: &str, scale: Scale) -> Result<Self, LevelError> {
        let raw = input.trim();
        let s = raw.to_ascii_uppercase().replace(['–', '−'], "-");
        let not_on_scale = || LevelError::NotOnScale {
            input: raw.chars().take(32).collect(),
            scale: scale.code(),
        };
        match scale {
            Scale::Iv => {
                if matches!(s.replace(' ', "").as_str(), "I+" | "1+" | "IPLUS") {
                    return Ok(Self::Iv {
                        ordinal: 0,
                        minus: false,
                    });
                }
                let (body, minus) = if let Some(b) = s.strip_suffix("MIN") {
                    (b.trim(), true)
                } else if let Some(b) = s.strip_suffix('-') {
                    (b.trim(), true)
                } else {
                    (s.as_str(), false)
                };
                let ordinal = match body {
                    "I" | "1" => 1,
                    "II" | "2" => 2,
                    "III" | "3" => 3,
                    "IV" | "4" => 4,
                    "V" | "5" => 5,
                    _ => return Err(not_on_scale()),
                };
                if minus && ordinal != 5 {
                    return Err(not_on_scale());
                }
                Ok(Self::Iv { ordinal, minus })
            }
            Scale::Ae => {
                let ordinal = match s.as_str() {
                    "A" => 1,
                    "B" => 2,
                    "C" => 3,
                    "D" => 4,
                    "E" => 5,
                    _ => return Err(not_on_scale()),
                };
                Ok(Self::Ae { ordinal })
            }
            Scale::Percentile => {
                let body = s.strip_prefix('P').unwrap_or(&s).trim();
                let value: f64 = body.replace(',', ".").parse().map_err(|_| not_on_scale())?;
                if !value.is_finite() || !(0.0..=100.0).contains(&value) {
                    return Err(LevelError::PercentileOutOfRange(raw.chars().take(32).collect()));
                }
                // Percentiles are whole numbers in every source; round half up to be safe.
                Ok(Self::Percentile(value.round() as u8))
            }
            Scale::Reference => match s.replace(' ', "").as_str() {
                "1F" => Ok(Self::Reference {
                    level: 1,
                    signal: false,
                }),
                "2F" => Ok(Self::Reference {
                    level: 2,
                    signal: false,
                }),
                "1S" => Ok(Self::Reference {
                    level: 2,
                    signal: true,
                }),
                "<1F" | "NIET1F" => Ok(Self::Reference {
                    level: 0,
                    signal: false,
                }),
                _ => Err(not_on_scale()),
            },
        }
    }

    /// Only the seven-level display (I+ … V-) writes I+: a source that shows it uses V for
    /// P11–20, so a plain V of that test is *not* in the lowest 10 %.
    pub fn is_seven_level(self) -> bool {
        matches!(
            self,
            Self::Iv {
                ordinal: 0,
                minus: false
            }
        )
    }

    /// The scale this level is on.
    pub fn scale(self) -> Scale {
        match self {
            Self::Iv { .. } => Scale::Iv,
            Self::Ae { .. } => Scale::Ae,
            Self::Percentile(_) => Scale::Percentile,
            Self::Reference { .. } => Scale::Reference,
        }
    }

    /// "Niveau V of lager": V, V-, E or P≤20. `None` for reference levels (not a band).
    pub fn is_v_or_lower(self) -> Option<bool> {
        match self {
            Self::Iv { ordinal, .. } => Some(ordinal == 5),
            Self::Ae { ordinal } => Some(ordinal == 5),
            Self::Percentile(p) => Some(p <= 20),
            Self::Reference { .. } => None,
        }
    }

    /// "V(E)", the lowest 10 %: V-, E or P≤10. `None` when not known from this level alone
    /// (a plain V is only known to be ≤ P20 — unless the source shows the seven-level display,
    /// see [`Level::is_seven_level`]; reference levels are no band).
    pub fn is_lowest_ten_percent(self) -> Option<bool> {
        match self {
            Self::Iv {
                ordinal: 5,
                minus: true,
            } => Some(true),
            Self::Iv {
                ordinal: 5,
                minus: false,
            } => None,
            Self::Iv { .. } => Some(false),
            Self::Ae { ordinal } => Some(ordinal == 5),
            Self::Percentile(p) => Some(p <= 10),
            Self::Reference { .. } => None,
        }
    }

    /// Position on an ordinal 1 (best) – 5 (lowest) band scale, for drops; V- counts as V and
    /// I+ as I. `None` for percentiles and reference levels.
    pub fn band_ordinal(self) -> Option<u8> {
        match self {
            Self::Iv { ordinal, .. } | Self::Ae { ordinal } => Some(ordinal.max(1)),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ROMAN: [&str; 6] = ["I+", "I", "II", "III", "IV", "V"];
        const LETTERS: [&str; 5] = ["A", "B", "C", "D", "E"];
        match *self {
            Self::Iv { ordinal, minus } => {
                let r = ROMAN.get(usize::from(ordinal)).copied().unwrap_or("?");
                write!(f, "{r}{}", if minus { "-" } else { "" })
            }
            Self::Ae { ordinal } => f.write_str(
                LETTERS
                    .get(usize::from(ordinal.saturating_sub(1)))
                    .copied()
                    .unwrap_or("?"),
            ),
            Self::Percentile(p) => write!(f, "P{p}"),
            Self::Reference { level: 0, .. } => f.write_str("<1F"),
            Self::Reference { level: 1, .. } => f.write_str("1F"),
            Self::Reference { signal: true, .. } => f.write_str("1S"),
            Self::Reference { .. } => f.write_str("2F"),
        }
    }
}

/// One reference score as carried by a result (OSO `referentiescore`, REST `referentiescores[]`):
/// the source's code and value as received, plus the parsed level when the code is one we know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceScore {
    /// Source code, e.g. `IV`, `AE`, `DLE`, `RNTRM`.
    pub code: String,
    /// Source value, e.g. `V-`, `E`, `34`.
    pub value: String,
    /// Parsed level, when `code` maps to a [`Scale`].
    pub level: Option<Level>,
}

impl ReferenceScore {
    /// Builds a reference score; a known code with a value off its scale is an error
    /// (an impossible score goes to quarantine, it is not silently dropped).
    pub fn parse(code: &str, value: &str) -> Result<Self, LevelError> {
        let level = match Scale::from_code(code) {
            Some(scale) => Some(Level::parse(value, scale)?),
            None => None,
        };
        Ok(Self {
            code: code.trim().to_string(),
            value: value.trim().to_string(),
            level,
        })
    }
}

/// Picks the level a rule should use from several reference scores: I–V first, then A–E,
/// then a percentile (DOMAIN issue #5, "levels across scales").
pub fn preferred_band(scores: &[ReferenceScore]) -> Option<Level> {
    let find = |scale: Scale| scores.iter().filter_map(|s| s.level).find(|l| l.scale() == scale);
    find(Scale::Iv)
        .or_else(|| find(Scale::Ae))
        .or_else(|| find(Scale::Percentile))
}

/// The percentile among the scores, if any.
pub fn percentile(scores: &[ReferenceScore]) -> Option<u8> {
    scores.iter().find_map(|s| match s.level {
        Some(Level::Percentile(p)) => Some(p),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roman_levels_and_v_minus() {
        assert_eq!(
            Level::parse("I", Scale::Iv),
            Ok(Level::Iv {
                ordinal: 1,
                minus: false
            })
        );
        assert_eq!(
            Level::parse("iv", Scale::Iv),
            Ok(Level::Iv {
                ordinal: 4,
                minus: false
            })
        );
        assert_eq!(
            Level::parse("V", Scale::Iv),
            Ok(Level::Iv {
                ordinal: 5,
                minus: false
            })
        );
        for vmin in ["V-", "v-", "V –", "Vmin", "V–", "5-"] {
            assert_eq!(
                Level::parse(vmin, Scale::Iv),
                Ok(Level::Iv {
                    ordinal: 5,
                    minus: true
                }),
                "{vmin}"
            );
        }
        assert_eq!(
            Level::parse("3", Scale::Iv),
            Ok(Level::Iv {
                ordinal: 3,
                minus: false
            })
        );
    }

    #[test]
    fn parses_letter_levels_and_percentiles() {
        assert_eq!(Level::parse("e", Scale::Ae), Ok(Level::Ae { ordinal: 5 }));
        assert_eq!(Level::parse("A", Scale::Ae), Ok(Level::Ae { ordinal: 1 }));
        assert_eq!(Level::parse("P7", Scale::Percentile), Ok(Level::Percentile(7)));
        assert_eq!(Level::parse("100", Scale::Percentile), Ok(Level::Percentile(100)));
        assert_eq!(
            Level::parse("1S", Scale::Reference),
            Ok(Level::Reference {
                level: 2,
                signal: true
            })
        );
    }

    #[test]
    fn rejects_garbage_and_impossible_levels() {
        for (bad, scale) in [
            ("VI", Scale::Iv),
            ("IV-", Scale::Iv),
            ("0", Scale::Iv),
            ("", Scale::Iv),
            ("F", Scale::Ae),
            ("V", Scale::Ae),
            ("E", Scale::Iv),
            ("abc", Scale::Percentile),
            ("3F", Scale::Reference),
        ] {
            assert!(Level::parse(bad, scale).is_err(), "{bad:?} on {scale:?}");
        }
        assert_eq!(
            Level::parse("101", Scale::Percentile),
            Err(LevelError::PercentileOutOfRange("101".into()))
        );
        assert!(Level::parse("-3", Scale::Percentile).is_err());
        assert!(Level::parse("NaN", Scale::Percentile).is_err());
    }

    #[test]
    fn v_or_lower_and_lowest_ten_follow_domain_md() {
        let l = |s, sc| Level::parse(s, sc).expect("level");
        assert_eq!(l("V", Scale::Iv).is_v_or_lower(), Some(true));
        assert_eq!(l("IV", Scale::Iv).is_v_or_lower(), Some(false));
        assert_eq!(l("E", Scale::Ae).is_v_or_lower(), Some(true));
        assert_eq!(l("D", Scale::Ae).is_v_or_lower(), Some(false));
        assert_eq!(l("20", Scale::Percentile).is_v_or_lower(), Some(true));
        assert_eq!(l("21", Scale::Percentile).is_v_or_lower(), Some(false));
        assert_eq!(l("V-", Scale::Iv).is_lowest_ten_percent(), Some(true));
        assert_eq!(l("V", Scale::Iv).is_lowest_ten_percent(), None);
        assert_eq!(l("E", Scale::Ae).is_lowest_ten_percent(), Some(true));
        assert_eq!(l("10", Scale::Percentile).is_lowest_ten_percent(), Some(true));
        assert_eq!(l("11", Scale::Percentile).is_lowest_ten_percent(), Some(false));
        assert_eq!(l("2F", Scale::Reference).is_v_or_lower(), None);
    }

    #[test]
    fn preferred_band_takes_iv_then_ae_then_percentile() {
        let s = |c, v| ReferenceScore::parse(c, v).expect("score");
        let all = [s("PC", "8"), s("AE", "E"), s("IV", "V-")];
        assert_eq!(
            preferred_band(&all),
            Some(Level::Iv {
                ordinal: 5,
                minus: true
            })
        );
        assert_eq!(preferred_band(&all[..2]), Some(Level::Ae { ordinal: 5 }));
        assert_eq!(preferred_band(&all[..1]), Some(Level::Percentile(8)));
        assert_eq!(preferred_band(&[s("DLE", "34")]), None);
        assert_eq!(percentile(&all), Some(8));
    }

    #[test]
    fn unknown_codes_are_kept_but_known_codes_are_strict() {
        let dle = ReferenceScore::parse("DLE", "34").expect("kept");
        assert_eq!(dle.level, None);
        assert!(ReferenceScore::parse("IV", "VII").is_err());
    }

    #[test]
    fn seven_level_display_i_plus() {
        let i_plus = Level::parse("I+", Scale::Iv).expect("I+");
        assert!(i_plus.is_seven_level());
        assert_eq!(i_plus.to_string(), "I+");
        assert_eq!(i_plus.band_ordinal(), Some(1), "I+ counts as I for drops");
        assert_eq!(i_plus.is_v_or_lower(), Some(false));
        assert_eq!(i_plus.is_lowest_ten_percent(), Some(false));
        assert_eq!(Level::parse("i +", Scale::Iv), Ok(i_plus));
        assert!(!Level::parse("I", Scale::Iv).expect("I").is_seven_level());
        assert!(Level::parse("V+", Scale::Iv).is_err());
        assert!(Level::parse("I+", Scale::Ae).is_err());
    }

    #[test]
    fn display_round_trips() {
        for (s, sc) in [
            ("I+", Scale::Iv),
            ("V-", Scale::Iv),
            ("III", Scale::Iv),
            ("E", Scale::Ae),
            ("P42", Scale::Percentile),
            ("1S", Scale::Reference),
        ] {
            let l = Level::parse(s, sc).expect("level");
            assert_eq!(l.to_string(), s);
        }
    }
}
