//! `[rules]`: rule parameters at board level plus partial per-school overrides
//! (`[rules.schools.<BRIN>]`), merged over the board's values as TOML tables and only then
//! deserialized, so an unknown key in an override is reported under its full path.

use std::collections::BTreeMap;

use figment::Figment;
use figment::providers::Serialized;
use figment::value::{Dict, Value};
use serde::{Deserialize, Serialize, Serializer};

use super::env::merge_dicts;
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
        // Every level is partial: the board's tables merge over the defaults, each school's over
        // the board's complete values, so even `moment_windows` (no per-field defaults) may be
        // given in part. Lists such as `domain_mapping` are replaced, not merged.
        let mut board_full = params_dict(&RuleParams::default())?;
        merge_dicts(&mut board_full, board_raw);
        self.board = params_from(board_full, "rules")?;
        let board_full = params_dict(&self.board)?;

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
        // Group by BRIN first: the file may say `11ZW` where an environment variable yields
        // `11zw`. Keys equal but for case sort with the all-lower-case (environment) one last, so
        // the environment wins, as everywhere else.
        let mut by_brin: BTreeMap<Brin, (String, Dict)> = BTreeMap::new();
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
            let entry = by_brin
                .entry(brin)
                .or_insert_with(|| (prefix, board_full.clone()));
            merge_dicts(&mut entry.1, over);
        }
        self.schools.clear();
        for (brin, (prefix, merged)) in by_brin {
            match params_from(merged, &prefix) {
                Ok(params) => {
                    self.schools.insert(brin, params);
                }
                Err(e) => issues.extend(e),
            }
        }
        if issues.is_empty() { Ok(()) } else { Err(issues) }
    }
}

fn params_dict(params: &RuleParams) -> Result<Dict, Vec<ConfigIssue>> {
    match Value::serialize(params) {
        Ok(Value::Dict(_, d)) => Ok(d),
        Ok(_) | Err(_) => Err(vec![ConfigIssue::new(
            "rules",
            "cannot represent the rule parameters as a table",
        )]),
    }
}

/// Deserializes rule parameters from a table; text becomes numbers/booleans where needed, as
/// environment overrides arrive as text.
/// Problems are named below `prefix`.
fn params_from(dict: Dict, prefix: &str) -> Result<RuleParams, Vec<ConfigIssue>> {
    Figment::from(Serialized::defaults(Value::from(dict)))
        .extract_lossy()
        .map_err(|e| issues_from_figment(e, prefix))
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
