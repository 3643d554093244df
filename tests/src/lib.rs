//! Helpers for the workspace's end-to-end tests.
//!
//! # Layout
//! - [`webdriver`]: a small W3C WebDriver client over ChromeDriver and headless Chromium.
//! - [`demo`]: the demo (shim, sandbox, store) started in-process on a free port.
//! - [`qr`]: finding and decoding QR codes in a screenshot, as a phone's camera would.

pub mod a11y;
pub mod demo;
pub mod qr;
pub mod webdriver;
