//! Helpers: a small generated board, tokens, and page fetching.

use mocks::{GenParams, MockBoard, MockConfig};
use serde_json::Value;

/// Parameters of the small board the tests use.
pub fn small_params(seed: u64) -> GenParams {
    GenParams {
        seed,
        schools: 2,
        pupils_per_school: 40,
        years: 3,
        ..GenParams::default()
    }
}

/// Starts a small generated board.
pub async fn board() -> MockBoard {
    MockBoard::start(MockConfig::generated(small_params(7)))
        .await
        .expect("board starts")
}

/// First BRIN (the school with the planted cases).
pub fn brin(board: &MockBoard) -> String {
    board.schools().first().cloned().expect("a school")
}

/// Fetches a token for `brin` from the ParnasSys (`ps`) or Leeruniek (`lu`) server.
pub async fn token(board: &MockBoard, system: &str, brin: &str) -> String {
    let creds = board.credentials(brin).expect("credentials");
    let (base, (id, secret)) = match system {
        "ps" => (board.parnassys_url(), creds.parnassys),
        _ => (board.leeruniek_url(), creds.leeruniek),
    };
    let res = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.expect("token json");
    v["access_token"].as_str().expect("access_token").to_string()
}

/// GET with a bearer token; returns status and parsed JSON (Null when not JSON).
pub async fn get(url: &str, token: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .expect("get");
    let status = res.status().as_u16();
    let body = res.bytes().await.expect("body");
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Pages a stream to the end from `start` (`cursor` or `since` param); returns items, tombstones,
/// the final cursor and the number of requests.
pub async fn drain(
    url: &str,
    token: &str,
    limit: usize,
    since: Option<String>,
) -> (Vec<Value>, Vec<Value>, String, usize) {
    let (mut items, mut tombs, mut requests) = (Vec::new(), Vec::new(), 0);
    let limit = limit.to_string();
    let mut param: Option<(&str, String)> = since.map(|s| ("since", s));
    loop {
        let mut q = vec![("limit", limit.as_str())];
        if let Some((k, v)) = &param {
            q.push((k, v.as_str()));
        }
        let (status, page) = get(url, token, &q).await;
        requests += 1;
        assert_eq!(status, 200, "page: {page}");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        tombs.extend(page["tombstones"].as_array().expect("tombstones").iter().cloned());
        let next = page["next_cursor"].as_str().expect("next_cursor").to_string();
        if page["has_more"] == false {
            return (items, tombs, next, requests);
        }
        let key = if param.as_ref().is_some_and(|(k, _)| *k == "since") {
            "since"
        } else {
            "cursor"
        };
        param = Some((key, next));
    }
}
