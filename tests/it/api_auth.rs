//! Authorisation of every route of the dashboard and the JSON API, CSRF, login rate limiting,
//! bearer tokens, and the signal lifecycle through the API with its audit rows.

use chrono::TimeDelta;
use serde_json::json;
use world::*;
use zorgsignaal::domain::SignalStatus;

use crate::common::api_world as world;

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn unauthenticated_pages_redirect_to_login_and_json_gets_401() {
    let w = World::spawn().await;
    let c = w.anonymous();
    let (a, b) = (w.a, w.b);
    for path in [
        "/".to_string(),
        "/scholen/11ZW".into(),
        format!("/leerlingen/{}", a.pupil),
        format!("/leerlingen/{}", b.pupil),
        "/beheer".into(),
        "/bestuur".into(),
    ] {
        let res = c.get(&path).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/login", "{path}");
    }
    for path in [
        format!("/signalen/{}/acknowledge", a.signal),
        "/logout".to_string(),
    ] {
        let res = c.post_form(&path, &[("csrf", "x")]).await;
        assert_eq!(res.status(), 303, "{path}");
        assert_eq!(location(&res), "/login", "{path}");
    }
    for path in [
        "/api/v1/me".to_string(),
        "/api/v1/schools/11ZW/overview".into(),
        format!("/api/v1/pupils/{}", a.pupil),
        format!("/api/v1/signals/{}", a.signal),
        "/api/v1/sync".into(),
        "/api/v1/outbox".into(),
        "/api/v1/board".into(),
        "/metrics".into(),
    ] {
        assert_eq!(c.get(&path).await.status(), 401, "{path}");
    }
    let res = c
        .post_json(
            &format!("/api/v1/signals/{}/acknowledge", a.signal),
            json!({}),
            false,
        )
        .await;
    assert_eq!(res.status(), 401);
    for path in ["/healthz", "/readyz", "/api/v1/openapi.json", "/login"] {
        assert_eq!(c.get(path).await.status(), 200, "{path}");
    }
    assert_eq!(
        w.store.signal(a.signal).await.expect("signal").signal.status,
        SignalStatus::Open
    );
}

#[tokio::test]
async fn ib_of_school_a_sees_nothing_of_school_b_even_by_guessing_ids() {
    let w = World::spawn().await;
    let c = w.login("ib_a").await;
    let (a, b) = (w.a, w.b);

    let own = c.get("/scholen/11ZW").await;
    assert_eq!(own.status(), 200);
    let html = own.text().await.expect("page");
    assert!(
        html.contains("Sanne de Vries") && !html.contains("Daan"),
        "{html}"
    );
    let own = c.get(&format!("/leerlingen/{}", a.pupil)).await;
    assert_eq!(own.status(), 200);
    let html = own.text().await.expect("page");
    assert!(html.contains("Dyslexieonderzoek overwegen"), "own task shown");
    assert!(html.contains("<svg"), "results chart");

    assert_eq!(c.get("/scholen/22AB").await.status(), 403);
    assert_eq!(c.get("/api/v1/schools/22AB/overview").await.status(), 403);
    // Every id of the other school, and every guessed id that is not school A's, is not found.
    for id in 1..=40_i64 {
        if id != a.pupil {
            assert_eq!(
                c.get(&format!("/leerlingen/{id}")).await.status(),
                404,
                "pupil {id}"
            );
            assert_eq!(
                c.get(&format!("/api/v1/pupils/{id}")).await.status(),
                404,
                "pupil {id}"
            );
        }
        if id != a.signal {
            assert_eq!(
                c.get(&format!("/api/v1/signals/{id}")).await.status(),
                404,
                "signal {id}"
            );
        }
    }
    for action in ["acknowledge", "snooze", "dismiss", "resolve"] {
        let res = c
            .post_form(
                &format!("/signalen/{}/{action}", b.signal),
                &[("csrf", &c.csrf), ("until", "2099-01-01"), ("reason", "x")],
            )
            .await;
        assert_eq!(res.status(), 404, "{action}");
        let res = c
            .post_json(
                &format!("/api/v1/signals/{}/{action}", b.signal),
                json!({"until": "2099-01-01", "reason": "x"}),
                true,
            )
            .await;
        assert_eq!(res.status(), 404, "{action}");
    }
    let other = w.store.signal(b.signal).await.expect("signal").signal;
    assert_eq!((other.status, other.snoozed_until), (SignalStatus::Open, None));
    // Tasks of school B never show: the own pupil page lists only its own task, the outbox is
    // for operators.
    let detail: serde_json::Value = c
        .get(&format!("/api/v1/pupils/{}", a.pupil))
        .await
        .json()
        .await
        .expect("json");
    let tasks = detail["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["id"], a.outbox);
    for path in ["/beheer", "/bestuur"] {
        assert_eq!(c.get(path).await.status(), 403, "{path}");
    }
    for path in ["/api/v1/sync", "/api/v1/outbox", "/api/v1/board", "/metrics"] {
        assert_eq!(c.get(path).await.status(), 403, "{path}");
    }
}

#[tokio::test]
async fn board_and_operator_never_see_pupil_data() {
    let w = World::spawn().await;
    let (a, b) = (w.a, w.b);
    for user in ["bestuur", "beheer"] {
        let c = w.login(user).await;
        for path in [
            "/scholen/11ZW".to_string(),
            "/scholen/22AB".into(),
            format!("/leerlingen/{}", a.pupil),
            format!("/leerlingen/{}", b.pupil),
            "/api/v1/schools/11ZW/overview".into(),
            format!("/api/v1/pupils/{}", a.pupil),
            format!("/api/v1/signals/{}", b.signal),
        ] {
            assert_eq!(c.get(&path).await.status(), 403, "{user} {path}");
        }
        let res = c
            .post_form(
                &format!("/signalen/{}/acknowledge", a.signal),
                &[("csrf", &c.csrf)],
            )
            .await;
        assert_eq!(res.status(), 403, "{user}");
    }
    let board = w.login("bestuur").await;
    let page = board.get("/bestuur").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    assert!(html.contains("De Regenboog") && html.contains("Het Kompas"));
    let json = board.get("/api/v1/board").await.text().await.expect("json");
    for text in [&html, &json] {
        for name in ["Sanne", "Daan", "Vries", "Dyslexieonderzoek"] {
            assert!(!text.contains(name), "board sees {name}");
        }
    }
    let rows: serde_json::Value = serde_json::from_str(&json).expect("json");
    // One high signal per school: a small count, suppressed as in the board report.
    assert_eq!(rows[0]["high"], "<5");
    assert_eq!(rows[0]["medium"], 0);
    let last = rows.as_array().and_then(|r| r.last()).expect("rows");
    assert_eq!(last["school"], "TOTAAL");
    assert!(!html.contains("<td>1</td>"), "no small count on the page: {html}");
    assert_eq!(board.get("/beheer").await.status(), 403);

    let op = w.login("beheer").await;
    let page = op.get("/beheer").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    let outbox = op.get("/api/v1/outbox").await.text().await.expect("json");
    for text in [&html, &outbox] {
        for name in ["Sanne", "Daan", "Vries", "Dyslexieonderzoek"] {
            assert!(!text.contains(name), "operator sees {name}");
        }
    }
    assert_eq!(op.get("/api/v1/sync").await.status(), 200);
    assert_eq!(op.get("/metrics").await.status(), 200);
    assert_eq!(op.get("/bestuur").await.status(), 403);
}

#[tokio::test]
async fn state_changing_posts_without_the_csrf_token_are_rejected() {
    let w = World::spawn().await;
    let c = w.login("ib_a").await;
    let path = format!("/signalen/{}/acknowledge", w.a.signal);
    assert_eq!(c.post_form(&path, &[]).await.status(), 403);
    assert_eq!(c.post_form(&path, &[("csrf", "wrong")]).await.status(), 403);
    let api = format!("/api/v1/signals/{}/acknowledge", w.a.signal);
    assert_eq!(c.post_json(&api, json!({}), false).await.status(), 403);
    assert_eq!(c.post_form("/logout", &[]).await.status(), 403);
    assert_eq!(
        w.store.signal(w.a.signal).await.expect("signal").signal.status,
        SignalStatus::Open
    );
    // The login form needs its double-submit token too.
    let res = c
        .post_form("/login", &[("username", "ib_a"), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 403);

    let res = c.post_form(&path, &[("csrf", &c.csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        w.store.signal(w.a.signal).await.expect("signal").signal.status,
        SignalStatus::Acknowledged
    );
    // Logging out ends the session.
    assert_eq!(c.post_form("/logout", &[("csrf", &c.csrf)]).await.status(), 303);
    assert_eq!(c.get("/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn lifecycle_actions_change_the_store_and_are_audited() {
    let w = World::spawn().await;
    let c = w.login("ib_a").await;
    let id = w.a.signal;
    assert_eq!(c.get(&format!("/leerlingen/{}", w.a.pupil)).await.status(), 200);

    let until = zorgsignaal::app::today_amsterdam() + TimeDelta::days(30);
    let res = c
        .post_json(
            &format!("/api/v1/signals/{id}/snooze"),
            json!({"until": until}),
            true,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        w.store.signal(id).await.expect("signal").signal.snoozed_until,
        Some(until)
    );
    let res = c
        .post_json(
            &format!("/api/v1/signals/{id}/snooze"),
            json!({"until": "2000-01-01"}),
            true,
        )
        .await;
    assert_eq!(res.status(), 400, "past dates are refused");
    let res = c
        .post_json(&format!("/api/v1/signals/{id}/acknowledge"), json!({}), true)
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "acknowledged");
    let res = c
        .post_json(&format!("/api/v1/signals/{id}/acknowledge"), json!({}), true)
        .await;
    assert_eq!(res.status(), 409, "acknowledged twice");
    let res = c
        .post_form(
            &format!("/signalen/{id}/dismiss"),
            &[("csrf", &c.csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(res.status(), 400, "dismissing needs a reason");
    let res = c
        .post_form(
            &format!("/signalen/{id}/dismiss"),
            &[("csrf", &c.csrf), ("reason", "Al onderzocht door logopedie")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let row = w.store.signal(id).await.expect("signal").signal;
    assert_eq!(row.status, SignalStatus::Dismissed);
    assert_eq!(
        row.dismissed_reason.as_deref(),
        Some("Al onderzocht door logopedie")
    );

    let audit = w.store.audit_entries(100).await.expect("audit");
    let mine: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.actor == "ib_a")
        .map(|e| (e.action.as_str(), e.subject.as_str()))
        .collect();
    let pupil = format!("pupil:{}", w.a.pupil);
    let signal = format!("signal:{id}");
    for expected in [
        ("pupil.view", pupil.as_str()),
        ("signal.snooze", signal.as_str()),
        ("signal.acknowledged", signal.as_str()),
        ("signal.dismissed", signal.as_str()),
    ] {
        assert!(mine.contains(&expected), "{expected:?} missing from {mine:?}");
    }
}

#[tokio::test]
async fn logins_are_limited_per_account_from_every_address() {
    let w = World::spawn().await;
    let attacker = w.anonymous_from("127.0.0.2");
    for _ in 0..5 {
        assert_eq!(attacker.login("ib_a", "fout wachtwoord").await.status(), 401);
    }
    let res = attacker.login("ib_a", PASSWORD).await;
    assert_eq!(res.status(), 429, "the right password is refused while limited");
    assert!(cookie_value(&res, "zs_session").is_none());
    // Another loopback address does not start afresh for the same account.
    let res = w.anonymous_from("127.0.0.3").login("ib_a", PASSWORD).await;
    assert_eq!(res.status(), 429, "the account is limited from every address");
    // Another account is not affected.
    assert_eq!(attacker.login("ib_b", PASSWORD).await.status(), 303);

    // Failed and refused logins are in the audit log, under the account's name.
    let audit = w.store.audit_entries(100).await.expect("audit");
    let count = |action: &str| {
        audit
            .iter()
            .filter(|e| e.actor == "ib_a" && e.action == action)
            .count()
    };
    assert_eq!(count("login.failed"), 5);
    assert_eq!(count("login.refused"), 2);
}

#[tokio::test]
async fn logins_are_limited_per_address_for_every_account() {
    let w = World::spawn_with(zorgsignaal::settings::ApiSettings {
        login_max_failures_per_ip: 4,
        ..Default::default()
    })
    .await;
    let spray = w.anonymous_from("127.0.0.4");
    for name in ["ib_a", "ib_b", "bestuur", "iemand"] {
        assert_eq!(spray.login(name, "fout wachtwoord").await.status(), 401);
    }
    let res = spray.login("directie_a", PASSWORD).await;
    assert_eq!(res.status(), 429, "the address is limited for every account");
    assert_eq!(
        w.anonymous_from("127.0.0.5")
            .login("directie_a", PASSWORD)
            .await
            .status(),
        303,
        "other addresses are not"
    );
    // An unknown name is audited without the typed name (it may be a mistyped password).
    let audit = w.store.audit_entries(100).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "login.failed" && e.actor == "-" && e.subject == "user:unknown")
    );
    assert!(!audit.iter().any(|e| e.actor == "iemand"));
}

#[tokio::test]
async fn parallel_bad_logins_cannot_outrun_the_limit() {
    let w = World::spawn().await;
    let c = std::sync::Arc::new(w.anonymous_from("127.0.0.6"));
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.login("ib_a", "fout wachtwoord").await.status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(unauthorized + limited, 30, "{statuses:?}");
    assert!(
        unauthorized <= 5,
        "at most login_max_failures passwords checked: {statuses:?}"
    );
    assert_eq!(limited, 30 - unauthorized);
}

#[tokio::test]
async fn expired_and_revoked_tokens_are_refused() {
    let w = World::spawn().await;
    let now = chrono::Utc::now();
    let hash = |t: &str| zorgsignaal::api::auth::token_hash(t);
    let http = reqwest::Client::new();
    let me = |token: &'static str| {
        http.get(format!("{}/api/v1/me", w.base))
            .bearer_auth(token)
            .send()
    };
    w.store
        .create_api_token("beheer", &hash("old"), "oud", now - TimeDelta::seconds(1))
        .await
        .expect("expired token");
    let live = w
        .store
        .create_api_token("beheer", &hash("live"), "nieuw", now + TimeDelta::days(1))
        .await
        .expect("token");
    assert_eq!(me("old").await.expect("get").status(), 401, "expired");
    assert_eq!(me("live").await.expect("get").status(), 200);
    w.store.revoke_api_token(live).await.expect("revoke");
    assert_eq!(me("live").await.expect("get").status(), 401, "revoked");
}

#[tokio::test]
async fn bearer_tokens_work_without_csrf_and_with_the_same_authorisation() {
    let w = World::spawn().await;
    let token = zorgsignaal::api::auth::random_token();
    w.store
        .create_api_token(
            "ib_a",
            &zorgsignaal::api::auth::token_hash(&token),
            "test",
            chrono::Utc::now() + TimeDelta::days(1),
        )
        .await
        .expect("token");
    let http = reqwest::Client::new();
    let get = |path: String| http.get(format!("{}{path}", w.base)).bearer_auth(&token).send();
    assert_eq!(
        get(format!("/api/v1/pupils/{}", w.a.pupil))
            .await
            .expect("get")
            .status(),
        200
    );
    assert_eq!(
        get(format!("/api/v1/pupils/{}", w.b.pupil))
            .await
            .expect("get")
            .status(),
        404
    );
    let res = http
        .post(format!("{}/api/v1/signals/{}/resolve", w.base, w.a.signal))
        .bearer_auth(&token)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    assert_eq!(
        w.store.signal(w.a.signal).await.expect("signal").signal.status,
        SignalStatus::Resolved
    );
    let res = http
        .get(format!("{}/api/v1/me", w.base))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn session_cookies_are_secure_unless_explicitly_on_plain_loopback_http() {
    for (public_url, secure) in [
        ("http://127.0.0.1:8080", false),
        ("http://localhost:8080", false),
        ("http://[::1]:8080", false),
        ("https://zorg.example.nl", true),
        ("http://zorg.example.nl", true),
        ("http://10.0.0.5:8080", true),
    ] {
        let w = World::spawn_with(zorgsignaal::settings::ApiSettings {
            public_url: public_url.into(),
            ..Default::default()
        })
        .await;
        let res = w.anonymous().login("ib_a", PASSWORD).await;
        assert_eq!(res.status(), 303);
        let set = res
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("zs_session="))
            .expect("session cookie")
            .to_string();
        assert!(set.contains("HttpOnly"), "{set}");
        assert!(set.contains("SameSite=Strict"), "{set}");
        assert_eq!(set.contains("Secure"), secure, "{public_url}: {set}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_pupil_data_is_not_cached() {
    let w = World::spawn().await;
    let anon = w.anonymous();
    let ib = w.login("ib_a").await;
    let pupil_page = format!("/leerlingen/{}", w.a.pupil);
    let pupil_json = format!("/api/v1/pupils/{}", w.a.pupil);
    let responses = [
        ("/login", anon.get("/login").await),
        ("/ (redirect)", anon.get("/").await),
        ("/healthz", anon.get("/healthz").await),
        ("/scholen/11ZW", ib.get("/scholen/11ZW").await),
        ("pupil page", ib.get(&pupil_page).await),
        ("pupil json", ib.get(&pupil_json).await),
        ("404 page", ib.get("/leerlingen/999999").await),
    ];
    for (what, res) in &responses {
        let h = res.headers();
        let get = |name: &str| {
            h.get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let csp = get("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert_eq!(get("x-frame-options"), "DENY", "{what}");
        assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(get("cache-control"), "no-store", "{what}");
    }
    // No inline script or style anywhere: the pages link the stylesheet, which is served.
    let html = ib.get(&pupil_page).await.text().await.expect("page");
    assert!(html.contains("<svg"), "chart present");
    for inline in ["<script", "<style", "style=", " on"] {
        let found = html.match_indices(inline).any(|(i, _)| {
            // " on" only counts as an event handler attribute (onclick=, onload=, ...).
            inline != " on"
                || html[i + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count()
                    > 0
                    && html[i + 3..]
                        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                        .starts_with('=')
        });
        assert!(!found, "inline {inline:?} in the pupil page");
    }
    let css = anon.get("/static/zorgsignaal.css").await;
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/css")
    );
    assert!(css.text().await.expect("css").contains(".card"));
    assert!(html.contains("href=\"/static/zorgsignaal.css\""));
}

#[tokio::test]
async fn snoozing_is_limited_to_the_horizon_and_reasons_are_capped() {
    let w = World::spawn_with(zorgsignaal::settings::ApiSettings {
        snooze_max: std::time::Duration::from_secs(30 * 86_400),
        ..Default::default()
    })
    .await;
    let c = w.login("ib_a").await;
    let today = zorgsignaal::app::today_amsterdam();
    let id = w.a.signal;
    let too_far = (today + TimeDelta::days(31)).to_string();
    let res = c
        .post_json(
            &format!("/api/v1/signals/{id}/snooze"),
            json!({"until": too_far}),
            true,
        )
        .await;
    assert_eq!(res.status(), 400);
    let res = c
        .post_form(
            &format!("/signalen/{id}/snooze"),
            &[("csrf", &c.csrf), ("until", "2099-01-01")],
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        w.store.signal(id).await.expect("signal").signal.snoozed_until,
        None
    );
    let within = today + TimeDelta::days(30);
    let res = c
        .post_json(
            &format!("/api/v1/signals/{id}/snooze"),
            json!({"until": within.to_string()}),
            true,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        w.store.signal(id).await.expect("signal").signal.snoozed_until,
        Some(within)
    );

    let long = "x".repeat(zorgsignaal::api::views::MAX_REASON_CHARS + 1);
    let res = c
        .post_json(
            &format!("/api/v1/signals/{id}/dismiss"),
            json!({"reason": long}),
            true,
        )
        .await;
    assert_eq!(res.status(), 400);
    assert_ne!(
        w.store.signal(id).await.expect("signal").signal.status,
        SignalStatus::Dismissed
    );
    let fits = "x".repeat(zorgsignaal::api::views::MAX_REASON_CHARS);
    let res = c
        .post_json(
            &format!("/api/v1/signals/{id}/dismiss"),
            json!({"reason": fits}),
            true,
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn directie_works_its_own_school_and_sees_only_its_aggregates() {
    let w = World::spawn().await;
    let c = w.login("directie_a").await;
    assert_eq!(c.get(&format!("/leerlingen/{}", w.a.pupil)).await.status(), 200);
    assert_eq!(c.get(&format!("/leerlingen/{}", w.b.pupil)).await.status(), 404);
    let board: serde_json::Value = c.get("/api/v1/board").await.json().await.expect("json");
    let schools: Vec<&str> = board
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["school"].as_str())
        .collect();
    assert_eq!(schools, ["11ZW"]);
    assert_eq!(c.get("/beheer").await.status(), 403);
}

#[tokio::test]
async fn user_data_on_pages_is_escaped() {
    let w = World::spawn().await;
    let mut s = w.store.signal(w.a.signal).await.expect("signal").signal;
    s.key = "xss".into();
    s.explanation = "<script>alert('x')</script>".into();
    w.store.upsert_signal(&s, w.a.pupil).await.expect("signal");
    let c = w.login("ib_a").await;
    let html = c
        .get(&format!("/leerlingen/{}", w.a.pupil))
        .await
        .text()
        .await
        .expect("page");
    assert!(!html.contains("<script>alert"), "unescaped");
    // askama's HTML escaper (issue 13: one escaping rule for every page, report and chart).
    assert!(html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
}

#[tokio::test]
async fn metrics_count_requests_per_route_for_the_operator() {
    // The test runtime is single-threaded, so a thread-local recorder sees the server's requests.
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _guard = metrics::set_default_local_recorder(&recorder);
    let w = World::spawn_full(Default::default(), Some(handle)).await;
    let op = w.login("beheer").await;
    assert_eq!(op.get("/healthz").await.status(), 200);
    let ib = w.login("ib_a").await;
    assert_eq!(ib.get("/metrics").await.status(), 403);
    let body = op.get("/metrics").await.text().await.expect("metrics");
    assert!(
        body.contains("zorgsignaal_api_requests_total{route=\"/healthz\",status=\"2xx\"} 1"),
        "{body}"
    );
    assert!(body.contains("route=\"/metrics\",status=\"4xx\""), "{body}");
    assert!(!body.contains("/leerlingen/1"), "ids never become labels");
}

/// The pupil's second, newer signal (rekenen, medium), stored now.
async fn second_signal(w: &World) -> i64 {
    use zorgsignaal::domain::{LearningDomain, Severity, Signal};
    let today = zorgsignaal::app::today_amsterdam();
    let signal = Signal {
        key: "lowest_level_repeated/p1/mathematics/r9".into(),
        rule: "lowest_level_repeated".into(),
        rule_version: 2,
        school: brin_a(),
        pupil_external_id: "p1".into(),
        domain: Some(LearningDomain::Mathematics),
        severity: Severity::Medium,
        status: SignalStatus::Open,
        opened_on: today,
        explanation: "Twee opeenvolgende hoofdmetingen rekenen-wiskunde op niveau V of lager (M5 V, E5 V)."
            .into(),
        evidence: Vec::new(),
        eed_criterion: None,
        snoozed_until: None,
        dismissed_reason: None,
    };
    w.store
        .upsert_signal(&signal, w.a.pupil)
        .await
        .expect("signal")
        .id()
}

/// The text a reader sees: the page without its tags (attribute values are for programs).
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn user_id(users: &[zorgsignaal::store::User], name: &str) -> i64 {
    users
        .iter()
        .find(|u| u.username == name)
        .map(|u| u.id)
        .expect("user")
}

/// Issue 17 item 4: the IB's start page says what is new since her previous visit (a visit being
/// views without a half-hour gap, so a reload does not empty it), then lists every open signal by
/// priority, all in Dutch: no rule id and no English state on the page.
#[tokio::test]
async fn the_start_page_shows_what_is_new_since_the_previous_visit_then_open_signals_by_priority() {
    let w = World::spawn().await;
    let c = w.login("ib_a").await;
    let html = c.get("/scholen/11ZW").await.text().await.expect("page");
    assert!(html.contains("Nieuw sinds uw vorige bezoek"), "{html}");
    assert!(html.contains("Dit is uw eerste bezoek"), "{html}");
    assert!(html.contains("Open signalen op prioriteit") && html.contains("Prioriteit hoog (1)"));
    assert!(html.contains("drie keer V(E) op DMT") && html.contains("woordlezen (DMT)"));
    // A reload within the visit is the same visit.
    let html = c.get("/scholen/11ZW").await.text().await.expect("page");
    assert!(html.contains("Dit is uw eerste bezoek"), "{html}");

    // A previous visit between the first signal and a second one: only the second is new. The
    // store is told of two visits an hour apart; the page view continues the latest.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = second_signal(&w).await;
    let users = w.store.users().await.expect("users");
    let ib = user_id(&users, "ib_a");
    let directie = user_id(&users, "directie_a");
    for user in [ib, directie] {
        w.store
            .record_visit(user, &brin_a(), between - TimeDelta::hours(3))
            .await
            .expect("visit");
        w.store
            .record_visit(user, &brin_a(), between)
            .await
            .expect("visit");
        w.store
            .record_visit(user, &brin_a(), between + TimeDelta::hours(1))
            .await
            .expect("visit");
    }
    let html = c.get("/scholen/11ZW").await.text().await.expect("page");
    let (new, rest) = html
        .split_once("Open signalen op prioriteit")
        .expect("both sections");
    let new = new
        .split_once("Nieuw sinds uw vorige bezoek")
        .expect("new section")
        .1;
    let local = between.with_timezone(&chrono_tz::Europe::Amsterdam);
    assert!(
        new.contains(&format!("Uw vorige bezoek: {}", local.format("%d-%m-%Y"))),
        "{new}"
    );
    assert!(new.contains("1 nieuw signaal sinds uw vorige bezoek"), "{new}");
    assert!(
        new.contains("herhaald laagste niveau") && new.contains(&format!("signaal-{second}")),
        "{new}"
    );
    assert!(
        !new.contains("drie keer V(E) op DMT"),
        "the older signal is not new: {new}"
    );
    // Open signals by priority, each with its Dutch label and state; a bespreekpunt (two V's in
    // a row) is listed under its group for the groepsbespreking instead (issue 17).
    let high = rest.find("Prioriteit hoog (1)").expect("high");
    let points = rest.find("Bespreekpunten per groep").expect("bespreekpunten");
    assert!(high < points);
    assert!(!rest.contains("Prioriteit middel"), "{rest}");
    assert!(rest[high..points].contains("drie keer V(E) op DMT"));
    assert!(rest[points..].contains("herhaald laagste niveau") && rest[points..].contains(">open<"));
    assert!(
        rest[points..].contains("1 bespreekpunt voor de groeps- of leerlingbespreking"),
        "{rest}"
    );
    let text = visible_text(&html);
    for english in [
        "dmt_three_lowest",
        "lowest_level_repeated",
        "acknowledged",
        "word_reading",
        "medium",
    ] {
        assert!(!text.contains(english), "{english} on the page: {text}");
    }
    // Group-plan reminders (issue 16 item 10) have their own section, by group name.
    assert!(
        !html.contains("Groepsplannen"),
        "no section without group signals"
    );
    let reminder = zorgsignaal::domain::GroupSignal {
        key: "plan_evaluation_due/gg5/mathematics/plan7-2026-03-02".into(),
        rule: "plan_evaluation_due".into(),
        rule_version: 2,
        school: brin_a(),
        group_external_id: "g5".into(),
        domain: Some(zorgsignaal::domain::LearningDomain::Mathematics),
        severity: zorgsignaal::domain::Severity::Low,
        status: SignalStatus::Open,
        opened_on: zorgsignaal::app::today_amsterdam(),
        explanation: "De evaluatie van het groepsplan 'Rekenen E' staat gepland op 02-03-2026.".into(),
        evidence: Vec::new(),
    };
    w.store
        .upsert_group_signal(&reminder)
        .await
        .expect("group signal");
    let html = c.get("/scholen/11ZW").await.text().await.expect("page");
    let groups = html
        .split_once("<h2 id=\"groepsplannen\">Groepsplannen</h2>")
        .expect("section")
        .1;
    assert!(
        groups.contains("Groep 5")
            && groups.contains("evaluatie plan binnenkort")
            && groups.contains("&#39;Rekenen E&#39;"),
        "{groups}"
    );
    // The directie of the school has visits of her own: untouched by the IB's views.
    let d = w.login("directie_a").await;
    let html = d.get("/scholen/11ZW").await.text().await.expect("page");
    assert!(html.contains("1 nieuw signaal sinds uw vorige bezoek"), "{html}");

    // After acknowledging, the state reads "in behandeling".
    let res = c
        .post_form(
            &format!("/signalen/{}/acknowledge", w.a.signal),
            &[("csrf", &c.csrf)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = c.get("/scholen/11ZW").await.text().await.expect("page");
    assert!(html.contains(">in behandeling<"), "{html}");
    assert!(!visible_text(&html).contains("acknowledged"));
}

/// Issue 17 item 4: the pupil page lists every signal of the pupil (open first by priority, then
/// the handled ones) with Dutch labels, each linking to its card.
#[tokio::test]
async fn the_pupil_page_lists_every_signal_of_the_pupil_in_dutch() {
    let w = World::spawn().await;
    let second = second_signal(&w).await;
    let c = w.login("ib_a").await;
    let res = c
        .post_form(&format!("/signalen/{second}/resolve"), &[("csrf", &c.csrf)])
        .await;
    assert_eq!(res.status(), 303);
    let html = c
        .get(&format!("/leerlingen/{}", w.a.pupil))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("Signalen (2)"), "{html}");
    let table = html
        .split_once("Alle signalen van deze leerling")
        .expect("the list")
        .1;
    let open = table.find("drie keer V(E) op DMT").expect("open signal listed");
    let handled = table
        .find("herhaald laagste niveau")
        .expect("handled signal listed");
    assert!(open < handled, "open ones first");
    assert!(table.contains(&format!("href=\"#signaal-{second}\"")));
    assert!(table.contains(">afgehandeld<") && table.contains(">open<"));
    let text = visible_text(&html);
    for english in [
        "dmt_three_lowest",
        "lowest_level_repeated",
        "resolved",
        "mathematics",
        "parnassys",
    ] {
        assert!(!text.contains(english), "{english} on the page: {text}");
    }
    // The task's due date is Dutch and its target named as the school knows it.
    assert!(
        html.contains("01-03-2026") && html.contains("ParnasSys"),
        "{html}"
    );
}

/// Issue 16 item 14: every page a school user reads — the school overview, a pupil's page with
/// the results chart, the board and operator pages — has Dutch dates, decimal commas and singular
/// and plural right, and shows no rule id or English state or event name.
#[tokio::test]
async fn every_page_reads_dutch() {
    use zorgsignaal::rules::text::{dutch_text_problems, html_visible_text};
    let w = World::spawn().await;
    seed_showcase(w.store.as_ref()).await;
    let ib = w.login("ib_a").await;
    // A lifecycle event on the pupil's timeline.
    let res = ib
        .post_form(
            &format!("/signalen/{}/acknowledge", w.a.signal),
            &[("csrf", &ib.csrf)],
        )
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());
    let pages = [
        (&ib, "/scholen/11ZW".to_string()),
        (&ib, format!("/leerlingen/{}", w.a.pupil)),
    ];
    let board = w.login("bestuur").await;
    let op = w.login("beheer").await;
    let mut seen = Vec::new();
    for (c, path) in pages
        .into_iter()
        .chain([(&board, "/bestuur".to_string()), (&op, "/beheer".to_string())])
    {
        let res = c.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.expect("page");
        let visible = html_visible_text(&html);
        assert_eq!(
            dutch_text_problems(&visible),
            Vec::<String>::new(),
            "{path}: {visible}"
        );
        for english in [
            "dmt_three_lowest",
            "eed_check",
            "signal_without_plan",
            "acknowledged",
            "status_changed",
            "word_reading",
        ] {
            assert!(!visible.contains(english), "{path} shows {english:?}: {visible}");
        }
        seen.push(html);
    }
    assert!(seen[1].contains("<svg"), "the pupil page has its results chart");
}
