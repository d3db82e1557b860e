//! The dataset a mock board serves (and the fixture file format): schools, GKV snapshot data,
//! ParnasSys REST records (Dutch snake_case, as on the wire) and Leeruniek records (camelCase).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An interned, cheaply cloned string (test codes, scale names, level letters).
pub type Sym = Arc<str>;

/// Current fixture format version.
pub const FORMAT_VERSION: u32 = 1;

/// A whole board: what `--dump-fixture` writes and `--fixture` reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// Fixture format version (`1`).
    pub format: u32,
    /// Seed the dataset was generated from (informative for fixtures).
    pub seed: u64,
    /// Reference date (peildatum) every generated date is anchored on.
    pub as_of: NaiveDate,
    /// GKV `leveranciernaam` the mock accepts.
    pub leveranciernaam: String,
    /// School years covered, oldest first, written `2025-2026`.
    pub school_years: Vec<String>,
    /// The schools of the board.
    pub schools: Vec<School>,
    /// OAuth2 clients of both REST systems.
    pub clients: Vec<OAuthClient>,
}

/// Which REST system an OAuth2 client belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// ParnasSys REST (reference contract).
    Parnassys,
    /// Leeruniek REST (reference contract).
    Leeruniek,
}

/// An OAuth2 client-credentials client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClient {
    /// System the client may call.
    pub system: System,
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (test data only).
    pub client_secret: String,
    /// BRINs the client may read and write.
    pub schools: Vec<String>,
    /// Scopes the client may request.
    pub scopes: Vec<String>,
}

/// One school (school, BRIN) with everything the three servers serve for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// BRIN, e.g. `11ZW`.
    pub brin: String,
    /// Display name.
    pub naam: String,
    /// Care ladder preset (`abcd`, `niveaus-1-6`, `niveaus-1-4`, `niveaus-1-5`).
    pub care_ladder: String,
    /// First school year with IEP instead of Cito LOVS (`2023-2024`), if the school switched.
    pub iep_from: Option<String>,
    /// GKV `leveranciersleutel` issued by the school.
    pub leveranciersleutel: String,
    /// Staff (medewerkers).
    pub medewerkers: Vec<Staff>,
    /// Pupils (leerlingen), past and present.
    pub leerlingen: Vec<Pupil>,
    /// Groups (groepen), per school year.
    pub groepen: Vec<Group>,
    /// Memberships (groepsindelingen).
    pub groepsindelingen: Vec<Membership>,
    /// ParnasSys results (resultaten).
    pub resultaten: Vec<TestResult>,
    /// ParnasSys notes (notities).
    pub notities: Vec<Note>,
    /// ParnasSys plans (plannen).
    pub plannen: Vec<Plan>,
    /// ParnasSys dyslexieverklaringen: only that a pupil has one, and its date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dyslexieverklaringen: Vec<DyslexiaStatement>,
    /// ParnasSys verzuim (absences): day, hours and kind per registration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verzuim: Vec<Absence>,
    /// ParnasSys sociaal-emotionele metingen (ZIEN!, KanVAS, KiVa monitor): instrument, scale,
    /// date and category per measurement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sociaal_emotioneel: Vec<SocialEmotional>,
    /// Leeruniek note-category tree.
    pub lu_note_categories: Vec<LuNoteCategory>,
    /// Leeruniek group plans.
    pub lu_group_plans: Vec<LuGroupPlan>,
    /// Leeruniek notes.
    pub lu_notes: Vec<LuNote>,
    /// School holidays (vakanties) the school's configuration lists (not served by any source: a
    /// school's rooster lives in its schoolgids). The demo configuration writes them into
    /// `[schools.calendar]`; the planted holiday case needs one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vakanties: Vec<Vacation>,
    /// An "ESIS-like" school: its LAS has no GKV and no ParnasSys REST, it serves pupil data
    /// through UWLR 2.2 `HaalLeerlinggegevens` with this access, and its results reach
    /// Zorgsignaal through the mock test publisher (toetsuitgever). Absent: a ParnasSys school.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uwlr: Option<UwlrAccess>,
}

/// How a school's LAS serves UWLR 2.2 pupil data (`LeerlinggegevensService`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UwlrAccess {
    /// The LAS product the school is modelled on (`ESIS`).
    pub las: String,
    /// `autorisatiesleutel` the school issued to Zorgsignaal in its LAS (test data).
    pub autorisatiesleutel: String,
    /// `klantcode` under which the LAS registered Zorgsignaal (checked in the `autorisatie` header).
    pub klantcode: String,
}

/// A school holiday, inclusive dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vacation {
    /// First day off.
    pub van: NaiveDate,
    /// Last day off.
    pub tot: NaiveDate,
    /// Name.
    pub naam: String,
}

/// A staff member (medewerker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// GKV id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Roepnaam.
    pub roepnaam: String,
    /// Achternaam.
    pub achternaam: String,
    /// `leerkracht`, `ib` or `directie`.
    pub functie: String,
    /// E-mail address (fictitious domain).
    pub emailadres: String,
}

/// Where an arriving pupil came from (instroom), with or without an OSO dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arrival {
    /// Date of arrival.
    pub datum: NaiveDate,
    /// BRIN of the previous school.
    pub vorige_brin: String,
    /// Whether an OSO overstapdossier came along.
    pub oso_dossier: bool,
}

/// A pupil (leerling) as GKV knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pupil {
    /// GKV `leerling.id`; also the pupil id in every REST payload of this school.
    #[serde(with = "id_str")]
    pub id: u64,
    /// leerlingNummer.
    pub leerling_nummer: u32,
    /// roepNaam.
    pub roepnaam: String,
    /// achternaam.
    pub achternaam: String,
    /// tussenvoegsel.
    pub tussenvoegsel: Option<String>,
    /// geboortedatum.
    pub geboortedatum: NaiveDate,
    /// Arrival from another school, if any.
    pub instroom: Option<Arrival>,
    /// Date the pupil left (uitstroom), if they did.
    pub uitstroom: Option<NaiveDate>,
    /// Whether this pupil carries a planted case (documented in `--emit-expected`).
    #[serde(default)]
    pub planted: bool,
}

/// A group (groep) in one school year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// GKV id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Name, e.g. `5B`.
    pub naam: String,
    /// Jaargroep 1–8.
    pub jaargroep: u8,
    /// School year `2025-2026`.
    pub schooljaar: String,
    /// Staff id of the leerkracht.
    #[serde(with = "id_str")]
    pub leerkracht: u64,
}

/// A pupil's membership of a group (groepsindeling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Membership {
    /// Pupil id.
    #[serde(with = "id_str")]
    pub leerling: u64,
    /// Group id.
    #[serde(with = "id_str")]
    pub groep: u64,
    /// vanafDatum.
    pub vanaf_datum: NaiveDate,
    /// totDatum.
    pub tot_datum: Option<NaiveDate>,
    /// leerjaar (1–8).
    pub leerjaar: u8,
}

/// Mid/End main measurement as the source states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatedMoment {
    /// Midden (Jan/Feb).
    M,
    /// Eind (May/Jun).
    E,
}

/// A reference score (referentiescore).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceScore {
    /// `IV`, `AE`, `PC` (percentile), `RNTRM` (referentieniveau), `AVI`.
    pub code: Sym,
    /// Value, e.g. `V-`, `E`, `17`, `1F`.
    pub waarde: Sym,
}

/// A test result (toetsresultaat), ParnasSys REST item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestResult {
    /// Result id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id (GKV `leerling.id`).
    #[serde(with = "id_str")]
    pub leerling_id: u64,
    /// toetscode.
    pub toetscode: Sym,
    /// toetsonderdeelcode.
    pub toetsonderdeelcode: Option<Sym>,
    /// toetsnaam.
    pub toetsnaam: Sym,
    /// leverancier (`Cito`, `IEP`, `Bazalt`).
    pub leverancier: Sym,
    /// afnamedatum.
    pub afnamedatum: NaiveDate,
    /// Stated moment; `null` for tussenmetingen.
    pub toetsmoment: Option<StatedMoment>,
    /// Raw score (DMT: words read correctly on cards 1–3 together).
    pub score: Option<f64>,
    /// Vaardigheidsscore.
    pub vaardigheidsscore: Option<f64>,
    /// Scale of the vaardigheidsscore.
    pub vaardigheidsschaal: Option<Sym>,
    /// Reference scores.
    pub referentiescores: Vec<ReferenceScore>,
}

/// A note (notitie), ParnasSys REST item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    /// Note id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id.
    #[serde(with = "id_str")]
    pub leerling_id: u64,
    /// Group id.
    #[serde(with = "id_str")]
    pub groep_id: u64,
    /// Category path, e.g. `["Taal", "Spelling"]`.
    pub categorie: Vec<Sym>,
    /// Creation date.
    pub aangemaakt_op: NaiveDate,
    /// Text (no diagnoses).
    pub inhoud: String,
}

/// An evaluation of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanEvaluation {
    /// Date.
    pub datum: NaiveDate,
    /// `behaald`, `deels_behaald`, `niet_behaald`.
    pub uitkomst: Sym,
}

/// A plan (handelingsplan, groepsplan, OPP), ParnasSys REST item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Plan id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id (null for a groepsplan).
    #[serde(with = "opt_id_str")]
    pub leerling_id: Option<u64>,
    /// Group id.
    #[serde(with = "opt_id_str")]
    pub groep_id: Option<u64>,
    /// `handelingsplan`, `groepsplan`, `opp`.
    pub soort: Sym,
    /// Learning domain, or null.
    pub domein: Option<Sym>,
    /// Title.
    pub titel: String,
    /// Owner (leerkracht or IB) as ParnasSys names them.
    pub eigenaar: String,
    /// Zorgniveau code on the school's ladder.
    pub zorgniveau: Option<Sym>,
    /// Start date.
    pub startdatum: NaiveDate,
    /// End date, when closed.
    pub einddatum: Option<NaiveDate>,
    /// Explicit evaluation date.
    pub evaluatiedatum: Option<NaiveDate>,
    /// Intensity.
    pub minuten_per_week: Option<u32>,
    /// Evaluations, oldest first.
    pub evaluaties: Vec<PlanEvaluation>,
    /// OPP only (issue 18 item 5): besluitdatum, the day the school decided the pupil needs an
    /// OPP. Absent when the school does not record the OPP procedure (as before the contract had it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub besluitdatum: Option<NaiveDate>,
    /// OPP only: the day leerkracht and IB drew the OPP up; absent while it is being drawn up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opgesteld_op: Option<NaiveDate>,
    /// OPP only: the day the parents agreed to (signed) the handelingsdeel (instemming ouders).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instemming_ouders: Option<NaiveDate>,
}

/// A dyslexieverklaring (ParnasSys REST item, stream `dyslexieverklaringen`): that the pupil has
/// one and its date. Nothing else of the diagnosis (no report, no diagnostician): data
/// minimisation, the reference contract offers no more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DyslexiaStatement {
    /// Statement id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id (GKV `leerling.id`).
    #[serde(with = "id_str")]
    pub leerling_id: u64,
    /// Date of the statement, when registered.
    pub datum: Option<NaiveDate>,
}

/// A verzuimregistratie (ParnasSys REST item, stream `verzuim`): one pupil, one day, the hours of
/// onderwijstijd missed and the kind. No reason text or remark: the reference contract offers no
/// more (data minimisation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Absence {
    /// Registration id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id (GKV `leerling.id`).
    #[serde(with = "id_str")]
    pub leerling_id: u64,
    /// The day.
    pub datum: NaiveDate,
    /// Hours missed (more than 0, at most 24).
    pub uren: f64,
    /// `ziek`, `geoorloofd` or `ongeoorloofd`.
    pub soort: String,
}

/// A sociaal-emotionele meting (ParnasSys REST item, stream `sociaal-emotioneel`): one pupil, one
/// instrument (`ZIEN!`, `KanVAS`, `KiVa monitor`), one indicator or scale, the date and the
/// category (`rood`/`oranje`/`groen` for ZIEN!, `zeer laag`…`zeer hoog` for KanVAS,
/// `zorgelijk`/`aandacht`/`goed` for KiVa). No item answers or raw scores (data minimisation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocialEmotional {
    /// Measurement id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id (GKV `leerling.id`).
    #[serde(with = "id_str")]
    pub leerling_id: u64,
    /// `ZIEN!`, `KanVAS` or `KiVa monitor`.
    pub instrument: String,
    /// Indicator (ZIEN!) or scale (KanVAS, KiVa).
    pub schaal: String,
    /// Afnamedatum.
    pub afnamedatum: NaiveDate,
    /// Category of the instrument.
    pub categorie: String,
}

/// A Leeruniek note category (tree node).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LuNoteCategory {
    /// Category id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Parent category, null at the root.
    #[serde(with = "opt_id_str")]
    pub parent_id: Option<u64>,
    /// Name.
    pub name: String,
    /// Full path from the root, e.g. `["Rekenen", "Tafels"]`.
    pub path: Vec<String>,
}

/// A Leeruniek plan evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LuEvaluation {
    /// Date.
    pub date: NaiveDate,
    /// `achieved`, `partly_achieved`, `not_achieved`.
    pub outcome: Sym,
}

/// A Leeruniek group plan (groepsplan) for one group and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LuGroupPlan {
    /// Plan id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Group id (GKV groep id).
    #[serde(with = "id_str")]
    pub group_id: u64,
    /// School year `2025-2026`.
    pub school_year: String,
    /// `M` or `E`.
    pub period: StatedMoment,
    /// Learning domain.
    pub domain: Sym,
    /// Title.
    pub title: String,
    /// Owner.
    pub owner: String,
    /// Care level.
    pub care_level: Option<Sym>,
    /// Start.
    pub start_date: NaiveDate,
    /// End.
    pub end_date: NaiveDate,
    /// Evaluation date.
    pub evaluation_date: NaiveDate,
    /// Pupils in the plan's instruction subgroup (GKV ids); the plan covers only these.
    #[serde(with = "id_str_vec")]
    pub pupil_ids: Vec<u64>,
    /// Evaluations.
    pub evaluations: Vec<LuEvaluation>,
}

/// A Leeruniek note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LuNote {
    /// Note id.
    #[serde(with = "id_str")]
    pub id: u64,
    /// Pupil id (GKV `leerling.id`).
    #[serde(with = "id_str")]
    pub pupil_id: u64,
    /// Group id.
    #[serde(with = "id_str")]
    pub group_id: u64,
    /// Category id.
    #[serde(with = "id_str")]
    pub category_id: u64,
    /// Group plan the note belongs to, if any.
    #[serde(with = "opt_id_str")]
    pub group_plan_id: Option<u64>,
    /// Creation date.
    pub date_created: NaiveDate,
    /// Text.
    pub content: String,
}

/// Serialises a `u64` id as a JSON string (ids are opaque strings on the wire).
pub mod id_str {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serialises.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(D::Error::custom)
    }
}

/// Serialises an optional `u64` id as a JSON string or null.
pub mod opt_id_str {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Serialises.
    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let s = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
        s.map(|s| s.parse().map_err(D::Error::custom)).transpose()
    }
}

/// Serialises a list of `u64` ids as JSON strings.
pub mod id_str_vec {
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    /// Serialises.
    pub fn serialize<S: Serializer>(v: &[u64], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for id in v {
            seq.serialize_element(&id.to_string())?;
        }
        seq.end()
    }

    /// Deserialises.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        let v = <Vec<String>>::deserialize(d)?;
        v.iter().map(|s| s.parse().map_err(D::Error::custom)).collect()
    }
}
