//! `zorgsignaal check-config` and `--version` through the real binary: exit codes, named keys,
//! environment overrides, and secrets that never reach the output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SHIPPED: &str = include_str!("../../config/zorgsignaal.toml");

fn zorgsignaal(args: &[&str], env: &[(&str, &str)]) -> Output {
    zorgsignaal_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, env)
}

/// Runs the binary with `dir` as working directory.
fn zorgsignaal_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"));
    cmd.current_dir(dir).args(args);
    // Only the overrides a test sets may apply, not whatever the developer's shell exports.
    for (key, _) in std::env::vars() {
        if key.starts_with("ZORGSIGNAAL__") || key == "ZORGSIGNAAL_CONFIG" {
            cmd.env_remove(key);
        }
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("run zorgsignaal")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("zorgsignaal.toml");
    std::fs::write(&path, body).expect("write config");
    path
}

fn check(path: &Path, env: &[(&str, &str)]) -> Output {
    zorgsignaal(
        &["check-config", "--config", path.to_str().expect("utf-8 path")],
        env,
    )
}

#[test]
fn version_prints_the_crate_version() {
    let out = zorgsignaal(&["--version"], &[]);
    assert!(out.status.success());
    assert!(text(&out).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn shipped_config_passes_check_config() {
    let out = zorgsignaal(&["check-config", "--config", "config/zorgsignaal.toml"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("configuration OK: 2 schools"),
        "{}",
        text(&out)
    );
    // The default path is the shipped file.
    let default = zorgsignaal(&["check-config"], &[]);
    assert_eq!(default.status.code(), Some(0), "{}", text(&default));
}

#[test]
fn print_default_prints_the_documented_file() {
    let out = zorgsignaal(&["check-config", "--print-default"], &[]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), SHIPPED);
}

#[test]
fn unknown_key_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = SHIPPED.replace("page_size = 200", "page_size = 200\npagesize = 100");
    let out = check(&write_config(dir.path(), &body), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("error: sync.pagesize: unknown field"),
        "{}",
        text(&out)
    );
}

#[test]
fn bad_cron_expression_exits_2_naming_the_schedule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = SHIPPED.replace("board_report = \"30 6 1W * *\"", "board_report = \"0 6 32 * *\"");
    let out = check(&write_config(dir.path(), &body), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("error: schedule.board_report: invalid cron expression \"0 6 32 * *\""),
        "{}",
        text(&out)
    );
}

#[test]
fn unreadable_file_and_syntax_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = check(&dir.path().join("absent.toml"), &[]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing).contains("cannot read configuration file"),
        "{}",
        text(&missing)
    );
    let broken = check(&write_config(dir.path(), "[store\nurl = 1"), &[]);
    assert_eq!(broken.status.code(), Some(2), "{}", text(&broken));
}

#[test]
fn environment_overrides_the_store_url_with_password_redacted() {
    let url = "postgres://zorg:pg-wachtwoord-77@db.example.nl:5432/zorgsignaal";
    let out = zorgsignaal(&["check-config"], &[("ZORGSIGNAAL__STORE__URL", url)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    assert!(
        all.contains("postgres://zorg:***@db.example.nl:5432/zorgsignaal"),
        "{all}"
    );
    assert!(!all.contains("pg-wachtwoord-77"), "{all}");
    assert!(!all.contains("sqlite://zorgsignaal.sqlite"), "{all}");
}

#[test]
fn environment_override_errors_name_the_key() {
    let out = zorgsignaal(
        &["check-config"],
        &[("ZORGSIGNAAL__SCHEDULE__DIGEST", "every morning")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("error: schedule.digest:"), "{}", text(&out));
    let out = zorgsignaal(&["check-config"], &[("ZORGSIGNAAL__SYNC__PAGESIZE", "5")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("error: sync.pagesize:"), "{}", text(&out));
    let out = zorgsignaal(&["check-config"], &[("ZORGSIGNAAL__OUTBOX__LEASE", "2s")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("error: outbox.lease: must be at least 3, found 2"),
        "{}",
        text(&out)
    );
}

#[test]
fn secrets_from_the_file_never_appear_in_check_config_output() {
    let secrets = [
        "PSEUDO-secret-4711-abcdef",
        "GKV-secret-4711",
        "PS-secret-4711",
        "LU-secret-4711",
        "SMTP-secret-4711",
        "DB-secret-4711",
    ];
    let body = SHIPPED
        .replace("voorbeeld-sleutel-VERVANG-MIJ-0000", secrets[0])
        .replace("voorbeeld-leveranciersleutel-11ZW", secrets[1])
        .replace("voorbeeld-geheim-parnassys-11ZW", secrets[2])
        .replace("voorbeeld-geheim-leeruniek-11ZW", secrets[3])
        .replace("password = \"\"", &format!("password = \"{}\"", secrets[4]))
        .replace(
            "url = \"sqlite://zorgsignaal.sqlite\"",
            &format!("url = \"postgres://zorg:{}@localhost/zorg\"", secrets[5]),
        );
    for secret in secrets {
        assert!(
            body.contains(secret),
            "test setup: {secret} not placed in the config"
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let valid = write_config(dir.path(), &body);
    let invalid_dir = tempfile::tempdir().expect("tempdir");
    let invalid = write_config(
        invalid_dir.path(),
        &body
            .replace("digest = \"30 7 * * 1-5\"", "digest = \"nope\"")
            .replace("enabled = false\n# SMTP", "enabled = true\n# SMTP")
            .replace("host = \"smtp.example.nl\"", "host = \"\""),
    );
    let runs = [
        zorgsignaal(
            &["check-config", "--config", valid.to_str().expect("path"), "-vv"],
            &[],
        ),
        zorgsignaal(
            &[
                "check-config",
                "--config",
                valid.to_str().expect("path"),
                "--log-format",
                "json",
                "-vv",
            ],
            &[],
        ),
        zorgsignaal(
            &["check-config", "--config", invalid.to_str().expect("path"), "-vv"],
            &[],
        ),
    ];
    assert_eq!(runs[0].status.code(), Some(0), "{}", text(&runs[0]));
    assert_eq!(runs[2].status.code(), Some(2), "{}", text(&runs[2]));
    assert!(text(&runs[2]).contains("error: mail.host"), "{}", text(&runs[2]));
    for out in &runs {
        let all = text(out);
        for secret in secrets {
            assert!(!all.contains(secret), "{secret} leaked in: {all}");
        }
    }
}

#[test]
fn outside_the_repository_the_binary_says_where_it_looked_for_its_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = zorgsignaal_in(dir.path(), &["check-config"], &[]);
    if Path::new("/etc/zorgsignaal/zorgsignaal.toml").is_file() {
        // An installed daemon's file on this machine: the binary finds it (the search order is
        // unit-tested in settings::tests with an injected file system).
        assert!(text(&out).contains("/etc/zorgsignaal/zorgsignaal.toml") || out.status.success());
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    for needle in [
        "--config",
        "ZORGSIGNAAL_CONFIG",
        "config/zorgsignaal.toml",
        "/etc/zorgsignaal/zorgsignaal.toml",
    ] {
        assert!(text(&out).contains(needle), "{needle} missing: {}", text(&out));
    }
}

#[test]
fn zorgsignaal_config_names_the_file_outside_the_repository() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_config(dir.path(), SHIPPED);
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let out = zorgsignaal_in(
        elsewhere.path(),
        &["check-config"],
        &[("ZORGSIGNAAL_CONFIG", path.to_str().expect("utf-8"))],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("configuration OK: 2 schools"),
        "{}",
        text(&out)
    );
    // --config still wins over the variable.
    let out = zorgsignaal_in(
        elsewhere.path(),
        &["check-config", "--config", "/nonexistent/zorgsignaal.toml"],
        &[("ZORGSIGNAAL_CONFIG", path.to_str().expect("utf-8"))],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("/nonexistent/zorgsignaal.toml"),
        "{}",
        text(&out)
    );
}

#[test]
fn every_command_given_an_unknown_school_says_so_with_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The shipped file with the store in a temporary folder: nothing may be created for 99XX.
    let db = dir.path().join("z.sqlite");
    let url = format!("sqlite://{}", db.display());
    let env = [("ZORGSIGNAAL__STORE__URL", url.as_str())];
    for args in [
        &["signals", "--school", "99XX"][..],
        &["evaluate", "--school", "99XX"],
        &["sync", "--school", "99XX"],
        &["user", "add", "ib9", "--role", "ib", "--school", "99XX"],
    ] {
        let out = zorgsignaal(args, &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        for needle in ["99XX", "niet geconfigureerd", "11ZW", "23QK"] {
            assert!(
                text(&out).contains(needle),
                "{args:?}: {needle} missing: {}",
                text(&out)
            );
        }
    }
    assert!(!db.exists(), "no store was opened for an unknown school");
}
