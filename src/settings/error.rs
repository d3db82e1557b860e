//! Configuration errors: each issue names its dotted key.

use std::fmt;

use super::env::{self, ENV_PREFIX};

/// One problem in the configuration, named by its dotted key (`schedule.digest`, `schools[1].brin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted path of the offending key; empty when the problem is the file itself.
    pub key: String,
    /// What is wrong (English, for operators; never contains a secret).
    pub message: String,
}

impl ConfigIssue {
    /// An issue at `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// The configuration could not be loaded or is invalid.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid configuration: {}", join_issues(.issues))]
pub struct ConfigError {
    /// Every problem found, in file order where possible.
    pub issues: Vec<ConfigIssue>,
}

fn join_issues(issues: &[ConfigIssue]) -> String {
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<Vec<ConfigIssue>> for ConfigError {
    fn from(issues: Vec<ConfigIssue>) -> Self {
        Self { issues }
    }
}

/// Converts a figment error chain into issues, each naming its key below `prefix`.
pub(crate) fn issues_from_figment(err: figment::Error, prefix: &str) -> Vec<ConfigIssue> {
    err.into_iter()
        .map(|e| {
            let mut path = e.path.clone();
            // Figment already ends the path with an unknown field's name, not a missing one's.
            if let figment::error::Kind::MissingField(f) = &e.kind
                && path.last().map(String::as_str) != Some(f.as_ref())
            {
                path.push(f.to_string());
            }
            let mut key = prefix.to_owned();
            for seg in &path {
                if seg.bytes().all(|b| b.is_ascii_digit()) && !seg.is_empty() {
                    key.push_str(&format!("[{seg}]"));
                } else {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(seg);
                }
            }
            let secret = path
                .last()
                .is_some_and(|last| SECRET_KEYS.contains(&last.as_str()));
            let mut message = if secret {
                // The found value would be printed: never echo what was written under a secret key.
                "invalid value (not shown: this key holds a secret)".to_owned()
            } else {
                without_source_lines(&e.kind.to_string())
            };
            if let Some(md) = &e.metadata
                && md.name == env::PROVIDER_NAME
            {
                message.push_str(&format!(" (set by a {ENV_PREFIX}… environment variable)"));
            }
            ConfigIssue::new(key, message)
        })
        .collect()
}

/// Keys whose values are secrets; their values are never echoed in an issue.
const SECRET_KEYS: [&str; 3] = ["key", "client_secret", "password"];

/// Drops the quoted source lines (`3 | password = "…`) a TOML syntax error carries, which could
/// contain a secret, keeping position and reason.
fn without_source_lines(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_source_line(l))
        .collect::<Vec<_>>()
        .join(": ")
}

fn is_source_line(line: &str) -> bool {
    line.starts_with('|')
        || line
            .split_once(" |")
            .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
