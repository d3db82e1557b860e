//! Contract tests for the note reads (issue 18 item 6): the rule engine's marks (no text, a
//! bounded window, per school, optionally per pupil) and the pupil page's notes (the pupil's own
//! and his groups' notes, newest first, only within the pupil's school).

use crate::harness::*;
use zorgsignaal::domain::{Note, Source};
use zorgsignaal::store::{PageBatch, RecordKind, Tombstone};

fn note(
    id: &str,
    pupil: Option<&str>,
    group: &str,
    path: &[&str],
    at: chrono::DateTime<chrono::Utc>,
) -> Note {
    Note {
        source: Source::Leeruniek,
        external_id: id.into(),
        school: brin(),
        pupil_external_id: pupil.map(String::from),
        group_external_id: Some(group.into()),
        category_path: path.iter().map(|s| (*s).to_string()).collect(),
        created_at: at,
        content: format!("Tekst van {id}."),
    }
}

fn page(notes: Vec<Note>) -> PageBatch {
    let mut b = PageBatch::new(Source::Leeruniek, brin(), "notes");
    b.notes = notes;
    b
}

async fn pupil_id(ctx: &Ctx, external_id: &str) -> i64 {
    ctx.store
        .known_pupils(&brin())
        .await
        .expect("known pupils")
        .into_iter()
        .find(|k| k.external_id == external_id)
        .expect("pupil enrolled")
        .id
}

pub async fn notes_are_read_per_school_in_a_window_and_newest_first(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    store
        .apply_page(&page(vec![
            note("n1", Some("p1"), "g1", &["Zorgen"], at(2025, 6, 2, 9)),
            note(
                "n2",
                Some("p1"),
                "g1",
                &["Zorg", "Welbevinden"],
                at(2025, 10, 1, 9),
            ),
            note("n3", Some("p1"), "g1", &["Rekenen"], at(2025, 11, 3, 14)),
            note("n4", Some("p2"), "g1", &["Gedrag"], at(2025, 10, 2, 9)),
            note("n5", None, "g1", &["Groep"], at(2025, 10, 20, 9)),
            note("n6", None, "g9", &["Groep"], at(2025, 10, 21, 9)),
        ]))
        .await
        .expect("page");
    let (p1, p2) = (pupil_id(&ctx, "p1").await, pupil_id(&ctx, "p2").await);

    // The rules' marks: pupils' own notes since the moment, oldest first per pupil, no text.
    let marks = store
        .note_marks(&brin(), None, at(2025, 8, 1, 0))
        .await
        .expect("marks");
    let got: Vec<(i64, Vec<String>, chrono::DateTime<chrono::Utc>)> = marks
        .iter()
        .map(|m| (m.pupil_id, m.category_path.clone(), m.written_at))
        .collect();
    let mut want = vec![
        (
            p1,
            vec!["Zorg".to_string(), "Welbevinden".to_string()],
            at(2025, 10, 1, 9),
        ),
        (p1, vec!["Rekenen".to_string()], at(2025, 11, 3, 14)),
        (p2, vec!["Gedrag".to_string()], at(2025, 10, 2, 9)),
    ];
    want.sort_by_key(|w| w.0);
    assert_eq!(got, want, "group notes and notes before the window are left out");
    assert!(marks.iter().all(|m| m.source == Source::Leeruniek));
    let only_p2 = store
        .note_marks(&brin(), Some(&[p2]), at(2025, 8, 1, 0))
        .await
        .expect("marks of p2");
    assert_eq!(only_p2.len(), 1);
    assert_eq!(only_p2[0].pupil_id, p2);
    assert!(
        store
            .note_marks(&brin(), Some(&[]), at(2025, 8, 1, 0))
            .await
            .expect("none")
            .is_empty()
    );
    assert!(
        store
            .note_marks(&other_brin(), None, at(2020, 1, 1, 0))
            .await
            .expect("other school")
            .is_empty(),
        "another school's read sees none of them"
    );

    // The pupil page: his own notes and his groups' notes, newest first, with the text.
    let page_notes = store
        .pupil_notes(&brin(), p1, &["g1".to_string()], at(2025, 8, 1, 0))
        .await
        .expect("pupil notes");
    let ids: Vec<&str> = page_notes.iter().map(|n| n.note.external_id.as_str()).collect();
    assert_eq!(ids, ["n3", "n5", "n2"]);
    assert_eq!(page_notes[0].note.content, "Tekst van n3.");
    assert_eq!(page_notes[0].pupil_id, Some(p1));
    assert_eq!(page_notes[1].pupil_id, None);
    assert_eq!(page_notes[0].note.pupil_external_id.as_deref(), Some("p1"));
    assert_eq!(page_notes[2].note.category_label(), "Zorg › Welbevinden");
    let without_groups = store
        .pupil_notes(&brin(), p1, &[], at(2025, 1, 1, 0))
        .await
        .expect("own notes");
    let ids: Vec<&str> = without_groups
        .iter()
        .map(|n| n.note.external_id.as_str())
        .collect();
    assert_eq!(ids, ["n3", "n2", "n1"]);
    assert!(
        store
            .pupil_notes(&other_brin(), p1, &["g1".to_string()], at(2020, 1, 1, 0))
            .await
            .expect("other school")
            .is_empty(),
        "a pupil of another school gives no notes"
    );

    // A tombstoned note is gone from both reads.
    let mut tomb = PageBatch::new(Source::Leeruniek, brin(), "notes");
    tomb.tombstones = vec![Tombstone {
        kind: RecordKind::Note,
        external_id: "n3".into(),
    }];
    store.apply_page(&tomb).await.expect("tombstone");
    assert_eq!(
        store
            .note_marks(&brin(), Some(&[p1]), at(2025, 8, 1, 0))
            .await
            .expect("marks")
            .len(),
        1
    );
    let ids: Vec<String> = store
        .pupil_notes(&brin(), p1, &["g1".to_string()], at(2025, 8, 1, 0))
        .await
        .expect("pupil notes")
        .into_iter()
        .map(|n| n.note.external_id)
        .collect();
    assert_eq!(ids, ["n5", "n2"]);
}
