//! Source adapters: every wire format stays behind these modules.

pub mod csv_import;
pub mod oso;
