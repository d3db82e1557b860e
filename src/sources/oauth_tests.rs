//! Tests of the OAuth2 token source against scripted loopback token and API servers.

use std::time::Duration;

use base64::Engine;
use futures::future::join_all;
use secrecy::SecretString;
use serde_json::Value;

use super::*;
use crate::sources::http::{HttpClient, HttpConfig, RequestSpec};
use crate::sources::test_support::{Reply, Script, serve, token_reply};

const SCHOOL: &str = "11ZW";
const CLIENT_SECRET: &str = "client-secret-Zx9";

fn http() -> HttpClient {
    let config = HttpConfig {
        retry_min_delay: Duration::from_millis(100),
        ..HttpConfig::default()
    };
    HttpClient::new("test", config).expect("client builds")
}

fn source(http: &HttpClient, token_base: &str, auth: ClientAuth) -> TokenSource {
    let config = OAuthConfig {
        token_url: format!("{token_base}/oauth/token"),
        client_id: "zorgsignaal".into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        scopes: vec!["results.read".into(), "tasks.write".into()],
        skew: Duration::from_secs(10),
        auth,
    };
    TokenSource::new("test", http.reqwest(), config).expect("valid token URL")
}

fn ok_json() -> Reply {
    Reply::new(200, r#"{"ok":true}"#)
}

async fn get(http: &HttpClient, base: &str, tokens: &TokenSource) -> Result<Value, SourceError> {
    http.get_json(
        SCHOOL,
        RequestSpec::new(format!("{base}/api/results")).bearer(tokens),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn the_token_is_cached_across_calls_and_refreshed_before_expiry() {
    let token_server = Script::new([token_reply("tok-1", 60), token_reply("tok-2", 60)]);
    let api = Script::new([ok_json()]);
    let (token_base, base) = (serve(token_server.clone()).await, serve(api.clone()).await);
    let http = http();
    let tokens = source(&http, &token_base, ClientAuth::BasicHeader);

    get(&http, &base, &tokens).await.expect("first call");
    get(&http, &base, &tokens).await.expect("second call");
    assert_eq!(token_server.hits(), 1, "cached");
    // Valid 60 s, refreshed 10 s early: still cached at 49 s, renewed at 50 s.
    tokio::time::advance(Duration::from_secs(49)).await;
    get(&http, &base, &tokens).await.expect("third call");
    assert_eq!(token_server.hits(), 1);
    tokio::time::advance(Duration::from_secs(1)).await;
    get(&http, &base, &tokens).await.expect("fourth call");
    assert_eq!(token_server.hits(), 2);
    assert_eq!(
        api.authorizations(),
        ["Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    );
}

#[tokio::test(start_paused = true)]
async fn client_credentials_go_in_a_basic_header_or_the_form_body() {
    let token_server = Script::new([token_reply("tok-1", 3600)]);
    let token_base = serve(token_server.clone()).await;
    let http = http();
    source(&http, &token_base, ClientAuth::BasicHeader)
        .token()
        .await
        .map(|_| ())
        .expect("token");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("zorgsignaal:{CLIENT_SECRET}"));
    assert_eq!(token_server.authorizations()[0], format!("Basic {basic}"));
    let form = &token_server.bodies()[0];
    assert!(
        form.contains("grant_type=client_credentials") && form.contains("scope=results.read+tasks.write")
    );
    assert!(!form.contains(CLIENT_SECRET));

    source(&http, &token_base, ClientAuth::RequestBody)
        .token()
        .await
        .map(|_| ())
        .expect("token");
    assert_eq!(token_server.authorizations()[1], "");
    assert!(token_server.bodies()[1].contains(&format!("client_secret={CLIENT_SECRET}")));
}

#[tokio::test(start_paused = true)]
async fn concurrent_callers_share_one_refresh() {
    let token_server = Script::new([token_reply("tok-1", 3600)]);
    let token_base = serve(token_server.clone()).await;
    let http = http();
    let tokens = source(&http, &token_base, ClientAuth::BasicHeader);
    let results = join_all((0..8).map(|_| tokens.token())).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(token_server.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn invalidate_forces_a_new_token() {
    let token_server = Script::new([token_reply("tok-1", 3600), token_reply("tok-2", 3600)]);
    let token_base = serve(token_server.clone()).await;
    let http = http();
    let tokens = source(&http, &token_base, ClientAuth::BasicHeader);
    assert_eq!(
        tokens
            .token()
            .await
            .map(|t| t.expose().to_owned())
            .expect("token"),
        "tok-1"
    );
    tokens.invalidate().await;
    assert_eq!(
        tokens
            .token()
            .await
            .map(|t| t.expose().to_owned())
            .expect("token"),
        "tok-2"
    );
}

#[tokio::test(start_paused = true)]
async fn a_401_refreshes_the_token_once_and_then_succeeds() {
    let token_server = Script::new([token_reply("tok-old", 3600), token_reply("tok-new", 3600)]);
    let api = Script::new([Reply::new(401, ""), ok_json()]);
    let (token_base, base) = (serve(token_server.clone()).await, serve(api.clone()).await);
    let http = http();
    let tokens = source(&http, &token_base, ClientAuth::BasicHeader);
    let value = get(&http, &base, &tokens)
        .await
        .expect("succeeds after one refresh");
    assert_eq!(value["ok"], true);
    assert_eq!(token_server.hits(), 2);
    assert_eq!(api.authorizations(), ["Bearer tok-old", "Bearer tok-new"]);
}

#[tokio::test(start_paused = true)]
async fn a_second_401_fails_with_unauthorized_without_more_refreshes() {
    let token_server = Script::new([token_reply("tok-1", 3600), token_reply("tok-2", 3600)]);
    let api = Script::new([Reply::new(401, "")]);
    let (token_base, base) = (serve(token_server.clone()).await, serve(api.clone()).await);
    let http = http();
    let tokens = source(&http, &token_base, ClientAuth::BasicHeader);
    assert_eq!(
        get(&http, &base, &tokens).await.expect_err("still 401"),
        SourceError::Unauthorized
    );
    assert_eq!(token_server.hits(), 2);
    assert_eq!(api.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn invalid_client_at_the_token_endpoint_means_revoked_and_is_not_retried() {
    for code in ["invalid_client", "unauthorized_client"] {
        let body = format!(r#"{{"error":"{code}","error_description":"key withdrawn"}}"#);
        let token_server = Script::new([Reply::new(401, body).header("content-type", "application/json")]);
        let api = Script::new([ok_json()]);
        let (token_base, base) = (serve(token_server.clone()).await, serve(api.clone()).await);
        let http = http();
        let tokens = source(&http, &token_base, ClientAuth::BasicHeader);
        let err = get(&http, &base, &tokens).await.expect_err("revoked");
        assert!(
            matches!(&err, SourceError::Revoked { reason } if reason.contains(code)),
            "{err}"
        );
        assert!(!err.is_transient());
        assert_eq!(token_server.hits(), 1, "no retry loop on a revoked credential");
        assert_eq!(api.hits(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn other_token_endpoint_refusals_are_permanent() {
    let body = r#"{"error":"invalid_scope"}"#;
    let token_server = Script::new([Reply::new(400, body).header("content-type", "application/json")]);
    let token_base = serve(token_server.clone()).await;
    let err = source(&http(), &token_base, ClientAuth::BasicHeader)
        .token()
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(&err, SourceError::Permanent(text) if text.contains("invalid_scope")),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_token_endpoint_is_transient_and_retried_by_the_request() {
    let token_server = Script::new([
        Reply::new(503, "").header("retry-after", "2"),
        token_reply("tok-1", 3600),
    ]);
    let api = Script::new([ok_json()]);
    let (token_base, base) = (serve(token_server.clone()).await, serve(api.clone()).await);
    let http = http();
    let tokens = source(&http, &token_base, ClientAuth::BasicHeader);
    let start = tokio::time::Instant::now();
    get(&http, &base, &tokens)
        .await
        .expect("second token attempt succeeds");
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert_eq!((token_server.hits(), api.hits()), (2, 1));
}

#[test]
fn the_config_debug_does_not_show_the_client_secret() {
    let config = OAuthConfig {
        token_url: "http://127.0.0.1/token".into(),
        client_id: "zorgsignaal".into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        scopes: Vec::new(),
        skew: Duration::from_secs(10),
        auth: ClientAuth::RequestBody,
    };
    assert!(!format!("{config:?}").contains(CLIENT_SECRET));
}
