//! The checkout shim: creates invoices at the gateway, takes its signed webhooks, keeps every
//! invoice's state, and serves the hosted pay page and the widget.
//!
//! # Layout
//! - [`app`]: [`Settings`](app::Settings) and [`Application`](app::Application), which binds the
//!   listener (port 0 works), composes the router and runs the workers.
//! - [`config`]: `serve`'s settings from a TOML file, the environment and flags, in that order.
//! - [`routes`]: the HTTP surface (`/v1/*`, `/pay/{id}`, `/widget/*`, health, `/openapi.json`), the
//!   `AuthShop` extractor and the one [`ApiError`](routes::ApiError). Routes call the
//!   services and never the store.
//! - [`services`]: the use cases, small services over shared dependencies: invoices, webhook
//!   intake and the reconciler, links, buttons, wallets, payouts, shops and their platforms; and
//!   [`decide`](services::decide), the pure decision of what a gateway report means.
//! - [`store`]: SQLite or PostgreSQL behind one [`Store`](store::Store), one module per aggregate,
//!   with the migrations of both backends.
//! - [`outbox`]: signed callbacks to shops and platform updates, delivered at least once from a
//!   durable outbox, each shop's in a task of its own.
//! - [`changes`]: the feed of invoice changes behind the live streams (PostgreSQL `LISTEN/NOTIFY`
//!   across processes).
//! - [`domain`]: parsed request types, shops and their tokens, invoice records, chain addresses.
//! - [`platforms`]: each shop's platform connection (WooCommerce, PrestaShop, OpenCart, Shopify).
//! - [`shopify_payments`] and [`shopify_tls`]: Shopify's payments app and its mutual-TLS listener.
//! - [`rate_limit`]: per-client limits (GCRA, bounded) and the caps on open live streams.
//! - [`workers`]: the background workers and their orderly stop.
//! - [`metrics`]: counters for `/metrics` (Prometheus text).
//! - [`payment_uri`]: BIP21 / EIP-681 URIs for the QR code.
//! - [`faults`]: the crash test's crash point (debug builds only).
//! - `demo` (cargo feature `demo`, on by default): the demo storefront, its sandbox panel and
//!   [`Application::build_demo`](app::Application), with the in-process sandbox.
//!
//! The binary's command line is in `src/cli/`, one module per command group.

pub mod app;
pub mod changes;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod doctor;
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
pub mod words;
pub mod workers;

pub use app::{Application, Settings};
pub use shop_adapters::egress::Egress;
