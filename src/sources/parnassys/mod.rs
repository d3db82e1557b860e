//! ParnasSys REST adapter (reference contract): results, notes, plans and dyslexieverklaringen
//! through the change feed, normalised into domain [`TestResult`], [`Note`], [`SupportPlan`] and
//! [`DyslexiaStatementRecord`]; tasks pushed back.

mod client;
mod model;

pub use client::ParnassysClient;

use chrono::{NaiveTime, TimeZone, Utc};

use self::model::{WireAbsence, WireDyslexiaStatement, WireNote, WirePlan, WireResult, WireSocialEmotional};
use crate::domain::{
    AbilityScore, Absence, AbsenceKind, Brin, DyslexiaStatementRecord, Evaluation, EvaluationOutcome,
    LearningDomain, LevelError, MomentKind, Note, PlanKind, ReferenceScore, Scale, SeInstrument,
    SocialEmotionalMeasurement, Source, SupportPlan, TestResult,
};
use crate::sources::feed::{Record, date, opt_date, required, short, wire};
use crate::store::RecordKind;

/// A ParnasSys REST stream (stroom).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParnassysStream {
    /// `resultaten`.
    Results,
    /// `notities`.
    Notes,
    /// `plannen`.
    Plans,
    /// `dyslexieverklaringen` (fact and date only; read only when the school granted the scope
    /// `dyslexieverklaringen.read`, see [`ParnassysStream::is_granted`]).
    DyslexiaStatements,
    /// `verzuim` (date, hours, kind; read only with the scope `verzuim.read` or all scopes, like
    /// the dyslexieverklaringen).
    Absences,
    /// `sociaal-emotioneel` (ZIEN!, KanVAS and KiVa monitor: instrument, scale, date and category;
    /// read only with the scope `sociaal-emotioneel.read` or all scopes, like the verzuim).
    SocialEmotional,
}

impl ParnassysStream {
    /// Every stream, in sync order.
    pub const ALL: [ParnassysStream; 6] = [
        Self::Results,
        Self::Notes,
        Self::Plans,
        Self::DyslexiaStatements,
        Self::Absences,
        Self::SocialEmotional,
    ];

    /// OAuth2 scope of the verzuim stream.
    pub const ABSENCE_SCOPE: &'static str = "verzuim.read";

    /// OAuth2 scope of the sociaal-emotioneel stream.
    pub const SOCIAL_EMOTIONAL_SCOPE: &'static str = "sociaal-emotioneel.read";

    /// OAuth2 scope of the dyslexieverklaringen stream.
    pub const DYSLEXIA_SCOPE: &'static str = "dyslexieverklaringen.read";

    /// Whether the stream is read with the configured scopes (`[sources.parnassys] scopes`): an
    /// empty list asks for every scope the client has. The dyslexieverklaringen are read only when
    /// asked for explicitly or by an empty list: a school that does not share them is not asked,
    /// and a configuration from before the stream existed keeps working unchanged.
    pub fn is_granted(self, scopes: &[String]) -> bool {
        match self {
            Self::DyslexiaStatements => scopes.is_empty() || scopes.iter().any(|s| s == Self::DYSLEXIA_SCOPE),
            Self::Absences => scopes.is_empty() || scopes.iter().any(|s| s == Self::ABSENCE_SCOPE),
            Self::SocialEmotional => {
                scopes.is_empty() || scopes.iter().any(|s| s == Self::SOCIAL_EMOTIONAL_SCOPE)
            }
            _ => true,
        }
    }

    /// Stream name in the store (`results`, `notes`, `plans`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Results => "results",
            Self::Notes => "notes",
            Self::Plans => "plans",
            Self::DyslexiaStatements => "dyslexia_statements",
            Self::Absences => "absences",
            Self::SocialEmotional => "social_emotional",
        }
    }

    /// Path segment of the contract.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Results => "resultaten",
            Self::Notes => "notities",
            Self::Plans => "plannen",
            Self::DyslexiaStatements => "dyslexieverklaringen",
            Self::Absences => "verzuim",
            Self::SocialEmotional => "sociaal-emotioneel",
        }
    }

    /// Table a tombstone of this stream removes from.
    pub fn record_kind(self) -> RecordKind {
        match self {
            Self::Results => RecordKind::Result,
            Self::Notes => RecordKind::Note,
            Self::Plans => RecordKind::Plan,
            Self::DyslexiaStatements => RecordKind::DyslexiaStatement,
            Self::Absences => RecordKind::Absence,
            Self::SocialEmotional => RecordKind::SocialEmotional,
        }
    }

    /// Normalises one item of this stream.
    pub(crate) fn normalise(self, school: &Brin, raw: &serde_json::Value) -> Result<Record, String> {
        match self {
            Self::Results => result(school, wire(raw)?).map(Record::Result),
            Self::Notes => note(school, wire(raw)?).map(Record::Note),
            Self::Plans => plan(school, Source::Parnassys, wire(raw)?).map(Record::Plan),
            Self::DyslexiaStatements => dyslexia_statement(school, wire(raw)?).map(Record::DyslexiaStatement),
            Self::Absences => absence(school, wire(raw)?).map(Record::Absence),
            Self::SocialEmotional => social_emotional(school, wire(raw)?).map(Record::SocialEmotional),
        }
    }
}

/// A reference score, with the reason text the quarantine shows.
pub(crate) fn reference_score(code: &str, value: &str) -> Result<ReferenceScore, String> {
    ReferenceScore::parse(code, value).map_err(|e| match e {
        LevelError::NotOnScale { .. } => format!(
            "unknown level {:?} on scale {}",
            short(value.trim()),
            Scale::from_code(code).map_or_else(|| short(code), |s| s.code().to_owned())
        ),
        LevelError::PercentileOutOfRange(v) => format!("percentile {:?} is outside 0-100", short(&v)),
    })
}

fn result(school: &Brin, w: WireResult) -> Result<TestResult, String> {
    let external_id = required("id", w.id.as_deref())?;
    let pupil = required("leerling_id", w.leerling_id.as_deref())?;
    let name = w.toetsnaam.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let code = match w.toetscode.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => c.to_owned(),
        // A name without a code still identifies the test; neither is unusable.
        None => name.ok_or("missing toetscode")?.to_owned(),
    };
    let taken_on = date("afnamedatum", w.afnamedatum.as_deref())?;
    let stated_moment = match w.toetsmoment.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("M") | Some("m") => Some(MomentKind::Mid),
        Some("E") | Some("e") => Some(MomentKind::End),
        Some(other) => return Err(format!("unknown toetsmoment {:?}", short(other))),
    };
    for (field, v) in [("score", w.score), ("vaardigheidsscore", w.vaardigheidsscore)] {
        if let Some(v) = v
            && (!v.is_finite() || v < 0.0)
        {
            return Err(format!("impossible {field} {v}"));
        }
    }
    let ability = w.vaardigheidsscore.map(|value| AbilityScore {
        value,
        scale: w
            .vaardigheidsschaal
            .clone()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| code.to_ascii_lowercase()),
        interval: None,
    });
    let mut reference_scores = Vec::with_capacity(w.referentiescores.len());
    for r in &w.referentiescores {
        let c = required("referentiescore code", r.code.as_deref())?;
        let v = required("referentiescore waarde", r.waarde.as_deref())?;
        reference_scores.push(reference_score(&c, &v)?);
    }
    Ok(TestResult {
        source: Source::Parnassys,
        external_id,
        school: school.clone(),
        pupil_external_id: pupil,
        test_name: name.map_or_else(|| code.clone(), str::to_owned),
        test_code: code,
        part_code: w.toetsonderdeelcode.filter(|s| !s.trim().is_empty()),
        provider: w.leverancier.filter(|s| !s.trim().is_empty()),
        taken_on,
        stated_moment,
        raw_score: w.score,
        ability,
        reference_scores,
    })
}

/// A dyslexieverklaring: the pupil and the date, nothing else (data minimisation).
fn dyslexia_statement(school: &Brin, w: WireDyslexiaStatement) -> Result<DyslexiaStatementRecord, String> {
    Ok(DyslexiaStatementRecord {
        source: Source::Parnassys,
        school: school.clone(),
        external_id: required("id", w.id.as_deref())?,
        pupil_external_id: required("leerling_id", w.leerling_id.as_deref())?,
        on: opt_date("datum", w.datum.as_deref())?,
    })
}

/// An absence: pupil, day, hours and kind (`ziek`, `geoorloofd`, `ongeoorloofd`); nothing else.
fn absence(school: &Brin, w: WireAbsence) -> Result<Absence, String> {
    let hours = w.uren.ok_or_else(|| "missing uren".to_string())?;
    if !Absence::valid_hours(hours) {
        return Err(format!("uren {hours} is not more than 0 and at most 24"));
    }
    let soort = required("soort", w.soort.as_deref())?;
    let kind = AbsenceKind::parse_dutch(&soort).ok_or_else(|| {
        format!(
            "soort {:?} is not ziek, geoorloofd or ongeoorloofd",
            short(&soort)
        )
    })?;
    Ok(Absence {
        source: Source::Parnassys,
        school: school.clone(),
        external_id: required("id", w.id.as_deref())?,
        pupil_external_id: required("leerling_id", w.leerling_id.as_deref())?,
        on: date("datum", w.datum.as_deref())?,
        hours,
        kind,
    })
}

/// A social-emotional measurement: pupil, instrument, indicator or scale, date and category;
/// nothing else (no item answers, no raw score).
fn social_emotional(school: &Brin, w: WireSocialEmotional) -> Result<SocialEmotionalMeasurement, String> {
    let named = required("instrument", w.instrument.as_deref())?;
    let instrument = SeInstrument::parse_dutch(&named).ok_or_else(|| {
        format!(
            "instrument {:?} is not ZIEN!, KanVAS or KiVa monitor",
            short(&named)
        )
    })?;
    let schaal = required("schaal", w.schaal.as_deref())?;
    let scale = instrument.scale(&schaal).ok_or_else(|| match instrument {
        SeInstrument::Zien => format!("schaal {:?} is no ZIEN! indicator", short(&schaal)),
        _ => format!("schaal {:?} is too long", short(&schaal)),
    })?;
    let categorie = required("categorie", w.categorie.as_deref())?;
    let category = instrument.category_rank(&categorie).ok_or_else(|| {
        format!(
            "categorie {:?} is not one of {} ({})",
            short(&categorie),
            instrument.label(),
            instrument.categories().join(", ")
        )
    })?;
    Ok(SocialEmotionalMeasurement {
        source: Source::Parnassys,
        school: school.clone(),
        external_id: required("id", w.id.as_deref())?,
        pupil_external_id: required("leerling_id", w.leerling_id.as_deref())?,
        instrument,
        scale,
        measured_on: date("afnamedatum", w.afnamedatum.as_deref())?,
        category,
    })
}

fn note(school: &Brin, w: WireNote) -> Result<Note, String> {
    let written = date("aangemaakt_op", w.aangemaakt_op.as_deref())?;
    Ok(Note {
        source: Source::Parnassys,
        external_id: required("id", w.id.as_deref())?,
        school: school.clone(),
        pupil_external_id: Some(required("leerling_id", w.leerling_id.as_deref())?),
        group_external_id: w.groep_id.filter(|s| !s.trim().is_empty()),
        category_path: w.categorie,
        created_at: midnight_utc(written),
        content: w.inhoud.unwrap_or_default(),
    })
}

/// A date-only timestamp as the start of that day in UTC (the contracts give no time of day).
pub(crate) fn midnight_utc(d: chrono::NaiveDate) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN))
}

/// A plan of either REST source (the Leeruniek adapter maps its group plans onto this shape).
pub(crate) fn plan(school: &Brin, source: Source, w: WirePlan) -> Result<SupportPlan, String> {
    let external_id = required("id", w.id.as_deref())?;
    let kind = PlanKind::parse(&required("soort", w.soort.as_deref())?)
        .map_err(|_| format!("unknown plan kind {:?}", short(w.soort.as_deref().unwrap_or(""))))?;
    let domain = match w.domein.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(d) => Some(LearningDomain::parse(d).map_err(|_| format!("unknown domain {:?}", short(d)))?),
    };
    let pupil = w.leerling_id.filter(|s| !s.trim().is_empty());
    let group = w.groep_id.filter(|s| !s.trim().is_empty());
    if kind != PlanKind::GroupPlan && pupil.is_none() {
        return Err(format!("{} without leerling_id", kind.dutch()));
    }
    if kind == PlanKind::GroupPlan && group.is_none() {
        return Err("groepsplan without groep_id".into());
    }
    let start = date("startdatum", w.startdatum.as_deref())?;
    let end = opt_date("einddatum", w.einddatum.as_deref())?;
    if end.is_some_and(|e| e < start) {
        return Err("einddatum before startdatum".into());
    }
    let mut evaluations = Vec::with_capacity(w.evaluaties.len());
    for e in &w.evaluaties {
        let d = date("evaluatie datum", e.datum.as_deref())?;
        let o = required("evaluatie uitkomst", e.uitkomst.as_deref())?;
        let outcome = EvaluationOutcome::parse(&o)
            .map_err(|_| format!("unknown evaluation outcome {:?}", short(&o)))?;
        evaluations.push(Evaluation { date: d, outcome });
    }
    // The OPP procedure's dates are an OPP's only; on another plan they mean nothing and are left.
    let opp_date = |name: &str, v: Option<&str>| {
        if kind == PlanKind::Opp {
            opt_date(name, v)
        } else {
            Ok(None)
        }
    };
    let decided_on = opp_date("besluitdatum", w.besluitdatum.as_deref())?;
    let drawn_up_on = opp_date("opgesteld_op", w.opgesteld_op.as_deref())?;
    let parents_agreed_on = opp_date("instemming_ouders", w.instemming_ouders.as_deref())?;
    Ok(SupportPlan {
        source,
        external_id,
        school: school.clone(),
        pupil_external_id: if kind == PlanKind::GroupPlan { None } else { pupil },
        group_external_id: group,
        kind,
        domain,
        title: w.titel.unwrap_or_default(),
        owner: w.eigenaar.filter(|s| !s.trim().is_empty()),
        care_level: w.zorgniveau.filter(|s| !s.trim().is_empty()),
        start,
        end,
        evaluation_due: opt_date("evaluatiedatum", w.evaluatiedatum.as_deref())?,
        minutes_per_week: w.minuten_per_week,
        evaluations,
        decided_on,
        drawn_up_on,
        parents_agreed_on,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn brin() -> Brin {
        Brin::parse("11ZW").expect("brin")
    }

    fn result_json() -> serde_json::Value {
        json!({"id": "r1", "leerling_id": "p1", "toetscode": "DMT", "toetsonderdeelcode": null,
               "toetsnaam": "Drie-Minuten-Toets", "leverancier": "Cito", "afnamedatum": "2025-01-20",
               "toetsmoment": "M", "score": 41.0, "vaardigheidsscore": null, "vaardigheidsschaal": null,
               "referentiescores": [{"code": "IV", "waarde": "V-"}]})
    }

    fn reason(raw: serde_json::Value) -> String {
        ParnassysStream::Results
            .normalise(&brin(), &raw)
            .expect_err("should be rejected")
    }

    #[test]
    fn a_good_result_normalises() {
        let Ok(Record::Result(r)) = ParnassysStream::Results.normalise(&brin(), &result_json()) else {
            panic!("expected a result");
        };
        assert_eq!(r.test_code, "DMT");
        assert_eq!(r.stated_moment, Some(MomentKind::Mid));
        assert_eq!(r.reference_scores.len(), 1);
    }

    #[test]
    fn bad_results_get_specific_reasons() {
        let mut r = result_json();
        r["referentiescores"] = json!([{"code": "IV", "waarde": "VII"}]);
        assert_eq!(reason(r), "unknown level \"VII\" on scale IV");
        let mut r = result_json();
        r["afnamedatum"] = json!("2025-13-01");
        assert_eq!(reason(r), "afnamedatum \"2025-13-01\" is not a date");
        let mut r = result_json();
        r["toetscode"] = json!(null);
        r["toetsnaam"] = json!("");
        assert_eq!(reason(r), "missing toetscode");
        let mut r = result_json();
        r["score"] = json!("veel");
        assert!(reason(r).starts_with("record does not match the contract"));
    }

    #[test]
    fn an_unknown_test_is_kept() {
        let mut r = result_json();
        r["toetscode"] = json!("SEO");
        r["toetsnaam"] = json!("Sociaal-emotioneel");
        r["referentiescores"] = json!([]);
        assert!(ParnassysStream::Results.normalise(&brin(), &r).is_ok());
    }

    /// Issue 16 item 4: a dyslexieverklaring is only the pupil and the date; whatever else an item
    /// might carry is not read, and the stream is read only with its scope (or all scopes).
    #[test]
    fn a_dyslexia_statement_is_only_a_fact_and_a_date() {
        let s = ParnassysStream::DyslexiaStatements;
        let raw = json!({"id": "dv1", "leerling_id": "p1", "datum": "2025-03-14",
                         "diagnosticus": "Drs. X", "rapport": "ernstige dyslexie, ADHD"});
        let Ok(Record::DyslexiaStatement(d)) = s.normalise(&brin(), &raw) else {
            panic!("expected a dyslexieverklaring");
        };
        assert_eq!(
            d,
            DyslexiaStatementRecord {
                source: Source::Parnassys,
                school: brin(),
                external_id: "dv1".into(),
                pupil_external_id: "p1".into(),
                on: chrono::NaiveDate::from_ymd_opt(2025, 3, 14),
            }
        );
        let undated = json!({"id": "dv2", "leerling_id": "p1", "datum": null});
        assert!(matches!(
            s.normalise(&brin(), &undated),
            Ok(Record::DyslexiaStatement(DyslexiaStatementRecord {
                on: None,
                ..
            }))
        ));
        let bad = json!({"id": "dv3", "leerling_id": "p1", "datum": "14-03-2025"});
        assert_eq!(
            s.normalise(&brin(), &bad).expect_err("bad date"),
            "datum \"14-03-2025\" is not a date"
        );
        assert_eq!(s.record_kind(), RecordKind::DyslexiaStatement);
        let scopes = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(
            s.is_granted(&[]),
            "no scopes configured: every scope of the client"
        );
        assert!(s.is_granted(&scopes(&["resultaten.read", "dyslexieverklaringen.read"])));
        assert!(!s.is_granted(&scopes(&["resultaten.read", "plannen.read"])));
        assert!(ParnassysStream::Results.is_granted(&scopes(&["resultaten.read"])));
    }

    /// Issue 18 item 2: an absence item is the pupil, the day, the hours and the kind; a remark is
    /// not read; bad hours or an unknown kind quarantine the item; the stream needs its scope.
    #[test]
    fn an_absence_is_a_day_hours_and_a_kind() {
        let s = ParnassysStream::Absences;
        let raw = json!({"id": "v1", "leerling_id": "p1", "datum": "2026-03-02", "uren": 5.5,
                         "soort": "ongeoorloofd", "opmerking": "familiebezoek buitenland"});
        let Ok(Record::Absence(a)) = s.normalise(&brin(), &raw) else {
            panic!("expected an absence");
        };
        assert_eq!(
            a,
            Absence {
                source: Source::Parnassys,
                school: brin(),
                external_id: "v1".into(),
                pupil_external_id: "p1".into(),
                on: chrono::NaiveDate::from_ymd_opt(2026, 3, 2).expect("date"),
                hours: 5.5,
                kind: AbsenceKind::Unauthorised,
            }
        );
        assert!(!format!("{a:?}").contains("familie"));
        for (bad, reason) in [
            (
                json!({"id": "v2", "leerling_id": "p1", "datum": "2026-03-02", "uren": 0, "soort": "ziek"}),
                "uren 0 is not more than 0 and at most 24",
            ),
            (
                json!({"id": "v3", "leerling_id": "p1", "datum": "2026-03-02", "uren": 2, "soort": "vakantie"}),
                "soort \"vakantie\" is not ziek, geoorloofd or ongeoorloofd",
            ),
            (
                json!({"id": "v4", "leerling_id": "p1", "datum": "2026-03-02", "soort": "ziek"}),
                "missing uren",
            ),
        ] {
            assert_eq!(s.normalise(&brin(), &bad).expect_err("bad"), reason);
        }
        assert_eq!(s.record_kind(), RecordKind::Absence);
        let scopes = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(s.is_granted(&[]));
        assert!(s.is_granted(&scopes(&["resultaten.read", "verzuim.read"])));
        assert!(!s.is_granted(&scopes(&["resultaten.read"])));
    }

    /// Issue 18 item 1: a sociaal-emotioneel item is the pupil, the instrument, the scale, the date
    /// and the category; item answers are not read; an unknown instrument, ZIEN! indicator or
    /// category quarantines the item; the stream needs its scope.
    #[test]
    fn a_social_emotional_item_is_an_instrument_scale_date_and_category() {
        let s = ParnassysStream::SocialEmotional;
        let raw = json!({"id": "se1", "leerling_id": "p1", "instrument": "ZIEN!", "schaal": "Sociale autonomie",
                         "afnamedatum": "2026-11-02", "categorie": "Rood", "antwoorden": ["vaak verdrietig"]});
        let Ok(Record::SocialEmotional(m)) = s.normalise(&brin(), &raw) else {
            panic!("expected a social-emotional measurement");
        };
        assert_eq!(
            m,
            SocialEmotionalMeasurement {
                source: Source::Parnassys,
                school: brin(),
                external_id: "se1".into(),
                pupil_external_id: "p1".into(),
                instrument: SeInstrument::Zien,
                scale: "sociale autonomie".into(),
                measured_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("date"),
                category: 0,
            }
        );
        assert!(!format!("{m:?}").contains("verdrietig"));
        let kiva = json!({"id": "se2", "leerling_id": "p1", "instrument": "KiVa monitor",
                          "schaal": "Gepest worden", "afnamedatum": "2026-03-02", "categorie": "aandacht"});
        assert!(matches!(
            s.normalise(&brin(), &kiva),
            Ok(Record::SocialEmotional(SocialEmotionalMeasurement {
                instrument: SeInstrument::Kiva,
                category: 1,
                ..
            }))
        ));
        for (bad, reason) in [
            (
                json!({"id": "se3", "leerling_id": "p1", "instrument": "SCOL", "schaal": "x",
                       "afnamedatum": "2026-03-02", "categorie": "rood"}),
                "instrument \"SCOL\" is not ZIEN!, KanVAS or KiVa monitor",
            ),
            (
                json!({"id": "se4", "leerling_id": "p1", "instrument": "zien", "schaal": "impulsbeheersing",
                       "afnamedatum": "2026-03-02", "categorie": "rood"}),
                "schaal \"impulsbeheersing\" is no ZIEN! indicator",
            ),
            (
                json!({"id": "se5", "leerling_id": "p1", "instrument": "kanvas", "schaal": "welbevinden",
                       "afnamedatum": "2026-03-02", "categorie": "rood"}),
                "categorie \"rood\" is not one of KanVAS (zeer laag, laag, gemiddeld, hoog, zeer hoog)",
            ),
            (
                json!({"id": "se6", "leerling_id": "p1", "instrument": "zien", "schaal": "welbevinden",
                       "categorie": "rood"}),
                "missing afnamedatum",
            ),
        ] {
            assert_eq!(s.normalise(&brin(), &bad).expect_err("bad"), reason);
        }
        assert_eq!(s.record_kind(), RecordKind::SocialEmotional);
        let scopes = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(s.is_granted(&[]));
        assert!(s.is_granted(&scopes(&["resultaten.read", "sociaal-emotioneel.read"])));
        assert!(!s.is_granted(&scopes(&["resultaten.read", "verzuim.read"])));
    }

    #[test]
    fn plans_need_their_pupil_or_group() {
        let raw = json!({"id": "x", "leerling_id": null, "groep_id": "g1", "soort": "opp", "domein": null,
            "titel": "t", "eigenaar": "o", "zorgniveau": "B1", "startdatum": "2025-01-01", "einddatum": null,
            "evaluatiedatum": null, "minuten_per_week": null, "evaluaties": []});
        assert_eq!(
            ParnassysStream::Plans
                .normalise(&brin(), &raw)
                .expect_err("no pupil"),
            "OPP without leerling_id"
        );
    }

    /// The OPP procedure's dates are read for an OPP; a source that does not send them (the
    /// contract before issue 18) gives an OPP whose procedure is unknown, never "not done".
    #[test]
    fn opp_procedure_dates_are_read_and_optional() {
        let base = json!({"id": "x", "leerling_id": "p1", "groep_id": null, "soort": "opp", "domein": null,
            "titel": "t", "eigenaar": "o", "zorgniveau": "4", "startdatum": "2025-10-06", "einddatum": null,
            "evaluatiedatum": null, "minuten_per_week": null, "evaluaties": []});
        let Record::Plan(old) = ParnassysStream::Plans
            .normalise(&brin(), &base)
            .expect("old shape")
        else {
            panic!("a plan")
        };
        assert_eq!(
            (old.decided_on, old.drawn_up_on, old.parents_agreed_on),
            (None, None, None)
        );
        assert!(!old.tracks_opp_procedure());

        let mut raw = base.clone();
        raw["besluitdatum"] = json!("2025-10-06");
        raw["opgesteld_op"] = json!(null);
        raw["instemming_ouders"] = json!(null);
        let Record::Plan(decided) = ParnassysStream::Plans.normalise(&brin(), &raw).expect("decided") else {
            panic!("a plan")
        };
        assert_eq!(decided.decided_on, chrono::NaiveDate::from_ymd_opt(2025, 10, 6));
        assert_eq!((decided.drawn_up_on, decided.parents_agreed_on), (None, None));
        assert!(decided.tracks_opp_procedure());

        raw["opgesteld_op"] = json!("2025-11-03");
        raw["instemming_ouders"] = json!("2025-11-17");
        let Record::Plan(done) = ParnassysStream::Plans.normalise(&brin(), &raw).expect("done") else {
            panic!("a plan")
        };
        assert_eq!(done.drawn_up_on, chrono::NaiveDate::from_ymd_opt(2025, 11, 3));
        assert_eq!(
            done.parents_agreed_on,
            chrono::NaiveDate::from_ymd_opt(2025, 11, 17)
        );

        raw["instemming_ouders"] = json!("17-11-2025");
        let err = ParnassysStream::Plans
            .normalise(&brin(), &raw)
            .expect_err("bad date");
        assert!(err.contains("instemming_ouders"), "{err}");

        // On a handelingsplan the dates mean nothing and are left.
        let mut hp = raw.clone();
        hp["soort"] = json!("handelingsplan");
        hp["instemming_ouders"] = json!("2025-11-17");
        let Record::Plan(hp) = ParnassysStream::Plans.normalise(&brin(), &hp).expect("hp") else {
            panic!("a plan")
        };
        assert_eq!(
            (hp.decided_on, hp.drawn_up_on, hp.parents_agreed_on),
            (None, None, None)
        );
    }
}
