//! The signed callbacks the shim posts to a shop's callback URL (`X-Checkout-Signature:
//! t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the shop's callback secret). Delivered at
//! least once: `delivery_id` repeats on a retry, so a shop acts on each once.

use crate::invoice::InvoiceView;
use crate::payout::PayoutView;
use crate::wallet::{DepositView, WalletView};
use serde::{Deserialize, Serialize};

/// A callback's body, told apart by its `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type")]
pub enum Callback {
    /// An invoice moved.
    #[serde(rename = "invoice.updated")]
    InvoiceUpdated(InvoiceUpdated),
    /// A deposit reached a customer's wallet, or moved on.
    #[serde(rename = "wallet.deposit")]
    WalletDeposit(WalletDeposit),
    /// A payout moved on.
    #[serde(rename = "payout.updated")]
    PayoutUpdated(PayoutUpdated),
    /// Sent from the console to check the shop's endpoint: nothing happened; answer 2xx.
    #[serde(rename = "test")]
    Test(TestCallback),
}

/// `test`: a callback the operator sent from the console to check that the shop's endpoint is
/// reached and checks the signature. Nothing happened; a shop answers it with any 2xx.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestCallback {
    /// `test-<unix seconds>`.
    pub delivery_id: String,
    /// The shop's name at the shim.
    pub shop: String,
}

/// `invoice.updated`: the invoice as it stands after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvoiceUpdated {
    /// The same on every retry of this callback.
    pub delivery_id: i64,
    /// The shop's order id.
    pub order_id: String,
    /// The shop platform's own order id, when the shop gave one.
    pub platform_order_ref: Option<String>,
    /// The invoice.
    pub invoice: InvoiceView,
}

/// `wallet.deposit`: what this callback tells of (`status`), and the deposit and its wallet as
/// they stand now (a late callback may find the deposit further on). Credit once per deposit id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalletDeposit {
    /// `deposit-<n>`, the same on every retry.
    pub delivery_id: String,
    /// The deposit's status this callback is about.
    pub status: String,
    /// The shop's reference for the wallet's customer.
    pub customer: String,
    /// The deposit.
    pub deposit: Option<DepositView>,
    /// Its wallet.
    pub wallet: WalletView,
}

/// `payout.updated`: the payout's status this callback tells of, and the payout now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutUpdated {
    /// `payout-<n>`, the same on every retry.
    pub delivery_id: String,
    /// The payout's status this callback is about.
    pub status: String,
    /// The payout.
    pub payout: PayoutView,
}
