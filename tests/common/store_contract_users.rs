//! Contract tests of the user side of the store: users, sessions, API tokens, login attempts.

use chrono::{TimeDelta, Utc};
use zorgsignaal::store::{NewUser, Role, StoreError};

use super::harness::*;

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        username: name.into(),
        role,
        schools: if role.sees_pupils() {
            vec![brin(), other_brin()]
        } else {
            Vec::new()
        },
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
    }
}

pub async fn users_sessions_tokens_and_login_attempts(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let ib = store
        .create_user(&new_user("ib", Role::Ib))
        .await
        .expect("create ib");
    assert_eq!(ib.schools, vec![brin(), other_brin()]);
    assert!(matches!(
        store.create_user(&new_user("ib", Role::Board)).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .create_user(&new_user("bestuur", Role::Board))
        .await
        .expect("board");
    let names: Vec<String> = store
        .users()
        .await
        .expect("users")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["bestuur", "ib"]);
    let (found, hash) = store.user_with_hash("ib").await.expect("lookup").expect("exists");
    assert_eq!(found, ib);
    assert!(hash.starts_with("$argon2"));
    assert!(store.user_with_hash("nobody").await.expect("lookup").is_none());

    // Sessions: found while live, not after expiry, gone after delete and after a password change.
    let now = Utc::now();
    store
        .create_session("h1", ib.id, "csrf1", now + TimeDelta::hours(1))
        .await
        .expect("session");
    store
        .create_session("h2", ib.id, "csrf2", now - TimeDelta::seconds(1))
        .await
        .expect("expired");
    let live = store.session("h1", now).await.expect("session").expect("live");
    assert_eq!(
        (live.user.username.as_str(), live.csrf_token.as_str()),
        ("ib", "csrf1")
    );
    assert!(
        store.session("h2", now).await.expect("session").is_none(),
        "expired"
    );
    store.delete_session("h1").await.expect("delete");
    assert!(store.session("h1", now).await.expect("session").is_none());
    store
        .create_session("h3", ib.id, "csrf3", now + TimeDelta::hours(1))
        .await
        .expect("session");
    store.set_password("ib", "$argon2id$new").await.expect("passwd");
    assert!(
        store.session("h3", now).await.expect("session").is_none(),
        "password change ends sessions"
    );
    assert_eq!(
        store
            .user_with_hash("ib")
            .await
            .expect("lookup")
            .expect("exists")
            .1,
        "$argon2id$new"
    );
    assert!(matches!(
        store.set_password("nobody", "x").await,
        Err(StoreError::NotFound)
    ));

    // Tokens.
    store.create_api_token("ib", "t1", "script").await.expect("token");
    assert_eq!(
        store.user_by_token("t1").await.expect("token").map(|u| u.id),
        Some(ib.id)
    );
    assert!(store.user_by_token("t2").await.expect("token").is_none());
    assert!(matches!(
        store.create_api_token("nobody", "t3", "x").await,
        Err(StoreError::NotFound)
    ));

    // Login attempts count failures per name and address inside the window.
    for i in 0..3 {
        store
            .record_login_attempt("ib", "10.0.0.1", false, now - TimeDelta::minutes(i))
            .await
            .expect("attempt");
    }
    store
        .record_login_attempt("ib", "10.0.0.1", true, now)
        .await
        .expect("success");
    store
        .record_login_attempt("ib", "10.0.0.2", false, now)
        .await
        .expect("other ip");
    store
        .record_login_attempt("ib", "10.0.0.1", false, now - TimeDelta::hours(1))
        .await
        .expect("old");
    let since = now - TimeDelta::minutes(15);
    assert_eq!(
        store
            .login_failures_since("ib", "10.0.0.1", since)
            .await
            .expect("count"),
        3
    );
    assert_eq!(
        store
            .login_failures_since("ib", "10.0.0.2", since)
            .await
            .expect("count"),
        1
    );

    // Pruning drops expired sessions and attempts before the cut-off, nothing else.
    store
        .create_session("h5", ib.id, "csrf5", now - TimeDelta::minutes(1))
        .await
        .expect("expired");
    store
        .create_session("h6", ib.id, "csrf6", now + TimeDelta::hours(1))
        .await
        .expect("live");
    let pruned = store.prune_auth(now, since).await.expect("prune");
    assert_eq!(
        pruned, 2,
        "session h5 (h2 went with the password change) and the hour-old attempt"
    );
    assert!(store.session("h6", now).await.expect("session").is_some());
    assert_eq!(
        store
            .login_failures_since("ib", "10.0.0.1", now - TimeDelta::days(1))
            .await
            .expect("count"),
        3
    );

    // Removing a user removes his sessions and tokens.
    store
        .create_session("h4", ib.id, "csrf4", now + TimeDelta::hours(1))
        .await
        .expect("session");
    store.remove_user("ib").await.expect("remove");
    assert!(store.session("h4", now).await.expect("session").is_none());
    assert!(store.user_by_token("t1").await.expect("token").is_none());
    assert!(matches!(store.remove_user("ib").await, Err(StoreError::NotFound)));
}
