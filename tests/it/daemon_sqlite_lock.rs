//! Issue 15 item 5, SQLite: a second `zorgsignaal run` on the same SQLite file refuses to start
//! and says why; once the first daemon is gone (even SIGKILLed) a new one starts.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const MESSAGE: &str = "another zorgsignaal daemon runs on this SQLite store";

fn daemon(config: &Path, store: &str, log: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"));
    for (key, _) in std::env::vars() {
        if key.starts_with("ZORGSIGNAAL__") || key == "ZORGSIGNAAL_CONFIG" {
            cmd.env_remove(key);
        }
    }
    cmd.arg("--config")
        .arg(config)
        .arg("run")
        .env("ZORGSIGNAAL__STORE__URL", store)
        .env("ZORGSIGNAAL__API__LISTEN", "127.0.0.1:0")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("log"));
    cmd
}

/// Waits until `path` exists while `child` keeps running.
fn wait_for(path: &Path, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the first daemon exited"
        );
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_second_daemon_on_one_sqlite_file_refuses_to_start_and_a_new_one_starts_after_a_kill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("zorgsignaal.toml");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/test.toml"),
        &config,
    )
    .expect("config");
    let db = dir.path().join("zs.db");
    let store = format!("sqlite://{}", db.display());

    let mut first = daemon(&config, &store, &dir.path().join("first.log"))
        .spawn()
        .expect("first daemon");
    // The lock is taken before the store is opened: once the file exists, the lock is held.
    wait_for(&db, &mut first);

    let second_log = dir.path().join("second.log");
    let status = daemon(&config, &store, &second_log)
        .status()
        .expect("second daemon");
    let said = std::fs::read_to_string(&second_log).expect("second log");
    assert!(
        !status.success(),
        "the second daemon must not run: {status}\n{said}"
    );
    assert!(said.contains(MESSAGE), "{said}");
    assert!(
        first.try_wait().expect("try_wait").is_none(),
        "the first daemon keeps running"
    );

    first.kill().expect("SIGKILL the first daemon");
    first.wait().expect("reap");
    let third_log = dir.path().join("third.log");
    let mut third = daemon(&config, &store, &third_log).spawn().expect("third daemon");
    std::thread::sleep(Duration::from_secs(3));
    let running = third.try_wait().expect("try_wait").is_none();
    third.kill().ok();
    third.wait().ok();
    let said = std::fs::read_to_string(&third_log).expect("third log");
    assert!(running, "a daemon after a SIGKILLed one starts:\n{said}");
    assert!(!said.contains(MESSAGE), "{said}");
}
