//! Client of a LAS's UWLR 2.2 `LeerlinggegevensService`: `HaalLeerlinggegevens` (SOAP 1.1
//! document/literal, `autorisatie` header, optional client certificate) for one school and
//! school year, read into pupils, groups (samengestelde groepen too), memberships and teachers by
//! the EDEXML reader (the answer uses the EDEXML types).

use secrecy::{ExposeSecret, SecretString};

use super::soap::{self, Autorisatie, EnvelopeError};
use crate::domain::{Brin, ExternalIdHasher, SchoolYear, Source};
use crate::sources::edexml::{EdexmlError, EdexmlRoster, roster_from};
use crate::sources::error::SourceError;
use crate::sources::http::{HttpClient, RequestSpec};

/// Namespace of the UWLR pupil-data messages.
pub const LG_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens";

/// The SOAPAction of the operation.
pub const SOAP_ACTION: &str = "HaalLeerlinggegevens";

/// One school's UWLR pupil source: its LAS endpoint, key and (optional) client certificate.
pub struct UwlrClient {
    http: HttpClient,
    url: String,
    key: SecretString,
    klantcode: String,
    klantnaam: String,
    hasher: ExternalIdHasher,
}

impl std::fmt::Debug for UwlrClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UwlrClient")
            .field("url", &self.url)
            .field("klantcode", &self.klantcode)
            .finish_non_exhaustive()
    }
}

impl UwlrClient {
    /// A client for the service at `url` with the school's key and Zorgsignaal's klantcode/-naam;
    /// `hasher` turns BSN/onderwijsnummer/ECK iD into the keyed hash the store keeps.
    pub fn new(
        http: HttpClient,
        url: &str,
        key: SecretString,
        (klantcode, klantnaam): (&str, &str),
        hasher: ExternalIdHasher,
    ) -> Self {
        Self {
            http,
            url: url.to_owned(),
            key,
            klantcode: klantcode.to_owned(),
            klantnaam: klantnaam.to_owned(),
            hasher,
        }
    }

    /// The `leerlinggegevens_verzoek` envelope for `school` and `year` (holds the key).
    pub fn request(&self, school: &Brin, year: SchoolYear) -> SecretString {
        let (brin, dependance) = split_brin(school);
        let header = soap::autorisatie_header(&Autorisatie {
            key: self.key.expose_secret().to_owned(),
            customer_code: self.klantcode.clone(),
            customer_name: self.klantnaam.clone(),
        });
        let body = format!(
            "<lg:leerlinggegevens_verzoek xmlns:lg=\"{LG_NS}\"><lg:schooljaar>{year}</lg:schooljaar>\
             <lg:brincode>{}</lg:brincode><lg:dependancecode>{dependance}</lg:dependancecode>\
             <lg:xsdversie>2.2</lg:xsdversie></lg:leerlinggegevens_verzoek>",
            soap::escape(brin)
        );
        SecretString::from(soap::envelope(Some(&header), &body))
    }

    /// `HaalLeerlinggegevens` for `school` and `year`. A refused key is [`SourceError::Revoked`].
    #[tracing::instrument(skip_all, fields(source = "uwlr", school = %school, year = %year), err)]
    pub async fn leerlinggegevens(
        &self,
        school: &Brin,
        year: SchoolYear,
    ) -> Result<EdexmlRoster, SourceError> {
        let req = RequestSpec::new(self.url.clone()).redact(&self.key);
        let answer = match self
            .http
            .post_soap(school.as_str(), req, SOAP_ACTION, self.request(school, year))
            .await
        {
            Ok(xml) => xml,
            Err(SourceError::SoapFault { status, body }) => {
                return Err(classify_fault(status, &body));
            }
            Err(e) => return Err(e),
        };
        read_answer(answer.as_bytes(), school, &self.hasher)
    }
}

/// A BRIN with vestiging (`11ZW01`) as brincode and dependancecode; `00` without.
fn split_brin(school: &Brin) -> (&str, &str) {
    let s = school.as_str();
    if s.len() == 6 {
        (&s[..4], &s[4..])
    } else {
        (s, "00")
    }
}

/// Reads a `leerlinggegevens_antwoord` envelope: the roster, with every record at `school`.
/// `geengegevens` is an empty roster (the LAS has no pupils for that year).
pub fn read_answer(
    xml: &[u8],
    school: &Brin,
    hasher: &ExternalIdHasher,
) -> Result<EdexmlRoster, SourceError> {
    let decode = |reason: String| SourceError::Decode {
        reason,
        body_preview: String::new(),
    };
    let envelope = soap::read_envelope(xml).map_err(|e| match e {
        EnvelopeError::Xml(x) => decode(format!("UWLR answer: {x}")),
        EnvelopeError::Structure(s) => decode(format!("UWLR answer: {s}")),
    })?;
    let body = envelope.body;
    if body.name != "leerlinggegevens_antwoord" || body.namespace.as_deref() != Some(LG_NS) {
        return Err(decode(format!(
            "UWLR answer holds <{}>, not <leerlinggegevens_antwoord>",
            body.name
        )));
    }
    let Some(content) = body.children.first() else {
        return Err(decode("UWLR answer is empty".into()));
    };
    match content.name.as_str() {
        "leerlinggegevens" => {
            let roster = roster_from(content, school, Source::Uwlr, hasher).map_err(|e: EdexmlError| {
                decode(format!(
                    "UWLR answer: {}",
                    e.to_string().trim_start_matches("EDEXML ")
                ))
            })?;
            if let Some(b) = roster
                .brin
                .as_ref()
                .filter(|b| split_brin(school).0 != b.as_str())
            {
                return Err(SourceError::Permanent(format!(
                    "the LAS answered for school {b}, asked for {school}"
                )));
            }
            Ok(roster)
        }
        "geengegevens" => Ok(EdexmlRoster {
            brin: None,
            school_year: SchoolYear::of_date(chrono::Utc::now().date_naive()),
            groups: Vec::new(),
            pupils: Vec::new(),
            memberships: Vec::new(),
            pupils_without_grade: 0,
            teachers: Vec::new(),
        }),
        other => Err(decode(format!(
            "UWLR answer <{other}> is not used by Zorgsignaal"
        ))),
    }
}

/// A fault from the LAS: one naming the key or authorisation stops the school (revoked), a
/// server fault is transient, anything else permanent.
fn classify_fault(status: reqwest::StatusCode, body: &str) -> SourceError {
    let (code, text) = soap::read_fault(body.as_bytes())
        .map(|(c, t, _)| (c, t))
        .unwrap_or_else(|| (String::new(), String::new()));
    let lower = format!("{code} {text}").to_lowercase();
    if lower.contains("autoris") || lower.contains("sleutel") || lower.contains("auth") {
        return SourceError::Revoked {
            reason: format!("the LAS refused the UWLR key ({code}: {text})"),
        };
    }
    if code.contains("Server") {
        return SourceError::Server {
            status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
            retry_after: None,
        };
    }
    SourceError::Permanent(format!("UWLR fault (HTTP {status}): {code}: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str =
        include_str!("../../../tests/fixtures/uwlr/messages/soap_leerlinggegevens_antwoord.xml");

    fn hasher() -> ExternalIdHasher {
        ExternalIdHasher::new(SecretString::from(
            "een sleutel van minstens tweeëndertig tekens lang",
        ))
    }

    #[test]
    fn the_answer_gives_pupils_groups_samengestelde_groepen_and_teachers() {
        let school = Brin::parse("99ZZ").expect("brin");
        let r = read_answer(ANSWER.as_bytes(), &school, &hasher()).expect("answer");
        assert_eq!(r.pupils.len(), 3);
        assert!(
            r.pupils
                .iter()
                .all(|p| p.source == Source::Uwlr && p.school == school)
        );
        assert!(
            r.groups.iter().any(|g| g.external_id == "sg:sg1"),
            "{:?}",
            r.groups
        );
        assert!(r.memberships.iter().any(|m| m.group_external_id == "sg:sg1"));
        assert_eq!(r.teachers.len(), 3);
        let other = Brin::parse("11ZW").expect("brin");
        assert!(matches!(
            read_answer(ANSWER.as_bytes(), &other, &hasher()),
            Err(SourceError::Permanent(_))
        ));
    }

    #[test]
    fn faults_are_classified() {
        let s = reqwest::StatusCode::INTERNAL_SERVER_ERROR;
        let fault = |code: &str, text: &str| soap::fault(code, text, "x");
        assert!(matches!(
            classify_fault(s, &fault("soap:Client", "Autorisatiesleutel onbekend")),
            SourceError::Revoked { .. }
        ));
        assert!(classify_fault(s, &fault("soap:Server", "even niet")).is_transient());
        assert!(matches!(
            classify_fault(s, &fault("soap:Client", "schooljaar onbekend")),
            SourceError::Permanent(_)
        ));
    }

    #[test]
    fn a_vestiging_is_sent_as_brincode_and_dependancecode() {
        let b = Brin::parse("11ZW01").expect("brin");
        assert_eq!(split_brin(&b), ("11ZW", "01"));
        assert_eq!(split_brin(&Brin::parse("11ZW").expect("brin")), ("11ZW", "00"));
    }
}
