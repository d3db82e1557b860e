//! The IB digest end to end: a seeded SQLite store, the sending policy, and delivery over real
//! SMTP on loopback to a sink built on aiosmtpd (`tests/support/smtp_sink.py`); plus the policy
//! (rate limit, quiet times, urgent path, no news) with the memory transport.
//!
//! The SMTP test needs `python3 -m pip install aiosmtpd`. Without it the test fails when `CI` is
//! set and prints "skipped: aiosmtpd not installed" otherwise.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use secrecy::ExposeSecret;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use zorgsignaal::actions::mail::{Mailer, Quiet, send_digests, send_urgent};
use zorgsignaal::domain::{
    Brin, EedCriterion, Grade, Group, LearningDomain, Membership, Pupil, School, SchoolYear, Severity,
    Signal, SignalStatus, Source,
};
use zorgsignaal::settings::{MailTls, Settings};
use zorgsignaal::store::{self, Store};

const SMTP_PASSWORD: &str = "smtp-geheim-4711";
const PSEUDO_KEY: &str = "pseudo-sleutel-zeer-geheim-0042";

/// A pupil planted in the store.
struct Planted {
    school: &'static str,
    id: &'static str,
    given: &'static str,
    prefix: Option<&'static str>,
    surname: &'static str,
    grade: u8,
}

const fn planted(
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
const PUPILS: [Planted; 4] = [
    planted("11ZW", "p1", "Sanne", Some("de"), "Vries", 4),
    planted("11ZW", "p2", "Daan", None, "Kuipers", 6),
    planted("11ZW", "p3", "Lotte", None, "Zwaneveld", 6),
    planted("23QK", "p9", "Emma", None, "Bakker", 5),
];

fn settings(port: u16, extra_mail: &str) -> Settings {
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

fn brin(s: &str) -> Brin {
    Brin::parse(s).expect("brin")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// A weekday (Europe/Amsterdam) `days` days from the real clock, going further in the same
/// direction past weekends. Signals get the store's real timestamps, so "news since" only makes
/// sense relative to the real clock.
fn weekday_from_now(step: i64) -> DateTime<Utc> {
    let mut t = Utc::now() + TimeDelta::days(step);
    while matches!(t.with_timezone(&Amsterdam).weekday(), Weekday::Sat | Weekday::Sun) {
        t += TimeDelta::days(step.signum());
    }
    t
}

async fn seeded_store(dir: &Path) -> Arc<dyn Store> {
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

async fn plant(
    store: &dyn Store,
    school: &str,
    pupil: &str,
    rule: &str,
    severity: Severity,
    explanation: &str,
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
        key: format!("{rule}/p{id}/{domain}/2026"),
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

const DMT: &str = "Drie opeenvolgende hoofdmetingen DMT op niveau V of lager (M3, E3, M4).";
const DROP: &str = "Rekenen daalde van niveau II naar IV tussen M5 en E5.";
const GROWTH: &str = "Geen groei in vaardigheidsscore spelling tussen M4 en E4.";

async fn plant_all(store: &dyn Store) {
    plant(store, "11ZW", "p1", "dmt_three_lowest", Severity::High, DMT).await;
    plant(store, "11ZW", "p2", "level_drop", Severity::Medium, DROP).await;
    plant(store, "23QK", "p9", "no_growth", Severity::Low, GROWTH).await;
}

// ---------------------------------------------------------------------------------------------
// Real SMTP on loopback

struct Sink {
    _child: Child,
    _stdin: ChildStdin,
    port: u16,
    dir: PathBuf,
}

async fn start_sink(dir: &Path) -> Option<Sink> {
    let probe = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .await;
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd not installed: the SMTP digest test needs `python3 -m pip install aiosmtpd`"
        );
        eprintln!("skipped: aiosmtpd not installed");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(dir)
        .env("SINK_USER", "zorgsignaal")
        .env("SINK_PASSWORD", SMTP_PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the SMTP sink");
    let stdin = child.stdin.take().expect("sink stdin");
    let stdout = child.stdout.take().expect("sink stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the sink did not get ready within 30 s")
    .expect("read the sink's ready line");
    let port = line
        .trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected sink output {line:?}"));
    Some(Sink {
        _child: child,
        _stdin: stdin,
        port,
        dir: dir.to_owned(),
    })
}

/// (raw message, decoded subject + text parts) of every received mail, in arrival order.
fn received(dir: &Path) -> Vec<(String, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("sink dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|eml| {
            let raw = std::fs::read_to_string(&eml).expect("raw mail");
            let text = std::fs::read_to_string(eml.with_extension("txt")).expect("decoded mail");
            (raw, text)
        })
        .collect()
}

#[tokio::test]
async fn digest_arrives_over_real_smtp_once_per_ib_without_surnames_or_secrets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sink_dir = tmp.path().join("sink");
    std::fs::create_dir_all(&sink_dir).expect("sink dir");
    let Some(sink) = start_sink(&sink_dir).await else {
        return;
    };
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(sink.port, "");
    assert_eq!(settings.mail.password.expose_secret(), SMTP_PASSWORD);
    let mailer = Mailer::from_settings(&settings.mail).expect("smtp mailer");
    let now = weekday_from_now(-1);

    let first = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(
        (first.sent, first.no_news, first.rate_limited),
        (3, 0, 0),
        "{first:?}"
    );

    let mails = received(&sink.dir);
    assert_eq!(mails.len(), 3);
    let mut rcpts: Vec<String> = mails
        .iter()
        .map(|(_, t)| t.lines().nth(1).expect("rcpt line").to_owned())
        .collect();
    rcpts.sort();
    assert_eq!(
        rcpts,
        [
            "Rcpt: ib2@regenboog.example.nl",
            "Rcpt: ib@klimop.example.nl",
            "Rcpt: ib@regenboog.example.nl"
        ]
    );
    let klimop = &mails
        .iter()
        .find(|(_, t)| t.contains("Rcpt: ib@klimop.example.nl"))
        .expect("klimop digest")
        .1;
    let subject = klimop.lines().next().expect("subject line");
    assert!(
        subject.starts_with("Subject: Zorgsignaal: 2 nieuwe signalen voor OBS De Klimop ("),
        "{subject}"
    );
    for p in &PUPILS {
        assert!(
            !subject.contains(p.given) && !subject.contains(p.surname),
            "{subject}"
        );
    }
    for expected in [
        "Sanne V.",
        "Daan K.",
        DMT,
        DROP,
        "Groep 4",
        "Groep 6",
        "/scholen/11ZW",
    ] {
        assert!(klimop.contains(expected), "{expected:?} missing in\n{klimop}");
    }
    // Lotte has no signal: she is not mentioned.
    assert!(!klimop.contains("Lotte"), "{klimop}");
    let regenboog = &mails
        .iter()
        .find(|(_, t)| t.contains("Rcpt: ib2@regenboog.example.nl"))
        .expect("regenboog digest")
        .1;
    assert!(
        regenboog.contains("Emma B.") && regenboog.contains(GROWTH),
        "{regenboog}"
    );
    for (raw, text) in &mails {
        for p in &PUPILS {
            assert!(
                !raw.contains(p.surname) && !text.contains(p.surname),
                "surname {} in\n{raw}\n{text}",
                p.surname
            );
        }
        assert!(!text.contains("de Vries"));
        for secret in [SMTP_PASSWORD, PSEUDO_KEY] {
            assert!(
                !raw.contains(secret) && !text.contains(secret),
                "secret in a mail"
            );
        }
    }

    // Within the hour: nothing more, whatever the news.
    let second = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::minutes(20))
        .await
        .expect("second run");
    assert_eq!(second.sent, 0, "{second:?}");
    assert_eq!(received(&sink.dir).len(), 3);
}

#[tokio::test]
async fn failed_smtp_send_is_an_error_and_not_recorded() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    // A port nobody listens on: bind, take the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let settings = settings(port, "");
    let mailer = Mailer::from_settings(&settings.mail).expect("smtp mailer");
    let now = weekday_from_now(-1);
    let err = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect_err("nobody listens");
    let text = err.to_string();
    assert!(text.contains("SMTP delivery"), "{text}");
    assert!(!text.contains(SMTP_PASSWORD), "{text}");
    let recorded = store
        .mails_sent_since("ib@klimop.example.nl", now - TimeDelta::days(1))
        .await
        .expect("count");
    assert_eq!(recorded, 0, "a failed send must not be recorded");
}

// ---------------------------------------------------------------------------------------------
// The policy with the memory transport

#[tokio::test]
async fn at_most_one_mail_per_ib_per_hour() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    let now = weekday_from_now(-1);
    let first = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(first.sent, 3);
    let again = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::minutes(59))
        .await
        .expect("send");
    assert_eq!((again.sent, again.rate_limited), (0, 3), "{again:?}");
    assert_eq!(sent.lock().expect("list").len(), 3);
    let recorded = store
        .mails_sent_since("ib@klimop.example.nl", now - TimeDelta::minutes(1))
        .await
        .expect("count");
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn nothing_new_since_the_last_mail_sends_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    // A digest went out after the signals were found (a later weekday), then comes the next run.
    let later = weekday_from_now(1);
    let first = send_digests(store.as_ref(), &settings, &mailer, later)
        .await
        .expect("send");
    assert_eq!(first.sent, 3);
    let next = send_digests(store.as_ref(), &settings, &mailer, later + TimeDelta::hours(2))
        .await
        .expect("send");
    assert_eq!(
        (next.sent, next.no_news, next.rate_limited),
        (0, 3, 0),
        "{next:?}"
    );
    assert_eq!(sent.lock().expect("list").len(), 3);
}

#[tokio::test]
async fn quiet_on_weekends_and_holidays() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let (mailer, sent) = Mailer::memory();
    let mut saturday = Utc::now();
    while saturday.with_timezone(&Amsterdam).weekday() != Weekday::Sat {
        saturday -= TimeDelta::days(1);
    }
    let quiet = send_digests(store.as_ref(), &settings(25, ""), &mailer, saturday)
        .await
        .expect("send");
    assert_eq!(quiet.quiet, Some(Quiet::Weekend));
    let weekday = weekday_from_now(-1);
    let day = weekday.with_timezone(&Amsterdam).date_naive();
    let holiday = format!(
        "[[mail.holidays]]\nfrom = \"{}\"\nto = \"{}\"\nname = \"herfstvakantie\"",
        day - TimeDelta::days(2),
        day + TimeDelta::days(2)
    );
    let quiet = send_digests(store.as_ref(), &settings(25, &holiday), &mailer, weekday)
        .await
        .expect("send");
    assert_eq!(quiet.quiet, Some(Quiet::Holiday("herfstvakantie".into())));
    assert!(sent.lock().expect("list").is_empty());
    let recorded = store
        .mails_sent_since("ib@klimop.example.nl", saturday - TimeDelta::days(30))
        .await
        .expect("count");
    assert_eq!(recorded, 0);
}

#[tokio::test]
async fn immediate_mail_only_for_high_severity() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant(store.as_ref(), "11ZW", "p2", "level_drop", Severity::Medium, DROP).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    let now = weekday_from_now(-1);
    let none = send_urgent(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!((none.sent, none.no_news), (0, 3), "{none:?}");
    plant(
        store.as_ref(),
        "11ZW",
        "p1",
        "dmt_three_lowest",
        Severity::High,
        DMT,
    )
    .await;
    let urgent = send_urgent(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(urgent.sent, 1, "{urgent:?}");
    let sent = sent.lock().expect("list");
    assert_eq!(sent[0].to, "ib@klimop.example.nl");
    // The immediate mail is the whole digest: the medium signal rides along.
    assert!(
        sent[0].subject.contains("2 nieuwe signalen"),
        "{}",
        sent[0].subject
    );
}

#[tokio::test]
async fn file_mailer_writes_one_eml_per_mail_for_the_demo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let out = tmp.path().join("mails");
    let mailer = Mailer::File(out.clone());
    let summary = send_digests(store.as_ref(), &settings(25, ""), &mailer, weekday_from_now(-1))
        .await
        .expect("send");
    assert_eq!(summary.sent, 3);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .expect("mail dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.iter().all(|f| f.ends_with(".eml")), "{files:?}");
    assert_eq!(files.iter().filter(|f| f.starts_with("11ZW-")).count(), 1);
    assert_eq!(files.iter().filter(|f| f.starts_with("23QK-")).count(), 2);
    let raw = std::fs::read_to_string(out.join(&files[0])).expect("eml");
    assert!(
        raw.contains("Subject: ") && raw.contains("multipart/alternative"),
        "{raw}"
    );
}

#[test]
fn smtp_transport_from_settings_for_each_tls_mode() {
    for tls in [MailTls::Starttls, MailTls::Tls, MailTls::None] {
        let mut s = settings(587, "");
        s.mail.tls = tls;
        let mailer = Mailer::from_settings(&s.mail).expect("transport");
        assert!(matches!(mailer, Mailer::Smtp(_)), "{tls:?}");
    }
    let mut s = settings(587, "");
    s.mail.host = " ".into();
    let err = Mailer::from_settings(&s.mail).expect_err("no host");
    assert!(err.to_string().contains("mail.host"), "{err}");
}
