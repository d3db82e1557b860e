//! The `zorgsignaal sync` and `status` binaries against the mock servers: SIGKILL in the middle of
//! a sync and a restart end in the same content with no duplicates; the logs of a faulty sync
//! hold no secret and no pupil name; `status` reports every stream.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mocks::{FaultConfig, FaultKind, MockConfig};
use world::*;

use crate::common::sync_world as world;

const BIN: &str = env!("CARGO_BIN_EXE_zorgsignaal");

fn write_config(dir: &Path, toml: &str) -> std::path::PathBuf {
    let path = dir.join("zorgsignaal.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

/// Runs `zorgsignaal <args>` to completion (blocking thread), returning (status, stdout, stderr).
async fn run(config: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config").arg(config).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run zorgsignaal"))
        .await
        .expect("join");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn sigkill_in_the_middle_of_a_sync_then_a_restart_gives_the_same_content() {
    let board = board(MockConfig::generated(params(2))).await;
    let dir = tempfile::tempdir().expect("dir");

    let ref_url = format!("sqlite://{}", dir.path().join("reference.db").display());
    let ref_cfg_dir = dir.path().join("ref");
    std::fs::create_dir_all(&ref_cfg_dir).expect("dir");
    let ref_cfg = write_config(&ref_cfg_dir, &config_toml(&board, &ref_url, 20, 1000));
    let (code, out, err) = run(&ref_cfg, &["sync", "--once"]).await;
    assert_eq!(code, 0, "{out}\n{err}");

    // Slow enough (5 requests/s per school) to be caught mid-way.
    let url = format!("sqlite://{}", dir.path().join("killed.db").display());
    let cfg = write_config(dir.path(), &config_toml(&board, &url, 10, 5));
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .args(["sync", "--once"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sync");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut store = None;
    loop {
        assert!(Instant::now() < deadline, "the sync never got mid-way");
        if store.is_none() && Path::new(&url["sqlite://".len()..]).exists() {
            store = zorgsignaal::store::open(&url).await.ok();
        }
        if let Some(s) = &store
            && let Ok(statuses) = s.stream_statuses().await
            && statuses
                .iter()
                .any(|st| st.cursor.as_deref().is_some_and(|c| c.starts_with("page:")) && st.records > 0)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = store;
    child.kill().expect("SIGKILL"); // std's kill sends SIGKILL on Unix
    let status = child.wait().expect("wait");
    assert!(!status.success(), "killed, not finished");

    let (code, out, err) = run(&cfg, &["sync", "--once"]).await;
    assert_eq!(code, 0, "{out}\n{err}");
    let (a, b) = (digest(&ref_url).await, digest(&url).await);
    assert_eq!(a.0, b.0, "row counts (no duplicates)");
    assert_eq!(a.1, b.1, "same content after kill and restart");
    assert_matches_mock(&board, &url).await;

    let (code, out, _) = run(&cfg, &["status", "--json"]).await;
    assert_eq!(code, 0);
    let status: serde_json::Value = serde_json::from_str(&out).expect("status json");
    let streams = status["streams"].as_array().expect("streams");
    assert_eq!(
        streams.len(),
        2 * 9,
        "2 schools x (pupils + 6 ParnasSys (results, plans, notes, dyslexia_statements, absences, \
         social_emotional) + 2 Leeruniek): {out}"
    );
    assert!(
        streams
            .iter()
            .all(|s| s["last_success_at"].is_string() && s["last_error"].is_null()),
        "{out}"
    );

    let (code, out, _) = run(&cfg, &["status"]).await;
    assert_eq!(code, 0);
    println!("{out}");
    assert_eq!(out.matches("wijzigingen (change feed)").count(), 2 * 8, "{out}");
}

#[tokio::test]
async fn the_logs_of_a_faulty_sync_hold_no_secret_and_no_pupil_name() {
    let mut config = MockConfig::generated(params(2));
    config.faults = FaultConfig {
        rate: 0.3,
        kinds: FaultKind::ALL.to_vec(),
        slow: Duration::from_secs(4),
        retry_after_secs: 0,
    };
    let board = board(config).await;
    let schools = board.schools();
    board.revoke_school(&schools[1]).expect("revoke one school");
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("zs.db").display());
    let cfg = write_config(dir.path(), &config_toml(&board, &url, 20, 1000));
    let (code, out, err) = run(&cfg, &["--log-format", "json", "-vv", "sync", "--once"]).await;
    assert_eq!(code, 1, "a revoked school fails the run:\n{out}");
    assert!(err.lines().count() > 50, "trace logging was on");
    let mut secrets = Vec::new();
    for b in &schools {
        let c = board.credentials(b).expect("credentials");
        secrets.extend([c.leveranciersleutel, c.parnassys.1, c.leeruniek.1]);
    }
    for s in &secrets {
        assert!(
            !err.contains(s.as_str()) && !out.contains(s.as_str()),
            "a secret leaked into the output"
        );
    }
    let names: Vec<String> = board.inspect(|st| {
        st.schools
            .values()
            .flat_map(|s| {
                s.leerlingen
                    .iter()
                    .map(|p| format!("{} {}", p.roepnaam, p.achternaam))
            })
            .collect()
    });
    for n in &names {
        assert!(
            !err.contains(n.as_str()) && !out.contains(n.as_str()),
            "a pupil name leaked into the logs"
        );
    }
    assert!(out.contains("gestopt"), "{out}");
}
