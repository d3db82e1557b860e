//! `zorgsignaal user add|passwd|token|remove` through the real binary: the password comes from
//! standard input, never from arguments; the stored hash is argon2 and verifies.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn zorgsignaal(args: &[&str], db: &str, stdin: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config", "config/test.toml"])
        .args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("ZORGSIGNAAL__") {
            cmd.env_remove(key);
        }
    }
    cmd.env("ZORGSIGNAAL__STORE__URL", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run zorgsignaal");
    // A command that fails before it reads standard input closes the pipe: that is fine.
    let _ = child.stdin.take().expect("stdin").write_all(stdin.as_bytes());
    child.wait_with_output().expect("output")
}

#[tokio::test]
async fn users_are_added_changed_given_tokens_and_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    let pw = "een lang wachtwoord\n";

    let out = zorgsignaal(
        &["user", "add", "ib1", "--role", "ib", "--school", "11ZW"],
        &db,
        pw,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = zorgsignaal(
        &["user", "add", "ib1", "--role", "ib", "--school", "11ZW"],
        &db,
        pw,
    );
    assert_eq!(out.status.code(), Some(1), "a taken name");
    let out = zorgsignaal(
        &["user", "add", "ib2", "--role", "ib", "--school", "11ZW"],
        &db,
        "kort\n",
    );
    assert_eq!(out.status.code(), Some(1), "a short password");
    let out = zorgsignaal(&["user", "add", "ib3", "--role", "ib"], &db, pw);
    assert_eq!(out.status.code(), Some(1), "an ib without school");
    let out = zorgsignaal(
        &["user", "add", "ib4", "--role", "ib", "--school", "99XX"],
        &db,
        pw,
    );
    assert_eq!(out.status.code(), Some(1), "a school not in the configuration");
    let out = zorgsignaal(
        &["user", "add", "b", "--role", "board", "--school", "11ZW"],
        &db,
        pw,
    );
    assert_eq!(out.status.code(), Some(1), "board is not tied to schools");

    let store = zorgsignaal::store::open(&db).await.expect("open");
    let (user, hash) = store.user_with_hash("ib1").await.expect("lookup").expect("added");
    assert_eq!(
        user.schools.iter().map(|b| b.as_str()).collect::<Vec<_>>(),
        ["11ZW"]
    );
    assert!(zorgsignaal::api::auth::verify_password(
        "een lang wachtwoord",
        &hash
    ));
    for name in ["ib2", "ib3", "ib4", "b"] {
        assert!(
            store.user_with_hash(name).await.expect("lookup").is_none(),
            "{name}"
        );
    }

    let out = zorgsignaal(&["user", "passwd", "ib1"], &db, "nog een lang wachtwoord\n");
    assert!(out.status.success());
    let (_, hash) = store.user_with_hash("ib1").await.expect("lookup").expect("user");
    assert!(zorgsignaal::api::auth::verify_password(
        "nog een lang wachtwoord",
        &hash
    ));

    let out = zorgsignaal(&["user", "token", "ib1"], &db, "");
    assert!(out.status.success());
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(token.len(), 64);
    let by_token = store
        .user_by_token(&zorgsignaal::api::auth::token_hash(&token))
        .await
        .expect("token");
    assert_eq!(by_token.map(|u| u.username).as_deref(), Some("ib1"));

    assert!(zorgsignaal(&["user", "remove", "ib1"], &db, "").status.success());
    assert_eq!(
        zorgsignaal(&["user", "remove", "ib1"], &db, "").status.code(),
        Some(1)
    );
    assert!(store.user_with_hash("ib1").await.expect("lookup").is_none());
    store.close().await;
}
