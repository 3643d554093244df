//! Payouts from the merchant's balance: the [`PayoutView`] a shop reads.

use serde::{Deserialize, Serialize};

/// `GET /v1/payouts/{id}`: a payout as the shop sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayoutView {
    /// `pay_…`.
    pub id: String,
    /// The shop's id for it.
    pub order_id: String,
    /// How much.
    pub amount: String,
    /// The coin.
    pub currency: String,
    /// Its network.
    pub network: String,
    /// Where it goes.
    pub address: String,
    /// Who bears the fee: `true`, the amount sent is `amount` less the fee; `false`, the balance
    /// pays the fee on top.
    pub is_subtract: bool,
    /// `requested` (stored), `submitted` (sent, not confirmed yet), then the gateway's: `process`,
    /// `check`, `paid`, `fail`, `cancel`, `system_fail`; or `rejected` (refused by the gateway).
    pub status: String,
    /// The chain transaction, once sent.
    pub txid: Option<String>,
    /// The status will not change any more.
    pub is_final: bool,
    /// When it was asked for (unix seconds).
    pub created_at: i64,
}
