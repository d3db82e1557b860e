//! `[rules]`: rule parameters at board level plus partial per-school overrides
//! (`[rules.schools.<BRIN>]`), merged over the board's values as TOML tables and only then
//! deserialized, so an unknown key in an override is reported under its full path.

use std::collections::BTreeMap;

use figment::value::{Dict, Value};
use serde::{Deserialize, Serialize, Serializer};

use super::{ConfigIssue, issues_from_figment};
use crate::domain::Brin;
use crate::rules::RuleParams;

/// The `[rules]` section: board-level [`RuleParams`] and the resolved per-school parameters.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct RulesSettings {
    raw: Dict,
    #[serde(skip)]
    board: RuleParams,
    #[serde(skip)]
    schools: BTreeMap<Brin, RuleParams>,
}

impl RulesSettings {
    /// Board-level parameters.
    pub fn board(&self) -> &RuleParams {
        &self.board
    }

    /// Parameters for one school: its override merged over the board's, or the board's.
    pub fn for_school(&self, brin: &Brin) -> RuleParams {
        self.schools.get(brin).unwrap_or(&self.board).clone()
    }

    /// Schools that have an override, with their merged parameters.
    pub fn overrides(&self) -> &BTreeMap<Brin, RuleParams> {
        &self.schools
    }

    /// Turns the raw tables into typed parameters; every problem names its full key.
    pub(super) fn resolve(&mut self) -> Result<(), Vec<ConfigIssue>> {
        let mut board_raw = self.raw.clone();
        let schools_raw = board_raw.remove("schools");
        self.board = Value::from(board_raw)
            .deserialize::<RuleParams>()
            .map_err(|e| issues_from_figment(e, "rules"))?;
        // Overrides merge over the board's complete values (defaults filled in), so an override
        // may give part of a section that has no defaults of its own, such as `moment_windows`.
        let board_full = match Value::serialize(&self.board) {
            Ok(Value::Dict(_, d)) => d,
            Ok(_) | Err(_) => {
                return Err(vec![ConfigIssue::new(
                    "rules",
                    "cannot represent the board's rule parameters",
                )]);
            }
        };

        let mut issues = Vec::new();
        let overrides = match schools_raw {
            None => Dict::new(),
            Some(Value::Dict(_, d)) => d,
            Some(other) => {
                return Err(vec![ConfigIssue::new(
                    "rules.schools",
                    format!(
                        "expected a table of BRIN → overrides, found {}",
                        other.to_actual()
                    ),
                )]);
            }
        };
        self.schools.clear();
        for (key, value) in overrides {
            let prefix = format!("rules.schools.{key}");
            let brin = match Brin::parse(&key) {
                Ok(b) => b,
                Err(e) => {
                    issues.push(ConfigIssue::new(prefix, e.to_string()));
                    continue;
                }
            };
            let Value::Dict(_, over) = value else {
                issues.push(ConfigIssue::new(prefix, "expected a table of rule parameters"));
                continue;
            };
            let mut merged = board_full.clone();
            merge(&mut merged, over);
            match Value::from(merged).deserialize::<RuleParams>() {
                Ok(params) => {
                    if self.schools.insert(brin.clone(), params).is_some() {
                        issues.push(ConfigIssue::new(
                            prefix,
                            format!("override for {brin} given twice"),
                        ));
                    }
                }
                Err(e) => issues.extend(issues_from_figment(e, &prefix)),
            }
        }
        if issues.is_empty() { Ok(()) } else { Err(issues) }
    }
}

/// Deep merge: tables merge key by key, anything else (numbers, lists) is replaced.
fn merge(base: &mut Dict, over: Dict) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Dict(_, b)), Value::Dict(_, o)) => merge(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

impl Serialize for RulesSettings {
    /// Serializes as written: the board's parameters (all of them, defaults filled in) plus the
    /// `schools` overrides as given.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut table = toml::Table::try_from(&self.board).map_err(S::Error::custom)?;
        if let Some(schools) = self.raw.get("schools") {
            table.insert(
                "schools".into(),
                toml::Value::try_from(schools).map_err(S::Error::custom)?,
            );
        }
        table.serialize(s)
    }
}
