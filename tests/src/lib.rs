//! Helpers for the workspace's end-to-end tests.
//!
//! # Layout
//! - [`webdriver`]: a small W3C WebDriver client over ChromeDriver and headless Chromium.
//! - [`demo`]: the demo (shim, sandbox, store) started in-process on a free port.
//! - [`qr`]: finding and decoding QR codes in a screenshot, as a phone's camera would.
//! - [`a11y`]: accessibility checks of a page with axe-core (WCAG 2.1 A and AA).
//! - [`widget`]: scripts that read or work the checkout widget on a page.

pub mod a11y;
pub mod demo;
pub mod qr;
pub mod webdriver;
pub mod widget;

/// Says that the running test did not run all it names, and why: on standard error, and in the
/// report `cargo xtask test` adds up (`CHECKOUT_KIT_TALLY`), so that it counts as skipped, not
/// passed.
pub fn skipped(why: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    eprintln!("SKIPPED {test}: {why}");
    if let Some(file) = std::env::var_os("CHECKOUT_KIT_TALLY") {
        use std::io::Write as _;
        if let Ok(mut out) = std::fs::OpenOptions::new().append(true).open(file) {
            let _ = writeln!(out, "skipped {test}: {why}");
        }
    }
}
