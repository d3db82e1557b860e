//! The binary: prints its URLs as one JSON line, writes identical dumps for one seed, and stops
//! cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_zorgsignaal-mock");

#[test]
fn dump_fixture_is_byte_identical_for_one_seed_and_expected_file_is_written() {
    let dir = std::env::temp_dir().join(format!("mocks-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let run = |name: &str| {
        let path = dir.join(name);
        let status = Command::new(BIN)
            .args([
                "--no-serve",
                "--seed",
                "5",
                "--schools",
                "2",
                "--pupils-per-school",
                "30",
                "--dump-fixture",
            ])
            .arg(&path)
            .arg("--emit-expected")
            .arg(dir.join("expected.json"))
            .stderr(Stdio::null())
            .status()
            .expect("run");
        assert!(status.success());
        std::fs::read(path).expect("dump")
    };
    assert_eq!(run("a.json"), run("b.json"));
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).expect("expected")).expect("json");
    assert!(expected.as_array().is_some_and(|a| a.len() >= 60));
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn serves_until_sigterm_and_prints_one_json_line() {
    let mut child = Command::new(BIN)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--schools",
            "1",
            "--pupils-per-school",
            "10",
            "--years",
            "2",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let urls: serde_json::Value = serde_json::from_str(&line).expect("one JSON line");
    for k in ["gkv", "parnassys", "leeruniek"] {
        assert!(
            urls[k]
                .as_str()
                .is_some_and(|u| u.starts_with("http://127.0.0.1:")),
            "{k}"
        );
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "mock did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "clean exit: {exit:?}");
}
