//! OAuth2 client-credentials flow: tokens, scopes, expiry, per-school access, revocation.

use std::time::Duration;

use serde_json::Value;

use crate::common::{board, brin, get, token};

#[tokio::test]
async fn token_grants_access_until_it_expires() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "ps", &brin).await;
    let url = format!("{}/api/v1/scholen/{brin}/resultaten", board.parnassys_url());
    assert_eq!(get(&url, &t, &[]).await.0, 200);
    assert_eq!(get(&url, "not-a-token", &[]).await.0, 401);
    board.expire_tokens();
    let (status, body) = get(&url, &t, &[]).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
    let fresh = token(&board, "ps", &brin).await;
    assert_eq!(get(&url, &fresh, &[]).await.0, 200);
    board.shutdown().await;
}

#[tokio::test]
async fn zero_lifetime_tokens_are_expired_at_once() {
    let board = board().await;
    let brin = brin(&board);
    board.set_token_lifetime(Duration::ZERO);
    let t = token(&board, "lu", &brin).await;
    let url = format!("{}/api/v1/schools/{brin}/notes", board.leeruniek_url());
    assert_eq!(get(&url, &t, &[]).await.0, 401);
    board.shutdown().await;
}

#[tokio::test]
async fn token_endpoint_rejects_bad_clients_and_scopes() {
    let board = board().await;
    let brin = brin(&board);
    let creds = board.credentials(&brin).expect("creds");
    let client = reqwest::Client::new();
    let url = format!("{}/oauth/token", board.parnassys_url());
    let post = |form: Vec<(&'static str, String)>| client.post(&url).form(&form).send();
    let res = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", creds.parnassys.0.clone()),
        ("client_secret", "wrong".into()),
    ])
    .await
    .expect("send");
    assert_eq!(res.status(), 401);
    assert_eq!(
        res.json::<Value>().await.expect("json")["error"],
        "invalid_client"
    );
    // A Leeruniek client cannot get a ParnasSys token.
    let res = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", creds.leeruniek.0.clone()),
        ("client_secret", creds.leeruniek.1.clone()),
    ])
    .await
    .expect("send");
    assert_eq!(res.status(), 401);
    let res = post(vec![("grant_type", "password".into())]).await.expect("send");
    assert_eq!(
        res.json::<Value>().await.expect("json")["error"],
        "unsupported_grant_type"
    );
    let res = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", creds.parnassys.0.clone()),
        ("client_secret", creds.parnassys.1.clone()),
        ("scope", "resultaten.read admin".into()),
    ])
    .await
    .expect("send");
    assert_eq!(res.json::<Value>().await.expect("json")["error"], "invalid_scope");
    // Narrow scope: notes allowed, results forbidden.
    let res = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", creds.parnassys.0.clone()),
        ("client_secret", creds.parnassys.1.clone()),
        ("scope", "notities.read".into()),
    ])
    .await
    .expect("send");
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "notities.read");
    assert_eq!(v["expires_in"], 3600);
    let t = v["access_token"].as_str().expect("token");
    let base = board.parnassys_url();
    assert_eq!(
        get(&format!("{base}/api/v1/scholen/{brin}/notities"), t, &[])
            .await
            .0,
        200
    );
    let (status, body) = get(&format!("{base}/api/v1/scholen/{brin}/resultaten"), t, &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    // HTTP Basic client authentication works too.
    let res = client
        .post(&url)
        .basic_auth(&creds.parnassys.0, Some(&creds.parnassys.1))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 200);
    board.shutdown().await;
}

#[tokio::test]
async fn a_school_client_cannot_read_another_school_and_revocation_stops_it() {
    let board = board().await;
    let schools = board.schools();
    let (a, b) = (&schools[0], &schools[1]);
    let t = token(&board, "ps", a).await;
    let base = board.parnassys_url();
    let (status, body) = get(&format!("{base}/api/v1/scholen/{b}/resultaten"), &t, &[]).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("forbidden_school")));
    board.revoke_school(a).expect("revoke");
    assert_eq!(
        get(&format!("{base}/api/v1/scholen/{a}/resultaten"), &t, &[])
            .await
            .0,
        401
    );
    let creds = board.credentials(a).expect("creds");
    let res = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &creds.parnassys.0),
            ("client_secret", &creds.parnassys.1),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 401);
    board.restore_school(a).expect("restore");
    assert_eq!(
        get(&format!("{base}/api/v1/scholen/{a}/resultaten"), &t, &[])
            .await
            .0,
        200
    );
    board.shutdown().await;
}
