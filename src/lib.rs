//! Zorgsignaal: signalering van stagnerende leerlingen en te late evaluaties voor het primair
//! onderwijs. Sources are pulled into a store, pure rules find signals, actions push tasks back
//! and mail the IB, reports go to the board. See docs/ARCHITECTURE.md.

#![warn(missing_docs)]

pub mod actions;
pub mod api;
pub mod app;
pub mod cli;
pub mod domain;
pub mod report;
pub mod rules;
pub mod schedule;
pub mod settings;
pub mod sources;
pub mod store;
pub mod sync;
pub mod telemetry;
