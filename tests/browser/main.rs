//! The demo in a real headless Chromium: a payer opens the pay page, the sandbox plays the wallet,
//! signed webhooks reach the shim, and the widget shows the outcome without a reload.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod buttons;
mod console;
mod deposits;
mod languages;
mod operators;
mod pay_page;
mod plain;
mod shopify;
mod statuses;
