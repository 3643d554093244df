//! Our client against our sandbox, endpoint by endpoint and status path by status path.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod errors;
mod payments;
mod payouts;
mod php;
mod support;
mod wallets;
