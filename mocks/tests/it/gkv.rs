//! GKV SOAP: good and bad keys, revocation, a pupil leaving.

use crate::common::{board, brin};

fn envelope(op: &str, naam: &str, key: &str, brin: &str, year: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:par=\"http://www.topicus.nl/parnassys\">\
         <soapenv:Header/><soapenv:Body><par:{op}><leveranciernaam>{naam}</leveranciernaam>\
         <leveranciersleutel>{key}</leveranciersleutel><brinnummer>{brin}</brinnummer>\
         <schooljaar>{year}</schooljaar></par:{op}></soapenv:Body></soapenv:Envelope>"
    )
}

async fn call(url: &str, op: &str, body: String) -> (u16, String) {
    let res = reqwest::Client::new()
        .post(format!("{url}/bao/services/cxf/v3/generic"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"{op}\""))
        .body(body)
        .send()
        .await
        .expect("soap call");
    (res.status().as_u16(), res.text().await.expect("text"))
}

#[tokio::test]
async fn good_key_returns_the_snapshot_and_bad_key_a_fault() {
    let board = board().await;
    let brin = brin(&board);
    let c = board.credentials(&brin).expect("creds");
    let url = board.gkv_url();
    let (status, xml) = call(
        &url,
        "getLeerlingen",
        envelope(
            "getLeerlingen",
            &c.leveranciernaam,
            &c.leveranciersleutel,
            &brin,
            "2026 / 2027",
        ),
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    assert!(xml.contains("<ns2:getLeerlingenResponse xmlns:ns2=\"http://www.topicus.nl/parnassys\">"));
    let pupils = xml.matches("<leerling><id>").count();
    assert!(pupils >= 40, "current pupils plus planted ones, got {pupils}");
    for tag in [
        "<leerlingNummer>",
        "<roepNaam>",
        "<achternaam>",
        "<geboortedatum>",
        "<groep><id>",
        "<jaargroep>",
        "<vanafDatum>",
        "<leerjaar>",
        "<naam>2026 / 2027</naam>",
    ] {
        assert!(xml.contains(tag), "missing {tag}");
    }
    let (status, xml) = call(
        &url,
        "getLeerlingen",
        envelope("getLeerlingen", &c.leveranciernaam, "wrong", &brin, "2026 / 2027"),
    )
    .await;
    assert_eq!(status, 500);
    assert!(xml.contains("<faultcode>soap:Client</faultcode>"));
    assert!(xml.contains("AUTHENTICATION_FAILED: ongeldige leveranciersleutel"));
    let (_, xml) = call(
        &url,
        "getLeerlingen",
        envelope(
            "getLeerlingen",
            &c.leveranciernaam,
            &c.leveranciersleutel,
            &brin,
            "1999 / 2000",
        ),
    )
    .await;
    assert!(xml.contains("INVALID_SCHOOLJAAR"));
    let (status, xml) = call(
        &url,
        "getMedewerkers",
        envelope(
            "getMedewerkers",
            &c.leveranciernaam,
            &c.leveranciersleutel,
            &brin,
            "2026 / 2027",
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(xml.contains("<functie>ib</functie>"));
    assert_eq!(board.request_count("gkv.getLeerlingen"), 3);
    board.shutdown().await;
}

#[tokio::test]
async fn revoked_school_gets_a_fault_and_a_leaver_disappears() {
    let board = board().await;
    let brin = brin(&board);
    let c = board.credentials(&brin).expect("creds");
    let url = board.gkv_url();
    let req = || {
        envelope(
            "getLeerlingen",
            &c.leveranciernaam,
            &c.leveranciersleutel,
            &brin,
            "2026 / 2027",
        )
    };
    let (_, before) = call(&url, "getLeerlingen", req()).await;
    let pupil = board.inspect(|st| {
        let s = &st.schools[&brin];
        let current: Vec<u64> = s
            .groepen
            .iter()
            .filter(|g| g.schooljaar == "2026-2027")
            .map(|g| g.id)
            .collect();
        s.groepsindelingen
            .iter()
            .find(|m| current.contains(&m.groep))
            .map(|m| m.leerling)
            .expect("a current pupil")
    });
    assert!(before.contains(&format!("<leerling><id>{pupil}</id>")));
    assert!(board.remove_pupil(&brin, pupil).expect("remove"));
    let (_, after) = call(&url, "getLeerlingen", req()).await;
    assert!(!after.contains(&format!("<leerling><id>{pupil}</id>")));
    assert_eq!(
        after.matches("<leerling><id>").count() + 1,
        before.matches("<leerling><id>").count()
    );
    board.revoke_school(&brin).expect("revoke");
    let (status, xml) = call(&url, "getLeerlingen", req()).await;
    assert_eq!(status, 500);
    assert!(xml.contains("AUTHENTICATION_FAILED: koppeling ingetrokken door de school"));
    board.shutdown().await;
}
