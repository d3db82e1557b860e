//! The integration tests: one binary, one module per topic (as `mocks/tests/it` does), so the
//! whole suite is linked once. Worlds and helpers shared between modules are `common` and
//! `support` (compiled once). The store contract suite is its own binary (`tests/store/`), and so
//! is `tests/layering.rs` (a check of the source tree, run alone before every landing).
//!
//! Run one module with a filter: `cargo test --test it mail_digest::`. Nothing here may change
//! process-wide state (environment variables, the working directory, a global tracing subscriber,
//! metrics recorder or panic hook): every module shares this process. Child processes get their
//! environment on their `Command`; a test that needs a subscriber or recorder sets a thread-local
//! one (`tracing::subscriber::set_default`, `metrics::set_default_local_recorder`) on its
//! current-thread runtime.

#[path = "../common/mod.rs"]
mod common;
#[path = "../support/mod.rs"]
mod support;

mod api_auth;
mod api_browser;
mod api_cli;
mod api_demo_browser;
mod api_load;
mod api_notes;
mod cli_config;
mod csv_import;
mod daemon_e2e;
mod daemon_sqlite_lock;
mod daemons_postgres;
mod demo_cli;
mod deploy_demo;
mod deploy_metrics_doc;
mod deploy_unit;
mod edexml_import;
mod evaluate_scope;
mod import_cli;
mod mail_digest;
mod migrate_cli;
mod oso_parse;
mod planted_cases;
mod report_board;
mod report_mock;
mod report_render;
mod simulate_cli;
mod sync_cli;
mod sync_engine;
mod sync_postgres_schools;
mod uwlr_endpoint;
mod uwlr_mock_e2e;
mod uwlr_mock_xml;
mod uwlr_source;
