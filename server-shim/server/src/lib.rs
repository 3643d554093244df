//! The checkout shim: creates invoices at the gateway, takes its signed webhooks, keeps every
//! invoice's state, and serves the hosted pay page and the widget.
//!
//! # Layout
//! - [`app`]: [`Settings`](app::Settings) and [`Application`](app::Application), which binds the
//!   listener (port 0 works) and composes the routers for `serve` and `demo`.
//! - [`config`]: `serve`'s settings from a TOML file, the environment and flags, in that order.
//! - [`routes`]: the HTTP surface (`/v1/invoices`, `/v1/ipn/cryptomus`, `/pay/{id}`, `/widget/*`,
//!   health) and the one [`ApiError`](routes::ApiError).
//! - [`checkout`]: the use cases (create, view, take a webhook) and the pure decision of what a
//!   gateway report means for an invoice.
//! - [`changes`]: the feed of invoice changes behind the live streams (PostgreSQL `LISTEN/NOTIFY`
//!   across processes).
//! - [`store`]: SQLite or PostgreSQL behind one [`Store`](store::Store), with migrations.
//! - [`domain`]: parsed request types, shops and their tokens, invoice records.
//! - [`links`] and [`buttons`]: payment links and pay buttons, the no-code ways to take payments.
//! - [`wallets`]: static deposit addresses and their deposits, checked against the gateway.
//! - [`payouts`]: payouts for the shops the operator allows, within each shop's ledger.
//! - [`platforms`]: each shop's platform connection (WooCommerce, PrestaShop, OpenCart, Shopify).
//! - [`shopify_payments`] and [`shopify_tls`]: Shopify's payments app and its mutual-TLS listener.
//! - [`metrics`]: counters for `/metrics` (Prometheus text).
//! - [`outbox`]: signed callbacks to shops, delivered at least once from a durable outbox, each
//!   shop's in a task of its own.
//! - [`rate_limit`]: per-client limits (GCRA, bounded) and the caps on open live streams.
//! - [`workers`]: the background workers and their orderly stop.
//! - [`faults`]: the crash test's crash point (debug builds only).
//! - [`payment_uri`]: BIP21 / EIP-681 URIs for the QR code.
//! - [`demo`]: the demo storefront and its sandbox panel.

pub mod app;
pub mod changes;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod domain;
pub mod faults;
pub mod metrics;
pub mod outbox;
pub mod payment_uri;
pub mod platforms;
pub mod rate_limit;
pub mod routes;
pub mod services;
pub mod shopify_payments;
pub mod shopify_tls;
pub mod store;
pub mod workers;

pub use app::{Application, Settings};
pub use shop_adapters::egress::Egress;
