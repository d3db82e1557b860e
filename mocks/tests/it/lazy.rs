//! A lazily served board (`DataSource::Lazy`, `--lazy`): every school serves what the eager board
//! serves (GKV snapshots, UWLR, every REST stream's records, credentials, planted expectations)
//! while at most `cache` schools are in memory; a no-change `since` of a school out of memory
//! costs no generation; run-time changes (tasks, records, deletions, revocation) survive an
//! eviction.

use mocks::{DataSource, GenParams, MockBoard, MockConfig, StreamKind, generate};
use serde_json::{Value, json};

use crate::common::{drain, token};

fn params() -> GenParams {
    GenParams {
        seed: 5,
        schools: 4,
        pupils_per_school: 30,
        years: 3,
        uwlr_schools: 1,
        ..GenParams::default()
    }
}

async fn lazy(cache: usize) -> MockBoard {
    MockBoard::start(MockConfig {
        data: DataSource::Lazy {
            params: params(),
            cache,
        },
        ..MockConfig::generated(params())
    })
    .await
    .expect("lazy board starts")
}

const PS_STREAMS: [&str; 6] = [
    "resultaten",
    "notities",
    "plannen",
    "dyslexieverklaringen",
    "verzuim",
    "sociaal-emotioneel",
];
const LU_STREAMS: [&str; 3] = ["group-plans", "notes", "note-categories"];

fn gkv_envelope(op: &str, naam: &str, key: &str, brin: &str, year: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:par=\"http://www.topicus.nl/parnassys\">\
         <soapenv:Header/><soapenv:Body><par:{op}><leveranciernaam>{naam}</leveranciernaam>\
         <leveranciersleutel>{key}</leveranciersleutel><brinnummer>{brin}</brinnummer>\
         <schooljaar>{year}</schooljaar></par:{op}></soapenv:Body></soapenv:Envelope>"
    )
}

fn uwlr_envelope(key: &str, klantcode: &str, brin: &str, year: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Header><aut:autorisatie xmlns:aut=\"http://www.edustandaard.nl/leerresultaten/2/autorisatie\">\
         <aut:autorisatiesleutel>{key}</aut:autorisatiesleutel><aut:klantcode>{klantcode}</aut:klantcode>\
         <aut:klantnaam>Zorgsignaal</aut:klantnaam></aut:autorisatie></soap:Header><soap:Body>\
         <lg:leerlinggegevens_verzoek xmlns:lg=\"http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens\">\
         <lg:schooljaar>{year}</lg:schooljaar><lg:brincode>{brin}</lg:brincode><lg:dependancecode>00</lg:dependancecode>\
         <lg:xsdversie>2.2</lg:xsdversie></lg:leerlinggegevens_verzoek></soap:Body></soap:Envelope>"
    )
}

async fn soap(url: &str, action: &str, body: String) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"{action}\""))
        .body(body)
        .send()
        .await
        .expect("soap call");
    (res.status().as_u16(), res.text().await.expect("text"))
}

/// Everything `board` serves for school `brin`: SOAP answers and every REST stream's records
/// (not cursors, which differ by design).
async fn served(board: &MockBoard, brin: &str, years: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = board.credentials(brin) {
        for year in years {
            for op in ["getLeerlingen", "getMedewerkers"] {
                let gkv_year = year.replace('-', " / ");
                let (status, xml) = soap(
                    &format!("{}/bao/services/cxf/v3/generic", board.gkv_url()),
                    op,
                    gkv_envelope(op, &c.leveranciernaam, &c.leveranciersleutel, brin, &gkv_year),
                )
                .await;
                out.push(format!("{op} {year} {status} {xml}"));
            }
        }
        let t = token(board, "ps", brin).await;
        for s in PS_STREAMS {
            let url = format!("{}/api/v1/scholen/{brin}/{s}", board.parnassys_url());
            let (items, _, _, _) = drain(&url, &t, 250, None).await;
            out.push(format!("{s} {}", Value::Array(items)));
        }
    } else {
        let c = board.uwlr_credentials(brin).expect("uwlr credentials");
        for year in years {
            let (status, xml) = soap(
                &c.url,
                "HaalLeerlinggegevens",
                uwlr_envelope(&c.access.autorisatiesleutel, &c.access.klantcode, brin, year),
            )
            .await;
            out.push(format!("uwlr {year} {status} {xml}"));
        }
    }
    let t = match board.credentials(brin) {
        Some(_) => token(board, "lu", brin).await,
        None => {
            let (id, secret) = board.uwlr_credentials(brin).expect("uwlr").leeruniek;
            let res = reqwest::Client::new()
                .post(format!("{}/oauth/token", board.leeruniek_url()))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    ("client_secret", &secret),
                ])
                .send()
                .await
                .expect("token request");
            let v: Value = res.json().await.expect("token json");
            v["access_token"].as_str().expect("access_token").to_owned()
        }
    };
    for s in LU_STREAMS {
        let url = format!("{}/api/v1/schools/{brin}/{s}", board.leeruniek_url());
        let (items, _, _, _) = drain(&url, &t, 250, None).await;
        out.push(format!("{s} {}", Value::Array(items)));
    }
    out
}

#[tokio::test]
async fn a_lazy_board_serves_what_the_eager_board_serves_with_one_school_in_memory() {
    let eager = MockBoard::start(MockConfig::generated(params()))
        .await
        .expect("eager board");
    let lazy = lazy(1).await;
    assert_eq!(lazy.schools(), eager.schools());
    assert_eq!(lazy.expected(), eager.expected(), "the same planted cases");
    let years = generate(&params()).0.school_years;
    // Every school twice, evicted and generated again in between (but the last at the turn).
    let order: Vec<String> = eager
        .schools()
        .iter()
        .chain(eager.schools().iter().rev())
        .cloned()
        .collect();
    for brin in &order {
        assert_eq!(lazy.credentials(brin), eager.credentials(brin));
        let uwlr = |b: &MockBoard| b.uwlr_credentials(brin).map(|c| (c.access, c.leeruniek));
        assert_eq!(uwlr(&lazy), uwlr(&eager));
        let want = served(&eager, brin, &years).await;
        let got = served(&lazy, brin, &years).await;
        assert_eq!(want.len(), got.len());
        for (w, g) in want.iter().zip(&got) {
            assert!(
                w == g,
                "{brin}: lazy board serves other data: {}",
                &g[..g.len().min(200)]
            );
        }
        let (resident, _, _) = lazy.lazy_stats().expect("lazy");
        assert_eq!(resident, 1, "one school in memory");
    }
    let (_, generated, _) = lazy.lazy_stats().expect("lazy");
    // 4 schools there and back: the last one stays in memory at the turn.
    assert_eq!(generated, 7, "every school generated again after its eviction");
    assert!(eager.lazy_stats().is_none());
    eager.shutdown().await;
    lazy.shutdown().await;
}

#[tokio::test]
async fn a_no_change_since_of_a_school_out_of_memory_costs_no_generation() {
    let board = lazy(1).await;
    let [a, b] = [board.schools()[0].clone(), board.schools()[1].clone()];
    let ta = token(&board, "ps", &a).await;
    let url_a = format!("{}/api/v1/scholen/{a}/resultaten", board.parnassys_url());
    let (_, _, cursor, _) = drain(&url_a, &ta, 1000, None).await;
    // Another school pushes `a` out of memory.
    let tb = token(&board, "ps", &b).await;
    drain(
        &format!("{}/api/v1/scholen/{b}/resultaten", board.parnassys_url()),
        &tb,
        1000,
        None,
    )
    .await;
    let (_, before, _) = board.lazy_stats().expect("lazy");
    board.reset_counters();
    let (items, tombs, next, requests) = drain(&url_a, &ta, 1000, Some(cursor.clone())).await;
    assert!(items.is_empty() && tombs.is_empty());
    assert_eq!((requests, next), (1, cursor.clone()), "one request, same cursor");
    assert_eq!(board.lazy_stats().expect("lazy").1, before, "not generated again");
    // A change to `a` (which brings it back) is in its feed after the cursor.
    board.load(&a);
    let first = board.inspect(|st| st.schools[&a].results.iter().next().cloned().expect("a result"));
    let mut changed = first.clone();
    changed.score = Some(99.0);
    board.upsert_result(&a, changed).expect("update");
    let (items, _, _, _) = drain(&url_a, &ta, 1000, Some(cursor)).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], first.id.to_string());
    board.shutdown().await;
}

#[tokio::test]
async fn run_time_changes_survive_an_eviction() {
    let board = lazy(1).await;
    let [a, b] = [board.schools()[0].clone(), board.schools()[1].clone()];
    let ta = token(&board, "ps", &a).await;
    let results = format!("{}/api/v1/scholen/{a}/resultaten", board.parnassys_url());
    let (all, _, cursor, _) = drain(&results, &ta, 1000, None).await;
    board.load(&a);
    let pupil = board.inspect(|st| st.schools[&a].leerlingen[0].id.to_string());
    let tasks = format!("{}/api/v1/scholen/{a}/taken", board.parnassys_url());
    let body = json!({"leerling_id": pupil, "titel": "Evalueren", "omschrijving": "Plan evalueren.", "soort": "taak", "vervaldatum": null});
    let client = reqwest::Client::new();
    let post = || {
        client
            .post(&tasks)
            .bearer_auth(&ta)
            .header("Idempotency-Key", "k1")
            .json(&body)
            .send()
    };
    let created = post().await.expect("send");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let gone: u64 = all[1]["id"].as_str().and_then(|s| s.parse().ok()).expect("id");
    assert!(board.delete(&a, StreamKind::Results, gone).expect("delete"));
    // `b` pushes `a` out; then everything comes back with `a`.
    board.revoke_school(&b).expect("revoke");
    assert_eq!(board.lazy_stats().expect("lazy").0, 1);
    let again = post().await.expect("send");
    assert_eq!(again.status(), 200, "the idempotency key is remembered");
    assert_eq!(again.json::<Value>().await.expect("json"), created);
    assert_eq!(board.pushed_parnassys_tasks(&a).len(), 1);
    let (items, tombs, _, _) = drain(&results, &ta, 1000, Some(cursor)).await;
    assert!(items.is_empty());
    assert_eq!(tombs.len(), 1);
    assert_eq!(tombs[0]["id"], gone.to_string());
    let (now, _, _, _) = drain(&results, &ta, 1000, None).await;
    assert_eq!(now.len(), all.len() - 1);
    // `b`'s revocation outlived its own eviction.
    let res = reqwest::Client::new()
        .post(format!("{}/oauth/token", board.parnassys_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &format!("ps-{}", b.to_lowercase())),
            (
                "client_secret",
                &board.credentials(&b).expect("creds").parnassys.1,
            ),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 401, "revoked school");
    board.shutdown().await;
}
