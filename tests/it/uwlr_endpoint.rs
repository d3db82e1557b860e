//! `POST /uwlr/v2/leerresultaten` (UWLR 2.2 `BrengLeerresultaten`) over real HTTP on loopback:
//! a delivery with a school's key is confirmed with `leerresultaten_bevestiging`, stored once per
//! `resultaat/@key`, and a result of a pupil not yet known is held; every refusal is its own SOAP
//! fault and stores nothing. Every request and answer exchanged is written to a folder and checked
//! with `tests/fixtures/validate-xml.sh` (xmllint against the official schemas). And the
//! `uwlr-key add|list|revoke` commands through the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use tokio_util::sync::CancellationToken;
use zorgsignaal::api::auth::token_hash;
use zorgsignaal::api::uwlr::{MAX_BODY_BYTES, PATH, bevestiging};
use zorgsignaal::api::{self, AppState};
use zorgsignaal::domain::{Brin, Grade, Group, Membership, Pupil, School, SchoolYear, Source};
use zorgsignaal::settings::ApiSettings;
use zorgsignaal::sources::uwlr::soap::read_fault;
use zorgsignaal::store::{self, Store};

const KEY_23QK: &str = "a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef";
const KEY_11ZW: &str = "b3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef";
const PLACEHOLDER: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn manifest(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn brin(s: &str) -> Brin {
    Brin::parse(s).expect("brin")
}

fn school(b: &str) -> School {
    School {
        brin: brin(b),
        name: format!("School {b}"),
        care_ladder: "niveaus-1-6".into(),
    }
}

fn request_with_key(key: &str) -> String {
    std::fs::read_to_string(manifest(
        "tests/fixtures/uwlr/messages/soap_leerresultaten_dmt.xml",
    ))
    .expect("fixture")
    .replace(PLACEHOLDER, key)
}

struct Endpoint {
    store: Arc<dyn Store>,
    url: String,
    http: reqwest::Client,
    /// Every request and answer, for xmllint.
    messages: tempfile::TempDir,
    count: std::cell::Cell<usize>,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Pupils of 23QK the LAS has delivered (by snapshot), in groep 5.
async fn enrol(store: &dyn Store, ids: &[&str]) {
    let year = SchoolYear::starting(2025);
    let pupils: Vec<Pupil> = ids
        .iter()
        .map(|id| Pupil {
            school: brin("23QK"),
            source: Source::ParnassysGkv,
            external_id: (*id).into(),
            national_id_hash: None,
            given_name: "Kim".into(),
            surname_prefix: None,
            surname: "Jansen".into(),
            birth_date: None,
            left_on: None,
            dyslexia_statement: None,
        })
        .collect();
    let members: Vec<Membership> = ids
        .iter()
        .map(|id| Membership {
            school: brin("23QK"),
            pupil_external_id: (*id).into(),
            group_external_id: "g5".into(),
            grade: Grade::new(5).expect("grade"),
            from: year.first_day(),
            to: None,
        })
        .collect();
    let group = Group {
        school: brin("23QK"),
        external_id: "g5".into(),
        name: "Groep 5".into(),
        school_year: year,
    };
    store
        .apply_snapshot(
            &brin("23QK"),
            year,
            &pupils,
            &[group],
            &members,
            Utc.with_ymd_and_hms(2025, 9, 1, 3, 0, 0).single().expect("time"),
        )
        .await
        .expect("snapshot");
}

impl Endpoint {
    async fn spawn() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("uwlr.db").display());
        let store = store::open(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        store.upsert_school(&school("23QK")).await.expect("school");
        enrol(store.as_ref(), &["00001"]).await;
        store
            .create_uwlr_key(&brin("23QK"), &token_hash(KEY_23QK), "Testuitgever")
            .await
            .expect("key");
        store
            .create_uwlr_key(&brin("11ZW"), &token_hash(KEY_11ZW), "Testuitgever")
            .await
            .expect("key");
        let mut state = AppState::new(store.clone(), ApiSettings::default());
        state.schools = Arc::new(vec![school("23QK"), school("11ZW")]);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}{PATH}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        tokio::spawn(api::serve(listener, state, shutdown.clone()));
        Self {
            store,
            url,
            http: reqwest::Client::new(),
            messages: tempfile::tempdir().expect("tempdir"),
            count: std::cell::Cell::new(0),
            shutdown,
            _dir: dir,
        }
    }

    fn keep(&self, what: &str, xml: &str) {
        let n = self.count.get() + 1;
        self.count.set(n);
        std::fs::write(self.messages.path().join(format!("soap_{n:02}_{what}.xml")), xml)
            .expect("write message");
    }

    /// Posts `body` with SOAPAction `action`; returns status and answer (both kept for xmllint
    /// when they are XML we are meant to produce).
    async fn post(&self, body: impl Into<reqwest::Body>, action: Option<&str>) -> (u16, String) {
        let mut req = self
            .http
            .post(&self.url)
            .header("content-type", "text/xml; charset=utf-8");
        if let Some(a) = action {
            req = req.header("SOAPAction", a);
        }
        let res = req.body(body).send().await.expect("post");
        let status = res.status().as_u16();
        let ctype = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = res.text().await.expect("body");
        assert_eq!(ctype, "text/xml; charset=utf-8", "{text}");
        self.keep("antwoord", &text);
        (status, text)
    }

    /// Posts `body` with `Transfer-Encoding: chunked` (no Content-Length) over a raw connection;
    /// returns status and answer body.
    async fn post_chunked(&self, body: &[u8]) -> (u16, String) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let rest = self.url.trim_start_matches("http://");
        let (host, path) = rest.split_at(rest.find('/').expect("path"));
        let mut conn = tokio::net::TcpStream::connect(host).await.expect("connect");
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/xml; charset=utf-8\r\n\
             SOAPAction: BrengLeerresultaten\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).await.expect("head");
        for chunk in body.chunks(64 * 1024) {
            // The server may answer and close before reading everything: stop writing then.
            if conn
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await
                .is_err()
                || conn.write_all(chunk).await.is_err()
                || conn.write_all(b"\r\n").await.is_err()
            {
                break;
            }
        }
        let _ = conn.write_all(b"0\r\n\r\n").await;
        let mut raw = Vec::new();
        let _ = conn.read_to_end(&mut raw).await;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line: {text}"));
        let body_start = text.find("\r\n\r\n").expect("end of head") + 4;
        let mut body = text[body_start..].to_owned();
        if text[..body_start]
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            // One chunk is enough for a fault: "<len>\r\n<data>\r\n0\r\n\r\n".
            let data = body.find("\r\n").expect("chunk size") + 2;
            let len = usize::from_str_radix(body[..data - 2].trim(), 16).expect("hex size");
            body = body[data..data + len].to_owned();
        }
        (status, body)
    }

    async fn deliver(&self, xml: &str) -> (u16, String) {
        self.keep("verzoek", xml);
        self.post(xml.to_owned(), Some("\"BrengLeerresultaten\"")).await
    }

    async fn result_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .store
            .pupil_histories(&brin("23QK"))
            .await
            .expect("histories")
            .into_iter()
            .flat_map(|h| h.results.into_iter().map(|r| r.result.external_id))
            .collect();
        ids.sort();
        ids
    }

    fn validate(&self) {
        let out = Command::new("bash")
            .arg(manifest("tests/fixtures/validate-xml.sh"))
            .arg(self.messages.path())
            .output()
            .expect("run validate-xml.sh (needs xmllint, libxml2-utils)");
        assert!(
            out.status.success(),
            "messages not valid against the official schemas:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test]
async fn a_delivery_is_confirmed_stored_once_per_key_and_an_unknown_pupils_results_held() {
    let e = Endpoint::spawn().await;
    let (status, answer) = e.deliver(&request_with_key(KEY_23QK)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer, bevestiging());
    assert!(answer.contains("leerresultaten_bevestiging"));
    assert_eq!(e.result_ids().await, ["r-1", "r-2", "r-3"]);
    let held = e.store.held_counts().await.expect("held");
    assert_eq!(held.len(), 1, "pupil 00002 is not known yet: r-4 waits");
    assert_eq!((held[0].source, held[0].count), (Source::Uwlr, 1));

    // The same message again (a sender's retry): confirmed, nothing new.
    let (status, answer) = e.deliver(&request_with_key(KEY_23QK)).await;
    assert_eq!((status, answer.as_str()), (200, bevestiging().as_str()));
    assert_eq!(e.result_ids().await, ["r-1", "r-2", "r-3"]);
    assert_eq!(e.store.held_counts().await.expect("held")[0].count, 1);

    // The LAS enrols 00002; its held result is applied.
    enrol(e.store.as_ref(), &["00001", "00002"]).await;
    let released = e.store.release_held(&brin("23QK")).await.expect("release");
    assert_eq!(released.released, 1);
    assert_eq!(e.result_ids().await, ["r-1", "r-2", "r-3", "r-4"]);
    let stored = e
        .store
        .pupil_histories(&brin("23QK"))
        .await
        .expect("histories")
        .into_iter()
        .flat_map(|h| h.results)
        .find(|r| r.result.external_id == "r-1")
        .expect("r-1");
    assert_eq!(stored.result.source, Source::Uwlr);
    assert_eq!(
        stored.result.ability.as_ref().and_then(|a| a.interval),
        Some(zorgsignaal::domain::ConfidenceInterval {
            low: 28.5,
            high: 35.5
        })
    );
    e.validate();
}

#[tokio::test]
async fn every_refusal_is_its_own_soap_fault_and_stores_nothing() {
    let e = Endpoint::spawn().await;
    let good = request_with_key(KEY_23QK);
    let without_header = {
        let start = good.find("<soap:Header>").expect("header");
        let end = good.find("</soap:Header>").expect("header end") + "</soap:Header>".len();
        format!("{}{}", &good[..start], &good[end..])
    };
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "wrong key",
            request_with_key(&"c".repeat(64)),
            "soap:Client.Autorisatie",
            "onbekende",
        ),
        (
            "no autorisatie header",
            without_header,
            "soap:Client.Autorisatie",
            "ontbreekt",
        ),
        (
            "another school's key",
            request_with_key(KEY_11ZW),
            "soap:Client.AndereSchool",
            "23QK",
        ),
        (
            "malformed XML",
            good[..good.len() / 2].to_owned(),
            "soap:Client.OngeldigeXml",
            "geen geldige XML",
        ),
        (
            "schema-invalid body",
            good.replace("<lr:score>17</lr:score>", "<lr:score>-1</lr:score>"),
            "soap:Client.Schema",
            "non-negative",
        ),
        (
            "a toetscode not defined in <toetsen>",
            {
                let at = good
                    .rfind("<lr:toetscode>WOORD</lr:toetscode>")
                    .expect("definition");
                format!(
                    "{}<lr:toetscode>REKEN</lr:toetscode>{}",
                    &good[..at],
                    &good[at + 34..]
                )
            },
            "soap:Client.Schema",
            "WOORD",
        ),
        (
            "not a SOAP envelope",
            std::fs::read_to_string(manifest("tests/fixtures/uwlr/messages/leerresultaten_dmt.xml"))
                .expect("fixture"),
            "soap:Client.Schema",
            "SOAP",
        ),
    ];
    for (what, body, faultcode, says) in &cases {
        assert_ne!(body, &good, "{what}: the case must change the message");
        let (status, answer) = e.deliver(body).await;
        assert_eq!(status, 500, "{what}: {answer}");
        let (code, text, detail) =
            read_fault(answer.as_bytes()).unwrap_or_else(|| panic!("{what}: {answer}"));
        assert_eq!(&code, faultcode, "{what}: {text}");
        assert!(text.contains(says), "{what}: {text}");
        assert!(text.contains("niets opgeslagen"), "{what}: {text}");
        assert!(detail.is_some(), "{what}");
    }
    // The request files of the bad cases are not ours to validate: only the answers are kept.
    for entry in std::fs::read_dir(e.messages.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().contains("verzoek") {
            std::fs::remove_file(path).expect("remove");
        }
    }

    // A wrong SOAPAction.
    let (status, answer) = e.post(good.clone(), Some("\"HaalLeerlinggegevens\"")).await;
    assert_eq!(status, 500);
    assert_eq!(
        read_fault(answer.as_bytes()).expect("fault").0,
        "soap:Client.SoapAction"
    );

    // Oversized: declared by Content-Length, and streamed without one.
    let padding = " ".repeat(MAX_BODY_BYTES);
    let big = good.replacen("<soap:Body>", &format!("<soap:Body>{padding}"), 1);
    let (status, answer) = e.post(big.clone(), Some("BrengLeerresultaten")).await;
    assert_eq!(status, 500);
    let (code, text, _) = read_fault(answer.as_bytes()).expect("fault");
    assert_eq!(
        (code.as_str(), text.contains("MiB")),
        ("soap:Client.TeGroot", true)
    );
    let (status, answer) = e.post_chunked(big.as_bytes()).await;
    assert_eq!(status, 500);
    assert_eq!(
        read_fault(answer.as_bytes()).expect("fault").0,
        "soap:Client.TeGroot"
    );
    e.keep("antwoord", &answer);

    // A revoked key.
    let id = e.store.uwlr_keys(Some(&brin("23QK"))).await.expect("keys")[0].id;
    e.store.revoke_uwlr_key(id).await.expect("revoke");
    let (status, answer) = e.deliver(&good).await;
    assert_eq!(status, 500);
    assert_eq!(
        read_fault(answer.as_bytes()).expect("fault").0,
        "soap:Client.Autorisatie"
    );

    assert!(
        e.result_ids().await.is_empty(),
        "a refused message stores nothing"
    );
    assert!(e.store.held_counts().await.expect("held").is_empty());
    for entry in std::fs::read_dir(e.messages.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.to_string_lossy().contains("verzoek") {
            std::fs::remove_file(path).expect("remove");
        }
    }
    e.validate();
}

fn zorgsignaal(args: &[&str], db: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--config", "config/test.toml"])
        .args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("ZORGSIGNAAL__") {
            cmd.env_remove(key);
        }
    }
    cmd.env("ZORGSIGNAAL__STORE__URL", db)
        .output()
        .expect("run zorgsignaal")
}

#[tokio::test]
async fn uwlr_keys_are_made_per_school_shown_once_listed_without_secret_and_revoked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("z.db").display());
    assert!(zorgsignaal(&["migrate"], &db).status.success());
    let out = zorgsignaal(
        &["uwlr-key", "add", "--school", "23QK", "--label", "Toetsuitgever"],
        &db,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(key.len(), 64, "the most autorisatiesleutel allows: {key}");
    let out = zorgsignaal(&["uwlr-key", "add", "--school", "99XX"], &db);
    assert_eq!(out.status.code(), Some(2), "a school not in the configuration");

    let store = store::open(&db).await.expect("open");
    assert_eq!(
        store.uwlr_key_school(&token_hash(&key)).await.expect("lookup"),
        Some(brin("23QK")),
        "stored as its hash"
    );
    assert_eq!(store.uwlr_key_school(&key).await.expect("lookup"), None);
    store.close().await;

    let out = zorgsignaal(&["uwlr-key", "list"], &db);
    let list = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success());
    assert!(list.contains("23QK") && list.contains("Toetsuitgever"), "{list}");
    assert!(!list.contains(&key), "never the key itself: {list}");
    let id = list
        .lines()
        .nth(1)
        .and_then(|l| l.split('\t').next())
        .expect("a row")
        .to_owned();
    assert!(zorgsignaal(&["uwlr-key", "revoke", &id], &db).status.success());
    assert_eq!(
        zorgsignaal(&["uwlr-key", "revoke", &id], &db).status.code(),
        Some(1),
        "already revoked"
    );
    let store = store::open(&db).await.expect("open");
    assert_eq!(
        store.uwlr_key_school(&token_hash(&key)).await.expect("lookup"),
        None
    );
    store.close().await;
}
