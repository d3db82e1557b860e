//! ParnasSys REST wire types (reference contract `mocks/openapi/parnassys.yaml`). Every field is
//! optional here so that a missing one becomes a specific quarantine reason, not a page failure.

use serde::{Deserialize, Serialize};

/// `referentiescores[]`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireReferenceScore {
    pub code: Option<String>,
    pub waarde: Option<String>,
}

/// A result item.
#[derive(Debug, Deserialize)]
pub(crate) struct WireResult {
    pub id: Option<String>,
    pub leerling_id: Option<String>,
    pub toetscode: Option<String>,
    pub toetsonderdeelcode: Option<String>,
    pub toetsnaam: Option<String>,
    pub leverancier: Option<String>,
    pub afnamedatum: Option<String>,
    pub toetsmoment: Option<String>,
    pub score: Option<f64>,
    pub vaardigheidsscore: Option<f64>,
    pub vaardigheidsschaal: Option<String>,
    #[serde(default)]
    pub referentiescores: Vec<WireReferenceScore>,
}

/// A note item.
#[derive(Debug, Deserialize)]
pub(crate) struct WireNote {
    pub id: Option<String>,
    pub leerling_id: Option<String>,
    pub groep_id: Option<String>,
    #[serde(default)]
    pub categorie: Vec<String>,
    pub aangemaakt_op: Option<String>,
    pub inhoud: Option<String>,
}

/// A plan evaluation.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEvaluation {
    pub datum: Option<String>,
    pub uitkomst: Option<String>,
}

/// A plan item.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePlan {
    pub id: Option<String>,
    pub leerling_id: Option<String>,
    pub groep_id: Option<String>,
    pub soort: Option<String>,
    pub domein: Option<String>,
    pub titel: Option<String>,
    pub eigenaar: Option<String>,
    pub zorgniveau: Option<String>,
    pub startdatum: Option<String>,
    pub einddatum: Option<String>,
    pub evaluatiedatum: Option<String>,
    pub minuten_per_week: Option<u32>,
    #[serde(default)]
    pub evaluaties: Vec<WireEvaluation>,
    /// OPP procedure (issue 18 item 5), optional: a source without them sends neither.
    pub besluitdatum: Option<String>,
    pub opgesteld_op: Option<String>,
    pub instemming_ouders: Option<String>,
}

/// A dyslexieverklaring item: which pupil, and the date. The contract offers nothing else of a
/// diagnosis, and nothing else would be read (data minimisation).
#[derive(Debug, Deserialize)]
pub(crate) struct WireDyslexiaStatement {
    pub id: Option<String>,
    pub leerling_id: Option<String>,
    pub datum: Option<String>,
}

/// A verzuim item: which pupil, the day, the hours and the kind. A remark or reason text, should a
/// LAS send one, is not read (data minimisation).
#[derive(Debug, Deserialize)]
pub(crate) struct WireAbsence {
    pub id: Option<String>,
    pub leerling_id: Option<String>,
    pub datum: Option<String>,
    pub uren: Option<f64>,
    pub soort: Option<String>,
}

/// A sociaal-emotioneel item: which pupil, the instrument, the indicator or scale, the date and the
/// category. Item answers, raw scores or a remark, should a LAS send them, are not read (data
/// minimisation).
#[derive(Debug, Deserialize)]
pub(crate) struct WireSocialEmotional {
    pub id: Option<String>,
    pub leerling_id: Option<String>,
    pub instrument: Option<String>,
    pub schaal: Option<String>,
    pub afnamedatum: Option<String>,
    pub categorie: Option<String>,
}

/// `POST /taken` body.
#[derive(Debug, Serialize)]
pub(crate) struct WireTaskRequest<'a> {
    pub leerling_id: &'a str,
    pub titel: &'a str,
    pub omschrijving: &'a str,
    pub soort: &'static str,
    pub vervaldatum: Option<chrono::NaiveDate>,
}

/// `POST /taken` answer (only what we read).
#[derive(Debug, Deserialize)]
pub(crate) struct WireTask {
    pub id: String,
}
