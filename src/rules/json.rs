//! The `signals --json` contract (docs/RULES.md, "JSON contract"): an array of these objects.
//! Field names and value spellings are a public contract; change them only with a new version.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{EedCriterion, Evidence, LearningDomain, Pupil, Severity, Signal, SignalStatus};

/// One signal as `zorgsignaal signals --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalJson {
    /// Store id of the signal.
    pub id: i64,
    /// Rule id (`dmt_three_lowest`).
    pub rule: String,
    /// Rule version.
    pub rule_version: u32,
    /// BRIN of the school.
    pub school: String,
    /// The pupil.
    pub pupil: PupilJson,
    /// Leerdomein (`word_reading`, …), `null` for plan signals without a domain.
    pub domain: Option<LearningDomain>,
    /// `low`, `medium` or `high`.
    pub severity: Severity,
    /// `open`, `acknowledged`, `resolved` or `dismissed`.
    pub status: SignalStatus,
    /// Date first found (`YYYY-MM-DD`).
    pub opened_on: NaiveDate,
    /// Dutch explanation.
    pub explanation: String,
    /// Evidence, oldest first.
    pub evidence: Vec<EvidenceJson>,
    /// `met`, `not_met` or `unknown`; only present for `dmt_three_lowest` and `eed_check`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eed_criterion: Option<EedCriterion>,
}

/// The pupil of a signal (leerling).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PupilJson {
    /// Store id of the pupil.
    pub id: i64,
    /// Roepnaam + (tussenvoegsel) achternaam.
    pub name: String,
    /// Current group name (`Groep 5b`), when known.
    pub group: Option<String>,
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceJson {
    /// `result`, `plan`, `evaluation`, `signal`, `absence` or `social_emotional` (issue 18).
    pub kind: String,
    /// Date (afnamedatum, plan start, opening date).
    pub date: NaiveDate,
    /// Test name, for results.
    pub test: Option<String>,
    /// Moment label (`M4`), for results.
    pub moment: Option<String>,
    /// Level as written (`V-`, `E`, `P12`), or the zorgniveau for plans.
    pub level: Option<String>,
    /// Scale code of `level` (`IV`, `AE`, `PC`, `RNTRM`).
    pub scale: Option<String>,
    /// Percentile, when carried.
    pub percentile: Option<u8>,
    /// Vaardigheidsscore, when carried.
    pub ability_score: Option<f64>,
    /// Dutch remark (two norms of one sitting that disagree, a missed round), or null. Added in
    /// rule set 2 (issue 16); absent in older output, hence the default.
    #[serde(default)]
    pub note: Option<String>,
}

impl From<&Evidence> for EvidenceJson {
    fn from(e: &Evidence) -> Self {
        Self {
            kind: e.kind.clone(),
            date: e.date,
            test: e.test.clone(),
            moment: e.moment.clone(),
            level: e.level.clone(),
            scale: e.scale.clone(),
            percentile: e.percentile,
            ability_score: e.ability_score,
            note: e.note.clone(),
        }
    }
}

impl SignalJson {
    /// Builds the contract object from store data: the signal's row id, the signal, the pupil's
    /// row id and record, and the name of his current group.
    pub fn new(id: i64, signal: &Signal, pupil_id: i64, pupil: &Pupil, group: Option<&str>) -> Self {
        Self {
            id,
            rule: signal.rule.clone(),
            rule_version: signal.rule_version,
            school: signal.school.to_string(),
            pupil: PupilJson {
                id: pupil_id,
                name: pupil.full_name(),
                group: group.map(str::to_string),
            },
            domain: signal.domain,
            severity: signal.severity,
            status: signal.status,
            opened_on: signal.opened_on,
            explanation: signal.explanation.clone(),
            evidence: signal.evidence.iter().map(EvidenceJson::from).collect(),
            eed_criterion: signal.eed_criterion,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::evaluate;
    use super::super::testkit::{Pupil as TestPupil, brin, ctx, d};
    use super::*;
    use crate::domain::Source;

    fn pupil() -> Pupil {
        Pupil {
            school: brin(),
            source: Source::ParnassysGkv,
            external_id: "ext1".into(),
            national_id_hash: None,
            given_name: "Sanne".into(),
            surname_prefix: Some("de".into()),
            surname: "Vries".into(),
            birth_date: None,
            left_on: None,
            dyslexia_statement: None,
        }
    }

    #[test]
    fn shape_of_a_dmt_signal_is_the_contract() {
        let h = TestPupil::new(1)
            .dmt(d(2024, 1, 20), "V-")
            .result(
                "DMT",
                "Drie-Minuten-Toets",
                d(2024, 6, 10),
                &[("AE", "E"), ("PC", "4")],
            )
            .ability(31.0, "cito-dmt-2018")
            .dmt(d(2025, 1, 20), "V-")
            .build();
        let findings = evaluate(&h, d(2025, 2, 1), &ctx());
        let dmt = findings
            .iter()
            .find(|f| f.signal.rule == "dmt_three_lowest")
            .expect("fires");
        let (signal, _) = dmt.to_records(&h, d(2025, 2, 1));
        let json =
            serde_json::to_value(SignalJson::new(42, &signal, 1, &pupil(), Some("Groep 5b"))).expect("json");
        let keys: Vec<&str> = json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "domain",
                "eed_criterion",
                "evidence",
                "explanation",
                "id",
                "opened_on",
                "pupil",
                "rule",
                "rule_version",
                "school",
                "severity",
                "status"
            ]
        );
        assert_eq!(json["school"], "11ZW");
        assert_eq!(
            json["pupil"],
            serde_json::json!({"id": 1, "name": "Sanne de Vries", "group": "Groep 5b"})
        );
        assert_eq!(json["domain"], "word_reading");
        assert_eq!(json["severity"], "high");
        assert_eq!(json["status"], "open");
        assert_eq!(json["opened_on"], "2025-02-01");
        assert_eq!(json["eed_criterion"], "met");
        assert_eq!(
            json["evidence"][1],
            serde_json::json!({
                "kind": "result", "date": "2024-06-10", "test": "Drie-Minuten-Toets", "moment": "E3",
                "level": "E", "scale": "AE", "percentile": 4, "ability_score": 31.0, "note": null
            })
        );
        let back: SignalJson = serde_json::from_value(json).expect("round trip");
        assert_eq!(back.id, 42);
    }

    #[test]
    fn eed_criterion_is_absent_for_other_rules() {
        let h = TestPupil::new(1)
            .result("CSP", "Spelling", d(2025, 1, 20), &[("IV", "V")])
            .result("CSP", "Spelling", d(2025, 6, 10), &[("IV", "V")])
            .build();
        let f = evaluate(&h, d(2025, 7, 1), &ctx());
        let (signal, _) = f[0].to_records(&h, d(2025, 7, 1));
        let json = serde_json::to_value(SignalJson::new(1, &signal, 1, &pupil(), None)).expect("json");
        assert!(json.get("eed_criterion").is_none());
        assert_eq!(json["pupil"]["group"], serde_json::Value::Null);
    }
}
