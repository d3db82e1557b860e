//! The subcommands' bodies, one file per subcommand (`crate::cli` only declares and dispatches
//! them): `evaluate`, `import`, `migrate`, `outbox`, `report`, `run`, `serve`, `signals`,
//! `status`, `sync`, `user` and `uwlr-key`. `check-config` stays in `crate::cli` (it reports on
//! loading the configuration itself); `demo` and `simulate` are whole subsystems in
//! `crate::app::demo` and `crate::app::simulate`. Output a school user reads is Dutch; `--json`
//! output is a contract (docs/RULES.md).

pub mod evaluate;
pub mod import;
pub mod migrate;
pub mod outbox;
pub mod report;
pub mod run;
pub mod serve;
pub mod signals;
pub mod status;
pub mod sync;
pub mod user;
pub mod uwlr_key;
