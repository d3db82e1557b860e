//! The compose `demo` profile works: `deploy/demo/zorgsignaal.toml` holds the credentials the mock
//! derives from the seed on the `mock` service's command line, and points at the mock's ports.
//! Runs a real `zorgsignaal sync` with that configuration against the mock servers (the host names
//! swapped for loopback, as compose's network would resolve them).

use std::process::Command;

use mocks::{GenParams, MockBoard, MockConfig};

const COMPOSE: &str = include_str!("../../deploy/compose.yaml");
const DEMO_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/demo/zorgsignaal.toml");
const BIN: &str = env!("CARGO_BIN_EXE_zorgsignaal");

/// The `mock` service's `command:` flags, e.g. `["--listen", "0.0.0.0:8901", "--seed", "42"]`.
fn mock_flags() -> Vec<String> {
    let service = COMPOSE
        .split("\n  mock:\n")
        .nth(1)
        .expect("compose has a mock service");
    let line = service
        .lines()
        .find_map(|l| l.trim().strip_prefix("command:"))
        .expect("mock service has a command");
    serde_json::from_str(line.trim()).expect("command is a JSON-style list")
}

fn flag<'a>(flags: &'a [String], name: &str) -> &'a str {
    let at = flags
        .iter()
        .position(|f| f == name)
        .unwrap_or_else(|| panic!("mock command has {name}"));
    flags.get(at + 1).map(String::as_str).expect("flag value")
}

#[tokio::test]
async fn the_demo_configuration_syncs_every_school_from_the_mock_the_compose_file_starts() {
    let flags = mock_flags();
    let seed: u64 = flag(&flags, "--seed").parse().expect("seed");
    let schools: usize = flag(&flags, "--schools").parse().expect("schools");
    let port: u16 = flag(&flags, "--listen")
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("listen port");

    // The demo configuration names the mock service on its three ports (GKV N, REST N+1, N+2).
    let demo = std::fs::read_to_string(DEMO_CONFIG).expect("read demo config");
    for (p, what) in [(port, "GKV"), (port + 1, "ParnasSys"), (port + 2, "Leeruniek")] {
        assert!(
            demo.contains(&format!("\"http://mock:{p}")),
            "{what} URL on mock:{p}"
        );
    }

    // Same seed and schools as compose (fewer pupils: credentials depend on seed and BRIN only).
    let params = GenParams {
        seed,
        schools,
        pupils_per_school: 8,
        years: 2,
        ..GenParams::default()
    };
    let board = MockBoard::start(MockConfig::generated(params))
        .await
        .expect("mock board starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(BIN);
    cmd.args(["--config", DEMO_CONFIG, "sync", "--json"])
        .env(
            "ZORGSIGNAAL__STORE__URL",
            format!("sqlite://{}/demo.sqlite", dir.path().display()),
        )
        .env("ZORGSIGNAAL__REPORT__OUTPUT_DIR", dir.path().join("reports"))
        .env("ZORGSIGNAAL__SOURCES__PARNASSYS_GKV__BASE_URL", board.gkv_url())
        .env("ZORGSIGNAAL__SOURCES__PARNASSYS__BASE_URL", board.parnassys_url())
        .env(
            "ZORGSIGNAAL__SOURCES__PARNASSYS__TOKEN_URL",
            format!("{}/oauth/token", board.parnassys_url()),
        )
        .env("ZORGSIGNAAL__SOURCES__LEERUNIEK__BASE_URL", board.leeruniek_url())
        .env(
            "ZORGSIGNAAL__SOURCES__LEERUNIEK__TOKEN_URL",
            format!("{}/oauth/token", board.leeruniek_url()),
        );
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("run zorgsignaal sync"))
        .await
        .expect("join");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "demo sync failed ({}):\n{stderr}",
        out.status
    );

    // Every configured school was synced from every source: each stream ended `ok` and the
    // pupil snapshot brought pupils.
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("sync --json output");
    let streams = summary["streams"].as_array().expect("streams in the summary");
    let mut seen: Vec<(String, String, String)> = streams
        .iter()
        .map(|s| {
            let field = |k: &str| s[k].as_str().unwrap_or_default().to_owned();
            (field("school"), field("source"), field("state"))
        })
        .collect();
    seen.sort();
    seen.dedup();
    let expected: Vec<(String, String, String)> = ["10AA", "11AA"]
        .iter()
        .flat_map(|brin| {
            ["leeruniek", "parnassys", "parnassys_gkv"]
                .iter()
                .map(|s| ((*brin).to_owned(), (*s).to_owned(), "ok".to_owned()))
        })
        .collect();
    assert_eq!(seen, expected, "per school and source, every stream ended ok");
    let pupils: u64 = streams
        .iter()
        .filter(|s| s["stream"] == "pupils")
        .filter_map(|s| s["records"].as_u64())
        .sum();
    assert!(pupils > 0, "the GKV snapshot brought pupils");
}
