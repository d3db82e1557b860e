//! ParnasSys GKV adapter (generiek koppelvlak, SOAP): the full pupil/group/membership snapshot of
//! one school and school year, normalised into domain [`Pupil`], [`Group`] and [`Membership`].
//! GKV has no paging and no delta: the sync engine diffs snapshots in the store.

mod client;
mod model;

pub use client::{GKV_PATH, GkvClient};

use secrecy::SecretString;

use self::model::Fields;
use crate::domain::{Brin, Grade, Group, Membership, Pupil, SchoolYear, Source};
use crate::sources::error::SourceError;
use crate::sources::feed::{date, opt_date, required};

/// A GKV record that did not normalise, with the reason (no pupil data in it).
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRecord {
    /// `leerling`, `groep` or `groepsindeling`.
    pub kind: &'static str,
    /// Source id, if readable.
    pub external_id: Option<String>,
    /// The record's fields as JSON (quarantine keeps it).
    pub raw: serde_json::Value,
    /// Why.
    pub reason: String,
}

/// One school year of a school as GKV returns it (momentopname).
#[derive(Debug, Clone, PartialEq)]
pub struct YearSnapshot {
    /// School year asked for.
    pub year: SchoolYear,
    /// Pupils in that year (left_on from `uitstroomDatum`).
    pub pupils: Vec<Pupil>,
    /// Groups of that year.
    pub groups: Vec<Group>,
    /// Memberships in that year's groups.
    pub memberships: Vec<Membership>,
    /// School years GKV knows for this school (from `schooljaren`).
    pub known_years: Vec<SchoolYear>,
    /// Records that did not normalise.
    pub rejected: Vec<RejectedRecord>,
}

impl GkvClient {
    /// The snapshot of `school` for `year`. A refused key is [`SourceError::Revoked`].
    #[tracing::instrument(skip_all, fields(source = "parnassys_gkv", school = %school, year = %year), err)]
    pub async fn snapshot(
        &self,
        school: &Brin,
        key: &SecretString,
        year: SchoolYear,
    ) -> Result<YearSnapshot, SourceError> {
        let wire = self.leerlingen(school, key, year).await?;
        let mut snap = YearSnapshot {
            year,
            pupils: Vec::new(),
            groups: Vec::new(),
            memberships: Vec::new(),
            known_years: wire
                .schooljaren
                .iter()
                .filter_map(|y| SchoolYear::parse(y).ok())
                .collect(),
            rejected: Vec::new(),
        };
        let mut reject = |kind: &'static str, f: &Fields, reason: String| {
            snap.rejected.push(RejectedRecord {
                kind,
                external_id: f.get("id").map(|s| s.trim().to_owned()),
                raw: redacted_raw(kind, f),
                reason,
            });
        };
        let mut pupils = Vec::new();
        for f in &wire.leerlingen {
            match pupil(school, f) {
                Ok(p) => pupils.push(p),
                Err(r) => reject("leerling", f, r),
            }
        }
        let mut groups = Vec::new();
        for f in &wire.groepen {
            match group(school, year, f) {
                Ok(g) => groups.push(g),
                Err(r) => reject("groep", f, r),
            }
        }
        let mut memberships = Vec::new();
        for f in &wire.groepsindelingen {
            match membership(school, f) {
                Ok(m) => memberships.push(m),
                Err(r) => reject("groepsindeling", f, r),
            }
        }
        let pupil_ids: std::collections::HashSet<&str> =
            pupils.iter().map(|p| p.external_id.as_str()).collect();
        let group_ids: std::collections::HashSet<&str> =
            groups.iter().map(|g| g.external_id.as_str()).collect();
        let (valid, dangling): (Vec<Membership>, Vec<Membership>) = memberships.into_iter().partition(|m| {
            pupil_ids.contains(m.pupil_external_id.as_str())
                && group_ids.contains(m.group_external_id.as_str())
        });
        for m in dangling {
            snap.rejected.push(RejectedRecord {
                kind: "groepsindeling",
                external_id: None,
                raw: serde_json::json!({"leerling": m.pupil_external_id, "groep": m.group_external_id}),
                reason: format!("membership names unknown pupil or group {}", m.group_external_id),
            });
        }
        snap.pupils = pupils;
        snap.groups = groups;
        snap.memberships = valid;
        Ok(snap)
    }
}

/// The raw fields of a rejected record, names left out (quarantine is readable by operators).
fn redacted_raw(kind: &str, f: &Fields) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (k, v) in f {
        let hidden = kind == "leerling" && matches!(k.as_str(), "roepNaam" | "achternaam" | "tussenvoegsel");
        let value = if hidden { "[hidden]".to_owned() } else { v.clone() };
        map.insert(k.clone(), serde_json::Value::String(value));
    }
    serde_json::Value::Object(map)
}

fn field<'a>(f: &'a Fields, name: &str) -> Option<&'a str> {
    f.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn pupil(school: &Brin, f: &Fields) -> Result<Pupil, String> {
    Ok(Pupil {
        school: school.clone(),
        source: Source::ParnassysGkv,
        external_id: required("id", field(f, "id"))?,
        national_id_hash: None,
        given_name: required("roepNaam", field(f, "roepNaam"))?,
        surname_prefix: field(f, "tussenvoegsel").map(str::to_owned),
        surname: required("achternaam", field(f, "achternaam"))?,
        birth_date: opt_date("geboortedatum", field(f, "geboortedatum"))?,
        left_on: opt_date("uitstroomDatum", field(f, "uitstroomDatum"))?,
        dyslexia_statement: None,
    })
}

fn group(school: &Brin, year: SchoolYear, f: &Fields) -> Result<Group, String> {
    Ok(Group {
        school: school.clone(),
        external_id: required("id", field(f, "id"))?,
        name: required("naam", field(f, "naam"))?,
        school_year: year,
    })
}

fn membership(school: &Brin, f: &Fields) -> Result<Membership, String> {
    let grade = required("leerjaar", field(f, "leerjaar"))?;
    Ok(Membership {
        school: school.clone(),
        pupil_external_id: required("leerling", field(f, "leerling"))?,
        group_external_id: required("groep", field(f, "groep"))?,
        grade: Grade::parse(&grade).map_err(|_| format!("leerjaar {grade:?} is not a grade 1-8"))?,
        from: date("vanafDatum", field(f, "vanafDatum"))?,
        to: opt_date("totDatum", field(f, "totDatum"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn pupils_and_memberships_normalise_or_say_why_not() {
        let brin = Brin::parse("11ZW").expect("brin");
        let f = fields(&[
            ("id", "7"),
            ("roepNaam", "Sanne"),
            ("achternaam", "Vries"),
            ("tussenvoegsel", ""),
            ("geboortedatum", "2016-03-01"),
            ("uitstroomDatum", "2025-07-15"),
        ]);
        let p = pupil(&brin, &f).expect("pupil");
        assert_eq!(p.surname_prefix, None);
        assert_eq!(p.left_on.map(|d| d.to_string()).as_deref(), Some("2025-07-15"));
        let bad = fields(&[
            ("id", "8"),
            ("roepNaam", "A"),
            ("achternaam", "B"),
            ("geboortedatum", "2016-02-30"),
        ]);
        assert_eq!(
            pupil(&brin, &bad).expect_err("date"),
            "geboortedatum \"2016-02-30\" is not a date"
        );
        let m = fields(&[
            ("leerling", "7"),
            ("groep", "3"),
            ("vanafDatum", "2025-08-01"),
            ("leerjaar", "9"),
        ]);
        assert_eq!(
            membership(&brin, &m).expect_err("grade"),
            "leerjaar \"9\" is not a grade 1-8"
        );
    }

    #[test]
    fn a_rejected_pupil_keeps_no_name() {
        let raw = redacted_raw(
            "leerling",
            &fields(&[("id", "7"), ("roepNaam", "Sanne"), ("achternaam", "Vries")]),
        );
        let text = raw.to_string();
        assert!(!text.contains("Sanne") && !text.contains("Vries"), "{text}");
        assert!(text.contains("\"id\":\"7\""));
    }
}
