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
}

/// A school's ladder, lowest level first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareLadder {
    /// Name used in config (`schools[].care_ladder`).
    pub name: String,
    /// Levels, lowest first.
    pub levels: Vec<CareLevel>,
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
    /// `niveaus-1-4` (seed 002), `niveaus-1-5` (seed 003).
    pub fn presets() -> Vec<CareLadder> {
        use NationalTier::*;
        let l = |code: &str, name: &str, tier, weeks: Option<u32>| CareLevel {
            code: code.into(),
            name: name.into(),
            tier,
            evaluation_weeks: weeks,
        };
        vec![
            CareLadder {
                name: "abcd".into(),
                levels: vec![
                    l("A1", "Klassikaal, extra aandacht in de groep", Basis, Some(6)),
                    l("A2", "Basisondersteuning met IHP in ParnasSys", Basis, Some(6)),
                    l("B1", "Extra ondersteuning met OPP", Extra, Some(8)),
                    l("B2", "Na extern onderzoek", Extra, Some(8)),
                    l("C", "Arrangement", Specialised, Some(8)),
                    l(
                        "D",
                        "Toelaatbaarheidsverklaring, andere school",
                        Specialised,
                        None,
                    ),
                ],
            },
            CareLadder {
                name: "niveaus-1-6".into(),
                levels: vec![
                    l("1", "Basisaanbod in de groep", Basis, None),
                    l("2", "Extra instructie in de groep", Basis, Some(8)),
                    l("3", "Specifieke interventie, handelingsdeel", Basis, Some(6)),
                    l("4", "Extra ondersteuning met OPP", Extra, Some(8)),
                    l("5", "Arrangement met externe expertise", Extra, Some(8)),
                    l("6", "Verwijzing speciaal (basis)onderwijs", Specialised, None),
                ],
            },
            CareLadder {
                name: "niveaus-1-4".into(),
                levels: vec![
                    l("1", "Algemene zorg in de groep", Basis, None),
                    l("2", "Extra zorg in de groep", Basis, Some(6)),
                    l("3", "Speciale zorg met externe hulp", Extra, Some(8)),
                    l("4", "Zorg op maat, OPP", Specialised, Some(8)),
                ],
            },
            CareLadder {
                name: "niveaus-1-5".into(),
                levels: vec![
                    l("1", "Goede basiszorg", Basis, None),
                    l("2", "Extra zorg in de groep", Basis, Some(6)),
                    l("3", "Speciale zorg na intern onderzoek", Basis, Some(6)),
                    l("4", "Speciale zorg na extern onderzoek", Extra, Some(8)),
                    l("5", "Verwijzing", Specialised, None),
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
        names.dedup();
        assert_eq!(names.len(), 4);
    }
}
