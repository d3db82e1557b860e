//! HTTP side of the GKV adapter: one `getLeerlingen` call per school and school year, with SOAP
//! faults classified (authentication → revoked, temporarily unavailable → transient).

use std::time::Duration;

use reqwest::StatusCode;
use secrecy::SecretString;

use super::model::{WireError, WireSnapshot, envelope, fault_string, parse_snapshot};
use crate::domain::{Brin, SchoolYear};
use crate::sources::error::SourceError;
use crate::sources::http::{HttpClient, RequestSpec};

/// SOAP path of the generiek koppelvlak.
pub const GKV_PATH: &str = "/bao/services/cxf/v3/generic";

/// Attempts for a `TEMPORARILY_UNAVAILABLE` fault (the HTTP layer does not retry SOAP faults).
const FAULT_ATTEMPTS: u32 = 3;

/// Client of the ParnasSys GKV web service; one per board.
#[derive(Debug)]
pub struct GkvClient {
    http: HttpClient,
    endpoint: String,
    leveranciernaam: String,
}

impl GkvClient {
    /// A client for the service at `base_url` (the SOAP path is appended).
    pub fn new(http: HttpClient, base_url: &str, leveranciernaam: impl Into<String>) -> Self {
        Self {
            http,
            endpoint: format!("{}{GKV_PATH}", base_url.trim_end_matches('/')),
            leveranciernaam: leveranciernaam.into(),
        }
    }

    /// `getLeerlingen` for one school and year, as wire records.
    pub(crate) async fn leerlingen(
        &self,
        school: &Brin,
        key: &SecretString,
        year: SchoolYear,
    ) -> Result<WireSnapshot, SourceError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let body = envelope(&self.leveranciernaam, key, school.as_str(), &year.gkv());
            let req = RequestSpec::new(self.endpoint.clone()).redact(key);
            match self
                .http
                .post_soap(school.as_str(), req, "getLeerlingen", body)
                .await
            {
                Ok(xml) => {
                    return parse_snapshot(&xml).map_err(|e| match e {
                        WireError::Malformed(reason) => SourceError::Decode {
                            reason,
                            body_preview: String::new(),
                        },
                        WireError::Refused(limit) => SourceError::XmlRefused(limit),
                    });
                }
                Err(SourceError::SoapFault { status, body }) => {
                    let fault = fault_string(&body);
                    let err = classify_fault(status, &fault);
                    if err.is_transient() && attempt < FAULT_ATTEMPTS {
                        tracing::warn!(fault = %fault, attempt, "GKV fault, trying again");
                        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                        continue;
                    }
                    return Err(err);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Maps a GKV fault string onto the error classes the sync engine acts on.
fn classify_fault(status: StatusCode, fault: &str) -> SourceError {
    let code = fault.split(':').next().unwrap_or("").trim();
    match code {
        "AUTHENTICATION_FAILED" => SourceError::Revoked {
            reason: format!("GKV refused the supplier key ({fault})"),
        },
        "TEMPORARILY_UNAVAILABLE" => SourceError::Server {
            status: StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
        },
        _ => SourceError::Permanent(format!("GKV fault (HTTP {status}): {fault}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_classified() {
        let s = StatusCode::INTERNAL_SERVER_ERROR;
        assert!(matches!(
            classify_fault(s, "AUTHENTICATION_FAILED: koppeling ingetrokken"),
            SourceError::Revoked { .. }
        ));
        assert!(classify_fault(s, "TEMPORARILY_UNAVAILABLE: later").is_transient());
        assert!(matches!(
            classify_fault(s, "INVALID_SCHOOLJAAR: x"),
            SourceError::Permanent(_)
        ));
    }
}
