//! The IB mails end to end: a seeded SQLite store, the sending policy, and delivery over real
//! SMTP on loopback to a sink built on aiosmtpd (`tests/support/smtp_sink.py`); plus the policy
//! (start overview first, one mail per IB per school per school day, weekly "nog open", quiet
//! times, urgent path, no news) with the memory and file transports.
//!
//! The SMTP test needs `python3 -m pip install aiosmtpd`. Without it the test fails when `CI` is
//! set and prints "skipped: aiosmtpd not installed" otherwise.

use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use chrono_tz::Europe::Amsterdam;
use secrecy::ExposeSecret;
use zorgsignaal::actions::mail::{Mailer, Quiet, send_digests, send_urgent};
use zorgsignaal::domain::Severity;
use zorgsignaal::settings::MailTls;

use crate::support::mail_fixture::{self as fixture, *};
use crate::support::smtp_sink::{received, start_sink, start_sink_rejecting};

/// The value of header `name` in a raw message (first occurrence, unfolded).
fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let head = head.split("\n\n").next().unwrap_or(head);
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Every mail is a well-formed automatic mail: Message-ID, Date, Auto-Submitted, List-Id.
fn assert_automatic_headers(raw: &str, list_label: &str) {
    let id = header(raw, "Message-ID").unwrap_or_else(|| panic!("no Message-ID in\n{raw}"));
    assert!(
        id.starts_with('<') && id.ends_with('>') && id.contains('@'),
        "{id}"
    );
    let date = header(raw, "Date").unwrap_or_else(|| panic!("no Date in\n{raw}"));
    assert!(DateTime::parse_from_rfc2822(date).is_ok(), "Date {date:?}");
    assert_eq!(header(raw, "Auto-Submitted"), Some("auto-generated"), "{raw}");
    let list = header(raw, "List-Id").unwrap_or_else(|| panic!("no List-Id in\n{raw}"));
    assert!(list.contains(&format!("<{list_label}.")), "{list}");
}

/// A Monday at 07:30 Amsterdam at least three weeks back (signals are planted on the real clock).
fn monday_morning() -> DateTime<Utc> {
    let mut day = Utc::now().with_timezone(&Amsterdam).date_naive() - TimeDelta::days(21);
    while day.weekday() != Weekday::Mon {
        day -= TimeDelta::days(1);
    }
    day.and_hms_opt(7, 30, 0)
        .and_then(|t| t.and_local_timezone(Amsterdam).single())
        .expect("07:30")
        .with_timezone(&Utc)
}

#[tokio::test]
async fn start_overview_then_digest_arrive_over_real_smtp_with_headers_without_surnames_or_secrets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sink_dir = tmp.path().join("sink");
    std::fs::create_dir_all(&sink_dir).expect("sink dir");
    let Some(sink) = start_sink(&sink_dir, SMTP_PASSWORD).await else {
        return;
    };
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(sink.port, "");
    assert_eq!(settings.mail.password.expose_secret(), SMTP_PASSWORD);
    let mailer = Mailer::from_settings(&settings.mail).expect("smtp mailer");
    let now = monday_morning();

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
        .expect("klimop start overview")
        .1;
    let subject = klimop.lines().next().expect("subject line");
    assert!(
        subject.starts_with("Subject: Zorgsignaal: startoverzicht voor OBS De Klimop ("),
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
        "Per regel:",
        "/scholen/11ZW",
    ] {
        assert!(klimop.contains(expected), "{expected:?} missing in\n{klimop}");
    }
    // The high one first.
    assert!(klimop.find("Sanne V.") < klimop.find("Daan K."), "{klimop}");
    // Lotte has no signal: she is not mentioned.
    assert!(!klimop.contains("Lotte"), "{klimop}");
    let regenboog = &mails
        .iter()
        .find(|(_, t)| t.contains("Rcpt: ib2@regenboog.example.nl"))
        .expect("regenboog start overview")
        .1;
    assert!(
        regenboog.contains("Emma B.") && regenboog.contains(GROWTH),
        "{regenboog}"
    );
    let mut ids = Vec::new();
    for (raw, text) in &mails {
        let school = if text.contains("Klimop") { "11zw" } else { "23qk" };
        assert_automatic_headers(raw, school);
        ids.push(header(raw, "Message-ID").expect("id").to_owned());
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
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "every mail has its own Message-ID");

    // The same school day: nothing more, whatever the news.
    plant(store.as_ref(), "11ZW", "p3", "level_drop", Severity::Medium, DROP).await;
    let second = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::hours(3))
        .await
        .expect("second run");
    assert_eq!((second.sent, second.rate_limited), (0, 3), "{second:?}");
    assert_eq!(received(&sink.dir).len(), 3);

    // The next school day: a digest with only the news (Lotte), with the same headers.
    let third = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::days(1))
        .await
        .expect("third run");
    assert_eq!((third.sent, third.no_news), (1, 2), "{third:?}");
    let mails = received(&sink.dir);
    let (raw, text) = mails.last().expect("the digest");
    assert_automatic_headers(raw, "11zw");
    assert!(
        text.contains("Subject: Zorgsignaal: 1 bespreekpunt voor OBS De Klimop"),
        "{text}"
    );
    // A drop is a bespreekpunt: on its group's line for the groepsbespreking (issue 17).
    assert!(text.contains("- Groepsbespreking: Lotte Z. (daling"), "{text}");
    assert!(!text.contains("Sanne V."), "{text}");
    assert!(!raw.contains("Zwaneveld"), "{raw}");
    // The List-Id of a school is stable from mail to mail.
    let overview = mails
        .iter()
        .find(|(_, t)| t.contains("Rcpt: ib@klimop.example.nl"))
        .expect("klimop start overview");
    assert_eq!(header(raw, "List-Id"), header(&overview.0, "List-Id"));
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

#[tokio::test]
async fn a_refused_address_of_one_school_does_not_stop_the_other_schools_mail() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sink_dir = tmp.path().join("sink");
    std::fs::create_dir_all(&sink_dir).expect("sink dir");
    // The server refuses De Klimop's IB address; De Regenboog's two IBs must still get theirs.
    let Some(sink) = start_sink_rejecting(&sink_dir, SMTP_PASSWORD, "klimop").await else {
        return;
    };
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(sink.port, "");
    let mailer = Mailer::from_settings(&settings.mail).expect("smtp mailer");
    let now = monday_morning();
    let err = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect_err("one address is refused");
    let text = err.to_string();
    assert!(text.starts_with("1 of 3 mails"), "{text}");
    assert!(text.contains("ib@klimop.example.nl"), "{text}");
    assert!(!text.contains(SMTP_PASSWORD), "{text}");
    let got = received(&sink_dir);
    assert_eq!(got.len(), 2, "both Regenboog IBs got their mail");
    assert!(got.iter().all(|(raw, _)| raw.contains("regenboog.example.nl")));
    for (ib, want) in [
        ("ib@klimop.example.nl", 0),
        ("ib@regenboog.example.nl", 1),
        ("ib2@regenboog.example.nl", 1),
    ] {
        let recorded = store
            .mails_sent_since(ib, now - TimeDelta::days(1))
            .await
            .expect("count");
        assert_eq!(recorded, want, "{ib}: only delivered mail is recorded");
    }
    // The retry (the job's next attempt) sends only what failed: the others had their mail of
    // the day. With the address accepted again, De Klimop's mail goes out once.
    drop(sink);
    let Some(sink) = start_sink(&sink_dir, SMTP_PASSWORD).await else {
        return;
    };
    let settings = fixture::settings(sink.port, "");
    let mailer = Mailer::from_settings(&settings.mail).expect("smtp mailer");
    let retry = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::minutes(5))
        .await
        .expect("send");
    assert_eq!((retry.sent, retry.rate_limited), (1, 2), "{retry:?}");
}

// ---------------------------------------------------------------------------------------------
// The policy with the memory transport

#[tokio::test]
async fn at_most_one_mail_per_ib_per_school_per_school_day() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    let now = monday_morning();
    let first = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(first.sent, 3);
    plant(
        store.as_ref(),
        "11ZW",
        "p3",
        "dmt_three_lowest",
        Severity::High,
        DMT,
    )
    .await;
    // Even an urgent item waits for the next school day once the day's mail went out.
    let again = send_urgent(store.as_ref(), &settings, &mailer, now + TimeDelta::hours(8))
        .await
        .expect("send");
    assert_eq!((again.sent, again.rate_limited), (0, 3), "{again:?}");
    assert_eq!(sent.lock().expect("list").len(), 3);
    let next = send_urgent(
        store.as_ref(),
        &settings,
        &mailer,
        now + TimeDelta::days(1) - TimeDelta::hours(1),
    )
    .await
    .expect("send");
    assert_eq!(next.sent, 1, "{next:?}");
    let recorded = store
        .mails_sent_since("ib@klimop.example.nl", now - TimeDelta::minutes(1))
        .await
        .expect("count");
    assert_eq!(recorded, 2);
}

#[tokio::test]
async fn an_ib_of_two_schools_gets_each_schools_mail() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let mut settings = settings(25, "");
    settings.schools[1].ib_emails = vec!["ib@klimop.example.nl".into()];
    let (mailer, sent) = Mailer::memory();
    let now = monday_morning();
    let first = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!((first.sent, first.rate_limited), (2, 0), "{first:?}");
    plant(store.as_ref(), "11ZW", "p3", "level_drop", Severity::Medium, DROP).await;
    let next = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::days(1))
        .await
        .expect("send");
    // Klimop's news goes out; Regenboog's "nothing new" is not confused with Klimop's mail.
    assert_eq!(
        (next.sent, next.no_news, next.rate_limited),
        (1, 1, 0),
        "{next:?}"
    );
    let sent = sent.lock().expect("list");
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|m| m.to == "ib@klimop.example.nl"));
    assert!(sent[2].subject.contains("OBS De Klimop"), "{}", sent[2].subject);
}

#[tokio::test]
async fn nothing_new_since_the_last_mail_sends_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    let now = monday_morning();
    let first = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send");
    assert_eq!(first.sent, 3);
    let next = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::days(1))
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
async fn an_unchanged_open_item_is_repeated_at_most_weekly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    let monday = monday_morning();
    send_digests(store.as_ref(), &settings, &mailer, monday)
        .await
        .expect("start overview");
    let mut nog_open = Vec::new();
    let mut counted = Vec::new();
    // Something new every school day for six weeks: Sanne's high DMT signal (unchanged, open)
    // may ride along in "nog open" at most once a week, for four weeks; then it is counted.
    let mut n = 0;
    for day in 1..=41 {
        let now = monday + TimeDelta::days(day);
        if matches!(
            now.with_timezone(&Amsterdam).weekday(),
            Weekday::Sat | Weekday::Sun
        ) {
            continue;
        }
        n += 1;
        let rule = if n % 2 == 0 { "level_drop" } else { "no_growth" };
        // A fresh signal key every day: a new signal for Lotte.
        plant_keyed(store.as_ref(), "11ZW", "p3", rule, &format!("dag-{day}")).await;
        let s = send_digests(store.as_ref(), &settings, &mailer, now)
            .await
            .expect("send");
        assert_eq!(s.sent, 1, "day {day}: {s:?}");
        let sent = sent.lock().expect("list");
        let text = &sent.last().expect("mail").raw;
        if text.contains("Sanne V.") {
            assert!(text.contains("NOG OPEN"), "{text}");
            nog_open.push(day);
        }
        if text.contains("al langer dan vier weken open") {
            counted.push(day);
        }
    }
    assert_eq!(
        nog_open,
        vec![7, 14, 21, 28],
        "repeated weekly after the start overview, four times"
    );
    assert!(
        counted.first().is_some_and(|d| *d > 28) && counted.len() >= 5,
        "then counted on every digest: {counted:?}"
    );
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
async fn a_holiday_of_one_school_keeps_only_that_schools_mail_quiet() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let monday = monday_morning();
    let day = monday.with_timezone(&Amsterdam).date_naive();
    let mut settings = settings(25, "");
    settings.schools[0].calendar.holidays = vec![zorgsignaal::settings::Holiday {
        from: day,
        to: day + TimeDelta::days(4),
        name: "studieweek".into(),
    }];
    let (mailer, sent) = Mailer::memory();
    let s = send_digests(store.as_ref(), &settings, &mailer, monday)
        .await
        .expect("send");
    assert_eq!((s.sent, s.quiet_schools), (2, 1), "{s:?}");
    assert!(
        sent.lock()
            .expect("list")
            .iter()
            .all(|m| m.to.contains("regenboog"))
    );
    // The next Monday the Klimop IB gets the start overview.
    let s = send_digests(store.as_ref(), &settings, &mailer, monday + TimeDelta::days(7))
        .await
        .expect("send");
    assert_eq!(s.sent, 1, "{s:?}");
    assert_eq!(sent.lock().expect("list")[2].to, "ib@klimop.example.nl");
}

#[tokio::test]
async fn immediate_mail_only_for_high_severity() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    let settings = settings(25, "");
    let (mailer, sent) = Mailer::memory();
    let monday = monday_morning();
    // The first evaluation of a school: the start overview, also from the urgent path.
    let overview = send_urgent(store.as_ref(), &settings, &mailer, monday)
        .await
        .expect("send");
    assert_eq!(overview.sent, 3, "{overview:?}");
    assert!(
        sent.lock()
            .expect("list")
            .iter()
            .all(|m| m.subject.contains("startoverzicht"))
    );
    plant(store.as_ref(), "11ZW", "p2", "level_drop", Severity::Medium, DROP).await;
    let now = monday + TimeDelta::days(1);
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
    assert_eq!(sent[3].to, "ib@klimop.example.nl");
    // The immediate mail is the whole digest: the medium bespreekpunt rides along.
    assert!(
        sent[3].subject.contains("1 nieuw signaal en 1 bespreekpunt"),
        "{}",
        sent[3].subject
    );
}

#[tokio::test]
async fn file_mailer_writes_one_eml_per_mail_for_the_demo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = seeded_store(tmp.path()).await;
    plant_all(store.as_ref()).await;
    let out = tmp.path().join("mails");
    let mailer = Mailer::File(out.clone());
    let summary = send_digests(store.as_ref(), &settings(25, ""), &mailer, monday_morning())
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
    for f in &files {
        let raw = std::fs::read_to_string(out.join(f)).expect("eml");
        assert_automatic_headers(&raw, &f[..4].to_ascii_lowercase());
    }
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
    assert!(store.upsert_task(&escalation, Utc::now()).await.expect("task"));
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
