//! The `uwlr` pupil source (`[schools.uwlr]`): Zorgsignaal calls a LAS's UWLR 2.2
//! `HaalLeerlinggegevens` over real HTTP on loopback (a small LAS in this test that checks the
//! SOAPAction and the `autorisatie` header) and applies the answer like a GKV snapshot: pupils,
//! groups with samengestelde groepen, memberships; a pupil missing later is marked left, never
//! deleted; results held for a pupil the LAS had not delivered yet are applied after the sync; a
//! refused key stops the source for that school. Requests and answers validate against the
//! official schemas (xmllint).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::NaiveDate;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use zorgsignaal::domain::{Brin, ExternalIdHasher, School, Source, TestResult};
use zorgsignaal::sources::http::{HttpClient, HttpConfig};
use zorgsignaal::sources::uwlr::UwlrClient;
use zorgsignaal::sources::uwlr::soap::{self, read_envelope};
use zorgsignaal::store::{self, ImportBatch, Store};
use zorgsignaal::sync::{NoProgress, SchoolSources, StreamState, SyncEngine, SyncOptions};

const KEY: &str = "sleutel-van-de-las-voor-zorgsignaal";

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn brin() -> Brin {
    Brin::parse("99ZZ").expect("brin")
}

/// What the LAS answers and what it received.
struct Las {
    answer: Mutex<String>,
    received: Mutex<Vec<String>>,
}

async fn haal(State(las): State<Arc<Las>>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    las.received.lock().expect("lock").push(body.clone());
    let action = headers
        .get("soapaction")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if action.trim_matches('"') != "HaalLeerlinggegevens" {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            soap::fault("soap:Client", "onbekende SOAPAction", "soapaction"),
        );
    }
    let env = read_envelope(body.as_bytes()).expect("a SOAP request");
    match env.autorisatie {
        Ok(a) if a.key == KEY && a.customer_code == "ZS01" => {
            (StatusCode::OK, las.answer.lock().expect("lock").clone())
        }
        _ => (
            StatusCode::INTERNAL_SERVER_ERROR,
            soap::fault("soap:Client", "Autorisatiesleutel onbekend", "autorisatie"),
        ),
    }
}

async fn spawn_las() -> (Arc<Las>, String, CancellationToken) {
    let answer = std::fs::read_to_string(manifest(
        "tests/fixtures/uwlr/messages/soap_leerlinggegevens_antwoord.xml",
    ))
    .expect("fixture");
    let las = Arc::new(Las {
        answer: Mutex::new(answer),
        received: Mutex::new(Vec::new()),
    });
    let app = axum::Router::new()
        .route("/uwlr/leerlinggegevens", axum::routing::post(haal))
        .with_state(las.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "http://{}/uwlr/leerlinggegevens",
        listener.local_addr().expect("addr")
    );
    let stop = CancellationToken::new();
    let token = stop.clone();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await
    });
    (las, url, stop)
}

fn engine(store: Arc<dyn Store>, url: &str, key: &str) -> SyncEngine {
    let http = HttpClient::new("uwlr", HttpConfig::default()).expect("http");
    let client = UwlrClient::new(
        http,
        url,
        SecretString::from(key.to_owned()),
        ("ZS01", "Zorgsignaal"),
        ExternalIdHasher::new(SecretString::from(
            "een sleutel van minstens tweeëndertig tekens lang",
        )),
    );
    SyncEngine::new(
        store,
        None,
        None,
        None,
        vec![SchoolSources {
            brin: brin(),
            gkv_key: None,
            parnassys: None,
            leeruniek: None,
            uwlr: Some(client),
        }],
    )
}

/// A day in the fixture's school year (2014-2015).
fn options() -> SyncOptions {
    SyncOptions::new(NaiveDate::from_ymd_opt(2014, 10, 1).expect("date"))
}

fn held_result(pupil: &str) -> TestResult {
    TestResult {
        source: Source::Uwlr,
        external_id: "uwlr-r1".into(),
        school: brin(),
        pupil_external_id: pupil.into(),
        test_code: "DMT".into(),
        part_code: None,
        test_name: "Drie-Minuten-Toets".into(),
        provider: None,
        taken_on: NaiveDate::from_ymd_opt(2014, 9, 20).expect("date"),
        stated_moment: None,
        raw_score: Some(30.0),
        ability: None,
        reference_scores: Vec::new(),
    }
}

#[tokio::test]
async fn a_las_without_gkv_delivers_pupils_groups_and_memberships_through_uwlr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store::open(&format!("sqlite://{}", dir.path().join("z.db").display()))
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let school = School {
        brin: brin(),
        name: "ESIS-school".into(),
        care_ladder: "niveaus-1-6".into(),
    };
    store.upsert_school(&school).await.expect("school");
    // A result delivered through the endpoint before the LAS listed the pupil: held.
    let mut early = ImportBatch::new(Source::Uwlr, school);
    early.results = vec![held_result("00002")];
    early.hold_unknown_pupils = true;
    assert_eq!(store.apply_import(&early).await.expect("held").records.held, 1);

    let (las, url, stop) = spawn_las().await;
    let summary = engine(store.clone(), &url, KEY)
        .run_once(&options(), &NoProgress)
        .await;
    assert_eq!(summary.streams.len(), 1, "{summary:?}");
    assert_eq!(summary.streams[0].source, Source::Uwlr);
    assert_eq!(summary.streams[0].state, StreamState::Ok, "{summary:?}");

    let histories = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(histories.len(), 3);
    assert!(histories.iter().all(|h| h.pupil.pupil.source == Source::Uwlr));
    let first = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "00001")
        .expect("00001");
    let groups: Vec<&str> = first
        .memberships
        .iter()
        .map(|m| m.group_external_id.as_str())
        .collect();
    assert!(
        groups.contains(&"GRP4B") && groups.contains(&"sg:sg1"),
        "{groups:?}"
    );
    assert!(
        first.pupil.pupil.national_id_hash.is_some(),
        "ECK iD kept as a keyed hash"
    );
    assert!(
        store.held_counts().await.expect("held").is_empty(),
        "the held result is applied"
    );
    let second = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "00002")
        .expect("00002");
    assert_eq!(second.results.len(), 1);
    assert_eq!(
        store
            .cursor(Source::Uwlr, &brin(), zorgsignaal::sync::PUPILS_STREAM)
            .await
            .expect("cursor")
            .as_deref(),
        Some("snapshot:2014-2015")
    );

    // The LAS no longer lists 00002: left, not deleted.
    {
        let mut answer = las.answer.lock().expect("lock");
        let start = answer.find("<leerling key=\"00002\">").expect("00002");
        let end = start + answer[start..].find("</leerling>").expect("end") + "</leerling>".len();
        answer.replace_range(start..end, "");
    }
    let summary = engine(store.clone(), &url, KEY)
        .run_once(&options(), &NoProgress)
        .await;
    assert_eq!(summary.streams[0].state, StreamState::Ok, "{summary:?}");
    let histories = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(histories.len(), 3, "never deleted");
    let left = histories
        .iter()
        .find(|h| h.pupil.pupil.external_id == "00002")
        .expect("00002");
    assert!(left.pupil.pupil.left_on.is_some());
    assert_eq!(left.results.len(), 1, "history kept");

    // A key the LAS refuses stops the source for the school.
    let summary = engine(store.clone(), &url, "ingetrokken")
        .run_once(&options(), &NoProgress)
        .await;
    assert!(
        matches!(&summary.streams[0].state, StreamState::Stopped { reason } if reason.contains("UWLR")),
        "{summary:?}"
    );

    // What went over the wire validates against the official schemas.
    let out = tempfile::tempdir().expect("tempdir");
    for (i, body) in las.received.lock().expect("lock").iter().enumerate() {
        assert!(!body.contains("ingetrokken") || i == 2);
        std::fs::write(out.path().join(format!("soap_{i:02}_verzoek.xml")), body).expect("write");
    }
    std::fs::write(
        out.path().join("soap_99_antwoord.xml"),
        las.answer.lock().expect("lock").as_str(),
    )
    .expect("write");
    let status = std::process::Command::new("bash")
        .arg(manifest("tests/fixtures/validate-xml.sh"))
        .arg(out.path())
        .status()
        .expect("validate-xml.sh");
    assert!(status.success(), "requests or answer not schema-valid");
    stop.cancel();
}
