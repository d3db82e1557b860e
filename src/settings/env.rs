//! `ZORGSIGNAAL__SECTION__KEY=value` overrides as a figment provider. Values stay text (so a
//! numeric password or a key with leading zeros survives) and are converted to numbers or booleans
//! only where the target field wants one (`extract_lossy`); `[…]` and `{…}` values parse as lists
//! and tables.

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

/// Prefix of environment overrides; `__` separates levels (`ZORGSIGNAAL__STORE__URL`).
pub const ENV_PREFIX: &str = "ZORGSIGNAAL__";

/// Name of this provider in figment metadata; issues from it say they came from the environment.
pub(super) const PROVIDER_NAME: &str = "ZORGSIGNAAL__ environment variables";

/// Environment overrides, already split into dotted lower-case keys.
#[derive(Debug, Clone, Default)]
pub struct EnvOverrides {
    pairs: Vec<(String, String)>,
}

impl EnvOverrides {
    /// The overrides in this process's environment.
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    /// Overrides from `NAME=value` pairs; names without the `ZORGSIGNAAL__` prefix are ignored.
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(vars: impl IntoIterator<Item = (K, V)>) -> Self {
        let pairs = vars
            .into_iter()
            .filter_map(|(name, value)| {
                let name = name.as_ref();
                let rest = name
                    .get(..ENV_PREFIX.len())
                    .filter(|p| p.eq_ignore_ascii_case(ENV_PREFIX))
                    .and_then(|_| name.get(ENV_PREFIX.len()..))?;
                let key = rest
                    .split("__")
                    .map(str::to_ascii_lowercase)
                    .collect::<Vec<_>>()
                    .join(".");
                let valid = !key.is_empty() && key.split('.').all(|seg| !seg.is_empty());
                valid.then(|| (key, value.into()))
            })
            .collect();
        Self { pairs }
    }

    /// Only the overrides under the top-level `sections` (e.g. `mail`), and the dotted keys of
    /// the ones left out (never the values).
    pub fn only_sections(&self, sections: &[&str]) -> (Self, Vec<String>) {
        let (kept, dropped): (Vec<_>, Vec<_>) = self
            .pairs
            .iter()
            .cloned()
            .partition(|(k, _)| sections.iter().any(|s| k.split('.').next() == Some(*s)));
        (
            Self { pairs: kept },
            dropped.into_iter().map(|(k, _)| k).collect(),
        )
    }

    /// The dotted keys that are overridden (never the values: they may be secrets).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }
}

impl Provider for EnvOverrides {
    fn metadata(&self) -> Metadata {
        Metadata::named(PROVIDER_NAME)
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut dict = Dict::new();
        for (key, raw) in &self.pairs {
            let trimmed = raw.trim_start();
            let value = if trimmed.starts_with('[') || trimmed.starts_with('{') {
                raw.parse::<Value>().unwrap_or_else(|never| match never {})
            } else {
                Value::from(raw.clone())
            };
            if let Some(nested) = figment::util::nest(key, value).into_dict() {
                merge_dicts(&mut dict, nested);
            }
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Deep merge: tables merge key by key, anything else (text, numbers, lists) is replaced.
pub(super) fn merge_dicts(base: &mut Dict, over: Dict) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Dict(_, b)), Value::Dict(_, o)) => merge_dicts(b, o),
            (_, v) => {
                base.insert(key, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_split_lowercased_and_filtered() {
        let env = EnvOverrides::from_pairs([
            ("ZORGSIGNAAL__STORE__URL", "x"),
            ("ZORGSIGNAAL__RULES__SCHOOLS__11ZW__LEVEL_DROP__MIN_DROP", "3"),
            ("ZORGSIGNAAL_TEST_POSTGRES_URL", "ignored"),
            ("ZORGSIGNAAL__", "ignored"),
            ("ZORGSIGNAAL__A____B", "ignored"),
            ("PATH", "ignored"),
        ]);
        let keys: Vec<_> = env.keys().collect();
        assert_eq!(keys, ["store.url", "rules.schools.11zw.level_drop.min_drop"]);
    }

    /// Why this provider exists (docs/ARCHITECTURE.md "Crate choices"): figment's own `Env`
    /// parses each value into a `Value`, which turns a numeric secret into a number.
    #[test]
    fn figments_own_env_parsing_would_lose_a_leading_zero() {
        let parsed: Value = "007".parse().unwrap_or_else(|never| match never {});
        assert_ne!(
            parsed.as_str(),
            Some("007"),
            "figment keeps 007 as text now: reconsider"
        );
        let ours = EnvOverrides::from_pairs([("ZORGSIGNAAL__MAIL__PASSWORD", "007")]);
        let data = ours.data().expect("data");
        let mail = data[&Profile::Default]
            .get("mail")
            .and_then(Value::as_dict)
            .expect("mail");
        assert_eq!(mail.get("password").and_then(Value::as_str), Some("007"));
    }

    #[test]
    fn values_stay_text_unless_they_are_lists_or_tables() {
        let env = EnvOverrides::from_pairs([
            ("ZORGSIGNAAL__MAIL__PASSWORD", "007"),
            ("ZORGSIGNAAL__SOURCES__LEERUNIEK__SCOPES", "[a, b]"),
        ]);
        let data = env.data().expect("data");
        let root = data.get(&Profile::Default).expect("default profile");
        let mail = root.get("mail").and_then(Value::as_dict).expect("mail");
        assert_eq!(mail.get("password").and_then(Value::as_str), Some("007"));
        let sources = root.get("sources").and_then(Value::as_dict).expect("sources");
        let lu = sources.get("leeruniek").and_then(Value::as_dict).expect("lu");
        assert_eq!(
            lu.get("scopes").and_then(Value::as_array).map(|a| a.len()),
            Some(2)
        );
    }
}
