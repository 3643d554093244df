//! The shim over HTTP, and its store, against SQLite and (when `SHIM_TEST_POSTGRES_URL` is set)
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod assets;
mod bad_inputs;
mod brands;
mod buttons;
mod cli;
mod coins;
mod console;
mod console_pages;
mod convergence;
mod crash;
mod events;
mod inbox;
mod invoices;
mod ipn;
mod links;
mod listing;
mod outbox;
mod payouts;
mod plain_pages;
mod platforms;
mod receipts;
mod refunds;
mod scenarios;
mod shopify;
mod shopify_payments;
mod store;
mod support;
mod tenants;
mod upgrade;
mod wallets;
mod widget_files;
