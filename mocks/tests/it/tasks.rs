//! Task write-back with `Idempotency-Key`, and read-back.

use serde_json::{Value, json};

use crate::common::{board, brin, drain, token};

#[tokio::test]
async fn same_idempotency_key_creates_one_task() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "ps", &brin).await;
    let pupil = board.inspect(|st| st.schools[&brin].leerlingen[0].id.to_string());
    let url = format!("{}/api/v1/scholen/{brin}/taken", board.parnassys_url());
    let body = json!({"leerling_id": pupil, "titel": "Drie keer V(E) op DMT", "omschrijving": "Dyslexieonderzoek overwegen.", "soort": "taak", "vervaldatum": "2026-12-01"});
    let (none, _, _, _) = drain(&url, &t, 100, None).await;
    assert!(none.is_empty(), "nothing pushed yet");
    let client = reqwest::Client::new();
    let post = |key: Option<&str>, body: &Value| {
        let mut r = client.post(&url).bearer_auth(&t).json(body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        r.send()
    };
    let res = post(None, &body).await.expect("send");
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.expect("json")["error"],
        "missing_idempotency_key"
    );
    let first = post(Some("k1"), &body).await.expect("send");
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("json");
    let again = post(Some("k1"), &body).await.expect("send");
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.expect("json"), first);
    let mut other = body.clone();
    other["titel"] = json!("Iets anders");
    assert_eq!(post(Some("k1"), &other).await.expect("send").status(), 409);
    assert_eq!(post(Some("k2"), &other).await.expect("send").status(), 201);
    let mut stranger = body.clone();
    stranger["leerling_id"] = json!("1");
    assert_eq!(post(Some("k3"), &stranger).await.expect("send").status(), 422);
    let pushed = board.pushed_parnassys_tasks(&brin);
    assert_eq!(pushed.len(), 2);
    assert_eq!(pushed[0].idempotency_key, "k1");
    let (items, _, _, _) = drain(&url, &t, 100, None).await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], first);
    board.shutdown().await;
}

#[tokio::test]
async fn leeruniek_tasks_are_idempotent_and_read_back() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "lu", &brin).await;
    let pupil = board.inspect(|st| st.schools[&brin].leerlingen[1].id.to_string());
    let url = format!("{}/api/v1/schools/{brin}/tasks", board.leeruniek_url());
    let body = json!({"pupilId": pupil, "title": "Evaluatie groepsplan", "description": "Plan evalueren.", "kind": "reminder", "dueDate": null});
    let client = reqwest::Client::new();
    for expected in [201, 200] {
        let res = client
            .post(&url)
            .bearer_auth(&t)
            .header("Idempotency-Key", "lu-1")
            .json(&body)
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), expected);
    }
    let pushed = board.pushed_leeruniek_tasks(&brin);
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].kind, "reminder");
    let (items, _, _, _) = drain(&url, &t, 10, None).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["pupilId"], pupil);
    board.shutdown().await;
}
