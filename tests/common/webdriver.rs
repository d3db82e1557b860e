//! A small W3C WebDriver client for the browser tests: starts Debian's `chromedriver` on a free
//! loopback port, opens a headless Chromium session and drives it over plain HTTP with reqwest (no
//! extra crate). Every wait polls with a deadline; nothing sleeps a fixed time before reading.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// Debian's chromium wrapper.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process with one headless Chromium session; dropping it kills chromedriver.
pub struct Driver {
    child: Child,
    http: reqwest::Client,
    base: String,
    session: String,
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
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut d = Self {
            child,
            http,
            base,
            session: String::new(),
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,1100", "--lang=nl-NL"]
            }
        }}});
        let v = d.call("POST", "/session", caps).await;
        d.session = v["sessionId"].as_str().expect("session id").to_string();
        d
    }

    /// One WebDriver command; panics with the driver's answer unless it succeeded.
    pub async fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let rb = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).json(&body),
        };
        let res = rb.send().await.expect("webdriver call");
        let status = res.status();
        let v: Value = res.json().await.expect("webdriver json");
        assert!(status.is_success(), "{method} {path}: {v}");
        v["value"].clone()
    }

    /// Navigates to `url`.
    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({ "url": url })).await;
    }

    /// The element id of the first match of `css`.
    pub async fn find(&self, css: &str) -> String {
        let v = self
            .call("POST", "/element", json!({"using": "css selector", "value": css}))
            .await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .expect("element id")
            .to_string()
    }

    /// Types `text` into the first match of `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call("POST", &format!("/element/{el}/value"), json!({ "text": text }))
            .await;
    }

    /// Clicks the first match of `css`; navigation it starts may still be running afterwards.
    pub async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call("POST", &format!("/element/{el}/click"), json!({}))
            .await;
    }

    /// Runs a synchronous script with `args` and returns its value.
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.call("POST", "/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// The page URL now.
    pub async fn current_url(&self) -> String {
        self.call("GET", "/url", Value::Null)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
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
                let text = self.script("return document.body.innerText", json!([])).await;
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

    /// Saves a PNG screenshot of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let v = self.call("GET", "/screenshot", Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64"))
            .expect("png");
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
