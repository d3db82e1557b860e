//! Fixed vocabularies for the generator: names, tests, levels from percentiles, calendar anchors,
//! and a few numeric helpers (normal samples, the normal CDF).

use chrono::NaiveDate;
use rand::Rng;

use crate::model::{ReferenceScore, Sym};

/// Dutch first names (fictitious pupils).
pub const FIRST_NAMES: &[&str] = &[
    "Daan", "Emma", "Sem", "Julia", "Lucas", "Mila", "Levi", "Tess", "Finn", "Sophie", "Noah", "Zoë",
    "Milan", "Sara", "Jesse", "Nina", "Bram", "Eva", "Luuk", "Lotte", "Thijs", "Fleur", "Ravi", "Yara",
    "Mohammed", "Noor", "Ayoub", "Liv", "Stijn", "Anna", "Jayden", "Fenna", "Mees", "Saar", "Gijs", "Isa",
];
/// Dutch surnames with optional tussenvoegsel.
pub const SURNAMES: &[(&str, &str)] = &[
    ("", "Jansen"),
    ("de", "Vries"),
    ("van den", "Berg"),
    ("", "Bakker"),
    ("van", "Dijk"),
    ("", "Visser"),
    ("", "Smit"),
    ("", "Meijer"),
    ("de", "Boer"),
    ("", "Mulder"),
    ("de", "Groot"),
    ("", "Bos"),
    ("", "Vos"),
    ("", "Peters"),
    ("", "Hendriks"),
    ("van", "Leeuwen"),
    ("", "Dekker"),
    ("", "Brouwer"),
    ("de", "Wit"),
    ("", "Dijkstra"),
    ("", "Yilmaz"),
    ("", "El Amrani"),
    ("", "Kaya"),
    ("van der", "Linden"),
];
/// School name parts.
pub const SCHOOL_NAMES: &[&str] = &[
    "De Regenboog",
    "De Wegwijzer",
    "Het Kompas",
    "De Zonnewijzer",
    "De Vlinder",
    "Het Palet",
    "De Sterrenwacht",
    "De Klimop",
    "Het Anker",
    "De Horizon",
    "De Linde",
    "Het Baken",
];
/// The four care-ladder presets, cycled over the schools.
pub const LADDERS: &[(&str, &[&str])] = &[
    ("abcd", &["A1", "A2", "B1", "B2", "C", "D"]),
    ("niveaus-1-6", &["1", "2", "3", "4", "5", "6"]),
    ("niveaus-1-4", &["1", "2", "3", "4"]),
    ("niveaus-1-5", &["1", "2", "3", "4", "5"]),
];
/// Note categories (ParnasSys paths; Leeruniek builds its tree from the same paths).
pub const NOTE_PATHS: &[&[&str]] = &[
    &["Rekenen"],
    &["Rekenen", "Tafels"],
    &["Rekenen", "Automatiseren"],
    &["Taal"],
    &["Taal", "Spelling"],
    &["Taal", "Technisch lezen"],
    &["Individueel"],
    &["Sociaal"],
    &["Gedrag"],
    &["Oudergesprek"],
];
/// Note texts: factual, short, no names, no diagnoses.
pub const NOTE_TEXTS: &[&str] = &[
    "Werkt geconcentreerd in de instructiegroep.",
    "Extra oefening met de tafels afgesproken.",
    "Leest thuis tien minuten per dag, volgens afspraak met ouders.",
    "Heeft moeite met het automatiseren van klankgroepen.",
    "Oudergesprek gevoerd over de voortgang.",
    "Speelt goed samen tijdens de pauze.",
    "Verlengde instructie bij spelling werkt goed.",
    "Maakt taken vaker niet af; afspraak gemaakt met leerling.",
];

/// A test from the catalog.
#[derive(Debug, Clone)]
pub struct TestDef {
    /// toetscode.
    pub code: Sym,
    /// toetsonderdeelcode.
    pub part: Option<Sym>,
    /// toetsnaam.
    pub name: Sym,
    /// leverancier.
    pub provider: Sym,
    /// Scale of the vaardigheidsscore.
    pub scale: Sym,
    /// Domain (snake_case id).
    pub domain: &'static str,
    /// First grade the test is taken (M of that grade).
    pub from_grade: u8,
}

/// Interned strings and test definitions shared by one generator run.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Cito LOVS tests: rekenen, spelling, begrijpend lezen.
    pub cito: Vec<TestDef>,
    /// IEP tests replacing them after the switch.
    pub iep: Vec<TestDef>,
    /// DMT, 2018 norms (I–V).
    pub dmt_2018: TestDef,
    /// DMT, 2009 norms (A–E).
    pub dmt_2009: TestDef,
    /// AVI (tussenmeting, technical reading).
    pub avi: TestDef,
    /// TTR, Tempo Test Rekenen: a tempotoets automatiseren, no level of any domain (issue 18
    /// item 3: the ERWD rekenonderzoek reads it beside the rekenen results).
    pub ttr: TestDef,
    /// Interned level letters, percentiles and codes.
    syms: std::collections::HashMap<String, Sym>,
}

impl Catalog {
    /// Builds the catalog.
    pub fn new() -> Self {
        let t =
            |code: &str, part: Option<&str>, name: &str, provider: &str, scale: &str, domain, from| TestDef {
                code: code.into(),
                part: part.map(Into::into),
                name: name.into(),
                provider: provider.into(),
                scale: scale.into(),
                domain,
                from_grade: from,
            };
        let mut syms = std::collections::HashMap::new();
        let mut words: Vec<String> = [
            "IV", "AE", "PC", "RNTRM", "AVI", "I", "II", "III", "IV", "V", "V-", "A", "B", "C", "D", "E",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        words.extend((0..=100).map(|p| p.to_string()));
        words.extend(
            [
                "<1F",
                "1F",
                "2F",
                "1S",
                "behaald",
                "deels_behaald",
                "niet_behaald",
            ]
            .map(String::from),
        );
        for w in words {
            syms.insert(w.clone(), Sym::from(w.as_str()));
        }
        Self {
            cito: vec![
                t(
                    "RW",
                    None,
                    "Rekenen-Wiskunde 3.0",
                    "Cito",
                    "cito-rw-3.0",
                    "mathematics",
                    3,
                ),
                t("SP", None, "Spelling 3.0", "Cito", "cito-sp-3.0", "spelling", 3),
                t(
                    "BL",
                    None,
                    "Begrijpend lezen 3.0",
                    "Cito",
                    "cito-bl-3.0",
                    "reading_comprehension",
                    4,
                ),
            ],
            iep: vec![
                t(
                    "IEP-RK",
                    None,
                    "IEP Rekenen",
                    "IEP",
                    "iep-ontwikkelscore-rk",
                    "mathematics",
                    3,
                ),
                t(
                    "IEP-TV",
                    None,
                    "IEP Taalverzorging",
                    "IEP",
                    "iep-ontwikkelscore-tv",
                    "spelling",
                    3,
                ),
                t(
                    "IEP-LV",
                    None,
                    "IEP Lezen met begrip",
                    "IEP",
                    "iep-ontwikkelscore-lv",
                    "reading_comprehension",
                    4,
                ),
            ],
            dmt_2018: t(
                "DMT",
                Some("KAART-1-3"),
                "Drie-Minuten-Toets 2018",
                "Cito",
                "cito-dmt-2018",
                "word_reading",
                3,
            ),
            dmt_2009: t(
                "DMT",
                Some("KAART-1-3"),
                "Drie-Minuten-Toets 2009",
                "Cito",
                "cito-dmt-2009",
                "word_reading",
                3,
            ),
            avi: t("AVI", None, "AVI-lezen", "Cito", "avi", "technical_reading", 3),
            ttr: t("TTR", None, "Tempo Test Rekenen", "Boom", "ttr", "none", 4),
            syms,
        }
    }

    /// An interned symbol (falls back to a fresh one for unknown text).
    pub fn sym(&self, s: &str) -> Sym {
        self.syms.get(s).cloned().unwrap_or_else(|| Sym::from(s))
    }

    /// A reference score from interned parts.
    pub fn rs(&self, code: &str, waarde: &str) -> ReferenceScore {
        ReferenceScore {
            code: self.sym(code),
            waarde: self.sym(waarde),
        }
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

/// I–V level (with V- for P ≤ 10) for a percentile.
pub fn level_iv(p: u8) -> &'static str {
    match p {
        81.. => "I",
        61..=80 => "II",
        41..=60 => "III",
        21..=40 => "IV",
        11..=20 => "V",
        _ => "V-",
    }
}

/// A–E level for a percentile.
pub fn level_ae(p: u8) -> &'static str {
    match p {
        76.. => "A",
        51..=75 => "B",
        26..=50 => "C",
        11..=25 => "D",
        _ => "E",
    }
}

/// IEP referentieniveau for a latent z and grade.
pub fn level_iep(z: f64, grade: u8) -> &'static str {
    let shifted = z + (f64::from(grade) - 6.0) * 0.45;
    match shifted {
        s if s > 1.2 => "1S",
        s if s > 0.4 => "2F",
        s if s > -1.0 => "1F",
        _ => "<1F",
    }
}

/// Standard normal sample (Box–Muller).
pub fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7).
pub fn phi(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-(x * x) / 2.0).exp();
    if x >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Percentile 1–99 for a latent z.
pub fn percentile(z: f64) -> u8 {
    // Truncation is intended: percentile bands are integers.
    ((phi(z) * 100.0).floor() as i64).clamp(1, 99) as u8
}

/// School year label `2025-2026` for the year starting in August of `start`.
pub fn school_year(start: i32) -> String {
    format!("{}-{}", start, start + 1)
}

/// Start year of the school year containing `date` (school years run Aug 1 – Jul 31).
pub fn school_year_start(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    if date.month() >= 8 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// A date; panics only on impossible constant input (never for generated ranges).
pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}
