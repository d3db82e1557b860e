//! The mock test publisher (toetsuitgever): delivers an ESIS-like school's results to Zorgsignaal's
//! UWLR 2.2 `LeerresultatenService` (`POST /uwlr/v2/leerresultaten`, SOAPAction
//! `BrengLeerresultaten`) as `leerresultaten_verzoek` messages, one per test date, on the
//! generated test dates: [`Publisher::deliver_until`] sends every date not delivered yet up to
//! the (simulated) day. The messages are built deterministically from the generated results
//! ([`messages`]) and validate against the official `UWLR_Leerresultaten_v2p2.xsd`.
//!
//! Mapping of a generated result: `resultaat/@key` = the result id (so a repeated delivery is
//! idempotent), `toetsafname/leerlingid` = the pupil id (the UWLR `leerling/@key` of the LAS), an
//! `osoresultaat` with the OSO `toetsscore` (aantalgoed, vaardigheidsscore,
//! codevaardigheidsschaal) and one `referentiescore` per reference score (codevergelijkingsgroep
//! `LG`); a result with only a raw score is a plain `score`. `toetsen` names every toetscode of the
//! message with its toetsnaam.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use quick_xml::escape::escape;

use crate::model::{School, TestResult};

/// Namespace of the UWLR results messages.
pub const LR_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten";
/// Namespace of the OSO elements UWLR reuses.
pub const OSO_NS: &str = "http://www.edustandaard.nl/oso_gegevensset/1.2/dossier";
/// Namespace of the `autorisatie` header.
pub const AUT_NS: &str = "http://www.edustandaard.nl/leerresultaten/2/autorisatie";
/// Namespace of the SOAP 1.1 envelope.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The SOAPAction of the operation.
pub const SOAP_ACTION: &str = "BrengLeerresultaten";
/// `klantcode` of the mock publisher in the `autorisatie` header.
pub const KLANTCODE: &str = "TU-MOCK";
/// `klantnaam` and `auteur` of the mock publisher.
pub const NAME: &str = "Mock-toetsuitgever";

/// One message: the results of one school taken on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The test date (afnamedatum) of every result in it.
    pub date: NaiveDate,
    /// How many `resultaat` elements it holds.
    pub results: usize,
    /// The `leerresultaten_verzoek` element (with its namespace declarations, no XML declaration).
    pub body: String,
}

impl Message {
    /// The message as a standalone XML document (a saved `leerresultaten_verzoek`, for
    /// `zorgsignaal import --uwlr` or xmllint).
    pub fn document(&self) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", self.body)
    }
}

/// School year label (`2025-2026`) of a date: school years start on 1 August.
pub fn school_year(date: NaiveDate) -> String {
    let start = if date.month() >= 8 {
        date.year()
    } else {
        date.year() - 1
    };
    format!("{start}-{}", start + 1)
}

/// The messages for `school`'s results taken after `after` (all when `None`) up to and including
/// `until`, one per test date, oldest first. Deterministic: the same results give the same bytes.
pub fn messages(school: &School, after: Option<NaiveDate>, until: NaiveDate) -> Vec<Message> {
    let mut per_date: BTreeMap<NaiveDate, Vec<&TestResult>> = BTreeMap::new();
    for r in &school.resultaten {
        if after.is_none_or(|a| r.afnamedatum > a) && r.afnamedatum <= until {
            per_date.entry(r.afnamedatum).or_default().push(r);
        }
    }
    per_date
        .into_iter()
        .map(|(date, results)| Message {
            date,
            results: results.len(),
            body: leerresultaten_verzoek(&school.brin, date, &results),
        })
        .collect()
}

fn el(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", escape(value));
}

/// The `leerresultaten_verzoek` of `results` (all taken on `date`) for school `brin`.
pub fn leerresultaten_verzoek(brin: &str, date: NaiveDate, results: &[&TestResult]) -> String {
    let mut out =
        format!("<lr:leerresultaten_verzoek xmlns:lr=\"{LR_NS}\" xmlns:oso=\"{OSO_NS}\"><lr:school>");
    el(&mut out, "lr:schooljaar", &school_year(date));
    el(&mut out, "lr:brincode", brin);
    el(&mut out, "lr:dependancecode", "00");
    el(&mut out, "lr:aanmaakdatum", &format!("{date}T16:00:00"));
    el(&mut out, "lr:auteur", NAME);
    el(&mut out, "lr:xsdversie", "2.2");
    out.push_str("</lr:school><lr:toetsafnames>");
    let mut per_pupil: BTreeMap<u64, Vec<&TestResult>> = BTreeMap::new();
    for r in results {
        per_pupil.entry(r.leerling_id).or_default().push(r);
    }
    for (pupil, list) in &per_pupil {
        out.push_str("<lr:toetsafname>");
        el(&mut out, "lr:leerlingid", &pupil.to_string());
        out.push_str("<lr:resultaten>");
        for r in list {
            resultaat(&mut out, r);
        }
        out.push_str("</lr:resultaten></lr:toetsafname>");
    }
    out.push_str("</lr:toetsafnames><lr:toetsen>");
    let mut tests: BTreeMap<&str, &str> = BTreeMap::new();
    for r in results {
        tests.entry(&r.toetscode).or_insert(&r.toetsnaam);
    }
    for (code, name) in tests {
        out.push_str("<lr:toets>");
        el(&mut out, "lr:toetscode", code);
        el(
            &mut out,
            "lr:toetsnaam",
            &name.chars().take(128).collect::<String>(),
        );
        out.push_str("</lr:toets>");
    }
    out.push_str("</lr:toetsen></lr:leerresultaten_verzoek>");
    out
}

fn resultaat(out: &mut String, r: &TestResult) {
    let _ = write!(out, "<lr:resultaat key=\"{}\">", r.id);
    el(out, "lr:afnamedatum", &r.afnamedatum.to_string());
    el(out, "lr:toetscode", &r.toetscode);
    if let Some(part) = &r.toetsonderdeelcode {
        el(out, "lr:toetsonderdeelcode", part);
    }
    let correct = r
        .score
        .filter(|s| s.fract() == 0.0 && (0.0..=f64::from(i32::MAX)).contains(s))
        .map(|s| s as i64);
    if r.vaardigheidsscore.is_none()
        && r.referentiescores.is_empty()
        && let Some(n) = correct
    {
        el(out, "lr:score", &n.to_string());
        out.push_str("</lr:resultaat>");
        return;
    }
    out.push_str("<lr:osoresultaat>");
    if correct.is_some() || r.vaardigheidsscore.is_some() {
        out.push_str("<oso:toetsscore>");
        if let Some(n) = correct {
            el(out, "oso:aantalgoed", &n.to_string());
        }
        if let Some(v) = r.vaardigheidsscore {
            el(out, "oso:vaardigheidsscore", &v.to_string());
            if let Some(scale) = r.vaardigheidsschaal.as_deref().filter(|s| !s.is_empty()) {
                el(out, "oso:codevaardigheidsschaal", scale);
            }
        }
        out.push_str("</oso:toetsscore>");
    }
    for rs in &r.referentiescores {
        out.push_str("<oso:referentiescore>");
        el(out, "oso:codereferentiescore", &rs.code);
        el(out, "oso:codevergelijkingsgroep", "LG");
        el(out, "oso:waarde", &rs.waarde);
        out.push_str("</oso:referentiescore>");
    }
    out.push_str("</lr:osoresultaat></lr:resultaat>");
}

/// The SOAP 1.1 request of `BrengLeerresultaten`: the `autorisatie` header with `key` and the
/// publisher's klantcode and klantnaam, and `body` (a `leerresultaten_verzoek`).
pub fn soap_request(key: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Header>\
         <aut:autorisatie xmlns:aut=\"{AUT_NS}\"><aut:autorisatiesleutel>{}</aut:autorisatiesleutel>\
         <aut:klantcode>{KLANTCODE}</aut:klantcode><aut:klantnaam>{NAME}</aut:klantnaam></aut:autorisatie>\
         </soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>\n",
        escape(key)
    )
}

/// Why a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The endpoint could not be reached or its answer not read.
    #[error("delivering the results of {date}: {source}")]
    Http {
        /// Test date of the message.
        date: NaiveDate,
        /// Cause.
        source: reqwest::Error,
    },
    /// The endpoint answered with a SOAP fault (or another error status).
    #[error("the endpoint refused the results of {date} (HTTP {status}): {answer}")]
    Refused {
        /// Test date of the message.
        date: NaiveDate,
        /// HTTP status.
        status: u16,
        /// The answer (a SOAP fault), shortened.
        answer: String,
    },
}

/// What [`Publisher::deliver_until`] delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Messages (test dates) confirmed with `leerresultaten_bevestiging`.
    pub messages: usize,
    /// Results in them.
    pub results: usize,
}

/// The mock test publisher of one ESIS-like school.
#[derive(Debug, Clone)]
pub struct Publisher {
    http: reqwest::Client,
    endpoint: String,
    key: String,
    school: School,
    delivered_until: Option<NaiveDate>,
    total: Delivered,
}

impl Publisher {
    /// A publisher of `school`'s results (the whole generated history; it sends them as their
    /// dates are reached) to the endpoint at `endpoint` (the full URL of
    /// `POST /uwlr/v2/leerresultaten`) with `key`, the autorisatiesleutel Zorgsignaal issued for
    /// the school (`zorgsignaal uwlr-key add`).
    pub fn new(endpoint: &str, key: &str, school: &School) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: endpoint.to_owned(),
            key: key.to_owned(),
            school: school.clone(),
            delivered_until: None,
            total: Delivered::default(),
        }
    }

    /// BRIN of the school.
    pub fn brin(&self) -> &str {
        &self.school.brin
    }

    /// Everything delivered so far.
    pub fn total(&self) -> Delivered {
        self.total
    }

    /// Delivers, oldest first, every test date after the last delivered one up to and including
    /// `day`. Stops at the first refusal (that date and later ones are tried again next time).
    pub async fn deliver_until(&mut self, day: NaiveDate) -> Result<Delivered, PublishError> {
        let mut now = Delivered::default();
        for m in messages(&self.school, self.delivered_until, day) {
            let res = self
                .http
                .post(&self.endpoint)
                .header("content-type", "text/xml; charset=utf-8")
                .header("SOAPAction", format!("\"{SOAP_ACTION}\""))
                .body(soap_request(&self.key, &m.body))
                .send()
                .await
                .map_err(|source| PublishError::Http { date: m.date, source })?;
            let status = res.status();
            let answer = res
                .text()
                .await
                .map_err(|source| PublishError::Http { date: m.date, source })?;
            if !status.is_success() || !answer.contains("leerresultaten_bevestiging") {
                return Err(PublishError::Refused {
                    date: m.date,
                    status: status.as_u16(),
                    answer: answer.chars().take(500).collect(),
                });
            }
            self.delivered_until = Some(m.date);
            now.messages += 1;
            now.results += m.results;
        }
        if self.delivered_until.is_none_or(|d| d < day) {
            self.delivered_until = Some(day);
        }
        self.total.messages += now.messages;
        self.total.results += now.results;
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{GenParams, generate};

    #[test]
    fn one_message_per_test_date_of_the_uwlr_school_deterministic() {
        let params = GenParams {
            schools: 2,
            pupils_per_school: 20,
            years: 2,
            uwlr_schools: 1,
            ..GenParams::default()
        };
        let (ds, expected) = generate(&params);
        let school = &ds.schools[1];
        assert!(school.uwlr.is_some() && ds.schools[0].uwlr.is_none());
        assert!(
            expected
                .iter()
                .any(|e| e.school == school.brin && e.expect == "fires")
        );
        let all = messages(school, None, ds.as_of);
        assert_eq!(
            all.iter().map(|m| m.results).sum::<usize>(),
            school.resultaten.len()
        );
        assert!(all.windows(2).all(|w| w[0].date < w[1].date));
        let split = all[all.len() / 2].date;
        let later = messages(school, Some(split), ds.as_of);
        assert_eq!(later.len(), all.iter().filter(|m| m.date > split).count());
        assert_eq!(messages(&generate(&params).0.schools[1], None, ds.as_of), all);
        let m = &all[0];
        assert!(
            m.body
                .contains(&format!("<lr:brincode>{}</lr:brincode>", school.brin))
        );
        assert!(m.body.contains("<lr:toetsen><lr:toets>"));
    }
}
