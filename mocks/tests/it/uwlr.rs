//! UWLR `HaalLeerlinggegevens` of the ESIS-like school: the autorisatie header is checked (key,
//! klantcode, the header itself), the answer lists the school year's pupils with their group,
//! the ESIS-like school has no GKV and no ParnasSys REST, and a revoked key is refused.

use mocks::{GenParams, MockBoard, MockConfig};

use crate::common::small_params;

async fn uwlr_board() -> (MockBoard, String) {
    let board = MockBoard::start(MockConfig::generated(GenParams {
        uwlr_schools: 1,
        ..small_params(7)
    }))
    .await
    .expect("board starts");
    let brin = board.schools().last().cloned().expect("a school");
    (board, brin)
}

fn request(key: &str, klantcode: &str, brin: &str, year: &str) -> String {
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

async fn call(url: &str, body: String) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", "\"HaalLeerlinggegevens\"")
        .body(body)
        .send()
        .await
        .expect("soap call");
    (res.status().as_u16(), res.text().await.expect("text"))
}

#[tokio::test]
async fn the_key_and_klantcode_give_the_school_years_pupils_and_anything_else_a_fault() {
    let (board, brin) = uwlr_board().await;
    let c = board.uwlr_credentials(&brin).expect("uwlr credentials");
    assert!(
        board.credentials(&brin).is_none(),
        "no ParnasSys for an ESIS-like school"
    );
    assert!(board.uwlr_credentials(&board.schools()[0]).is_none());
    let key = c.access.autorisatiesleutel.clone();
    let (status, xml) = call(&c.url, request(&key, &c.access.klantcode, &brin, "2026-2027")).await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains(
        "<leerlinggegevens_antwoord xmlns=\"http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens\">"
    ));
    let current = board.inspect(|st| {
        let s = &st.schools[&brin];
        let groups: Vec<u64> = s
            .groepen
            .iter()
            .filter(|g| g.schooljaar == "2026-2027")
            .map(|g| g.id)
            .collect();
        let mut ids: Vec<u64> = s
            .groepsindelingen
            .iter()
            .filter(|m| groups.contains(&m.groep))
            .map(|m| m.leerling)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    });
    assert!(current.len() >= 40, "{}", current.len());
    assert_eq!(xml.matches("<leerling key=").count(), current.len());
    for id in &current {
        assert!(xml.contains(&format!("<leerling key=\"{id}\">")), "pupil {id}");
    }
    assert!(xml.contains("<rol>LRK</rol>") && xml.contains("<jaargroep>"));
    assert_eq!(board.request_count("uwlr.HaalLeerlinggegevens"), 1);

    for (body, says) in [
        (
            request("fout", &c.access.klantcode, &brin, "2026-2027"),
            "Autorisatie",
        ),
        (request(&key, "ANDER", &brin, "2026-2027"), "klantcode"),
        (
            request(&key, &c.access.klantcode, &board.schools()[0], "2026-2027"),
            "geen UWLR",
        ),
        (
            request(&key, &c.access.klantcode, &brin, "2031-2032"),
            "ONBEKEND_SCHOOLJAAR",
        ),
        (
            request(&key, &c.access.klantcode, &brin, "2026-2027")
                .replace("<aut:klantcode>ZS01</aut:klantcode>", ""),
            "klantcode",
        ),
        ("<soap:Envelope".to_owned(), "ONGELDIGE_XML"),
    ] {
        let (status, xml) = call(&c.url, body).await;
        assert_eq!(status, 500, "{xml}");
        assert!(
            xml.contains("<soap:Fault>") && xml.contains(says),
            "{says}: {xml}"
        );
    }

    // The ESIS-like school has no GKV.
    let gkv = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:par=\"http://www.topicus.nl/parnassys\">\
         <soapenv:Body><par:getLeerlingen><leveranciernaam>Zorgsignaal</leveranciernaam><leveranciersleutel></leveranciersleutel>\
         <brinnummer>{brin}</brinnummer><schooljaar>2026 / 2027</schooljaar></par:getLeerlingen></soapenv:Body></soapenv:Envelope>"
    );
    let res = reqwest::Client::new()
        .post(format!("{}/bao/services/cxf/v3/generic", board.gkv_url()))
        .body(gkv)
        .send()
        .await
        .expect("gkv");
    assert_eq!(res.status().as_u16(), 500);
    assert!(res.text().await.expect("text").contains("geen ParnasSys"));

    board.revoke_school(&brin).expect("revoke");
    let (status, xml) = call(&c.url, request(&key, &c.access.klantcode, &brin, "2026-2027")).await;
    assert_eq!(status, 500);
    assert!(xml.contains("ingetrokken"), "{xml}");
    board.shutdown().await;
}
