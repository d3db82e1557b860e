//! Zorgniveaus: each school has its own support ladder (docs/DOMAIN.md §5). Ladders are data; the
//! examples from the seed documents ship as named presets.

use serde::{Deserialize, Serialize};

use super::PlanKind;

/// The national three-way split used in board reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NationalTier {
    /// Basisondersteuning.
    Basis,
    /// Extra ondersteuning (OPP, arrangement).
    Extra,
    /// Gespecialiseerd (external research, TLV, other school).
    Specialised,
}

/// One step on a ladder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareLevel {
    /// Code as the school writes it (`A2`, `3`).
    pub code: String,
    /// Dutch description.
    pub name: String,
    /// National tier.
    pub tier: NationalTier,
    /// Evaluation period in weeks for plans at this level, when the school sets one.
    #[serde(default)]
    pub evaluation_weeks: Option<u32>,
    /// Niveau in the Protocol Dyslexie Diagnostiek en Behandeling 3.0 (1 basis, 2 extra in de
    /// groep, 3 specifieke interventie, 4 extern) this step corresponds to. Required in config
    /// (validated there); the ED dossier check (`eed_check`) judges this, never the step number.
    #[serde(default)]
    pub protocol_level: Option<u8>,
}

/// Protocolniveau 1: good teaching for everyone (basis).
pub const PROTOCOL_BASIS: u8 = 1;
/// Protocolniveau 2: extra support in the group.
pub const PROTOCOL_EXTRA_IN_GROUP: u8 = 2;
/// Protocolniveau 3: specific (intensive) intervention.
pub const PROTOCOL_SPECIFIC: u8 = 3;
/// Protocolniveau 4: external (diagnostics and treatment outside school).
pub const PROTOCOL_EXTERNAL: u8 = 4;

/// Dutch name of a protocol level.
pub fn protocol_level_name(level: u8) -> &'static str {
    match level {
        1 => "basis",
        2 => "extra begeleiding in de groep",
        3 => "specifieke interventie",
        4 => "extern",
        _ => "onbekend",
    }
}

/// A school's ladder, lowest level first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareLadder {
    /// Name used in config (`schools[].care_ladder`).
    pub name: String,
    /// Levels, lowest first.
    pub levels: Vec<CareLevel>,
    /// How often the school evaluates an OPP with the parents, per school year (seed 002: twice).
    /// The law (WPO art. 40a) asks at least once; `None` means the school says nothing more. A
    /// school's `[rules.opp_yearly_evaluation] per_year` overrides it.
    #[serde(default)]
    pub opp_evaluations_per_year: Option<u32>,
}

impl CareLadder {
    /// The level after `code`, if any (what `plan_ineffective` proposes).
    pub fn next_after(&self, code: &str) -> Option<&CareLevel> {
        let i = self.position(code)?;
        self.levels.get(i + 1)
    }

    /// Index of `code` on the ladder (case-insensitive).
    pub fn position(&self, code: &str) -> Option<usize> {
        self.levels
            .iter()
            .position(|l| l.code.eq_ignore_ascii_case(code.trim()))
    }

    /// The level with `code`.
    pub fn level(&self, code: &str) -> Option<&CareLevel> {
        self.position(code).and_then(|i| self.levels.get(i))
    }

    /// Dyslexia-protocol level of the step `code` (`None` for an unknown code or a step without
    /// one).
    pub fn protocol_level(&self, code: &str) -> Option<u8> {
        self.level(code).and_then(|l| l.protocol_level)
    }

    /// Codes of the steps at protocol level `min` or higher, lowest first (`A2, B1, …`).
    pub fn codes_from_protocol_level(&self, min: u8) -> Vec<&str> {
        self.levels
            .iter()
            .filter(|l| l.protocol_level.is_some_and(|p| p >= min))
            .map(|l| l.code.as_str())
            .collect()
    }

    /// Evaluation period for a plan of `kind` at level `code`: the level's own period when set,
    /// else the default per kind (action plan 6 weeks, OPP handelingsdeel 8, group plan 12).
    pub fn evaluation_weeks(&self, kind: PlanKind, code: Option<&str>) -> u32 {
        code.and_then(|c| self.level(c))
            .and_then(|l| l.evaluation_weeks)
            .unwrap_or(match kind {
                PlanKind::ActionPlan => 6,
                PlanKind::Opp => 8,
                PlanKind::GroupPlan => 12,
            })
    }

    /// The presets drawn from the seed documents: `abcd` (seed 000), `niveaus-1-6` (seed 004),
    /// `niveaus-1-4` (seed 002), `niveaus-1-5` (seed 003), `basis-breedte-diepte` (seed 001).
    /// Each step carries its dyslexia-protocol level (docs/RULES.md, `eed_check`).
    pub fn presets() -> Vec<CareLadder> {
        use NationalTier::*;
        let l = |code: &str, name: &str, tier, weeks: Option<u32>, protocol: u8| CareLevel {
            code: code.into(),
            name: name.into(),
            tier,
            evaluation_weeks: weeks,
            protocol_level: Some(protocol),
        };
        vec![
            CareLadder {
                name: "abcd".into(),
                // Seed 000: "Het OPP wordt ten minste 2x per jaar (jan-jun) bijgesteld en met
                // ouders geëvalueerd."
                opp_evaluations_per_year: Some(2),
                levels: vec![
                    l("A1", "Klassikaal, extra aandacht in de groep", Basis, Some(6), 1),
                    // A2: plan van aanpak (IHP) in the group; intensive reading help here is
                    // protocol level 3 when it meets the protocol's minutes (seed 000).
                    l("A2", "Basisondersteuning met IHP in ParnasSys", Basis, Some(6), 2),
                    l("B1", "Extra ondersteuning met OPP", Extra, Some(8), 3),
                    l("B2", "Na extern onderzoek", Extra, Some(8), 4),
                    // C: an arrangement is extra support (seed 000), not yet specialised.
                    l("C", "Arrangement", Extra, Some(8), 4),
                    l(
                        "D",
                        "Toelaatbaarheidsverklaring, andere school",
                        Specialised,
                        None,
                        4,
                    ),
                ],
            },
            CareLadder {
                name: "niveaus-1-6".into(),
                // Seed 004: "OPP 2x per schooljaar evalueren en evt bijstellen; na M- en E-cito"
                // (tied to the rounds with `after_each_round`).
                opp_evaluations_per_year: Some(2),
                levels: vec![
                    l("1", "Basisaanbod in de groep", Basis, None, 1),
                    // Seed 004: "Duur actieplan: 4-6 weken. Dan evalueren."
                    l("2", "Extra instructie in de groep", Basis, Some(6), 2),
                    l("3", "Specifieke interventie, handelingsdeel", Basis, Some(6), 3),
                    l("4", "Extra ondersteuning met OPP", Extra, Some(8), 3),
                    l("5", "Arrangement met externe expertise", Extra, Some(8), 4),
                    l("6", "Verwijzing speciaal (basis)onderwijs", Specialised, None, 4),
                ],
            },
            CareLadder {
                // Seed 002: niveau 1 en 2 basisondersteuning, niveau 3 extra ondersteuning with
                // an OPP, niveau 4 verwijzing naar SBO/SO.
                name: "niveaus-1-4".into(),
                // Seed 002: "Het OPP wordt indien nodig bijgesteld en twee keer per jaar geëvalueerd."
                opp_evaluations_per_year: Some(2),
                levels: vec![
                    l("1", "Algemene preventieve zorg in de groep", Basis, None, 1),
                    l("2", "Extra zorg in de groep", Basis, Some(6), 2),
                    l(
                        "3",
                        "Speciale zorg met OPP, met interne en externe deskundigen",
                        Extra,
                        Some(8),
                        3,
                    ),
                    l("4", "Verwijzing naar SBO of SO", Specialised, None, 4),
                ],
            },
            CareLadder {
                name: "niveaus-1-5".into(),
                // Seed 003 says nothing about OPP evaluations: the law's once a year.
                opp_evaluations_per_year: None,
                levels: vec![
                    l("1", "Goede basiszorg", Basis, None, 1),
                    l("2", "Extra zorg in de groep", Basis, Some(6), 2),
                    l("3", "Speciale zorg na intern onderzoek", Basis, Some(6), 3),
                    l("4", "Speciale zorg na extern onderzoek", Extra, Some(8), 4),
                    l("5", "Verwijzing", Specialised, None, 4),
                ],
            },
            CareLadder {
                // Seed 001: basiszorg (groepsplan, individueel handelingsplan), breedtezorg (IB,
                // RT naast de instructietafel, HGPD, ontwikkelperspectief), dieptezorg
                // (consultatie, onderzoek, externe expertise); HGPD every 8 weeks.
                name: "basis-breedte-diepte".into(),
                // Seed 001: "De OPP's van onze leerlingen worden jaarlijks geëvalueerd."
                opp_evaluations_per_year: Some(1),
                levels: vec![
                    l("Basiszorg", "Basiszorg in de groep", Basis, None, 2),
                    l("Breedtezorg", "Breedtezorg met HGPD", Extra, Some(8), 3),
                    l(
                        "Dieptezorg",
                        "Dieptezorg met externe expertise",
                        Specialised,
                        Some(8),
                        4,
                    ),
                ],
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_unique_names_and_climb() {
        let p = CareLadder::presets();
        let abcd = p.iter().find(|l| l.name == "abcd").expect("abcd");
        assert_eq!(abcd.next_after("a2").map(|l| l.code.as_str()), Some("B1"));
        assert_eq!(abcd.next_after("D"), None);
        assert_eq!(abcd.evaluation_weeks(PlanKind::ActionPlan, Some("A2")), 6);
        let n16 = p.iter().find(|l| l.name == "niveaus-1-6").expect("1-6");
        assert_eq!(n16.evaluation_weeks(PlanKind::GroupPlan, Some("1")), 12);
        let mut names: Vec<_> = p.iter().map(|l| l.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 5);
    }

    /// Issue 16 items 1 and 10: every preset step has a protocol level, levels never go down,
    /// and the presets say what the seeds say.
    #[test]
    fn presets_follow_the_seeds_and_map_to_protocol_levels() {
        let p = CareLadder::presets();
        let get = |n: &str| p.iter().find(|l| l.name == n).expect(n).clone();
        for ladder in &p {
            let levels: Vec<u8> = ladder
                .levels
                .iter()
                .map(|l| l.protocol_level.expect("every preset step has a protocol level"))
                .collect();
            assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{}", ladder.name);
            assert!(levels.iter().all(|l| (1..=4).contains(l)), "{}", ladder.name);
        }
        let cases: &[(&str, &str, u8)] = &[
            ("abcd", "A2", PROTOCOL_EXTRA_IN_GROUP),
            ("abcd", "B1", PROTOCOL_SPECIFIC),
            ("niveaus-1-6", "3", PROTOCOL_SPECIFIC),
            ("niveaus-1-4", "2", PROTOCOL_EXTRA_IN_GROUP),
            ("niveaus-1-4", "3", PROTOCOL_SPECIFIC),
            ("niveaus-1-4", "4", PROTOCOL_EXTERNAL),
            ("basis-breedte-diepte", "breedtezorg", PROTOCOL_SPECIFIC),
        ];
        for (ladder, code, want) in cases {
            assert_eq!(get(ladder).protocol_level(code), Some(*want), "{ladder} {code}");
        }
        // Seed 004: actieplan on niveau 2 runs 4-6 weeks.
        assert_eq!(
            get("niveaus-1-6").evaluation_weeks(PlanKind::ActionPlan, Some("2")),
            6
        );
        // Seed 002: the OPP is niveau 3; niveau 4 is referral, reached only from niveau 3.
        let n14 = get("niveaus-1-4");
        assert_eq!(n14.next_after("2").map(|l| l.name.contains("OPP")), Some(true));
        assert_eq!(n14.level("4").map(|l| l.tier), Some(NationalTier::Specialised));
        // Seed 000: C is an arrangement, extra support.
        assert_eq!(get("abcd").level("C").map(|l| l.tier), Some(NationalTier::Extra));
        // Seed 001: HGPD every 8 weeks.
        let bbd = get("basis-breedte-diepte");
        assert_eq!(bbd.evaluation_weeks(PlanKind::ActionPlan, Some("Breedtezorg")), 8);
        assert_eq!(bbd.codes_from_protocol_level(3), ["Breedtezorg", "Dieptezorg"]);
    }
}
