//! Mock ParnasSys (GKV SOAP + REST), Leeruniek (REST) and ESIS-like UWLR (`HaalLeerlinggegevens`)
//! servers with a deterministic school-board generator, planted rule cases, fixtures and fault
//! injection, and a mock test publisher (toetsuitgever) that delivers results to Zorgsignaal's UWLR
//! endpoint. See `mocks/README.md`.

pub mod board;
pub mod error;
pub mod faults;
pub mod feed;
pub mod fixture;
pub mod generator;
pub mod model;
pub mod publisher;
pub mod server;
pub mod state;
pub mod tasks;
pub mod timeline;

pub use board::{DataSource, MockBoard, MockConfig, SchoolCredentials, UwlrCredentials};
pub use error::MockError;
pub use faults::{FaultConfig, FaultKind};
pub use generator::planted::CONCERN_NOTE_TEXT;
pub use generator::{Expected, GenParams, generate, generate_with_planted_as_of};
pub use model::Dataset;
pub use state::{Record, StreamKind};
pub use timeline::Timeline;
