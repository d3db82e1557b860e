//! Shared fixture of the mail tests: settings with two schools and three IB addresses, a seeded
//! SQLite store, and planted signals.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use zorgsignaal::domain::{
    Brin, EedCriterion, Grade, Group, LearningDomain, Membership, Pupil, School, SchoolYear, Severity,
    Signal, SignalStatus, Source,
};
use zorgsignaal::settings::Settings;
use zorgsignaal::store::{self, Store};

pub const SMTP_PASSWORD: &str = "smtp-geheim-4711";
pub const PSEUDO_KEY: &str = "pseudo-sleutel-zeer-geheim-0042";

/// A pupil planted in the store.
pub struct Planted {
    pub school: &'static str,
    pub id: &'static str,
    pub given: &'static str,
    pub prefix: Option<&'static str>,
    pub surname: &'static str,
    pub grade: u8,
}

pub const fn planted(
    school: &'static str,
    id: &'static str,
    given: &'static str,
    prefix: Option<&'static str>,
    surname: &'static str,
    grade: u8,
) -> Planted {
    Planted {
        school,
        id,
        given,
        prefix,
        surname,
        grade,
    }
}

/// Pupils planted per school.
pub const PUPILS: [Planted; 4] = [
    planted("11ZW", "p1", "Sanne", Some("de"), "Vries", 4),
    planted("11ZW", "p2", "Daan", None, "Kuipers", 6),
    planted("11ZW", "p3", "Lotte", None, "Zwaneveld", 6),
    planted("23QK", "p9", "Emma", None, "Bakker", 5),
];

pub fn settings(port: u16, extra_mail: &str) -> Settings {
    let toml = format!(
        r#"
[board]
name = "Stichting Test"
[pseudonymisation]
key = "{PSEUDO_KEY}"
[[schools]]
brin = "11ZW"
name = "OBS De Klimop"
care_ladder = "abcd"
ib_emails = ["ib@klimop.example.nl"]
[[schools]]
brin = "23QK"
name = "CBS De Regenboog"
care_ladder = "abcd"
ib_emails = ["ib@regenboog.example.nl", "ib2@regenboog.example.nl"]
[mail]
enabled = true
host = "127.0.0.1"
port = {port}
tls = "none"
username = "zorgsignaal"
password = "{SMTP_PASSWORD}"
from = "zorgsignaal@bestuur.example.nl"
dashboard_url = "https://zorgsignaal.bestuur.example.nl"
{extra_mail}
"#
    );
    Settings::from_toml_str(&toml).expect("test settings are valid")
}

pub fn brin(s: &str) -> Brin {
    Brin::parse(s).expect("brin")
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A weekday (Europe/Amsterdam) `days` days from the real clock, going further in the same
/// direction past weekends. Signals get the store's real timestamps, so "news since" only makes
/// sense relative to the real clock.
pub fn weekday_from_now(step: i64) -> DateTime<Utc> {
    let mut t = Utc::now() + TimeDelta::days(step);
    while matches!(t.with_timezone(&Amsterdam).weekday(), Weekday::Sat | Weekday::Sun) {
        t += TimeDelta::days(step.signum());
    }
    t
}

pub async fn seeded_store(dir: &Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("zorgsignaal.sqlite").display());
    let store = store::open(&url).await.expect("open store");
    store.migrate().await.expect("migrate");
    let year = SchoolYear::of_date(Utc::now().date_naive());
    for (code, name) in [("11ZW", "OBS De Klimop"), ("23QK", "CBS De Regenboog")] {
        store
            .upsert_school(&School {
                brin: brin(code),
                name: name.into(),
                care_ladder: "abcd".into(),
            })
            .await
            .expect("school");
        let mine: Vec<_> = PUPILS.iter().filter(|p| p.school == code).collect();
        let pupils: Vec<Pupil> = mine
            .iter()
            .map(|p| Pupil {
                school: brin(code),
                source: Source::ParnassysGkv,
                external_id: p.id.into(),
                national_id_hash: None,
                given_name: p.given.into(),
                surname_prefix: p.prefix.map(Into::into),
                surname: p.surname.into(),
                birth_date: None,
                left_on: None,
                dyslexia_statement: None,
            })
            .collect();
        let mut grades: Vec<u8> = mine.iter().map(|p| p.grade).collect();
        grades.dedup();
        let groups: Vec<Group> = grades
            .iter()
            .map(|g| Group {
                school: brin(code),
                external_id: format!("g{g}"),
                name: format!("Groep {g}"),
                school_year: year,
            })
            .collect();
        let memberships: Vec<Membership> = mine
            .iter()
            .map(|p| Membership {
                school: brin(code),
                pupil_external_id: p.id.into(),
                group_external_id: format!("g{}", p.grade),
                grade: Grade::new(p.grade).expect("grade"),
                from: year.first_day(),
                to: None,
            })
            .collect();
        store
            .apply_snapshot(&brin(code), year, &pupils, &groups, &memberships, Utc::now())
            .await
            .expect("snapshot");
    }
    store
}

pub async fn plant(
    store: &dyn Store,
    school: &str,
    pupil: &str,
    rule: &str,
    severity: Severity,
    explanation: &str,
) {
    plant_with_key(store, school, pupil, rule, severity, explanation, "2026").await;
}

/// A medium signal under its own key (`suffix`): a new signal each time.
#[allow(dead_code)]
pub async fn plant_keyed(store: &dyn Store, school: &str, pupil: &str, rule: &str, suffix: &str) {
    plant_with_key(store, school, pupil, rule, Severity::Medium, DROP, suffix).await;
}

async fn plant_with_key(
    store: &dyn Store,
    school: &str,
    pupil: &str,
    rule: &str,
    severity: Severity,
    explanation: &str,
    suffix: &str,
) {
    let known = store.known_pupils(&brin(school)).await.expect("known pupils");
    let id = known
        .iter()
        .find(|k| k.external_id == pupil)
        .expect("planted pupil")
        .id;
    let domain = match rule {
        "level_drop" => LearningDomain::Mathematics,
        "no_growth" => LearningDomain::Spelling,
        _ => LearningDomain::WordReading,
    };
    let signal = Signal {
        key: format!("{rule}/p{id}/{domain}/{suffix}"),
        rule: rule.into(),
        rule_version: 1,
        school: brin(school),
        pupil_external_id: pupil.into(),
        domain: Some(domain),
        severity,
        status: SignalStatus::Open,
        opened_on: date(2026, 11, 20),
        explanation: explanation.into(),
        evidence: Vec::new(),
        eed_criterion: (rule == "dmt_three_lowest").then_some(EedCriterion::Met),
        snoozed_until: None,
        dismissed_reason: None,
    };
    store.upsert_signal(&signal, id).await.expect("signal");
}

pub const DMT: &str = "Drie opeenvolgende hoofdmetingen DMT op niveau V of lager (M3, E3, M4).";
pub const DROP: &str = "Rekenen daalde van niveau II naar IV tussen M5 en E5.";
pub const GROWTH: &str = "Geen groei in vaardigheidsscore spelling tussen M4 en E4.";

pub async fn plant_all(store: &dyn Store) {
    plant(store, "11ZW", "p1", "dmt_three_lowest", Severity::High, DMT).await;
    plant(store, "11ZW", "p2", "level_drop", Severity::Medium, DROP).await;
    plant(store, "23QK", "p9", "no_growth", Severity::Low, GROWTH).await;
}
