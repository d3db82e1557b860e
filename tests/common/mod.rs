//! Worlds and helpers shared by the integration tests in `tests/it/` (compiled once, as
//! `crate::common`): each file sets up one kind of world (API, daemon, sync, report seed) or drives
//! one outside tool (the WebDriver session).

pub mod api_world;
pub mod daemon_world;
pub mod report_seed;
pub mod sync_world;
pub mod webdriver;
