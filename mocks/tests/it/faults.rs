//! Fault injection: deterministic, and a retried request always gets the right answer.

use std::time::Duration;

use mocks::{FaultConfig, FaultKind};

use crate::common::{board, brin, get, token};

fn only(kind: FaultKind, rate: f64) -> FaultConfig {
    FaultConfig {
        rate,
        kinds: vec![kind],
        slow: Duration::from_millis(1),
        retry_after_secs: 2,
    }
}

#[tokio::test]
async fn rate_limit_carries_retry_after() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "ps", &brin).await;
    board.set_faults(only(FaultKind::RateLimit, 1.0));
    let res = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/scholen/{brin}/notities",
            board.parnassys_url()
        ))
        .bearer_auth(&t)
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.headers().get("retry-after").and_then(|v| v.to_str().ok()),
        Some("2")
    );
    board.shutdown().await;
}

#[tokio::test]
async fn faults_are_deterministic_and_retries_get_the_right_answer() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let board = board().await;
        let brin = brin(&board);
        let t = token(&board, "ps", &brin).await;
        let url = format!("{}/api/v1/scholen/{brin}/plannen", board.parnassys_url());
        let (_, clean) = get(&url, &t, &[("limit", "1000")]).await;
        board.set_faults(FaultConfig {
            rate: 0.5,
            kinds: vec![
                FaultKind::ServerError,
                FaultKind::Truncate,
                FaultKind::RateLimit,
                FaultKind::Slow,
            ],
            slow: Duration::from_millis(1),
            retry_after_secs: 1,
        });
        let mut statuses = Vec::new();
        for _ in 0..20 {
            let (status, body) = get(&url, &t, &[("limit", "1000")]).await;
            statuses.push((status, body.is_null()));
            if status == 200 && !body.is_null() {
                assert_eq!(body, clean, "every successful answer is exactly the clean answer");
            }
        }
        assert!(
            statuses.iter().any(|(s, null)| *s != 200 || *null),
            "some requests were faulted"
        );
        assert!(
            statuses.iter().any(|(s, null)| *s == 200 && !*null),
            "retries got through"
        );
        runs.push(statuses);
        board.shutdown().await;
    }
    assert_eq!(runs[0], runs[1], "same seed, same request order, same faults");
}

#[tokio::test]
async fn duplicated_items_never_skip_records() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "lu", &brin).await;
    let url = format!("{}/api/v1/schools/{brin}/notes", board.leeruniek_url());
    let live = board.inspect(|st| st.schools[&brin].lu_notes.len());
    board.set_faults(only(FaultKind::Duplicate, 1.0));
    let (mut seen, mut cursor, mut dupes) = (std::collections::HashSet::new(), None::<String>, 0);
    loop {
        let mut q = vec![("limit", "7".to_string())];
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, page) = get(&url, &t, &q).await;
        assert_eq!(status, 200);
        for item in page["items"].as_array().expect("items") {
            if !seen.insert(item["id"].as_str().expect("id").to_string()) {
                dupes += 1;
            }
        }
        if page["has_more"] == false {
            break;
        }
        cursor = page["next_cursor"].as_str().map(String::from);
    }
    assert_eq!(seen.len(), live);
    assert!(dupes > 0, "the fault really duplicated items");
    board.shutdown().await;
}

#[tokio::test]
async fn revoked_token_mid_run_and_soap_fault() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "ps", &brin).await;
    let url = format!("{}/api/v1/scholen/{brin}/resultaten", board.parnassys_url());
    board.set_faults(only(FaultKind::RevokeToken, 1.0));
    assert_eq!(get(&url, &t, &[]).await.0, 401);
    board.set_faults(FaultConfig::default());
    assert_eq!(get(&url, &t, &[]).await.0, 401, "the token stays revoked");
    let fresh = token(&board, "ps", &brin).await;
    assert_eq!(get(&url, &fresh, &[]).await.0, 200);
    board.set_faults(only(FaultKind::SoapFault, 1.0));
    let c = board.credentials(&brin).expect("creds");
    let body = format!(
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:p=\"http://www.topicus.nl/parnassys\"><s:Body><p:getLeerlingen>\
         <leveranciernaam>{}</leveranciernaam><leveranciersleutel>{}</leveranciersleutel><brinnummer>{brin}</brinnummer>\
         <schooljaar>2026 / 2027</schooljaar></p:getLeerlingen></s:Body></s:Envelope>",
        c.leveranciernaam, c.leveranciersleutel
    );
    let res = reqwest::Client::new()
        .post(format!("{}/bao/services/cxf/v3/generic", board.gkv_url()))
        .header("SOAPAction", "getLeerlingen")
        .body(body)
        .send()
        .await
        .expect("soap");
    assert_eq!(res.status(), 500);
    assert!(
        res.text()
            .await
            .expect("text")
            .contains("<faultcode>soap:Server</faultcode>")
    );
    board.shutdown().await;
}
