//! `zorgsignaal user add|passwd|token [list|revoke]|remove` through the real binary: the password comes from
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
    assert_eq!(out.status.code(), Some(2), "a school not in the configuration");
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

    let hash_of = |t: &str| zorgsignaal::api::auth::token_hash(t);
    let now = chrono::Utc::now();
    let make_token = |args: &[&str]| {
        let out = zorgsignaal(args, &db, "");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let token = make_token(&["user", "token", "ib1"]);
    assert_eq!(token.len(), 64);
    let by_token = store.user_by_token(&hash_of(&token), now).await.expect("token");
    assert_eq!(by_token.map(|u| u.username).as_deref(), Some("ib1"));
    // The default lifetime is api.token_ttl (365 days); --ttl sets another.
    let later = now + chrono::TimeDelta::days(364);
    assert!(
        store
            .user_by_token(&hash_of(&token), later)
            .await
            .expect("token")
            .is_some()
    );
    let much_later = now + chrono::TimeDelta::days(366);
    assert!(
        store
            .user_by_token(&hash_of(&token), much_later)
            .await
            .expect("token")
            .is_none(),
        "expired"
    );
    let short = make_token(&["user", "token", "ib1", "--label", "kort", "--ttl", "2days"]);
    assert!(
        store
            .user_by_token(&hash_of(&short), now + chrono::TimeDelta::days(3))
            .await
            .expect("token")
            .is_none()
    );

    // list shows ids and labels, never a token; revoke stops one.
    let out = zorgsignaal(&["user", "token", "list"], &db, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        !listing.contains(&token) && !listing.contains(&hash_of(&token)),
        "{listing}"
    );
    let tokens = store.api_tokens(Some("ib1")).await.expect("tokens");
    assert_eq!(
        tokens.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(),
        ["api", "kort"]
    );
    for t in &tokens {
        assert!(
            listing.contains(&format!("{}\tib1\t{}", t.id, t.label)),
            "{listing}"
        );
    }
    let out = zorgsignaal(&["user", "token", "revoke", &tokens[1].id.to_string()], &db, "");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(store.api_tokens(None).await.expect("tokens").len(), 1);
    assert_eq!(
        zorgsignaal(&["user", "token", "revoke", "999999"], &db, "")
            .status
            .code(),
        Some(1)
    );

    // A new password revokes every token of the user.
    let out = zorgsignaal(&["user", "passwd", "ib1"], &db, "een derde lang wachtwoord\n");
    assert!(out.status.success());
    assert!(
        store
            .user_by_token(&hash_of(&token), now)
            .await
            .expect("token")
            .is_none()
    );
    assert!(store.api_tokens(Some("ib1")).await.expect("tokens").is_empty());

    assert!(zorgsignaal(&["user", "remove", "ib1"], &db, "").status.success());
    assert_eq!(
        zorgsignaal(&["user", "remove", "ib1"], &db, "").status.code(),
        Some(1)
    );
    assert!(store.user_with_hash("ib1").await.expect("lookup").is_none());
    store.close().await;
}
