//! The board report renders in headless Chromium (screenshot and PDF) without errors. Chromium is
//! `CHROMIUM` (a path) or `/usr/bin/chromium`; without it the test fails when `CI` is set and
//! prints "skipped" otherwise. With `ZORGSIGNAAL_REPORT_EXAMPLE_PNG=docs/report-example.png` it
//! also keeps the screenshot (how the committed example was made).

use std::path::{Path, PathBuf};
use std::process::Command;

use seed::*;
use zorgsignaal::report::report_job;

use crate::common::report_seed as seed;

fn chromium() -> Option<PathBuf> {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/bin/chromium")))
        .filter(|p| p.exists())
}

fn run_chromium(bin: &Path, profile: &Path, output_flag: String, url: &str) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
            "--window-size=1200,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(output_flag)
        .arg(url)
        .output()
        .expect("start chromium")
}

#[tokio::test]
async fn report_renders_to_png_and_pdf_in_headless_chromium() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (apt-get install -y chromium) or set CHROMIUM"
        );
        eprintln!("skipped: no chromium (set CHROMIUM or install /usr/bin/chromium)");
        return;
    };
    let seed = seed().await;
    let out = tempfile::tempdir().expect("out dir");
    let (_, written) = report_job(
        seed.store.as_ref(),
        &settings(&seed, 5),
        Some(year()),
        as_of(),
        out.path(),
    )
    .await
    .expect("report");
    let url = format!("file://{}", written.html.display());

    let png = out.path().join("report.png");
    let profile = tempfile::tempdir().expect("profile");
    let shot = run_chromium(
        &bin,
        profile.path(),
        format!("--screenshot={}", png.display()),
        &url,
    );
    assert!(
        shot.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        bytes.len() > 20_000,
        "suspiciously small screenshot: {} bytes",
        bytes.len()
    );

    let pdf = out.path().join("report.pdf");
    let profile = tempfile::tempdir().expect("profile");
    let printed = run_chromium(
        &bin,
        profile.path(),
        format!("--print-to-pdf={}", pdf.display()),
        &url,
    );
    assert!(
        printed.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let bytes = std::fs::read(&pdf).expect("pdf written");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let pages = bytes.windows(10).filter(|w| w == b"/Type /Pag").count();
    assert!(
        pages >= 4,
        "board page plus one page per school, found {pages} page objects"
    );

    if let Some(keep) = std::env::var_os("ZORGSIGNAAL_REPORT_EXAMPLE_PNG") {
        std::fs::copy(&png, keep).expect("keep example screenshot");
    }
}
