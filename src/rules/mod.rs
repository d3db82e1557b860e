//! The signal engine: pure functions from a pupil's history, a reference date and parameters to
//! findings (DOMAIN.md §6). No I/O here: no tokio, sqlx or reqwest.

pub mod params;

pub use params::RuleParams;
