//! The IB digest end to end: a seeded SQLite store, the sending policy, and delivery over real
//! SMTP on loopback to a sink built on aiosmtpd (`tests/support/smtp_sink.py`); plus the policy
//! (rate limit, quiet times, urgent path, no news) with the memory and file transports.
//!
//! The SMTP test needs `python3 -m pip install aiosmtpd`. Without it the test fails when `CI` is
//! set and prints "skipped: aiosmtpd not installed" otherwise.

#[path = "support/mail_fixture.rs"]
mod fixture;
#[path = "support/smtp_sink.rs"]
mod sink;

use chrono::{Datelike, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use secrecy::ExposeSecret;
use zorgsignaal::actions::mail::{Mailer, Quiet, send_digests, send_urgent};
use zorgsignaal::domain::Severity;
use zorgsignaal::settings::MailTls;

use fixture::*;
use sink::{received, start_sink};
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

/// Issue 16 item 12: an escalation reaches the directie by mail, inside Zorgsignaal (it has no
/// outbox row, so it is never written into the pupil's file), once, without the surname.
#[tokio::test]
async fn directie_escalations_are_mailed_to_the_directie_once() {
    use zorgsignaal::actions::mail::send_directie_escalations;
    use zorgsignaal::domain::{Source, Task, TaskKind};
    use zorgsignaal::store::OutboxFilter;

    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    let mut settings = settings(25, "");
    settings.schools[0].directie_emails = vec!["directie@klimop.example.nl".into()];
    let (mailer, sent) = Mailer::memory();
    let now = weekday_from_now(1);
    let none = send_directie_escalations(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(none.sent, 0, "nothing escalated, nothing sent");

    let escalation = Task {
        key: "plan_evaluation_overdue/p1/none/plan7-2026-03-02/directie".into(),
        signal_key: Some("plan_evaluation_overdue/p1/none/plan7-2026-03-02".into()),
        kind: TaskKind::DirectieEscalation,
        school: brin("11ZW"),
        pupil_external_id: PUPILS[0].id.into(),
        target: Source::Parnassys,
        title: "Evaluatie handelingsplan meer dan 14 dagen te laat".into(),
        body: "De evaluatie van het handelingsplan 'Lezen' was gepland op 02-03-2026.".into(),
        due_on: None,
    };
    assert!(store.upsert_task(&escalation).await.expect("task"));
    assert!(
        store
            .outbox(&OutboxFilter::default())
            .await
            .expect("outbox")
            .is_empty(),
        "never pushed into ParnasSys or Leeruniek"
    );
    let first = send_directie_escalations(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(first.sent, 1, "{first:?}");
    let mails = sent.lock().expect("list").clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, "directie@klimop.example.nl");
    assert!(
        mails[0]
            .subject
            .starts_with("Zorgsignaal: 1 escalatie voor de directie – OBS De Klimop – "),
        "{}",
        mails[0].subject
    );
    assert!(
        mails[0]
            .raw
            .contains("Evaluatie handelingsplan meer dan 14 dagen te laat")
    );
    assert!(!mails[0].raw.contains(PUPILS[0].surname), "no surname");
    let again = send_directie_escalations(store.as_ref(), &settings, &mailer, now + TimeDelta::hours(2))
        .await
        .expect("send");
    assert_eq!((again.sent, again.no_news), (0, 1), "{again:?}");
}
