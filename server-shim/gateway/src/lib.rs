//! The Cryptomus merchant protocol, as the shim and the sandbox both speak it.
//!
//! # Layout
//! - [`amount`]: plain decimal amounts, parsed into decimals (never floats).
//! - [`sign`]: `md5(base64(body) + key)` request signatures and their constant-time check.
//! - [`php_json`]: PHP's `json_decode`/`json_encode` round trip, which webhook signatures are computed
//!   over.
//! - [`webhook`]: verify-and-parse of IPN bodies in one call, and the signing helper the sandbox and
//!   tests use.
//! - [`status`]: the gateway's payment statuses (unknown ones kept) and their map onto
//!   [`shim_api::InvoiceStatus`].
//! - [`wire`]: the JSON shapes of requests, responses and envelopes, named after the provider.
//! - [`client`]: the HTTP client with timeouts and retries where they are safe.
//! - [`types`]: identifiers, keys and the domain-side request and invoice types.
//!
//! See `shared/CRYPTOMUS.md` in the project for the protocol facts this crate follows.

pub mod amount;
pub mod client;
pub mod php_json;
pub mod sign;
pub mod status;
pub mod types;
pub mod webhook;
pub mod wire;

pub use client::{CryptomusClient, GatewayConfig, GatewayError};
pub use status::PaymentStatus;
pub use types::{
    ApiKey, Balance, BalanceOwner, CoinChoice, CreateInvoice, CreatePayout, CreateWallet,
    ExchangeRate, GatewayInvoice, GatewayPayout, GatewayWallet, MerchantId, PaymentListQuery,
    PaymentPage, PaymentRef, Service, TestWebhook,
};
pub use webhook::{
    PaymentWebhook, PayoutWebhook, WebhookError, WebhookKind, sign_webhook, verify_payout_webhook,
    verify_webhook,
};
