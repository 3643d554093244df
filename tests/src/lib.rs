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
