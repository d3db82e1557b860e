//! `POST /uwlr/v2/leerresultaten`: Zorgsignaal as UWLR 2.2 `LeerresultatenService`
//! (`BrengLeerresultaten`, SOAP 1.1 document/literal). Test software or a school's LAS delivers a
//! `leerresultaten_verzoek`; Zorgsignaal answers `leerresultaten_bevestiging` or a SOAP fault.
//!
//! # What is checked, in this order (each refusal its own fault; nothing is stored)
//! 1. Size: a body over [`MAX_BODY_BYTES`] → `soap:Client.TeGroot` (read no further).
//! 2. SOAPAction, when sent, is `BrengLeerresultaten` → else `soap:Client.SoapAction`.
//! 3. Well-formed XML within the limits of [`crate::sources::xml`] → `soap:Client.OngeldigeXml`.
//! 4. A SOAP 1.1 envelope with one body element → `soap:Client.Schema`.
//! 5. The `autorisatie` header names a key made with `zorgsignaal uwlr-key add` (stored as its
//!    SHA-256) for a configured school → `soap:Client.Autorisatie`.
//! 6. The body is a schema-valid `leerresultaten_verzoek` ([`crate::sources::uwlr::model`]) →
//!    `soap:Client.Schema`.
//! 7. Its `brincode` is the key's school → `soap:Client.AndereSchool`.
//!
//! Then all results are applied in one transaction through the import path
//! ([`crate::store::SyncStore::apply_import`]): idempotent per `resultaat/@key` (a repeated
//! delivery changes nothing), results of a pupil the store does not know yet held until the
//! pupil arrives. A store failure is `soap:Server.Opslag`, with nothing stored.
//!
//! Faults are answered with HTTP 500, as SOAP 1.1 over HTTP prescribes; the detail carries a short
//! code (`zs:fout/zs:code`) for programs.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::token_hash;
use crate::domain::{Brin, Source};
use crate::sources::uwlr::model::{LR_NS, from_element};
use crate::sources::uwlr::soap::{self, EnvelopeError};
use crate::store::ImportBatch;

/// Path of the endpoint.
pub const PATH: &str = "/uwlr/v2/leerresultaten";

/// The SOAPAction of the operation.
pub const SOAP_ACTION: &str = "BrengLeerresultaten";

/// Largest request body accepted (8 MiB): one school's test round is far less.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Why a delivery was refused (one SOAP fault each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is larger than [`MAX_BODY_BYTES`].
    TooLarge,
    /// The SOAPAction names another operation.
    SoapAction(String),
    /// Not well-formed XML or an XML limit broken.
    Malformed(String),
    /// Not a SOAP envelope, or the body is not a schema-valid `leerresultaten_verzoek`.
    Schema(String),
    /// No, an incomplete or an unknown `autorisatie`.
    Unauthorised(String),
    /// The message is about another school than the key's.
    OtherSchool(String),
    /// Storing failed.
    Store,
}

impl Refusal {
    /// (`faultcode`, detail code).
    pub fn codes(&self) -> (&'static str, &'static str) {
        match self {
            Self::TooLarge => ("soap:Client.TeGroot", "te-groot"),
            Self::SoapAction(_) => ("soap:Client.SoapAction", "soapaction"),
            Self::Malformed(_) => ("soap:Client.OngeldigeXml", "ongeldige-xml"),
            Self::Schema(_) => ("soap:Client.Schema", "schema"),
            Self::Unauthorised(_) => ("soap:Client.Autorisatie", "autorisatie"),
            Self::OtherSchool(_) => ("soap:Client.AndereSchool", "andere-school"),
            Self::Store => ("soap:Server.Opslag", "opslag"),
        }
    }

    fn text(&self) -> String {
        let nothing = "niets opgeslagen";
        match self {
            Self::TooLarge => format!(
                "het bericht is groter dan {} MiB; {nothing}",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
            Self::SoapAction(a) => {
                format!("SOAPAction {a} wordt hier niet ondersteund (alleen {SOAP_ACTION}); {nothing}")
            }
            Self::Malformed(r) => format!("geen geldige XML: {r}; {nothing}"),
            Self::Schema(r) => format!("bericht voldoet niet aan het UWLR 2.2-schema: {r}; {nothing}"),
            Self::Unauthorised(r) => format!("geen toegang: {r}; {nothing}"),
            Self::OtherSchool(r) => format!("{r}; {nothing}"),
            Self::Store => format!("opslaan mislukt; {nothing}, probeer het later opnieuw"),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (faultcode, code) = self.codes();
        metrics::counter!("zorgsignaal_uwlr_refused_total", "fault" => code).increment(1);
        soap_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            soap::fault(faultcode, &self.text(), code),
        )
    }
}

fn soap_response(status: StatusCode, xml: String) -> Response {
    (status, [(header::CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
}

/// The answer to an accepted delivery.
pub fn bevestiging() -> String {
    soap::envelope(
        None,
        &format!("<lr:leerresultaten_bevestiging xmlns:lr=\"{LR_NS}\"/>"),
    )
}

/// `POST /uwlr/v2/leerresultaten`.
pub async fn leerresultaten(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match deliver(&state, &headers, body).await {
        Ok(()) => soap_response(StatusCode::OK, bevestiging()),
        Err(refusal) => {
            tracing::warn!(fault = refusal.codes().1, "UWLR delivery refused");
            refusal.into_response()
        }
    }
}

async fn deliver(state: &AppState, headers: &HeaderMap, body: Body) -> Result<(), Refusal> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(Refusal::TooLarge);
    }
    if let Some(action) = headers.get("soapaction") {
        let action = action.to_str().unwrap_or_default().trim().trim_matches('"');
        if action != SOAP_ACTION && !action.ends_with(&format!("/{SOAP_ACTION}")) {
            return Err(Refusal::SoapAction(action.chars().take(100).collect::<String>()));
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    let envelope = soap::read_envelope(&bytes).map_err(|e| match e {
        EnvelopeError::Xml(x) => Refusal::Malformed(x.to_string()),
        EnvelopeError::Structure(s) => Refusal::Schema(s),
    })?;
    let autorisatie = envelope.autorisatie.map_err(Refusal::Unauthorised)?;
    let key_school = state
        .store
        .uwlr_key_school(&token_hash(&autorisatie.key))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "looking up a UWLR key failed");
            Refusal::Store
        })?
        .ok_or_else(|| Refusal::Unauthorised("onbekende of ingetrokken autorisatiesleutel".into()))?;
    let school = state
        .schools
        .iter()
        .find(|s| s.brin == key_school)
        .cloned()
        .ok_or_else(|| {
            Refusal::Unauthorised(format!(
                "de sleutel hoort bij school {key_school}, die niet (meer) geconfigureerd is"
            ))
        })?;
    let message = from_element(&envelope.body).map_err(|e| Refusal::Schema(e.to_string()))?;
    let brin: &Brin = match &message.brin {
        Some(b) => b,
        None => {
            return Err(Refusal::OtherSchool(format!(
                "het bericht noemt de school met een schoolkey; de sleutel is voor brincode {key_school}, \
                 noem die in <brincode>"
            )));
        }
    };
    if *brin != key_school {
        return Err(Refusal::OtherSchool(format!(
            "het bericht is voor school {brin}, de autorisatiesleutel voor school {key_school}"
        )));
    }
    let converted = message.to_results(brin);
    let mut batch = ImportBatch::new(Source::Uwlr, school);
    batch.results = converted.results;
    batch.hold_unknown_pupils = true;
    let summary = state.store.apply_import(&batch).await.map_err(|e| {
        tracing::error!(error = %e, school = %key_school, "storing UWLR results failed; nothing stored");
        Refusal::Store
    })?;
    let r = &summary.records;
    metrics::counter!("zorgsignaal_uwlr_results_total").increment(batch.results.len() as u64);
    tracing::info!(
        school = %key_school,
        sender = %autorisatie.customer_code,
        results = batch.results.len(),
        inserted = r.results_inserted,
        updated = r.results_updated,
        deduplicated = r.results_deduplicated,
        unchanged = r.unchanged,
        held = r.held,
        without_level = converted.without_level,
        "UWLR leerresultaten stored"
    );
    Ok(())
}
