//! UWLR 2.2 (Edustandaard, "Uitwisseling Leerlinggegevens en Resultaten"): the national standard
//! by which a LAS hands pupil data to test software and receives results back. This module reads
//! `leerresultaten_verzoek` messages (results) and SOAP envelopes ([`soap`]); pupil data uses the EDEXML reader
//! ([`crate::sources::edexml`]).

pub mod client;
pub mod model;
pub mod soap;

pub use client::UwlrClient;
pub use model::{LeerresultatenMessage, Outcome, Sitting, UwlrConverted, UwlrError, parse_leerresultaten};
