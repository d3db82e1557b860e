//! Browser test in headless Chromium, driven over the W3C WebDriver protocol of `chromedriver`
//! (the `fantoccini` client, tests/common/webdriver.rs): an IB logs in, opens a pupil with a `dmt_three_lowest` signal
//! from the school overview, snoozes it, and the store shows the new date. Without chromium it
//! fails when `CI` is set and prints "skipped" otherwise. The same on the demo board (and the
//! committed screenshots) is `tests/it/api_demo_browser.rs`.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use serde_json::json;
use webdriver::{Driver, browser_available};
use world::World;

use crate::common::api_world as world;
use crate::common::webdriver;

#[tokio::test]
async fn ib_snoozes_a_dmt_signal_in_headless_chromium() {
    if !browser_available() {
        return;
    }
    let w = World::spawn().await;
    world::seed_showcase(w.store.as_ref()).await;
    let d = Driver::start().await;

    d.goto(&format!("{}/login", w.base)).await;
    d.type_into("#username", "ib_a").await;
    d.type_into("#password", world::PASSWORD).await;
    d.click("form[action='/login'] button[type='submit']").await;
    d.wait_for_url("/scholen/11ZW").await;

    d.click(&format!("a[href='/leerlingen/{}']", w.a.pupil)).await;
    d.wait_for_url(&format!("/leerlingen/{}", w.a.pupil)).await;
    let rule = d
        .script(
            "return document.getElementById(arguments[0]).textContent",
            json!([format!("signaal-{}", w.a.signal)]),
        )
        .await;
    assert!(
        rule.as_str()
            .unwrap_or_default()
            .contains("drie keer V(E) op DMT"),
        "{rule}"
    );

    let until = zorgsignaal::app::today_amsterdam() + TimeDelta::days(21);
    // Date inputs take keyboard input in the locale's order; set the value as the form sends it.
    d.script(
        "document.getElementById(arguments[0]).value = arguments[1]",
        json!([format!("tot-{}", w.a.signal), until.to_string()]),
    )
    .await;
    d.click(&format!("form[action='/signalen/{}/snooze'] button", w.a.signal))
        .await;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = w.store.signal(w.a.signal).await.expect("signal");
        if row.signal.snoozed_until == Some(until) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "signal not snoozed: {:?}",
            row.signal.snoozed_until
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The form's redirect may still be loading: wait for the page text with a deadline.
    d.wait_for_text(&format!("uitgesteld tot {}", until.format("%d-%m-%Y")))
        .await;
    let audit = w.store.audit_entries(50).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.actor == "ib_a" && e.action == "signal.snooze")
    );
}
