//! Static deposit addresses: the [`WalletView`] a shop and the widget's deposit mode read, and
//! each [`DepositView`] that reached it.

use serde::{Deserialize, Serialize};

/// `GET /v1/wallets/{id}`: a wallet as the shop and the widget see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WalletView {
    /// `wal_…`.
    pub id: String,
    /// The coin.
    pub currency: String,
    /// Its network.
    pub network: String,
    /// Where the customer sends coins.
    pub address: String,
    /// What a wallet app scans: the address, as the network's URI scheme writes it.
    pub payment_uri: String,
    /// Takes no more deposits.
    pub blocked: bool,
    /// What the customer has been credited, after the gateway's commission (final deposits only).
    pub credited: String,
    /// Every deposit, oldest first.
    pub deposits: Vec<DepositView>,
    /// The hosted page that shows this wallet to the customer (the widget's deposit mode).
    pub page_url: String,
}

/// A deposit, as shops and widgets see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositView {
    /// The gateway's payment uuid.
    pub id: String,
    /// The chain transaction.
    pub txid: Option<String>,
    /// What was sent.
    pub amount: String,
    /// What it credits, after the gateway's commission.
    pub credited_amount: String,
    /// The gateway's status, or `review`: not credited until the merchant looks (see
    /// `review_reason`).
    pub status: String,
    /// Why it is in review: what the webhook and the gateway, or the wallet, did not agree on.
    pub review_reason: Option<String>,
    /// Final and paid: counted in `credited`.
    pub credited: bool,
    /// The gateway's status will not change any more (credited, or not at all).
    pub is_final: bool,
    /// When it was first heard of (unix seconds).
    pub received_at: i64,
}
