//! Tests of the shared HTTP client against scripted loopback servers, on paused tokio time.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use tokio::time::Instant;

use super::*;
use crate::sources::oauth::{ClientAuth, OAuthConfig, TokenSource};
use crate::sources::test_support::{Reply, Script, serve, token_reply};

const SCHOOL: &str = "11ZW";
const CLIENT_SECRET: &str = "client-secret-Zx9";
const SUPPLIER_KEY: &str = "supplier-key-Q7";

fn config() -> HttpConfig {
    HttpConfig {
        max_attempts: 4,
        max_retry_time: Duration::from_secs(60),
        retry_min_delay: Duration::from_millis(100),
        breaker_threshold: 3,
        breaker_cooldown: Duration::from_secs(30),
        ..HttpConfig::default()
    }
}

fn client(config: HttpConfig) -> HttpClient {
    HttpClient::new("test", config).expect("client builds")
}

fn tokens(http: &HttpClient, token_base: &str) -> TokenSource {
    let config = OAuthConfig {
        token_url: format!("{token_base}/oauth/token"),
        client_id: "zorgsignaal".into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        scopes: vec!["results.read".into()],
        skew: Duration::from_secs(10),
        auth: ClientAuth::BasicHeader,
    };
    TokenSource::new("test", http.reqwest(), config).expect("valid token URL")
}

fn ok_json() -> Reply {
    Reply::new(200, r#"{"ok":true}"#).header("content-type", "application/json")
}

async fn get(http: &HttpClient, base: &str) -> Result<Value, SourceError> {
    http.get_json(
        SCHOOL,
        RequestSpec::new(format!("{base}/api/results")).query("cursor", "c1"),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn a_server_error_is_retried_and_then_succeeds() {
    let api = Script::new([Reply::new(500, "boom"), Reply::new(502, ""), ok_json()]);
    let base = serve(api.clone()).await;
    let value = get(&client(config()), &base)
        .await
        .expect("third attempt succeeds");
    assert_eq!(value["ok"], true);
    assert_eq!(api.hits(), 3);
}

#[tokio::test(start_paused = true)]
async fn retry_after_in_seconds_is_honoured() {
    let api = Script::new([Reply::new(429, "").header("retry-after", "3"), ok_json()]);
    let base = serve(api.clone()).await;
    let start = Instant::now();
    get(&client(config()), &base)
        .await
        .expect("succeeds after waiting");
    assert!(
        start.elapsed() >= Duration::from_secs(3),
        "waited {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(api.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_as_http_date_on_503_is_honoured() {
    // The date lies 7 s ahead and the header has whole seconds (it drops up to 1 s), so it names
    // a moment at least 6 s after now. The client measures its wait from the real clock when it
    // parses the answer: at least 5 s remain unless that happens more than 1 s of real time
    // later (it was 6 s ahead, which left 5–6 s and failed whenever parsing was late by more
    // than the dropped fraction, as under load). Time is paused, so the wait itself is instant.
    let start = Instant::now();
    let at = chrono::Utc::now() + chrono::Duration::seconds(7);
    let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let api = Script::new([Reply::new(503, "").header("retry-after", date), ok_json()]);
    let base = serve(api.clone()).await;
    get(&client(config()), &base)
        .await
        .expect("succeeds after waiting");
    assert!(
        start.elapsed() >= Duration::from_secs(5),
        "waited {:?}",
        start.elapsed()
    );
    assert_eq!(api.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_hanging_server_times_out_and_is_retried() {
    let api = Script::new([Reply::hang()]);
    let base = serve(api.clone()).await;
    let http = client(HttpConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 2,
        ..config()
    });
    let start = Instant::now();
    assert_eq!(
        get(&http, &base).await.expect_err("times out"),
        SourceError::Timeout
    );
    assert_eq!(api.hits(), 2);
    assert!(
        start.elapsed() >= Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn request_futures_are_send_so_adapters_can_spawn_them() {
    fn assert_send<T: Send>(_: &T) {}
    let http = client(config());
    let future = http.get_json::<Value>(SCHOOL, RequestSpec::new("http://127.0.0.1:9/x"));
    assert_send(&future);
    let soap = http.post_soap(
        SCHOOL,
        RequestSpec::new("http://127.0.0.1:9/x"),
        "a",
        SecretString::from("b"),
    );
    assert_send(&soap);
}

#[tokio::test(start_paused = true)]
async fn a_bad_request_is_not_retried() {
    let api = Script::new([Reply::new(400, "bad cursor")]);
    let base = serve(api.clone()).await;
    let err = get(&client(config()), &base).await.expect_err("400 fails");
    assert!(matches!(err, SourceError::Permanent(_)), "{err}");
    assert_eq!(api.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn rate_limiting_beyond_the_retry_budget_gives_rate_limited() {
    let api = Script::new([Reply::new(429, "").header("retry-after", "10")]);
    let base = serve(api.clone()).await;
    let http = client(HttpConfig {
        max_attempts: 10,
        max_retry_time: Duration::from_secs(25),
        ..config()
    });
    let start = Instant::now();
    let err = get(&http, &base).await.expect_err("budget runs out");
    assert_eq!(
        err,
        SourceError::RateLimited {
            retry_after: Some(Duration::from_secs(10))
        }
    );
    // Attempts at 0 s, 10 s and 20 s; a wait until 30 s would pass the 25 s budget.
    assert_eq!(api.hits(), 3);
    assert!(start.elapsed() < Duration::from_secs(25));
}

#[tokio::test(start_paused = true)]
async fn the_circuit_opens_after_repeated_failures_and_recovers_after_the_cooldown() {
    let api = Script::new([Reply::new(500, "down")]);
    let base = serve(api.clone()).await;
    let http = client(HttpConfig {
        max_attempts: 1,
        ..config()
    });
    for _ in 0..3 {
        let err = get(&http, &base).await.expect_err("server down");
        assert!(matches!(err, SourceError::Server { .. }), "{err}");
    }
    assert_eq!(
        get(&http, &base).await.expect_err("open"),
        SourceError::CircuitOpen
    );
    assert_eq!(api.hits(), 3, "an open circuit sends nothing");
    assert!(http.is_circuit_open(SCHOOL));

    api.set([ok_json()]);
    tokio::time::advance(Duration::from_secs(30)).await;
    get(&http, &base).await.expect("probe succeeds");
    get(&http, &base).await.expect("closed again");
    assert!(!http.is_circuit_open(SCHOOL));
    assert_eq!(api.hits(), 5);
}

#[tokio::test(start_paused = true)]
async fn requests_of_one_school_are_spaced_by_the_rate_limit() {
    let api = Script::new([ok_json()]);
    let base = serve(api.clone()).await;
    let http = client(HttpConfig {
        rate_limit_per_second: 5,
        ..config()
    });
    let start = Instant::now();
    for _ in 0..6 {
        get(&http, &base).await.expect("ok");
    }
    // Five gaps of 200 ms; loopback I/O takes no paused time.
    assert!(
        start.elapsed() >= Duration::from_millis(1000),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_millis(1200),
        "took {:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_post_is_retried_only_with_an_idempotency_key() {
    let api = Script::new([Reply::new(503, ""), ok_json()]);
    let base = serve(api.clone()).await;
    let http = client(config());
    let url = format!("{base}/api/tasks");
    let err = http
        .post_json::<_, Value>(
            SCHOOL,
            RequestSpec::new(&url),
            &serde_json::json!({"kind": "eed_check"}),
        )
        .await
        .expect_err("no key, no retry");
    assert!(err.is_transient());
    assert_eq!(api.hits(), 1);

    api.set([Reply::new(503, ""), ok_json()]);
    let req = RequestSpec::new(&url)
        .idempotency_key("task-42")
        .expect("valid key");
    let value: Value = http
        .post_json(SCHOOL, req, &serde_json::json!({"kind": "eed_check"}))
        .await
        .expect("retried");
    assert_eq!(value["ok"], true);
    assert_eq!(api.hits(), 3);
}

fn fault(text: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault>\
         <faultcode>soap:Client</faultcode><faultstring>{text}</faultstring></soap:Fault>\
         </soap:Body></soap:Envelope>"
    )
}

#[tokio::test(start_paused = true)]
async fn a_soap_fault_comes_back_redacted_and_is_not_retried() {
    let api = Script::new([Reply::new(
        500,
        fault(&format!("Ongeldige leveranciersleutel {SUPPLIER_KEY}")),
    )]);
    let base = serve(api.clone()).await;
    let key = SecretString::from(SUPPLIER_KEY);
    let body = SecretString::from(format!("<leveranciersleutel>{SUPPLIER_KEY}</leveranciersleutel>"));
    let req = RequestSpec::new(format!("{base}/bao/services/cxf/v3/generic")).redact(&key);
    let err = client(config())
        .post_soap(SCHOOL, req, "getLeerlingen", body)
        .await
        .expect_err("fault");
    let SourceError::SoapFault { body, .. } = &err else {
        panic!("expected a SOAP fault, got {err}")
    };
    assert!(body.contains("Ongeldige leveranciersleutel [REDACTED]"));
    assert!(!body.contains(SUPPLIER_KEY));
    assert_eq!(api.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_soap_call_without_fault_is_retried_and_returns_the_envelope() {
    let api = Script::new([
        Reply::new(503, "maintenance"),
        Reply::new(200, "<soap:Envelope/>"),
    ]);
    let base = serve(api.clone()).await;
    let req = RequestSpec::new(format!("{base}/generic"));
    let body = SecretString::from("<x/>");
    let text = client(config())
        .post_soap(SCHOOL, req, "getLeerlingen", body)
        .await
        .expect("retried");
    assert_eq!(text, "<soap:Envelope/>");
    assert_eq!(api.hits(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_undecodable_body_gives_a_masked_preview() {
    let api = Script::new([Reply::new(200, r#"{"roepnaam": "Jansje", "score": }"#)]);
    let base = serve(api.clone()).await;
    let err = get(&client(config()), &base).await.expect_err("bad JSON");
    let SourceError::Decode { body_preview, .. } = &err else {
        panic!("expected Decode, got {err}")
    };
    assert!(
        body_preview.contains("roepnaam") && !body_preview.contains("Jansje"),
        "{body_preview}"
    );
}

/// Runs the failure scenarios of this file with secrets echoed back by the servers, and checks
/// that no error's `Display` or `Debug` contains a secret or token.
#[tokio::test(start_paused = true)]
async fn no_error_ever_contains_a_secret_or_token() {
    let echo = format!("secret={CLIENT_SECRET} key={SUPPLIER_KEY} token=tok-secret-1");
    let token_server = Script::new([token_reply("tok-secret-1", 3600)]);
    let token_base = serve(token_server.clone()).await;
    let api = Script::new([Reply::new(200, format!("{{\"echo\": \"{echo}\" "))]);
    let base = serve(api.clone()).await;
    let http = client(HttpConfig {
        max_attempts: 1,
        breaker_threshold: 100,
        ..config()
    });
    let ts = tokens(&http, &token_base);
    let key = SecretString::from(SUPPLIER_KEY);
    let mut errors = Vec::new();

    let bearer = |path: &str| RequestSpec::new(format!("{base}{path}")).bearer(&ts).redact(&key);
    errors.push(
        http.get_json::<Value>(SCHOOL, bearer("/decode"))
            .await
            .expect_err("decode"),
    );
    for reply in [
        Reply::new(400, echo.clone()),
        Reply::new(401, echo.clone()),
        Reply::new(403, echo.clone()),
        Reply::new(429, echo.clone()).header("retry-after", "1"),
        Reply::new(503, echo.clone()),
        Reply::new(500, fault(&echo)),
    ] {
        api.set([reply]);
        errors.push(
            http.get_json::<Value>(SCHOOL, bearer("/x"))
                .await
                .expect_err("fails"),
        );
        let body = SecretString::from(format!("<k>{SUPPLIER_KEY}</k>"));
        errors.push(
            http.post_soap(SCHOOL, bearer("/soap"), "a", body)
                .await
                .expect_err("fails"),
        );
    }
    token_server.set([Reply::new(401, r#"{"error":"invalid_client"}"#)]);
    ts.invalidate().await;
    errors.push(ts.token().await.err().expect("revoked"));
    token_server.set([Reply::new(
        200,
        format!("{{\"access_token\": \"{CLIENT_SECRET}\""),
    )]);
    errors.push(ts.token().await.err().expect("bad token JSON"));
    let unreachable = client(config());
    errors.push(
        unreachable
            .get_json::<Value>(SCHOOL, RequestSpec::new("http://127.0.0.1:9/x"))
            .await
            .expect_err("refused"),
    );
    errors.push(
        http.get_json::<Value>(SCHOOL, RequestSpec::new("not a url"))
            .await
            .expect_err("invalid"),
    );

    assert!(errors.len() >= 15);
    for err in &errors {
        for text in [format!("{err}"), format!("{err:?}")] {
            for secret in [CLIENT_SECRET, SUPPLIER_KEY, "tok-secret-1"] {
                assert!(!text.contains(secret), "{secret} leaked in {text}");
            }
        }
        if let SourceError::SoapFault { body, .. } = err {
            assert!(
                !body.contains(SUPPLIER_KEY) && !body.contains("tok-secret-1"),
                "{body}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn requests_retries_and_waits_are_counted_per_source_and_status() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    // Thread-local: the paused-time runtime runs every task on this thread.
    let _guard = metrics::set_default_local_recorder(&recorder);
    let api = Script::new([Reply::new(500, ""), ok_json()]);
    let base = serve(api.clone()).await;
    get(&client(config()), &base)
        .await
        .expect("second attempt succeeds");
    let text = handle.render();
    for expected in [
        r#"zorgsignaal_http_requests_total{source="test",method="GET",status="500"} 1"#,
        r#"zorgsignaal_http_requests_total{source="test",method="GET",status="200"} 1"#,
        r#"zorgsignaal_http_retries_total{source="test",reason="500"} 1"#,
        "zorgsignaal_http_request_duration_seconds",
        "zorgsignaal_http_rate_limit_wait_seconds",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
}
