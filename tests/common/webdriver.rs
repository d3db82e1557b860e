//! The browser tests' WebDriver session: starts Debian's `chromedriver` on a free loopback port
//! and drives a headless Chromium through the `fantoccini` client (plain HTTP on loopback, no
//! TLS). This file only adds what the tests share on top: the session's capabilities, CSS
//! shorthands and waits that poll with a deadline (nothing sleeps a fixed time before reading).

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Debian's chromium wrapper.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process with one headless Chromium session; dropping it kills chromedriver.
pub struct Driver {
    child: Child,
    client: Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver on a free port and opens a headless session (1280×1100, Dutch locale).
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1100", "--lang=nl-NL"]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        // chromedriver takes a moment to listen: retry the new session until a deadline.
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match builder.connect(&url).await {
                Ok(client) => break client,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no WebDriver session: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Self { child, client }
    }

    /// The fantoccini client, for what the shorthands below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Navigates to `url`.
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Types `text` into the first match of `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.client.find(Locator::Css(css)).await.expect(css);
        el.send_keys(text).await.expect("type");
    }

    /// Clicks the first match of `css`; navigation it starts may still be running afterwards.
    pub async fn click(&self, css: &str) {
        let el = self.client.find(Locator::Css(css)).await.expect(css);
        el.click().await.expect("click");
    }

    /// Runs a synchronous script with `args` (a JSON array) and returns its value.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        let Value::Array(args) = args else {
            panic!("script arguments are a JSON array")
        };
        self.client.execute(script, args).await.expect("script")
    }

    /// The page URL now.
    pub async fn current_url(&self) -> String {
        self.client.current_url().await.expect("current url").to_string()
    }

    /// Waits (polling, 15 s deadline) until the page URL ends with `suffix`: a click returns
    /// before the navigation it starts has finished on a loaded machine. On timeout the page text
    /// is in the panic message.
    pub async fn wait_for_url(&self, suffix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let url = self.current_url().await;
            if url.ends_with(suffix) {
                return url;
            }
            if Instant::now() >= deadline {
                let text = self.body_text().await;
                panic!("landed on {url}, expected …{suffix}; page says: {text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The visible text of the page.
    pub async fn body_text(&self) -> String {
        self.script("return document.body.innerText", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (polling, 15 s deadline) until the page text contains `needle`, e.g. after a form
    /// whose redirect may still be loading. On timeout the page text is in the panic message.
    pub async fn wait_for_text(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let text = self.body_text().await;
            if text.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "page does not show {needle:?}; page says: {text}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Resizes the window (for screenshots at a given size).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("window size");
    }

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("write screenshot");
    }
}

/// Whether the browser is there; otherwise fail under CI and say "skipped" elsewhere.
pub fn browser_available() -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    let msg = "chromium/chromedriver not installed (apt-get install -y chromium chromium-driver)";
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    println!("skipped: {msg}");
    false
}
