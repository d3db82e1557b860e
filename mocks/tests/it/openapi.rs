//! Served responses match the OpenAPI contracts in `mocks/openapi/` (required fields, types,
//! nullability, enums), for every read endpoint, tokens, errors and tasks.

use serde_json::{Value, json};

use crate::common::{board, brin, get, token};

fn spec(name: &str) -> Value {
    let path = format!("{}/openapi/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("spec file");
    serde_norway::from_str(&text).expect("spec is YAML")
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let ptr = r.trim_start_matches('#');
            resolve(
                spec,
                spec.pointer(ptr).unwrap_or_else(|| panic!("dangling $ref {r}")),
            )
        }
        None => schema,
    }
}

/// Checks `value` against `schema`; returns the list of violations.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(spec, s, value, at, errors);
        }
        return;
    }
    if value.is_null() {
        if schema.get("nullable") != Some(&Value::Bool(true)) && schema.get("type").is_some() {
            errors.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array)
        && !values.contains(value)
    {
        errors.push(format!("{at}: {value} not in enum"));
    }
    let ok = match schema.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    };
    if !ok {
        errors.push(format!("{at}: {value} is not {}", schema["type"]));
        return;
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for k in req.iter().filter_map(Value::as_str) {
            if value.get(k).is_none() {
                errors.push(format!("{at}: missing {k}"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (k, v) in obj {
            match props.get(k) {
                Some(s) => check(spec, s, v, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: unexpected field {k}"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(spec, items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

fn response_schema<'a>(spec: &'a Value, path: &str, method: &str, status: &str) -> &'a Value {
    let op = &spec["paths"][path][method];
    let resp = resolve(spec, &op["responses"][status]);
    &resp["content"]["application/json"]["schema"]
}

fn assert_matches(spec: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let schema = response_schema(spec, path, method, &status.to_string());
    assert!(!schema.is_null(), "{method} {path} documents {status}");
    let mut errors = Vec::new();
    check(spec, schema, body, "$", &mut errors);
    assert!(errors.is_empty(), "{method} {path} {status}: {errors:?}");
}

#[tokio::test]
async fn parnassys_responses_match_the_contract() {
    let board = board().await;
    let brin = brin(&board);
    let spec = spec("parnassys.yaml");
    let t = token(&board, "ps", &brin).await;
    let base = board.parnassys_url();
    for stream in [
        "resultaten",
        "notities",
        "plannen",
        "dyslexieverklaringen",
        "verzuim",
        "sociaal-emotioneel",
    ] {
        let path = format!("/api/v1/scholen/{{brin}}/{stream}");
        let (status, page) = get(
            &format!("{base}/api/v1/scholen/{brin}/{stream}"),
            &t,
            &[("limit", "1000")],
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            !page["items"].as_array().expect("items").is_empty(),
            "{stream} has items"
        );
        assert_matches(&spec, &path, "get", status, &page);
    }
    let pupil = board.inspect(|st| st.schools[&brin].leerlingen[0].id.to_string());
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/scholen/{brin}/taken"))
        .bearer_auth(&t)
        .header("Idempotency-Key", "x")
        .json(&json!({"leerling_id": pupil, "titel": "t", "omschrijving": "o", "soort": "herinnering", "vervaldatum": null}))
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    assert_matches(
        &spec,
        "/api/v1/scholen/{brin}/taken",
        "post",
        status,
        &res.json().await.expect("json"),
    );
    let (status, page) = get(&format!("{base}/api/v1/scholen/{brin}/taken"), &t, &[]).await;
    assert_matches(&spec, "/api/v1/scholen/{brin}/taken", "get", status, &page);
    let (status, body) = get(&format!("{base}/api/v1/scholen/{brin}/plannen"), "nope", &[]).await;
    assert_matches(&spec, "/api/v1/scholen/{brin}/plannen", "get", status, &body);
    let creds = board.credentials(&brin).expect("creds");
    let tok: Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &creds.parnassys.0),
            ("client_secret", &creds.parnassys.1),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    assert_matches(&spec, "/oauth/token", "post", 200, &tok);
    board.shutdown().await;
}

#[tokio::test]
async fn leeruniek_responses_match_the_contract() {
    let board = board().await;
    let brin = brin(&board);
    let spec = spec("leeruniek.yaml");
    let t = token(&board, "lu", &brin).await;
    let base = board.leeruniek_url();
    for stream in ["group-plans", "notes", "note-categories"] {
        let path = format!("/api/v1/schools/{{brin}}/{stream}");
        let (status, page) = get(
            &format!("{base}/api/v1/schools/{brin}/{stream}"),
            &t,
            &[("limit", "1000")],
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            !page["items"].as_array().expect("items").is_empty(),
            "{stream} has items"
        );
        assert_matches(&spec, &path, "get", status, &page);
    }
    let pupil = board.inspect(|st| st.schools[&brin].leerlingen[0].id.to_string());
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/schools/{brin}/tasks"))
        .bearer_auth(&t)
        .header("Idempotency-Key", "x")
        .json(&json!({"pupilId": pupil, "title": "t", "description": "d", "kind": "task", "dueDate": "2026-12-01"}))
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    assert_matches(
        &spec,
        "/api/v1/schools/{brin}/tasks",
        "post",
        status,
        &res.json().await.expect("json"),
    );
    board.shutdown().await;
}

#[test]
fn the_checker_catches_contract_violations() {
    let spec = spec("parnassys.yaml");
    let schema = json!({"$ref": "#/components/schemas/Result"});
    let mut errors = Vec::new();
    check(
        &spec,
        &schema,
        &json!({"id": 1, "toetsmoment": "X", "extra": true}),
        "$",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("missing leerling_id")));
    assert!(errors.iter().any(|e| e.contains("is not")));
    assert!(errors.iter().any(|e| e.contains("not in enum")));
    assert!(errors.iter().any(|e| e.contains("unexpected field extra")));
}
