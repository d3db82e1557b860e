//! Paging and the change feed with tombstones.

use std::collections::HashSet;

use mocks::StreamKind;

use crate::common::{board, brin, drain, get, token};

#[tokio::test]
async fn full_listing_pages_every_record_once() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "ps", &brin).await;
    let url = format!("{}/api/v1/scholen/{brin}/resultaten", board.parnassys_url());
    let live = board.inspect(|st| st.schools[&brin].results.len());
    let (items, tombs, _, requests) = drain(&url, &t, 97, None).await;
    assert_eq!(items.len(), live);
    assert!(tombs.is_empty());
    assert_eq!(requests, live.div_ceil(97));
    let ids: HashSet<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), live, "no duplicates");
    let (status, body) = get(&url, &t, &[("limit", "0")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_limit")));
    let (status, _) = get(&url, &t, &[("cursor", "bogus")]).await;
    assert_eq!(status, 400);
    board.shutdown().await;
}

#[tokio::test]
async fn change_feed_returns_changes_and_tombstones_and_one_request_when_idle() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "ps", &brin).await;
    let url = format!("{}/api/v1/scholen/{brin}/resultaten", board.parnassys_url());
    let (_, _, cursor, _) = drain(&url, &t, 500, None).await;
    board.reset_counters();
    let (items, tombs, cursor, requests) = drain(&url, &t, 500, Some(cursor)).await;
    assert!(items.is_empty() && tombs.is_empty());
    assert_eq!(requests, 1);
    assert_eq!(
        board.request_count("parnassys.resultaten"),
        1,
        "one request per stream when nothing changed"
    );
    let (first, second) = board.inspect(|st| {
        let mut it = st.schools[&brin].results.iter();
        (
            it.next().cloned().expect("a result"),
            it.next().cloned().expect("another"),
        )
    });
    let mut changed = first.clone();
    changed.score = Some(99.0);
    board.upsert_result(&brin, changed).expect("update");
    assert!(board.delete_result(&brin, second.id).expect("delete"));
    let mut added = first.clone();
    added.id = 77_000_000_001;
    board.upsert_result(&brin, added).expect("add");
    let (items, tombs, cursor, _) = drain(&url, &t, 1, Some(cursor)).await;
    let ids: Vec<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids, [first.id.to_string(), "77000000001".to_string()]);
    assert_eq!(items[0]["score"], 99.0);
    assert_eq!(tombs.len(), 1);
    assert_eq!(tombs[0]["id"], second.id.to_string());
    assert!(tombs[0]["deleted_at"].as_str().is_some_and(|d| d.ends_with('Z')));
    let (items, tombs, _, requests) = drain(&url, &t, 100, Some(cursor)).await;
    assert!(items.is_empty() && tombs.is_empty() && requests == 1);
    // A full listing no longer has the deleted record.
    let (all, _, _, _) = drain(&url, &t, 1000, None).await;
    let gone = second.id.to_string();
    assert!(all.iter().all(|i| i["id"].as_str() != Some(gone.as_str())));
    board.shutdown().await;
}

#[tokio::test]
async fn records_changed_mid_sync_are_not_skipped() {
    let board = board().await;
    let brin = brin(&board);
    let t = token(&board, "lu", &brin).await;
    let url = format!("{}/api/v1/schools/{brin}/notes", board.leeruniek_url());
    let (_, page) = get(&url, &t, &[("limit", "5")]).await;
    let last = board.inspect(|st| st.schools[&brin].lu_notes.iter().last().cloned().expect("note"));
    // The last record (not yet delivered) changes while the client is between pages.
    let mut changed = last.clone();
    changed.content = "Bijgewerkt".into();
    board
        .upsert(&brin, mocks::Record::LuNote(changed))
        .expect("update");
    let mut seen: Vec<serde_json::Value> = page["items"].as_array().expect("items").clone();
    let (rest, _, cursor, _) = drain_from(&url, &t, page["next_cursor"].as_str().expect("cursor")).await;
    seen.extend(rest);
    let (feed, _, _, _) = drain(&url, &t, 100, Some(cursor)).await;
    seen.extend(feed);
    let ids: HashSet<&str> = seen.iter().filter_map(|i| i["id"].as_str()).collect();
    assert_eq!(ids.len(), board.inspect(|st| st.schools[&brin].lu_notes.len()));
    assert!(seen.iter().any(|i| i["content"] == "Bijgewerkt"));
    board.delete(&brin, StreamKind::LuNotes, last.id).expect("delete");
    board.shutdown().await;
}

async fn drain_from(
    url: &str,
    t: &str,
    cursor: &str,
) -> (Vec<serde_json::Value>, Vec<serde_json::Value>, String, usize) {
    let (mut items, mut cursor, mut n) = (Vec::new(), cursor.to_string(), 0);
    loop {
        let (status, page) = get(url, t, &[("limit", "5"), ("cursor", &cursor)]).await;
        assert_eq!(status, 200);
        n += 1;
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        cursor = page["next_cursor"].as_str().expect("cursor").to_string();
        if page["has_more"] == false {
            return (items, Vec::new(), cursor, n);
        }
    }
}
