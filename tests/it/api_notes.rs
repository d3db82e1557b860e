//! Notes on the pupil page (issue 18 item 6): the pupil's recent notes and his group's notes of
//! the same time, newest first with their category; only for the pupil's own school; every view
//! of them audited.

use chrono::{Duration, Utc};
use zorgsignaal::domain::{Note, Source};
use zorgsignaal::store::PageBatch;

use crate::common::api_world::{World, brin_a};

fn note(id: &str, pupil: Option<&str>, group: &str, path: &[&str], days_ago: i64, text: &str) -> Note {
    Note {
        source: Source::Leeruniek,
        external_id: id.into(),
        school: brin_a(),
        pupil_external_id: pupil.map(String::from),
        group_external_id: Some(group.into()),
        category_path: path.iter().map(|s| (*s).to_string()).collect(),
        created_at: Utc::now() - Duration::days(days_ago),
        content: text.into(),
    }
}

#[tokio::test]
async fn the_pupil_page_shows_recent_notes_newest_first_and_the_view_is_audited() {
    let w = World::spawn().await;
    let mut page = PageBatch::new(Source::Leeruniek, brin_a(), "notes");
    page.notes = vec![
        note(
            "n1",
            Some("p1"),
            "g5",
            &["Zorg", "Welbevinden"],
            20,
            "NOTITIE-EIGEN-OUD",
        ),
        note("n2", None, "g5", &["Groep"], 10, "NOTITIE-GROEP"),
        note("n3", Some("p1"), "g5", &["Rekenen"], 3, "NOTITIE-EIGEN-NIEUW"),
        note("n4", Some("p1"), "g5", &["Zorgen"], 400, "NOTITIE-TE-OUD"),
        note("n5", None, "g9", &["Groep"], 5, "NOTITIE-ANDERE-GROEP"),
    ];
    page.finished = true;
    w.store.apply_page(&page).await.expect("notes");

    let c = w.login("ib_a").await;
    let res = c.get(&format!("/leerlingen/{}", w.a.pupil)).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.expect("page");
    assert!(html.contains("Notities (3)"), "{html}");
    let at = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(at("NOTITIE-EIGEN-NIEUW") < at("NOTITIE-GROEP"), "newest first");
    assert!(at("NOTITIE-GROEP") < at("NOTITIE-EIGEN-OUD"), "newest first");
    assert!(html.contains("Zorg › Welbevinden"), "category shown");
    assert!(!html.contains("NOTITIE-TE-OUD"), "older than half a year");
    assert!(
        !html.contains("NOTITIE-ANDERE-GROEP"),
        "a group the pupil was never in"
    );

    // The JSON view carries them too; another school's IB sees nothing of the pupil.
    let json: serde_json::Value = c
        .get(&format!("/api/v1/pupils/{}", w.a.pupil))
        .await
        .json()
        .await
        .expect("json");
    let texts: Vec<&str> = json["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["text"].as_str())
        .collect();
    assert_eq!(
        texts,
        ["NOTITIE-EIGEN-NIEUW", "NOTITIE-GROEP", "NOTITIE-EIGEN-OUD"]
    );
    let other = w.login("ib_b").await;
    let res = other.get(&format!("/leerlingen/{}", w.a.pupil)).await;
    assert_eq!(res.status(), 404);
    assert!(!res.text().await.expect("body").contains("NOTITIE"));

    let audit = w.store.audit_entries(100).await.expect("audit");
    let pupil = format!("pupil:{}", w.a.pupil);
    let notes_views = audit
        .iter()
        .filter(|e| e.actor == "ib_a" && e.action == "pupil.notes.view" && e.subject == pupil)
        .count();
    assert_eq!(notes_views, 2, "the page and the JSON view");
    assert!(
        !audit.iter().any(|e| e.subject.contains("NOTITIE")),
        "no note text in the audit log"
    );
    assert!(
        !audit
            .iter()
            .any(|e| e.actor == "ib_b" && e.action == "pupil.notes.view"),
        "a refused view shows no notes"
    );
}
