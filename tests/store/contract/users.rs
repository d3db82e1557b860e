//! Contract tests of the user side of the store: users, sessions, API tokens, login attempts.

use chrono::{TimeDelta, Utc};
use zorgsignaal::store::{NewUser, Role, StoreError};

use crate::harness::*;

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

    // Tokens: found while not expired, listed without secrets, revoked by id and by a new
    // password.
    let t1 = store
        .create_api_token("ib", "t1", "script", now + TimeDelta::days(30))
        .await
        .expect("token");
    assert_eq!(
        store.user_by_token("t1", now).await.expect("token").map(|u| u.id),
        Some(ib.id)
    );
    assert!(
        store
            .user_by_token("t1", now + TimeDelta::days(31))
            .await
            .expect("token")
            .is_none(),
        "expired"
    );
    assert!(store.user_by_token("t2", now).await.expect("token").is_none());
    assert!(matches!(
        store
            .create_api_token("nobody", "t3", "x", now + TimeDelta::days(1))
            .await,
        Err(StoreError::NotFound)
    ));
    let t4 = store
        .create_api_token("ib", "t4", "tweede", now + TimeDelta::days(1))
        .await
        .expect("token");
    let b1 = store
        .create_api_token("bestuur", "b1", "rapport", now - TimeDelta::minutes(5))
        .await
        .expect("expired token");
    let listed = store.api_tokens(None).await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|t| (t.id, t.username.as_str(), t.label.as_str()))
            .collect::<Vec<_>>(),
        [
            (b1, "bestuur", "rapport"),
            (t1, "ib", "script"),
            (t4, "ib", "tweede")
        ]
    );
    assert_eq!(store.api_tokens(Some("ib")).await.expect("list").len(), 2);
    assert_eq!(
        listed[1].expires_at.timestamp(),
        (now + TimeDelta::days(30)).timestamp()
    );
    store.revoke_api_token(t4).await.expect("revoke");
    assert!(store.user_by_token("t4", now).await.expect("token").is_none());
    assert!(matches!(
        store.revoke_api_token(t4).await,
        Err(StoreError::NotFound)
    ));
    store.set_password("ib", "$argon2id$newer").await.expect("passwd");
    assert!(
        store.user_by_token("t1", now).await.expect("token").is_none(),
        "a new password revokes the user's tokens"
    );
    assert!(store.api_tokens(Some("ib")).await.expect("list").is_empty());
    store
        .create_api_token("ib", "t5", "script", now + TimeDelta::days(30))
        .await
        .expect("token");

    // Login attempts: each is stored as failed before it is counted; the counts are per account
    // (every address) and per address (every account), inside the window, this one included.
    let since = now - TimeDelta::minutes(15);
    let old = store
        .begin_login_attempt(
            "ib",
            "10.0.0.1",
            now - TimeDelta::hours(1),
            now - TimeDelta::hours(2),
        )
        .await
        .expect("old");
    assert_eq!((old.account_failures, old.ip_failures), (1, 1));
    let mut last = None;
    for (name, ip) in [("ib", "10.0.0.1"), ("ib", "10.0.0.2"), ("other", "10.0.0.1")] {
        last = Some(
            store
                .begin_login_attempt(name, ip, now, since)
                .await
                .expect("attempt"),
        );
    }
    let gate = last.expect("gate");
    assert_eq!(
        (gate.account_failures, gate.ip_failures),
        (1, 2),
        "other@10.0.0.1"
    );
    let gate = store
        .begin_login_attempt("ib", "10.0.0.3", now, since)
        .await
        .expect("attempt");
    assert_eq!((gate.account_failures, gate.ip_failures), (3, 1));
    store.login_succeeded(gate.attempt_id).await.expect("success");
    let gate = store
        .begin_login_attempt("ib", "10.0.0.3", now, since)
        .await
        .expect("attempt");
    assert_eq!(
        (gate.account_failures, gate.ip_failures),
        (3, 1),
        "a success does not count as a failure"
    );

    // Pruning drops expired sessions and tokens and attempts before the cut-off, nothing else.
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
        pruned, 3,
        "session h5 (h2 went with the password change), token b1 and the hour-old attempt"
    );
    assert!(store.session("h6", now).await.expect("session").is_some());
    assert_eq!(store.api_tokens(None).await.expect("list").len(), 1);
    let gate = store
        .begin_login_attempt("ib", "10.0.0.9", now, now - TimeDelta::days(1))
        .await
        .expect("attempt");
    assert_eq!(
        gate.account_failures, 4,
        "the old attempt is gone, the others stay"
    );

    // Removing a user removes his sessions and tokens.
    store
        .create_session("h4", ib.id, "csrf4", now + TimeDelta::hours(1))
        .await
        .expect("session");
    store.remove_user("ib").await.expect("remove");
    assert!(store.session("h4", now).await.expect("session").is_none());
    assert!(store.user_by_token("t5", now).await.expect("token").is_none());
    assert!(store.api_tokens(None).await.expect("list").is_empty());
    assert!(matches!(store.remove_user("ib").await, Err(StoreError::NotFound)));
}

/// Dashboard visits (issue 17 item 4): a first view has no previous visit, views within half an
/// hour are one visit, a later view makes the last one the previous visit; per user and school;
/// removing the user removes his visits.
pub async fn dashboard_visits_per_user_and_school(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let ib = store.create_user(&new_user("ib", Role::Ib)).await.expect("user");
    let t0 = Utc::now() - TimeDelta::hours(5);
    assert_eq!(store.record_visit(ib.id, &brin(), t0).await.expect("first"), None);
    let reload = t0 + TimeDelta::minutes(20);
    assert_eq!(
        store.record_visit(ib.id, &brin(), reload).await.expect("reload"),
        None
    );
    let later = reload + TimeDelta::hours(2);
    let previous = store.record_visit(ib.id, &brin(), later).await.expect("later");
    assert_eq!(previous.map(|t| t.timestamp()), Some(reload.timestamp()));
    // Still the same visit a few minutes on: the previous visit stays.
    let again = store
        .record_visit(ib.id, &brin(), later + TimeDelta::minutes(5))
        .await
        .expect("again");
    assert_eq!(again.map(|t| t.timestamp()), Some(reload.timestamp()));
    // Another school is another page.
    assert_eq!(
        store
            .record_visit(ib.id, &other_brin(), later)
            .await
            .expect("other"),
        None
    );
    store.remove_user("ib").await.expect("remove");
    let ib = store
        .create_user(&new_user("ib", Role::Ib))
        .await
        .expect("user again");
    assert_eq!(
        store.record_visit(ib.id, &brin(), later).await.expect("new user"),
        None
    );
}

/// Group signals (issue 16 item 10): upserted by key, refreshed when the text changes, resolved
/// when no longer found, opened again when found again; per school.
pub async fn group_signals_upsert_resolve_and_reopen(ctx: Ctx) {
    use zorgsignaal::domain::{GroupSignal, LearningDomain, Severity, SignalStatus};
    use zorgsignaal::store::GroupSignalUpsert;
    let store = ctx.store.as_ref();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 2, 9).expect("date");
    let g = |key: &str, explanation: &str| GroupSignal {
        key: key.into(),
        rule: "plan_evaluation_due".into(),
        rule_version: 2,
        school: brin(),
        group_external_id: "g1".into(),
        domain: Some(LearningDomain::Mathematics),
        severity: Severity::Low,
        status: SignalStatus::Open,
        opened_on: day,
        explanation: explanation.into(),
        evidence: Vec::new(),
    };
    let a = g(
        "plan_evaluation_due/gg1/mathematics/plan1-2026-02-14",
        "Gepland op 14-02-2026.",
    );
    let b = g(
        "plan_evaluation_due/gg1/mathematics/plan2-2026-02-14",
        "Gepland op 14-02-2026.",
    );
    let GroupSignalUpsert::Created(id_a) = store.upsert_group_signal(&a).await.expect("a") else {
        panic!("a created")
    };
    assert!(matches!(
        store.upsert_group_signal(&b).await.expect("b"),
        GroupSignalUpsert::Created(_)
    ));
    assert_eq!(
        store.upsert_group_signal(&a).await.expect("again"),
        GroupSignalUpsert::Unchanged(id_a)
    );
    let changed = g(&a.key, "Gepland op 14-02-2026 (nieuwe tekst).");
    assert_eq!(
        store.upsert_group_signal(&changed).await.expect("changed"),
        GroupSignalUpsert::Updated(id_a)
    );
    assert!(
        store
            .group_signals(&other_brin(), None)
            .await
            .expect("other")
            .is_empty()
    );
    // Only `a` is still found: `b` is resolved.
    assert_eq!(
        store
            .resolve_group_signals_except(&brin(), std::slice::from_ref(&a.key))
            .await
            .expect("resolve"),
        1
    );
    let open = store
        .group_signals(&brin(), Some(SignalStatus::Open))
        .await
        .expect("open");
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].signal.explanation, changed.explanation);
    assert_eq!(open[0].signal.opened_on, day);
    assert_eq!(open[0].signal.group_external_id, "g1");
    // Found again: open again, under the same id.
    assert!(matches!(
        store.upsert_group_signal(&b).await.expect("b again"),
        GroupSignalUpsert::Updated(_)
    ));
    assert_eq!(
        store
            .group_signals(&brin(), Some(SignalStatus::Open))
            .await
            .expect("open")
            .len(),
        2
    );
    assert_eq!(store.group_signals(&brin(), None).await.expect("all").len(), 2);
}
