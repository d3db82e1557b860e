//! The aiosmtpd sink (`smtp_sink.py`) from Rust: start it on loopback, read what it received.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// A running sink; stops when dropped (its stdin closes and the child is killed).
pub struct Sink {
    _child: Child,
    _stdin: ChildStdin,
    /// Port on 127.0.0.1.
    pub port: u16,
    /// Where it writes what it receives.
    pub dir: PathBuf,
}

/// Starts the sink writing into `dir`, accepting user `zorgsignaal` with `password` (each test
/// world has its own, so a leak into a log or an output file is traceable to it); `None` (after
/// printing why) when aiosmtpd is missing outside CI. Panics under `CI` when it is missing.
pub async fn start_sink(dir: &Path, password: &str) -> Option<Sink> {
    start_sink_rejecting(dir, password, "").await
}

/// Like [`start_sink`], but every recipient containing `reject` (when not empty) is refused with
/// a 550 reply.
pub async fn start_sink_rejecting(dir: &Path, password: &str, reject: &str) -> Option<Sink> {
    let probe = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .await;
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd not installed: the SMTP digest test needs `python3 -m pip install aiosmtpd`"
        );
        eprintln!("skipped: aiosmtpd not installed");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(dir)
        .env("SINK_USER", "zorgsignaal")
        .env("SINK_PASSWORD", password)
        .env("SINK_REJECT", reject)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the SMTP sink");
    let stdin = child.stdin.take().expect("sink stdin");
    let stdout = child.stdout.take().expect("sink stdout");
    let mut line = String::new();
    tokio::time::timeout(
        Duration::from_secs(30),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the sink did not get ready within 30 s")
    .expect("read the sink's ready line");
    let port = line
        .trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected sink output {line:?}"));
    Some(Sink {
        _child: child,
        _stdin: stdin,
        port,
        dir: dir.to_owned(),
    })
}

/// (raw message, decoded subject + text parts) of every received mail, in arrival order.
pub fn received(dir: &Path) -> Vec<(String, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("sink dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|eml| {
            let raw = std::fs::read_to_string(&eml).expect("raw mail");
            let text = std::fs::read_to_string(eml.with_extension("txt")).expect("decoded mail");
            (raw, text)
        })
        .collect()
}
