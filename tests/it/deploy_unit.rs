//! Starts the binary the way `deploy/systemd/zorgsignaal.service` does: the unit's own `ExecStart=`
//! arguments, its `Environment=` lines, its working directory as the only writable place, and the
//! configuration as a read-only credential. Waits for `/healthz`, sends SIGTERM, expects exit 0.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const UNIT: &str = include_str!("../../deploy/systemd/zorgsignaal.service");
const SHIPPED_CONFIG: &str = include_str!("../../config/zorgsignaal.toml");
/// The binary cargo built for this test (debug under `cargo test`).
const CARGO_BIN: &str = env!("CARGO_BIN_EXE_zorgsignaal");
/// Where the unit expects the binary; replaced by the binary cargo built for this test.
const UNIT_BIN: &str = "/usr/local/bin/zorgsignaal";
/// Unprivileged account the daemon runs as when the test runs as root (root ignores file modes).
const NOBODY: u32 = 65534;

/// The binary under test: `ZORGSIGNAAL_BIN` (e.g. `target/release/zorgsignaal`, as CI installs it)
/// or the one cargo built.
fn binary() -> std::path::PathBuf {
    std::env::var_os("ZORGSIGNAAL_BIN").map_or_else(|| CARGO_BIN.into(), Into::into)
}

/// Values of every `Key=` line of the unit's `[Service]` section, in order.
fn service_values(key: &str) -> Vec<String> {
    let prefix = format!("{key}=");
    UNIT.lines()
        .skip_while(|l| l.trim() != "[Service]")
        .take_while(|l| !l.trim().starts_with("[Install]"))
        .filter_map(|l| l.trim().strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

fn one_value(key: &str) -> String {
    let values = service_values(key);
    assert_eq!(
        values.len(),
        1,
        "the unit has exactly one {key}= line: {values:?}"
    );
    values.into_iter().next().expect("one value")
}

/// Subcommands this binary knows, from `zorgsignaal --help`.
fn has_subcommand(name: &str) -> bool {
    let out = Command::new(binary())
        .arg("--help")
        .output()
        .expect("run zorgsignaal --help");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().next() == Some(name))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a free port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// `GET path` over plain HTTP/1.1; `Some((status, body))` once something answers.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

fn wait_with_deadline(child: &mut Child, deadline: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn chown_for(path: &Path, uid: Option<u32>) {
    if let Some(uid) = uid {
        std::os::unix::fs::chown(path, Some(uid), Some(uid)).expect("chown to the service user");
    }
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn daemon_starts_like_the_systemd_unit_answers_healthz_and_stops_cleanly_on_sigterm() {
    let root = tempfile::tempdir().expect("temp dir");
    set_mode(root.path(), 0o755);
    let running_as_root = fs::metadata(root.path()).expect("stat temp dir").uid() == 0;
    let service_uid = running_as_root.then_some(NOBODY);

    // The data directory: the unit's WorkingDirectory (= StateDirectory, = ReadWritePaths).
    let working_dir = one_value("WorkingDirectory");
    assert_eq!(
        service_values("ReadWritePaths"),
        vec![working_dir.clone()],
        "only the data dir is writable"
    );
    assert_eq!(one_value("StateDirectory"), "zorgsignaal");
    assert_eq!(working_dir, "/var/lib/zorgsignaal");
    let data = root.path().join("data");
    fs::create_dir(&data).expect("data dir");
    set_mode(&data, 0o700);
    chown_for(&data, service_uid);

    // The credential directory (%d): read-only directory, read-only file, as systemd makes it.
    let credential = one_value("LoadCredential");
    let (credential_name, _source) = credential.split_once(':').expect("LoadCredential=NAME:PATH");
    let creds = root.path().join("credentials");
    fs::create_dir(&creds).expect("credentials dir");
    let config = creds.join(credential_name);
    fs::write(&config, SHIPPED_CONFIG).expect("write config");
    set_mode(&config, 0o400);
    chown_for(&config, service_uid);
    set_mode(&creds, 0o500);
    chown_for(&creds, service_uid);

    // ExecStart= verbatim, with %d, the binary path and (until the daemon lands) the subcommand
    // substituted.
    let exec_start = one_value("ExecStart");
    let mut args: Vec<String> = exec_start
        .split_whitespace()
        .map(|a| a.replace("%d", &creds.display().to_string()))
        .collect();
    assert_eq!(args.remove(0), UNIT_BIN, "ExecStart runs the installed binary");
    assert_eq!(
        args.last().map(String::as_str),
        Some("run"),
        "the unit runs the daemon"
    );
    if !has_subcommand("run") {
        eprintln!("note: this binary has no `run` subcommand yet; starting `serve` in its place");
        *args.last_mut().expect("subcommand") = "serve".to_owned();
    }

    // The environment: the unit's Environment= lines plus what the env file would hold.
    let port = free_port();
    let mut cmd = Command::new(binary());
    eprintln!("binary under test: {}", binary().display());
    cmd.args(&args).current_dir(&data).env_clear();
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for line in service_values("Environment") {
        let (k, v) = line.split_once('=').expect("Environment=KEY=VALUE");
        cmd.env(k, v);
    }
    cmd.env(
        "ZORGSIGNAAL__STORE__URL",
        format!("sqlite://{}/zorgsignaal.sqlite", data.display()),
    )
    .env("ZORGSIGNAAL__API__LISTEN", format!("127.0.0.1:{port}"))
    .env("ZORGSIGNAAL__REPORT__OUTPUT_DIR", data.join("reports"))
    .env("ZORGSIGNAAL__TELEMETRY__LEVEL", "info");
    if let Some(uid) = service_uid {
        use std::os::unix::process::CommandExt;
        cmd.uid(uid).gid(uid);
    }
    let log_path = root.path().join("daemon.log");
    let log = fs::File::create(&log_path).expect("log file");
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone().expect("clone log fd"))
        .stderr(log);
    let mut child = cmd.spawn().expect("start the daemon");
    let log_text = || fs::read_to_string(&log_path).unwrap_or_default();

    // Readiness: poll /healthz with a deadline, like the unit's ExecStartPost.
    let deadline = Instant::now() + Duration::from_secs(60);
    let healthy = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("daemon exited early with {status}; log:\n{}", log_text());
        }
        if let Some((200, _)) = http_get(port, "/healthz") {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !healthy {
        let _ = child.kill();
        panic!("/healthz did not answer 200 within 60 s; log:\n{}", log_text());
    }

    // SIGTERM (the unit's KillSignal) and a clean exit well within TimeoutStopSec.
    assert_eq!(one_value("KillSignal"), "SIGTERM");
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(term.success(), "kill -TERM failed");
    let stop_secs: u64 = one_value("TimeoutStopSec")
        .trim_end_matches('s')
        .parse()
        .expect("TimeoutStopSec in seconds");
    let Some(status) = wait_with_deadline(&mut child, Duration::from_secs(stop_secs)) else {
        let _ = child.kill();
        panic!("daemon did not stop within TimeoutStopSec; log:\n{}", log_text());
    };
    assert!(
        status.success(),
        "daemon exited with {status}; log:\n{}",
        log_text()
    );

    // It wrote its database into the data directory and nothing into the credentials.
    assert!(
        data.join("zorgsignaal.sqlite").exists(),
        "database in the data dir; log:\n{}",
        log_text()
    );
    if let Some(uid) = service_uid {
        let owner = fs::metadata(data.join("zorgsignaal.sqlite"))
            .expect("stat database")
            .uid();
        assert_eq!(owner, uid, "the daemon ran as the unprivileged service user");
    }
    let in_creds: Vec<_> = fs::read_dir(&creds)
        .expect("list credentials")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(in_creds, vec![std::ffi::OsString::from(credential_name)]);
    set_mode(&creds, 0o700); // let the temp dir clean up
}

#[test]
fn unit_keeps_secrets_out_and_is_hardened_as_documented() {
    for key in ["password", "secret", "ZORGSIGNAAL__"] {
        for line in UNIT.lines().filter(|l| !l.trim_start().starts_with('#')) {
            assert!(
                !line.contains(key),
                "unit line holds a secret-looking value: {line}"
            );
        }
    }
    for (key, want) in [
        ("Type", "simple"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("Restart", "on-failure"),
        ("User", "zorgsignaal"),
    ] {
        assert_eq!(one_value(key), want, "{key}=");
    }
    assert!(service_values("SystemCallFilter").contains(&"@system-service".to_owned()));
    assert_eq!(one_value("EnvironmentFile"), "-/etc/zorgsignaal/zorgsignaal.env");
    assert!(
        one_value("ExecStartPost").contains("${HEALTHZ_URL}"),
        "readiness check on /healthz"
    );
    let stop: u64 = one_value("TimeoutStopSec")
        .trim_end_matches('s')
        .parse()
        .expect("seconds");
    let deadline = zorgsignaal::app::run::SHUTDOWN_DEADLINE.as_secs();
    assert!(
        stop > deadline,
        "TimeoutStopSec={stop}s must exceed the {deadline} s shutdown deadline"
    );
}
