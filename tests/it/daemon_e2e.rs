//! Issue 6 acceptance, end to end: the in-process mocks, the real `zorgsignaal` binary running
//! the daemon (`run`) as a child process, and a real SMTP server on loopback (the aiosmtpd sink).
//!
//! `zorgsignaal sync` and `evaluate --as-of <peildatum>` fill the outbox first (the mock's data
//! hangs off a fixed reference date; the daemon's own sync would evaluate on today). Then:
//! - the daemon's continuous outbox drainer pushes every task; it is killed with SIGKILL while
//!   the mock holds some but not all of them, restarted, stopped with SIGTERM while draining
//!   (exit 0: it stops between two pushes), and restarted again; at the end every outbox row is sent
//!   and the mock holds each task exactly once (matched by idempotency key and remote id), with
//!   and without 20 % injected faults (half of the 5xx on task creation come after the task was
//!   stored, so only the idempotency key keeps those at once);
//! - SIGTERM stops the daemon with exit 0 within the deadline, mid-drain and idle;
//! - the daemon's digest job (every 5 s here) stays quiet: the config declares a school holiday
//!   around today, which also keeps the test independent of the weekday. The digest itself is
//!   then sent through the library with the daemon's settings on the first weekday from the
//!   peildatum, 07:30 Amsterdam, over SMTP to the sink: one mail per IB address, naming the
//!   planted `dmt_three_lowest` pupils by roepnaam + initial with the DMT explanation, and no
//!   surname or secret anywhere in the raw message.
//!
//! Needs `python3 -m pip install aiosmtpd`; without it the tests fail when `CI` is set and print
//! "skipped: aiosmtpd not installed" otherwise.

use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use mocks::{FaultConfig, GenParams, MockBoard, MockConfig};
use zorgsignaal::actions::mail::{Mailer, send_digests};
use zorgsignaal::settings::Settings;

use world::*;

use crate::common::daemon_world as world;
use crate::support::smtp_sink as sink;

/// Deadline for each wait (first push, stop); generous for a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(45);
/// Deadline for the drain after the restart (a task whose push failed after the HTTP retries
/// comes back after the outbox backoff, 2 s doubling in the test config).
const DRAIN_WAIT: Duration = Duration::from_secs(60);

fn params() -> GenParams {
    GenParams {
        seed: 42,
        schools: 1,
        pupils_per_school: 30,
        years: 3,
        ..GenParams::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_pushes_each_task_exactly_once_across_a_sigkill_and_mails_one_digest() {
    scenario(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_pushes_each_task_exactly_once_with_faults_across_a_sigkill() {
    scenario(true).await;
}

async fn scenario(faults: bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sink_dir = tmp.path().join("sink");
    std::fs::create_dir_all(&sink_dir).expect("sink dir");
    let Some(sink) = sink::start_sink(&sink_dir, SMTP_PASSWORD).await else {
        return;
    };

    let params = params();
    let as_of = params.as_of;
    let (dataset, expected) = mocks::generate(&params);
    let board = MockBoard::start(MockConfig::fixture(dataset.clone()))
        .await
        .expect("mock board");

    let store_url = format!("sqlite://{}", tmp.path().join("zorgsignaal.sqlite").display());
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Amsterdam)
        .date_naive();
    let holiday = (today - TimeDelta::days(1), today + TimeDelta::days(1));
    let digest_day = weekday_on_or_after(as_of);
    assert!(
        digest_day < holiday.0,
        "the peildatum must lie before the test holiday"
    );
    let api_port = free_port();
    let write = |name: &str, rate: u32| {
        let path = tmp.path().join(name);
        let toml = config_toml(
            &dataset,
            &board,
            &ConfigParams {
                store_url: &store_url,
                smtp_port: sink.port,
                api_port,
                rate,
                holiday,
            },
        );
        std::fs::write(&path, &toml).expect("write config");
        (path, toml)
    };
    // Sync and evaluate at full speed; the daemon pushes at 8 requests per second per system,
    // slow enough to be caught in the middle of draining.
    let (fast_config, _) = write("fast.toml", 200);
    let (daemon_config, daemon_toml) = write("daemon.toml", 8);

    cli(&fast_config, &["sync"]).await;
    cli(&fast_config, &["evaluate", "--as-of", &as_of.to_string()]).await;
    let store = open_store(&store_url).await;
    let rows = outbox(store.as_ref()).await;
    let total = rows.len();
    assert!(total >= 6, "too few tasks to kill the daemon halfway: {total}");
    assert_eq!(tasks_at_mock(&board), 0, "nothing pushed before the daemon runs");

    if faults {
        board.set_faults(FaultConfig {
            rate: 0.2,
            slow: Duration::from_millis(500),
            retry_after_secs: 1,
            ..FaultConfig::default()
        });
    }

    // 1. The daemon drains; SIGKILL when the mock holds some but not all tasks.
    let log = tmp.path().join("daemon.log");
    let daemon = Daemon::start(&daemon_config, &log);
    poll(WAIT, "the first task at the mock", || async {
        (tasks_at_mock(&board) > 0).then_some(())
    })
    .await;
    daemon.sigkill().await;
    let before_restart = pushed_at_mock(&board).len();
    assert!(
        before_restart < total,
        "the daemon drained everything before it could be killed ({before_restart} of {total})"
    );

    // 2. Restarted, it goes on; SIGTERM while it drains: it stops between two pushes, exit 0.
    let daemon = Daemon::start(&daemon_config, &log);
    poll(WAIT, "progress after the restart", || async {
        (pushed_at_mock(&board).len() > before_restart).then_some(())
    })
    .await;
    let status = daemon.sigterm(WAIT).await;
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM mid-drain; log: {}",
        read_log(&log)
    );
    let before_second_restart = pushed_at_mock(&board).len();
    assert!(
        before_second_restart < total,
        "the daemon drained everything before SIGTERM ({before_second_restart} of {total})"
    );

    // 3. Restarted again, it finishes: every row sent, the mock holds each task once.
    let mut daemon = Daemon::start(&daemon_config, &log);
    let store_ref = store.as_ref();
    poll(DRAIN_WAIT, "every outbox row sent after the restart", || async {
        let rows = outbox(store_ref).await;
        rows.iter()
            .all(|r| r.status == zorgsignaal::store::OutboxStatus::Sent)
            .then_some(())
    })
    .await;
    assert!(daemon.running(), "daemon died; log: {}", read_log(&log));
    let health = reqwest::get(format!("http://127.0.0.1:{api_port}/healthz"))
        .await
        .expect("GET /healthz");
    assert!(health.status().is_success(), "/healthz: {}", health.status());
    let rows = outbox(store.as_ref()).await;
    assert_eq!(rows.len(), total, "the daemon made no new tasks");
    assert_exactly_once(&rows, &board);
    // Under faults the mock saw more task POSTs than it holds tasks: re-sent pushes (responses
    // lost after the task was stored among them) were absorbed by the idempotency key.
    let posts = board.request_count("parnassys.taken.post") + board.request_count("leeruniek.tasks.post");
    if faults {
        assert!(posts > total as u64, "{posts} task POSTs for {total} tasks");
    } else {
        assert!(posts >= total as u64, "{posts} task POSTs for {total} tasks");
    }
    board.set_faults(FaultConfig::default());

    // 4. Graceful stop when idle.
    let status = daemon.sigterm(WAIT).await;
    assert_eq!(status.code(), Some(0), "SIGTERM exit; log: {}", read_log(&log));
    assert_exactly_once(&outbox(store.as_ref()).await, &board);

    // 5. The daemon's digest job was quiet in the holiday; the digest on a school day arrives once
    //    per IB address over real SMTP.
    assert!(
        sink::received(&sink.dir).is_empty(),
        "the daemon mailed during a holiday"
    );
    if faults {
        return;
    }
    let settings = Settings::from_toml_str(&daemon_toml).expect("daemon settings");
    let mailer = Mailer::from_settings(&settings.mail).expect("SMTP mailer");
    let now = chrono_tz::Europe::Amsterdam
        .from_local_datetime(&digest_day.and_hms_opt(7, 30, 0).expect("07:30"))
        .single()
        .expect("unambiguous 07:30")
        .with_timezone(&Utc);
    let sent = send_digests(store.as_ref(), &settings, &mailer, now)
        .await
        .expect("send digests");
    let school = &dataset.schools[0];
    let ibs = ib_emails(school);
    assert_eq!(sent.sent, ibs.len(), "{sent:?}");
    let again = send_digests(store.as_ref(), &settings, &mailer, now + TimeDelta::minutes(10))
        .await
        .expect("second run");
    assert_eq!(again.sent, 0, "no second digest within the hour: {again:?}");

    let mails = sink::received(&sink.dir);
    let mut rcpts: Vec<String> = mails
        .iter()
        .map(|(_, t)| t.lines().nth(1).expect("rcpt line").to_owned())
        .collect();
    rcpts.sort();
    let mut want: Vec<String> = ibs.iter().map(|e| format!("Rcpt: {e}")).collect();
    want.sort();
    assert_eq!(rcpts, want, "one digest per IB address");

    let planted: Vec<&mocks::model::Pupil> = expected
        .iter()
        .filter(|e| e.rule == "dmt_three_lowest" && e.expect == "fires" && e.school == school.brin)
        .filter_map(|e| school.leerlingen.iter().find(|p| p.id.to_string() == e.pupil_id))
        .collect();
    assert!(
        !planted.is_empty(),
        "no planted dmt_three_lowest pupil in {}",
        school.brin
    );
    let secrets = secrets(&dataset, &board);
    for (raw, text) in &mails {
        // The first mail is the start overview: at most 25 pupil lines, high first. A planted
        // DMT pupil that got a line shows the rule and its explanation below it.
        assert!(text.contains("startoverzicht"), "{text}");
        assert!(text.contains("drie keer V(E) op de DMT"), "{text}");
        for p in &planted {
            let initial = p.achternaam.chars().next().expect("surname");
            let label = format!("- {} {initial}.:", p.roepnaam);
            let lines: Vec<&str> = text.lines().collect();
            // The explanation is the first (worst) item's.
            let first = format!("{label} drie keer V(E) op de DMT");
            if let Some(i) = lines.iter().position(|l| l.contains(&first)) {
                assert!(
                    lines[i + 1].contains("DMT-afnames op niveau V of lager"),
                    "the DMT explanation of {label:?} is missing in\n{text}"
                );
            }
        }
        for p in &school.leerlingen {
            let full = match &p.tussenvoegsel {
                Some(tv) => format!("{tv} {}", p.achternaam),
                None => p.achternaam.clone(),
            };
            for body in [raw, text] {
                assert!(
                    !contains_word(body, &p.achternaam) && !body.contains(&full),
                    "surname of pupil {} in a mail:\n{body}",
                    p.id
                );
            }
        }
        for s in &secrets {
            assert!(
                !raw.contains(s.as_str()) && !text.contains(s.as_str()),
                "a secret in a mail"
            );
        }
    }
    store.close().await;
    board.shutdown().await;
}

/// Every secret of the setup: client secrets, GKV supplier keys, SMTP password, pseudonymisation key.
fn secrets(dataset: &mocks::Dataset, board: &MockBoard) -> Vec<String> {
    let mut s = vec![SMTP_PASSWORD.to_owned(), PSEUDO_KEY.to_owned()];
    for school in &dataset.schools {
        let c = board.credentials(&school.brin).expect("credentials");
        s.extend([c.leveranciersleutel, c.parnassys.1, c.leeruniek.1]);
    }
    s.extend(dataset.clients.iter().map(|c| c.client_secret.clone()));
    s
}

/// `word` as a whole word (not inside a longer one), case-sensitive.
fn contains_word(haystack: &str, word: &str) -> bool {
    haystack.match_indices(word).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

fn read_log(path: &std::path::Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(40).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}
