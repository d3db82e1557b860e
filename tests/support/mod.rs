//! Mail test support shared by the integration tests in `tests/it/` (compiled once, as
//! `crate::support`): the seeded mail fixture and the aiosmtpd sink (`smtp_sink.py`) from Rust.

pub mod mail_fixture;
pub mod smtp_sink;
