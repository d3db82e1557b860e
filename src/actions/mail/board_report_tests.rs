//! Unit tests of the board report mail over the memory transport and a SQLite mail log.

use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta, Utc};

use super::*;
use crate::domain::SchoolYear;
use crate::store::Store;

const HTML: &str = "<!doctype html><html lang=\"nl\"><body><h1>Bestuursrapportage</h1></body></html>";
const CSV: &str =
    "school,school_name,measure,school_year,value\nBESTUUR,Stichting Test,pupils,2025-2026,120\n";

fn settings(emails: &[&str]) -> Settings {
    let list: Vec<String> = emails.iter().map(|e| format!("\"{e}\"")).collect();
    Settings::from_toml_str(&format!(
        r#"
[board]
name = "Stichting Test"
report_emails = [{}]
[pseudonymisation]
key = "0123456789abcdef-test"
[[schools]]
brin = "11ZW"
name = "OBS De Klimop"
care_ladder = "abcd"
ib_emails = ["ib@klimop.example.nl"]
[mail]
enabled = true
host = "localhost"
tls = "none"
from = "zorgsignaal@bestuur.example.nl"
dashboard_url = "https://zorgsignaal.bestuur.example.nl"
"#,
        list.join(", ")
    ))
    .expect("test settings")
}

fn report() -> BoardReport {
    let as_of = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
    let year = SchoolYear::of_date(as_of);
    BoardReport {
        board_name: "Stichting Test".into(),
        school_year: year,
        previous_year: year.previous(),
        as_of,
        previous_as_of: NaiveDate::from_ymd_opt(2025, 3, 2).expect("date"),
        threshold: 5,
        grace_days: 0,
        rules: Vec::new(),
        schools: Vec::new(),
        figures: Vec::new(),
        sync: Vec::new(),
    }
}

struct World {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    written: WrittenReport,
}

async fn world() -> World {
    let dir = tempfile::tempdir().expect("temp dir");
    let written = WrittenReport {
        html: dir.path().join("report.html"),
        csv: dir.path().join("report.csv"),
        json: dir.path().join("report.json"),
    };
    std::fs::write(&written.html, HTML).expect("html");
    std::fs::write(&written.csv, CSV).expect("csv");
    let url = format!("sqlite://{}", dir.path().join("store.sqlite").display());
    let store = crate::store::open(&url).await.expect("store");
    store.migrate().await.expect("migrate");
    World {
        _dir: dir,
        store,
        written,
    }
}

#[tokio::test]
async fn every_board_address_gets_one_mail_with_both_files_and_it_is_logged() {
    let w = world().await;
    let (mailer, sent) = Mailer::memory();
    let settings = settings(&["voorzitter@bestuur.example.nl", "kwaliteit@bestuur.example.nl"]);
    let now = Utc::now();
    let n = send_board_report(w.store.as_ref(), &mailer, &settings, &report(), &w.written, now)
        .await
        .expect("send");
    assert_eq!(n, 2);
    let sent = sent.lock().expect("sent").clone();
    assert_eq!(
        sent.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(),
        ["voorzitter@bestuur.example.nl", "kwaliteit@bestuur.example.nl"]
    );
    for mail in &sent {
        assert_eq!(
            mail.subject,
            "Zorgsignaal: bestuursrapportage Stichting Test, schooljaar 2025-2026, peildatum 02-03-2026"
        );
        let raw = mail.raw.replace("\r\n", "\n").replace("\n ", " ");
        assert!(raw.contains("multipart/mixed"), "{raw}");
        // A well-formed automatic mail (RFC 3834, RFC 2919).
        let raw = format!("\n{raw}");
        for header in [
            "\nAuto-Submitted: auto-generated\n",
            "\nList-Id: Zorgsignaal bestuur <bestuur.zorgsignaal.",
            "\nMessage-ID: <",
            "\nDate: ",
        ] {
            assert!(raw.contains(header), "{header:?} missing:\n{raw}");
        }
        for (name, kind) in [
            ("bestuursrapportage-2026-03-02.html", "text/html"),
            ("bestuursrapportage-2026-03-02.csv", "text/csv"),
        ] {
            assert!(raw.contains(name), "{name} missing:\n{raw}");
            assert!(
                raw.contains(&format!("Content-Type: {kind}; charset=utf-8")),
                "{raw}"
            );
        }
        assert!(raw.contains("Beste bestuur,"), "{raw}");
        let logged = w
            .store
            .mails_sent_since(&mail.to, now - TimeDelta::minutes(1))
            .await
            .expect("mail log");
        assert_eq!(logged, 1, "{} logged once", mail.to);
    }
}

#[tokio::test]
async fn no_board_address_no_mail() {
    let w = world().await;
    let (mailer, sent) = Mailer::memory();
    let n = send_board_report(
        w.store.as_ref(),
        &mailer,
        &settings(&[]),
        &report(),
        &w.written,
        Utc::now(),
    )
    .await
    .expect("nothing to do");
    assert_eq!(n, 0);
    assert!(sent.lock().expect("sent").is_empty());
}

#[tokio::test]
async fn a_missing_report_file_is_an_error_and_nothing_is_sent_or_logged() {
    let mut w = world().await;
    w.written.csv = w.written.csv.with_file_name("weg.csv");
    let (mailer, sent) = Mailer::memory();
    let now = Utc::now();
    let err = send_board_report(
        w.store.as_ref(),
        &mailer,
        &settings(&["voorzitter@bestuur.example.nl"]),
        &report(),
        &w.written,
        now,
    )
    .await
    .expect_err("missing file");
    assert!(matches!(err, MailError::Attachment { .. }), "{err}");
    assert!(err.to_string().contains("weg.csv"), "{err}");
    assert!(sent.lock().expect("sent").is_empty());
    let logged = w
        .store
        .mails_sent_since("voorzitter@bestuur.example.nl", now - TimeDelta::minutes(1))
        .await
        .expect("mail log");
    assert_eq!(logged, 0);
}

#[test]
fn the_body_explains_suppression_only_when_it_is_on() {
    let mut r = report();
    let text = body_text(&r, "bestuursrapportage-2026-03-02");
    assert!(
        text.contains("Aantallen van 1 tot en met 4 staan er als \"<5\""),
        "{text}"
    );
    assert!(
        text.contains(
            "schooljaar 2025-2026, peildatum 02-03-2026, naast schooljaar 2024-2025 tot en met 02-03-2025"
        ),
        "{text}"
    );
    assert_eq!(
        crate::rules::text::dutch_text_problems(&text),
        Vec::<String>::new()
    );
    assert_eq!(
        crate::rules::text::dutch_text_problems(&board_report_subject(&r)),
        Vec::<String>::new()
    );
    r.threshold = 1;
    assert!(!body_text(&r, "x").contains("Aantallen van"));
}

#[tokio::test]
async fn a_rerun_mails_only_who_does_not_have_the_report_yet() {
    let w = world().await;
    let now = Utc::now();
    let first = settings(&["voorzitter@bestuur.example.nl"]);
    let (mailer, _) = Mailer::memory();
    let n = send_board_report(w.store.as_ref(), &mailer, &first, &report(), &w.written, now)
        .await
        .expect("first run");
    assert_eq!(n, 1);
    // The retry, an hour later, with a second address that the failed run did not reach.
    let both = settings(&["voorzitter@bestuur.example.nl", "kwaliteit@bestuur.example.nl"]);
    let (mailer, sent) = Mailer::memory();
    let later = now + TimeDelta::hours(1);
    let n = send_board_report(w.store.as_ref(), &mailer, &both, &report(), &w.written, later)
        .await
        .expect("retry");
    assert_eq!(n, 1);
    let to: Vec<String> = sent.lock().expect("sent").iter().map(|m| m.to.clone()).collect();
    assert_eq!(to, ["kwaliteit@bestuur.example.nl"]);
    // Next month's report (another peildatum) goes to both again.
    let mut next = report();
    next.as_of += TimeDelta::days(31);
    let (mailer, _) = Mailer::memory();
    let n = send_board_report(w.store.as_ref(), &mailer, &both, &next, &w.written, later)
        .await
        .expect("next report");
    assert_eq!(n, 2);
}
